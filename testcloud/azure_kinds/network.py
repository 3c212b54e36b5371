"""Microsoft.Network for the network layer: virtual networks, subnets, public IP addresses, NAT gateways.

What ARM does here that the azure.azcollection modules (azure_rm_virtualnetwork, azure_rm_subnet,
azure_rm_publicipaddress, azure_rm_natgateway and their ``_info`` twins, API 2024-03-01 through
azure-mgmt-network 28) depend on, and what this double does like it:

* A virtual network answers its subnets inside its body (``properties.subnets``, full subnet
  resources) and as child resources (``.../virtualNetworks/V/subnets/S``). A PUT of the network
  *with* ``properties.subnets`` sets the subnets to that list: listed ones are created or updated,
  unlisted ones deleted (refused with 400 ``InUseSubnetCannotBeDeleted`` while a subnet is in use).
  A PUT *without* the key keeps the existing subnets: ARM does this since API 2023-11-01 ("virtual
  network updates without the subnet property"); older API versions deleted them. The double models
  the current behaviour, the one of the API version the SDK uses. azure_rm_virtualnetwork creates a
  network without the key and updates it by sending back the subnets it read, so it never removes one.
* A subnet answers ``provisioningState``, ``etag``, its ``type``, ARM's defaults
  ``privateEndpointNetworkPolicies: Disabled`` / ``privateLinkServiceNetworkPolicies: Enabled`` when
  not sent, delegations with ``id``, ``etag``, ``type`` (``.../subnets/delegations``), the ``actions``
  the delegated service needs and ``provisioningState``, and service endpoints with ``locations``
  (``Microsoft.Storage``: the region and its pair; ``Microsoft.KeyVault``: ``*``; others: the
  region) and ``provisioningState``. Read-only usage fields other resources fill
  (``ipConfigurations``, ``serviceAssociationLinks``, ...) survive a PUT. Its prefix must be CIDR
  notation (400 ``InvalidAddressPrefixFormat``) without host bits (400 ``InvalidCIDRNotation``), lie
  inside the network's address space (400 ``NetcfgSubnetRangeOutsideVnet``) and not overlap a sibling
  (400 ``NetcfgSubnetRangesOverlap``); a NAT gateway, network security group or route table it names
  must exist (400 ``InvalidResourceReference``). A NAT or NSG association does not make a subnet "in
  use"; a subnet with ``ipConfigurations``, ``serviceAssociationLinks``, ``resourceNavigationLinks``
  or ``privateEndpoints`` is, and neither it nor its network can be deleted. The subnet list of a
  missing network is 404.
* A public IP address gets an ``ipAddress`` when it is Static (allocated from the documentation ranges
  203.0.113.0/24 then 198.51.100.0/24, kept for the life of the address); a client cannot choose it.
  Defaults: IPv4, Dynamic, idle timeout 4, ``sku`` Standard/Regional (Basic public IPs are retired).
  Standard must be Static (400 ``StandardSkuPublicIPAddressesMustBeStatic``); zones cannot change
  (400 ``ResourceAvailabilityZonesCannotBeModified``). ``properties.natGateway`` names the NAT
  gateway that uses it; while one does, a DELETE is 400 ``PublicIPAddressCannotBeDeleted``.
* A NAT gateway gets ``sku`` Standard and idle timeout 4 by default and answers ``properties.subnets``:
  the subnets whose ``natGateway`` names it (a read-only back-reference). Its public IPs must exist
  (400 ``InvalidResourceReference``) and not be used by another NAT gateway (400
  ``PublicIPAddressInUse``). While a subnet uses it, a DELETE is 400
  ``CannotDeleteNatGatewayAssociatedToSubnet``.

A PUT that ARM refuses changes nothing (the engine has stored the resource before ``after_put``; the
checks that need the resource's own id run there and put the previous state back before raising).
Not modelled: cross-region references, delegation rules per service, address-space changes that strand
a subnet's IP configurations, API versions older than 2023-11-01.
"""

import copy
import ipaddress
import uuid

from testcloud.azure_kinds import ArmError, Kind

VNET = "microsoft.network/virtualnetworks"
SUBNET = "microsoft.network/virtualnetworks/subnets"
PUBLIC_IP = "microsoft.network/publicipaddresses"
NAT_GATEWAY = "microsoft.network/natgateways"
SUBNET_TYPE = "Microsoft.Network/virtualNetworks/subnets"
DELEGATION_TYPE = "Microsoft.Network/virtualNetworks/subnets/delegations"

# Read-only subnet fields that other resources fill; any of them makes the subnet "in use".
SUBNET_USAGE_FIELDS = ("ipConfigurations", "serviceAssociationLinks", "resourceNavigationLinks", "privateEndpoints")
SUBNET_READ_ONLY = (*SUBNET_USAGE_FIELDS, "ipConfigurationProfiles", "purpose", "provisioningState")
# The subnet properties that name another resource by id, and the type ARM expects there.
SUBNET_REFERENCES = {
    "natGateway": NAT_GATEWAY,
    "networkSecurityGroup": "microsoft.network/networksecuritygroups",
    "routeTable": "microsoft.network/routetables",
}

JOIN_ACTION = "Microsoft.Network/virtualNetworks/subnets/join/action"
# The actions ARM fills in for a delegation (from the service's available delegation); join by default.
DELEGATION_ACTIONS = {
    "microsoft.web/serverfarms": ["Microsoft.Network/virtualNetworks/subnets/action"],
    "microsoft.containerinstance/containergroups": ["Microsoft.Network/virtualNetworks/subnets/action"],
    "microsoft.sql/managedinstances": [
        JOIN_ACTION,
        "Microsoft.Network/virtualNetworks/subnets/prepareNetworkPolicies/action",
        "Microsoft.Network/virtualNetworks/subnets/unprepareNetworkPolicies/action",
    ],
}

# Azure region pairs (for the Microsoft.Storage service endpoint, which covers the region and its pair).
REGION_PAIRS = {
    "eastus": "westus", "westus": "eastus", "eastus2": "centralus", "centralus": "eastus2",
    "westus2": "westcentralus", "westcentralus": "westus2", "westus3": "eastus",
    "northcentralus": "southcentralus", "southcentralus": "northcentralus",
    "canadacentral": "canadaeast", "canadaeast": "canadacentral", "brazilsouth": "southcentralus",
    "northeurope": "westeurope", "westeurope": "northeurope", "uksouth": "ukwest", "ukwest": "uksouth",
    "francecentral": "francesouth", "germanywestcentral": "germanynorth", "switzerlandnorth": "switzerlandwest",
    "norwayeast": "norwaywest", "swedencentral": "swedensouth", "eastasia": "southeastasia",
    "southeastasia": "eastasia", "japaneast": "japanwest", "japanwest": "japaneast",
    "koreacentral": "koreasouth", "centralindia": "southindia", "southindia": "centralindia",
    "australiaeast": "australiasoutheast", "australiasoutheast": "australiaeast",
    "uaenorth": "uaecentral", "southafricanorth": "southafricawest",
}

# Where Static public IP addresses come from: the documentation ranges (RFC 5737), never a real address.
PUBLIC_IP_RANGES = (ipaddress.IPv4Network("203.0.113.0/24"), ipaddress.IPv4Network("198.51.100.0/24"))


# -- helpers -----------------------------------------------------------------------------------


def new_etag():
    """A weak etag like ARM's network resources carry."""
    return f'W/"{uuid.uuid4()}"'


def same_id(left, right):
    """ARM ids compare without case."""
    return (left or "").lower() == (right or "").lower()


def ref_id(value):
    """The ``id`` of a sub-resource reference (``{"id": ...}``), or None."""
    return value.get("id") if isinstance(value, dict) else None


def parent_id(resource_id):
    """The id of the resource a child resource belongs to (``.../virtualNetworks/V`` of a subnet)."""
    return resource_id.rsplit("/", 2)[0]


def resource_group_of(resource_id):
    """The resource group name in an ARM id."""
    segments = resource_id.split("/")
    lower = [segment.lower() for segment in segments]
    return segments[lower.index("resourcegroups") + 1] if "resourcegroups" in lower else ""


def type_of_id(resource_id):
    """``microsoft.network/natgateways`` from ``/subscriptions/../providers/Microsoft.Network/natGateways/n``."""
    segments = [segment for segment in resource_id.split("/") if segment]
    lower = [segment.lower() for segment in segments]
    if "providers" not in lower:
        return ""
    index = len(lower) - 1 - lower[::-1].index("providers")
    rest = lower[index + 1 :]
    return "/".join([rest[0], *rest[1::2]]) if rest else ""


def restore(ctx, resource, existing):
    """Undo the engine's store of ``resource`` (a refused PUT changes nothing)."""
    path = resource["id"]
    if existing is None:
        ctx.delete_tree(path)
        return
    meta = ctx.meta[path.lower()]
    ctx.put_raw(path, meta["type"], meta["parent"], existing)


def prefixes_of(subnet):
    """The subnet's address prefixes as networks (``addressPrefix`` or ``addressPrefixes``)."""
    properties = subnet.get("properties") or {}
    values = list(properties.get("addressPrefixes") or [])
    if properties.get("addressPrefix"):
        values.append(properties["addressPrefix"])
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except (TypeError, ValueError) as error:
            raise ArmError(
                400,
                "InvalidAddressPrefixFormat",
                f"Address prefix {value} of resource {subnet['id']} is not formatted correctly. It should follow CIDR "
                "notation, for example 10.0.0.0/24.",
            ) from error
        if str(networks[-1]) != value:
            raise ArmError(
                400,
                "InvalidCIDRNotation",
                f"The address prefix {value} in resource {subnet['id']} has an invalid CIDR notation. For the given "
                f"prefix length, the address prefix should be {networks[-1]}.",
            )
    return networks


def in_use_by(subnet):
    """The id of the first resource that uses ``subnet`` (an IP configuration, a service link...), or None."""
    properties = subnet.get("properties") or {}
    for field in SUBNET_USAGE_FIELDS:
        for item in properties.get(field) or []:
            return (item or {}).get("id") or field
    return None


def in_use_error(subnet):
    user = in_use_by(subnet)
    return ArmError(
        400,
        "InUseSubnetCannotBeDeleted",
        f"Subnet {subnet['name']} is in use by {user} and cannot be deleted. In order to delete the subnet, "
        "delete all the resources within the subnet. See aka.ms/deletesubnet.",
    )


def subnets_using(ctx, nat_gateway_id):
    """The subnets whose ``natGateway`` names ``nat_gateway_id``."""
    return [
        subnet
        for subnet in ctx.of_type(SUBNET)
        if same_id(ref_id((subnet.get("properties") or {}).get("natGateway")), nat_gateway_id)
    ]


def nat_gateway_using(ctx, public_ip_id, other_than=None):
    """The NAT gateway whose ``publicIpAddresses`` names ``public_ip_id`` (except ``other_than``), or None."""
    for nat in ctx.of_type(NAT_GATEWAY):
        if other_than and same_id(nat["id"], other_than):
            continue
        if any(same_id(ref_id(ref), public_ip_id) for ref in (nat.get("properties") or {}).get("publicIpAddresses") or []):
            return nat
    return None


# -- subnets -----------------------------------------------------------------------------------


def subnet_properties(sent, existing):
    """The properties ARM keeps for a subnet PUT of ``sent`` (``existing``: the stored ones or None)."""
    properties = copy.deepcopy(sent or {})
    old = existing or {}
    for field in SUBNET_READ_ONLY:
        properties.pop(field, None)
        if field in old and field != "provisioningState":
            properties[field] = copy.deepcopy(old[field])
    properties.setdefault("privateEndpointNetworkPolicies", "Disabled")
    properties.setdefault("privateLinkServiceNetworkPolicies", "Enabled")
    delegations = []
    for delegation in properties.get("delegations") or []:
        service = ((delegation or {}).get("properties") or {}).get("serviceName") or (delegation or {}).get("serviceName")
        name = (delegation or {}).get("name")
        if not name or not service:
            raise ArmError(400, "InvalidRequestFormat", "A subnet delegation needs a name and properties.serviceName.")
        delegations.append(
            {
                "name": name,
                "type": DELEGATION_TYPE,
                "properties": {
                    "serviceName": service,
                    "actions": list(DELEGATION_ACTIONS.get(service.lower(), [JOIN_ACTION])),
                    "provisioningState": "Succeeded",
                },
            }
        )
    if "delegations" in properties or delegations:
        properties["delegations"] = delegations
    endpoints = []
    for endpoint in properties.get("serviceEndpoints") or []:
        endpoint = dict(endpoint or {})
        endpoint.pop("provisioningState", None)
        endpoint["provisioningState"] = "Succeeded"
        endpoints.append(endpoint)
    if "serviceEndpoints" in properties:
        properties["serviceEndpoints"] = endpoints
    properties["provisioningState"] = "Succeeded"
    return properties


def finish_subnet(subnet, vnet):
    """Fill what ARM derives from the subnet's id and network: delegation ids, endpoint locations."""
    properties = subnet.setdefault("properties", {})
    location = (vnet or {}).get("location", "")
    for delegation in properties.get("delegations") or []:
        delegation["id"] = f"{subnet['id']}/delegations/{delegation['name']}"
        delegation.setdefault("etag", subnet.get("etag") or new_etag())
    for endpoint in properties.get("serviceEndpoints") or []:
        if not endpoint.get("locations"):
            service = (endpoint.get("service") or "").lower()
            if service == "microsoft.keyvault":
                endpoint["locations"] = ["*"]
            elif service == "microsoft.storage" and location in REGION_PAIRS:
                endpoint["locations"] = [location, REGION_PAIRS[location]]
            else:
                endpoint["locations"] = [location]
    subnet["type"] = SUBNET_TYPE
    subnet.pop("location", None)
    subnet.pop("tags", None)


def check_subnets(ctx, vnet, subnets):
    """ARM's checks of a network's subnets together: prefixes inside the address space, no overlap,
    references to resources that exist."""
    space = []
    for value in ((vnet.get("properties") or {}).get("addressSpace") or {}).get("addressPrefixes") or []:
        try:
            space.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            continue
    seen = []
    for subnet in subnets:
        properties = subnet.get("properties") or {}
        for network in prefixes_of(subnet):
            if not any(network.version == block.version and network.subnet_of(block) for block in space):
                raise ArmError(
                    400,
                    "NetcfgSubnetRangeOutsideVnet",
                    f"Subnet '{subnet['name']}' is not valid because its IP address range is outside the IP address "
                    f"range of virtual network '{vnet['name']}'.",
                )
            for other_name, other in seen:
                if network.version == other.version and network.overlaps(other):
                    raise ArmError(
                        400,
                        "NetcfgSubnetRangesOverlap",
                        f"Subnet '{subnet['name']}' is not valid because its IP address range overlaps with that of an "
                        f"existing subnet '{other_name}' in virtual network '{vnet['name']}'.",
                    )
        for network in prefixes_of(subnet):
            seen.append((subnet["name"], network))
        for field, full_type in SUBNET_REFERENCES.items():
            target = ref_id(properties.get(field))
            if target and (type_of_id(target) != full_type or ctx.get(target) is None):
                raise ArmError(
                    400,
                    "InvalidResourceReference",
                    f"Resource {target} referenced by resource {subnet['id']} was not found. Please make sure that the "
                    "referenced resource exists, and that both resources are in the same region.",
                )


class Subnet(Kind):
    """A subnet: a child of its virtual network (see the module docstring)."""

    type = SUBNET
    display_type = SUBNET_TYPE
    etag = True
    location_required = False

    def prepare(self, ctx, body, existing):
        return subnet_properties(body.get("properties"), (existing or {}).get("properties"))

    def after_put(self, ctx, resource, existing):
        vnet = ctx.get(parent_id(resource["id"]))
        siblings = [child for child in ctx.children(vnet["id"], SUBNET) if not same_id(child["id"], resource["id"])]
        try:
            check_subnets(ctx, vnet, [*siblings, resource])
        except ArmError:
            restore(ctx, resource, existing)
            raise
        finish_subnet(resource, vnet)

    def on_delete(self, ctx, resource):
        if in_use_by(resource):
            raise in_use_error(resource)

    def list_items(self, ctx, target, query):
        """``GET .../virtualNetworks/V/subnets``: 404 when the network (or its group) is missing."""
        vnet_path = target.parent_path()
        if ctx.get(vnet_path) is None:
            group = resource_group_of(vnet_path)
            if ctx.get(vnet_path.rsplit("/providers/", 1)[0]) is None:
                raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{group}' could not be found.")
            raise ArmError(
                404,
                "ResourceNotFound",
                f"The Resource 'Microsoft.Network/virtualNetworks/{target.names[0]}' under resource group '{group}' was not found.",
            )
        return [ctx.view(child) for child in ctx.children(vnet_path, SUBNET)]


# -- virtual networks --------------------------------------------------------------------------


class VirtualNetwork(Kind):
    """A virtual network with its subnets inside its body (see the module docstring)."""

    type = VNET
    display_type = "Microsoft.Network/virtualNetworks"
    etag = True

    def prepare(self, ctx, body, existing):
        properties = copy.deepcopy(body.get("properties") or {})
        old = (existing or {}).get("properties") or {}
        properties["resourceGuid"] = old.get("resourceGuid") or str(uuid.uuid4())
        properties.setdefault("enableDdosProtection", False)
        properties.setdefault("virtualNetworkPeerings", [])
        # "subnets" stays in the stored properties until after_put turns it into child resources.
        return properties

    def after_put(self, ctx, resource, existing):
        properties = resource.setdefault("properties", {})
        sent = properties.pop("subnets", None)
        current = ctx.children(resource["id"], SUBNET)
        try:
            if sent is None:  # no "subnets" key: the subnets stay as they are
                planned, removed = current, []
            else:
                planned, removed = self.plan_subnets(resource, current, sent)
            for subnet in removed:
                if in_use_by(subnet):
                    raise in_use_error(subnet)
            check_subnets(ctx, resource, planned)
        except ArmError:
            restore(ctx, resource, existing)
            raise
        for subnet in removed:
            ctx.delete_tree(subnet["id"])
        if sent is not None:
            for subnet in planned:
                finish_subnet(subnet, resource)
                ctx.put_raw(subnet["id"], SUBNET, resource["id"], subnet)

    @staticmethod
    def plan_subnets(vnet, current, sent):
        """The subnets a PUT with ``properties.subnets`` = ``sent`` leaves, and the ones it removes."""
        by_name = {subnet["name"].lower(): subnet for subnet in current}
        planned = []
        names = set()
        for item in sent or []:
            name = (item or {}).get("name")
            if not name:
                raise ArmError(400, "InvalidRequestFormat", "Every subnet of a virtual network needs a name.")
            if name.lower() in names:
                raise ArmError(400, "DuplicateResourceName", f"Subnet {name} appears more than once in virtual network {vnet['name']}.")
            names.add(name.lower())
            old = by_name.get(name.lower())
            planned.append(
                {
                    "id": old["id"] if old else f"{vnet['id']}/subnets/{name}",
                    "name": old["name"] if old else name,
                    "type": SUBNET_TYPE,
                    "etag": new_etag(),
                    "properties": subnet_properties(item.get("properties"), (old or {}).get("properties")),
                }
            )
        removed = [subnet for key, subnet in by_name.items() if key not in names]
        return planned, removed

    def view(self, ctx, resource):
        answer = copy.deepcopy(resource)
        answer.setdefault("properties", {})["subnets"] = [ctx.view(child) for child in ctx.children(resource["id"], SUBNET)]
        return answer

    def on_delete(self, ctx, resource):
        for subnet in ctx.children(resource["id"], SUBNET):
            if in_use_by(subnet):
                raise in_use_error(subnet)


# -- public IP addresses -----------------------------------------------------------------------


def allocate_address(ctx):
    """The next free address of :data:`PUBLIC_IP_RANGES`."""
    used = {(pip.get("properties") or {}).get("ipAddress") for pip in ctx.of_type(PUBLIC_IP)}
    for block in PUBLIC_IP_RANGES:
        for host in block.hosts():
            if str(host) not in used:
                return str(host)
    raise ArmError(400, "PublicIPCountLimitReached", "Cannot create more public IP addresses in this subscription.")


class PublicIPAddress(Kind):
    """A public IP address (see the module docstring)."""

    type = PUBLIC_IP
    display_type = "Microsoft.Network/publicIPAddresses"
    etag = True

    def prepare(self, ctx, body, existing):
        properties = copy.deepcopy(body.get("properties") or {})
        old = (existing or {}).get("properties") or {}
        for field in ("ipAddress", "ipConfiguration", "natGateway", "resourceGuid", "provisioningState"):
            properties.pop(field, None)  # read-only: ARM allocates or derives them
        properties.setdefault("publicIPAddressVersion", "IPv4")
        properties.setdefault("publicIPAllocationMethod", "Dynamic")
        properties.setdefault("idleTimeoutInMinutes", 4)
        properties.setdefault("ipTags", [])
        properties["resourceGuid"] = old.get("resourceGuid") or str(uuid.uuid4())
        if old.get("ipAddress") and properties["publicIPAllocationMethod"].lower() == "static":
            properties["ipAddress"] = old["ipAddress"]
        return properties

    def after_put(self, ctx, resource, existing):
        sku = resource.get("sku") or {"name": "Standard"}
        sku.setdefault("tier", "Regional")
        resource["sku"] = sku
        properties = resource["properties"]
        static = properties["publicIPAllocationMethod"].lower() == "static"
        try:
            if sku.get("name", "").lower() == "standard" and not static:
                raise ArmError(
                    400,
                    "StandardSkuPublicIPAddressesMustBeStatic",
                    f"Standard sku publicIp {resource['id']} must have AllocationMethod set to Static.",
                )
            if existing is not None:
                before = sorted(str(zone) for zone in existing.get("zones") or [])
                after = sorted(str(zone) for zone in resource.get("zones") or [])
                if before != after:
                    raise ArmError(
                        400,
                        "ResourceAvailabilityZonesCannotBeModified",
                        f"Resource {resource['id']} has an existing availability zone constraint {', '.join(before) or 'NoZone'} "
                        f"and the request has availability zone constraint {', '.join(after) or 'NoZone'}, which do not "
                        "match. Zones cannot be added/updated/removed once the resource is created. The resource cannot be "
                        "updated from regional to zonal or vice-versa.",
                    )
        except ArmError:
            restore(ctx, resource, existing)
            raise
        if static and not properties.get("ipAddress"):
            properties["ipAddress"] = allocate_address(ctx)

    def view(self, ctx, resource):
        answer = copy.deepcopy(resource)
        nat = nat_gateway_using(ctx, resource["id"])
        if nat is not None:
            answer["properties"]["natGateway"] = {"id": nat["id"]}
        return answer

    def on_delete(self, ctx, resource):
        nat = nat_gateway_using(ctx, resource["id"])
        if nat is not None:
            raise ArmError(
                400,
                "PublicIPAddressCannotBeDeleted",
                f"Public IP address {resource['id']} can not be deleted since it is still allocated to resource "
                f"{nat['id']}. In order to delete the public IP, disassociate/detach the Public IP address from the "
                "resource.  To learn how to do this, see aka.ms/deletepublicip.",
            )


# -- NAT gateways ------------------------------------------------------------------------------


class NatGateway(Kind):
    """A NAT gateway (see the module docstring)."""

    type = NAT_GATEWAY
    display_type = "Microsoft.Network/natGateways"
    etag = True

    def prepare(self, ctx, body, existing):
        properties = copy.deepcopy(body.get("properties") or {})
        old = (existing or {}).get("properties") or {}
        for field in ("subnets", "resourceGuid", "provisioningState"):
            properties.pop(field, None)  # read-only
        properties.setdefault("idleTimeoutInMinutes", 4)
        for field in ("publicIpAddresses", "publicIpPrefixes"):
            if field in properties:
                properties[field] = [{"id": ref_id(ref)} for ref in properties[field] or [] if ref_id(ref)]
        properties["resourceGuid"] = old.get("resourceGuid") or str(uuid.uuid4())
        return properties

    def after_put(self, ctx, resource, existing):
        resource["sku"] = resource.get("sku") or {"name": "Standard"}
        try:
            for ref in resource["properties"].get("publicIpAddresses") or []:
                if type_of_id(ref["id"]) != PUBLIC_IP or ctx.get(ref["id"]) is None:
                    raise ArmError(
                        400,
                        "InvalidResourceReference",
                        f"Resource {ref['id']} referenced by resource {resource['id']} was not found. Please make sure "
                        "that the referenced resource exists, and that both resources are in the same region.",
                    )
                other = nat_gateway_using(ctx, ref["id"], other_than=resource["id"])
                if other is not None:
                    raise ArmError(
                        400,
                        "PublicIPAddressInUse",
                        f"Resource {resource['id']} is referencing public IP address {ref['id']} that is already "
                        f"allocated to resource {other['id']}.",
                    )
        except ArmError:
            restore(ctx, resource, existing)
            raise

    def view(self, ctx, resource):
        answer = copy.deepcopy(resource)
        answer["properties"]["subnets"] = [{"id": subnet["id"]} for subnet in subnets_using(ctx, resource["id"])]
        return answer

    def on_delete(self, ctx, resource):
        using = subnets_using(ctx, resource["id"])
        if using:
            raise ArmError(
                400,
                "CannotDeleteNatGatewayAssociatedToSubnet",
                f"NAT Gateway {resource['id']} is still configured on {len(using)} subnets. Remove NAT Gateway from all "
                "referenced subnets and then delete NAT Gateway.",
            )


KINDS = [VirtualNetwork, Subnet, PublicIPAddress, NatGateway]
