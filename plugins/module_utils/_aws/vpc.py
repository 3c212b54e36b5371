# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Shared pieces of the VPC set modules (ec2_vpc_subnets, ec2_vpc_nat_gateways, ec2_vpc_route_tables).

Private to the collection. Each of those modules manages the *set* of one resource kind in one VPC,
owned by ``match_tags``, in one invocation. This file holds:

- one thin wrapper per EC2 call, each retried on throttling (AWSRetry) and raising VpcSetError with
  the message "Failed to <verb> <resource> <id>"; the modules convert it to fail_json once, in main();
- the waiter helper (botocore waiters over a list of ids, so that waits overlap);
- tag helpers: ownership matching, merging, comparison and batched CreateTags/DeleteTags;
- small validators/normalisers for CIDRs and ownership tags.
"""

import functools
import inspect
import ipaddress
import math
from typing import Any
from typing import Callable
from typing import Dict
from typing import Iterable
from typing import List
from typing import Optional
from typing import Tuple
from typing import Union

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

# Tag put on every Elastic IP that ec2_vpc_nat_gateways allocates: the subnet of the NAT it is for,
# so that an address left over by a failed run is reused instead of allocating another one.
NAT_SUBNET_TAG = "strata:nat-subnet"


class VpcSetError(AnsibleAWSError):
    """Every failure of these modules: an AWS error (``exception`` set) or a refused input (message only).

    main() converts it once with ``module.fail_json_aws_error(e)``.
    """


# --------------------------------------------------------------------------------------------------
# Thin SDK wrappers
# --------------------------------------------------------------------------------------------------


def aws_call(description: Union[str, Callable[..., str]], retry_codes: Optional[List[str]] = None):
    """Decorate one SDK call: retry on throttling (plus ``retry_codes``) and raise VpcSetError.

    ``description`` is "<verb> <resource> <id>", either a format string over the wrapped function's
    arguments or a callable receiving them; the error reads "Failed to <description>: <cause>".
    """

    def decorator(func):
        retried = AWSRetry.jittered_backoff(catch_extra_error_codes=retry_codes)(func)
        signature = inspect.signature(func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            try:
                return retried(*args, **kwargs)
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                bound = signature.bind(*args, **kwargs)
                bound.apply_defaults()
                arguments = dict(bound.arguments)
                if callable(description):
                    text = description(**arguments)
                else:
                    text = description.format(**arguments)
                raise VpcSetError(message=f"Failed to {text}", exception=e) from e

        return wrapper

    return decorator


def _ids(values: Iterable[str]) -> str:
    return ", ".join(values)


@aws_call("describe VPC {vpc_id}")
def describe_vpc(client, vpc_id: str) -> Optional[Dict[str, Any]]:
    try:
        vpcs = client.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
    except is_boto3_error_code("InvalidVpcID.NotFound"):
        return None
    return vpcs[0] if vpcs else None


@aws_call("describe availability zones")
def describe_availability_zone_names(client) -> List[str]:
    zones = client.describe_availability_zones(AllAvailabilityZones=False)["AvailabilityZones"]
    return [zone["ZoneName"] for zone in zones]


@aws_call("describe subnets of VPC {vpc_id}")
def describe_subnets(client, vpc_id: str, subnet_ids: Optional[List[str]] = None) -> List[Dict[str, Any]]:
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}]
    if subnet_ids:
        filters.append({"Name": "subnet-id", "Values": list(subnet_ids)})
    paginator = client.get_paginator("describe_subnets")
    return paginator.paginate(Filters=filters).build_full_result()["Subnets"]


@aws_call("create subnet {cidr} in VPC {vpc_id}")
def create_subnet(client, vpc_id: str, cidr: str, az: str, tags: Dict[str, str]) -> Dict[str, Any]:
    return client.create_subnet(
        VpcId=vpc_id,
        CidrBlock=cidr,
        AvailabilityZone=az,
        TagSpecifications=boto3_tag_specifications(tags, types="subnet"),
    )["Subnet"]


# A subnet may not be visible to the next call right after CreateSubnet (eventual consistency).
@aws_call("modify subnet {subnet_id}", retry_codes=["InvalidSubnetID.NotFound"])
def set_subnet_map_public_ip(client, subnet_id: str, value: bool) -> None:
    client.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": value})


@aws_call("delete subnet {subnet_id}")
def delete_subnet(client, subnet_id: str) -> None:
    try:
        client.delete_subnet(SubnetId=subnet_id)
    except is_boto3_error_code("InvalidSubnetID.NotFound"):
        return


@aws_call("describe NAT gateways of VPC {vpc_id}")
def describe_nat_gateways(client, vpc_id: str, states: Optional[List[str]] = None) -> List[Dict[str, Any]]:
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}]
    if states:
        filters.append({"Name": "state", "Values": list(states)})
    paginator = client.get_paginator("describe_nat_gateways")
    return paginator.paginate(Filter=filters).build_full_result()["NatGateways"]


# The Elastic IP may not be visible to CreateNatGateway right after AllocateAddress.
@aws_call(
    "create NAT gateway in subnet {subnet_id}",
    retry_codes=["InvalidAllocationID.NotFound", "InvalidElasticIpID.NotFound"],
)
def create_nat_gateway(client, subnet_id: str, allocation_id: str, tags: Dict[str, str]) -> Dict[str, Any]:
    return client.create_nat_gateway(
        SubnetId=subnet_id,
        AllocationId=allocation_id,
        ConnectivityType="public",
        TagSpecifications=boto3_tag_specifications(tags, types="natgateway"),
    )["NatGateway"]


@aws_call("delete NAT gateway {nat_gateway_id}")
def delete_nat_gateway(client, nat_gateway_id: str) -> None:
    try:
        client.delete_nat_gateway(NatGatewayId=nat_gateway_id)
    except is_boto3_error_code(["NatGatewayNotFound", "InvalidNatGatewayID.NotFound"]):
        return


@aws_call(lambda client, match_tags: f"describe Elastic IPs tagged {match_tags}")
def describe_addresses_tagged(client, match_tags: Dict[str, str]) -> List[Dict[str, Any]]:
    filters = [{"Name": f"tag:{key}", "Values": [value]} for key, value in match_tags.items()]
    # DescribeAddresses has no paginator.
    return client.describe_addresses(Filters=filters)["Addresses"]


@aws_call(lambda client, tags: f"allocate Elastic IP for subnet {tags.get(NAT_SUBNET_TAG)}")
def allocate_address(client, tags: Dict[str, str]) -> Dict[str, Any]:
    response = client.allocate_address(
        Domain="vpc", TagSpecifications=boto3_tag_specifications(tags, types="elastic-ip")
    )
    return {"AllocationId": response["AllocationId"], "PublicIp": response.get("PublicIp"), "Tags": []}


@aws_call("release Elastic IP {allocation_id}")
def release_address(client, allocation_id: str) -> None:
    try:
        client.release_address(AllocationId=allocation_id)
    except is_boto3_error_code(["InvalidAllocationID.NotFound", "InvalidAddress.NotFound"]):
        return


@aws_call("describe internet gateways attached to VPC {vpc_id}")
def describe_attached_internet_gateway_ids(client, vpc_id: str) -> List[str]:
    paginator = client.get_paginator("describe_internet_gateways")
    igws = paginator.paginate(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]).build_full_result()
    return [igw["InternetGatewayId"] for igw in igws["InternetGateways"]]


@aws_call("describe route tables of VPC {vpc_id}")
def describe_route_tables(client, vpc_id: str) -> List[Dict[str, Any]]:
    paginator = client.get_paginator("describe_route_tables")
    return paginator.paginate(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}]).build_full_result()["RouteTables"]


@aws_call("create route table {name} in VPC {vpc_id}")
def create_route_table(client, vpc_id: str, name: str, tags: Dict[str, str]) -> Dict[str, Any]:
    return client.create_route_table(
        VpcId=vpc_id, TagSpecifications=boto3_tag_specifications(tags, types="route-table")
    )["RouteTable"]


@aws_call("delete route table {route_table_id}")
def delete_route_table(client, route_table_id: str) -> None:
    try:
        client.delete_route_table(RouteTableId=route_table_id)
    except is_boto3_error_code("InvalidRouteTableID.NotFound"):
        return


# Routes and associations may follow CreateRouteTable immediately (eventual consistency).
_RTB_RETRY = ["InvalidRouteTableID.NotFound"]


@aws_call("create route {destination} in route table {route_table_id}", retry_codes=_RTB_RETRY)
def create_route(client, route_table_id: str, destination: Dict[str, str], target: Dict[str, str]) -> None:
    client.create_route(RouteTableId=route_table_id, **destination, **target)


@aws_call("replace route {destination} in route table {route_table_id}", retry_codes=_RTB_RETRY)
def replace_route(client, route_table_id: str, destination: Dict[str, str], target: Dict[str, str]) -> None:
    client.replace_route(RouteTableId=route_table_id, **destination, **target)


@aws_call("delete route {destination} from route table {route_table_id}")
def delete_route(client, route_table_id: str, destination: Dict[str, str]) -> None:
    try:
        client.delete_route(RouteTableId=route_table_id, **destination)
    except is_boto3_error_code("InvalidRoute.NotFound"):
        return


@aws_call("associate subnet {subnet_id} with route table {route_table_id}", retry_codes=_RTB_RETRY)
def associate_route_table(client, route_table_id: str, subnet_id: str) -> str:
    return client.associate_route_table(RouteTableId=route_table_id, SubnetId=subnet_id)["AssociationId"]


@aws_call("move association {association_id} to route table {route_table_id}", retry_codes=_RTB_RETRY)
def replace_route_table_association(client, association_id: str, route_table_id: str) -> str:
    return client.replace_route_table_association(AssociationId=association_id, RouteTableId=route_table_id)[
        "NewAssociationId"
    ]


@aws_call("disassociate route table association {association_id}")
def disassociate_route_table(client, association_id: str) -> None:
    try:
        client.disassociate_route_table(AssociationId=association_id)
    except is_boto3_error_code("InvalidAssociationID.NotFound"):
        return


@aws_call(lambda client, resource_ids, tags: f"tag {_ids(resource_ids)}")
def create_tags(client, resource_ids: List[str], tags: Dict[str, str]) -> None:
    client.create_tags(Resources=list(resource_ids), Tags=ansible_dict_to_boto3_tag_list(tags))


@aws_call(lambda client, resource_ids, keys: f"untag {_ids(resource_ids)}")
def delete_tags(client, resource_ids: List[str], keys: List[str]) -> None:
    client.delete_tags(Resources=list(resource_ids), Tags=[{"Key": key} for key in keys])


# --------------------------------------------------------------------------------------------------
# Waiting
# --------------------------------------------------------------------------------------------------

_WAITER_ID_PARAMETER = {
    "subnet_available": "SubnetIds",
    "nat_gateway_available": "NatGatewayIds",
    "nat_gateway_deleted": "NatGatewayIds",
}


def wait_for(client, waiter_name: str, ids: List[str], timeout: int, delay: int, what: str) -> None:
    """Wait, with one botocore waiter over all ``ids``, so that the waits of several resources overlap.

    ``what`` names the resources and the awaited state for the error ("NAT gateways ... to become available").
    """
    if not ids:
        return
    attempts = max(1, math.ceil(timeout / delay)) + 1
    params = {
        _WAITER_ID_PARAMETER[waiter_name]: list(ids),
        "WaiterConfig": {"Delay": delay, "MaxAttempts": attempts},
    }
    try:
        client.get_waiter(waiter_name).wait(**params)
    except botocore.exceptions.WaiterError as e:
        if "Max attempts exceeded" in to_text(e):
            message = f"Failed to wait for {what} (gave up after wait_timeout={timeout}s)"
        else:
            message = f"Failed to wait for {what}"
        raise VpcSetError(message=message, exception=e) from e
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        raise VpcSetError(message=f"Failed to wait for {what}", exception=e) from e


# --------------------------------------------------------------------------------------------------
# VPC and input checks
# --------------------------------------------------------------------------------------------------


def unknown_id(value: Optional[str], check_mode: bool, where: str) -> bool:
    """True when ``value`` is null (or empty) and check mode allows it.

    In check mode, upstream tasks report the resources they would create with a null id; a null id here stands
    for such a resource, and the module predicts its part as new without asking AWS about it. Outside check mode
    a null id is an error.
    """
    if value:
        return False
    if check_mode:
        return True
    raise VpcSetError(
        message=f"{where} is null or empty: a null ID (a resource not created yet) is only accepted in check mode"
    )


def require_vpc(client, vpc_id: str) -> Dict[str, Any]:
    """Return the VPC or raise: called before any mutating call when the VPC's existence isn't proven yet."""
    vpc = describe_vpc(client, vpc_id)
    if vpc is None:
        raise VpcSetError(message=f"VPC {vpc_id} not found: create it first (amazon.aws.ec2_vpc_net) or fix vpc_id")
    return vpc


def vpc_ipv4_networks(vpc: Dict[str, Any]) -> List[Any]:
    """The IPv4 blocks associated with a VPC (DescribeVpcs output) as ipaddress networks."""
    blocks = [
        assoc["CidrBlock"]
        for assoc in vpc.get("CidrBlockAssociationSet") or []
        if assoc.get("CidrBlockState", {}).get("State", "associated") in ("associated", "associating")
    ]
    if not blocks and vpc.get("CidrBlock"):
        blocks = [vpc["CidrBlock"]]
    return [ipaddress.ip_network(block) for block in blocks]


def normalise_cidr(value: str, where: str) -> str:
    """Return the canonical text of an IPv4/IPv6 network, or raise naming ``where`` and the fix."""
    try:
        return str(ipaddress.ip_network(to_text(value).strip(), strict=True))
    except ValueError as e:
        raise VpcSetError(message=f"{where}: {value!r} is not a valid CIDR block ({e})") from e


def normalise_tags(tags: Optional[Dict[str, Any]], where: str) -> Optional[Dict[str, str]]:
    """Tags as str -> str (YAML may give numbers or booleans as values); None stays None."""
    if tags is None:
        return None
    result = {}
    for key, value in tags.items():
        if value is None:
            raise VpcSetError(message=f"{where}: tag {key!r} has no value; give it a string (may be empty)")
        if isinstance(value, bool):
            value = "true" if value else "false"
        result[to_text(key)] = to_text(value)
    return result


def check_match_tags(match_tags: Dict[str, Any]) -> Dict[str, str]:
    """match_tags must be non-empty: an empty dict would claim every resource of the VPC."""
    match_tags = normalise_tags(match_tags, "match_tags")
    if not match_tags:
        raise VpcSetError(
            message="match_tags must name at least one tag: resources are owned (modified, deleted) by these tags"
        )
    reserved = sorted(key for key in match_tags if key.lower().startswith("aws:"))
    if reserved:
        raise VpcSetError(message=f"match_tags: keys {reserved} are reserved by AWS and can't be set")
    return match_tags


# --------------------------------------------------------------------------------------------------
# Tags
# --------------------------------------------------------------------------------------------------


def resource_tags(resource: Dict[str, Any]) -> Dict[str, str]:
    """Tags of a Describe* item, as a dict (read from the Describe output, never from DescribeTags)."""
    return boto3_tag_list_to_ansible_dict(resource.get("Tags") or [])


def carries_tags(tags: Dict[str, str], match_tags: Dict[str, str]) -> bool:
    """True when ``tags`` hold every ownership tag with its value."""
    return all(tags.get(key) == value for key, value in match_tags.items())


def desired_tags(
    common: Optional[Dict[str, str]],
    own: Optional[Dict[str, str]],
    required: Dict[str, str],
    purge_tags: bool,
    where: str,
) -> Tuple[Dict[str, str], bool]:
    """The tags a resource should carry and whether others are purged.

    ``common`` (the module's ``tags``) is merged under ``own`` (the item's ``tags``); ``required``
    (match_tags, and e.g. the Name of a route table) always wins and may not be contradicted.
    When neither ``common`` nor ``own`` is set, tags are unmanaged: only ``required`` is ensured, nothing purged.
    """
    for layer_name, layer in (("tags", common), (f"{where}.tags", own)):
        for key, value in (layer or {}).items():
            if key in required and required[key] != value:
                raise VpcSetError(
                    message=(
                        f"{layer_name}: tag {key}={value!r} contradicts the required {key}={required[key]!r} "
                        "(match_tags and names can't be overridden); remove it"
                    )
                )
    if common is None and own is None:
        return dict(required), False
    merged = dict(common or {})
    merged.update(own or {})
    merged.update(required)
    return merged, purge_tags


def tags_after(current: Dict[str, str], desired: Dict[str, str], purge: bool) -> Dict[str, str]:
    """Predicted tags once ``desired`` is applied to ``current``."""
    to_set, to_unset = compare_aws_tags(current, desired, purge_tags=purge)
    result = {key: value for key, value in current.items() if key not in to_unset}
    result.update(to_set)
    return result


class TagBatch:
    """Collects tag changes and applies them with as few CreateTags/DeleteTags calls as possible.

    Resources that need the same change (e.g. a new common tag on nine subnets) share one call.
    """

    def __init__(self) -> None:
        self._set: Dict[Tuple[Tuple[str, str], ...], List[str]] = {}
        self._unset: Dict[Tuple[str, ...], List[str]] = {}

    def add(self, resource_id: Optional[str], current: Dict[str, str], desired: Dict[str, str], purge: bool):
        """Queue the difference for ``resource_id``; return (changed, predicted tags)."""
        to_set, to_unset = compare_aws_tags(current, desired, purge_tags=purge)
        if resource_id is not None:
            if to_set:
                self._set.setdefault(tuple(sorted(to_set.items())), []).append(resource_id)
            if to_unset:
                self._unset.setdefault(tuple(sorted(to_unset)), []).append(resource_id)
        return bool(to_set or to_unset), tags_after(current, desired, purge)

    @property
    def pending(self) -> bool:
        return bool(self._set or self._unset)

    def apply(self, client, check_mode: bool) -> bool:
        changed = self.pending
        if check_mode:
            return changed
        for keys, resource_ids in self._unset.items():
            delete_tags(client, resource_ids, list(keys))
        for items, resource_ids in self._set.items():
            create_tags(client, resource_ids, dict(items))
        self._set, self._unset = {}, {}
        return changed


# --------------------------------------------------------------------------------------------------
# Misc
# --------------------------------------------------------------------------------------------------


def duplicates(values: Iterable[Any]) -> List[Any]:
    """Values that occur more than once, in first-seen order."""
    seen, dups = set(), []
    for value in values:
        if value in seen and value not in dups:
            dups.append(value)
        seen.add(value)
    return dups


# --------------------------------------------------------------------------------------------------
# What the three modules share around their own logic
# --------------------------------------------------------------------------------------------------


def set_module_argument_spec(**specific: Dict[str, Any]) -> Dict[str, Any]:
    """The options every VPC set module takes (vpc_id, tags, match_tags, purge_tags, state), plus ``specific``."""
    argument_spec = dict(
        vpc_id=dict(type="str", required=True),
        tags=dict(type="dict", aliases=["resource_tags"]),
        match_tags=dict(type="dict", required=True),
        purge_tags=dict(type="bool", default=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    argument_spec.update(specific)
    return argument_spec


def run_set_module(module, ensure_present: Callable, ensure_absent: Callable) -> None:
    """The end of main(): check match_tags, apply the state, fail on VpcSetError, exit with the result.

    ``ensure_present``/``ensure_absent`` take (client, module, match_tags) and return (changed, result);
    ``result["diff"]`` is returned only when the task runs in diff mode.
    """
    client = module.client("ec2")

    try:
        match_tags = check_match_tags(module.params["match_tags"])
        if module.params["state"] == "present":
            changed, result = ensure_present(client, module, match_tags)
        else:
            changed, result = ensure_absent(client, module, match_tags)
    except VpcSetError as e:
        module.fail_json_aws_error(e)

    diff = result.pop("diff")
    if module._diff:
        result["diff"] = diff
    module.exit_json(changed=changed, **result)
