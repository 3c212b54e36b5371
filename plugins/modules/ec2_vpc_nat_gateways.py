#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ec2_vpc_nat_gateways
short_description: Manage the set of public NAT gateways of a VPC, with their Elastic IPs, owned by tags
version_added: 0.1.0
description:
  - Creates, re-tags and deletes all the public NAT gateways of one VPC that this collection owns, in one
    invocation. Missing NAT gateways are all created first, then waited for together, so their waits overlap.
  - A NAT gateway is owned when it carries every tag of O(match_tags). Only owned NAT gateways and owned
    Elastic IPs are ever modified, deleted or released; other NAT gateways in the same subnets are left alone.
  - Each NAT gateway gets its own Elastic IP, allocated by the module (domain V(vpc)) and tagged like the
    NAT gateway plus C(strata:nat-subnet=<subnet id>). A re-run finds the NAT gateway by its subnet,
    O(match_tags) and state (V(pending) or V(available)) and never allocates a second address.
    An unassociated Elastic IP carrying O(match_tags) and C(strata:nat-subnet=<subnet id>), left by an
    earlier run that failed between allocating and creating, is reused instead of allocating another.
  - An owned NAT gateway in state V(failed) in a listed subnet is deleted and replaced.
  - Tags are read from the Describe output, never with C(DescribeTags).
author:
  - strata.platform contributors (!UNKNOWN)
options:
  vpc_id:
    description:
      - The VPC of the NAT gateways.
      - With O(state=present), a missing VPC fails before any change.
      - In check mode only, a null (or empty) value stands for a VPC that an earlier task of the same check
        run would create; every listed NAT gateway is predicted as created.
    type: str
    required: true
  nat_gateways:
    description:
      - The NAT gateways wanted, one per subnet, with O(state=present). Ignored with O(state=absent).
    type: list
    elements: dict
    default: []
    suboptions:
      subnet_id:
        description:
          - The (public) subnet of the NAT gateway; its identity. Must belong to O(vpc_id).
          - In check mode only, a null (or empty) value stands for a subnet that an earlier task of the same
            check run would create (M(strata.platform.ec2_vpc_subnets) returns null IDs in check mode);
            the NAT gateway is predicted as created.
        type: str
        required: true
      tags:
        description:
          - Tags of this NAT gateway (and its Elastic IP), merged over O(tags). O(match_tags) are always added.
          - When neither this nor O(tags) is set, tags other than O(match_tags) are not managed.
        type: dict
  tags:
    description:
      - Tags applied to every NAT gateway and its Elastic IP, under each one's own O(nat_gateways[].tags).
    type: dict
    aliases: ['resource_tags']
  match_tags:
    description:
      - The ownership tags. Only NAT gateways and Elastic IPs carrying all of them are modified,
        deleted or released; everything created gets them. Must not be empty.
    type: dict
    required: true
  purge_tags:
    description:
      - Remove tags not given by O(tags), O(nat_gateways[].tags) or O(match_tags) (and, on the Elastic IPs,
        C(strata:nat-subnet)). Tag keys beginning with V(aws:) are never removed.
    type: bool
    default: true
  purge_nat_gateways:
    description:
      - Delete owned NAT gateways of the VPC whose subnet is not listed, and release their owned Elastic IPs.
      - Also releases owned, unassociated Elastic IPs tagged for a subnet of this VPC that is not listed.
    type: bool
    default: false
  state:
    description:
      - V(present) converges the listed NAT gateways.
      - V(absent) deletes every NAT gateway of the VPC that carries O(match_tags), waits for all the
        deletions together, then releases their Elastic IPs that carry O(match_tags), and owned unassociated
        Elastic IPs left over for subnets of this VPC.
    type: str
    choices: ['present', 'absent']
    default: present
  wait:
    description:
      - Wait for created NAT gateways (and listed ones still V(pending)) to become available, with one
        C(nat_gateway_available) waiter over all of them, and for deleted ones to be deleted (one
        C(nat_gateway_deleted) waiter over all). A NAT gateway that turns V(failed) while waited for fails the task.
      - Elastic IPs can only be released once their NAT gateway is deleted, so with O(wait=false) they are
        left for a later run (with O(state=absent), or O(purge_nat_gateways=true)) to release.
    type: bool
    default: true
  wait_timeout:
    description:
      - How long to wait, in seconds.
    type: int
    default: 900
extends_documentation_fragment:
  - strata.platform.aws
  - ansible.builtin.action_common_attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    details: >-
      Predicts the result; NAT gateways not yet created have RV(nat_gateways[].id=null) and, unless a
      left-over Elastic IP would be reused, null RV(nat_gateways[].allocation_id) and RV(nat_gateways[].public_ip).
  diff_mode:
    support: full
    details: Before and after of the owned NAT gateways of the VPC, by subnet (id, state, allocation id, public IP, tags).
notes:
  - Calls on a run that changes nothing - C(DescribeNatGateways) and C(DescribeAddresses) once each.
    A run that creates NAT gateways adds one C(DescribeSubnets) to check the subnets before any change.
seealso:
  - module: strata.platform.ec2_vpc_subnets
  - module: strata.platform.ec2_vpc_route_tables
  - module: amazon.aws.ec2_vpc_nat_gateway
"""

EXAMPLES = r"""
- name: One NAT gateway per availability zone in the public subnets
  strata.platform.ec2_vpc_nat_gateways:
    vpc_id: "{{ vpc.vpc.id }}"
    match_tags:
      owner: strata.platform
      environment: prod
      layer: network
    tags:
      project: fsm
    nat_gateways:
      - subnet_id: "{{ network_subnets.subnets[0].id }}"
        tags:
          Name: fsm-prod-nat-a
      - subnet_id: "{{ network_subnets.subnets[3].id }}"
        tags:
          Name: fsm-prod-nat-b
  register: network_nat

- name: Go from per-AZ NAT to a single NAT gateway
  strata.platform.ec2_vpc_nat_gateways:
    vpc_id: "{{ vpc.vpc.id }}"
    match_tags: "{{ network_match_tags }}"
    nat_gateways:
      - subnet_id: "{{ network_subnets.subnets[0].id }}"
    purge_nat_gateways: true

- name: Delete the owned NAT gateways and release their Elastic IPs
  strata.platform.ec2_vpc_nat_gateways:
    vpc_id: "{{ vpc.vpc.id }}"
    match_tags:
      owner: strata.platform
      environment: prod
      layer: network
    state: absent
"""

RETURN = r"""
nat_gateways:
  description:
    - The listed NAT gateways, in the order of O(nat_gateways), as they are after the run (predicted in check mode).
    - Empty with O(state=absent).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The NAT gateway ID; null in check mode for one not created yet.
      type: str
      sample: nat-0a1b2c3d4e5f67890
    subnet_id:
      description: The subnet of the NAT gateway.
      type: str
      sample: subnet-0a1b2c3d4e5f67890
    state:
      description: V(available), or V(pending) when created with O(wait=false).
      type: str
      sample: available
    public_ip:
      description: The public address of its Elastic IP; null in check mode when one would be allocated.
      type: str
      sample: 203.0.113.10
    allocation_id:
      description: The allocation ID of its Elastic IP; null in check mode when one would be allocated.
      type: str
      sample: eipalloc-0a1b2c3d4e5f67890
    tags:
      description: The tags of the NAT gateway.
      type: dict
      sample: {"Name": "fsm-prod-nat-a", "owner": "strata.platform"}
deleted:
  description: IDs of the NAT gateways deleted (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: ["nat-0a1b2c3d4e5f67890"]
released_allocation_ids:
  description: Allocation IDs of the Elastic IPs released (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: ["eipalloc-0a1b2c3d4e5f67890"]
"""

from typing import Any
from typing import Dict
from typing import List
from typing import Optional
from typing import Tuple

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.strata.platform.plugins.module_utils._aws import vpc as vpcutil
from ansible_collections.strata.platform.plugins.module_utils._aws.vpc import NAT_SUBNET_TAG
from ansible_collections.strata.platform.plugins.module_utils._aws.vpc import VpcSetError

WAIT_DELAY = 5
LIVE_STATES = ("pending", "available")


def nat_address(nat: Dict[str, Any]) -> Dict[str, Optional[str]]:
    for address in nat.get("NatGatewayAddresses") or []:
        if address.get("AllocationId"):
            return {"allocation_id": address["AllocationId"], "public_ip": address.get("PublicIp")}
    return {"allocation_id": None, "public_ip": None}


def normalise_nat(nat: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "id": nat["NatGatewayId"],
        "subnet_id": nat["SubnetId"],
        "state": nat["State"],
        **nat_address(nat),
        "tags": vpcutil.resource_tags(nat),
        "create_time": nat.get("CreateTime"),
    }


def public_view(nat: Dict[str, Any]) -> Dict[str, Any]:
    return {key: nat[key] for key in ("id", "subnet_id", "state", "public_ip", "allocation_id", "tags")}


def diff_view(nats: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The owned NAT gateways by subnet (a subnet not created yet, in check mode, by its position)."""
    view = {}
    for index, nat in enumerate(sorted(nats, key=lambda n: n["subnet_id"] or "")):
        key = nat["subnet_id"] or f"(subnet not created yet #{index})"
        view[key] = {k: nat[k] for k in ("id", "state", "allocation_id", "public_ip", "tags")}
    return {"nat_gateways": view}


def read_wanted(params: Dict[str, Any], match_tags: Dict[str, str], check_mode: bool) -> List[Dict[str, Any]]:
    common = vpcutil.normalise_tags(params["tags"], "tags")
    wanted = []
    for index, item in enumerate(params["nat_gateways"]):
        where = f"nat_gateways[{index}]"
        subnet_id = (item["subnet_id"] or "").strip() or None
        if vpcutil.unknown_id(subnet_id, check_mode, f"{where}.subnet_id"):
            pass  # a subnet not created yet: the NAT gateway is predicted as new
        elif not subnet_id.startswith("subnet-"):
            raise VpcSetError(message=f"{where}.subnet_id: {item['subnet_id']!r} is not a subnet ID (subnet-...)")
        own = vpcutil.normalise_tags(item.get("tags"), f"{where}.tags")
        tags, purge = vpcutil.desired_tags(common, own, match_tags, params["purge_tags"], where)
        eip_tags = dict(tags)
        eip_tags[NAT_SUBNET_TAG] = subnet_id
        wanted.append({"subnet_id": subnet_id, "tags": tags, "eip_tags": eip_tags, "purge_tags": purge})
    dups = vpcutil.duplicates(w["subnet_id"] for w in wanted if w["subnet_id"])
    if dups:
        raise VpcSetError(message=f"nat_gateways: one NAT gateway per subnet; listed more than once: {', '.join(dups)}")
    return wanted


class Inventory:
    """What one DescribeNatGateways (for the VPC) and one DescribeAddresses (by match_tags) found."""

    def __init__(self, client, vpc_id: Optional[str], match_tags: Dict[str, str]):
        """With ``vpc_id`` None (a VPC not created yet, check mode) nothing exists and nothing is asked."""
        self.vpc_id = vpc_id
        found = vpcutil.describe_nat_gateways(client, vpc_id=vpc_id) if vpc_id else []
        self.all_nats = [normalise_nat(n) for n in found]
        self.ours = [n for n in self.all_nats if vpcutil.carries_tags(n["tags"], match_tags)]
        # Elastic IPs are regional, not per VPC: these are ours in every VPC of the region.
        addresses = vpcutil.describe_addresses_tagged(client, match_tags=match_tags) if vpc_id else []
        self.eips = {a["AllocationId"]: a for a in addresses}
        # Addresses held by a live NAT gateway (any owner) are never reused or released.
        self.held = {n["allocation_id"] for n in self.all_nats if n["state"] in LIVE_STATES and n["allocation_id"]}
        # Subnets known to be in this VPC (NAT gateways of any state are listed with their subnet).
        self.vpc_subnets = {n["subnet_id"] for n in self.all_nats}

    def live_ours(self) -> List[Dict[str, Any]]:
        return [n for n in self.ours if n["state"] in LIVE_STATES]

    def leftovers(self) -> List[Dict[str, Any]]:
        """Owned Elastic IPs tagged for a NAT subnet, unassociated and not held by a live NAT gateway."""
        return [
            a
            for a in self.eips.values()
            if NAT_SUBNET_TAG in vpcutil.resource_tags(a)
            and not a.get("AssociationId")
            and a["AllocationId"] not in self.held
        ]


def pick_current(candidates: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """One live NAT gateway per subnet: the available one first, then the oldest."""
    if not candidates:
        return None
    return sorted(candidates, key=lambda n: (n["state"] != "available", str(n["create_time"]), n["id"]))[0]


def delete_nats(client, module, nats: List[Dict[str, Any]]) -> List[str]:
    deleted = []
    for nat in nats:
        deleted.append(nat["id"])
        if module.check_mode:
            continue
        vpcutil.delete_nat_gateway(client, nat_gateway_id=nat["id"])
    return deleted


def release_eips(client, module, allocation_ids: List[str]) -> List[str]:
    released = []
    for allocation_id in allocation_ids:
        released.append(allocation_id)
        if module.check_mode:
            continue
        vpcutil.release_address(client, allocation_id=allocation_id)
    return released


def create_nat(client, module, w: Dict[str, Any], reuse: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """Allocate (or reuse) the Elastic IP, then create the NAT gateway; return it without waiting."""
    predicted = {
        "id": None,
        "subnet_id": w["subnet_id"],
        "state": "available" if module.params["wait"] else "pending",
        "allocation_id": reuse["AllocationId"] if reuse else None,
        "public_ip": reuse.get("PublicIp") if reuse else None,
        "tags": w["tags"],
    }
    if module.check_mode:
        return predicted
    eip = reuse
    if eip is None:
        eip = vpcutil.allocate_address(client, tags=w["eip_tags"])
    nat = normalise_nat(
        vpcutil.create_nat_gateway(client, subnet_id=w["subnet_id"], allocation_id=eip["AllocationId"], tags=w["tags"])
    )
    nat["allocation_id"] = nat["allocation_id"] or eip["AllocationId"]
    nat["public_ip"] = nat["public_ip"] or eip.get("PublicIp")
    nat["tags"] = nat["tags"] or dict(w["tags"])
    return public_view(nat)


def check_subnets(client, vpc_id: str, subnet_ids: List[str]) -> None:
    """Read-only: the subnets of NAT gateways to create must be in the VPC (and the VPC must exist)."""
    found = {s["SubnetId"] for s in vpcutil.describe_subnets(client, vpc_id=vpc_id, subnet_ids=subnet_ids)}
    missing = [s for s in subnet_ids if s not in found]
    if missing:
        vpcutil.require_vpc(client, vpc_id)
        raise VpcSetError(message=f"Subnets {', '.join(missing)} not found in VPC {vpc_id}")


def ensure_present(client, module, match_tags: Dict[str, str]) -> Tuple[bool, Dict[str, Any]]:
    params = module.params
    vpc_id = params["vpc_id"]
    wanted = read_wanted(params, match_tags, module.check_mode)
    future_vpc = vpcutil.unknown_id(vpc_id, module.check_mode, "vpc_id")
    inv = Inventory(client, None if future_vpc else vpc_id, match_tags)

    # Compare.
    listed = {w["subnet_id"] for w in wanted if w["subnet_id"]}
    current = [
        pick_current([n for n in inv.live_ours() if n["subnet_id"] == w["subnet_id"]]) if w["subnet_id"] else None
        for w in wanted
    ]
    kept_ids = {n["id"] for n in current if n}
    failed = [n for n in inv.ours if n["state"] == "failed" and n["subnet_id"] in listed]
    unlisted = []
    if params["purge_nat_gateways"]:
        unlisted = [
            n
            for n in inv.ours
            if n["state"] in LIVE_STATES + ("failed",) and n["id"] not in kept_ids and n not in failed
        ]
    to_create = [i for i, w in enumerate(wanted) if current[i] is None]

    leftovers = inv.leftovers()
    reuse: Dict[int, Dict[str, Any]] = {}
    for i in to_create:
        for eip in leftovers:
            tagged_for = vpcutil.resource_tags(eip).get(NAT_SUBNET_TAG)
            if wanted[i]["subnet_id"] and tagged_for == wanted[i]["subnet_id"] and eip not in reuse.values():
                reuse[i] = eip
                break
    surplus = []
    if params["purge_nat_gateways"]:
        surplus = [
            a["AllocationId"]
            for a in leftovers
            if vpcutil.resource_tags(a)[NAT_SUBNET_TAG] in inv.vpc_subnets
            and vpcutil.resource_tags(a)[NAT_SUBNET_TAG] not in listed
        ]

    new_subnets = [wanted[i]["subnet_id"] for i in to_create if wanted[i]["subnet_id"]]
    if new_subnets and not future_vpc:
        check_subnets(client, vpc_id, new_subnets)
    elif not inv.all_nats and not wanted and not future_vpc:
        vpcutil.require_vpc(client, vpc_id)

    # Change: start every deletion and creation, then wait for all of them together.
    changed = False
    deleted = delete_nats(client, module, failed + unlisted)
    changed |= bool(deleted)

    results: List[Optional[Dict[str, Any]]] = [None] * len(wanted)
    created_ids = []
    for i in to_create:
        results[i] = create_nat(client, module, wanted[i], reuse.get(i))
        if results[i]["id"]:
            created_ids.append(results[i]["id"])
        changed = True

    tag_batch = vpcutil.TagBatch()
    for i, w in enumerate(wanted):
        if current[i] is None:
            eip = reuse.get(i)
            if eip is not None:  # a reused address gets the tags of its new NAT gateway
                tag_batch.add(eip["AllocationId"], vpcutil.resource_tags(eip), w["eip_tags"], w["purge_tags"])
            continue
        nat = public_view(current[i])
        tags_changed, nat["tags"] = tag_batch.add(nat["id"], nat["tags"], w["tags"], w["purge_tags"])
        changed |= tags_changed
        eip = inv.eips.get(nat["allocation_id"])
        if eip is not None:  # only an owned address is re-tagged
            eip_changed, _tags = tag_batch.add(
                eip["AllocationId"], vpcutil.resource_tags(eip), w["eip_tags"], w["purge_tags"]
            )
            changed |= eip_changed
        results[i] = nat
    tag_batch.apply(client, module.check_mode)

    # Created ones, and listed ones still pending from an earlier run with wait=false: one waiter for all.
    pending = created_ids + [
        n["id"] for n in results if n["id"] and n["state"] == "pending" and n["id"] not in created_ids
    ]
    if params["wait"] and pending and not module.check_mode:
        vpcutil.wait_for(
            client,
            "nat_gateway_available",
            pending,
            timeout=params["wait_timeout"],
            delay=WAIT_DELAY,
            what=f"NAT gateways {', '.join(pending)} to become available",
        )
        for nat in results:
            if nat["id"] in pending:
                nat["state"] = "available"
    released = finish_deletions(client, module, deleted, releasable(inv, failed + unlisted, reuse), surplus)
    changed |= bool(released)

    before = [public_view(n) for n in inv.live_ours()]
    removed = set(deleted) | kept_ids
    after = [n for n in before if n["id"] not in removed] + results
    return changed, {
        "nat_gateways": results,
        "deleted": deleted,
        "released_allocation_ids": released,
        "diff": {"before": diff_view(before), "after": diff_view(after)},
    }


def releasable(inv: Inventory, deleted_nats: List[Dict[str, Any]], reuse: Dict[int, Dict[str, Any]]) -> List[str]:
    """Owned addresses of the deleted NAT gateways, unless another live NAT gateway holds them or they are reused."""
    reused = {a["AllocationId"] for a in reuse.values()}
    ids = []
    for nat in deleted_nats:
        allocation_id = nat["allocation_id"]
        if allocation_id and allocation_id in inv.eips and allocation_id not in reused:
            if allocation_id not in ids and not any(
                n["allocation_id"] == allocation_id and n["id"] != nat["id"] and n["state"] in LIVE_STATES
                for n in inv.all_nats
            ):
                ids.append(allocation_id)
    return ids


def finish_deletions(client, module, deleted: List[str], after_deletion: List[str], free: List[str]) -> List[str]:
    """Wait for the deletions together, then release the addresses they held (AWS refuses while associated).

    ``free`` addresses (left over, or of NAT gateways already deleted) are released whatever ``wait`` says.
    """
    params = module.params
    if deleted and after_deletion and not params["wait"]:
        if not module.check_mode:
            module.warn(
                f"Elastic IPs {', '.join(after_deletion)} are not released: NAT gateways {', '.join(deleted)} "
                "are still being deleted (wait=false); a later run releases them"
            )
        after_deletion = []
    if deleted and params["wait"] and not module.check_mode:
        vpcutil.wait_for(
            client,
            "nat_gateway_deleted",
            deleted,
            timeout=params["wait_timeout"],
            delay=WAIT_DELAY,
            what=f"NAT gateways {', '.join(deleted)} to be deleted",
        )
    return release_eips(client, module, after_deletion + [a for a in free if a not in after_deletion])


def ensure_absent(client, module, match_tags: Dict[str, str]) -> Tuple[bool, Dict[str, Any]]:
    vpc_id = module.params["vpc_id"]
    future_vpc = vpcutil.unknown_id(vpc_id, module.check_mode, "vpc_id")
    inv = Inventory(client, None if future_vpc else vpc_id, match_tags)

    to_delete = [n for n in inv.ours if n["state"] in LIVE_STATES + ("failed",)]
    in_progress = [n for n in inv.ours if n["state"] == "deleting"]
    after_deletion = releasable(inv, to_delete + in_progress, {})
    free = releasable(inv, [n for n in inv.ours if n["state"] == "deleted"], {})

    # Left-over addresses (unassociated, tagged for a NAT subnet) of this VPC: the subnets of NAT gateways
    # seen above are in the VPC; ask about the others (one read, only when there are such addresses).
    leftovers = [a for a in inv.leftovers() if a["AllocationId"] not in after_deletion + free]
    unknown = sorted({vpcutil.resource_tags(a)[NAT_SUBNET_TAG] for a in leftovers} - inv.vpc_subnets)
    vpc_subnets = set(inv.vpc_subnets)
    if unknown and not future_vpc:
        vpc_subnets |= {s["SubnetId"] for s in vpcutil.describe_subnets(client, vpc_id=vpc_id, subnet_ids=unknown)}
    free += [a["AllocationId"] for a in leftovers if vpcutil.resource_tags(a)[NAT_SUBNET_TAG] in vpc_subnets]

    deleted = delete_nats(client, module, to_delete)
    released = finish_deletions(client, module, deleted + [n["id"] for n in in_progress], after_deletion, free)

    before = [public_view(n) for n in inv.live_ours()]
    return bool(deleted or released), {
        "nat_gateways": [],
        "deleted": deleted,
        "released_allocation_ids": released,
        "diff": {"before": diff_view(before), "after": diff_view([])},
    }


def main() -> None:
    argument_spec = vpcutil.set_module_argument_spec(
        nat_gateways=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                subnet_id=dict(type="str", required=True),
                tags=dict(type="dict"),
            ),
        ),
        purge_nat_gateways=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=900),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    vpcutil.run_set_module(module, ensure_present, ensure_absent)


if __name__ == "__main__":
    main()
