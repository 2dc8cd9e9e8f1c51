import { chmod, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * A developer's HOME as an agent ends up with after installing pyenv and nvm by their instructions,
 * without network access: stand-ins that do what their init does at shell startup.
 *
 * - pyenv: `eval "$(pyenv init - bash)"` runs the pyenv launcher, which forks its libexec helpers, and
 *   the code it prints runs `pyenv rehash`, which forks more; here each helper is a real fork of
 *   `dirname`/`readlink`. It defines the `pyenv` function and puts the shims first in PATH.
 * - nvm: `. "$NVM_DIR/nvm.sh"` parses ~4,400 lines defining ~150 functions (nvm 0.40's nvm.sh is 4,400
 *   lines) and then, like `nvm use default` at startup, reads the default alias and puts that version's
 *   bin folder in PATH, with a few command substitutions.
 * The init lines go in ~/.bashrc, sourced from ~/.profile (Debian's skeleton does so), with no
 * interactive-only guard before them, as pyenv's and nvm's installers append them. Measured here:
 * `bash -lc true` forks ~50 processes and takes 130-210 ms (load average ~10), against ~5 ms empty.
 */
export async function createHeavyHome(home: string): Promise<void> {
    const pyenv = path.join(home, ".pyenv");
    await mkdir(path.join(pyenv, "bin"), { recursive: true });
    await mkdir(path.join(pyenv, "shims"), { recursive: true });
    await mkdir(path.join(pyenv, "versions", "3.12.7", "bin"), { recursive: true });
    const launcher = `#!/usr/bin/env bash
# Stand-in for pyenv's launcher: the helper forks its libexec scripts make at startup.
helpers() { for _ in $(seq 1 "$1"); do root="$(dirname "$(readlink -f "$0")")"; done; }
case "$1" in
init)
    helpers 10
    cat <<'EOS'
export PATH="$HOME/.pyenv/shims:\${PATH}"
export PYENV_SHELL=bash
command pyenv rehash 2>/dev/null
pyenv() {
  local command
  command="\${1:-}"
  if [ "$#" -gt 0 ]; then
    shift
  fi
  case "$command" in
  activate|deactivate|rehash|shell)
    eval "$(pyenv "sh-$command" "$@")";;
  *)
    command pyenv "$command" "$@";;
  esac
}
EOS
    ;;
rehash) helpers 10 ;;
esac
`;
    await writeFile(path.join(pyenv, "bin", "pyenv"), launcher);
    await chmod(path.join(pyenv, "bin", "pyenv"), 0o755);

    const nvm = path.join(home, ".nvm");
    await mkdir(path.join(nvm, "alias"), { recursive: true });
    await mkdir(path.join(nvm, "versions", "node", "v22.23.3", "bin"), { recursive: true });
    await writeFile(path.join(nvm, "alias", "default"), "22\n");
    const functions: string[] = [];
    for (let i = 0; i < 150; i++) {
        const body = Array.from(
            { length: 25 },
            (_, line) =>
                `  if [ "\${NVM_DEBUG-}" = "${line}" ]; then nvm_echo "nvm_fn_${i}: step ${line} \${1-} \${2-}" | command sed 's/x/y/'; fi`,
        );
        functions.push(`nvm_fn_${i}() {\n  local VERSION\n  VERSION="\${1-}"\n${body.join("\n")}\n}`);
    }
    const nvmScript = `# Stand-in for nvm.sh: its size, its functions, and what it does when sourced.
NVM_CD_FLAGS=''
nvm_echo() { command printf %s\\\\n "$*" 2>/dev/null; }
${functions.join("\n")}
nvm() { nvm_fn_0 "$@"; }
nvm_use_default() {
  local alias version
  alias="$(command cat "$NVM_DIR/alias/default")"
  version="$(command ls "$NVM_DIR/versions/node" | command sed -n "/^v\${alias}/p" | command tail -n 1)"
  PATH="$NVM_DIR/versions/node/$version/bin:$PATH"
  export PATH
}
nvm_use_default
`;
    await writeFile(path.join(nvm, "nvm.sh"), nvmScript);

    await writeFile(
        path.join(home, ".bashrc"),
        `# pyenv (as its README's shell setup)
export PYENV_ROOT="$HOME/.pyenv"
[[ -d $PYENV_ROOT/bin ]] && export PATH="$PYENV_ROOT/bin:$PATH"
eval "$(pyenv init - bash)"

# nvm (as its installer appends)
export NVM_DIR="$HOME/.nvm"
[ -s "$NVM_DIR/nvm.sh" ] && \\. "$NVM_DIR/nvm.sh"
`,
    );
    await writeFile(
        path.join(home, ".profile"),
        `# Debian's skeleton: bash login shells read ~/.bashrc through this
if [ -n "$BASH_VERSION" ] && [ -f "$HOME/.bashrc" ]; then
    . "$HOME/.bashrc"
fi
if [ -d "$HOME/bin" ]; then PATH="$HOME/bin:$PATH"; fi
`,
    );
}
