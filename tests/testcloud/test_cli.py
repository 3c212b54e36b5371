"""``python -m testcloud``: run, start/stop with a state directory, stats."""

import json
import os
import subprocess
import sys

from testcloud._process import PACKAGE_PARENT, pid_alive

# The child of `run`: one EC2 read through the environment the CLI gave it, then a chosen exit code.
CHILD = """
import os, sys, boto3
assert "AWS_PROFILE" not in os.environ and os.environ["AWS_URL"] == os.environ["STRATA_TESTCLOUD_AWS"]
boto3.client("ec2").describe_vpcs()
sys.exit(int(sys.argv[1]))
"""


def run_cli(*args, env=None):
    """Run ``python -m testcloud ARGS`` from the checkout; the CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-m", "testcloud", *args],
        cwd=PACKAGE_PARENT,
        env=env,
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
    )


def test_run_propagates_the_exit_code_and_writes_stats(tmp_path):
    stats_file = tmp_path / "stats.json"
    env = dict(os.environ, AWS_PROFILE="somewhere-else")
    result = run_cli("run", "--stats-file", str(stats_file), "--", sys.executable, "-c", CHILD, "3", env=env)
    assert result.returncode == 3, result.stderr
    stats = json.loads(stats_file.read_text())
    assert stats["by_action"] == {"ec2:DescribeVpcs": 1}
    assert stats["read"] == 1


def test_run_reports_a_missing_command():
    result = run_cli("run", "--", "/nonexistent/command")
    assert result.returncode == 127
    assert "cannot run /nonexistent/command" in result.stderr


def test_start_stats_stop_with_a_state_dir(tmp_path):
    state_dir = tmp_path / "state"
    started = run_cli("start", "--state-dir", str(state_dir))
    assert started.returncode == 0, started.stderr
    state = json.loads((state_dir / "aws.json").read_text())
    try:
        assert pid_alive(state["pid"])  # outlived the CLI process
        env_sh = (state_dir / "env.sh").read_text()
        assert f"export STRATA_TESTCLOUD_AWS={state['endpoint']}" in env_sh
        assert f"export AWS_ENDPOINT_URL={state['endpoint']}" in started.stdout
        assert "unset " in env_sh and "AWS_PROFILE" in env_sh

        again = run_cli("start", "--state-dir", str(state_dir))
        assert again.returncode == 0 and "already running" in again.stderr
        assert json.loads((state_dir / "aws.json").read_text())["pid"] == state["pid"]

        stats = run_cli("stats", "--state-dir", str(state_dir))
        assert json.loads(stats.stdout)["total"] == 0
        from_env = run_cli("stats", env=dict(os.environ, STRATA_TESTCLOUD_AWS=state["endpoint"]))
        assert json.loads(from_env.stdout)["total"] == 0
    finally:
        stopped = run_cli("stop", "--state-dir", str(state_dir))
    assert stopped.returncode == 0, stopped.stderr
    assert not pid_alive(state["pid"])
    assert not (state_dir / "aws.json").exists() and not (state_dir / "env.sh").exists()
    assert run_cli("stop", "--state-dir", str(state_dir)).returncode == 0  # idempotent


def test_stats_without_a_cloud_fails_clearly(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "STRATA_TESTCLOUD_AWS"}
    result = run_cli("stats", env=env)
    assert result.returncode == 1
    assert "STRATA_TESTCLOUD_AWS is not set" in result.stderr
