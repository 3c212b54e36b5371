"""A new ElastiCache replication group reports ``creating`` for the simulated creation time.

AWS: CreateReplicationGroup answers ``Status: creating``; the group becomes ``available`` minutes
later (boto3's ``replication_group_available`` waiter and modules poll for it).

moto 5.2.5: the group is ``available`` at once. The state is computed from the creation time at
describe time (``STRATA_TESTCLOUD_CREATE_SECONDS[_ELASTICACHE]``, default 0 = immediate).
"""

from moto.elasticache.models import ReplicationGroup

from testcloud.aws_patches._creation import install_creation_state


def apply():
    """Turn ``ReplicationGroup.status`` into a property computed from the creation time."""
    return install_creation_state(ReplicationGroup, "status", "ELASTICACHE", "creating", "available")
