/**
 * Defaults that are more than a literal in the schema: the measured resource figures, and the
 * system message an agent gets when the operator writes none.
 */

import { CONTAINER_ROLES, WORKSPACE_PATH } from "../contract/pod";

export const DEFAULT_RESOLUTION = "1280x800";

/** The keys of `resources`: the computer's containers, and `kagent`, the agent's own pod. */
export const RESOURCES_KEYS = [...CONTAINER_ROLES, "kagent"] as const;
export type ResourcesKey = (typeof RESOURCES_KEYS)[number];

/** CPU and memory: quantities as written (`250m`, `512Mi`), or parsed (cores, bytes). */
export interface ResourceFigures<T = string> {
    cpu: T;
    memory: T;
}

export interface ContainerResources {
    requests: ResourceFigures;
    limits: ResourceFigures;
}

/**
 * Requests and limits per container, from the working sets measured on the local node (bench/node, kubelet's
 * summary API; docs/benchmarks.md, "Requests from measured use"): requests hold a container's ordinary use,
 * limits its measured peaks with room, so the e2e workloads (OCR, two parallel gcc builds, a viewer) ran
 * without an OOM kill. Desktop: 136 MiB idle, ~710 MiB with a browser window (bench/desktop), so 512Mi sits
 * between; the sidecar settles at ~490-530 MiB after its first OCR; the shell idles at 30-40 MiB and
 * builds burst to its limit (two gcc -O2 peaked at 607 MiB); the bridge streams to a viewer in ~20 MiB
 * (71-87 MiB RSS in bench/browser-view). The kagent pod keeps kagent 0.10's own defaults.
 */
export const DEFAULT_RESOURCES: Record<ResourcesKey, ContainerResources> = {
    desktop: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "2", memory: "2Gi" } },
    computerControl: { requests: { cpu: "100m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } },
    shell: { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "2", memory: "4Gi" } },
    browserView: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
    kagent: { requests: { cpu: "100m", memory: "384Mi" }, limits: { cpu: "2", memory: "1Gi" } },
};

export interface SystemMessageFacts {
    name: string;
    desktop: boolean;
    resolution: string;
    giteaHost?: string;
    registry?: string;
}

/** A system message that tells the agent what it has: its tools, its workspace, its credentials. */
export function defaultSystemMessage(facts: SystemMessageFacts): string {
    const lines = [
        `You are ${facts.name}, an AI agent with a long-lived Linux computer of your own.`,
        "",
        `Your persistent workspace is ${WORKSPACE_PATH}: keep your work there. It survives restarts of your`,
        "computer; everything outside it (and running processes) does not.",
        "",
        "Shell tools: run_command for commands that finish within minutes; start_job, job_status,",
        "read_job_output, kill_job and list_jobs for long builds and tests (jobs keep their output in the",
        "workspace and show as interrupted after a restart); read_file, write_file, edit_file and",
        "list_directory for files.",
    ];
    if (facts.desktop) {
        lines.push(
            "",
            `You also have an Xfce desktop of ${facts.resolution} pixels. Look before you act: take_screenshot,`,
            "then click_screen, move_mouse, drag_mouse, type_text (ASCII only) and press_keys; get_screen_size,",
            "list_windows and activate_window find windows; take_screenshot_with_ocr reads text on screen but",
            "is slow. Programs started from the shell with DISPLAY=:0 appear on this desktop.",
        );
    }
    if (facts.giteaHost) {
        lines.push(
            "",
            `Git over HTTPS to ${facts.giteaHost} is already authenticated: clone and push without a password.`,
        );
    }
    if (facts.registry) {
        lines.push(
            `Your registry credentials for ${facts.registry} are in $DOCKER_CONFIG (skopeo, buildah and crane use them).`,
        );
    }
    lines.push("", "Say what you are about to do, check the result of every step, and report failures plainly.");
    return lines.join("\n");
}
