# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fixtures shared by the module unit tests; the helpers they use live in _harness.py."""

import time
from unittest import mock

import boto3
import botocore.client
import botocore.loaders
import botocore.session
import pytest
from ansible.module_utils import basic
from moto import mock_aws

from _harness import REGION
from _harness import ApiCalls
from _harness import _exit_json
from _harness import _fail_json


@pytest.fixture(scope="module", autouse=True)
def shared_botocore_loader():
    """Every module run creates a boto3 client, re-reading the EC2 model (~0.35 s); share one loader."""
    loader = botocore.loaders.create_loader()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", lambda *args, **kwargs: loader)
        yield


@pytest.fixture(autouse=True)
def capture_exits(monkeypatch):
    """exit_json/fail_json raise ModuleExit/ModuleFail instead of printing and exiting."""
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", _exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", _fail_json)


@pytest.fixture
def aws(monkeypatch):
    """moto in-process, dummy credentials, no endpoint override (the test cloud's variables are removed)."""
    for name in ("AWS_ENDPOINT_URL", "AWS_URL", "EC2_URL", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    # The default AMI catalogue is not used here and costs ~0.5 s per test to load.
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    with mock_aws():
        yield boto3.client("ec2", region_name=REGION)


@pytest.fixture
def api_calls(aws):
    calls = ApiCalls()
    original = botocore.client.BaseClient._make_api_call

    def recording(self, operation_name, api_params):
        calls.append(operation_name)
        return original(self, operation_name, api_params)

    with mock.patch.object(botocore.client.BaseClient, "_make_api_call", recording):
        yield calls


@pytest.fixture
def no_sleep(monkeypatch):
    """Fail on any sleep: the modules must not sleep (moto answers waiters on their first poll)."""
    slept = []

    def fake_sleep(seconds):
        slept.append(seconds)
        raise AssertionError(f"time.sleep({seconds}) called")

    monkeypatch.setattr(time, "sleep", fake_sleep)
    return slept
