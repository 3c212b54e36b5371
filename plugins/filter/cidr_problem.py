# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter plugin strata.platform.cidr_problem: what is wrong with a network CIDR, and the fix."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.strata.platform.plugins.plugin_utils import cidr

DOCUMENTATION = r"""
name: cidr_problem
author: strata.platform maintainers (@maintainers)
version_added: "0.1.0"
short_description: Say what is wrong with a network CIDR and how to fix it
description:
  - Return an empty string when the value is a usable C(platform_network_cidr), else one sentence that
    names the problem and the fix, ready for an C(ansible.builtin.assert) C(fail_msg).
  - Usable means an IPv4 network CIDR in canonical C(a.b.c.d/prefix) form, without host bits, inside a
    private range (RFC 1918, V(10.0.0.0/8), V(172.16.0.0/12), V(192.168.0.0/16)), with a prefix from
    O(min_prefix) to O(max_prefix).
  - Values that are not strings (numbers, V(null), lists) are problems too.
  - Uses Python's C(ipaddress); C(netaddr) is not needed.
positional: _input
options:
  _input:
    description: The value to check.
    type: raw
    required: true
  min_prefix:
    description: The shortest prefix (largest block) accepted.
    type: int
    default: 8
  max_prefix:
    description:
      - The longest prefix (smallest block) accepted.
      - The default V(23) is the smallest network P(strata.platform.subnet_plan#filter) can cut into V(/28)
        subnets.
    type: int
    default: 23
seealso:
  - plugin: strata.platform.subnet_plan
    plugin_type: filter
  - plugin: strata.platform.cidr_conflicts
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Validate the region's network block
  ansible.builtin.assert:
    that: platform_network_cidr | strata.platform.cidr_problem == ''
    fail_msg: >-
      platform_network_cidr of {{ inventory_hostname }}:
      {{ platform_network_cidr | strata.platform.cidr_problem }}

# '10.40.0.0/16'  | strata.platform.cidr_problem  => ''
# '10.40.0.1/16'  | strata.platform.cidr_problem  => '10.40.0.1/16 has host bits set; use 10.40.0.0/16'
# '10.40.0.0'     | strata.platform.cidr_problem  => "'10.40.0.0' has no prefix length; write it as 10.40.0.0/16"
# '10.40.0.0/26'  | strata.platform.cidr_problem
#     => '10.40.0.0/26 is too small for the three-tier plan; use a /23 or larger'
# '8.8.0.0/16'    | strata.platform.cidr_problem
#     => '8.8.0.0/16 is not a private (RFC 1918) range; use a block inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16'

- name: AWS VPCs must be /16 to /23
  ansible.builtin.debug:
    msg: "{{ '10.0.0.0/8' | strata.platform.cidr_problem(min_prefix=16) }}"
  # 10.0.0.0/8 is too large; use a /16 or smaller block
"""

RETURN = r"""
_value:
  description: V('') when the CIDR is usable, else one sentence with the problem and the fix.
  type: str
  sample: 10.40.0.1/16 has host bits set; use 10.40.0.0/16
"""


def cidr_problem(value, min_prefix=8, max_prefix=cidr.PLAN_MAX_PREFIX):
    """Problem with a network CIDR, or ''; see DOCUMENTATION."""
    try:
        return cidr.cidr_problem(value, min_prefix=min_prefix, max_prefix=max_prefix)
    except cidr.CidrError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    """strata.platform.cidr_problem"""

    def filters(self):
        return {"cidr_problem": cidr_problem}
