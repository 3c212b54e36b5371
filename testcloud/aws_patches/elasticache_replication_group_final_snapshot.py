"""DeleteReplicationGroup with ``FinalSnapshotIdentifier`` keeps a final snapshot.

AWS: DeleteReplicationGroup with ``FinalSnapshotIdentifier=<name>`` takes a manual snapshot of the group
before deleting it; DescribeSnapshots lists it (``ReplicationGroupId`` set) after the group is gone. A
name already in use fails with ``SnapshotAlreadyExistsFault`` and nothing is deleted.

moto 5.2.5: the parameter is ignored, so a teardown that must keep a final snapshot (staging, uat, prod)
cannot be checked. The patch takes the snapshot (moto's CreateSnapshot) before the deletion.
"""

from moto.elasticache.responses import ElastiCacheResponse

from testcloud.aws_patches._patching import wrap_method

PATCH_NAME = __name__.rsplit(".", 1)[-1]


def _make_wrapper(original):
    def delete_replication_group(self):
        name = self._get_param("FinalSnapshotIdentifier")
        group_id = self._get_param("ReplicationGroupId")
        if name and group_id in self.elasticache_backend.replication_groups:
            self.elasticache_backend.create_snapshot(name, group_id, None, None, None)
        return original(self)

    return delete_replication_group


def apply():
    """Take the final snapshot in the DeleteReplicationGroup response handler, before moto deletes."""
    return wrap_method(ElastiCacheResponse, "delete_replication_group", PATCH_NAME, _make_wrapper)
