"""RDS answers ``DBParameterGroupNotFound`` when DescribeDBParameterGroups names a group that does not exist.

AWS: DescribeDBParameterGroups with ``DBParameterGroupName`` of a group that does not exist fails with
the client error ``DBParameterGroupNotFound`` (HTTP 404, "DBParameterGroup not found: <name>"). Group
names are case-insensitive (stored in lowercase), so ``MyGroup`` finds ``mygroup``.

moto 5.2.5: answers an empty ``DBParameterGroups`` list, and compares the name case-sensitively
(``MyGroup`` is not found although ``mygroup`` exists). amazon.aws ``rds_instance_param_group`` then
fails with "list index out of range", and code written for AWS's error never sees it.
"""

from moto.rds.exceptions import RDSClientError
from moto.rds.models import RDSBackend

from testcloud.aws_patches._patching import wrap_method

PATCH_NAME = __name__.rsplit(".", 1)[-1]


class DBParameterGroupNotFound(RDSClientError):
    """The AWS client error for an unknown DB parameter group name."""

    def __init__(self, name):
        super().__init__("DBParameterGroupNotFound", f"DBParameterGroup not found: {name}")


def _make_describe_wrapper(original):
    def describe_db_parameter_groups(self, db_parameter_group_kwargs):
        name = (db_parameter_group_kwargs or {}).get("db_parameter_group_name")
        if not name:
            return original(self, db_parameter_group_kwargs)
        group = self.db_parameter_groups.get(name.lower())
        if group is None:
            raise DBParameterGroupNotFound(name)
        return [group]

    return describe_db_parameter_groups


def apply():
    """Raise the AWS error from the backend's describe (DescribeDBParameters uses it too)."""
    return wrap_method(RDSBackend, "describe_db_parameter_groups", PATCH_NAME, _make_describe_wrapper)
