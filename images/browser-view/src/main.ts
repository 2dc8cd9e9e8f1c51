import { ConfigError, configFromEnv } from "./config.js";
import { ModeFile } from "./mode.js";
import { MountedFile } from "./mountedFile.js";
import { createBrowserView } from "./server.js";

const MODE_POLL_MS = 1000;

function log(event: object): void {
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
}

async function main(): Promise<void> {
    const config = configFromEnv(process.env);
    const mode = new ModeFile(config.modeFile ? new MountedFile(config.modeFile) : undefined, log);
    await mode.refresh();
    mode.watch(MODE_POLL_MS);
    const { server, stop: stopView } = createBrowserView(config, mode, log);
    server.listen(config.port, config.host, () => {
        const address = server.address();
        log({
            event: "listening",
            port: typeof address === "object" && address ? address.port : config.port,
            mode: mode.current(),
        });
    });
    const stop = () => {
        log({ event: "stopping" });
        mode.stop();
        stopView();
        server.close();
        server.closeAllConnections();
        setTimeout(() => process.exit(0), 2000).unref();
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
}

main().catch((error) => {
    log({ event: "fatal", error: error instanceof ConfigError ? error.message : String(error?.stack ?? error) });
    process.exit(error instanceof ConfigError ? 2 : 1);
});
