#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ec2_vpc_subnets
short_description: Manage the set of subnets of a VPC that carry given ownership tags
version_added: 0.1.0
description:
  - Creates, updates and deletes all the subnets of one VPC that this collection owns, in one invocation
    with one C(DescribeSubnets) call, where M(amazon.aws.ec2_vpc_subnet) needs one invocation per subnet.
  - A subnet is owned when it carries every tag of O(match_tags). Only owned subnets are ever modified or deleted.
  - A listed subnet is found by its VPC and CIDR block. If a subnet with that CIDR exists but is not owned,
    the module fails (it must be removed, or tagged with O(match_tags) to adopt it). If it exists in another
    availability zone, the module fails too (a subnet can't move; delete it first).
  - Subnets are created first, then waited for together.
author:
  - strata.platform contributors (!UNKNOWN)
options:
  vpc_id:
    description:
      - The VPC that holds the subnets.
      - With O(state=present), a missing VPC fails before any change.
        With O(state=absent), a missing VPC holds no subnet, so nothing is done.
      - In check mode only, a null (or empty) value stands for a VPC that an earlier task of the same check
        run would create (C(amazon.aws.ec2_vpc_net) reports no ID in check mode); every listed subnet is predicted
        as created.
    type: str
    required: true
  subnets:
    description:
      - The subnets wanted, with O(state=present). Ignored with O(state=absent).
    type: list
    elements: dict
    default: []
    suboptions:
      cidr:
        description:
          - The IPv4 CIDR block; the identity of the subnet within the VPC.
          - Must lie in one of the VPC's IPv4 blocks and not overlap another subnet.
        type: str
        required: true
      az:
        description:
          - The availability zone name, for example V(us-east-1a).
        type: str
        required: true
      map_public_ip_on_launch:
        description:
          - Whether instances launched in the subnet get a public IPv4 address. Changed in place.
        type: bool
        default: false
      tags:
        description:
          - Tags of this subnet, merged over O(tags). O(match_tags) are always added and can't be contradicted.
          - When neither this nor O(tags) is set, tags other than O(match_tags) are not managed.
        type: dict
  tags:
    description:
      - Tags applied to every subnet, under each subnet's own O(subnets[].tags).
      - O(match_tags) are always added.
    type: dict
    aliases: ['resource_tags']
  match_tags:
    description:
      - 'The ownership tags, for example C({"owner": "strata.platform", "environment": "prod", "layer": "network"}).'
      - Only subnets carrying all of them (with these values) are modified or deleted; every subnet created gets them.
      - Must not be empty.
    type: dict
    required: true
  purge_tags:
    description:
      - Remove tags not given by O(tags), O(subnets[].tags) or O(match_tags) from owned listed subnets.
      - Tag keys beginning with V(aws:) are never removed.
      - Has no effect on a subnet when neither O(tags) nor its O(subnets[].tags) is set.
    type: bool
    default: true
  purge_subnets:
    description:
      - Delete owned subnets of the VPC whose CIDR is not listed in O(subnets).
    type: bool
    default: false
  state:
    description:
      - V(present) converges the listed subnets.
      - V(absent) deletes every subnet of the VPC that carries O(match_tags), whatever O(subnets) says.
    type: str
    choices: ['present', 'absent']
    default: present
  wait:
    description:
      - Wait for created subnets to become available (one C(subnet_available) waiter over all of them).
    type: bool
    default: true
  wait_timeout:
    description:
      - How long to wait, in seconds.
    type: int
    default: 300
extends_documentation_fragment:
  - strata.platform.aws
  - ansible.builtin.action_common_attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    details: Predicts the result; subnets not yet created have RV(subnets[].id=null).
  diff_mode:
    support: full
    details: Before and after of the owned subnets of the VPC, by CIDR (id, az, map_public_ip_on_launch, tags).
notes:
  - Deleting a subnet that still holds network interfaces fails with C(DependencyViolation);
    the error names the subnet.
  - Calls on a run that changes nothing - C(DescribeSubnets) once. A run that creates subnets adds
    C(DescribeVpcs) and C(DescribeAvailabilityZones) to check the input before any change.
seealso:
  - module: strata.platform.ec2_vpc_nat_gateways
  - module: strata.platform.ec2_vpc_route_tables
  - module: amazon.aws.ec2_vpc_subnet
"""

EXAMPLES = r"""
- name: Converge the three-tier subnets of the prod VPC
  strata.platform.ec2_vpc_subnets:
    vpc_id: "{{ vpc.vpc.id }}"
    match_tags:
      owner: strata.platform
      environment: prod
      layer: network
    tags:
      project: fsm
    subnets:
      - cidr: 10.20.0.0/24
        az: us-east-1a
        map_public_ip_on_launch: true
        tags:
          Name: fsm-prod-public-a
          tier: public
      - cidr: 10.20.10.0/24
        az: us-east-1a
        tags:
          Name: fsm-prod-app-a
          tier: app
      - cidr: 10.20.20.0/24
        az: us-east-1a
        tags:
          Name: fsm-prod-data-a
          tier: data
  register: network_subnets

- name: Remove owned subnets that are no longer listed
  strata.platform.ec2_vpc_subnets:
    vpc_id: "{{ vpc.vpc.id }}"
    match_tags: "{{ network_match_tags }}"
    subnets: "{{ network_subnet_plan }}"
    purge_subnets: true

- name: Delete every owned subnet of the VPC
  strata.platform.ec2_vpc_subnets:
    vpc_id: "{{ vpc.vpc.id }}"
    match_tags:
      owner: strata.platform
      environment: prod
      layer: network
    state: absent
"""

RETURN = r"""
subnets:
  description:
    - The listed subnets, in the order of O(subnets), as they are after the run (predicted in check mode).
    - Empty with O(state=absent).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The subnet ID; null in check mode for a subnet not created yet.
      type: str
      sample: subnet-0a1b2c3d4e5f67890
    cidr:
      description: The IPv4 CIDR block.
      type: str
      sample: 10.20.0.0/24
    az:
      description: The availability zone.
      type: str
      sample: us-east-1a
    map_public_ip_on_launch:
      description: Whether instances get a public IPv4 address.
      type: bool
      sample: true
    tags:
      description: The tags of the subnet.
      type: dict
      sample: {"Name": "fsm-prod-public-a", "owner": "strata.platform"}
    state:
      description: The subnet state, V(available) or V(pending).
      type: str
      sample: available
deleted:
  description: IDs of the subnets deleted (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: ["subnet-0a1b2c3d4e5f67890"]
"""

import ipaddress
from typing import Any
from typing import Dict
from typing import List
from typing import Tuple

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.strata.platform.plugins.module_utils._aws import vpc as vpcutil
from ansible_collections.strata.platform.plugins.module_utils._aws.vpc import VpcSetError

WAIT_DELAY = 5


def normalise_subnet(subnet: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "id": subnet["SubnetId"],
        "cidr": subnet["CidrBlock"],
        "az": subnet["AvailabilityZone"],
        "map_public_ip_on_launch": bool(subnet.get("MapPublicIpOnLaunch")),
        "tags": vpcutil.resource_tags(subnet),
        "state": subnet.get("State", "available"),
    }


def diff_view(subnets: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The owned subnets by CIDR, small enough for --diff."""
    return {
        "subnets": {
            s["cidr"]: {
                "id": s["id"],
                "az": s["az"],
                "map_public_ip_on_launch": s["map_public_ip_on_launch"],
                "tags": s["tags"],
            }
            for s in sorted(subnets, key=lambda s: ipaddress.ip_network(s["cidr"]))
        }
    }


def read_wanted(params: Dict[str, Any], match_tags: Dict[str, str]) -> List[Dict[str, Any]]:
    """Validate and normalise O(subnets) before any call."""
    common = vpcutil.normalise_tags(params["tags"], "tags")
    wanted = []
    for index, item in enumerate(params["subnets"]):
        where = f"subnets[{index}]"
        cidr = vpcutil.normalise_cidr(item["cidr"], f"{where}.cidr")
        if ipaddress.ip_network(cidr).version != 4:
            raise VpcSetError(message=f"{where}.cidr: {cidr} is not an IPv4 block")
        if not item["az"]:
            raise VpcSetError(message=f"{where}.az: give the availability zone of {cidr}")
        own = vpcutil.normalise_tags(item.get("tags"), f"{where}.tags")
        tags, purge = vpcutil.desired_tags(common, own, match_tags, params["purge_tags"], where)
        wanted.append(
            {
                "cidr": cidr,
                "az": item["az"],
                "map_public_ip_on_launch": item["map_public_ip_on_launch"],
                "tags": tags,
                "purge_tags": purge,
            }
        )
    dups = vpcutil.duplicates(w["cidr"] for w in wanted)
    if dups:
        raise VpcSetError(message=f"subnets: CIDR blocks listed more than once: {', '.join(dups)}")
    networks = [(w["cidr"], ipaddress.ip_network(w["cidr"])) for w in wanted]
    for i, (cidr_a, net_a) in enumerate(networks):
        for cidr_b, net_b in networks[i + 1:]:
            if net_a.overlaps(net_b):
                raise VpcSetError(message=f"subnets: {cidr_a} and {cidr_b} overlap")
    return wanted


def check_creations(client, vpc_id: str, to_create: List[Dict[str, Any]], remaining: List[Dict[str, Any]]) -> None:
    """Read-only checks of the subnets to create, so that bad input fails before any change.

    With a VPC not created yet (null vpc_id, check mode) only the availability zones are checked.
    """
    blocks = vpcutil.vpc_ipv4_networks(vpcutil.require_vpc(client, vpc_id)) if vpc_id else None
    zones = vpcutil.describe_availability_zone_names(client)
    for w in to_create:
        net = ipaddress.ip_network(w["cidr"])
        if blocks is not None and not any(net.subnet_of(block) for block in blocks):
            raise VpcSetError(
                message=f"Subnet {w['cidr']} does not lie in VPC {vpc_id}'s blocks ({', '.join(map(str, blocks))})"
            )
        if w["az"] not in zones:
            raise VpcSetError(message=f"Subnet {w['cidr']}: unknown availability zone {w['az']} (known: {', '.join(zones)})")
        for other in remaining:
            if net.overlaps(ipaddress.ip_network(other["cidr"])):
                raise VpcSetError(
                    message=(
                        f"Subnet {w['cidr']} overlaps subnet {other['id']} ({other['cidr']}) of VPC {vpc_id}; "
                        "delete that subnet first or choose another CIDR"
                    )
                )


def create_subnet(client, module, vpc_id: str, w: Dict[str, Any]) -> Dict[str, Any]:
    predicted = {
        "id": None,
        "cidr": w["cidr"],
        "az": w["az"],
        "map_public_ip_on_launch": w["map_public_ip_on_launch"],
        "tags": w["tags"],
        "state": "available",
    }
    if module.check_mode:
        return predicted
    subnet = normalise_subnet(vpcutil.create_subnet(client, vpc_id=vpc_id, cidr=w["cidr"], az=w["az"], tags=w["tags"]))
    subnet["tags"] = subnet["tags"] or dict(w["tags"])
    if w["map_public_ip_on_launch"]:
        subnet["map_public_ip_on_launch"] = ensure_map_public(client, module, subnet, True)[1]
    return subnet


def ensure_map_public(client, module, subnet: Dict[str, Any], value: bool) -> Tuple[bool, bool]:
    if subnet["map_public_ip_on_launch"] == value:
        return False, value
    if module.check_mode or subnet["id"] is None:
        return True, value
    vpcutil.set_subnet_map_public_ip(client, subnet_id=subnet["id"], value=value)
    return True, value


def delete_subnets(client, module, subnets: List[Dict[str, Any]]) -> List[str]:
    deleted = []
    for subnet in subnets:
        deleted.append(subnet["id"])
        if module.check_mode:
            continue
        vpcutil.delete_subnet(client, subnet_id=subnet["id"])
    return deleted


def ensure_present(client, module, match_tags: Dict[str, str]) -> Tuple[bool, Dict[str, Any]]:
    params = module.params
    vpc_id = params["vpc_id"]
    wanted = read_wanted(params, match_tags)
    future_vpc = vpcutil.unknown_id(vpc_id, module.check_mode, "vpc_id")

    existing = [] if future_vpc else [normalise_subnet(s) for s in vpcutil.describe_subnets(client, vpc_id=vpc_id)]
    by_cidr = {s["cidr"]: s for s in existing}
    ours = [s for s in existing if vpcutil.carries_tags(s["tags"], match_tags)]

    # Compare: refuse what can't be done before changing anything.
    to_create = []
    for w in wanted:
        current = by_cidr.get(w["cidr"])
        if current is None:
            to_create.append(w)
            continue
        if not vpcutil.carries_tags(current["tags"], match_tags):
            raise VpcSetError(
                message=(
                    f"Subnet {current['id']} ({w['cidr']}) in VPC {vpc_id} does not carry the match_tags {match_tags}: "
                    "it isn't managed here. Delete it, or tag it with the match_tags to adopt it"
                )
            )
        if current["az"] != w["az"]:
            raise VpcSetError(
                message=(
                    f"Subnet {current['id']} ({w['cidr']}) is in {current['az']}, not {w['az']}: "
                    "a subnet can't move between availability zones; delete it first"
                )
            )
    listed = {w["cidr"] for w in wanted}
    to_delete = [s for s in ours if s["cidr"] not in listed] if params["purge_subnets"] else []
    deleted_ids = {s["id"] for s in to_delete}
    if to_create:
        remaining = [s for s in existing if s["id"] not in deleted_ids]
        check_creations(client, vpc_id, to_create, remaining)
    elif not existing and not future_vpc:
        vpcutil.require_vpc(client, vpc_id)

    # Change: deletions first (a purged subnet may free the CIDR range of a new one), then creations.
    changed = False
    deleted = delete_subnets(client, module, to_delete)
    changed |= bool(deleted)

    results: Dict[str, Dict[str, Any]] = {}
    for w in to_create:
        results[w["cidr"]] = create_subnet(client, module, vpc_id, w)
        changed = True

    tag_batch = vpcutil.TagBatch()
    for w in wanted:
        if w["cidr"] in results:
            continue
        subnet = dict(by_cidr[w["cidr"]])
        map_changed, subnet["map_public_ip_on_launch"] = ensure_map_public(
            client, module, subnet, w["map_public_ip_on_launch"]
        )
        tags_changed, subnet["tags"] = tag_batch.add(subnet["id"], subnet["tags"], w["tags"], w["purge_tags"])
        changed |= map_changed or tags_changed
        results[w["cidr"]] = subnet
    tag_batch.apply(client, module.check_mode)

    pending = [s["id"] for s in results.values() if s["id"] and s["state"] != "available"]
    if params["wait"] and pending and not module.check_mode:
        vpcutil.wait_for(
            client,
            "subnet_available",
            pending,
            timeout=params["wait_timeout"],
            delay=WAIT_DELAY,
            what=f"subnets {', '.join(pending)} to become available",
        )
        for subnet in results.values():
            subnet["state"] = "available"

    subnets = [results[w["cidr"]] for w in wanted]
    after = [s for s in ours if s["id"] not in deleted_ids and s["cidr"] not in results] + subnets
    return changed, {
        "subnets": subnets,
        "deleted": deleted,
        "diff": {"before": diff_view(ours), "after": diff_view(after)},
    }


def ensure_absent(client, module, match_tags: Dict[str, str]) -> Tuple[bool, Dict[str, Any]]:
    vpc_id = module.params["vpc_id"]
    future_vpc = vpcutil.unknown_id(vpc_id, module.check_mode, "vpc_id")
    existing = [] if future_vpc else [normalise_subnet(s) for s in vpcutil.describe_subnets(client, vpc_id=vpc_id)]
    ours = [s for s in existing if vpcutil.carries_tags(s["tags"], match_tags)]
    deleted = delete_subnets(client, module, ours)
    return bool(deleted), {
        "subnets": [],
        "deleted": deleted,
        "diff": {"before": diff_view(ours), "after": diff_view([])},
    }


def main() -> None:
    argument_spec = vpcutil.set_module_argument_spec(
        subnets=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                cidr=dict(type="str", required=True),
                az=dict(type="str", required=True),
                map_public_ip_on_launch=dict(type="bool", default=False),
                tags=dict(type="dict"),
            ),
        ),
        purge_subnets=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    vpcutil.run_set_module(module, ensure_present, ensure_absent)


if __name__ == "__main__":
    main()
