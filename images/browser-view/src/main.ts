import { ConfigError, configFromEnv } from "./config.js";
import { ModeFile } from "./mode.js";
import { MountedFile, SecretFile } from "./mountedFile.js";
import { Recorder } from "./recording/recorder.js";
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
    const { server, stop: stopView, viewers } = createBrowserView(config, mode, log);
    const recording = config.recording;
    const recorder = recording
        ? new Recorder({
              vncHost: config.vncHost,
              vncPort: config.vncPort,
              vncPassword: (() => {
                  const password = new SecretFile(config.vncPasswordFile, "VNC password");
                  return () => password.value();
              })(),
              dir: recording.dir,
              fps: recording.fps,
              segmentSeconds: recording.segmentSeconds,
              retention: { maxAgeMs: recording.maxAgeSeconds * 1000, maxBytes: recording.maxBytes },
              // A person has taken over: interactive mode with someone connected. Not recorded unless allowed.
              shouldRecord: () => recording.duringTakeover || !(mode.current() === "interactive" && viewers() > 0),
              log,
          })
        : undefined;
    await recorder?.start();
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
        // The open recording segment is closed cleanly (trailer, fsync) before the process ends.
        void (recorder?.stop() ?? Promise.resolve()).finally(() => process.exit(0));
        setTimeout(() => process.exit(0), 5000).unref();
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
}

main().catch((error) => {
    log({ event: "fatal", error: error instanceof ConfigError ? error.message : String(error?.stack ?? error) });
    process.exit(error instanceof ConfigError ? 2 : 1);
});
