# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CIDR planning for strata.platform: the stable three-tier subnet plan and the overlap check.

Pure Python (standard library ``ipaddress`` only, no Ansible imports) so that filters, modules and tests
can share it. Every problem is raised as :class:`CidrError`, whose message says what is wrong and how to
fix it; the filter wrappers turn it into ``AnsibleFilterError``.

The plan
--------
The network is cut into 4 equal tier blocks (prefix + 2): tier ``i`` takes block ``i``; block 3 stays
reserved for growth (or for a fourth tier). Each tier block is cut into 8 zone slots (prefix + 5 overall).
A zone's slot comes from the zone's identity, never from its position in the list, so adding or removing
a zone never moves an existing subnet:

* AWS availability zone names end in a letter: ``us-east-1a`` -> slot 0, ``...b`` -> 1, ... ``...h`` -> 7.
* Azure zones are ``"1"`` .. ``"8"`` (ints accepted) -> slot 0 .. 7.
* No zones (an Azure regional VNet): one subnet per tier in slot 0, with ``zone`` ``None``.
"""

from __future__ import annotations

import ipaddress
import re

DEFAULT_TIERS = ("public", "app", "data")
TIER_BLOCKS = 4  # prefix + 2
ZONE_SLOTS = 8  # prefix + 3 inside a tier block, prefix + 5 overall
TIER_BITS = 2
SLOT_BITS = 3
PLAN_MAX_PREFIX = 23  # a /23 network gives /28 subnets, the smallest AWS and Azure allow
PRIVATE_RANGES = tuple(
    ipaddress.IPv4Network(block) for block in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
EXAMPLE_CIDR = "10.40.0.0/16"

# us-east-1a, eu-central-1b, us-gov-west-1c, us-west-2-lax-1a (Local Zone), ap-northeast-1-tpe-1a ...
_AWS_ZONE = re.compile(r"^(?P<region>[a-z]{2}(?:-[a-z0-9]+)*-\d+)(?P<letter>[a-z])$")
_AZURE_ZONE = re.compile(r"^\d+$")


class CidrError(ValueError):
    """A CIDR, zone or tier the plan cannot use; the message names the value and the fix."""


# --------------------------------------------------------------------------------------------------
# Parsing and validation
# --------------------------------------------------------------------------------------------------


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _suggest_prefix(address: ipaddress.IPv4Address, min_prefix: int, max_prefix: int):
    """The prefix to suggest for a bare address: /16 when it fits, else the nearest one that does."""
    start = min(max(16, min_prefix), max_prefix)
    for prefix in range(start, max_prefix + 1):
        if int(address) & (0xFFFFFFFF >> prefix) == 0:
            return prefix
    return None


def _parse(value, min_prefix: int = 0, max_prefix: int = 32):
    """Parse ``value`` as an IPv4 network CIDR without host bits.

    Returns ``(network, "")`` or ``(None, problem)``; the problem is one sentence with the fix.
    """
    if not isinstance(value, str):
        if value is None:
            return None, f"no CIDR was given (None); write it as a quoted string such as {EXAMPLE_CIDR}"
        return None, (
            f"{value!r} ({type(value).__name__}) is not a CIDR string; "
            f"write it as a quoted string such as {EXAMPLE_CIDR}"
        )
    text = str(value)  # drop any str subclass (Ansible's tagged strings)
    if not text.strip():
        return None, f"the CIDR is empty; write it as network/prefix, such as {EXAMPLE_CIDR}"
    if text != text.strip():
        return None, f"{text!r} has leading or trailing spaces; write it as {text.strip()}"
    if "/" not in text:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            return None, f"{text!r} is not an IPv4 CIDR; write it as network/prefix, such as {EXAMPLE_CIDR}"
        if address.version != 4:
            return None, f"{text!r} is an IPv6 address; use an IPv4 private (RFC 1918) block such as {EXAMPLE_CIDR}"
        prefix = _suggest_prefix(address, min_prefix, max_prefix)
        if prefix is None:
            return None, (
                f"{text!r} has no prefix length; write it as network/prefix with a prefix "
                f"from /{min_prefix} to /{max_prefix}, such as {EXAMPLE_CIDR}"
            )
        return None, f"{text!r} has no prefix length; write it as {text}/{prefix}"
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None, (
            f"{text!r} is not a valid IPv4 CIDR (four octets 0-255, a prefix 0-32); "
            f"write it as network/prefix, such as {EXAMPLE_CIDR}"
        )
    if network.version != 4:
        return None, f"{text} is an IPv6 block; use an IPv4 private (RFC 1918) block such as {EXAMPLE_CIDR}"
    if ipaddress.ip_interface(text).ip != network.network_address:
        return None, f"{text} has host bits set; use {network}"
    if str(network) != text:
        return None, f"{text!r} is not in canonical network/prefix form; write it as {network}"
    return network, ""


def _check_prefix_bounds(min_prefix, max_prefix) -> None:
    if not _is_int(min_prefix) or not _is_int(max_prefix):
        raise CidrError(
            f"min_prefix and max_prefix must be integers, got {min_prefix!r} and {max_prefix!r}; "
            "pass numbers such as min_prefix=8, max_prefix=23"
        )
    if not 0 <= min_prefix <= max_prefix <= 32:
        raise CidrError(
            f"min_prefix={min_prefix} and max_prefix={max_prefix} are not a range of IPv4 prefixes; "
            "use 0 <= min_prefix <= max_prefix <= 32"
        )


def _is_private(network: ipaddress.IPv4Network) -> bool:
    return any(network.subnet_of(block) for block in PRIVATE_RANGES)


def cidr_problem(value, min_prefix: int = 8, max_prefix: int = PLAN_MAX_PREFIX) -> str:
    """Return "" when ``value`` is a usable platform network CIDR, else one sentence: problem and fix.

    Usable: an IPv4 network CIDR (no host bits) inside an RFC 1918 range, with
    ``min_prefix <= prefix <= max_prefix``.
    """
    _check_prefix_bounds(min_prefix, max_prefix)
    network, problem = _parse(value, min_prefix, max_prefix)
    if problem:
        return problem
    if not _is_private(network):
        return (
            f"{network} is not a private (RFC 1918) range; "
            "use a block inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"
        )
    if network.prefixlen > max_prefix:
        if max_prefix == PLAN_MAX_PREFIX:
            return f"{network} is too small for the three-tier plan; use a /{max_prefix} or larger"
        return f"{network} is too small; use a /{max_prefix} or larger"
    if network.prefixlen < min_prefix:
        return f"{network} is too large; use a /{min_prefix} or smaller block"
    return ""


def parse_network(value) -> ipaddress.IPv4Network:
    """Parse an IPv4 network CIDR (host bits must be clear) or raise :class:`CidrError`."""
    network, problem = _parse(value)
    if problem:
        raise CidrError(problem)
    return network


# --------------------------------------------------------------------------------------------------
# Subnet plan
# --------------------------------------------------------------------------------------------------


def zone_slot(zone) -> int:
    """The slot (0-7) of an AWS availability zone name or an Azure zone number, else :class:`CidrError`."""
    if _is_int(zone):
        text = str(zone)
    elif isinstance(zone, str):
        text = str(zone)
    else:
        raise CidrError(
            f"zone {zone!r} ({type(zone).__name__}) is not a zone name; write zones as AWS names such as us-east-1a "
            "or Azure zone numbers 1 to 8"
        )
    if _AZURE_ZONE.match(text):
        number = int(text)
        if 1 <= number <= ZONE_SLOTS and text == str(number):
            return number - 1
        raise CidrError(f"zone {zone!r} has no slot in the plan; Azure zones must be 1 to {ZONE_SLOTS}")
    match = _AWS_ZONE.match(text)
    if match:
        slot = ord(match.group("letter")) - ord("a")
        if slot < ZONE_SLOTS:
            return slot
        raise CidrError(
            f"zone {zone!r} has no slot in the plan; AWS zone names must end in a letter a to h "
            f"(the plan has {ZONE_SLOTS} zone slots)"
        )
    raise CidrError(
        f"zone {zone!r} has no recognisable slot; write AWS zone names such as us-east-1a "
        "(ending in a to h) or Azure zone numbers 1 to 8"
    )


def _check_tiers(tiers) -> list:
    if tiers is None:
        return list(DEFAULT_TIERS)
    if isinstance(tiers, (str, bytes, dict)) or not isinstance(tiers, (list, tuple)):
        raise CidrError(
            f"tiers must be a list of tier names such as {list(DEFAULT_TIERS)}, got {tiers!r}"
        )
    if not tiers:
        raise CidrError(f"tiers is empty; give 1 to {TIER_BLOCKS} tier names or omit it for {list(DEFAULT_TIERS)}")
    if len(tiers) > TIER_BLOCKS:
        raise CidrError(
            f"{len(tiers)} tiers given ({', '.join(map(str, tiers))}); the plan has room for at most "
            f"{TIER_BLOCKS}: merge tiers or plan a second network"
        )
    names = []
    for tier in tiers:
        if not isinstance(tier, str) or not tier.strip():
            raise CidrError(f"tier {tier!r} is not a name; tiers must be non-empty strings such as 'app'")
        if str(tier) in names:
            raise CidrError(f"tier {tier!r} is listed twice; list each tier once")
        names.append(str(tier))
    return names


def _check_zones(zones) -> list:
    """Return ``[(slot, zone_name)]`` sorted by slot; ``[(0, None)]`` for a regional plan."""
    if zones is None:
        return [(0, None)]
    if isinstance(zones, (str, bytes, dict)) or not isinstance(zones, (list, tuple)):
        raise CidrError(
            f"zones must be a list such as ['us-east-1a', 'us-east-1b'] or ['1', '2', '3'], got {zones!r}; "
            "pass [] for a regional (zone-less) plan"
        )
    if not zones:
        return [(0, None)]
    by_slot = {}
    by_name = {}
    regions = {}
    kinds = set()
    for zone in zones:
        slot = zone_slot(zone)
        name = str(zone)
        if name in by_name:
            raise CidrError(f"zone {name!r} is listed twice; list each zone once")
        if slot in by_slot:
            raise CidrError(
                f"zones {by_slot[slot]!r} and {name!r} both map to slot {slot}; "
                "a plan holds one zone per slot: keep one of them"
            )
        match = _AWS_ZONE.match(name)
        kinds.add("aws" if match else "azure")
        if match:
            regions.setdefault(match.group("region"), name)
        by_slot[slot] = name
        by_name[name] = slot
    if len(kinds) > 1:
        raise CidrError(
            f"zones {list(map(str, zones))} mix AWS zone names and Azure zone numbers; "
            "a plan covers one region of one cloud"
        )
    if len(regions) > 1:
        examples = ", ".join(sorted(regions.values()))
        raise CidrError(
            f"zones {examples} are in different regions; a plan covers one region: list that region's zones only"
        )
    return sorted(by_slot.items())


def subnet_plan(network_cidr, zones, tiers=None) -> list:
    """The stable three-tier subnet plan of ``network_cidr``.

    Returns a list ordered by tier then slot of
    ``{"tier", "zone", "slot", "cidr", "index"}`` with ``index = tier_index * 8 + slot``.
    """
    network = parse_network(network_cidr)
    if network.prefixlen > PLAN_MAX_PREFIX:
        raise CidrError(
            f"{network} is too small for the three-tier plan (its subnets would be smaller than "
            f"/{PLAN_MAX_PREFIX + TIER_BITS + SLOT_BITS}); use a /{PLAN_MAX_PREFIX} or larger"
        )
    tier_names = _check_tiers(tiers)
    slots = _check_zones(zones)
    subnet_prefix = network.prefixlen + TIER_BITS + SLOT_BITS
    subnet_size = 1 << (32 - subnet_prefix)
    base = int(network.network_address)
    plan = []
    for tier_index, tier in enumerate(tier_names):
        for slot, zone in slots:
            index = tier_index * ZONE_SLOTS + slot
            address = ipaddress.IPv4Address(base + index * subnet_size)
            plan.append(
                {
                    "tier": tier,
                    "zone": zone,
                    "slot": slot,
                    "cidr": f"{address}/{subnet_prefix}",
                    "index": index,
                }
            )
    return plan


# --------------------------------------------------------------------------------------------------
# Overlap check
# --------------------------------------------------------------------------------------------------


def _targets(targets) -> list:
    """Normalise the input to ``[(name, cidr_value, extras)]``."""
    if isinstance(targets, dict):
        return [(name, cidr, {}) for name, cidr in targets.items()]
    if isinstance(targets, (str, bytes)) or not isinstance(targets, (list, tuple)):
        raise CidrError(
            f"targets must be a list of {{'name': ..., 'cidr': ...}} or a dict name -> cidr, got {type(targets).__name__}"
        )
    result = []
    for position, entry in enumerate(targets):
        if not isinstance(entry, dict) or "name" not in entry:
            raise CidrError(
                f"targets[{position}] is {entry!r}; each target must be a dict with 'name' "
                "(the inventory host) and 'cidr'"
            )
        extras = {key: value for key, value in entry.items() if key not in ("name", "cidr")}
        result.append((entry["name"], entry.get("cidr"), extras))
    return result


def cidr_conflicts(targets) -> list:
    """Every pair of targets whose CIDR blocks overlap, each pair once, sorted by name.

    Targets whose CIDR is invalid are skipped (:func:`cidr_problem` reports them). Runs in
    O(n log n + conflicts): CIDR blocks are either nested or disjoint, so after sorting by
    (address, size descending) the blocks still open at a given address form a chain of nested blocks.
    """
    entries = []
    seen = set()
    for name, value, extras in _targets(targets):
        if not isinstance(name, str) or not name:
            raise CidrError(f"target name {name!r} is not an inventory host name; give every target a string 'name'")
        name = str(name)
        if name in seen:
            raise CidrError(f"target {name!r} is listed twice; list each inventory host once")
        seen.add(name)
        network, problem = _parse(value)
        if problem:
            continue
        entries.append((int(network.network_address), int(network.broadcast_address), name, str(network), extras))

    entries.sort(key=lambda entry: (entry[0], -entry[1], entry[2]))
    conflicts = []
    stack = []  # nested chain of blocks that contain the current address
    for entry in entries:
        start = entry[0]
        while stack and stack[-1][1] < start:
            stack.pop()
        for other in stack:
            conflicts.append(_conflict(other, entry))
        stack.append(entry)
    conflicts.sort(key=lambda conflict: (conflict["a"], conflict["b"]))
    return conflicts


def _conflict(first, second) -> dict:
    a, b = sorted((first, second), key=lambda entry: entry[2])
    conflict = {"a": a[2], "a_cidr": a[3], "b": b[2], "b_cidr": b[3]}
    for prefix, entry in (("a", a), ("b", b)):
        for key, value in entry[4].items():
            conflict[f"{prefix}_{key}"] = value
    conflict["message"] = (
        f"{a[2]} (platform_network_cidr={a[3]}) overlaps {b[2]} ({b[3]}): "
        "give one of them a block that does not overlap"
    )
    return conflict
