"""Unit tests for strata.platform.cidr_conflicts (plugins/filter/cidr_conflicts.py, plugins/plugin_utils/cidr.py)."""

import ipaddress
import itertools
import random
import time

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.strata.platform.plugins.filter.cidr_conflicts import cidr_conflicts


def pairs(conflicts):
    return [(conflict["a"], conflict["b"]) for conflict in conflicts]


def brute_force(targets):
    """Reference: every pair, O(n^2)."""
    valid = []
    for name, value in targets.items():
        try:
            valid.append((name, ipaddress.ip_network(value)))
        except (TypeError, ValueError):
            continue
    found = []
    for (name_a, net_a), (name_b, net_b) in itertools.combinations(valid, 2):
        if net_a.version == net_b.version and net_a.overlaps(net_b):
            found.append(tuple(sorted((name_a, name_b))))
    return sorted(found)


def test_no_conflicts():
    assert cidr_conflicts({"dev-aws-us-east-1": "10.40.0.0/16", "prod-aws-us-east-1": "10.41.0.0/16"}) == []
    assert cidr_conflicts([]) == []
    assert cidr_conflicts({}) == []


def test_identical_blocks_dict_form():
    assert cidr_conflicts({"prod-aws-us-east-1": "10.40.0.0/16", "dev-aws-us-east-1": "10.40.0.0/16"}) == [
        {
            "a": "dev-aws-us-east-1",
            "a_cidr": "10.40.0.0/16",
            "b": "prod-aws-us-east-1",
            "b_cidr": "10.40.0.0/16",
            "message": "dev-aws-us-east-1 (platform_network_cidr=10.40.0.0/16) overlaps prod-aws-us-east-1 "
            "(10.40.0.0/16): give one of them a block that does not overlap",
        }
    ]


def test_nested_blocks_both_directions():
    conflicts = cidr_conflicts({"big": "10.0.0.0/8", "inner": "10.40.0.0/16", "innermost": "10.40.4.0/23"})
    assert pairs(conflicts) == [("big", "inner"), ("big", "innermost"), ("inner", "innermost")]
    # the name decides which side is "a", not the block size
    conflicts = cidr_conflicts({"a-small": "10.40.4.0/23", "z-big": "10.0.0.0/8"})
    assert conflicts[0]["a"] == "a-small" and conflicts[0]["a_cidr"] == "10.40.4.0/23"
    assert conflicts[0]["b"] == "z-big" and conflicts[0]["b_cidr"] == "10.0.0.0/8"


def test_adjacent_blocks_do_not_overlap():
    targets = {
        "one": "10.0.0.0/16",
        "two": "10.1.0.0/16",
        "three": "10.2.0.0/15",
        "four": "10.4.0.0/14",
        "five": "10.3.255.0/24",  # inside three
        "six": "10.8.0.0/23",
        "seven": "10.8.2.0/23",
    }
    assert pairs(cidr_conflicts(targets)) == [("five", "three")]


def test_list_form_carries_extra_keys():
    conflicts = cidr_conflicts(
        [
            {"name": "prod-azure-eastus", "cidr": "10.40.128.0/17", "cloud": "azure", "environment": "prod"},
            {"name": "dev-aws-us-east-1", "cidr": "10.40.0.0/16", "cloud": "aws", "environment": "dev"},
            {"name": "prod-aws-us-east-1", "cidr": "10.41.0.0/16", "cloud": "aws", "environment": "prod"},
        ]
    )
    assert conflicts == [
        {
            "a": "dev-aws-us-east-1",
            "a_cidr": "10.40.0.0/16",
            "a_cloud": "aws",
            "a_environment": "dev",
            "b": "prod-azure-eastus",
            "b_cidr": "10.40.128.0/17",
            "b_cloud": "azure",
            "b_environment": "prod",
            "message": "dev-aws-us-east-1 (platform_network_cidr=10.40.0.0/16) overlaps prod-azure-eastus "
            "(10.40.128.0/17): give one of them a block that does not overlap",
        }
    ]


def test_each_pair_once_sorted_by_name():
    targets = {name: "10.40.0.0/16" for name in ["d", "b", "c", "a"]}
    assert pairs(cidr_conflicts(targets)) == [("a", "b"), ("a", "c"), ("a", "d"), ("b", "c"), ("b", "d"), ("c", "d")]


def test_invalid_cidrs_are_skipped():
    targets = {
        "ok": "10.40.0.0/16",
        "host-bits": "10.40.0.1/16",
        "no-prefix": "10.40.0.0",
        "garbage": "not-a-cidr",
        "missing": None,
        "number": 42,
        "also-ok": "10.40.128.0/17",
    }
    assert pairs(cidr_conflicts(targets)) == [("also-ok", "ok")]
    assert cidr_conflicts([{"name": "no-cidr-key"}, {"name": "ok", "cidr": "10.0.0.0/8"}]) == []


def test_public_ranges_are_checked_too():
    assert pairs(cidr_conflicts({"x": "8.8.0.0/16", "y": "8.8.8.0/24"})) == [("x", "y")]


@pytest.mark.parametrize(
    "targets, expected",
    [
        ("10.0.0.0/8", "targets must be a list"),
        ([{"cidr": "10.0.0.0/8"}], "each target must be a dict with 'name'"),
        (["10.0.0.0/8"], "each target must be a dict with 'name'"),
        ([{"name": "x", "cidr": "10.0.0.0/8"}, {"name": "x", "cidr": "10.1.0.0/16"}], "'x' is listed twice"),
        ([{"name": None, "cidr": "10.0.0.0/8"}], "is not an inventory host name"),
    ],
)
def test_rejections(targets, expected):
    with pytest.raises(AnsibleFilterError) as error:
        cidr_conflicts(targets)
    assert expected in str(error.value)


@pytest.mark.parametrize("seed", range(20))
def test_matches_brute_force(seed):
    rng = random.Random(seed)
    targets = {}
    for number in range(60):
        prefix = rng.randint(8, 24)
        address = 0x0A000000 | rng.randrange(0, 1 << 24)  # inside 10/8, so many blocks overlap
        network = ipaddress.ip_network((address, prefix), strict=False)
        targets[f"target-{number:03d}"] = str(network) if rng.random() > 0.05 else "broken"
    assert pairs(cidr_conflicts(targets)) == brute_force(targets)


def test_500_targets_under_a_second():
    # 500 distinct /20s (no conflicts) plus a few planted overlaps.
    targets = [
        {"name": f"env{number // 100}-aws-region-{number:03d}", "cidr": f"10.{number // 16}.{(number % 16) * 16}.0/20",
         "cloud": "aws"}
        for number in range(500)
    ]
    targets.append({"name": "zz-nested", "cidr": "10.3.16.0/24", "cloud": "azure"})
    targets.append({"name": "zz-wide", "cidr": "10.30.0.0/15", "cloud": "azure"})
    random.Random(1).shuffle(targets)
    # CPU time of this process: the suite runs this beside playbooks that load both cores, and the bound is about
    # the algorithm (a quadratic check of 500 blocks takes seconds of CPU), not about the machine's load.
    started = time.process_time()
    conflicts = cidr_conflicts(targets)
    elapsed = time.process_time() - started
    assert elapsed < 1.0
    assert len(conflicts) == 1 + 20  # 10.30.0.0/15 covers targets 480-499
    assert {conflict["b"] for conflict in conflicts} == {"zz-nested", "zz-wide"}


def test_300_identical_blocks_still_fast():
    started = time.process_time()
    conflicts = cidr_conflicts({f"host-{number:04d}": "10.40.0.0/16" for number in range(300)})
    assert time.process_time() - started < 1.0
    assert len(conflicts) == 300 * 299 // 2
