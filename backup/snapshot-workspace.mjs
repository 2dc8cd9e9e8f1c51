// Takes a CSI VolumeSnapshot of one claim and prunes the older ones per retention. Runs in the agent's
// backup CronJob (components/render/backup.ts), in the shell image the stack already builds (it has Node 22), as
// the agent's backup ServiceAccount, whose Role allows only create, list and delete of VolumeSnapshots in
// the agent's namespace. Node's fetch and the service account token are all it needs: no kubectl in that
// image, and no package to install.
//
// Environment (set by the CronJob from the stack's plan, components/plan/backup.ts; the KUBE_* overrides
// are for tests against a local API server). The program knows no label of the stack's: they come here.
//   NAMESPACE, CLAIM                   what to snapshot
//   SNAPSHOT_LABELS                    JSON object: the labels of every snapshot taken
//   SNAPSHOT_SELECTOR                  label selector (key=value,…) of the claim's snapshots, which retention
//                                      prunes; SNAPSHOT_LABELS must match it, or retention would never see them
//   KEEP_SNAPSHOTS                     comma-separated snapshot names retention never deletes (the one the
//                                      agent's storage.restoreFrom names: its claim is created from it)
//   SNAPSHOT_CLASS                     VolumeSnapshotClass name
//   RETAIN_COUNT                       keep at most this many snapshots of the claim (0: no count limit)
//   RETAIN_MAX_AGE_SECONDS             delete snapshots older than this (0: no age limit)
//   SHELL_URL, SHELL_TOKEN_FILE        optional pre-snapshot hook (storage.backup.pauseJobs): the shell server's
//                                      base URL and its bearer token; its jobs are paused (SIGSTOP) from before
//                                      the snapshot is requested until the storage has cut it (status.creationTime)
//   PAUSE_MAX_SECONDS                  the longest pause (default 120); the shell server resumes by itself after it
//   KUBE_API_URL, KUBE_TOKEN_FILE      default: in-cluster (KUBERNETES_SERVICE_HOST/PORT, the pod's token)
//   NODE_EXTRA_CA_CERTS                the cluster CA (the pod sets it to the service account's ca.crt)
//   BACKUP_NOW                         ISO time to use as "now" (tests of age-based pruning)
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";

const SNAPSHOT_API = "snapshot.storage.k8s.io/v1";
const SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/**
 * Which snapshots retention removes. Newest first by creation time; beyond `count` or older than
 * `maxAgeSeconds` goes, except the newest snapshot that is ready to use (a failing snapshot class must
 * never prune away the last good backup), the one this run just created (`keep`), and those named in
 * `kept` (the one the workspace claim is restored from).
 */
export function snapshotsToDelete(snapshots, { count, maxAgeSeconds, now, keep, kept = [] }) {
    const newestFirst = [...snapshots].sort(
        (a, b) => created(b) - created(a) || b.metadata.name.localeCompare(a.metadata.name),
    );
    const newestReady = newestFirst.find((s) => s.status?.readyToUse === true);
    return newestFirst.filter((snapshot, index) => {
        if (snapshot === newestReady || snapshot.metadata.name === keep || kept.includes(snapshot.metadata.name)) {
            return false;
        }
        const beyondCount = count > 0 && index >= count;
        const tooOld = maxAgeSeconds > 0 && (now - created(snapshot)) / 1000 > maxAgeSeconds;
        return beyondCount || tooOld;
    });
}

function created(snapshot) {
    return Date.parse(snapshot.metadata.creationTimestamp);
}

/** `<claim>-<UTC yyyymmdd-hhmmss>`: sortable, unique per run (the CronJob forbids concurrent runs). */
export function snapshotName(claim, now) {
    const stamp = new Date(now).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
    return `${claim}-${stamp}`.toLowerCase();
}

function labelsFrom(text) {
    let labels;
    try {
        labels = JSON.parse(text);
    } catch {
        throw new Error(`SNAPSHOT_LABELS is not JSON: ${text}`);
    }
    if (labels === null || typeof labels !== "object" || Object.values(labels).some((v) => typeof v !== "string")) {
        throw new Error(`SNAPSHOT_LABELS must be a JSON object of strings, got ${text}`);
    }
    return labels;
}

function requiredEnv(env, name, hint) {
    const value = env[name];
    if (value === undefined || value === "") throw new Error(`${name} is not set: ${hint}`);
    return value;
}

function nonNegativeInteger(env, name) {
    const raw = env[name] ?? "0";
    if (!/^\d+$/.test(raw))
        throw new Error(
            `${name} must be a whole number of ${name.endsWith("SECONDS") ? "seconds" : "snapshots"}, got "${raw}"`,
        );
    return Number(raw);
}

export function settingsFrom(env) {
    const settings = {
        namespace: requiredEnv(env, "NAMESPACE", "the agent's namespace"),
        claim: requiredEnv(env, "CLAIM", "the PersistentVolumeClaim to snapshot"),
        labels: labelsFrom(requiredEnv(env, "SNAPSHOT_LABELS", "the labels of the snapshots, as a JSON object")),
        selector: requiredEnv(env, "SNAPSHOT_SELECTOR", "the label selector of the claim's snapshots, key=value"),
        kept: (env.KEEP_SNAPSHOTS ?? "").split(",").filter((name) => name !== ""),
        snapshotClass: requiredEnv(env, "SNAPSHOT_CLASS", "a VolumeSnapshotClass of the claim's CSI driver"),
        count: nonNegativeInteger(env, "RETAIN_COUNT"),
        maxAgeSeconds: nonNegativeInteger(env, "RETAIN_MAX_AGE_SECONDS"),
        now: env.BACKUP_NOW ? Date.parse(env.BACKUP_NOW) : Date.now(),
        pause: env.SHELL_URL
            ? {
                  url: env.SHELL_URL.replace(/\/+$/, ""),
                  tokenFile: requiredEnv(
                      env,
                      "SHELL_TOKEN_FILE",
                      "the shell server's bearer token file (with SHELL_URL)",
                  ),
                  maxSeconds: nonNegativeInteger(env, "PAUSE_MAX_SECONDS") || 120,
              }
            : undefined,
    };
    if (Number.isNaN(settings.now)) throw new Error(`BACKUP_NOW must be an ISO time, got "${env.BACKUP_NOW}"`);
    for (const requirement of settings.selector.split(",")) {
        const [key, value] = requirement.split("=");
        if (settings.labels[key] !== value) {
            throw new Error(
                `SNAPSHOT_LABELS do not match SNAPSHOT_SELECTOR's ${requirement}: retention would never find the snapshots it takes`,
            );
        }
    }
    if (settings.count === 0 && settings.maxAgeSeconds === 0) {
        throw new Error("RETAIN_COUNT and RETAIN_MAX_AGE_SECONDS are both 0: snapshots would pile up forever; set one");
    }
    return settings;
}

async function apiClient(env) {
    const base =
        env.KUBE_API_URL ??
        `https://${requiredEnv(env, "KUBERNETES_SERVICE_HOST", "not in a pod; set KUBE_API_URL")}:${env.KUBERNETES_SERVICE_PORT ?? 443}`;
    const token = (await readFile(env.KUBE_TOKEN_FILE ?? SERVICE_ACCOUNT_TOKEN, "utf8")).trim();
    return async (method, path, body) => {
        const response = await fetch(`${base}${path}`, {
            method,
            headers: {
                authorization: `Bearer ${token}`,
                accept: "application/json",
                ...(body ? { "content-type": "application/json" } : {}),
            },
            body: body ? JSON.stringify(body) : undefined,
            signal: AbortSignal.timeout(30_000),
        });
        const text = await response.text();
        if (!response.ok) {
            let message = text;
            try {
                message = JSON.parse(text).message ?? text;
            } catch {
                /* not a Status object */
            }
            const error = new Error(`${method} ${path}: ${response.status} ${message}`);
            error.status = response.status;
            throw error;
        }
        return text ? JSON.parse(text) : undefined;
    };
}

function log(event, fields) {
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n`);
}

async function run(env = process.env) {
    const settings = settingsFrom(env);
    const api = await apiClient(env);
    const collection = `/apis/${SNAPSHOT_API}/namespaces/${encodeURIComponent(settings.namespace)}/volumesnapshots`;

    const name = snapshotName(settings.claim, settings.now);
    const shell = settings.pause ? await shellJobs(settings.pause) : undefined;
    try {
        await shell?.pause();
        await createSnapshot(api, collection, settings, name);
        // The snapshot is cut asynchronously: keep the jobs stopped until the storage has taken it.
        if (shell?.paused) await waitForCut(api, collection, name, settings.pause.maxSeconds);
    } finally {
        await shell?.resume();
    }
    await prune(api, collection, settings, name);
}

async function createSnapshot(api, collection, settings, name) {
    await api("POST", collection, {
        apiVersion: SNAPSHOT_API,
        kind: "VolumeSnapshot",
        metadata: {
            name,
            namespace: settings.namespace,
            labels: settings.labels,
        },
        spec: {
            volumeSnapshotClassName: settings.snapshotClass,
            source: { persistentVolumeClaimName: settings.claim },
        },
    });
    log("created", { snapshot: name, claim: settings.claim, class: settings.snapshotClass });
}

async function prune(api, collection, settings, name) {
    const selector = encodeURIComponent(settings.selector);
    const list = await api("GET", `${collection}?labelSelector=${selector}`);
    const doomed = snapshotsToDelete(list.items, { ...settings, keep: name });
    for (const snapshot of doomed) {
        try {
            await api("DELETE", `${collection}/${encodeURIComponent(snapshot.metadata.name)}`);
        } catch (error) {
            if (error.status !== 404) throw error; // gone already: what we wanted
        }
        log("pruned", { snapshot: snapshot.metadata.name, created: snapshot.metadata.creationTimestamp });
    }
    log("done", { kept: list.items.length - doomed.length, pruned: doomed.length });
}

/**
 * The shell server's pre-snapshot hook. A failed pause is logged and the snapshot taken anyway: a
 * crash-consistent backup beats none. The server resumes the jobs by itself after maxSeconds, so a
 * backup that dies here never leaves them stopped.
 */
async function shellJobs({ url, tokenFile, maxSeconds }) {
    const token = (await readFile(tokenFile, "utf8")).trim();
    const post = async (path) => {
        const response = await fetch(`${url}${path}`, {
            method: "POST",
            headers: { authorization: `Bearer ${token}` },
            signal: AbortSignal.timeout(30_000),
        });
        const body = await response.text();
        if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${body.slice(0, 200)}`);
        return JSON.parse(body);
    };
    const hook = {
        paused: false,
        async pause() {
            try {
                const { paused } = await post(`/admin/jobs/pause?max_seconds=${maxSeconds}`);
                hook.paused = true;
                log("jobs_paused", { jobs: paused, max_seconds: maxSeconds });
            } catch (error) {
                log("pause_failed", { error: error.message, consequence: "snapshot taken with jobs running" });
            }
        },
        async resume() {
            if (!hook.paused) return;
            try {
                const { resumed } = await post("/admin/jobs/resume");
                log("jobs_resumed", { jobs: resumed });
            } catch (error) {
                log("resume_failed", {
                    error: error.message,
                    consequence: `the shell server resumes them after ${maxSeconds} s`,
                });
            }
        },
    };
    return hook;
}

/** Polls until the snapshot has status.creationTime (the instant the storage cut it), within the pause. */
async function waitForCut(api, collection, name, maxSeconds) {
    const deadline = Date.now() + Math.max(1, maxSeconds - 10) * 1000;
    const selector = encodeURIComponent(`metadata.name=${name}`);
    while (Date.now() < deadline) {
        const [snapshot] = (await api("GET", `${collection}?fieldSelector=${selector}`)).items;
        if (snapshot?.status?.creationTime) {
            log("cut", { snapshot: name, at: snapshot.status.creationTime });
            return;
        }
        if (snapshot?.status?.error?.message) {
            log("snapshot_error", { snapshot: name, error: snapshot.status.error.message });
            return;
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    log("cut_not_confirmed", { snapshot: name, waited_seconds: Math.max(1, maxSeconds - 10) });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
    run().catch((error) => {
        log("failed", { error: error.message });
        process.exitCode = 1;
    });
}
