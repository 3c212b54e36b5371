"""The ARM double's PostgreSQL flexible servers and private DNS zones (testcloud/azure_kinds/postgresql.py).

Driven through the SDK clients azure.azcollection uses (azure-mgmt-postgresqlflexibleservers at API
2025-08-01, azure-mgmt-privatedns) and through plain HTTPS where the exact status and body matter.
"""

import json
import time

import pytest

from azure_http import ArmHttp

from testcloud.azure_arm import SUBSCRIPTION_ID

SUB = f"/subscriptions/{SUBSCRIPTION_ID}"
RG = f"{SUB}/resourceGroups/rg"
VNET = f"{RG}/providers/Microsoft.Network/virtualNetworks/vnet"
SUBNET = f"{VNET}/subnets/private-data"
ZONE_NAME = "fsm-dev-eastus.private.postgres.database.azure.com"
ZONE = f"{RG}/providers/Microsoft.Network/privateDnsZones/{ZONE_NAME}"
SERVER = f"{RG}/providers/Microsoft.DBforPostgreSQL/flexibleServers/fsm-dev-eastus-pg"
PG_API = "?api-version=2025-08-01"
DNS_API = "?api-version=2024-06-01"
NET_API = "?api-version=2023-09-01"
PASSWORD = "Xq7-test-Password-never-echoed-41"  # noqa: S105 - a test value the double must never answer


Client = ArmHttp


@pytest.fixture
def arm(azure_cloud):
    return Client(azure_cloud)


@pytest.fixture
def network(arm):
    """Resource group, VNet, a subnet delegated to flexible servers, another not delegated, a private zone."""
    assert arm("PUT", RG + NET_API, {"location": "eastus"})[0] == 201
    delegation = {"name": "pg", "properties": {"serviceName": "Microsoft.DBforPostgreSQL/flexibleServers"}}
    subnets = [{"name": "private-data", "properties": {"addressPrefix": "10.61.8.0/24", "delegations": [delegation]}},
               {"name": "private-app", "properties": {"addressPrefix": "10.61.4.0/24"}}]
    vnet = {"location": "eastus", "properties": {"addressSpace": {"addressPrefixes": ["10.61.0.0/16"]}, "subnets": subnets}}
    assert arm("PUT", VNET + NET_API, vnet)[0] in (200, 201)
    assert arm("PUT", ZONE + DNS_API, {"location": "global"})[0] == 201
    return arm


def server_body(**overrides):
    body = {
        "location": "eastus",
        "sku": {"name": "Standard_B1ms", "tier": "Burstable"},
        "tags": {"owner": "strata.platform", "layer": "database"},
        "properties": {
            "administratorLogin": "strata_admin",
            "administratorLoginPassword": PASSWORD,
            "version": "16",
            "storage": {"storageSizeGB": 32},
            "backup": {"backupRetentionDays": 7, "geoRedundantBackup": "Disabled"},
            "network": {"delegatedSubnetResourceId": SUBNET, "privateDnsZoneArmResourceId": ZONE},
            "highAvailability": {"mode": "Disabled"},
            "availabilityZone": "",
        },
    }
    for key, value in overrides.items():
        if key in ("sku", "tags", "location"):
            body[key] = value
        else:
            body["properties"][key] = value
    return body


def sdk_clients(cloud):
    from azure.identity import ClientSecretCredential  # noqa: PLC0415 - the Azure SDK is large
    from azure.mgmt.postgresqlflexibleservers import PostgreSQLManagementClient  # noqa: PLC0415
    from azure.mgmt.privatedns import PrivateDnsManagementClient  # noqa: PLC0415

    env = cloud.exports()
    credential = ClientSecretCredential(env["AZURE_TENANT"], env["AZURE_CLIENT_ID"], env["AZURE_SECRET"],
                                        authority=cloud.endpoint, disable_instance_discovery=True)
    common = {"base_url": cloud.endpoint, "credential_scopes": [cloud.endpoint + "/.default"]}
    # The API version azure.azcollection 3.21 pins for flexible servers.
    pg = PostgreSQLManagementClient(credential, SUBSCRIPTION_ID, api_version="2025-08-01", **common)
    dns = PrivateDnsManagementClient(credential, SUBSCRIPTION_ID, **common)
    return pg, dns


# -- flexible servers: create ------------------------------------------------------------------


def test_a_server_on_a_delegated_subnet_gets_arm_server_fields_and_an_a_record(network):
    arm = network
    status, headers, body = arm("PUT", SERVER + PG_API, server_body())
    assert status == 200 and "Azure-AsyncOperation" not in headers  # no creation time: done at once
    props = body["properties"]
    assert body["type"] == "Microsoft.DBforPostgreSQL/flexibleServers" and body["sku"]["tier"] == "Burstable"
    assert props["state"] == "Ready" and "provisioningState" not in props
    assert props["fullyQualifiedDomainName"] == "fsm-dev-eastus-pg.postgres.database.azure.com"
    assert (props["version"], props["minorVersion"]) == ("16", "16.8")
    assert props["storage"] == {"storageSizeGB": 32, "autoGrow": "Disabled", "tier": "P4", "iops": 120, "type": "Premium_LRS"}
    assert props["network"] == {"publicNetworkAccess": "Disabled", "delegatedSubnetResourceId": SUBNET, "privateDnsZoneArmResourceId": ZONE}
    assert props["highAvailability"] == {"mode": "Disabled", "state": "NotEnabled", "standbyAvailabilityZone": ""}
    assert props["availabilityZone"] == "1"  # "" (the SDK's default) means no preference
    assert props["backup"]["backupRetentionDays"] == 7 and props["backup"]["geoRedundantBackup"] == "Disabled"
    assert props["authConfig"] == {"activeDirectoryAuth": "Disabled", "passwordAuth": "Enabled", "tenantId": ""}
    assert props["maintenanceWindow"] == {"customWindow": "Disabled", "startHour": 0, "startMinute": 0, "dayOfWeek": 0}
    assert props["replicationRole"] == "Primary" and props["dataEncryption"] == {"type": "SystemManaged"}
    record = arm("GET", f"{ZONE}/A/fsm-dev-eastus-pg{DNS_API}")[2]
    assert record["properties"]["aRecords"] == [{"ipv4Address": "10.61.8.4"}]
    assert record["properties"]["fqdn"] == f"fsm-dev-eastus-pg.{ZONE_NAME}."
    zone = arm("GET", ZONE + DNS_API)[2]["properties"]
    assert (zone["numberOfRecordSets"], zone["numberOfVirtualNetworkLinks"]) == (2, 0)  # SOA + A


def test_the_admin_password_is_never_stored_or_answered(network):
    arm = network
    arm("PUT", SERVER + PG_API, server_body())
    arm("GET", SERVER + PG_API)
    arm("GET", f"{RG}/providers/Microsoft.DBforPostgreSQL/flexibleServers{PG_API}")
    arm("GET", f"{SUB}/providers/Microsoft.DBforPostgreSQL/flexibleServers{PG_API}")
    arm("PATCH", SERVER + PG_API, {"properties": {"administratorLoginPassword": PASSWORD + "-new"}})
    assert all(PASSWORD not in raw and "administratorLoginPassword" not in raw for raw in arm.raw)
    assert PASSWORD not in json.dumps(arm.cloud.stats())


@pytest.mark.parametrize(("overrides", "code", "fragment"), [
    ({"administratorLoginPassword": None}, "InvalidParameterValue", "administratorLoginPassword is required"),
    ({"administratorLoginPassword": "alllowercase"}, "PasswordNotComplex", "three of"),
    ({"administratorLogin": None}, "InvalidParameterValue", "administratorLogin is required"),
    ({"sku": {"name": "Standard_D4ds_v5", "tier": "Burstable"}}, "InvalidParameterValue", "Standard_B"),
    ({"sku": {"name": "Standard_B1ms", "tier": "Basic"}}, "InvalidParameterValue", "not one of"),
    ({"highAvailability": {"mode": "ZoneRedundant"}}, "InvalidParameterValue", "Burstable"),
    ({"storage": {"storageSizeGB": 20}}, "InvalidParameterValue", "not offered"),
    ({"version": "10"}, "InvalidParameterValue", "not supported"),
    ({"backup": {"backupRetentionDays": 36}}, "InvalidParameterValue", "1-35"),
    ({"network": {"delegatedSubnetResourceId": f"{VNET}/subnets/private-app"}}, "SubnetNotDelegated", "delegated"),
    ({"network": {"delegatedSubnetResourceId": f"{VNET}/subnets/missing"}}, "InvalidParameterValue", "does not exist"),
    ({"network": {"delegatedSubnetResourceId": SUBNET, "privateDnsZoneArmResourceId": ZONE + "x"}}, "InvalidParameterValue", "does not exist"),
    ({"network": {"privateDnsZoneArmResourceId": ZONE}}, "InvalidParameterValue", "needs delegatedSubnetResourceId"),
    ({"network": {"delegatedSubnetResourceId": SUBNET, "publicNetworkAccess": "Enabled"}}, "InvalidParameterValue", "cannot be enabled"),
])
def test_a_create_arm_refuses_stores_nothing(network, overrides, code, fragment):
    arm = network
    status, _headers, body = arm("PUT", SERVER + PG_API, server_body(**overrides))
    assert (status, body["error"]["code"]) == (400, code), body
    assert fragment in body["error"]["message"]
    assert arm("GET", SERVER + PG_API)[0] == 404
    assert arm.cloud.stats()["mutating"] == 4  # the fixture's three PUTs and this one


def test_a_zone_outside_postgres_database_azure_com_is_refused(network):
    arm = network
    other = f"{RG}/providers/Microsoft.Network/privateDnsZones/db.internal.example"
    assert arm("PUT", other + DNS_API, {"location": "global"})[0] == 201
    status, _headers, body = arm("PUT", SERVER + PG_API, server_body(network={"delegatedSubnetResourceId": SUBNET, "privateDnsZoneArmResourceId": other}))
    assert status == 400 and ".postgres.database.azure.com" in body["error"]["message"]


def test_bad_server_names_are_refused(network):
    status, _headers, body = network("PUT", SERVER.replace("fsm-dev-eastus-pg", "Fsm_Pg") + PG_API, server_body())
    assert status == 400 and "lower-case" in body["error"]["message"]
    assert network("GET", SERVER.replace("fsm-dev-eastus-pg", "Fsm_Pg") + PG_API)[0] == 404


def test_a_missing_server_is_arm_404(arm):
    arm("PUT", RG + NET_API, {"location": "eastus"})
    status, _headers, body = arm("GET", SERVER + PG_API)
    assert (status, body["error"]["code"]) == (404, "ResourceNotFound")
    assert arm("DELETE", SERVER + PG_API)[0] == 204


# -- flexible servers: long-running create through the SDK -------------------------------------


def test_with_a_creation_time_the_create_is_202_and_the_server_provisions(network):
    arm = network
    arm.cloud.set_create_seconds(30, "microsoft.dbforpostgresql/flexibleservers")
    body = server_body(sku={"name": "Standard_D4ds_v5", "tier": "GeneralPurpose"}, highAvailability={"mode": "ZoneRedundant"})
    status, headers, answer = arm("PUT", SERVER + PG_API, body)
    assert status == 202 and headers["Retry-After"] == "1" and "Azure-AsyncOperation" in headers
    assert answer["properties"]["state"] == "Provisioning"
    assert answer["properties"]["highAvailability"] == {"mode": "ZoneRedundant", "state": "CreatingStandby", "standbyAvailabilityZone": "2"}
    operation = headers["Azure-AsyncOperation"].split(arm.cloud.endpoint, 1)[1]
    assert arm("GET", operation)[2]["status"] == "InProgress"
    assert arm("GET", SERVER + PG_API)[2]["properties"]["state"] == "Provisioning"


def test_the_sdk_create_waits_for_the_creation_time_and_reads_ready(network, azure_cloud_env):
    pg, _dns = sdk_clients(network.cloud)
    network.cloud.set_create_seconds(2, "microsoft.dbforpostgresql/flexibleservers")
    started = time.monotonic()
    poller = pg.servers.begin_create_or_update("rg", "fsm-dev-eastus-pg", server_body())
    assert not poller.done()
    server = poller.result()
    elapsed = time.monotonic() - started
    assert 2.0 <= elapsed < 6.0  # polled at Retry-After: 1
    assert server.state == "Ready" and server.fully_qualified_domain_name == "fsm-dev-eastus-pg.postgres.database.azure.com"
    assert server.administrator_login_password is None


def test_the_sdk_reads_lists_patches_and_deletes(network, azure_cloud_env):
    from azure.mgmt.postgresqlflexibleservers.models import Backup, ServerForPatch  # noqa: PLC0415

    pg, _dns = sdk_clients(network.cloud)
    pg.servers.begin_create_or_update("rg", "fsm-dev-eastus-pg", server_body()).result()
    assert [s.name for s in pg.servers.list_by_resource_group("rg")] == ["fsm-dev-eastus-pg"]
    updated = pg.servers.begin_update("rg", "fsm-dev-eastus-pg", ServerForPatch(backup=Backup(backup_retention_days=14))).result()
    assert updated.backup.backup_retention_days == 14 and updated.backup.geo_redundant_backup == "Disabled"
    assert updated.availability_zone == "1" and updated.storage.storage_size_gb == 32
    pg.servers.begin_delete("rg", "fsm-dev-eastus-pg").result()
    assert list(pg.servers.list_by_resource_group("rg")) == []
    assert network("GET", f"{ZONE}/A/fsm-dev-eastus-pg{DNS_API}")[0] == 404  # ARM removes the server's record


def test_delete_is_long_running_202(network):
    network("PUT", SERVER + PG_API, server_body())
    status, headers, _body = network("DELETE", SERVER + PG_API)
    assert status == 202 and headers["Retry-After"] == "1" and "Azure-AsyncOperation" in headers
    assert network("GET", SERVER + PG_API)[0] == 404


# -- flexible servers: updates -----------------------------------------------------------------


def test_a_put_of_an_existing_server_updates_it_in_place(network):
    arm = network
    first = arm("PUT", SERVER + PG_API, server_body())[2]
    body = server_body(sku={"name": "Standard_D2ds_v5", "tier": "GeneralPurpose"}, storage={"storageSizeGB": 64},
                       backup={"backupRetentionDays": 14, "geoRedundantBackup": "Disabled"}, highAvailability={"mode": "ZoneRedundant"},
                       maintenanceWindow={"customWindow": "Enabled", "dayOfWeek": 0, "startHour": 4, "startMinute": 30})
    del body["properties"]["administratorLoginPassword"]  # an update does not need the password
    status, _headers, answer = arm("PUT", SERVER + PG_API, body)
    assert status == 200
    props = answer["properties"]
    assert answer["sku"] == {"name": "Standard_D2ds_v5", "tier": "GeneralPurpose"}
    assert props["storage"]["storageSizeGB"] == 64 and props["storage"]["tier"] == "P6"
    assert props["backup"]["backupRetentionDays"] == 14
    assert props["highAvailability"] == {"mode": "ZoneRedundant", "state": "Healthy", "standbyAvailabilityZone": "2"}
    assert props["maintenanceWindow"] == {"customWindow": "Enabled", "dayOfWeek": 0, "startHour": 4, "startMinute": 30}
    assert props["availabilityZone"] == "1" and props["fullyQualifiedDomainName"] == first["properties"]["fullyQualifiedDomainName"]
    assert props["backup"]["earliestRestoreDate"] == first["properties"]["backup"]["earliestRestoreDate"]
    # Burstable with high availability still on is refused; with HA off in the same request it is fine.
    burstable = server_body(storage={"storageSizeGB": 64})
    del burstable["properties"]["highAvailability"]
    status, _headers, error = arm("PUT", SERVER + PG_API, burstable)
    assert status == 400 and "Burstable" in error["error"]["message"]
    status, _headers, answer = arm("PUT", SERVER + PG_API, server_body(storage={"storageSizeGB": 64}))
    assert status == 200 and answer["properties"]["highAvailability"]["state"] == "NotEnabled"


@pytest.mark.parametrize(("overrides", "fragment"), [
    ({"storage": {"storageSizeGB": 32}}, "cannot shrink"),
    ({"backup": {"backupRetentionDays": 7, "geoRedundantBackup": "Enabled"}}, "geoRedundantBackup"),
    ({"administratorLogin": "someone_else"}, "administratorLogin"),
    ({"version": "15"}, "cannot be lowered"),
    ({"network": {"delegatedSubnetResourceId": f"{VNET}/subnets/other", "privateDnsZoneArmResourceId": ZONE}}, "network"),
])
def test_what_azure_cannot_change_is_refused_and_nothing_changes(network, overrides, fragment):
    arm = network
    arm("PUT", SERVER + PG_API, server_body(storage={"storageSizeGB": 64}))
    before = arm("GET", SERVER + PG_API)[2]
    status, _headers, body = arm("PUT", SERVER + PG_API, server_body(**{"storage": {"storageSizeGB": 64}, **overrides}))
    assert status == 400 and fragment in body["error"]["message"], body
    after = arm("GET", SERVER + PG_API)[2]
    assert after == before


def test_a_major_version_upgrade_moves_the_minor_version(network):
    network("PUT", SERVER + PG_API, server_body(version="15"))
    props = network("PATCH", SERVER + PG_API, {"properties": {"version": "16"}})[2]["properties"]
    assert (props["version"], props["minorVersion"]) == ("16", "16.8")


# -- private DNS zones and virtual network links -----------------------------------------------


def test_zones_live_in_global_with_server_side_counts_and_an_soa_record(arm):
    arm("PUT", RG + NET_API, {"location": "eastus"})
    status, _headers, body = arm("PUT", ZONE + DNS_API, {"location": "eastus"})
    assert (status, body["error"]["code"]) == (400, "LocationNotAvailableForResourceType")
    status, _headers, zone = arm("PUT", ZONE + DNS_API, {"location": "global", "tags": {"layer": "database"}})
    assert status == 201 and zone["location"] == "global" and zone["etag"]
    props = zone["properties"]
    assert props["provisioningState"] == "Succeeded" and props["numberOfRecordSets"] == 1
    assert (props["maxNumberOfRecordSets"], props["maxNumberOfVirtualNetworkLinks"]) == (25000, 1000)
    soa = arm("GET", f"{ZONE}/SOA/@{DNS_API}")[2]
    assert soa["properties"]["soaRecord"]["host"] == "azureprivatedns.net"
    again = arm("PUT", ZONE + DNS_API, {"location": "global", "tags": {"layer": "database"}})
    assert again[0] == 200 and again[2]["etag"] != zone["etag"] and again[2]["properties"]["internalId"] == props["internalId"]
    status, _headers, body = arm("PUT", f"{RG}/providers/Microsoft.Network/privateDnsZones/localhost{DNS_API}", {"location": "global"})
    assert status == 400 and "two or more labels" in body["error"]["message"]


def test_links_need_an_existing_vnet_once_per_zone_and_block_the_zone_delete(network):
    arm = network
    link = f"{ZONE}/virtualNetworkLinks/vnet-link"
    status, _headers, body = arm("PUT", link + DNS_API, {"location": "global", "properties": {"virtualNetwork": {"id": VNET + "x"}}})
    assert status == 400 and "does not exist" in body["error"]["message"]
    status, _headers, created = arm("PUT", link + DNS_API, {"location": "global", "properties": {"virtualNetwork": {"id": VNET}}})
    assert status == 201
    assert created["properties"] == {"virtualNetwork": {"id": VNET}, "registrationEnabled": False, "resolutionPolicy": "Default",
                                     "virtualNetworkLinkState": "Completed", "provisioningState": "Succeeded"}
    status, _headers, body = arm("PUT", f"{ZONE}/virtualNetworkLinks/second{DNS_API}", {"location": "global", "properties": {"virtualNetwork": {"id": VNET}}})
    assert (status, body["error"]["code"]) == (409, "Conflict")
    assert arm("GET", f"{ZONE}/virtualNetworkLinks/second{DNS_API}")[0] == 404
    assert arm("GET", ZONE + DNS_API)[2]["properties"]["numberOfVirtualNetworkLinks"] == 1
    status, _headers, body = arm("DELETE", ZONE + DNS_API)
    assert (status, body["error"]["code"]) == (409, "Conflict") and "virtual network links" in body["error"]["message"]
    assert arm("DELETE", link + DNS_API)[0] == 202
    assert arm("DELETE", ZONE + DNS_API)[0] == 202
    assert arm("GET", f"{ZONE}/SOA/@{DNS_API}")[0] == 404


def test_the_privatedns_sdk_creates_links_and_zones_with_the_statuses_it_accepts(network, azure_cloud_env):
    _pg, dns = sdk_clients(network.cloud)
    other = "second.private.postgres.database.azure.com"
    zone = dns.private_zones.begin_create_or_update("rg", other, {"location": "global", "tags": {"a": "b"}}).result()
    assert zone.number_of_record_sets == 1 and zone.location == "global"
    link = dns.virtual_network_links.begin_create_or_update(
        "rg", other, "link", {"location": "global", "virtual_network": {"id": VNET}, "registration_enabled": False}).result()
    assert link.virtual_network_link_state == "Completed" and link.registration_enabled is False
    assert [item.name for item in dns.virtual_network_links.list("rg", other)] == ["link"]
    dns.virtual_network_links.begin_delete("rg", other, "link").result()
    dns.private_zones.begin_delete("rg", other).result()
    assert [z.name for z in dns.private_zones.list_by_resource_group("rg")] == [ZONE_NAME]


def test_databases_are_children_with_fixed_charset_and_the_sdk_statuses(network, azure_cloud_env):
    pg, _dns = sdk_clients(network.cloud)
    pg.servers.begin_create_or_update("rg", "fsm-dev-eastus-pg", server_body()).result()
    assert sorted(d.name for d in pg.databases.list_by_server("rg", "fsm-dev-eastus-pg")) == ["azure_maintenance", "azure_sys", "postgres"]
    created = pg.databases.begin_create("rg", "fsm-dev-eastus-pg", "app", {"charset": "UTF8"}).result()  # 201 would fail here
    assert (created.charset, created.collation) == ("UTF8", "en_US.utf8")
    status, _headers, body = network("PUT", f"{SERVER}/databases/app{PG_API}", {"properties": {"charset": "LATIN1"}})
    assert status == 400 and "charset" in body["error"]["message"]
    status, _headers, body = network("PUT", f"{SERVER}x/databases/app{PG_API}", {"properties": {}})
    assert (status, body["error"]["code"]) == (404, "ParentResourceNotFound")
    pg.servers.begin_delete("rg", "fsm-dev-eastus-pg").result()
    assert network("GET", f"{SERVER}/databases/app{PG_API}")[0] == 404


def test_the_delegated_subnet_cannot_be_deleted_while_the_server_lives_in_it(network):
    """ARM's service association link (the network kinds refuse to delete a subnet in use)."""
    arm = network
    arm("PUT", SERVER + PG_API, server_body())
    subnet = arm("GET", SUBNET + NET_API)[2]
    [link] = subnet["properties"]["serviceAssociationLinks"]
    assert link["properties"] == {"linkedResourceType": "Microsoft.DBforPostgreSQL/flexibleServers", "link": SERVER,
                                  "provisioningState": "Succeeded"}
    status, _headers, body = arm("DELETE", SUBNET + NET_API)
    assert (status, body["error"]["code"]) == (400, "InUseSubnetCannotBeDeleted")
    assert arm("DELETE", SERVER + PG_API)[0] == 202
    assert "serviceAssociationLinks" not in arm("GET", SUBNET + NET_API)[2]["properties"]
    assert arm("DELETE", SUBNET + NET_API)[0] in (200, 202, 204)
