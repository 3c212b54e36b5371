"""pytest fixtures for the local AWS and Azure test clouds (loaded by tests/conftest.py's ``pytest_plugins``).

Per cloud (``aws``: moto; ``azure``: the ARM double), three fixtures made by :func:`cloud_fixtures`:

* ``<cloud>_testcloud`` (session): one server for the whole session, stopped by pid at the end; its log is in
  the session's temporary directory.
* ``<cloud>_cloud`` (function): the same server emptied (state, call counters and, on Azure, creation times
  reset) before the test.
* ``<cloud>_cloud_env`` (function): ``<cloud>_cloud`` with this process's environment pointed at it (restored
  after the test), for code that builds clients from the environment.
"""

import pytest

from testcloud.aws import AwsTestCloud
from testcloud.azure import AzureTestCloud


def cloud_fixtures(name, cloud_class):
    """The session, per-test and environment fixtures of one test cloud."""

    @pytest.fixture(scope="session", name=f"{name}_testcloud")
    def testcloud(tmp_path_factory):
        cloud = cloud_class(log_path=tmp_path_factory.mktemp(f"testcloud-{name}") / f"{name}.log")
        cloud.start()
        try:
            yield cloud
        finally:
            cloud.stop()

    @pytest.fixture(name=f"{name}_cloud")
    def cloud(request):
        session_cloud = request.getfixturevalue(f"{name}_testcloud")
        session_cloud.reset()
        return session_cloud

    @pytest.fixture(name=f"{name}_cloud_env")
    def cloud_env(request, monkeypatch):
        reset_cloud = request.getfixturevalue(f"{name}_cloud")
        for key in reset_cloud.unset_vars():
            monkeypatch.delenv(key, raising=False)
        for key, value in reset_cloud.exports().items():
            monkeypatch.setenv(key, value)
        return reset_cloud

    return testcloud, cloud, cloud_env


aws_testcloud, aws_cloud, aws_cloud_env = cloud_fixtures("aws", AwsTestCloud)
azure_testcloud, azure_cloud, azure_cloud_env = cloud_fixtures("azure", AzureTestCloud)
