"""Unit tests for strata.platform.msk_cluster, driven like Ansible drives a module.

moto (``mock_aws``) serves MSK in-process with the test cloud's MSK fidelity patches applied
(testcloud/aws_patches/kafka_*.py: clusters become ACTIVE after the simulated creation time, full
ListClusters answers, NotFoundException, GetBootstrapBrokers, configurations, and the Update* operations
with CurrentVersion checks and the UPDATING state), so the module meets the same MSK here as in the
test cloud. Waiting is tested with a fake clock: ``time.sleep`` advances ``time.monotonic``.
"""

import functools
import time
from unittest import mock

import boto3
import botocore.client
import pytest

from ansible_collections.strata.platform.plugins.modules import msk_cluster as module
from testcloud.aws_patches import PATCH_MODULES
from testcloud.aws_patches import load
from _harness import REGION
from _harness import ApiCalls
from _harness import run as run_module
from _harness import run_failing as run_failing_module

run = functools.partial(run_module, module)
run_failing = functools.partial(run_failing_module, module)

NAME = "fsm-dev-kafka"
KMS = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666"
SG = "sg-0123456789abcdef0"


@pytest.fixture(scope="module", autouse=True)
def kafka_patches():
    """The test cloud's MSK patches, in this process (idempotent; they only make moto more like AWS)."""
    for name in PATCH_MODULES:
        if name.startswith("kafka_"):
            load(name).apply()


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
def api_calls(aws):
    """Every AWS call of the test (name and parameters), through any botocore client."""
    calls = Calls()
    original = botocore.client.BaseClient._make_api_call

    def recording(self, operation_name, api_params):
        calls.append(operation_name)
        calls.params.append(dict(api_params))
        return original(self, operation_name, api_params)

    with mock.patch.object(botocore.client.BaseClient, "_make_api_call", recording):
        yield calls


@pytest.fixture
def kafka(api_calls, monkeypatch):
    monkeypatch.delenv("STRATA_TESTCLOUD_CREATE_SECONDS", raising=False)
    monkeypatch.delenv("STRATA_TESTCLOUD_CREATE_SECONDS_MSK", raising=False)
    return boto3.client("kafka", region_name=REGION)


@pytest.fixture
def subnets(aws):
    vpc = aws.create_vpc(CidrBlock="10.63.0.0/16")["Vpc"]["VpcId"]
    return [
        aws.create_subnet(VpcId=vpc, CidrBlock=f"10.63.{n}.0/24", AvailabilityZone=f"us-east-1{zone}")["Subnet"]["SubnetId"]
        for n, zone in enumerate("ab")
    ]


@pytest.fixture
def configuration(kafka):
    """An MSK configuration with two revisions: (arn, latest revision)."""
    arn = kafka.create_configuration(Name="fsm-dev-kafka", ServerProperties=b"min.insync.replicas=1\n")["Arn"]
    kafka.update_configuration(Arn=arn, ServerProperties=b"min.insync.replicas=1\nauto.create.topics.enable=false\n")
    return arn


class FakeClock:
    """``time.sleep`` advances ``time.monotonic`` (the test cloud's creation time reads it too)."""

    def __init__(self, monkeypatch):
        self.now = 1000.0
        self.sleeps = []
        monkeypatch.setattr(time, "monotonic", lambda: self.now)
        monkeypatch.setattr(time, "sleep", self.sleep)

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    return FakeClock(monkeypatch)


def slow_msk(monkeypatch, seconds):
    """Clusters take ``seconds`` to create (and each update as long), like the test cloud's --create-seconds."""
    monkeypatch.setenv("STRATA_TESTCLOUD_CREATE_SECONDS_MSK", str(seconds))


def base_args(subnets, configuration=None, **extra):
    args = dict(
        name=NAME,
        kafka_version="3.6.0",
        broker_type="kafka.t3.small",
        broker_count=2,
        client_subnets=subnets,
        security_groups=[SG],
        ebs_volume_size=100,
        client_broker_encryption="TLS",
        in_cluster_encryption=True,
        kms_key_id=KMS,
        enhanced_monitoring="DEFAULT",
        cloudwatch_log_group="/strata/fsm/dev/msk",
        tags={"environment": "dev", "layer": "kafka"},
    )
    if configuration:
        args.update(configuration_arn=configuration, configuration_revision=2)
    args.update(extra)
    return args


def listed(kafka):
    return kafka.list_clusters(ClusterNameFilter=NAME)["ClusterInfoList"]


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_create(kafka, api_calls, subnets, configuration, no_sleep, check_mode):
    api_calls.reset()
    result = run(base_args(subnets, configuration), check_mode=check_mode)

    assert result["changed"] is True
    assert result["operations"] == ["CreateCluster"]
    cluster = result["cluster"]
    assert set(cluster) == set(module.CLUSTER_KEYS)
    expected = {
        "cluster_name": NAME,
        "kafka_version": "3.6.0",
        "broker_type": "kafka.t3.small",
        "broker_count": 2,
        "client_subnets": sorted(subnets),
        "security_groups": [SG],
        "ebs_volume_size": 100,
        "configuration_arn": configuration,
        "configuration_revision": 2,
        "client_broker_encryption": "TLS",
        "in_cluster_encryption": True,
        "kms_key_id": KMS,
        "enhanced_monitoring": "DEFAULT",
        "cloudwatch_log_group": "/strata/fsm/dev/msk",
        "open_monitoring": {"jmx_exporter": False, "node_exporter": False},
        "authentication": {"unauthenticated": True, "sasl_iam": False, "sasl_scram": False, "tls": False},
        "tags": {"environment": "dev", "layer": "kafka"},
        "state": "ACTIVE",
    }
    assert {key: cluster[key] for key in expected} == expected
    assert result["diff"] == {"before": {}, "after": cluster}
    if check_mode:
        assert api_calls.mutating == []
        assert listed(kafka) == []
        assert cluster["cluster_arn"] is None and cluster["bootstrap_brokers"] is None
    else:
        assert api_calls.mutating == ["CreateCluster"]
        (info,) = listed(kafka)
        assert info["ClusterArn"] == cluster["cluster_arn"]
        assert info["EncryptionInfo"]["EncryptionAtRest"] == {"DataVolumeKMSKeyId": KMS}
        assert info["LoggingInfo"]["BrokerLogs"]["CloudWatchLogs"] == {"Enabled": True, "LogGroup": "/strata/fsm/dev/msk"}
        assert cluster["bootstrap_brokers"]["tls"].endswith(":9094")
        assert cluster["bootstrap_brokers"]["plaintext"] is None


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_rerun_is_unchanged(kafka, api_calls, subnets, configuration, no_sleep, check_mode):
    created = run(base_args(subnets, configuration))["cluster"]
    api_calls.reset()

    result = run(base_args(subnets, configuration, client_subnets=list(reversed(subnets))), check_mode=check_mode)

    assert result["changed"] is False
    assert result["operations"] == []
    assert result["cluster"] == created
    assert result["diff"]["before"] == result["diff"]["after"] == created
    assert api_calls.mutating == []


CHANGES = [
    ({"broker_type": "kafka.m5.large"}, ["UpdateBrokerType"]),
    ({"broker_count": 4}, ["UpdateBrokerCount"]),
    ({"ebs_volume_size": 250}, ["UpdateBrokerStorage"]),
    ({"configuration_revision": 1}, ["UpdateClusterConfiguration"]),
    ({"kafka_version": "3.7.x"}, ["UpdateClusterKafkaVersion"]),
    ({"enhanced_monitoring": "PER_TOPIC_PER_BROKER"}, ["UpdateMonitoring"]),
    ({"cloudwatch_log_group": ""}, ["UpdateMonitoring"]),
    ({"open_monitoring": {"jmx_exporter": True}}, ["UpdateMonitoring"]),
    ({"client_broker_encryption": "TLS_PLAINTEXT"}, ["UpdateSecurity"]),
    ({"authentication": {"sasl_iam": True, "unauthenticated": False}}, ["UpdateSecurity"]),
    (
        {"broker_type": "kafka.m5.large", "ebs_volume_size": 500, "enhanced_monitoring": "PER_BROKER", "kafka_version": "3.7.x"},
        ["UpdateClusterKafkaVersion", "UpdateBrokerType", "UpdateBrokerStorage", "UpdateMonitoring"],
    ),
]


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
@pytest.mark.parametrize("change, operations", CHANGES, ids=["+".join(change) for change, _operations in CHANGES])
def test_update_in_place(kafka, api_calls, subnets, configuration, no_sleep, check_mode, change, operations):
    original = run(base_args(subnets, configuration))["cluster"]
    api_calls.reset()

    result = run(base_args(subnets, configuration, **change), check_mode=check_mode)

    assert result["changed"] is True
    assert result["operations"] == operations
    after = result["cluster"]
    for key, value in change.items():
        if isinstance(value, dict):
            assert {k: after[key][k] for k in value} == value
        else:
            assert after[key] == (value or None)
    assert after["cluster_arn"] == original["cluster_arn"]
    assert result["diff"] == {"before": original, "after": after}
    if check_mode:
        assert api_calls.mutating == []
        assert run(base_args(subnets, configuration))["changed"] is False
    else:
        assert api_calls.mutating == operations
        assert after["current_version"] != original["current_version"]
        api_calls.reset()
        again = run(base_args(subnets, configuration, **change))
        assert again["changed"] is False and api_calls.mutating == []


def test_security_update_sends_only_what_changed(kafka, api_calls, subnets, no_sleep):
    run(base_args(subnets))
    api_calls.reset()

    run(base_args(subnets, client_broker_encryption="TLS_PLAINTEXT"))

    (request,) = api_calls.of("UpdateSecurity")
    assert set(request) == {"ClusterArn", "CurrentVersion", "EncryptionInfo"}  # authentication: not managed, not sent
    assert request["EncryptionInfo"] == {"EncryptionInTransit": {"ClientBroker": "TLS_PLAINTEXT"}}
    info = listed(kafka)[0]
    assert info["EncryptionInfo"]["EncryptionInTransit"] == {"ClientBroker": "TLS_PLAINTEXT", "InCluster": True}
    assert info["EncryptionInfo"]["EncryptionAtRest"] == {"DataVolumeKMSKeyId": KMS}


def test_monitoring_update_keeps_other_log_deliveries(kafka, api_calls, subnets, no_sleep):
    created = run(base_args(subnets))["cluster"]
    s3 = {"Enabled": True, "Bucket": "fsm-dev-logs", "Prefix": "msk/"}
    kafka.update_monitoring(
        ClusterArn=created["cluster_arn"],
        CurrentVersion=created["current_version"],
        LoggingInfo={"BrokerLogs": {"CloudWatchLogs": {"Enabled": True, "LogGroup": "/strata/fsm/dev/msk"}, "S3": s3}},
    )

    result = run(base_args(subnets, cloudwatch_log_group="/strata/fsm/dev/msk-2"))

    assert result["operations"] == ["UpdateMonitoring"]
    broker_logs = listed(kafka)[0]["LoggingInfo"]["BrokerLogs"]
    assert broker_logs == {"CloudWatchLogs": {"Enabled": True, "LogGroup": "/strata/fsm/dev/msk-2"}, "S3": s3}


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_tags_in_place(kafka, api_calls, subnets, no_sleep, check_mode):
    run(base_args(subnets, tags={"environment": "dev", "old": "x"}))
    api_calls.reset()

    result = run(base_args(subnets, tags={"environment": "dev", "new": "y"}), check_mode=check_mode)

    assert result["changed"] is True
    assert result["cluster"]["tags"] == {"environment": "dev", "new": "y"}
    assert result["operations"] == ["TagResource"]
    if check_mode:
        assert api_calls.mutating == []
    else:
        assert sorted(api_calls.mutating) == ["TagResource", "UntagResource"]
        assert listed(kafka)[0]["Tags"] == {"environment": "dev", "new": "y"}
    # tags unset: not managed
    assert run(base_args(subnets, tags=None), check_mode=True)["changed"] is False


REFUSED = [
    {"security_groups": ["sg-0fffffffffffffff0"]},
    {"in_cluster_encryption": False},
    {"kms_key_id": "arn:aws:kms:us-east-1:123456789012:key/ffffffff-1111-2222-3333-444455556666"},
    {"kafka_version": "3.5.1"},
    {"ebs_volume_size": 50},
]


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
@pytest.mark.parametrize("change", REFUSED, ids=[next(iter(change)) for change in REFUSED])
def test_refused_change_fails_before_any_change(kafka, api_calls, subnets, no_sleep, check_mode, change):
    run(base_args(subnets))
    api_calls.reset()

    # with a change that could be made, to show that nothing is made when another one is refused
    result = run_failing(base_args(subnets, broker_type="kafka.m5.large", **change), check_mode=check_mode)

    attribute = next(iter(change))
    assert f"Failed to update MSK cluster {NAME}" in result["msg"]
    assert f"{attribute} is " in result["msg"]
    assert "does not replace a cluster" in result["msg"]
    assert api_calls.mutating == []
    assert listed(kafka)[0]["BrokerNodeGroupInfo"]["InstanceType"] == "kafka.t3.small"


def test_fewer_brokers_and_other_subnets_are_refused(kafka, api_calls, subnets, aws, no_sleep):
    run(base_args(subnets, broker_count=4))
    vpc = aws.describe_subnets(SubnetIds=subnets[:1])["Subnets"][0]["VpcId"]
    other = aws.create_subnet(VpcId=vpc, CidrBlock="10.63.9.0/24", AvailabilityZone="us-east-1c")["Subnet"]["SubnetId"]
    api_calls.reset()

    fewer = run_failing(base_args(subnets, broker_count=2))
    assert "broker_count is 4, asked 2 (MSK removes brokers only after" in fewer["msg"]
    moved = run_failing(base_args(subnets[:1] + [other], broker_count=4))
    assert "client_subnets is " in moved["msg"] and "(fixed at creation)" in moved["msg"]
    assert api_calls.mutating == []


def test_kms_key_id_matches_the_end_of_the_arn(kafka, subnets, no_sleep):
    run(base_args(subnets))
    assert run(base_args(subnets, kms_key_id="0a1b2c3d-1111-2222-3333-444455556666"))["changed"] is False


def test_unset_options_are_not_managed(kafka, api_calls, subnets, no_sleep):
    created = run(base_args(subnets))["cluster"]
    api_calls.reset()

    result = run({"name": NAME})

    assert result["changed"] is False
    assert result["cluster"] == created
    assert api_calls.mutating == []


def test_wait_false_starts_the_creation_and_a_later_run_waits(kafka, api_calls, subnets, clock, monkeypatch):
    slow_msk(monkeypatch, 600)

    started = run(base_args(subnets, wait=False))
    assert started["changed"] is True
    assert started["cluster"]["state"] == "CREATING"
    assert started["cluster"]["bootstrap_brokers"] is None
    assert clock.sleeps == []

    # the same run again (a re-run of the layer while the cluster is created): nothing to do, no wait
    api_calls.reset()
    again = run(base_args(subnets, wait=False))
    assert again["changed"] is False and api_calls.mutating == [] and clock.sleeps == []
    assert again["cluster"]["state"] == "CREATING"

    # the wait step: nothing to change, waits for ACTIVE with growing delays
    waited = run({"name": NAME, "wait": True})
    assert waited["changed"] is False
    assert waited["cluster"]["state"] == "ACTIVE"
    assert waited["cluster"]["bootstrap_brokers"]["tls"].endswith(":9094")
    assert clock.sleeps[:6] == [1, 2, 4, 8, 16, 30]
    assert set(clock.sleeps[6:]) <= {30}
    assert 600 <= sum(clock.sleeps) < 600 + 30
    assert api_calls.mutating == []


def test_check_mode_never_waits(kafka, subnets, clock, monkeypatch):
    slow_msk(monkeypatch, 600)
    run(base_args(subnets, wait=False))

    result = run(base_args(subnets, broker_type="kafka.m5.large"), check_mode=True)

    assert result["changed"] is True and result["operations"] == ["UpdateBrokerType"]
    assert clock.sleeps == []


def test_updates_wait_for_active_between_operations(kafka, api_calls, subnets, clock, monkeypatch):
    slow_msk(monkeypatch, 60)
    run(base_args(subnets, wait=False))
    api_calls.reset()

    # wait=false: the cluster is CREATING, so the first operation waits; the second waits for the first
    result = run(base_args(subnets, broker_type="kafka.m5.large", ebs_volume_size=200, wait=False))

    assert result["operations"] == ["UpdateBrokerType", "UpdateBrokerStorage"]
    assert api_calls.mutating == ["UpdateBrokerType", "UpdateBrokerStorage"]
    assert result["cluster"]["state"] == "UPDATING"  # no wait after the last one
    assert result["cluster"]["broker_type"] == "kafka.m5.large" and result["cluster"]["ebs_volume_size"] == 200
    assert 120 <= sum(clock.sleeps) < 120 + 2 * 30
    waited_before_last = sum(clock.sleeps)

    done = run(base_args(subnets, broker_type="kafka.m5.large", ebs_volume_size=200))
    assert done["changed"] is False and done["cluster"]["state"] == "ACTIVE"
    assert sum(clock.sleeps) > waited_before_last


def test_wait_timeout(kafka, subnets, clock, monkeypatch):
    slow_msk(monkeypatch, 600)
    run(base_args(subnets, wait=False))

    result = run_failing({"name": NAME, "wait_timeout": 100})

    assert "Timeout waiting for MSK cluster" in result["msg"]
    assert "still CREATING after 100 s" in result["msg"]
    assert sum(clock.sleeps) <= 100


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_absent(kafka, api_calls, subnets, configuration, no_sleep, check_mode):
    created = run(base_args(subnets, configuration))["cluster"]
    api_calls.reset()

    result = run({"name": NAME, "state": "absent"}, check_mode=check_mode)

    assert result["changed"] is True
    assert result["cluster"] is None
    assert result["operations"] == ["DeleteCluster"]
    assert result["diff"] == {"before": created, "after": {}}
    if check_mode:
        assert api_calls.mutating == []
        assert len(listed(kafka)) == 1
    else:
        assert api_calls.mutating == ["DeleteCluster"]
        assert listed(kafka) == []
        # the configuration is free again
        kafka.delete_configuration(Arn=configuration)


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_absent_when_absent(kafka, api_calls, no_sleep, check_mode):
    result = run({"name": NAME, "state": "absent"}, check_mode=check_mode)

    assert result["changed"] is False
    assert result["cluster"] is None and result["operations"] == []
    assert api_calls.mutating == []


BAD_INPUT = [
    ({"name": "9-kafka"}, "name '9-kafka' is invalid"),
    ({"broker_type": "m5.large"}, "broker_type 'm5.large' is not an MSK broker type"),
    ({"broker_count": 3}, "broker_count 3 is not a multiple of the 2 client_subnets"),
    ({"broker_count": 0}, "broker_count must be 1 or more"),
    ({"client_subnets": ["subnet-1"], "broker_count": 1}, "client_subnets must list two or three different subnets"),
    ({"ebs_volume_size": 0}, "ebs_volume_size must be between 1 and 16384"),
    ({"configuration_arn": "arn:aws:kafka:us-east-1:123456789012:configuration/x/y-1"}, "configuration_arn"),
    ({"client_broker_encryption": "SSL"}, "client_broker_encryption"),
    ({"wait_timeout": 0}, "wait_timeout must be 1 second or more"),
]


@pytest.mark.parametrize("change, message", BAD_INPUT, ids=[next(iter(change)) for change, _message in BAD_INPUT])
def test_bad_input_fails_before_any_call(kafka, api_calls, subnets, change, message):
    api_calls.reset()

    result = run_failing(base_args(subnets, **change))

    assert message in result["msg"]
    assert api_calls == []


def test_create_needs_the_sizing(kafka, api_calls, no_sleep):
    api_calls.reset()

    result = run_failing({"name": NAME, "broker_type": "kafka.m5.large"})

    assert "MSK cluster fsm-dev-kafka does not exist; kafka_version, broker_count, client_subnets are required" in result["msg"]
    assert api_calls.mutating == []
