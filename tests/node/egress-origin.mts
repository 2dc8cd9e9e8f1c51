// The egress tests' "internet" for the node tier (tests/node/egress.test.ts): tests/egress-proxy/origin.mts's
// HTTPS server (allowed.test, denied.test, a.wild.test, git.test; a file, a PEP 503 index, git over HTTP) on
// the given address, as a process of its own (the node tier's test files load CommonJS; the origin is ESM).
//   tsx tests/node/egress-origin.mts <folder> <address> <git user> <git token> [hold ms]
// (hold ms: each git-upload-pack request waits that long, so a test can look into the clone mid-way)
// Prints one JSON line {port, caFile} once it listens; stops when its standard input closes.
import { startOrigin } from "../egress-proxy/origin.mts";

const [dir, host, user, token, hold] = process.argv.slice(2);
if (!dir || !host || !user || !token) {
    console.error("usage: egress-origin.mts <folder> <address> <git user> <git token>");
    process.exit(2);
}
const origin = await startOrigin(dir, { user, token }, host);
origin.holdUploadPackMs = Number(hold ?? 0);
console.log(JSON.stringify({ port: origin.port, caFile: origin.caFile }));
process.stdin.resume();
process.stdin.on("end", async () => {
    await origin.close();
    process.exit(0);
});
