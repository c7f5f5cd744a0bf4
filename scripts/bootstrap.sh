#!/usr/bin/env bash
# Create .venv with a working Python >= 3.12 and install clusteropt into it (editable, with dev extras).
# Usage: scripts/bootstrap.sh   (idempotent; re-installs only when pyproject.toml changed)
set -euo pipefail
cd "$(dirname "$0")/.."

good_python() {
  "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}

find_python() {
  local pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
  local cand
  for cand in python3.13 python3.12 python3 "$pyenv_root"/versions/3.1[2-9]*/bin/python3; do
    if command -v "$cand" >/dev/null 2>&1 || [ -x "$cand" ]; then
      if "$cand" --version >/dev/null 2>&1 && good_python "$cand"; then
        echo "$cand"
        return 0
      fi
    fi
  done
  return 1
}

if [ ! -x .venv/bin/python ] || ! good_python .venv/bin/python; then
  if ! py=$(find_python); then
    echo "clusteropt needs Python >= 3.12 (PuLP 4 requires it)." >&2
    echo "Tried: python3.13, python3.12, python3, \$PYENV_ROOT/versions/3.1[2-9]*/bin/python3." >&2
    echo "Install Python 3.12 or newer and run this command again." >&2
    exit 1
  fi
  echo "Using $("$py" --version 2>&1) at $py"
  rm -rf .venv
  "$py" -m venv .venv
fi

stamp=.venv/.clusteropt-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[dev]'
  touch "$stamp"
fi
