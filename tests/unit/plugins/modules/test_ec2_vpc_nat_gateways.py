# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""strata.platform.ec2_vpc_nat_gateways against moto (in-process), driven the way Ansible drives it."""

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ec2.models import ec2_backends

from ansible_collections.strata.platform.plugins.modules import ec2_vpc_nat_gateways as module

from _harness import MATCH_TAGS
from _harness import REGION
from _harness import eips
from _harness import run_failing as fail_module
from _harness import make_subnet
from _harness import make_vpc
from _harness import nats_of
from _harness import run as run_module
from _harness import tag_list
from _harness import tags_of

NAT_SUBNET_TAG = "strata:nat-subnet"


@pytest.fixture
def net(aws):
    """A VPC with two owned public subnets."""
    vpc_id, _igw = make_vpc(aws)
    subnets = [
        make_subnet(aws, vpc_id, "10.20.0.0/24", "us-east-1a", tags=MATCH_TAGS),
        make_subnet(aws, vpc_id, "10.20.1.0/24", "us-east-1b", tags=MATCH_TAGS),
    ]
    return vpc_id, subnets


def args(vpc, subnets, **kwargs):
    result = {
        "vpc_id": vpc,
        "match_tags": MATCH_TAGS,
        "tags": {"project": "fsm"},
        "nat_gateways": [
            {"subnet_id": subnets[0], "tags": {"Name": "nat-a"}},
            {"subnet_id": subnets[1], "tags": {"Name": "nat-b"}},
        ],
    }
    result.update(kwargs)
    return result


def run(net, check_mode=False, **kwargs):
    return run_module(module, args(*net, **kwargs), check_mode=check_mode)


def allocate(ec2, tags):
    return ec2.allocate_address(Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": tag_list(tags)}])


@pytest.mark.parametrize("check_mode", [True, False])
def test_create_then_idempotent(aws, net, api_calls, no_sleep, check_mode):
    vpc, subnets = net
    api_calls.reset()
    result = run(net, check_mode=check_mode)

    assert result["changed"] is True
    assert [n["subnet_id"] for n in result["nat_gateways"]] == subnets
    assert result["nat_gateways"][0]["tags"] == {"Name": "nat-a", "project": "fsm", **MATCH_TAGS}
    assert result["deleted"] == [] and result["released_allocation_ids"] == []
    assert set(result["diff"]["after"]["nat_gateways"]) == set(subnets)

    if check_mode:
        assert [n["id"] for n in result["nat_gateways"]] == [None, None]
        assert [n["allocation_id"] for n in result["nat_gateways"]] == [None, None]
        assert api_calls.mutating == []
        assert nats_of(aws, vpc) == [] and eips(aws) == {}
        return

    # Everything is created first, then one waiter polls all the NAT gateways together.
    assert api_calls == [
        "DescribeNatGateways",
        "DescribeAddresses",
        "DescribeSubnets",
        "AllocateAddress",
        "CreateNatGateway",
        "AllocateAddress",
        "CreateNatGateway",
        "DescribeNatGateways",
    ]
    actual = {n["NatGatewayId"]: n for n in nats_of(aws, vpc)}
    addresses = eips(aws)
    for nat in result["nat_gateways"]:
        found = actual[nat["id"]]
        assert found["SubnetId"] == nat["subnet_id"] and nat["state"] == "available"
        assert found["NatGatewayAddresses"][0]["AllocationId"] == nat["allocation_id"]
        assert addresses[nat["allocation_id"]]["PublicIp"] == nat["public_ip"]
        assert tags_of(found) == nat["tags"]
        # The Elastic IP carries the NAT gateway's tags plus the subnet it is for.
        assert tags_of(addresses[nat["allocation_id"]]) == dict(nat["tags"], **{NAT_SUBNET_TAG: nat["subnet_id"]})

    api_calls.reset()
    again = run(net)
    assert again["changed"] is False
    assert again["nat_gateways"] == result["nat_gateways"]
    assert api_calls == ["DescribeNatGateways", "DescribeAddresses"]
    assert len(eips(aws)) == 2
    assert run(net, check_mode=True)["changed"] is False


def test_wait_false_does_not_wait(aws, net, api_calls):
    api_calls.reset()
    result = run(net, wait=False)
    assert result["changed"] is True
    assert api_calls.count("DescribeNatGateways") == 1  # the inventory, no waiter


@pytest.mark.parametrize("check_mode", [True, False])
def test_tags_change_in_place(aws, net, api_calls, check_mode):
    vpc, subnets = net
    created = run(net)["nat_gateways"]
    new_args = {"tags": {"project": "fsm", "cost-centre": "42"}}

    api_calls.reset()
    result = run(net, check_mode=check_mode, **new_args)
    assert result["changed"] is True
    assert [n["id"] for n in result["nat_gateways"]] == [n["id"] for n in created]
    assert result["nat_gateways"][1]["tags"] == {"Name": "nat-b", "project": "fsm", "cost-centre": "42", **MATCH_TAGS}
    assert not [c for c in api_calls if c in ("AllocateAddress", "CreateNatGateway", "DeleteNatGateway")]

    actual = {n["NatGatewayId"]: n for n in nats_of(aws, vpc)}
    addresses = eips(aws)
    if check_mode:
        assert api_calls.mutating == []
        assert "cost-centre" not in tags_of(actual[created[0]["id"]])
        return
    for nat in result["nat_gateways"]:
        assert tags_of(actual[nat["id"]]) == nat["tags"]
        assert tags_of(addresses[nat["allocation_id"]]) == dict(nat["tags"], **{NAT_SUBNET_TAG: nat["subnet_id"]})
    # Two NAT gateways and two addresses get the same new tag: one CreateTags call.
    assert api_calls.count("CreateTags") == 1
    assert run(net, **new_args)["changed"] is False


@pytest.mark.parametrize("check_mode", [True, False])
def test_reuses_left_over_elastic_ip(aws, net, api_calls, check_mode):
    vpc, subnets = net
    # An earlier run allocated and tagged the address, then failed before CreateNatGateway.
    leftover = allocate(aws, dict(MATCH_TAGS, **{NAT_SUBNET_TAG: subnets[0]}))
    # Not reusable: for another subnet, or not carrying the match_tags.
    other_subnet = allocate(aws, dict(MATCH_TAGS, **{NAT_SUBNET_TAG: "subnet-0000000000000000f"}))
    not_ours = allocate(aws, {NAT_SUBNET_TAG: subnets[1]})

    api_calls.reset()
    result = run(net, check_mode=check_mode)
    assert result["nat_gateways"][0]["allocation_id"] == leftover["AllocationId"]
    assert result["nat_gateways"][0]["public_ip"] == leftover["PublicIp"]
    assert result["nat_gateways"][1]["allocation_id"] not in (other_subnet["AllocationId"], not_ours["AllocationId"])
    if check_mode:
        assert api_calls.mutating == []
        return
    assert api_calls.count("AllocateAddress") == 1  # only for the second subnet
    assert set(eips(aws)) == {
        leftover["AllocationId"],
        other_subnet["AllocationId"],
        not_ours["AllocationId"],
        result["nat_gateways"][1]["allocation_id"],
    }
    assert run(net)["changed"] is False


@pytest.mark.parametrize("check_mode", [True, False])
def test_failed_nat_gateway_is_replaced(aws, net, api_calls, check_mode):
    vpc, subnets = net
    created = run(net)["nat_gateways"]
    # Make the first one fail the way AWS reports it: state failed, its address no longer associated.
    backend = ec2_backends[DEFAULT_ACCOUNT_ID][REGION]
    broken = backend.nat_gateways[created[0]["id"]]
    broken.state = "failed"
    backend.disassociate_address(association_id=broken.address_set[0]["associationId"])

    api_calls.reset()
    result = run(net, check_mode=check_mode)
    assert result["changed"] is True
    assert result["deleted"] == [created[0]["id"]]
    # The address of the failed NAT gateway is free: it is reused, not released.
    assert result["nat_gateways"][0]["allocation_id"] == created[0]["allocation_id"]
    assert result["released_allocation_ids"] == []
    assert result["nat_gateways"][1] == created[1]
    if check_mode:
        assert result["nat_gateways"][0]["id"] is None
        assert api_calls.mutating == []
        assert broken.state == "failed"
        return
    assert result["nat_gateways"][0]["id"] not in (None, created[0]["id"])
    assert "AllocateAddress" not in api_calls
    assert api_calls.index("DeleteNatGateway") < api_calls.index("CreateNatGateway")
    live = {n["SubnetId"]: n["NatGatewayId"] for n in nats_of(aws, vpc)}
    assert live == {subnets[0]: result["nat_gateways"][0]["id"], subnets[1]: created[1]["id"]}
    assert run(net)["changed"] is False


@pytest.mark.parametrize("check_mode", [True, False])
def test_purge_nat_gateways(aws, net, api_calls, check_mode):
    vpc, subnets = net
    created = run(net)["nat_gateways"]
    keep_first = {"nat_gateways": [{"subnet_id": subnets[0], "tags": {"Name": "nat-a"}}], "purge_nat_gateways": True}

    api_calls.reset()
    result = run(net, check_mode=check_mode, **keep_first)
    assert result["changed"] is True
    assert result["deleted"] == [created[1]["id"]]
    assert result["released_allocation_ids"] == [created[1]["allocation_id"]]
    assert result["nat_gateways"] == [created[0]]
    assert set(result["diff"]["after"]["nat_gateways"]) == {subnets[0]}
    if check_mode:
        assert api_calls.mutating == []
        assert len(nats_of(aws, vpc)) == 2
        return
    # The address is released only once the deletion is complete.
    assert api_calls.index("DeleteNatGateway") < api_calls.index("ReleaseAddress")
    assert [n["NatGatewayId"] for n in nats_of(aws, vpc)] == [created[0]["id"]]
    assert set(eips(aws)) == {created[0]["allocation_id"]}
    assert run(net, **keep_first)["changed"] is False
    # Without purge_nat_gateways an unlisted NAT gateway is kept.
    run(net)
    assert run(net, nat_gateways=[{"subnet_id": subnets[0], "tags": {"Name": "nat-a"}}])["changed"] is False
    assert len(nats_of(aws, vpc)) == 2


@pytest.mark.parametrize("check_mode", [True, False])
def test_absent(aws, net, api_calls, check_mode):
    vpc, subnets = net
    created = run(net)["nat_gateways"]
    # Someone else's NAT gateway in the same subnet, with their own address.
    their_eip = aws.allocate_address(Domain="vpc")["AllocationId"]
    theirs = aws.create_nat_gateway(SubnetId=subnets[0], AllocationId=their_eip)["NatGateway"]["NatGatewayId"]

    api_calls.reset()
    result = run(net, check_mode=check_mode, state="absent")
    assert result["changed"] is True
    assert sorted(result["deleted"]) == sorted(n["id"] for n in created)
    assert sorted(result["released_allocation_ids"]) == sorted(n["allocation_id"] for n in created)
    assert result["nat_gateways"] == []
    assert result["diff"]["after"] == {"nat_gateways": {}}
    if check_mode:
        assert api_calls.mutating == []
        assert len(nats_of(aws, vpc)) == 3
        return
    # One waiter for all the deletions, before any release.
    assert api_calls.count("DescribeNatGateways") == 2
    assert api_calls.index("DescribeNatGateways", 1) < api_calls.index("ReleaseAddress")
    assert [n["NatGatewayId"] for n in nats_of(aws, vpc)] == [theirs]
    assert set(eips(aws)) == {their_eip}
    again = run(net, state="absent")
    assert again["changed"] is False
    assert again["deleted"] == [] and again["released_allocation_ids"] == []


def test_absent_releases_left_over_addresses_of_this_vpc_only(aws, net):
    vpc, subnets = net
    other_vpc, _igw = make_vpc(aws, cidr="10.30.0.0/16")
    other_subnet = make_subnet(aws, other_vpc, "10.30.0.0/24", tags=MATCH_TAGS)
    here = allocate(aws, dict(MATCH_TAGS, **{NAT_SUBNET_TAG: subnets[1]}))["AllocationId"]
    there = allocate(aws, dict(MATCH_TAGS, **{NAT_SUBNET_TAG: other_subnet}))["AllocationId"]

    result = run(net, state="absent")
    assert result["changed"] is True
    assert result["released_allocation_ids"] == [here]
    assert set(eips(aws)) == {there}
    assert run(net, state="absent")["changed"] is False


def test_foreign_nat_gateway_is_never_touched(aws, net):
    vpc, subnets = net
    their_eip = aws.allocate_address(Domain="vpc")["AllocationId"]
    theirs = aws.create_nat_gateway(
        SubnetId=subnets[0],
        AllocationId=their_eip,
        TagSpecifications=[{"ResourceType": "natgateway", "Tags": tag_list({"owner": "strata.platform"})}],
    )["NatGateway"]["NatGatewayId"]

    result = run(net, purge_nat_gateways=True)
    assert result["changed"] is True
    assert theirs not in [n["id"] for n in result["nat_gateways"]]
    assert result["deleted"] == []
    live = {n["NatGatewayId"]: n for n in nats_of(aws, vpc)}
    assert theirs in live and tags_of(live[theirs]) == {"owner": "strata.platform"}
    assert run(net, purge_nat_gateways=True)["changed"] is False


@pytest.mark.parametrize(
    "override, expected",
    [
        ({"nat_gateways": [{"subnet_id": "10.20.0.0/24"}]}, "is not a subnet ID"),
        ({"nat_gateways": [{"subnet_id": "SUBNET0"}, {"subnet_id": "SUBNET0"}]}, "listed more than once"),
        ({"nat_gateways": [{"subnet_id": "OTHER"}]}, "not found in VPC"),
        ({"nat_gateways": [{"subnet_id": "SUBNET0", "tags": {"environment": "dev"}}]}, "contradicts"),
        ({"match_tags": {}}, "match_tags must name at least one tag"),
        ({"vpc_id": "vpc-0123456789abcdef0"}, "VPC vpc-0123456789abcdef0 not found"),
    ],
)
@pytest.mark.parametrize("check_mode", [True, False])
def test_bad_input_fails_before_any_change(aws, net, api_calls, override, expected, check_mode):
    vpc, subnets = net
    other_vpc, _igw = make_vpc(aws, cidr="10.30.0.0/16")
    other_subnet = make_subnet(aws, other_vpc, "10.30.0.0/24")
    names = {"SUBNET0": subnets[0], "OTHER": other_subnet}
    if "nat_gateways" in override:
        override = dict(
            override,
            nat_gateways=[dict(item, subnet_id=names.get(item["subnet_id"], item["subnet_id"])) for item in override["nat_gateways"]],
        )
    api_calls.reset()
    failure = fail_module(module, args(vpc, subnets, **override), check_mode=check_mode)
    assert expected in failure["msg"]
    assert api_calls.mutating == []
    assert nats_of(aws, vpc) == [] and eips(aws) == {}


def test_missing_vpc_with_absent_is_a_no_op(aws):
    result = run_module(module, {"vpc_id": "vpc-0123456789abcdef0", "match_tags": MATCH_TAGS, "state": "absent"})
    assert result["changed"] is False


def _set_state_before(monkeypatch, operation, occurrence, nat_ids, state):
    """Change moto's NAT gateway state just before the n-th call of ``operation`` (moto never changes it)."""
    import botocore.client

    original = botocore.client.BaseClient._make_api_call
    seen = []

    def hook(self, operation_name, api_params):
        if operation_name == operation:
            seen.append(operation_name)
            if len(seen) == occurrence:
                backend = ec2_backends[DEFAULT_ACCOUNT_ID][REGION]
                for nat_id in nat_ids() if callable(nat_ids) else nat_ids:
                    backend.nat_gateways[nat_id].state = state
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", hook)


def test_listed_pending_nat_gateway_is_waited_for(aws, net, monkeypatch):
    created = run(net, wait=False)["nat_gateways"]
    backend = ec2_backends[DEFAULT_ACCOUNT_ID][REGION]
    for nat in created:
        backend.nat_gateways[nat["id"]].state = "pending"
    # It becomes available while the module waits (second DescribeNatGateways = the waiter's first poll).
    _set_state_before(monkeypatch, "DescribeNatGateways", 2, [n["id"] for n in created], "available")
    result = run(net)
    assert result["changed"] is False
    assert [n["state"] for n in result["nat_gateways"]] == ["available", "available"]


def test_nat_gateway_failing_while_waited_for_fails_the_task(aws, net, monkeypatch):
    vpc, subnets = net
    _set_state_before(
        monkeypatch, "DescribeNatGateways", 2, lambda: [n["NatGatewayId"] for n in nats_of(aws, vpc)], "failed"
    )
    failure = fail_module(module, args(vpc, subnets))
    assert failure["msg"].startswith("Failed to wait for NAT gateways nat-")
    assert "to become available" in failure["msg"] and "failed" in failure["msg"]


def test_absent_without_wait_leaves_the_release_to_the_next_run(aws, net):
    vpc, subnets = net
    created = run(net)["nat_gateways"]
    first = run(net, state="absent", wait=False)
    assert first["changed"] is True
    assert sorted(first["deleted"]) == sorted(n["id"] for n in created)
    assert first["released_allocation_ids"] == []
    assert any("are not released" in w for w in first.get("warnings", []))
    assert len(eips(aws)) == 2

    second = run(net, state="absent")
    assert second["changed"] is True
    assert second["deleted"] == []
    assert sorted(second["released_allocation_ids"]) == sorted(n["allocation_id"] for n in created)
    assert eips(aws) == {}
    assert run(net, state="absent")["changed"] is False


def test_check_mode_plan_for_subnets_not_created_yet(aws, net, api_calls):
    """In check mode null IDs stand for resources an earlier task of the same run would create."""
    vpc, subnets = net
    new_subnets = [{"subnet_id": None, "tags": {"Name": "nat-a"}}, {"subnet_id": None}, {"subnet_id": subnets[1]}]

    api_calls.reset()
    result = run_module(module, args(vpc, subnets, nat_gateways=new_subnets), check_mode=True)
    assert result["changed"] is True
    assert [n["id"] for n in result["nat_gateways"]] == [None, None, None]
    assert [n["subnet_id"] for n in result["nat_gateways"]] == [None, None, subnets[1]]
    assert len(result["diff"]["after"]["nat_gateways"]) == 3
    assert api_calls.mutating == []

    # A VPC not created yet either: nothing is asked of AWS.
    api_calls.reset()
    result = run_module(module, args(None, subnets, nat_gateways=new_subnets[:2]), check_mode=True)
    assert result["changed"] is True and len(result["nat_gateways"]) == 2
    assert api_calls == []

    failure = fail_module(module, args(vpc, subnets, nat_gateways=new_subnets))
    assert "nat_gateways[0].subnet_id is null or empty" in failure["msg"]
    assert api_calls.mutating == []
