"""The AWS-managed IAM policies the iam role attaches exist in the test cloud (MOTO_IAM_LOAD_MANAGED_POLICIES)."""

import json

import pytest

# The iam role's service roles (EKS cluster and nodes, RDS enhanced monitoring, AWS Backup).
MANAGED_POLICIES = (
    "AmazonEKSClusterPolicy",
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
    "service-role/AmazonRDSEnhancedMonitoringRole",
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
)
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


@pytest.fixture
def iam(aws_cloud, aws_client):
    """IAM client on an emptied test cloud."""
    return aws_client("iam")


def test_aws_managed_policies_attach(iam):
    iam.create_role(RoleName="strata-dev-svc", Path="/strata/", AssumeRolePolicyDocument=json.dumps(TRUST))
    arns = [f"arn:aws:iam::aws:policy/{name}" for name in MANAGED_POLICIES]
    for arn in arns:
        policy = iam.get_policy(PolicyArn=arn)["Policy"]
        assert (policy["Path"] + policy["PolicyName"]).lstrip("/") == arn.split(":policy/", 1)[1]
        iam.attach_role_policy(RoleName="strata-dev-svc", PolicyArn=arn)
    attached = iam.list_attached_role_policies(RoleName="strata-dev-svc")["AttachedPolicies"]
    assert sorted(policy["PolicyArn"] for policy in attached) == sorted(arns)
