# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Helpers shared by the tests of ec2_vpc_subnets, ec2_vpc_nat_gateways and ec2_vpc_route_tables.

The modules run in-process, the way Ansible drives them (module args patched, exit_json/fail_json
raising), against moto's in-process ``mock_aws``; no network.
"""

import time
from unittest import mock

import boto3
import botocore.client
import botocore.loaders
import botocore.session
import pytest
from ansible.module_utils import basic
from moto import mock_aws

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    import contextlib
    import json

    @contextlib.contextmanager
    def patch_module_args(args=None):
        with mock.patch.object(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode()):
            yield


REGION = "us-east-1"
MATCH_TAGS = {"owner": "strata.platform", "environment": "prod", "layer": "network"}
MUTATING_PREFIXES = (
    "Create",
    "Delete",
    "Modify",
    "Allocate",
    "Release",
    "Associate",
    "Disassociate",
    "Replace",
)


class ModuleExit(Exception):
    def __init__(self, result):
        super().__init__(result)
        self.result = result


class ModuleFail(Exception):
    def __init__(self, result):
        super().__init__(result.get("msg"))
        self.result = result


def _exit_json(self, **kwargs):
    kwargs.setdefault("changed", False)
    raise ModuleExit(kwargs)


def _fail_json(self, msg=None, **kwargs):
    kwargs["msg"] = msg
    kwargs["failed"] = True
    raise ModuleFail(kwargs)


def run_module(main, args, check_mode=False, diff=True):
    """Run a module's main() with ``args``; return its result, raise ModuleFail on failure."""
    args = dict(args)
    args["_ansible_check_mode"] = check_mode
    args["_ansible_diff"] = diff
    with patch_module_args(args):
        with mock.patch.object(basic.AnsibleModule, "exit_json", _exit_json):
            with mock.patch.object(basic.AnsibleModule, "fail_json", _fail_json):
                try:
                    main()
                except ModuleExit as e:
                    return e.result
    raise AssertionError("the module neither exited nor failed")


def fail_module(main, args, check_mode=False):
    """Run a module that must fail; return the failure result."""
    with pytest.raises(ModuleFail) as excinfo:
        run_module(main, args, check_mode=check_mode)
    return excinfo.value.result


class ApiCalls(list):
    """Names of the EC2 operations called (through any botocore client) since the last reset()."""

    def reset(self):
        del self[:]

    @property
    def mutating(self):
        return [name for name in self if name.startswith(MUTATING_PREFIXES)]


@pytest.fixture(scope="module", autouse=True)
def shared_botocore_loader():
    """Every module run creates a boto3 client, re-reading the EC2 model (~0.35 s); share one loader."""
    loader = botocore.loaders.create_loader()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", lambda *args, **kwargs: loader)
        yield


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


def tag_list(tags):
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def tags_of(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags") or []}


def make_vpc(ec2, cidr="10.20.0.0/16", with_igw=True):
    vpc_id = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    igw_id = None
    if with_igw:
        igw_id = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    return vpc_id, igw_id


def make_subnet(ec2, vpc_id, cidr, az="us-east-1a", tags=None):
    params = dict(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=az)
    if tags:
        params["TagSpecifications"] = [{"ResourceType": "subnet", "Tags": tag_list(tags)}]
    return ec2.create_subnet(**params)["Subnet"]["SubnetId"]


def subnets_of(ec2, vpc_id):
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    return {s["CidrBlock"]: s for s in subnets}


def nats_of(ec2, vpc_id, states=("pending", "available")):
    nats = ec2.describe_nat_gateways(Filter=[{"Name": "vpc-id", "Values": [vpc_id]}])["NatGateways"]
    return [n for n in nats if n["State"] in states]


def eips(ec2):
    return {a["AllocationId"]: a for a in ec2.describe_addresses()["Addresses"]}


def route_tables_of(ec2, vpc_id):
    return ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
