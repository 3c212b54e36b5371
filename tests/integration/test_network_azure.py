"""The network layer on Azure, end to end through strata.platform.network against the ARM test double:
plan on an empty subscription, converge, re-run, drift, tear down (foreign resources left alone)."""

import time

import pytest
import requests

from ansible_collections.strata.platform.plugins.plugin_utils.cidr import subnet_plan

pytestmark = pytest.mark.integration

HOST = "dev-azure-eastus"
CIDR = "10.110.0.0/16"
T = "fsm-dev-eastus"
NET = "Microsoft.Network"
MATCH_TAGS = {"owner": "strata.platform", "platform": "fsm", "environment": "dev", "layer": "network"}
TAGS = {**MATCH_TAGS, "cost-center": "platform-dev", "managed-by": "ansible"}
TIERS = {"public": "public", "app": "private-app", "data": "private-data"}
API = "2024-03-01"


@pytest.fixture
def inventory(tmp_path):
    """A dev inventory with one Azure target (the contract variables, each in one dimension)."""
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "host_vars").mkdir()
    (tmp_path / "hosts.yml").write_text(f"dev:\n  hosts:\n    {HOST}:\nazure:\n  hosts:\n    {HOST}:\n")
    (tmp_path / "group_vars" / "dev.yml").write_text(
        "platform_name: fsm\nplatform_environment: dev\nplatform_tags:\n  cost-center: platform-dev\n  managed-by: ansible\n"
    )
    (tmp_path / "group_vars" / "azure.yml").write_text("platform_cloud: azure\n")
    (tmp_path / "host_vars" / f"{HOST}.yml").write_text(f"platform_region: eastus\nplatform_network_cidr: {CIDR}\n")
    return str(tmp_path)


@pytest.fixture
def network(run_playbook_multicloud, inventory):
    """Run strata.platform.network on the inventory; returns (PlaybookRun, seconds)."""

    def _run(*args, **extra_vars):
        started = time.monotonic()
        run = run_playbook_multicloud("strata.platform.network", inventory, args=args, extra_vars=extra_vars or None)
        return run, time.monotonic() - started

    return _run


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


def outputs_of(run):
    [(_host, result)] = run.task_results("Publish the network for later layers")
    return result["ansible_facts"]["network_outputs"]


def assert_network(arm):
    """The ARM state matches the plan; returns the ids (vnet, nat, pip, subnets by tier)."""
    group = arm.get(arm.rg_path(T), "2022-09-01")
    assert group["location"] == "eastus" and group["tags"] == TAGS

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
    plan = {p["tier"]: p["cidr"] for p in subnet_plan(CIDR, [])}
    assert sorted(subnets) == sorted(TIERS.values())
    for tier, name in TIERS.items():
        properties = subnets[name]["properties"]
        assert properties["addressPrefix"] == plan[tier]
        assert (properties.get("natGateway") or {}).get("id") == (None if tier == "public" else nat["id"])
    assert [d["properties"]["serviceName"] for d in subnets["private-app"]["properties"]["delegations"]] == [
        "Microsoft.ContainerService/managedClusters"]
    data = subnets["private-data"]["properties"]
    assert [d["properties"]["serviceName"] for d in data["delegations"]] == ["Microsoft.DBforPostgreSQL/flexibleServers"]
    assert sorted(e["service"] for e in data["serviceEndpoints"]) == ["Microsoft.KeyVault", "Microsoft.Sql", "Microsoft.Storage"]
    assert not subnets["public"]["properties"].get("delegations") and not subnets["public"]["properties"].get("serviceEndpoints")
    assert sorted(ref["id"] for ref in nat["properties"]["subnets"]) == sorted(
        subnets[name]["id"] for name in ("private-app", "private-data"))
    return {"vnet": vnet, "nat": nat, "pip": pip, "subnets": subnets}


def assert_nothing_of_ours_left(arm):
    for resource_type, name in ((f"{NET}/virtualNetworks", f"{T}-vnet"), (f"{NET}/natGateways", f"{T}-nat"),
                                (f"{NET}/publicIPAddresses", f"{T}-nat-pip")):
        assert arm.get(arm.resource_path(T, resource_type, name), API) is None, name


def test_dev_plan_converge_rerun_drift_teardown(network, arm, arm_write):
    plan, plan_seconds = network("--check", "--diff")
    assert plan.rc == 0, str(plan)
    assert plan.azure_requests["mutating"] == 0, plan.azure_requests["mutating_actions"]
    assert plan.requests["total"] == 0, "an Azure target makes no AWS call"
    assert plan.changed(HOST) > 0, "check mode on an empty subscription must report what it would create"
    [(_h, planned)] = plan.task_results("Plan the network of a resource group that does not exist yet")
    assert f"{T}-vnet {CIDR}" in planned["msg"] and f"{T}-nat" in planned["msg"]
    assert outputs_of(plan)["vpc_id"] is None
    assert arm.get(arm.rg_path(T), "2022-09-01") is None

    first, first_seconds = network()
    assert first.rc == 0, str(first)
    assert first.changed(HOST) > 0
    state = assert_network(arm)
    outputs = outputs_of(first)
    assert outputs == {
        "cloud": "azure", "region": "eastus", "resource_group": T, "vpc_id": state["vnet"]["id"],
        "vnet_name": f"{T}-vnet", "cidr": CIDR,
        "subnets": {tier: {"eastus": state["subnets"][name]["id"]} for tier, name in TIERS.items()},
        "subnet_cidrs": {p["tier"]: p["cidr"] for p in subnet_plan(CIDR, [])},
        "nat_gateway_ids": [state["nat"]["id"]],
        "public_ip": {"id": state["pip"]["id"], "address": state["pip"]["properties"]["ipAddress"]},
    }

    # The security_groups layer associates an NSG with a subnet; the network layer keeps it.
    nsg = arm_write.call("PUT", arm_write.path(f"{NET}/networkSecurityGroups", f"{T}-app-nsg"),
                         {"location": "eastus", "tags": {**MATCH_TAGS, "layer": "security_groups"}})
    app = state["subnets"]["private-app"]
    app["properties"]["networkSecurityGroup"] = {"id": nsg["id"]}
    arm_write.call("PUT", app["id"], {"properties": app["properties"]})

    again, again_seconds = network()
    assert again.rc == 0, str(again)
    assert again.changed() == 0, [h for h in again.task_results("") if h[1].get("changed")]
    assert again.azure_requests["mutating"] == 0, again.azure_requests["mutating_actions"]
    [(_h, subnets_task)] = again.task_results("Ensure the public, private-app")
    assert subnets_task.get("skipped"), "a no-op run reads the subnets once and calls azure_rm_subnet for none"
    assert arm.get(app["id"], API)["properties"]["networkSecurityGroup"]["id"] == nsg["id"]

    # Drift: the NAT association of private-app, the NAT gateway's tags and a VNet tag are gone; a run puts
    # them back, touching only those. The VNet's update (azure_rm_virtualnetwork PUTs the network it read,
    # subnets included) keeps every subnet with its NAT gateway, NSG, delegation and endpoints.
    app = arm.get(app["id"], API)
    app["properties"].pop("natGateway")
    arm_write.call("PUT", app["id"], {"properties": app["properties"]})
    arm_write.call("PATCH", state["nat"]["id"], {"tags": {"owner": "someone"}})
    arm_write.call("PATCH", state["vnet"]["id"], {"tags": {k: v for k, v in TAGS.items() if k != "cost-center"}})
    drift_plan, _s = network("--check")
    assert drift_plan.rc == 0 and drift_plan.azure_requests["mutating"] == 0, str(drift_plan)
    assert drift_plan.changed(HOST) == 3, [n for n, r in drift_plan.task_results("") if r.get("changed")]
    fixed, _s = network()
    assert fixed.rc == 0, str(fixed)
    assert fixed.azure_requests["mutating_actions"] == {
        "PUT Microsoft.Network/virtualNetworks": 1, "PATCH Microsoft.Network/natGateways": 1,
        "PUT Microsoft.Network/virtualNetworks/subnets": 1}
    assert_network(arm)
    assert arm.get(app["id"], API)["properties"]["networkSecurityGroup"]["id"] == nsg["id"]

    # A resource of another layer / owner in the group: the teardown removes ours and keeps the group.
    foreign = arm_write.call("PUT", arm_write.path("Microsoft.Storage/storageAccounts", "fsmdevforeign"),
                             {"location": "eastus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}},
                             api_version="2023-01-01")
    # The security_groups layer's own teardown: dissociate the NSG (keeping the NAT gateway), delete it.
    app = arm.get(app["id"], API)
    app["properties"].pop("networkSecurityGroup")
    arm_write.call("PUT", app["id"], {"properties": app["properties"]})
    arm_write.call("DELETE", nsg["id"])
    down_plan, _s = network("--check", network_state="absent")
    assert down_plan.rc == 0 and down_plan.azure_requests["mutating"] == 0, str(down_plan)
    assert down_plan.changed(HOST) == 3  # VNet, NAT gateway, public IP; the group stays
    assert_network(arm)

    down, down_seconds = network(network_state="absent")
    assert down.rc == 0, str(down)
    assert_nothing_of_ours_left(arm)
    assert arm.get(foreign["id"], "2023-01-01") is not None
    assert arm.get(arm.rg_path(T), "2022-09-01") is not None
    [(_h, kept)] = down.task_results("Report why the resource group stays")
    assert "fsmdevforeign" in kept["msg"]

    arm_write.call("DELETE", foreign["id"], api_version="2023-01-01")
    last, _s = network(network_state="absent")
    assert last.rc == 0, str(last)
    assert last.azure_requests["mutating_actions"] == {"DELETE Microsoft.Resources/resourceGroups": 1}
    assert arm.get(arm.rg_path(T), "2022-09-01") is None
    gone, _s = network(network_state="absent")
    assert gone.rc == 0 and gone.changed() == 0 and gone.azure_requests["total"] == 1, str(gone)

    print(f"[azure network] plan {plan_seconds:.1f} s {plan.azure_requests['total']} requests; "
          f"first run {first_seconds:.1f} s {first.azure_requests['total']} requests "
          f"({first.azure_requests['mutating']} mutating); no-op re-run {again_seconds:.1f} s "
          f"{again.azure_requests['total']} requests (0 mutating); teardown {down_seconds:.1f} s "
          f"{down.azure_requests['total']} requests")


def test_foreign_group_is_used_as_is_and_kept(network, arm, arm_write):
    foreign_tags = {"owner": "platform-team", "cost-center": "shared"}
    arm_write.call("PUT", arm.rg_path(T), {"location": "eastus", "tags": foreign_tags}, api_version="2022-09-01")

    first, _s = network()
    assert first.rc == 0, str(first)
    [(_h, note)] = first.task_results("Report a resource group that the collection did not create")
    assert "never tags or removes the group" in note["msg"]
    assert arm.get(arm.rg_path(T), "2022-09-01")["tags"] == foreign_tags
    assert arm.get(arm.resource_path(T, f"{NET}/virtualNetworks", f"{T}-vnet"), API)["tags"] == TAGS

    down, _s = network(network_state="absent")
    assert down.rc == 0, str(down)
    assert_nothing_of_ours_left(arm)
    assert arm.get(arm.rg_path(T), "2022-09-01")["tags"] == foreign_tags
    [(_h, kept)] = down.task_results("Report why the resource group stays")
    assert "did not create it" in kept["msg"]


def test_teardown_removes_nothing_while_something_foreign_is_under_the_layers_names(network, arm, arm_write):
    """The layer's resources are made here with plain ARM calls (the teardown finds them by name and tags),
    then a NAT gateway without the ownership tags, then a subnet someone else added to the VNet."""
    arm_write.call("PUT", arm.rg_path(T), {"location": "eastus", "tags": TAGS}, api_version="2022-09-01")
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


def test_bad_azure_input_fails_before_any_call(network):
    problems = {"network_azure_nat_idle_timeout_minutes": 121, "network_azure_app_delegation": "Microsoft.Nope/things",
                "network_azure_data_service_endpoints": ["sql"]}
    run, _s = network(**problems)
    assert run.rc != 0
    assert run.azure_requests["total"] == 0 and run.requests["total"] == 0
    assert HOST in run.output
    for variable in problems:
        assert variable in run.output
