# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter plugin strata.platform.subnet_plan: the stable three-tier subnet plan of a VPC / VNet."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.strata.platform.plugins.plugin_utils import cidr

DOCUMENTATION = r"""
name: subnet_plan
author: strata.platform maintainers (@maintainers)
version_added: "0.1.0"
short_description: Stable three-tier subnet plan of a VPC or VNet CIDR
description:
  - Cut a region's network block into one subnet per tier and availability zone, such that adding or
    removing a zone never moves an existing subnet.
  - The network is split into 4 equal tier blocks (network prefix + 2). Tier number I(i) takes block I(i);
    block 3 stays reserved for growth (or holds a fourth tier).
  - Each tier block is split into 8 zone slots, so every subnet has the network prefix + 5
    (a /16 gives /21 subnets of 2048 addresses).
  - A zone's slot comes from the zone's identity, not from its position in the list. AWS availability zone
    names end in a letter, C(us-east-1a) takes slot 0, C(us-east-1b) slot 1, ... C(us-east-1h) slot 7.
    Azure zones C("1") to C("8") take slots 0 to 7.
  - With no zones (an empty list or V(null), for example an Azure regional VNet) each tier gets one
    regional subnet in slot 0 with C(zone) V(null).
  - Uses Python's C(ipaddress); C(netaddr) is not needed.
positional: _input, zones, tiers
options:
  _input:
    description:
      - The region's network block (C(platform_network_cidr)), an IPv4 CIDR without host bits.
      - Must be a V(/23) or larger, so that the smallest subnet is a V(/28).
    type: str
    required: true
  zones:
    description:
      - The availability zones to plan, AWS zone names such as V(us-east-1a) (ending in V(a) to V(h))
        or Azure zone numbers V("1") to V("8") (integers are accepted and returned as strings).
      - Each zone at most once, one zone per slot, all from one region of one cloud.
      - V([]) or V(null) plans one regional subnet per tier.
    type: list
    elements: raw
    required: true
  tiers:
    description:
      - Tier names, in block order; at most 4.
      - V(null) means V([public, app, data]).
    type: list
    elements: str
    default: [public, app, data]
notes:
  - Errors (an invalid CIDR, host bits set, a network smaller than V(/23), a zone without a
    recognisable slot, two zones in one slot, a zone listed twice, more than 4 tiers) fail the task with
    a message that names the value and the fix.
  - Check the CIDR first with P(strata.platform.cidr_problem#filter) and the blocks of all targets with
    P(strata.platform.cidr_conflicts#filter).
seealso:
  - plugin: strata.platform.cidr_problem
    plugin_type: filter
  - plugin: strata.platform.cidr_conflicts
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Plan the subnets of an AWS VPC across three zones
  ansible.builtin.debug:
    msg: "{{ '10.40.0.0/16' | strata.platform.subnet_plan(['us-east-1a', 'us-east-1b', 'us-east-1c']) }}"
  # public 10.40.0.0/21, 10.40.8.0/21, 10.40.16.0/21
  # app    10.40.64.0/21, 10.40.72.0/21, 10.40.80.0/21
  # data   10.40.128.0/21, 10.40.136.0/21, 10.40.144.0/21
  # first item: {"tier": "public", "zone": "us-east-1a", "slot": 0, "cidr": "10.40.0.0/21", "index": 0}

- name: Adding us-east-1d later keeps every existing subnet where it is
  ansible.builtin.set_fact:
    network_plan: >-
      {{ platform_network_cidr | strata.platform.subnet_plan(platform_availability_zones) }}

- name: Azure zones
  ansible.builtin.debug:
    msg: "{{ '10.50.0.0/16' | strata.platform.subnet_plan(['1', '2', '3']) }}"

- name: Azure regional VNet (no zones), one subnet per tier
  ansible.builtin.debug:
    msg: "{{ '10.60.0.0/20' | strata.platform.subnet_plan([]) }}"
  # public 10.60.0.0/25, app 10.60.4.0/25, data 10.60.8.0/25, all with zone null

- name: CIDRs of the app tier only
  ansible.builtin.debug:
    msg: >-
      {{ platform_network_cidr | strata.platform.subnet_plan(platform_availability_zones)
         | selectattr('tier', '==', 'app') | map(attribute='cidr') | list }}

- name: Custom tiers (at most four)
  ansible.builtin.debug:
    msg: "{{ '10.40.0.0/16' | strata.platform.subnet_plan(['eu-west-1a'], tiers=['edge', 'app', 'data', 'mgmt']) }}"
"""

RETURN = r"""
_value:
  description:
    - One subnet per tier and zone, ordered by tier then slot.
  type: list
  elements: dict
  contains:
    tier:
      description: The tier name.
      type: str
      sample: public
    zone:
      description: The zone (AWS name or Azure zone number as a string); V(null) for a regional subnet.
      type: str
      sample: us-east-1a
    slot:
      description: The zone slot, 0 to 7.
      type: int
      sample: 0
    cidr:
      description: The subnet block, network prefix + 5.
      type: str
      sample: 10.40.0.0/21
    index:
      description: The subnet's position in the network, C(tier index * 8 + slot); stable across zone changes.
      type: int
      sample: 0
"""


def subnet_plan(network_cidr, zones, tiers=None):
    """Stable three-tier subnet plan; see DOCUMENTATION."""
    try:
        return cidr.subnet_plan(network_cidr, zones, tiers)
    except cidr.CidrError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    """strata.platform.subnet_plan"""

    def filters(self):
        return {"subnet_plan": subnet_plan}
