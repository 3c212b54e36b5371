"""security_groups, iam and encryption on AWS, what test_site_multicloud.py (prod: plan, build, no-op re-run,
teardown) does not prove:

* dev's lower layers in one play: the dev rule matrix (Kafka plaintext 9092 from the app tier), the service
  roles' trust and policies, the keys' rotation and policies; rule changes planned with --check --diff (no
  mutating call), applied in place (same group ids), then a no-op; the bastion group removed when turned off;
  the three layers removed without confirmation on dev (keys only scheduled for deletion), the removal a
  no-op when repeated, and a converge that cancels the scheduled key deletions;
* bad layer input fails on its target before any API call;
* uat refuses each layer's removal without platform_confirm_teardown=uat, before any request."""

import json

import pytest

from aws_helpers import owned, tags

pytestmark = pytest.mark.integration

# site.yml without the data stores (tests/integration/lower_layers.yml): these tests check the lower layers.
LOWER_LAYERS = "tests/integration/lower_layers.yml"

DEV = "dev-aws-us-east-1"
ROLE_SERVICES = {"eks-cluster": "eks.amazonaws.com", "eks-nodes": "ec2.amazonaws.com",
                 "rds-monitoring": "monitoring.rds.amazonaws.com", "backup": "backup.amazonaws.com",
                 "s3-replication": "s3.amazonaws.com"}


def groups_by_purpose(ec2, environment):
    groups = owned(ec2, "describe_security_groups", "SecurityGroups",
                   **{"tag:environment": environment, "tag:layer": "security_groups"})
    return {tags(g)["purpose"]: g for g in groups}


def ingress(group, names):
    """Compact ingress rules: (proto, from, to, source) with group ids shown by purpose."""
    out = set()
    for perm in group["IpPermissions"]:
        key = (perm["IpProtocol"], perm.get("FromPort"), perm.get("ToPort"))
        out.update(key + (r["CidrIp"],) for r in perm.get("IpRanges", []))
        out.update(key + (names[p["GroupId"]],) for p in perm.get("UserIdGroupPairs", []))
    return out


def assert_security_groups(ec2, environment, kafka_plaintext):
    groups = groups_by_purpose(ec2, environment)
    assert sorted(groups) == ["alb", "eks-cluster", "eks-nodes", "kafka", "rds", "redis"]
    names = {g["GroupId"]: p for p, g in groups.items()}
    assert ingress(groups["alb"], names) == {("tcp", 443, 443, "0.0.0.0/0"), ("tcp", 80, 80, "0.0.0.0/0")}
    assert ingress(groups["rds"], names) == {("tcp", 5432, 5432, "eks-nodes")}
    assert ingress(groups["redis"], names) == {("tcp", 6379, 6379, "eks-nodes")}
    kafka = {("tcp", 9094, 9094, "eks-nodes")} | ({("tcp", 9092, 9092, "eks-nodes")} if kafka_plaintext else set())
    assert ingress(groups["kafka"], names) == kafka
    assert ("tcp", 443, 443, "eks-nodes") in ingress(groups["eks-cluster"], names)
    assert ("-1", None, None, "eks-nodes") in ingress(groups["eks-nodes"], names)
    for purpose in ("rds", "redis", "kafka"):
        assert not any(p.get("IpRanges") for p in groups[purpose]["IpPermissions"]), purpose
    return groups


def assert_iam(iam, environment, region):
    roles = {r["RoleName"]: r for r in iam.list_roles(PathPrefix="/strata/")["Roles"]}
    for key, service in ROLE_SERVICES.items():
        role = roles[f"fsm-{environment}-{region}-{key}"]
        trust = role["AssumeRolePolicyDocument"]
        trust = json.loads(trust) if isinstance(trust, str) else trust
        assert [s["Principal"] for s in trust["Statement"]] == [{"Service": service}]
    attached = iam.list_attached_role_policies(RoleName=f"fsm-{environment}-{region}-eks-nodes")["AttachedPolicies"]
    assert sorted(p["PolicyName"] for p in attached) == [
        "AmazonEC2ContainerRegistryReadOnly", "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy"]
    replication = iam.list_attached_role_policies(RoleName=f"fsm-{environment}-{region}-s3-replication")
    assert [p["PolicyName"] for p in replication["AttachedPolicies"]] == [f"fsm-{environment}-{region}-s3-replication"]
    policies = iam.list_policies(Scope="Local", PathPrefix="/strata/")["Policies"]
    expected = {f"fsm-{environment}-{region}-s3-access", f"fsm-{environment}-{region}-s3-replication"}
    assert {p["PolicyName"] for p in policies} >= expected


def assert_keys(kms, environment, region):
    aliases = {a["AliasName"]: a for a in kms.list_aliases()["Aliases"] if "TargetKeyId" in a}
    for purpose in ("data", "backup", "logs"):
        key_id = aliases[f"alias/fsm-{environment}-{purpose}"]["TargetKeyId"]
        assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
        assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
        policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
        sids = {s["Sid"] for s in policy["Statement"]}
        assert "EnableAccountAdministration" in sids
        if purpose == "backup":
            roles = next(s for s in policy["Statement"] if s["Sid"] == "AllowServiceRoles")["Principal"]["AWS"]
            assert roles == [f"arn:aws:iam::123456789012:role/strata/fsm-{environment}-{region}-backup"]
            via = next(s for s in policy["Statement"] if s["Sid"] == "AllowUseThroughServices")
            assert via["Condition"]["StringEquals"]["kms:ViaService"] == [f"backup.{region}.amazonaws.com"]
    return aliases


def layers_playbook(tmp_path, name, layers):
    """A playbook written by the test that imports only the given layers' playbooks, in this order."""
    path = tmp_path / f"{name}.yml"
    path.write_text("---\n" + "".join(
        f"- name: The {layer} layer\n  ansible.builtin.import_playbook: strata.platform.{layer}\n" for layer in layers))
    return str(path)


@pytest.mark.cost(170)  # seconds in CI: dealt out first (tests/conftest.py)
def test_dev_layers_rules_changed_in_place_then_removed_and_keys_recovered(run_playbook, aws, tmp_path):
    ec2, iam, kms = aws("ec2"), aws("iam"), aws("kms")

    # dev's lower layers, built once (the plan and the no-op re-run of every layer: test_site_multicloud.py).
    first = run_playbook(LOWER_LAYERS, "dev")
    assert first.rc == 0, str(first)
    ids = {p: g["GroupId"] for p, g in assert_security_groups(ec2, "dev", kafka_plaintext=True).items()}
    assert_iam(iam, "dev", "us-east-1")
    assert_keys(kms, "dev", "us-east-1")

    # Rule changes: planned with --check --diff (no mutating call), applied in place, then a no-op.
    change = {"security_groups_kafka_plaintext": False, "security_groups_bastion": True,
              "security_groups_bastion_cidrs": ["198.51.100.0/24"]}
    plan = run_playbook("strata.platform.security_groups", "dev", args=["--check", "--diff"], extra_vars=change)
    assert plan.rc == 0 and plan.requests["mutating"] == 0, str(plan)
    diff = json.dumps([r.get("diff") for _h, r in plan.task_results("Ensure the security groups")])
    assert "9092" in diff and "198.51.100.0/24" in diff
    assert "bastion" not in groups_by_purpose(ec2, "dev"), "the plan changed nothing"

    applied = run_playbook("strata.platform.security_groups", "dev", extra_vars=change)
    assert applied.rc == 0, str(applied)
    groups = groups_by_purpose(ec2, "dev")
    names = {g["GroupId"]: p for p, g in groups.items()}
    assert ingress(groups["kafka"], names) == {("tcp", 9094, 9094, "eks-nodes")}
    assert ingress(groups["bastion"], names) == {("tcp", 22, 22, "198.51.100.0/24")}
    assert {p: groups[p]["GroupId"] for p in ids} == ids, "groups are changed in place, never replaced"
    same = run_playbook("strata.platform.security_groups", "dev", extra_vars=change)
    assert same.rc == 0 and same.changed() == 0, str(same)
    assert same.requests["mutating"] == 0, same.requests["mutating_actions"]

    # Turning the bastion off again removes its group and restores dev's plaintext Kafka rule.
    reverted = run_playbook("strata.platform.security_groups", "dev")
    assert reverted.rc == 0, str(reverted)
    groups = assert_security_groups(ec2, "dev", kafka_plaintext=True)
    assert {p: g["GroupId"] for p, g in groups.items()} == ids

    # Removal in teardown order (dev has no deletion protection: no confirmation needed), then a no-op.
    removal = layers_playbook(tmp_path, "remove", ["encryption", "iam", "security_groups"])
    absent = {"encryption_state": "absent", "iam_state": "absent", "security_groups_state": "absent"}
    down = run_playbook(removal, "dev", extra_vars=absent)
    assert down.rc == 0, str(down)
    assert groups_by_purpose(ec2, "dev") == {}
    assert iam.list_roles(PathPrefix="/strata/")["Roles"] == []
    assert iam.list_policies(Scope="Local", PathPrefix="/strata/")["Policies"] == []
    for alias in ("data", "backup", "logs"):
        key = kms.describe_key(KeyId=f"alias/fsm-dev-{alias}")["KeyMetadata"]
        assert key["KeyState"] == "PendingDeletion", "keys are scheduled for deletion, never deleted at once"
    again_down = run_playbook(removal, "dev", extra_vars=absent)
    assert again_down.rc == 0 and again_down.changed() == 0, str(again_down)
    assert again_down.requests["mutating"] == 0, again_down.requests["mutating_actions"]

    # Converging again cancels the scheduled deletions (the key policies name the iam layer's roles).
    back = run_playbook(layers_playbook(tmp_path, "restore", ["iam", "encryption"]), "dev")
    assert back.rc == 0, str(back)
    assert_iam(iam, "dev", "us-east-1")
    assert_keys(kms, "dev", "us-east-1")


@pytest.mark.parametrize("bad, fragment", [
    ({"security_groups_extra": {"rds": {"rules": [{"ports": 5432, "cidr_ip": "0.0.0.0/0"}]}}},
     "security group rds, rule 1 allows 0.0.0.0/0"),
    ({"security_groups_extra": {"redis": {"rules": [{"ports": "6379-99999", "group": "eks-nodes"}]}}},
     "out of range"),
    ({"security_groups_extra": {"kafka": {"rules": [{"ports": 9094, "group": "eks-workers"}]}}},
     "unknown group eks-workers"),
    ({"iam_custom_policies": {"admin": {"document": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::x"}]}}}},
     'policy admin, statement 1 allows "Action": "*"'),
    ({"encryption_deletion_window_days": 3}, "encryption_deletion_window_days=3"),
])
def test_bad_layer_input_fails_before_any_call(run_playbook, bad, fragment):
    run = run_playbook("strata.platform.site", "dev", extra_vars=bad)
    assert run.rc != 0
    assert run.requests["total"] == 0, run.requests
    assert fragment in str(run) and DEV in str(run)


def test_uat_layers_refuse_removal_without_confirmation(run_playbook):
    # The refusal is the first task of each layer's absent path: proven on an empty cloud, no request at all
    # (so nothing could have been removed); teardown with confirmation: test_site_multicloud.py.
    for layer, var in (("encryption", "encryption_state"), ("iam", "iam_state"),
                       ("security_groups", "security_groups_state")):
        refused = run_playbook(f"strata.platform.{layer}", "uat", extra_vars={var: "absent"})
        assert refused.rc != 0, f"{layer}: {refused}"
        assert "platform_confirm_teardown=uat" in refused.output, f"{layer}: {refused}"
        assert refused.requests["total"] == 0, f"{layer}: {refused.requests}"
