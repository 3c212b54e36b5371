#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: azure_rm_userassignedidentity
version_added: 0.1.0
short_description: Manage an Azure user-assigned managed identity
description:
  - Create, tag or delete one user-assigned managed identity (C(Microsoft.ManagedIdentity/userAssignedIdentities)),
    identified by O(name) and O(resource_group).
  - Azure makes the identity's principal (the service principal that role assignments name), its client id and its
    tenant id when the identity is created; they never change while it exists. Deleting an identity and creating it
    again under the same name gives a new principal, so its role assignments must be made again.
  - azure.azcollection has no module for user-assigned identities (and its requirements have no C(azure-mgmt-msi));
    this one uses the generic resource operations of C(azure-mgmt-resource) with api-version C(2023-01-31).
  - In check mode on a resource group that does not exist yet, the identity is reported as to be created (no
    principal, client or tenant id yet).
author:
  - strata.platform contributors (!UNKNOWN)
options:
  name:
    description:
      - The name of the identity (3 to 128 letters, digits, hyphens and underscores, starting with a letter or a digit).
    type: str
    required: true
  resource_group:
    description:
      - The resource group of the identity. It must exist to create the identity.
    type: str
    required: true
  location:
    description:
      - The Azure region of the identity, for example V(eastus).
      - Defaults to the location of O(resource_group) when the identity is created.
      - The location of an existing identity cannot change; a different value fails before any change.
    type: str
  tags:
    description:
      - Tags of the identity. V(null) (the default) leaves the tags as they are.
    type: dict
  purge_tags:
    description:
      - Remove the tags that O(tags) does not list. Only used when O(tags) is set.
    type: bool
    default: true
  state:
    description:
      - V(present) makes sure the identity exists as described; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - azure.azcollection.azure
attributes:
  check_mode:
    support: full
    description: Reports the change it would make and calls no mutating API.
  diff_mode:
    support: full
    description: Shows the name, location and tags before and after.
notes:
  - The caller needs C(Microsoft.ManagedIdentity/userAssignedIdentities/read), C(write) and C(delete) on the
    resource group (the built-in role C(Managed Identity Contributor)).
  - A new identity's principal can take a short while to reach every Microsoft Entra replica; a role assignment made
    right after may fail with C(PrincipalNotFound) and succeed when retried.
"""

EXAMPLES = r"""
- name: Ensure the application's workload identity
  strata.platform.azure_rm_userassignedidentity:
    name: fsm-dev-eastus-app
    resource_group: fsm-dev-eastus
    location: eastus
    tags:
      owner: strata.platform
      layer: iam
  register: app_identity

- name: Let it read the secrets of the resource group's Key Vault
  azure.azcollection.azure_rm_roleassignment:
    scope: /subscriptions/{{ subscription_id }}/resourceGroups/fsm-dev-eastus
    assignee_object_id: "{{ app_identity.principal_id }}"
    role_definition_id: /subscriptions/{{ subscription_id }}/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6

- name: Remove the identity
  strata.platform.azure_rm_userassignedidentity:
    name: fsm-dev-eastus-app
    resource_group: fsm-dev-eastus
    state: absent
"""

RETURN = r"""
id:
  description: The identity's resource id (predicted in check mode when it does not exist yet).
  returned: when O(state=present)
  type: str
  sample: /subscriptions/xxxx/resourceGroups/fsm-dev-eastus/providers/Microsoft.ManagedIdentity/userAssignedIdentities/fsm-dev-eastus-app
name:
  description: The identity's name.
  returned: always
  type: str
  sample: fsm-dev-eastus-app
resource_group:
  description: The identity's resource group.
  returned: always
  type: str
  sample: fsm-dev-eastus
location:
  description: The identity's Azure region.
  returned: when O(state=present)
  type: str
  sample: eastus
tags:
  description: The identity's tags.
  returned: when O(state=present)
  type: dict
  sample: {"owner": "strata.platform", "layer": "iam"}
principal_id:
  description:
    - The object id of the identity's service principal, the principal that role assignments name.
    - V(null) in check mode when the identity does not exist yet.
  returned: when O(state=present)
  type: str
  sample: 3f1d6c2a-0c4e-4f7b-9d55-0a1b2c3d4e5f
client_id:
  description:
    - The identity's application (client) id, used by workloads to request tokens as this identity.
    - V(null) in check mode when the identity does not exist yet.
  returned: when O(state=present)
  type: str
  sample: 8a7b6c5d-4e3f-2a1b-0c9d-8e7f6a5b4c3d
tenant_id:
  description:
    - The Microsoft Entra tenant of the identity. V(null) in check mode when the identity does not exist yet.
  returned: when O(state=present)
  type: str
  sample: 72f988bf-86f1-41af-91ab-2d7cd011db47
"""

from ansible_collections.azure.azcollection.plugins.module_utils.azure_rm_common import AzureRMModuleBase
from ansible_collections.strata.platform.plugins.module_utils._azure.resources import NAME_PATTERN
from ansible_collections.strata.platform.plugins.module_utils._azure.resources import AzureResourceError
from ansible_collections.strata.platform.plugins.module_utils._azure.resources import delete_resource
from ansible_collections.strata.platform.plugins.module_utils._azure.resources import get_resource
from ansible_collections.strata.platform.plugins.module_utils._azure.resources import merge_tags
from ansible_collections.strata.platform.plugins.module_utils._azure.resources import normalize_location
from ansible_collections.strata.platform.plugins.module_utils._azure.resources import put_resource
from ansible_collections.strata.platform.plugins.module_utils._azure.resources import resource_id

API_VERSION = "2023-01-31"
PROVIDER = "Microsoft.ManagedIdentity"
RESOURCE_TYPE = "userAssignedIdentities"

ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    resource_group=dict(type="str", required=True),
    location=dict(type="str"),
    tags=dict(type="dict"),
    purge_tags=dict(type="bool", default=True),
    state=dict(type="str", default="present", choices=["present", "absent"]),
)


def normalize(resource, resource_group):
    """The identity as the module returns it."""
    properties = resource.get("properties") or {}
    return {
        "id": resource.get("id"),
        "name": resource.get("name"),
        "resource_group": resource_group,
        "location": normalize_location(resource.get("location")),
        "tags": dict(resource.get("tags") or {}),
        "principal_id": properties.get("principalId"),
        "client_id": properties.get("clientId"),
        "tenant_id": properties.get("tenantId"),
    }


def diff_view(identity):
    """What --diff shows of an identity (ids that Azure makes are not part of the desired state)."""
    if not identity:
        return {}
    return {key: identity[key] for key in ("name", "location", "tags")}


def ensure_present(module, client, identity_id, existing):
    """``(changed, identity)``: create the identity or bring its tags in line."""
    params = module.module.params
    location = normalize_location(params["location"])
    if existing is None:
        if location is None:
            location = resource_group_location(module, params["resource_group"])
        _changed, tags = merge_tags({}, params["tags"], True)
        predicted = {
            "id": identity_id,
            "name": params["name"],
            "resource_group": params["resource_group"],
            "location": location,
            "tags": tags,
            "principal_id": None,
            "client_id": None,
            "tenant_id": None,
        }
        if module.check_mode:
            return True, predicted
        created = put_resource(client, identity_id, API_VERSION, location, tags, {}, verb="create")
        return True, normalize(created, params["resource_group"])

    if location is not None and location != existing["location"]:
        module.fail(
            f"The location of the identity {identity_id} cannot change ({existing['location']} -> {location}). "
            "Remove it (state=absent) and create it again; its principal changes, so grant its role assignments again."
        )
    changed, tags = merge_tags(existing["tags"], params["tags"], params["purge_tags"])
    if not changed:
        return False, existing
    if module.check_mode:
        return True, {**existing, "tags": tags}
    updated = put_resource(client, identity_id, API_VERSION, existing["location"], tags, {}, verb="update")
    return True, normalize(updated, params["resource_group"])


def ensure_absent(module, client, identity_id, existing):
    """``(changed, None)``: delete the identity when it exists."""
    if existing is None:
        return False, None
    if not module.check_mode:
        delete_resource(client, identity_id, API_VERSION)
    return True, None


def resource_group_location(module, resource_group):
    """The location of the resource group (the default location of a new identity); None in check mode when
    the resource group does not exist yet."""
    group = get_resource(module.rm_client, f"/subscriptions/{module.subscription_id}/resourceGroups/{resource_group}", "2022-09-01")
    if group is None:
        if module.check_mode:
            module.module.warn(f"The resource group {resource_group} does not exist yet; the identity's location is not known.")
            return None
        module.fail(f"Failed to create user-assigned identity {module.module.params['name']}: the resource group {resource_group} does not exist.")
    return normalize_location(group.get("location"))


class AzureRMUserAssignedIdentity(AzureRMModuleBase):
    def __init__(self):
        self.results = dict(changed=False)
        super().__init__(derived_arg_spec=ARGUMENT_SPEC, supports_check_mode=True, supports_tags=False)

    def exec_module(self, **kwargs):
        params = self.module.params
        if not NAME_PATTERN.match(params["name"]):
            self.fail(
                f"name={params['name']} is not a valid identity name: use 3 to 128 letters, digits, hyphens and "
                "underscores, starting with a letter or a digit."
            )
        identity_id = resource_id(self.subscription_id, params["resource_group"], PROVIDER, RESOURCE_TYPE, params["name"])
        client = self.rm_client
        try:
            found = get_resource(client, identity_id, API_VERSION)
            existing = normalize(found, params["resource_group"]) if found else None
            if params["state"] == "present":
                changed, identity = ensure_present(self, client, identity_id, existing)
            else:
                changed, identity = ensure_absent(self, client, identity_id, existing)
        except AzureResourceError as exc:
            self.fail(f"Failed to {exc.verb} user-assigned identity {exc.resource_id}: {exc}")
        result = {"changed": changed, "name": params["name"], "resource_group": params["resource_group"]}
        if identity:
            result.update(identity)
        if self.module._diff:
            result["diff"] = {"before": diff_view(existing), "after": diff_view(identity)}
        return result


def main():
    AzureRMUserAssignedIdentity()


if __name__ == "__main__":
    main()
