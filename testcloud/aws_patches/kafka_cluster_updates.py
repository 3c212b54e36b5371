"""MSK cluster updates: UpdateBrokerType, UpdateBrokerCount, UpdateBrokerStorage, UpdateClusterConfiguration,
UpdateClusterKafkaVersion, UpdateMonitoring and UpdateSecurity.

AWS: each call changes an ``ACTIVE`` cluster in place and answers a ``ClusterOperationArn``; it must carry
the cluster's ``CurrentVersion`` (a stale one is ``BadRequestException``), the cluster reports
``UPDATING`` until the operation ends and then ``ACTIVE`` with a new ``CurrentVersion``; a cluster that
is not ``ACTIVE`` refuses another update (``BadRequestException``: one operation at a time). Storage only
grows; the broker count stays a multiple of the client subnets; at-rest encryption and in-cluster
encryption cannot change (UpdateSecurity changes client authentication and client-broker encryption).

moto 5.2.5: none of the seven calls exists (HTTP 500) and ``CurrentVersion`` never changes, so every
change of an existing cluster fails. The test cloud applies the change at once (DescribeCluster shows
the new values) and reports ``UPDATING`` for the simulated time (``STRATA_TESTCLOUD_CREATE_SECONDS[_MSK]``,
default 0 = ``ACTIVE`` at once).
"""

import json
import time
import uuid
from urllib.parse import unquote

from moto.kafka.exceptions import BadRequestException
from moto.kafka.models import KafkaBackend
from moto.kafka.responses import KafkaResponse
from moto.utilities.utils import get_partition

from testcloud.aws_patches._creation import create_seconds
from testcloud.aws_patches._patching import wrap_method
from testcloud.aws_patches.kafka_cluster_not_found import check_known
from testcloud.aws_patches.kafka_configurations import find as find_configuration

PATCH_NAME = __name__.rsplit(".", 1)[-1]
MARKER = "_testcloud_cluster_updates"
BUSY_UNTIL = "_testcloud_busy_until"


def _cluster_arn(response, suffix):
    """The cluster ARN of ``/v1/clusters/<arn><suffix>`` (the ARN is percent-encoded in the path)."""
    path = response.parsed_url.path.split("/v1/clusters/", 1)[-1]
    return unquote(path.removesuffix(suffix))


def _body(response):
    raw = response.body or "{}"
    return json.loads(raw if isinstance(raw, str) else raw.decode("utf-8"))


def _updatable(response, suffix):
    """``(backend, cluster, body)`` of an update request, after AWS's checks (known, ACTIVE, version)."""
    backend = response.kafka_backend
    arn = _cluster_arn(response, suffix)
    check_known(backend, arn)
    cluster = backend.clusters[arn]
    state = backend.describe_cluster(arn)["state"]
    if state != "ACTIVE":
        raise BadRequestException(
            f"The cluster {arn} is in state {state}; it can be updated only when its state is ACTIVE"
        )
    body = _body(response)
    if body.get("currentVersion") != cluster.current_version:
        raise BadRequestException(
            f"The request's currentVersion {body.get('currentVersion')!r} does not match the cluster's "
            f"current version {cluster.current_version!r}"
        )
    return backend, cluster, body


def _operation(backend, cluster):
    """Record an operation: new CurrentVersion, UPDATING for the simulated time; the answer."""
    cluster.current_version = "K" + uuid.uuid4().hex[:13].upper()
    cluster.__dict__[BUSY_UNTIL] = time.monotonic() + create_seconds("MSK")
    partition = get_partition(backend.region_name)
    operation = f"arn:{partition}:kafka:{backend.region_name}:{backend.account_id}:cluster-operation/{uuid.uuid4()}"
    return json.dumps({"clusterArn": cluster.arn, "clusterOperationArn": operation})


def _node_group(cluster):
    cluster.broker_node_group_info = dict(cluster.broker_node_group_info or {})
    return cluster.broker_node_group_info


def update_broker_type(self):
    """UpdateBrokerType."""
    backend, cluster, body = _updatable(self, "/nodes/type")
    target = body.get("targetInstanceType") or ""
    if not target.startswith("kafka."):
        raise BadRequestException(f"Unsupported broker type {target!r}")
    if target == _node_group(cluster).get("instanceType"):
        raise BadRequestException(f"The cluster's brokers are already {target}")
    _node_group(cluster)["instanceType"] = target
    return _operation(backend, cluster)


def update_broker_count(self):
    """UpdateBrokerCount: a multiple of the client subnets, different from the current count."""
    backend, cluster, body = _updatable(self, "/nodes/count")
    target = int(body.get("targetNumberOfBrokerNodes") or 0)
    zones = len(_node_group(cluster).get("clientSubnets") or []) or 1
    if target < 1 or target % zones:
        raise BadRequestException(f"The number of broker nodes must be a multiple of {zones}, got {target}")
    if target == cluster.number_of_broker_nodes:
        raise BadRequestException(f"The cluster already has {target} broker nodes")
    cluster.number_of_broker_nodes = target
    return _operation(backend, cluster)


def update_broker_storage(self):
    """UpdateBrokerStorage: EBS volumes only grow."""
    backend, cluster, body = _updatable(self, "/nodes/storage")
    targets = body.get("targetBrokerEBSVolumeInfo") or []
    if len(targets) != 1 or targets[0].get("kafkaBrokerNodeId") != "All":
        raise BadRequestException("targetBrokerEBSVolumeInfo must name kafkaBrokerNodeId 'All' once")
    size = int(targets[0].get("volumeSizeGB") or 0)
    storage = dict(_node_group(cluster).get("storageInfo") or {})
    ebs = dict(storage.get("ebsStorageInfo") or {})
    if size <= int(ebs.get("volumeSize") or 0):
        raise BadRequestException(
            f"The new volume size {size} GiB must be larger than the current {ebs.get('volumeSize')} GiB"
        )
    ebs["volumeSize"] = size
    storage["ebsStorageInfo"] = ebs
    _node_group(cluster)["storageInfo"] = storage
    return _operation(backend, cluster)


def _check_configuration(backend, configuration_info):
    """A configurationInfo that names an existing configuration revision (kafka_configurations' store)."""
    configuration_info = configuration_info or {}
    find_configuration(backend, configuration_info.get("arn")).revision(int(configuration_info.get("revision") or 0))
    return {"arn": configuration_info["arn"], "revision": int(configuration_info["revision"])}


def update_cluster_configuration(self):
    """UpdateClusterConfiguration."""
    backend, cluster, body = _updatable(self, "/configuration")
    cluster.configuration_info = _check_configuration(backend, body.get("configurationInfo"))
    return _operation(backend, cluster)


def update_cluster_kafka_version(self):
    """UpdateClusterKafkaVersion (optionally with a configuration for the new version)."""
    backend, cluster, body = _updatable(self, "/version")
    target = body.get("targetKafkaVersion") or ""
    if not target or target == cluster.kafka_version:
        raise BadRequestException(f"The cluster already runs Apache Kafka {cluster.kafka_version}")
    if body.get("configurationInfo"):
        cluster.configuration_info = _check_configuration(backend, body["configurationInfo"])
    cluster.kafka_version = target
    return _operation(backend, cluster)


def update_monitoring(self):
    """UpdateMonitoring: what the request carries replaces the current setting."""
    backend, cluster, body = _updatable(self, "/monitoring")
    if "enhancedMonitoring" in body:
        cluster.enhanced_monitoring = body["enhancedMonitoring"]
    if "openMonitoring" in body:
        cluster.open_monitoring = body["openMonitoring"]
    if "loggingInfo" in body:
        cluster.logging_info = body["loggingInfo"]
    return _operation(backend, cluster)


def update_security(self):
    """UpdateSecurity: client authentication and client-broker encryption; nothing else may change."""
    backend, cluster, body = _updatable(self, "/security")
    current = dict(cluster.encryption_info or {})
    wanted = body.get("encryptionInfo") or {}
    if "encryptionAtRest" in wanted and wanted["encryptionAtRest"] != current.get("encryptionAtRest"):
        raise BadRequestException("Encryption at rest cannot be changed on an existing cluster")
    in_transit = dict(current.get("encryptionInTransit") or {})
    wanted_in_transit = wanted.get("encryptionInTransit") or {}
    if "inCluster" in wanted_in_transit and wanted_in_transit["inCluster"] != in_transit.get("inCluster", True):
        raise BadRequestException("In-cluster encryption cannot be changed on an existing cluster")
    if "clientBroker" in wanted_in_transit:
        in_transit["clientBroker"] = wanted_in_transit["clientBroker"]
        current["encryptionInTransit"] = in_transit
        cluster.encryption_info = current
    if "clientAuthentication" in body:
        cluster.client_authentication = body["clientAuthentication"]
    return _operation(backend, cluster)


HANDLERS = (
    update_broker_type,
    update_broker_count,
    update_broker_storage,
    update_cluster_configuration,
    update_cluster_kafka_version,
    update_monitoring,
    update_security,
)


def _make_describe_wrapper(original):
    def describe_cluster(self, cluster_arn):
        info = original(self, cluster_arn)
        busy_until = self.clusters[cluster_arn].__dict__.get(BUSY_UNTIL)
        if info.get("state") == "ACTIVE" and busy_until is not None and time.monotonic() < busy_until:
            info["state"] = "UPDATING"
        return info

    return describe_cluster


def apply():
    """Add the seven handlers; DescribeCluster (and ListClusters through it) report UPDATING meanwhile."""
    described = wrap_method(KafkaBackend, "describe_cluster", PATCH_NAME, _make_describe_wrapper)
    if getattr(KafkaResponse, MARKER, False):
        return described
    for handler in HANDLERS:
        setattr(KafkaResponse, handler.__name__, handler)
    setattr(KafkaResponse, MARKER, True)
    return True
