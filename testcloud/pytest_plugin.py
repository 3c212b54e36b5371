"""pytest fixtures for the local AWS and Azure test clouds (loaded by tests/conftest.py's ``pytest_plugins``).

* ``aws_testcloud`` (session): one server for the whole session, stopped by pid at the end.
* ``aws_cloud`` (function): the same server with moto's state and the call counters reset
  before the test.
* ``aws_cloud_env`` (function): ``aws_cloud`` with this process's environment pointed at it
  (restored after the test), for code that builds boto3 clients from the environment.
* ``azure_testcloud`` / ``azure_cloud`` / ``azure_cloud_env``: the same for the ARM test double.
"""

import pytest

from testcloud.aws import AwsTestCloud
from testcloud.azure import AzureTestCloud


@pytest.fixture(scope="session")
def aws_testcloud(tmp_path_factory):
    """One AWS test cloud for the session; its log is in the session's temporary directory."""
    log_path = tmp_path_factory.mktemp("testcloud") / "aws.log"
    cloud = AwsTestCloud(log_path=log_path)
    cloud.start()
    try:
        yield cloud
    finally:
        cloud.stop()


@pytest.fixture
def aws_cloud(aws_testcloud):
    """The session's AWS test cloud, emptied (moto reset) and with zeroed counters."""
    aws_testcloud.reset()
    return aws_testcloud


@pytest.fixture
def aws_cloud_env(aws_cloud, monkeypatch):
    """``aws_cloud`` with os.environ pointed at it for the duration of the test."""
    for key in aws_cloud.unset_vars():
        monkeypatch.delenv(key, raising=False)
    for key, value in aws_cloud.exports().items():
        monkeypatch.setenv(key, value)
    return aws_cloud


@pytest.fixture(scope="session")
def azure_testcloud(tmp_path_factory):
    """One Azure test cloud (the ARM double) for the session, stopped by pid at the end."""
    log_path = tmp_path_factory.mktemp("testcloud-azure") / "azure.log"
    cloud = AzureTestCloud(log_path=log_path)
    cloud.start()
    try:
        yield cloud
    finally:
        cloud.stop()


@pytest.fixture
def azure_cloud(azure_testcloud):
    """The session's Azure test cloud, emptied and with zeroed counters and creation times."""
    azure_testcloud.reset()
    return azure_testcloud


@pytest.fixture
def azure_cloud_env(azure_cloud, monkeypatch):
    """``azure_cloud`` with os.environ pointed at it for the duration of the test."""
    for key in azure_cloud.unset_vars():
        monkeypatch.delenv(key, raising=False)
    for key, value in azure_cloud.exports().items():
        monkeypatch.setenv(key, value)
    return azure_cloud
