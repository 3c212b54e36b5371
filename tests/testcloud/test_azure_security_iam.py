"""The ARM double's network security groups, managed identities and authorization (role definitions and
role assignments), through the real Azure SDK clients azure.azcollection uses and through plain HTTPS.
"""

import uuid

import pytest

from azure_http import ArmHttp

from testcloud.azure_arm import SUBSCRIPTION_ID, TENANT_ID

SUB = f"/subscriptions/{SUBSCRIPTION_ID}"
RG = f"{SUB}/resourceGroups/rg"
NSG = f"{RG}/providers/Microsoft.Network/networkSecurityGroups/web-nsg"
VNET = f"{RG}/providers/Microsoft.Network/virtualNetworks/vnet"
IDENTITY_API = "2023-01-31"
NET_API = "?api-version=2024-03-01"
AUTH_API = "?api-version=2022-04-01"
KV_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
DEFAULT_RULE_NAMES = ["AllowVnetInBound", "AllowAzureLoadBalancerInBound", "DenyAllInBound",
                      "AllowVnetOutBound", "AllowInternetOutBound", "DenyAllOutBound"]


class Client(ArmHttp):
    """Plain HTTPS calls to the double: ``(status, json)``."""

    def __call__(self, method, path, body=None):
        status, _headers, answer = super().__call__(method, path, body)
        return status, answer


@pytest.fixture
def arm(azure_cloud_env):
    client = Client(azure_cloud_env)
    assert client("PUT", RG + "?api-version=2022-09-01", {"location": "eastus"})[0] == 201
    return client


@pytest.fixture
def sdk(azure_cloud_env):
    """``sdk(ClientClass, **kwargs)``: an Azure SDK management client on the double."""
    from azure.identity import ClientSecretCredential  # noqa: PLC0415 - the Azure SDK is large

    cloud = azure_cloud_env
    env = cloud.exports()
    credential = ClientSecretCredential(env["AZURE_TENANT"], env["AZURE_CLIENT_ID"], env["AZURE_SECRET"],
                                        authority=cloud.endpoint, disable_instance_discovery=True)

    def make(client_class, **kwargs):
        return client_class(credential, SUBSCRIPTION_ID, base_url=cloud.endpoint,
                            credential_scopes=[cloud.endpoint + "/.default"], **kwargs)

    return make


@pytest.fixture
def network(sdk, arm):
    from azure.mgmt.network import NetworkManagementClient  # noqa: PLC0415

    return sdk(NetworkManagementClient)


def rule(name, priority, direction="Inbound", port="443", source="Internet", access="Allow"):
    return {"name": name, "protocol": "Tcp", "source_port_range": "*", "destination_port_range": port,
            "source_address_prefix": source, "destination_address_prefix": "*", "access": access,
            "priority": priority, "direction": direction}


# -- network security groups ---------------------------------------------------------------------


def test_nsg_answers_its_rules_the_six_default_rules_and_server_fields(network, arm):
    created = network.network_security_groups.begin_create_or_update(
        "rg", "web-nsg", {"location": "eastus", "tags": {"layer": "security_groups"},
                          "security_rules": [rule("allow-https", 100), rule("deny-out", 4096, "Outbound", "*", "*", "Deny")]},
    ).result()
    assert created.provisioning_state == "Succeeded" and created.resource_guid and created.etag
    assert [r.name for r in created.default_security_rules] == DEFAULT_RULE_NAMES
    defaults = {r.name: r for r in created.default_security_rules}
    assert (defaults["DenyAllInBound"].priority, defaults["DenyAllInBound"].access) == (65500, "Deny")
    assert defaults["AllowInternetOutBound"].destination_address_prefix == "Internet"
    assert defaults["AllowVnetInBound"].id == NSG + "/defaultSecurityRules/AllowVnetInBound"
    https = {r.name: r for r in created.security_rules}["allow-https"]
    assert https.id == NSG + "/securityRules/allow-https" and https.etag == created.etag
    assert https.provisioning_state == "Succeeded" and https.destination_port_range == "443"
    assert https.source_port_ranges == [] and https.destination_address_prefixes == []
    assert https.description is None

    status, raw = arm("GET", NSG + NET_API)
    assert status == 200 and raw["properties"]["securityRules"][0]["properties"]["sourceAddressPrefixes"] == []
    assert "subnets" not in raw["properties"]  # no subnet points at it

    # A PUT replaces the rule set; resourceGuid stays, the etag changes; defaults sent back are ignored.
    updated = network.network_security_groups.begin_create_or_update(
        "rg", "web-nsg", {"location": "eastus", "security_rules": [rule("allow-https", 110)]}).result()
    assert [r.name for r in updated.security_rules] == ["allow-https"] and updated.security_rules[0].priority == 110
    assert updated.resource_guid == created.resource_guid and updated.etag != created.etag
    assert len(updated.default_security_rules) == 6


def test_nsg_rule_priorities_are_checked_like_arm_and_nothing_is_stored(network, arm):
    from azure.core.exceptions import HttpResponseError  # noqa: PLC0415

    with pytest.raises(HttpResponseError) as conflict:
        network.network_security_groups.begin_create_or_update(
            "rg", "web-nsg", {"location": "eastus", "security_rules": [rule("a", 200), rule("b", 200, port="80")]}).result()
    assert conflict.value.status_code == 400 and conflict.value.error.code == "SecurityRuleConflict"
    assert "Rules cannot have the same Priority and Direction" in conflict.value.message
    # The same priority in the other direction is fine.
    network.network_security_groups.begin_create_or_update(
        "rg", "ok-nsg", {"location": "eastus", "security_rules": [rule("a", 200), rule("b", 200, "Outbound")]}).result()
    status, body = arm("PUT", NSG + NET_API, {"location": "eastus", "properties": {"securityRules": [
        {"name": "low", "properties": {"protocol": "*", "access": "Allow", "direction": "Inbound", "priority": 99}}]}})
    assert (status, body["error"]["code"]) == (400, "SecurityRuleInvalidPriority")
    assert arm("GET", NSG + NET_API)[0] == 404


def test_nsg_lists_the_subnets_that_use_it_and_refuses_deletion_while_in_use(network, arm, azure_cloud_env):
    from azure.core.exceptions import HttpResponseError  # noqa: PLC0415

    nsg = network.network_security_groups.begin_create_or_update("rg", "web-nsg", {"location": "eastus"}).result()

    def vnet(subnet):
        body = {"location": "eastus", "address_space": {"address_prefixes": ["10.0.0.0/16"]}, "subnets": [subnet]}
        return network.virtual_networks.begin_create_or_update("rg", "vnet", body).result()

    vnet({"name": "web", "address_prefix": "10.0.1.0/24", "network_security_group": {"id": nsg.id}})
    subnet_id = VNET + "/subnets/web"
    assert network.network_security_groups.get("rg", "web-nsg").subnets[0].id.lower() == subnet_id.lower()

    azure_cloud_env.reset_stats()
    with pytest.raises(HttpResponseError) as in_use:
        network.network_security_groups.begin_delete("rg", "web-nsg").result()
    assert in_use.value.status_code == 400 and in_use.value.error.code == "InUseNetworkSecurityGroupCannotBeDeleted"
    assert subnet_id.lower() in in_use.value.message.lower()
    assert network.network_security_groups.get("rg", "web-nsg").id == nsg.id

    vnet({"name": "web", "address_prefix": "10.0.1.0/24"})
    assert network.network_security_groups.get("rg", "web-nsg").subnets is None
    assert arm("DELETE", NSG + NET_API)[0] == 202  # long-running, like ARM's network deletes
    assert arm("GET", NSG + NET_API)[0] == 404
    assert arm("DELETE", NSG + NET_API)[0] == 204
    assert azure_cloud_env.stats()["mutating_actions"]["DELETE Microsoft.Network/networkSecurityGroups"] == 3


def test_security_rules_are_child_resources_of_the_nsg_body(network, arm):
    network.network_security_groups.begin_create_or_update(
        "rg", "web-nsg", {"location": "eastus", "security_rules": [rule("allow-https", 100)]}).result()
    assert network.security_rules.get("rg", "web-nsg", "allow-https").priority == 100

    added = network.security_rules.begin_create_or_update("rg", "web-nsg", "allow-http", rule("allow-http", 110, port="80")).result()
    nsg = network.network_security_groups.get("rg", "web-nsg")
    assert sorted(r.name for r in nsg.security_rules) == ["allow-http", "allow-https"] and added.etag == nsg.etag
    assert sorted(r.name for r in network.security_rules.list("rg", "web-nsg")) == ["allow-http", "allow-https"]

    status, body = arm("PUT", NSG + "/securityRules/clash" + NET_API, {"properties": {
        "protocol": "Tcp", "access": "Allow", "direction": "Inbound", "priority": 100, "destinationPortRange": "22"}})
    assert (status, body["error"]["code"]) == (400, "SecurityRuleConflict")
    assert arm("GET", NSG + "/securityRules/clash" + NET_API)[0] == 404

    network.security_rules.begin_delete("rg", "web-nsg", "allow-https").result()
    assert [r.name for r in network.network_security_groups.get("rg", "web-nsg").security_rules] == ["allow-http"]

    assert [r.name for r in network.default_security_rules.list("rg", "web-nsg")] == DEFAULT_RULE_NAMES
    assert network.default_security_rules.get("rg", "web-nsg", "DenyAllOutBound").direction == "Outbound"
    assert arm("PUT", NSG + "/defaultSecurityRules/DenyAllInBound" + NET_API, {"properties": {"priority": 100}})[0] == 405


# -- user-assigned identities --------------------------------------------------------------------


def test_identity_ids_are_made_on_create_and_never_change(sdk, arm):
    from azure.core.exceptions import ResourceNotFoundError  # noqa: PLC0415
    from azure.mgmt.resource import ResourceManagementClient  # noqa: PLC0415

    resources = sdk(ResourceManagementClient).resources
    identity_id = f"{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app"
    status, raw = arm("PUT", identity_id + f"?api-version={IDENTITY_API}",
                      {"location": "eastus", "tags": {"a": "1"}, "properties": {"principalId": "not-mine"}})
    assert status == 201
    first = raw["properties"]
    assert first["tenantId"] == TENANT_ID and first["principalId"] != "not-mine"
    assert str(uuid.UUID(first["principalId"])) == first["principalId"] and uuid.UUID(first["clientId"])
    assert "provisioningState" not in first

    updated = resources.begin_create_or_update_by_id(identity_id, IDENTITY_API, {"location": "eastus", "tags": {"a": "2"}}).result()
    assert updated.tags == {"a": "2"} and updated.properties == first
    status, patched = arm("PATCH", identity_id + f"?api-version={IDENTITY_API}", {"tags": {"b": "3"}})
    assert status == 200 and patched["properties"] == first and patched["tags"] == {"b": "3"}
    assert resources.get_by_id(identity_id, IDENTITY_API).properties["clientId"] == first["clientId"]
    assert [r.name for r in resources.list_by_resource_group("rg")] == ["app"]

    assert arm("DELETE", identity_id + f"?api-version={IDENTITY_API}")[0] == 200
    assert arm("DELETE", identity_id + f"?api-version={IDENTITY_API}")[0] == 204
    with pytest.raises(ResourceNotFoundError):
        resources.get_by_id(identity_id, IDENTITY_API)
    missing_rg = f"{SUB}/resourceGroups/nope/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app"
    assert arm("GET", missing_rg + f"?api-version={IDENTITY_API}")[0] == 404
    status, body = arm("PUT", missing_rg + f"?api-version={IDENTITY_API}", {"location": "eastus"})
    assert (status, body["error"]["code"]) == (404, "ResourceGroupNotFound")
    # Re-created under the same name: a new principal (role assignments of the old one do not carry over).
    status, again = arm("PUT", identity_id + f"?api-version={IDENTITY_API}", {"location": "eastus"})
    assert status == 201 and again["properties"]["principalId"] != first["principalId"]


# -- role definitions ----------------------------------------------------------------------------


def test_built_in_role_definitions_exist_at_every_scope_with_their_real_ids(sdk, arm):
    from azure.mgmt.authorization import AuthorizationManagementClient  # noqa: PLC0415

    client = sdk(AuthorizationManagementClient, api_version="2022-04-01")
    found = list(client.role_definitions.list(RG, filter="roleName eq 'Key Vault Secrets User'"))
    assert [(d.name, d.role_name, d.role_type) for d in found] == [(KV_SECRETS_USER, "Key Vault Secrets User", "BuiltInRole")]
    assert found[0].id == f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{KV_SECRETS_USER}"
    assert found[0].permissions[0].data_actions
    everything = list(client.role_definitions.list(SUB))
    assert {"Reader", "Network Contributor", "Managed Identity Operator"} <= {d.role_name for d in everything}
    assert all(d.role_type == "BuiltInRole" for d in client.role_definitions.list(SUB, filter="type eq 'BuiltInRole'"))
    assert client.role_definitions.get(RG, READER).role_name == "Reader"

    status, body = arm("GET", f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{uuid.uuid4()}{AUTH_API}")
    assert (status, body["error"]["code"]) == (404, "RoleDefinitionDoesNotExist")
    status, body = arm("GET", f"{SUB}/providers/Microsoft.Authorization/roleDefinitions{AUTH_API}&$filter=startswith(roleName,'K')")
    assert (status, body["error"]["code"]) == (400, "InvalidFilterInQueryString")
    status, root = arm("GET", f"/providers/Microsoft.Authorization/roleDefinitions{AUTH_API}&$filter=roleName eq 'Reader'")
    assert status == 200 and root["value"][0]["id"] == f"/providers/Microsoft.Authorization/roleDefinitions/{READER}"


def test_custom_role_definitions_are_listed_where_they_are_assignable(sdk, arm):
    guid = str(uuid.uuid4())
    path = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}{AUTH_API}"
    custom = {"properties": {"roleName": "Strata Reader", "assignableScopes": [RG], "permissions": [{"actions": ["*/read"]}]}}
    status, body = arm("PUT", path, custom)
    assert status == 201 and body["properties"]["type"] == "CustomRole"
    listed = arm("GET", f"{RG}/providers/Microsoft.Authorization/roleDefinitions{AUTH_API}&$filter=roleName eq 'Strata Reader'")[1]
    assert [d["name"] for d in listed["value"]] == [guid]
    elsewhere = arm("GET", f"{SUB}/providers/Microsoft.Authorization/roleDefinitions{AUTH_API}&$filter=type eq 'CustomRole'")[1]
    assert elsewhere["value"] == []  # the subscription is above its assignable scope


# -- role assignments ----------------------------------------------------------------------------


@pytest.fixture
def authorization(sdk, arm):
    from azure.mgmt.authorization import AuthorizationManagementClient  # noqa: PLC0415

    return sdk(AuthorizationManagementClient, api_version="2020-04-01-preview")  # azure.azcollection's version


def assignment(role, principal):
    return {"role_definition_id": f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{role}", "principal_id": principal}


def test_role_assignments_are_created_read_and_deleted_like_arm(authorization, arm, azure_cloud_env):
    from azure.core.exceptions import ResourceNotFoundError  # noqa: PLC0415

    identity = arm("PUT", f"{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app?api-version={IDENTITY_API}",
                   {"location": "eastus"})[1]
    principal = identity["properties"]["principalId"]
    name = str(uuid.uuid5(uuid.NAMESPACE_URL, RG + KV_SECRETS_USER + principal))
    created = authorization.role_assignments.create(RG, name, assignment(KV_SECRETS_USER, principal))
    assert created.id == f"{RG}/providers/Microsoft.Authorization/roleAssignments/{name}"
    assert (created.scope, created.principal_id, created.principal_type) == (RG, principal, "ServicePrincipal")
    assert created.role_definition_id.endswith(KV_SECRETS_USER)
    # An identical PUT answers 201 again (the SDK accepts only 201); the assignment stays as it was.
    again = authorization.role_assignments.create(RG, name, assignment(KV_SECRETS_USER, principal))
    assert again.id == created.id
    assert authorization.role_assignments.get(RG, name).principal_id == principal
    assert authorization.role_assignments.get_by_id(created.id).scope == RG

    azure_cloud_env.reset_stats()
    authorization.role_assignments.delete_by_id(created.id)
    with pytest.raises(ResourceNotFoundError) as gone:
        authorization.role_assignments.get(RG, name)
    assert gone.value.error.code == "RoleAssignmentNotFound"
    assert authorization.role_assignments.delete(RG, name) is None  # 204: nothing to delete
    stats = azure_cloud_env.stats()
    assert stats["mutating_actions"] == {"DELETE Microsoft.Authorization/roleAssignments": 2} and stats["read"] == 1


def test_role_assignment_names_are_guids_unique_in_the_subscription_and_immutable(authorization, arm):
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError  # noqa: PLC0415

    principal, other = str(uuid.uuid4()), str(uuid.uuid4())
    name = str(uuid.uuid4())
    authorization.role_assignments.create(RG, name, assignment(READER, principal))

    def refused(scope, assignment_name, body):
        with pytest.raises(HttpResponseError) as failure:
            authorization.role_assignments.create(scope, assignment_name, body)
        return failure.value.status_code, failure.value.error.code

    assert refused(RG, name, assignment(READER, other)) == (409, "RoleAssignmentUpdateNotPermitted")
    assert refused(RG, name, assignment(KV_SECRETS_USER, principal)) == (409, "RoleAssignmentUpdateNotPermitted")
    assert refused(SUB, name, assignment(READER, principal)) == (409, "RoleAssignmentUpdateNotPermitted")
    assert refused(RG, str(uuid.uuid4()), assignment(READER, principal)) == (409, "RoleAssignmentExists")
    assert refused(RG, str(uuid.uuid4()), assignment(str(uuid.uuid4()), principal)) == (400, "RoleDefinitionDoesNotExist")
    assert refused(RG, str(uuid.uuid4()), assignment(READER, "someone")) == (400, "InvalidPrincipalId")
    assert refused(RG, "not-a-guid", assignment(READER, other)) == (400, "InvalidRoleAssignmentId")
    assert refused(f"{SUB}/resourceGroups/nope", str(uuid.uuid4()), assignment(READER, other)) == (404, "ResourceGroupNotFound")
    with pytest.raises(ResourceNotFoundError):
        authorization.role_assignments.get(RG, "not-a-guid")
    # The refused requests changed nothing: one assignment, as first created.
    assert [(a.name, a.principal_id) for a in authorization.role_assignments.list_for_scope(RG)] == [(name, principal)]
    assert authorization.role_assignments.get(RG, name).principal_type == "Unknown"  # not a principal the double knows


def test_role_assignment_lists_follow_arm_scope_and_principal_filters(authorization, arm):
    from azure.core.exceptions import HttpResponseError  # noqa: PLC0415

    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    vnet = arm("PUT", VNET + NET_API, {"location": "eastus", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}})
    assert vnet[0] == 201
    at_sub = authorization.role_assignments.create(SUB, str(uuid.uuid4()), assignment(READER, alice))
    at_rg = authorization.role_assignments.create(RG, str(uuid.uuid4()), assignment(KV_SECRETS_USER, alice))
    below = authorization.role_assignments.create(VNET, str(uuid.uuid4()), assignment(READER, bob))

    def names(items):
        return sorted(a.name for a in items)

    assert names(authorization.role_assignments.list_for_scope(RG)) == sorted([at_sub.name, at_rg.name, below.name])
    assert names(authorization.role_assignments.list_for_scope(RG, filter="atScope()")) == sorted([at_sub.name, at_rg.name])
    assert names(authorization.role_assignments.list_for_scope(VNET, filter="atScope()")) == sorted([at_sub.name, at_rg.name, below.name])
    assert names(authorization.role_assignments.list(filter=f"principalId eq '{alice}'")) == sorted([at_sub.name, at_rg.name])
    assert names(authorization.role_assignments.list_for_scope(RG, filter=f"assignedTo('{bob}')")) == [below.name]
    assert names(authorization.role_assignments.list_for_scope(RG, filter=f"atScope() and assignedTo('{bob}')")) == []
    assert names(authorization.role_assignments.list_for_resource_group("rg")) == sorted([at_sub.name, at_rg.name, below.name])
    with pytest.raises(HttpResponseError) as bad:
        list(authorization.role_assignments.list(filter="roleName eq 'Reader'"))
    assert bad.value.error.code == "InvalidFilterInQueryString"
