"""A new RDS DB instance reports ``creating`` for the simulated creation time, then ``available``.

AWS: CreateDBInstance answers ``DBInstanceStatus: creating`` and the instance takes minutes to become
``available``; modules (amazon.aws ``rds_instance`` with ``wait``) and roles poll for it.

moto 5.2.5: the instance is ``available`` at once, so nothing that waits is ever exercised. The
state is computed from the creation time at describe time (``STRATA_TESTCLOUD_CREATE_SECONDS[_RDS]``,
default 0 = immediate, as moto).
"""

from moto.rds.models import DBInstance

from testcloud.aws_patches._creation import install_creation_state


def apply():
    """Turn ``DBInstance.status`` into a property computed from the creation time."""
    return install_creation_state(DBInstance, "status", "RDS", "creating", "available")
