"""RDS refuses a read replica of a source whose master password RDS manages in Secrets Manager.

AWS (RDS User Guide, "Limitations for Secrets Manager integration with Amazon RDS"): creating a read
replica when the source DB instance manages its master user password with Secrets Manager
(``ManageMasterUserPassword``, the instance reports ``MasterUserSecret``) is not supported, for every engine
except RDS for SQL Server. CreateDBInstanceReadReplica fails with ``InvalidParameterValue`` (HTTP 400):
"Creating read replicas for source instance with engine postgres where ManageMasterUserPassword is enabled
is not supported." (the engine is the source's), and no replica is created. Once the source's password is
its own again (ModifyDBInstance ``ManageMasterUserPassword=false`` with a ``MasterUserPassword``), the
replica can be created.

moto 5.2.5: creates the replica (a copy of the source, sharing its secret), so the test cloud would hide
a failure every real account hits.
"""

from moto.rds.exceptions import InvalidParameterValue
from moto.rds.models import RDSBackend

from testcloud.aws_patches._patching import wrap_method

PATCH_NAME = __name__.rsplit(".", 1)[-1]
MESSAGE = (
    "Creating read replicas for source instance with engine {engine} where ManageMasterUserPassword is enabled is "
    "not supported."
)


def refused(source):
    """True when AWS refuses a read replica of ``source`` (a moto DBInstance): its password is RDS-managed and
    its engine is not SQL Server."""
    managed = getattr(source, "master_user_secret", None) is not None
    return managed and not (source.engine or "").lower().startswith("sqlserver")


def _make_wrapper(original):
    def create_db_instance_read_replica(self, db_kwargs):
        # The source by identifier or ARN (another region's backend too); DBInstanceNotFound as moto answers it.
        source = self.find_db_from_id(db_kwargs["source_db_instance_identifier"])
        if refused(source):
            raise InvalidParameterValue(MESSAGE.format(engine=source.engine))
        return original(self, db_kwargs)

    return create_db_instance_read_replica


def apply():
    """Check the source before moto (and the patches that wrap moto's replica creation) create anything."""
    return wrap_method(RDSBackend, "create_db_instance_read_replica", PATCH_NAME, _make_wrapper)
