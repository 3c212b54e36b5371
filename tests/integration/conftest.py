"""Integration tests: ansible-playbook against the local AWS test cloud, asserted with boto3."""

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field

import boto3
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


@dataclass(repr=False)
class PlaybookRun:
    rc: int
    output: str
    result: dict = field(default_factory=dict)
    requests: dict = field(default_factory=dict)

    @property
    def stats(self):
        return self.result.get("stats", {})

    def changed(self, host=None):
        hosts = [host] if host else list(self.stats)
        return sum(self.stats[h].get("changed", 0) for h in hosts)

    def failed_hosts(self):
        return sorted(h for h, s in self.stats.items() if s.get("failures") or s.get("unreachable"))

    def failures(self):
        """Short text of every failed task: host, task name and message (for assertion messages)."""
        lines = []
        for play in self.result.get("plays", []):
            for task in play.get("tasks", []):
                for host, res in task["hosts"].items():
                    if res.get("failed") or res.get("unreachable"):
                        lines.append(f"{host} | {task['task']['name']} | {res.get('msg', res)}")
        return "\n".join(lines) or self.output[-3000:]

    def __repr__(self):
        return str(self)

    def __str__(self):
        return f"rc={self.rc} requests={self.requests.get('total')}\n{self.failures()}"

    def task_results(self, name_part):
        """Every host result of the tasks whose name contains name_part."""
        found = []
        for play in self.result.get("plays", []):
            for task in play.get("tasks", []):
                if name_part in task["task"]["name"]:
                    found.extend(task["hosts"].items())
        return found


def ansible_env(cloud_env, extra=None):
    """cloud_env is the test cloud's full environment (AwsTestCloud.env(): os.environ without profiles)."""
    env = dict(cloud_env)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(ROOT, "build"),
        "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_DEPRECATION_WARNINGS": "false",
        "ANSIBLE_LOCAL_TEMP": os.path.join(ROOT, "build", "tmp"),
    })
    env.update(extra or {})
    return env


@pytest.fixture
def run_playbook(aws_cloud):
    """Run a collection playbook by FQCN; returns a PlaybookRun with the JSON result and the request counts."""

    def _run(playbook, *inventories, args=(), extra_vars=None, env=None):
        cmd = [os.path.join(BIN, "ansible-playbook")]
        for inv in inventories:
            cmd += ["-i", inv if os.path.isabs(inv) else os.path.join(ROOT, "inventories", inv)]
        if extra_vars:
            cmd += ["-e", json.dumps(extra_vars)]
        cmd += [*args, playbook]
        aws_cloud.reset_stats()
        proc = subprocess.run(cmd, cwd=ROOT, env=ansible_env(aws_cloud.env(), env), capture_output=True, text=True,
                              check=False)
        try:
            result = json.loads(proc.stdout)
        except json.JSONDecodeError:
            result = {}
        return PlaybookRun(proc.returncode, proc.stdout + proc.stderr, result, aws_cloud.stats())

    return _run


@pytest.fixture
def aws(aws_cloud):
    """boto3 clients against the test cloud: aws('ec2', 'us-east-1')."""
    env = aws_cloud.env()

    def _client(service, region="us-east-1"):
        return boto3.client(
            service, region_name=region, endpoint_url=aws_cloud.endpoint,
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )

    return _client
