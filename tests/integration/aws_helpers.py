"""boto3 helpers shared by the integration tests: ownership filters, and what each AWS layer must look like."""

from ansible_collections.strata.platform.plugins.plugin_utils.cidr import subnet_plan


def owned(ec2, describe, key, **filters):
    """Resources of one kind carrying the collection's ownership tag (plus filters)."""
    flt = [{"Name": "tag:owner", "Values": ["strata.platform"]}]
    flt += [{"Name": k, "Values": v if isinstance(v, list) else [v]} for k, v in filters.items()]
    return getattr(ec2, describe)(Filters=flt)[key]


def tags(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


TIER_TAG = {"public": "public", "app": "private-app", "data": "private-data"}


def vpc_of(ec2, environment, region):
    vpcs = owned(ec2, "describe_vpcs", "Vpcs", **{"tag:environment": environment})
    assert len(vpcs) == 1, f"expected one VPC of {environment} in {region}, found {len(vpcs)}"
    return vpcs[0]


def assert_network(ec2, vpc, cidr, zones, nat_mode, flow_logs):
    """The resources of one region match the plan and the environment's policy."""
    vpc_id = vpc["VpcId"]
    assert vpc["CidrBlock"] == cidr
    for attribute in ("enableDnsSupport", "enableDnsHostnames"):
        value = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=attribute)
        assert value[attribute[0].upper() + attribute[1:]]["Value"] is True

    # Subnets: exactly the plan, per tier and zone.
    subnets = owned(ec2, "describe_subnets", "Subnets", **{"vpc-id": vpc_id})
    actual = {(tags(s)["tier"], s["AvailabilityZone"]): s for s in subnets}
    expected = {(TIER_TAG[p["tier"]], p["zone"]): p["cidr"] for p in subnet_plan(cidr, zones)}
    assert {k: s["CidrBlock"] for k, s in actual.items()} == expected
    for (tier, _zone), subnet in actual.items():
        assert subnet["MapPublicIpOnLaunch"] is (tier == "public")

    # NAT gateways per policy, each in a public subnet with its own EIP.
    nats = [n for n in owned(ec2, "describe_nat_gateways", "NatGateways", **{"vpc-id": vpc_id})
            if n["State"] in ("pending", "available")]
    expected_nats = {"none": 0, "single": 1, "per_az": len(zones)}[nat_mode]
    assert len(nats) == expected_nats
    public_ids = {s["SubnetId"]: z for (tier, z), s in actual.items() if tier == "public"}
    nat_zone = {n["NatGatewayId"]: public_ids[n["SubnetId"]] for n in nats}
    assert len({n["NatGatewayAddresses"][0]["AllocationId"] for n in nats}) == expected_nats

    # Route tables: public -> IGW, app -> NAT of its zone (or the single NAT), data -> no internet.
    igws = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])
    igw_id = igws["InternetGateways"][0]["InternetGatewayId"]
    route_tables = owned(ec2, "describe_route_tables", "RouteTables", **{"vpc-id": vpc_id})
    subnet_tier = {s["SubnetId"]: k for k, s in actual.items()}
    associated = set()
    for rt in route_tables:
        default = [r for r in rt["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
        for assoc in rt["Associations"]:
            if assoc.get("Main"):
                continue
            tier, zone = subnet_tier[assoc["SubnetId"]]
            associated.add(assoc["SubnetId"])
            if tier == "public":
                assert [r.get("GatewayId") for r in default] == [igw_id]
            elif tier == "private-data":
                assert default == []
            elif nat_mode == "none":
                assert default == []
            else:
                target = default[0]["NatGatewayId"]
                assert nat_mode == "single" or nat_zone[target] == zone
    assert associated == set(subnet_tier), "every subnet is associated with one of our route tables"

    # Default security group: no rules at all.
    default_sg = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]
    assert default_sg["IpPermissions"] == [] and default_sg["IpPermissionsEgress"] == []

    flows = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"]
    assert len(flows) == (1 if flow_logs else 0)
    return actual


def assert_nothing_left(ec2, environment):
    flt = {"tag:environment": environment}
    assert owned(ec2, "describe_vpcs", "Vpcs", **flt) == []
    assert owned(ec2, "describe_subnets", "Subnets", **flt) == []
    assert owned(ec2, "describe_route_tables", "RouteTables", **flt) == []
    assert [n for n in owned(ec2, "describe_nat_gateways", "NatGateways", **flt) if n["State"] != "deleted"] == []
    assert owned(ec2, "describe_addresses", "Addresses", **flt) == []
    assert owned(ec2, "describe_internet_gateways", "InternetGateways", **flt) == []


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
