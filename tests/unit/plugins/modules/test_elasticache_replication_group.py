"""Unit tests for strata.platform.elasticache_replication_group, driven like Ansible drives a module.

moto (``mock_aws``) serves DescribeReplicationGroups, Create/Modify/DeleteReplicationGroup and the tag calls.
Where moto 5.2.5 differs from AWS, the ``elasticache`` fixture below adds what AWS does, at the client boundary
(the module is not told):
- CreateReplicationGroup ignores NumCacheClusters (it counts ReplicasPerNodeGroup only);
- DescribeCacheClusters does not know the member clusters of a replication group (it answers CacheClusterNotFound);
- ModifyReplicationGroup ignores SnapshotWindow, PreferredMaintenanceWindow, CacheParameterGroupName,
  SecurityGroupIds and EngineVersion;
- node groups carry no ReaderEndpoint (only a primary endpoint);
- DeleteReplicationGroup leaves the group in "deleting" for ever (the replication_group_deleted waiter would
  time out) and ignores FinalSnapshotIdentifier.
IncreaseReplicaCount / DecreaseReplicaCount are not implemented by moto: those tests use botocore's Stubber.
"""

import functools
import json

import boto3
import botocore.client
import pytest
from botocore.stub import Stubber
from moto.core import DEFAULT_ACCOUNT_ID
from moto.elasticache.models import elasticache_backends

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.strata.platform.plugins.modules import elasticache_replication_group as module
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


@pytest.fixture
def elasticache(aws):
    """moto's ElastiCache with the fidelity fixes listed in the module docstring; yields the recorded calls."""
    backend = elasticache_backends[DEFAULT_ACCOUNT_ID][REGION]
    calls = Calls()
    original = botocore.client.BaseClient._make_api_call

    def fake_cluster(group, cluster_id):
        return {
            "CacheClusterId": cluster_id,
            "CacheClusterStatus": "available",
            "Engine": "redis",
            "EngineVersion": group.engine_version or "7.1",
            "CacheSubnetGroupName": group.cache_subnet_group_name,
            "SecurityGroups": [{"SecurityGroupId": sg, "Status": "active"} for sg in group.security_group_ids or []],
            "CacheParameterGroup": {"CacheParameterGroupName": group.cache_parameter_group_name or "default.redis7"},
            "PreferredMaintenanceWindow": group.preferred_maintenance_window or "sun:05:00-sun:06:00",
            "ReplicationGroupId": group.replication_group_id,
        }

    def patched(self, operation_name, api_params):
        if self.meta.service_model.service_name != "elasticache":
            return original(self, operation_name, api_params)
        calls.append(operation_name)
        calls.params.append(dict(api_params))
        if operation_name == "CreateReplicationGroup" and api_params.get("NumCacheClusters"):
            api_params = dict(api_params, ReplicasPerNodeGroup=api_params["NumCacheClusters"] - 1)
        if operation_name == "DescribeCacheClusters":
            for group in backend.replication_groups.values():
                if api_params.get("CacheClusterId") in group.member_clusters:
                    return {"CacheClusters": [fake_cluster(group, api_params["CacheClusterId"])]}
        if operation_name == "DeleteReplicationGroup":
            group_id = api_params["ReplicationGroupId"]
            if api_params.get("FinalSnapshotIdentifier") and group_id in backend.replication_groups:
                backend.create_snapshot(api_params["FinalSnapshotIdentifier"], group_id, None, None, None)
            response = original(self, operation_name, api_params)
            backend.replication_groups.pop(group_id, None)
            return response
        response = original(self, operation_name, api_params)
        for group in response.get("ReplicationGroups") or []:
            for node_group in group.get("NodeGroups") or []:
                primary = node_group.get("PrimaryEndpoint")
                if primary and "ReaderEndpoint" not in node_group:
                    address = primary["Address"].replace("master.", "replica.", 1)
                    node_group["ReaderEndpoint"] = {"Address": address, "Port": primary["Port"]}
        if operation_name == "ModifyReplicationGroup":
            group = backend.replication_groups[api_params["ReplicationGroupId"]]
            for param, attribute in (
                ("SnapshotWindow", "snapshot_window"),
                ("PreferredMaintenanceWindow", "preferred_maintenance_window"),
                ("CacheParameterGroupName", "cache_parameter_group_name"),
                ("SecurityGroupIds", "security_group_ids"),
                ("EngineVersion", "engine_version"),
            ):
                if param in api_params:
                    setattr(group, attribute, api_params[param])
        return response

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.client.BaseClient, "_make_api_call", patched)
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
    ],
)
def test_bad_input(client, elasticache, api_calls, args, message):
    api_calls.reset()
    result = run_failing(args)

    assert message in result["msg"]
    assert elasticache.mutating == []
    assert "GetSecretValue" not in api_calls
    assert TOKEN not in json.dumps(result, default=str)


# --- replica count: IncreaseReplicaCount / DecreaseReplicaCount are not in moto 5.2.5, so botocore's Stubber ---


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
@pytest.mark.parametrize("have, want, operation", [(1, 3, "increase_replica_count"), (2, 1, "decrease_replica_count")])
def test_replica_count(stubbed, no_sleep, check_mode, have, want, operation):
    stub_describe(stubbed, have)
    if not check_mode:
        stubbed.add_response(
            operation,
            {"ReplicationGroup": stub_group(have, "modifying")},
            {"ReplicationGroupId": GROUP, "NewReplicaCount": want, "ApplyImmediately": True},
        )
        # the replication_group_available waiter's first poll
        stubbed.add_response(
            "describe_replication_groups", {"ReplicationGroups": [stub_group(want)]}, {"ReplicationGroupId": GROUP}
        )
        stub_describe(stubbed, want)

    result = run(base_args(replicas_per_node_group=want), check_mode=check_mode)

    assert result["changed"] is True
    assert result["diff"]["before"]["replicas_per_node_group"] == have
    assert result["replication_group"]["replicas_per_node_group"] == want
    if not check_mode:
        assert len(result["replication_group"]["member_clusters"]) == want + 1


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
