# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Least-privilege checks of custom IAM policy documents (pure Python)."""

from __future__ import annotations


def _as_list(value):
    return value if isinstance(value, list) else [value]


def policy_problems(name, document, allow_wildcards=False):
    """Problems of one policy document, each naming the policy, the statement and the fix.

    Rejects an Allow statement whose Action or Resource is ``*`` unless ``allow_wildcards`` marks the
    policy explicitly as one that needs it.
    """
    if not isinstance(document, dict):
        return [f"policy {name}: the document must be a mapping with Version and Statement"]
    problems = []
    if document.get("Version") != "2012-10-17":
        problems.append(f"policy {name}: Version must be '2012-10-17'")
    statements = document.get("Statement")
    if not isinstance(statements, list) or not statements:
        return problems + [f"policy {name}: Statement must be a non-empty list"]
    for index, statement in enumerate(statements):
        where = f"policy {name}, statement {statement.get('Sid', index + 1) if isinstance(statement, dict) else index + 1}"
        if not isinstance(statement, dict):
            problems.append(f"{where} must be a mapping")
            continue
        if statement.get("Effect") not in ("Allow", "Deny"):
            problems.append(f"{where}: Effect must be Allow or Deny")
        if not statement.get("Action") and not statement.get("NotAction"):
            problems.append(f"{where} has no Action")
        if not statement.get("Resource") and not statement.get("NotResource"):
            problems.append(f"{where} has no Resource")
        if statement.get("Effect") != "Allow" or allow_wildcards:
            continue
        if "*" in _as_list(statement.get("Action", [])):
            problems.append(f'{where} allows "Action": "*"; list the actions it needs, '
                            f"or mark the policy with allow_wildcards: true")
        if "*" in _as_list(statement.get("Resource", [])):
            problems.append(f'{where} allows "Resource": "*"; scope it to the environment\'s resources, '
                            f"or mark the policy with allow_wildcards: true")
    return problems


def policies_problems(policies):
    """Problems of a mapping name -> {document, allow_wildcards}."""
    if not isinstance(policies, dict):
        return ["the custom policies must be a mapping of name -> {document, allow_wildcards}"]
    problems = []
    for name, policy in policies.items():
        if not isinstance(policy, dict) or "document" not in policy:
            problems.append(f"policy {name} must be a mapping with a document")
            continue
        problems.extend(policy_problems(name, policy["document"], bool(policy.get("allow_wildcards", False))))
    return problems
