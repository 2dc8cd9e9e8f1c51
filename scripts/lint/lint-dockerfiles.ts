/**
 * Lints Dockerfiles with the project's rules (see dockerfile.ts).
 * Usage: tsx scripts/lint/lint-dockerfiles.ts <Dockerfile>...   Exit 1 on any finding, 2 on bad usage.
 */
import * as fs from "fs";
import { formatFinding, lintDockerfile } from "./dockerfile";

const files = process.argv.slice(2);
if (files.length === 0) {
    console.error("usage: lint-dockerfiles <Dockerfile>...");
    process.exit(2);
}
let total = 0;
for (const file of files) {
    const findings = lintDockerfile(fs.readFileSync(file, "utf8"));
    for (const finding of findings) {
        console.log(formatFinding(file, finding));
    }
    total += findings.length;
}
console.log(`dockerfile lint: ${files.length} file(s), ${total} finding(s)`);
process.exit(total > 0 ? 1 : 0);
