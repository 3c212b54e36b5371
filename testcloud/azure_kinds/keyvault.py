"""Microsoft.KeyVault: vaults, deleted (soft-deleted) vaults and vault name availability.

What ARM does and azure.azcollection (``azure_rm_keyvault`` / ``_info``, azure-mgmt-keyvault 14, API
2026-02-01) depends on:

* ``vaults``: names are global (3-24 characters, letters, digits and hyphens, starting with a letter, ending
  with a letter or digit, no ``--``; else 400 ``VaultNameNotValid``); a name held by a vault in another
  resource group is 409 ``VaultAlreadyExists``; a name held by a soft-deleted vault is 409 ``ConflictError``
  ("A vault with the same name already exists in deleted state. ...") unless the PUT says
  ``createMode: recover``, which brings the deleted vault back (its keys and secrets too) in its original
  resource group and location. ARM fills in ``vaultUri`` (the double's data plane,
  :mod:`testcloud.azure_keyvault_data`: ``https://127.0.0.1:<vault port>/``), ``accessPolicies`` ``[]``,
  ``enabledFor*`` false, ``enableSoftDelete`` true and ``softDeleteRetentionInDays`` 90 when unset,
  ``enableRbacAuthorization`` true when unset (the default of API 2026-02-01), ``publicNetworkAccess``
  ``Enabled``; ``networkAcls`` as sent, with ARM's defaults (bypass ``AzureServices``, default action
  ``Allow``, ``/32`` added to a single address, ``ignoreMissingVnetServiceEndpoint`` false);
  ``enablePurgeProtection`` is answered only once it is on. ``createMode`` is write-only.
  Refused with 400 ``BadRequest`` like ARM: ``enablePurgeProtection: false`` (also on create: "The property
  "enablePurgeProtection" cannot be set to false. Enabling the purge protection for a vault is an
  irreversible action."), ``enableSoftDelete: false`` (soft delete cannot be turned off), a retention
  outside 7-90 days or different from the vault's (it is fixed at creation), a missing ``tenantId`` or
  ``sku``; a PUT in another location is 400 ``InvalidResourceLocation``. Creates answer 200 (the SDK
  accepts 200/201), ``RegisteringDns`` while a creation time runs.
* DELETE of a vault (200) soft-deletes it: it moves to
  ``/subscriptions/{s}/providers/Microsoft.KeyVault/locations/{location}/deletedVaults/{name}``
  (``vaultId``, ``location``, ``deletionDate``, ``scheduledPurgeDate`` = deletion + retention, ``tags``,
  ``purgeProtectionEnabled``), listed at ``.../providers/Microsoft.KeyVault/deletedVaults``; role assignments
  at the vault's scope are deleted with it (Azure does not restore them on recovery either).
  ``POST .../deletedVaults/{name}/purge`` removes it for good (keys and secrets too); with purge protection it
  is refused: 405 ``MethodNotAllowed`` "Operation 'DeletedVaultPurge' is not allowed.".
* ``POST /subscriptions/{s}/providers/Microsoft.KeyVault/checkNameAvailability`` (a read): ``nameAvailable``
  false with reason ``AccountNameInvalid`` or ``AlreadyExists`` (an active or soft-deleted vault anywhere).

Not modelled: deleting a resource group soft-deletes its vaults in Azure; the engine's resource-group delete
removes them outright. Network ACLs and RBAC are stored, not enforced. The status and code of a recover
without a deleted vault (``SoftDeletedVaultDoesNotExist``) and of a recover into another resource group are
not documented by Azure; the double answers 400.
"""

import copy
import re
from datetime import datetime, timedelta, timezone

from testcloud.azure_kinds import ArmError, Kind

VAULT_TYPE = "microsoft.keyvault/vaults"
DELETED_TYPE = "microsoft.keyvault/locations/deletedvaults"
VAULT_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$")
RECOVER = "__createMode_recover"  # marker kept in the properties between prepare and after_put
HIDDEN = "_vault"  # the soft-deleted vault's full body, kept in its deletedVaults record


def bad_request(message, code="BadRequest"):
    return ArmError(400, code, message)


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def name_problem(name):
    """Why ``name`` is not a valid vault name, or None."""
    if VAULT_NAME.match(name or "") and "--" not in name:
        return None
    return (f"The vault name '{name}' is invalid. A vault's name must be between 3-24 alphanumeric characters. "
            "The name must begin with a letter, end with a letter or digit, and not contain consecutive hyphens.")


def data_plane(ctx):
    """The double's Key Vault data plane (None when the engine runs without the HTTPS server)."""
    return getattr(ctx, "keyvault_data", None)


def split_id(vault_id):
    """``(subscription, resource group, name)`` of a vault id."""
    parts = [p for p in vault_id.split("/") if p]
    return parts[1], parts[3], parts[-1]


def deleted_path(subscription, location, name):
    location = (location or "").replace(" ", "").lower()
    return f"/subscriptions/{subscription}/providers/Microsoft.KeyVault/locations/{location}/deletedVaults/{name}"


def find_deleted(ctx, name):
    for record in ctx.of_type(DELETED_TYPE):
        if record["name"].lower() == name.lower():
            return record
    return None


def find_active(ctx, name):
    for vault in ctx.of_type(VAULT_TYPE):
        if vault["name"].lower() == name.lower():
            return vault
    return None


def normalize_acls(acls):
    if acls is None:
        return None
    bypass = acls.get("bypass") or "AzureServices"
    action = acls.get("defaultAction") or "Allow"
    if bypass not in ("AzureServices", "None"):
        raise bad_request(f"networkAcls.bypass '{bypass}' is not one of AzureServices, None.")
    if action not in ("Allow", "Deny"):
        raise bad_request(f"networkAcls.defaultAction '{action}' is not one of Allow, Deny.")
    ip_rules = []
    for rule in acls.get("ipRules") or []:
        value = (rule or {}).get("value") or ""
        ip_rules.append({"value": value if "/" in value else f"{value}/32"})
    vnet_rules = []
    for rule in acls.get("virtualNetworkRules") or []:
        if not (rule or {}).get("id"):
            raise bad_request("networkAcls.virtualNetworkRules[].id is required.")
        vnet_rules.append({"id": rule["id"], "ignoreMissingVnetServiceEndpoint": bool(rule.get("ignoreMissingVnetServiceEndpoint"))})
    return {"bypass": bypass, "defaultAction": action, "ipRules": ip_rules, "virtualNetworkRules": vnet_rules}


def vault_properties(props, existing):
    """The stored properties of a vault PUT ``props`` over ``existing`` (its stored properties or None)."""
    old = existing or {}
    out = {}
    tenant = props.get("tenantId") or None
    sku = props.get("sku") or None
    if tenant is None:
        raise bad_request("The property 'tenantId' is required.")
    if sku is None or (sku.get("name") or "").lower() not in ("standard", "premium"):
        raise bad_request("The property 'sku' is required: {'family': 'A', 'name': 'standard' or 'premium'}.")
    out["tenantId"] = tenant
    out["sku"] = {"family": sku.get("family") or "A", "name": sku["name"].lower()}
    policies = props.get("accessPolicies")
    out["accessPolicies"] = copy.deepcopy(policies if policies is not None else old.get("accessPolicies", []))
    for flag in ("enabledForDeployment", "enabledForDiskEncryption", "enabledForTemplateDeployment"):
        value = props.get(flag)
        out[flag] = bool(value) if value is not None else bool(old.get(flag, False))
    if props.get("enableSoftDelete") is False:
        raise bad_request('The property "enableSoftDelete" cannot be set to false. Soft delete is on for every vault '
                          "and cannot be turned off.")
    out["enableSoftDelete"] = True
    retention = props.get("softDeleteRetentionInDays")
    if retention is not None:
        if not isinstance(retention, int) or not 7 <= retention <= 90:
            raise bad_request(f"softDeleteRetentionInDays must be between 7 and 90 days; got {retention}.")
        if existing is not None and retention != old.get("softDeleteRetentionInDays", 90):
            raise bad_request(f"softDeleteRetentionInDays cannot be changed once the vault is created (it is "
                              f"{old.get('softDeleteRetentionInDays', 90)}; asked {retention}).")
    out["softDeleteRetentionInDays"] = retention if retention is not None else old.get("softDeleteRetentionInDays", 90)
    purge = props.get("enablePurgeProtection")
    if purge is False:
        raise bad_request('The property "enablePurgeProtection" cannot be set to false. Enabling the purge protection '
                          "for a vault is an irreversible action.")
    if purge or old.get("enablePurgeProtection"):
        out["enablePurgeProtection"] = True
    rbac = props.get("enableRbacAuthorization")
    out["enableRbacAuthorization"] = bool(rbac) if rbac is not None else bool(old.get("enableRbacAuthorization", True))
    access = props.get("publicNetworkAccess")
    if access is not None and access.lower() not in ("enabled", "disabled"):
        raise bad_request(f"publicNetworkAccess '{access}' is not one of Enabled, Disabled.")
    out["publicNetworkAccess"] = access.capitalize() if access else old.get("publicNetworkAccess", "Enabled")
    acls = normalize_acls(props["networkAcls"]) if props.get("networkAcls") is not None else copy.deepcopy(old.get("networkAcls"))
    if acls is not None:
        out["networkAcls"] = acls
    if old.get("vaultUri"):
        out["vaultUri"] = old["vaultUri"]
    return out


class Vault(Kind):
    """A key vault (see the module docstring)."""

    type = VAULT_TYPE
    display_type = "Microsoft.KeyVault/vaults"
    status_create = 200
    status_update = 200
    status_delete = 200
    provisioning = "RegisteringDns"

    def prepare(self, ctx, body, existing):
        props = copy.deepcopy(body.get("properties") or {})
        mode = (props.pop("createMode", None) or "default").lower()
        if mode not in ("default", "recover"):
            raise bad_request(f"createMode '{mode}' is not one of default, recover.")
        for read_only in ("vaultUri", "hsmPoolResourceId", "privateEndpointConnections", "provisioningState"):
            props.pop(read_only, None)
        if existing is not None:
            if body.get("location") and body["location"].replace(" ", "").lower() != existing["location"].replace(" ", "").lower():
                raise ArmError(400, "InvalidResourceLocation",
                               f"The resource '{existing['name']}' already exists in location '{existing['location']}' "
                               f"in resource group '{split_id(existing['id'])[1]}'. A resource with the same name cannot "
                               f"be created in location '{body['location']}'. Please select a new resource name.")
            return vault_properties(props, existing.get("properties"))
        if mode == "recover":
            return {RECOVER: props}
        return vault_properties(props, None)

    def after_put(self, ctx, resource, existing):
        if existing is not None:
            return
        name = resource["name"]
        try:
            problem = name_problem(name)
            if problem:
                raise bad_request(problem, code="VaultNameNotValid")
            other = [v for v in ctx.of_type(VAULT_TYPE) if v["name"].lower() == name.lower() and v is not resource]
            if other:
                raise ArmError(409, "VaultAlreadyExists",
                               f"The vault name '{name}' is already in use. Vault names are globally unique so it is "
                               "possible that the name is already taken. If you are sure that the vault name was not "
                               "taken then it is possible that a vault with the same name was recently deleted but not "
                               "purged after being placed in a recoverable state. If the vault is in a recoverable state "
                               "then the vault will need to be purged before reusing the name. For more information on "
                               "soft delete and purging a vault follow this link https://go.microsoft.com/fwlink/?linkid=2147740.")
            deleted = find_deleted(ctx, name)
            recover = resource["properties"].pop(RECOVER, None)
            if recover is None:
                if deleted is not None:
                    raise ArmError(409, "ConflictError",
                                   "A vault with the same name already exists in deleted state. You need to either recover "
                                   "or purge existing key vault. Follow this link https://go.microsoft.com/fwlink/?linkid=2149745 "
                                   "for more information on soft delete.")
                plane = data_plane(ctx)
                if plane is not None:
                    plane.forget(name)  # a new vault under a purged name starts empty
            else:
                self.recover(ctx, resource, recover, deleted)
            provisioning = resource["properties"].get("provisioningState", "Succeeded")
            resource["properties"]["vaultUri"] = self.vault_uri(ctx, name)
            resource["properties"]["provisioningState"] = provisioning
        except ArmError:
            ctx.delete_tree(resource["id"])
            raise

    @staticmethod
    def recover(ctx, resource, props, deleted):
        location = resource.get("location", "").replace(" ", "").lower()
        if deleted is None or deleted["properties"]["location"] != location:
            raise bad_request(f"A soft deleted vault with the name '{resource['name']}' does not exist in location "
                              f"'{location}'; there is nothing to recover.", code="SoftDeletedVaultDoesNotExist")
        original = deleted[HIDDEN]
        if original["id"].lower() != resource["id"].lower():
            raise bad_request(f"The soft deleted vault '{resource['name']}' can only be recovered as {original['id']}.")
        base = copy.deepcopy(original["properties"])
        merged = {**base, **props}
        state = resource["properties"].get("provisioningState", "Succeeded")
        resource["properties"] = vault_properties(merged, base)
        resource["properties"]["provisioningState"] = state
        if "tags" not in resource and original.get("tags") is not None:
            resource["tags"] = copy.deepcopy(original["tags"])
        ctx.delete_tree(deleted["id"])

    @staticmethod
    def vault_uri(ctx, name):
        plane = data_plane(ctx)
        return plane.vault_uri(name) if plane is not None else f"https://{name.lower()}.vault.azure.net/"

    def on_delete(self, ctx, resource):
        subscription, _group, name = split_id(resource["id"])
        props = resource.get("properties") or {}
        now = datetime.now(timezone.utc)
        location = resource.get("location", "").replace(" ", "").lower()
        path = deleted_path(subscription, location, name)
        record = {
            "id": path,
            "name": name,
            "type": "Microsoft.KeyVault/deletedVaults",
            "properties": {
                "vaultId": resource["id"],
                "location": location,
                "deletionDate": iso(now),
                "scheduledPurgeDate": iso(now + timedelta(days=int(props.get("softDeleteRetentionInDays") or 90))),
                "tags": copy.deepcopy(resource.get("tags") or {}),
                "purgeProtectionEnabled": bool(props.get("enablePurgeProtection")),
            },
            HIDDEN: copy.deepcopy(resource),
        }
        ctx.put_raw(path, DELETED_TYPE, path.rsplit("/deletedVaults/", 1)[0], record)


def purge(ctx, record, body):
    """``POST .../deletedVaults/{name}/purge``."""
    if record["properties"].get("purgeProtectionEnabled"):
        raise ArmError(405, "MethodNotAllowed", "Operation 'DeletedVaultPurge' is not allowed.")
    ctx.delete_tree(record["id"])
    plane = data_plane(ctx)
    if plane is not None:
        plane.forget(record["name"])
    return None


def deleted_view(ctx, record):
    return copy.deepcopy({key: value for key, value in record.items() if key != HIDDEN})


class DeletedVault(Kind):
    """``/subscriptions/{s}/providers/Microsoft.KeyVault/locations/{location}/deletedVaults/{name}``: read and
    purge only (made by a vault's DELETE)."""

    type = DELETED_TYPE
    display_type = "Microsoft.KeyVault/deletedVaults"
    has_provisioning_state = False
    location_required = False
    actions = {"purge": purge}

    def prepare(self, ctx, body, existing):
        raise ArmError(405, "MethodNotAllowed", "A deleted vault is made by deleting a vault; it cannot be written.")

    def on_delete(self, ctx, resource):
        raise ArmError(405, "MethodNotAllowed", "Use POST .../deletedVaults/{name}/purge to remove a deleted vault.")

    def view(self, ctx, resource):
        return deleted_view(ctx, resource)


class DeletedVaults(Kind):
    """``GET /subscriptions/{s}/providers/Microsoft.KeyVault/deletedVaults``: every soft-deleted vault; also the
    kind of the records' own type (``Microsoft.KeyVault/deletedVaults``) for their views."""

    type = "microsoft.keyvault/deletedvaults"
    display_type = "Microsoft.KeyVault/deletedVaults"
    has_provisioning_state = False
    location_required = False

    def list_items(self, ctx, target, query):
        return [deleted_view(ctx, record) for record in ctx.of_type(DELETED_TYPE)]

    def view(self, ctx, resource):
        return deleted_view(ctx, resource)


def check_name_availability(ctx, resource, body):
    """``POST .../providers/Microsoft.KeyVault/checkNameAvailability`` ``{"name", "type"}``."""
    name = (body or {}).get("name") or ""
    kind = (body or {}).get("type") or ""
    if kind.lower() != "microsoft.keyvault/vaults":
        raise bad_request(f"The type '{kind}' is not supported; the name availability check is for Microsoft.KeyVault/vaults.")
    problem = name_problem(name)
    if problem:
        return {"nameAvailable": False, "reason": "AccountNameInvalid", "message": problem}
    if find_active(ctx, name) is not None or find_deleted(ctx, name) is not None:
        return {"nameAvailable": False, "reason": "AlreadyExists",
                "message": f"The vault name '{name}' is already in use. Vault names are globally unique so it is possible "
                           "that the name is already taken. If you are sure that the vault name was not taken then it is "
                           "possible that a vault with the same name was recently deleted but not purged after being "
                           "placed in a recoverable state."}
    return {"nameAvailable": True}


class CheckNameAvailability(Kind):
    """The subscription-level name check (a read-only POST action)."""

    type = "microsoft.keyvault/checknameavailability"
    actions = {"checkNameAvailability": check_name_availability}


KINDS = [Vault, DeletedVault, DeletedVaults, CheckNameAvailability]
