/**
 * The agent computer's pod, built as plain data from the agent's spec (see docs/pod-contract.md).
 * Desktop agents: desktop + computer-control sidecar + shell sharing one X11 socket; CLI agents: shell.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AgentSpec, ContainerResources, WORKSPACE_PATH } from "../config";
import { SECRET_KEYS } from "../credentials";
import { PORTS, SHELL_MAX_COMMAND_SECONDS, agentObjectNames } from "../naming";

type Container = k8s.types.input.core.v1.Container;
type Volume = k8s.types.input.core.v1.Volume;
type EnvVar = k8s.types.input.core.v1.EnvVar;

export const AGENT_UID = 1000;
const SECRETS_DIR = "/var/run/secrets/agent";

export const MOUNTS = {
    workspace: WORKSPACE_PATH,
    config: "/home/agent/.config",
    x11: "/tmp/.X11-unix",
    shm: "/dev/shm",
    vnc: `${SECRETS_DIR}/vnc`,
    mcp: `${SECRETS_DIR}/mcp`,
    git: `${SECRETS_DIR}/git`,
    registry: `${SECRETS_DIR}/registry`,
} as const;

export interface ComputerImages {
    desktop?: pulumi.Input<string>;
    computerControlMcp?: pulumi.Input<string>;
    shell: pulumi.Input<string>;
}

export const SUDO_LABEL = "persistent-agents.dev/sudo";


export function computerPodSpec(agent: AgentSpec, images: ComputerImages): k8s.types.input.core.v1.PodSpec {
    const names = agentObjectNames(agent.name);
    const gitea = agent.credentials.gitea.enabled;
    const harbor = agent.credentials.harbor.enabled;
    const desktop = agent.desktop.enabled;

    const containers: Container[] = [];
    if (desktop) {
        if (!images.desktop || !images.computerControlMcp) {
            throw new Error(`agent ${agent.name}: the desktop and computer-control images are required for a desktop agent`);
        }
        containers.push(desktopContainer(agent, images.desktop), computerControlContainer(agent, images.computerControlMcp));
    }
    containers.push(shellContainer(agent, images.shell));

    const volumes: Volume[] = [
        { name: "workspace", persistentVolumeClaim: { claimName: names.workspaceClaim } },
        { name: "config", persistentVolumeClaim: { claimName: names.configClaim } },
        secretVolume("mcp-token", names.credentials, SECRET_KEYS.mcpToken, SECRET_KEYS.mcpToken),
    ];
    if (desktop) {
        volumes.push(
            { name: "x11-socket", emptyDir: {} },
            { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: "512Mi" } },
            secretVolume("vnc-password", names.credentials, SECRET_KEYS.vncPassword, SECRET_KEYS.vncPassword),
        );
    }
    if (gitea) {
        volumes.push(secretVolume("git-credentials", names.credentials, SECRET_KEYS.gitCredentials, SECRET_KEYS.gitCredentials));
    }
    if (harbor) {
        volumes.push(secretVolume("registry-auth", names.credentials, SECRET_KEYS.dockerConfig, "config.json"));
    }

    return {
        runtimeClassName: agent.runtimeClassName,
        serviceAccountName: names.computer,
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        terminationGracePeriodSeconds: 30,
        securityContext: {
            runAsUser: AGENT_UID,
            runAsGroup: AGENT_UID,
            runAsNonRoot: true,
            fsGroup: AGENT_UID,
            fsGroupChangePolicy: "OnRootMismatch",
            seccompProfile: { type: "RuntimeDefault" },
        },
        containers,
        volumes,
    };
}

function desktopContainer(agent: AgentSpec, image: pulumi.Input<string>): Container {
    return {
        name: "desktop",
        image,
        imagePullPolicy: "IfNotPresent",
        env: [
            { name: "DISPLAY", value: ":0" },
            { name: "RESOLUTION", value: agent.desktop.resolution },
            { name: "VNC_PORT", value: String(PORTS.vnc) },
            { name: "VNC_PASSWORD_FILE", value: `${MOUNTS.vnc}/${SECRET_KEYS.vncPassword}` },
            ...gitEnv(agent),
        ],
        ports: [{ name: "vnc", containerPort: PORTS.vnc }],
        volumeMounts: [
            { name: "workspace", mountPath: MOUNTS.workspace },
            { name: "config", mountPath: MOUNTS.config },
            { name: "x11-socket", mountPath: MOUNTS.x11 },
            { name: "dshm", mountPath: MOUNTS.shm },
            { name: "vnc-password", mountPath: MOUNTS.vnc, readOnly: true },
            ...(agent.credentials.gitea.enabled ? [{ name: "git-credentials", mountPath: MOUNTS.git, readOnly: true }] : []),
        ],
        startupProbe: { tcpSocket: { port: "vnc" }, periodSeconds: 2, failureThreshold: 60 },
        readinessProbe: { tcpSocket: { port: "vnc" }, periodSeconds: 10 },
        livenessProbe: { tcpSocket: { port: "vnc" }, periodSeconds: 20, failureThreshold: 3 },
        resources: resources(agent.resources.desktop),
        securityContext: containerSecurity(agent.sudo),
    };
}

function computerControlContainer(agent: AgentSpec, image: pulumi.Input<string>): Container {
    return {
        name: "computer-control",
        image,
        imagePullPolicy: "IfNotPresent",
        env: [
            { name: "DISPLAY", value: ":0" },
            { name: "HOST", value: "0.0.0.0" },
            { name: "PORT", value: String(PORTS.computerControl) },
            { name: "MCP_AUTH_TOKEN_FILE", value: `${MOUNTS.mcp}/${SECRET_KEYS.mcpToken}` },
        ],
        ports: [{ name: "computer-mcp", containerPort: PORTS.computerControl }],
        volumeMounts: [
            { name: "x11-socket", mountPath: MOUNTS.x11 },
            { name: "mcp-token", mountPath: MOUNTS.mcp, readOnly: true },
        ],
        // Loading the OCR models and waiting for the X server take a while on a cold node.
        // /healthz answers while a tool runs, but a loaded node can be slow: 5 s before a probe counts as failed.
        startupProbe: { httpGet: { path: "/healthz", port: "computer-mcp" }, periodSeconds: 2, failureThreshold: 90, timeoutSeconds: 5 },
        readinessProbe: { httpGet: { path: "/healthz", port: "computer-mcp" }, periodSeconds: 5, timeoutSeconds: 5 },
        livenessProbe: { httpGet: { path: "/healthz", port: "computer-mcp" }, periodSeconds: 5, failureThreshold: 3, timeoutSeconds: 5 },
        resources: resources(agent.resources.computerControl),
        securityContext: containerSecurity(false),
    };
}

function shellContainer(agent: AgentSpec, image: pulumi.Input<string>): Container {
    const env: EnvVar[] = [
        { name: "HOST", value: "0.0.0.0" },
        { name: "PORT", value: String(PORTS.shell) },
        { name: "WORKSPACE_DIR", value: MOUNTS.workspace },
        { name: "MAX_COMMAND_TIMEOUT_SECONDS", value: String(SHELL_MAX_COMMAND_SECONDS) },
        { name: "MCP_AUTH_TOKEN_FILE", value: `${MOUNTS.mcp}/${SECRET_KEYS.mcpToken}` },
        ...gitEnv(agent),
    ];
    if (agent.credentials.harbor.enabled) {
        env.push(
            { name: "DOCKER_CONFIG", value: MOUNTS.registry },
            { name: "REGISTRY_AUTH_FILE", value: `${MOUNTS.registry}/config.json` },
        );
    }
    if (agent.desktop.enabled) {
        // Programs the agent starts from its shell open on its desktop.
        env.push({ name: "DISPLAY", value: ":0" });
    }
    return {
        name: "shell",
        image,
        imagePullPolicy: "IfNotPresent",
        env,
        ports: [{ name: "shell-mcp", containerPort: PORTS.shell }],
        volumeMounts: [
            { name: "workspace", mountPath: MOUNTS.workspace },
            { name: "config", mountPath: MOUNTS.config },
            { name: "mcp-token", mountPath: MOUNTS.mcp, readOnly: true },
            ...(agent.desktop.enabled ? [{ name: "x11-socket", mountPath: MOUNTS.x11 }] : []),
            ...(agent.credentials.gitea.enabled ? [{ name: "git-credentials", mountPath: MOUNTS.git, readOnly: true }] : []),
            ...(agent.credentials.harbor.enabled ? [{ name: "registry-auth", mountPath: MOUNTS.registry, readOnly: true }] : []),
        ],
        startupProbe: { httpGet: { path: "/healthz", port: "shell-mcp" }, periodSeconds: 2, failureThreshold: 30 },
        readinessProbe: { httpGet: { path: "/healthz", port: "shell-mcp" }, periodSeconds: 10 },
        livenessProbe: { httpGet: { path: "/healthz", port: "shell-mcp" }, periodSeconds: 10, failureThreshold: 3 },
        resources: resources(agent.resources.shell),
        securityContext: containerSecurity(agent.sudo),
    };
}

function gitEnv(agent: AgentSpec): EnvVar[] {
    const identity = [
        { name: "GIT_AUTHOR_NAME", value: agent.name },
        { name: "GIT_COMMITTER_NAME", value: agent.name },
        { name: "GIT_AUTHOR_EMAIL", value: `${agent.name}@agents.local` },
        { name: "GIT_COMMITTER_EMAIL", value: `${agent.name}@agents.local` },
    ];
    return agent.credentials.gitea.enabled
        ? [...identity, { name: "GIT_CREDENTIALS_FILE", value: `${MOUNTS.git}/${SECRET_KEYS.gitCredentials}` }]
        : identity;
}

/** A Secret volume exposing one key as one file; mounted as a directory so rotations show up in place. */
function secretVolume(name: string, secretName: string, key: string, file: string): Volume {
    return { name, secret: { secretName, items: [{ key, path: file }], defaultMode: 0o440 } };
}

function resources(figures: ContainerResources): k8s.types.input.core.v1.ResourceRequirements {
    return { requests: { ...figures.requests }, limits: { ...figures.limits } };
}

/**
 * Non-root, no capabilities, default seccomp. Only an operator's `sudo: true` lets the setuid sudo
 * binary work (no_new_privs otherwise stops it, whatever the image's sudoers say).
 */
function containerSecurity(sudo: boolean): k8s.types.input.core.v1.SecurityContext {
    return {
        allowPrivilegeEscalation: sudo,
        capabilities: { drop: ["ALL"] },
        runAsNonRoot: true,
        runAsUser: AGENT_UID,
        runAsGroup: AGENT_UID,
        seccompProfile: { type: "RuntimeDefault" },
    };
}
