"""RDS refuses to delete a DB parameter group that DB instances use, and the default groups.

AWS: DeleteDBParameterGroup fails with ``InvalidDBParameterGroupState`` (HTTP 400) while any DB
instance (a read replica too, whatever its status) is a member of the group ("One or more database
instances are still members of this parameter group <name>, so the group cannot be deleted"), and
for a ``default.*`` group.

moto 5.2.5: deletes the group anyway; describing an instance that used it then fails (HTTP 500,
``KeyError``), and a teardown that deletes in the wrong order is never told.
"""

from moto.rds.exceptions import RDSClientError
from moto.rds.models import RDSBackend

from testcloud.aws_patches._patching import wrap_method

PATCH_NAME = __name__.rsplit(".", 1)[-1]


class InvalidDBParameterGroupState(RDSClientError):
    """The AWS client error for a DB parameter group that cannot be deleted now."""

    def __init__(self, message):
        super().__init__("InvalidDBParameterGroupState", message)


def members(backend, name):
    """The identifiers of the DB instances of ``backend`` whose parameter group is ``name``."""
    return sorted(
        instance.db_instance_identifier
        for instance in backend.databases.values()
        if (getattr(instance, "db_parameter_group_name", None) or "").lower() == name.lower()
    )


def _make_delete_wrapper(original):
    def delete_db_parameter_group(self, db_parameter_group_name):
        name = db_parameter_group_name.lower()
        if name in self.db_parameter_groups:
            if name.startswith("default."):
                raise InvalidDBParameterGroupState(f"Default DBParameterGroup cannot be deleted: {name}")
            if members(self, name):
                raise InvalidDBParameterGroupState(
                    f"One or more database instances are still members of this parameter group {name}, "
                    "so the group cannot be deleted"
                )
        return original(self, name)

    return delete_db_parameter_group


def apply():
    """Check the group's members before moto's delete runs."""
    return wrap_method(RDSBackend, "delete_db_parameter_group", PATCH_NAME, _make_delete_wrapper)
