"""Microsoft.ManagedIdentity: user-assigned managed identities.

Like ARM (api-version 2023-01-31):

* a create answers 201, an update 200; the identity is ready at once (no long-running create, no
  ``provisioningState``);
* ``properties.tenantId`` / ``principalId`` / ``clientId`` are made by the server on create and never
  change afterwards: values sent by the client are ignored (they are read-only), an update (PUT or PATCH,
  e.g. new tags) keeps them;
* a DELETE answers 200 (204 when the identity does not exist); role assignments that name the identity's
  principal stay (ARM shows them with an unknown principal).
"""

import copy
import uuid

from testcloud.azure_arm import TENANT_ID
from testcloud.azure_kinds import Kind

SERVER_FIELDS = ("tenantId", "principalId", "clientId")


class UserAssignedIdentity(Kind):
    type = "microsoft.managedidentity/userassignedidentities"
    display_type = "Microsoft.ManagedIdentity/userAssignedIdentities"
    has_provisioning_state = False
    async_create = False
    status_create = 201
    status_update = 200
    status_delete = 200

    def prepare(self, ctx, body, existing):
        properties = {k: copy.deepcopy(v) for k, v in (body.get("properties") or {}).items() if k not in SERVER_FIELDS}
        if existing:
            kept = existing.get("properties") or {}
            properties.update({field: kept[field] for field in SERVER_FIELDS if field in kept})
        else:
            properties.update(tenantId=TENANT_ID, principalId=str(uuid.uuid4()), clientId=str(uuid.uuid4()))
        return properties


def principals(ctx):
    """``{principalId: identity resource}`` of every user-assigned identity in the double."""
    return {
        (resource.get("properties") or {}).get("principalId", "").lower(): resource
        for resource in ctx.of_type(UserAssignedIdentity.type)
    }


KINDS = [UserAssignedIdentity]
