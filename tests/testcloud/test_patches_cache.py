"""Tests of the cache layer's fidelity patches: replication group members, parameter groups, subnet group changes."""

import pytest
from botocore.exceptions import ClientError


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture
def elasticache(aws_cloud, aws_client):
    return aws_client("elasticache")


@pytest.fixture
def subnet_ids(aws_client, elasticache):
    ec2 = aws_client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.62.0.0/16")["Vpc"]["VpcId"]
    return [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.62.{n}.0/24", AvailabilityZone=f"us-east-1{zone}")["Subnet"]["SubnetId"]
        for n, zone in enumerate("abc")
    ]


def create_group(elasticache, name="cache", **params):
    return elasticache.create_replication_group(
        ReplicationGroupId=name,
        ReplicationGroupDescription="strata cache",
        Engine="redis",
        CacheNodeType="cache.t3.micro",
        **params,
    )["ReplicationGroup"]


def test_elasticache_replication_group_members(elasticache):
    group = create_group(
        elasticache,
        NumCacheClusters=3,
        EngineVersion="7.1",
        CacheSubnetGroupName="subnets",
        SecurityGroupIds=["sg-0123456789abcdef0"],
        CacheParameterGroupName="params",
        PreferredMaintenanceWindow="mon:01:00-mon:02:00",
    )

    assert group["MemberClusters"] == ["cache-001", "cache-002", "cache-003"]
    node_group = group["NodeGroups"][0]
    assert len(node_group["NodeGroupMembers"]) == 3
    assert node_group["ReaderEndpoint"]["Address"].startswith("replica.cache.")
    described = elasticache.describe_replication_groups(ReplicationGroupId="cache")["ReplicationGroups"][0]
    assert described["NodeGroups"][0]["ReaderEndpoint"] == node_group["ReaderEndpoint"]

    cluster = elasticache.describe_cache_clusters(CacheClusterId="cache-002")["CacheClusters"][0]
    assert cluster["ReplicationGroupId"] == "cache"
    assert cluster["EngineVersion"] == "7.1.0"  # AWS reports the full version of the 7.1 asked
    assert cluster["CacheSubnetGroupName"] == "subnets"
    assert cluster["SecurityGroups"] == [{"SecurityGroupId": "sg-0123456789abcdef0", "Status": "active"}]
    assert cluster["CacheParameterGroup"]["CacheParameterGroupName"] == "params"
    assert cluster["PreferredMaintenanceWindow"] == "mon:01:00-mon:02:00"
    assert cluster["CacheClusterStatus"] == "available"
    all_ids = [c["CacheClusterId"] for c in elasticache.describe_cache_clusters()["CacheClusters"]]
    assert sorted(all_ids) == ["cache-001", "cache-002", "cache-003"]


def test_replica_count_changes(elasticache):
    create_group(elasticache, NumCacheClusters=2, AutomaticFailoverEnabled=True)
    group = elasticache.increase_replica_count(ReplicationGroupId="cache", NewReplicaCount=3, ApplyImmediately=True)
    assert group["ReplicationGroup"]["MemberClusters"] == ["cache-001", "cache-002", "cache-003", "cache-004"]
    assert elasticache.describe_cache_clusters(CacheClusterId="cache-004")["CacheClusters"][0]["ReplicationGroupId"] == "cache"
    elasticache.decrease_replica_count(ReplicationGroupId="cache", NewReplicaCount=1, ApplyImmediately=True)
    described = elasticache.describe_replication_groups(ReplicationGroupId="cache")["ReplicationGroups"][0]
    assert described["MemberClusters"] == ["cache-001", "cache-002"]
    assert len(described["NodeGroups"][0]["NodeGroupMembers"]) == 2
    with pytest.raises(ClientError) as excinfo:
        elasticache.decrease_replica_count(ReplicationGroupId="cache", NewReplicaCount=0, ApplyImmediately=True)
    assert error_code(excinfo) == "InvalidParameterCombination"
    with pytest.raises(ClientError) as excinfo:
        elasticache.increase_replica_count(ReplicationGroupId="nope", NewReplicaCount=2, ApplyImmediately=True)
    assert error_code(excinfo) == "ReplicationGroupNotFoundFault"


@pytest.mark.parametrize(
    "version, reported", [("7.1", "7.1.0"), ("6.2", "6.2.6"), ("6.x", "6.2.6"), ("7.1.0", "7.1.0"), ("8.3", "8.3.0")]
)
def test_member_reports_the_full_engine_version(elasticache, version, reported):
    create_group(elasticache, EngineVersion=version)
    cluster = elasticache.describe_cache_clusters(CacheClusterId="cache-001")["CacheClusters"][0]
    assert cluster["EngineVersion"] == reported


def test_failover_needs_a_replica_and_multi_az_needs_failover(elasticache):
    with pytest.raises(ClientError) as excinfo:
        create_group(elasticache, NumCacheClusters=1, AutomaticFailoverEnabled=True)
    assert error_code(excinfo) == "InvalidParameterCombination"
    with pytest.raises(ClientError) as excinfo:
        create_group(elasticache, NumCacheClusters=2, MultiAZEnabled=True)
    assert error_code(excinfo) == "InvalidParameterCombination"
    assert elasticache.describe_replication_groups()["ReplicationGroups"] == []

    create_group(elasticache, NumCacheClusters=1)
    for settings in ({"AutomaticFailoverEnabled": True}, {"AutomaticFailoverEnabled": True, "MultiAZEnabled": True},
                     {"MultiAZEnabled": True}):
        with pytest.raises(ClientError) as excinfo:
            elasticache.modify_replication_group(ReplicationGroupId="cache", ApplyImmediately=True, **settings)
        assert error_code(excinfo) == "InvalidParameterCombination"
    group = elasticache.describe_replication_groups(ReplicationGroupId="cache")["ReplicationGroups"][0]
    assert group["AutomaticFailover"] == "disabled" and group["MultiAZ"] == "disabled"

    # a replica first, then failover and Multi-AZ; off in the reverse order
    elasticache.increase_replica_count(ReplicationGroupId="cache", NewReplicaCount=1, ApplyImmediately=True)
    elasticache.modify_replication_group(
        ReplicationGroupId="cache", ApplyImmediately=True, AutomaticFailoverEnabled=True, MultiAZEnabled=True
    )
    with pytest.raises(ClientError) as excinfo:
        elasticache.modify_replication_group(ReplicationGroupId="cache", ApplyImmediately=True, AutomaticFailoverEnabled=False)
    assert error_code(excinfo) == "InvalidParameterCombination"
    with pytest.raises(ClientError) as excinfo:
        elasticache.decrease_replica_count(ReplicationGroupId="cache", NewReplicaCount=0, ApplyImmediately=True)
    assert error_code(excinfo) == "InvalidParameterCombination"
    elasticache.modify_replication_group(
        ReplicationGroupId="cache", ApplyImmediately=True, AutomaticFailoverEnabled=False, MultiAZEnabled=False
    )
    elasticache.decrease_replica_count(ReplicationGroupId="cache", NewReplicaCount=0, ApplyImmediately=True)
    group = elasticache.describe_replication_groups(ReplicationGroupId="cache")["ReplicationGroups"][0]
    assert group["MemberClusters"] == ["cache-001"] and group["AutomaticFailover"] == "disabled"


def test_member_defaults_and_unknown_cluster(elasticache):
    create_group(elasticache)
    cluster = elasticache.describe_cache_clusters(CacheClusterId="cache-001")["CacheClusters"][0]
    assert cluster["EngineVersion"] == "7.1.0"
    assert cluster["CacheParameterGroup"]["CacheParameterGroupName"] == "default.redis7"
    with pytest.raises(ClientError) as excinfo:
        elasticache.describe_cache_clusters(CacheClusterId="cache-009")
    assert error_code(excinfo) == "CacheClusterNotFound"
    elasticache.delete_replication_group(ReplicationGroupId="cache")
    with pytest.raises(ClientError) as excinfo:
        elasticache.describe_cache_clusters(CacheClusterId="cache-001")
    assert error_code(excinfo) == "CacheClusterNotFound"


def test_modify_applies_member_settings_and_auth(elasticache):
    create_group(elasticache, NumCacheClusters=2, TransitEncryptionEnabled=True)
    elasticache.modify_replication_group(
        ReplicationGroupId="cache",
        ApplyImmediately=True,
        EngineVersion="7.0",
        CacheParameterGroupName="params",
        SecurityGroupIds=["sg-0aaaaaaaaaaaaaaaa"],
        SnapshotWindow="01:00-02:00",
        PreferredMaintenanceWindow="tue:03:00-tue:04:00",
    )
    cluster = elasticache.describe_cache_clusters(CacheClusterId="cache-001")["CacheClusters"][0]
    assert cluster["EngineVersion"] == "7.0.7"
    assert cluster["CacheParameterGroup"]["CacheParameterGroupName"] == "params"
    assert [sg["SecurityGroupId"] for sg in cluster["SecurityGroups"]] == ["sg-0aaaaaaaaaaaaaaaa"]
    assert cluster["PreferredMaintenanceWindow"] == "tue:03:00-tue:04:00"
    group = elasticache.describe_replication_groups(ReplicationGroupId="cache")["ReplicationGroups"][0]
    assert group["SnapshotWindow"] == "01:00-02:00"
    assert group["AuthTokenEnabled"] is False

    elasticache.modify_replication_group(
        ReplicationGroupId="cache", ApplyImmediately=True, AuthToken="A" * 16 + "-b1", AuthTokenUpdateStrategy="ROTATE"
    )
    assert elasticache.describe_replication_groups(ReplicationGroupId="cache")["ReplicationGroups"][0]["AuthTokenEnabled"]


def test_elasticache_cache_parameter_groups(elasticache):
    created = elasticache.create_cache_parameter_group(
        CacheParameterGroupName="fsm-dev-redis7",
        CacheParameterGroupFamily="redis7",
        Description="strata",
        Tags=[{"Key": "layer", "Value": "cache"}],
    )["CacheParameterGroup"]
    assert created["ARN"].endswith(":parametergroup:fsm-dev-redis7")
    assert elasticache.list_tags_for_resource(ResourceName=created["ARN"])["TagList"] == [
        {"Key": "layer", "Value": "cache"}
    ]
    with pytest.raises(ClientError) as excinfo:
        elasticache.create_cache_parameter_group(
            CacheParameterGroupName="fsm-dev-redis7", CacheParameterGroupFamily="redis7", Description="again"
        )
    assert error_code(excinfo) == "CacheParameterGroupAlreadyExists"

    groups = elasticache.describe_cache_parameter_groups()["CacheParameterGroups"]
    assert {"default.redis7", "fsm-dev-redis7"} <= {g["CacheParameterGroupName"] for g in groups}

    def value(name):
        parameters = elasticache.get_paginator("describe_cache_parameters").paginate(
            CacheParameterGroupName="fsm-dev-redis7"
        ).build_full_result()["Parameters"]
        return {p["ParameterName"]: (p["ParameterValue"], p["Source"]) for p in parameters}[name]

    assert value("maxmemory-policy") == ("volatile-lru", "system")
    elasticache.modify_cache_parameter_group(
        CacheParameterGroupName="fsm-dev-redis7",
        ParameterNameValues=[{"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"}],
    )
    assert value("maxmemory-policy") == ("allkeys-lru", "user")
    user = elasticache.describe_cache_parameters(CacheParameterGroupName="fsm-dev-redis7", Source="user")
    assert [p["ParameterName"] for p in user["Parameters"]] == ["maxmemory-policy"]

    for bad in (
        {"ParameterName": "maxmemory-policy", "ParameterValue": "most-lru"},
        {"ParameterName": "no-such-parameter", "ParameterValue": "1"},
        {"ParameterName": "timeout", "ParameterValue": "10"},
        {"ParameterName": "lua-time-limit", "ParameterValue": "5000"},
    ):
        with pytest.raises(ClientError) as excinfo:
            elasticache.modify_cache_parameter_group(CacheParameterGroupName="fsm-dev-redis7", ParameterNameValues=[bad])
        assert error_code(excinfo) == "InvalidParameterValue", bad
    with pytest.raises(ClientError) as excinfo:
        elasticache.modify_cache_parameter_group(
            CacheParameterGroupName="default.redis7",
            ParameterNameValues=[{"ParameterName": "timeout", "ParameterValue": "30"}],
        )
    assert error_code(excinfo) == "InvalidParameterValue"

    elasticache.reset_cache_parameter_group(CacheParameterGroupName="fsm-dev-redis7", ResetAllParameters=True)
    assert value("maxmemory-policy") == ("volatile-lru", "system")

    create_group(elasticache, CacheParameterGroupName="fsm-dev-redis7")
    with pytest.raises(ClientError) as excinfo:
        elasticache.delete_cache_parameter_group(CacheParameterGroupName="fsm-dev-redis7")
    assert error_code(excinfo) == "InvalidCacheParameterGroupState"
    elasticache.delete_replication_group(ReplicationGroupId="cache")
    elasticache.delete_cache_parameter_group(CacheParameterGroupName="fsm-dev-redis7")
    for call in (elasticache.delete_cache_parameter_group, elasticache.describe_cache_parameters):
        with pytest.raises(ClientError) as excinfo:
            call(CacheParameterGroupName="fsm-dev-redis7")
        assert error_code(excinfo) == "CacheParameterGroupNotFound"


def test_engine_defaults_and_unknown_family(elasticache):
    defaults = elasticache.describe_engine_default_parameters(CacheParameterGroupFamily="redis7")["EngineDefaults"]
    assert defaults["CacheParameterGroupFamily"] == "redis7"
    policy = {p["ParameterName"]: p for p in defaults["Parameters"]}["maxmemory-policy"]
    assert policy["ParameterValue"] == "volatile-lru" and "allkeys-lru" in policy["AllowedValues"]
    with pytest.raises(ClientError) as excinfo:
        elasticache.create_cache_parameter_group(
            CacheParameterGroupName="x", CacheParameterGroupFamily="redis9", Description="x"
        )
    assert error_code(excinfo) == "InvalidParameterValue"
    with pytest.raises(ClientError) as excinfo:
        elasticache.describe_engine_default_parameters(CacheParameterGroupFamily="redis9")
    assert error_code(excinfo) == "InvalidParameterValue"


def test_elasticache_modify_cache_subnet_group(elasticache, subnet_ids):
    created = elasticache.create_cache_subnet_group(
        CacheSubnetGroupName="subnets", CacheSubnetGroupDescription="two", SubnetIds=subnet_ids[:2]
    )["CacheSubnetGroup"]
    assert sorted(s["SubnetAvailabilityZone"]["Name"] for s in created["Subnets"]) == ["us-east-1a", "us-east-1b"]

    modified = elasticache.modify_cache_subnet_group(
        CacheSubnetGroupName="subnets", CacheSubnetGroupDescription="three", SubnetIds=subnet_ids
    )["CacheSubnetGroup"]

    assert modified["CacheSubnetGroupDescription"] == "three"
    described = elasticache.describe_cache_subnet_groups(CacheSubnetGroupName="subnets")["CacheSubnetGroups"][0]
    assert sorted(s["SubnetIdentifier"] for s in described["Subnets"]) == sorted(subnet_ids)
    assert sorted(s["SubnetAvailabilityZone"]["Name"] for s in described["Subnets"]) == [
        "us-east-1a", "us-east-1b", "us-east-1c"
    ]
    with pytest.raises(ClientError) as excinfo:
        elasticache.modify_cache_subnet_group(CacheSubnetGroupName="nope", CacheSubnetGroupDescription="x")
    assert error_code(excinfo) == "CacheSubnetGroupNotFoundFault"


def test_elasticache_replication_group_final_snapshot(elasticache):
    create_group(elasticache, NumCacheClusters=2)
    elasticache.delete_replication_group(ReplicationGroupId="cache", FinalSnapshotIdentifier="cache-final-1")
    snapshots = elasticache.describe_snapshots(SnapshotName="cache-final-1")["Snapshots"]
    assert [s["ReplicationGroupId"] for s in snapshots] == ["cache"]

    create_group(elasticache)
    with pytest.raises(ClientError) as excinfo:
        elasticache.delete_replication_group(ReplicationGroupId="cache", FinalSnapshotIdentifier="cache-final-1")
    assert error_code(excinfo) == "SnapshotAlreadyExistsFault"
    assert elasticache.describe_replication_groups(ReplicationGroupId="cache")["ReplicationGroups"]  # not deleted
    elasticache.delete_replication_group(ReplicationGroupId="cache")
    assert elasticache.describe_snapshots(SnapshotName="cache-final-1")["Snapshots"]
