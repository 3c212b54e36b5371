"""The ARM double's network kinds (testcloud/azure_kinds/network.py): virtual networks with their subnets,
public IP addresses, NAT gateways.

Driven through plain HTTPS (exact status codes and bodies) and through the SDK client azure.azcollection
uses (azure-mgmt-network, API 2024-03-01). Where only another resource could make a subnet "in use" (a NIC,
a delegated service), the test writes that read-only field into the double's store in-process.
"""


import pytest

from azure_http import ArmHttp

from testcloud.azure_arm import SUBSCRIPTION_ID, Arm

SUB = f"/subscriptions/{SUBSCRIPTION_ID}"
RG = f"{SUB}/resourceGroups/rg"
NET = f"{RG}/providers/Microsoft.Network"
VNET = f"{NET}/virtualNetworks/vnet"
PIP = f"{NET}/publicIPAddresses/pip"
NAT = f"{NET}/natGateways/nat"
API = "?api-version=2024-03-01"
OLD_API = "?api-version=2023-09-01"

APP = {"name": "private-app", "properties": {
    "addressPrefix": "10.70.64.0/21",
    "delegations": [{"name": "aks", "properties": {"serviceName": "Microsoft.ContainerService/managedClusters"}}],
}}
DATA = {"name": "private-data", "properties": {
    "addressPrefix": "10.70.128.0/21",
    "serviceEndpoints": [{"service": "Microsoft.Sql"}, {"service": "Microsoft.Storage"}, {"service": "Microsoft.KeyVault"}],
    "delegations": [{"name": "pg", "properties": {"serviceName": "Microsoft.DBforPostgreSQL/flexibleServers"}}],
}}
PUBLIC = {"name": "public", "properties": {"addressPrefix": "10.70.0.0/21"}}


class Client(ArmHttp):
    """Plain HTTPS calls to the double with the api-version appended: ``(status, json)``."""

    def __call__(self, method, path, body=None, api=API):
        status, _headers, answer = super().__call__(method, path + api, body)
        return status, answer

    def ok(self, method, path, body=None, api=API):
        status, answer = self(method, path, body, api)
        assert status in (200, 201, 202, 204), (method, path, status, answer)
        return answer


def error_code(answer):
    return answer["error"]["code"]


@pytest.fixture
def arm(azure_cloud):
    client = Client(azure_cloud)
    client.ok("PUT", RG, {"location": "eastus"}, api="?api-version=2022-09-01")
    return client


def vnet_body(subnets=None, prefixes=("10.70.0.0/16",), tags=None):
    properties = {"addressSpace": {"addressPrefixes": list(prefixes)}}
    if subnets is not None:
        properties["subnets"] = subnets
    body = {"location": "eastus", "properties": properties}
    if tags is not None:
        body["tags"] = tags
    return body


def pip_body(method="Static", sku="Standard", zones=("1", "2", "3")):
    return {"location": "eastus", "sku": {"name": sku}, "zones": list(zones),
            "properties": {"publicIPAllocationMethod": method, "publicIPAddressVersion": "IPv4"}}


def subnet_names(vnet):
    return [subnet["name"] for subnet in vnet["properties"]["subnets"]]


# -- virtual networks and their subnets ---------------------------------------------------------


def test_vnet_create_is_201_update_200_with_server_fields(arm):
    status, created = arm("PUT", VNET, vnet_body(tags={"owner": "x"}))
    assert status == 201
    properties = created["properties"]
    assert properties["provisioningState"] == "Succeeded"
    assert properties["subnets"] == [] and properties["resourceGuid"]
    assert created["etag"].startswith('W/"') and created["type"] == "Microsoft.Network/virtualNetworks"
    status, updated = arm("PUT", VNET, vnet_body(tags={"owner": "y"}))
    assert status == 200
    assert updated["properties"]["resourceGuid"] == properties["resourceGuid"]
    assert updated["etag"] != created["etag"] and updated["tags"] == {"owner": "y"}


def test_subnets_sent_in_the_vnet_body_become_child_resources_with_arm_fields(arm):
    vnet = arm.ok("PUT", VNET, vnet_body([PUBLIC, APP, DATA]))
    assert subnet_names(vnet) == ["public", "private-app", "private-data"]
    data = arm.ok("GET", f"{VNET}/subnets/private-data")
    assert data["id"] == f"{VNET}/subnets/private-data" and data["type"] == "Microsoft.Network/virtualNetworks/subnets"
    properties = data["properties"]
    assert properties["provisioningState"] == "Succeeded" and data["etag"]
    assert properties["privateEndpointNetworkPolicies"] == "Disabled"
    assert properties["privateLinkServiceNetworkPolicies"] == "Enabled"
    [delegation] = properties["delegations"]
    assert delegation["id"] == f"{VNET}/subnets/private-data/delegations/pg"
    assert delegation["type"] == "Microsoft.Network/virtualNetworks/subnets/delegations"
    assert delegation["properties"] == {"serviceName": "Microsoft.DBforPostgreSQL/flexibleServers",
                                        "actions": ["Microsoft.Network/virtualNetworks/subnets/join/action"],
                                        "provisioningState": "Succeeded"}
    endpoints = {e["service"]: e for e in properties["serviceEndpoints"]}
    assert endpoints["Microsoft.Storage"]["locations"] == ["eastus", "westus"]
    assert endpoints["Microsoft.Sql"]["locations"] == ["eastus"]
    assert endpoints["Microsoft.KeyVault"]["locations"] == ["*"]
    assert {e["provisioningState"] for e in endpoints.values()} == {"Succeeded"}
    listed = arm.ok("GET", f"{VNET}/subnets")["value"]
    assert [s["name"] for s in listed] == ["public", "private-app", "private-data"]
    assert listed[2] == data


def test_vnet_put_without_subnets_keeps_them_and_with_subnets_sets_them(arm):
    arm.ok("PUT", VNET, vnet_body([PUBLIC, APP, DATA]))
    kept = arm.ok("PUT", VNET, vnet_body(tags={"a": "b"}))  # API >= 2023-11-01: no "subnets" key keeps them
    assert subnet_names(kept) == ["public", "private-app", "private-data"]
    fewer = arm.ok("PUT", VNET, vnet_body([PUBLIC, DATA]))
    assert subnet_names(fewer) == ["public", "private-data"]
    assert arm("GET", f"{VNET}/subnets/private-app")[0] == 404
    none_left = arm.ok("PUT", VNET, vnet_body([]))
    assert subnet_names(none_left) == []
    assert arm.ok("GET", f"{VNET}/subnets")["value"] == []


def test_subnet_put_checks_prefixes_like_arm_and_a_refused_put_changes_nothing(arm):
    arm.ok("PUT", VNET, vnet_body([PUBLIC]))
    status, answer = arm("PUT", f"{VNET}/subnets/outside", {"properties": {"addressPrefix": "10.99.0.0/24"}})
    assert (status, error_code(answer)) == (400, "NetcfgSubnetRangeOutsideVnet")
    status, answer = arm("PUT", f"{VNET}/subnets/overlap", {"properties": {"addressPrefix": "10.70.4.0/24"}})
    assert (status, error_code(answer)) == (400, "NetcfgSubnetRangesOverlap") and "'public'" in answer["error"]["message"]
    status, answer = arm("PUT", f"{VNET}/subnets/hostbits", {"properties": {"addressPrefix": "10.70.200.1/24"}})
    assert (status, error_code(answer)) == (400, "InvalidCIDRNotation")
    status, answer = arm("PUT", f"{VNET}/subnets/garbage", {"properties": {"addressPrefix": "10.70.300.0/24"}})
    assert (status, error_code(answer)) == (400, "InvalidAddressPrefixFormat")
    assert subnet_names(arm.ok("GET", VNET)) == ["public"]
    # An update that ARM refuses leaves the previous subnet as it was.
    assert arm("PUT", f"{VNET}/subnets/public", {"properties": {"addressPrefix": "10.71.0.0/21"}})[0] == 400
    assert arm.ok("GET", f"{VNET}/subnets/public")["properties"]["addressPrefix"] == "10.70.0.0/21"
    status, answer = arm("PUT", VNET, vnet_body([PUBLIC, {"name": "x", "properties": {"addressPrefix": "10.70.0.0/24"}}]))
    assert (status, error_code(answer)) == (400, "NetcfgSubnetRangesOverlap")
    assert subnet_names(arm.ok("GET", VNET)) == ["public"]


def test_subnet_references_must_exist(arm):
    arm.ok("PUT", VNET, vnet_body([]))
    body = {"properties": {"addressPrefix": "10.70.64.0/21", "natGateway": {"id": NAT}}}
    status, answer = arm("PUT", f"{VNET}/subnets/private-app", body)
    assert (status, error_code(answer)) == (400, "InvalidResourceReference") and NAT in answer["error"]["message"]
    assert arm("GET", f"{VNET}/subnets/private-app")[0] == 404
    nsg = f"{NET}/networkSecurityGroups/missing"
    body = {"properties": {"addressPrefix": "10.70.64.0/21", "networkSecurityGroup": {"id": nsg}}}
    status, answer = arm("PUT", f"{VNET}/subnets/private-app", body)
    assert (status, error_code(answer)) == (400, "InvalidResourceReference")


def test_subnet_list_and_get_of_a_missing_vnet_are_404(arm):
    status, answer = arm("GET", f"{VNET}/subnets")
    assert (status, error_code(answer)) == (404, "ResourceNotFound")
    status, answer = arm("GET", f"{SUB}/resourceGroups/nope/providers/Microsoft.Network/virtualNetworks/v/subnets")
    assert (status, error_code(answer)) == (404, "ResourceGroupNotFound")
    assert arm("GET", f"{VNET}/subnets/public")[0] == 404
    status, answer = arm("PUT", f"{VNET}/subnets/public", {"properties": {"addressPrefix": "10.70.0.0/21"}})
    assert (status, error_code(answer)) == (404, "ParentResourceNotFound")


def test_in_use_subnets_cannot_be_removed_by_a_vnet_put_or_a_delete():
    """Only another resource can put a subnet in use: the store gets the read-only field in-process."""
    arm = Arm("https://127.0.0.1:1")

    def call(method, path, body=None):
        return arm.handle(method, path, {"api-version": "2024-03-01"}, body)

    call("PUT", RG, {"location": "eastus"})
    assert call("PUT", VNET, vnet_body([PUBLIC, DATA]))[0] == 201
    data = arm.get(f"{VNET}/subnets/private-data")
    link = {"id": f"{data['id']}/serviceAssociationLinks/pg", "properties": {"linkedResourceType": "x"}}
    data["properties"]["serviceAssociationLinks"] = [link]
    # A PUT of the subnet keeps the read-only link; dropping it from the VNet body or deleting it is refused.
    assert call("PUT", f"{VNET}/subnets/private-data", DATA)[0] == 200
    assert arm.get(f"{VNET}/subnets/private-data")["properties"]["serviceAssociationLinks"] == [link]
    status, _headers, answer = call("PUT", VNET, vnet_body([PUBLIC]))
    assert (status, error_code(answer)) == (400, "InUseSubnetCannotBeDeleted")
    assert [s["name"] for s in arm.children(VNET)] == ["public", "private-data"]
    assert call("DELETE", f"{VNET}/subnets/private-data")[0] == 400
    assert call("DELETE", VNET)[0] == 400
    arm.get(f"{VNET}/subnets/private-data")["properties"].pop("serviceAssociationLinks")
    assert call("DELETE", VNET)[0] in (200, 202, 204)
    assert arm.get(f"{VNET}/subnets/public") is None


# -- public IP addresses -----------------------------------------------------------------------


def test_static_public_ip_gets_a_test_range_address_that_stays(arm):
    status, created = arm("PUT", PIP, pip_body())
    assert status == 201
    address = created["properties"]["ipAddress"]
    assert address.startswith("203.0.113.")
    assert created["sku"] == {"name": "Standard", "tier": "Regional"} and created["zones"] == ["1", "2", "3"]
    properties = created["properties"]
    assert properties["publicIPAddressVersion"] == "IPv4" and properties["idleTimeoutInMinutes"] == 4
    body = pip_body()
    body["tags"] = {"a": "b"}
    body["properties"]["ipAddress"] = "1.2.3.4"  # read-only: ignored
    status, updated = arm("PUT", PIP, body)
    assert status == 200 and updated["properties"]["ipAddress"] == address
    other = arm.ok("PUT", f"{NET}/publicIPAddresses/other", pip_body())
    assert other["properties"]["ipAddress"] != address


def test_public_ip_rules_standard_is_static_and_zones_are_fixed(arm):
    status, answer = arm("PUT", PIP, pip_body(method="Dynamic"))
    assert (status, error_code(answer)) == (400, "StandardSkuPublicIPAddressesMustBeStatic")
    assert arm("GET", PIP)[0] == 404
    arm.ok("PUT", PIP, pip_body())
    status, answer = arm("PUT", PIP, pip_body(zones=("1",)))
    assert (status, error_code(answer)) == (400, "ResourceAvailabilityZonesCannotBeModified")
    assert arm.ok("GET", PIP)["zones"] == ["1", "2", "3"]
    basic = arm.ok("PUT", f"{NET}/publicIPAddresses/basic", {"location": "eastus", "sku": {"name": "Basic"}})
    assert basic["properties"]["publicIPAllocationMethod"] == "Dynamic" and "ipAddress" not in basic["properties"]


# -- NAT gateways ------------------------------------------------------------------------------


def nat_body(*pips, idle=None):
    properties = {"publicIpAddresses": [{"id": pip} for pip in pips]}
    if idle is not None:
        properties["idleTimeoutInMinutes"] = idle
    return {"location": "eastus", "sku": {"name": "Standard"}, "properties": properties}


def test_nat_gateway_back_references_and_refused_deletes(arm):
    arm.ok("PUT", PIP, pip_body())
    status, nat = arm("PUT", NAT, {"location": "eastus", "properties": {"publicIpAddresses": [{"id": PIP}]}})
    assert status == 201
    assert nat["sku"] == {"name": "Standard"} and nat["properties"]["idleTimeoutInMinutes"] == 4
    assert nat["properties"]["subnets"] == [] and nat["properties"]["publicIpAddresses"] == [{"id": PIP}]
    assert "zones" not in nat
    assert arm.ok("GET", PIP)["properties"]["natGateway"] == {"id": NAT}

    app = {"name": "private-app", "properties": {**APP["properties"], "natGateway": {"id": NAT}}}
    arm.ok("PUT", VNET, vnet_body([PUBLIC, app]))
    assert arm.ok("GET", NAT)["properties"]["subnets"] == [{"id": f"{VNET}/subnets/private-app"}]
    status, answer = arm("DELETE", NAT)
    assert (status, error_code(answer)) == (400, "CannotDeleteNatGatewayAssociatedToSubnet")
    assert "1 subnets" in answer["error"]["message"]
    status, answer = arm("DELETE", PIP)
    assert (status, error_code(answer)) == (400, "PublicIPAddressCannotBeDeleted") and NAT in answer["error"]["message"]

    # Deleting the network takes the subnets and their NAT association with it; then NAT, then the address.
    assert arm("DELETE", VNET)[0] in (200, 202, 204)
    assert arm.ok("GET", NAT)["properties"]["subnets"] == []
    assert arm("DELETE", NAT)[0] in (200, 202, 204)
    assert "natGateway" not in arm.ok("GET", PIP)["properties"]
    assert arm("DELETE", PIP)[0] in (200, 202, 204)
    assert arm("GET", PIP)[0] == 404


def test_nat_gateway_public_ip_references(arm):
    status, answer = arm("PUT", NAT, nat_body(PIP))
    assert (status, error_code(answer)) == (400, "InvalidResourceReference")
    assert arm("GET", NAT)[0] == 404
    arm.ok("PUT", PIP, pip_body())
    arm.ok("PUT", NAT, nat_body(PIP, idle=10))
    status, answer = arm("PUT", f"{NET}/natGateways/second", nat_body(PIP))
    assert (status, error_code(answer)) == (400, "PublicIPAddressInUse")
    assert arm("GET", f"{NET}/natGateways/second")[0] == 404
    # Its own address again is fine (an update), and so is detaching it.
    assert arm.ok("PUT", NAT, nat_body(PIP, idle=4))["properties"]["idleTimeoutInMinutes"] == 4
    assert arm.ok("PUT", NAT, nat_body())["properties"]["publicIpAddresses"] == []
    assert arm("DELETE", PIP)[0] in (200, 202, 204)


def test_the_generic_resource_list_shows_top_level_network_resources_only(arm):
    arm.ok("PUT", VNET, vnet_body([PUBLIC], tags={"layer": "network"}))
    arm.ok("PUT", PIP, pip_body())
    listed = arm.ok("GET", f"{RG}/resources", api="?api-version=2022-09-01")["value"]
    assert sorted(r["type"] for r in listed) == ["Microsoft.Network/publicIPAddresses", "Microsoft.Network/virtualNetworks"]
    assert [r["tags"] for r in listed if r["name"] == "vnet"] == [{"layer": "network"}]


# -- through the SDK azure.azcollection uses ---------------------------------------------------


@pytest.fixture
def network_client(azure_cloud_env):
    from azure.identity import ClientSecretCredential  # noqa: PLC0415 - the Azure SDK is large
    from azure.mgmt.network import NetworkManagementClient  # noqa: PLC0415
    from azure.mgmt.resource import ResourceManagementClient  # noqa: PLC0415

    cloud = azure_cloud_env
    env = cloud.exports()
    credential = ClientSecretCredential(env["AZURE_TENANT"], env["AZURE_CLIENT_ID"], env["AZURE_SECRET"],
                                        authority=cloud.endpoint, disable_instance_discovery=True)
    options = {"base_url": cloud.endpoint, "credential_scopes": [cloud.endpoint + "/.default"]}
    ResourceManagementClient(credential, SUBSCRIPTION_ID, **options).resource_groups.create_or_update("rg", {"location": "eastus"})
    return NetworkManagementClient(credential, SUBSCRIPTION_ID, **options)


def test_sdk_round_trip_update_of_a_read_vnet_keeps_subnets_nat_and_delegations(network_client, azure_cloud_env):
    from azure.mgmt.network import models  # noqa: PLC0415

    client = network_client
    pip = client.public_ip_addresses.begin_create_or_update("rg", "pip", models.PublicIPAddress(
        location="eastus", sku=models.PublicIPAddressSku(name="Standard"), public_ip_allocation_method="Static",
        zones=["1", "2", "3"])).result()
    assert pip.ip_address and pip.sku.tier == "Regional"
    nat = client.nat_gateways.begin_create_or_update("rg", "nat", {
        "location": "eastus", "sku": {"name": "Standard"}, "idle_timeout_in_minutes": 4,
        "public_ip_addresses": [{"id": pip.id}]}).result()
    assert nat.public_ip_addresses[0].id == pip.id
    client.virtual_networks.begin_create_or_update("rg", "vnet", models.VirtualNetwork(
        location="eastus", address_space=models.AddressSpace(address_prefixes=["10.70.0.0/16"]))).result()
    subnet = client.subnets.begin_create_or_update("rg", "vnet", "private-data", models.Subnet(
        address_prefix="10.70.128.0/21", nat_gateway=models.SubResource(id=nat.id),
        service_endpoints=[models.ServiceEndpointPropertiesFormat(service="Microsoft.Storage")],
        delegations=[models.Delegation(name="pg", service_name="Microsoft.DBforPostgreSQL/flexibleServers")])).result()
    assert subnet.service_endpoints[0].locations == ["eastus", "westus"]
    assert subnet.delegations[0].actions == ["Microsoft.Network/virtualNetworks/subnets/join/action"]

    # What azure_rm_virtualnetwork does on an update: GET, change, PUT the object it read.
    vnet = client.virtual_networks.get("rg", "vnet")
    assert [s.name for s in vnet.subnets] == ["private-data"]
    vnet.tags = {"layer": "network"}
    azure_cloud_env.reset_stats()
    updated = client.virtual_networks.begin_create_or_update("rg", "vnet", vnet).result()
    assert azure_cloud_env.stats()["mutating_actions"] == {"PUT Microsoft.Network/virtualNetworks": 1}
    assert updated.tags == {"layer": "network"}
    [kept] = client.subnets.list("rg", "vnet")
    assert kept.nat_gateway.id == nat.id and kept.delegations[0].service_name == "Microsoft.DBforPostgreSQL/flexibleServers"
    assert [e.service for e in kept.service_endpoints] == ["Microsoft.Storage"]
    assert [s.id for s in client.nat_gateways.get("rg", "nat").subnets] == [kept.id]
    assert client.public_ip_addresses.get("rg", "pip").nat_gateway.id == nat.id


def test_sdk_waits_for_a_long_running_vnet_create(network_client, azure_cloud_env):
    azure_cloud_env.set_create_seconds(1.0, "Microsoft.Network/virtualNetworks")
    poller = network_client.virtual_networks.begin_create_or_update("rg", "vnet", {
        "location": "eastus", "address_space": {"address_prefixes": ["10.70.0.0/16"]}})
    assert not poller.done()
    assert poller.result().provisioning_state == "Succeeded"
