"""Tests of the data-store fidelity patches (RDS, ElastiCache, MSK) and of the simulated creation time."""

import time
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError

from testcloud._process import no_proxy_opener
from testcloud.aws import ACCESS_KEY, REGION, SECRET_KEY, AwsTestCloud
from testcloud.__main__ import build_parser, cloud_options
from testcloud.aws_patches._creation import create_seconds
from tests.testcloud.conftest import CLIENT_CONFIG

CREATE_SECONDS = 2.0
POLL_DEADLINE = 15.0


def error_code(excinfo):
    """The AWS error code of a raised ClientError."""
    return excinfo.value.response["Error"]["Code"]


def client_on(cloud, service):
    """A boto3 client on ``cloud`` without retries."""
    session = boto3.session.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION)
    return session.client(service, endpoint_url=cloud.endpoint, config=CLIENT_CONFIG)


def poll(read, wanted, deadline=POLL_DEADLINE):
    """Every value ``read()`` returned (deduplicated in order) until it returns ``wanted``."""
    seen = []
    end = time.monotonic() + deadline
    while True:
        value = read()
        if not seen or seen[-1] != value:
            seen.append(value)
        if value == wanted or time.monotonic() > end:
            return seen
        time.sleep(0.1)


def subnets(ec2, count=2):
    """``count`` subnet ids in distinct zones of a new VPC."""
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    zones = [zone["ZoneName"] for zone in ec2.describe_availability_zones()["AvailabilityZones"]]
    return [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.30.{n}.0/24", AvailabilityZone=zones[n])["Subnet"]["SubnetId"]
        for n in range(count)
    ]


def create_db(rds, name, **params):
    """A small PostgreSQL instance; its DBInstance."""
    params.setdefault("MasterUserPassword", "not-a-real-secret-1")
    return rds.create_db_instance(
        DBInstanceIdentifier=name,
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        MasterUsername="strata",
        **params,
    )["DBInstance"]


def create_replication_group(elasticache, name, subnet_group=None):
    """A two-node Redis replication group; its ReplicationGroup."""
    params = {"CacheSubnetGroupName": subnet_group} if subnet_group else {}
    return elasticache.create_replication_group(
        ReplicationGroupId=name,
        ReplicationGroupDescription="strata cache",
        Engine="redis",
        CacheNodeType="cache.t3.micro",
        NumCacheClusters=2,
        AtRestEncryptionEnabled=True,
        TransitEncryptionEnabled=True,
        **params,
    )["ReplicationGroup"]


def create_kafka_cluster(kafka, name, client_subnets, **params):
    """A two-broker MSK cluster; its ARN."""
    return kafka.create_cluster(
        ClusterName=name,
        KafkaVersion="3.6.0",
        NumberOfBrokerNodes=2,
        BrokerNodeGroupInfo={
            "ClientSubnets": client_subnets,
            "InstanceType": "kafka.t3.small",
            "StorageInfo": {"EbsStorageInfo": {"VolumeSize": 100}},
        },
        **params,
    )["ClusterArn"]


@pytest.fixture
def clients(aws_cloud, aws_client):
    """``clients("rds")``: boto3 clients on an emptied test cloud."""
    return aws_client


@pytest.fixture(scope="module")
def slow_cloud(tmp_path_factory):
    """A second test cloud whose data stores take CREATE_SECONDS to create, with one of each
    created at once: ``(cloud, {"rds": id, "elasticache": id, "kafka": arn}, created_at)``."""
    cloud = AwsTestCloud(log_path=tmp_path_factory.mktemp("slowcloud") / "aws.log", create_seconds=CREATE_SECONDS)
    with cloud:
        ec2 = client_on(cloud, "ec2")
        started = time.monotonic()  # before the first creation: each is ready CREATE_SECONDS after its own
        created = {
            "rds": create_db(client_on(cloud, "rds"), "slow-db", AllocatedStorage=20)["DBInstanceIdentifier"],
            "elasticache": create_replication_group(client_on(cloud, "elasticache"), "slow-cache")["ReplicationGroupId"],
            "kafka": create_kafka_cluster(client_on(cloud, "kafka"), "slow-kafka", subnets(ec2)),
        }
        yield cloud, created, started


def check_slow_creation(slow_cloud, read, creating, ready):
    """``read(cloud)`` goes creating -> ready, not before CREATE_SECONDS; no fixed sleep."""
    cloud, created_at = slow_cloud[0], slow_cloud[2]
    seen = poll(lambda: read(cloud), ready)
    assert seen[-1] == ready
    assert time.monotonic() - created_at >= CREATE_SECONDS - 0.5
    assert seen in ([creating, ready], [ready])  # [ready] only when an earlier test already waited


def test_create_seconds_setting(monkeypatch):
    monkeypatch.delenv("STRATA_TESTCLOUD_CREATE_SECONDS", raising=False)
    monkeypatch.delenv("STRATA_TESTCLOUD_CREATE_SECONDS_MSK", raising=False)
    assert create_seconds("MSK") == 0
    monkeypatch.setenv("STRATA_TESTCLOUD_CREATE_SECONDS", "5")
    assert create_seconds("MSK") == 5
    monkeypatch.setenv("STRATA_TESTCLOUD_CREATE_SECONDS_MSK", "1.5")
    assert create_seconds("msk") == 1.5
    assert create_seconds("RDS", {}) == 0


def test_create_seconds_plumbing():
    assert AwsTestCloud(create_seconds=2).extra_args == ["--create-seconds", "2"]
    assert AwsTestCloud().extra_args == []
    args = build_parser().parse_args(["start", "--state-dir", "d", "--create-seconds", "2.5"])
    assert cloud_options("aws", args) == {"create_seconds": 2.5}
    assert cloud_options("aws", build_parser().parse_args(["run", "--", "true"])) == {}


# -- RDS ---------------------------------------------------------------------------------------


def test_rds_db_instance_creating(slow_cloud, clients):
    assert create_db(clients("rds"), "fast-db", AllocatedStorage=20)["DBInstanceStatus"] == "available"
    first = create_db(client_on(slow_cloud[0], "rds"), "slow-db-2", AllocatedStorage=20)
    assert first["DBInstanceStatus"] == "creating"

    def status(cloud):
        return client_on(cloud, "rds").describe_db_instances(DBInstanceIdentifier=slow_cloud[1]["rds"])[
            "DBInstances"
        ][0]["DBInstanceStatus"]

    check_slow_creation(slow_cloud, status, "creating", "available")


def test_rds_gp3_storage_baseline(clients):
    rds = clients("rds")
    small = create_db(rds, "small", AllocatedStorage=20, StorageType="gp3")
    assert (small["Iops"], small["StorageThroughput"]) == (3000, 125)
    large = create_db(rds, "large", AllocatedStorage=400, StorageType="gp3")
    assert (large["Iops"], large["StorageThroughput"]) == (12000, 500)
    provisioned = create_db(rds, "prov", AllocatedStorage=500, StorageType="gp3", Iops=15000, StorageThroughput=600)
    assert (provisioned["Iops"], provisioned["StorageThroughput"]) == (15000, 600)
    gp2 = create_db(rds, "gp2", AllocatedStorage=20, StorageType="gp2")
    assert "Iops" not in gp2 and "StorageThroughput" not in gp2
    described = rds.describe_db_instances(DBInstanceIdentifier="small")["DBInstances"][0]
    assert (described["Iops"], described["StorageThroughput"]) == (3000, 125)


def test_rds_managed_master_user_secret(clients):
    """Not a patch: moto already answers AWS's MasterUserSecret and creates the secret."""
    rds = clients("rds")
    instance = rds.create_db_instance(
        DBInstanceIdentifier="managed",
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        MasterUsername="strata",
        AllocatedStorage=20,
        ManageMasterUserPassword=True,
    )["DBInstance"]
    secret = instance["MasterUserSecret"]
    assert set(secret) == {"SecretArn", "SecretStatus", "KmsKeyId"}
    described = clients("secretsmanager").describe_secret(SecretId=secret["SecretArn"])
    assert described["OwningService"] == "rds"
    assert described["Name"].startswith("rds!db-")


# -- ElastiCache -------------------------------------------------------------------------------


def test_elasticache_replication_group_creating(slow_cloud, clients):
    assert create_replication_group(clients("elasticache"), "fast-cache")["Status"] == "available"

    def status(cloud):
        return client_on(cloud, "elasticache").describe_replication_groups(
            ReplicationGroupId=slow_cloud[1]["elasticache"]
        )["ReplicationGroups"][0]["Status"]

    check_slow_creation(slow_cloud, status, "creating", "available")


def test_elasticache_replication_group_deleted(clients):
    elasticache = clients("elasticache")
    create_replication_group(elasticache, "cache")
    assert elasticache.delete_replication_group(ReplicationGroupId="cache")["ReplicationGroup"]["Status"] == "deleting"
    with pytest.raises(ClientError) as gone:
        elasticache.describe_replication_groups(ReplicationGroupId="cache")
    assert error_code(gone) == "ReplicationGroupNotFoundFault"
    elasticache.get_waiter("replication_group_deleted").wait(ReplicationGroupId="cache", WaiterConfig={"Delay": 1})
    assert create_replication_group(elasticache, "cache")["ReplicationGroupId"] == "cache"  # the id is free again


def test_elasticache_delete_cache_subnet_group(clients):
    elasticache = clients("elasticache")
    subnet_ids = subnets(clients("ec2"))
    elasticache.create_cache_subnet_group(
        CacheSubnetGroupName="cache-subnets", CacheSubnetGroupDescription="strata", SubnetIds=subnet_ids
    )
    create_replication_group(elasticache, "cache", subnet_group="cache-subnets")
    with pytest.raises(ClientError) as in_use:
        elasticache.delete_cache_subnet_group(CacheSubnetGroupName="cache-subnets")
    assert error_code(in_use) == "CacheSubnetGroupInUse"

    elasticache.delete_replication_group(ReplicationGroupId="cache")
    elasticache.delete_cache_subnet_group(CacheSubnetGroupName="cache-subnets")
    assert elasticache.describe_cache_subnet_groups()["CacheSubnetGroups"] == []
    with pytest.raises(ClientError) as missing:
        elasticache.delete_cache_subnet_group(CacheSubnetGroupName="cache-subnets")
    assert error_code(missing) == "CacheSubnetGroupNotFoundFault"


# -- MSK ---------------------------------------------------------------------------------------


def test_kafka_cluster_active_after_creation(slow_cloud, clients):
    kafka = clients("kafka")
    arn = create_kafka_cluster(kafka, "fast-kafka", subnets(clients("ec2")))
    assert kafka.describe_cluster(ClusterArn=arn)["ClusterInfo"]["State"] == "ACTIVE"

    def state(cloud):
        return client_on(cloud, "kafka").describe_cluster(ClusterArn=slow_cloud[1]["kafka"])["ClusterInfo"]["State"]

    check_slow_creation(slow_cloud, state, "CREATING", "ACTIVE")


def test_kafka_cluster_not_found(clients):
    kafka = clients("kafka")
    arn = create_kafka_cluster(kafka, "kafka", subnets(clients("ec2")))
    kafka.delete_cluster(ClusterArn=arn)
    with pytest.raises(ClientError) as described:
        kafka.describe_cluster(ClusterArn=arn)
    assert error_code(described) == "NotFoundException"
    with pytest.raises(ClientError) as deleted:
        kafka.delete_cluster(ClusterArn=arn)
    assert error_code(deleted) == "NotFoundException"


def test_kafka_list_clusters_cluster_info(clients):
    kafka = clients("kafka")
    arn = create_kafka_cluster(kafka, "kafka-a", subnets(clients("ec2")), EnhancedMonitoring="PER_BROKER")
    (listed,) = kafka.list_clusters(ClusterNameFilter="kafka-a")["ClusterInfoList"]
    assert listed == kafka.describe_cluster(ClusterArn=arn)["ClusterInfo"]
    assert listed["NumberOfBrokerNodes"] == 2
    assert listed["BrokerNodeGroupInfo"]["StorageInfo"]["EbsStorageInfo"]["VolumeSize"] == 100
    assert listed["EnhancedMonitoring"] == "PER_BROKER"
    assert listed["CurrentBrokerSoftwareInfo"] == {"KafkaVersion": "3.6.0"}  # no configuration given


def test_kafka_get_bootstrap_brokers(clients):
    kafka = clients("kafka")
    client_subnets = subnets(clients("ec2"))
    tls_only = create_kafka_cluster(kafka, "kafka-tls", client_subnets)
    brokers = kafka.get_bootstrap_brokers(ClusterArn=tls_only)
    assert "BootstrapBrokerString" not in brokers
    hosts = brokers["BootstrapBrokerStringTls"].split(",")
    assert len(hosts) == 2 and all(host.endswith(".kafka.us-east-1.amazonaws.com:9094") for host in hosts)

    both = create_kafka_cluster(
        kafka, "kafka-both", client_subnets, EncryptionInfo={"EncryptionInTransit": {"ClientBroker": "TLS_PLAINTEXT"}}
    )
    brokers = kafka.get_bootstrap_brokers(ClusterArn=both)
    assert brokers["BootstrapBrokerString"].endswith(":9092")
    assert brokers["BootstrapBrokerStringTls"].endswith(":9094")


def test_kafka_configurations(clients):
    kafka = clients("kafka")
    properties = b"auto.create.topics.enable = false\nmin.insync.replicas = 2"
    created = kafka.create_configuration(
        Name="strata-dev", Description="dev", KafkaVersions=["3.6.0"], ServerProperties=properties
    )
    arn = created["Arn"]
    assert arn.startswith("arn:aws:kafka:us-east-1:123456789012:configuration/strata-dev/")
    assert (created["State"], created["LatestRevision"]["Revision"]) == ("ACTIVE", 1)
    with pytest.raises(ClientError) as duplicate:
        kafka.create_configuration(Name="strata-dev", ServerProperties=properties)
    assert error_code(duplicate) == "ConflictException"

    revision = kafka.describe_configuration_revision(Arn=arn, Revision=1)
    assert (revision["ServerProperties"], revision["Description"]) == (properties, "dev")

    updated = kafka.update_configuration(Arn=arn, Description="dev 2", ServerProperties=b"min.insync.replicas = 1")
    assert updated["LatestRevision"]["Revision"] == 2
    described = kafka.describe_configuration(Arn=arn)
    assert (described["Name"], described["KafkaVersions"], described["Description"]) == ("strata-dev", ["3.6.0"], "dev 2")
    assert kafka.describe_configuration_revision(Arn=arn, Revision=1)["ServerProperties"] == properties
    (listed,) = kafka.get_paginator("list_configurations").paginate().build_full_result()["Configurations"]
    assert (listed["Arn"], listed["LatestRevision"]["Revision"]) == (arn, 2)

    cluster = create_kafka_cluster(
        kafka, "kafka", subnets(clients("ec2")), ConfigurationInfo={"Arn": arn, "Revision": 2}
    )
    software = kafka.describe_cluster(ClusterArn=cluster)["ClusterInfo"]["CurrentBrokerSoftwareInfo"]
    assert (software["ConfigurationArn"], software["ConfigurationRevision"]) == (arn, 2)
    with pytest.raises(ClientError) as in_use:
        kafka.delete_configuration(Arn=arn)
    assert error_code(in_use) == "BadRequestException"
    kafka.delete_cluster(ClusterArn=cluster)

    assert kafka.delete_configuration(Arn=arn)["State"] == "DELETING"
    for call in (lambda: kafka.describe_configuration(Arn=arn), lambda: kafka.describe_configuration_revision(Arn=arn, Revision=1)):
        with pytest.raises(ClientError) as missing:
            call()
        assert error_code(missing) == "NotFoundException"
    assert kafka.list_configurations()["Configurations"] == []


def test_create_seconds_can_be_changed_while_the_cloud_runs(slow_cloud):
    """``set_create_seconds`` (POST /_testcloud/create-seconds) changes the time of later creations,
    per service or for all; bad input is refused with 400."""
    cloud = slow_cloud[0]
    rds = client_on(cloud, "rds")
    assert cloud.set_create_seconds(0, "RDS") == {"STRATA_TESTCLOUD_CREATE_SECONDS_RDS": 0.0}
    try:
        create_db(rds, "instant-db", AllocatedStorage=20)
        assert rds.describe_db_instances(DBInstanceIdentifier="instant-db")["DBInstances"][0]["DBInstanceStatus"] == "available"
        cloud.set_create_seconds(600, "RDS")
        create_db(rds, "later-db", AllocatedStorage=20)
        assert rds.describe_db_instances(DBInstanceIdentifier="later-db")["DBInstances"][0]["DBInstanceStatus"] == "creating"
    finally:
        cloud.set_create_seconds(CREATE_SECONDS, "RDS")
    assert cloud.set_create_seconds(1.5) == {"STRATA_TESTCLOUD_CREATE_SECONDS": 1.5}
    for query in ("seconds=x", "seconds=1&service=S3", ""):
        req = urllib.request.Request(f"{cloud.endpoint}/_testcloud/create-seconds?{query}", method="POST", data=b"")
        with pytest.raises(urllib.error.HTTPError) as error:
            no_proxy_opener().open(req, timeout=5)
        assert error.value.code == 400
