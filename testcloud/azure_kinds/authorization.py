"""Microsoft.Authorization: role definitions and role assignments, at any scope.

Role definitions (``{scope}/providers/Microsoft.Authorization/roleDefinitions[/{guid}]``):

* the built-in roles of :data:`BUILT_IN_ROLES` exist at every scope with their real GUIDs and names (the
  permissions are indicative: the double authorises every caller), listed with ``$filter=roleName eq
  '<name>'`` or ``$filter=type eq 'BuiltInRole'|'CustomRole'`` or unfiltered; their ids read
  ``/subscriptions/<sub>/providers/Microsoft.Authorization/roleDefinitions/<guid>`` at any scope inside the
  subscription (``/providers/...`` at the root scope), like ARM;
* custom roles can be PUT (201) and are listed at the scopes their ``assignableScopes`` cover.

Role assignments (``{scope}/providers/Microsoft.Authorization/roleAssignments/{name}``), like ARM:

* the name must be a GUID (400 ``InvalidRoleAssignmentId``) and is unique in the subscription: the same name at
  another scope, or the same name with another principal or role, is refused with 409
  ``RoleAssignmentUpdateNotPermitted`` ("Tenant ID, application ID, principal ID, and scope are not allowed
  to be updated."); the same principal, role and scope under another name is 409 ``RoleAssignmentExists``;
  PUT of an identical assignment answers 201 again (the SDK accepts only 201);
* the role definition must exist (400 ``RoleDefinitionDoesNotExist``) and the scope too (the engine's
  ``ResourceGroupNotFound`` / ``ParentResourceNotFound``); the principal must be a GUID (400
  ``InvalidPrincipalId``). The double has no directory: it never answers ``PrincipalNotFound`` (the
  replication delay of a new identity's principal is not simulated); ``principalType`` is the one sent, else
  ``ServicePrincipal`` for a managed identity of the double, else ``Unknown``;
* the answer carries ``properties.scope``, ``createdOn``/``updatedOn``; GET of a missing one is 404
  ``RoleAssignmentNotFound``; DELETE answers 200 (204 when missing);
* lists at a scope answer the assignments at, above and below it; ``$filter=atScope()`` at or above it;
  ``$filter=principalId eq '<id>'`` / ``assignedTo('<id>')`` (optionally ``atScope() and assignedTo(...)``)
  one principal's (no groups); another filter is 400 ``InvalidFilterInQueryString``.
"""

import copy
import datetime
import re

from testcloud.azure_arm import SUBSCRIPTION_ID
from testcloud.azure_kinds import ArmError, Kind
from testcloud.azure_kinds.managed_identity import principals

PROVIDER = "/providers/Microsoft.Authorization/"
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

_READ_SUPPORT = ["Microsoft.Authorization/*/read", "Microsoft.Resources/subscriptions/resourceGroups/read",
                 "Microsoft.Resources/deployments/*", "Microsoft.Insights/alertRules/*", "Microsoft.Support/*"]

# guid -> (roleName, description, actions, notActions, dataActions)
BUILT_IN_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": ("Owner", "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.", ["*"], [], []),  # noqa: E501 - one role or rule per line, as Azure lists them
    "b24988ac-6180-42a0-ab88-20f7382dd24c": (
        "Contributor",
        "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC.",
        ["*"],
        ["Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write", "Microsoft.Authorization/elevateAccess/Action"],
        [],
    ),
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": ("Reader", "View all resources, but does not allow you to make any changes.", ["*/read"], [], []),
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": ("User Access Administrator", "Lets you manage user access to Azure resources.", ["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"], [], []),  # noqa: E501 - one role or rule per line, as Azure lists them
    "4d97b98b-1d4f-4787-a291-c67834d212e7": ("Network Contributor", "Lets you manage networks, but not access to them.", ["Microsoft.Network/*", *_READ_SUPPORT], [], []),  # noqa: E501 - one role or rule per line, as Azure lists them
    "f1a07417-d97a-45cb-824c-7a7467783830": (
        "Managed Identity Operator",
        "Read and Assign User Assigned Identity",
        ["Microsoft.ManagedIdentity/userAssignedIdentities/*/read", "Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action", *_READ_SUPPORT],
        [],
        [],
    ),
    "e40ec5ca-96e0-45a2-b4ff-59039f2c2b59": ("Managed Identity Contributor", "Create, Read, Update, and Delete User Assigned Identity", ["Microsoft.ManagedIdentity/userAssignedIdentities/*", *_READ_SUPPORT], [], []),  # noqa: E501 - one role or rule per line, as Azure lists them
    "00482a5a-887f-4fb3-b363-3b7fe8e74483": ("Key Vault Administrator", "Perform all data plane operations on a key vault and all objects in it, including certificates, keys, and secrets.", ["Microsoft.KeyVault/checkNameAvailability/read", "Microsoft.KeyVault/deletedVaults/read", "Microsoft.KeyVault/locations/*/read", "Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/operations/read", *_READ_SUPPORT], [], ["Microsoft.KeyVault/vaults/*"]),  # noqa: E501 - one role or rule per line, as Azure lists them
    "14b46e9e-c2b7-41b4-b07b-48a6ebf60603": ("Key Vault Crypto Officer", "Perform any action on the keys of a key vault, except manage permissions.", ["Microsoft.KeyVault/vaults/*/read", *_READ_SUPPORT], [], ["Microsoft.KeyVault/vaults/keys/*", "Microsoft.KeyVault/vaults/keyrotationpolicies/*"]),  # noqa: E501 - one role or rule per line, as Azure lists them
    "12338af0-0e69-4776-bea7-57ae8d297424": ("Key Vault Crypto User", "Perform cryptographic operations using keys.", [], [], ["Microsoft.KeyVault/vaults/keys/read", "Microsoft.KeyVault/vaults/keys/update/action", "Microsoft.KeyVault/vaults/keys/backup/action", "Microsoft.KeyVault/vaults/keys/encrypt/action", "Microsoft.KeyVault/vaults/keys/decrypt/action", "Microsoft.KeyVault/vaults/keys/wrap/action", "Microsoft.KeyVault/vaults/keys/unwrap/action", "Microsoft.KeyVault/vaults/keys/sign/action", "Microsoft.KeyVault/vaults/keys/verify/action"]),  # noqa: E501 - one role or rule per line, as Azure lists them
    "e147488a-f6f5-4113-8e2d-b22465e65bf6": ("Key Vault Crypto Service Encryption User", "Read metadata of keys and perform wrap/unwrap operations.", ["Microsoft.EventGrid/eventSubscriptions/write", "Microsoft.EventGrid/eventSubscriptions/read", "Microsoft.EventGrid/eventSubscriptions/delete"], [], ["Microsoft.KeyVault/vaults/keys/read", "Microsoft.KeyVault/vaults/keys/wrap/action", "Microsoft.KeyVault/vaults/keys/unwrap/action"]),  # noqa: E501 - one role or rule per line, as Azure lists them
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": ("Key Vault Secrets Officer", "Perform any action on the secrets of a key vault, except manage permissions.", ["Microsoft.KeyVault/vaults/*/read", *_READ_SUPPORT], [], ["Microsoft.KeyVault/vaults/secrets/*"]),  # noqa: E501 - one role or rule per line, as Azure lists them
    "4633458b-17de-408a-b874-0445c86b69e6": ("Key Vault Secrets User", "Read secret contents.", [], [], ["Microsoft.KeyVault/vaults/secrets/getSecret/action", "Microsoft.KeyVault/vaults/secrets/readMetadata/action"]),  # noqa: E501 - one role or rule per line, as Azure lists them
    "21090545-7ca7-4776-b22c-e363652d74d2": ("Key Vault Reader", "Read metadata of key vaults and its certificates, keys, and secrets.", ["Microsoft.KeyVault/vaults/*/read", *_READ_SUPPORT], [], ["Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/vaults/secrets/readMetadata/action"]),  # noqa: E501 - one role or rule per line, as Azure lists them
    "7f951dda-4ed3-4680-a7ca-43fe172d538d": ("AcrPull", "acr pull", ["Microsoft.ContainerRegistry/registries/pull/read"], [], []),
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": ("Storage Blob Data Contributor", "Allows for read, write and delete access to Azure Storage blob containers and data", ["Microsoft.Storage/storageAccounts/blobServices/containers/*"], [], ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"]),  # noqa: E501 - one role or rule per line, as Azure lists them
    "f526a384-b230-433a-b45c-95f59c4a2dec": ("Azure Event Hubs Data Owner", "Allows for full access to Azure Event Hubs resources.", ["Microsoft.EventHub/*"], [], ["Microsoft.EventHub/*"]),  # noqa: E501 - one role or rule per line, as Azure lists them
    "2b629674-e913-4c01-ae53-ef4638d8f975": ("Azure Event Hubs Data Sender", "Allows send access to Azure Event Hubs resources.", ["Microsoft.EventHub/*/eventhubs/read"], [], ["Microsoft.EventHub/*/send/action"]),  # noqa: E501 - one role or rule per line, as Azure lists them
    "a638d3c7-ab3a-418d-83e6-5f17a39d4fde": ("Azure Event Hubs Data Receiver", "Allows receive access to Azure Event Hubs resources.", ["Microsoft.EventHub/*/eventhubs/consumergroups/read"], [], ["Microsoft.EventHub/*/receive/action"]),  # noqa: E501 - one role or rule per line, as Azure lists them
    "c088a766-074b-43ba-90d4-1fb21feae531": ("PostgreSQL Flexible Server Long Term Retention Backup Role", "Role to allow backup vault to access PostgreSQL Flexible Server Resource APIs for Long Term Retention Backup.", ["Microsoft.DBforPostgreSQL/flexibleServers/ltrBackupOperations/read", "Microsoft.DBforPostgreSQL/flexibleServers/ltrPreBackup/action", "Microsoft.DBforPostgreSQL/flexibleServers/startLtrBackup/action", "Microsoft.DBforPostgreSQL/flexibleServers/read", "Microsoft.DBforPostgreSQL/locations/azureAsyncOperation/read"], [], []),  # noqa: E501 - one role or rule per line, as Azure lists them
}
CREATED_ON = "2015-02-02T21:55:09.8806423Z"


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def scope_of(resource_id, collection):
    """The scope of an ``{scope}/providers/Microsoft.Authorization/<collection>/<name>`` id ('/' at the root)."""
    index = resource_id.lower().rfind((PROVIDER + collection).lower())
    return resource_id[:index] or "/"


def definition_id(scope, guid):
    """The id ARM gives a role definition listed at ``scope``."""
    match = re.match(r"^/subscriptions/([^/]+)", scope, re.IGNORECASE)
    prefix = f"/subscriptions/{match.group(1)}" if match else ""
    return f"{prefix}{PROVIDER}roleDefinitions/{guid}"


def built_in(guid, scope):
    name, description, actions, not_actions, data_actions = BUILT_IN_ROLES[guid.lower()]
    return {
        "id": definition_id(scope, guid.lower()),
        "name": guid.lower(),
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": name,
            "type": "BuiltInRole",
            "description": description,
            "assignableScopes": ["/"],
            "permissions": [{"actions": actions, "notActions": not_actions, "dataActions": data_actions, "notDataActions": []}],
            "createdOn": CREATED_ON,
            "updatedOn": CREATED_ON,
            "createdBy": None,
            "updatedBy": None,
        },
    }


def covers(scope, other):
    """True when ``scope`` is ``other`` or above it (case-insensitive)."""
    scope, other = scope.lower().rstrip("/"), other.lower().rstrip("/")
    return scope == "" or other == scope or other.startswith(scope + "/")


def find_definition(ctx, guid):
    """The role definition with this GUID (built-in, else a stored custom role) or None."""
    if guid.lower() in BUILT_IN_ROLES:
        return built_in(guid, f"/subscriptions/{SUBSCRIPTION_ID}")
    for resource in ctx.of_type(RoleDefinition.type):
        if resource["name"].lower() == guid.lower():
            return resource
    return None


def quoted(value, pattern):
    match = re.fullmatch(pattern, (value or "").strip(), re.IGNORECASE)
    return match.group(1) if match else None


class RoleDefinition(Kind):
    """Built-in roles (synthetic, at every scope) and custom roles (stored)."""

    type = "microsoft.authorization/roledefinitions"
    display_type = "Microsoft.Authorization/roleDefinitions"
    has_provisioning_state = False
    location_required = False
    async_create = False
    status_create = 201
    status_update = 201
    status_delete = 200
    not_found_code = "RoleDefinitionDoesNotExist"

    def synthetic(self, ctx, target):
        scope = "/" + "/".join(target.scope)
        guid = target.names[-1]
        if guid.lower() in BUILT_IN_ROLES:
            return built_in(guid, scope)
        for resource in ctx.of_type(self.type):
            if resource["name"].lower() == guid.lower():
                return copy.deepcopy(resource)
        return None

    def prepare(self, ctx, body, existing):
        properties = copy.deepcopy(body.get("properties") or {})
        if not properties.get("roleName"):
            raise ArmError(400, "InvalidRoleDefinition", "The role definition must have a roleName.")
        if not properties.get("assignableScopes"):
            raise ArmError(400, "InvalidRoleDefinition", "The role definition must have at least one assignable scope.")
        properties["type"] = "CustomRole"
        properties.setdefault("permissions", [])
        properties["createdOn"] = (existing or {}).get("properties", {}).get("createdOn") or now()
        properties["updatedOn"] = now()
        return properties

    def list_items(self, ctx, target, query):
        scope = "/" + "/".join(target.scope)
        flt = query.get("$filter")
        role_name = quoted(flt, r"roleName\s+eq\s+'([^']*)'")
        role_type = quoted(flt, r"type\s+eq\s+'([^']*)'")
        if flt and role_name is None and role_type is None:
            raise ArmError(400, "InvalidFilterInQueryString", f"The filter '{flt}' is not supported.")
        items = [built_in(guid, scope) for guid in BUILT_IN_ROLES]
        for resource in ctx.of_type(self.type):
            scopes = (resource.get("properties") or {}).get("assignableScopes") or []
            if any(covers(assignable, scope) for assignable in scopes):
                items.append(copy.deepcopy(resource))
        if role_name is not None:
            items = [item for item in items if item["properties"]["roleName"].lower() == role_name.lower()]
        if role_type is not None:
            items = [item for item in items if item["properties"]["type"].lower() == role_type.lower()]
        return items


class RoleAssignment(Kind):
    """Role assignments at any scope (see the module docstring)."""

    type = "microsoft.authorization/roleassignments"
    display_type = "Microsoft.Authorization/roleAssignments"
    has_provisioning_state = False
    location_required = False
    async_create = False
    status_create = 201
    status_update = 201  # ARM answers an identical PUT with 201 again; the SDK accepts only 201
    status_delete = 200
    not_found_code = "RoleAssignmentNotFound"

    def prepare(self, ctx, body, existing):
        properties = copy.deepcopy(body.get("properties") or {})
        role_definition_id = properties.get("roleDefinitionId") or ""
        principal_id = properties.get("principalId") or ""
        guid = role_definition_id.rstrip("/").rsplit("/", 1)[-1]
        if "/roledefinitions/" not in role_definition_id.lower() or not GUID.match(guid):
            raise ArmError(400, "InvalidRoleDefinitionId", f"The role definition ID '{role_definition_id}' is not valid.")
        if not GUID.match(principal_id):
            raise ArmError(400, "InvalidPrincipalId", "A valid principal ID must be provided for role assignment.")
        if find_definition(ctx, guid) is None:
            raise ArmError(400, "RoleDefinitionDoesNotExist", f"The specified role definition with ID '{guid}' does not exist.")
        if existing:
            old = existing.get("properties") or {}
            same_role = old.get("roleDefinitionId", "").rsplit("/", 1)[-1].lower() == guid.lower()
            if old.get("principalId", "").lower() != principal_id.lower() or not same_role:
                raise ArmError(409, "RoleAssignmentUpdateNotPermitted", "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.")
        properties["roleDefinitionId"] = f"/subscriptions/{SUBSCRIPTION_ID}{PROVIDER}roleDefinitions/{guid.lower()}"
        properties["principalId"] = principal_id.lower()
        if not properties.get("principalType"):
            properties["principalType"] = "ServicePrincipal" if principal_id.lower() in principals(ctx) else "Unknown"
        properties["createdOn"] = (existing or {}).get("properties", {}).get("createdOn") or now()
        properties["updatedOn"] = now()
        properties.setdefault("createdBy", None)
        properties.setdefault("updatedBy", None)
        properties.pop("scope", None)  # read-only: the scope is the path's
        return properties

    def after_put(self, ctx, resource, existing):
        """Checks that need the assignment's path; a refused PUT leaves the store as it was."""
        try:
            self.check_unique(ctx, resource)
        except ArmError:
            path = resource["id"].lower()
            if existing is not None:
                ctx.resources[path] = existing
            else:
                ctx.delete_tree(resource["id"])
            raise

    def check_unique(self, ctx, resource):
        name = resource["name"]
        if not GUID.match(name):
            raise ArmError(400, "InvalidRoleAssignmentId", f"The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.")
        scope = scope_of(resource["id"], "roleAssignments").lower()
        properties = resource["properties"]
        for other in ctx.of_type(self.type):
            if other["id"].lower() == resource["id"].lower():
                continue
            if other["name"].lower() == name.lower():
                raise ArmError(409, "RoleAssignmentUpdateNotPermitted", "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.")
            theirs = other.get("properties") or {}
            if (
                scope_of(other["id"], "roleAssignments").lower() == scope
                and theirs.get("principalId", "").lower() == properties["principalId"]
                and theirs.get("roleDefinitionId", "").lower() == properties["roleDefinitionId"].lower()
            ):
                raise ArmError(409, "RoleAssignmentExists", "The role assignment already exists.")

    def view(self, ctx, resource):
        answer = copy.deepcopy(resource)
        answer["properties"]["scope"] = scope_of(resource["id"], "roleAssignments")
        return answer

    def list_items(self, ctx, target, query):
        scope = "/" + "/".join(target.scope)
        flt = (query.get("$filter") or "").strip()
        at_or_above_only = False
        principal = None
        if flt:
            rest = flt
            if re.match(r"^atScope\(\)", rest, re.IGNORECASE):
                at_or_above_only = True
                rest = re.sub(r"^atScope\(\)\s*(and\s+)?", "", rest, flags=re.IGNORECASE)
            if rest:
                principal = quoted(rest, r"principalId\s+eq\s+'([^']*)'") or quoted(rest, r"assignedTo\('([^']*)'\)")
                if principal is None:
                    raise ArmError(400, "InvalidFilterInQueryString", f"The filter '{flt}' is not supported.")
        items = []
        for resource in ctx.of_type(self.type):
            theirs = scope_of(resource["id"], "roleAssignments")
            above_or_at = covers(theirs, scope)
            below = covers(scope, theirs)
            if not (above_or_at or (below and not at_or_above_only)):
                continue
            if principal is not None and resource["properties"].get("principalId", "").lower() != principal.lower():
                continue
            items.append(self.view(ctx, resource))
        return items


KINDS = [RoleDefinition, RoleAssignment]
