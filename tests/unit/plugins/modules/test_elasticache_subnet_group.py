"""Unit tests for strata.platform.elasticache_subnet_group, driven like Ansible drives a module.

moto (``mock_aws``) serves ElastiCache in-process, with the test cloud's fidelity patches that add what moto
5.2.5 lacks here (DeleteCacheSubnetGroup, ModifyCacheSubnetGroup, subnet zones by name).
"""

import functools

import boto3
import pytest

from ansible_collections.strata.platform.plugins.modules import elasticache_subnet_group as module
from _harness import REGION
from _harness import make_subnet
from _harness import make_vpc
from _harness import run as run_module
from _harness import run_failing as run_failing_module
from testcloud.aws_patches import load

run = functools.partial(run_module, module)
run_failing = functools.partial(run_failing_module, module)

NAME = "fsm-dev-cache"


@pytest.fixture(scope="module", autouse=True)
def fidelity_patches():
    for patch in ("elasticache_delete_cache_subnet_group", "elasticache_modify_cache_subnet_group"):
        load(patch).apply()


@pytest.fixture
def subnets(aws):
    vpc_id, _igw = make_vpc(aws, "10.62.0.0/16", with_igw=False)
    return [make_subnet(aws, vpc_id, f"10.62.{n}.0/24", az=f"us-east-1{zone}") for n, zone in enumerate("abc")]


@pytest.fixture
def client(api_calls):
    return boto3.client("elasticache", region_name=REGION)


def args(subnets, **extra):
    base = dict(name=NAME, description="fsm dev cache", subnet_ids=subnets[:2], tags={"layer": "cache"})
    base.update(extra)
    return base


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_create(client, api_calls, subnets, check_mode):
    api_calls.reset()
    result = run(args(subnets), check_mode=check_mode)

    assert result["changed"] is True
    group = result["cache_subnet_group"]
    assert set(group) == set(module.SUBNET_GROUP_KEYS)
    assert group["name"] == NAME
    assert group["subnet_ids"] == sorted(subnets[:2])
    assert group["tags"] == {"layer": "cache"}
    assert result["diff"] == {"before": {}, "after": group}
    if check_mode:
        assert api_calls.mutating == []
        assert client.describe_cache_subnet_groups()["CacheSubnetGroups"] == []
    else:
        assert api_calls.mutating == ["CreateCacheSubnetGroup"]
        assert group["arn"].endswith(f":subnetgroup:{NAME}")
        assert group["vpc_id"].startswith("vpc-")
        assert group["availability_zones"] == ["us-east-1a", "us-east-1b"]


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_rerun_is_unchanged(client, api_calls, subnets, check_mode):
    created = run(args(subnets))["cache_subnet_group"]
    api_calls.reset()

    result = run(args(list(reversed(subnets[:2]))), check_mode=check_mode)

    assert result["changed"] is False
    assert result["cache_subnet_group"] == created
    assert api_calls.mutating == []


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_change_in_place(client, api_calls, subnets, check_mode):
    original = run(args(subnets, tags={"layer": "cache", "old": "x"}))["cache_subnet_group"]
    api_calls.reset()

    result = run(args(subnets, subnet_ids=subnets, description="three zones", tags={"layer": "cache"}), check_mode=check_mode)

    assert result["changed"] is True
    group = result["cache_subnet_group"]
    assert group["subnet_ids"] == sorted(subnets)
    assert group["description"] == "three zones"
    assert group["tags"] == {"layer": "cache"}
    assert result["diff"]["before"] == original
    if check_mode:
        assert api_calls.mutating == []
    else:
        assert sorted(api_calls.mutating) == ["ModifyCacheSubnetGroup", "RemoveTagsFromResource"]
        assert group["availability_zones"] == ["us-east-1a", "us-east-1b", "us-east-1c"]
        api_calls.reset()
        assert run(args(subnets, subnet_ids=subnets, description="three zones", tags={"layer": "cache"}))["changed"] is False
        assert api_calls.mutating == []
    # nothing but the name: nothing managed
    assert run(dict(name=NAME), check_mode=True)["changed"] is False


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_absent(client, api_calls, subnets, check_mode):
    created = run(args(subnets))["cache_subnet_group"]
    api_calls.reset()

    result = run(dict(name=NAME, state="absent"), check_mode=check_mode)

    assert result["changed"] is True
    assert result["cache_subnet_group"] is None
    assert result["diff"] == {"before": created, "after": {}}
    left = client.describe_cache_subnet_groups()["CacheSubnetGroups"]
    if check_mode:
        assert api_calls.mutating == [] and len(left) == 1
    else:
        assert api_calls.mutating == ["DeleteCacheSubnetGroup"] and left == []
        api_calls.reset()
        assert run(dict(name=NAME, state="absent"))["changed"] is False
        assert api_calls.mutating == []


@pytest.mark.parametrize(
    "bad, message",
    [
        (dict(name="Fsm_Dev"), "name 'Fsm_Dev' is invalid"),
        (dict(name=NAME, subnet_ids=[]), "subnet_ids must list at least one subnet"),
        (dict(name=NAME, subnet_ids=["sg-0123"]), "subnet_ids has values that are not subnet ids: sg-0123"),
    ],
    ids=["name", "empty", "not-subnets"],
)
def test_bad_input_fails_before_any_call(client, api_calls, bad, message):
    api_calls.reset()
    assert message in run_failing(bad)["msg"]
    assert list(api_calls) == []


def test_create_needs_subnets(client, api_calls):
    result = run_failing(dict(name=NAME))
    assert "subnet_ids is required to create cache subnet group fsm-dev-cache" in result["msg"]
    assert api_calls.mutating == []
