/**
 * What the stack relies on of BuildKit's rootless image (docker.io/moby/buildkit:*-rootless): the port
 * its daemon listens on (our `--addr`), the image's own user, and where that user keeps the cache.
 */
export const BUILDKIT_PORT = 1234;
/** The rootless image's user `user` (not the agents' user, though the number is the same). */
export const BUILDKIT_UID = 1000;
export const BUILDKIT_CACHE_DIR = "/home/user/.local/share/buildkit";
