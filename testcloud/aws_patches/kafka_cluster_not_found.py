"""MSK DescribeCluster and DeleteCluster answer ``NotFoundException`` for an unknown cluster ARN.

AWS: an unknown (or deleted) cluster ARN fails with the client error ``NotFoundException``
(HTTP 404). community.aws ``msk_cluster`` waits for a deletion by polling DescribeCluster until that
error.

moto 5.2.5: HTTP 500 (``KeyError``), which botocore retries before failing: ``state: absent`` with
``wait: true`` fails.
"""

from moto.kafka.exceptions import NotFoundException
from moto.kafka.models import KafkaBackend

from testcloud.aws_patches._patching import wrap_method

PATCH_NAME = __name__.rsplit(".", 1)[-1]


def check_known(backend, cluster_arn):
    """Raise the AWS error if ``backend`` holds no cluster ``cluster_arn``."""
    if cluster_arn not in backend.clusters:
        raise NotFoundException(f"The specified cluster was not found: {cluster_arn}")


def _make_wrapper(original):
    def checked(self, cluster_arn, *args, **kwargs):
        check_known(self, cluster_arn)
        return original(self, cluster_arn, *args, **kwargs)

    return checked


def apply():
    """Check the ARN before moto's describe and delete look it up."""
    applied = [wrap_method(KafkaBackend, name, PATCH_NAME, _make_wrapper) for name in ("describe_cluster", "delete_cluster")]
    return any(applied)
