"""Microsoft.KeyVault/vaults/keys: ARM's Keys operations (Keys - List, Keys - Get) over the vault's data-plane keys,
and Keys - Create If Not Exist (PUT), whose keys ARM lists beside the data plane's."""

import copy
import uuid

from testcloud.azure_kinds import ArmError, Kind


class VaultKeys(Kind):
    """``GET {vault}/keys`` and ``GET {vault}/keys/{name}`` answer the keys the data plane holds (latest version, not
    deleted) as ARM resources, like ARM: ``properties.keyUri`` (version-less), ``keyUriWithVersion``, ``kty``,
    ``keyOps``, ``attributes``; tags from the key."""

    type = "microsoft.keyvault/vaults/keys"
    display_type = "Microsoft.KeyVault/vaults/keys"
    location_required = False

    @staticmethod
    def _entries(ctx, vault):
        store = ctx.keyvault_data.stores.get(vault["name"].lower())
        entries = store.collections["keys"].values() if store else []
        return [entry for entry in entries if entry["deleted"] is None and entry["versions"]]

    def _resource(self, vault, entry):
        record = entry["versions"][-1]
        uri = vault["properties"]["vaultUri"]
        attributes = {"enabled": record.get("enabled", True), "created": record.get("created"),
                      "updated": record.get("updated"), "exportable": False}
        return {
            "id": f"{vault['id']}/keys/{entry['name']}",
            "name": entry["name"],
            "type": self.display_type,
            "location": vault.get("location"),
            "tags": copy.deepcopy(record.get("tags") or {}),
            "properties": {"kty": record["kty"], "keyOps": list(record["key_ops"]), "attributes": attributes,
                           "keyUri": f"{uri}keys/{entry['name']}",
                           "keyUriWithVersion": f"{uri}keys/{entry['name']}/{record['version']}"},
        }

    def _vault(self, ctx, target):
        vault = ctx.get(target.parent_path())
        if vault is None:
            raise ArmError(404, "ResourceNotFound", f"The Resource '{target.parent_path()}' was not found.")
        return vault

    def list_items(self, ctx, target, query):
        vault = self._vault(ctx, target)
        found = [self._resource(vault, entry) for entry in self._entries(ctx, vault)]
        names = {item["name"].lower() for item in found}
        created_by_arm = [ctx.view(key) for key in ctx.children(vault["id"], self.type) if key["name"].lower() not in names]
        return found + created_by_arm

    def after_put(self, ctx, resource, existing):
        """Keys - Create If Not Exist: the key's URIs, as ARM answers them (a version made once)."""
        vault = ctx.get(resource["id"].rsplit("/keys/", 1)[0])
        uri = vault["properties"]["vaultUri"]
        properties = resource["properties"]
        version = (existing or {}).get("properties", {}).get("keyUriWithVersion", "").rsplit("/", 1)[-1] or uuid.uuid4().hex
        properties["keyUri"] = f"{uri}keys/{resource['name']}"
        properties["keyUriWithVersion"] = f"{uri}keys/{resource['name']}/{version}"

    def synthetic(self, ctx, target):
        vault = self._vault(ctx, target)
        for entry in self._entries(ctx, vault):
            if entry["name"].lower() == target.names[-1].lower():
                return self._resource(vault, entry)
        return None


KINDS = [VaultKeys]
