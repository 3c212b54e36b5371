# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter plugin strata.platform.security_group_problems: what is wrong with a security-group matrix."""

from __future__ import annotations

from ansible_collections.strata.platform.plugins.plugin_utils import security_groups

DOCUMENTATION = r"""
name: security_group_problems
author: strata.platform maintainers (@maintainers)
version_added: "0.1.0"
short_description: List what is wrong with a security-group matrix, before any API call
description:
  - Validate the security_groups layer's matrix (purpose -> group with C(description), C(tier) and ingress
    C(rules)) and return one sentence per problem, naming the group, the rule and the fix.
  - Rejects unknown protocols, ports out of 0-65535 or reversed, rules without exactly one source
    (C(group) or C(cidr_ip)), references to groups that are not in the matrix (or are disabled), invalid
    CIDRs, any CIDR source on a data-tier group (data tiers are reachable only from the app tier), and
    data-tier rules from groups of other tiers.
positional: _input
options:
  _input:
    description: The matrix (role variable C(security_groups_matrix) with the environment's additions).
    type: dict
    required: true
seealso:
  - plugin: strata.platform.security_group_set
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Validate the security-group matrix before any call
  ansible.builtin.assert:
    that: security_groups_matrix | strata.platform.security_group_problems | length == 0
    fail_msg: "{{ security_groups_matrix | strata.platform.security_group_problems | join(' | ') }}"

# {'rds': {'description': 'PostgreSQL', 'tier': 'data',
#          'rules': [{'ports': 5432, 'cidr_ip': '0.0.0.0/0'}]}} | strata.platform.security_group_problems
#   => ['security group rds, rule 1 allows 0.0.0.0/0: data-tier groups are reachable only from the app tier,
#        never from a CIDR; use group: <an app-tier group> instead']
"""

RETURN = r"""
_value:
  description: One sentence per problem; empty when the matrix is valid.
  type: list
  elements: str
"""


def security_group_problems(matrix):
    """Problems of a security-group matrix; see DOCUMENTATION."""
    return security_groups.matrix_problems(matrix)


class FilterModule:
    """strata.platform.security_group_problems"""

    def filters(self):
        return {"security_group_problems": security_group_problems}
