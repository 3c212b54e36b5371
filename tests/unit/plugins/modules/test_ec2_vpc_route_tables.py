# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""strata.platform.ec2_vpc_route_tables against moto (in-process), driven the way Ansible drives it."""

import pytest

from ansible_collections.strata.platform.plugins.modules import ec2_vpc_route_tables as module

from _harness import MATCH_TAGS
from _harness import run_failing as fail_module
from _harness import make_subnet
from _harness import make_vpc
from _harness import route_tables_of
from _harness import run as run_module
from _harness import tag_list
from _harness import tags_of


@pytest.fixture
def net(aws):
    """A VPC with an internet gateway, four owned subnets and a NAT gateway."""
    vpc_id, igw_id = make_vpc(aws)
    subnets = [
        make_subnet(aws, vpc_id, "10.20.0.0/24", "us-east-1a", tags=MATCH_TAGS),
        make_subnet(aws, vpc_id, "10.20.1.0/24", "us-east-1b", tags=MATCH_TAGS),
        make_subnet(aws, vpc_id, "10.20.10.0/24", "us-east-1a", tags=MATCH_TAGS),
        make_subnet(aws, vpc_id, "10.20.11.0/24", "us-east-1b", tags=MATCH_TAGS),
    ]
    eip = aws.allocate_address(Domain="vpc")["AllocationId"]
    nat_id = aws.create_nat_gateway(SubnetId=subnets[0], AllocationId=eip)["NatGateway"]["NatGatewayId"]
    return {"vpc": vpc_id, "igw": igw_id, "nat": nat_id, "subnets": subnets}


def tables(net):
    subnets = net["subnets"]
    return [
        {"name": "public", "routes": [{"dest": "0.0.0.0/0", "gateway_id": net["igw"]}], "subnets": subnets[:2]},
        {
            "name": "private",
            "routes": [{"dest": "0.0.0.0/0", "nat_gateway_id": net["nat"]}],
            "subnets": subnets[2:],
            "tags": {"tier": "app"},
        },
    ]


def args(net, **kwargs):
    result = {"vpc_id": net["vpc"], "match_tags": MATCH_TAGS, "tags": {"project": "fsm"}, "route_tables": tables(net)}
    result.update(kwargs)
    return result


def run(net, check_mode=False, **kwargs):
    return run_module(module, args(net, **kwargs), check_mode=check_mode)


def by_name(ec2, vpc_id):
    return {tags_of(t).get("Name"): t for t in route_tables_of(ec2, vpc_id) if tags_of(t).get("Name")}


def routes(table):
    """Non-local routes of a DescribeRouteTables item, as {dest: target}."""
    return {
        r["DestinationCidrBlock"]: r.get("GatewayId") or r.get("NatGatewayId")
        for r in table["Routes"]
        if r.get("GatewayId") != "local"
    }


def associated(table):
    return sorted(a["SubnetId"] for a in table["Associations"] if a.get("SubnetId"))


def main_table(ec2, vpc_id):
    return [t for t in route_tables_of(ec2, vpc_id) if any(a.get("Main") for a in t["Associations"])][0]


@pytest.mark.parametrize("check_mode", [True, False])
def test_create_then_idempotent(aws, net, api_calls, no_sleep, check_mode):
    api_calls.reset()
    result = run(net, check_mode=check_mode)

    assert result["changed"] is True
    assert [t["name"] for t in result["route_tables"]] == ["public", "private"]
    assert result["route_tables"][0]["routes"] == [{"dest": "0.0.0.0/0", "gateway_id": net["igw"]}]
    assert result["route_tables"][1]["routes"] == [{"dest": "0.0.0.0/0", "nat_gateway_id": net["nat"]}]
    assert result["route_tables"][1]["subnets"] == net["subnets"][2:]
    assert result["route_tables"][1]["tags"] == {"Name": "private", "tier": "app", "project": "fsm", **MATCH_TAGS}
    assert set(result["diff"]["after"]["route_tables"]) == {"public", "private"}
    assert result["diff"]["before"] == {"route_tables": {}}

    if check_mode:
        assert [t["id"] for t in result["route_tables"]] == [None, None]
        assert api_calls.mutating == []
        assert len(route_tables_of(aws, net["vpc"])) == 1  # the main one
        return

    actual = by_name(aws, net["vpc"])
    for table in result["route_tables"]:
        found = actual[table["name"]]
        assert found["RouteTableId"] == table["id"]
        assert routes(found) == {"0.0.0.0/0": table["routes"][0].get("gateway_id") or table["routes"][0].get("nat_gateway_id")}
        assert associated(found) == sorted(table["subnets"])
        assert tags_of(found) == table["tags"]

    api_calls.reset()
    again = run(net)
    assert again["changed"] is False
    assert again["route_tables"] == result["route_tables"]
    assert again["diff"]["before"] == again["diff"]["after"]
    assert api_calls == ["DescribeRouteTables"]
    assert run(net, check_mode=True)["changed"] is False


@pytest.mark.parametrize("check_mode", [True, False])
def test_route_target_is_replaced_in_place(aws, net, api_calls, no_sleep, check_mode):
    created = run(net)["route_tables"]
    changed_tables = tables(net)
    changed_tables[0]["routes"] = [{"dest": "0.0.0.0/0", "nat_gateway_id": net["nat"]}]

    api_calls.reset()
    result = run(net, check_mode=check_mode, route_tables=changed_tables)
    assert result["changed"] is True
    assert result["route_tables"][0]["id"] == created[0]["id"]
    assert result["route_tables"][0]["routes"] == [{"dest": "0.0.0.0/0", "nat_gateway_id": net["nat"]}]
    assert result["diff"]["before"]["route_tables"]["public"]["routes"] == {"0.0.0.0/0": net["igw"]}
    assert result["diff"]["after"]["route_tables"]["public"]["routes"] == {"0.0.0.0/0": net["nat"]}
    public = by_name(aws, net["vpc"])["public"]
    if check_mode:
        assert api_calls.mutating == []
        assert routes(public) == {"0.0.0.0/0": net["igw"]}
        return
    assert api_calls.mutating == ["ReplaceRoute"]
    assert routes(public) == {"0.0.0.0/0": net["nat"]}
    assert run(net, route_tables=changed_tables)["changed"] is False


@pytest.mark.parametrize("check_mode", [True, False])
def test_subnet_moves_between_tables(aws, net, api_calls, check_mode):
    run(net)
    subnets = net["subnets"]
    moved = tables(net)
    moved[0]["subnets"] = subnets[:3]  # 10.20.10.0/24 moves from private to public
    moved[1]["subnets"] = subnets[3:]

    api_calls.reset()
    result = run(net, check_mode=check_mode, route_tables=moved)
    assert result["changed"] is True
    assert result["route_tables"][0]["subnets"] == subnets[:3]
    assert result["route_tables"][1]["subnets"] == subnets[3:]
    actual = by_name(aws, net["vpc"])
    if check_mode:
        assert api_calls.mutating == []
        assert associated(actual["private"]) == sorted(subnets[2:])
        return
    assert api_calls.mutating == ["ReplaceRouteTableAssociation"]
    assert associated(actual["public"]) == sorted(subnets[:3])
    assert associated(actual["private"]) == sorted(subnets[3:])
    assert run(net, route_tables=moved)["changed"] is False


def test_subnet_of_a_foreign_table_is_moved_and_the_table_left_alone(aws, net, api_calls):
    foreign = aws.create_route_table(
        VpcId=net["vpc"], TagSpecifications=[{"ResourceType": "route-table", "Tags": tag_list({"Name": "public"})}]
    )["RouteTable"]["RouteTableId"]
    aws.create_route(RouteTableId=foreign, DestinationCidrBlock="0.0.0.0/0", GatewayId=net["igw"])
    aws.associate_route_table(RouteTableId=foreign, SubnetId=net["subnets"][0])

    api_calls.reset()
    result = run(net, purge_route_tables=True)
    assert "ReplaceRouteTableAssociation" in api_calls
    assert result["deleted"] == []
    ours = result["route_tables"][0]["id"]
    assert ours != foreign
    tables_now = {t["RouteTableId"]: t for t in route_tables_of(aws, net["vpc"])}
    assert associated(tables_now[ours]) == sorted(net["subnets"][:2])
    assert associated(tables_now[foreign]) == []
    assert routes(tables_now[foreign]) == {"0.0.0.0/0": net["igw"]} and tags_of(tables_now[foreign]) == {"Name": "public"}
    assert run(net, purge_route_tables=True)["changed"] is False


@pytest.mark.parametrize("check_mode", [True, False])
def test_purge_routes_and_subnets(aws, net, api_calls, check_mode):
    created = run(net)["route_tables"]
    public = created[0]["id"]
    aws.create_route(RouteTableId=public, DestinationCidrBlock="192.168.0.0/16", GatewayId=net["igw"])
    trimmed = tables(net)
    trimmed[0]["subnets"] = net["subnets"][:1]

    api_calls.reset()
    result = run(net, check_mode=check_mode, route_tables=trimmed)
    assert result["changed"] is True
    assert result["route_tables"][0]["routes"] == [{"dest": "0.0.0.0/0", "gateway_id": net["igw"]}]
    assert result["route_tables"][0]["subnets"] == net["subnets"][:1]
    actual = by_name(aws, net["vpc"])["public"]
    if check_mode:
        assert api_calls.mutating == []
        assert "192.168.0.0/16" in routes(actual) and len(associated(actual)) == 2
        return
    assert sorted(api_calls.mutating) == ["DeleteRoute", "DisassociateRouteTable"]
    assert routes(actual) == {"0.0.0.0/0": net["igw"]}
    assert associated(actual) == net["subnets"][:1]
    # The main association is never touched.
    assert any(a.get("Main") for a in main_table(aws, net["vpc"])["Associations"])
    assert run(net, route_tables=trimmed)["changed"] is False


def test_without_purge_extra_routes_and_subnets_are_kept(aws, net):
    created = run(net)["route_tables"]
    aws.create_route(RouteTableId=created[0]["id"], DestinationCidrBlock="192.168.0.0/16", GatewayId=net["igw"])
    trimmed = tables(net)
    trimmed[0]["subnets"] = net["subnets"][:1]
    result = run(net, route_tables=trimmed, purge_routes=False, purge_subnets=False)
    assert result["changed"] is False
    assert result["route_tables"][0]["routes"] == [
        {"dest": "0.0.0.0/0", "gateway_id": net["igw"]},
        {"dest": "192.168.0.0/16", "gateway_id": net["igw"]},
    ]
    assert sorted(result["route_tables"][0]["subnets"]) == sorted(net["subnets"][:2])


@pytest.mark.parametrize("check_mode", [True, False])
def test_tags_change_in_place(aws, net, api_calls, check_mode):
    created = run(net)["route_tables"]
    api_calls.reset()
    result = run(net, check_mode=check_mode, tags={"project": "fsm", "cost-centre": "42"})
    assert result["changed"] is True
    assert result["route_tables"][0]["tags"] == {"Name": "public", "project": "fsm", "cost-centre": "42", **MATCH_TAGS}
    if check_mode:
        assert api_calls.mutating == []
        return
    assert api_calls.mutating == ["CreateTags"]  # both tables in one call
    actual = by_name(aws, net["vpc"])
    assert [tags_of(actual[t["name"]]) for t in created] == [t["tags"] for t in result["route_tables"]]


@pytest.mark.parametrize("check_mode", [True, False])
def test_purge_route_tables(aws, net, api_calls, check_mode):
    created = run(net)["route_tables"]
    only_public = tables(net)[:1]
    only_public[0]["subnets"] = net["subnets"][:3]  # takes one subnet of the table being deleted

    api_calls.reset()
    result = run(net, check_mode=check_mode, route_tables=only_public, purge_route_tables=True)
    assert result["changed"] is True
    assert result["deleted"] == [created[1]["id"]]
    assert set(result["diff"]["after"]["route_tables"]) == {"public"}
    if check_mode:
        assert api_calls.mutating == []
        assert len(route_tables_of(aws, net["vpc"])) == 3
        return
    # The moving subnet is moved, the other one disassociated, then the table deleted.
    assert api_calls.mutating == ["ReplaceRouteTableAssociation", "DisassociateRouteTable", "DeleteRouteTable"]
    actual = by_name(aws, net["vpc"])
    assert set(actual) == {"public"}
    assert associated(actual["public"]) == sorted(net["subnets"][:3])
    assert run(net, route_tables=only_public, purge_route_tables=True)["changed"] is False


@pytest.mark.parametrize("check_mode", [True, False])
def test_absent(aws, net, api_calls, check_mode):
    created = run(net)["route_tables"]
    main_id = main_table(aws, net["vpc"])["RouteTableId"]
    # The main route table carrying the match_tags is still never deleted; a foreign table is left alone.
    aws.create_tags(Resources=[main_id], Tags=tag_list(MATCH_TAGS))
    foreign = aws.create_route_table(
        VpcId=net["vpc"], TagSpecifications=[{"ResourceType": "route-table", "Tags": tag_list({"owner": "strata.platform"})}]
    )["RouteTable"]["RouteTableId"]

    api_calls.reset()
    result = run(net, check_mode=check_mode, state="absent")
    assert result["changed"] is True
    assert sorted(result["deleted"]) == sorted(t["id"] for t in created)
    assert result["route_tables"] == []
    if check_mode:
        assert api_calls.mutating == []
        assert len(route_tables_of(aws, net["vpc"])) == 4
        return
    assert api_calls.count("DeleteRouteTable") == 2 and api_calls.count("DisassociateRouteTable") == 4
    remaining = {t["RouteTableId"] for t in route_tables_of(aws, net["vpc"])}
    assert remaining == {main_id, foreign}
    again = run(net, state="absent")
    assert again["changed"] is False and again["deleted"] == []


def test_absent_with_missing_vpc_is_a_no_op(aws):
    result = run_module(module, {"vpc_id": "vpc-0123456789abcdef0", "match_tags": MATCH_TAGS, "state": "absent"})
    assert result["changed"] is False


def test_two_owned_tables_with_the_same_name_fail(aws, net, api_calls):
    for dummy in range(2):  # pylint: disable=unused-variable
        aws.create_route_table(
            VpcId=net["vpc"],
            TagSpecifications=[{"ResourceType": "route-table", "Tags": tag_list(dict(MATCH_TAGS, Name="public"))}],
        )
    api_calls.reset()
    failure = fail_module(module, args(net))
    assert "Name=public" in failure["msg"] and "delete the extra ones" in failure["msg"]
    assert api_calls.mutating == []


def _bad(net, aws):
    """Named bad inputs: (override of the module args, part of the expected message)."""
    other_vpc, other_igw = make_vpc(aws, cidr="10.30.0.0/16")
    other_subnet = make_subnet(aws, other_vpc, "10.30.0.0/24")
    public = tables(net)[0]
    return {
        "both targets": (
            [dict(public, routes=[{"dest": "0.0.0.0/0", "gateway_id": net["igw"], "nat_gateway_id": net["nat"]}])],
            "mutually exclusive",
        ),
        "no target": ([dict(public, routes=[{"dest": "0.0.0.0/0"}])], "one of the following is required"),
        "bad dest": ([dict(public, routes=[{"dest": "0.0.0.0/33", "gateway_id": net["igw"]}])], "routes[0].dest"),
        "local route": ([dict(public, routes=[{"dest": "10.20.0.0/16", "gateway_id": net["igw"]}])], "VPC-local route"),
        "bad gateway": ([dict(public, routes=[{"dest": "0.0.0.0/0", "gateway_id": net["nat"]}])], "not an internet"),
        "duplicate dest": (
            [dict(public, routes=[{"dest": "0.0.0.0/0", "gateway_id": net["igw"]}] * 2)],
            "destinations listed more than once",
        ),
        "duplicate name": ([public, public], "names listed more than once"),
        "subnet twice": ([public, dict(tables(net)[1], subnets=net["subnets"][:1])], "listed in several tables"),
        "foreign subnet": ([dict(public, subnets=[other_subnet])], f"Subnets {other_subnet} not found in VPC"),
        "igw elsewhere": (
            [dict(public, routes=[{"dest": "0.0.0.0/0", "gateway_id": other_igw}])],
            f"{other_igw} are not attached to VPC",
        ),
        "unknown nat": (
            [dict(public, routes=[{"dest": "0.0.0.0/0", "nat_gateway_id": "nat-0123456789abcdef0"}])],
            "not pending or available",
        ),
        "name contradicted": ([dict(public, tags={"Name": "other"})], "contradicts"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "both targets",
        "no target",
        "bad dest",
        "local route",
        "bad gateway",
        "duplicate dest",
        "duplicate name",
        "subnet twice",
        "foreign subnet",
        "igw elsewhere",
        "unknown nat",
        "name contradicted",
    ],
)
@pytest.mark.parametrize("check_mode", [True, False])
def test_bad_input_fails_before_any_change(aws, net, api_calls, case, check_mode):
    route_tables, expected = _bad(net, aws)[case]
    api_calls.reset()
    failure = fail_module(module, args(net, route_tables=route_tables), check_mode=check_mode)
    assert expected in failure["msg"]
    assert api_calls.mutating == []
    assert len(route_tables_of(aws, net["vpc"])) == 1


@pytest.mark.parametrize("check_mode", [True, False])
def test_missing_vpc_fails(aws, api_calls, check_mode):
    failure = fail_module(
        module,
        {"vpc_id": "vpc-0123456789abcdef0", "match_tags": MATCH_TAGS, "route_tables": [{"name": "public"}]},
        check_mode=check_mode,
    )
    assert "VPC vpc-0123456789abcdef0 not found" in failure["msg"]
    assert api_calls.mutating == []


def test_check_mode_plan_with_resources_not_created_yet(aws, net, api_calls):
    """In check mode null IDs stand for resources an earlier task of the same run would create."""
    created = run(net)["route_tables"]
    planned = [
        {"name": "public", "routes": [{"dest": "0.0.0.0/0", "gateway_id": None}], "subnets": net["subnets"][:2] + [None]},
        {"name": "private-c", "routes": [{"dest": "0.0.0.0/0", "nat_gateway_id": None}], "subnets": [None]},
    ]

    api_calls.reset()
    result = run(net, check_mode=True, route_tables=planned)
    assert result["changed"] is True
    assert result["route_tables"][0]["id"] == created[0]["id"]
    assert result["route_tables"][0]["routes"] == [{"dest": "0.0.0.0/0", "target": None}]
    assert result["route_tables"][0]["subnets"] == net["subnets"][:2] + [None]
    assert result["route_tables"][1]["id"] is None
    assert api_calls.mutating == []

    # A VPC not created yet either: nothing is asked of AWS.
    api_calls.reset()
    result = run_module(module, args(net, vpc_id=None, route_tables=planned), check_mode=True)
    assert [t["id"] for t in result["route_tables"]] == [None, None]
    assert api_calls == []

    failure = fail_module(module, args(net, route_tables=planned))
    assert "routes[0] target is null or empty" in failure["msg"]
    assert api_calls.mutating == []
