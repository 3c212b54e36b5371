"""Tests of the KMS fidelity patches (testcloud/aws_patches/kms_*): the test cloud behaves like AWS."""

from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def kms(aws_cloud, aws_client):
    """KMS client on an emptied test cloud."""
    return aws_client("kms")


def test_kms_key_arn_as_key_id(kms):
    arn = kms.create_key(Description="strata dev data")["KeyMetadata"]["Arn"]

    def state():
        return kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"]

    kms.disable_key(KeyId=arn)
    assert state() == "Disabled"
    kms.enable_key(KeyId=arn)
    assert state() == "Enabled"

    scheduled = kms.schedule_key_deletion(KeyId=arn, PendingWindowInDays=7)
    assert state() == "PendingDeletion"
    in_a_week = datetime.now(timezone.utc) + timedelta(days=7)
    assert abs(scheduled["DeletionDate"] - in_a_week) < timedelta(minutes=5)
    kms.cancel_key_deletion(KeyId=arn)
    assert state() == "Disabled"  # AWS: a cancelled deletion leaves the key disabled

    primary = kms.create_key(MultiRegion=True)["KeyMetadata"]["Arn"]
    replica = kms.replicate_key(KeyId=primary, ReplicaRegion="eu-west-1")["ReplicaKeyMetadata"]
    assert replica["Arn"] == primary.replace(":us-east-1:", ":eu-west-1:")

    with pytest.raises(ClientError) as missing:
        kms.schedule_key_deletion(KeyId=arn.rsplit("/", 1)[0] + "/0b7c3a54-4a0e-4d59-9c4f-7e2a1f1b2c3d")
    assert missing.value.response["Error"]["Code"] == "NotFoundException"
