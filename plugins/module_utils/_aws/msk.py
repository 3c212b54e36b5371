# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Amazon MSK clusters and configurations: one thin wrapper per API call, the poller and the normalised shapes.

Private to the collection (used by msk_cluster, msk_cluster_info and msk_cluster_configuration).
Every wrapper retries on throttling (AWSRetry) and raises AnsibleMSKError, which the modules convert to
fail_json once, in main(). botocore has no MSK waiters: wait_for_cluster polls DescribeCluster with short
growing delays (1 s doubling up to 30 s), so a cluster that is ready is seen on the first poll.
"""

import time
from typing import Any
from typing import Dict
from typing import List
from typing import Optional

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# Keys of the normalised cluster, in the order they are documented.
CLUSTER_KEYS = (
    "cluster_name",
    "cluster_arn",
    "state",
    "current_version",
    "creation_time",
    "kafka_version",
    "broker_type",
    "broker_count",
    "client_subnets",
    "security_groups",
    "ebs_volume_size",
    "configuration_arn",
    "configuration_revision",
    "client_broker_encryption",
    "in_cluster_encryption",
    "kms_key_id",
    "enhanced_monitoring",
    "cloudwatch_log_group",
    "open_monitoring",
    "authentication",
    "bootstrap_brokers",
    "tags",
)

# Keys of the normalised configuration.
CONFIGURATION_KEYS = (
    "name",
    "arn",
    "state",
    "description",
    "kafka_versions",
    "revision",
    "creation_time",
    "server_properties",
)

# The Update* operations of a cluster (each takes ClusterArn and CurrentVersion).
UPDATE_OPERATIONS = {
    "UpdateClusterKafkaVersion": "update_cluster_kafka_version",
    "UpdateClusterConfiguration": "update_cluster_configuration",
    "UpdateBrokerType": "update_broker_type",
    "UpdateBrokerCount": "update_broker_count",
    "UpdateBrokerStorage": "update_broker_storage",
    "UpdateMonitoring": "update_monitoring",
    "UpdateSecurity": "update_security",
}

# States from which a cluster becomes ACTIVE by itself; FAILED and DELETING never do.
TRANSIENT_STATES = ("CREATING", "UPDATING", "HEALING", "MAINTENANCE", "REBOOTING_BROKER")

POLL_FIRST_DELAY = 1
POLL_MAX_DELAY = 30


class AnsibleMSKError(AnsibleAWSError):
    pass


class MSKErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleMSKError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("NotFoundException")


# --- clusters -------------------------------------------------------------------------------------


@MSKErrorHandler.common_error_handler("list MSK clusters")
@AWSRetry.jittered_backoff()
def list_clusters(client, name_filter: Optional[str] = None) -> List[Dict[str, Any]]:
    """ListClusters (ClusterNameFilter matches the start of the name)."""
    params = {"ClusterNameFilter": name_filter} if name_filter else {}
    return client.get_paginator("list_clusters").paginate(**params).build_full_result().get("ClusterInfoList", [])


@MSKErrorHandler.list_error_handler("describe MSK cluster {cluster_arn}", None)
@AWSRetry.jittered_backoff()
def describe_cluster(client, cluster_arn: str) -> Optional[Dict[str, Any]]:
    """DescribeCluster (None when it does not exist)."""
    return client.describe_cluster(ClusterArn=cluster_arn)["ClusterInfo"]


@MSKErrorHandler.list_error_handler("get the bootstrap brokers of MSK cluster {cluster_arn}", {})
@AWSRetry.jittered_backoff()
def get_bootstrap_brokers(client, cluster_arn: str) -> Dict[str, Any]:
    return client.get_bootstrap_brokers(ClusterArn=cluster_arn)


@MSKErrorHandler.common_error_handler("create MSK cluster {cluster_name}")
@AWSRetry.jittered_backoff()
def create_cluster(client, cluster_name: str, **params: Any) -> Dict[str, Any]:
    return client.create_cluster(ClusterName=cluster_name, **params)


@MSKErrorHandler.common_error_handler("update MSK cluster {cluster_arn} ({operation})")
@AWSRetry.jittered_backoff()
def update_cluster(client, operation: str, cluster_arn: str, current_version: str, **params: Any) -> Dict[str, Any]:
    """One of the UPDATE_OPERATIONS; returns its answer (ClusterArn, ClusterOperationArn)."""
    call = getattr(client, UPDATE_OPERATIONS[operation])
    return call(ClusterArn=cluster_arn, CurrentVersion=current_version, **params)


@MSKErrorHandler.deletion_error_handler("delete MSK cluster {cluster_arn}")
@AWSRetry.jittered_backoff()
def delete_cluster(client, cluster_arn: str, current_version: Optional[str] = None) -> bool:
    params = {"CurrentVersion": current_version} if current_version else {}
    client.delete_cluster(ClusterArn=cluster_arn, **params)
    return True


@MSKErrorHandler.common_error_handler("tag MSK resource {arn}")
@AWSRetry.jittered_backoff()
def tag_resource(client, arn: str, tags: Dict[str, str]) -> bool:
    client.tag_resource(ResourceArn=arn, Tags=tags)
    return True


@MSKErrorHandler.common_error_handler("untag MSK resource {arn}")
@AWSRetry.jittered_backoff()
def untag_resource(client, arn: str, tag_keys: List[str]) -> bool:
    client.untag_resource(ResourceArn=arn, TagKeys=list(tag_keys))
    return True


class ClusterWaitError(AnsibleMSKError):
    pass


def wait_for_cluster(client, cluster_arn: str, state: str, timeout: int) -> Optional[Dict[str, Any]]:
    """Poll DescribeCluster until the cluster is ``state`` (``ACTIVE``) or gone (``DELETED``).

    Returns the last ClusterInfo (None once deleted). Fails at once when the cluster can no longer get
    there (FAILED, or deleted while waiting for ACTIVE), and after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    delay = POLL_FIRST_DELAY
    while True:
        info = describe_cluster(client, cluster_arn)
        current = info["State"] if info else "DELETED"
        if current == state:
            return info
        if state == "ACTIVE" and current not in TRANSIENT_STATES:
            raise ClusterWaitError(
                message=f"Failed to wait for MSK cluster {cluster_arn} to be ACTIVE: it is {current}"
                + (f" ({info['StateInfo'].get('Message')})" if info and info.get("StateInfo") else "")
            )
        if time.monotonic() + delay > deadline:
            raise ClusterWaitError(
                message=f"Timeout waiting for MSK cluster {cluster_arn} to be {state} (still {current} after "
                f"{timeout} s); raise wait_timeout or run again later"
            )
        time.sleep(delay)
        delay = min(delay * 2, POLL_MAX_DELAY)


def _enabled(node: Optional[Dict[str, Any]]) -> bool:
    return bool((node or {}).get("Enabled"))


def normalize_authentication(client_authentication: Optional[Dict[str, Any]]) -> Dict[str, bool]:
    """ClientAuthentication -> {unauthenticated, sasl_iam, sasl_scram, tls}; none given means unauthenticated."""
    auth = client_authentication or {}
    sasl = auth.get("Sasl") or {}
    result = {
        "sasl_iam": _enabled(sasl.get("Iam")),
        "sasl_scram": _enabled(sasl.get("Scram")),
        "tls": _enabled(auth.get("Tls")),
    }
    if "Unauthenticated" in auth:
        result["unauthenticated"] = _enabled(auth["Unauthenticated"])
    else:
        result["unauthenticated"] = not any(result.values())
    return {key: result[key] for key in ("unauthenticated", "sasl_iam", "sasl_scram", "tls")}


def normalize_cluster(info: Dict[str, Any], brokers: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """Boto3 ClusterInfo (+ GetBootstrapBrokers) -> the snake_case dict the modules return."""
    node_group = info.get("BrokerNodeGroupInfo") or {}
    software = info.get("CurrentBrokerSoftwareInfo") or {}
    encryption = info.get("EncryptionInfo") or {}
    in_transit = encryption.get("EncryptionInTransit") or {}
    broker_logs = (info.get("LoggingInfo") or {}).get("BrokerLogs") or {}
    cloudwatch = broker_logs.get("CloudWatchLogs") or {}
    prometheus = (info.get("OpenMonitoring") or {}).get("Prometheus") or {}
    volume = ((node_group.get("StorageInfo") or {}).get("EbsStorageInfo") or {}).get("VolumeSize")
    creation_time = info.get("CreationTime")
    bootstrap = None
    if brokers:
        bootstrap = {
            "plaintext": brokers.get("BootstrapBrokerString"),
            "tls": brokers.get("BootstrapBrokerStringTls"),
            "sasl_iam": brokers.get("BootstrapBrokerStringSaslIam"),
            "sasl_scram": brokers.get("BootstrapBrokerStringSaslScram"),
        }
    result = {
        "cluster_name": info.get("ClusterName"),
        "cluster_arn": info.get("ClusterArn"),
        "state": info.get("State"),
        "current_version": info.get("CurrentVersion"),
        "creation_time": creation_time.isoformat() if hasattr(creation_time, "isoformat") else creation_time,
        "kafka_version": software.get("KafkaVersion"),
        "broker_type": node_group.get("InstanceType"),
        "broker_count": info.get("NumberOfBrokerNodes"),
        "client_subnets": sorted(node_group.get("ClientSubnets") or []),
        "security_groups": sorted(node_group.get("SecurityGroups") or []),
        "ebs_volume_size": volume,
        "configuration_arn": software.get("ConfigurationArn"),
        "configuration_revision": software.get("ConfigurationRevision"),
        "client_broker_encryption": in_transit.get("ClientBroker", "TLS"),
        "in_cluster_encryption": in_transit.get("InCluster", True),
        "kms_key_id": (encryption.get("EncryptionAtRest") or {}).get("DataVolumeKMSKeyId"),
        "enhanced_monitoring": info.get("EnhancedMonitoring") or "DEFAULT",
        "cloudwatch_log_group": cloudwatch.get("LogGroup") if cloudwatch.get("Enabled") else None,
        "open_monitoring": {
            "jmx_exporter": bool((prometheus.get("JmxExporter") or {}).get("EnabledInBroker")),
            "node_exporter": bool((prometheus.get("NodeExporter") or {}).get("EnabledInBroker")),
        },
        "authentication": normalize_authentication(info.get("ClientAuthentication")),
        "bootstrap_brokers": bootstrap,
        "tags": dict(info.get("Tags") or {}),
    }
    return {key: result[key] for key in CLUSTER_KEYS}


def find_cluster(client, cluster_name: str) -> Optional[Dict[str, Any]]:
    """The ClusterInfo of the cluster named exactly ``cluster_name`` (None when there is none)."""
    listed = [c for c in list_clusters(client, cluster_name) if c.get("ClusterName") == cluster_name]
    if len(listed) > 1:
        arns = ", ".join(c["ClusterArn"] for c in listed)
        raise AnsibleMSKError(message=f"Failed to find MSK cluster {cluster_name}: several clusters have that name ({arns})")
    if not listed:
        return None
    # ListClusters answers the same ClusterInfo; describe anyway so that the state is as fresh as it gets.
    return describe_cluster(client, listed[0]["ClusterArn"])


def describe_full(client, info: Dict[str, Any]) -> Dict[str, Any]:
    """Normalise one ClusterInfo, with its bootstrap brokers when it is ACTIVE (AWS has none before)."""
    brokers = get_bootstrap_brokers(client, info["ClusterArn"]) if info.get("State") == "ACTIVE" else None
    return normalize_cluster(info, brokers)


def get_cluster(client, cluster_name: str) -> Optional[Dict[str, Any]]:
    info = find_cluster(client, cluster_name)
    return describe_full(client, info) if info else None


# --- configurations -------------------------------------------------------------------------------


@MSKErrorHandler.common_error_handler("list MSK configurations")
@AWSRetry.jittered_backoff()
def list_configurations(client) -> List[Dict[str, Any]]:
    return client.get_paginator("list_configurations").paginate().build_full_result().get("Configurations", [])


@MSKErrorHandler.list_error_handler("describe revision {revision} of MSK configuration {arn}", None)
@AWSRetry.jittered_backoff()
def describe_configuration_revision(client, arn: str, revision: int) -> Optional[Dict[str, Any]]:
    return client.describe_configuration_revision(Arn=arn, Revision=revision)


@MSKErrorHandler.common_error_handler("create MSK configuration {name}")
@AWSRetry.jittered_backoff()
def create_configuration(client, name: str, **params: Any) -> Dict[str, Any]:
    return client.create_configuration(Name=name, **params)


@MSKErrorHandler.common_error_handler("update MSK configuration {arn}")
@AWSRetry.jittered_backoff()
def update_configuration(client, arn: str, **params: Any) -> Dict[str, Any]:
    return client.update_configuration(Arn=arn, **params)


@MSKErrorHandler.deletion_error_handler("delete MSK configuration {arn}")
@AWSRetry.jittered_backoff()
def delete_configuration(client, arn: str) -> bool:
    client.delete_configuration(Arn=arn)
    return True


def property_value(value: Any) -> str:
    """A server.properties value as Kafka reads it (booleans lowercase)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_properties(text: Any) -> Dict[str, str]:
    """server.properties text (str or bytes) -> {key: value}; blank lines and comments skipped."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    result = {}
    for line in (text or "").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "!")):
            continue
        cut = min((i for i in (line.find("="), line.find(":")) if i >= 0), default=-1)
        if cut < 0:
            result[line] = ""
        else:
            result[line[:cut].strip()] = line[cut + 1:].strip()
    return result


def render_properties(properties: Dict[str, Any]) -> bytes:
    """{key: value} -> server.properties bytes, one ``key=value`` per line in the given order."""
    return "".join(f"{key}={property_value(value)}\n" for key, value in properties.items()).encode("utf-8")


def normalize_configuration(configuration: Dict[str, Any], revision: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """ListConfigurations entry + its latest DescribeConfigurationRevision -> the snake_case dict."""
    latest = configuration.get("LatestRevision") or {}
    revision = revision or {}
    created = configuration.get("CreationTime")
    result = {
        "name": configuration.get("Name"),
        "arn": configuration.get("Arn"),
        "state": configuration.get("State"),
        "description": revision.get("Description", latest.get("Description", configuration.get("Description"))),
        "kafka_versions": list(configuration.get("KafkaVersions") or []),
        "revision": latest.get("Revision"),
        "creation_time": created.isoformat() if hasattr(created, "isoformat") else created,
        "server_properties": parse_properties(revision.get("ServerProperties")),
    }
    return {key: result[key] for key in CONFIGURATION_KEYS}


def get_configuration(client, name: str) -> Optional[Dict[str, Any]]:
    """The configuration named ``name`` (not one being deleted) with its latest revision; None if there is none."""
    found = [c for c in list_configurations(client) if c.get("Name") == name and c.get("State") != "DELETING"]
    if not found:
        return None
    configuration = found[0]
    revision = describe_configuration_revision(client, configuration["Arn"], configuration["LatestRevision"]["Revision"])
    return normalize_configuration(configuration, revision)
