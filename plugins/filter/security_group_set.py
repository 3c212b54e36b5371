# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter plugin strata.platform.security_group_set: a security-group matrix as module input."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.strata.platform.plugins.plugin_utils import security_groups

DOCUMENTATION = r"""
name: security_group_set
author: strata.platform maintainers (@maintainers)
version_added: "0.1.0"
short_description: Turn a security-group matrix into the groups of strata.platform.ec2_vpc_security_groups
description:
  - Names each group C(<prefix>-<purpose>), resolves C(group) references to those names, expands C(ports)
    into C(from_port)/C(to_port), leaves out disabled groups and rules, and tags each group with C(Name),
    C(tier) and C(purpose).
  - Validate first with P(strata.platform.security_group_problems#filter); an invalid matrix raises an error.
positional: _input, prefix
options:
  _input:
    description: The matrix.
    type: dict
    required: true
  prefix:
    description: Prefix of every group name, e.g. C(fsm-prod).
    type: str
    required: true
seealso:
  - plugin: strata.platform.security_group_problems
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Converge the groups of the VPC
  strata.platform.ec2_vpc_security_groups:
    vpc_id: "{{ vpc_id }}"
    match_tags: {owner: strata.platform, environment: prod, layer: security_groups}
    security_groups: "{{ security_groups_matrix | strata.platform.security_group_set('fsm-prod') }}"
"""

RETURN = r"""
_value:
  description: The C(security_groups) list for M(strata.platform.ec2_vpc_security_groups).
  type: list
  elements: dict
  sample:
    - name: fsm-prod-rds
      description: PostgreSQL (RDS)
      tags: {Name: fsm-prod-rds, tier: data, purpose: rds}
      rules:
        - {proto: tcp, from_port: 5432, to_port: 5432, group_name: fsm-prod-eks-nodes, description: PostgreSQL from the app tier}
"""


def security_group_set(matrix, prefix):
    """The matrix as module input; see DOCUMENTATION."""
    problems = security_groups.matrix_problems(matrix)
    if problems:
        raise AnsibleFilterError("invalid security-group matrix: " + " | ".join(problems))
    return security_groups.matrix_to_groups(matrix, prefix)


class FilterModule:
    """strata.platform.security_group_set"""

    def filters(self):
        return {"security_group_set": security_group_set}
