# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The normalised layers of one deployment target, on either cloud: the request check (before any call),
the names and tags the roles give their resources, and the normalisers from what each cloud answers to
the one shape that strata.platform.platform_layer (lookup) and strata.platform.platform_layer_info (module)
return.

Private to the collection. Pure Python: no SDK import here (the cloud finders are in ``aws.py`` and
``azure.py`` of this package; ``finder.py`` joins them).
"""

import re
from typing import Any
from typing import Dict
from typing import Iterable
from typing import List
from typing import Optional

OWNER = "strata.platform"
ENVIRONMENTS = ("dev", "staging", "uat", "prod")
CLOUDS = ("aws", "azure")
# Layers in site.yml order; each names what the lookup may search.
LAYERS = ("network", "security_groups", "iam", "encryption", "database", "cache", "kafka")
# Result keys filled by each layer (encryption fills keys and, on Azure, key_vault).
LAYER_KEYS = {
    "network": ("network",),
    "security_groups": ("security_groups",),
    "iam": ("identities",),
    "encryption": ("encryption_keys", "key_vault"),
    "database": ("database",),
    "cache": ("cache",),
    "kafka": ("kafka",),
}
TIERS = ("public", "app", "data")
SECURITY_GROUP_KEYS = ("public", "app", "database", "cache", "kafka")
KEY_PURPOSES = ("data", "backup", "logs")
PLATFORM_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]{1,11}$")
DEFAULT_IAM_PATH = "/strata/"

# The regions the platform role accepts (roles/platform/vars/main.yml __platform_regions; a unit test keeps
# the two lists equal).
AWS_REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "ca-west-1", "mx-central-1", "sa-east-1",
    "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
    "il-central-1", "me-south-1", "me-central-1", "af-south-1",
    "ap-east-1", "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
    "ap-southeast-5", "ap-southeast-7", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
)
AZURE_REGIONS = (
    "eastus", "eastus2", "westus", "westus2", "westus3", "centralus", "northcentralus", "southcentralus",
    "westcentralus", "canadacentral", "canadaeast", "brazilsouth", "mexicocentral", "northeurope", "westeurope",
    "uksouth", "ukwest", "francecentral", "germanywestcentral", "switzerlandnorth", "norwayeast", "swedencentral",
    "polandcentral", "italynorth", "spaincentral", "eastasia", "southeastasia", "japaneast", "japanwest",
    "koreacentral", "centralindia", "southindia", "australiaeast", "australiasoutheast", "newzealandnorth",
    "uaenorth", "qatarcentral", "israelcentral", "southafricanorth",
)
# The shape of a region name of each cloud (a region the lists do not know yet must still look like one).
REGION_PATTERNS = {
    "aws": re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+$"),
    "azure": re.compile(r"^[a-z][a-z0-9]{2,30}$"),
}
REGION_LISTS = {"aws": AWS_REGIONS, "azure": AZURE_REGIONS}

# AWS: the security group purpose (tag `purpose`, the security_groups role's matrix) behind each key.
AWS_SECURITY_GROUP_PURPOSES = {"public": "alb", "app": "eks-nodes", "database": "rds", "cache": "redis", "kafka": "kafka"}
# Azure: the NSG behind each key (the data NSG guards the three data stores).
AZURE_NSG_PURPOSES = {"public": "public", "app": "app", "database": "data", "cache": "data", "kafka": "data"}
# Subnet tier tags (AWS) and subnet names (Azure) of the network role.
TIER_NAMES = {"public": "public", "private-app": "app", "private-data": "data"}

# Azure resource types of each layer (lower case, as compared).
AZURE_TYPES = {
    "vnet": "microsoft.network/virtualnetworks",
    "nat": "microsoft.network/natgateways",
    "nsg": "microsoft.network/networksecuritygroups",
    "identity": "microsoft.managedidentity/userassignedidentities",
    "vault": "microsoft.keyvault/vaults",
    "postgres": "microsoft.dbforpostgresql/flexibleservers",
    "redis": "microsoft.cache/redis",
    "eventhub": "microsoft.eventhub/namespaces",
}
AZURE_POSTGRES_PORT = 5432
AZURE_EVENTHUB_KAFKA_PORT = 9093


class TargetError(ValueError):
    """A request that cannot name a target (raised before any API call)."""


class LayerLookupError(Exception):
    """A cloud call failed or the credentials are missing; the message names the cause and the fix."""


# -- the request ---------------------------------------------------------------------------------


def target_name(platform: str, environment: str, region: str) -> str:
    """``<platform>-<environment>-<region>``: the prefix of every resource of the target (Azure: its resource
    group)."""
    return f"{platform}-{environment}-{region}"


def parse_host_name(name: Any) -> Dict[str, str]:
    """``prod-aws-eu-west-1`` (an inventory host name, ``<environment>-<cloud>-<region>``) as
    ``{environment, cloud, region}``."""
    text = str(name or "").strip()
    parts = text.split("-", 2)
    if len(parts) != 3 or parts[0] not in ENVIRONMENTS or parts[1] not in CLOUDS or not parts[2]:
        raise TargetError(
            f"target {text!r} is not an inventory host name <environment>-<cloud>-<region> (environment one of "
            f"{', '.join(ENVIRONMENTS)}; cloud aws or azure), e.g. prod-aws-eu-west-1 or prod-azure-eastus; "
            "or pass environment= and region= instead"
        )
    return {"environment": parts[0], "cloud": parts[1], "region": parts[2]}


def clouds_of_region(region: str) -> List[str]:
    """The clouds to search for ``region`` when no cloud is given: the one whose region list has it, else both."""
    found = [cloud for cloud in CLOUDS if region in REGION_LISTS[cloud]]
    return found or list(CLOUDS)


def check_request(
    environment: Any,
    region: Any,
    cloud: Any = None,
    platform: Any = None,
    layers: Optional[Iterable[Any]] = None,
) -> Dict[str, Any]:
    """Check a request before any call; return ``{environment, region, clouds, platform, layers, name}``.

    Raises TargetError naming the option and the fix (every problem at once)."""
    problems = []
    environment = "" if environment is None else str(environment).strip()
    region = "" if region is None else str(region).strip()
    cloud = None if cloud in (None, "") else str(cloud).strip()
    platform = "" if platform is None else str(platform).strip()
    if environment not in ENVIRONMENTS:
        problems.append(f"environment={environment!r} must be one of {', '.join(ENVIRONMENTS)}")
    if cloud is not None and cloud not in CLOUDS:
        problems.append(f"cloud={cloud!r} must be aws or azure (or left out: the region decides)")
    if not region:
        problems.append("region is required (an AWS region such as us-east-1 or an Azure region such as eastus)")
    elif cloud in CLOUDS and not REGION_PATTERNS[cloud].match(region):
        example = "us-east-1" if cloud == "aws" else "eastus"
        problems.append(f"region={region!r} is not a region name of {cloud} (e.g. {example}); fix region or cloud")
    elif cloud is None and not any(pattern.match(region) for pattern in REGION_PATTERNS.values()):
        problems.append(f"region={region!r} is neither an AWS region name (us-east-1) nor an Azure one (eastus)")
    if not PLATFORM_NAME_PATTERN.match(platform):
        problems.append(
            f"platform={platform!r} must be the target's platform_name: 2-12 lowercase letters/digits starting "
            "with a letter (e.g. fsm)"
        )
    wanted = list(LAYERS) if layers is None else [str(layer) for layer in layers]
    unknown = [layer for layer in wanted if layer not in LAYERS]
    if unknown:
        problems.append(f"layers has {', '.join(unknown)}: each must be one of {', '.join(LAYERS)}")
    elif not wanted:
        problems.append(f"layers is empty: name at least one of {', '.join(LAYERS)} (or leave it out for all)")
    if problems:
        raise TargetError("; ".join(problems))
    clouds = [cloud] if cloud else clouds_of_region(region)
    return {
        "environment": environment,
        "region": region,
        "clouds": clouds,
        "platform": platform,
        "layers": [layer for layer in LAYERS if layer in wanted],
        "name": target_name(platform, environment, region),
    }


def empty_result(request: Dict[str, Any], cloud: Optional[str]) -> Dict[str, Any]:
    """The result with every layer null (not searched, or not found)."""
    result = {
        "cloud": cloud,
        "environment": request["environment"],
        "region": request["region"],
        "platform": request["platform"],
        "name": request["name"],
        "layers": list(request["layers"]),
    }
    for layer in LAYERS:
        for key in LAYER_KEYS[layer]:
            result[key] = None
    return result


def found_any(result: Dict[str, Any]) -> bool:
    """True when at least one layer of ``result`` was found."""
    return any(result.get(key) is not None for layer in LAYERS for key in LAYER_KEYS[layer])


def match_tags(platform: str, environment: str, layer: str) -> Dict[str, str]:
    """The tags every resource of ``layer`` carries (the roles' ``__<role>_match_tags``)."""
    return {"owner": OWNER, "platform": platform, "environment": environment, "layer": layer}


def is_owned(tags: Optional[Dict[str, Any]], platform: str, environment: str, layer: str) -> bool:
    """True when ``tags`` hold every match tag of ``layer``."""
    tags = tags or {}
    return all(tags.get(key) == value for key, value in match_tags(platform, environment, layer).items())


def aws_names(request: Dict[str, Any], iam_path: str = DEFAULT_IAM_PATH) -> Dict[str, Any]:
    """The names the AWS roles give the target's resources."""
    prefix = f"{request['platform']}-{request['environment']}"
    return {
        "vpc": request["name"],
        "security_group_prefix": prefix,
        "key_aliases": {purpose: f"alias/{prefix}-{purpose}" for purpose in KEY_PURPOSES},
        "iam_path": iam_path,
        "role_prefix": f"{request['name']}-",
        "db_instance": f"{prefix}-postgres",
        "replication_group": f"{prefix}-redis",
        "kafka_cluster": f"{prefix}-kafka",
    }


def azure_names(request: Dict[str, Any]) -> Dict[str, str]:
    """The names the Azure roles give the target's resources (the contract of issue 5)."""
    name = request["name"]
    return {
        "resource_group": name,
        "vnet": f"{name}-vnet",
        "nat": f"{name}-nat",
        "nsg": {purpose: f"{name}-{purpose}-nsg" for purpose in ("public", "app", "data")},
        "identity_prefix": f"{name}-",
        "postgres": f"{name}-pg",
        "redis": f"{name}-redis",
        "eventhub": f"{name}-ehns",
    }


# -- AWS normalisers (boto3 shapes in) ---------------------------------------------------------


def boto3_tags(resource: Optional[Dict[str, Any]], key: str = "Tags") -> Dict[str, str]:
    """A boto3 ``[{Key, Value}]`` list as a dict."""
    return {tag["Key"]: tag.get("Value", "") for tag in (resource or {}).get(key) or []}


def aws_network(vpc: Optional[Dict[str, Any]], subnets: List[Dict[str, Any]], nat_gateways: List[Dict[str, Any]]):
    """The network layer from DescribeVpcs / DescribeSubnets / DescribeNatGateways items (None without a VPC)."""
    if not vpc:
        return None
    tiers: Dict[str, List[Dict[str, Any]]] = {tier: [] for tier in TIERS}
    for subnet in subnets or []:
        tier = TIER_NAMES.get(boto3_tags(subnet).get("tier", ""))
        if tier:
            tiers[tier].append({
                "id": subnet.get("SubnetId"),
                "cidr": subnet.get("CidrBlock"),
                "zone": subnet.get("AvailabilityZone"),
            })
    for tier in TIERS:
        tiers[tier].sort(key=lambda item: (item["zone"] or "", item["cidr"] or ""))
    return {
        "id": vpc.get("VpcId"),
        "name": boto3_tags(vpc).get("Name"),
        "cidr": vpc.get("CidrBlock"),
        "resource_group": None,
        "subnets": tiers,
        "nat_gateway_ids": sorted(nat.get("NatGatewayId") for nat in nat_gateways or [] if nat.get("NatGatewayId")),
    }


def aws_security_groups(groups: List[Dict[str, Any]]):
    """The security groups by key from DescribeSecurityGroups items (None when there is none)."""
    by_purpose = {}
    for group in groups or []:
        purpose = boto3_tags(group).get("purpose")
        if purpose and purpose not in by_purpose:
            by_purpose[purpose] = group.get("GroupId")
    if not by_purpose:
        return None
    return {key: by_purpose.get(purpose) for key, purpose in AWS_SECURITY_GROUP_PURPOSES.items()}


def aws_keys(keys: Dict[str, Optional[Dict[str, Any]]]):
    """The key ARNs by purpose from DescribeKey's KeyMetadata (None: no such alias); keys pending deletion
    do not count. None when no purpose has a key."""
    out = {}
    for purpose in KEY_PURPOSES:
        meta = keys.get(purpose) or {}
        live = meta.get("KeyState") not in (None, "PendingDeletion", "PendingReplicaDeletion")
        out[purpose] = meta.get("Arn") if live else None
    return out if any(out.values()) else None


def aws_identities(roles: List[Dict[str, Any]], role_prefix: str):
    """The iam layer's service role ARNs by key (``<target>-<key>``) from ListRoles items."""
    out = {}
    for role in roles or []:
        name = role.get("RoleName") or ""
        if name.startswith(role_prefix) and len(name) > len(role_prefix):
            out[name[len(role_prefix):]] = role.get("Arn")
    return dict(sorted(out.items())) or None


def aws_database(instance: Optional[Dict[str, Any]]):
    """The database layer from one DescribeDBInstances item."""
    if not instance:
        return None
    endpoint = instance.get("Endpoint") or {}
    return {
        "id": instance.get("DBInstanceArn"),
        "name": instance.get("DBInstanceIdentifier"),
        "endpoint": endpoint.get("Address"),
        "port": endpoint.get("Port") or instance.get("DbInstancePort") or None,
        "engine_version": instance.get("EngineVersion"),
    }


def aws_cache(group: Optional[Dict[str, Any]]):
    """The cache layer from one DescribeReplicationGroups item (the primary endpoint; the configuration
    endpoint in cluster mode)."""
    if not group:
        return None
    endpoint = group.get("ConfigurationEndpoint") or {}
    for node_group in group.get("NodeGroups") or []:
        if node_group.get("PrimaryEndpoint"):
            endpoint = node_group["PrimaryEndpoint"]
            break
    return {
        "id": group.get("ARN"),
        "name": group.get("ReplicationGroupId"),
        "endpoint": endpoint.get("Address"),
        "port": endpoint.get("Port"),
    }


def aws_kafka(cluster: Optional[Dict[str, Any]], brokers: Optional[Dict[str, Any]]):
    """The kafka layer from one ListClustersV2 item and its GetBootstrapBrokers answer (None while the
    cluster is not active): the TLS brokers, else the plaintext ones."""
    if not cluster:
        return None
    brokers = brokers or {}
    servers = brokers.get("BootstrapBrokerStringTls") or brokers.get("BootstrapBrokerString") or None
    return {"id": cluster.get("ClusterArn"), "name": cluster.get("ClusterName"), "bootstrap_servers": servers}


# -- Azure normalisers (ARM JSON in) -----------------------------------------------------------


def arm_type(resource: Dict[str, Any]) -> str:
    return str(resource.get("type") or "").lower()


def owned_of_type(resources: List[Dict[str, Any]], type_key: str, request: Dict[str, Any], layer: str):
    """The resources of one type (AZURE_TYPES key) carrying the layer's match tags, sorted by name."""
    wanted = AZURE_TYPES[type_key]
    found = [
        resource for resource in resources or []
        if arm_type(resource) == wanted and is_owned(resource.get("tags"), request["platform"], request["environment"], layer)
    ]
    return sorted(found, key=lambda resource: str(resource.get("name") or "").lower())


def pick(resources: List[Dict[str, Any]], preferred_name: str):
    """The resource named ``preferred_name`` (any case), else the first one, else None."""
    for resource in resources:
        if str(resource.get("name") or "").lower() == preferred_name.lower():
            return resource
    return resources[0] if resources else None


def _prefix(properties: Dict[str, Any]) -> Optional[str]:
    prefix = properties.get("addressPrefix")
    if not prefix:
        prefixes = properties.get("addressPrefixes") or []
        prefix = prefixes[0] if prefixes else None
    return prefix


def azure_network(vnet: Optional[Dict[str, Any]], subnets: Optional[List[Dict[str, Any]]],
                  nat_gateways: List[Dict[str, Any]], resource_group: str):
    """The network layer from a VNet body (``subnets``: the VNet's subnets, from its body or its subnets list)
    and the NAT gateways of the layer. Azure subnets are regional: ``zone`` is null."""
    if not vnet:
        return None
    properties = vnet.get("properties") or {}
    if subnets is None:
        subnets = properties.get("subnets") or []
    tiers: Dict[str, List[Dict[str, Any]]] = {tier: [] for tier in TIERS}
    for subnet in subnets:
        tier = TIER_NAMES.get(str(subnet.get("name") or ""))
        if tier:
            tiers[tier].append({"id": subnet.get("id"), "cidr": _prefix(subnet.get("properties") or {}), "zone": None})
    prefixes = (properties.get("addressSpace") or {}).get("addressPrefixes") or []
    return {
        "id": vnet.get("id"),
        "name": vnet.get("name"),
        "cidr": prefixes[0] if prefixes else None,
        "resource_group": resource_group,
        "subnets": tiers,
        "nat_gateway_ids": sorted(nat.get("id") for nat in nat_gateways or [] if nat.get("id")),
    }


def azure_security_groups(nsgs: List[Dict[str, Any]], target: str):
    """The NSG ids by key: purpose from the ``purpose`` tag, else from the name ``<target>-<purpose>-nsg``."""
    by_purpose = {}
    for nsg in nsgs or []:
        purpose = (nsg.get("tags") or {}).get("purpose")
        name = str(nsg.get("name") or "")
        if not purpose and name.startswith(target + "-") and name.endswith("-nsg"):
            purpose = name[len(target) + 1:-len("-nsg")]
        if purpose and purpose not in by_purpose:
            by_purpose[purpose] = nsg.get("id")
    if not by_purpose:
        return None
    return {key: by_purpose.get(purpose) for key, purpose in AZURE_NSG_PURPOSES.items()}


def azure_identities(identities: List[Dict[str, Any]], target: str):
    """The user-assigned identity ids by workload (``<target>-<workload>``)."""
    out = {}
    for identity in identities or []:
        name = str(identity.get("name") or "")
        workload = name[len(target) + 1:] if name.startswith(target + "-") else name
        out.setdefault(workload, identity.get("id"))
    return dict(sorted(out.items())) or None


def azure_key_vault(vault: Optional[Dict[str, Any]]):
    """``{id, name, uri}`` of the target's Key Vault."""
    if not vault:
        return None
    return {"id": vault.get("id"), "name": vault.get("name"), "uri": (vault.get("properties") or {}).get("vaultUri")}


def _key_purpose(key: Dict[str, Any]) -> Optional[str]:
    purpose = (key.get("tags") or {}).get("purpose")
    if purpose in KEY_PURPOSES:
        return purpose
    name = str(key.get("name") or "")
    for candidate in KEY_PURPOSES:
        if name == candidate or name.endswith("-" + candidate):
            return candidate
    return None


def _key_enabled(key: Dict[str, Any]) -> bool:
    attributes = (key.get("properties") or {}).get("attributes") or {}
    return attributes.get("enabled", True) is not False


def azure_keys(keys: List[Dict[str, Any]], vault_uri: Optional[str]):
    """The versionless key ids (``https://<vault>.vault.azure.net/keys/<name>``) by purpose, from the vault's
    ARM key list (purpose: the ``purpose`` tag, else the key name ``<purpose>`` or ``...-<purpose>``).
    None when no purpose has a key."""
    out = {purpose: None for purpose in KEY_PURPOSES}
    for key in sorted(keys or [], key=lambda item: str(item.get("name") or "")):
        purpose = _key_purpose(key)
        if purpose is None or out[purpose] is not None or not _key_enabled(key):
            continue
        uri = (key.get("properties") or {}).get("keyUri")
        if not uri and vault_uri:
            uri = vault_uri.rstrip("/") + "/keys/" + str(key.get("name"))
        out[purpose] = uri
    return out if any(out.values()) else None


def azure_database(server: Optional[Dict[str, Any]]):
    """The database layer from a PostgreSQL flexible server body."""
    if not server:
        return None
    properties = server.get("properties") or {}
    return {
        "id": server.get("id"),
        "name": server.get("name"),
        "endpoint": properties.get("fullyQualifiedDomainName"),
        "port": AZURE_POSTGRES_PORT,
        "engine_version": None if properties.get("version") is None else str(properties.get("version")),
    }


def azure_cache(cache: Optional[Dict[str, Any]]):
    """The cache layer from an Azure Cache for Redis body (the TLS port: the non-TLS port is off)."""
    if not cache:
        return None
    properties = cache.get("properties") or {}
    return {
        "id": cache.get("id"),
        "name": cache.get("name"),
        "endpoint": properties.get("hostName"),
        "port": properties.get("sslPort"),
    }


def azure_kafka(namespace: Optional[Dict[str, Any]]):
    """The kafka layer from an Event Hubs namespace body: its Kafka endpoint ``<host>:9093`` (from
    ``serviceBusEndpoint``)."""
    if not namespace:
        return None
    endpoint = str((namespace.get("properties") or {}).get("serviceBusEndpoint") or "")
    host = re.sub(r"^[a-z]+://", "", endpoint).split("/")[0].split(":")[0]
    return {
        "id": namespace.get("id"),
        "name": namespace.get("name"),
        "bootstrap_servers": f"{host}:{AZURE_EVENTHUB_KAFKA_PORT}" if host else None,
    }
