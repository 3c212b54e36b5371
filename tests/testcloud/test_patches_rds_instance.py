"""Tests of the RDS fidelity patches added for rds_db_instance (testcloud/aws_patches/rds_*): the test cloud
behaves like AWS for Performance Insights, DBPortNumber and read replicas (including the refusal of a replica
of a source whose master password RDS manages)."""

import time

import boto3
import pytest
from botocore.exceptions import ClientError

from testcloud.aws import ACCESS_KEY, REGION, SECRET_KEY, AwsTestCloud
from testcloud.aws_patches import PATCH_MODULES
from testcloud.aws_patches import load
from tests.testcloud.conftest import CLIENT_CONFIG

CREATE_SECONDS = 1.5
POLL_DEADLINE = 15.0


# Not a secret: the password of test instances that must be able to have read replicas.
OWN_PASSWORD = "test-cloud-only-1"


def create_db(rds, name, password=None, engine="postgres", **params):
    """A small encrypted instance (PostgreSQL unless told) whose password RDS manages, or, with ``password``, its
    own (a source of read replicas needs one); its DBInstance."""
    if password is None:
        params["ManageMasterUserPassword"] = True
    else:
        params["MasterUserPassword"] = password
    return rds.create_db_instance(
        DBInstanceIdentifier=name,
        Engine=engine,
        DBInstanceClass="db.t3.micro",
        MasterUsername="strata",
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

    off = create_db(rds, "pi-off", password=OWN_PASSWORD)
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
    rds = clients("rds")
    create_db(rds, "source", password=OWN_PASSWORD, EnableCloudwatchLogsExports=["postgresql"],
              Tags=[{"Key": "role", "Value": "primary"}])

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
    rds.delete_db_instance(DBInstanceIdentifier="replica", SkipFinalSnapshot=True)
    assert describe(rds, "source")["ReadReplicaDBInstanceIdentifiers"] == []


def test_rds_read_replica_own_settings_keeps_the_source_secret(clients):
    """SQL Server, the one engine whose managed-password sources may have replicas: the replica has no secret of
    its own, and deleting it leaves the source's."""
    rds, secrets = clients("rds"), clients("secretsmanager")
    source = create_db(rds, "mssql", engine="sqlserver-se", LicenseModel="license-included")
    secret_arn = source["MasterUserSecret"]["SecretArn"]

    replica = rds.create_db_instance_read_replica(DBInstanceIdentifier="mssql-replica",
                                                  SourceDBInstanceIdentifier="mssql")["DBInstance"]

    assert "MasterUserSecret" not in replica
    rds.delete_db_instance(DBInstanceIdentifier="mssql-replica", SkipFinalSnapshot=True)
    assert secrets.describe_secret(SecretId=secret_arn)["OwningService"] == "rds"
    assert describe(rds, "mssql")["MasterUserSecret"]["SecretArn"] == secret_arn
    assert describe(rds, "mssql")["ReadReplicaDBInstanceIdentifiers"] == []


# --- rds_read_replica_of_managed_password_source ---


def test_rds_read_replica_of_managed_password_source_is_registered():
    """Applied by the test cloud after the patches that also wrap replica creation (so it runs first)."""
    assert PATCH_MODULES[-1] == "rds_read_replica_of_managed_password_source"
    assert PATCH_MODULES.index("rds_read_replica_own_settings") < PATCH_MODULES.index(PATCH_MODULES[-1])
    patch = load(PATCH_MODULES[-1])
    patch.apply()
    assert patch.apply() is False


@pytest.mark.parametrize("engine", ["postgres", "mysql"])
def test_rds_read_replica_of_managed_password_source(clients, engine):
    rds, secrets = clients("rds"), clients("secretsmanager")
    source = create_db(rds, "managed", engine=engine)
    secret_arn = source["MasterUserSecret"]["SecretArn"]

    with pytest.raises(ClientError) as excinfo:
        rds.create_db_instance_read_replica(DBInstanceIdentifier="managed-replica",
                                            SourceDBInstanceIdentifier="managed")

    error = excinfo.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "InvalidParameterValue",
        f"Creating read replicas for source instance with engine {engine} where ManageMasterUserPassword is enabled "
        "is not supported.",
    )
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # nothing was created, the source is untouched
    with pytest.raises(ClientError) as missing:
        describe(rds, "managed-replica")
    assert missing.value.response["Error"]["Code"] == "DBInstanceNotFound"
    after = describe(rds, "managed")
    assert after["ReadReplicaDBInstanceIdentifiers"] == []
    assert after["MasterUserSecret"]["SecretArn"] == secret_arn
    assert secrets.describe_secret(SecretId=secret_arn)["OwningService"] == "rds"
    # by ARN too
    with pytest.raises(ClientError) as by_arn:
        rds.create_db_instance_read_replica(DBInstanceIdentifier="managed-replica",
                                            SourceDBInstanceIdentifier=after["DBInstanceArn"])
    assert by_arn.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_rds_read_replica_of_managed_password_source_after_the_fix(clients):
    """The fix AWS allows: the source gets a password of its own (RDS deletes its secret), then the replica."""
    rds, secrets = clients("rds"), clients("secretsmanager")
    secret_arn = create_db(rds, "moved")["MasterUserSecret"]["SecretArn"]

    rds.modify_db_instance(DBInstanceIdentifier="moved", ManageMasterUserPassword=False,
                           MasterUserPassword=OWN_PASSWORD, ApplyImmediately=True)
    replica = rds.create_db_instance_read_replica(DBInstanceIdentifier="moved-replica",
                                                  SourceDBInstanceIdentifier="moved")["DBInstance"]

    assert replica["ReadReplicaSourceDBInstanceIdentifier"] == "moved"
    assert "MasterUserSecret" not in describe(rds, "moved")
    assert describe(rds, "moved")["ReadReplicaDBInstanceIdentifiers"] == ["moved-replica"]
    with pytest.raises(ClientError) as gone:
        secrets.describe_secret(SecretId=secret_arn)
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_rds_read_replica_of_an_unknown_source_is_still_not_found(clients):
    with pytest.raises(ClientError) as excinfo:
        clients("rds").create_db_instance_read_replica(DBInstanceIdentifier="orphan",
                                                       SourceDBInstanceIdentifier="missing")
    assert excinfo.value.response["Error"]["Code"] == "DBInstanceNotFound"


@pytest.fixture(scope="module")
def slow_cloud(tmp_path_factory):
    """A test cloud whose DB instances take CREATE_SECONDS to create."""
    cloud = AwsTestCloud(log_path=tmp_path_factory.mktemp("slowrds") / "aws.log", create_seconds=CREATE_SECONDS)
    with cloud:
        yield cloud


def statuses_until_available(rds, name, started):
    """(seconds since ``started``, status) of each change ``name`` reports, until it is available; no fixed sleep."""
    seen = []
    while True:
        status = describe(rds, name)["DBInstanceStatus"]
        elapsed = time.monotonic() - started
        if not seen or seen[-1][1] != status:
            seen.append((elapsed, status))
        if status == "available" or elapsed > POLL_DEADLINE:
            return seen
        time.sleep(0.1)


def assert_creating_for_its_creation_time(seen):
    """``creating`` until CREATE_SECONDS have passed, then ``available``. Load-proof: a first answer that comes
    after the creation time may already say ``available``; an ``available`` before it fails."""
    assert seen[-1][1] == "available", seen
    assert [status for _elapsed, status in seen] in (["creating", "available"], ["available"]), seen
    assert seen[-1][0] >= CREATE_SECONDS - 0.5, f"available after {seen[-1][0]:.2f} s: {seen}"


def test_rds_read_replica_own_settings_creation_time(slow_cloud):
    """A replica of a source created long ago is still ``creating`` for its own creation time."""
    session = boto3.session.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION)
    rds = session.client("rds", endpoint_url=slow_cloud.endpoint, config=CLIENT_CONFIG)
    started = time.monotonic()
    create_db(rds, "slow-source", password=OWN_PASSWORD)
    assert_creating_for_its_creation_time(statuses_until_available(rds, "slow-source", started))

    started = time.monotonic()
    replica = rds.create_db_instance_read_replica(DBInstanceIdentifier="slow-replica",
                                                  SourceDBInstanceIdentifier="slow-source")["DBInstance"]

    assert replica["DBInstanceStatus"] == "creating"
    assert_creating_for_its_creation_time(statuses_until_available(rds, "slow-replica", started))
