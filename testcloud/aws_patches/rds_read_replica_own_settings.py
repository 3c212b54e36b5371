"""A read replica is a DB instance of its own.

AWS: CreateDBInstanceReadReplica creates a separate instance: it starts ``creating`` (minutes), with backups
off (``BackupRetentionPeriod`` 0), only the tags it is given, and no master user secret of its own (the
password is its source's, by physical replication); changing or deleting it leaves its source alone.

moto 5.2.5: the replica is a shallow copy of its source. It shares the source's lists (log exports,
security groups, ...), so ``CloudwatchLogsExportConfiguration`` on the replica changes the source too;
it shares the source's ``MasterUserSecret``, so deleting the replica deletes the source's secret in
Secrets Manager; it keeps the source's backup retention; and it inherits the source's creation time, so
the simulated creation time (``rds_db_instance_creating``) is already over.
"""

import copy

from moto.core.utils import utcnow
from moto.rds.models import RDSBackend

from testcloud.aws_patches._patching import wrap_method

PATCH_NAME = __name__.rsplit(".", 1)[-1]
# Where rds_db_instance_creating (testcloud.aws_patches._creation) keeps an instance's creation time.
CREATION_TIME = "_testcloud_created_at"


def _make_wrapper(original):
    def create_db_instance_read_replica(self, db_kwargs):
        source = self.find_db_from_id(db_kwargs["source_db_instance_identifier"])
        source_state = vars(source)
        replica = original(self, db_kwargs)
        state = vars(replica)
        for name, value in list(state.items()):
            if isinstance(value, (list, dict, set)) and value is source_state.get(name):
                state[name] = copy.deepcopy(value)
        if "tags" not in db_kwargs:
            replica.tags = []
        replica.backup_retention_period = 0
        state.pop("master_user_secret", None)
        replica.manage_master_user_password = False
        replica.created = replica.instance_create_time = utcnow()
        # Restart the simulated creation time (a no-op without rds_db_instance_creating).
        state.pop(CREATION_TIME, None)
        replica.status = "available"
        return replica

    return create_db_instance_read_replica


def apply():
    """Give a new replica its own copies, backups off, no secret and a creation time of its own."""
    return wrap_method(RDSBackend, "create_db_instance_read_replica", PATCH_NAME, _make_wrapper)
