"""Integration tests: ansible-playbook against the local test clouds, asserted with boto3 (AWS) and
plain ARM reads (Azure).

* ``run_playbook`` (AWS test cloud only) and ``run_playbook_multicloud`` (AWS and the ARM double: the
  playbook gets both environments; ``PlaybookRun.requests`` holds the AWS counts and
  ``PlaybookRun.azure_requests`` the ARM double's);
* ``aws('ec2', region)``: boto3 clients; ``arm.get(path)`` / ``arm.list(path)``: ARM reads on the double
  (``arm.rg_path(name)``, ``arm.resource_path(rg, 'Microsoft.Network/virtualNetworks', name)``).
"""

import json
import os
import resource
import subprocess
import sys
import time
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
    azure_requests: dict = field(default_factory=dict)
    seconds: float = 0.0  # wall time of the run
    cpu_seconds: float = 0.0  # CPU time of ansible-playbook and the module processes it waited for (load-independent)

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
        azure = f" azure_requests={self.azure_requests.get('total')}" if self.azure_requests else ""
        return f"rc={self.rc} requests={self.requests.get('total')}{azure}\n{self.failures()}"

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


def children_cpu_seconds():
    """User + system CPU seconds of this process's finished children (and theirs, when they waited for them)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def playbook_runner(aws_cloud, azure_cloud=None):
    """A function that runs a collection playbook by FQCN against the given test clouds."""

    def _run(playbook, *inventories, args=(), extra_vars=None, env=None):
        cmd = [os.path.join(BIN, "ansible-playbook")]
        for inv in inventories:
            cmd += ["-i", inv if os.path.isabs(inv) else os.path.join(ROOT, "inventories", inv)]
        if extra_vars:
            cmd += ["-e", json.dumps(extra_vars)]
        cmd += [*args, playbook]
        cloud_env = aws_cloud.env()
        aws_cloud.reset_stats()
        if azure_cloud is not None:
            cloud_env = azure_cloud.env(cloud_env)
            azure_cloud.reset_stats()
        started, cpu_before = time.monotonic(), children_cpu_seconds()
        proc = subprocess.run(cmd, cwd=ROOT, env=ansible_env(cloud_env, env), capture_output=True, text=True,
                              check=False)
        seconds, cpu_seconds = time.monotonic() - started, children_cpu_seconds() - cpu_before
        try:
            result = json.loads(proc.stdout)
        except json.JSONDecodeError:
            result = {}
        azure_requests = azure_cloud.stats() if azure_cloud is not None else {}
        return PlaybookRun(proc.returncode, proc.stdout + proc.stderr, result, aws_cloud.stats(), azure_requests,
                           seconds, cpu_seconds)

    return _run


@pytest.fixture
def run_playbook(aws_cloud):
    """Run a collection playbook by FQCN; returns a PlaybookRun with the JSON result and the request counts."""
    return playbook_runner(aws_cloud)


@pytest.fixture
def run_playbook_multicloud(aws_cloud, azure_cloud):
    """Like ``run_playbook`` with both test clouds: ``run.requests`` (AWS) and ``run.azure_requests`` (ARM)."""
    return playbook_runner(aws_cloud, azure_cloud)


class ArmReader:
    """Plain ARM calls on the double, for assertions: ``get(path)`` -> dict or None (404), ``list(path)``,
    and ``put(path, body)`` to set up foreign resources."""

    def __init__(self, cloud):
        from testcloud.azure_arm import SUBSCRIPTION_ID  # noqa: PLC0415

        self.cloud = cloud
        self.subscription = f"/subscriptions/{SUBSCRIPTION_ID}"

    def rg_path(self, name):
        return f"{self.subscription}/resourceGroups/{name}"

    def resource_path(self, resource_group, resource_type, name):
        return f"{self.rg_path(resource_group)}/providers/{resource_type}/{name}"

    def _request(self, path, api_version):
        import requests  # noqa: PLC0415

        url = f"{self.cloud.endpoint}{path}"
        separator = "&" if "?" in url else "?"
        response = requests.get(f"{url}{separator}api-version={api_version}", headers={"Authorization": "Bearer test"},
                                verify=self.cloud.ca_file, timeout=10, proxies={"http": None, "https": None})
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()

    def get(self, path, api_version="2023-09-01"):
        """The resource at ``path``, or None when ARM answers 404 (not counted in a run's requests:
        read it after the run)."""
        return self._request(path, api_version)

    def put(self, path, body, api_version="2023-09-01"):
        """Create a resource directly (e.g. a foreign one the collection must leave alone)."""
        import requests  # noqa: PLC0415

        response = requests.put(f"{self.cloud.endpoint}{path}?api-version={api_version}", json=body,
                                headers={"Authorization": "Bearer test"}, verify=self.cloud.ca_file, timeout=10,
                                proxies={"http": None, "https": None})
        response.raise_for_status()
        return response.json()

    def list(self, path, api_version="2023-09-01"):
        """The ``value`` of a list answer ([] when the parent does not exist)."""
        answer = self._request(path, api_version)
        return [] if answer is None else answer.get("value", [])


@pytest.fixture
def arm(azure_cloud):
    """ARM reads on the (reset) ARM double of this test."""
    return ArmReader(azure_cloud)


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
