"""An MSK cluster becomes ``ACTIVE`` once its (simulated) creation time has passed.

AWS: CreateCluster answers ``State: CREATING``; the cluster becomes ``ACTIVE`` after 15-30 minutes.
community.aws ``msk_cluster`` waits for ``ACTIVE`` (``wait: true``) and refuses to update a cluster
that is not ``ACTIVE``.

moto 5.2.5: clusters stay ``CREATING`` forever, so a ``wait`` never ends and a re-run with any
change fails. The state is computed from the creation time at describe time
(``STRATA_TESTCLOUD_CREATE_SECONDS[_MSK]``, default 0 = ``ACTIVE`` at once).
"""

from moto.kafka.models import FakeKafkaCluster

from testcloud.aws_patches._creation import install_creation_state


def apply():
    """Turn ``FakeKafkaCluster.state`` into a property computed from the creation time."""
    return install_creation_state(FakeKafkaCluster, "state", "MSK", "CREATING", "ACTIVE")
