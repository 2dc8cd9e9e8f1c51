#!/usr/bin/env bash
# Runs the shell server's tests (all of test/*.test.ts, or the files given) with a TMPDIR of their own,
# removed afterwards: the tests make workspaces, homes, token folders and checkouts under os.tmpdir()
# (a 200 MiB file among them), and a run must leave nothing behind on the machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/shell-mcp-tests.XXXXXX")
export TMPDIR
chmod 1777 "$TMPDIR" # like /tmp: the tests' processes are not all root
trap 'rm -rf "$TMPDIR"' EXIT
if [ $# -eq 0 ]; then set -- test/*.test.ts; fi
node --import tsx --test --test-concurrency=1 "$@"
