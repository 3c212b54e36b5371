"""Fixtures for the test-cloud tests: boto3 clients on the session's AWS test cloud."""

import boto3
import pytest
from botocore.config import Config

from testcloud.aws import ACCESS_KEY, REGION, SECRET_KEY

# No retries: a 5xx from the test cloud must fail the test at once, not after backoff.
CLIENT_CONFIG = Config(retries={"max_attempts": 1, "mode": "standard"})


@pytest.fixture(scope="session")
def aws_client(aws_testcloud):
    """``aws_client("ec2")``: a cached boto3 client on the session's test cloud."""
    clients = {}

    def client(service):
        if service not in clients:
            with pytest.MonkeyPatch.context() as patch:  # a developer's AWS_PROFILE must not apply
                for key in aws_testcloud.unset_vars():
                    patch.delenv(key, raising=False)
                session = boto3.session.Session(
                    aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION
                )
                clients[service] = session.client(service, endpoint_url=aws_testcloud.endpoint, config=CLIENT_CONFIG)
        return clients[service]

    return client


@pytest.fixture
def ec2(aws_cloud, aws_client):
    """EC2 client on an emptied test cloud."""
    return aws_client("ec2")


@pytest.fixture
def network(ec2):
    """A VPC with one subnet and one Elastic IP: ``{"vpc", "subnet", "eip"}`` ids."""
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    return {"vpc": vpc, "subnet": subnet, "eip": eip}
