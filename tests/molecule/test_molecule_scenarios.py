"""Molecule scenarios end to end: `molecule test -s <scenario>` from the repository root.

Every scenario under molecule/ (except molecule/shared/, the create/destroy playbooks and test cloud
variables they share) runs once. Each starts and stops its own local AWS test cloud, so the test
needs nothing but the project's .venv. A failing step - an idempotence step that reports a change
included - makes molecule exit non-zero, and the test shows molecule's output.
"""

import os
import re
import signal
import subprocess
import sys
import time

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
MOLECULE_DIR = os.path.join(ROOT, "molecule")
# Every scenario directory with a molecule.yml; molecule/shared/ holds the playbooks they share.
SCENARIOS = sorted(
    name for name in os.listdir(MOLECULE_DIR)
    if name != "shared" and os.path.isfile(os.path.join(MOLECULE_DIR, name, "molecule.yml"))
)
TIMEOUT = 900  # seconds; a healthy AWS scenario takes under two minutes, the Azure one (27 module runs) about four
OUTPUT_TAIL = 12000  # characters of molecule's output in the failure message (all of it is printed)

# Variables that would send the AWS clients elsewhere or make them refuse the test cloud's keys
# (amazon.aws rejects a profile together with keys); the scenario passes endpoint and keys itself.
SCRUBBED = (
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_URL", "EC2_URL",
    "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "ANSIBLE_STDOUT_CALLBACK", "ANSIBLE_INVENTORY",
    # A play's `environment:` cannot unset these, and azure.azcollection prefers them to the ARM double's credentials.
    "AZURE_FEDERATED_TOKEN", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_PROFILE", "ANSIBLE_AZURE_AUTH_SOURCE",
)


def molecule_env():
    env = {
        key: value for key, value in os.environ.items()
        if key not in SCRUBBED and not key.startswith(("MOLECULE_", "AWS_ENDPOINT_URL"))
    }
    env.update({
        "PATH": os.pathsep.join([BIN, env.get("PATH", "")]),
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(ROOT, "build"),
        "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "NO_COLOR": "1",
        "PY_COLORS": "0",
    })
    return env


def run_molecule(*args, timeout=TIMEOUT):
    """Run molecule in its own process group; returns (returncode, output, seconds)."""
    start = time.monotonic()
    proc = subprocess.Popen(
        [os.path.join(BIN, "molecule"), *args], cwd=ROOT, env=molecule_env(),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )
    try:
        output = proc.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        output = proc.communicate()[0]
        output += f"\n[test] molecule {' '.join(args)} killed after {timeout} s"
        return None, output, time.monotonic() - start
    return proc.returncode, output, time.monotonic() - start


def failure_summary(output):
    """Molecule's error lines (which step failed and why), for the top of the failure message."""
    lines = [line for line in output.splitlines()
             if re.search(r"CRITICAL|ERROR|fatal:|FAILED!|Idempotence test failed|^\* \[", line)
             and "molecule/default/molecule.yml" not in line]  # molecule's probe for a shared default scenario
    return "\n".join(lines[-40:])


# Seconds of each scenario in CI (the others: the directory's default), for tests/conftest.py's scheduling.
COSTS = {"azure_network": 230, "kafka": 220, "database": 210, "cache": 195, "encryption": 130}


@pytest.mark.parametrize("scenario", [pytest.param(name, marks=pytest.mark.cost(COSTS.get(name, 100)))
                                      for name in SCENARIOS])
def test_molecule_scenario(scenario):
    rc, output, seconds = run_molecule("test", "-s", scenario)
    print(output)  # pytest shows it under "Captured stdout call" when the test fails
    if rc is None:
        # The test cloud runs detached: a killed molecule never reached its destroy step.
        _rc, cleanup, _s = run_molecule("destroy", "-s", scenario, timeout=120)
        print(cleanup)
    assert rc == 0, (
        f"molecule test -s {scenario} failed (exit {rc}) after {seconds:.0f} s\n"
        f"--- failing steps ---\n{failure_summary(output)}\n"
        f"--- last {OUTPUT_TAIL} characters of the output ---\n{output[-OUTPUT_TAIL:]}"
    )
    print(f"[test] molecule test -s {scenario}: {seconds:.0f} s")
