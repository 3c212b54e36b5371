"""Microsoft.DBforPostgreSQL flexible servers and the private DNS zones they resolve through.

What ARM does and the azure.azcollection modules depend on (API 2025-08-01 for servers, 2024-06-01 for
private DNS, the versions the SDKs of azure.azcollection 3.21 send):

* ``flexibleServers``: a create answers 200 (no creation time) or 202 with ``Azure-AsyncOperation`` (the
  SDK accepts only 200/202); the server is ``Provisioning`` (high availability ``CreatingStandby``) until
  the double's creation time has passed, then ``Ready``. ARM fills in ``fullyQualifiedDomainName``
  (``<name>.postgres.database.azure.com``; with private access that public name resolves, through a CNAME,
  to the A record ARM writes into the private DNS zone; the delegated subnet gets a service association
  link, so it cannot be deleted while the server lives), ``minorVersion``, the zone, the storage tier and
  IOPS, backup and maintenance defaults, ``publicNetworkAccess`` (``Disabled`` on a delegated subnet),
  ``authConfig``, ``dataEncryption``, ``replicationRole``. ``administratorLoginPassword`` is write-only:
  never stored, never answered. A PUT of an existing server updates it in place; what Azure cannot change
  (administrator login, network, geo-redundant backup, a lower version or storage size) is refused with a
  400 before anything changes. DELETE answers 202 (long-running) and removes the server's A record.
* ``flexibleServers/databases``: 200/202 on create (201 fails the SDK), charset and collation fixed once
  made; the system databases come with the server.
* ``privateDnsZones`` (location ``global`` only): server-side limits and counts, a ``SOA`` record set
  ``@`` made with the zone; a zone with virtual network links cannot be deleted (409).
* ``privateDnsZones/virtualNetworkLinks`` (location ``global``): ``virtualNetworkLinkState`` and
  ``registrationEnabled``; the virtual network must exist and be linked to the zone at most once.

The error codes of the refusals are ARM's where they are documented (``LocationNotAvailableForResourceType``,
``Conflict``), otherwise ``InvalidParameterValue`` with a message that names the field.
"""

import copy
import ipaddress
import re
import uuid
from datetime import datetime, timezone

from testcloud.azure_kinds import ArmError, Kind, deep_merge

SERVER_TYPE = "microsoft.dbforpostgresql/flexibleservers"
DATABASE_TYPE = "microsoft.dbforpostgresql/flexibleservers/databases"
SYSTEM_DATABASES = ("azure_maintenance", "azure_sys", "postgres")
ZONE_TYPE = "microsoft.network/privatednszones"
LINK_TYPE = "microsoft.network/privatednszones/virtualnetworklinks"
A_TYPE = "microsoft.network/privatednszones/a"
SOA_TYPE = "microsoft.network/privatednszones/soa"
VNET_TYPE = "microsoft.network/virtualnetworks"
SUBNET_TYPE = "microsoft.network/virtualnetworks/subnets"
FQDN_SUFFIX = "postgres.database.azure.com"
DELEGATION = "microsoft.dbforpostgresql/flexibleservers"

# Major version -> the minor version ARM reports for a new server.
MINOR_VERSIONS = {"11": "22", "12": "22", "13": "20", "14": "17", "15": "12", "16": "8", "17": "4", "18": "0"}
# Premium SSD sizes a flexible server offers (GiB) and their default performance tier and IOPS.
STORAGE_TIERS = {32: ("P4", 120), 64: ("P6", 240), 128: ("P10", 500), 256: ("P15", 1100), 512: ("P20", 2300),
                 1024: ("P30", 5000), 2048: ("P40", 7500), 4096: ("P50", 7500), 8192: ("P60", 16000),
                 16384: ("P70", 18000), 32767: ("P80", 20000)}
# Compute tier -> the VM family prefix of its SKU names.
SKU_FAMILIES = {"burstable": "Standard_B", "generalpurpose": "Standard_D", "memoryoptimized": "Standard_E"}
SERVER_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$")


def invalid(message):
    """ARM's answer to a request whose values the resource provider refuses."""
    return ArmError(400, "InvalidParameterValue", message)


def now_iso():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def parse_id(resource_id):
    """``/subscriptions/s/resourceGroups/g/providers/N/t1/n1/t2/n2`` -> (lower-case full type, path)."""
    segments = [s for s in (resource_id or "").split("/") if s]
    lower = [s.lower() for s in segments]
    if "providers" not in lower:
        return "", ""
    index = lower.index("providers")
    namespace, rest = segments[index + 1], segments[index + 2:]
    return "/".join([namespace, *rest[0::2]]).lower(), "/" + "/".join(segments)


def find_subnet(ctx, subnet_id):
    """The subnet's stored body: a child resource, or the entry inside its virtual network's body."""
    subnet = ctx.get(subnet_id)
    if subnet is not None:
        return subnet
    vnet_id, _separator, name = subnet_id.rpartition("/subnets/")
    vnet = ctx.get(vnet_id) if vnet_id else None
    for entry in ((vnet or {}).get("properties") or {}).get("subnets") or []:
        if entry.get("name", "").lower() == name.lower():
            return entry
    return None


def subnet_prefix(subnet):
    properties = subnet.get("properties") or {}
    return properties.get("addressPrefix") or (properties.get("addressPrefixes") or [None])[0]


class FlexibleServer(Kind):
    """``Microsoft.DBforPostgreSQL/flexibleServers`` (see the module docstring)."""

    type = SERVER_TYPE
    display_type = "Microsoft.DBforPostgreSQL/flexibleServers"
    has_provisioning_state = False  # servers report properties.state instead
    status_create = 200
    status_create_async = 202
    status_update = 200
    status_delete = 202

    def prepare(self, ctx, body, existing):
        properties = copy.deepcopy(body.get("properties") or {})
        password = properties.pop("administratorLoginPassword", None)  # write-only: never stored
        properties.pop("createMode", None)
        if existing is None:
            return self.create(ctx, body, properties, password)
        return self.update(ctx, body, properties, existing)

    # -- create --------------------------------------------------------------------------------

    def create(self, ctx, body, props, password):
        sku = body.get("sku") or {}
        if not sku.get("name") or not sku.get("tier"):
            raise invalid("The sku (name and tier, e.g. Standard_B1ms / Burstable) is required to create a server.")
        self.check_sku(sku)
        auth = props.setdefault("authConfig", {})
        auth.setdefault("activeDirectoryAuth", "Disabled")
        auth.setdefault("passwordAuth", "Enabled")
        auth["tenantId"] = auth.get("tenantId") or ""
        if auth["passwordAuth"].lower() == "enabled":
            if not props.get("administratorLogin"):
                raise invalid("administratorLogin is required when password authentication is enabled.")
            self.check_password(password)
        version = str(props.get("version") or "16")
        if version not in MINOR_VERSIONS:
            raise invalid(f"The version '{version}' is not supported; use one of {', '.join(sorted(MINOR_VERSIONS))}.")
        props["version"] = version
        props["minorVersion"] = f"{version}.{MINOR_VERSIONS[version]}"
        props["storage"] = self.storage(props.get("storage") or {}, None)
        backup = props.setdefault("backup", {})
        backup.setdefault("backupRetentionDays", 7)
        backup["geoRedundantBackup"] = backup.get("geoRedundantBackup") or "Disabled"
        backup["earliestRestoreDate"] = now_iso()
        self.check_backup(backup)
        props["network"] = self.network(ctx, props.get("network") or {})
        props["availabilityZone"] = props.get("availabilityZone") or "1"
        props["highAvailability"] = self.high_availability(props.get("highAvailability") or {}, sku, props["availabilityZone"], None)
        props["maintenanceWindow"] = self.maintenance_window(props.get("maintenanceWindow") or {}, None)
        props["dataEncryption"] = props.get("dataEncryption") or {"type": "SystemManaged"}
        props["replicationRole"] = "Primary"
        props["replicaCapacity"] = 5
        props["state"] = "Ready"
        props.pop("pointInTimeUTC", None)
        return props

    # -- update (PUT of an existing server, or PATCH) ------------------------------------------

    def update(self, ctx, body, props, existing):
        old = existing.get("properties") or {}
        merged = copy.deepcopy(old)
        new = copy.deepcopy(props)
        for key in ("availabilityZone",):  # "" (the SDK's default) means no preference: keep
            if not new.get(key):
                new.pop(key, None)
        if new.get("administratorLogin") and new["administratorLogin"] != old.get("administratorLogin"):
            raise invalid("The administratorLogin of a server cannot be changed "
                          f"('{old.get('administratorLogin')}' -> '{new['administratorLogin']}').")
        sku = body.get("sku") or existing.get("sku") or {}
        if body.get("sku"):
            self.check_sku(sku)
        else:
            body["sku"] = copy.deepcopy(existing.get("sku"))
        if "version" in new:
            version = str(new["version"])
            if version not in MINOR_VERSIONS:
                raise invalid(f"The version '{version}' is not supported; use one of {', '.join(sorted(MINOR_VERSIONS))}.")
            if int(version) < int(old["version"]):
                raise invalid(f"The major version cannot be lowered ({old['version']} -> {version}).")
            if version != old["version"]:
                merged["minorVersion"] = f"{version}.{MINOR_VERSIONS[version]}"
            merged["version"] = version
            new.pop("version")
        if "storage" in new:
            merged["storage"] = self.storage(new.pop("storage") or {}, old.get("storage"))
        if "backup" in new:
            backup = new.pop("backup") or {}
            geo = backup.get("geoRedundantBackup")
            if geo and geo.lower() != old["backup"]["geoRedundantBackup"].lower():
                raise invalid("geoRedundantBackup can only be chosen when a server is created "
                              f"({old['backup']['geoRedundantBackup']} -> {geo}).")
            merged["backup"]["backupRetentionDays"] = backup.get("backupRetentionDays", merged["backup"]["backupRetentionDays"])
            self.check_backup(merged["backup"])
        if "network" in new:
            network = {k: v for k, v in (new.pop("network") or {}).items() if v}
            for key in ("delegatedSubnetResourceId", "privateDnsZoneArmResourceId"):
                if key in network and network[key].lower() != (old["network"].get(key) or "").lower():
                    raise invalid(f"The network of a server cannot be changed after creation ({key}).")
            access = network.get("publicNetworkAccess")
            if access and old["network"].get("delegatedSubnetResourceId") and access.lower() != "disabled":
                raise invalid("publicNetworkAccess cannot be enabled on a server with private access (delegated subnet).")
        if "highAvailability" in new:
            merged["highAvailability"] = self.high_availability(new.pop("highAvailability") or {}, sku,
                                                                merged["availabilityZone"], old.get("highAvailability"))
        elif body.get("sku"):
            self.high_availability(merged.get("highAvailability") or {}, sku, merged["availabilityZone"], old.get("highAvailability"))
        if "maintenanceWindow" in new:
            merged["maintenanceWindow"] = self.maintenance_window(new.pop("maintenanceWindow") or {}, old.get("maintenanceWindow"))
        if "authConfig" in new:
            auth = {k: v for k, v in (new.pop("authConfig") or {}).items() if v}
            deep_merge(merged.setdefault("authConfig", {}), auth)
        for key in ("state", "fullyQualifiedDomainName", "minorVersion", "replicationRole", "replicaCapacity",
                    "pointInTimeUTC", "sourceServerResourceId"):
            new.pop(key, None)
        deep_merge(merged, new)
        merged["state"] = "Ready"
        return merged

    def patch(self, ctx, body, existing):
        """PATCH (ServerForPatch) is the same in-place update as a PUT of an existing server."""
        return self.prepare(ctx, body, existing)

    # -- checks and server-side values ---------------------------------------------------------

    @staticmethod
    def check_sku(sku):
        family = SKU_FAMILIES.get(str(sku.get("tier", "")).lower())
        if family is None:
            raise invalid(f"The sku tier '{sku.get('tier')}' is not one of Burstable, GeneralPurpose, MemoryOptimized.")
        if not str(sku.get("name", "")).startswith(family):
            raise invalid(f"The sku '{sku.get('name')}' is not in the {sku['tier']} tier ({family}* sizes).")

    @staticmethod
    def check_password(password):
        if not password:
            raise invalid("administratorLoginPassword is required when password authentication is enabled.")
        classes = sum(bool(re.search(pattern, password)) for pattern in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]"))
        if not 8 <= len(password) <= 128 or classes < 3:
            raise ArmError(400, "PasswordNotComplex", "The password must be 8-128 characters long and contain characters "
                           "from three of: upper case, lower case, digits, non-alphanumeric characters.")

    @staticmethod
    def check_backup(backup):
        if not 1 <= int(backup["backupRetentionDays"]) <= 35:
            raise invalid(f"backupRetentionDays {backup['backupRetentionDays']} is out of range (1-35).")

    @staticmethod
    def storage(requested, old):
        size = int(requested.get("storageSizeGB") or (old or {}).get("storageSizeGB") or 128)
        if size not in STORAGE_TIERS:
            raise invalid(f"storageSizeGB {size} is not offered; use one of {', '.join(map(str, STORAGE_TIERS))}.")
        if old and size < int(old["storageSizeGB"]):
            raise invalid(f"The storage of a server cannot shrink ({old['storageSizeGB']} -> {size} GiB).")
        tier, iops = STORAGE_TIERS[size]
        grow = requested.get("autoGrow") or (old or {}).get("autoGrow") or "Disabled"
        return {"storageSizeGB": size, "autoGrow": grow, "tier": tier, "iops": iops, "type": "Premium_LRS"}

    @staticmethod
    def network(ctx, requested):
        subnet_id = requested.get("delegatedSubnetResourceId") or None
        zone_id = requested.get("privateDnsZoneArmResourceId") or None
        if zone_id and not subnet_id:
            raise invalid("privateDnsZoneArmResourceId needs delegatedSubnetResourceId (private access).")
        if not subnet_id:
            return {"publicNetworkAccess": requested.get("publicNetworkAccess") or "Enabled"}
        if (requested.get("publicNetworkAccess") or "Disabled").lower() != "disabled":
            raise invalid("publicNetworkAccess cannot be enabled on a server with private access (delegated subnet).")
        subnet = find_subnet(ctx, subnet_id)
        if subnet is None:
            raise invalid(f"The subnet '{subnet_id}' does not exist.")
        services = [(d.get("properties") or {}).get("serviceName", "").lower()
                    for d in (subnet.get("properties") or {}).get("delegations") or []]
        if DELEGATION not in services:
            raise ArmError(400, "SubnetNotDelegated" if not services else "SubnetDelegatedToOtherService",
                           f"The subnet '{subnet_id}' must be delegated to Microsoft.DBforPostgreSQL/flexibleServers.")
        if zone_id:
            zone_type, _zone_name = parse_id(zone_id)
            if zone_type != ZONE_TYPE or ctx.get(zone_id) is None:
                raise invalid(f"The private DNS zone '{zone_id}' does not exist.")
            if not zone_id.lower().endswith("." + FQDN_SUFFIX):
                raise invalid(f"The private DNS zone '{zone_id.rsplit('/', 1)[-1]}' must end with .{FQDN_SUFFIX}.")
        return {"publicNetworkAccess": "Disabled", "delegatedSubnetResourceId": subnet_id,
                "privateDnsZoneArmResourceId": zone_id}

    @staticmethod
    def high_availability(requested, sku, zone, old):
        mode = requested.get("mode") or (old or {}).get("mode") or "Disabled"
        if mode.lower() != "disabled" and str(sku.get("tier", "")).lower() == "burstable":
            raise invalid(f"High availability ({mode}) is not supported in the Burstable tier.")
        if mode.lower() == "disabled":
            return {"mode": "Disabled", "state": "NotEnabled", "standbyAvailabilityZone": ""}
        standby = requested.get("standbyAvailabilityZone") or (old or {}).get("standbyAvailabilityZone") or ""
        if mode.lower() == "zoneredundant":
            standby = standby or ("2" if zone != "2" else "3")
            if standby == zone:
                raise invalid(f"The standby of a ZoneRedundant server must be in another zone than {zone}.")
        else:
            standby = zone
        return {"mode": mode, "state": "Healthy", "standbyAvailabilityZone": standby}

    @staticmethod
    def maintenance_window(requested, old):
        window = copy.deepcopy(old or {"customWindow": "Disabled", "startHour": 0, "startMinute": 0, "dayOfWeek": 0})
        window.update({k: v for k, v in requested.items() if v is not None})
        for key, top in (("startHour", 23), ("startMinute", 59), ("dayOfWeek", 6)):
            if not 0 <= int(window[key]) <= top:
                raise invalid(f"maintenanceWindow.{key} {window[key]} is out of range (0-{top}).")
        return window

    # -- side effects --------------------------------------------------------------------------

    def after_put(self, ctx, resource, existing):
        if existing is None and not SERVER_NAME.match(resource["name"]):
            ctx.delete_tree(resource["id"])
            raise invalid(f"The server name '{resource['name']}' must be 3-63 lower-case letters, digits and hyphens, "
                          "and must not start or end with a hyphen.")
        properties = resource["properties"]
        properties["fullyQualifiedDomainName"] = f"{resource['name']}.{FQDN_SUFFIX}"
        if existing is None and ctx.meta[resource["id"].lower()].get("ready_at"):
            properties["state"] = "Provisioning"
            if properties["highAvailability"]["mode"] != "Disabled":
                properties["highAvailability"]["state"] = "CreatingStandby"
        if existing is None:
            self.write_record(ctx, resource)
            self.link_subnet(ctx, resource, add=True)
            for name in SYSTEM_DATABASES:
                path = f"{resource['id']}/databases/{name}"
                ctx.put_raw(path, DATABASE_TYPE, resource["id"], {
                    "id": path, "name": name, "type": "Microsoft.DBforPostgreSQL/flexibleServers/databases",
                    "properties": {"charset": "UTF8", "collation": "en_US.utf8"}})

    def on_ready(self, ctx, resource):
        properties = resource["properties"]
        properties["state"] = "Ready"
        if properties["highAvailability"]["mode"] != "Disabled":
            properties["highAvailability"]["state"] = "Healthy"

    def on_delete(self, ctx, resource):
        zone_id = (resource["properties"].get("network") or {}).get("privateDnsZoneArmResourceId")
        if zone_id:
            ctx.delete_tree(f"{zone_id}/A/{resource['name']}")
        self.link_subnet(ctx, resource, add=False)

    @staticmethod
    def link_subnet(ctx, resource, add):
        """The service association link ARM puts on the delegated subnet while the server lives in it: the
        network kinds refuse to delete a subnet (or its VNet) that has one (InUseSubnetCannotBeDeleted)."""
        subnet_id = (resource["properties"].get("network") or {}).get("delegatedSubnetResourceId")
        subnet = find_subnet(ctx, subnet_id) if subnet_id else None
        if subnet is None:
            return
        properties = subnet.setdefault("properties", {})
        links = [link for link in properties.get("serviceAssociationLinks") or []
                 if (link.get("properties") or {}).get("link", "").lower() != resource["id"].lower()]
        if add:
            name = f"{resource['name']}-link"
            links.append({"id": f"{subnet_id}/serviceAssociationLinks/{name}", "name": name,
                          "type": "Microsoft.Network/virtualNetworks/subnets/serviceAssociationLinks",
                          "properties": {"linkedResourceType": "Microsoft.DBforPostgreSQL/flexibleServers",
                                         "link": resource["id"], "provisioningState": "Succeeded"}})
        if links:
            properties["serviceAssociationLinks"] = links
        else:
            properties.pop("serviceAssociationLinks", None)

    @staticmethod
    def write_record(ctx, resource):
        """The A record ARM writes into the private DNS zone: the server's private address in the subnet."""
        network = resource["properties"]["network"]
        zone_id = network.get("privateDnsZoneArmResourceId")
        if not zone_id:
            return
        subnet = find_subnet(ctx, network["delegatedSubnetResourceId"]) or {}
        prefix = subnet_prefix(subnet) or "10.0.0.0/24"
        used = {entry["ipv4Address"] for record in ctx.children(zone_id, A_TYPE)
                for entry in record["properties"].get("aRecords", [])}
        hosts = list(ipaddress.ip_network(prefix, strict=False).hosts())[3:]  # Azure reserves the first addresses
        address = next(str(host) for host in hosts if str(host) not in used)
        zone_name = zone_id.rsplit("/", 1)[-1]
        path = f"{zone_id}/A/{resource['name']}"
        ctx.put_raw(path, A_TYPE, zone_id, {
            "id": path, "name": resource["name"], "type": "Microsoft.Network/privateDnsZones/A",
            "etag": str(uuid.uuid4()),
            "properties": {"ttl": 30, "aRecords": [{"ipv4Address": address}], "fqdn": f"{resource['name']}.{zone_name}.",
                           "isAutoRegistered": False},
        })


class Database(Kind):
    """``Microsoft.DBforPostgreSQL/flexibleServers/databases``: 200 (or 202 when long-running) on create,
    ``charset`` UTF8 and ``collation`` en_US.utf8 by default, neither can change; ARM makes the system
    databases (postgres, azure_maintenance, azure_sys) with the server."""

    type = DATABASE_TYPE
    display_type = "Microsoft.DBforPostgreSQL/flexibleServers/databases"
    has_provisioning_state = False
    location_required = False
    status_create = 200
    status_create_async = 202
    status_update = 200
    status_delete = 202

    def prepare(self, ctx, body, existing):
        properties = copy.deepcopy(body.get("properties") or {})
        wanted = {"charset": properties.get("charset") or "UTF8", "collation": properties.get("collation") or "en_US.utf8"}
        if existing is not None:
            old = existing["properties"]
            for key, value in wanted.items():
                if properties.get(key) and value.lower() != old[key].lower():
                    raise invalid(f"The {key} of a database cannot be changed ({old[key]} -> {value}).")
            return copy.deepcopy(old)
        return wanted


class PrivateDnsZone(Kind):
    """``Microsoft.Network/privateDnsZones``: location global, server-side counts, an SOA record set."""

    type = ZONE_TYPE
    display_type = "Microsoft.Network/privateDnsZones"
    etag = True
    status_create = 201
    status_update = 200
    status_delete = 202

    def prepare(self, ctx, body, existing):
        if body.get("location") and body["location"].lower() != "global":
            raise ArmError(400, "LocationNotAvailableForResourceType",
                           f"The provided location '{body['location']}' is not available for resource type "
                           "'Microsoft.Network/privateDnsZones'. List of available regions for the resource type is 'global'.")
        body["location"] = "global"
        return {"internalId": (existing or {}).get("properties", {}).get("internalId") or uuid.uuid4().hex,
                "maxNumberOfRecordSets": 25000, "maxNumberOfVirtualNetworkLinks": 1000,
                "maxNumberOfVirtualNetworkLinksWithRegistration": 100}

    def after_put(self, ctx, resource, existing):
        labels = resource["name"].split(".")
        if len(labels) < 2 or not all(0 < len(label) <= 63 for label in labels):
            ctx.delete_tree(resource["id"])
            raise ArmError(400, "BadRequest", f"The zone name '{resource['name']}' is not a valid DNS name of two or more labels.")
        if existing is None:
            path = f"{resource['id']}/SOA/@"
            ctx.put_raw(path, SOA_TYPE, resource["id"], {
                "id": path, "name": "@", "type": "Microsoft.Network/privateDnsZones/SOA", "etag": str(uuid.uuid4()),
                "properties": {"ttl": 3600, "fqdn": resource["name"] + ".", "isAutoRegistered": False,
                               "soaRecord": {"host": "azureprivatedns.net", "email": "azureprivatedns-host.microsoft.com",
                                             "serialNumber": 1, "refreshTime": 3600, "retryTime": 300,
                                             "expireTime": 2419200, "minimumTtl": 10}},
            })

    def view(self, ctx, resource):
        answer = copy.deepcopy(resource)
        links = ctx.children(resource["id"], LINK_TYPE)
        records = [key for key, meta in ctx.meta.items()
                   if meta["parent"] == resource["id"].lower() and meta["type"].count("/") == 2 and meta["type"] != LINK_TYPE]
        answer["properties"].update(
            numberOfRecordSets=len(records),
            numberOfVirtualNetworkLinks=len(links),
            numberOfVirtualNetworkLinksWithRegistration=sum(bool(link["properties"].get("registrationEnabled")) for link in links),
        )
        return answer

    def on_delete(self, ctx, resource):
        if ctx.children(resource["id"], LINK_TYPE):
            raise ArmError(409, "Conflict", f"The private DNS zone '{resource['name']}' has virtual network links; "
                           "delete the virtual network links before the zone.")


class VirtualNetworkLink(Kind):
    """``Microsoft.Network/privateDnsZones/virtualNetworkLinks`` (location global)."""

    type = LINK_TYPE
    display_type = "Microsoft.Network/privateDnsZones/virtualNetworkLinks"
    etag = True
    status_create = 201
    status_update = 200
    status_delete = 202

    def prepare(self, ctx, body, existing):
        if body.get("location") and body["location"].lower() != "global":
            raise ArmError(400, "LocationNotAvailableForResourceType",
                           f"The provided location '{body['location']}' is not available for resource type "
                           "'Microsoft.Network/privateDnsZones/virtualNetworkLinks'. List of available regions for the resource type is 'global'.")
        body["location"] = "global"
        properties = copy.deepcopy(body.get("properties") or {})
        vnet_id = (properties.get("virtualNetwork") or {}).get("id")
        if existing is not None:
            old_id = existing["properties"]["virtualNetwork"]["id"]
            if vnet_id and vnet_id.lower() != old_id.lower():
                raise ArmError(400, "BadRequest", "The virtual network of a link cannot be changed.")
            vnet_id = old_id
        if not vnet_id:
            raise ArmError(400, "BadRequest", "The virtual network of the link is required (properties.virtualNetwork.id).")
        if parse_id(vnet_id)[0] != VNET_TYPE or ctx.get(vnet_id) is None:
            raise ArmError(400, "BadRequest", f"The referenced virtual network '{vnet_id}' does not exist.")
        return {"virtualNetwork": {"id": ctx.get(vnet_id)["id"]},
                "registrationEnabled": bool(properties.get("registrationEnabled", False)),
                "resolutionPolicy": properties.get("resolutionPolicy") or "Default",
                "virtualNetworkLinkState": "Completed"}

    def after_put(self, ctx, resource, existing):
        zone_path = resource["id"].rsplit("/virtualNetworkLinks/", 1)[0]
        vnet_id = resource["properties"]["virtualNetwork"]["id"].lower()
        for other in ctx.children(zone_path, LINK_TYPE):
            if other["id"].lower() != resource["id"].lower() and other["properties"]["virtualNetwork"]["id"].lower() == vnet_id:
                ctx.delete_tree(resource["id"])
                raise ArmError(409, "Conflict", f"The virtual network '{vnet_id}' is already linked to the private DNS zone "
                               f"(link '{other['name']}').")


KINDS = [FlexibleServer, Database, PrivateDnsZone, VirtualNetworkLink]
