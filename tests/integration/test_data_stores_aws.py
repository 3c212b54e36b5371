"""The data stores on AWS (database, cache, kafka), end to end on top of the lower layers:
sizing per environment, encryption and placement, idempotence, check mode, secrets, parallel creation."""

import pytest

from aws_helpers import owned, tags

pytestmark = pytest.mark.integration

PROD_REGIONS = ("us-east-1", "eu-west-1", "us-west-2")

# Seed sizing per environment (roles' defaults): asserted on what AWS reports.
SIZING = {
    "dev": {"db_class": "db.t3.micro", "storage": 20, "max_storage": None, "retention": 7, "multi_az": False,
            "protection": False, "replicas": 0, "cache_node": "cache.t3.micro", "cache_replicas": 0,
            "broker": "kafka.t3.small"},
    "staging": {"db_class": "db.t3.small", "storage": 30, "max_storage": None, "retention": 14, "multi_az": False,
                "protection": False, "replicas": 0, "cache_node": "cache.t3.small", "cache_replicas": 1,
                "broker": "kafka.m5.large"},
    "prod": {"db_class": "db.r6g.large", "storage": 100, "max_storage": 500, "retention": 30, "multi_az": True,
             "protection": True, "replicas": 1, "cache_node": "cache.r6g.large", "cache_replicas": 2,
             "broker": "kafka.m5.large"},
}


def lower_layers(aws, environment, region):
    """Ids the data stores must use: private-app/-data subnets, security groups by purpose, data key ARN."""
    ec2, kms = aws("ec2", region), aws("kms", region)
    subnets = owned(ec2, "describe_subnets", "Subnets", **{"tag:environment": environment})
    groups = owned(ec2, "describe_security_groups", "SecurityGroups",
                   **{"tag:environment": environment, "tag:layer": "security_groups"})
    return {
        "data_subnets": sorted(s["SubnetId"] for s in subnets if tags(s).get("tier") == "private-data"),
        "app_subnets": sorted(s["SubnetId"] for s in subnets if tags(s).get("tier") == "private-app"),
        "groups": {tags(g)["purpose"]: g["GroupId"] for g in groups},
        "data_key": kms.describe_key(KeyId=f"alias/fsm-{environment}-data")["KeyMetadata"]["Arn"],
    }


def assert_database(aws, environment, region):
    rds = aws("rds", region)
    want, low = SIZING[environment], lower_layers(aws, environment, region)
    db = rds.describe_db_instances(DBInstanceIdentifier=f"fsm-{environment}-postgres")["DBInstances"][0]
    assert db["DBInstanceStatus"] == "available"
    assert (db["DBInstanceClass"], db["AllocatedStorage"], db.get("MaxAllocatedStorage")) == (
        want["db_class"], want["storage"], want["max_storage"])
    assert (db["Engine"], db["StorageType"], db["StorageEncrypted"], db["KmsKeyId"]) == (
        "postgres", "gp3", True, low["data_key"])
    assert (db["MultiAZ"], db["DeletionProtection"], db["BackupRetentionPeriod"]) == (
        want["multi_az"], want["protection"], want["retention"])
    assert db["PubliclyAccessible"] is False and db["CopyTagsToSnapshot"] is True
    assert sorted(s["SubnetIdentifier"] for s in db["DBSubnetGroup"]["Subnets"]) == low["data_subnets"]
    assert [g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]] == [low["groups"]["rds"]]
    if want["replicas"]:
        # AWS does not replicate a source whose password RDS manages: the role's own secret holds it.
        assert "MasterUserSecret" not in db
        secret = aws("secretsmanager", region).describe_secret(SecretId=f"fsm/{environment}/postgres/master-password")
        assert secret["KmsKeyId"] == low["data_key"] and tags(secret)["layer"] == "database"
    else:
        assert db["MasterUserSecret"]["SecretArn"].startswith(f"arn:aws:secretsmanager:{region}:")
        assert db["MasterUserSecret"]["KmsKeyId"] == low["data_key"]
    assert sorted(db["EnabledCloudwatchLogsExports"]) == ["postgresql", "upgrade"]
    assert tags({"Tags": db["TagList"]})["Backup"] == "true"
    prod = environment == "prod"
    assert db.get("PerformanceInsightsEnabled", False) is prod
    assert db.get("MonitoringInterval", 0) == (60 if prod else 0)
    if prod:
        assert db["MonitoringRoleArn"].endswith(f":role/strata/fsm-prod-{region}-rds-monitoring")
    replicas = db.get("ReadReplicaDBInstanceIdentifiers", [])
    assert replicas == [f"fsm-{environment}-postgres-replica-{n}" for n in range(1, want["replicas"] + 1)]
    for name in replicas:
        replica = rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]
        assert replica["ReadReplicaSourceDBInstanceIdentifier"] == db["DBInstanceIdentifier"]
        assert replica["DBInstanceClass"] == want["db_class"] and replica["StorageEncrypted"] is True
    return db


def assert_cache(aws, environment, region):
    elasticache = aws("elasticache", region)
    want, low = SIZING[environment], lower_layers(aws, environment, region)
    group = elasticache.describe_replication_groups(ReplicationGroupId=f"fsm-{environment}-redis")["ReplicationGroups"][0]
    assert group["Status"] == "available"
    assert group["CacheNodeType"] == want["cache_node"]
    assert len(group["MemberClusters"]) == 1 + want["cache_replicas"]
    assert group["AtRestEncryptionEnabled"] is True and group["TransitEncryptionEnabled"] is True
    assert group["AuthTokenEnabled"] is True and group["KmsKeyId"] == low["data_key"]
    assert group["AutomaticFailover"] == ("enabled" if want["multi_az"] else "disabled")
    assert group["MultiAZ"] == ("enabled" if want["multi_az"] else "disabled")
    assert group["SnapshotRetentionLimit"] == 7
    member = elasticache.describe_cache_clusters(CacheClusterId=group["MemberClusters"][0])["CacheClusters"][0]
    subnet_group = elasticache.describe_cache_subnet_groups(
        CacheSubnetGroupName=member["CacheSubnetGroupName"])["CacheSubnetGroups"][0]
    assert sorted(s["SubnetIdentifier"] for s in subnet_group["Subnets"]) == low["data_subnets"]
    assert [g["SecurityGroupId"] for g in member["SecurityGroups"]] == [low["groups"]["redis"]]
    params = elasticache.describe_cache_parameters(CacheParameterGroupName=member["CacheParameterGroup"][
        "CacheParameterGroupName"], Source="user")["Parameters"]
    assert {p["ParameterName"]: p.get("ParameterValue") for p in params}["maxmemory-policy"] == "allkeys-lru"
    return group


def assert_kafka(aws, environment, region):
    kafka = aws("kafka", region)
    want, low = SIZING[environment], lower_layers(aws, environment, region)
    clusters = kafka.list_clusters_v2(ClusterNameFilter=f"fsm-{environment}-kafka")["ClusterInfoList"]
    assert len(clusters) == 1
    info = kafka.describe_cluster(ClusterArn=clusters[0]["ClusterArn"])["ClusterInfo"]
    assert info["State"] == "ACTIVE"
    nodes = info["BrokerNodeGroupInfo"]
    assert nodes["InstanceType"] == want["broker"]
    assert sorted(nodes["ClientSubnets"]) == low["app_subnets"]
    assert nodes["SecurityGroups"] == [low["groups"]["kafka"]]
    assert info["NumberOfBrokerNodes"] % len(low["app_subnets"]) == 0
    encryption = info["EncryptionInfo"]
    assert encryption["EncryptionAtRest"]["DataVolumeKMSKeyId"] == low["data_key"]
    assert encryption["EncryptionInTransit"]["InCluster"] is True
    assert encryption["EncryptionInTransit"]["ClientBroker"] == ("TLS_PLAINTEXT" if environment == "dev" else "TLS")
    assert info["LoggingInfo"]["BrokerLogs"]["CloudWatchLogs"]["Enabled"] is True
    return info


def secret_values(aws, regions):
    """Every secret value in the test cloud: none may appear in any output."""
    values = []
    for region in regions:
        secrets = aws("secretsmanager", region)
        for secret in secrets.list_secrets()["SecretList"]:
            values.append(secrets.get_secret_value(SecretId=secret["ARN"])["SecretString"])
    return values


def assert_no_secret_in(values, *runs):
    assert values, "the database and cache secrets exist"
    for run in runs:
        for value in values:
            for part in {value} | set(value.split('"')):
                if len(part) >= 12:
                    assert part not in run.output, "a secret value appears in the output"


def test_dev_data_stores(run_playbook, aws):
    plan = run_playbook("strata.platform.site", "dev", args=["--check", "--diff"])
    assert plan.rc == 0, str(plan)
    assert plan.requests["mutating"] == 0, plan.requests["mutating_actions"]
    for started in ("Ensure the PostgreSQL primary",):
        assert all(res["changed"] for _host, res in plan.task_results(started)), started

    first = run_playbook("strata.platform.site", "dev")
    assert first.rc == 0, str(first)
    assert_database(aws, "dev", "us-east-1")
    assert_cache(aws, "dev", "us-east-1")
    assert_kafka(aws, "dev", "us-east-1")

    again = run_playbook("strata.platform.site", "dev")
    assert again.rc == 0 and again.changed() == 0, str(again)
    assert again.requests["mutating"] == 0, again.requests["mutating_actions"]

    # Each layer's playbook alone finds the lower layers by tags and changes nothing.
    for layer in ("database", "cache", "kafka"):
        alone = run_playbook(f"strata.platform.{layer}", "dev")
        assert alone.rc == 0 and alone.changed() == 0, str(alone)

    assert_no_secret_in(secret_values(aws, ["us-east-1"]), plan, first, again)

    down = run_playbook("strata.platform.teardown", "dev")
    assert down.rc == 0, str(down)
    assert aws("rds").describe_db_instances()["DBInstances"] == []
    assert aws("elasticache").describe_replication_groups()["ReplicationGroups"] == []
    assert aws("kafka").list_clusters_v2()["ClusterInfoList"] == []
    assert aws("rds").describe_db_snapshots()["DBSnapshots"] == [], "dev takes no final snapshot"


def test_prod_data_stores_all_regions_and_in_place_resize(run_playbook, aws):
    first = run_playbook("strata.platform.site", "prod", args=["--limit", "aws"])
    assert first.rc == 0, str(first)
    for region in PROD_REGIONS:
        assert_database(aws, "prod", region)
        assert_cache(aws, "prod", region)
        assert_kafka(aws, "prod", region)

    again = run_playbook("strata.platform.site", "prod", args=["--limit", "aws"])
    assert again.rc == 0 and again.changed() == 0, str(again)
    assert again.requests["mutating"] == 0, again.requests["mutating_actions"]
    assert_no_secret_in(secret_values(aws, PROD_REGIONS), first, again)

    # A bigger class is planned (diff, no call), then applied in place: same instance, new class.
    rds = aws("rds")
    before = rds.describe_db_instances(DBInstanceIdentifier="fsm-prod-postgres")["DBInstances"][0]
    bigger = {"database_instance_class": "db.r6g.xlarge", "database_allocated_storage": 150}
    plan = run_playbook("strata.platform.database", "prod", args=["--check", "--diff", "--limit", "prod-aws-us-east-1"],
                        extra_vars=bigger)
    assert plan.rc == 0, str(plan)
    assert plan.requests["mutating"] == 0, plan.requests["mutating_actions"]
    primary = [res for _host, res in plan.task_results("Ensure the PostgreSQL primary") if res.get("changed")]
    assert primary and primary[0]["diff"], "the resize is shown with --diff"
    diff = primary[0]["diff"][0] if isinstance(primary[0]["diff"], list) else primary[0]["diff"]
    assert "db.r6g.large" in str(diff["before"]) and "db.r6g.xlarge" in str(diff["after"])

    resized = run_playbook("strata.platform.database", "prod", args=["--limit", "prod-aws-us-east-1"],
                           extra_vars=bigger)
    assert resized.rc == 0, str(resized)
    assert "rds:DeleteDBInstance" not in resized.requests["mutating_actions"]
    assert "rds:CreateDBInstance" not in resized.requests["mutating_actions"]
    after = rds.describe_db_instances(DBInstanceIdentifier="fsm-prod-postgres")["DBInstances"][0]
    assert (after["DBInstanceClass"], after["AllocatedStorage"]) == ("db.r6g.xlarge", 150)
    assert after["DbiResourceId"] == before["DbiResourceId"], "modified in place, not replaced"
    settled = run_playbook("strata.platform.database", "prod", args=["--limit", "prod-aws-us-east-1"],
                           extra_vars=bigger)
    assert settled.rc == 0 and settled.changed() == 0, str(settled)

    # Teardown of prod refuses without confirmation and leaves every data store.
    refused = run_playbook("strata.platform.teardown", "prod", args=["--limit", "aws"])
    assert refused.rc != 0
    assert "platform_confirm_teardown=prod" in refused.output
    assert len(rds.describe_db_instances()["DBInstances"]) == 2


def play_seconds(run, name_part):
    """Wall time of the play whose name contains name_part, from the json callback's durations."""
    from datetime import datetime
    for play in run.result.get("plays", []):
        if name_part in play["play"]["name"]:
            span = play["play"]["duration"]
            start, end = (datetime.fromisoformat(span[k].replace("Z", "+00:00")) for k in ("start", "end"))
            return (end - start).total_seconds()
    raise AssertionError(f"no play named like {name_part!r}")


CREATE_SECONDS = {"RDS": 12.0, "ELASTICACHE": 8.0, "MSK": 10.0}


@pytest.fixture
def slow_creations(aws_cloud):
    """Data stores take CREATE_SECONDS to become available; back to immediate afterwards."""
    yield CREATE_SECONDS
    aws_cloud.set_create_seconds(0)
    for service in CREATE_SECONDS:
        aws_cloud.set_create_seconds(0, service)


def test_data_layer_takes_the_longest_creation_not_the_sum(run_playbook, aws_cloud, slow_creations):
    """dev with immediate creations gives the data play's own overhead; staging (same shape: one region,
    no RDS replica) with simulated creation times must add about the longest creation, not their sum."""
    baseline = run_playbook("strata.platform.site", "dev")
    assert baseline.rc == 0, str(baseline)
    overhead = play_seconds(baseline, "Start the data stores")

    for service, seconds in slow_creations.items():
        aws_cloud.set_create_seconds(seconds, service)
    slow = run_playbook("strata.platform.site", "staging")
    assert slow.rc == 0, str(slow)
    slow_play = play_seconds(slow, "Start the data stores")
    waited = slow_play - overhead
    longest, total = max(slow_creations.values()), sum(slow_creations.values())
    print(f"data play: {overhead:.1f} s with immediate creations, {slow_play:.1f} s (+{waited:.1f} s) with "
          f"creations of {slow_creations} (longest {longest:.0f} s, sum {total:.0f} s)")
    # Every creation starts inside the play, so it cannot end before the longest one is available ...
    assert slow_play >= longest, "the play returned before the slowest data store was available"
    # ... and the later starts overlap the first creation, so it adds about the longest one: well below the
    # midpoint between the longest (overlapping) and the sum (one after the other), whatever the machine's load.
    assert waited < (longest + total) / 2, f"+{waited:.1f} s: the creations did not overlap (sum {total:.0f} s)"


@pytest.mark.parametrize("bad, fragment", [
    ({"database_instance_class": "r6g.large"}, "database_instance_class=r6g.large is not an RDS class"),
    ({"database_max_allocated_storage": 10}, "database_max_allocated_storage=10 must be 0 (off) or above"),
    ({"database_master_password_mode": "rds-managed", "database_read_replicas": 1},
     "AWS does not create read replicas of a source whose password RDS manages"),
    ({"cache_node_type": "t3.micro"}, "cache_node_type=t3.micro is not an ElastiCache node type"),
    ({"cache_multi_az": True, "cache_automatic_failover": True}, "a failover needs a replica"),
    ({"kafka_broker_count": 4}, "kafka_broker_count=4 is not a multiple of the 3"),
])
def test_bad_data_store_input_fails_before_any_call(run_playbook, bad, fragment):
    run = run_playbook("strata.platform.site", "dev", extra_vars=bad)
    assert run.rc != 0
    assert run.requests["total"] == 0, run.requests
    assert fragment in str(run) and "dev-aws-us-east-1" in str(run)


def test_teardown_leaves_a_foreign_database_under_our_name(run_playbook, aws):
    """An instance named like ours but without the ownership tags stops the database teardown untouched."""
    rds = aws("rds")
    rds.create_db_instance(DBInstanceIdentifier="fsm-dev-postgres", DBInstanceClass="db.t3.micro", Engine="postgres",
                           MasterUsername="someone", MasterUserPassword="not-ours-123", AllocatedStorage=20)
    run = run_playbook("strata.platform.teardown", "dev")
    assert run.rc != 0
    assert "DB instance fsm-dev-postgres" in str(run) and "without its ownership tags" in str(run)
    assert "rds:DeleteDBInstance" not in run.requests["mutating_actions"]
    assert "rds:ModifyDBInstance" not in run.requests["mutating_actions"]
    assert rds.describe_db_instances(DBInstanceIdentifier="fsm-dev-postgres")["DBInstances"]
