# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""strata.platform.ec2_vpc_subnets against moto (in-process), driven the way Ansible drives it."""

import botocore.client
import botocore.exceptions
import pytest

from ansible_collections.strata.platform.plugins.modules import ec2_vpc_subnets as module

from _harness import MATCH_TAGS
from _harness import run_failing as fail_module
from _harness import make_subnet
from _harness import make_vpc
from _harness import run as run_module
from _harness import subnets_of
from _harness import tags_of

PLAN = [
    {"cidr": "10.20.0.0/24", "az": "us-east-1a", "map_public_ip_on_launch": True, "tags": {"Name": "pub-a"}},
    {"cidr": "10.20.10.0/24", "az": "us-east-1a", "tags": {"Name": "app-a"}},
    {"cidr": "10.20.1.0/24", "az": "us-east-1b", "map_public_ip_on_launch": True, "tags": {"Name": "pub-b"}},
]


def args(vpc, **kwargs):
    result = {"vpc_id": vpc, "match_tags": MATCH_TAGS, "tags": {"project": "fsm"}, "subnets": PLAN}
    result.update(kwargs)
    return result


def run(vpc, check_mode=False, **kwargs):
    return run_module(module, args(vpc, **kwargs), check_mode=check_mode)


@pytest.fixture
def vpc(aws):
    return make_vpc(aws)[0]


@pytest.mark.parametrize("check_mode", [True, False])
def test_create_then_idempotent(aws, vpc, api_calls, no_sleep, check_mode):
    api_calls.reset()
    result = run(vpc, check_mode=check_mode)

    assert result["changed"] is True
    assert [s["cidr"] for s in result["subnets"]] == ["10.20.0.0/24", "10.20.10.0/24", "10.20.1.0/24"]
    assert [s["az"] for s in result["subnets"]] == ["us-east-1a", "us-east-1a", "us-east-1b"]
    assert [s["map_public_ip_on_launch"] for s in result["subnets"]] == [True, False, True]
    assert result["subnets"][0]["tags"] == {"Name": "pub-a", "project": "fsm", **MATCH_TAGS}
    assert result["deleted"] == []
    assert set(result["diff"]["after"]["subnets"]) == {"10.20.0.0/24", "10.20.10.0/24", "10.20.1.0/24"}
    assert result["diff"]["before"] == {"subnets": {}}

    actual = subnets_of(aws, vpc)
    if check_mode:
        assert [s["id"] for s in result["subnets"]] == [None, None, None]
        assert actual == {}
        assert api_calls.mutating == []
        return

    assert set(actual) == {"10.20.0.0/24", "10.20.10.0/24", "10.20.1.0/24"}
    for subnet in result["subnets"]:
        found = actual[subnet["cidr"]]
        assert subnet["id"] == found["SubnetId"]
        assert found["AvailabilityZone"] == subnet["az"]
        assert found["MapPublicIpOnLaunch"] is subnet["map_public_ip_on_launch"]
        assert tags_of(found) == subnet["tags"]
        assert subnet["state"] == "available"
    assert api_calls.count("CreateSubnet") == 3

    # Re-run: nothing to do, and one DescribeSubnets is all it costs.
    api_calls.reset()
    again = run(vpc)
    assert again["changed"] is False
    assert again["subnets"] == result["subnets"]
    assert again["diff"]["before"] == again["diff"]["after"]
    assert api_calls == ["DescribeSubnets"]

    # A re-run in check mode predicts no change either.
    assert run(vpc, check_mode=True)["changed"] is False


@pytest.mark.parametrize("check_mode", [True, False])
def test_changes_in_place(aws, vpc, api_calls, check_mode):
    created = run(vpc)["subnets"]
    changed_plan = [
        dict(PLAN[0], map_public_ip_on_launch=False, tags={"Name": "pub-a", "tier": "public"}),
        PLAN[1],
        PLAN[2],
    ]
    aws.create_tags(Resources=[created[1]["id"]], Tags=[{"Key": "stray", "Value": "x"}])

    api_calls.reset()
    result = run(vpc, check_mode=check_mode, subnets=changed_plan, tags={"project": "fsm", "cost-centre": "42"})

    assert result["changed"] is True
    assert [s["id"] for s in result["subnets"]] == [s["id"] for s in created]
    assert result["subnets"][0]["map_public_ip_on_launch"] is False
    assert result["subnets"][0]["tags"] == {"Name": "pub-a", "tier": "public", "project": "fsm", "cost-centre": "42", **MATCH_TAGS}
    assert "stray" not in result["subnets"][1]["tags"]
    assert result["diff"]["before"]["subnets"]["10.20.0.0/24"]["map_public_ip_on_launch"] is True
    assert result["diff"]["after"]["subnets"]["10.20.0.0/24"]["map_public_ip_on_launch"] is False

    actual = subnets_of(aws, vpc)
    if check_mode:
        assert api_calls.mutating == []
        assert actual["10.20.0.0/24"]["MapPublicIpOnLaunch"] is True
        assert "stray" in tags_of(actual["10.20.10.0/24"])
        return
    assert actual["10.20.0.0/24"]["MapPublicIpOnLaunch"] is False
    for subnet in result["subnets"]:
        assert tags_of(actual[subnet["cidr"]]) == subnet["tags"]
    # The new common tag is set on the three subnets with one CreateTags call.
    assert api_calls.count("CreateTags") <= 2
    assert "CreateSubnet" not in api_calls
    assert run(vpc, subnets=changed_plan, tags={"project": "fsm", "cost-centre": "42"})["changed"] is False


def test_tags_unmanaged_when_not_given(aws, vpc):
    created = run(vpc)["subnets"]
    aws.create_tags(Resources=[created[0]["id"]], Tags=[{"Key": "stray", "Value": "x"}])
    plan = [{k: v for k, v in item.items() if k != "tags"} for item in PLAN]
    result = run_module(module, {"vpc_id": vpc, "match_tags": MATCH_TAGS, "subnets": plan})
    assert result["changed"] is False
    assert result["subnets"][0]["tags"]["stray"] == "x"


@pytest.mark.parametrize("check_mode", [True, False])
def test_purge_subnets(aws, vpc, api_calls, check_mode):
    created = run(vpc)["subnets"]
    foreign = make_subnet(aws, vpc, "10.20.200.0/24", tags={"owner": "someone-else"})

    api_calls.reset()
    result = run(vpc, check_mode=check_mode, subnets=PLAN[:1], purge_subnets=True)
    assert result["changed"] is True
    assert sorted(result["deleted"]) == sorted([created[1]["id"], created[2]["id"]])
    assert [s["id"] for s in result["subnets"]] == [created[0]["id"]]
    assert set(result["diff"]["after"]["subnets"]) == {"10.20.0.0/24"}

    actual = subnets_of(aws, vpc)
    if check_mode:
        assert api_calls.mutating == []
        assert len(actual) == 4
        return
    assert set(actual) == {"10.20.0.0/24", "10.20.200.0/24"}
    assert actual["10.20.200.0/24"]["SubnetId"] == foreign
    again = run(vpc, subnets=PLAN[:1], purge_subnets=True)
    assert again["changed"] is False and again["deleted"] == []


def test_unlisted_subnets_kept_without_purge(aws, vpc):
    run(vpc)
    result = run(vpc, subnets=PLAN[:1])
    assert result["changed"] is False
    assert len(subnets_of(aws, vpc)) == 3


@pytest.mark.parametrize("check_mode", [True, False])
def test_absent(aws, vpc, api_calls, check_mode):
    created = run(vpc)["subnets"]
    foreign = make_subnet(aws, vpc, "10.20.200.0/24", tags={"Name": "theirs", "owner": "strata.platform"})

    api_calls.reset()
    result = run(vpc, check_mode=check_mode, state="absent")
    assert result["changed"] is True
    assert sorted(result["deleted"]) == sorted(s["id"] for s in created)
    assert result["subnets"] == []
    assert result["diff"]["after"] == {"subnets": {}}

    actual = subnets_of(aws, vpc)
    if check_mode:
        assert api_calls.mutating == []
        assert len(actual) == 4
        return
    # Only the subnet missing one of the match_tags is left.
    assert [s["SubnetId"] for s in actual.values()] == [foreign]
    again = run(vpc, state="absent")
    assert again["changed"] is False and again["deleted"] == []


def test_absent_with_missing_vpc_is_a_no_op(aws):
    result = run("vpc-0123456789abcdef0", state="absent")
    assert result["changed"] is False


def test_foreign_subnet_with_listed_cidr_fails(aws, vpc, api_calls):
    foreign = make_subnet(aws, vpc, "10.20.10.0/24", tags={"Name": "theirs"})
    api_calls.reset()
    failure = fail_module(module, args(vpc))
    assert foreign in failure["msg"] and "10.20.10.0/24" in failure["msg"]
    assert "match_tags" in failure["msg"]
    assert api_calls.mutating == []
    assert len(subnets_of(aws, vpc)) == 1
    assert tags_of(subnets_of(aws, vpc)["10.20.10.0/24"]) == {"Name": "theirs"}


def test_other_az_fails(aws, vpc, api_calls):
    run(vpc)
    moved = [dict(PLAN[0]), dict(PLAN[1], az="us-east-1c"), dict(PLAN[2])]
    api_calls.reset()
    failure = fail_module(module, args(vpc, subnets=moved))
    assert "10.20.10.0/24" in failure["msg"] and "us-east-1a" in failure["msg"] and "delete it first" in failure["msg"]
    assert api_calls.mutating == []


@pytest.mark.parametrize(
    "override, expected",
    [
        ({"subnets": [{"cidr": "10.20.0.0/33", "az": "us-east-1a"}]}, "subnets[0].cidr"),
        ({"subnets": [{"cidr": "10.20.0.1/24", "az": "us-east-1a"}]}, "not a valid CIDR"),
        ({"subnets": [PLAN[0], dict(PLAN[0], az="us-east-1b")]}, "more than once"),
        ({"subnets": [PLAN[0], {"cidr": "10.20.0.128/25", "az": "us-east-1a"}]}, "overlap"),
        ({"subnets": [{"cidr": "10.99.0.0/24", "az": "us-east-1a"}]}, "does not lie in VPC"),
        ({"subnets": [{"cidr": "10.20.0.0/24", "az": "mars-north-1a"}]}, "unknown availability zone"),
        ({"subnets": [dict(PLAN[0], tags={"owner": "me"})]}, "contradicts"),
        ({"tags": {"layer": "data"}}, "contradicts"),
        ({"match_tags": {}}, "match_tags must name at least one tag"),
        ({"vpc_id": "vpc-0123456789abcdef0"}, "VPC vpc-0123456789abcdef0 not found"),
    ],
)
@pytest.mark.parametrize("check_mode", [True, False])
def test_bad_input_fails_before_any_change(aws, vpc, api_calls, override, expected, check_mode):
    api_calls.reset()
    failure = fail_module(module, args(vpc, **override), check_mode=check_mode)
    assert expected in failure["msg"]
    assert api_calls.mutating == []
    assert subnets_of(aws, vpc) == {}


def test_overlap_with_existing_subnet_fails(aws, vpc, api_calls):
    other = make_subnet(aws, vpc, "10.20.0.0/23", tags=MATCH_TAGS)
    api_calls.reset()
    failure = fail_module(module, args(vpc, subnets=[{"cidr": "10.20.1.0/24", "az": "us-east-1a"}]))
    assert other in failure["msg"] and "overlaps" in failure["msg"]
    assert api_calls.mutating == []


def test_aws_error_names_the_resource(aws, vpc, monkeypatch):
    created = run(vpc)["subnets"]
    # AWS refuses to delete a subnet that still holds network interfaces (moto does not check: simulate it).
    original = botocore.client.BaseClient._make_api_call

    def refuse_delete(self, operation_name, api_params):
        if operation_name == "DeleteSubnet" and api_params["SubnetId"] == created[1]["id"]:
            error = {"Error": {"Code": "DependencyViolation", "Message": "The subnet has dependencies"}}
            raise botocore.exceptions.ClientError(error, operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", refuse_delete)
    failure = fail_module(module, args(vpc, state="absent"))
    assert failure["msg"].startswith(f"Failed to delete subnet {created[1]['id']}: ")
    assert "DependencyViolation" in failure["msg"]
    assert failure["error"]["code"] == "DependencyViolation"


def test_check_mode_plan_for_a_vpc_not_created_yet(aws, api_calls):
    """In check mode a null vpc_id is the VPC an earlier task would create: everything is predicted as new."""
    result = run_module(module, args(None), check_mode=True)
    assert result["changed"] is True
    assert [s["id"] for s in result["subnets"]] == [None, None, None]
    assert api_calls == ["DescribeAvailabilityZones"]  # the zones are still checked

    failure = fail_module(module, args(None))
    assert "vpc_id is null or empty" in failure["msg"] and "only accepted in check mode" in failure["msg"]
    assert api_calls.mutating == []
