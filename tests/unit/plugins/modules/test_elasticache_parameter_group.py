"""Unit tests for strata.platform.elasticache_parameter_group, driven like Ansible drives a module.

moto 5.2.5 has no cache parameter group API: the test cloud's fidelity patch
(testcloud/aws_patches/elasticache_cache_parameter_groups.py) adds it to the in-process moto here.
"""

import functools

import boto3
import pytest

from ansible_collections.strata.platform.plugins.modules import elasticache_parameter_group as module
from _harness import REGION
from _harness import run as run_module
from _harness import run_failing as run_failing_module
from testcloud.aws_patches import load

run = functools.partial(run_module, module)
run_failing = functools.partial(run_failing_module, module)

NAME = "fsm-dev-redis7"


@pytest.fixture(scope="module", autouse=True)
def fidelity_patches():
    load("elasticache_cache_parameter_groups").apply()


@pytest.fixture
def client(api_calls):
    return boto3.client("elasticache", region_name=REGION)


def args(**extra):
    base = dict(
        name=NAME,
        family="redis7",
        description="fsm dev Redis 7",
        parameters={"maxmemory-policy": "allkeys-lru"},
        purge_parameters=True,
        tags={"layer": "cache"},
    )
    base.update(extra)
    return base


def user_values(client):
    found = client.describe_cache_parameters(CacheParameterGroupName=NAME, Source="user")["Parameters"]
    return {p["ParameterName"]: p["ParameterValue"] for p in found}


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_create(client, api_calls, check_mode):
    api_calls.reset()
    result = run(args(), check_mode=check_mode)

    assert result["changed"] is True
    group = result["cache_parameter_group"]
    assert set(group) == set(module.PARAMETER_GROUP_KEYS)
    assert group["family"] == "redis7"
    assert group["parameters"] == {"maxmemory-policy": "allkeys-lru"}
    assert group["tags"] == {"layer": "cache"}
    assert result["diff"] == {"before": {}, "after": group}
    if check_mode:
        assert api_calls.mutating == []
        assert NAME not in [g["CacheParameterGroupName"] for g in client.describe_cache_parameter_groups()["CacheParameterGroups"]]
    else:
        assert api_calls.mutating == ["CreateCacheParameterGroup", "ModifyCacheParameterGroup"]
        assert group["arn"].endswith(f":parametergroup:{NAME}")
        assert user_values(client) == {"maxmemory-policy": "allkeys-lru"}


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_rerun_is_unchanged(client, api_calls, check_mode):
    created = run(args())["cache_parameter_group"]
    api_calls.reset()

    result = run(args(), check_mode=check_mode)

    assert result["changed"] is False
    assert result["cache_parameter_group"] == created
    assert result["diff"]["before"] == result["diff"]["after"] == created
    assert api_calls.mutating == []


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_change_parameters_purge_and_tags(client, api_calls, check_mode):
    run(args(parameters={"maxmemory-policy": "allkeys-lru", "timeout": 300}, tags={"layer": "cache", "old": "x"}))
    before = run(args(parameters=None, purge_parameters=False, tags=None), check_mode=True)["cache_parameter_group"]
    api_calls.reset()

    result = run(args(parameters={"maxmemory-policy": "volatile-lfu", "activedefrag": True}), check_mode=check_mode)

    assert result["changed"] is True
    assert result["cache_parameter_group"]["parameters"] == {"maxmemory-policy": "volatile-lfu", "activedefrag": "yes"}
    assert result["cache_parameter_group"]["tags"] == {"layer": "cache"}
    assert result["diff"]["before"] == before
    if check_mode:
        assert api_calls.mutating == []
    else:
        assert sorted(api_calls.mutating) == [
            "ModifyCacheParameterGroup", "RemoveTagsFromResource", "ResetCacheParameterGroup"
        ]
        assert user_values(client) == {"maxmemory-policy": "volatile-lfu", "activedefrag": "yes"}
        assert run(args(parameters={"maxmemory-policy": "volatile-lfu", "activedefrag": True}))["changed"] is False


def test_without_purge_other_parameters_stay(client, api_calls):
    run(args(parameters={"maxmemory-policy": "allkeys-lru", "timeout": 300}))
    api_calls.reset()
    result = run(args(parameters={"maxmemory-policy": "allkeys-lru"}, purge_parameters=False))
    assert result["changed"] is False
    assert api_calls.mutating == []
    assert user_values(client) == {"maxmemory-policy": "allkeys-lru", "timeout": "300"}


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
@pytest.mark.parametrize(
    "parameters, message",
    [
        ({"maxmemory-policy": "most-recent"}, "maxmemory-policy='most-recent' is not allowed"),
        ({"no-such-thing": "1"}, "no-such-thing is not a parameter of this family"),
        ({"timeout": 5}, "timeout='5' is not allowed"),
        ({"lua-time-limit": 9000}, "lua-time-limit cannot be modified"),
    ],
    ids=["choice", "unknown", "range", "read-only"],
)
@pytest.mark.parametrize("exists", [False, True], ids=["new", "existing"])
def test_bad_parameters_fail_before_any_change(client, api_calls, check_mode, parameters, message, exists):
    if exists:
        run(args())
    api_calls.reset()

    result = run_failing(args(parameters=parameters), check_mode=check_mode)

    assert f"Failed to update cache parameter group {NAME}" in result["msg"]
    assert message in result["msg"]
    assert api_calls.mutating == []


def test_family_cannot_change(client, api_calls):
    run(args())
    api_calls.reset()
    result = run_failing(args(family="valkey8"))
    assert "its family is 'redis7', asked 'valkey8'" in result["msg"]
    assert api_calls.mutating == []


def test_description_cannot_change_warns(client, api_calls):
    run(args())
    api_calls.reset()
    result = run(args(description="other"))
    assert result["changed"] is False
    assert any("description cannot be changed" in w for w in result.get("warnings", []))
    assert api_calls.mutating == []


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_absent(client, api_calls, check_mode):
    created = run(args())["cache_parameter_group"]
    api_calls.reset()

    result = run(dict(name=NAME, state="absent"), check_mode=check_mode)

    assert result["changed"] is True
    assert result["diff"] == {"before": created, "after": {}}
    names = [g["CacheParameterGroupName"] for g in client.describe_cache_parameter_groups()["CacheParameterGroups"]]
    if check_mode:
        assert api_calls.mutating == [] and NAME in names
    else:
        assert api_calls.mutating == ["DeleteCacheParameterGroup"] and NAME not in names
        api_calls.reset()
        assert run(dict(name=NAME, state="absent"))["changed"] is False
        assert api_calls.mutating == []


@pytest.mark.parametrize(
    "bad, message",
    [
        (dict(name="Fsm_Redis"), "name 'Fsm_Redis' is invalid"),
        (dict(name=NAME, parameters={"timeout": None}), "parameters.timeout must be a string, number or boolean"),
        (dict(name=NAME, parameters={"timeout": [1]}), "parameters.timeout must be a string, number or boolean"),
    ],
    ids=["name", "null-value", "list-value"],
)
def test_bad_input_fails_before_any_call(client, api_calls, bad, message):
    api_calls.reset()
    assert message in run_failing(bad)["msg"]
    assert list(api_calls) == []


def test_create_needs_family(client, api_calls):
    result = run_failing(dict(name=NAME))
    assert "family is required to create cache parameter group" in result["msg"]
    assert api_calls.mutating == []
