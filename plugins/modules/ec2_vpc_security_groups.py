#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ec2_vpc_security_groups
short_description: Manage the set of security groups of a VPC, with their rules, owned by tags
version_added: 0.1.0
description:
  - Creates, updates and deletes all the security groups of one VPC that this collection owns, with their ingress
    and egress rules, in one invocation with one C(DescribeSecurityGroups) call for the VPC on a run that changes
    nothing, where M(amazon.aws.ec2_security_group) needs one invocation per group.
  - Groups may reference each other, circularly too (an EKS cluster and its nodes); every missing group is
    created first, then the rules of every group are converged.
  - A group is owned when it carries every tag of O(match_tags); within the VPC it is identified by its name
    (O(security_groups[].name), the C(GroupName)). Only owned groups are ever modified or deleted. A listed name
    held by a group without the O(match_tags) fails before any change; so does a different description on an
    existing group (AWS can't change it; the group must be deleted and recreated).
  - The VPC's C(default) group is never created, modified or deleted here
    (see M(strata.platform.ec2_vpc_default_security_group)).
  - Rules are compared normalised, the way AWS stores them, one per source - a list of O(security_groups[].rules[].cidr_ip)
    is several rules, protocol names are compared as numbers (V(tcp) is V(6), V(all) is V(-1)), ports are ignored for
    protocols without ports. A rule's description is not part of its identity; a different description is updated
    in place (C(UpdateSecurityGroupRuleDescriptionsIngress)/C(Egress)).
  - Every input is checked before any change, including references by O(security_groups[].rules[].group_name)
    (after the one describe, a read).
author:
  - strata.platform contributors (!UNKNOWN)
options:
  vpc_id:
    description:
      - The VPC of the security groups.
      - With O(state=present), a missing VPC fails before any change. With O(state=absent), a missing VPC holds no
        group, so nothing is done.
      - In check mode only, a null (or empty) value stands for a VPC that an earlier task of the same check run
        would create; every listed group is predicted as created, and no AWS call is made.
    type: str
    required: true
  security_groups:
    description:
      - The security groups wanted, with O(state=present). Ignored with O(state=absent).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - The group name (C(GroupName)), unique in the VPC; the identity of the group.
          - May not be V(default) nor begin with V(sg-).
        type: str
        required: true
      description:
        description:
          - The group description. AWS can't change it; a different description on an existing group fails, naming
            the group, which must be deleted and recreated.
        type: str
        required: true
      tags:
        description:
          - Tags of this group, merged over O(tags). O(match_tags) are always set and can't be contradicted.
          - When neither this nor O(tags) is set, tags other than O(match_tags) are not managed.
        type: dict
      rules:
        description:
          - The ingress rules. Unset (null) - ingress rules are not managed. V([]) - no ingress rule.
        type: list
        elements: dict
        suboptions: &rule_options
          proto:
            description:
              - The protocol - V(tcp), V(udp), V(icmp), V(icmpv6), V(all) (or V(-1)), or a protocol number 0-255.
            type: raw
            default: tcp
          from_port:
            description:
              - First port of the range (TCP, UDP) or the ICMP type (V(-1) for any).
              - Given alone, the range is this one port (TCP, UDP), or any code of this type (ICMP).
              - Required (or O(security_groups[].rules[].ports)) with V(tcp) and V(udp); must not be given with
                V(all) or protocols without ports.
            type: int
          to_port:
            description:
              - Last port of the range (TCP, UDP) or the ICMP code (V(-1) for any).
            type: int
          ports:
            description:
              - Shortcut for the port range of V(tcp)/V(udp) - one port (V(443)) or a range as text (V(1024-65535)).
              - Mutually exclusive with O(security_groups[].rules[].from_port) and O(security_groups[].rules[].to_port).
            type: raw
          cidr_ip:
            description:
              - Source (ingress) or destination (egress) CIDR blocks, IPv4 or IPv6; one or a list (one rule each).
              - Exactly one of O(security_groups[].rules[].cidr_ip), O(security_groups[].rules[].group_name) and
                O(security_groups[].rules[].group_id).
            type: list
            elements: str
          group_name:
            description:
              - A group of this same set (created first when missing, so references may be circular), or an
                existing group of the VPC, by name. An unknown name fails before any change.
              - In check mode, a group not created yet resolves to a null ID.
            type: str
          group_id:
            description:
              - An existing security group ID, for example one created by another module.
            type: str
          description:
            description:
              - The rule description. Unset (null) - the description is not managed; V('') - no description.
            type: str
      rules_egress:
        description:
          - The egress rules, same shape as O(security_groups[].rules).
          - Unset (null) - egress rules are not managed (a new group keeps the allow-all egress rule AWS gives it).
            V([]) - no egress at all (that default rule is removed, with O(purge_rules_egress)).
        type: list
        elements: dict
        suboptions: *rule_options
      purge_rules:
        description:
          - Overrides O(purge_rules) for this group.
        type: bool
      purge_rules_egress:
        description:
          - Overrides O(purge_rules_egress) for this group.
        type: bool
  tags:
    description:
      - Tags applied to every group, under each group's own O(security_groups[].tags).
    type: dict
    aliases: ['resource_tags']
  match_tags:
    description:
      - 'The ownership tags, for example C({"owner": "strata.platform", "environment": "prod", "layer": "security_groups"}).'
      - Only groups carrying all of them are modified or deleted; every group created gets them. Must not be empty.
    type: dict
    required: true
  purge_tags:
    description:
      - Remove tags not given by O(tags), O(security_groups[].tags) or O(match_tags).
        Tag keys beginning with V(aws:) are never removed.
    type: bool
    default: true
  purge_rules:
    description:
      - Revoke ingress rules of a listed group that are not listed in its O(security_groups[].rules)
        (when that is set).
    type: bool
    default: true
  purge_rules_egress:
    description:
      - Revoke egress rules of a listed group that are not listed in its O(security_groups[].rules_egress)
        (when that is set).
    type: bool
    default: true
  purge_security_groups:
    description:
      - Delete owned groups of the VPC that are not listed (never C(default)). Rules of owned groups that reference
        them are revoked first; a group not owned that references one of them fails the run before any change.
    type: bool
    default: false
  state:
    description:
      - V(present) converges the listed groups.
      - V(absent) deletes every group of the VPC carrying O(match_tags) (never C(default)), whatever
        O(security_groups) says. References between them are revoked first, so the order doesn't matter; a group
        not owned that references one of them fails the run before any change.
    type: str
    choices: ['present', 'absent']
    default: present
extends_documentation_fragment:
  - strata.platform.aws
  - ansible.builtin.action_common_attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    details: Predicts the result; groups not yet created have RV(security_groups[].id=null), and rules referencing
      them a null C(group_id).
  diff_mode:
    support: full
    details: Before and after of the owned groups of the VPC, by name - id, description, one line per ingress and
      egress rule (for example C(tcp 5432 from sg:fsm-prod-app)), tags.
notes:
  - Calls on a run that changes nothing - C(DescribeSecurityGroups) once. A run that creates groups with managed
    egress rules describes the VPC's groups once more after creating them, to see the egress rules AWS gave them.
  - Rules are added before rules are revoked, so a changed rule never leaves a gap.
  - Deleting a group still used by a network interface fails with C(DependencyViolation), naming the group.
seealso:
  - module: strata.platform.ec2_vpc_default_security_group
  - module: amazon.aws.ec2_security_group
"""

EXAMPLES = r"""
- name: Security groups of the platform, EKS cluster and nodes referencing each other
  strata.platform.ec2_vpc_security_groups:
    vpc_id: "{{ vpc_id }}"
    match_tags:
      owner: strata.platform
      environment: prod
      layer: security_groups
    tags:
      project: fsm
    security_groups:
      - name: fsm-prod-alb
        description: Public load balancer
        rules:
          - ports: 443
            cidr_ip: 0.0.0.0/0
            description: HTTPS from anywhere
      - name: fsm-prod-eks-cluster
        description: EKS control plane
        rules:
          - ports: 443
            group_name: fsm-prod-eks-nodes
      - name: fsm-prod-eks-nodes
        description: EKS nodes
        rules:
          - ports: 1025-65535
            group_name: fsm-prod-eks-cluster
          - proto: all
            group_name: fsm-prod-eks-nodes
            description: node to node
          - ports: 8080
            group_name: fsm-prod-alb
      - name: fsm-prod-rds
        description: PostgreSQL
        rules:
          - ports: 5432
            group_name: fsm-prod-eks-nodes
        rules_egress: []
  register: security_groups

- name: Remove owned groups that are no longer listed
  strata.platform.ec2_vpc_security_groups:
    vpc_id: "{{ vpc_id }}"
    match_tags: "{{ security_groups_match_tags }}"
    security_groups: "{{ security_groups_plan }}"
    purge_security_groups: true

- name: Delete every owned security group of the VPC
  strata.platform.ec2_vpc_security_groups:
    vpc_id: "{{ vpc_id }}"
    match_tags:
      owner: strata.platform
      environment: prod
      layer: security_groups
    state: absent
"""

RETURN = r"""
security_groups:
  description:
    - The listed groups, in the order of O(security_groups), as they are after the run (predicted in check mode).
    - Empty with O(state=absent).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The group ID; null in check mode for a group not created yet.
      type: str
      sample: sg-0a1b2c3d4e5f67890
    name:
      description: The group name.
      type: str
      sample: fsm-prod-rds
    description:
      description: The group description.
      type: str
      sample: PostgreSQL
    rules:
      description:
        - The ingress rules, normalised, one per source - the listed ones in the order given, then any kept
          (not listed, with purging off or rules unmanaged).
        - Each has C(proto) (V(tcp), V(udp), V(icmp), V(icmpv6), V(all) or a number as text), C(from_port) and
          C(to_port) (null when the protocol has no ports), C(description) (null when none) and one source -
          C(cidr_ip) (one block), C(group_id) with C(group_name) (null when the group isn't in the VPC), or
          C(prefix_list_id).
      type: list
      elements: dict
      sample: [{"proto": "tcp", "from_port": 5432, "to_port": 5432, "group_id": "sg-0123456789abcdef0",
                "group_name": "fsm-prod-eks-nodes", "description": null}]
    rules_egress:
      description: The egress rules, same shape as RV(security_groups[].rules).
      type: list
      elements: dict
      sample: [{"proto": "all", "from_port": null, "to_port": null, "cidr_ip": "0.0.0.0/0", "description": null}]
    tags:
      description: The tags of the group.
      type: dict
      sample: {"owner": "strata.platform", "project": "fsm"}
deleted:
  description: IDs of the groups deleted (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: ["sg-0a1b2c3d4e5f67890"]
"""

import ipaddress
from typing import Any
from typing import Dict
from typing import List
from typing import Optional
from typing import Tuple

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.strata.platform.plugins.module_utils._aws import security_groups as sgutil
from ansible_collections.strata.platform.plugins.module_utils._aws import vpc as vpcutil
from ansible_collections.strata.platform.plugins.module_utils._aws.vpc import VpcSetError

DIRECTIONS = (("ingress", "rules"), ("egress", "rules_egress"))
# What AWS gives a new group: all traffic out to anywhere (IPv4; plus ::/0 in a VPC with IPv6).
DEFAULT_EGRESS = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


# --------------------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------------------


def read_ports(item: Dict[str, Any], proto: str, where: str) -> Tuple[Optional[int], Optional[int]]:
    ports, from_port, to_port = item.get("ports"), item.get("from_port"), item.get("to_port")
    if ports is not None and (from_port is not None or to_port is not None):
        raise VpcSetError(message=f"{where}: give either ports or from_port/to_port, not both")
    if ports is not None:
        if proto not in sgutil.PORT_PROTOCOLS:
            raise VpcSetError(message=f"{where}.ports: only for tcp and udp; use from_port (type) and to_port (code) for ICMP")
        text = str(ports).strip()
        low, sep, high = text.partition("-")
        try:
            if isinstance(ports, bool):
                raise ValueError(text)
            from_port = int(low)
            to_port = int(high) if sep else from_port
        except ValueError:
            raise VpcSetError(message=f"{where}.ports: {ports!r} is not a port or a range like 1024-65535") from None
    elif to_port is not None and from_port is None:
        raise VpcSetError(message=f"{where}: to_port needs from_port")

    name = sgutil.protocol_name(proto)
    if proto in sgutil.PORT_PROTOCOLS:
        to_port = from_port if to_port is None else to_port
        if from_port is None:
            raise VpcSetError(message=f"{where}: {name} needs ports (ports, or from_port/to_port; 0-65535 for every port)")
        for value in (from_port, to_port):
            if not 0 <= value <= 65535:
                raise VpcSetError(message=f"{where}: port {value} is out of 0-65535")
        if from_port > to_port:
            raise VpcSetError(message=f"{where}: from_port {from_port} is greater than to_port {to_port}")
        return from_port, to_port
    if proto in sgutil.ICMP_PROTOCOLS:
        from_port = -1 if from_port is None else from_port
        to_port = -1 if to_port is None else to_port
        for value in (from_port, to_port):
            if not -1 <= value <= 255:
                raise VpcSetError(message=f"{where}: ICMP type/code {value} is out of -1-255")
        return from_port, to_port
    if from_port is not None:
        raise VpcSetError(message=f"{where}: ports don't apply to protocol {name}; remove them")
    return None, None


def read_rules(items: Optional[List[Dict[str, Any]]], where: str) -> Optional[List[Dict[str, Any]]]:
    """Validate the rules of one direction and split them into units (see module_utils/_aws/security_groups)."""
    if items is None:
        return None
    units: List[Dict[str, Any]] = []
    for index, item in enumerate(items):
        r_where = f"{where}[{index}]"
        sources = []
        cidrs = [c for c in item.get("cidr_ip") or [] if c is not None and str(c).strip()]
        if cidrs:
            sources.append("cidr_ip")
        for key in ("group_name", "group_id"):
            if (item.get(key) or "").strip():
                sources.append(key)
        if len(sources) != 1:
            found = " and ".join(sources) if sources else "none"
            raise VpcSetError(
                message=f"{r_where}: give exactly one source - cidr_ip, group_name or group_id (found {found})"
            )
        raw_proto = "tcp" if item.get("proto") is None else item["proto"]
        proto = sgutil.protocol_number(raw_proto)
        if proto is None or isinstance(raw_proto, bool):
            raise VpcSetError(
                message=f"{r_where}.proto: unknown protocol {raw_proto!r} (tcp, udp, icmp, icmpv6, all or a number 0-255)"
            )
        from_port, to_port = read_ports(item, proto, r_where)
        base = {"proto": proto, "from": from_port, "to": to_port, "description": item.get("description"), "where": r_where}
        if sources[0] == "cidr_ip":
            for cidr in cidrs:
                cidr = vpcutil.normalise_cidr(cidr, f"{r_where}.cidr_ip")
                kind = "cidr" if ipaddress.ip_network(cidr).version == 4 else "cidr6"
                units.append(dict(base, kind=kind, source=cidr, group_name=None, ref=None))
        elif sources[0] == "group_name":
            units.append(dict(base, kind="group", source=None, group_name=item["group_name"].strip(), ref="name"))
        else:
            group_id = item["group_id"].strip()
            if not group_id.startswith("sg-"):
                raise VpcSetError(message=f"{r_where}.group_id: {group_id!r} is not a security group ID (sg-...)")
            units.append(dict(base, kind="group", source=group_id, group_name=None, ref="id"))
    return units


def dedupe(units: List[Dict[str, Any]], where: str, key_of=None) -> List[Dict[str, Any]]:
    """The same rule twice is kept once; twice with different descriptions is refused.

    ``key_of`` is ref_key before group names are resolved (the default), sgutil.unit_key after.
    """
    key_of = key_of or ref_key
    seen: Dict[Tuple[Any, ...], Dict[str, Any]] = {}
    result = []
    for unit in units:
        key = key_of(unit)
        if key in seen:
            if seen[key]["description"] != unit["description"]:
                raise VpcSetError(
                    message=(
                        f"{where}: {unit['where']} and {seen[key]['where']} are the same rule with different descriptions"
                    )
                )
            continue
        seen[key] = unit
        result.append(unit)
    return result


def ref_key(unit: Dict[str, Any]) -> Tuple[Any, ...]:
    """Identity of an input unit before group names are resolved."""
    source = unit["source"] if unit.get("ref") != "name" else f"name:{unit['group_name']}"
    return (unit["proto"], unit["from"], unit["to"], unit["kind"], source)


def read_wanted(params: Dict[str, Any], match_tags: Dict[str, str]) -> List[Dict[str, Any]]:
    """Validate and normalise O(security_groups) before any call."""
    common = vpcutil.normalise_tags(params["tags"], "tags")
    wanted = []
    for index, item in enumerate(params["security_groups"]):
        name = (item["name"] or "").strip()
        where = f"security_groups[{index}]"
        if not name:
            raise VpcSetError(message=f"{where}.name: give the security group a name")
        where = f"security_groups[{index}] ({name})"
        if name == "default":
            raise VpcSetError(
                message=f"{where}: the VPC's default group is not managed here (strata.platform.ec2_vpc_default_security_group)"
            )
        if name.lower().startswith("sg-"):
            raise VpcSetError(message=f"{where}.name: a group name can't begin with sg-")
        description = item["description"]
        if not (description or "").strip():
            raise VpcSetError(message=f"{where}.description: give the group a description (AWS requires one)")
        own = vpcutil.normalise_tags(item.get("tags"), f"{where}.tags")
        tags, purge_tags = vpcutil.desired_tags(common, own, match_tags, params["purge_tags"], where)
        entry = {"name": name, "description": description, "tags": tags, "purge_tags": purge_tags, "where": where}
        for direction, key in DIRECTIONS:
            units = read_rules(item.get(key), f"{where}.{key}")
            entry[direction] = None if units is None else dedupe(units, f"{where}.{key}")
            purge = item.get(f"purge_{key}")
            entry[f"purge_{direction}"] = params[f"purge_{key}"] if purge is None else purge
        wanted.append(entry)
    dups = vpcutil.duplicates(w["name"] for w in wanted)
    if dups:
        raise VpcSetError(message=f"security_groups: names listed more than once: {', '.join(dups)}")
    return wanted


# --------------------------------------------------------------------------------------------------
# Current state
# --------------------------------------------------------------------------------------------------


def normalise_groups(groups: List[Dict[str, Any]], match_tags: Dict[str, str]) -> List[Dict[str, Any]]:
    names = {g["GroupId"]: g["GroupName"] for g in groups}
    result = []
    for group in groups:
        tags = vpcutil.resource_tags(group)
        result.append(
            {
                "id": group["GroupId"],
                "name": group["GroupName"],
                "description": group.get("Description"),
                "tags": tags,
                "owned": vpcutil.carries_tags(tags, match_tags),
                "ingress": sgutil.units_from_permissions(group.get("IpPermissions"), names),
                "egress": sgutil.units_from_permissions(group.get("IpPermissionsEgress"), names),
            }
        )
    return result


def planned_group(w: Dict[str, Any]) -> Dict[str, Any]:
    """A group as CreateSecurityGroup leaves it: no ingress, the default egress rule, its tags."""
    return {
        "id": None,
        "name": w["name"],
        "description": w["description"],
        "tags": dict(w["tags"]),
        "owned": True,
        "ingress": [],
        "egress": sgutil.units_from_permissions([DEFAULT_EGRESS], {}),
    }


def references(group: Dict[str, Any], group_ids: set) -> List[Tuple[str, Dict[str, Any]]]:
    """(direction, unit) of the rules of ``group`` that reference one of ``group_ids``."""
    return [
        (direction, unit)
        for direction, _key in DIRECTIONS
        for unit in group[direction]
        if unit["kind"] == "group" and unit["source"] in group_ids
    ]


def check_foreign_references(groups: List[Dict[str, Any]], doomed: List[Dict[str, Any]], keep_ids: set) -> None:
    """Refuse, before any change, to delete groups referenced by a group that isn't ours to modify."""
    doomed_ids = {g["id"] for g in doomed}
    for group in groups:
        if group["id"] in doomed_ids or group["id"] in keep_ids:
            continue
        found = references(group, doomed_ids)
        if found:
            targets = sorted({u["group_name"] or u["source"] for _d, u in found})
            raise VpcSetError(
                message=(
                    f"Security group {group['name']} ({group['id']}) does not carry the match_tags and has rules "
                    f"referencing {', '.join(targets)}, which would be deleted: remove those rules first"
                )
            )


# --------------------------------------------------------------------------------------------------
# Views
# --------------------------------------------------------------------------------------------------


def public_view(group: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "id": group["id"],
        "name": group["name"],
        "description": group["description"],
        "rules": [sgutil.public_rule(u) for u in group["ingress"]],
        "rules_egress": [sgutil.public_rule(u) for u in group["egress"]],
        "tags": group["tags"],
    }


def diff_view(groups: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {
        "security_groups": {
            g["name"]: {
                "id": g["id"],
                "description": g["description"],
                "ingress": sorted(sgutil.rule_text(u, "ingress") for u in g["ingress"]),
                "egress": sorted(sgutil.rule_text(u, "egress") for u in g["egress"]),
                "tags": g["tags"],
            }
            for g in sorted(groups, key=lambda g: g["name"])
        }
    }


# --------------------------------------------------------------------------------------------------
# Changes
# --------------------------------------------------------------------------------------------------


def compare_rules(wanted: Optional[List[Dict[str, Any]]], current: List[Dict[str, Any]], purge: bool, forced: set):
    """(to authorize, to update, to revoke, predicted) for one direction of one group.

    ``forced`` are unit keys to revoke whatever ``purge`` says (references to groups being deleted).
    """
    by_key = {sgutil.unit_key(u): u for u in current}
    if wanted is None:
        revoke = [u for u in current if sgutil.unit_key(u) in forced]
        return [], [], revoke, [u for u in current if sgutil.unit_key(u) not in forced]
    authorize, update, predicted = [], [], []
    listed = set()
    for unit in wanted:
        key = sgutil.unit_key(unit)
        listed.add(key)
        existing = by_key.get(key)
        if existing is None:
            authorize.append(unit)
            predicted.append(unit)
            continue
        if unit["description"] is None:
            predicted.append(dict(unit, description=existing["description"]))
            continue
        if (unit["description"] or None) != existing["description"]:
            update.append(unit)
        predicted.append(dict(unit, description=unit["description"] or None))
    revoke = [u for u in current if sgutil.unit_key(u) not in listed and (purge or sgutil.unit_key(u) in forced)]
    revoked = {sgutil.unit_key(u) for u in revoke}
    predicted += [u for u in current if sgutil.unit_key(u) not in listed and sgutil.unit_key(u) not in revoked]
    return authorize, update, revoke, predicted


def delete_groups(client, module, doomed: List[Dict[str, Any]]) -> List[str]:
    """Revoke the references between the groups to delete (so that the order doesn't matter), then delete them."""
    doomed_ids = {g["id"] for g in doomed}
    deleted = []
    for group in doomed:
        found = references(group, doomed_ids - {group["id"]})
        for direction, _key in DIRECTIONS:
            units = [u for d, u in found if d == direction]
            if units and not module.check_mode:
                sgutil.REVOKE[direction](client, group_id=group["id"], permissions=sgutil.to_permissions(units, exact=True))
    for group in doomed:
        if not module.check_mode:
            sgutil.delete_security_group(client, group_id=group["id"])
        deleted.append(group["id"])
    return deleted


def resolve(units: Optional[List[Dict[str, Any]]], ids: Dict[str, Optional[str]], names: Dict[str, str]):
    """Group references: names -> IDs (None for a group not created yet), IDs -> names when in the VPC."""
    if units is None:
        return None
    resolved: List[Dict[str, Any]] = []
    for unit in units:
        if unit["kind"] == "group" and unit["ref"] == "name":
            unit = dict(unit, source=ids.get(unit["group_name"]))
        elif unit["kind"] == "group":
            unit = dict(unit, group_name=names.get(unit["source"]))
        resolved.append(unit)
    return resolved


def check_references(wanted, by_name, doomed_ids, vpc_id, future_vpc) -> None:
    """Every group_name must be in the set or an existing group of the VPC; nothing may reference a doomed group."""
    listed = {w["name"] for w in wanted}
    for w in wanted:
        for direction, _key in DIRECTIONS:
            for unit in w[direction] or []:
                if unit["kind"] != "group":
                    continue
                if unit["ref"] == "name":
                    target = unit["group_name"]
                    if target in listed or (future_vpc and target == "default"):
                        continue
                    if target not in by_name:
                        raise VpcSetError(
                            message=(
                                f"{unit['where']}.group_name: no security group {target!r} in this set or in VPC "
                                f"{vpc_id or '(planned)'}"
                            )
                        )
                    target_id = by_name[target]["id"]
                else:
                    target, target_id = unit["source"], unit["source"]
                if target_id in doomed_ids:
                    raise VpcSetError(
                        message=f"{unit['where']}: references {target}, which purge_security_groups would delete"
                    )


def ensure_present(client, module, match_tags: Dict[str, str]) -> Tuple[bool, Dict[str, Any]]:
    params = module.params
    vpc_id = params["vpc_id"]
    wanted = read_wanted(params, match_tags)
    future_vpc = vpcutil.unknown_id(vpc_id, module.check_mode, "vpc_id")
    raw = [] if future_vpc else sgutil.describe_security_groups(client, vpc_id=vpc_id)
    if not raw and not future_vpc:  # every VPC has a default group
        vpcutil.require_vpc(client, vpc_id)
    groups = normalise_groups(raw, match_tags)
    by_name = {g["name"]: g for g in groups}
    ours = [g for g in groups if g["owned"] and g["name"] != "default"]

    # Compare: refuse what can't be done before changing anything.
    for w in wanted:
        current = by_name.get(w["name"])
        if current is None:
            continue
        if not current["owned"]:
            raise VpcSetError(
                message=(
                    f"Security group {w['name']} ({current['id']}) in VPC {vpc_id} does not carry the match_tags "
                    f"{match_tags}: it isn't managed here. Delete it, or tag it with the match_tags to adopt it"
                )
            )
        if current["description"] != w["description"]:
            raise VpcSetError(
                message=(
                    f"Security group {w['name']} ({current['id']}) has the description {current['description']!r}, "
                    f"not {w['description']!r}: AWS can't change a group's description; delete the group and recreate "
                    "it, or keep the current description"
                )
            )
    listed = {w["name"] for w in wanted}
    doomed = [g for g in ours if g["name"] not in listed] if params["purge_security_groups"] else []
    doomed_ids = {g["id"] for g in doomed}
    check_references(wanted, by_name, doomed_ids, vpc_id, future_vpc)
    known = {g["name"]: g["id"] for g in groups}
    for w in wanted:  # a group referenced both by name and by ID is the same rule
        for direction, key in DIRECTIONS:
            if w[direction] is not None:
                dedupe(resolve(w[direction], known, {}), f"{w['where']}.{key}", sgutil.unit_key)
    check_foreign_references(groups, doomed, keep_ids={by_name[n]["id"] for n in listed if n in by_name})

    # Change: every missing group first, so that rules may reference any group of the set.
    changed = False
    ids = {g["name"]: g["id"] for g in groups}
    created = []
    for w in wanted:
        if w["name"] in by_name:
            continue
        changed = True
        created.append(w["name"])
        ids[w["name"]] = None
        if not module.check_mode:
            ids[w["name"]] = sgutil.create_security_group(
                client, vpc_id=vpc_id, name=w["name"], description=w["description"], tags=w["tags"]
            )
    currents = {w["name"]: by_name.get(w["name"]) or planned_group(w) for w in wanted}
    if created and not module.check_mode and any(w["egress"] is not None for w in wanted if w["name"] in created):
        # The egress rules AWS gave the new groups (::/0 too in a VPC with IPv6).
        fresh = {g["name"]: g for g in normalise_groups(sgutil.describe_security_groups(client, vpc_id=vpc_id), match_tags)}
        for name in created:
            currents[name] = fresh.get(name) or dict(planned_group(next(w for w in wanted if w["name"] == name)), id=ids[name])
    names = {group_id: name for name, group_id in ids.items() if group_id}

    forced = {
        (g["id"], direction): {sgutil.unit_key(u) for d, u in references(g, doomed_ids) if d == direction}
        for g in groups
        for direction, _key in DIRECTIONS
    }
    plans = []
    for w in wanted:
        current = currents[w["name"]]
        group_id = ids[w["name"]]
        plan = {"w": w, "id": group_id, "current": current}
        for direction, key in DIRECTIONS:
            units = resolve(w[direction], ids, names)
            if units is not None:
                units = dedupe(units, f"{w['where']}.{key}", sgutil.unit_key)
            plan[direction] = compare_rules(
                units, current[direction], w[f"purge_{direction}"], forced.get((current["id"], direction), set())
            )
        plans.append(plan)

    # Rules added everywhere first, then descriptions, then revocations: a changed rule never leaves a gap.
    for step, calls in ((0, sgutil.AUTHORIZE), (1, sgutil.UPDATE_DESCRIPTIONS), (2, sgutil.REVOKE)):
        for plan in plans:
            for direction, _key in DIRECTIONS:
                units = plan[direction][step]
                if not units:
                    continue
                changed = True
                if module.check_mode or plan["id"] is None:
                    continue
                calls[direction](client, group_id=plan["id"], permissions=sgutil.to_permissions(units, exact=step == 2))

    tag_batch = vpcutil.TagBatch()
    results = []
    for plan in plans:
        w, current = plan["w"], plan["current"]
        if w["name"] in created:
            tags = dict(w["tags"])
        else:
            tags_changed, tags = tag_batch.add(current["id"], current["tags"], w["tags"], w["purge_tags"])
            changed |= tags_changed
        results.append(
            {
                "id": plan["id"],
                "name": w["name"],
                "description": w["description"],
                "ingress": plan["ingress"][3],
                "egress": plan["egress"][3],
                "tags": tags,
            }
        )
    tag_batch.apply(client, module.check_mode)

    deleted = delete_groups(client, module, doomed)
    changed |= bool(deleted)

    done = {r["name"] for r in results} | {g["name"] for g in doomed}
    after = [g for g in ours if g["name"] not in done] + results
    return changed, {
        "security_groups": [public_view(r) for r in results],
        "deleted": deleted,
        "diff": {"before": diff_view(ours), "after": diff_view(after)},
    }


def ensure_absent(client, module, match_tags: Dict[str, str]) -> Tuple[bool, Dict[str, Any]]:
    vpc_id = module.params["vpc_id"]
    future_vpc = vpcutil.unknown_id(vpc_id, module.check_mode, "vpc_id")
    groups = [] if future_vpc else normalise_groups(sgutil.describe_security_groups(client, vpc_id=vpc_id), match_tags)
    doomed = []
    for group in groups:
        if not group["owned"]:
            continue
        if group["name"] == "default":
            module.warn(f"Security group {group['id']} carries the match_tags but is the VPC's default group: kept")
            continue
        doomed.append(group)
    check_foreign_references(groups, doomed, keep_ids=set())
    deleted = delete_groups(client, module, doomed)
    return bool(deleted), {
        "security_groups": [],
        "deleted": deleted,
        "diff": {"before": diff_view(doomed), "after": diff_view([])},
    }


def main() -> None:
    rule_options = dict(
        proto=dict(type="raw", default="tcp"),
        from_port=dict(type="int"),
        to_port=dict(type="int"),
        ports=dict(type="raw"),
        cidr_ip=dict(type="list", elements="str"),
        group_name=dict(type="str"),
        group_id=dict(type="str"),
        description=dict(type="str"),
    )
    argument_spec = vpcutil.set_module_argument_spec(
        security_groups=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                name=dict(type="str", required=True),
                description=dict(type="str", required=True),
                tags=dict(type="dict"),
                rules=dict(type="list", elements="dict", options=rule_options),
                rules_egress=dict(type="list", elements="dict", options=rule_options),
                purge_rules=dict(type="bool"),
                purge_rules_egress=dict(type="bool"),
            ),
        ),
        purge_rules=dict(type="bool", default=True),
        purge_rules_egress=dict(type="bool", default=True),
        purge_security_groups=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    vpcutil.run_set_module(module, ensure_present, ensure_absent)


if __name__ == "__main__":
    main()
