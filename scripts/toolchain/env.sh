# shellcheck shell=bash
# Puts the toolchain scripts/toolchain/ensure.sh builds on PATH. Source it (bash): . scripts/toolchain/env.sh
#   - Node 22 from the repository's node_modules first: the Pulumi CLI starts `node` from PATH (not through
#     npm), and the program's packages need Node >= 22 (`npm ci` installs it as the `node` package);
#   - the cached bin folders: pulumi, pulumi-language-nodejs, pulumi-resource-kubernetes,
#     pulumi-resource-docker-build (the engine runs plugins found on PATH), kube-apiserver,
#     kube-controller-manager, kubectl; the Go it fetched when the machine's was too old;
#   - with the CLI built here: PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true, so the engine uses those
#     plugins instead of trying to download others. An installed official CLI keeps its own plugins and
#     plugin downloads;
#   - PULUMI_SKIP_UPDATE_CHECK=true (no network call to pulumi.com on each run);
#   - DBUS_SESSION_BUS_ADDRESS=disabled: each CLI run otherwise autolaunches a session dbus-daemon that
#     outlives it (seen with a file backend and PULUMI_CONFIG_PASSPHRASE).
# Missing folders are skipped: run ensure.sh first.

persistent_agents_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/toolchain/versions.sh
. "$persistent_agents_root/scripts/toolchain/versions.sh"
# shellcheck source=scripts/toolchain/layout.sh
. "$persistent_agents_root/scripts/toolchain/layout.sh"

PATH=$(path_without_toolchain)
for toolchain_component in docker-build-provider kubernetes-provider language-nodejs pulumi kube; do
    if [ -d "$(component_folder "$toolchain_component")/bin" ] && ! uses_official_pulumi "$toolchain_component"; then
        PATH="$(component_folder "$toolchain_component")/bin:$PATH"
    fi
done
unset toolchain_component
# The Go ensure.sh fetched, present only where the machine's go was missing or older than 1.21.
if [ -x "$(component_folder go)/bin/go" ]; then
    PATH="$(component_folder go)/bin:$PATH"
fi
if [ -x "$persistent_agents_root/node_modules/.bin/node" ]; then
    case ":$PATH:" in
        "$persistent_agents_root/node_modules/.bin:"*) ;;
        *) PATH="$persistent_agents_root/node_modules/.bin:$PATH" ;;
    esac
fi
export PATH

if ! official_pulumi >/dev/null; then
    export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
fi
export PULUMI_SKIP_UPDATE_CHECK=true
export DBUS_SESSION_BUS_ADDRESS=disabled:
