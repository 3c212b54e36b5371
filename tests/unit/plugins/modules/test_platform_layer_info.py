"""Unit tests for strata.platform.platform_layer_info: AWS against moto in-process (``mock_aws``, with the test
cloud's MSK patches), Azure against the ARM test double (the session's ``azure_testcloud``, emptied per test).
Read-only in check mode and without it (no mutating call on either cloud), errors before any call."""

import functools
import json
import os
import ssl
import urllib.request

import boto3
import pytest

from ansible_collections.strata.platform.plugins.modules import platform_layer_info as info
from testcloud.aws_patches import PATCH_MODULES
from testcloud.aws_patches import load
from _harness import run as run_module
from _harness import run_failing as run_failing_module

run = functools.partial(run_module, info)
run_failing = functools.partial(run_failing_module, info)

REGION = "us-east-1"
OWNER = {"owner": "strata.platform", "platform": "fsm", "environment": "prod"}
TARGET_KEYS = {"cloud", "environment", "region", "platform", "name", "layers", "network", "security_groups",
               "identities", "encryption_keys", "key_vault", "database", "cache", "kafka"}


def tag_list(**tags):
    return [{"Key": key, "Value": value} for key, value in tags.items()]


@pytest.fixture(scope="module", autouse=True)
def kafka_patches():
    for name in PATCH_MODULES:
        if name.startswith("kafka_"):
            load(name).apply()


@pytest.fixture
def aws_target(aws, api_calls, monkeypatch):
    """The prod target in us-east-1 as the AWS roles build it (and a foreign VPC and groups beside it)."""
    monkeypatch.delenv("STRATA_TESTCLOUD_CREATE_SECONDS", raising=False)
    monkeypatch.setenv("STRATA_TESTCLOUD_CREATE_SECONDS_MSK", "0")
    ec2 = aws

    def spec(kind, **tags):
        return [{"ResourceType": kind, "Tags": tag_list(**tags)}]

    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16", TagSpecifications=spec(
        "vpc", Name="fsm-prod-us-east-1", layer="network", **OWNER))["Vpc"]["VpcId"]
    ec2.create_vpc(CidrBlock="10.40.0.0/16", TagSpecifications=spec("vpc", Name="fsm-prod-us-east-1"))  # not ours
    subnets = {}
    for i, (tier, zone) in enumerate((t, z) for t in ("public", "private-app", "private-data") for z in "ab"):
        subnets[(tier, zone)] = ec2.create_subnet(
            VpcId=vpc, CidrBlock=f"10.40.{i * 8}.0/21", AvailabilityZone=f"{REGION}{zone}",
            TagSpecifications=spec("subnet", tier=tier, layer="network", **OWNER))["Subnet"]["SubnetId"]
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnets[("public", "a")], AllocationId=allocation,
                                 TagSpecifications=spec("natgateway", layer="network", **OWNER))["NatGateway"]["NatGatewayId"]
    groups = {}
    for purpose in ("alb", "eks-cluster", "eks-nodes", "rds", "redis", "kafka"):
        groups[purpose] = ec2.create_security_group(
            VpcId=vpc, GroupName=f"fsm-prod-{purpose}", Description=purpose,
            TagSpecifications=spec("security-group", purpose=purpose, layer="security_groups", **OWNER))["GroupId"]
    staging = {**OWNER, "environment": "staging"}
    ec2.create_security_group(VpcId=vpc, GroupName="fsm-staging-rds", Description="other environment",
                              TagSpecifications=spec("security-group", purpose="rds", layer="security_groups", **staging))
    kms = boto3.client("kms", region_name=REGION)
    keys = {}
    for purpose in ("data", "backup", "logs"):
        key = kms.create_key(Description=purpose)["KeyMetadata"]
        kms.create_alias(AliasName=f"alias/fsm-prod-{purpose}", TargetKeyId=key["KeyId"])
        keys[purpose] = key["Arn"]
        if purpose == "logs":
            kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    iam = boto3.client("iam", region_name=REGION)
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                                "Principal": {"Service": "ec2.amazonaws.com"}}]})
    roles = {key: iam.create_role(RoleName=f"fsm-prod-us-east-1-{key}", Path="/strata/", AssumeRolePolicyDocument=trust)
             ["Role"]["Arn"] for key in ("eks-nodes", "backup")}
    iam.create_role(RoleName="fsm-prod-eu-west-1-backup", Path="/strata/", AssumeRolePolicyDocument=trust)
    rds = boto3.client("rds", region_name=REGION)
    database = rds.create_db_instance(
        DBInstanceIdentifier="fsm-prod-postgres", Engine="postgres", EngineVersion="16.4", DBInstanceClass="db.t3.micro",
        AllocatedStorage=20, MasterUsername="platform", MasterUserPassword="not-a-real-password-1",
        Tags=tag_list(layer="database", **OWNER))["DBInstance"]
    elasticache = boto3.client("elasticache", region_name=REGION)
    redis = elasticache.create_replication_group(
        ReplicationGroupId="fsm-prod-redis", ReplicationGroupDescription="cache", CacheNodeType="cache.t4g.small",
        Engine="redis", NumCacheClusters=1)["ReplicationGroup"]
    kafka = boto3.client("kafka", region_name=REGION)
    cluster = kafka.create_cluster(
        ClusterName="fsm-prod-kafka", KafkaVersion="3.6.0", NumberOfBrokerNodes=2,
        BrokerNodeGroupInfo={"ClientSubnets": [subnets[("private-app", "a")], subnets[("private-app", "b")]],
                             "InstanceType": "kafka.t3.small"},
        Tags=dict(layer="kafka", **OWNER))["ClusterArn"]
    api_calls.reset()
    return {"vpc": vpc, "subnets": subnets, "nat": nat, "groups": groups, "keys": keys, "roles": roles,
            "database": database["DBInstanceArn"], "redis": redis["ARN"], "kafka": cluster}


ARGS = {"platform": "fsm", "environment": "prod", "region": REGION}


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_every_layer_of_an_aws_target(aws_target, api_calls, check_mode):
    result = run(ARGS, check_mode=check_mode)

    assert result["changed"] is False
    target = result["target"]
    assert set(target) == TARGET_KEYS
    assert (target["cloud"], target["environment"], target["region"], target["platform"], target["name"]) == (
        "aws", "prod", REGION, "fsm", "fsm-prod-us-east-1")
    network = target["network"]
    assert network["id"] == aws_target["vpc"] and network["cidr"] == "10.40.0.0/16"
    assert network["name"] == "fsm-prod-us-east-1" and network["resource_group"] is None
    for tier, key in (("public", "public"), ("private-app", "app"), ("private-data", "data")):
        assert [s["id"] for s in network["subnets"][key]] == [aws_target["subnets"][(tier, z)] for z in "ab"]
        assert [s["zone"] for s in network["subnets"][key]] == ["us-east-1a", "us-east-1b"]
    assert network["subnets"]["data"][0]["cidr"] == "10.40.32.0/21"
    assert network["nat_gateway_ids"] == [aws_target["nat"]]
    groups = aws_target["groups"]
    assert target["security_groups"] == {"public": groups["alb"], "app": groups["eks-nodes"], "database": groups["rds"],
                                         "cache": groups["redis"], "kafka": groups["kafka"]}
    assert target["identities"] == aws_target["roles"]
    assert target["encryption_keys"] == {"data": aws_target["keys"]["data"], "backup": aws_target["keys"]["backup"], "logs": None}
    assert target["key_vault"] is None
    assert target["database"]["id"] == aws_target["database"]
    assert target["database"]["name"] == "fsm-prod-postgres" and target["database"]["engine_version"] == "16.4"
    assert target["database"]["port"] == 5432 and target["database"]["endpoint"]
    assert target["cache"]["id"] == aws_target["redis"] and target["cache"]["name"] == "fsm-prod-redis"
    assert target["cache"]["port"] == 6379 and target["cache"]["endpoint"]
    assert target["kafka"]["id"] == aws_target["kafka"] and target["kafka"]["bootstrap_servers"].endswith(":9094")
    assert api_calls.mutating == []
    assert len(api_calls) == 12, api_calls


def test_layers_limit_the_calls(aws_target, api_calls):
    target = run(dict(ARGS, layers=["security_groups", "database"]))["target"]
    assert list(api_calls) == ["DescribeSecurityGroups", "DescribeDBInstances"]
    assert target["layers"] == ["security_groups", "database"]
    assert target["network"] is None and target["encryption_keys"] is None and target["kafka"] is None
    assert target["security_groups"]["database"] == aws_target["groups"]["rds"]  # by tags, without the VPC


def test_another_environment_finds_nothing_and_is_no_error(aws_target, api_calls):
    target = run(dict(ARGS, environment="uat"))["target"]
    assert target["cloud"] == "aws"
    assert all(target[key] is None for key in ("network", "security_groups", "identities", "encryption_keys", "database", "kafka"))
    assert api_calls.mutating == []


@pytest.mark.parametrize("args, fragment", [
    (dict(ARGS, region="eastus", cloud="aws"), "region='eastus' is not a region name of aws"),
    (dict(ARGS, platform="Fsm"), "platform='Fsm'"),
    (dict(ARGS, region="US East"), "neither an AWS region name"),
    (dict(ARGS, environment="production"), "value of environment must be one of: dev, staging, uat, prod"),
    (dict(ARGS, layers=["vpc"]), "value of layers must be one or more of"),
])
def test_bad_input_fails_before_any_call(aws, api_calls, args, fragment):
    result = run_failing(args)
    assert fragment in result["msg"]
    assert list(api_calls) == []


def test_no_aws_credentials_fails_naming_the_variables(aws, api_calls, monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    result = run_failing(ARGS)
    assert "No AWS credentials" in result["msg"] and "AWS_ACCESS_KEY_ID" in result["msg"]
    assert list(api_calls) == []


# -- Azure, against the ARM test double ------------------------------------------------------------


class Arm:
    """Plain HTTPS calls to the ARM test double (any bearer token is accepted)."""

    def __init__(self, cloud):
        self.endpoint = cloud.endpoint
        self.context = ssl.create_default_context(cafile=cloud.ca_file)
        self.subscription = cloud.exports()["AZURE_SUBSCRIPTION_ID"]
        self.group = f"/subscriptions/{self.subscription}/resourceGroups/fsm-prod-eastus"

    def put(self, path, body, api_version="2024-01-01"):
        request = urllib.request.Request(
            f"{self.endpoint}{path}?api-version={api_version}", data=json.dumps(body).encode(), method="PUT",
            headers={"Authorization": "Bearer test", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, context=self.context) as response:  # noqa: S310 - the local double
            return json.loads(response.read() or b"{}")


def owned(layer, **extra):
    return dict(OWNER, layer=layer, **extra)


@pytest.fixture(autouse=True)
def azure_clouds_known(request):
    """The Azure CLI core reads ARM_CLOUD_METADATA_URL once, at import: a test of this process that imported it
    before the ARM double's environment was set leaves it without the double's cloud. Read it again (a real
    run is one process with one environment)."""
    if "azure_cloud_env" in request.fixturenames:
        request.getfixturevalue("azure_cloud_env")  # its environment first
        from azure.cli.core import cloud

        cloud.refresh_known_clouds()


@pytest.fixture
def azure_target(azure_cloud_env):
    """The prod target in eastus, named and tagged as the Azure contract says (and a foreign NSG beside it)."""
    arm = Arm(azure_cloud_env)
    net = f"{arm.group}/providers/Microsoft.Network"
    vnet_id = f"{net}/virtualNetworks/fsm-prod-eastus-vnet"
    arm.put(arm.group, {"location": "eastus", "tags": owned("network")}, "2022-09-01")
    arm.put(vnet_id, {"location": "eastus", "tags": owned("network"),
                      "properties": {"addressSpace": {"addressPrefixes": ["10.140.0.0/16"]}}})
    nat = arm.put(f"{net}/natGateways/fsm-prod-eastus-nat", {"location": "eastus", "tags": owned("network"),
                                                             "sku": {"name": "Standard"}})
    for name, cidr in (("public", "10.140.0.0/21"), ("private-app", "10.140.64.0/21"), ("private-data", "10.140.128.0/21")):
        arm.put(f"{vnet_id}/subnets/{name}", {"properties": {"addressPrefix": cidr}})
    nsgs = {purpose: arm.put(f"{net}/networkSecurityGroups/fsm-prod-eastus-{purpose}-nsg",
                             {"location": "eastus", "tags": owned("security_groups")})["id"]
            for purpose in ("public", "app", "data")}
    arm.put(f"{net}/networkSecurityGroups/fsm-prod-eastus-extra-nsg", {"location": "eastus", "tags": {"owner": "someone"}})
    identity = arm.put(f"{arm.group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/fsm-prod-eastus-app",
                       {"location": "eastus", "tags": owned("iam")}, "2023-01-31")
    vault = arm.put(f"{arm.group}/providers/Microsoft.KeyVault/vaults/kvfsmp12345678", {
        "location": "eastus", "tags": owned("encryption"),
        "properties": {"tenantId": azure_cloud_env.exports()["AZURE_TENANT"], "sku": {"family": "A", "name": "standard"}}},
        "2023-07-01")
    for purpose in ("data", "backup"):  # keys through ARM (Keys - Create If Not Exist)
        arm.put(f"{vault['id']}/keys/{purpose}", {"location": "eastus", "properties": {"kty": "RSA"}}, "2023-07-01")
    redis = arm.put(f"{arm.group}/providers/Microsoft.Cache/redis/fsm-prod-eastus-redis", {
        "location": "eastus", "tags": owned("cache"),
        "properties": {"sku": {"name": "Basic", "family": "C", "capacity": 0}}}, "2024-03-01")
    server = arm.put(f"{arm.group}/providers/Microsoft.DBforPostgreSQL/flexibleServers/fsm-prod-eastus-pg", {
        "location": "eastus", "tags": owned("database"), "sku": {"name": "Standard_B1ms", "tier": "Burstable"},
        "properties": {"version": "16", "administratorLogin": "platform", "administratorLoginPassword": "Not-a-real-1",
                       "storage": {"storageSizeGB": 32}}}, "2024-08-01")
    namespace = arm.put(f"{arm.group}/providers/Microsoft.EventHub/namespaces/fsm-prod-eastus-ehns", {
        "location": "eastus", "tags": owned("kafka"), "sku": {"name": "Standard", "tier": "Standard", "capacity": 1}},
        "2024-01-01")
    azure_cloud_env.reset_stats()
    return {"vnet": vnet_id, "nat": nat["id"], "nsgs": nsgs, "identity": identity["id"], "vault": vault,
            "redis": redis["id"], "server": server["id"], "namespace": namespace["id"],
            "subnet": f"{vnet_id}/subnets/private-data"}


AZURE_ARGS = {"platform": "fsm", "environment": "prod", "region": "eastus"}


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_every_layer_of_an_azure_target(azure_target, azure_cloud_env, check_mode):
    target = run(AZURE_ARGS, check_mode=check_mode)["target"]

    assert set(target) == TARGET_KEYS
    assert (target["cloud"], target["name"]) == ("azure", "fsm-prod-eastus")
    network = target["network"]
    assert network["id"] == azure_target["vnet"] and network["name"] == "fsm-prod-eastus-vnet"
    assert network["cidr"] == "10.140.0.0/16" and network["resource_group"] == "fsm-prod-eastus"
    assert network["subnets"]["data"] == [{"id": azure_target["subnet"], "cidr": "10.140.128.0/21", "zone": None}]
    assert network["nat_gateway_ids"] == [azure_target["nat"]]
    nsgs = azure_target["nsgs"]
    assert target["security_groups"] == {"public": nsgs["public"], "app": nsgs["app"], "database": nsgs["data"],
                                         "cache": nsgs["data"], "kafka": nsgs["data"]}
    assert target["identities"] == {"app": azure_target["identity"]}
    vault = azure_target["vault"]
    uri = vault["properties"]["vaultUri"]  # ARM's (the double's data plane)
    assert target["key_vault"] == {"id": vault["id"], "name": "kvfsmp12345678", "uri": uri}
    assert target["encryption_keys"] == {"data": uri.rstrip("/") + "/keys/data",
                                         "backup": uri.rstrip("/") + "/keys/backup", "logs": None}
    assert target["cache"] == {"id": azure_target["redis"], "name": "fsm-prod-eastus-redis", "port": 6380,
                               "endpoint": "fsm-prod-eastus-redis.redis.cache.windows.net"}
    assert target["database"] == {"id": azure_target["server"], "name": "fsm-prod-eastus-pg", "port": 5432,
                                  "endpoint": "fsm-prod-eastus-pg.postgres.database.azure.com", "engine_version": "16"}
    assert target["kafka"] == {"id": azure_target["namespace"], "name": "fsm-prod-eastus-ehns",
                               "bootstrap_servers": "fsm-prod-eastus-ehns.servicebus.windows.net:9093"}
    stats = azure_cloud_env.stats()
    assert stats["mutating"] == 0, stats["mutating_actions"]
    # the resource group's list, the VNet (subnets inside), the vault, its keys, the three data stores
    assert stats["read"] == 7, stats["by_action"]


def test_azure_layers_limit_the_calls(azure_target, azure_cloud_env):
    target = run(dict(AZURE_ARGS, layers=["security_groups", "iam"]))["target"]
    assert target["security_groups"]["public"] == azure_target["nsgs"]["public"]
    assert target["identities"] == {"app": azure_target["identity"]}
    assert target["network"] is None
    assert azure_cloud_env.stats()["by_action"] == {"GET Microsoft.Resources/resources": 1}


def test_azure_target_without_a_resource_group_is_all_null(azure_cloud_env):
    target = run(dict(AZURE_ARGS, environment="dev"))["target"]
    assert target["cloud"] == "azure" and target["name"] == "fsm-dev-eastus"
    assert all(target[key] is None for key in ("network", "security_groups", "identities", "encryption_keys", "key_vault"))
    assert azure_cloud_env.stats()["total"] == 1


def test_no_azure_credentials_fails_naming_the_variables(azure_cloud_env, monkeypatch, tmp_path):
    for name in ("AZURE_SUBSCRIPTION_ID", "AZURE_CLIENT_ID", "AZURE_SECRET", "AZURE_TENANT", "AZURE_TENANT_ID",
                 "AZURE_PROFILE", "AZURE_AD_USER", "ANSIBLE_AZURE_AUTH_SOURCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))  # no az CLI either
    result = run_failing(AZURE_ARGS)
    for variable in ("AZURE_SUBSCRIPTION_ID", "AZURE_CLIENT_ID", "AZURE_SECRET", "AZURE_TENANT"):
        assert variable in result["msg"]
    assert azure_cloud_env.stats()["total"] == 0


def test_the_lookup_and_the_module_share_one_implementation():
    """Both front ends import the finder of plugins/module_utils/_platform (no second copy of the search)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
    for path in ("plugins/lookup/platform_layer.py", "plugins/modules/platform_layer_info.py"):
        with open(os.path.join(root, path), encoding="utf-8") as handle:
            source = handle.read()
        assert "module_utils._platform.finder import find_target" in source, path
        assert "describe_vpcs" not in source and "/resources" not in source, path


def structure(value, key=None):
    """Keys at every level and leaf types (a string id and a null id are one leaf type); identities: free names."""
    if isinstance(value, dict):
        return {"*": "leaf"} if key == "identities" else {k: structure(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [structure(value[0])] if value else []
    if isinstance(value, bool) or not isinstance(value, int):
        return "leaf"
    return "int"


def test_every_layer_in_one_shape_on_both_clouds(aws_target, azure_target):
    """Every layer built on both clouds: the two answers differ only in values (key_vault is Azure's own)."""
    on_aws = run(ARGS)["target"]
    on_azure = run(AZURE_ARGS)["target"]
    assert on_aws["key_vault"] is None and on_azure["key_vault"] is not None
    on_aws, on_azure = dict(on_aws, key_vault="-"), dict(on_azure, key_vault="-")
    assert all(on_aws[key] is not None and on_azure[key] is not None for key in TARGET_KEYS)
    # subnets: AWS has two zones per tier, Azure one regional subnet: the item shape is compared
    assert structure(on_aws) == structure(on_azure)
