# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Harness shared by the module unit tests (fixtures in conftest.py; import this module by its own name).

The modules run in-process, the way Ansible drives them (module args patched, exit_json/fail_json
raising, see the ``capture_exits`` fixture), against moto's in-process ``mock_aws``; no network.
"""

from unittest import mock

import pytest
from ansible.module_utils import basic

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
    "Authorize",
    "Revoke",
    "Update",
    "Attach",
    "Detach",
    "Put",
    "Enable",
    "Disable",
    "Schedule",
    "Cancel",
    "Tag",
    "Untag",
    "Add",
    "Remove",
    "Increase",
    "Decrease",
    "Reboot",
    "Reset",
    "Restore",
    "Test",
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


def _run(module, args, check_mode, diff, outcome):
    module_args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    with patch_module_args(module_args):
        with pytest.raises(outcome) as exc:
            module.main()
    return exc.value.result


def run(module, args, check_mode=False, diff=True):
    """Run ``module.main()`` with Ansible's module args ``args``; return the exit_json result."""
    return _run(module, args, check_mode, diff, ModuleExit)


def run_failing(module, args, check_mode=False, diff=True):
    """Run ``module.main()``, which must fail; return the fail_json result."""
    return _run(module, args, check_mode, diff, ModuleFail)


class ApiCalls(list):
    """Names of the EC2 operations called (through any botocore client) since the last reset()."""

    def reset(self):
        del self[:]

    @property
    def mutating(self):
        return [name for name in self if name.startswith(MUTATING_PREFIXES)]


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
