"""strata.platform.security_group_problems / security_group_set."""

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.strata.platform.plugins.filter.security_group_problems import FilterModule as Problems
from ansible_collections.strata.platform.plugins.filter.security_group_set import FilterModule as GroupSet

problems = Problems().filters()["security_group_problems"]
group_set = GroupSet().filters()["security_group_set"]

MATRIX = {
    "alb": {"description": "Load balancers", "tier": "public",
            "rules": [{"ports": 443, "cidr_ip": "0.0.0.0/0", "description": "HTTPS"}]},
    "eks-cluster": {"description": "EKS control plane", "tier": "app",
                    "rules": [{"ports": 443, "group": "eks-nodes", "description": "API from nodes"}]},
    "eks-nodes": {"description": "EKS nodes", "tier": "app",
                  "rules": [{"proto": "all", "group": "eks-nodes"},
                            {"ports": "1025-65535", "group": "eks-cluster"},
                            {"ports": "1025-65535", "group": "alb"}]},
    "rds": {"description": "PostgreSQL", "tier": "data", "rules": [{"ports": 5432, "group": "eks-nodes"}]},
    "kafka": {"description": "Kafka", "tier": "data",
              "rules": [{"ports": 9094, "group": "eks-nodes"},
                        {"ports": 9092, "group": "eks-nodes", "enabled": False}]},
    "bastion": {"description": "SSH", "tier": "public", "enabled": False,
                "rules": [{"ports": 22, "cidr_ip": ["203.0.113.0/24"]}]},
}


def with_rule(purpose, rule):
    matrix = copy.deepcopy(MATRIX)
    matrix[purpose]["rules"].append(rule)
    return matrix


def test_seed_matrix_is_valid():
    assert problems(MATRIX) == []


@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "10.0.0.0/8"])
@pytest.mark.parametrize("purpose", ["rds", "kafka"])
def test_data_tier_never_from_a_cidr(purpose, cidr):
    found = problems(with_rule(purpose, {"ports": 5432, "cidr_ip": cidr}))
    assert len(found) == 1
    assert f"security group {purpose}, rule" in found[0] and cidr in found[0] and "app tier" in found[0]


def test_data_tier_only_from_app_tier():
    found = problems(with_rule("rds", {"ports": 5432, "group": "alb"}))
    assert found == ["security group rds, rule 2: data-tier groups are reachable only from the app tier, "
                     "not from alb (public tier)"]


@pytest.mark.parametrize("ports, fragment", [
    (70000, "out of range"), ("-1", "not a port"), ("443-80", "start after they end"),
    ("http", "not a port"), (True, "not a port"), ("0-65536", "out of range"),
])
def test_bad_ports(ports, fragment):
    found = problems(with_rule("alb", {"ports": ports, "cidr_ip": "0.0.0.0/0"}))
    assert len(found) == 1 and fragment in found[0] and "security group alb, rule 2" in found[0]


def test_unknown_and_disabled_group_references():
    assert "unknown group eks-workers" in problems(with_rule("rds", {"ports": 1, "group": "eks-workers"}))[0]
    assert "unknown group bastion" in problems(with_rule("eks-nodes", {"ports": 22, "group": "bastion"}))[0]


@pytest.mark.parametrize("rule, fragment", [
    ({"ports": 443}, "exactly one source"),
    ({"ports": 443, "group": "alb", "cidr_ip": "10.0.0.0/8"}, "exactly one source"),
    ({"ports": 443, "proto": "sctp", "cidr_ip": "10.0.0.0/8"}, "proto=sctp is unknown"),
    ({"ports": 443, "cidr_ip": "10.0.0.1/8"}, "not a network CIDR"),
])
def test_rule_shape(rule, fragment):
    assert fragment in " ".join(problems(with_rule("alb", rule)))


def test_group_shape():
    assert problems({}) == ["the security-group matrix must be a non-empty mapping of purpose -> group"]
    found = problems({"x": {"tier": "edge", "rules": []}, "y": "nope"})
    assert "security group x needs a description" in found
    assert any("tier=edge" in p for p in found) and any("security group y must be a mapping" in p for p in found)


def test_set_names_resolves_and_drops_disabled():
    groups = {g["name"]: g for g in group_set(MATRIX, "fsm-dev")}
    assert sorted(groups) == ["fsm-dev-alb", "fsm-dev-eks-cluster", "fsm-dev-eks-nodes", "fsm-dev-kafka", "fsm-dev-rds"]
    assert groups["fsm-dev-rds"]["rules"] == [
        {"proto": "tcp", "from_port": 5432, "to_port": 5432, "group_name": "fsm-dev-eks-nodes"}]
    assert groups["fsm-dev-kafka"]["rules"] == [
        {"proto": "tcp", "from_port": 9094, "to_port": 9094, "group_name": "fsm-dev-eks-nodes"}]
    assert groups["fsm-dev-eks-nodes"]["rules"][0] == {"proto": "all", "group_name": "fsm-dev-eks-nodes"}
    expected_alb = {"proto": "tcp", "from_port": 443, "to_port": 443, "cidr_ip": ["0.0.0.0/0"], "description": "HTTPS"}
    assert groups["fsm-dev-alb"]["rules"][0] == expected_alb
    assert groups["fsm-dev-rds"]["tags"] == {"Name": "fsm-dev-rds", "tier": "data", "purpose": "rds"}


def test_set_refuses_an_invalid_matrix():
    with pytest.raises(AnsibleFilterError, match="security group rds, rule 2 allows 0.0.0.0/0"):
        group_set(with_rule("rds", {"ports": 5432, "cidr_ip": "0.0.0.0/0"}), "fsm-dev")
