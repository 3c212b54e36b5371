"""Unit tests for strata.platform.msk_cluster_info, against moto (``mock_aws``) with the test cloud's MSK patches."""

import functools

import boto3
import pytest

from ansible_collections.strata.platform.plugins.modules import msk_cluster_info as info
from testcloud.aws_patches import PATCH_MODULES
from testcloud.aws_patches import load
from _harness import REGION
from _harness import run as run_module
from _harness import run_failing as run_failing_module

run = functools.partial(run_module, info)
run_failing = functools.partial(run_failing_module, info)


@pytest.fixture(scope="module", autouse=True)
def kafka_patches():
    for name in PATCH_MODULES:
        if name.startswith("kafka_"):
            load(name).apply()


@pytest.fixture
def clusters(aws, api_calls, monkeypatch):
    monkeypatch.delenv("STRATA_TESTCLOUD_CREATE_SECONDS", raising=False)
    monkeypatch.setenv("STRATA_TESTCLOUD_CREATE_SECONDS_MSK", "0")
    vpc = aws.create_vpc(CidrBlock="10.63.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        aws.create_subnet(VpcId=vpc, CidrBlock=f"10.63.{n}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"]
        for n, z in enumerate("ab")
    ]
    kafka = boto3.client("kafka", region_name=REGION)
    for name, environment in (("fsm-prod-kafka", "prod"), ("fsm-dev-kafka", "dev"), ("other-kafka", "dev")):
        kafka.create_cluster(
            ClusterName=name,
            KafkaVersion="3.6.0",
            NumberOfBrokerNodes=2,
            BrokerNodeGroupInfo={"ClientSubnets": subnets, "InstanceType": "kafka.t3.small"},
            Tags={"owner": "strata.platform", "environment": environment},
        )
    api_calls.reset()
    return kafka


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_all(clusters, api_calls, check_mode):
    result = run({}, check_mode=check_mode)

    assert result["changed"] is False
    found = result["clusters"]
    assert [c["cluster_name"] for c in found] == ["fsm-dev-kafka", "fsm-prod-kafka", "other-kafka"]
    assert found[0]["state"] == "ACTIVE"
    assert found[0]["broker_count"] == 2
    assert found[0]["bootstrap_brokers"]["tls"].endswith(":9094")
    assert found[0]["tags"] == {"owner": "strata.platform", "environment": "dev"}
    assert api_calls.mutating == []


def test_by_name_is_exact(clusters):
    found = run({"name": "fsm-dev-kafka"})["clusters"]
    assert [c["cluster_name"] for c in found] == ["fsm-dev-kafka"]
    assert run({"name": "fsm-dev"})["clusters"] == []


def test_by_prefix_and_tags(clusters):
    found = run({"name_prefix": "fsm-", "tags": {"environment": "prod"}})["clusters"]
    assert [c["cluster_name"] for c in found] == ["fsm-prod-kafka"]
    found = run({"tags": {"environment": "dev", "owner": "strata.platform"}})["clusters"]
    assert [c["cluster_name"] for c in found] == ["fsm-dev-kafka", "other-kafka"]


def test_none_found_is_an_empty_list(aws, api_calls):
    assert run({"name": "nope"})["clusters"] == []


def test_name_and_prefix_are_exclusive(aws, api_calls):
    result = run_failing({"name": "a", "name_prefix": "b"})
    assert "mutually exclusive" in result["msg"]
    assert api_calls == []
