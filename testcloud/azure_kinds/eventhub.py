"""Microsoft.EventHub: Event Hubs namespaces and their event hubs (API 2024-01-01).

What ARM does (REST reference, azure-rest-api-specs examples ``EHNameSpaceCreate.json``,
``EHEventHubCreate.json``, Azure's Event Hubs quotas) and the roles rely on:

* namespaces (``Microsoft.EventHub/Namespaces``): ``location`` answered as the region's display name;
  server fields ``serviceBusEndpoint`` ``https://<name>.servicebus.windows.net:443/`` (the Kafka endpoint
  is ``<name>.servicebus.windows.net:9093``), ``metricId``, ``createdAt`` / ``updatedAt``,
  ``kafkaEnabled`` (true for Standard and Premium, false for Basic, whatever a client sends), ``status``
  (``Activating`` while a creation with a creation time runs, then ``Active``) and ``provisioningState``
  (``Created`` while activating, then ``Succeeded``); defaults ``minimumTlsVersion`` 1.2,
  ``publicNetworkAccess`` Enabled, ``zoneRedundant`` false, ``disableLocalAuth`` false,
  ``isAutoInflateEnabled`` false, ``maximumThroughputUnits`` 0;
* the SKU: Basic, Standard (capacity = throughput units 1-40) or Premium (processing units 1, 2, 4, 8,
  16); ``tier`` follows the name; auto-inflate only on Standard (maximum 1-40, not below the capacity);
  moving a namespace to or from Premium is a migration, not an update (400); ``zoneRedundant`` is set at
  creation only (400 on a change); names are 6-50 letters, digits and hyphens, starting with a letter,
  ending with a letter or digit, not ending in ``-sb`` or ``-mgmt``;
* event hubs (``Microsoft.EventHub/Namespaces/EventHubs``, no location, no provisioningState): PUT answers
  200 (the only code the SDK accepts), ``partitionIds``, ``status`` Active, ``createdAt`` / ``updatedAt``;
  ``partitionCount`` 1-32 (Premium 1-100) and fixed after creation on Basic and Standard (400
  ``SubCode=40000. PartitionCount cannot be changed for EventHub.``), only increased on Premium;
  ``messageRetentionInDays`` at most 1 (Basic), 7 (Standard), 90 (Premium); a hub cannot be made while
  its namespace is not active (``NotFound`` like ARM's "is not active, its current state is Created"); a
  list of the hubs of a missing namespace answers 404;
* status codes: namespace create 200 (with an operation while activating), update 200, delete 202 with
  an operation; event hub create/update 200, delete 200.
"""

import copy
import datetime
import re

from testcloud.azure_arm import SUBSCRIPTION_ID
from testcloud.azure_kinds import ArmError, Kind
from testcloud.azure_kinds.redis import display_location

NAMESPACE_TYPE = "microsoft.eventhub/namespaces"
EVENTHUB_TYPE = "microsoft.eventhub/namespaces/eventhubs"
TIERS = {"basic": "Basic", "standard": "Standard", "premium": "Premium"}
PREMIUM_UNITS = (1, 2, 4, 8, 16)
MAX_RETENTION_DAYS = {"Basic": 1, "Standard": 7, "Premium": 90}
MAX_PARTITIONS = {"Basic": 32, "Standard": 32, "Premium": 100}
NAME_RULE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{4,48}[A-Za-z0-9]$")


def bad_request(message):
    return ArmError(400, "BadRequest", message)


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def first_set(*values):
    """The first value that is not None."""
    return next(value for value in values if value is not None)


def as_bool(value):
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def namespace_sku(sku, existing_sku):
    """``{name, tier, capacity}`` as ARM stores it, or a 400."""
    sku = sku or existing_sku or {"name": "Standard"}
    tier = TIERS.get(str(sku.get("name") or "").lower())
    if tier is None:
        raise bad_request(f"The sku name '{sku.get('name')}' is not valid; use Basic, Standard or Premium.")
    if sku.get("tier") and str(sku["tier"]).lower() != tier.lower():
        raise bad_request(f"The sku tier '{sku['tier']}' does not match the sku name '{tier}'.")
    try:
        capacity = int(sku.get("capacity") or 1)
    except (TypeError, ValueError):
        raise bad_request("The sku capacity must be a number.") from None
    if tier == "Premium" and capacity not in PREMIUM_UNITS:
        raise bad_request(f"The capacity {capacity} is not valid for Premium; use 1, 2, 4, 8 or 16 processing units.")
    if tier != "Premium" and not 1 <= capacity <= 40:
        raise bad_request(f"The capacity {capacity} is not valid for {tier}; use 1-40 throughput units.")
    if existing_sku and (existing_sku["name"] == "Premium") != (tier == "Premium"):
        raise bad_request(
            f"The namespace cannot be updated from {existing_sku['name']} to {tier}; moving to or from Premium is a "
            "migration (Microsoft.EventHub/namespaces/migrationConfigurations), not an update."
        )
    return {"name": tier, "tier": tier, "capacity": capacity}


def rollback(ctx, resource, existing):
    """Undo a write that after_put refuses: the previous resource back, or nothing at all."""
    if existing is None:
        ctx.delete_tree(resource["id"])
    else:
        meta = ctx.meta[resource["id"].lower()]
        ctx.put_raw(resource["id"], meta["type"], meta["parent"], existing)


class Namespace(Kind):
    """``Microsoft.EventHub/namespaces`` (see the module docstring)."""

    type = NAMESPACE_TYPE
    display_type = "Microsoft.EventHub/Namespaces"
    status_create = 200
    status_update = 200
    status_delete = 202
    provisioning = "Created"

    def prepare(self, ctx, body, existing):
        properties = copy.deepcopy(body.get("properties") or {})
        old = (existing or {}).get("properties") or {}
        sku = namespace_sku(body.get("sku"), (existing or {}).get("sku"))
        body["sku"] = sku  # compose stores the top-level fields of the body
        tier = sku["name"]
        zone_redundant = as_bool(properties.get("zoneRedundant", old.get("zoneRedundant", False)))
        if existing is not None and zone_redundant != as_bool(old.get("zoneRedundant", False)):
            raise bad_request("zoneRedundant can only be set when the namespace is created.")
        tls = properties.get("minimumTlsVersion") or old.get("minimumTlsVersion") or "1.2"
        if tls not in ("1.0", "1.1", "1.2"):
            raise bad_request(f"The minimumTlsVersion '{tls}' is not valid; use 1.0, 1.1 or 1.2.")
        access = properties.get("publicNetworkAccess") or old.get("publicNetworkAccess") or "Enabled"
        if access not in ("Enabled", "Disabled", "SecuredByPerimeter"):
            raise bad_request(f"The publicNetworkAccess '{access}' is not valid; use Enabled, Disabled or SecuredByPerimeter.")
        inflate = as_bool(properties.get("isAutoInflateEnabled", old.get("isAutoInflateEnabled", False)))
        maximum = int(properties.get("maximumThroughputUnits", old.get("maximumThroughputUnits", 0)) or 0)
        if inflate and tier != "Standard":
            raise bad_request(f"Auto-inflate is supported only for Standard namespaces, not {tier}.")
        if inflate and not sku["capacity"] <= maximum <= 40:
            raise bad_request(
                f"maximumThroughputUnits {maximum} must be between the capacity ({sku['capacity']}) and 40 with auto-inflate."
            )
        if not inflate and maximum:
            raise bad_request("maximumThroughputUnits can be set only when isAutoInflateEnabled is true.")
        stored = {
            "minimumTlsVersion": tls,
            "publicNetworkAccess": access,
            "disableLocalAuth": as_bool(properties.get("disableLocalAuth", old.get("disableLocalAuth", False))),
            "zoneRedundant": zone_redundant,
            "isAutoInflateEnabled": inflate,
            "maximumThroughputUnits": maximum,
            "kafkaEnabled": tier != "Basic",
            "createdAt": old.get("createdAt") or now(),
            "updatedAt": now(),
            "status": old.get("status") or ("Activating" if ctx.seconds_for(NAMESPACE_TYPE) > 0 else "Active"),
        }
        for key in ("encryption", "privateEndpointConnections", "alternateName", "clusterArmId"):
            if key in properties or key in old:
                stored[key] = copy.deepcopy(properties.get(key, old.get(key)))
        return stored

    def after_put(self, ctx, resource, existing):
        name = resource["name"]
        if existing is None and (not NAME_RULE.match(name) or name.lower().endswith(("-sb", "-mgmt"))):
            rollback(ctx, resource, existing)
            raise bad_request(
                f"The namespace name '{name}' is not valid: 6-50 letters, digits and hyphens, starting with a letter, "
                "ending with a letter or digit, not ending in -sb or -mgmt."
            )
        resource["properties"]["serviceBusEndpoint"] = f"https://{name.lower()}.servicebus.windows.net:443/"
        resource["properties"]["metricId"] = f"{SUBSCRIPTION_ID}:{name.lower()}"

    def on_ready(self, ctx, resource):
        resource["properties"]["status"] = "Active"

    def view(self, ctx, resource):
        answer = copy.deepcopy(resource)
        answer["location"] = display_location(answer.get("location"))
        sku = answer.get("sku") or {}
        answer["sku"] = {"name": sku.get("name"), "tier": sku.get("name"), "capacity": int(sku.get("capacity") or 1)}
        return answer


class EventHub(Kind):
    """``Microsoft.EventHub/namespaces/eventhubs`` (see the module docstring)."""

    type = EVENTHUB_TYPE
    display_type = "Microsoft.EventHub/Namespaces/EventHubs"
    status_create = 200
    status_update = 200
    status_delete = 200
    has_provisioning_state = False
    async_create = False
    location_required = False

    def after_put(self, ctx, resource, existing):
        """The checks that need the namespace (prepare does not know the path): a refused write is undone."""
        try:
            resource["properties"] = self.checked(ctx, resource, existing)
        except ArmError:
            rollback(ctx, resource, existing)
            raise
        resource.pop("location", None)  # an event hub has no location of its own

    def checked(self, ctx, resource, existing):
        namespace_id = resource["id"].rsplit("/", 2)[0]
        namespace = ctx.get(namespace_id)
        state = (namespace.get("properties") or {}).get("provisioningState")
        if state != "Succeeded":
            raise ArmError(
                404, "NotFound",
                f"The namespace {namespace['name']} in subscription {SUBSCRIPTION_ID} is not active, its current state is {state}.",
            )
        tier = namespace["sku"]["name"]
        asked = resource.get("properties") or {}
        old = (existing or {}).get("properties") or {}
        try:
            partitions = int(first_set(asked.get("partitionCount"), old.get("partitionCount"), 4))
            retention = int(first_set(asked.get("messageRetentionInDays"), old.get("messageRetentionInDays"),
                                      min(7, MAX_RETENTION_DAYS[tier])))
        except (TypeError, ValueError):
            raise bad_request("partitionCount and messageRetentionInDays must be numbers.") from None
        if not 1 <= partitions <= MAX_PARTITIONS[tier]:
            raise bad_request(f"The partitionCount {partitions} is not valid for {tier}; use 1-{MAX_PARTITIONS[tier]}.")
        if existing is not None and partitions != old["partitionCount"]:
            if tier != "Premium":
                raise bad_request("SubCode=40000. PartitionCount cannot be changed for EventHub.")
            if partitions < old["partitionCount"]:
                raise bad_request(f"SubCode=40000. The partition count of an event hub cannot be decreased "
                                  f"({old['partitionCount']} -> {partitions}).")
        if not 1 <= retention <= MAX_RETENTION_DAYS[tier]:
            raise bad_request(
                f"SubCode=40000. The messageRetentionInDays {retention} is not valid for the {tier} tier; "
                f"use 1-{MAX_RETENTION_DAYS[tier]}."
            )
        status = asked.get("status") or old.get("status") or "Active"
        if status not in ("Active", "Disabled", "SendDisabled", "ReceiveDisabled"):
            raise bad_request(f"The status '{status}' is not valid for an event hub.")
        stored = {key: copy.deepcopy(value) for key, value in asked.items() if key in ("captureDescription", "userMetadata")}
        stored.update({
            "messageRetentionInDays": retention,
            "partitionCount": partitions,
            "status": status,
            "partitionIds": [str(index) for index in range(partitions)],
            "createdAt": old.get("createdAt") or now(),
            "updatedAt": now(),
        })
        return stored

    def list_items(self, ctx, target, query):
        parent = target.parent_path()
        if ctx.get(parent) is None:
            raise ArmError(404, "NotFound", f"Namespace '{parent.rsplit('/', 1)[-1]}' could not be found.")
        return [ctx.view(hub) for hub in ctx.children(parent, EVENTHUB_TYPE)]


KINDS = [Namespace, EventHub]
