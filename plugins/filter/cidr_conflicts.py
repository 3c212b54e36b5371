# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter plugin strata.platform.cidr_conflicts: overlapping network blocks across deployment targets."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.strata.platform.plugins.plugin_utils import cidr

DOCUMENTATION = r"""
name: cidr_conflicts
author: strata.platform maintainers (@maintainers)
version_added: "0.1.0"
short_description: Find deployment targets whose network blocks overlap
description:
  - Check the C(platform_network_cidr) of every target of every environment and cloud against every other,
    before any API call, and return each overlapping pair once.
  - Identical and nested blocks overlap; adjacent blocks (V(10.0.0.0/16) and V(10.1.0.0/16)) do not.
  - Targets whose CIDR is missing or invalid are skipped; report them with
    P(strata.platform.cidr_problem#filter).
  - Sorts the blocks by address and sweeps them once, so hundreds of targets take milliseconds.
  - Uses Python's C(ipaddress); C(netaddr) is not needed.
positional: _input
options:
  _input:
    description:
      - The targets, either a list of dicts with C(name) (the inventory host) and C(cidr), or a dict that
        maps inventory host name to CIDR.
      - Other keys of a list item (such as C(cloud) or C(environment)) are carried into the result,
        prefixed with C(a_) or C(b_).
      - Each name at most once.
    type: raw
    required: true
seealso:
  - plugin: strata.platform.cidr_problem
    plugin_type: filter
  - plugin: strata.platform.subnet_plan
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Fail before any API call when two targets of any environment share address space
  vars:
    __conflicts: >-
      {{ dict(groups['all'] | zip(groups['all'] | map('extract', hostvars, 'platform_network_cidr')))
         | strata.platform.cidr_conflicts }}
  ansible.builtin.assert:
    that: __conflicts | length == 0
    fail_msg: "{{ __conflicts | map(attribute='message') | join('; ') }}"
  run_once: true

- name: List form; extra keys come back as a_<key> / b_<key>
  ansible.builtin.debug:
    msg: >-
      {{ [{'name': 'dev-aws-us-east-1', 'cidr': '10.40.0.0/16', 'cloud': 'aws'},
          {'name': 'prod-azure-eastus', 'cidr': '10.40.128.0/17', 'cloud': 'azure'},
          {'name': 'prod-aws-us-east-1', 'cidr': '10.41.0.0/16', 'cloud': 'aws'}]
         | strata.platform.cidr_conflicts }}
  # [{"a": "dev-aws-us-east-1", "a_cidr": "10.40.0.0/16", "a_cloud": "aws",
  #   "b": "prod-azure-eastus", "b_cidr": "10.40.128.0/17", "b_cloud": "azure",
  #   "message": "dev-aws-us-east-1 (platform_network_cidr=10.40.0.0/16) overlaps prod-azure-eastus
  #               (10.40.128.0/17): give one of them a block that does not overlap"}]

- name: Dict form, inventory host -> CIDR
  ansible.builtin.debug:
    msg: >-
      {{ {'dev-aws-us-east-1': '10.40.0.0/16', 'prod-aws-us-east-1': '10.40.0.0/16',
          'prod-azure-eastus': '10.41.0.0/16'} | strata.platform.cidr_conflicts }}
  # [{"a": "dev-aws-us-east-1", "a_cidr": "10.40.0.0/16",
  #   "b": "prod-aws-us-east-1", "b_cidr": "10.40.0.0/16",
  #   "message": "dev-aws-us-east-1 (platform_network_cidr=10.40.0.0/16) overlaps prod-aws-us-east-1
  #               (10.40.0.0/16): give one of them a block that does not overlap"}]
"""

RETURN = r"""
_value:
  description:
    - One item per overlapping pair, with C(a) before C(b) by name, the list sorted by C(a) then C(b).
    - Empty when no two blocks overlap.
  type: list
  elements: dict
  contains:
    a:
      description: The first target's name.
      type: str
      sample: dev-aws-us-east-1
    a_cidr:
      description: The first target's block.
      type: str
      sample: 10.40.0.0/16
    b:
      description: The second target's name.
      type: str
      sample: prod-aws-us-east-1
    b_cidr:
      description: The second target's block.
      type: str
      sample: 10.40.0.0/16
    message:
      description: The problem and the fix, in one sentence.
      type: str
      sample: >-
        dev-aws-us-east-1 (platform_network_cidr=10.40.0.0/16) overlaps prod-aws-us-east-1 (10.40.0.0/16):
        give one of them a block that does not overlap
"""


def cidr_conflicts(targets):
    """Overlapping pairs of targets; see DOCUMENTATION."""
    try:
        return cidr.cidr_conflicts(targets)
    except cidr.CidrError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    """strata.platform.cidr_conflicts"""

    def filters(self):
        return {"cidr_conflicts": cidr_conflicts}
