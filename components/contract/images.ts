/**
 * The images the stack runs, by the name images/builds.json and `platform.images` know them by. How
 * each is built (its folder, repository, Dockerfile) is images/builds.json's; this list is the contract
 * between that file, the config and the plan.
 */
export const IMAGE_NAMES = [
    "desktop",
    "computerControlMcp",
    "shell",
    "browserView",
    "egressProxy",
    "buildkitd",
    "waker",
] as const;
export type ImageName = (typeof IMAGE_NAMES)[number];
