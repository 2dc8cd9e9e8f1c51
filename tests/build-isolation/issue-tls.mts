// Writes the build certificates of each named agent, issued from the stack's specs as the process test
// issues them, laid out as the two Secret volumes are: <dir>/<agent>/daemon/{ca,cert,key}.pem (the
// daemon's) and <dir>/<agent>/client/{ca,cert,key}.pem (the agent's BUILDKIT_TLS_DIR). For tests/images.
//   node --import tsx tests/build-isolation/issue-tls.mts <dir> <agent>...
import { join } from "node:path";
import { issueAgentTls, tlsDir } from "./daemons.mts";

const [dir, ...agents] = process.argv.slice(2);
for (const agent of agents) {
    const tls = await issueAgentTls(join(dir, agent, "pki"), agent);
    tlsDir(join(dir, agent, "daemon"), { ca: tls.caCert, cert: tls.serverCert, key: tls.serverKey });
    tlsDir(join(dir, agent, "client"), { ca: tls.caCert, cert: tls.clientCert, key: tls.clientKey });
}
