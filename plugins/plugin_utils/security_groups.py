# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The security-group matrix of the security_groups layer: validation and conversion (pure Python).

A matrix maps a purpose (``alb``, ``eks-nodes``, ``rds``, ...) to a group::

    rds:
      description: PostgreSQL (RDS)
      tier: data                      # public | app | data
      enabled: true                   # optional; a disabled group is left out (and purged)
      rules:                          # ingress
        - {ports: 5432, group: eks-nodes, description: PostgreSQL from the app tier}
        - {ports: "1025-65535", proto: tcp, cidr_ip: [10.0.0.0/8], description: ...}

Exactly one source per rule: ``group`` (a purpose of the same matrix) or ``cidr_ip`` (a CIDR or a list).
Data-tier groups are reachable only from app-tier groups (or themselves), never from a CIDR.
"""

from __future__ import annotations

import ipaddress

TIERS = ("public", "app", "data")
PROTOCOLS = ("tcp", "udp", "icmp", "all")


def _ports(rule):
    """(from_port, to_port) of a rule's ``ports`` (int or "from-to"); raises ValueError."""
    ports = rule.get("ports")
    if isinstance(ports, bool):
        raise ValueError(f"ports={ports!r} is not a port")
    if isinstance(ports, int):
        return ports, ports
    if isinstance(ports, str):
        low, sep, high = ports.partition("-")
        if low.strip().isdigit() and (not sep or high.strip().isdigit()):
            return int(low), int(high if sep else low)
    raise ValueError(f"ports={ports!r} is not a port or a 'from-to' range")


def _cidrs(rule):
    value = rule.get("cidr_ip")
    return [value] if isinstance(value, str) else list(value or [])


def _enabled(entry):
    return bool(entry.get("enabled", True))


def rule_problems(purpose, index, rule, matrix):
    """Problems of one ingress rule, each naming the group and the rule."""
    where = f"security group {purpose}, rule {index + 1}"
    if not isinstance(rule, dict):
        return [f"{where} must be a mapping with ports, a source and a description"]
    problems = []
    proto = str(rule.get("proto", "tcp"))
    if proto not in PROTOCOLS:
        problems.append(f"{where}: proto={proto} is unknown; use one of {', '.join(PROTOCOLS)}")
    elif proto in ("tcp", "udp"):
        try:
            low, high = _ports(rule)
        except ValueError as exc:
            problems.append(f"{where}: {exc}; write ports: 443 or ports: '1025-65535'")
        else:
            if not (0 <= low <= 65535 and 0 <= high <= 65535):
                problems.append(f"{where}: ports {low}-{high} out of range; ports are 0-65535")
            elif low > high:
                problems.append(f"{where}: ports {low}-{high} start after they end; write '{high}-{low}'")
    sources = [key for key in ("group", "cidr_ip") if rule.get(key)]
    if len(sources) != 1:
        problems.append(f"{where} needs exactly one source (group or cidr_ip), has {len(sources)}")
    group = rule.get("group")
    if group:
        target = matrix.get(group)
        if not isinstance(target, dict) or not _enabled(target):
            known = ", ".join(sorted(k for k, v in matrix.items() if isinstance(v, dict) and _enabled(v)))
            problems.append(f"{where} points at the unknown group {group}; use one of {known}")
        elif matrix[purpose].get("tier") == "data" and group != purpose and target.get("tier") != "app":
            problems.append(f"{where}: data-tier groups are reachable only from the app tier, "
                            f"not from {group} ({target.get('tier')} tier)")
    for cidr in _cidrs(rule):
        try:
            ipaddress.ip_network(str(cidr), strict=True)
        except ValueError:
            problems.append(f"{where}: cidr_ip {cidr} is not a network CIDR")
            continue
        if matrix[purpose].get("tier") == "data":
            problems.append(f"{where} allows {cidr}: data-tier groups are reachable only from the app tier, "
                            f"never from a CIDR; use group: <an app-tier group> instead")
    return problems


def matrix_problems(matrix):
    """Every problem of a matrix, as sentences that name the group, the rule and the fix."""
    if not isinstance(matrix, dict) or not matrix:
        return ["the security-group matrix must be a non-empty mapping of purpose -> group"]
    problems = []
    for purpose, entry in matrix.items():
        if not isinstance(entry, dict):
            problems.append(f"security group {purpose} must be a mapping (description, tier, rules)")
            continue
        if not _enabled(entry):
            continue
        if not entry.get("description"):
            problems.append(f"security group {purpose} needs a description")
        if entry.get("tier") not in TIERS:
            problems.append(f"security group {purpose}: tier={entry.get('tier')} is not one of {', '.join(TIERS)}")
            continue
        rules = entry.get("rules") or []
        if not isinstance(rules, list):
            problems.append(f"security group {purpose}: rules must be a list")
            continue
        for index, rule in enumerate(rules):
            if isinstance(rule, dict) and not _enabled(rule):
                continue
            problems.extend(rule_problems(purpose, index, rule, matrix))
    return problems


def matrix_to_groups(matrix, prefix):
    """The matrix as the `security_groups` list of strata.platform.ec2_vpc_security_groups.

    Group names are ``<prefix>-<purpose>``; disabled groups and rules are left out. Call matrix_problems first.
    """
    groups = []
    for purpose, entry in matrix.items():
        if not _enabled(entry):
            continue
        rules = []
        for rule in entry.get("rules") or []:
            if not _enabled(rule):
                continue
            proto = str(rule.get("proto", "tcp"))
            out = {"proto": proto}
            if proto in ("tcp", "udp"):
                out["from_port"], out["to_port"] = _ports(rule)
            elif proto == "icmp":
                out["from_port"], out["to_port"] = -1, -1
            if rule.get("group"):
                out["group_name"] = f"{prefix}-{rule['group']}"
            else:
                out["cidr_ip"] = _cidrs(rule)
            if rule.get("description"):
                out["description"] = str(rule["description"])
            rules.append(out)
        groups.append({
            "name": f"{prefix}-{purpose}",
            "description": str(entry["description"]),
            "tags": {"Name": f"{prefix}-{purpose}", "tier": entry["tier"], "purpose": purpose},
            "rules": rules,
        })
    return groups
