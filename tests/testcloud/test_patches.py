"""One test per fidelity patch (testcloud/aws_patches/): the test cloud behaves like AWS."""

import ast
import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from testcloud.aws_patches import PATCH_MODULES


def error_code(excinfo):
    """The AWS error code of a raised ClientError."""
    return excinfo.value.response["Error"]["Code"]


def create_nat(ec2, network, name=None, **params):
    """A NAT gateway in the network's subnet with its EIP (tagged Name=name if given)."""
    if name:
        params["TagSpecifications"] = [{"ResourceType": "natgateway", "Tags": [{"Key": "Name", "Value": name}]}]
    params.setdefault("AllocationId", network["eip"])
    return ec2.create_nat_gateway(SubnetId=network["subnet"], **params)["NatGateway"]


def test_every_patch_module_is_tested():
    """Each patch has a ``test_<patch name>`` here or in a sibling ``test_patches_<service>.py``."""
    tested = set()
    for path in Path(__file__).parent.glob("test_patches*.py"):
        functions = ast.parse(path.read_text(encoding="utf-8")).body
        tested |= {node.name[len("test_"):] for node in functions if isinstance(node, ast.FunctionDef)}
    assert set(PATCH_MODULES) <= tested


def test_ec2_describe_tags_resource_types(ec2, network):
    ec2.create_tags(Resources=[network["eip"]], Tags=[{"Key": "Name", "Value": "eip-a"}])
    nat = create_nat(ec2, network, name="nat-a")["NatGatewayId"]

    def tags_of(resource_type):
        found = ec2.describe_tags(Filters=[{"Name": "resource-type", "Values": [resource_type]}])["Tags"]
        return [(tag["ResourceId"], tag["ResourceType"], tag["Value"]) for tag in found]

    assert tags_of("natgateway") == [(nat, "natgateway", "nat-a")]
    assert tags_of("elastic-ip") == [(network["eip"], "elastic-ip", "eip-a")]


def test_ec2_nat_gateway_tag_filters(ec2, network):
    first = create_nat(ec2, network, name="nat-a")["NatGatewayId"]
    second_eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    second = create_nat(ec2, network, name="nat-b", AllocationId=second_eip)["NatGatewayId"]

    def ids(*filters):
        found = ec2.describe_nat_gateways(Filters=[{"Name": n, "Values": v} for n, v in filters])["NatGateways"]
        return sorted(gateway["NatGatewayId"] for gateway in found)

    assert ids(("tag:Name", ["nat-a"])) == [first]
    assert ids(("tag:Name", ["nat-b"]), ("vpc-id", [network["vpc"]]), ("state", ["available"])) == [second]
    assert ids(("tag:Name", ["nat-c"])) == []
    assert ids(("tag-key", ["Name"])) == sorted([first, second])


def test_ec2_nat_gateway_delete_frees_eip(ec2, network):
    nat = create_nat(ec2, network)
    eni = nat["NatGatewayAddresses"][0]["NetworkInterfaceId"]
    ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])

    address = ec2.describe_addresses(AllocationIds=[network["eip"]])["Addresses"][0]
    assert "AssociationId" not in address
    assert eni not in [i["NetworkInterfaceId"] for i in ec2.describe_network_interfaces()["NetworkInterfaces"]]
    assert create_nat(ec2, network)["State"] == "available"  # the freed EIP is reusable
    ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])  # deleting a deleted gateway again is fine


def test_ec2_nat_gateway_not_found(ec2, network):
    unknown = "nat-0123456789abcdef0"
    with pytest.raises(ClientError) as deleted:
        ec2.delete_nat_gateway(NatGatewayId=unknown)
    with pytest.raises(ClientError) as described:
        ec2.describe_nat_gateways(NatGatewayIds=[unknown])
    assert error_code(deleted) == error_code(described) == "NatGatewayNotFound"

    gone = create_nat(ec2, network)["NatGatewayId"]
    ec2.delete_nat_gateway(NatGatewayId=gone)
    assert ec2.describe_nat_gateways(NatGatewayIds=[gone])["NatGateways"][0]["State"] == "deleted"


def test_ec2_nat_gateway_client_token(ec2, network):
    first = create_nat(ec2, network, ClientToken="token-1")
    again = create_nat(ec2, network, ClientToken="token-1")
    assert again["NatGatewayId"] == first["NatGatewayId"]
    assert again["CreateTime"] == first["CreateTime"]
    assert len(ec2.describe_nat_gateways()["NatGateways"]) == 1

    other_eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    with pytest.raises(ClientError) as mismatch:
        create_nat(ec2, network, ClientToken="token-1", AllocationId=other_eip)
    assert error_code(mismatch) == "IdempotentParameterMismatch"


def test_ec2_flow_log_group_name(ec2, aws_client, network):
    logs, iam = aws_client("logs"), aws_client("iam")
    logs.create_log_group(logGroupName="/strata/flow-logs")
    group_arn = logs.describe_log_groups()["logGroups"][0]["arn"]  # ends with ":*"
    trust = {"Version": "2012-10-17", "Statement": []}
    role = iam.create_role(RoleName="flow-logs", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    created = ec2.create_flow_logs(
        ResourceIds=[network["vpc"]],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="cloud-watch-logs",
        LogDestination=group_arn,
        DeliverLogsPermissionArn=role,
    )
    assert created["Unsuccessful"] == []

    by_name = [{"Name": "log-group-name", "Values": ["/strata/flow-logs"]}]
    flow_log = ec2.describe_flow_logs(Filters=by_name)["FlowLogs"][0]
    assert flow_log["FlowLogId"] == created["FlowLogIds"][0]
    assert flow_log["LogGroupName"] == "/strata/flow-logs"
    assert flow_log["LogDestination"] == group_arn
    assert flow_log["DeliverLogsStatus"] == "SUCCESS"


def default_group(ec2, vpc):
    """The VPC's default security group."""
    filters = [{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
    return ec2.describe_security_groups(Filters=filters)["SecurityGroups"][0]


def test_ec2_default_security_group_self_ingress(ec2, network):
    group = default_group(ec2, network["vpc"])
    [ingress] = group["IpPermissions"]
    assert ingress["IpProtocol"] == "-1"
    assert [pair["GroupId"] for pair in ingress["UserIdGroupPairs"]] == [group["GroupId"]]
    assert [rule["CidrIp"] for rule in group["IpPermissionsEgress"][0]["IpRanges"]] == ["0.0.0.0/0"]

    # Lockdown: revoke both; revoking again is InvalidPermission.NotFound (moto matches AWS there).
    ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=group["IpPermissions"])
    ec2.revoke_security_group_egress(GroupId=group["GroupId"], IpPermissions=group["IpPermissionsEgress"])
    locked = default_group(ec2, network["vpc"])
    assert (locked["IpPermissions"], locked["IpPermissionsEgress"]) == ([], [])
    with pytest.raises(ClientError) as again:
        ec2.revoke_security_group_egress(GroupId=group["GroupId"], IpPermissions=group["IpPermissionsEgress"])
    assert error_code(again) == "InvalidPermission.NotFound"


def test_ec2_default_security_group_undeletable(ec2, network):
    group_id = default_group(ec2, network["vpc"])["GroupId"]
    with pytest.raises(ClientError) as refused:
        ec2.delete_security_group(GroupId=group_id)
    assert error_code(refused) == "CannotDelete"

    ec2.delete_subnet(SubnetId=network["subnet"])
    ec2.delete_vpc(VpcId=network["vpc"])  # the group goes with its VPC
    assert not ec2.describe_security_groups(Filters=[{"Name": "group-id", "Values": [group_id]}])["SecurityGroups"]
