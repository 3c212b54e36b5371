"""Unit tests for strata.platform.subnet_plan (plugins/filter/subnet_plan.py, plugins/plugin_utils/cidr.py)."""

import ipaddress
import itertools

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.strata.platform.plugins.filter.subnet_plan import subnet_plan

AWS_ZONES = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"]
SIZES = ["10.0.0.0/8", "10.40.0.0/16", "172.20.0.0/14", "192.168.8.0/21", "10.40.2.0/23"]


def by_zone(plan):
    return {(entry["tier"], entry["zone"]): entry for entry in plan}


def test_example_aws_three_zones():
    plan = subnet_plan("10.40.0.0/16", ["us-east-1a", "us-east-1b", "us-east-1c"])
    assert [entry["cidr"] for entry in plan] == [
        "10.40.0.0/21", "10.40.8.0/21", "10.40.16.0/21",
        "10.40.64.0/21", "10.40.72.0/21", "10.40.80.0/21",
        "10.40.128.0/21", "10.40.136.0/21", "10.40.144.0/21",
    ]
    assert plan[0] == {"tier": "public", "zone": "us-east-1a", "slot": 0, "cidr": "10.40.0.0/21", "index": 0}
    assert plan[4] == {"tier": "app", "zone": "us-east-1b", "slot": 1, "cidr": "10.40.72.0/21", "index": 9}
    assert plan[8] == {"tier": "data", "zone": "us-east-1c", "slot": 2, "cidr": "10.40.144.0/21", "index": 18}
    assert [entry["tier"] for entry in plan] == ["public"] * 3 + ["app"] * 3 + ["data"] * 3


def test_zone_order_in_input_does_not_matter():
    assert subnet_plan("10.40.0.0/16", ["us-east-1c", "us-east-1a", "us-east-1b"]) == subnet_plan(
        "10.40.0.0/16", ["us-east-1a", "us-east-1b", "us-east-1c"]
    )


def test_slot_comes_from_zone_letter_not_position():
    plan = subnet_plan("10.40.0.0/16", ["us-east-1c", "us-east-1f"])
    assert [(entry["zone"], entry["slot"], entry["cidr"]) for entry in plan[:2]] == [
        ("us-east-1c", 2, "10.40.16.0/21"),
        ("us-east-1f", 5, "10.40.40.0/21"),
    ]


def test_every_letter_a_to_h():
    zones = [f"eu-west-1{letter}" for letter in "abcdefgh"]
    plan = subnet_plan("10.40.0.0/16", zones)
    assert [entry["slot"] for entry in plan if entry["tier"] == "public"] == list(range(8))
    assert len(plan) == 24


@pytest.mark.parametrize("network", SIZES)
@pytest.mark.parametrize("removed", ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"])
def test_stability_adding_and_removing_zones(network, removed):
    three = subnet_plan(network, AWS_ZONES[:3])
    four = subnet_plan(network, AWS_ZONES)
    # Adding d: a, b and c stay where they were, in the same order.
    assert [entry for entry in four if entry["zone"] != "us-east-1d"] == three
    # Removing any one zone leaves every other zone's subnets unchanged.
    remaining = [zone for zone in AWS_ZONES if zone != removed]
    fewer = subnet_plan(network, remaining)
    assert by_zone(fewer) == {key: entry for key, entry in by_zone(four).items() if key[1] != removed}


@pytest.mark.parametrize("network", SIZES)
def test_stability_over_every_subset_of_zones(network):
    zones = [f"ap-south-2{letter}" for letter in "abcdefgh"]
    full = by_zone(subnet_plan(network, zones))
    for size in (1, 2, 5):
        for subset in itertools.combinations(zones, size):
            for key, entry in by_zone(subnet_plan(network, list(subset))).items():
                assert full[key] == entry


@pytest.mark.parametrize("network", SIZES)
@pytest.mark.parametrize("tiers", [None, ["public", "app", "data", "mgmt"], ["only"]])
def test_subnets_do_not_overlap_and_stay_inside(network, tiers):
    net = ipaddress.ip_network(network)
    plan = subnet_plan(network, [f"us-west-2{letter}" for letter in "abcdefgh"], tiers)
    subnets = [ipaddress.ip_network(entry["cidr"]) for entry in plan]
    assert all(subnet.subnet_of(net) for subnet in subnets)
    assert all(subnet.prefixlen == net.prefixlen + 5 for subnet in subnets)
    for first, second in itertools.combinations(subnets, 2):
        assert not first.overlaps(second)
    assert [entry["index"] for entry in plan] == sorted({entry["index"] for entry in plan})
    for entry, subnet in zip(plan, subnets):
        assert int(subnet.network_address) - int(net.network_address) == entry["index"] * subnet.num_addresses


def test_block_three_stays_reserved_with_default_tiers():
    plan = subnet_plan("10.40.0.0/16", [f"us-east-1{letter}" for letter in "abcdefgh"])
    reserved = ipaddress.ip_network("10.40.192.0/18")
    assert not any(ipaddress.ip_network(entry["cidr"]).overlaps(reserved) for entry in plan)


def test_smallest_network_gives_slash_28():
    plan = subnet_plan("10.40.2.0/23", ["us-east-1a"])
    assert [entry["cidr"] for entry in plan] == ["10.40.2.0/28", "10.40.2.128/28", "10.40.3.0/28"]


def test_azure_zones_strings_and_ints():
    plan = subnet_plan("10.50.0.0/16", ["1", "2", "3"])
    assert [(entry["tier"], entry["zone"], entry["slot"], entry["cidr"]) for entry in plan[:3]] == [
        ("public", "1", 0, "10.50.0.0/21"),
        ("public", "2", 1, "10.50.8.0/21"),
        ("public", "3", 2, "10.50.16.0/21"),
    ]
    assert subnet_plan("10.50.0.0/16", [1, 2, 3]) == plan
    assert [entry["slot"] for entry in subnet_plan("10.50.0.0/16", ["8"])] == [7, 7, 7]


def test_azure_stability():
    assert by_zone(subnet_plan("10.50.0.0/16", ["1", "3"])) == {
        key: entry for key, entry in by_zone(subnet_plan("10.50.0.0/16", ["1", "2", "3"])).items() if key[1] != "2"
    }


@pytest.mark.parametrize("zones", [None, []])
def test_regional_plan(zones):
    assert subnet_plan("10.60.0.0/20", zones) == [
        {"tier": "public", "zone": None, "slot": 0, "cidr": "10.60.0.0/25", "index": 0},
        {"tier": "app", "zone": None, "slot": 0, "cidr": "10.60.4.0/25", "index": 8},
        {"tier": "data", "zone": None, "slot": 0, "cidr": "10.60.8.0/25", "index": 16},
    ]


def test_regional_plan_matches_slot_zero_of_zonal_plan():
    regional = subnet_plan("10.40.0.0/16", [])
    zonal = subnet_plan("10.40.0.0/16", ["1", "2"])
    assert [entry["cidr"] for entry in regional] == [entry["cidr"] for entry in zonal if entry["slot"] == 0]


def test_custom_tiers():
    plan = subnet_plan("10.40.0.0/16", ["us-east-1a"], ["edge", "app", "data", "mgmt"])
    assert [(entry["tier"], entry["cidr"], entry["index"]) for entry in plan] == [
        ("edge", "10.40.0.0/21", 0),
        ("app", "10.40.64.0/21", 8),
        ("data", "10.40.128.0/21", 16),
        ("mgmt", "10.40.192.0/21", 24),
    ]


def test_local_zone_names_take_their_letter():
    assert [entry["slot"] for entry in subnet_plan("10.40.0.0/16", ["us-west-2-lax-1a", "us-west-2-lax-1b"])][:2] == [0, 1]


@pytest.mark.parametrize(
    "network, zones, tiers, expected",
    [
        ("10.40.0.300/16", ["us-east-1a"], None, "is not a valid IPv4 CIDR"),
        ("banana", ["us-east-1a"], None, "is not an IPv4 CIDR"),
        ("10.40.0.0", ["us-east-1a"], None, "has no prefix length; write it as 10.40.0.0/16"),
        ("10.40.0.1/16", ["us-east-1a"], None, "10.40.0.1/16 has host bits set; use 10.40.0.0/16"),
        ("fd00::/48", ["us-east-1a"], None, "is an IPv6 block"),
        (None, ["us-east-1a"], None, "no CIDR was given"),
        (167772160, ["us-east-1a"], None, "is not a CIDR string"),
        ("10.40.0.0/24", ["us-east-1a"], None, "10.40.0.0/24 is too small for the three-tier plan"),
        ("10.40.0.0/28", ["us-east-1a"], None, "use a /23 or larger"),
        ("10.40.0.0/16", ["us-east-1i"], None, "must end in a letter a to h"),
        ("10.40.0.0/16", ["us-east-1"], None, "has no recognisable slot"),
        ("10.40.0.0/16", ["eastus"], None, "has no recognisable slot"),
        ("10.40.0.0/16", ["0"], None, "Azure zones must be 1 to 8"),
        ("10.40.0.0/16", ["9"], None, "Azure zones must be 1 to 8"),
        ("10.40.0.0/16", [True], None, "is not a zone name"),
        ("10.40.0.0/16", [None], None, "is not a zone name"),
        ("10.40.0.0/16", ["us-east-1a", "us-east-1a"], None, "'us-east-1a' is listed twice"),
        ("10.40.0.0/16", ["1", 1], None, "'1' is listed twice"),
        ("10.40.0.0/16", ["us-east-1a", "us-west-2a"], None, "both map to slot 0"),
        ("10.40.0.0/16", ["us-east-1a", "us-west-2b"], None, "are in different regions"),
        ("10.40.0.0/16", ["us-east-1a", "2"], None, "mix AWS zone names and Azure zone numbers"),
        ("10.40.0.0/16", "us-east-1a", None, "zones must be a list"),
        ("10.40.0.0/16", ["us-east-1a"], ["a", "b", "c", "d", "e"], "at most 4"),
        ("10.40.0.0/16", ["us-east-1a"], [], "tiers is empty"),
        ("10.40.0.0/16", ["us-east-1a"], "public", "tiers must be a list"),
        ("10.40.0.0/16", ["us-east-1a"], ["app", "app"], "tier 'app' is listed twice"),
        ("10.40.0.0/16", ["us-east-1a"], ["app", ""], "is not a name"),
    ],
)
def test_rejections(network, zones, tiers, expected):
    with pytest.raises(AnsibleFilterError) as error:
        subnet_plan(network, zones, tiers)
    assert expected in str(error.value)


def test_slot_collision_message_names_both_zones_and_the_fix():
    with pytest.raises(AnsibleFilterError) as error:
        subnet_plan("10.40.0.0/16", ["us-east-1a", "us-west-2a"])
    assert str(error.value) == (
        "zones 'us-east-1a' and 'us-west-2a' both map to slot 0; a plan holds one zone per slot: keep one of them"
    )
