"""Unit tests for the cross-cloud layer lookup: the request check, the AWS and Azure normalisers (one shape
for both clouds), the finders against recording fakes (which calls each layer costs), and the
strata.platform.platform_layer lookup plugin (against moto in-process for AWS; errors before any call).

plugins/module_utils/_platform/{layers,aws,azure,finder}.py, plugins/lookup/platform_layer.py."""

import os
import re

import boto3
import pytest
import yaml
from ansible.errors import AnsibleLookupError
from ansible.plugins.loader import lookup_loader
from moto import mock_aws

from ansible_collections.strata.platform.plugins.module_utils._platform import aws as aws_finder
from ansible_collections.strata.platform.plugins.module_utils._platform import azure as azure_finder
from ansible_collections.strata.platform.plugins.module_utils._platform import finder
from ansible_collections.strata.platform.plugins.module_utils._platform import layers as L

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
SUB = "/subscriptions/5f1c7e2a-2d1b-4c55-9a34-0c9b6a1e2f01"
GROUP = f"{SUB}/resourceGroups/fsm-prod-eastus"
TOP_KEYS = {"cloud", "environment", "region", "platform", "name", "layers", "network", "security_groups",
            "identities", "encryption_keys", "key_vault", "database", "cache", "kafka"}


def shape(value):
    """The structure of a value: dict keys recursively, list items merged, leaves by type (str and null are one
    leaf type: an id may be missing on either cloud); the identities mapping (free names) as {"*": leaf}."""
    if isinstance(value, dict):
        return {key: ({"*": "leaf"} if key == "identities" and item is not None else shape(item)) for key, item in value.items()}
    if isinstance(value, list):
        shapes = [shape(item) for item in value]
        return [shapes[0]] if shapes else []
    if value is None:
        return "null"
    return "int" if isinstance(value, int) and not isinstance(value, bool) else "leaf"


def same_shape(a, b, path="target"):
    """Raise AssertionError naming the first place where a and b (shapes) differ. null matches a leaf or a whole
    layer (not found); empty lists match any list."""
    if "null" in (a, b):
        other = b if a == "null" else a
        assert other in ("null", "leaf") or path.count(".") == 1, f"{path}: {a} / {b}"  # a whole layer may be null
        return True
    if isinstance(a, dict) or isinstance(b, dict):
        assert isinstance(a, dict) and isinstance(b, dict), f"{path}: {a} / {b}"
        assert a.keys() == b.keys(), f"{path}: keys {sorted(a)} / {sorted(b)}"
        return all(same_shape(a[key], b[key], f"{path}.{key}") for key in a)
    if isinstance(a, list) or isinstance(b, list):
        assert isinstance(a, list) and isinstance(b, list), f"{path}: {a} / {b}"
        return not a or not b or same_shape(a[0], b[0], f"{path}[]")
    assert a == b, f"{path}: {a} / {b}"
    return True


def request(cloud="aws", region=None, layers=None, environment="prod"):
    region = region or ("us-east-1" if cloud == "aws" else "eastus")
    return L.check_request(environment, region, cloud, "fsm", layers)


# -- the request -----------------------------------------------------------------------------------


def test_region_lists_are_the_platform_roles():
    with open(os.path.join(ROOT, "roles", "platform", "vars", "main.yml"), encoding="utf-8") as handle:
        regions = yaml.safe_load(handle)["__platform_regions"]
    assert list(L.AWS_REGIONS) == regions["aws"]
    assert list(L.AZURE_REGIONS) == regions["azure"]
    assert not set(L.AWS_REGIONS) & set(L.AZURE_REGIONS)
    assert all(L.REGION_PATTERNS["aws"].match(r) and not L.REGION_PATTERNS["azure"].match(r) for r in L.AWS_REGIONS)
    assert all(L.REGION_PATTERNS["azure"].match(r) and not L.REGION_PATTERNS["aws"].match(r) for r in L.AZURE_REGIONS)


@pytest.mark.parametrize("region, cloud, clouds", [
    ("eu-west-1", None, ["aws"]),
    ("westeurope", None, ["azure"]),
    ("eu-west-9", None, ["aws", "azure"]),  # in neither list: both clouds searched
    ("newregion", None, ["aws", "azure"]),
    ("eastus", "azure", ["azure"]),
    ("eu-west-9", "aws", ["aws"]),
])
def test_the_region_decides_the_cloud(region, cloud, clouds):
    checked = L.check_request("prod", region, cloud, "fsm")
    assert checked["clouds"] == clouds
    assert checked["name"] == f"fsm-prod-{region}"
    assert checked["layers"] == list(L.LAYERS)


@pytest.mark.parametrize("args, fragments", [
    (("production", "us-east-1", None, "fsm"), ["environment='production'", "dev, staging, uat, prod"]),
    (("prod", "us-east-1", "gcp", "fsm"), ["cloud='gcp'", "aws or azure"]),
    (("prod", "eastus", "aws", "fsm"), ["region='eastus' is not a region name of aws", "fix region or cloud"]),
    (("prod", "us-east-1", "azure", "fsm"), ["region='us-east-1' is not a region name of azure"]),
    (("prod", "US East", None, "fsm"), ["region='US East' is neither an AWS region name"]),
    (("prod", "", None, "fsm"), ["region is required"]),
    (("prod", "us-east-1", None, "FSM"), ["platform='FSM'", "platform_name"]),
    (("prod", "us-east-1", None, None), ["platform=''"]),
    (("prod", "us-east-1", None, "fsm", ["network", "dns"]), ["layers has dns", "security_groups"]),
    (("prod", "us-east-1", None, "fsm", []), ["layers is empty"]),
    (("qa", "mars-1", "ibm", "x"), ["environment='qa'", "cloud='ibm'", "platform='x'"]),  # every problem at once
])
def test_bad_requests_name_the_option_and_the_fix(args, fragments):
    with pytest.raises(L.TargetError) as raised:
        L.check_request(*args)
    for fragment in fragments:
        assert fragment in str(raised.value)


def test_layers_come_back_in_site_order():
    assert L.check_request("dev", "us-east-1", None, "fsm", ["kafka", "network"])["layers"] == ["network", "kafka"]


@pytest.mark.parametrize("name, parsed", [
    ("prod-aws-eu-west-1", {"environment": "prod", "cloud": "aws", "region": "eu-west-1"}),
    ("dev-azure-eastus", {"environment": "dev", "cloud": "azure", "region": "eastus"}),
])
def test_host_names(name, parsed):
    assert L.parse_host_name(name) == parsed


@pytest.mark.parametrize("name", ["prod", "prod-gcp-us-east1", "live-aws-us-east-1", "prod-aws-", None])
def test_bad_host_names(name):
    with pytest.raises(L.TargetError, match="<environment>-<cloud>-<region>"):
        L.parse_host_name(name)


def test_empty_result_has_every_key_null():
    result = L.empty_result(request(layers=["network"]), "aws")
    assert set(result) == TOP_KEYS
    assert result["layers"] == ["network"]
    assert not L.found_any(result)


# -- the normalisers: one shape for both clouds ----------------------------------------------------


def tags(**values):
    return [{"Key": key, "Value": value} for key, value in values.items()]


AWS_VPC = {"VpcId": "vpc-1", "CidrBlock": "10.40.0.0/16", "Tags": tags(Name="fsm-prod-us-east-1")}
AWS_SUBNETS = [
    {"SubnetId": f"subnet-{tier}{zone}", "CidrBlock": f"10.40.{i}.0/21", "AvailabilityZone": f"us-east-1{zone}",
     "Tags": tags(tier=tier)}
    for i, (tier, zone) in enumerate([(t, z) for t in ("public", "private-app", "private-data") for z in "ba"])
] + [{"SubnetId": "subnet-untiered", "CidrBlock": "10.40.250.0/24", "AvailabilityZone": "us-east-1a", "Tags": []}]
AWS_GROUPS = [{"GroupId": f"sg-{purpose}", "Tags": tags(purpose=purpose)}
              for purpose in ("alb", "eks-cluster", "eks-nodes", "rds", "redis", "kafka", "bastion")]
AWS_KEYS = {"data": {"Arn": "arn:kms:data", "KeyState": "Enabled"},
            "backup": {"Arn": "arn:kms:backup", "KeyState": "PendingDeletion"}, "logs": None}
AWS_ROLES = [{"RoleName": "fsm-prod-us-east-1-eks-nodes", "Arn": "arn:role:eks-nodes"},
             {"RoleName": "fsm-prod-us-east-1-backup", "Arn": "arn:role:backup"},
             {"RoleName": "fsm-prod-eu-west-1-backup", "Arn": "arn:role:other-region"}]
AWS_DB = {"DBInstanceArn": "arn:rds:db", "DBInstanceIdentifier": "fsm-prod-postgres", "EngineVersion": "16.4",
          "Endpoint": {"Address": "db.example", "Port": 5432}}
AWS_REDIS = {"ARN": "arn:ec:redis", "ReplicationGroupId": "fsm-prod-redis",
             "NodeGroups": [{"PrimaryEndpoint": {"Address": "master.example", "Port": 6379}}]}
AWS_MSK = {"ClusterArn": "arn:kafka:c", "ClusterName": "fsm-prod-kafka", "State": "ACTIVE"}

AZURE_VNET = {
    "id": f"{GROUP}/providers/Microsoft.Network/virtualNetworks/fsm-prod-eastus-vnet", "name": "fsm-prod-eastus-vnet",
    "properties": {"addressSpace": {"addressPrefixes": ["10.140.0.0/16"]}, "subnets": [
        {"id": f"{GROUP}/.../subnets/{name}", "name": name, "properties": {"addressPrefix": f"10.140.{i}.0/21"}}
        for i, name in enumerate(("public", "private-app", "private-data", "AzureBastionSubnet"))]},
}
AZURE_NSGS = [{"id": f"{GROUP}/nsg/{p}", "name": f"fsm-prod-eastus-{p}-nsg", "tags": {}} for p in ("public", "app", "data")]
AZURE_VAULT = {"id": f"{GROUP}/vaults/kv1", "name": "kv1", "properties": {"vaultUri": "https://kv1.vault.azure.net/"}}
AZURE_KEYS = [
    {"name": "data", "tags": {}, "properties": {"keyUri": "https://kv1.vault.azure.net/keys/data"}},
    {"name": "fsm-prod-backup", "tags": {}, "properties": {}},
    {"name": "whatever", "tags": {"purpose": "logs"}, "properties": {"attributes": {"enabled": False}}},
    {"name": "unrelated", "tags": {}, "properties": {}},
]
AZURE_PG = {"id": f"{GROUP}/pg", "name": "fsm-prod-eastus-pg",
            "properties": {"fullyQualifiedDomainName": "pg.example", "version": "16"}}
AZURE_REDIS = {"id": f"{GROUP}/redis", "name": "fsm-prod-eastus-redis",
               "properties": {"hostName": "redis.example", "sslPort": 6380, "port": 6379}}
AZURE_EHNS = {"id": f"{GROUP}/ehns", "name": "fsm-prod-eastus-ehns",
              "properties": {"serviceBusEndpoint": "https://fsm-prod-eastus-ehns.servicebus.windows.net:443/"}}


def aws_result():
    result = L.empty_result(request("aws"), "aws")
    result.update(
        network=L.aws_network(AWS_VPC, AWS_SUBNETS, [{"NatGatewayId": "nat-2"}, {"NatGatewayId": "nat-1"}]),
        security_groups=L.aws_security_groups(AWS_GROUPS),
        identities=L.aws_identities(AWS_ROLES, "fsm-prod-us-east-1-"),
        encryption_keys=L.aws_keys(AWS_KEYS),
        database=L.aws_database(AWS_DB),
        cache=L.aws_cache(AWS_REDIS),
        kafka=L.aws_kafka(AWS_MSK, {"BootstrapBrokerStringTls": "b-1:9094,b-2:9094", "BootstrapBrokerString": "b-1:9092"}),
    )
    return result


def azure_result():
    result = L.empty_result(request("azure"), "azure")
    result.update(
        network=L.azure_network(AZURE_VNET, None, [{"id": f"{GROUP}/nat"}], "fsm-prod-eastus"),
        security_groups=L.azure_security_groups(AZURE_NSGS, "fsm-prod-eastus"),
        identities=L.azure_identities([{"name": "fsm-prod-eastus-app", "id": f"{GROUP}/id/app"}], "fsm-prod-eastus"),
        key_vault=L.azure_key_vault(AZURE_VAULT),
        encryption_keys=L.azure_keys(AZURE_KEYS, "https://kv1.vault.azure.net/"),
        database=L.azure_database(AZURE_PG),
        cache=L.azure_cache(AZURE_REDIS),
        kafka=L.azure_kafka(AZURE_EHNS),
    )
    return result


def test_aws_normalised():
    result = aws_result()
    network = result["network"]
    assert network["id"] == "vpc-1" and network["name"] == "fsm-prod-us-east-1" and network["cidr"] == "10.40.0.0/16"
    assert network["resource_group"] is None
    assert [s["id"] for s in network["subnets"]["public"]] == ["subnet-publica", "subnet-publicb"]  # by zone
    assert network["subnets"]["app"][0] == {"id": "subnet-private-appa", "cidr": "10.40.3.0/21", "zone": "us-east-1a"}
    assert [s["id"] for s in network["subnets"]["data"]] == ["subnet-private-dataa", "subnet-private-datab"]
    assert network["nat_gateway_ids"] == ["nat-1", "nat-2"]
    assert result["security_groups"] == {"public": "sg-alb", "app": "sg-eks-nodes", "database": "sg-rds",
                                         "cache": "sg-redis", "kafka": "sg-kafka"}
    assert result["identities"] == {"backup": "arn:role:backup", "eks-nodes": "arn:role:eks-nodes"}
    assert result["encryption_keys"] == {"data": "arn:kms:data", "backup": None, "logs": None}  # pending deletion is gone
    assert result["key_vault"] is None
    assert result["database"] == {"id": "arn:rds:db", "name": "fsm-prod-postgres", "endpoint": "db.example",
                                  "port": 5432, "engine_version": "16.4"}
    assert result["cache"] == {"id": "arn:ec:redis", "name": "fsm-prod-redis", "endpoint": "master.example", "port": 6379}
    assert result["kafka"] == {"id": "arn:kafka:c", "name": "fsm-prod-kafka", "bootstrap_servers": "b-1:9094,b-2:9094"}


def test_azure_normalised():
    result = azure_result()
    network = result["network"]
    assert network["id"] == AZURE_VNET["id"] and network["name"] == "fsm-prod-eastus-vnet"
    assert network["cidr"] == "10.140.0.0/16" and network["resource_group"] == "fsm-prod-eastus"
    assert network["subnets"] == {
        "public": [{"id": f"{GROUP}/.../subnets/public", "cidr": "10.140.0.0/21", "zone": None}],
        "app": [{"id": f"{GROUP}/.../subnets/private-app", "cidr": "10.140.1.0/21", "zone": None}],
        "data": [{"id": f"{GROUP}/.../subnets/private-data", "cidr": "10.140.2.0/21", "zone": None}],
    }
    assert network["nat_gateway_ids"] == [f"{GROUP}/nat"]
    assert result["security_groups"] == {"public": f"{GROUP}/nsg/public", "app": f"{GROUP}/nsg/app",
                                         "database": f"{GROUP}/nsg/data", "cache": f"{GROUP}/nsg/data",
                                         "kafka": f"{GROUP}/nsg/data"}
    assert result["identities"] == {"app": f"{GROUP}/id/app"}
    assert result["key_vault"] == {"id": AZURE_VAULT["id"], "name": "kv1", "uri": "https://kv1.vault.azure.net/"}
    # keyUri when ARM gives it, else built from the vault URI; a disabled key does not count.
    assert result["encryption_keys"] == {"data": "https://kv1.vault.azure.net/keys/data",
                                         "backup": "https://kv1.vault.azure.net/keys/fsm-prod-backup", "logs": None}
    assert result["database"] == {"id": f"{GROUP}/pg", "name": "fsm-prod-eastus-pg", "endpoint": "pg.example",
                                  "port": 5432, "engine_version": "16"}
    assert result["cache"] == {"id": f"{GROUP}/redis", "name": "fsm-prod-eastus-redis", "endpoint": "redis.example",
                               "port": 6380}
    assert result["kafka"] == {"id": f"{GROUP}/ehns", "name": "fsm-prod-eastus-ehns",
                               "bootstrap_servers": "fsm-prod-eastus-ehns.servicebus.windows.net:9093"}


def test_both_clouds_give_the_same_shape():
    aws, azure = aws_result(), azure_result()
    assert set(aws) == set(azure) == TOP_KEYS
    assert same_shape(shape(aws), shape(azure))
    for layer in ("network", "security_groups", "encryption_keys", "database", "cache", "kafka"):
        assert aws[layer].keys() == azure[layer].keys(), layer
    assert aws["key_vault"] is None and set(azure["key_vault"]) == {"id", "name", "uri"}  # documented: Azure only


@pytest.mark.parametrize("change, where", [
    (lambda r: r["network"]["subnets"].pop("data"), "target.network.subnets: keys"),
    (lambda r: r["cache"].update(port="6380"), "target.cache.port"),
    (lambda r: r["network"]["subnets"]["app"][0].pop("zone"), "target.network.subnets.app[]"),
    (lambda r: r.update(encryption_keys=["a"]), "target.encryption_keys"),
])
def test_same_shape_notices_a_difference(change, where):
    azure = azure_result()
    change(azure)
    with pytest.raises(AssertionError, match=re.escape(where)):
        same_shape(shape(aws_result()), shape(azure))


@pytest.mark.parametrize("normalise", [
    lambda: L.aws_network(None, [], []), lambda: L.aws_security_groups([]), lambda: L.aws_keys({}),
    lambda: L.aws_identities([], "x-"), lambda: L.aws_database(None), lambda: L.aws_cache(None),
    lambda: L.aws_kafka(None, None), lambda: L.azure_network(None, None, [], "rg"),
    lambda: L.azure_security_groups([], "t"), lambda: L.azure_identities([], "t"), lambda: L.azure_key_vault(None),
    lambda: L.azure_keys([], "https://v/"), lambda: L.azure_database(None), lambda: L.azure_cache(None),
    lambda: L.azure_kafka(None),
])
def test_nothing_found_is_null(normalise):
    assert normalise() is None


def test_partial_layers_keep_every_key():
    assert L.aws_security_groups([{"GroupId": "sg-1", "Tags": tags(purpose="rds")}]) == {
        "public": None, "app": None, "database": "sg-1", "cache": None, "kafka": None}
    network = L.aws_network(AWS_VPC, [], [])
    assert network["subnets"] == {"public": [], "app": [], "data": []} and network["nat_gateway_ids"] == []
    assert L.aws_kafka(AWS_MSK, None)["bootstrap_servers"] is None  # not active yet
    assert L.aws_database({"DBInstanceArn": "a", "DBInstanceIdentifier": "d", "DbInstancePort": 0})["endpoint"] is None


def test_azure_ownership_needs_every_match_tag():
    owned = {"owner": "strata.platform", "platform": "fsm", "environment": "prod", "layer": "network"}
    resources = [
        {"type": "Microsoft.Network/virtualNetworks", "name": "b", "tags": owned},
        {"type": "microsoft.network/virtualnetworks", "name": "a", "tags": owned},
        {"type": "Microsoft.Network/virtualNetworks", "name": "c", "tags": dict(owned, environment="dev")},
        {"type": "Microsoft.Network/virtualNetworks", "name": "d", "tags": None},
        {"type": "Microsoft.Network/natGateways", "name": "e", "tags": owned},
    ]
    assert [r["name"] for r in L.owned_of_type(resources, "vnet", request("azure"), "network")] == ["a", "b"]
    assert L.pick(L.owned_of_type(resources, "vnet", request("azure"), "network"), "B")["name"] == "b"


# -- the finders: which calls each layer costs -----------------------------------------------------


class FakeAws:
    """boto3-like clients answering from canned data and recording every call."""

    def __init__(self, data):
        self.data = data
        self.calls = []

    def __call__(self, service):
        return _FakeClient(self, service)


class _FakeClient:
    def __init__(self, fake, service):
        self.fake, self.service = fake, service

    def get_paginator(self, operation):
        fake, service = self.fake, self.service

        class Paginator:
            def paginate(self, **params):
                fake.calls.append((service, operation, params))

                class Pages:
                    def build_full_result(self):
                        return fake.data[operation](params)
                return Pages()
        return Paginator()

    def __getattr__(self, operation):
        def call(**params):
            self.fake.calls.append((self.service, operation, params))
            return self.fake.data[operation](params)
        return call


def aws_data():
    owner = tags(owner="strata.platform", platform="fsm", environment="prod", layer="kafka")
    return {
        "describe_vpcs": lambda p: {"Vpcs": [AWS_VPC]},
        "describe_subnets": lambda p: {"Subnets": AWS_SUBNETS},
        "describe_nat_gateways": lambda p: {"NatGateways": [{"NatGatewayId": "nat-1", "Tags": tags(owner="strata.platform")},
                                                            {"NatGatewayId": "nat-foreign", "Tags": []}]},
        "describe_security_groups": lambda p: {"SecurityGroups": [dict(g, GroupName="fsm-prod-" + g["GroupId"][3:])
                                                                  for g in AWS_GROUPS]},
        "list_roles": lambda p: {"Roles": AWS_ROLES},
        "describe_key": lambda p: {"KeyMetadata": {"Arn": "arn:" + p["KeyId"], "KeyState": "Enabled"}},
        "describe_db_instances": lambda p: {"DBInstances": [dict(AWS_DB, TagList=tags(
            owner="strata.platform", platform="fsm", environment="prod", layer="database"))]},
        "describe_replication_groups": lambda p: {"ReplicationGroups": [AWS_REDIS]},
        "list_clusters_v2": lambda p: {"ClusterInfoList": [
            dict(AWS_MSK, Tags={t["Key"]: t["Value"] for t in owner}),
            dict(AWS_MSK, ClusterName="fsm-prod-kafka-old", Tags={})]},
        "get_bootstrap_brokers": lambda p: {"BootstrapBrokerStringTls": "b-1:9094"},
    }


def test_aws_finder_calls_and_filters():
    fake = FakeAws(aws_data())
    result = aws_finder.find_aws(request("aws"), fake)
    operations = [(service, operation) for service, operation, _params in fake.calls]
    assert operations == [
        ("ec2", "describe_vpcs"), ("ec2", "describe_subnets"), ("ec2", "describe_nat_gateways"),
        ("ec2", "describe_security_groups"), ("iam", "list_roles"),
        ("kms", "describe_key"), ("kms", "describe_key"), ("kms", "describe_key"),
        ("rds", "describe_db_instances"), ("elasticache", "describe_replication_groups"),
        ("kafka", "list_clusters_v2"), ("kafka", "get_bootstrap_brokers"),
    ]
    params = {operation: p for _service, operation, p in fake.calls}
    vpc_filters = {f["Name"]: f["Values"] for f in params["describe_vpcs"]["Filters"]}
    assert vpc_filters == {"tag:Name": ["fsm-prod-us-east-1"], "tag:owner": ["strata.platform"], "tag:platform": ["fsm"],
                           "tag:environment": ["prod"], "tag:layer": ["network"]}
    sg_filters = {f["Name"]: f["Values"] for f in params["describe_security_groups"]["Filters"]}
    assert sg_filters["vpc-id"] == ["vpc-1"] and sg_filters["tag:layer"] == ["security_groups"]
    assert params["list_roles"] == {"PathPrefix": "/strata/"}
    assert [p["KeyId"] for s, o, p in fake.calls if o == "describe_key"] == [
        "alias/fsm-prod-data", "alias/fsm-prod-backup", "alias/fsm-prod-logs"]
    assert params["describe_db_instances"] == {"DBInstanceIdentifier": "fsm-prod-postgres"}
    assert params["describe_replication_groups"] == {"ReplicationGroupId": "fsm-prod-redis"}
    assert params["list_clusters_v2"] == {"ClusterNameFilter": "fsm-prod-kafka"}
    assert result["network"]["nat_gateway_ids"] == ["nat-1"]  # only ours
    assert result["encryption_keys"]["data"] == "arn:alias/fsm-prod-data"
    assert result["kafka"]["bootstrap_servers"] == "b-1:9094"
    assert result["identities"] == {"backup": "arn:role:backup", "eks-nodes": "arn:role:eks-nodes"}


@pytest.mark.parametrize("layers, operations", [
    (["security_groups"], ["describe_security_groups"]),  # without the network: by tags alone
    (["database"], ["describe_db_instances"]),
    (["encryption", "iam"], ["list_roles", "describe_key", "describe_key", "describe_key"]),
])
def test_aws_finder_calls_only_for_the_layers_asked(layers, operations):
    fake = FakeAws(aws_data())
    result = aws_finder.find_aws(request("aws", layers=layers), fake)
    assert [operation for _service, operation, _params in fake.calls] == operations
    searched = {key for layer in layers for key in L.LAYER_KEYS[layer]}
    assert all(result[key] is None for layer in L.LAYERS for key in L.LAYER_KEYS[layer] if key not in searched)


def test_aws_foreign_database_and_inactive_kafka_are_left_out():
    data = aws_data()
    data["describe_db_instances"] = lambda p: {"DBInstances": [dict(AWS_DB, TagList=tags(owner="someone"))]}
    data["list_clusters_v2"] = lambda p: {"ClusterInfoList": [dict(AWS_MSK, State="CREATING", Tags={
        "owner": "strata.platform", "platform": "fsm", "environment": "prod", "layer": "kafka"})]}
    fake, warnings = FakeAws(data), []
    result = aws_finder.find_aws(request("aws", layers=["database", "kafka"]), fake, warn=warnings.append)
    assert result["database"] is None
    assert "does not carry the database layer's tags" in warnings[0]
    assert result["kafka"] == {"id": "arn:kafka:c", "name": "fsm-prod-kafka", "bootstrap_servers": None}
    assert "get_bootstrap_brokers" not in [operation for _service, operation, _params in fake.calls]


class FakeArm:
    """ArmClient-like: answers GETs and lists from a dict of paths, records every call."""

    subscription_id = SUB.rsplit("/", maxsplit=1)[-1]

    def __init__(self, items):
        self.items = items
        self.calls = []

    def get(self, path, api_version, what):
        self.calls.append(("get", path))
        return self.items.get(path)

    def list(self, path, api_version, what):
        self.calls.append(("list", path))
        return self.items.get(path)


def azure_items(vnet_subnets_inline=True):
    def owned(layer, **extra):
        return dict({"owner": "strata.platform", "platform": "fsm", "environment": "prod", "layer": layer}, **extra)
    vnet = dict(AZURE_VNET, type="Microsoft.Network/virtualNetworks", tags=owned("network"))
    if not vnet_subnets_inline:
        vnet = dict(vnet, properties={"addressSpace": AZURE_VNET["properties"]["addressSpace"]})
    resources = [
        vnet,
        {"id": f"{GROUP}/nat", "name": "fsm-prod-eastus-nat", "type": "Microsoft.Network/natGateways", "tags": owned("network")},
        *[dict(nsg, type="Microsoft.Network/networkSecurityGroups", tags=owned("security_groups")) for nsg in AZURE_NSGS],
        {"id": f"{GROUP}/nsg/foreign", "name": "fsm-prod-eastus-public-nsg", "type": "Microsoft.Network/networkSecurityGroups",
         "tags": {"owner": "someone"}},
        {"id": f"{GROUP}/id/app", "name": "fsm-prod-eastus-app", "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
         "tags": owned("iam")},
        dict(AZURE_VAULT, type="Microsoft.KeyVault/vaults", tags=owned("encryption")),
        dict(AZURE_PG, type="Microsoft.DBforPostgreSQL/flexibleServers", tags=owned("database")),
        dict(AZURE_REDIS, type="Microsoft.Cache/Redis", tags=owned("cache")),
        dict(AZURE_EHNS, type="Microsoft.EventHub/namespaces", tags=owned("kafka")),
    ]
    items = {f"{GROUP}/resources": resources, AZURE_VAULT["id"] + "/keys": AZURE_KEYS}
    for resource in resources:
        items[resource["id"]] = resource
    items[vnet["id"] + "/subnets"] = AZURE_VNET["properties"]["subnets"]
    return items


def test_azure_finder_calls():
    arm = FakeArm(azure_items())
    result = azure_finder.find_azure(request("azure"), arm)
    assert arm.calls == [
        ("list", f"{GROUP}/resources"), ("get", AZURE_VNET["id"]), ("get", AZURE_VAULT["id"]),
        ("list", AZURE_VAULT["id"] + "/keys"), ("get", AZURE_PG["id"]), ("get", AZURE_REDIS["id"]),
        ("get", AZURE_EHNS["id"]),
    ]
    expected = azure_result()
    for key in TOP_KEYS - {"identities"}:
        assert result[key] == expected[key], key
    assert result["security_groups"]["public"] == f"{GROUP}/nsg/public"  # the foreign NSG is not ours


def test_azure_finder_lists_subnets_when_the_vnet_body_has_none():
    arm = FakeArm(azure_items(vnet_subnets_inline=False))
    result = azure_finder.find_azure(request("azure", layers=["network"]), arm)
    assert arm.calls == [("list", f"{GROUP}/resources"), ("get", AZURE_VNET["id"]), ("list", AZURE_VNET["id"] + "/subnets")]
    assert [s["cidr"] for s in result["network"]["subnets"]["data"]] == ["10.140.2.0/21"]


@pytest.mark.parametrize("layers", [["security_groups"], ["iam"], ["security_groups", "iam"]])
def test_azure_layers_from_the_list_alone_cost_one_call(layers):
    arm = FakeArm(azure_items())
    result = azure_finder.find_azure(request("azure", layers=layers), arm)
    assert arm.calls == [("list", f"{GROUP}/resources")]
    assert all(result[L.LAYER_KEYS[layer][0]] is not None for layer in layers)


def test_azure_without_the_resource_group_everything_is_null_after_one_call():
    arm = FakeArm({})
    result = azure_finder.find_azure(request("azure"), arm)
    assert arm.calls == [("list", f"{GROUP}/resources")]
    assert result == L.empty_result(request("azure"), "azure")


def test_a_region_in_neither_list_is_searched_on_aws_then_azure():
    req = L.check_request("prod", "newregion", None, "fsm")
    searched = []

    def aws():
        searched.append("aws")
        return FakeAws({op: (lambda p: {"Vpcs": [], "SecurityGroups": [], "Roles": [], "DBInstances": [],
                                        "ReplicationGroups": [], "ClusterInfoList": []})
                        for op in ("describe_vpcs", "describe_security_groups", "list_roles", "describe_db_instances",
                                   "describe_replication_groups", "list_clusters_v2")}
                       | {"describe_key": lambda p: {"KeyMetadata": {}}})

    def azure():
        searched.append("azure")
        items = azure_items()
        return FakeArm({key.replace("fsm-prod-eastus", "fsm-prod-newregion"): value for key, value in items.items()})

    result = finder.find_target(req, aws=aws, azure=azure)
    assert searched == ["aws", "azure"] and result["cloud"] == "azure"
    assert finder.find_target(L.check_request("prod", "newregion", None, "fsm"), aws=aws,
                              azure=lambda: FakeArm({}))["cloud"] is None


def test_one_cloud_is_returned_even_when_empty():
    result = finder.find_target(request("azure"), aws=None, azure=lambda: FakeArm({}))
    assert result["cloud"] == "azure" and not L.found_any(result)


# -- credentials ------------------------------------------------------------------------------------


@pytest.fixture
def no_aws_credentials(monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
                 "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_SECURITY_TOKEN", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_missing_aws_credentials_name_the_variables(no_aws_credentials):
    with pytest.raises(L.LayerLookupError) as raised:
        aws_finder.check_credentials()
    assert "AWS_ACCESS_KEY_ID" in str(raised.value) and "AWS_PROFILE" in str(raised.value)
    with pytest.raises(L.LayerLookupError, match="nope"):
        aws_finder.check_credentials(profile="nope")
    aws_finder.check_credentials(access_key="AKIA", secret_key="x")


AZURE_VARIABLES = ("AZURE_SUBSCRIPTION_ID", "AZURE_CLIENT_ID", "AZURE_SECRET", "AZURE_TENANT", "AZURE_TENANT_ID",
                   "AZURE_PROFILE", "AZURE_AD_USER", "AZURE_PASSWORD", "AZURE_CLOUD_ENVIRONMENT",
                   "ANSIBLE_AZURE_AUTH_SOURCE", "AZURE_FEDERATED_TOKEN", "AZURE_FEDERATED_TOKEN_FILE")


def test_missing_azure_credentials_name_the_variables(azure_cloud_env, monkeypatch, tmp_path):
    """(With the ARM double's environment, less its credentials: the Azure CLI core reads the cloud metadata
    URL once, when AzureRMAuth is first imported in this process.)"""
    for name in AZURE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.azure/credentials
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(tmp_path / "azure"))
    monkeypatch.setenv("PATH", str(tmp_path))  # no az CLI
    with pytest.raises(L.LayerLookupError) as raised:
        azure_finder.azure_auth({})
    for variable in ("AZURE_SUBSCRIPTION_ID", "AZURE_CLIENT_ID", "AZURE_SECRET", "AZURE_TENANT"):
        assert variable in str(raised.value)
    assert azure_cloud_env.stats()["total"] == 0


def test_an_unknown_azure_cloud_is_named(azure_cloud_env):
    with pytest.raises(L.LayerLookupError) as raised:
        azure_finder.azure_auth({"cloud_environment": "https://arm.nowhere.invalid", "client_id": "c", "secret": "s",
                                 "tenant": "t", "subscription_id": "x"})
    assert "'https://arm.nowhere.invalid' is not known" in str(raised.value)
    assert "ARM_CLOUD_METADATA_URL" in str(raised.value)
    assert azure_cloud_env.stats()["total"] == 0


# -- the lookup plugin ------------------------------------------------------------------------------


@pytest.fixture
def lookup():
    return lookup_loader.get("strata.platform.platform_layer")


@pytest.fixture
def moto(monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_URL", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        yield


def build_aws_network(region="eu-west-1"):
    ec2 = boto3.client("ec2", region_name=region)
    owner = {"owner": "strata.platform", "platform": "fsm", "environment": "prod"}
    vpc = ec2.create_vpc(CidrBlock="10.41.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": tags(
        Name=f"fsm-prod-{region}", layer="network", **owner)}])["Vpc"]["VpcId"]
    subnet_tags = [{"ResourceType": "subnet", "Tags": tags(tier="private-data", layer="network", **owner)}]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.41.128.0/21", AvailabilityZone=f"{region}a",
                               TagSpecifications=subnet_tags)["Subnet"]["SubnetId"]
    return vpc, subnet


def test_lookup_by_host_name_on_aws(lookup, moto):
    vpc, subnet = build_aws_network()
    [found] = lookup.run(["prod-aws-eu-west-1"], variables={"platform_name": "fsm"}, layers=["network", "database"])
    assert found["cloud"] == "aws" and found["region"] == "eu-west-1" and found["layers"] == ["network", "database"]
    assert found["network"]["id"] == vpc
    assert found["network"]["subnets"]["data"] == [{"id": subnet, "cidr": "10.41.128.0/21", "zone": "eu-west-1a"}]
    assert found["database"] is None and found["security_groups"] is None


def test_lookup_by_options_equals_lookup_by_term(lookup, moto):
    build_aws_network()
    by_term = lookup.run(["prod-aws-eu-west-1"], variables={}, platform="fsm")
    by_options = lookup.run([], variables={}, platform="fsm", environment="prod", region="eu-west-1")
    assert by_term == by_options
    assert by_options[0]["network"] is not None


def test_lookup_one_result_per_term(lookup, moto):
    build_aws_network("eu-west-1")
    build_aws_network("us-east-1")
    # a list (such as groups['prod']) is flattened
    found = lookup.run([["prod-aws-us-east-1", "prod-aws-eu-west-1"], "dev-aws-us-east-1"],
                       variables={"platform_name": "fsm"}, layers=["network"])
    assert [(f["environment"], f["region"], f["network"] is not None) for f in found] == [
        ("prod", "us-east-1", True), ("prod", "eu-west-1", True), ("dev", "us-east-1", False)]


@pytest.mark.parametrize("terms, options, fragment", [
    (["prod-aws-eu-west-1"], {"environment": "prod"}, "environment cannot be combined with terms"),
    (["prod-gcp-x"], {}, "<environment>-<cloud>-<region>"),
    ([], {"environment": "prod"}, "region is required"),
    (["prod-aws-eu-west-1"], {"layers": ["vpc"]}, "layers has vpc"),
    (["prod-aws-eastus"], {}, "region='eastus' is not a region name of aws"),
])
def test_lookup_bad_targets_fail_before_any_call(lookup, terms, options, fragment, monkeypatch):
    monkeypatch.setattr(finder, "find_aws", lambda *a, **k: pytest.fail("no AWS search for a bad target"))
    monkeypatch.setattr(finder, "find_azure", lambda *a, **k: pytest.fail("no Azure search for a bad target"))
    with pytest.raises(AnsibleLookupError) as raised:
        lookup.run(terms, variables={"platform_name": "fsm"}, **options)
    assert fragment in str(raised.value)


def test_lookup_needs_a_platform(lookup):
    with pytest.raises(AnsibleLookupError, match="platform is required"):
        lookup.run(["prod-aws-eu-west-1"], variables={})


def test_lookup_without_aws_credentials_names_the_variables(lookup, no_aws_credentials):
    with pytest.raises(AnsibleLookupError, match="AWS_ACCESS_KEY_ID"):
        lookup.run(["prod-aws-eu-west-1"], variables={"platform_name": "fsm"})
