"""The security_groups and iam layers on an Azure target, end to end against the ARM double: plan on an empty
subscription, plan with the network, converge, ARM state, re-run, a change, the lower layers found by
azure/find_layers, teardown of only ours, a foreign resource under our names, bad input."""

import os
import time

import pytest

pytestmark = pytest.mark.integration

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOST = "dev-azure-eastus"
TARGET = "fsm-dev-eastus"
CIDR = "10.61.0.0/16"
NET_API = "2024-03-01"
IDENTITY_API = "2023-01-31"
AUTH_API = "2022-04-01"
OWNED = {"owner": "strata.platform", "platform": "fsm", "environment": "dev"}
# The network role's Azure side, when it exists; until then the test builds the network itself.
NETWORK_ROLE_READY = os.path.exists(os.path.join(ROOT, "roles", "network", "tasks", "azure", "present.yml"))
ROLE_IDS = {
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Network Contributor": "4d97b98b-1d4f-4787-a291-c67834d212e7",
    "Managed Identity Operator": "f1a07417-d97a-45cb-824c-7a7467783830",
    "PostgreSQL Flexible Server Long Term Retention Backup Role": "c088a766-074b-43ba-90d4-1fb21feae531",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
}
FIND_LAYERS = """
- name: Find the lower layers of the Azure target
  hosts: all
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: Find them
      ansible.builtin.include_role:
        name: strata.platform.platform
        tasks_from: azure/find_layers
      vars:
        platform_required_layers: [network, security_groups, iam]
    - name: Report the outputs found
      ansible.builtin.debug:
        msg: "{{ {'network': network_outputs, 'security_groups': security_groups_outputs, 'iam': iam_outputs,
                  'encryption': encryption_outputs} }}"
"""


@pytest.fixture
def inventory(tmp_path):
    """A dev Azure target of its own (CIDR 10.61.0.0/16)."""
    directory = tmp_path / "inventory"
    (directory / "group_vars").mkdir(parents=True)
    (directory / "hosts.yml").write_text(f"dev:\n  hosts:\n    {HOST}:\nazure:\n  hosts:\n    {HOST}:\n")
    (directory / "group_vars" / "all.yml").write_text(
        "ansible_connection: local\nplatform_name: fsm\nplatform_environment: dev\nplatform_cloud: azure\n"
        f"platform_region: eastus\nplatform_network_cidr: {CIDR}\nplatform_tags:\n  cost-center: platform-dev\n"
    )
    return str(directory)


class Layers:
    """Runs the two layers' playbooks (security_groups then iam; the reverse to remove them) in one
    ansible-playbook run, timed."""

    def __init__(self, run, inventory, directory):
        self.run = run
        self.inventory = inventory
        self.timings = {}
        self.playbooks = {}
        for name, order in (("converge", ("security_groups", "iam")), ("remove", ("iam", "security_groups"))):
            path = directory / f"{name}.yml"
            path.write_text("".join(f"- name: The {layer} layer\n  ansible.builtin.import_playbook: strata.platform.{layer}\n"
                                    for layer in order))
            self.playbooks[name] = str(path)

    def converge(self, label=None, args=(), extra_vars=None):
        return self._timed(label, "converge", args, extra_vars)

    def remove(self, label=None, args=(), extra_vars=None):
        extra = {"security_groups_state": "absent", "iam_state": "absent", **(extra_vars or {})}
        return self._timed(label, "remove", args, extra)

    def _timed(self, label, playbook, args, extra_vars):
        started = time.monotonic()
        result = self.run(self.playbooks[playbook], self.inventory, args=args, extra_vars=extra_vars)
        if label:
            self.timings[label] = (round(time.monotonic() - started, 1), result.azure_requests.get("read"),
                                   result.azure_requests.get("mutating"))
        return result


def published(run, task_name, fact):
    facts = [result["ansible_facts"][fact] for host, result in run.task_results(task_name) if host == HOST]
    assert facts, f"no {fact} published"
    return facts[-1]


def build_network(arm):
    """The network layer as the contract names and tags it (used until the network role has its Azure side)."""
    tags = {**OWNED, "layer": "network"}
    rg = arm.rg_path(TARGET)
    arm.put(rg, {"location": "eastus", "tags": tags}, "2022-09-01")
    pip = arm.put(arm.resource_path(TARGET, "Microsoft.Network/publicIPAddresses", f"{TARGET}-nat-pip"),
                  {"location": "eastus", "tags": tags, "sku": {"name": "Standard"}, "zones": ["1", "2", "3"],
                   "properties": {"publicIPAllocationMethod": "Static"}}, NET_API)
    nat = arm.put(arm.resource_path(TARGET, "Microsoft.Network/natGateways", f"{TARGET}-nat"),
                  {"location": "eastus", "tags": tags, "sku": {"name": "Standard"},
                   "properties": {"publicIpAddresses": [{"id": pip["id"]}]}}, NET_API)
    subnets = [
        {"name": "public", "properties": {"addressPrefix": "10.61.0.0/22"}},
        {"name": "private-app", "properties": {
            "addressPrefix": "10.61.16.0/20", "natGateway": {"id": nat["id"]},
            "delegations": [{"name": "aks", "properties": {"serviceName": "Microsoft.ContainerService/managedClusters"}}]}},
        {"name": "private-data", "properties": {
            "addressPrefix": "10.61.32.0/22", "natGateway": {"id": nat["id"]},
            "serviceEndpoints": [{"service": s} for s in ("Microsoft.Sql", "Microsoft.Storage", "Microsoft.KeyVault")],
            "delegations": [{"name": "pg", "properties": {"serviceName": "Microsoft.DBforPostgreSQL/flexibleServers"}}]}},
    ]
    arm.put(arm.resource_path(TARGET, "Microsoft.Network/virtualNetworks", f"{TARGET}-vnet"),
            {"location": "eastus", "tags": tags,
             "properties": {"addressSpace": {"addressPrefixes": [CIDR]}, "subnets": subnets}}, NET_API)


def subnets_of(arm):
    vnet = arm.get(arm.resource_path(TARGET, "Microsoft.Network/virtualNetworks", f"{TARGET}-vnet"), NET_API)
    return {s["name"]: s["properties"] for s in vnet["properties"]["subnets"]}


def nsgs_of(arm):
    return {n["name"]: n for n in arm.list(arm.rg_path(TARGET) + "/providers/Microsoft.Network/networkSecurityGroups", NET_API)}


def identities_of(arm):
    path = arm.rg_path(TARGET) + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities"
    return {i["name"]: i for i in arm.list(path, IDENTITY_API)}


def assignments_of(arm):
    return arm.list(arm.rg_path(TARGET) + "/providers/Microsoft.Authorization/roleAssignments", AUTH_API)


def network_settings(subnet):
    """What the network layer sets on a subnet (etags and provisioning states left out)."""
    return {
        "prefix": subnet.get("addressPrefix"),
        "nat": (subnet.get("natGateway") or {}).get("id", "").lower(),
        "delegations": sorted(d["properties"]["serviceName"] for d in subnet.get("delegations") or []),
        "endpoints": sorted(e["service"] for e in subnet.get("serviceEndpoints") or []),
        "policies": (subnet.get("privateEndpointNetworkPolicies"), subnet.get("privateLinkServiceNetworkPolicies")),
        "route_table": (subnet.get("routeTable") or {}).get("id"),
    }


def rules_of(nsg):
    return {r["name"]: r["properties"] for r in nsg["properties"]["securityRules"]}


def put_foreign(arm, subscription):
    """Resources in the target's resource group that are not ours: they must survive the teardown."""
    arm.put(arm.resource_path(TARGET, "Microsoft.Network/networkSecurityGroups", "legacy-nsg"),
            {"location": "eastus", "tags": {"owner": "someone-else"}}, NET_API)
    foreign = arm.put(arm.resource_path(TARGET, "Microsoft.ManagedIdentity/userAssignedIdentities", "someone-else"),
                      {"location": "eastus"}, IDENTITY_API)
    arm.put(f"{arm.rg_path(TARGET)}/providers/Microsoft.Authorization/roleAssignments/0f0e0d0c-0b0a-4909-8807-060504030201",
            {"properties": {"principalId": foreign["properties"]["principalId"],
                            "roleDefinitionId": f"{subscription}/providers/Microsoft.Authorization/roleDefinitions/{ROLE_IDS['Reader']}"}},
            AUTH_API)


def assert_converged(arm, subnets_before):
    subscription = arm.subscription
    nsgs = nsgs_of(arm)
    ours = {name: nsg for name, nsg in nsgs.items() if name.startswith(TARGET)}
    assert sorted(ours) == [f"{TARGET}-app-nsg", f"{TARGET}-data-nsg", f"{TARGET}-public-nsg"]
    for tier in ("public", "app", "data"):
        tags = ours[f"{TARGET}-{tier}-nsg"]["tags"]
        assert {**OWNED, "layer": "security_groups", "tier": tier, "cost-center": "platform-dev"}.items() <= tags.items()
    public, app, data = (rules_of(ours[f"{TARGET}-{tier}-nsg"]) for tier in ("public", "app", "data"))
    assert {(r["destinationPortRange"], r["sourceAddressPrefix"], r["access"]) for r in public.values()} == {
        ("443", "Internet", "Allow"), ("80", "Internet", "Allow")}
    deny = app["deny-internet-out"]
    assert (deny["direction"], deny["access"], deny["destinationAddressPrefix"], deny["priority"]) == ("Outbound", "Deny", "Internet", 4096)
    assert all(r["priority"] < deny["priority"] for name, r in app.items() if r["direction"] == "Outbound" and name != "deny-internet-out")
    subnets = subnets_of(arm)
    app_prefix, data_prefix = subnets["private-app"]["addressPrefix"], subnets["private-data"]["addressPrefix"]
    assert {(r["destinationPortRange"], r["sourceAddressPrefix"]) for r in data.values() if r["access"] == "Allow"} == {
        ("5432", app_prefix), ("6380", app_prefix), ("9093", app_prefix), ("*", data_prefix)}
    assert (data["deny-vnet-in"]["sourceAddressPrefix"], data["deny-vnet-in"]["access"]) == ("VirtualNetwork", "Deny")
    assert app["allow-public-subnet-in"]["sourceAddressPrefix"] == subnets["public"]["addressPrefix"]

    # Each subnet uses its NSG; everything the network layer set on it is still there.
    for subnet, tier in (("public", "public"), ("private-app", "app"), ("private-data", "data")):
        assert subnets[subnet]["networkSecurityGroup"]["id"].lower() == ours[f"{TARGET}-{tier}-nsg"]["id"].lower()
        assert network_settings(subnets[subnet]) == network_settings(subnets_before[subnet]), subnet
    assert subnets["private-app"]["natGateway"]["id"].endswith(f"/natGateways/{TARGET}-nat")

    identities = {name: i for name, i in identities_of(arm).items() if name.startswith(TARGET)}
    assert sorted(identities) == [f"{TARGET}-{key}" for key in ("aks-cluster", "aks-kubelet", "app", "backup")]
    for name, identity in identities.items():
        assert {**OWNED, "layer": "iam", "workload": name[len(TARGET) + 1:]}.items() <= identity["tags"].items()
    principal = {name[len(TARGET) + 1:]: i["properties"]["principalId"] for name, i in identities.items()}
    rg = f"{subscription}/resourceGroups/{TARGET}"
    expected = {
        (principal["app"], ROLE_IDS["Key Vault Secrets User"], rg),
        (principal["aks-cluster"], ROLE_IDS["Network Contributor"],
         f"{rg}/providers/Microsoft.Network/virtualNetworks/{TARGET}-vnet/subnets/private-app"),
        (principal["aks-cluster"], ROLE_IDS["Managed Identity Operator"], identities[f"{TARGET}-aks-kubelet"]["id"]),
        (principal["backup"], ROLE_IDS["PostgreSQL Flexible Server Long Term Retention Backup Role"], rg),
        (principal["backup"], ROLE_IDS["Reader"], rg),
    }
    ours_assigned = {(a["properties"]["principalId"], a["properties"]["roleDefinitionId"].rsplit("/", 1)[-1], a["properties"]["scope"])
                     for a in assignments_of(arm) if a["properties"]["principalId"] in principal.values()}
    assert ours_assigned == expected
    return ours, identities


def test_security_groups_and_iam_on_azure(run_playbook_multicloud, arm, inventory, tmp_path):
    layers = Layers(run_playbook_multicloud, inventory, tmp_path)

    # Plan on an empty subscription: no resource group yet, no mutating call.
    plan_empty = layers.converge("plan, empty subscription", args=["--check"])
    assert plan_empty.rc == 0, plan_empty
    assert plan_empty.azure_requests["mutating"] == 0, plan_empty.azure_requests["mutating_actions"]
    assert plan_empty.changed(HOST) > 0
    assert arm.get(arm.rg_path(TARGET), "2022-09-01") is None

    # The network layer, then resources of someone else in the same resource group.
    if NETWORK_ROLE_READY:
        network = run_playbook_multicloud("strata.platform.network", inventory)
        assert network.rc == 0, network
    else:
        build_network(arm)
    put_foreign(arm, arm.subscription)
    subnets_before = subnets_of(arm)

    plan = layers.converge("plan, network present", args=["--check", "--diff"])
    assert plan.rc == 0, plan
    assert plan.azure_requests["mutating"] == 0, plan.azure_requests["mutating_actions"]
    assert plan.changed(HOST) > 0
    assert not any(name.startswith(TARGET) for name in nsgs_of(arm))

    first = layers.converge("first run")
    assert first.rc == 0, first
    nsgs, identities = assert_converged(arm, subnets_before)

    sg_outputs = published(first, "Publish the network security groups for later layers", "security_groups_outputs")
    nsg_ids = {tier: nsgs[f"{TARGET}-{tier}-nsg"]["id"] for tier in ("public", "app", "data")}
    assert sg_outputs == {"cloud": "azure", "region": "eastus", "resource_group": TARGET, "nsgs": nsg_ids,
                          "alb": nsg_ids["public"], "eks-cluster": nsg_ids["app"], "eks-nodes": nsg_ids["app"],
                          "rds": nsg_ids["data"], "redis": nsg_ids["data"], "kafka": nsg_ids["data"]}
    iam_outputs = published(first, "Publish the managed identities for later layers", "iam_outputs")
    assert iam_outputs["roles"] == {name[len(TARGET) + 1:]: i["id"] for name, i in identities.items()}
    assert {k: v["principal_id"] for k, v in iam_outputs["identities"].items()} == {
        name[len(TARGET) + 1:]: i["properties"]["principalId"] for name, i in identities.items()}

    again = layers.converge("no-op re-run")
    assert again.rc == 0, again
    assert again.changed() == 0, [(h, s) for h, s in again.stats.items() if s.get("changed")]
    assert again.azure_requests["mutating"] == 0, again.azure_requests["mutating_actions"]
    # The reads only (VNet, NSGs; the VNet for the subnet scope, identities, role assignments): no module run per item.
    assert again.azure_requests["read"] <= 5, again.azure_requests["by_action"]

    check_again = layers.converge(args=["--check"])
    assert check_again.rc == 0 and check_again.changed() == 0 and check_again.azure_requests["mutating"] == 0

    # A layer run alone finds the lower layers by name and tags: the same outputs the roles publish.
    find = tmp_path / "find_layers.yml"
    find.write_text(FIND_LAYERS)
    found_run = run_playbook_multicloud(str(find), inventory)
    assert found_run.rc == 0, found_run
    assert found_run.azure_requests["mutating"] == 0 and found_run.azure_requests["read"] == 4
    found = [r["msg"] for host, r in found_run.task_results("Report the outputs found")][0]
    assert found["security_groups"] == sg_outputs
    assert found["iam"] == iam_outputs
    assert found["network"]["vpc_id"].endswith(f"/virtualNetworks/{TARGET}-vnet")
    assert found["network"]["subnet_cidrs"]["app"] == subnets_before["private-app"]["addressPrefix"]
    assert list(found["network"]["subnets"]["data"]) == ["eastus"]
    assert len(found["network"]["nat_gateway_ids"]) == 1
    assert found["encryption"]["key_vault"]["id"] is None  # no encryption layer here

    # A change in the data: a rule disabled and an identity's assignment dropped are removed from Azure.
    change = {"security_groups_azure_extra": {"data": {"rules": {"allow-kafka-from-app": {"enabled": False}}}},
              "iam_azure_extra": {"backup": {"role_assignments": [{"role": "Reader", "scope": "resource_group"}]}}}
    changed = layers.converge("change", extra_vars=change)
    assert changed.rc == 0, changed
    assert "allow-kafka-from-app" not in rules_of(nsgs_of(arm)[f"{TARGET}-data-nsg"])
    backup_principal = identities[f"{TARGET}-backup"]["properties"]["principalId"]
    assert [a["properties"]["roleDefinitionId"].rsplit("/", 1)[-1] for a in assignments_of(arm)
            if a["properties"]["principalId"] == backup_principal] == [ROLE_IDS["Reader"]]
    expected_changes = {"PUT Microsoft.Network/networkSecurityGroups": 1, "DELETE Microsoft.Authorization/roleAssignments": 1}
    assert changed.azure_requests["mutating_actions"] == expected_changes

    # Teardown: plan first (no mutating call), then only ours goes; the network and the foreign resources stay.
    plan_down = layers.remove(args=["--check"])
    assert plan_down.rc == 0 and plan_down.azure_requests["mutating"] == 0, plan_down
    down = layers.remove("teardown")
    assert down.rc == 0, down
    assert sorted(nsgs_of(arm)) == ["legacy-nsg"]
    assert sorted(identities_of(arm)) == ["someone-else"]
    assert [a["name"] for a in assignments_of(arm)] == ["0f0e0d0c-0b0a-4909-8807-060504030201"]
    subnets = subnets_of(arm)
    assert not any(s.get("networkSecurityGroup") for s in subnets.values())
    assert {name: network_settings(s) for name, s in subnets.items()} == {
        name: network_settings(s) for name, s in subnets_before.items()}
    assert arm.get(arm.rg_path(TARGET), "2022-09-01") is not None
    down_again = layers.remove("teardown again")
    assert down_again.rc == 0 and down_again.changed() == 0 and down_again.azure_requests["mutating"] == 0, down_again

    # A resource under one of our names that is not ours stops the converge and the teardown before any change.
    arm.put(arm.resource_path(TARGET, "Microsoft.ManagedIdentity/userAssignedIdentities", f"{TARGET}-backup"),
            {"location": "eastus", "tags": {"owner": "someone-else"}}, IDENTITY_API)
    refused = run_playbook_multicloud("strata.platform.iam", inventory, extra_vars={"iam_state": "absent"})
    assert refused.rc != 0 and refused.azure_requests["mutating"] == 0
    assert f"{TARGET}-backup in {TARGET} without this layer's tags" in refused.failures()
    assert f"{TARGET}-backup" in identities_of(arm)

    print("\nAzure security_groups + iam (wall s, ARM reads, ARM mutating):")
    for label, figures in layers.timings.items():
        print(f"  {label}: {figures}")


def test_bad_input_fails_before_any_call(run_playbook_multicloud, inventory):
    bad_rules = {"security_groups_azure_extra": {"data": {"rules": {
        "allow-internet": {"priority": 100, "destination_ports": 5432, "source": "Internet"},
        "bad-ports": {"priority": 5000, "destination_ports": "70000", "source_subnet": "app"}}}}}
    failed = run_playbook_multicloud("strata.platform.security_groups", inventory, extra_vars=bad_rules)
    assert failed.rc != 0
    assert failed.azure_requests["total"] == 0
    message = failed.failures()
    assert "security_groups_azure_nsgs.data.rules.allow-internet allows Internet" in message
    assert "use source_subnet: app" in message
    assert "security_groups_azure_nsgs.data.rules.allow-internet and rule allow-postgresql-from-app share the Inbound 100 priority" in message
    assert "bad-ports: priority=5000 must be a whole number from 100 to 4096" in message
    assert "destination_ports 70000 is not a port" in message

    privileged = {"iam_azure_extra": {"app": {"role_assignments": [
        {"role": "Owner", "scope": "resource_group"}, {"role": "Reader", "scope": "subnet:db"}]}}}
    failed = run_playbook_multicloud("strata.platform.iam", inventory, extra_vars=privileged)
    assert failed.rc != 0 and failed.azure_requests["total"] == 0
    message = failed.failures()
    assert "iam_azure_identities.app.role_assignments[0]: Owner can change anything" in message
    assert "allow_privileged: true" in message
    assert "scope=subnet:db is not resource_group, subnet:<public|app|data>" in message
