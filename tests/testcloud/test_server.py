"""The AWS test cloud server: lifecycle, call counting, control endpoints, environment."""

import io
import json
import os
import urllib.error
import urllib.request

import pytest

from testcloud._process import CloudNotConfigured, no_proxy_opener, pid_alive
from testcloud.aws import ENDPOINT_ENV, UNSET_VARS, AwsTestCloud, StatsClient, stats_from_env
from testcloud.aws_counting import classify

SIGNED = "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=x"


def request(method, url):
    """(status, decoded JSON) of a body-less request, HTTP errors included."""
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with no_proxy_opener().open(req, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


# -- lifecycle ---------------------------------------------------------------------------------


def test_start_answers_and_stop_ends_the_process(tmp_path):
    cloud = AwsTestCloud(log_path=tmp_path / "aws.log")
    with cloud:
        pid = cloud.pid
        assert pid_alive(pid)
        assert cloud.endpoint.startswith("http://127.0.0.1:")
        assert cloud.stats()["total"] == 0
    assert cloud.pid is None
    assert not pid_alive(pid)
    cloud.stop()  # idempotent


def test_env_points_clients_at_the_cloud(aws_testcloud):
    base = {"AWS_PROFILE": "prod", "AWS_SESSION_TOKEN": "t", "AWS_ENDPOINT_URL_EC2": "https://x", "NO_PROXY": "corp"}
    env = aws_testcloud.env(base)
    endpoint = aws_testcloud.endpoint
    assert env["AWS_ENDPOINT_URL"] == env["AWS_URL"] == env[ENDPOINT_ENV] == endpoint
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("testing", "testing")
    assert env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["NO_PROXY"] == env["no_proxy"] == "corp,127.0.0.1,localhost"
    assert not {"AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_EC2"} & set(env)
    assert set(UNSET_VARS) <= set(aws_testcloud.unset_vars(base))


def test_stats_from_env_needs_the_endpoint_variable(aws_testcloud):
    assert stats_from_env({ENDPOINT_ENV: aws_testcloud.endpoint})["total"] >= 0
    with pytest.raises(CloudNotConfigured):
        stats_from_env({})


def test_aws_cloud_env_fixture_sets_this_process_environment(aws_cloud_env):
    assert os.environ[ENDPOINT_ENV] == aws_cloud_env.endpoint
    assert "AWS_PROFILE" not in os.environ
    assert StatsClient.from_env().stats()["total"] == 0


# -- counting ----------------------------------------------------------------------------------


def test_query_protocol_reads_and_writes_are_counted(aws_cloud, aws_client):
    ec2 = aws_client("ec2")
    ec2.describe_vpcs()
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]
    stats = aws_cloud.stats()
    assert vpc["CidrBlock"] == "10.30.0.0/16"  # the form body still reached moto
    assert stats["by_action"] == {"ec2:DescribeVpcs": 1, "ec2:CreateVpc": 1}
    assert stats["mutating_actions"] == {"ec2:CreateVpc": 1}
    assert (stats["read"], stats["mutating"], stats["total"]) == (1, 1, 2)


def test_json_protocol_calls_are_counted_by_target(aws_cloud, aws_client):
    logs = aws_client("logs")
    logs.create_log_group(logGroupName="counted")
    logs.describe_log_groups()
    stats = aws_cloud.stats()
    assert stats["by_action"] == {"logs:CreateLogGroup": 1, "logs:DescribeLogGroups": 1}
    assert stats["mutating_actions"] == {"logs:CreateLogGroup": 1}


def test_rest_calls_are_counted_by_method(aws_cloud, aws_client):
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="counted")
    s3.list_buckets()
    stats = aws_cloud.stats()
    assert stats["by_action"] == {"s3:PUT /counted": 1, "s3:GET /": 1}
    assert (stats["read"], stats["mutating"]) == (1, 1)


def test_control_and_moto_api_requests_are_not_counted(aws_cloud):
    assert request("GET", f"{aws_cloud.endpoint}/moto-api/data.json")[0] == 200
    assert request("GET", f"{aws_cloud.endpoint}/_testcloud/stats")[1]["total"] == 0


def test_unknown_or_misused_control_endpoints_are_refused(aws_testcloud):
    assert request("GET", f"{aws_testcloud.endpoint}/_testcloud/nothing")[0] == 404
    assert request("GET", f"{aws_testcloud.endpoint}/_testcloud/reset")[0] == 405


def test_stats_reset_keeps_resources(aws_cloud, aws_client):
    ec2 = aws_client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.31.0.0/16")["Vpc"]["VpcId"]
    assert aws_cloud.reset_stats()["total"] == 0
    assert aws_cloud.stats() == {"read": 0, "mutating": 0, "total": 0, "by_action": {}, "mutating_actions": {}}
    assert ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"]


def test_state_reset_removes_resources_and_counts(aws_cloud, aws_client):
    logs = aws_client("logs")
    logs.create_log_group(logGroupName="forgotten")
    assert aws_cloud.reset() == {"status": "ok"}
    assert aws_cloud.stats()["total"] == 0
    assert logs.describe_log_groups()["logGroups"] == []


# -- classification (no server) ----------------------------------------------------------------


def environ(method="POST", path="/", query="", body=b"", service="ec2", **headers):
    """A minimal WSGI environ for classify()."""
    env = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8" if body else "",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    if service:
        env["HTTP_AUTHORIZATION"] = SIGNED.format(service=service)
    env.update({f"HTTP_{key.upper()}": value for key, value in headers.items()})
    return env


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (environ(body=b"Action=DescribeVpcs&Version=2016-11-15"), ("ec2:DescribeVpcs", True)),
        (environ(body=b"Action=CreateVpc&CidrBlock=10.0.0.0%2F16"), ("ec2:CreateVpc", False)),
        (environ(method="GET", query="Action=GetRole&RoleName=x", service="iam"), ("iam:GetRole", True)),
        (environ(service="kms", x_amz_target="TrentService.ListKeys"), ("kms:ListKeys", True)),
        (environ(service="logs", x_amz_target="Logs_20140328.PutRetentionPolicy"), ("logs:PutRetentionPolicy", False)),
        (environ(method="HEAD", path="/bucket", service="s3"), ("s3:HEAD /bucket", True)),
        (environ(method="DELETE", path="/backup-vaults/v", service="backup"), ("backup:DELETE /backup-vaults/v", False)),
        (environ(method="GET", path="/b/k", query="X-Amz-Credential=AK%2F20260101%2Fus-east-1%2Fs3%2Faws4_request", service=None), ("s3:GET /b/k", True)),
        (environ(body=b"Action=AssumeRoleWithWebIdentity", service=None), ("unknown:AssumeRoleWithWebIdentity", False)),
    ],
)
def test_classify(env, expected):
    assert classify(env) == expected


def test_classify_leaves_the_body_readable():
    env = environ(body=b"Action=CreateVpc&CidrBlock=10.0.0.0%2F16")
    classify(env)
    assert env["wsgi.input"].read() == b"Action=CreateVpc&CidrBlock=10.0.0.0%2F16"
