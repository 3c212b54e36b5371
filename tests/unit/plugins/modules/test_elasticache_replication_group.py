"""Unit tests for strata.platform.elasticache_replication_group, driven like Ansible drives a module.

moto (``mock_aws``) serves DescribeReplicationGroups, Create/Modify/DeleteReplicationGroup and the tag calls,
with the test cloud's fidelity patches applied in this process (testcloud/aws_patches/elasticache_replication_group_*:
NumCacheClusters honoured, member clusters in DescribeCacheClusters reporting the full engine version (7.1 ->
7.1.0), ReaderEndpoint, ModifyReplicationGroup applying the member settings, Increase/DecreaseReplicaCount,
automatic failover refused without a replica and Multi-AZ without failover, DeleteReplicationGroup deleting and
keeping the final snapshot). The ``elasticache`` fixture records the calls and their parameters.
A few tests use botocore's Stubber for states moto cannot show (a group still creating).
"""

import functools
import json

import boto3
import botocore.client
import pytest
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.strata.platform.plugins.module_utils._aws import elasticache as utils
from ansible_collections.strata.platform.plugins.modules import elasticache_replication_group as module
from testcloud.aws_patches import load
from _harness import REGION
from _harness import ApiCalls
from _harness import run as run_module
from _harness import run_failing as run_failing_module

run = functools.partial(run_module, module)
run_failing = functools.partial(run_failing_module, module)

GROUP = "fsm-dev-redis"
SECRET = "fsm/dev/redis/auth-token"
TOKEN = "s3cr3t-Token-0123456789abcdef"
KMS = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666"


class Calls(ApiCalls):
    """Operation names (for ``.mutating``) plus each call's parameters."""

    def __init__(self):
        super().__init__()
        self.params = []

    def reset(self):
        super().reset()
        del self.params[:]

    def of(self, name):
        return [params for op, params in zip(self, self.params) if op == name]


@pytest.fixture(scope="module", autouse=True)
def fidelity_patches():
    """The test cloud's replication group patches, in this process (idempotent; they only make moto more like AWS)."""
    for name in (
        "elasticache_replication_group_members",
        "elasticache_replication_group_deleted",
        "elasticache_replication_group_final_snapshot",
    ):
        load(name).apply()


@pytest.fixture
def elasticache(aws):
    """Records the ElastiCache calls (names for ``.mutating``, parameters for ``.of``)."""
    calls = Calls()
    original = botocore.client.BaseClient._make_api_call

    def recording(self, operation_name, api_params):
        if self.meta.service_model.service_name == "elasticache":
            calls.append(operation_name)
            calls.params.append(dict(api_params))
        return original(self, operation_name, api_params)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
        yield calls


@pytest.fixture
def client(elasticache):
    return boto3.client("elasticache", region_name=REGION)


def base_args(**extra):
    args = dict(
        replication_group_id=GROUP,
        description="fsm dev cache",
        cache_node_type="cache.t4g.small",
        replicas_per_node_group=1,
        automatic_failover=True,
        multi_az=True,
        cache_subnet_group_name="fsm-dev-cache",
        security_group_ids=["sg-0123456789abcdef0"],
        at_rest_encryption=True,
        kms_key_id=KMS,
        transit_encryption=True,
        snapshot_retention_limit=7,
        snapshot_window="03:00-04:00",
        preferred_maintenance_window="sun:05:00-sun:06:00",
        tags={"Environment": "dev"},
    )
    args.update(extra)
    return args


def described(client):
    try:
        return client.describe_replication_groups(ReplicationGroupId=GROUP)["ReplicationGroups"][0]
    except client.exceptions.ReplicationGroupNotFoundFault:
        return None


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_create(client, elasticache, no_sleep, check_mode):
    result = run(base_args(), check_mode=check_mode)

    assert result["changed"] is True
    group = result["replication_group"]
    assert set(group) == set(module.REPLICATION_GROUP_KEYS)
    assert group["replication_group_id"] == GROUP
    assert group["cache_node_type"] == "cache.t4g.small"
    assert group["replicas_per_node_group"] == 1
    assert group["automatic_failover"] is True and group["multi_az"] is True
    assert group["at_rest_encryption"] is True and group["transit_encryption"] is True
    assert group["kms_key_id"] == KMS
    assert group["snapshot_retention_limit"] == 7
    assert group["port"] == 6379
    assert group["tags"] == {"Environment": "dev"}
    assert result["diff"] == {"before": {}, "after": group}
    if check_mode:
        assert described(client) is None
        assert elasticache.mutating == []
    else:
        assert elasticache.of("CreateReplicationGroup")[0]["NumCacheClusters"] == 2
        assert group["status"] == "available"
        assert len(group["member_clusters"]) == 2
        assert group["primary_endpoint"]["address"].startswith("master.")
        assert group["primary_endpoint"]["port"] == 6379
        assert group["reader_endpoint"]["address"].startswith("replica.")
        assert group["cache_subnet_group_name"] == "fsm-dev-cache"
        assert group["security_group_ids"] == ["sg-0123456789abcdef0"]
        assert described(client)["Status"] == "available"


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_rerun_is_unchanged(client, elasticache, no_sleep, check_mode):
    created = run(base_args())["replication_group"]
    elasticache.reset()

    result = run(base_args(), check_mode=check_mode)

    assert result["changed"] is False
    assert result["replication_group"] == created
    assert result["diff"]["before"] == result["diff"]["after"] == created
    assert elasticache.mutating == []


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
@pytest.mark.parametrize(
    "change",
    [
        {"cache_node_type": "cache.r6g.large"},
        {"snapshot_retention_limit": 30},
        {"snapshot_retention_limit": 0, "snapshot_window": "01:00-02:00"},
        {"preferred_maintenance_window": "mon:01:00-mon:02:00", "description": "new"},
        {"security_group_ids": ["sg-0aaaaaaaaaaaaaaaa", "sg-0bbbbbbbbbbbbbbbb"]},
    ],
    ids="+".join,
)
def test_modify_in_place(client, elasticache, no_sleep, check_mode, change):
    original = run(base_args())["replication_group"]
    elasticache.reset()

    result = run(base_args(**change), check_mode=check_mode)

    assert result["changed"] is True
    for key, value in change.items():
        assert result["replication_group"][key] == value
    assert result["replication_group"]["member_clusters"] == original["member_clusters"]
    assert result["diff"]["before"] == original
    assert result["diff"]["after"] == result["replication_group"]
    if check_mode:
        assert elasticache.mutating == []
        assert run(base_args())["changed"] is False
    else:
        assert elasticache.mutating == ["ModifyReplicationGroup"]
        request = elasticache.of("ModifyReplicationGroup")[0]
        assert request["ApplyImmediately"] is True
        assert set(request) - {"ReplicationGroupId", "ApplyImmediately"} == {module.MUTABLE[key] for key in change}
        assert run(base_args(**change))["changed"] is False


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_tags_in_place(client, elasticache, no_sleep, check_mode):
    run(base_args(tags={"Environment": "dev", "Old": "x"}))
    elasticache.reset()

    result = run(base_args(tags={"Environment": "dev", "New": "y"}), check_mode=check_mode)

    assert result["changed"] is True
    assert result["replication_group"]["tags"] == {"Environment": "dev", "New": "y"}
    if check_mode:
        assert elasticache.mutating == []
    else:
        assert sorted(elasticache.mutating) == ["AddTagsToResource", "RemoveTagsFromResource"]
        assert run(base_args(tags={"Environment": "dev", "New": "y"}))["changed"] is False
    # tags unset: not managed
    assert run(base_args(tags=None), check_mode=True)["changed"] is False


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
@pytest.mark.parametrize(
    "change",
    [
        {"at_rest_encryption": False, "kms_key_id": None},
        {"transit_encryption": False},
        {"kms_key_id": "arn:aws:kms:us-east-1:123456789012:key/ffffffff-1111-2222-3333-444455556666"},
        {"cache_subnet_group_name": "other"},
        {"port": 6380},
        {"num_node_groups": 2, "cache_node_type": "cache.r6g.large"},
    ],
    ids=lambda change: next(iter(change)),
)
def test_immutable_change_fails_before_any_change(client, elasticache, no_sleep, check_mode, change):
    run(base_args())
    elasticache.reset()

    result = run_failing(base_args(**change), check_mode=check_mode)

    attribute = next(iter(change))
    assert f"Failed to update replication group {GROUP}" in result["msg"]
    assert attribute in result["msg"]
    assert "does not replace a data store" in result["msg"]
    assert elasticache.mutating == []
    assert described(client)["CacheNodeType"] == "cache.t4g.small"


def test_kms_key_id_matches_the_end_of_the_arn(client, elasticache, no_sleep):
    run(base_args())
    assert run(base_args(kms_key_id="0a1b2c3d-1111-2222-3333-444455556666"))["changed"] is False


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_auth_token_never_returned(client, elasticache, no_sleep, check_mode):
    result = run(base_args(auth_token=TOKEN), check_mode=check_mode)

    assert result["changed"] is True
    assert result["replication_group"]["auth_token_enabled"] is True
    assert TOKEN not in json.dumps(result, default=str)
    if not check_mode:
        assert elasticache.of("CreateReplicationGroup")[0]["AuthToken"] == TOKEN
        # without a strategy the write-only token is not sent again (a change cannot be detected)
        elasticache.reset()
        again = run(base_args(auth_token=TOKEN + "x"))
        assert again["changed"] is False
        assert elasticache.mutating == []
        assert TOKEN not in json.dumps(again, default=str)


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_auth_token_rotation(client, elasticache, no_sleep, check_mode):
    run(base_args(auth_token=TOKEN))
    elasticache.reset()

    new_token = "n3w-Token-0123456789abcdef"
    result = run(base_args(auth_token=new_token, auth_token_update_strategy="ROTATE"), check_mode=check_mode)

    assert result["changed"] is True
    dumped = json.dumps(result, default=str)
    assert new_token not in dumped and TOKEN not in dumped
    if check_mode:
        assert elasticache.mutating == []
    else:
        request = elasticache.of("ModifyReplicationGroup")[0]
        assert request["AuthToken"] == new_token
        assert request["AuthTokenUpdateStrategy"] == "ROTATE"


# --- auth_token_secret_id: the module reads the token from Secrets Manager itself ---

@pytest.fixture
def token_secret(elasticache):
    """A secret holding TOKEN; returns its ARN."""
    return boto3.client("secretsmanager", region_name=REGION).create_secret(Name=SECRET, SecretString=TOKEN)["ARN"]


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_auth_token_from_secret(client, elasticache, api_calls, token_secret, no_sleep, check_mode):
    api_calls.reset()
    result = run(base_args(auth_token_secret_id=SECRET), check_mode=check_mode)

    assert result["changed"] is True
    assert result["replication_group"]["auth_token_enabled"] is True
    assert TOKEN not in json.dumps(result, default=str)
    if check_mode:
        # the plan needs no value (and the secret may itself be only planned)
        assert "GetSecretValue" not in api_calls
        assert elasticache.mutating == []
        assert described(client) is None
        return
    assert api_calls.count("GetSecretValue") == 1
    assert elasticache.of("CreateReplicationGroup")[0]["AuthToken"] == TOKEN
    assert described(client)["AuthTokenEnabled"] is True

    # a re-run neither reads the secret nor sends anything
    api_calls.reset()
    elasticache.reset()
    again = run(base_args(auth_token_secret_id=token_secret))
    assert again["changed"] is False
    assert "GetSecretValue" not in api_calls
    assert elasticache.mutating == []


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_auth_token_rotation_from_secret(client, elasticache, api_calls, token_secret, no_sleep, check_mode):
    run(base_args(auth_token_secret_id=SECRET))
    new_token = "n3w-Token-0123456789abcdef"
    boto3.client("secretsmanager", region_name=REGION).put_secret_value(SecretId=SECRET, SecretString=new_token)
    api_calls.reset()
    elasticache.reset()

    result = run(base_args(auth_token_secret_id=SECRET, auth_token_update_strategy="SET"), check_mode=check_mode)

    assert result["changed"] is True
    dumped = json.dumps(result, default=str)
    assert new_token not in dumped and TOKEN not in dumped
    if check_mode:
        assert "GetSecretValue" not in api_calls
        assert elasticache.mutating == []
    else:
        assert api_calls.count("GetSecretValue") == 1
        request = elasticache.of("ModifyReplicationGroup")[0]
        assert request["AuthToken"] == new_token
        assert request["AuthTokenUpdateStrategy"] == "SET"


def test_auth_token_secret_missing(client, elasticache, no_sleep):
    result = run_failing(base_args(auth_token_secret_id="fsm/dev/redis/nope"))

    assert "Failed to read the value of secret fsm/dev/redis/nope" in result["msg"]
    assert elasticache.mutating == []
    assert described(client) is None


@pytest.mark.parametrize("value", ["short-1A", "has@at-sign-0123456789", "has space 0123456789abc"])
def test_auth_token_secret_with_invalid_value(client, elasticache, no_sleep, value):
    boto3.client("secretsmanager", region_name=REGION).create_secret(Name=SECRET, SecretString=value)

    result = run_failing(base_args(auth_token_secret_id=SECRET))

    assert f"The value of secret {SECRET} (auth_token_secret_id) is not a valid Redis AUTH token" in result["msg"]
    assert "secretsmanager_random_secret" in result["msg"]
    assert value not in json.dumps(result, default=str)
    assert elasticache.mutating == []


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_absent_with_final_snapshot(client, elasticache, no_sleep, check_mode):
    created = run(base_args())["replication_group"]
    elasticache.reset()

    result = run(
        dict(replication_group_id=GROUP, state="absent", final_snapshot_identifier="fsm-dev-redis-final"),
        check_mode=check_mode,
    )

    assert result["changed"] is True
    assert result["replication_group"] is None
    assert result["diff"] == {"before": created, "after": {}}
    if check_mode:
        assert elasticache.mutating == []
        assert described(client) is not None
    else:
        assert elasticache.mutating == ["DeleteReplicationGroup"]
        assert elasticache.of("DeleteReplicationGroup")[0]["FinalSnapshotIdentifier"] == "fsm-dev-redis-final"
        assert described(client) is None
        snapshots = client.describe_snapshots(SnapshotName="fsm-dev-redis-final")["Snapshots"]
        assert [s["ReplicationGroupId"] for s in snapshots] == [GROUP]


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_absent_when_absent(client, elasticache, no_sleep, check_mode):
    result = run(dict(replication_group_id=GROUP, state="absent"), check_mode=check_mode)

    assert result["changed"] is False
    assert result["replication_group"] is None
    assert elasticache.mutating == []


@pytest.mark.parametrize(
    "args, message",
    [
        (dict(replication_group_id="Bad_Id"), "replication_group_id 'Bad_Id' is invalid"),
        (dict(replication_group_id=GROUP), "cache_node_type is required to create"),
        (base_args(replicas_per_node_group=6), "replicas_per_node_group must be between 0 and 5"),
        (base_args(num_node_groups=0), "num_node_groups must be between 1 and 500"),
        (base_args(snapshot_retention_limit=-1), "snapshot_retention_limit must be 0 or more"),
        (base_args(replicas_per_node_group=0), "need replicas_per_node_group of 1 or more"),
        (base_args(automatic_failover=False), "multi_az=true needs automatic_failover=true"),
        (base_args(at_rest_encryption=False), "kms_key_id needs at_rest_encryption=true"),
        (base_args(auth_token="short"), "auth_token must be 16 to 128"),
        (base_args(auth_token="has/slash-0123456789abc"), "only the punctuation !&#$^<>-"),
        (base_args(auth_token="has_underscore-0123456789"), "only the punctuation !&#$^<>-"),
        (base_args(auth_token=TOKEN, auth_token_secret_id=SECRET), "mutually exclusive"),
        (base_args(auth_token_secret_id=SECRET, transit_encryption=False), "auth_token_secret_id needs transit_encryption"),
        (base_args(auth_token=TOKEN, transit_encryption=False), "auth_token needs transit_encryption=true"),
        (base_args(auth_token_update_strategy="SET"), "auth_token"),
        (base_args(engine_version="7.1-beta"), "engine_version '7.1-beta' is invalid: use <major>.<minor>"),
        (base_args(auth_token=TOKEN, auth_token_update_strategy="REPLACE"), "auth_token_update_strategy"),
    ],
    ids=[
        "bad-id",
        "no-node-type",
        "replicas",
        "node-groups",
        "retention",
        "failover-without-replica",
        "multi-az-without-failover",
        "kms-without-encryption",
        "short-token",
        "slash-in-token",
        "underscore-in-token",
        "token-and-secret",
        "secret-without-tls",
        "token-without-tls",
        "strategy-without-token",
        "bad-strategy",
        "bad-engine-version",
    ],
)
def test_bad_input(client, elasticache, api_calls, args, message):
    api_calls.reset()
    result = run_failing(args)

    assert message in result["msg"]
    assert elasticache.mutating == []
    assert "GetSecretValue" not in api_calls
    assert TOKEN not in json.dumps(result, default=str)


# --- engine version: AWS reports the full version (7.1 -> 7.1.0) ---


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
@pytest.mark.parametrize("created, asked", [("7.1", "7.1"), ("7.1", "7.1.0"), ("7.1.0", "7.1"), ("6.2", "6.x")])
def test_engine_version_short_or_full_is_unchanged(client, elasticache, no_sleep, check_mode, created, asked):
    group = run(base_args(engine_version=created))["replication_group"]
    assert group["engine_version"] == {"7.1": "7.1.0", "7.1.0": "7.1.0", "6.2": "6.2.6"}[created]
    elasticache.reset()

    result = run(base_args(engine_version=asked), check_mode=check_mode)

    assert result["changed"] is False
    assert result["diff"]["before"] == result["diff"]["after"] == group
    assert elasticache.mutating == []


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
@pytest.mark.parametrize("have, asked, reported", [("7.0", "7.1", "7.1.0"), ("7.1", "7.10", "7.10.0"), ("6.2", "7.1", "7.1.0")])
def test_engine_upgrade_in_place(client, elasticache, no_sleep, check_mode, have, asked, reported):
    before = run(base_args(engine_version=have))["replication_group"]
    elasticache.reset()

    result = run(base_args(engine_version=asked), check_mode=check_mode)

    assert result["changed"] is True
    assert result["diff"]["before"] == before
    assert result["diff"]["before"]["engine_version"] != result["diff"]["after"]["engine_version"]
    if check_mode:
        assert result["replication_group"]["engine_version"] == asked
        assert elasticache.mutating == []
        assert run(base_args(engine_version=have))["changed"] is False
        return
    assert elasticache.mutating == ["ModifyReplicationGroup"]
    request = elasticache.of("ModifyReplicationGroup")[0]
    assert set(request) == {"ReplicationGroupId", "ApplyImmediately", "EngineVersion"}
    assert request["EngineVersion"] == asked
    assert result["replication_group"]["engine_version"] == reported
    elasticache.reset()
    for form in (asked, reported):
        assert run(base_args(engine_version=form))["changed"] is False
    assert elasticache.mutating == []


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
@pytest.mark.parametrize("have, asked", [("7.1", "7.0"), ("7.1", "6.x"), ("7.1", "7.0.7"), ("7.1", "6")])
def test_engine_downgrade_fails_before_any_change(client, elasticache, no_sleep, check_mode, have, asked):
    run(base_args(engine_version=have, cache_node_type="cache.t4g.small"))
    elasticache.reset()

    # another change in the same run must not be made either
    result = run_failing(base_args(engine_version=asked, cache_node_type="cache.r6g.large"), check_mode=check_mode)

    assert f"Failed to update replication group {GROUP}: engine_version {asked} is lower than" in result["msg"]
    assert "(7.1.0)" in result["msg"] and "cannot downgrade" in result["msg"]
    assert elasticache.mutating == []
    assert described(client)["CacheNodeType"] == "cache.t4g.small"


@pytest.mark.parametrize(
    "running, asked, matches, order",
    [
        ("7.1.0", "7.1", True, 0),
        ("7.1.0", "7.1.0", True, 0),
        ("7.1.0", "7", True, 0),
        ("6.2.6", "6.x", True, 0),
        ("7.10.1", "7.1", False, -1),
        ("7.1.0", "7.10", False, 1),
        ("7.1.0", "7.2", False, 1),
        ("7.1.0", "8", False, 1),
        ("7.1.0", "7.1.0.1", False, 0),
        ("7.1.0", "7.0", False, -1),
        ("7.1.0", "6.x", False, -1),
        ("7.1.0", "7.0.7", False, -1),
        (None, "7.1", False, 0),
    ],
)
def test_engine_version_comparison(running, asked, matches, order):
    assert utils.engine_version_matches(running, asked) is matches
    assert utils.engine_version_order(running, asked) == order


# --- replica count with failover / Multi-AZ: each AWS call valid on the group as it is then ---


def group_settings(client):
    group = described(client)
    return len(group["MemberClusters"]) - 1, group["AutomaticFailover"], group["MultiAZ"]


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
@pytest.mark.parametrize("wait", [True, False], ids=["wait", "no-wait"])
@pytest.mark.parametrize("want", [1, 3])
def test_add_replicas_then_turn_failover_on(client, elasticache, no_sleep, check_mode, wait, want):
    before = run(base_args(replicas_per_node_group=0, automatic_failover=False, multi_az=False))["replication_group"]
    assert group_settings(client) == (0, "disabled", "disabled")
    elasticache.reset()
    args = base_args(replicas_per_node_group=want, automatic_failover=True, multi_az=True, wait=wait)

    result = run(args, check_mode=check_mode)

    assert result["changed"] is True
    assert result["diff"]["before"] == before
    group = result["replication_group"]
    assert group["replicas_per_node_group"] == want
    assert group["automatic_failover"] is True and group["multi_az"] is True
    if check_mode:
        assert elasticache.mutating == []
        assert group_settings(client) == (0, "disabled", "disabled")
        return
    assert elasticache.mutating == ["IncreaseReplicaCount", "ModifyReplicationGroup"]
    assert elasticache.of("IncreaseReplicaCount")[0]["NewReplicaCount"] == want
    modify = elasticache.of("ModifyReplicationGroup")[0]
    assert modify["AutomaticFailoverEnabled"] is True and modify["MultiAZEnabled"] is True
    # the group is awaited between the two calls, with wait=false too
    between = list(elasticache)[elasticache.index("IncreaseReplicaCount") + 1:elasticache.index("ModifyReplicationGroup")]
    assert "DescribeReplicationGroups" in between
    assert group_settings(client) == (want, "enabled", "enabled")
    elasticache.reset()
    assert run(args)["changed"] is False
    assert elasticache.mutating == []


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
@pytest.mark.parametrize("want", [0, 1])
def test_turn_failover_off_then_remove_replicas(client, elasticache, no_sleep, check_mode, want):
    before = run(base_args(replicas_per_node_group=2))["replication_group"]
    assert group_settings(client) == (2, "enabled", "enabled")
    elasticache.reset()
    args = base_args(replicas_per_node_group=want, automatic_failover=False, multi_az=False)

    result = run(args, check_mode=check_mode)

    assert result["changed"] is True
    assert result["diff"]["before"] == before
    group = result["replication_group"]
    assert group["replicas_per_node_group"] == want
    assert group["automatic_failover"] is False and group["multi_az"] is False
    if check_mode:
        assert elasticache.mutating == []
        assert group_settings(client) == (2, "enabled", "enabled")
        return
    assert elasticache.mutating == ["ModifyReplicationGroup", "DecreaseReplicaCount"]
    modify = elasticache.of("ModifyReplicationGroup")[0]
    assert modify["AutomaticFailoverEnabled"] is False and modify["MultiAZEnabled"] is False
    assert elasticache.of("DecreaseReplicaCount")[0]["NewReplicaCount"] == want
    assert group_settings(client) == (want, "disabled", "disabled")
    elasticache.reset()
    assert run(args)["changed"] is False
    assert elasticache.mutating == []


@pytest.mark.parametrize(
    "created, asked",
    [
        (dict(replicas_per_node_group=0, automatic_failover=False, multi_az=False), dict(replicas_per_node_group=1)),
        (dict(replicas_per_node_group=1), dict(replicas_per_node_group=0, automatic_failover=False, multi_az=False)),
    ],
    ids=["up", "down"],
)
def test_the_other_order_fails_on_the_test_cloud(client, elasticache, no_sleep, monkeypatch, created, asked):
    """The order matters: the test cloud refuses failover without a replica, like AWS."""
    run(base_args(**created))
    monkeypatch.setattr(module, "change_order", lambda current, params: (module.ensure_settings, module.ensure_replicas)
                        if params["replicas_per_node_group"] > current["replicas_per_node_group"]
                        else (module.ensure_replicas, module.ensure_settings))

    result = run_failing(base_args(**asked))

    assert "InvalidParameterCombination" in json.dumps(result, default=str)


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
@pytest.mark.parametrize(
    "created, asked, message",
    [
        (
            dict(replicas_per_node_group=1),
            dict(replicas_per_node_group=0, automatic_failover=None, multi_az=None),
            "automatic_failover needs at least one replica, and the group would have none: set replicas_per_node_group",
        ),
        (
            dict(replicas_per_node_group=1),
            dict(automatic_failover=False, multi_az=None),
            "multi_az needs automatic failover, which the group would not have: set automatic_failover=true, or "
            "multi_az=false",
        ),
        (
            None,
            dict(replicas_per_node_group=None, multi_az=None),
            "automatic_failover needs at least one replica, and the group would have none",
        ),
    ],
    ids=["last-replica-with-failover", "failover-off-multi-az-on", "create-failover-without-replicas"],
)
def test_invalid_final_settings_fail_before_any_call(client, elasticache, no_sleep, check_mode, created, asked, message):
    if created is not None:
        run(base_args(**created))
    elasticache.reset()

    result = run_failing(base_args(**asked), check_mode=check_mode)

    assert f"Failed to plan replication group {GROUP}: {message}" in result["msg"]
    assert elasticache.mutating == []


# --- states moto cannot show (a group still creating): botocore's Stubber ---


def stub_group(replicas, status="available"):
    members = [f"{GROUP}-{i + 1:03}" for i in range(replicas + 1)]
    return {
        "ReplicationGroupId": GROUP,
        "ARN": f"arn:aws:elasticache:{REGION}:123456789012:replicationgroup:{GROUP}",
        "Description": "fsm dev cache",
        "Status": status,
        "MemberClusters": members,
        "NodeGroups": [
            {
                "NodeGroupId": "0001",
                "Status": status,
                "PrimaryEndpoint": {"Address": f"master.{GROUP}.abc123.use1.cache.amazonaws.com", "Port": 6379},
                "ReaderEndpoint": {"Address": f"replica.{GROUP}.abc123.use1.cache.amazonaws.com", "Port": 6379},
                "NodeGroupMembers": [{"CacheClusterId": m, "CacheNodeId": "0001"} for m in members],
            }
        ],
        "AutomaticFailover": "enabled",
        "MultiAZ": "enabled",
        "SnapshotRetentionLimit": 7,
        "SnapshotWindow": "03:00-04:00",
        "ClusterEnabled": False,
        "CacheNodeType": "cache.t4g.small",
        "AuthTokenEnabled": False,
        "TransitEncryptionEnabled": True,
        "AtRestEncryptionEnabled": True,
        "KmsKeyId": KMS,
        "Engine": "redis",
    }


def stub_cluster():
    return {
        "CacheClusterId": f"{GROUP}-001",
        "CacheClusterStatus": "available",
        "Engine": "redis",
        "EngineVersion": "7.1",
        "CacheSubnetGroupName": "fsm-dev-cache",
        "SecurityGroups": [{"SecurityGroupId": "sg-0123456789abcdef0", "Status": "active"}],
        "CacheParameterGroup": {"CacheParameterGroupName": "default.redis7"},
        "PreferredMaintenanceWindow": "sun:05:00-sun:06:00",
    }


def stub_describe(stubber, replicas, status="available"):
    group = stub_group(replicas, status)
    stubber.add_response("describe_replication_groups", {"ReplicationGroups": [group]}, {"ReplicationGroupId": GROUP})
    stubber.add_response(
        "describe_cache_clusters", {"CacheClusters": [stub_cluster()]}, {"CacheClusterId": f"{GROUP}-001"}
    )
    stubber.add_response(
        "list_tags_for_resource", {"TagList": [{"Key": "Environment", "Value": "dev"}]}, {"ResourceName": group["ARN"]}
    )


@pytest.fixture
def stubbed(monkeypatch, aws):
    stub_client = boto3.client("elasticache", region_name=REGION)
    stubber = Stubber(stub_client)
    monkeypatch.setattr(AnsibleAWSModule, "client", lambda self, service, **kwargs: stub_client)
    with stubber:
        yield stubber
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
@pytest.mark.parametrize("wait", [True, False], ids=["wait", "no-wait"])
def test_unchanged_group_still_creating_is_waited_for(stubbed, no_sleep, check_mode, wait):
    """A group started by a run with wait=false is awaited by a later run with wait=true (and only its id)."""
    stub_describe(stubbed, 1, status="creating")
    if wait and not check_mode:
        # the replication_group_available waiter's first poll, then the final describe
        stubbed.add_response(
            "describe_replication_groups", {"ReplicationGroups": [stub_group(1)]}, {"ReplicationGroupId": GROUP}
        )
        stub_describe(stubbed, 1)

    result = run(dict(replication_group_id=GROUP, wait=wait), check_mode=check_mode)

    assert result["changed"] is False
    expected = "available" if wait and not check_mode else "creating"
    assert result["replication_group"]["status"] == expected


# --- waiting: DescribeReplicationGroups polled with growing delays, no fixed sleep ---


def test_wait_polls_with_growing_delays(monkeypatch):
    from ansible_collections.strata.platform.plugins.module_utils._aws import elasticache as utils

    stub_client = boto3.client("elasticache", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    slept = []
    monkeypatch.setattr(utils.time, "sleep", slept.append)
    with Stubber(stub_client) as stubber:
        for status in ("creating", "creating", "creating", "creating", "available"):
            stubber.add_response(
                "describe_replication_groups", {"ReplicationGroups": [stub_group(1, status)]}, {"ReplicationGroupId": GROUP}
            )
        utils.wait_for_replication_group(stub_client, GROUP, "available", 600)
        stubber.assert_no_pending_responses()
    assert slept == [1.0, 2.0, 4.0, 8.0]


@pytest.mark.parametrize(
    "statuses, state, message",
    [
        (["creating"] * 3, "available", "Timeout trying to wait for replication group fsm-dev-redis to be available"),
        (["create-failed"], "available", "it is create-failed"),
        (["deleting"] * 3, "deleted", "to be deleted (still deleting"),
    ],
    ids=["timeout", "failed", "delete-timeout"],
)
def test_wait_gives_up(monkeypatch, statuses, state, message):
    from ansible_collections.strata.platform.plugins.module_utils._aws import elasticache as utils

    stub_client = boto3.client("elasticache", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    clock = [0.0]
    monkeypatch.setattr(utils.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(utils.time, "sleep", lambda seconds: clock.__setitem__(0, clock[0] + seconds))
    with Stubber(stub_client) as stubber:
        for status in statuses:
            stubber.add_response(
                "describe_replication_groups", {"ReplicationGroups": [stub_group(1, status)]}, {"ReplicationGroupId": GROUP}
            )
        with pytest.raises(utils.AnsibleElastiCacheError) as raised:
            utils.wait_for_replication_group(stub_client, GROUP, state, 3)
    assert message in raised.value.message
