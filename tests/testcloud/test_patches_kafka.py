"""Tests of the MSK cluster-update patch (kafka_cluster_updates): the seven Update* calls behave like AWS."""

import time

import pytest
from botocore.exceptions import ClientError

from testcloud.aws import AwsTestCloud
from tests.testcloud.test_patches_data_stores import client_on
from tests.testcloud.test_patches_data_stores import create_kafka_cluster
from tests.testcloud.test_patches_data_stores import error_code
from tests.testcloud.test_patches_data_stores import poll
from tests.testcloud.test_patches_data_stores import subnets

UPDATE_SECONDS = 1.5


@pytest.fixture
def clients(aws_cloud, aws_client):
    """``clients("kafka")``: boto3 clients on an emptied test cloud."""
    return aws_client


def described(kafka, arn):
    return kafka.describe_cluster(ClusterArn=arn)["ClusterInfo"]


def fails(call, code="BadRequestException"):
    """The call fails with the AWS error ``code``; returns the message."""
    with pytest.raises(ClientError) as excinfo:
        call()
    assert error_code(excinfo) == code
    return excinfo.value.response["Error"]["Message"]


def test_kafka_cluster_updates(clients):
    kafka = clients("kafka")
    config = kafka.create_configuration(Name="strata-dev-kafka", ServerProperties=b"min.insync.replicas=1")["Arn"]
    arn = create_kafka_cluster(
        kafka,
        "kafka",
        subnets(clients("ec2")),
        EncryptionInfo={"EncryptionInTransit": {"ClientBroker": "TLS", "InCluster": True}},
    )
    version = described(kafka, arn)["CurrentVersion"]

    # A stale CurrentVersion is refused and changes nothing.
    message = fails(lambda: kafka.update_broker_type(ClusterArn=arn, CurrentVersion="stale", TargetInstanceType="kafka.m5.large"))
    assert "does not match" in message
    assert described(kafka, arn)["BrokerNodeGroupInfo"]["InstanceType"] == "kafka.t3.small"

    def update(call, **params):
        nonlocal version
        answer = call(ClusterArn=arn, CurrentVersion=version, **params)
        assert answer["ClusterArn"] == arn
        assert ":cluster-operation/" in answer["ClusterOperationArn"]
        info = described(kafka, arn)
        assert info["CurrentVersion"] != version and info["State"] == "ACTIVE"
        version = info["CurrentVersion"]
        return info

    info = update(kafka.update_broker_type, TargetInstanceType="kafka.m5.large")
    assert info["BrokerNodeGroupInfo"]["InstanceType"] == "kafka.m5.large"
    info = update(kafka.update_broker_count, TargetNumberOfBrokerNodes=4)
    assert info["NumberOfBrokerNodes"] == 4
    info = update(kafka.update_broker_storage, TargetBrokerEBSVolumeInfo=[{"KafkaBrokerNodeId": "All", "VolumeSizeGB": 250}])
    assert info["BrokerNodeGroupInfo"]["StorageInfo"]["EbsStorageInfo"]["VolumeSize"] == 250
    info = update(kafka.update_cluster_configuration, ConfigurationInfo={"Arn": config, "Revision": 1})
    assert info["CurrentBrokerSoftwareInfo"]["ConfigurationArn"] == config
    info = update(kafka.update_cluster_kafka_version, TargetKafkaVersion="3.7.x")
    assert info["CurrentBrokerSoftwareInfo"]["KafkaVersion"] == "3.7.x"
    logs = {"BrokerLogs": {"CloudWatchLogs": {"Enabled": True, "LogGroup": "/strata/dev/msk"}}}
    info = update(kafka.update_monitoring, EnhancedMonitoring="PER_BROKER", LoggingInfo=logs)
    assert (info["EnhancedMonitoring"], info["LoggingInfo"]) == ("PER_BROKER", logs)
    info = update(
        kafka.update_security,
        EncryptionInfo={"EncryptionInTransit": {"ClientBroker": "TLS_PLAINTEXT"}},
        ClientAuthentication={"Sasl": {"Iam": {"Enabled": True}}},
    )
    assert info["EncryptionInfo"]["EncryptionInTransit"] == {"ClientBroker": "TLS_PLAINTEXT", "InCluster": True}
    assert info["ClientAuthentication"] == {"Sasl": {"Iam": {"Enabled": True}}}
    assert kafka.get_bootstrap_brokers(ClusterArn=arn)["BootstrapBrokerString"].endswith(":9092")

    # What AWS refuses: shrinking storage, a broker count that is not a multiple of the zones,
    # a configuration revision that does not exist, changing at-rest or in-cluster encryption.
    refused = [
        (kafka.update_broker_storage, {"TargetBrokerEBSVolumeInfo": [{"KafkaBrokerNodeId": "All", "VolumeSizeGB": 100}]}),
        (kafka.update_broker_count, {"TargetNumberOfBrokerNodes": 5}),
        (kafka.update_cluster_configuration, {"ConfigurationInfo": {"Arn": config, "Revision": 2}}),
        (kafka.update_security, {"EncryptionInfo": {"EncryptionAtRest": {"DataVolumeKMSKeyId": "alias/other"}}}),
        (kafka.update_security, {"EncryptionInfo": {"EncryptionInTransit": {"InCluster": False}}}),
    ]
    for call, params in refused:
        with pytest.raises(ClientError) as excinfo:
            call(ClusterArn=arn, CurrentVersion=version, **params)
        assert error_code(excinfo) in ("BadRequestException", "NotFoundException"), call
    assert described(kafka, arn)["CurrentVersion"] == version

    unknown = arn[:-4] + "0000"
    fails(lambda: kafka.update_broker_type(ClusterArn=unknown, CurrentVersion="1", TargetInstanceType="kafka.m5.large"), "NotFoundException")


def test_kafka_cluster_updates_one_operation_at_a_time(tmp_path):
    """With a simulated operation time the cluster is UPDATING after an update and refuses another."""
    with AwsTestCloud(log_path=tmp_path / "aws.log", create_seconds=UPDATE_SECONDS) as cloud:
        kafka = client_on(cloud, "kafka")
        arn = create_kafka_cluster(kafka, "kafka", subnets(client_on(cloud, "ec2")))
        assert described(kafka, arn)["State"] == "CREATING"
        fails(lambda: kafka.update_broker_type(ClusterArn=arn, CurrentVersion="1.0", TargetInstanceType="kafka.m5.large"))
        assert poll(lambda: described(kafka, arn)["State"], "ACTIVE")[-1] == "ACTIVE"

        version = described(kafka, arn)["CurrentVersion"]
        kafka.update_broker_type(ClusterArn=arn, CurrentVersion=version, TargetInstanceType="kafka.m5.large")
        started = time.monotonic()
        info = described(kafka, arn)
        assert info["State"] == "UPDATING"
        message = fails(
            lambda: kafka.update_broker_count(ClusterArn=arn, CurrentVersion=info["CurrentVersion"], TargetNumberOfBrokerNodes=4)
        )
        assert "UPDATING" in message
        (listed,) = kafka.list_clusters(ClusterNameFilter="kafka")["ClusterInfoList"]
        assert listed["State"] in ("UPDATING", "ACTIVE")
        assert poll(lambda: described(kafka, arn)["State"], "ACTIVE")[-1] == "ACTIVE"
        assert time.monotonic() - started >= UPDATE_SECONDS - 0.5
