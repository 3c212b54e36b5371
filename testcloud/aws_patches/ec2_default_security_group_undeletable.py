"""A VPC's default security group cannot be deleted by a user.

AWS: DeleteSecurityGroup on a VPC's ``default`` group fails with ``CannotDelete``; the group goes
away only with its VPC.

moto 5.2.5: deletes it. A teardown that deletes every security group of a VPC (instead of
skipping ``default``) passes here and fails on AWS.
"""

from moto.ec2.exceptions import EC2ClientError
from moto.ec2.responses.security_groups import SecurityGroups

from testcloud.aws_patches._patching import wrap_method

PATCH_NAME = __name__.rsplit(".", 1)[-1]


class CannotDelete(EC2ClientError):
    """The AWS client error for deleting a default security group."""

    def __init__(self, group_id):
        super().__init__(
            "CannotDelete",
            f'the specified group: "{group_id}" name: "default" cannot be deleted by a user',
        )


def requested_group(response):
    """The security group a DeleteSecurityGroup request names, or None if moto does not know it."""
    group_id = response._get_param("GroupId")  # noqa: SLF001 - moto's request accessors
    if group_id:
        return response.ec2_backend.get_security_group_from_id(group_id)
    name = response._get_param("GroupName")  # noqa: SLF001
    return response.ec2_backend.get_security_group_by_name_or_id(name) if name else None


def _make_wrapper(original):
    def delete_security_group(self):
        group = requested_group(self)
        if group is not None and group.is_default:
            raise CannotDelete(group.id)
        return original(self)

    return delete_security_group


def apply():
    """Guard the API handler only: moto's own VPC deletion still removes the group."""
    return wrap_method(SecurityGroups, "delete_security_group", PATCH_NAME, _make_wrapper)
