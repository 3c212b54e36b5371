"""Unit tests for strata.platform.ec2_vpc_default_security_group, driven like Ansible drives a module, against moto."""

import functools

import pytest

from ansible_collections.strata.platform.plugins.modules import ec2_vpc_default_security_group
from _harness import run as run_module
from _harness import run_failing as run_failing_module


def default_group(ec2, vpc_id):
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
    groups = ec2.describe_security_groups(Filters=filters)["SecurityGroups"]
    assert len(groups) == 1
    return groups[0]


def make_vpc(ec2, ipv6=False):
    """A VPC whose default group looks like AWS's.

    moto 5.2.5 creates the default group with the egress rule(s) only; AWS also adds the ingress rule
    "all traffic from members of this group". Add it, as AWS has it, so the lockdown is tested on AWS's shape.
    """
    vpc_id = ec2.create_vpc(CidrBlock="10.30.0.0/16", AmazonProvidedIpv6CidrBlock=ipv6)["Vpc"]["VpcId"]
    group = default_group(ec2, vpc_id)
    if not group["IpPermissions"]:
        ec2.authorize_security_group_ingress(
            GroupId=group["GroupId"],
            IpPermissions=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group["GroupId"]}]}],
        )
    return vpc_id


@pytest.fixture
def vpc_id(aws):
    return make_vpc(aws)


run = functools.partial(run_module, ec2_vpc_default_security_group)
run_failing = functools.partial(run_failing_module, ec2_vpc_default_security_group)


def tags_of(group):
    return {t["Key"]: t["Value"] for t in group.get("Tags", [])}


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
@pytest.mark.parametrize("ipv6", [False, True], ids=["ipv4", "dual-stack"])
def test_lock_down(aws, check_mode, ipv6):
    vpc_id = make_vpc(aws, ipv6=ipv6)
    group = default_group(aws, vpc_id)
    assert group["IpPermissions"] and group["IpPermissionsEgress"]

    result = run({"vpc_id": vpc_id, "tags": {"Name": "default-locked"}}, check_mode=check_mode)

    assert result["changed"] is True
    sg = result["security_group"]
    assert sg["group_id"] == group["GroupId"]
    assert sg["group_name"] == "default"
    assert sg["vpc_id"] == vpc_id
    assert sg["ip_permissions"] == []
    assert sg["ip_permissions_egress"] == []
    assert sg["tags"] == {"Name": "default-locked"}

    before = result["diff"]["before"]
    assert before["ip_permissions"][0]["user_id_group_pairs"][0]["group_id"] == group["GroupId"]
    assert {"cidr_ip": "0.0.0.0/0"} in before["ip_permissions_egress"][0]["ip_ranges"]
    if ipv6:
        assert {"cidr_ipv6": "::/0"} in before["ip_permissions_egress"][0]["ipv6_ranges"]
    assert result["diff"]["after"] == {
        "ip_permissions": [],
        "ip_permissions_egress": [],
        "tags": {"Name": "default-locked"},
    }

    now = default_group(aws, vpc_id)
    if check_mode:
        assert now["IpPermissions"] == group["IpPermissions"]
        assert now["IpPermissionsEgress"] == group["IpPermissionsEgress"]
        assert tags_of(now) == {}
    else:
        assert now["IpPermissions"] == []
        assert now["IpPermissionsEgress"] == []
        assert tags_of(now) == {"Name": "default-locked"}


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_rerun_is_unchanged(aws, vpc_id, check_mode):
    first = run({"vpc_id": vpc_id, "tags": {"Name": "default-locked"}})

    result = run({"vpc_id": vpc_id, "tags": {"Name": "default-locked"}}, check_mode=check_mode)

    assert result["changed"] is False
    assert result["security_group"] == first["security_group"]
    assert result["diff"]["before"] == result["diff"]["after"]


def test_lock_down_without_tags_leaves_tags_alone(aws, vpc_id):
    group_id = default_group(aws, vpc_id)["GroupId"]
    aws.create_tags(Resources=[group_id], Tags=[{"Key": "Owner", "Value": "network"}])

    result = run({"vpc_id": vpc_id})

    assert result["changed"] is True
    assert result["security_group"]["tags"] == {"Owner": "network"}
    assert run({"vpc_id": vpc_id})["changed"] is False


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
@pytest.mark.parametrize(
    "tags, purge_tags, expected",
    [
        ({"Name": "locked"}, True, {"Name": "locked"}),
        ({"Name": "locked"}, False, {"Name": "default-locked", "Owner": "network"} | {"Name": "locked"}),
        ({}, True, {}),
    ],
    ids=["replace", "merge", "purge-all"],
)
def test_tags_change_in_place(aws, vpc_id, check_mode, tags, purge_tags, expected):
    run({"vpc_id": vpc_id, "tags": {"Name": "default-locked", "Owner": "network"}})

    result = run({"vpc_id": vpc_id, "tags": tags, "purge_tags": purge_tags}, check_mode=check_mode)

    assert result["changed"] is True
    assert result["security_group"]["tags"] == expected
    assert result["diff"]["before"]["tags"] == {"Name": "default-locked", "Owner": "network"}
    assert result["diff"]["after"]["tags"] == expected
    assert tags_of(default_group(aws, vpc_id)) == (
        {"Name": "default-locked", "Owner": "network"} if check_mode else expected
    )


def test_rules_added_later_are_revoked_again(aws, vpc_id):
    run({"vpc_id": vpc_id})
    group_id = default_group(aws, vpc_id)["GroupId"]
    aws.authorize_security_group_ingress(
        GroupId=group_id,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "ssh"}],
            }
        ],
    )

    result = run({"vpc_id": vpc_id})

    assert result["changed"] is True
    assert result["diff"]["before"]["ip_permissions"][0]["from_port"] == 22
    assert default_group(aws, vpc_id)["IpPermissions"] == []


def test_other_groups_are_untouched(aws, vpc_id):
    app = aws.create_security_group(GroupName="app", Description="app", VpcId=vpc_id)["GroupId"]
    aws.authorize_security_group_ingress(
        GroupId=app,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    other_vpc = make_vpc(aws)

    run({"vpc_id": vpc_id})

    assert aws.describe_security_groups(GroupIds=[app])["SecurityGroups"][0]["IpPermissions"][0]["FromPort"] == 443
    assert default_group(aws, other_vpc)["IpPermissionsEgress"] != []


def test_diff_left_out_unless_asked(aws, vpc_id):
    result = run({"vpc_id": vpc_id}, diff=False)
    assert result["changed"] is True
    assert "diff" not in result


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_missing_vpc_fails_naming_it(aws, check_mode):
    failure = run_failing({"vpc_id": "vpc-0123456789abcdef0"}, check_mode=check_mode)
    assert failure["msg"] == (
        "Failed to lock down the default security group of VPC vpc-0123456789abcdef0: the VPC does not exist"
    )


def test_vpc_id_is_required(aws):
    failure = run_failing({"tags": {"Name": "x"}})
    assert "vpc_id" in failure["msg"]


def test_planned_vpc_in_check_mode_predicts_the_lockdown(aws):
    """ec2_vpc_net returns no id for a VPC it would create in check mode: predict, call nothing."""
    vpcs_before = aws.describe_vpcs()["Vpcs"]
    result = run({"vpc_id": "", "tags": {"Name": "locked"}}, check_mode=True)
    assert result["changed"] is True
    assert result["security_group"]["ip_permissions"] == []
    assert result["security_group"]["ip_permissions_egress"] == []
    assert result["security_group"]["tags"] == {"Name": "locked"}
    assert result["diff"]["before"]["ip_permissions_egress"]
    assert aws.describe_vpcs()["Vpcs"] == vpcs_before


def test_empty_vpc_id_outside_check_mode_fails(aws):
    failure = run_failing({"vpc_id": ""})
    assert failure["msg"].startswith("vpc_id is empty")
