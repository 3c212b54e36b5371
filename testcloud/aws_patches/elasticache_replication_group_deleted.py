"""A deleted ElastiCache replication group goes away.

AWS: DeleteReplicationGroup answers the group with ``Status: deleting``; once deleted,
DescribeReplicationGroups with its id fails with ``ReplicationGroupNotFoundFault`` (boto3's
``replication_group_deleted`` waiter and ``state: absent`` modules wait for that), and the id can
be created again.

moto 5.2.5: the group stays ``deleting`` forever: a deletion wait never ends, a re-create fails
with ``ReplicationGroupAlreadyExists`` and its subnet group stays in use. The test cloud deletes
at once (the answer still says ``deleting``).
"""

from moto.elasticache.models import ElastiCacheBackend

from testcloud.aws_patches._patching import wrap_method

PATCH_NAME = __name__.rsplit(".", 1)[-1]


def _make_wrapper(original):
    def delete_replication_group(self, replication_group_id, retain_primary_cluster):
        group = original(self, replication_group_id, retain_primary_cluster)
        self.replication_groups.pop(replication_group_id, None)
        return group

    return delete_replication_group


def apply():
    """Drop the group from the backend after moto marked it ``deleting``."""
    return wrap_method(ElastiCacheBackend, "delete_replication_group", PATCH_NAME, _make_wrapper)
