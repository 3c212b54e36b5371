"""The cross-cloud lookup (strata.platform.platform_layer) and its module twin (strata.platform.platform_layer_info)
against both test clouds: a dev target on AWS and one on Azure, built by the collection's own playbooks
(network, security_groups, encryption), are found with the right ids, in one shape for both clouds, by the lookup
and the module alike, read-only (check mode too), with a known number of requests per cloud."""

import os

import pytest

from aws_helpers import owned, tags

pytestmark = pytest.mark.integration

AWS_HOST, AZURE_HOST = "dev-aws-us-east-1", "dev-azure-eastus"
LAYERS = ("network", "security_groups", "encryption")
LAYER_KEYS = ("network", "security_groups", "identities", "encryption_keys", "key_vault", "database", "cache", "kafka")

INVENTORY = f"""\
dev:
  hosts:
    {AWS_HOST}:
      platform_region: us-east-1
      platform_network_cidr: 10.10.0.0/16
    {AZURE_HOST}:
      platform_region: eastus
      platform_network_cidr: 10.110.0.0/16
  vars:
    ansible_connection: local
    platform_name: fsm
    platform_environment: dev
aws:
  hosts:
    {AWS_HOST}:
  vars:
    platform_cloud: aws
azure:
  hosts:
    {AZURE_HOST}:
  vars:
    platform_cloud: azure
"""

BUILD = "---\n" + "".join(
    f"- name: Converge the {layer} layer\n  ansible.builtin.import_playbook: strata.platform.{layer}\n" for layer in LAYERS)

# Both targets through the lookup (one query, two terms; the platform from platform_name) and through the module.
PROBE = """\
---
- name: Find both targets through the lookup and the module
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
    platform_name: fsm
  tasks:
    - name: Look up both targets
      ansible.builtin.set_fact:
        by_lookup: "{{ query('strata.platform.platform_layer', *targets) }}"

    - name: Find each target with the module
      strata.platform.platform_layer_info:
        platform: fsm
        environment: "{{ item.split('-')[0] }}"
        region: "{{ item.split('-', 2)[2] }}"
      loop: "{{ targets }}"
      register: by_module
"""

# One lookup of one target (the request count of a lookup on one cloud).
ONE_LOOKUP = """\
---
- name: Look up one target
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: Look up the target
      ansible.builtin.set_fact:
        found: "{{ lookup('strata.platform.platform_layer', target, platform='fsm', layers=layers) }}"
"""


# (layers, AWS requests, ARM requests) of one lookup of one target built with LAYERS.
REQUESTS = (
    # every layer: AWS 3 network + 1 security groups + 1 IAM + 3 KMS + 1 RDS + 1 ElastiCache + 1 MSK (no cluster,
    # so no bootstrap brokers); Azure: the resource group's list + the VNet + the vault + its keys (nothing else is
    # read one by one: NSGs from the list, and no data store was built)
    (["network", "security_groups", "iam", "encryption", "database", "cache", "kafka"], 11, 4),
    (["security_groups"], 1, 1),
    (["network", "encryption"], 6, 4),
)


def shape(value, key=None):
    """Keys at every level, leaves as "leaf" (a string or null), ints as "int", a null layer as "null"; the
    identities mapping (free names) as {"*": leaf}."""
    if isinstance(value, dict):
        if key == "identities":
            return {"*": "leaf"}
        return {k: shape(v, k) for k, v in value.items()}
    if isinstance(value, list):
        shapes = [shape(item) for item in value]
        return [shapes[0]] if shapes else []
    if value is None:
        return "null" if key in LAYER_KEYS else "leaf"
    return "int" if isinstance(value, int) and not isinstance(value, bool) else "leaf"


def assert_same_shape(a, b, path="target"):
    """Same keys and leaf types at every level; a null layer matches any layer (not found on that cloud)."""
    if "null" in (a, b):
        return
    if isinstance(a, dict) or isinstance(b, dict):
        assert isinstance(a, dict) and isinstance(b, dict), f"{path}: {a} / {b}"
        assert a.keys() == b.keys(), f"{path}: {sorted(a)} / {sorted(b)}"
        for key in a:
            assert_same_shape(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list) or isinstance(b, list):
        assert isinstance(a, list) and isinstance(b, list), f"{path}: {a} / {b}"
        if a and b:
            assert_same_shape(a[0], b[0], f"{path}[]")
    else:
        assert a == b, f"{path}: {a} / {b}"


def write(directory, name, text):
    path = directory / name
    path.write_text(text)
    return str(path)


def expected_aws(aws):
    """The dev target's ids on AWS, read with boto3."""
    ec2, kms = aws("ec2"), aws("kms")
    [vpc] = owned(ec2, "describe_vpcs", "Vpcs", **{"tag:Name": "fsm-dev-us-east-1", "tag:layer": "network"})
    subnets = {"public": [], "app": [], "data": []}
    tier_keys = {"public": "public", "private-app": "app", "private-data": "data"}
    for subnet in sorted(owned(ec2, "describe_subnets", "Subnets", **{"vpc-id": vpc["VpcId"]}),
                         key=lambda s: s["AvailabilityZone"]):
        subnets[tier_keys[tags(subnet)["tier"]]].append(
            {"id": subnet["SubnetId"], "cidr": subnet["CidrBlock"], "zone": subnet["AvailabilityZone"]})
    found_groups = owned(ec2, "describe_security_groups", "SecurityGroups",
                         **{"tag:layer": "security_groups", "vpc-id": vpc["VpcId"]})
    groups = {tags(g)["purpose"]: g["GroupId"] for g in found_groups}
    return {
        "network": {"id": vpc["VpcId"], "name": "fsm-dev-us-east-1", "cidr": "10.10.0.0/16", "resource_group": None,
                    "subnets": subnets, "nat_gateway_ids": []},  # dev: no NAT gateway (network_nat_mode none)
        "security_groups": {"public": groups["alb"], "app": groups["eks-nodes"], "database": groups["rds"],
                            "cache": groups["redis"], "kafka": groups["kafka"]},
        "encryption_keys": {purpose: kms.describe_key(KeyId=f"alias/fsm-dev-{purpose}")["KeyMetadata"]["Arn"]
                            for purpose in ("data", "backup", "logs")},
        "key_vault": None,
    }


def expected_azure(arm):
    """The dev target's ids on Azure, read from the ARM double."""
    group = "fsm-dev-eastus"
    resources = arm.list(arm.rg_path(group) + "/resources")
    by_type = {}
    for resource in resources:
        by_type.setdefault(resource["type"].lower(), []).append(resource)
    vnet = arm.get(arm.resource_path(group, "Microsoft.Network/virtualNetworks", f"{group}-vnet"), "2024-01-01")
    subnets = {s["name"]: s for s in vnet["properties"]["subnets"]}
    nsg = {purpose: arm.resource_path(group, "Microsoft.Network/networkSecurityGroups", f"{group}-{purpose}-nsg")
           for purpose in ("public", "app", "data")}
    for path in nsg.values():
        assert arm.get(path, "2024-01-01") is not None, path
    [vault] = by_type["microsoft.keyvault/vaults"]
    vault = arm.get(vault["id"], "2023-07-01")
    uri = vault["properties"]["vaultUri"]
    return {
        "network": {
            "id": vnet["id"], "name": f"{group}-vnet", "cidr": "10.110.0.0/16", "resource_group": group,
            "subnets": {key: [{"id": subnets[name]["id"], "cidr": subnets[name]["properties"]["addressPrefix"], "zone": None}]
                        for key, name in (("public", "public"), ("app", "private-app"), ("data", "private-data"))},
            "nat_gateway_ids": [r["id"] for r in by_type["microsoft.network/natgateways"]],
        },
        "security_groups": {"public": nsg["public"], "app": nsg["app"], "database": nsg["data"], "cache": nsg["data"],
                            "kafka": nsg["data"]},
        # the encryption role's keys: one per purpose, named after it (version-less key ids)
        "encryption_keys": {purpose: uri.rstrip("/") + "/keys/" + purpose for purpose in ("data", "backup", "logs")},
        "key_vault": {"id": vault["id"], "name": vault["name"], "uri": uri},
    }


@pytest.mark.cost(220)  # seconds in CI: dealt out first (tests/conftest.py)
def test_lookup_and_module_find_both_clouds_in_one_shape(run_playbook_multicloud, aws, arm, tmp_path):
    run = run_playbook_multicloud
    inventory = str(tmp_path / "inventory")
    os.makedirs(inventory)
    write(tmp_path / "inventory", "hosts.yml", INVENTORY)

    nothing = run(write(tmp_path, "probe.yml", PROBE), inventory, extra_vars={"targets": [AWS_HOST, AZURE_HOST]})
    assert nothing.rc == 0, nothing
    [(_h, empty)] = nothing.task_results("Look up both targets")
    for found in empty["ansible_facts"]["by_lookup"]:
        assert all(found[key] is None for key in LAYER_KEYS), found  # nothing built yet: null, no error

    built = run(write(tmp_path, "build.yml", BUILD), inventory)
    assert built.rc == 0, built

    probes = {}
    for mode, args in (("apply", ()), ("check", ("--check",))):
        probe = run(write(tmp_path, "probe.yml", PROBE), inventory, args=args,
                    extra_vars={"targets": [AWS_HOST, AZURE_HOST]})
        assert probe.rc == 0, probe
        assert probe.requests["mutating"] == 0, probe.requests["mutating_actions"]
        assert probe.azure_requests["mutating"] == 0, probe.azure_requests["mutating_actions"]
        [(_h, looked)] = probe.task_results("Look up both targets")
        [(_h, module)] = probe.task_results("Find each target with the module")
        by_lookup = looked["ansible_facts"]["by_lookup"]
        by_module = [item["target"] for item in module["results"]]
        assert all(item["changed"] is False for item in module["results"])
        assert by_lookup == by_module, "the lookup and the module answer the same"
        probes[mode] = by_lookup
    assert probes["check"] == probes["apply"], "check mode finds the same"

    on_aws, on_azure = probes["apply"]
    assert (on_aws["cloud"], on_aws["name"], on_azure["cloud"], on_azure["name"]) == (
        "aws", "fsm-dev-us-east-1", "azure", "fsm-dev-eastus")
    assert sorted(on_aws) == sorted(on_azure)
    assert_same_shape(shape(on_aws), shape(on_azure))
    for layer in ("network", "security_groups", "encryption_keys"):
        assert on_aws[layer] is not None and on_azure[layer] is not None, layer
        assert on_aws[layer].keys() == on_azure[layer].keys(), layer
    # identities (iam) and the data stores were not built: null on both clouds
    assert all(on_aws[key] is None and on_azure[key] is None for key in ("identities", "database", "cache", "kafka"))

    for found, expected in ((on_aws, expected_aws(aws)), (on_azure, expected_azure(arm))):
        for key, value in expected.items():
            assert found[key] == value, (found["cloud"], key, found[key], value)
    assert len(on_aws["network"]["subnets"]["data"]) == 3 and len(on_azure["network"]["subnets"]["data"]) == 1

    # The requests of one lookup of one target, per cloud (the other cloud is not called at all).
    one = write(tmp_path, "one.yml", ONE_LOOKUP)
    for layers, aws_requests, azure_requests in REQUESTS:
        on_aws = run(one, inventory, extra_vars={"target": AWS_HOST, "layers": layers})
        on_azure = run(one, inventory, extra_vars={"target": AZURE_HOST, "layers": layers})
        assert on_aws.rc == 0 and on_azure.rc == 0, (on_aws, on_azure)
        assert (on_aws.requests["total"], on_aws.azure_requests["total"]) == (aws_requests, 0), \
            (layers, on_aws.requests["by_action"])
        assert (on_azure.requests["total"], on_azure.azure_requests["total"]) == (0, azure_requests), \
            (layers, on_azure.azure_requests["by_action"])
        print(f"one lookup, layers {','.join(layers)}: AWS {aws_requests} requests, Azure {azure_requests} requests")
