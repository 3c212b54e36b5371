"""Unit tests for strata.platform.ec2_vpc_flow_log_info, driven like Ansible drives a module, against moto."""

import functools

import boto3
import pytest

from ansible_collections.strata.platform.plugins.module_utils._aws.flow_logs import FLOW_LOG_KEYS
from ansible_collections.strata.platform.plugins.modules import ec2_vpc_flow_log_info
from _harness import REGION
from _harness import run as run_module
from _harness import run_failing

ROLE = "arn:aws:iam::123456789012:role/flow-logs"
GROUP = "/fsm/dev/vpc-flow-logs"
BUCKET = "fsm-dev-flow-logs"


@pytest.fixture
def aws(aws):
    """The shared moto fixture, with the log group and the bucket the flow logs deliver to."""
    boto3.client("logs", region_name=REGION).create_log_group(logGroupName=GROUP)
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
    return aws


@pytest.fixture
def landscape(aws):
    """Two VPCs: vpc_a with a CloudWatch Logs flow log (ALL) and an S3 one (REJECT); vpc_b with one (ACCEPT)."""
    vpc_a = aws.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    vpc_b = aws.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]

    def create(vpc_id, traffic_type, env, **destination):
        return aws.create_flow_logs(
            ResourceType="VPC",
            ResourceIds=[vpc_id],
            TrafficType=traffic_type,
            TagSpecifications=[{"ResourceType": "vpc-flow-log", "Tags": [{"Key": "Environment", "Value": env}]}],
            **destination,
        )["FlowLogIds"][0]

    cwl = dict(LogDestinationType="cloud-watch-logs", LogGroupName=GROUP, DeliverLogsPermissionArn=ROLE)
    s3 = dict(LogDestinationType="s3", LogDestination=f"arn:aws:s3:::{BUCKET}")
    return {
        "vpc_a": vpc_a,
        "vpc_b": vpc_b,
        "a_cwl": create(vpc_a, "ALL", "dev", **cwl),
        "a_s3": create(vpc_a, "REJECT", "prod", **s3),
        "b_cwl": create(vpc_b, "ACCEPT", "prod", **cwl),
    }


run = functools.partial(run_module, ec2_vpc_flow_log_info)


def ids(result):
    return sorted(fl["flow_log_id"] for fl in result["flow_logs"])


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_lists_everything_by_default(landscape, check_mode):
    result = run({}, check_mode=check_mode)
    assert result["changed"] is False
    assert ids(result) == sorted([landscape["a_cwl"], landscape["a_s3"], landscape["b_cwl"]])


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_by_id_returns_the_normalised_shape(landscape, check_mode):
    result = run({"flow_log_ids": [landscape["a_cwl"]]}, check_mode=check_mode)

    assert len(result["flow_logs"]) == 1
    flow_log = result["flow_logs"][0]
    assert set(flow_log) == set(FLOW_LOG_KEYS)
    assert flow_log["flow_log_id"] == landscape["a_cwl"]
    assert flow_log["resource_id"] == landscape["vpc_a"]
    assert flow_log["traffic_type"] == "ALL"
    assert flow_log["log_destination_type"] == "cloud-watch-logs"
    assert flow_log["log_group_name"] == GROUP
    assert flow_log["deliver_logs_permission_arn"] == ROLE
    assert flow_log["max_aggregation_interval"] == 600
    assert flow_log["flow_log_status"] == "ACTIVE"
    assert flow_log["tags"] == {"Environment": "dev"}
    assert isinstance(flow_log["creation_time"], str)


def test_by_resource_ids(landscape):
    assert ids(run({"resource_ids": [landscape["vpc_a"]]})) == sorted([landscape["a_cwl"], landscape["a_s3"]])
    assert ids(run({"resource_ids": [landscape["vpc_a"], landscape["vpc_b"]]})) == sorted(
        [landscape["a_cwl"], landscape["a_s3"], landscape["b_cwl"]]
    )


@pytest.mark.parametrize(
    "filters, expected",
    [
        ({"tag:Environment": "prod"}, ["a_s3", "b_cwl"]),
        ({"traffic-type": "REJECT"}, ["a_s3"]),
        ({"log-destination-type": "cloud-watch-logs"}, ["a_cwl", "b_cwl"]),
        ({"log-group-name": GROUP, "traffic-type": ["ALL", "ACCEPT"]}, ["a_cwl", "b_cwl"]),
    ],
    ids=["tag", "traffic-type", "destination-type", "two-filters"],
)
def test_by_filters(landscape, filters, expected):
    assert ids(run({"filters": filters})) == sorted(landscape[name] for name in expected)


def test_options_combine(landscape):
    result = run({"resource_ids": [landscape["vpc_a"]], "filters": {"tag:Environment": "prod"}})
    assert ids(result) == [landscape["a_s3"]]

    result = run({"flow_log_ids": [landscape["a_cwl"], landscape["b_cwl"]], "resource_ids": [landscape["vpc_b"]]})
    assert ids(result) == [landscape["b_cwl"]]

    # resource_ids and a resource-id filter must both match
    result = run({"resource_ids": [landscape["vpc_a"]], "filters": {"resource-id": landscape["vpc_b"]}})
    assert result["flow_logs"] == []


def test_nothing_found_is_an_empty_list(aws):
    assert run({"resource_ids": ["vpc-0123456789abcdef0"]})["flow_logs"] == []
    assert run({"flow_log_ids": ["fl-0123456789abcdef0"]})["flow_logs"] == []


def test_bad_option_type_fails(aws):
    failure = run_failing(ec2_vpc_flow_log_info, {"filters": ["traffic-type", "ALL"]})
    assert "filters" in failure["msg"]
