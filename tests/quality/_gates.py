"""Helpers shared by the quality gates: run ansible-lint and ansible-test sanity the way CI does."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
SANITY_SCRIPT = ROOT / "scripts" / "sanity.sh"

# pip's complaints about the machine's own (empty) extra index, repeated for every package: noise in a report.
_NOISE = re.compile(r"^WARNING: Location 'file:///.*' is ignored: it is neither a file nor a directory\.$")


def _environment(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"  # the venv's ansible-*, as `make` would find them
    env["NO_COLOR"] = "1"
    env.pop("PIP_CONFIG_FILE", None)  # keep /etc/pip.conf and the user's pip.conf in force
    env.update(extra)
    return env


def _run(command: list[str], env: dict[str, str], timeout: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_ansible_lint(*paths: str | os.PathLike[str], timeout: int = 1800) -> subprocess.CompletedProcess[str]:
    """Run ansible-lint from the repository root with .ansible-lint, offline; on the whole project by default."""
    command = [str(VENV_BIN / "ansible-lint"), "--offline", "--nocolor", *map(str, paths)]
    env = _environment(ANSIBLE_COLLECTIONS_PATH=str(ROOT / "build"))
    return _run(command, env, timeout)


def run_sanity(*args: str, source: os.PathLike[str] | None = None, timeout: int = 3600) -> subprocess.CompletedProcess[str]:
    """Run scripts/sanity.sh (ansible-test sanity --venv) with the given ansible-test arguments.

    `source` tests another git work tree instead of the checkout.
    """
    extra = {"STRATA_SANITY_SOURCE": str(source)} if source is not None else {}
    return _run([str(SANITY_SCRIPT), *args], _environment(**extra), timeout)


def report(name: str, result: subprocess.CompletedProcess[str]) -> str:
    """What a failing gate shows: the command, its exit status and its output."""
    output = "\n".join(line for line in result.stdout.splitlines() if not _NOISE.match(line))
    return f"{name} exited {result.returncode}: {' '.join(result.args)}\n{output}"
