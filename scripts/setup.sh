#!/usr/bin/env bash
# Set up escalsim for development: find Python >= 3.12, create .venv, install the exact pins of
# requirements/dev.lock (hash-checked), then escalsim itself in editable mode.
#
# Idempotent: when the lock, pyproject.toml and the interpreter are unchanged since the last
# successful run, it does nothing. Usage: scripts/setup.sh [--force] [--browser]
#
# --browser also makes sure Debian's Chromium is installed (apt-get install chromium, as root or
# with sudo), which the browser tests of the teaching app drive with Playwright. No browser is
# ever downloaded by Playwright itself. ESCALSIM_CHROMIUM can point at another Chromium binary.
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
browser=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    --browser) browser=1 ;;
    *) echo "setup: unknown option '$arg'; expected --force or --browser" >&2; exit 2 ;;
  esac
done

say() { printf 'setup: %s\n' "$*" >&2; }

ensure_browser() {
  # Debian's Chromium for the browser tests; never a browser download.
  [ "$browser" = 1 ] || return 0
  local chromium="${ESCALSIM_CHROMIUM:-}"
  if [ -n "$chromium" ] && [ -x "$chromium" ]; then return 0; fi
  if command -v chromium >/dev/null 2>&1; then return 0; fi
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo="sudo -n"
    else
      echo "setup: the browser tests need Chromium: run 'sudo apt-get install chromium' (Debian/Ubuntu) or set ESCALSIM_CHROMIUM to a Chromium binary, then run scripts/setup.sh --browser again." >&2
      exit 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: no apt-get here: install Chromium with your package manager, or set ESCALSIM_CHROMIUM to its binary." >&2
    exit 1
  fi
  say "installing Debian's chromium for the browser tests (apt-get)"
  if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium >/dev/null; then
    DEBIAN_FRONTEND=noninteractive $sudo apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium >/dev/null
  fi
  say "chromium: $(chromium --version 2>/dev/null | head -1)"
}

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
  ensure_browser
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
ensure_browser
say "done: $("$venv/bin/escalsim" --version | head -1)"
