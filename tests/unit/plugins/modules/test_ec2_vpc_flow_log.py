"""Unit tests for strata.platform.ec2_vpc_flow_log, driven like Ansible drives a module, against moto."""

import functools

import boto3
import pytest

from ansible_collections.strata.platform.plugins.modules import ec2_vpc_flow_log
from _harness import REGION
from _harness import run as run_module
from _harness import run_failing as run_failing_module

ROLE = "arn:aws:iam::123456789012:role/flow-logs"
OTHER_ROLE = "arn:aws:iam::123456789012:role/flow-logs-2"
GROUP = "/fsm/dev/vpc-flow-logs"
BUCKET = "fsm-dev-flow-logs"


@pytest.fixture
def aws(aws):
    """The shared moto fixture, with the log group and the bucket the flow logs deliver to."""
    boto3.client("logs", region_name=REGION).create_log_group(logGroupName=GROUP)
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
    return aws


@pytest.fixture
def vpc_id(aws):
    return aws.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]


run = functools.partial(run_module, ec2_vpc_flow_log)
run_failing = functools.partial(run_failing_module, ec2_vpc_flow_log)


def cwl_args(vpc_id, **extra):
    args = dict(resource_id=vpc_id, log_group_name=GROUP, deliver_logs_permission_arn=ROLE)
    args.update(extra)
    return args


def flow_logs_on(ec2, resource_id):
    return ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [resource_id]}])["FlowLogs"]


def tags_of(flow_log):
    return {t["Key"]: t["Value"] for t in flow_log.get("Tags", [])}


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_create(aws, vpc_id, check_mode):
    result = run(cwl_args(vpc_id, tags={"Name": "fl", "Env": "dev"}), check_mode=check_mode)

    assert result["changed"] is True
    flow_log = result["flow_log"]
    assert flow_log["resource_id"] == vpc_id
    assert flow_log["traffic_type"] == "ALL"
    assert flow_log["log_destination_type"] == "cloud-watch-logs"
    assert flow_log["log_group_name"] == GROUP
    assert flow_log["deliver_logs_permission_arn"] == ROLE
    assert flow_log["max_aggregation_interval"] == 600
    assert flow_log["log_format"] == ec2_vpc_flow_log.DEFAULT_LOG_FORMAT
    assert flow_log["flow_log_status"] == "ACTIVE"
    assert flow_log["tags"] == {"Name": "fl", "Env": "dev"}
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"] == flow_log

    existing = flow_logs_on(aws, vpc_id)
    if check_mode:
        assert flow_log["flow_log_id"] is None
        assert existing == []
    else:
        assert len(existing) == 1
        assert flow_log["flow_log_id"] == existing[0]["FlowLogId"]
        assert tags_of(existing[0]) == {"Name": "fl", "Env": "dev"}


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_rerun_is_unchanged(aws, vpc_id, check_mode):
    args = cwl_args(vpc_id, traffic_type="REJECT", max_aggregation_interval=60, tags={"Name": "fl"})
    created = run(args)["flow_log"]

    result = run(args, check_mode=check_mode)

    assert result["changed"] is False
    assert result["flow_log"] == created
    assert result["diff"]["before"] == result["diff"]["after"] == created
    assert len(flow_logs_on(aws, vpc_id)) == 1


def test_diff_left_out_unless_asked(aws, vpc_id):
    result = run(cwl_args(vpc_id), diff=False)
    assert result["changed"] is True
    assert "diff" not in result


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
@pytest.mark.parametrize(
    "change",
    [
        {"traffic_type": "REJECT"},
        {"max_aggregation_interval": 60},
        {"log_format": "${version} ${vpc-id} ${srcaddr} ${dstaddr} ${action}"},
        {"deliver_logs_permission_arn": OTHER_ROLE},
    ],
    ids=lambda change: next(iter(change)),
)
def test_immutable_change_replaces(aws, vpc_id, check_mode, change):
    original = run(cwl_args(vpc_id, tags={"Name": "fl", "Keep": "me"}))["flow_log"]

    # tags left unset: not managed, so the replacement carries the old tags over
    result = run(cwl_args(vpc_id, **change), check_mode=check_mode)

    attribute, value = next(iter(change.items()))
    assert result["changed"] is True
    assert result["flow_log"][attribute] == value
    assert result["flow_log"]["tags"] == {"Name": "fl", "Keep": "me"}
    assert result["diff"]["before"]["flow_log_id"] == original["flow_log_id"]
    assert original["flow_log_id"] in result["diff"]["after_header"]
    assert attribute in result["diff"]["after_header"]

    existing = flow_logs_on(aws, vpc_id)
    assert len(existing) == 1
    if check_mode:
        assert result["flow_log"]["flow_log_id"] is None
        assert existing[0]["FlowLogId"] == original["flow_log_id"]
        assert normalized_attribute(existing[0], attribute) == original[attribute]
    else:
        assert result["flow_log"]["flow_log_id"] == existing[0]["FlowLogId"] != original["flow_log_id"]
        assert normalized_attribute(existing[0], attribute) == value
        assert tags_of(existing[0]) == {"Name": "fl", "Keep": "me"}
        assert run(cwl_args(vpc_id, **change))["changed"] is False


def normalized_attribute(boto_flow_log, attribute):
    return ec2_vpc_flow_log.normalize_flow_log(boto_flow_log)[attribute]


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_replacement_applies_requested_tags(aws, vpc_id, check_mode):
    run(cwl_args(vpc_id, tags={"Name": "fl", "Old": "x"}))

    result = run(cwl_args(vpc_id, traffic_type="ACCEPT", tags={"Name": "fl2"}), check_mode=check_mode)

    assert result["changed"] is True
    assert result["flow_log"]["tags"] == {"Name": "fl2"}
    if not check_mode:
        assert tags_of(flow_logs_on(aws, vpc_id)[0]) == {"Name": "fl2"}


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
@pytest.mark.parametrize(
    "tags, purge_tags, expected",
    [
        ({"Name": "fl", "Env": "prod"}, True, {"Name": "fl", "Env": "prod"}),
        ({"Env": "prod"}, False, {"Name": "fl", "Old": "x", "Env": "prod"}),
        ({}, True, {}),
    ],
    ids=["replace", "merge", "purge-all"],
)
def test_tags_change_in_place(aws, vpc_id, check_mode, tags, purge_tags, expected):
    original = run(cwl_args(vpc_id, tags={"Name": "fl", "Old": "x"}))["flow_log"]

    result = run(cwl_args(vpc_id, tags=tags, purge_tags=purge_tags), check_mode=check_mode)

    assert result["changed"] is True
    assert result["flow_log"]["flow_log_id"] == original["flow_log_id"]
    assert result["flow_log"]["tags"] == expected
    assert result["diff"]["before"]["tags"] == {"Name": "fl", "Old": "x"}
    assert result["diff"]["after"]["tags"] == expected
    assert "after_header" not in result["diff"]
    existing = flow_logs_on(aws, vpc_id)
    assert [fl["FlowLogId"] for fl in existing] == [original["flow_log_id"]]
    assert tags_of(existing[0]) == ({"Name": "fl", "Old": "x"} if check_mode else expected)
    if not check_mode:
        assert run(cwl_args(vpc_id, tags=tags, purge_tags=purge_tags))["changed"] is False


def test_tags_unset_are_not_managed(aws, vpc_id):
    run(cwl_args(vpc_id, tags={"Name": "fl"}))
    result = run(cwl_args(vpc_id))
    assert result["changed"] is False
    assert result["flow_log"]["tags"] == {"Name": "fl"}


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_absent_by_destination(aws, vpc_id, check_mode):
    original = run(cwl_args(vpc_id))["flow_log"]

    result = run(dict(state="absent", resource_id=vpc_id, log_group_name=GROUP), check_mode=check_mode)

    assert result["changed"] is True
    assert result["flow_log"] is None
    assert result["diff"]["before"]["flow_log_id"] == original["flow_log_id"]
    assert result["diff"]["after"] == {}
    assert len(flow_logs_on(aws, vpc_id)) == (1 if check_mode else 0)
    if not check_mode:
        again = run(dict(state="absent", resource_id=vpc_id, log_group_name=GROUP))
        assert again["changed"] is False


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_absent_by_id(aws, vpc_id, check_mode):
    original = run(cwl_args(vpc_id))["flow_log"]

    result = run(dict(state="absent", flow_log_id=original["flow_log_id"]), check_mode=check_mode)

    assert result["changed"] is True
    assert len(flow_logs_on(aws, vpc_id)) == (1 if check_mode else 0)
    if not check_mode:
        assert run(dict(state="absent", flow_log_id=original["flow_log_id"]))["changed"] is False


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_absent_when_missing_is_unchanged(aws, vpc_id, check_mode):
    assert (
        run(dict(state="absent", resource_id=vpc_id, log_group_name=GROUP), check_mode=check_mode)["changed"] is False
    )
    assert run(dict(state="absent", flow_log_id="fl-0123456789abcdef0"), check_mode=check_mode)["changed"] is False


def test_absent_by_id_checks_resource(aws, vpc_id):
    original = run(cwl_args(vpc_id))["flow_log"]
    failure = run_failing(
        dict(state="absent", flow_log_id=original["flow_log_id"], resource_id="vpc-0123456789abcdef0")
    )
    assert original["flow_log_id"] in failure["msg"]
    assert "vpc-0123456789abcdef0" in failure["msg"]
    assert len(flow_logs_on(aws, vpc_id)) == 1


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_s3_destination(aws, vpc_id, check_mode):
    args = dict(
        resource_id=vpc_id,
        log_destination_type="s3",
        log_destination=f"arn:aws:s3:::{BUCKET}",
        traffic_type="REJECT",
    )
    result = run(args, check_mode=check_mode)

    assert result["changed"] is True
    assert result["flow_log"]["log_destination"] == f"arn:aws:s3:::{BUCKET}"
    assert result["flow_log"]["log_group_name"] is None
    assert result["flow_log"]["deliver_logs_permission_arn"] is None
    if not check_mode:
        assert run(args)["changed"] is False
        # a trailing slash names the same destination
        assert run(dict(args, log_destination=f"arn:aws:s3:::{BUCKET}/"))["changed"] is False


def test_only_the_matching_destination_is_touched(aws, vpc_id):
    s3_args = dict(resource_id=vpc_id, log_destination_type="s3", log_destination=f"arn:aws:s3:::{BUCKET}")
    s3_log = run(s3_args)["flow_log"]
    cwl_log = run(cwl_args(vpc_id))["flow_log"]

    assert run(cwl_args(vpc_id, traffic_type="REJECT"))["changed"] is True
    run(dict(state="absent", resource_id=vpc_id, log_group_name=GROUP))

    remaining = flow_logs_on(aws, vpc_id)
    assert [fl["FlowLogId"] for fl in remaining] == [s3_log["flow_log_id"]]
    assert cwl_log["flow_log_id"] != s3_log["flow_log_id"]


def test_subnet_flow_log(aws, vpc_id):
    subnet_id = aws.create_subnet(VpcId=vpc_id, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    args = cwl_args(subnet_id, resource_type="Subnet")
    assert run(args)["flow_log"]["resource_id"] == subnet_id
    assert run(args)["changed"] is False
    assert flow_logs_on(aws, vpc_id) == []


def test_two_flow_logs_to_one_destination_is_an_error(aws, vpc_id, monkeypatch):
    created = run(cwl_args(vpc_id))["flow_log"]
    # AWS (and moto) refuse a second flow log with the same destination, so fake the describe answer.
    twin = dict(created, flow_log_id="fl-0000000000000000a")
    real = ec2_vpc_flow_log.find_flow_logs
    monkeypatch.setattr(ec2_vpc_flow_log, "find_flow_logs", lambda client, params: real(client, params) + [twin])

    failure = run_failing(cwl_args(vpc_id, traffic_type="REJECT"))

    assert created["flow_log_id"] in failure["msg"] and "fl-0000000000000000a" in failure["msg"]
    assert flow_logs_on(aws, vpc_id)[0]["TrafficType"] == "ALL"


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
@pytest.mark.parametrize(
    "args, message",
    [
        (dict(resource_id="vpc-0123456789abcdef0", log_group_name=GROUP), "deliver_logs_permission_arn"),
        (dict(resource_id="vpc-0123456789abcdef0", deliver_logs_permission_arn=ROLE), "log_group_name"),
        (dict(resource_id="vpc-0123456789abcdef0", log_destination_type="s3"), "log_destination"),
        (
            dict(
                resource_id="vpc-0123456789abcdef0",
                log_destination_type="s3",
                log_destination=f"arn:aws:s3:::{BUCKET}",
                log_group_name=GROUP,
            ),
            "log_group_name can only be used",
        ),
        (
            dict(
                resource_id="vpc-0123456789abcdef0",
                log_destination_type="s3",
                log_destination=f"arn:aws:s3:::{BUCKET}",
                deliver_logs_permission_arn=ROLE,
            ),
            "deliver_logs_permission_arn can only be used",
        ),
        (dict(log_group_name=GROUP, deliver_logs_permission_arn=ROLE), "resource_id"),
        (dict(state="absent"), "resource_id, flow_log_id"),
        (dict(flow_log_id="fl-0123456789abcdef0", resource_id="vpc-0123456789abcdef0"), "flow_log_id is only used"),
        (
            dict(
                resource_id="vpc-0123456789abcdef0",
                log_group_name=GROUP,
                deliver_logs_permission_arn=ROLE,
                max_aggregation_interval=120,
            ),
            "max_aggregation_interval",
        ),
    ],
    ids=[
        "cwl-without-role",
        "cwl-without-group",
        "s3-without-arn",
        "s3-with-group",
        "s3-with-role",
        "present-without-resource",
        "absent-without-target",
        "id-with-present",
        "bad-interval",
    ],
)
def test_bad_input_fails_before_any_change(aws, check_mode, args, message):
    failure = run_failing(args, check_mode=check_mode)
    assert message in failure["msg"]
    assert aws.describe_flow_logs()["FlowLogs"] == []


def test_missing_vpc_fails_naming_it(aws):
    failure = run_failing(cwl_args("vpc-0123456789abcdef0"))
    assert failure["msg"].startswith("Failed to create flow log on vpc-0123456789abcdef0: ")
    assert "InvalidVpcID.NotFound" in failure["msg"]


def test_unsuccessful_create_is_reported(aws, vpc_id):
    # CreateFlowLogs answers HTTP 200 with an Unsuccessful item when the bucket does not exist.
    failure = run_failing(
        dict(resource_id=vpc_id, log_destination_type="s3", log_destination="arn:aws:s3:::no-such-bucket")
    )
    assert failure["msg"].startswith(f"Failed to create flow log on {vpc_id}: ")
    assert "no-such-bucket" in failure["msg"]


def test_log_group_given_as_arn_is_the_same_destination(aws, vpc_id):
    group_arn = f"arn:aws:logs:{REGION}:123456789012:log-group:{GROUP}:*"
    created = run(cwl_args(vpc_id))["flow_log"]

    by_arn = dict(resource_id=vpc_id, log_destination=group_arn, deliver_logs_permission_arn=ROLE)
    assert run(by_arn)["changed"] is False
    result = run(dict(by_arn, state="absent"))
    assert result["changed"] is True
    assert result["diff"]["before"]["flow_log_id"] == created["flow_log_id"]
    assert flow_logs_on(aws, vpc_id) == []

    created = run(by_arn)["flow_log"]
    assert created["flow_log_id"]
    assert run(by_arn)["changed"] is False
    assert run(cwl_args(vpc_id))["changed"] is False


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_replacement_keeps_an_unmanaged_log_format(aws, vpc_id, check_mode):
    custom = "${version} ${vpc-id} ${srcaddr} ${dstaddr} ${action}"
    run(cwl_args(vpc_id, log_format=custom))

    result = run(cwl_args(vpc_id, traffic_type="REJECT"), check_mode=check_mode)

    assert result["changed"] is True
    assert result["flow_log"]["log_format"] == custom
    assert flow_logs_on(aws, vpc_id)[0]["LogFormat"] == custom
