#!/usr/bin/env bash
# Static checks, part of the test command (scripts/test-all.sh):
#   1. shellcheck on every shell script in git (tracked or new, not ignored): *.sh and shebang'd scripts
#   2. the Dockerfile lint (scripts/lint/dockerfile.ts) on every images/*/Dockerfile
#   3. actionlint on every .github/workflows/*.yml (with shellcheck on their `run:` blocks)
# Missing tools are installed: shellcheck with apt-get (as root, or with passwordless sudo), actionlint
# with `go install` at a pinned version into a cache folder. Exits 1 if any check has a finding.
#
# Environment:
#   STATIC_CHECKS_ROOT   repository to check (default: the one holding this script); the tests use it
#   STATIC_CHECKS_CACHE  where actionlint is installed (default: <repo>/.cache/static-checks)
set -euo pipefail

ACTIONLINT_VERSION=v1.7.12
ACTIONLINT_MODULE=github.com/rhysd/actionlint/cmd/actionlint

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

# Prints the path of the pinned actionlint, installing it first if needed.
ensure_actionlint() {
    local dir="$cache/actionlint-$ACTIONLINT_VERSION"
    if [ ! -x "$dir/actionlint" ]; then
        command -v go >/dev/null 2>&1 || die "actionlint is missing and so is go; install Go 1.24+ (https://go.dev/dl) and re-run"
        log "installing actionlint $ACTIONLINT_VERSION into $dir (go install, from the Go module proxy)"
        mkdir -p "$dir"
        (cd "$dir" && GOBIN="$dir" GOFLAGS=-mod=mod go install "$ACTIONLINT_MODULE@$ACTIONLINT_VERSION") >&2
    fi
    printf '%s\n' "$dir/actionlint"
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
    local tsx="$tools_repo/node_modules/.bin/tsx"
    [ -x "$tsx" ] || die "$tsx is missing; run npm ci in $tools_repo"
    log "dockerfile lint: ${files[*]}"
    (cd "$root" && "$tsx" "$tools_repo/scripts/lint/lint-dockerfiles.ts" "${files[@]}")
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
    actionlint=$(ensure_actionlint)
    log "actionlint $ACTIONLINT_VERSION: ${files[*]}"
    (cd "$root" && "$actionlint" -shellcheck "$(command -v shellcheck)" "${files[@]}")
}

git -C "$root" rev-parse --git-dir >/dev/null 2>&1 || die "$root is not a git repository"
ensure_shellcheck

for check in check_shell check_dockerfiles check_workflows; do
    if ! "$check"; then
        failed+=("${check#check_}")
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "static checks FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "static checks passed: shellcheck, dockerfile lint, actionlint" >&2
