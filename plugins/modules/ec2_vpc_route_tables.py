#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ec2_vpc_route_tables
short_description: Manage the set of route tables of a VPC (routes, subnet associations, tags) owned by tags
version_added: 0.1.0
description:
  - Creates, updates and deletes all the route tables of one VPC that this collection owns, in one
    invocation with one C(DescribeRouteTables) call for the VPC, and without the fixed sleep of
    M(amazon.aws.ec2_vpc_route_table).
  - A route table is owned when it carries every tag of O(match_tags); within the VPC and O(match_tags)
    it is identified by its C(Name) tag (O(route_tables[].name)). Only owned route tables are ever modified
    or deleted. The main route table of the VPC is never deleted, and its main association never touched.
  - A listed subnet that is associated with another route table (owned or not) is moved with
    C(ReplaceRouteTableAssociation). A route whose target differs is replaced in place with C(ReplaceRoute).
author:
  - strata.platform contributors (!UNKNOWN)
options:
  vpc_id:
    description:
      - The VPC of the route tables.
      - With O(state=present), a missing VPC fails before any change.
      - In check mode only, a null (or empty) value stands for a VPC that an earlier task of the same check
        run would create; every listed route table is predicted as created.
    type: str
    required: true
  route_tables:
    description:
      - The route tables wanted, with O(state=present). Ignored with O(state=absent).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - The C(Name) tag; the identity of the route table within the VPC and O(match_tags).
        type: str
        required: true
      routes:
        description:
          - The routes of the table, besides the VPC-local route(s).
        type: list
        elements: dict
        default: []
        suboptions:
          dest:
            description:
              - The destination, an IPv4 or IPv6 CIDR block, for example V(0.0.0.0/0).
            type: str
            required: true
          gateway_id:
            description:
              - An internet gateway (V(igw-...)) or virtual private gateway (V(vgw-...)) ID.
              - Exactly one of O(route_tables[].routes[].gateway_id) and O(route_tables[].routes[].nat_gateway_id).
              - In check mode only, a null (or empty) target stands for a gateway that an earlier task of the
                same check run would create; the route is predicted as written, with a null target.
            type: str
          nat_gateway_id:
            description:
              - A NAT gateway ID (V(nat-...)).
            type: str
      subnets:
        description:
          - IDs of the subnets to associate with the table. Each subnet may be listed in one table only.
          - In check mode only, a null (or empty) ID stands for a subnet not created yet; its association is
            predicted.
        type: list
        elements: str
        default: []
      tags:
        description:
          - Tags of this table, merged over O(tags). O(match_tags) and C(Name) are always set.
          - When neither this nor O(tags) is set, tags other than O(match_tags) and C(Name) are not managed.
        type: dict
  tags:
    description:
      - Tags applied to every route table, under each table's own O(route_tables[].tags).
    type: dict
    aliases: ['resource_tags']
  match_tags:
    description:
      - The ownership tags. Only route tables carrying all of them are modified or deleted; every route
        table created gets them. Must not be empty.
    type: dict
    required: true
  purge_tags:
    description:
      - Remove tags not given by O(tags), O(route_tables[].tags), O(match_tags) or the name.
        Tag keys beginning with V(aws:) are never removed.
    type: bool
    default: true
  purge_routes:
    description:
      - Remove routes of listed tables that are not listed, except the VPC-local route(s), propagated
        routes and routes to prefix lists (VPC gateway endpoints, managed with their endpoint).
    type: bool
    default: true
  purge_subnets:
    description:
      - Remove subnet associations of listed tables that are not listed. The main association is never touched.
    type: bool
    default: true
  purge_route_tables:
    description:
      - Delete owned route tables of the VPC that are not listed (disassociating them first). Never the main one.
    type: bool
    default: false
  state:
    description:
      - V(present) converges the listed route tables.
      - V(absent) deletes every route table of the VPC carrying O(match_tags), disassociating it first;
        never the main route table.
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
    details: Predicts the result; route tables not yet created have RV(route_tables[].id=null).
  diff_mode:
    support: full
    details: Before and after of the owned route tables of the VPC, by name (id, routes, subnets, tags).
notes:
  - Calls on a run that changes nothing - C(DescribeRouteTables) once. A run that adds routes or associations
    first checks their targets and subnets with at most one C(DescribeInternetGateways), C(DescribeNatGateways)
    and C(DescribeSubnets) each, before any change.
seealso:
  - module: strata.platform.ec2_vpc_subnets
  - module: strata.platform.ec2_vpc_nat_gateways
  - module: amazon.aws.ec2_vpc_route_table
"""

EXAMPLES = r"""
- name: Public route table plus one private route table per availability zone
  strata.platform.ec2_vpc_route_tables:
    vpc_id: "{{ vpc.vpc.id }}"
    match_tags:
      owner: strata.platform
      environment: prod
      layer: network
    tags:
      project: fsm
    route_tables:
      - name: fsm-prod-public
        routes:
          - dest: 0.0.0.0/0
            gateway_id: "{{ igw.gateway_id }}"
        subnets: "{{ public_subnet_ids }}"
      - name: fsm-prod-private-a
        routes:
          - dest: 0.0.0.0/0
            nat_gateway_id: "{{ network_nat.nat_gateways[0].id }}"
        subnets:
          - "{{ app_subnet_ids[0] }}"
          - "{{ data_subnet_ids[0] }}"

- name: Delete the owned route tables of the VPC
  strata.platform.ec2_vpc_route_tables:
    vpc_id: "{{ vpc.vpc.id }}"
    match_tags:
      owner: strata.platform
      environment: prod
      layer: network
    state: absent
"""

RETURN = r"""
route_tables:
  description:
    - The listed route tables, in the order of O(route_tables), as they are after the run (predicted in check mode).
    - Empty with O(state=absent).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The route table ID; null in check mode for one not created yet.
      type: str
      sample: rtb-0a1b2c3d4e5f67890
    name:
      description: The C(Name) tag.
      type: str
      sample: fsm-prod-public
    routes:
      description:
        - The routes created by API (not the VPC-local, propagated or prefix-list routes), the listed ones in
          the order given. Each has C(dest) and one target key, such as C(gateway_id) or C(nat_gateway_id).
      type: list
      elements: dict
      sample: [{"dest": "0.0.0.0/0", "gateway_id": "igw-0a1b2c3d4e5f67890"}]
    subnets:
      description: IDs of the subnets associated with the table.
      type: list
      elements: str
      sample: ["subnet-0a1b2c3d4e5f67890"]
    tags:
      description: The tags of the table.
      type: dict
      sample: {"Name": "fsm-prod-public", "owner": "strata.platform"}
deleted:
  description: IDs of the route tables deleted (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: ["rtb-0a1b2c3d4e5f67890"]
"""

import ipaddress
from typing import Any
from typing import Dict
from typing import List
from typing import Optional
from typing import Tuple

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.strata.platform.plugins.module_utils._aws import vpc as vpcutil
from ansible_collections.strata.platform.plugins.module_utils._aws.vpc import VpcSetError

# Target fields of a route, in the order they are looked for (an instance route also names its ENI).
TARGET_KEYS = (
    ("GatewayId", "gateway_id"),
    ("NatGatewayId", "nat_gateway_id"),
    ("TransitGatewayId", "transit_gateway_id"),
    ("VpcPeeringConnectionId", "vpc_peering_connection_id"),
    ("EgressOnlyInternetGatewayId", "egress_only_internet_gateway_id"),
    ("CarrierGatewayId", "carrier_gateway_id"),
    ("LocalGatewayId", "local_gateway_id"),
    ("InstanceId", "instance_id"),
    ("NetworkInterfaceId", "network_interface_id"),
    ("CoreNetworkArn", "core_network_arn"),
)
LIVE_ASSOCIATION = ("associated", "associating")


def destination(dest: str) -> Dict[str, str]:
    """The Destination* parameter of a route."""
    if ipaddress.ip_network(dest).version == 6:
        return {"DestinationIpv6CidrBlock": dest}
    return {"DestinationCidrBlock": dest}


def route_dest(route: Dict[str, Any]) -> Optional[str]:
    return route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock")


def route_target(route: Dict[str, Any]) -> Tuple[Optional[str], Optional[str]]:
    for boto_key, snake_key in TARGET_KEYS:
        if route.get(boto_key):
            return snake_key, route[boto_key]
    return None, None


def is_managed_route(route: Dict[str, Any]) -> bool:
    """Routes this module compares and purges: created by CreateRoute/ReplaceRoute, to a CIDR block."""
    return route.get("Origin") in ("CreateRoute", "ReplaceRoute") and route_dest(route) is not None


def normalise_table(table: Dict[str, Any]) -> Dict[str, Any]:
    routes = []
    for route in table.get("Routes") or []:
        if is_managed_route(route):
            key, value = route_target(route)
            routes.append({"dest": str(ipaddress.ip_network(route_dest(route))), "key": key, "value": value})
    associations = [
        a
        for a in table.get("Associations") or []
        if not a.get("Main") and a.get("AssociationState", {}).get("State", "associated") in LIVE_ASSOCIATION
    ]
    tags = vpcutil.resource_tags(table)
    return {
        "id": table["RouteTableId"],
        "name": tags.get("Name"),
        "main": any(a.get("Main") for a in table.get("Associations") or []),
        "routes": routes,
        "subnet_associations": {a["SubnetId"]: a["RouteTableAssociationId"] for a in associations if a.get("SubnetId")},
        "gateway_associations": [a["RouteTableAssociationId"] for a in associations if a.get("GatewayId")],
        "local_dests": {
            str(ipaddress.ip_network(route_dest(r)))
            for r in table.get("Routes") or []
            if r.get("GatewayId") == "local" and route_dest(r)
        },
        "tags": tags,
    }


def public_routes(routes: List[Dict[str, Any]]) -> List[Dict[str, str]]:
    return [{"dest": r["dest"], r["key"] or "target": r["value"]} for r in routes]


def public_view(table: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "id": table["id"],
        "name": table["name"],
        "routes": public_routes(table["routes"]),
        "subnets": list(table["subnets"]),
        "tags": table["tags"],
    }


def diff_view(tables: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {
        "route_tables": {
            (t["name"] or t["id"]): {
                "id": t["id"],
                "routes": {r["dest"]: r["value"] for r in t["routes"]},
                "subnets": sorted(t["subnets"], key=lambda subnet: subnet or ""),
                "tags": t["tags"],
            }
            for t in tables
        }
    }


def read_wanted(params: Dict[str, Any], match_tags: Dict[str, str], check_mode: bool) -> List[Dict[str, Any]]:
    common = vpcutil.normalise_tags(params["tags"], "tags")
    wanted = []
    for index, item in enumerate(params["route_tables"]):
        where = f"route_tables[{index}]"
        name = (item["name"] or "").strip()
        if not name:
            raise VpcSetError(message=f"{where}.name: give the route table a name")
        routes = []
        for r_index, route in enumerate(item["routes"]):
            r_where = f"{where}.routes[{r_index}]"
            dest = vpcutil.normalise_cidr(route["dest"], f"{r_where}.dest")
            nat_gateway_id = (route.get("nat_gateway_id") or "").strip()
            gateway_id = (route.get("gateway_id") or "").strip()
            if nat_gateway_id:
                key, value = "nat_gateway_id", nat_gateway_id
                if not value.startswith("nat-"):
                    raise VpcSetError(message=f"{r_where}.nat_gateway_id: {value!r} is not a NAT gateway ID (nat-...)")
            elif vpcutil.unknown_id(gateway_id, check_mode, f"{r_where} target"):
                key, value = None, None  # a gateway not created yet: the route is predicted as written
            else:
                key, value = "gateway_id", gateway_id
                if not value.startswith(("igw-", "vgw-")):
                    raise VpcSetError(
                        message=f"{r_where}.gateway_id: {value!r} is not an internet or virtual private gateway ID (igw-..., vgw-...)"
                    )
            routes.append({"dest": dest, "key": key, "value": value})
        dups = vpcutil.duplicates(r["dest"] for r in routes)
        if dups:
            raise VpcSetError(message=f"{where}.routes: destinations listed more than once: {', '.join(dups)}")
        subnets = [(s or "").strip() or None for s in item["subnets"]]
        for s_index, subnet_id in enumerate(subnets):
            vpcutil.unknown_id(subnet_id, check_mode, f"{where}.subnets[{s_index}]")
        bad = [s for s in subnets if s and not s.startswith("subnet-")]
        if bad:
            raise VpcSetError(message=f"{where}.subnets: not subnet IDs (subnet-...): {', '.join(bad)}")
        own = vpcutil.normalise_tags(item.get("tags"), f"{where}.tags")
        required = dict(match_tags)
        required["Name"] = name
        tags, purge = vpcutil.desired_tags(common, own, required, params["purge_tags"], where)
        unique = [s for s in dict.fromkeys(subnets) if s] + [s for s in subnets if s is None]
        wanted.append({"name": name, "routes": routes, "subnets": unique, "tags": tags, "purge_tags": purge})
    dups = vpcutil.duplicates(w["name"] for w in wanted)
    if dups:
        raise VpcSetError(message=f"route_tables: names listed more than once: {', '.join(dups)}")
    dups = vpcutil.duplicates(s for w in wanted for s in w["subnets"] if s)
    if dups:
        raise VpcSetError(
            message=f"route_tables: a subnet has one route table; listed in several tables: {', '.join(dups)}"
        )
    return wanted


class Plan:
    """What to change, computed from one DescribeRouteTables before any change."""

    def __init__(self, vpc_id: str, tables: List[Dict[str, Any]], match_tags: Dict[str, str]):
        self.vpc_id = vpc_id
        self.tables = tables
        self.ours = [t for t in tables if vpcutil.carries_tags(t["tags"], match_tags)]
        self.local_dests = set().union(*(t["local_dests"] for t in tables)) if tables else set()
        # subnet -> (route table id, association id), over every table of the VPC
        self.association_of = {
            subnet_id: (t["id"], assoc_id) for t in tables for subnet_id, assoc_id in t["subnet_associations"].items()
        }

    def named(self, name: str) -> Optional[Dict[str, Any]]:
        found = [t for t in self.ours if t["name"] == name]
        if len(found) > 1:
            raise VpcSetError(
                message=(
                    f"Route tables {', '.join(t['id'] for t in found)} of VPC {self.vpc_id} all carry Name={name} and "
                    "the match_tags: delete the extra ones"
                )
            )
        return found[0] if found else None


def plan_routes(w: Dict[str, Any], current: List[Dict[str, Any]], purge: bool, local: set):
    """(to create, to replace, to delete, predicted routes) for one table."""
    for route in w["routes"]:
        if route["dest"] in local:
            raise VpcSetError(
                message=f"Route table {w['name']}: {route['dest']} is the VPC-local route, which can't be managed"
            )
    by_dest = {r["dest"]: r for r in current}
    create, replace = [], []
    for route in w["routes"]:
        existing = by_dest.get(route["dest"])
        if existing is None:
            create.append(route)
        elif (existing["key"], existing["value"]) != (route["key"], route["value"]):
            replace.append(route)
    listed = {r["dest"] for r in w["routes"]}
    delete = [r for r in current if r["dest"] not in listed] if purge else []
    kept = [r for r in current if r["dest"] not in listed and not purge]
    return create, replace, delete, list(w["routes"]) + kept


def check_targets(client, vpc_id: str, routes: List[Dict[str, Any]]) -> None:
    """Read-only: the internet and NAT gateways of routes to write must be usable in the VPC."""
    routes = [r for r in routes if r["value"]]  # targets not created yet (check mode) can't be checked
    igws = sorted({r["value"] for r in routes if r["value"].startswith("igw-")})
    nats = sorted({r["value"] for r in routes if r["key"] == "nat_gateway_id"})
    if igws:
        attached = set(vpcutil.describe_attached_internet_gateway_ids(client, vpc_id=vpc_id))
        missing = [i for i in igws if i not in attached]
        if missing:
            raise VpcSetError(message=f"Internet gateways {', '.join(missing)} are not attached to VPC {vpc_id}")
    if nats:
        live = {
            n["NatGatewayId"]
            for n in vpcutil.describe_nat_gateways(client, vpc_id=vpc_id, states=["pending", "available"])
        }
        missing = [n for n in nats if n not in live]
        if missing:
            raise VpcSetError(message=f"NAT gateways {', '.join(missing)} are not pending or available in VPC {vpc_id}")


def check_subnets(client, vpc_id: str, subnet_ids: List[str]) -> None:
    found = {s["SubnetId"] for s in vpcutil.describe_subnets(client, vpc_id=vpc_id, subnet_ids=subnet_ids)}
    missing = [s for s in subnet_ids if s not in found]
    if missing:
        raise VpcSetError(message=f"Subnets {', '.join(missing)} not found in VPC {vpc_id}")


def create_table(client, module, vpc_id: str, w: Dict[str, Any]) -> Optional[str]:
    if module.check_mode:
        return None
    return vpcutil.create_route_table(client, vpc_id=vpc_id, name=w["name"], tags=w["tags"])["RouteTableId"]


def apply_routes(client, module, table_id: Optional[str], create, replace, delete) -> None:
    if module.check_mode or table_id is None:
        return
    for route in delete:
        vpcutil.delete_route(client, route_table_id=table_id, destination=destination(route["dest"]))
    for route in replace:
        vpcutil.replace_route(
            client, route_table_id=table_id, destination=destination(route["dest"]), target=target_param(route)
        )
    for route in create:
        vpcutil.create_route(
            client, route_table_id=table_id, destination=destination(route["dest"]), target=target_param(route)
        )


def target_param(route: Dict[str, Any]) -> Dict[str, str]:
    if route["key"] == "nat_gateway_id":
        return {"NatGatewayId": route["value"]}
    return {"GatewayId": route["value"]}


def associate(client, module, table_id: Optional[str], subnet_id: str, move_from: Optional[str]) -> None:
    if module.check_mode or table_id is None:
        return
    if move_from:
        vpcutil.replace_route_table_association(client, association_id=move_from, route_table_id=table_id)
    else:
        vpcutil.associate_route_table(client, route_table_id=table_id, subnet_id=subnet_id)


def disassociate(client, module, association_id: str) -> None:
    if module.check_mode:
        return
    vpcutil.disassociate_route_table(client, association_id=association_id)


def delete_table(client, module, table: Dict[str, Any], keep_subnets: set) -> None:
    """Disassociate (subnets not moving elsewhere, gateways), then delete."""
    for subnet_id, association_id in table["subnet_associations"].items():
        if subnet_id not in keep_subnets:
            disassociate(client, module, association_id)
    for association_id in table["gateway_associations"]:
        disassociate(client, module, association_id)
    if module.check_mode:
        return
    vpcutil.delete_route_table(client, route_table_id=table["id"])


def ensure_present(client, module, match_tags: Dict[str, str]) -> Tuple[bool, Dict[str, Any]]:
    params = module.params
    vpc_id = params["vpc_id"]
    wanted = read_wanted(params, match_tags, module.check_mode)
    future_vpc = vpcutil.unknown_id(vpc_id, module.check_mode, "vpc_id")
    tables = [] if future_vpc else [normalise_table(t) for t in vpcutil.describe_route_tables(client, vpc_id=vpc_id)]
    if not tables and not future_vpc:  # every VPC has a main route table
        vpcutil.require_vpc(client, vpc_id)
    plan = Plan(vpc_id, tables, match_tags)

    # Compare.
    desired_subnets = {s: w["name"] for w in wanted for s in w["subnets"]}
    entries = []
    for w in wanted:
        current = plan.named(w["name"])
        create, replace, delete, routes = plan_routes(
            w, current["routes"] if current else [], params["purge_routes"], plan.local_dests
        )
        entries.append({"w": w, "current": current, "create": create, "replace": replace, "delete": delete, "routes": routes})
    listed_ids = {e["current"]["id"] for e in entries if e["current"]}
    to_delete = []
    if params["purge_route_tables"]:
        to_delete = [t for t in plan.ours if t["id"] not in listed_ids and not t["main"]]

    # Associations: moves/new ones for listed subnets, removals for subnets of listed tables not listed anywhere.
    to_associate = []  # (entry, subnet id, association id to move or None)
    for e in entries:
        table_id = e["current"]["id"] if e["current"] else None
        for subnet_id in e["w"]["subnets"]:
            held = plan.association_of.get(subnet_id)  # (route table id, association id) or None
            if held and held[0] == table_id and table_id is not None:
                continue
            to_associate.append((e, subnet_id, held[1] if held else None))
    to_disassociate = []
    if params["purge_subnets"]:
        for e in entries:
            if e["current"]:
                for subnet_id, association_id in e["current"]["subnet_associations"].items():
                    if subnet_id not in desired_subnets:
                        to_disassociate.append(association_id)

    # Read-only checks of what will be written, before any change.
    writes = [r for e in entries for r in e["create"] + e["replace"]]
    if writes and not future_vpc:
        check_targets(client, vpc_id, writes)
    new_subnets = [s for _e, s, move in to_associate if move is None and s]
    if new_subnets and not future_vpc:
        check_subnets(client, vpc_id, new_subnets)

    # Change.
    changed = False
    for e in entries:
        if e["current"] is None:
            e["id"] = create_table(client, module, vpc_id, e["w"])
            changed = True
        else:
            e["id"] = e["current"]["id"]
    for e in entries:
        if e["create"] or e["replace"] or e["delete"]:
            apply_routes(client, module, e["id"], e["create"], e["replace"], e["delete"])
            changed = True
    for e, subnet_id, move_from in to_associate:
        associate(client, module, e["id"], subnet_id, move_from)
        changed = True
    for association_id in to_disassociate:
        disassociate(client, module, association_id)
        changed = True

    tag_batch = vpcutil.TagBatch()
    results = []
    for e in entries:
        w, current = e["w"], e["current"]
        if current is None:
            tags = dict(w["tags"])
            subnets = list(w["subnets"])
        else:
            tags_changed, tags = tag_batch.add(current["id"], current["tags"], w["tags"], w["purge_tags"])
            changed |= tags_changed
            kept = [s for s in current["subnet_associations"] if not params["purge_subnets"] and s not in desired_subnets]
            subnets = list(w["subnets"]) + kept
        results.append({"id": e["id"], "name": w["name"], "routes": e["routes"], "subnets": subnets, "tags": tags})
    tag_batch.apply(client, module.check_mode)

    deleted = []
    for table in to_delete:
        delete_table(client, module, table, keep_subnets=set(desired_subnets))
        deleted.append(table["id"])
        changed = True

    before = [dict(t, subnets=list(t["subnet_associations"])) for t in plan.ours]
    gone = set(deleted) | {r["id"] for r in results if r["id"]}
    after = []
    for t in before:
        if t["id"] in gone:
            continue
        moved_away = [s for s in t["subnets"] if s in desired_subnets]
        after.append(dict(t, subnets=[s for s in t["subnets"] if s not in moved_away]))
    after += results
    return changed, {
        "route_tables": [public_view(r) for r in results],
        "deleted": deleted,
        "diff": {"before": diff_view(before), "after": diff_view(after)},
    }


def ensure_absent(client, module, match_tags: Dict[str, str]) -> Tuple[bool, Dict[str, Any]]:
    vpc_id = module.params["vpc_id"]
    future_vpc = vpcutil.unknown_id(vpc_id, module.check_mode, "vpc_id")
    tables = [] if future_vpc else [normalise_table(t) for t in vpcutil.describe_route_tables(client, vpc_id=vpc_id)]
    plan = Plan(module.params["vpc_id"], tables, match_tags)
    deleted = []
    for table in plan.ours:
        if table["main"]:
            module.warn(f"Route table {table['id']} carries the match_tags but is the VPC's main route table: kept")
            continue
        delete_table(client, module, table, keep_subnets=set())
        deleted.append(table["id"])
    before = [dict(t, subnets=list(t["subnet_associations"])) for t in plan.ours]
    after = [t for t in before if t["id"] not in deleted]
    return bool(deleted), {
        "route_tables": [],
        "deleted": deleted,
        "diff": {"before": diff_view(before), "after": diff_view(after)},
    }


def main() -> None:
    argument_spec = vpcutil.set_module_argument_spec(
        route_tables=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                name=dict(type="str", required=True),
                routes=dict(
                    type="list",
                    elements="dict",
                    default=[],
                    options=dict(
                        dest=dict(type="str", required=True),
                        gateway_id=dict(type="str"),
                        nat_gateway_id=dict(type="str"),
                    ),
                    mutually_exclusive=[["gateway_id", "nat_gateway_id"]],
                    required_one_of=[["gateway_id", "nat_gateway_id"]],
                ),
                subnets=dict(type="list", elements="str", default=[]),
                tags=dict(type="dict"),
            ),
        ),
        purge_routes=dict(type="bool", default=True),
        purge_subnets=dict(type="bool", default=True),
        purge_route_tables=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    vpcutil.run_set_module(module, ensure_present, ensure_absent)


if __name__ == "__main__":
    main()
