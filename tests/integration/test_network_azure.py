"""The lower layers of an Azure target (network, security_groups, iam) on dev, against the ARM test double.

The generic cycle of every layer on both clouds (plan on empty clouds, converge with the ownership tags, no-op
re-run, teardown refused without confirmation, teardown of only ours beside a foreign resource) is
test_site_multicloud.py's (prod). This file proves what is specific to these three layers on Azure, with ONE
converge of the three:

* the converge into a resource group the collection did not create (used as it is, never tagged) beside foreign
  resources of the layers' own types (an NSG, an identity and its role assignment, left alone by every run):
  the ARM state of each layer (address plan, AKS and PostgreSQL delegations, service endpoints, NAT gateway with
  its Standard zone-redundant IP on the private subnets; the NSG rule matrix, NSG associations that keep every
  setting of the network layer; managed identities and their narrow role assignments) and the outputs each
  layer publishes;
* a layer run alone finds the lower layers with azure/find_layers: four reads, the outputs the roles published;
* drift (the NAT association of a subnet, the NAT gateway's tags, a VNet tag) and a change in the data (an NSG
  rule disabled, a role assignment dropped), planned with --check --diff (exactly those tasks, no mutating
  call), applied by one run with exactly those writes (the VNet's update keeps every subnet with its NAT
  gateway, NSG, delegation and endpoints), then a re-run with changed=0 that only reads (module runs: network
  five, no azure_rm_subnet; security_groups two; iam two);
* the teardown of iam then security_groups removes only ours (the foreign identity, its role assignment and
  NSG stay) and leaves the subnets with every setting of the network layer;
* refusals before any write: the iam teardown with an identity under its names that is not ours; the network
  teardown with a NAT gateway under its names without the ownership tags, then with a subnet the role did not
  create; without those, the network teardown removes ours and keeps a group the collection did not create;
* bad network input fails before any API call (bad security_groups / iam input: test_security_iam_azure.py).
"""

import resource
import time

import pytest
import requests

from ansible_collections.strata.platform.plugins.plugin_utils.cidr import subnet_plan

pytestmark = pytest.mark.integration

HOST = "dev-azure-eastus"
CIDR = "10.110.0.0/16"
T = "fsm-dev-eastus"
NET = "Microsoft.Network"
OWNED = {"owner": "strata.platform", "platform": "fsm", "environment": "dev"}
MATCH_TAGS = {**OWNED, "layer": "network"}
TAGS = {**MATCH_TAGS, "cost-center": "platform-dev", "managed-by": "ansible"}
FOREIGN_GROUP_TAGS = {"owner": "platform-team", "cost-center": "shared"}
TIERS = {"public": "public", "app": "private-app", "data": "private-data"}
API = "2024-03-01"
GROUP_API = "2022-09-01"
IDENTITY_API = "2023-01-31"
AUTH_API = "2022-04-01"
FOREIGN_ASSIGNMENT = "0f0e0d0c-0b0a-4909-8807-060504030201"
ROLE_IDS = {
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Network Contributor": "4d97b98b-1d4f-4787-a291-c67834d212e7",
    "Managed Identity Operator": "f1a07417-d97a-45cb-824c-7a7467783830",
    "PostgreSQL Flexible Server Long Term Retention Backup Role": "c088a766-074b-43ba-90d4-1fb21feae531",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
}
AZURE_MODULES = ("azure.azcollection.", "strata.platform.azure_rm_")
FIND_LAYERS = """
- name: Find the lower layers of the Azure target
  hosts: all
  connection: local
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
    """A dev inventory with one Azure target (the contract variables, each in one dimension)."""
    directory = tmp_path / "inventory"
    (directory / "group_vars").mkdir(parents=True)
    (directory / "host_vars").mkdir()
    (directory / "hosts.yml").write_text(f"dev:\n  hosts:\n    {HOST}:\nazure:\n  hosts:\n    {HOST}:\n")
    (directory / "group_vars" / "dev.yml").write_text(
        "platform_name: fsm\nplatform_environment: dev\nplatform_tags:\n  cost-center: platform-dev\n  managed-by: ansible\n"
    )
    (directory / "group_vars" / "azure.yml").write_text("platform_cloud: azure\n")
    (directory / "host_vars" / f"{HOST}.yml").write_text(f"platform_region: eastus\nplatform_network_cidr: {CIDR}\n")
    return str(directory)


@pytest.fixture
def network(run_playbook_multicloud, inventory):
    """Run strata.platform.network on the inventory; returns (PlaybookRun, seconds)."""

    def _run(*args, **extra_vars):
        started = time.monotonic()
        run = run_playbook_multicloud("strata.platform.network", inventory, args=args, extra_vars=extra_vars or None)
        return run, time.monotonic() - started

    return _run


class Stack:
    """The runs of the lower-layers test, each timed (wall and CPU seconds of ansible-playbook and its modules):
    ``up`` (one playbook importing network, security_groups and iam), ``find`` (azure/find_layers alone) and
    ``iam_teardown`` and ``down`` (iam and security_groups removed)."""

    def __init__(self, run, inventory, directory):
        self.run = run
        self.inventory = inventory
        self.timings = {}
        self.up_playbook = directory / "up.yml"
        self.up_playbook.write_text("".join(
            f"- name: The {layer} layer\n  ansible.builtin.import_playbook: strata.platform.{layer}\n"
            for layer in ("network", "security_groups", "iam")))
        self.down_playbook = directory / "down.yml"
        self.down_playbook.write_text("".join(
            f"- name: The {layer} layer\n  ansible.builtin.import_playbook: strata.platform.{layer}\n"
            for layer in ("iam", "security_groups")))
        self.find_playbook = directory / "find_layers.yml"
        self.find_playbook.write_text(FIND_LAYERS)

    def up(self, label, args=(), extra_vars=None):
        return self._timed(label, str(self.up_playbook), args, extra_vars)

    def find(self, label):
        return self._timed(label, str(self.find_playbook), (), None)

    def iam_teardown(self, label, extra_vars):
        return self._timed(label, "strata.platform.iam", (), {"iam_state": "absent", **extra_vars})

    def down(self, label):
        """iam then security_groups removed (teardown order), the network kept, in one run."""
        return self._timed(label, str(self.down_playbook), (), {"iam_state": "absent", "security_groups_state": "absent"})

    def _timed(self, label, playbook, args, extra_vars):
        started, cpu = time.monotonic(), children_cpu()
        result = self.run(playbook, self.inventory, args=args, extra_vars=extra_vars)
        self.timings[label] = (round(time.monotonic() - started, 1), round(children_cpu() - cpu, 1),
                               module_runs(result), result.azure_requests.get("read"),
                               result.azure_requests.get("mutating"))
        return result


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@pytest.fixture
def stack(run_playbook_multicloud, inventory, tmp_path):
    return Stack(run_playbook_multicloud, inventory, tmp_path)


class Arm:
    """Writes on the double for the test's own set-up (foreign resources, drift), beside ``arm`` reads."""

    def __init__(self, reader):
        self.reader = reader
        self.cloud = reader.cloud

    def path(self, resource_type, name):
        return self.reader.resource_path(T, resource_type, name)

    def call(self, method, path, body=None, api_version=API):
        response = requests.request(method, f"{self.cloud.endpoint}{path}?api-version={api_version}", json=body,
                                    headers={"Authorization": "Bearer test"}, verify=self.cloud.ca_file, timeout=10,
                                    proxies={"http": None, "https": None})
        assert response.status_code < 300, (method, path, response.status_code, response.text)
        return response.json() if response.content else None


@pytest.fixture
def arm_write(arm):
    return Arm(arm)


def module_runs(run):
    """Azure module runs per layer ({'network': n, ...}, from the play names), counted from the JSON result."""
    counts = {}
    for play in run.result.get("plays", []):
        layer = play["play"]["name"].replace("Converge the ", "").split(" ")[0]
        for task in play["tasks"]:
            for result in task["hosts"].values():
                if not result.get("action", "").startswith(AZURE_MODULES):
                    continue
                if "results" in result:
                    ran = sum(1 for item in result["results"] if not item.get("skipped"))
                else:
                    ran = 0 if result.get("skipped") else 1
                counts[layer] = counts.get(layer, 0) + ran
    return counts


def changed_tasks(run):
    """The names (without the role's prefix and before any ' | ') of the tasks that reported a change, in order."""
    return [task["task"]["name"].split(" : ", 1)[-1].split(" | ")[0]
            for play in run.result.get("plays", []) for task in play["tasks"]
            if any(result.get("changed") for result in task["hosts"].values())]


def published(run, task_name, fact):
    facts = [result["ansible_facts"][fact] for host, result in run.task_results(task_name) if host == HOST]
    assert len(facts) == 1, f"{fact} published {len(facts)} times"
    return facts[0]


def network_settings(subnet):
    """What the network layer sets on a subnet (etags, provisioning states and the NSG left out)."""
    return {
        "prefix": subnet.get("addressPrefix"),
        "nat": (subnet.get("natGateway") or {}).get("id", "").lower(),
        "delegations": sorted(d["properties"]["serviceName"] for d in subnet.get("delegations") or []),
        "endpoints": sorted(e["service"] for e in subnet.get("serviceEndpoints") or []),
        "policies": (subnet.get("privateEndpointNetworkPolicies"), subnet.get("privateLinkServiceNetworkPolicies")),
        "route_table": (subnet.get("routeTable") or {}).get("id"),
    }


def planned_settings(nat_id):
    """network_settings of each subnet as the network layer plans them."""
    plan = {p["tier"]: p["cidr"] for p in subnet_plan(CIDR, [])}
    settings = {name: {"prefix": plan[tier], "nat": nat_id.lower(), "delegations": [], "endpoints": [],
                       "policies": ("Enabled", "Enabled"), "route_table": None} for tier, name in TIERS.items()}
    settings["public"]["nat"] = ""
    settings["private-app"]["delegations"] = ["Microsoft.ContainerService/managedClusters"]
    settings["private-data"]["delegations"] = ["Microsoft.DBforPostgreSQL/flexibleServers"]
    settings["private-data"]["endpoints"] = ["Microsoft.KeyVault", "Microsoft.Sql", "Microsoft.Storage"]
    return settings


def assert_network(arm, group_tags=None):
    """The ARM state matches the network layer's plan; returns the ids (vnet, nat, pip, subnets by name)."""
    group = arm.get(arm.rg_path(T), GROUP_API)
    assert group["location"] == "eastus" and group["tags"] == (group_tags or TAGS)

    vnet = arm.get(arm.resource_path(T, f"{NET}/virtualNetworks", f"{T}-vnet"), API)
    assert vnet["location"] == "eastus" and vnet["tags"] == TAGS
    assert vnet["properties"]["addressSpace"]["addressPrefixes"] == [CIDR]

    pip = arm.get(arm.resource_path(T, f"{NET}/publicIPAddresses", f"{T}-nat-pip"), API)
    assert pip["sku"]["name"] == "Standard" and sorted(pip["zones"]) == ["1", "2", "3"] and pip["tags"] == TAGS
    assert pip["properties"]["publicIPAllocationMethod"] == "Static" and pip["properties"]["ipAddress"]

    nat = arm.get(arm.resource_path(T, f"{NET}/natGateways", f"{T}-nat"), API)
    assert nat["sku"]["name"] == "Standard" and nat["tags"] == TAGS
    assert nat["properties"]["idleTimeoutInMinutes"] == 4
    assert [ref["id"] for ref in nat["properties"]["publicIpAddresses"]] == [pip["id"]]

    subnets = {s["name"]: s for s in arm.list(f"{vnet['id']}/subnets", API)}
    assert sorted(subnets) == sorted(TIERS.values())
    assert {name: network_settings(s["properties"]) for name, s in subnets.items()} == planned_settings(nat["id"])
    assert sorted(ref["id"] for ref in nat["properties"]["subnets"]) == sorted(
        subnets[name]["id"] for name in ("private-app", "private-data"))
    return {"vnet": vnet, "nat": nat, "pip": pip, "subnets": subnets}


def nsgs_of(arm):
    return {n["name"]: n for n in arm.list(arm.rg_path(T) + f"/providers/{NET}/networkSecurityGroups", API)}


def identities_of(arm):
    return {i["name"]: i for i in arm.list(arm.rg_path(T) + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities",
                                           IDENTITY_API)}


def assignments_of(arm):
    return arm.list(arm.rg_path(T) + "/providers/Microsoft.Authorization/roleAssignments", AUTH_API)


def rules_of(nsg):
    return {r["name"]: r["properties"] for r in nsg["properties"]["securityRules"]}


def put_foreign(arm):
    """Resources in the target's resource group that are not ours: a group the collection did not create, an NSG,
    an identity and its role assignment. They must be left as they are by every run."""
    arm.put(arm.rg_path(T), {"location": "eastus", "tags": FOREIGN_GROUP_TAGS}, GROUP_API)
    arm.put(arm.resource_path(T, f"{NET}/networkSecurityGroups", "legacy-nsg"),
            {"location": "eastus", "tags": {"owner": "someone-else"}}, API)
    foreign = arm.put(arm.resource_path(T, "Microsoft.ManagedIdentity/userAssignedIdentities", "someone-else"),
                      {"location": "eastus"}, IDENTITY_API)
    arm.put(f"{arm.rg_path(T)}/providers/Microsoft.Authorization/roleAssignments/{FOREIGN_ASSIGNMENT}",
            {"properties": {"principalId": foreign["properties"]["principalId"],
                            "roleDefinitionId": f"{arm.subscription}/providers/Microsoft.Authorization/roleDefinitions/"
                                                f"{ROLE_IDS['Reader']}"}},
            AUTH_API)


def assert_foreign_kept(arm):
    assert arm.get(arm.rg_path(T), GROUP_API)["tags"] == FOREIGN_GROUP_TAGS
    assert "legacy-nsg" in nsgs_of(arm)
    assert "someone-else" in identities_of(arm)
    assert FOREIGN_ASSIGNMENT in [a["name"] for a in assignments_of(arm)]


def assert_security_groups_and_iam(arm, subnets):
    """The NSGs (rule matrix, tags, one per subnet) and the identities with their role assignments; returns both."""
    ours = {name: nsg for name, nsg in nsgs_of(arm).items() if name.startswith(T)}
    assert sorted(ours) == [f"{T}-app-nsg", f"{T}-data-nsg", f"{T}-public-nsg"]
    for tier in ("public", "app", "data"):
        tags = ours[f"{T}-{tier}-nsg"]["tags"]
        assert {**OWNED, "layer": "security_groups", "tier": tier, "cost-center": "platform-dev"}.items() <= tags.items()
    public, app, data = (rules_of(ours[f"{T}-{tier}-nsg"]) for tier in ("public", "app", "data"))
    assert {(r["destinationPortRange"], r["sourceAddressPrefix"], r["access"]) for r in public.values()} == {
        ("443", "Internet", "Allow"), ("80", "Internet", "Allow")}
    deny = app["deny-internet-out"]
    assert (deny["direction"], deny["access"], deny["destinationAddressPrefix"], deny["priority"]) == (
        "Outbound", "Deny", "Internet", 4096)
    assert all(r["priority"] < deny["priority"] for name, r in app.items()
               if r["direction"] == "Outbound" and name != "deny-internet-out")
    prefix = {name: s["properties"]["addressPrefix"] for name, s in subnets.items()}
    assert {(r["destinationPortRange"], r["sourceAddressPrefix"]) for r in data.values() if r["access"] == "Allow"} == {
        ("5432", prefix["private-app"]), ("6380", prefix["private-app"]), ("9093", prefix["private-app"]),
        ("*", prefix["private-data"])}
    assert (data["deny-vnet-in"]["sourceAddressPrefix"], data["deny-vnet-in"]["access"]) == ("VirtualNetwork", "Deny")
    assert app["allow-public-subnet-in"]["sourceAddressPrefix"] == prefix["public"]
    # Each subnet uses its NSG (what the network layer set on it is checked by assert_network).
    for subnet, tier in (("public", "public"), ("private-app", "app"), ("private-data", "data")):
        assert subnets[subnet]["properties"]["networkSecurityGroup"]["id"].lower() == ours[f"{T}-{tier}-nsg"]["id"].lower()

    identities = {name: i for name, i in identities_of(arm).items() if name.startswith(T)}
    assert sorted(identities) == [f"{T}-{key}" for key in ("aks-cluster", "aks-kubelet", "app", "backup")]
    for name, identity in identities.items():
        assert {**OWNED, "layer": "iam", "workload": name[len(T) + 1:]}.items() <= identity["tags"].items()
    principal = {name[len(T) + 1:]: i["properties"]["principalId"] for name, i in identities.items()}
    rg = arm.rg_path(T)
    assert assigned(arm, principal.values()) == {
        (principal["app"], ROLE_IDS["Key Vault Secrets User"], rg),
        (principal["aks-cluster"], ROLE_IDS["Network Contributor"],
         f"{rg}/providers/{NET}/virtualNetworks/{T}-vnet/subnets/private-app"),
        (principal["aks-cluster"], ROLE_IDS["Managed Identity Operator"], identities[f"{T}-aks-kubelet"]["id"]),
        (principal["backup"], ROLE_IDS["PostgreSQL Flexible Server Long Term Retention Backup Role"], rg),
        (principal["backup"], ROLE_IDS["Reader"], rg),
    }
    return ours, identities


def assigned(arm, principals):
    """{(principal, role definition guid, scope)} of the role assignments of the given principals."""
    principals = set(principals)
    return {(a["properties"]["principalId"], a["properties"]["roleDefinitionId"].rsplit("/", 1)[-1], a["properties"]["scope"])
            for a in assignments_of(arm) if a["properties"]["principalId"] in principals}


@pytest.mark.cost(485)  # seconds in CI: dealt out first (tests/conftest.py)
def test_dev_network_security_groups_iam_converge_drift_change_refusal_teardown(stack, arm, arm_write):
    # pylint: disable=too-many-locals,too-many-statements
    put_foreign(arm)

    # --- One converge of the three layers, in a resource group the collection did not create.
    first = stack.up("converge")
    assert first.rc == 0, str(first)
    assert first.requests["total"] == 0, "an Azure target makes no AWS call"
    [(_h, note)] = first.task_results("Report a resource group that the collection did not create")
    assert "never tags or removes the group" in note["msg"]
    state = assert_network(arm, FOREIGN_GROUP_TAGS)
    nsgs, identities = assert_security_groups_and_iam(arm, state["subnets"])
    assert_foreign_kept(arm)

    network_outputs = published(first, "Publish the network for later layers", "network_outputs")
    assert network_outputs == {
        "cloud": "azure", "region": "eastus", "resource_group": T, "vpc_id": state["vnet"]["id"],
        "vnet_name": f"{T}-vnet", "cidr": CIDR,
        "subnets": {tier: {"eastus": state["subnets"][name]["id"]} for tier, name in TIERS.items()},
        "subnet_cidrs": {p["tier"]: p["cidr"] for p in subnet_plan(CIDR, [])},
        "nat_gateway_ids": [state["nat"]["id"]],
        "public_ip": {"id": state["pip"]["id"], "address": state["pip"]["properties"]["ipAddress"]},
    }
    sg_outputs = published(first, "Publish the network security groups for later layers", "security_groups_outputs")
    nsg_ids = {tier: nsgs[f"{T}-{tier}-nsg"]["id"] for tier in ("public", "app", "data")}
    assert sg_outputs == {"cloud": "azure", "region": "eastus", "resource_group": T, "nsgs": nsg_ids,
                          "alb": nsg_ids["public"], "eks-cluster": nsg_ids["app"], "eks-nodes": nsg_ids["app"],
                          "rds": nsg_ids["data"], "redis": nsg_ids["data"], "kafka": nsg_ids["data"]}
    iam_outputs = published(first, "Publish the managed identities for later layers", "iam_outputs")
    assert iam_outputs["roles"] == {name[len(T) + 1:]: i["id"] for name, i in identities.items()}
    assert {k: v["principal_id"] for k, v in iam_outputs["identities"].items()} == {
        name[len(T) + 1:]: i["properties"]["principalId"] for name, i in identities.items()}

    # --- A layer run alone finds the lower layers by name and tags: the outputs the roles published.
    found_run = stack.find("find_layers")
    assert found_run.rc == 0, str(found_run)
    assert found_run.azure_requests["mutating"] == 0 and found_run.azure_requests["read"] == 4, found_run.azure_requests
    [found] = [r["msg"] for host, r in found_run.task_results("Report the outputs found")]
    assert found["security_groups"] == sg_outputs
    assert found["iam"] == iam_outputs
    assert found["network"] == {k: v for k, v in network_outputs.items() if k != "public_ip"}
    assert found["encryption"]["key_vault"]["id"] is None  # no encryption layer here

    # --- Drift and a change in the data, planned then applied by one run each. Drift: the NAT association of
    # private-app (its NSG stays), the NAT gateway's tags and a VNet tag. Change: a rule of the data NSG disabled
    # and the backup identity's assignments narrowed to Reader. The VNet's update (azure_rm_virtualnetwork PUTs
    # the network it read, subnets included) must keep every subnet with its NAT gateway, NSG, delegation and
    # endpoints.
    app = arm.get(state["subnets"]["private-app"]["id"], API)
    app["properties"].pop("natGateway")
    arm_write.call("PUT", app["id"], {"properties": app["properties"]})
    arm_write.call("PATCH", state["nat"]["id"], {"tags": {"owner": "someone"}})
    arm_write.call("PATCH", state["vnet"]["id"], {"tags": {k: v for k, v in TAGS.items() if k != "cost-center"}})
    change = {"security_groups_azure_extra": {"data": {"rules": {"allow-kafka-from-app": {"enabled": False}}}},
              "iam_azure_extra": {"backup": {"role_assignments": [{"role": "Reader", "scope": "resource_group"}]}}}

    plan = stack.up("drift and change: plan", args=["--check", "--diff"], extra_vars=change)
    assert plan.rc == 0, str(plan)
    assert plan.azure_requests["mutating"] == 0, plan.azure_requests["mutating_actions"]
    assert changed_tasks(plan) == [
        "Ensure the virtual network", "Ensure the NAT gateway",
        f"Ensure the public, private-app and private-data subnets of {T}-vnet",
        "Ensure the network security groups and their rules", "Remove the role assignments the data no longer lists",
    ], changed_tasks(plan)
    assert "allow-kafka-from-app" in rules_of(nsgs_of(arm)[f"{T}-data-nsg"])

    fixed = stack.up("drift and change: apply", extra_vars=change)
    assert fixed.rc == 0, str(fixed)
    assert fixed.azure_requests["mutating_actions"] == {
        "PUT Microsoft.Network/virtualNetworks": 1, "PATCH Microsoft.Network/natGateways": 1,
        "PUT Microsoft.Network/virtualNetworks/subnets": 1, "PUT Microsoft.Network/networkSecurityGroups": 1,
        "DELETE Microsoft.Authorization/roleAssignments": 1}
    state = assert_network(arm, FOREIGN_GROUP_TAGS)
    assert state["subnets"]["private-app"]["properties"]["networkSecurityGroup"]["id"].lower() == nsg_ids["app"].lower()
    data_rules = rules_of(nsgs_of(arm)[f"{T}-data-nsg"])
    assert "allow-kafka-from-app" not in data_rules and "allow-postgresql-from-app" in data_rules
    backup_principal = identities[f"{T}-backup"]["properties"]["principalId"]
    assert assigned(arm, [backup_principal]) == {(backup_principal, ROLE_IDS["Reader"], arm.rg_path(T))}

    # --- The re-run changes nothing and only reads: per layer, the reads that decide, no module run per item.
    again = stack.up("no-op re-run", extra_vars=change)
    assert again.rc == 0, str(again)
    assert again.changed() == 0, changed_tasks(again)
    assert again.azure_requests["mutating"] == 0, again.azure_requests["mutating_actions"]
    # network: the resource group with its resources, the VNet, the public IP, the NAT gateway, the subnets;
    # security_groups: the VNet, the NSGs; iam: the identities, the role assignments.
    assert module_runs(again) == {"network": 5, "security_groups": 2, "iam": 2}, module_runs(again)
    [(_h, subnets_task)] = again.task_results("Ensure the public, private-app")
    assert subnets_task.get("skipped"), "a no-op run reads the subnets once and calls azure_rm_subnet for none"
    assert_foreign_kept(arm)

    # --- A foreign identity under one of the iam layer's names (a workload added to the data) stops the layer's
    # teardown before any change: ours and their role assignments stay.
    arm.put(arm.resource_path(T, "Microsoft.ManagedIdentity/userAssignedIdentities", f"{T}-reporting"),
            {"location": "eastus", "tags": {"owner": "someone-else"}}, IDENTITY_API)
    before = assigned(arm, [i["properties"]["principalId"] for i in identities.values()])
    refused = stack.iam_teardown("iam teardown refused",
                                 {"iam_azure_extra": {"reporting": {"description": "Reports", "role_assignments": []}}})
    assert refused.rc != 0 and refused.azure_requests["mutating"] == 0, str(refused)
    assert f"{T}-reporting in {T} without this layer's tags" in refused.failures()
    assert sorted(identities_of(arm)) == sorted([*identities, f"{T}-reporting", "someone-else"])
    assert assigned(arm, [i["properties"]["principalId"] for i in identities.values()]) == before
    assert_foreign_kept(arm)

    # --- Without it, the teardown of iam then security_groups removes only ours: the foreign identity, its role
    # assignment and the foreign NSG stay, and the subnets keep the network layer's settings (NAT, delegations,
    # service endpoints) once their NSGs are gone.
    arm_write.call("DELETE", arm.resource_path(T, "Microsoft.ManagedIdentity/userAssignedIdentities", f"{T}-reporting"),
                   api_version=IDENTITY_API)
    down = stack.down("iam and security_groups teardown")
    assert down.rc == 0, str(down)
    assert [name for name in identities_of(arm) if name.startswith(T)] == []
    assert [name for name in nsgs_of(arm) if name.startswith(T)] == []
    assert not assigned(arm, [i["properties"]["principalId"] for i in identities.values()])
    assert_foreign_kept(arm)
    after = assert_network(arm, FOREIGN_GROUP_TAGS)
    assert not any(s["properties"].get("networkSecurityGroup") for s in after["subnets"].values())

    print("\nAzure network + security_groups + iam (wall s, CPU s, Azure module runs per layer, ARM reads, ARM mutating):")
    for label, figures in stack.timings.items():
        print(f"  {label}: {figures}")


@pytest.mark.cost(60)  # seconds in CI: dealt out first (tests/conftest.py)
def test_teardown_refuses_foreign_resources_under_the_layers_names_then_keeps_a_foreign_group(network, arm, arm_write):
    """The layer's resources are made here with plain ARM calls (the teardown finds them by name and tags) in a
    resource group the collection did not create: a NAT gateway without the ownership tags, then a subnet someone
    else added to the VNet, stop the teardown before any write; without them, the teardown removes ours and keeps
    the group (never tagged or removed by the network layer)."""
    arm_write.call("PUT", arm.rg_path(T), {"location": "eastus", "tags": FOREIGN_GROUP_TAGS}, api_version=GROUP_API)
    pip = arm_write.call("PUT", arm_write.path(f"{NET}/publicIPAddresses", f"{T}-nat-pip"), {
        "location": "eastus", "tags": TAGS, "sku": {"name": "Standard"}, "properties": {"publicIPAllocationMethod": "Static"}})
    nat = arm_write.call("PUT", arm_write.path(f"{NET}/natGateways", f"{T}-nat"), {
        "location": "eastus", "tags": {"owner": "someone"}, "properties": {"publicIpAddresses": [{"id": pip["id"]}]}})
    vnet = arm_write.call("PUT", arm_write.path(f"{NET}/virtualNetworks", f"{T}-vnet"), {
        "location": "eastus", "tags": TAGS, "properties": {"addressSpace": {"addressPrefixes": [CIDR]}, "subnets": [
            {"name": "private-app", "properties": {"addressPrefix": "10.110.64.0/21", "natGateway": {"id": nat["id"]}}},
            {"name": "someone-elses", "properties": {"addressPrefix": "10.110.192.0/24"}}]}})

    refused, _s = network(network_state="absent")
    assert refused.rc != 0
    assert refused.azure_requests["mutating"] == 0, refused.azure_requests["mutating_actions"]
    assert f"holds {T}-nat under the network layer's names without the collection's ownership tags" in refused.output

    arm_write.call("PATCH", nat["id"], {"tags": TAGS})
    refused, _s = network(network_state="absent")
    assert refused.rc != 0 and refused.azure_requests["mutating"] == 0
    assert "holds subnets this role did not create (someone-elses)" in refused.output
    for resource_id in (vnet["id"], nat["id"], pip["id"]):
        assert arm.get(resource_id, API) is not None

    arm_write.call("DELETE", f"{vnet['id']}/subnets/someone-elses")
    down, _s = network(network_state="absent")
    assert down.rc == 0, str(down)
    assert down.azure_requests["mutating_actions"] == {
        "DELETE Microsoft.Network/virtualNetworks": 1, "DELETE Microsoft.Network/natGateways": 1,
        "DELETE Microsoft.Network/publicIPAddresses": 1}, down.azure_requests["mutating_actions"]
    for resource_id in (vnet["id"], nat["id"], pip["id"]):
        assert arm.get(resource_id, API) is None, resource_id
    assert arm.get(arm.rg_path(T), GROUP_API)["tags"] == FOREIGN_GROUP_TAGS
    [(_h, kept)] = down.task_results("Report why the resource group stays")
    assert "did not create it" in kept["msg"]


def test_bad_azure_input_fails_before_any_call(network):
    problems = {"network_azure_nat_idle_timeout_minutes": 121, "network_azure_app_delegation": "Microsoft.Nope/things",
                "network_azure_data_service_endpoints": ["sql"]}
    run, _s = network(**problems)
    assert run.rc != 0
    assert run.azure_requests["total"] == 0 and run.requests["total"] == 0
    assert HOST in run.output
    for variable in problems:
        assert variable in run.output
