"""Unit tests for strata.platform.ec2_vpc_flow_log_info, driven like Ansible drives a module, against moto."""

import boto3
import botocore.loaders
import botocore.session
import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from moto import mock_aws

from ansible_collections.strata.platform.plugins.module_utils._aws.flow_logs import FLOW_LOG_KEYS
from ansible_collections.strata.platform.plugins.modules import ec2_vpc_flow_log_info

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/flow-logs"
GROUP = "/fsm/dev/vpc-flow-logs"
BUCKET = "fsm-dev-flow-logs"


class ModuleExit(Exception):
    def __init__(self, result):
        super().__init__(result)
        self.result = result


class ModuleFail(Exception):
    def __init__(self, result):
        super().__init__(result.get("msg"))
        self.result = result


def _exit_json(self, **kwargs):
    kwargs.setdefault("changed", False)
    raise ModuleExit(kwargs)


def _fail_json(self, msg, **kwargs):
    kwargs["msg"] = msg
    raise ModuleFail(kwargs)


@pytest.fixture(scope="module", autouse=True)
def shared_botocore_loader():
    """Every boto3 session (one per module run) would re-read the EC2 model (~0.35 s); share one loader."""
    loader = botocore.loaders.create_loader()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", lambda *args, **kwargs: loader)
        yield


@pytest.fixture(autouse=True)
def capture_exits(monkeypatch):
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", _exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", _fail_json)


@pytest.fixture
def aws(monkeypatch):
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_URL", "AWS_ENDPOINT_URL", "EC2_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        boto3.client("logs", region_name=REGION).create_log_group(logGroupName=GROUP)
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
        yield ec2


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


def run(args, check_mode=False):
    module_args = dict(args, _ansible_check_mode=check_mode)
    with patch_module_args(module_args):
        with pytest.raises(ModuleExit) as exc:
            ec2_vpc_flow_log_info.main()
    return exc.value.result


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
    module_args = {"filters": ["traffic-type", "ALL"]}
    with patch_module_args(module_args):
        with pytest.raises(ModuleFail) as exc:
            ec2_vpc_flow_log_info.main()
    assert "filters" in exc.value.result["msg"]
