# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""strata.platform.ec2_vpc_security_groups against moto (in-process), driven the way Ansible drives it."""

import copy

import pytest

from ansible_collections.strata.platform.plugins.modules import ec2_vpc_security_groups as module

from _harness import MATCH_TAGS
from _harness import MUTATING_PREFIXES
from _harness import run_failing as fail_module
from _harness import make_vpc
from _harness import run as run_module
from _harness import tag_list
from _harness import tags_of

# The harness's list of mutating prefixes, plus the security group rule calls.

ALLOW_ALL_EGRESS = {"proto": "all", "from_port": None, "to_port": None, "cidr_ip": "0.0.0.0/0", "description": None}

SET = [
    {
        "name": "fsm-prod-alb",
        "description": "Public load balancer",
        "rules": [{"ports": 443, "cidr_ip": "0.0.0.0/0", "description": "HTTPS"}],
    },
    {
        "name": "fsm-prod-cluster",
        "description": "EKS control plane",
        "rules": [{"ports": 443, "group_name": "fsm-prod-nodes"}],
    },
    {
        "name": "fsm-prod-nodes",
        "description": "EKS nodes",
        "tags": {"tier": "app"},
        "rules": [
            {"ports": "1025-65535", "group_name": "fsm-prod-cluster"},
            {"proto": "all", "group_name": "fsm-prod-nodes", "description": "node to node"},
            {"proto": 6, "from_port": 8080, "group_name": "fsm-prod-alb"},
        ],
    },
    {
        "name": "fsm-prod-rds",
        "description": "PostgreSQL",
        "rules": [{"ports": 5432, "group_name": "fsm-prod-nodes"}],
        "rules_egress": [],
    },
]


def mutating(api_calls):
    return [name for name in api_calls if name.startswith(MUTATING_PREFIXES)]


def args(vpc, **kwargs):
    result = {"vpc_id": vpc, "match_tags": MATCH_TAGS, "tags": {"project": "fsm"}, "security_groups": copy.deepcopy(SET)}
    result.update(kwargs)
    return result


def run(vpc, check_mode=False, **kwargs):
    return run_module(module, args(vpc, **kwargs), check_mode=check_mode)


def fail(vpc, check_mode=False, **kwargs):
    return fail_module(module, args(vpc, **kwargs), check_mode=check_mode)


def groups_of(ec2, vpc_id):
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"]
    return {g["GroupName"]: g for g in groups}


def ingress(group):
    """{(proto, from, to, source): description} of a Describe item's ingress rules."""
    return _flat(group["IpPermissions"])


def egress(group):
    return _flat(group["IpPermissionsEgress"])


def _flat(permissions):
    result = {}
    for p in permissions:
        head = (p["IpProtocol"], p.get("FromPort"), p.get("ToPort"))
        for item in p.get("IpRanges") or []:
            result[head + (item["CidrIp"],)] = item.get("Description")
        for item in p.get("UserIdGroupPairs") or []:
            result[head + (item["GroupId"],)] = item.get("Description")
    return result


@pytest.fixture
def vpc(aws):
    return make_vpc(aws, with_igw=False)[0]


@pytest.fixture
def created(vpc):
    """The set, created; {name: id}."""
    return {g["name"]: g["id"] for g in run(vpc)["security_groups"]}


@pytest.mark.parametrize("check_mode", [True, False])
def test_create_with_circular_references_then_idempotent(aws, vpc, api_calls, no_sleep, check_mode):
    api_calls.reset()
    result = run(vpc, check_mode=check_mode)

    assert result["changed"] is True
    assert result["deleted"] == []
    groups = result["security_groups"]
    assert [g["name"] for g in groups] == [g["name"] for g in SET]
    ids = {g["name"]: g["id"] for g in groups}
    alb, cluster, nodes, rds = groups
    assert alb["rules"] == [
        {"proto": "tcp", "from_port": 443, "to_port": 443, "cidr_ip": "0.0.0.0/0", "description": "HTTPS"}
    ]
    assert alb["rules_egress"] == [ALLOW_ALL_EGRESS]  # unmanaged: AWS's default stays
    assert cluster["rules"] == [
        {"proto": "tcp", "from_port": 443, "to_port": 443, "group_id": ids["fsm-prod-nodes"],
         "group_name": "fsm-prod-nodes", "description": None}
    ]
    assert [(r["proto"], r["from_port"], r["to_port"], r["group_name"]) for r in nodes["rules"]] == [
        ("tcp", 1025, 65535, "fsm-prod-cluster"),
        ("all", None, None, "fsm-prod-nodes"),
        ("tcp", 8080, 8080, "fsm-prod-alb"),
    ]
    assert rds["rules_egress"] == []
    assert nodes["tags"] == {"tier": "app", "project": "fsm", **MATCH_TAGS}
    assert result["diff"]["before"] == {"security_groups": {}}
    after = result["diff"]["after"]["security_groups"]
    assert after["fsm-prod-rds"]["ingress"] == ["tcp 5432 from sg:fsm-prod-nodes"]
    assert after["fsm-prod-rds"]["egress"] == []
    assert after["fsm-prod-alb"]["ingress"] == ["tcp 443 from 0.0.0.0/0  # HTTPS"]
    assert after["fsm-prod-alb"]["egress"] == ["all to 0.0.0.0/0"]

    if check_mode:
        assert set(ids.values()) == {None}
        assert cluster["rules"][0]["group_id"] is None
        assert mutating(api_calls) == []
        assert set(groups_of(aws, vpc)) == {"default"}
        return

    assert mutating(api_calls).count("CreateSecurityGroup") == 4
    actual = groups_of(aws, vpc)
    assert {name: g["GroupId"] for name, g in actual.items() if name != "default"} == ids
    assert ingress(actual["fsm-prod-cluster"]) == {("tcp", 443, 443, ids["fsm-prod-nodes"]): None}
    assert ingress(actual["fsm-prod-nodes"]) == {
        ("tcp", 1025, 65535, ids["fsm-prod-cluster"]): None,
        ("-1", None, None, ids["fsm-prod-nodes"]): "node to node",
        ("tcp", 8080, 8080, ids["fsm-prod-alb"]): None,
    }
    assert egress(actual["fsm-prod-rds"]) == {}
    assert egress(actual["fsm-prod-alb"]) == {("-1", None, None, "0.0.0.0/0"): None}
    assert tags_of(actual["fsm-prod-nodes"]) == nodes["tags"]

    # Re-run: nothing to do, and one DescribeSecurityGroups is all it costs.
    api_calls.reset()
    again = run(vpc)
    assert again["changed"] is False
    assert again["security_groups"] == groups
    assert again["diff"]["before"] == again["diff"]["after"]
    assert api_calls == ["DescribeSecurityGroups"]
    assert run(vpc, check_mode=True)["changed"] is False


@pytest.mark.parametrize("check_mode", [True, False])
def test_rules_added_and_purged_in_place(aws, vpc, created, api_calls, check_mode):
    changed_set = copy.deepcopy(SET)
    # rds: 5432 from the nodes is replaced by 5432 from a CIDR list (two rules), udp 53 added to the egress.
    changed_set[3]["rules"] = [{"ports": 5432, "cidr_ip": ["10.20.10.0/24", "10.20.11.0/24"]}]
    changed_set[3]["rules_egress"] = [{"proto": "udp", "ports": 53, "cidr_ip": "10.20.0.2/32"}]

    api_calls.reset()
    result = run(vpc, check_mode=check_mode, security_groups=changed_set)
    assert result["changed"] is True
    rds = result["security_groups"][3]
    assert rds["id"] == created["fsm-prod-rds"]
    assert [r["cidr_ip"] for r in rds["rules"]] == ["10.20.10.0/24", "10.20.11.0/24"]
    assert rds["rules_egress"] == [
        {"proto": "udp", "from_port": 53, "to_port": 53, "cidr_ip": "10.20.0.2/32", "description": None}
    ]
    diff_before = result["diff"]["before"]["security_groups"]["fsm-prod-rds"]
    diff_after = result["diff"]["after"]["security_groups"]["fsm-prod-rds"]
    assert diff_before["ingress"] == ["tcp 5432 from sg:fsm-prod-nodes"]
    assert diff_after["ingress"] == ["tcp 5432 from 10.20.10.0/24", "tcp 5432 from 10.20.11.0/24"]
    assert diff_after["egress"] == ["udp 53 to 10.20.0.2/32"]
    actual = groups_of(aws, vpc)["fsm-prod-rds"]
    if check_mode:
        assert mutating(api_calls) == []
        assert ingress(actual) == {("tcp", 5432, 5432, created["fsm-prod-nodes"]): None}
        return
    # Added before revoked; one call per group and direction.
    assert mutating(api_calls) == [
        "AuthorizeSecurityGroupIngress",
        "AuthorizeSecurityGroupEgress",
        "RevokeSecurityGroupIngress",
    ]
    assert ingress(actual) == {("tcp", 5432, 5432, "10.20.10.0/24"): None, ("tcp", 5432, 5432, "10.20.11.0/24"): None}
    assert egress(actual) == {("udp", 53, 53, "10.20.0.2/32"): None}
    assert run(vpc, security_groups=changed_set)["changed"] is False


def test_without_purge_extra_rules_are_kept(aws, vpc, created):
    aws.authorize_security_group_ingress(
        GroupId=created["fsm-prod-rds"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}],
    )
    result = run(vpc, purge_rules=False)
    assert result["changed"] is False
    assert result["security_groups"][3]["rules"][-1] == {
        "proto": "tcp", "from_port": 22, "to_port": 22, "cidr_ip": "10.0.0.0/8", "description": None
    }
    changed_set = copy.deepcopy(SET)
    changed_set[3]["purge_rules"] = True  # the group's own setting wins
    assert run(vpc, purge_rules=False, security_groups=changed_set)["changed"] is True
    assert ("tcp", 22, 22, "10.0.0.0/8") not in ingress(groups_of(aws, vpc)["fsm-prod-rds"])


@pytest.mark.parametrize("check_mode", [True, False])
def test_empty_egress_removes_the_default_allow_all(aws, vpc, created, api_calls, check_mode):
    changed_set = copy.deepcopy(SET)
    changed_set[0]["rules_egress"] = []

    api_calls.reset()
    result = run(vpc, check_mode=check_mode, security_groups=changed_set)
    assert result["changed"] is True
    assert result["security_groups"][0]["rules_egress"] == []
    assert result["diff"]["before"]["security_groups"]["fsm-prod-alb"]["egress"] == ["all to 0.0.0.0/0"]
    assert result["diff"]["after"]["security_groups"]["fsm-prod-alb"]["egress"] == []
    actual = groups_of(aws, vpc)["fsm-prod-alb"]
    if check_mode:
        assert mutating(api_calls) == []
        assert egress(actual) == {("-1", None, None, "0.0.0.0/0"): None}
        return
    assert mutating(api_calls) == ["RevokeSecurityGroupEgress"]
    assert egress(actual) == {}
    assert run(vpc, security_groups=changed_set)["changed"] is False


@pytest.mark.parametrize("check_mode", [True, False])
def test_rule_description_is_updated_in_place(aws, vpc, created, api_calls, check_mode):
    changed_set = copy.deepcopy(SET)
    changed_set[0]["rules"][0]["description"] = "HTTPS from anywhere"

    api_calls.reset()
    result = run(vpc, check_mode=check_mode, security_groups=changed_set)
    assert result["changed"] is True
    assert result["security_groups"][0]["rules"][0]["description"] == "HTTPS from anywhere"
    assert result["diff"]["after"]["security_groups"]["fsm-prod-alb"]["ingress"] == [
        "tcp 443 from 0.0.0.0/0  # HTTPS from anywhere"
    ]
    actual = groups_of(aws, vpc)["fsm-prod-alb"]
    if check_mode:
        assert mutating(api_calls) == []
        assert ingress(actual) == {("tcp", 443, 443, "0.0.0.0/0"): "HTTPS"}
        return
    assert mutating(api_calls) == ["UpdateSecurityGroupRuleDescriptionsIngress"]
    assert ingress(actual) == {("tcp", 443, 443, "0.0.0.0/0"): "HTTPS from anywhere"}
    assert run(vpc, security_groups=changed_set)["changed"] is False


def test_rule_description_unset_is_not_managed(aws, vpc, created, api_calls):
    changed_set = copy.deepcopy(SET)
    del changed_set[0]["rules"][0]["description"]
    api_calls.reset()
    result = run(vpc, security_groups=changed_set)
    assert result["changed"] is False
    assert result["security_groups"][0]["rules"][0]["description"] == "HTTPS"


def test_description_of_a_group_reference_is_updated_with_the_api(aws, vpc, created, api_calls):
    """moto 5.2.5 ignores UpdateSecurityGroupRuleDescriptions* for a rule referencing a group (it compares the old
    description as part of the rule): only the call is checked here."""
    changed_set = copy.deepcopy(SET)
    changed_set[3]["rules"][0]["description"] = "PostgreSQL from the nodes"
    api_calls.reset()
    result = run(vpc, security_groups=changed_set)
    assert result["changed"] is True
    assert mutating(api_calls) == ["UpdateSecurityGroupRuleDescriptionsIngress"]
    assert result["security_groups"][3]["rules"][0]["description"] == "PostgreSQL from the nodes"


@pytest.mark.parametrize("check_mode", [True, False])
def test_tags_change_in_place(aws, vpc, created, api_calls, check_mode):
    api_calls.reset()
    result = run(vpc, check_mode=check_mode, tags={"project": "fsm", "cost-centre": "42"})
    assert result["changed"] is True
    assert result["security_groups"][0]["tags"] == {"project": "fsm", "cost-centre": "42", **MATCH_TAGS}
    if check_mode:
        assert mutating(api_calls) == []
        return
    assert mutating(api_calls) == ["CreateTags"]  # every group in one call
    assert tags_of(groups_of(aws, vpc)["fsm-prod-alb"]) == result["security_groups"][0]["tags"]


def test_reference_to_an_existing_group_of_the_vpc_by_name(aws, vpc, api_calls):
    foreign = aws.create_security_group(VpcId=vpc, GroupName="bastion", Description="not ours")["GroupId"]
    changed_set = copy.deepcopy(SET)
    changed_set[0]["rules"].append({"ports": 22, "group_name": "bastion"})
    changed_set[0]["rules"].append({"ports": 22, "group_id": foreign, "description": "twice, by id"})
    failure = fail(vpc, security_groups=changed_set)
    assert "same rule with different descriptions" in failure["msg"]
    changed_set[0]["rules"].pop()
    result = run(vpc, security_groups=changed_set)
    assert result["security_groups"][0]["rules"][1]["group_id"] == foreign
    assert result["security_groups"][0]["rules"][1]["group_name"] == "bastion"
    assert run(vpc, security_groups=changed_set)["changed"] is False


def _bad():
    """Named bad inputs: (function of the set -> None, part of the expected message)."""

    def rule(**override):
        def change(groups):
            groups[3]["rules"][0] = dict({"ports": 5432, "group_name": "fsm-prod-nodes"}, **override)

        return change

    def group(**override):
        def change(groups):
            groups[1].update(override)

        return change

    return {
        "unknown group": (
            rule(group_name="fsm-prod-app"),
            "security_groups[3] (fsm-prod-rds).rules[0].group_name: no security group 'fsm-prod-app'",
        ),
        "port too high": (rule(ports="5432-70000"), "rules[0]: port 70000 is out of 0-65535"),
        "negative port": (rule(ports=None, from_port=-1, to_port=80), "port -1 is out of 0-65535"),
        "from > to": (rule(ports=None, from_port=6000, to_port=5432), "from_port 6000 is greater than to_port 5432"),
        "ports not a range": (rule(ports="http"), "rules[0].ports: 'http' is not a port"),
        "ports and from_port": (rule(from_port=5432), "either ports or from_port/to_port"),
        "tcp without ports": (rule(ports=None), "tcp needs ports"),
        "ports with all": (rule(proto="all", ports=None, from_port=0, to_port=0), "ports don't apply to protocol all"),
        "unknown proto": (rule(proto="sctp-ish"), "rules[0].proto: unknown protocol 'sctp-ish'"),
        "proto out of range": (rule(proto=300), "unknown protocol 300"),
        "no source": (rule(group_name=None), "security_groups[3] (fsm-prod-rds).rules[0]: give exactly one source"),
        "two sources": (rule(cidr_ip="10.0.0.0/8"), "(found cidr_ip and group_name)"),
        "bad cidr": (rule(group_name=None, cidr_ip=["10.0.0.0/33"]), "rules[0].cidr_ip: '10.0.0.0/33'"),
        "bad group id": (rule(group_name=None, group_id="fsm-prod-nodes"), "is not a security group ID"),
        "icmp code out of range": (rule(proto="icmp", ports=None, from_port=8, to_port=300), "ICMP type/code 300"),
        "duplicate name": (lambda groups: groups.append(copy.deepcopy(groups[0])), "names listed more than once"),
        "default": (group(name="default"), "the VPC's default group is not managed here"),
        "sg- name": (group(name="sg-cluster"), "can't begin with sg-"),
        "match tag contradicted": (group(tags={"owner": "someone"}), "contradicts"),
    }


BAD_CASES = sorted(_bad())


@pytest.mark.parametrize("case", BAD_CASES)
@pytest.mark.parametrize("check_mode", [True, False])
def test_bad_input_fails_before_any_change(aws, vpc, api_calls, case, check_mode):
    change, expected = _bad()[case]
    groups = copy.deepcopy(SET)
    change(groups)
    api_calls.reset()
    failure = fail(vpc, check_mode=check_mode, security_groups=groups)
    assert expected in failure["msg"]
    assert mutating(api_calls) == []
    assert set(groups_of(aws, vpc)) == {"default"}


@pytest.mark.parametrize("check_mode", [True, False])
def test_existing_group_conflicts_fail_before_any_change(aws, vpc, created, api_calls, check_mode):
    changed_set = copy.deepcopy(SET)
    changed_set[1]["description"] = "EKS cluster"
    changed_set[0]["rules"][0]["description"] = "changed, but not applied"
    api_calls.reset()
    failure = fail(vpc, check_mode=check_mode, security_groups=changed_set)
    assert f"Security group fsm-prod-cluster ({created['fsm-prod-cluster']}) has the description" in failure["msg"]
    assert "delete the group and recreate it" in failure["msg"]
    assert mutating(api_calls) == []

    aws.create_security_group(VpcId=vpc, GroupName="fsm-prod-cache", Description="Redis")
    changed_set = copy.deepcopy(SET) + [{"name": "fsm-prod-cache", "description": "Redis"}]
    api_calls.reset()
    failure = fail(vpc, check_mode=check_mode, security_groups=changed_set)
    assert "fsm-prod-cache" in failure["msg"] and "does not carry the match_tags" in failure["msg"]
    assert mutating(api_calls) == []


def test_check_mode_with_a_planned_vpc(aws, api_calls):
    """A null vpc_id in check mode: a VPC an earlier task would create; everything is predicted, no call made."""
    groups = copy.deepcopy(SET)
    groups[0]["rules"].append({"proto": "all", "group_name": "default"})
    api_calls.reset()
    result = run(None, check_mode=True, security_groups=groups)
    assert api_calls == []
    assert result["changed"] is True
    assert [g["id"] for g in result["security_groups"]] == [None] * 4
    assert result["security_groups"][1]["rules"][0]["group_id"] is None
    assert result["security_groups"][1]["rules"][0]["group_name"] == "fsm-prod-nodes"
    assert result["security_groups"][0]["rules_egress"] == [ALLOW_ALL_EGRESS]
    assert result["diff"]["after"]["security_groups"]["fsm-prod-cluster"]["ingress"] == ["tcp 443 from sg:fsm-prod-nodes"]

    groups[0]["rules"].append({"ports": 22, "group_name": "bastion"})
    failure = fail(None, check_mode=True, security_groups=groups)
    assert "no security group 'bastion' in this set or in VPC (planned)" in failure["msg"]
    assert api_calls == []

    assert run(None, check_mode=True, state="absent")["changed"] is False
    failure = fail(None, security_groups=groups[:1])
    assert "vpc_id is null or empty" in failure["msg"]
    assert api_calls == []


@pytest.mark.parametrize("check_mode", [True, False])
def test_missing_vpc_fails(aws, api_calls, check_mode):
    failure = fail("vpc-0123456789abcdef0", check_mode=check_mode)
    assert "VPC vpc-0123456789abcdef0 not found" in failure["msg"]
    assert mutating(api_calls) == []
    assert run("vpc-0123456789abcdef0", check_mode=check_mode, state="absent")["changed"] is False


@pytest.mark.parametrize("check_mode", [True, False])
def test_absent_deletes_ours_including_cross_references(aws, vpc, created, api_calls, check_mode):
    foreign = aws.create_security_group(
        VpcId=vpc,
        GroupName="fsm-prod-alb-legacy",
        Description="someone else's",
        TagSpecifications=[{"ResourceType": "security-group", "Tags": tag_list({"owner": "strata.platform"})}],
    )["GroupId"]
    default = groups_of(aws, vpc)["default"]["GroupId"]
    aws.create_tags(Resources=[default], Tags=tag_list(MATCH_TAGS))

    api_calls.reset()
    result = run(vpc, check_mode=check_mode, state="absent")
    assert result["changed"] is True
    assert sorted(result["deleted"]) == sorted(created.values())
    assert result["security_groups"] == []
    assert set(result["diff"]["before"]["security_groups"]) == set(created)
    assert result["diff"]["after"] == {"security_groups": {}}
    if check_mode:
        assert mutating(api_calls) == []
        assert len(groups_of(aws, vpc)) == 6
        return
    calls = mutating(api_calls)
    # References between the groups (cluster <-> nodes, nodes -> alb, rds -> nodes) are revoked before any delete;
    # moto 5.2.5 would delete a referenced group anyway (no DependencyViolation), so the order is checked here.
    assert calls[:3] == ["RevokeSecurityGroupIngress"] * 3
    assert calls[3:] == ["DeleteSecurityGroup"] * 4
    assert set(groups_of(aws, vpc)) == {"default", "fsm-prod-alb-legacy"}
    assert groups_of(aws, vpc)["fsm-prod-alb-legacy"]["GroupId"] == foreign

    api_calls.reset()
    again = run(vpc, state="absent")
    assert again["changed"] is False and again["deleted"] == []
    assert api_calls == ["DescribeSecurityGroups"]


@pytest.mark.parametrize("check_mode", [True, False])
def test_absent_refuses_when_a_foreign_group_references_ours(aws, vpc, created, api_calls, check_mode):
    foreign = aws.create_security_group(VpcId=vpc, GroupName="monitoring", Description="not ours")["GroupId"]
    aws.authorize_security_group_egress(
        GroupId=foreign,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                        "UserIdGroupPairs": [{"GroupId": created["fsm-prod-rds"]}]}],
    )
    api_calls.reset()
    failure = fail(vpc, check_mode=check_mode, state="absent")
    assert f"Security group monitoring ({foreign})" in failure["msg"]
    assert "referencing fsm-prod-rds, which would be deleted" in failure["msg"]
    assert mutating(api_calls) == []


@pytest.mark.parametrize("check_mode", [True, False])
def test_purge_security_groups(aws, vpc, created, api_calls, check_mode):
    # alb and cluster go; the nodes' rule from the cluster is unlisted (purged), the nodes' rule from the alb is kept
    # by purge_rules=false but must go too, since the alb is deleted.
    kept = copy.deepcopy(SET[2:])
    kept[0]["rules"] = [{"proto": "all", "group_name": "fsm-prod-nodes", "description": "node to node"}]
    kept[0]["purge_rules"] = False
    kept[0]["rules"].append({"ports": "1025-65535", "group_name": "fsm-prod-nodes"})

    api_calls.reset()
    result = run(vpc, check_mode=check_mode, security_groups=kept, purge_security_groups=True)
    assert result["changed"] is True
    assert sorted(result["deleted"]) == sorted([created["fsm-prod-alb"], created["fsm-prod-cluster"]])
    assert set(result["diff"]["after"]["security_groups"]) == {"fsm-prod-nodes", "fsm-prod-rds"}
    nodes = result["security_groups"][0]
    assert [(r["from_port"], r["group_name"]) for r in nodes["rules"]] == [(None, "fsm-prod-nodes"), (1025, "fsm-prod-nodes")]
    if check_mode:
        assert mutating(api_calls) == []
        assert len(groups_of(aws, vpc)) == 5
        return
    calls = mutating(api_calls)
    assert calls[0] == "AuthorizeSecurityGroupIngress"
    assert calls[-2:] == ["DeleteSecurityGroup"] * 2
    actual = groups_of(aws, vpc)
    assert set(actual) == {"default", "fsm-prod-nodes", "fsm-prod-rds"}
    assert set(ingress(actual["fsm-prod-nodes"])) == {
        ("-1", None, None, created["fsm-prod-nodes"]),
        ("tcp", 1025, 65535, created["fsm-prod-nodes"]),
    }
    assert run(vpc, security_groups=kept, purge_security_groups=True)["changed"] is False


def test_reference_to_a_group_being_purged_fails(aws, vpc, created, api_calls):
    kept = copy.deepcopy(SET[1:])  # the nodes still reference the alb, which purge would delete
    api_calls.reset()
    failure = fail(vpc, security_groups=kept, purge_security_groups=True)
    assert "security_groups[1] (fsm-prod-nodes).rules[2]: references fsm-prod-alb" in failure["msg"]
    assert mutating(api_calls) == []


def test_other_protocols_are_normalised_and_idempotent(aws, vpc, api_calls):
    groups = [
        {
            "name": "fsm-prod-vpn",
            "description": "VPN",
            "rules": [
                {"proto": "icmp", "from_port": 8, "cidr_ip": "10.0.0.0/8", "description": "ping"},
                {"proto": "icmpv6", "cidr_ip": "::/0"},
                {"proto": 50, "cidr_ip": "192.0.2.10"},
                {"proto": "udp", "ports": "500", "cidr_ip": ["192.0.2.10/32", "2001:db8::/32"]},
            ],
            "rules_egress": [{"proto": "-1", "cidr_ip": "10.0.0.0/8"}],
        }
    ]
    result = run(vpc, security_groups=groups)
    rules = result["security_groups"][0]["rules"]
    assert [(r["proto"], r["from_port"], r["to_port"], r["cidr_ip"]) for r in rules] == [
        ("icmp", 8, -1, "10.0.0.0/8"),
        ("icmpv6", -1, -1, "::/0"),
        ("50", None, None, "192.0.2.10/32"),
        ("udp", 500, 500, "192.0.2.10/32"),
        ("udp", 500, 500, "2001:db8::/32"),
    ]
    assert result["diff"]["after"]["security_groups"]["fsm-prod-vpn"]["ingress"] == [
        "50 from 192.0.2.10/32",
        "icmp 8 from 10.0.0.0/8  # ping",
        "icmpv6 any from ::/0",
        "udp 500 from 192.0.2.10/32",
        "udp 500 from 2001:db8::/32",
    ]
    assert result["security_groups"][0]["rules_egress"] == [
        {"proto": "all", "from_port": None, "to_port": None, "cidr_ip": "10.0.0.0/8", "description": None}
    ]
    api_calls.reset()
    again = run(vpc, security_groups=groups)
    assert again["changed"] is False
    assert again["security_groups"] == result["security_groups"]
    assert api_calls == ["DescribeSecurityGroups"]
