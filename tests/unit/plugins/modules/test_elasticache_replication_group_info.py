"""Unit tests for strata.platform.elasticache_replication_group_info, against moto (``mock_aws``)."""

import functools
import json

import boto3
import pytest

from ansible_collections.strata.platform.plugins.modules import elasticache_replication_group_info as info
from _harness import REGION
from _harness import run as run_module

run = functools.partial(run_module, info)


@pytest.fixture
def client(aws):
    client = boto3.client("elasticache", region_name=REGION)
    for group_id in ("fsm-dev-redis-b", "fsm-dev-redis-a"):
        client.create_replication_group(
            ReplicationGroupId=group_id,
            ReplicationGroupDescription=group_id,
            CacheNodeType="cache.t4g.small",
            ReplicasPerNodeGroup=1,
            TransitEncryptionEnabled=True,
            AuthToken="s3cr3t-Token-0123456789abcdef",
            Tags=[{"Key": "Environment", "Value": "dev"}],
        )
    return client


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_all(client, check_mode):
    result = run({}, check_mode=check_mode)

    assert result["changed"] is False
    groups = result["replication_groups"]
    assert [g["replication_group_id"] for g in groups] == ["fsm-dev-redis-a", "fsm-dev-redis-b"]
    assert groups[0]["tags"] == {"Environment": "dev"}
    assert groups[0]["replicas_per_node_group"] == 1
    assert groups[0]["primary_endpoint"]["port"] == 6379
    assert groups[0]["auth_token_enabled"] is True
    assert "s3cr3t-Token-0123456789abcdef" not in json.dumps(result, default=str)


def test_by_id(client):
    groups = run({"replication_group_id": "fsm-dev-redis-b"})["replication_groups"]
    assert [g["replication_group_id"] for g in groups] == ["fsm-dev-redis-b"]


def test_missing_id_gives_an_empty_list(client):
    assert run({"replication_group_id": "nope"})["replication_groups"] == []
