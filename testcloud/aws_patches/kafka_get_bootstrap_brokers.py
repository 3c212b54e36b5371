"""MSK GetBootstrapBrokers answers the brokers' connection strings.

AWS: GetBootstrapBrokers returns ``BootstrapBrokerString`` (plaintext, port 9092) and/or
``BootstrapBrokerStringTls`` (port 9094) by the cluster's client-broker encryption (``TLS`` only
TLS, ``PLAINTEXT`` only plaintext, ``TLS_PLAINTEXT`` both; default ``TLS``), one
``b-<n>.<cluster>.<id>.c<k>.kafka.<region>.amazonaws.com`` host per broker (at most 3 listed).
community.aws ``msk_cluster`` calls it whenever the cluster is ``ACTIVE``.

moto 5.2.5: not implemented (HTTP 500), so every ``msk_cluster`` run on an active cluster fails.
"""

import json
from urllib.parse import unquote

from moto.kafka.responses import KafkaResponse

from testcloud.aws_patches.kafka_cluster_not_found import check_known

MARKER = "_testcloud_get_bootstrap_brokers"


def bootstrap_brokers(cluster):
    """The GetBootstrapBrokers answer (JSON field names) for a moto cluster."""
    in_transit = (cluster.encryption_info or {}).get("encryptionInTransit") or {}
    client_broker = in_transit.get("clientBroker", "TLS")
    short_id = cluster.cluster_id.replace("-", "")[:6]
    count = min(int(cluster.number_of_broker_nodes or 1), 3)
    hosts = [
        f"b-{n}.{cluster.cluster_name}.{short_id}.c2.kafka.{cluster.region_name}.amazonaws.com"
        for n in range(1, count + 1)
    ]
    answer = {}
    if client_broker in ("PLAINTEXT", "TLS_PLAINTEXT"):
        answer["bootstrapBrokerString"] = ",".join(f"{host}:9092" for host in hosts)
    if client_broker in ("TLS", "TLS_PLAINTEXT"):
        answer["bootstrapBrokerStringTls"] = ",".join(f"{host}:9094" for host in hosts)
    return answer


def _respond(self):
    cluster_arn = unquote(self.parsed_url.path.split("/clusters/", 1)[-1].removesuffix("/bootstrap-brokers"))
    check_known(self.kafka_backend, cluster_arn)
    return json.dumps(bootstrap_brokers(self.kafka_backend.clusters[cluster_arn]))


def apply():
    """Add the response handler (moto's URL pattern for clusters already routes the path)."""
    if getattr(KafkaResponse, MARKER, False):
        return False
    KafkaResponse.get_bootstrap_brokers = _respond
    setattr(KafkaResponse, MARKER, True)
    return True
