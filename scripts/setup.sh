#!/usr/bin/env bash
# Creates (or refreshes) the project's virtualenv in .venv with Python 3.12 and the pinned requirements,
# and exposes this checkout as the collection strata.platform under build/ansible_collections.
# Idempotent: a second run with unchanged requirements does nothing and takes well under a second.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

find_python() {
  local candidate
  for candidate in "${STRATA_PYTHON:-}" python3.12 \
      "$(command -v pyenv >/dev/null 2>&1 && pyenv root || echo "$HOME/.pyenv")/versions/3.12.1/bin/python" \
      "$HOME"/.pyenv/versions/3.12*/bin/python /usr/bin/python3.12 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys, venv; sys.exit(sys.version_info[:2] < (3, 12))' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  return 1
}

stamp_value=$(cat requirements.txt requirements-azure.txt requirements-test.txt | sha256sum | cut -d' ' -f1)
stamp=.venv/.requirements-stamp
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$stamp_value" ]; then
  python=$(find_python) || {
    echo "setup: Python >= 3.12 not found. Install it (pyenv install 3.12.1) or set STRATA_PYTHON=/path/to/python3.12" >&2
    exit 1
  }
  echo "setup: creating .venv with $python" >&2
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r requirements-test.txt
  echo "$stamp_value" > "$stamp"
fi

# The collection loader needs the checkout at .../ansible_collections/strata/platform.
mkdir -p build/ansible_collections/strata
ln -sfn ../../.. build/ansible_collections/strata/platform
