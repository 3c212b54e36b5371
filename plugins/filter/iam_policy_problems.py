# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter plugin strata.platform.iam_policy_problems: least-privilege checks of custom IAM policies."""

from __future__ import annotations

from ansible_collections.strata.platform.plugins.plugin_utils import iam_policies

DOCUMENTATION = r"""
name: iam_policy_problems
author: strata.platform maintainers (@maintainers)
version_added: "0.1.0"
short_description: List what is wrong with custom IAM policies, before any API call
description:
  - Takes a mapping of policy name -> C({document, allow_wildcards}) and returns one sentence per problem.
  - >-
    Rejects a document without C(Version 2012-10-17) or statements, statements without Effect, Action or
    Resource, and any Allow statement whose C(Action) or C(Resource) is C(*) unless the policy is
    explicitly marked with C(allow_wildcards=true).
positional: _input
options:
  _input:
    description: Policies by name.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Validate the custom policies before any call
  ansible.builtin.assert:
    that: iam_custom_policies | strata.platform.iam_policy_problems | length == 0
    fail_msg: "{{ iam_custom_policies | strata.platform.iam_policy_problems | join(' | ') }}"
"""

RETURN = r"""
_value:
  description: One sentence per problem; empty when every policy is acceptable.
  type: list
  elements: str
"""


def iam_policy_problems(policies):
    """Problems of custom IAM policies; see DOCUMENTATION."""
    return iam_policies.policies_problems(policies)


class FilterModule:
    """strata.platform.iam_policy_problems"""

    def filters(self):
        return {"iam_policy_problems": iam_policy_problems}
