"""Tests of the RDS fidelity patches added for rds_db_instance (testcloud/aws_patches/rds_*): the test cloud
behaves like AWS for Performance Insights, DBPortNumber and read replicas."""

import time

import boto3
import pytest

from testcloud.aws import ACCESS_KEY, REGION, SECRET_KEY, AwsTestCloud
from tests.testcloud.conftest import CLIENT_CONFIG

CREATE_SECONDS = 1.5
POLL_DEADLINE = 15.0


def create_db(rds, name, **params):
    """A small encrypted PostgreSQL instance whose password RDS manages; its DBInstance."""
    return rds.create_db_instance(
        DBInstanceIdentifier=name,
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        MasterUsername="strata",
        ManageMasterUserPassword=True,
        AllocatedStorage=20,
        StorageEncrypted=True,
        BackupRetentionPeriod=7,
        **params,
    )["DBInstance"]


def describe(rds, name):
    return rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]


@pytest.fixture
def clients(aws_cloud, aws_client):
    """``clients("rds")``: boto3 clients on an emptied test cloud."""
    return aws_client


def test_rds_performance_insights(clients):
    rds = clients("rds")
    key = clients("kms").create_key()["KeyMetadata"]["Arn"]
    default_key = clients("kms").describe_key(KeyId="alias/aws/rds")["KeyMetadata"]["Arn"]

    off = create_db(rds, "pi-off")
    assert off["PerformanceInsightsEnabled"] is False
    assert "PerformanceInsightsKMSKeyId" not in off and "PerformanceInsightsRetentionPeriod" not in off

    on = create_db(rds, "pi-on", EnablePerformanceInsights=True, PerformanceInsightsKMSKeyId=key,
                   PerformanceInsightsRetentionPeriod=31)
    assert (on["PerformanceInsightsEnabled"], on["PerformanceInsightsKMSKeyId"]) == (True, key)
    assert on["PerformanceInsightsRetentionPeriod"] == 31

    rds.modify_db_instance(DBInstanceIdentifier="pi-off", EnablePerformanceInsights=True, ApplyImmediately=True)
    enabled = describe(rds, "pi-off")
    assert enabled["PerformanceInsightsEnabled"] is True
    assert enabled["PerformanceInsightsKMSKeyId"] == default_key
    assert enabled["PerformanceInsightsRetentionPeriod"] == 7

    rds.modify_db_instance(DBInstanceIdentifier="pi-on", EnablePerformanceInsights=False, ApplyImmediately=True)
    assert describe(rds, "pi-on")["PerformanceInsightsEnabled"] is False

    # a replica has Performance Insights only if asked
    replica = rds.create_db_instance_read_replica(DBInstanceIdentifier="pi-replica",
                                                  SourceDBInstanceIdentifier="pi-off")["DBInstance"]
    assert replica["PerformanceInsightsEnabled"] is False
    assert describe(rds, "pi-off")["PerformanceInsightsEnabled"] is True


def test_rds_modify_db_port_number(clients):
    rds = clients("rds")
    assert create_db(rds, "port", Port=5432)["Endpoint"]["Port"] == 5432

    answer = rds.modify_db_instance(DBInstanceIdentifier="port", DBPortNumber=6432, ApplyImmediately=True)

    assert answer["DBInstance"]["Endpoint"]["Port"] == 6432
    assert describe(rds, "port")["Endpoint"]["Port"] == 6432


def test_rds_read_replica_own_settings(clients):
    rds, secrets = clients("rds"), clients("secretsmanager")
    source = create_db(rds, "source", EnableCloudwatchLogsExports=["postgresql"],
                       Tags=[{"Key": "role", "Value": "primary"}])
    secret_arn = source["MasterUserSecret"]["SecretArn"]

    replica = rds.create_db_instance_read_replica(DBInstanceIdentifier="replica",
                                                  SourceDBInstanceIdentifier="source")["DBInstance"]

    assert replica["ReadReplicaSourceDBInstanceIdentifier"] == "source"
    assert replica["BackupRetentionPeriod"] == 0
    assert "MasterUserSecret" not in replica
    assert replica["TagList"] == []
    assert replica["EnabledCloudwatchLogsExports"] == ["postgresql"]
    # changing the replica leaves the source alone
    rds.modify_db_instance(DBInstanceIdentifier="replica", ApplyImmediately=True,
                           CloudwatchLogsExportConfiguration={"DisableLogTypes": ["postgresql"]})
    rds.add_tags_to_resource(ResourceName=replica["DBInstanceArn"], Tags=[{"Key": "role", "Value": "replica"}])
    assert describe(rds, "replica").get("EnabledCloudwatchLogsExports", []) == []
    assert describe(rds, "source")["EnabledCloudwatchLogsExports"] == ["postgresql"]
    assert describe(rds, "source")["TagList"] == [{"Key": "role", "Value": "primary"}]
    # deleting the replica leaves the source's secret
    rds.delete_db_instance(DBInstanceIdentifier="replica", SkipFinalSnapshot=True)
    assert secrets.describe_secret(SecretId=secret_arn)["OwningService"] == "rds"
    assert describe(rds, "source")["MasterUserSecret"]["SecretArn"] == secret_arn
    assert describe(rds, "source")["ReadReplicaDBInstanceIdentifiers"] == []


@pytest.fixture(scope="module")
def slow_cloud(tmp_path_factory):
    """A test cloud whose DB instances take CREATE_SECONDS to create."""
    cloud = AwsTestCloud(log_path=tmp_path_factory.mktemp("slowrds") / "aws.log", create_seconds=CREATE_SECONDS)
    with cloud:
        yield cloud


def statuses_until_available(rds, name):
    """The statuses ``name`` reports (deduplicated in order) until it is available; no fixed sleep."""
    seen = []
    end = time.monotonic() + POLL_DEADLINE
    while True:
        status = describe(rds, name)["DBInstanceStatus"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status == "available" or time.monotonic() > end:
            return seen
        time.sleep(0.1)


def test_rds_read_replica_own_settings_creation_time(slow_cloud):
    """A replica of a source created long ago is still ``creating`` for its own creation time."""
    session = boto3.session.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION)
    rds = session.client("rds", endpoint_url=slow_cloud.endpoint, config=CLIENT_CONFIG)
    create_db(rds, "slow-source")
    assert statuses_until_available(rds, "slow-source") == ["creating", "available"]

    started = time.monotonic()
    replica = rds.create_db_instance_read_replica(DBInstanceIdentifier="slow-replica",
                                                  SourceDBInstanceIdentifier="slow-source")["DBInstance"]

    assert replica["DBInstanceStatus"] == "creating"
    assert statuses_until_available(rds, "slow-replica") == ["creating", "available"]
    assert time.monotonic() - started >= CREATE_SECONDS - 0.5
