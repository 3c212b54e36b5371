"""Microsoft.Network: network security groups and their security rules.

Like ARM (api-version 2024-03-01, the one azure-mgmt-network 28 sends):

* a network security group (NSG) is answered with its ``securityRules`` inside the body (each with ``id``,
  ``etag``, ``type`` and ``provisioningState``; the four list fields ``sourcePortRanges``,
  ``destinationPortRanges``, ``sourceAddressPrefixes``, ``destinationAddressPrefixes`` always present,
  ``[]`` when unused), the six ``defaultSecurityRules`` ARM adds to every NSG (AllowVnetInBound,
  AllowAzureLoadBalancerInBound, DenyAllInBound, AllowVnetOutBound, AllowInternetOutBound, DenyAllOutBound;
  read-only: what a client sends for them is ignored), a stable ``resourceGuid``, an ``etag`` that changes
  with every write (the rules carry the NSG's), and ``subnets`` / ``networkInterfaces``: references to the
  subnets and network interfaces that point at it (``properties.networkSecurityGroup.id``), whether the
  subnets are stored as child resources or inside their VNet's body;
* a PUT replaces the rule set (rules left out are removed); create 201, update 200;
* a rule priority outside 100-4096 is 400 ``SecurityRuleInvalidPriority``; two rules with the same priority
  and direction are 400 ``SecurityRuleConflict``;
* DELETE is long-running (202 + ``Azure-AsyncOperation``); an NSG still associated with a subnet or a
  network interface is refused with 400 ``InUseNetworkSecurityGroupCannotBeDeleted``;
* the rules are child resources too: ``.../securityRules/{name}`` GET/PUT/DELETE (and the list) read and
  change the rule set inside the NSG's body; ``.../defaultSecurityRules[/{name}]`` are read-only.
"""

import copy
import uuid

from testcloud.azure_kinds import ArmError, Kind

NSG_TYPE = "microsoft.network/networksecuritygroups"
RULE_TYPE = NSG_TYPE + "/securityrules"
DEFAULT_RULE_TYPE = NSG_TYPE + "/defaultsecurityrules"
RULE_LISTS = ("sourcePortRanges", "destinationPortRanges", "sourceAddressPrefixes", "destinationAddressPrefixes")
READ_ONLY = ("provisioningState", "defaultSecurityRules", "subnets", "networkInterfaces", "flowLogs", "resourceGuid")

# name, direction, priority, access, source, destination, description (ARM's default rules)
DEFAULT_RULES = (
    ("AllowVnetInBound", "Inbound", 65000, "Allow", "VirtualNetwork", "VirtualNetwork", "Allow inbound traffic from all VMs in VNET"),
    ("AllowAzureLoadBalancerInBound", "Inbound", 65001, "Allow", "AzureLoadBalancer", "*", "Allow inbound traffic from azure load balancer"),
    ("DenyAllInBound", "Inbound", 65500, "Deny", "*", "*", "Deny all inbound traffic"),
    ("AllowVnetOutBound", "Outbound", 65000, "Allow", "VirtualNetwork", "VirtualNetwork", "Allow outbound traffic from all VMs to all VMs in VNET"),
    ("AllowInternetOutBound", "Outbound", 65001, "Allow", "*", "Internet", "Allow outbound traffic from all VMs to Internet"),
    ("DenyAllOutBound", "Outbound", 65500, "Deny", "*", "*", "Deny all outbound traffic"),
)


def rule_properties(properties):
    """A rule's properties as ARM stores them: unset fields left out, the four lists always present."""
    out = {key: copy.deepcopy(value) for key, value in (properties or {}).items() if value is not None and key != "provisioningState"}
    for field in RULE_LISTS:
        out[field] = list(out.get(field) or [])
    return out


def default_rules():
    rules = []
    for name, direction, priority, access, source, destination, description in DEFAULT_RULES:
        properties = {
            "description": description,
            "protocol": "*",
            "sourcePortRange": "*",
            "destinationPortRange": "*",
            "sourceAddressPrefix": source,
            "destinationAddressPrefix": destination,
            "access": access,
            "priority": priority,
            "direction": direction,
        }
        rules.append({"name": name, "properties": rule_properties(properties)})
    return rules


def check_rules(rules):
    """400 like ARM for priorities out of range or two rules with one priority and direction."""
    seen = {}
    for rule in rules:
        properties = rule["properties"]
        priority = properties.get("priority")
        if not isinstance(priority, int) or isinstance(priority, bool) or not 100 <= priority <= 4096:
            raise ArmError(400, "SecurityRuleInvalidPriority", f"Security rule {rule['name']} has invalid Priority. Value provided: {priority}. Allowed range 100-4096.")  # noqa: E501 - one role or rule per line, as Azure lists them
        key = (priority, str(properties.get("direction", "")).lower())
        if key in seen:
            raise ArmError(
                400,
                "SecurityRuleConflict",
                f"Security rule {seen[key]} conflicts with rule {rule['name']}. Rules cannot have the same Priority and Direction. To learn more, see aka.ms/nsgrules.",  # noqa: E501 - one role or rule per line, as Azure lists them
            )
        seen[key] = rule["name"]


def _ref(resource):
    return (((resource.get("properties") or {}).get("networkSecurityGroup")) or {}).get("id") or ""


def users(ctx, nsg_id):
    """Ids of the subnets and of the network interfaces that point at ``nsg_id``: ``(subnets, nics)``."""
    target = nsg_id.lower()
    subnets = {}
    for subnet in ctx.of_type("microsoft.network/virtualnetworks/subnets"):
        if _ref(subnet).lower() == target:
            subnets[subnet["id"].lower()] = subnet["id"]
    for vnet in ctx.of_type("microsoft.network/virtualnetworks"):
        for subnet in (vnet.get("properties") or {}).get("subnets") or []:
            subnet_id = subnet.get("id") or f"{vnet['id']}/subnets/{subnet.get('name')}"
            if _ref(subnet).lower() == target:
                subnets.setdefault(subnet_id.lower(), subnet_id)
    nics = [nic["id"] for nic in ctx.of_type("microsoft.network/networkinterfaces") if _ref(nic).lower() == target]
    return list(subnets.values()), nics


def rule_view(nsg, rule, collection, type_name):
    return {
        "name": rule["name"],
        "id": f"{nsg['id']}/{collection}/{rule['name']}",
        "etag": nsg.get("etag"),
        "type": type_name,
        "properties": {**copy.deepcopy(rule["properties"]), "provisioningState": (nsg.get("properties") or {}).get("provisioningState", "Succeeded")},
    }


class NetworkSecurityGroup(Kind):
    type = NSG_TYPE
    display_type = "Microsoft.Network/networkSecurityGroups"
    etag = True
    status_create = 201
    status_update = 200
    status_delete = 202
    provisioning = "Updating"

    def prepare(self, ctx, body, existing):
        properties = {key: copy.deepcopy(value) for key, value in (body.get("properties") or {}).items() if key not in READ_ONLY}
        rules = [{"name": rule.get("name"), "properties": rule_properties(rule.get("properties"))} for rule in properties.get("securityRules") or []]
        check_rules(rules)
        properties["securityRules"] = rules
        properties.setdefault("flushConnection", False)
        properties["resourceGuid"] = ((existing or {}).get("properties") or {}).get("resourceGuid") or str(uuid.uuid4())
        return properties

    def view(self, ctx, resource):
        answer = copy.deepcopy(resource)
        properties = answer.setdefault("properties", {})
        properties["securityRules"] = [
            rule_view(resource, rule, "securityRules", "Microsoft.Network/networkSecurityGroups/securityRules") for rule in properties.get("securityRules") or []  # noqa: E501 - one role or rule per line, as Azure lists them
        ]
        properties["defaultSecurityRules"] = [
            rule_view(resource, rule, "defaultSecurityRules", "Microsoft.Network/networkSecurityGroups/defaultSecurityRules") for rule in default_rules()
        ]
        subnets, nics = users(ctx, resource["id"])
        if subnets:
            properties["subnets"] = [{"id": subnet_id} for subnet_id in subnets]
        if nics:
            properties["networkInterfaces"] = [{"id": nic_id} for nic_id in nics]
        return answer

    def after_put(self, ctx, resource, existing):
        """Keep the child resources (``.../securityRules/{name}``) in step with the rules in the body."""
        sync_children(ctx, resource)

    def on_delete(self, ctx, resource):
        subnets, nics = users(ctx, resource["id"])
        if subnets or nics:
            raise ArmError(
                400,
                "InUseNetworkSecurityGroupCannotBeDeleted",
                f"Network security group {resource['id']} cannot be deleted because it is in use by the following resources: "
                f"{', '.join(subnets + nics)}. In order to delete the Network security group, remove the association with the "
                "resource(s). To learn how to do this, see aka.ms/deletensg.",
            )


def sync_children(ctx, nsg):
    """Store one child resource per rule of ``nsg`` (and drop the children of removed rules)."""
    names = {rule["name"].lower() for rule in nsg["properties"].get("securityRules") or []}
    for child in ctx.children(nsg["id"], RULE_TYPE):
        if child["name"].lower() not in names:
            ctx.delete_tree(child["id"])
    for rule in nsg["properties"].get("securityRules") or []:
        child = rule_view(nsg, rule, "securityRules", "Microsoft.Network/networkSecurityGroups/securityRules")
        ctx.put_raw(child["id"], RULE_TYPE, nsg["id"], child)


def parent_of(ctx, rule_id):
    nsg_id = rule_id[: rule_id.lower().rfind("/securityrules/")]
    return ctx.get(nsg_id)


class SecurityRule(Kind):
    """``.../networkSecurityGroups/{nsg}/securityRules/{name}``: one rule of the NSG's body."""

    type = RULE_TYPE
    display_type = "Microsoft.Network/networkSecurityGroups/securityRules"
    etag = True
    location_required = False
    async_create = False
    status_create = 201
    status_update = 200
    status_delete = 202
    not_found_code = "NotFound"

    def prepare(self, ctx, body, existing):
        return rule_properties(body.get("properties"))

    def after_put(self, ctx, resource, existing):
        nsg = parent_of(ctx, resource["id"])
        rules = [rule for rule in nsg["properties"].get("securityRules") or [] if rule["name"].lower() != resource["name"].lower()]
        rules.append({"name": resource["name"], "properties": rule_properties(resource["properties"])})
        try:
            check_rules(rules)
        except ArmError:
            if existing is not None:
                ctx.resources[resource["id"].lower()] = existing
            else:
                ctx.delete_tree(resource["id"])
            raise
        nsg["properties"]["securityRules"] = rules
        nsg["etag"] = f'W/"{uuid.uuid4()}"'
        sync_children(ctx, nsg)
        resource["etag"] = nsg["etag"]

    def on_delete(self, ctx, resource):
        nsg = parent_of(ctx, resource["id"])
        if nsg is None:
            return
        nsg["properties"]["securityRules"] = [rule for rule in nsg["properties"].get("securityRules") or [] if rule["name"].lower() != resource["name"].lower()]
        nsg["etag"] = f'W/"{uuid.uuid4()}"'


class DefaultSecurityRule(Kind):
    """``.../defaultSecurityRules[/{name}]``: the six default rules, read-only."""

    type = DEFAULT_RULE_TYPE
    display_type = "Microsoft.Network/networkSecurityGroups/defaultSecurityRules"
    location_required = False
    not_found_code = "NotFound"

    def _nsg(self, ctx, target):
        nsg_path = "/" + "/".join([*target.scope, "providers", target.namespace, target.types[0], target.names[0]])
        return ctx.get(nsg_path)

    def synthetic(self, ctx, target):
        nsg = self._nsg(ctx, target)
        if nsg is None:
            return None
        for rule in default_rules():
            if rule["name"].lower() == target.names[-1].lower():
                return rule_view(nsg, rule, "defaultSecurityRules", self.display_type)
        return None

    def list_items(self, ctx, target, query):
        nsg = self._nsg(ctx, target)
        if nsg is None:
            raise ArmError(404, "ResourceNotFound", f"The Resource 'Microsoft.Network/networkSecurityGroups/{target.names[0]}' was not found.")
        return [rule_view(nsg, rule, "defaultSecurityRules", self.display_type) for rule in default_rules()]

    def prepare(self, ctx, body, existing):
        raise ArmError(405, "MethodNotAllowed", "The default security rules of a network security group are read-only.")


KINDS = [NetworkSecurityGroup, SecurityRule, DefaultSecurityRule]
