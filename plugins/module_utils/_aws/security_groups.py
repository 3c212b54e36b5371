# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Security group pieces of the ec2_vpc_security_groups set module.

Private to the collection. This file holds:

- one thin wrapper per EC2 security group call (retried on throttling and, where a group may not be visible yet,
  on ``InvalidGroup.NotFound``), raising VpcSetError "Failed to <verb> <resource> <id>";
- the rule model: a rule is split into *units*, one per (protocol, ports, single source), the unit that AWS
  stores, compares and revokes. A unit is a dict::

      {"proto": "6", "from": 443, "to": 443, "kind": "cidr", "source": "10.0.0.0/16",
       "group_name": None, "description": "HTTPS", "raw": <the Describe item, for revocation>}

  ``proto`` is the protocol number as AWS compares it (``tcp`` -> ``6``, ``all`` -> ``-1``); ports are None when
  the protocol has none (all, or a protocol other than TCP, UDP, ICMP, ICMPv6). ``kind`` is ``cidr``, ``cidr6``,
  ``group`` (``source`` the group ID, None for a group not created yet in check mode) or ``prefix_list``.
- conversions: Describe IpPermissions -> units; units -> IpPermissions (for Authorize, Revoke,
  UpdateSecurityGroupRuleDescriptions*); units -> the returned dicts and the one-line diff texts.
"""

from typing import Any
from typing import Dict
from typing import List
from typing import Optional
from typing import Tuple

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications

from ansible_collections.strata.platform.plugins.module_utils._aws.vpc import aws_call

# Protocol names accepted in input and used in output, with the number AWS compares.
PROTOCOL_NUMBERS = {"all": "-1", "icmp": "1", "tcp": "6", "udp": "17", "icmpv6": "58"}
PROTOCOL_NAMES = {number: name for name, number in PROTOCOL_NUMBERS.items()}
PORT_PROTOCOLS = ("6", "17")  # from_port/to_port are a port range
ICMP_PROTOCOLS = ("1", "58")  # from_port/to_port are the ICMP type and code (-1: any)

# A group may not be visible to the next call right after CreateSecurityGroup (eventual consistency); the same
# holds for a group that a rule references.
_SG_RETRY = ["InvalidGroup.NotFound"]


# --------------------------------------------------------------------------------------------------
# Thin SDK wrappers
# --------------------------------------------------------------------------------------------------


@aws_call("describe security groups of VPC {vpc_id}")
def describe_security_groups(client, vpc_id: str) -> List[Dict[str, Any]]:
    paginator = client.get_paginator("describe_security_groups")
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}]
    return paginator.paginate(Filters=filters).build_full_result()["SecurityGroups"]


@aws_call("create security group {name} in VPC {vpc_id}")
def create_security_group(client, vpc_id: str, name: str, description: str, tags: Dict[str, str]) -> str:
    return client.create_security_group(
        VpcId=vpc_id,
        GroupName=name,
        Description=description,
        TagSpecifications=boto3_tag_specifications(tags, types="security-group"),
    )["GroupId"]


@aws_call("delete security group {group_id}")
def delete_security_group(client, group_id: str) -> None:
    try:
        client.delete_security_group(GroupId=group_id)
    except is_boto3_error_code("InvalidGroup.NotFound"):
        return


@aws_call("authorize ingress rules of security group {group_id}", retry_codes=_SG_RETRY)
def authorize_ingress(client, group_id: str, permissions: List[Dict[str, Any]]) -> None:
    client.authorize_security_group_ingress(GroupId=group_id, IpPermissions=permissions)


@aws_call("authorize egress rules of security group {group_id}", retry_codes=_SG_RETRY)
def authorize_egress(client, group_id: str, permissions: List[Dict[str, Any]]) -> None:
    client.authorize_security_group_egress(GroupId=group_id, IpPermissions=permissions)


@aws_call("revoke ingress rules of security group {group_id}", retry_codes=_SG_RETRY)
def revoke_ingress(client, group_id: str, permissions: List[Dict[str, Any]]) -> None:
    try:
        client.revoke_security_group_ingress(GroupId=group_id, IpPermissions=permissions)
    except is_boto3_error_code("InvalidPermission.NotFound"):
        return


@aws_call("revoke egress rules of security group {group_id}", retry_codes=_SG_RETRY)
def revoke_egress(client, group_id: str, permissions: List[Dict[str, Any]]) -> None:
    try:
        client.revoke_security_group_egress(GroupId=group_id, IpPermissions=permissions)
    except is_boto3_error_code("InvalidPermission.NotFound"):
        return


@aws_call("update ingress rule descriptions of security group {group_id}", retry_codes=_SG_RETRY)
def update_ingress_descriptions(client, group_id: str, permissions: List[Dict[str, Any]]) -> None:
    client.update_security_group_rule_descriptions_ingress(GroupId=group_id, IpPermissions=permissions)


@aws_call("update egress rule descriptions of security group {group_id}", retry_codes=_SG_RETRY)
def update_egress_descriptions(client, group_id: str, permissions: List[Dict[str, Any]]) -> None:
    client.update_security_group_rule_descriptions_egress(GroupId=group_id, IpPermissions=permissions)


AUTHORIZE = {"ingress": authorize_ingress, "egress": authorize_egress}
REVOKE = {"ingress": revoke_ingress, "egress": revoke_egress}
UPDATE_DESCRIPTIONS = {"ingress": update_ingress_descriptions, "egress": update_egress_descriptions}


# --------------------------------------------------------------------------------------------------
# Protocols and ports
# --------------------------------------------------------------------------------------------------


def protocol_number(value: Any) -> Optional[str]:
    """The protocol number AWS compares (``tcp`` -> ``6``, ``all`` -> ``-1``), or None when unknown."""
    text = str(value).strip().lower()
    if text in PROTOCOL_NUMBERS:
        return PROTOCOL_NUMBERS[text]
    try:
        number = int(text)
    except ValueError:
        return None
    if number == -1:
        return "-1"
    if 0 <= number <= 255:
        return str(number)
    return None


def protocol_name(number: str) -> str:
    return PROTOCOL_NAMES.get(number, number)


def normalise_ports(proto: str, from_port: Any, to_port: Any) -> Tuple[Optional[int], Optional[int]]:
    """Ports as AWS compares them: a range for TCP/UDP, type/code for ICMP, none otherwise."""
    if proto in PORT_PROTOCOLS or proto in ICMP_PROTOCOLS:
        from_port = -1 if from_port is None else int(from_port)
        to_port = -1 if to_port is None else int(to_port)
        return from_port, to_port
    return None, None


# --------------------------------------------------------------------------------------------------
# Units
# --------------------------------------------------------------------------------------------------


def unit_key(unit: Dict[str, Any]) -> Tuple[Any, ...]:
    """The identity of a unit (its description is not part of it)."""
    source = unit["source"] if unit["source"] is not None else f"planned:{unit['group_name']}"
    return (unit["proto"], unit["from"], unit["to"], unit["kind"], source)


def units_from_permissions(permissions: List[Dict[str, Any]], names: Dict[str, str]) -> List[Dict[str, Any]]:
    """Describe IpPermissions(Egress) -> units; ``names`` maps the group IDs of the VPC to their names."""
    units = []
    for permission in permissions or []:
        proto = protocol_number(permission.get("IpProtocol", "-1")) or str(permission.get("IpProtocol"))
        from_port, to_port = normalise_ports(proto, permission.get("FromPort"), permission.get("ToPort"))
        base = {
            "proto": proto,
            "from": from_port,
            "to": to_port,
            "wire": {key: permission[key] for key in ("IpProtocol", "FromPort", "ToPort") if key in permission},
        }
        for item in permission.get("IpRanges") or []:
            units.append(dict(base, kind="cidr", source=item["CidrIp"], group_name=None, raw=("IpRanges", item)))
        for item in permission.get("Ipv6Ranges") or []:
            units.append(dict(base, kind="cidr6", source=item["CidrIpv6"], group_name=None, raw=("Ipv6Ranges", item)))
        for item in permission.get("UserIdGroupPairs") or []:
            group_id = item.get("GroupId")
            name = names.get(group_id) or item.get("GroupName")
            units.append(dict(base, kind="group", source=group_id, group_name=name, raw=("UserIdGroupPairs", item)))
        for item in permission.get("PrefixListIds") or []:
            units.append(
                dict(base, kind="prefix_list", source=item["PrefixListId"], group_name=None, raw=("PrefixListIds", item))
            )
    for unit in units:
        unit["description"] = unit["raw"][1].get("Description") or None
    return units


_SOURCE_FIELDS = {
    "cidr": ("IpRanges", "CidrIp"),
    "cidr6": ("Ipv6Ranges", "CidrIpv6"),
    "group": ("UserIdGroupPairs", "GroupId"),
    "prefix_list": ("PrefixListIds", "PrefixListId"),
}


def _wire_head(unit: Dict[str, Any]) -> Dict[str, Any]:
    if unit.get("wire"):
        return dict(unit["wire"])
    head = {"IpProtocol": unit["proto"]}
    if unit["from"] is not None:
        head["FromPort"] = unit["from"]
        head["ToPort"] = unit["to"]
    elif unit["proto"] not in ("-1",) + PORT_PROTOCOLS + ICMP_PROTOCOLS:
        # Ports don't apply to other protocols; AWS ignores them, and some implementations require them.
        head["FromPort"] = -1
        head["ToPort"] = -1
    return head


def to_permissions(units: List[Dict[str, Any]], exact: bool = False) -> List[Dict[str, Any]]:
    """Units -> IpPermissions, grouped by protocol and ports.

    With ``exact`` (revocation) each source item is sent as Describe returned it (description included), so that
    the rule is matched whatever the implementation compares; otherwise it is built from the unit.
    """
    grouped: Dict[Tuple[Any, ...], Dict[str, Any]] = {}
    for unit in units:
        head = _wire_head(unit) if exact else _wire_head(dict(unit, wire=None))
        key = tuple(sorted(head.items()))
        permission = grouped.setdefault(key, head)
        list_key, value_key = _SOURCE_FIELDS[unit["kind"]]
        if exact and unit.get("raw"):
            item = dict(unit["raw"][1])
        else:
            item = {value_key: unit["source"]}
            if unit["description"]:
                item["Description"] = unit["description"]
        permission.setdefault(list_key, []).append(item)
    return list(grouped.values())


def public_rule(unit: Dict[str, Any]) -> Dict[str, Any]:
    """A unit as returned: the input shape with one source (a group has both group_id and group_name)."""
    rule = {"proto": protocol_name(unit["proto"]), "from_port": unit["from"], "to_port": unit["to"]}
    if unit["kind"] in ("cidr", "cidr6"):
        rule["cidr_ip"] = unit["source"]
    elif unit["kind"] == "group":
        rule["group_id"] = unit["source"]
        rule["group_name"] = unit["group_name"]
    else:
        rule["prefix_list_id"] = unit["source"]
    rule["description"] = unit["description"]
    return rule


def _ports_text(unit: Dict[str, Any]) -> str:
    if unit["from"] is None:
        return ""
    if unit["proto"] in ICMP_PROTOCOLS:
        if unit["from"] == -1:
            return " any"
        return f" {unit['from']}" if unit["to"] == -1 else f" {unit['from']}/{unit['to']}"
    if unit["from"] == unit["to"]:
        return f" {unit['from']}"
    return f" {unit['from']}-{unit['to']}"


def rule_text(unit: Dict[str, Any], direction: str) -> str:
    """One line per unit for --diff, e.g. ``tcp 5432 from sg:fsm-dev-app`` or ``all to 0.0.0.0/0``."""
    if unit["kind"] == "group":
        source = f"sg:{unit['group_name'] or unit['source']}"
    elif unit["kind"] == "prefix_list":
        source = f"pl:{unit['source']}"
    else:
        source = unit["source"]
    word = "from" if direction == "ingress" else "to"
    text = f"{protocol_name(unit['proto'])}{_ports_text(unit)} {word} {source}"
    if unit["description"]:
        text += f"  # {unit['description']}"
    return text
