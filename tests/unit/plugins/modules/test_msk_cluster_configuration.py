"""Unit tests for strata.platform.msk_cluster_configuration, against moto (``mock_aws``) with the test cloud's MSK
patches (moto has no MSK configurations; testcloud/aws_patches/kafka_configurations.py adds them)."""

import functools

import boto3
import pytest

from ansible_collections.strata.platform.plugins.modules import msk_cluster_configuration as module
from testcloud.aws_patches import PATCH_MODULES
from testcloud.aws_patches import load
from _harness import REGION
from _harness import run as run_module
from _harness import run_failing as run_failing_module

run = functools.partial(run_module, module)
run_failing = functools.partial(run_failing_module, module)

NAME = "fsm-dev-kafka"
PROPERTIES = {
    "auto.create.topics.enable": False,
    "default.replication.factor": 2,
    "min.insync.replicas": 1,
    "unclean.leader.election.enable": False,
}
RENDERED = {
    "auto.create.topics.enable": "false",
    "default.replication.factor": "2",
    "min.insync.replicas": "1",
    "unclean.leader.election.enable": "false",
}


@pytest.fixture(scope="module", autouse=True)
def kafka_patches():
    for name in PATCH_MODULES:
        if name.startswith("kafka_"):
            load(name).apply()


@pytest.fixture
def kafka(aws, api_calls):
    return boto3.client("kafka", region_name=REGION)


def configurations(kafka):
    return kafka.list_configurations()["Configurations"]


def args(**extra):
    return dict(dict(name=NAME, description="fsm dev brokers", server_properties=PROPERTIES), **extra)


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_create(kafka, api_calls, check_mode):
    result = run(args(kafka_versions=["3.6.0"]), check_mode=check_mode)

    assert result["changed"] is True
    configuration = result["configuration"]
    assert set(configuration) == set(module.CONFIGURATION_KEYS)
    assert configuration["name"] == NAME
    assert configuration["revision"] == 1
    assert configuration["server_properties"] == RENDERED
    assert configuration["description"] == "fsm dev brokers"
    assert configuration["kafka_versions"] == ["3.6.0"]
    assert result["diff"] == {"before": {}, "after": configuration}
    if check_mode:
        assert api_calls.mutating == [] and configurations(kafka) == []
        assert configuration["arn"] is None
    else:
        assert api_calls.mutating == ["CreateConfiguration"]
        (stored,) = configurations(kafka)
        assert configuration["arn"] == stored["Arn"]
        text = kafka.describe_configuration_revision(Arn=stored["Arn"], Revision=1)["ServerProperties"]
        assert text == (
            b"auto.create.topics.enable=false\ndefault.replication.factor=2\n"
            b"min.insync.replicas=1\nunclean.leader.election.enable=false\n"
        )


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_rerun_is_unchanged(kafka, api_calls, check_mode):
    created = run(args())["configuration"]
    api_calls.reset()

    # same properties as strings and in another order
    reordered = dict(reversed(list(RENDERED.items())))
    result = run(args(server_properties=reordered), check_mode=check_mode)

    assert result["changed"] is False
    assert result["configuration"] == created
    assert api_calls.mutating == []


def test_stored_text_is_compared_as_properties(kafka, api_calls):
    arn = kafka.create_configuration(
        Name=NAME,
        Description="fsm dev brokers",
        ServerProperties=b"# written by hand\nauto.create.topics.enable = false\n\ndefault.replication.factor=2\n"
        b"min.insync.replicas:1\nunclean.leader.election.enable=false",
    )["Arn"]
    api_calls.reset()

    result = run(args())

    assert result["changed"] is False
    assert result["configuration"]["arn"] == arn
    assert api_calls.mutating == []


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
@pytest.mark.parametrize(
    "change",
    [{"server_properties": dict(PROPERTIES, **{"min.insync.replicas": 2})}, {"description": "new"}],
    ids=["properties", "description"],
)
def test_change_adds_a_revision(kafka, api_calls, check_mode, change):
    created = run(args())["configuration"]
    api_calls.reset()

    result = run(args(**change), check_mode=check_mode)

    assert result["changed"] is True
    after = result["configuration"]
    assert after["arn"] == created["arn"]  # the same configuration, a new revision
    assert after["revision"] == 2
    assert result["diff"] == {"before": created, "after": after}
    if "server_properties" in change:
        assert after["server_properties"]["min.insync.replicas"] == "2"
        assert after["description"] == "fsm dev brokers"
    else:
        assert after["description"] == "new" and after["server_properties"] == RENDERED
    if check_mode:
        assert api_calls.mutating == []
        assert configurations(kafka)[0]["LatestRevision"]["Revision"] == 1
    else:
        assert api_calls.mutating == ["UpdateConfiguration"]
        # revision 1 is unchanged (revisions are immutable)
        first = kafka.describe_configuration_revision(Arn=created["arn"], Revision=1)
        assert b"min.insync.replicas=1" in first["ServerProperties"]
        api_calls.reset()
        assert run(args(**change))["changed"] is False
        assert api_calls.mutating == []


def test_kafka_versions_cannot_change(kafka, api_calls):
    run(args(kafka_versions=["3.6.0"]))
    api_calls.reset()

    result = run_failing(args(kafka_versions=["3.7.x"]))

    assert "kafka_versions is ['3.6.0'], asked ['3.7.x'], which MSK cannot change" in result["msg"]
    assert api_calls.mutating == []
    assert run(args(kafka_versions=None))["changed"] is False  # unset: not managed


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_absent(kafka, api_calls, check_mode):
    created = run(args())["configuration"]
    api_calls.reset()

    result = run({"name": NAME, "state": "absent"}, check_mode=check_mode)

    assert result["changed"] is True
    assert result["configuration"] is None
    assert result["diff"] == {"before": created, "after": {}}
    if check_mode:
        assert api_calls.mutating == [] and len(configurations(kafka)) == 1
    else:
        assert api_calls.mutating == ["DeleteConfiguration"] and configurations(kafka) == []
        api_calls.reset()
        again = run({"name": NAME, "state": "absent"})
        assert again["changed"] is False and api_calls.mutating == []


def test_absent_while_a_cluster_uses_it(kafka, aws, api_calls):
    arn = run(args())["configuration"]["arn"]
    vpc = aws.create_vpc(CidrBlock="10.63.0.0/16")["Vpc"]["VpcId"]
    subnets = [aws.create_subnet(VpcId=vpc, CidrBlock=f"10.63.{n}.0/24")["Subnet"]["SubnetId"] for n in range(2)]
    kafka.create_cluster(
        ClusterName=NAME,
        KafkaVersion="3.6.0",
        NumberOfBrokerNodes=2,
        BrokerNodeGroupInfo={"ClientSubnets": subnets, "InstanceType": "kafka.t3.small"},
        ConfigurationInfo={"Arn": arn, "Revision": 1},
    )

    result = run_failing({"name": NAME, "state": "absent"})

    assert f"Failed to delete MSK configuration {arn}" in result["msg"]
    assert len(configurations(kafka)) == 1


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"name": "-x"}, "name '-x' is invalid"),
        ({"server_properties": {"bad key": 1}}, "server_properties has keys that are not Kafka property names: bad key"),
        ({"server_properties": {"a.b": "x\ny=1"}}, "server_properties values must be single-line"),
        ({"server_properties": {"a.b": [1]}}, "server_properties values must be single-line"),
    ],
    ids=["name", "key", "multi-line", "list"],
)
def test_bad_input_fails_before_any_call(kafka, api_calls, bad, message):
    api_calls.reset()

    result = run_failing(args(**bad))

    assert message in result["msg"]
    assert api_calls == []


def test_create_needs_properties(kafka, api_calls):
    result = run_failing({"name": NAME})
    assert "server_properties is required to create it" in result["msg"]
    assert api_calls.mutating == []
