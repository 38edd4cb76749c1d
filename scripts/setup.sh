#!/usr/bin/env bash
# Set up escalsim for development: find Python >= 3.12, create .venv, install the exact pins of
# requirements/dev.lock (hash-checked), then escalsim itself in editable mode.
#
# Idempotent: when the lock, pyproject.toml and the interpreter are unchanged since the last
# successful run, it does nothing. Usage: scripts/setup.sh [--force]
#
# Python is looked for in this order: $PYTHON, python3.13, python3.12, python3, then pyenv's
# installed versions ($PYENV_ROOT/versions/3.*). The first that is >= 3.12 is used.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
venv="$root/.venv"
lock="$root/requirements/dev.lock"
stamp="$venv/.escalsim-setup"
force=0
[ "${1:-}" = "--force" ] && force=1

say() { printf 'setup: %s\n' "$*" >&2; }

is_ok_python() {
  # True when "$1" runs and is CPython >= 3.12.
  "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}

find_python() {
  local c
  for c in "${PYTHON:-}" python3.13 python3.12 python3; do
    [ -n "$c" ] || continue
    if command -v "$c" >/dev/null 2>&1 && is_ok_python "$c"; then
      command -v "$c"
      return 0
    fi
  done
  local pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
  if [ -d "$pyenv_root/versions" ]; then
    # Newest first: 3.13.x before 3.12.x.
    for c in $(ls -1d "$pyenv_root"/versions/3.* 2>/dev/null | sort -rV); do
      if [ -x "$c/bin/python3" ] && is_ok_python "$c/bin/python3"; then
        echo "$c/bin/python3"
        return 0
      fi
    done
  fi
  return 1
}

if [ -x "$venv/bin/python" ] && is_ok_python "$venv/bin/python"; then
  py_for_key="$venv/bin/python"
else
  if ! py_for_key=$(find_python); then
    echo "setup: no Python 3.12 or newer was found (tried \$PYTHON, python3.13, python3.12, python3 and pyenv's versions); install one, or point PYTHON at it, and run scripts/setup.sh again." >&2
    exit 1
  fi
fi

key=$( { cat "$lock" pyproject.toml; "$py_for_key" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)
if [ "$force" = 0 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ] && "$venv/bin/escalsim" --version >/dev/null 2>&1; then
  say ".venv is up to date (nothing to do)"
  exit 0
fi

if [ ! -x "$venv/bin/python" ] || ! is_ok_python "$venv/bin/python"; then
  say "creating .venv with $("$py_for_key" -c 'import sys; print(sys.executable, sys.version.split()[0])')"
  rm -rf "$venv"
  "$py_for_key" -m venv "$venv"
fi

say "installing the pinned dependencies from requirements/dev.lock"
# --require-hashes: every wheel is checked against the lock; --no-deps: the lock is complete.
# PIP_CONFIG_FILE=/dev/null: a machine-wide pip config (constraints, extra indexes) cannot veto or
# replace an exact pin; the lock alone decides.
PIP_CONFIG_FILE=/dev/null "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  --require-hashes --no-deps -r "$lock"
say "installing escalsim (editable)"
PIP_CONFIG_FILE=/dev/null "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  --no-deps --no-build-isolation --editable .

"$venv/bin/escalsim" --version >/dev/null
echo "$key" >"$stamp"
say "done: $("$venv/bin/escalsim" --version | head -1)"
