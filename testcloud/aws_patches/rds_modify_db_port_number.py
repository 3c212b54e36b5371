"""ModifyDBInstance ``DBPortNumber`` moves the instance to the new port.

AWS: ModifyDBInstance with ``DBPortNumber`` restarts the instance on that port; DescribeDBInstances then
reports it in ``Endpoint.Port``.

moto 5.2.5: the parameter is stored under a name nothing reads; the instance keeps reporting its old
port, so a module that manages the port (``rds_db_instance``) changes it again on every run.
"""

from moto.rds.models import DBInstance

from testcloud.aws_patches._patching import wrap_method

PATCH_NAME = __name__.rsplit(".", 1)[-1]


def _make_wrapper(original):
    def update(self, *args, **kwargs):
        port = kwargs.get("db_port_number")
        original(self, *args, **kwargs)
        if port is not None:
            self.port = int(port)

    return update


def apply():
    """Set the instance's port from ``db_port_number`` after moto's update."""
    return wrap_method(DBInstance, "update", PATCH_NAME, _make_wrapper)
