"""Microsoft.Cache: Azure Cache for Redis (``Microsoft.Cache/redis``, API 2024-03-01).

What ARM does and the azure.azcollection Redis modules rely on (REST reference and the
azure-rest-api-specs examples ``RedisCacheCreate.json``, ``RedisCacheGet.json``, ``RedisCacheUpdate.json``):

* the type reads ``Microsoft.Cache/Redis``; ``location`` is answered as the region's display name
  (``eastus`` -> ``East US``);
* server fields: ``hostName`` ``<name>.redis.cache.windows.net``, ``port`` 6379, ``sslPort`` 6380,
  ``redisVersion`` in full (``"6"`` asked -> ``6.0.20``; a lower major than the cache's is refused),
  ``instances`` (primary, replicas per primary, shards), ``replicasPerMaster`` / ``replicasPerPrimary``
  (1 on Standard and Premium), ``redisConfiguration`` with the server defaults (``maxclients``,
  ``maxmemory-reserved``, ``maxfragmentationmemory-reserved``, ``maxmemory-delta``) under what was set,
  ``updateChannel``, ``publicNetworkAccess`` (default Enabled), ``minimumTlsVersion`` (default 1.2),
  ``enableNonSslPort`` (default false);
* ``provisioningState`` ``Creating`` while a creation with a creation time runs, then ``Succeeded``;
* access keys: generated at creation, answered by ``POST .../listKeys`` (a read) and
  ``POST .../regenerateKey``; the answer to a create or update carries ``accessKeys`` like ARM's (the
  spec: "not set if this object is not the response to Create or Update"), a GET or a list never does,
  and keys sent by a client are never stored;
* SKUs: Basic/Standard are family C (capacity 0-6), Premium family P (1-5); zones, shards and more than
  one replica only on Premium; a tier goes up one step at a time (Basic -> Standard -> Premium), never
  down, and a larger cache never scales down to C0;
* status codes the SDK operations accept: create 201 (200 for a PUT on an existing cache), update (PATCH)
  200, delete 202 with an operation, get/listKeys 200.
"""

import base64
import copy
import os
import re

from testcloud.azure_kinds import ArmError, Kind

TYPE = "microsoft.cache/redis"

# The region display names ARM answers in ``location`` for these providers (others: as sent).
LOCATION_NAMES = {
    "eastus": "East US",
    "eastus2": "East US 2",
    "westus": "West US",
    "westus2": "West US 2",
    "westus3": "West US 3",
    "centralus": "Central US",
    "northcentralus": "North Central US",
    "southcentralus": "South Central US",
    "westcentralus": "West Central US",
    "canadacentral": "Canada Central",
    "canadaeast": "Canada East",
    "brazilsouth": "Brazil South",
    "northeurope": "North Europe",
    "westeurope": "West Europe",
    "uksouth": "UK South",
    "ukwest": "UK West",
    "francecentral": "France Central",
    "germanywestcentral": "Germany West Central",
    "switzerlandnorth": "Switzerland North",
    "norwayeast": "Norway East",
    "swedencentral": "Sweden Central",
    "polandcentral": "Poland Central",
    "italynorth": "Italy North",
    "spaincentral": "Spain Central",
    "eastasia": "East Asia",
    "southeastasia": "Southeast Asia",
    "japaneast": "Japan East",
    "japanwest": "Japan West",
    "koreacentral": "Korea Central",
    "centralindia": "Central India",
    "southindia": "South India",
    "australiaeast": "Australia East",
    "australiasoutheast": "Australia Southeast",
    "uaenorth": "UAE North",
    "southafricanorth": "South Africa North",
}


def display_location(location):
    """``eastus`` -> ``East US`` (a display name or an unknown region: unchanged)."""
    if not isinstance(location, str):
        return location
    return LOCATION_NAMES.get(location.replace(" ", "").lower(), location)


# Full versions ARM reports for a requested major (Azure Cache for Redis offers 4 and 6; "latest" is 6).
REDIS_VERSIONS = {"4": "4.0.14", "6": "6.0.20"}
FAMILIES = {"basic": ("C", range(0, 7)), "standard": ("C", range(0, 7)), "premium": ("P", range(1, 6))}
TIERS = ["basic", "standard", "premium"]
# Memory in MB by family+capacity (maxclients and maxmemory-reserved defaults follow from it).
MEMORY_MB = {"C0": 250, "C1": 1024, "C2": 2560, "C3": 6144, "C4": 13312, "C5": 26624, "C6": 54272,
             "P1": 6144, "P2": 13312, "P3": 26624, "P4": 54272, "P5": 122880}
MAX_CLIENTS = {"C0": 256, "C1": 1000, "C2": 2000, "C3": 5000, "C4": 10000, "C5": 15000, "C6": 20000,
               "P1": 7500, "P2": 15000, "P3": 30000, "P4": 40000, "P5": 40000}
MAXMEMORY_POLICIES = {"volatile-lru", "allkeys-lru", "volatile-lfu", "allkeys-lfu", "volatile-random",
                      "allkeys-random", "volatile-ttl", "noeviction"}
NAME_RULE = re.compile(r"^(?!.*--)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def bad_request(message):
    return ArmError(400, "BadRequest", message)


def new_key():
    """A 44-character base64 access key like Azure's."""
    return base64.b64encode(os.urandom(32)).decode()


def full_version(asked, existing_version):
    """The full Redis version for ``asked`` (``6``, ``6.0``, ``latest``); a downgrade is refused."""
    asked = str(asked or "latest").strip().lower()
    major = "6" if asked == "latest" else asked.split(".", maxsplit=1)[0]
    if major not in REDIS_VERSIONS or not re.match(rf"^(latest|{major}(\.0(\.[0-9]+)?)?)$", asked):
        raise bad_request(f"The redisVersion '{asked}' is not supported; use 'major[.minor]' (4, 6) or 'latest'.")
    if existing_version:
        current = existing_version.split(".", maxsplit=1)[0]
        if int(major) < int(current):
            raise bad_request(f"Redis version downgrade from {existing_version} to {asked} is not supported.")
        if major == current:
            return existing_version
    return REDIS_VERSIONS[major]


def check_sku(sku, existing_sku):
    """``{name, family, capacity}`` as ARM stores it, or a 400 for an invalid SKU or scaling."""
    if not isinstance(sku, dict) or not sku.get("name"):
        raise bad_request("The sku (name, family, capacity) of the cache is required.")
    tier = str(sku["name"]).lower()
    if tier not in FAMILIES:
        raise bad_request(f"The sku name '{sku['name']}' is not valid; use Basic, Standard or Premium.")
    family, capacities = FAMILIES[tier]
    try:
        capacity = int(sku.get("capacity"))
    except (TypeError, ValueError):
        raise bad_request("The sku capacity must be a number.") from None
    if str(sku.get("family") or "").upper() != family or capacity not in capacities:
        raise bad_request(
            f"The sku {sku['name']} {sku.get('family')}{sku.get('capacity')} is not valid: {tier.title()} uses family "
            f"{family} with capacity {capacities.start}-{capacities.stop - 1}."
        )
    if existing_sku:
        before = TIERS.index(existing_sku["name"].lower())
        after = TIERS.index(tier)
        if after < before:
            raise bad_request(f"Scaling down from {existing_sku['name']} to {tier.title()} is not supported.")
        if after - before > 1:
            raise bad_request(f"Scaling from {existing_sku['name']} to {tier.title()} needs an intermediate scale to Standard.")
        if capacity == 0 and existing_sku["capacity"] > 0 and tier == existing_sku["name"].lower():
            raise bad_request("Scaling down to the C0 size is not supported.")
    return {"name": tier.title(), "family": family, "capacity": capacity}


class Redis(Kind):
    """``Microsoft.Cache/redis`` (see the module docstring)."""

    type = TYPE
    display_type = "Microsoft.Cache/Redis"
    status_create = 201
    status_update = 200
    status_delete = 202
    provisioning = "Creating"

    def __init__(self):
        self.keys = {}  # lower-case id -> {"primaryKey", "secondaryKey"}: never in a resource body
        self.answer_keys_for = None  # the id whose create/update answer carries the keys

    @property
    def actions(self):
        return {"listKeys": self.list_keys, "regenerateKey": self.regenerate_key}

    def prepare(self, ctx, body, existing):
        properties = copy.deepcopy(body.get("properties") or {})
        properties.pop("accessKeys", None)  # server-made: a client cannot set (or store) keys
        old = (existing or {}).get("properties") or {}
        sku = check_sku(properties.get("sku"), old.get("sku"))
        tier = sku["name"].lower()
        zones = body.get("zones")
        if zones and tier != "premium":
            raise bad_request("Availability zones are supported only for Premium caches.")
        replicas = properties.get("replicasPerPrimary", properties.get("replicasPerMaster"))
        if replicas is not None and tier != "premium" and int(replicas) != (0 if tier == "basic" else 1):
            raise bad_request("replicasPerPrimary can be set only for Premium caches.")
        if properties.get("shardCount") and tier != "premium":
            raise bad_request("shardCount (clustering) is supported only for Premium caches.")
        if properties.get("subnetId") and tier != "premium":
            raise bad_request("Virtual network injection (subnetId) is supported only for Premium caches.")
        tls = properties.get("minimumTlsVersion") or old.get("minimumTlsVersion") or "1.2"
        if tls not in ("1.0", "1.1", "1.2"):
            raise bad_request(f"The minimumTlsVersion '{tls}' is not valid; use 1.0, 1.1 or 1.2.")
        access = properties.get("publicNetworkAccess") or old.get("publicNetworkAccess") or "Enabled"
        if access not in ("Enabled", "Disabled"):
            raise bad_request(f"The publicNetworkAccess '{access}' is not valid; use Enabled or Disabled.")
        size = f"{sku['family']}{sku['capacity']}"
        configuration = {
            "maxclients": str(MAX_CLIENTS[size]),
            "maxmemory-reserved": str(MEMORY_MB[size] // 10),
            "maxfragmentationmemory-reserved": str(MEMORY_MB[size] // 10),
            "maxmemory-delta": str(MEMORY_MB[size] // 10),
        }
        configuration.update(old.get("redisConfiguration") or {})
        configuration.update({k: str(v) for k, v in (properties.get("redisConfiguration") or {}).items() if v is not None})
        policy = configuration.get("maxmemory-policy")
        if policy is not None and policy not in MAXMEMORY_POLICIES:
            raise bad_request(f"The maxmemory-policy '{policy}' is not valid.")
        replicas = 0 if tier == "basic" else int(replicas if replicas is not None else old.get("replicasPerPrimary", 1))
        shards = int(properties.get("shardCount") or old.get("shardCount") or 0)
        stored = {
            "sku": sku,
            "redisVersion": full_version(properties.get("redisVersion"), old.get("redisVersion")),
            "enableNonSslPort": bool(properties.get("enableNonSslPort", old.get("enableNonSslPort", False))),
            "minimumTlsVersion": tls,
            "publicNetworkAccess": access,
            "redisConfiguration": configuration,
            "updateChannel": properties.get("updateChannel") or old.get("updateChannel") or "Stable",
            "disableAccessKeyAuthentication": bool(properties.get("disableAccessKeyAuthentication",
                                                                  old.get("disableAccessKeyAuthentication", False))),
            "port": 6379,
            "sslPort": 6380,
            "linkedServers": [],
            "privateEndpointConnections": old.get("privateEndpointConnections", []),
        }
        if tier != "basic":
            stored["replicasPerMaster"] = stored["replicasPerPrimary"] = replicas
        for key in ("tenantSettings", "subnetId", "staticIP"):
            if properties.get(key) or old.get(key):
                stored[key] = properties.get(key) or old.get(key)
        if shards:
            stored["shardCount"] = shards
        stored["instances"] = [
            {"sslPort": 15000 + index, "nonSslPort": 13000 + index, "isMaster": replica == 0, "isPrimary": replica == 0,
             **({"shardId": shard} if shards else {}), **({"zone": zones[index % len(zones)]} if zones else {})}
            for index, (shard, replica) in enumerate((s, r) for s in range(max(shards, 1)) for r in range(1 + replicas))
        ]
        return stored

    def after_put(self, ctx, resource, existing):
        resource["properties"]["hostName"] = f"{resource['name'].lower()}.redis.cache.windows.net"
        key = resource["id"].lower()
        if existing is None or key not in self.keys:
            self.keys[key] = {"primaryKey": new_key(), "secondaryKey": new_key()}
        self.answer_keys_for = key

    def view(self, ctx, resource):
        answer = copy.deepcopy(resource)
        answer["location"] = display_location(answer.get("location"))
        if self.answer_keys_for == resource["id"].lower():  # the answer to this create/update only
            answer["properties"]["accessKeys"] = dict(self.keys[self.answer_keys_for])
        self.answer_keys_for = None
        return answer

    def on_delete(self, ctx, resource):
        self.keys.pop(resource["id"].lower(), None)

    def list_keys(self, ctx, resource, body):
        return dict(self.keys[resource["id"].lower()])

    def regenerate_key(self, ctx, resource, body):
        key_type = str((body or {}).get("keyType") or "")
        field = {"primary": "primaryKey", "secondary": "secondaryKey"}.get(key_type.lower())
        if field is None:
            raise bad_request(f"The keyType '{key_type}' is not valid; use Primary or Secondary.")
        self.keys[resource["id"].lower()][field] = new_key()
        return dict(self.keys[resource["id"].lower()])


KINDS = [Redis]
