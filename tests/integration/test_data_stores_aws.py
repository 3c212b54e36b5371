"""The data stores on AWS (database, cache, kafka), end to end on top of the lower layers:
sizing per environment, encryption and placement, idempotence, check mode, secrets, parallel creation. The dev
cycle also checks the network layer it stands on (subnet plan, routes, tags; nothing of it left after the
teardown). prod's
three regions are proven by test_site_multicloud.py, which converges all of prod once."""

import pytest

from aws_helpers import (assert_cache, assert_database, assert_kafka, assert_network, assert_no_secret_in,
                         assert_nothing_left, owned, secret_values, tags, vpc_of)

pytestmark = pytest.mark.integration


def play_seconds(run, name_part):
    """Wall time of the play whose name contains name_part, from the json callback's durations."""
    from datetime import datetime
    for play in run.result.get("plays", []):
        if name_part in play["play"]["name"]:
            span = play["play"]["duration"]
            start, end = (datetime.fromisoformat(span[k].replace("Z", "+00:00")) for k in ("start", "end"))
            return (end - start).total_seconds()
    raise AssertionError(f"no play named like {name_part!r}")


CREATE_SECONDS = {"RDS": 12.0, "ELASTICACHE": 8.0, "MSK": 10.0}


@pytest.fixture
def slow_creations(aws_cloud):
    """Data stores take CREATE_SECONDS to become available; back to immediate afterwards."""
    yield CREATE_SECONDS
    aws_cloud.set_create_seconds(0)
    for service in CREATE_SECONDS:
        aws_cloud.set_create_seconds(0, service)


def assert_resize_in_place(run_playbook, aws):
    """A bigger class and more storage for dev's primary are planned (diff, no call), then applied in place: same
    instance, new class and storage; the run after it changes nothing."""
    rds = aws("rds")
    before = rds.describe_db_instances(DBInstanceIdentifier="fsm-dev-postgres")["DBInstances"][0]
    bigger = {"database_instance_class": "db.t3.small", "database_allocated_storage": 30}
    plan = run_playbook("strata.platform.database", "dev", args=["--check", "--diff"], extra_vars=bigger)
    assert plan.rc == 0, str(plan)
    assert plan.requests["mutating"] == 0, plan.requests["mutating_actions"]
    primary = [res for _host, res in plan.task_results("Ensure the PostgreSQL primary") if res.get("changed")]
    assert primary and primary[0]["diff"], "the resize is shown with --diff"
    diff = primary[0]["diff"][0] if isinstance(primary[0]["diff"], list) else primary[0]["diff"]
    assert "db.t3.micro" in str(diff["before"]) and "db.t3.small" in str(diff["after"])

    resized = run_playbook("strata.platform.database", "dev", extra_vars=bigger)
    assert resized.rc == 0, str(resized)
    assert "rds:DeleteDBInstance" not in resized.requests["mutating_actions"]
    assert "rds:CreateDBInstance" not in resized.requests["mutating_actions"]
    after = rds.describe_db_instances(DBInstanceIdentifier="fsm-dev-postgres")["DBInstances"][0]
    assert (after["DBInstanceClass"], after["AllocatedStorage"]) == ("db.t3.small", 30)
    assert after["DbiResourceId"] == before["DbiResourceId"], "modified in place, not replaced"
    settled = run_playbook("strata.platform.database", "dev", extra_vars=bigger)
    assert settled.rc == 0 and settled.changed() == 0, str(settled)


@pytest.mark.cost(560)  # seconds in CI: dealt out first (tests/conftest.py)
def test_dev_data_stores_then_staging_creations_overlap(run_playbook, aws, aws_cloud, slow_creations):
    """dev: plan, converge (the network and the data stores checked), re-run, check on the converged state, each
    layer alone, an in-place resize of the primary, teardown and its re-run. Then staging (same shape: one region, no RDS
    replica) with simulated creation times: its data play must add about the longest creation to dev's (which
    had immediate creations), not their sum."""
    ec2 = aws("ec2", "us-east-1")
    plan = run_playbook("strata.platform.site", "dev", args=["--check", "--diff"])
    assert plan.rc == 0, str(plan)
    assert plan.requests["mutating"] == 0, plan.requests["mutating_actions"]
    assert plan.changed("dev-aws-us-east-1") > 0, "check mode on an empty cloud must report the changes it would make"
    for started in ("Ensure the PostgreSQL primary",):
        assert all(res["changed"] for _host, res in plan.task_results(started)), started
    assert owned(ec2, "describe_vpcs", "Vpcs") == []

    first = run_playbook("strata.platform.site", "dev")
    assert first.rc == 0, str(first)
    overhead = play_seconds(first, "Start the data stores")
    vpc = vpc_of(ec2, "dev", "us-east-1")
    assert_network(ec2, vpc, "10.10.0.0/16", ["us-east-1a", "us-east-1b", "us-east-1c"], "none", False)
    expected_tags = {"owner": "strata.platform", "environment": "dev", "layer": "network",
                     "platform": "fsm", "cost-center": "platform-dev", "Name": "fsm-dev-us-east-1"}
    assert tags(vpc).items() >= expected_tags.items()
    assert_database(aws, "dev", "us-east-1")
    assert_cache(aws, "dev", "us-east-1")
    assert_kafka(aws, "dev", "us-east-1")

    again = run_playbook("strata.platform.site", "dev")
    assert again.rc == 0 and again.changed() == 0, str(again)
    assert again.requests["mutating"] == 0, again.requests["mutating_actions"]
    check_again = run_playbook("strata.platform.site", "dev", args=["--check", "--diff"])
    assert check_again.rc == 0 and check_again.changed() == 0, str(check_again)

    # Each layer's playbook alone finds the lower layers by tags and changes nothing.
    for layer in ("database", "cache", "kafka"):
        alone = run_playbook(f"strata.platform.{layer}", "dev")
        assert alone.rc == 0 and alone.changed() == 0, str(alone)

    assert_no_secret_in(secret_values(aws, ["us-east-1"]), plan, first, again)

    assert_resize_in_place(run_playbook, aws)

    down = run_playbook("strata.platform.teardown", "dev")
    assert down.rc == 0, str(down)
    assert aws("rds").describe_db_instances()["DBInstances"] == []
    assert aws("elasticache").describe_replication_groups()["ReplicationGroups"] == []
    assert aws("kafka").list_clusters_v2()["ClusterInfoList"] == []
    assert aws("rds").describe_db_snapshots()["DBSnapshots"] == [], "dev takes no final snapshot"
    assert_nothing_left(ec2, "dev")
    down_again = run_playbook("strata.platform.teardown", "dev")
    assert down_again.rc == 0 and down_again.changed() == 0, str(down_again)

    for service, seconds in slow_creations.items():
        aws_cloud.set_create_seconds(seconds, service)
    slow = run_playbook("strata.platform.site", "staging")
    assert slow.rc == 0, str(slow)
    slow_play = play_seconds(slow, "Start the data stores")
    waited = slow_play - overhead
    longest, total = max(slow_creations.values()), sum(slow_creations.values())
    print(f"data play: {overhead:.1f} s with immediate creations, {slow_play:.1f} s (+{waited:.1f} s) with "
          f"creations of {slow_creations} (longest {longest:.0f} s, sum {total:.0f} s)")
    # Every creation starts inside the play, so it cannot end before the longest one is available ...
    assert slow_play >= longest, "the play returned before the slowest data store was available"
    # ... and the later starts overlap the first creation, so it adds about the longest one: well below the
    # midpoint between the longest (overlapping) and the sum (one after the other), whatever the machine's load.
    assert waited < (longest + total) / 2, f"+{waited:.1f} s: the creations did not overlap (sum {total:.0f} s)"


@pytest.mark.parametrize("bad, fragment", [
    ({"database_instance_class": "r6g.large"}, "database_instance_class=r6g.large is not an RDS class"),
    ({"database_max_allocated_storage": 10}, "database_max_allocated_storage=10 must be 0 (off) or above"),
    ({"database_master_password_mode": "rds-managed", "database_read_replicas": 1},
     "AWS does not create read replicas of a source whose password RDS manages"),
    ({"cache_node_type": "t3.micro"}, "cache_node_type=t3.micro is not an ElastiCache node type"),
    ({"cache_multi_az": True, "cache_automatic_failover": True}, "a failover needs a replica"),
    ({"kafka_broker_count": 4}, "kafka_broker_count=4 is not a multiple of the 3"),
])
def test_bad_data_store_input_fails_before_any_call(run_playbook, bad, fragment):
    run = run_playbook("strata.platform.site", "dev", extra_vars=bad)
    assert run.rc != 0
    assert run.requests["total"] == 0, run.requests
    assert fragment in str(run) and "dev-aws-us-east-1" in str(run)


def test_teardown_leaves_a_foreign_database_under_our_name(run_playbook, aws):
    """An instance named like ours but without the ownership tags stops the database teardown untouched."""
    rds = aws("rds")
    rds.create_db_instance(DBInstanceIdentifier="fsm-dev-postgres", DBInstanceClass="db.t3.micro", Engine="postgres",
                           MasterUsername="someone", MasterUserPassword="not-ours-123", AllocatedStorage=20)
    run = run_playbook("strata.platform.teardown", "dev")
    assert run.rc != 0
    assert "DB instance fsm-dev-postgres" in str(run) and "without its ownership tags" in str(run)
    assert "rds:DeleteDBInstance" not in run.requests["mutating_actions"]
    assert "rds:ModifyDBInstance" not in run.requests["mutating_actions"]
    assert rds.describe_db_instances(DBInstanceIdentifier="fsm-dev-postgres")["DBInstances"]
