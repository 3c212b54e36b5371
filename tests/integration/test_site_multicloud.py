"""prod on both clouds: the three AWS regions and the eastus Azure region of inventories/prod converge in
one `strata.platform.site` run, from a plan that changes nothing to a re-run that changes nothing, the
cross-cloud lookup answers one shape for both clouds, and the teardown removes only what is ours.

This is the suite's one converge of prod, so it also carries prod's own checks: on AWS, each region's network
(per-AZ NAT, flow logs kept 365 days, one IAM role set per region) and data stores (prod sizing, Multi-AZ,
replica, secrets in no output); on Azure, zone-redundant HA and geo-redundant backup, Key Vault purge
protection, TLS-only Redis."""

import json
import os

import pytest

from aws_helpers import (assert_cache, assert_database, assert_kafka, assert_network, assert_no_secret_in,
                         assert_nothing_left, secret_values, tags, vpc_of)

pytestmark = [pytest.mark.integration, pytest.mark.cost(1400)]  # the suite's longest test

AWS_HOSTS = ("prod-aws-us-east-1", "prod-aws-eu-west-1", "prod-aws-us-west-2")
AWS_CIDRS = {"us-east-1": "10.40.0.0/16", "eu-west-1": "10.41.0.0/16", "us-west-2": "10.42.0.0/16"}
AZURE_HOSTS = {"prod-azure-eastus": "eastus"}
# prod's second Azure region (westeurope) runs the same code as eastus and costs ~400 s of CPU over this test
# (every azure.azcollection module run imports the Azure SDK, ~2.4 s); the suite leaves it out to stay fast, and
# `make run` converges it with the other four targets.
TARGETS = ["--limit", ",".join((*AWS_HOSTS, *AZURE_HOSTS))]
OWNED = {"owner": "strata.platform", "platform": "fsm", "environment": "prod"}
CONFIRM = {"platform_confirm_teardown": "prod"}
LOOKUP_PLAYBOOK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lookup_layers.yml")

# Per Azure layer: a resource type it must have built in the target's resource group.
AZURE_LAYER_TYPES = {
    "network": "Microsoft.Network/virtualNetworks",
    "security_groups": "Microsoft.Network/networkSecurityGroups",
    "iam": "Microsoft.ManagedIdentity/userAssignedIdentities",
    "encryption": "Microsoft.KeyVault/vaults",
    "database": "Microsoft.DBforPostgreSQL/flexibleServers",
    "cache": "Microsoft.Cache/redis",
    "kafka": "Microsoft.EventHub/namespaces",
}


def azure_resources(arm, region):
    """{lower-case type: [resource]} of the target's resource group (empty when it does not exist); ARM spells
    some types its own way (Microsoft.Cache/Redis)."""
    found = {}
    for resource in arm.list(arm.rg_path(f"fsm-prod-{region}") + "/resources"):
        found.setdefault(resource["type"].lower(), []).append(resource)
    return found


def assert_azure_target(arm, region):
    group = arm.get(arm.rg_path(f"fsm-prod-{region}"), "2022-09-01")
    assert group is not None and group["location"] == region
    assert OWNED.items() <= group["tags"].items()
    found = azure_resources(arm, region)
    for layer, resource_type in AZURE_LAYER_TYPES.items():
        mine = [r for r in found.get(resource_type.lower(), []) if r.get("tags", {}).get("layer") == layer]
        assert mine, f"{region}: no {resource_type} of the {layer} layer in {sorted(found)}"
        assert all(OWNED.items() <= r["tags"].items() for r in mine)
    server = arm.get(found["microsoft.dbforpostgresql/flexibleservers"][0]["id"], "2024-08-01")
    assert server["properties"]["highAvailability"]["mode"] == "ZoneRedundant"
    assert server["properties"]["backup"]["geoRedundantBackup"] == "Enabled"
    assert "administratorLoginPassword" not in json.dumps(server)
    vault = arm.get(found["microsoft.keyvault/vaults"][0]["id"], "2023-07-01")
    assert vault["properties"]["enableRbacAuthorization"] is True
    assert vault["properties"]["enablePurgeProtection"] is True
    redis = arm.get(found["microsoft.cache/redis"][0]["id"], "2024-03-01")
    assert redis["properties"]["enableNonSslPort"] is False


def assert_aws_prod(aws):
    """Each AWS region of prod: the network per prod's policy, flow logs kept a year, its own IAM roles, and
    the data stores at prod's size on the lower layers of their region."""
    for region, cidr in AWS_CIDRS.items():
        ec2 = aws("ec2", region)
        assert_network(ec2, vpc_of(ec2, "prod", region), cidr, [region + z for z in "abc"], "per_az", True)
        logs = aws("logs", region).describe_log_groups(logGroupNamePrefix="/strata/fsm/prod/vpc-flow-logs")["logGroups"]
        assert [g.get("retentionInDays") for g in logs] == [365]
        assert_database(aws, "prod", region)
        assert_cache(aws, "prod", region)
        assert_kafka(aws, "prod", region)
    # IAM is global: one flow-log role and five service roles per region, none overwriting another.
    roles = {r["RoleName"] for r in aws("iam").list_roles(PathPrefix="/strata/")["Roles"]}
    assert {f"fsm-prod-{region}-vpc-flow-logs" for region in AWS_CIDRS} <= roles
    assert len(roles) == 3 * 6, sorted(roles)


def test_prod_converges_on_both_clouds_then_tears_down_only_ours(run_playbook_multicloud, aws, arm):
    run = run_playbook_multicloud

    plan = run("strata.platform.site", "prod", args=["--check", *TARGETS])
    assert plan.rc == 0, plan
    assert plan.requests["mutating"] == 0, plan.requests["mutating_actions"]
    assert plan.azure_requests["mutating"] == 0, plan.azure_requests["mutating_actions"]
    assert all(plan.changed(host) > 0 for host in (*AWS_HOSTS, *AZURE_HOSTS))
    assert aws("iam").list_roles(PathPrefix="/strata/")["Roles"] == []

    first = run("strata.platform.site", "prod", args=TARGETS)
    assert first.rc == 0, first
    assert all(first.changed(host) > 0 for host in (*AWS_HOSTS, *AZURE_HOSTS))
    for region in AZURE_HOSTS.values():
        assert_azure_target(arm, region)
    assert arm.get(arm.rg_path("fsm-prod-westeurope"), "2022-09-01") is None  # outside the limit: untouched
    assert_aws_prod(aws)

    again = run("strata.platform.site", "prod", args=TARGETS)
    assert again.rc == 0, again
    assert again.changed() == 0, [(h, s) for h, s in again.stats.items() if s.get("changed")]
    assert again.requests["mutating"] == 0, again.requests["mutating_actions"]
    assert again.azure_requests["mutating"] == 0, again.azure_requests["mutating_actions"]
    print(f"prod site.yml: first run AWS {first.requests['total']} req ({first.requests['mutating']} mutating), "
          f"Azure {first.azure_requests['total']} req ({first.azure_requests['mutating']} mutating); "
          f"no-op re-run AWS {again.requests['total']} req, Azure {again.azure_requests['total']} req")
    for name, step in (("plan", plan), ("first run", first), ("no-op re-run", again)):
        print(f"prod site.yml {name}: {step.seconds:.0f} s wall, {step.cpu_seconds:.0f} s CPU")
    assert_no_secret_in(secret_values(aws, AWS_CIDRS), first, again)

    # One shape for both clouds: the lookup and the module agree, per target.
    looked = run(LOOKUP_PLAYBOOK, "prod", args=["--limit", "prod-aws-us-east-1,prod-azure-eastus"])
    assert looked.rc == 0, looked
    assert looked.requests["mutating"] == 0 and looked.azure_requests["mutating"] == 0
    found = {host: result["ansible_facts"]["found_by_lookup"] for host, result in looked.task_results("Describe the shape")}
    aws_target, azure_target = found["prod-aws-us-east-1"], found["prod-azure-eastus"]
    assert (aws_target["cloud"], azure_target["cloud"]) == ("aws", "azure")
    assert sorted(aws_target) == sorted(azure_target)
    for layer in ("network", "security_groups", "identities", "encryption_keys", "database", "cache", "kafka"):
        assert aws_target[layer] and azure_target[layer], (layer, aws_target[layer], azure_target[layer])
        if isinstance(aws_target[layer], dict) and layer != "identities":
            assert sorted(aws_target[layer]) == sorted(azure_target[layer]), layer
    assert sorted(aws_target["network"]["subnets"]) == sorted(azure_target["network"]["subnets"]) == ["app", "data", "public"]
    assert azure_target["key_vault"]["uri"] and aws_target["key_vault"] is None

    # Foreign resources beside ours: a VPC without our tags, a storage account in our resource group.
    foreign_vpc = aws("ec2", "us-east-1").create_vpc(CidrBlock="172.31.0.0/16")["Vpc"]["VpcId"]
    foreign_path = arm.resource_path("fsm-prod-eastus", "Microsoft.Storage/storageAccounts", "foreignstore")
    arm.put(foreign_path, {"location": "eastus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}, "2023-05-01")

    refused = run("strata.platform.teardown", "prod", args=TARGETS)
    assert refused.rc != 0 and refused.requests["mutating"] == 0 and refused.azure_requests["mutating"] == 0
    assert "platform_confirm_teardown=prod" in refused.output
    assert len(aws("rds").describe_db_instances()["DBInstances"]) == 2  # primary and replica kept

    down = run("strata.platform.teardown", "prod", args=TARGETS, extra_vars=CONFIRM)
    assert down.rc == 0, down
    print(f"prod teardown: {down.seconds:.0f} s wall, {down.cpu_seconds:.0f} s CPU")
    for region in AWS_CIDRS:
        assert_nothing_left(aws("ec2", region), "prod")
    assert aws("iam").list_roles(PathPrefix="/strata/")["Roles"] == []
    assert tags(aws("ec2", "us-east-1").describe_vpcs(VpcIds=[foreign_vpc])["Vpcs"][0]) == {}
    assert arm.get(foreign_path, "2023-05-01") is not None
    assert arm.get(arm.rg_path("fsm-prod-eastus"), "2022-09-01") is not None  # it still holds the foreign account
    assert list(azure_resources(arm, "eastus")) == ["microsoft.storage/storageaccounts"]
