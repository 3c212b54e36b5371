"""MSK ListClusters answers the full ``ClusterInfo`` of each cluster, like DescribeCluster.

AWS: ListClusters' ``ClusterInfoList`` holds complete ``ClusterInfo`` objects (broker node group,
``CurrentBrokerSoftwareInfo``, ``CurrentVersion``, monitoring, logging, ...). community.aws
``msk_cluster`` finds the cluster by name with ListClusters and compares those fields on a re-run.

moto 5.2.5: only ARN, name, state, creation time and type, so every re-run of ``msk_cluster``
fails with ``KeyError: 'NumberOfBrokerNodes'``. Also, moto answers a made-up configuration ARN
``"string"`` for a cluster created without one; AWS leaves ``ConfigurationArn`` out.
"""

from moto.kafka.models import KafkaBackend

from testcloud.aws_patches._patching import wrap_method

PATCH_NAME = __name__.rsplit(".", 1)[-1]


def _make_list_wrapper(original):
    def list_clusters(self, cluster_name_filter):
        listed = original(self, cluster_name_filter)
        return [self.describe_cluster(item["clusterArn"]) for item in listed]

    return list_clusters


def _make_describe_wrapper(original):
    def describe_cluster(self, cluster_arn):
        info = original(self, cluster_arn)
        info["clusterType"] = self.clusters[cluster_arn].cluster_type
        software = info.get("currentBrokerSoftwareInfo", {})
        if not (self.clusters[cluster_arn].configuration_info or {}).get("arn"):
            software.pop("configurationArn", None)
            software.pop("configurationRevision", None)
        return info

    return describe_cluster


def apply():
    """List through DescribeCluster; drop the made-up configuration ARN."""
    listed = wrap_method(KafkaBackend, "list_clusters", PATCH_NAME, _make_list_wrapper)
    described = wrap_method(KafkaBackend, "describe_cluster", PATCH_NAME, _make_describe_wrapper)
    return listed or described
