# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""ElastiCache replication groups, cache subnet groups and cache parameter groups: one thin wrapper per API
call, the waiters and the normalised shapes.

Private to the collection (used by elasticache_replication_group, elasticache_replication_group_info,
elasticache_subnet_group and elasticache_parameter_group).
Every wrapper retries on throttling (AWSRetry) and raises AnsibleElastiCacheError, which the modules
convert to fail_json once, in main(). The auth token is never read back (AWS does not return it) and
never put in a normalised dict.
"""

import re
import time
from typing import Any
from typing import Dict
from typing import List
from typing import Optional

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

# Keys of the normalised replication group, in the order they are documented.
REPLICATION_GROUP_KEYS = (
    "replication_group_id",
    "arn",
    "description",
    "status",
    "engine",
    "engine_version",
    "cache_node_type",
    "cluster_enabled",
    "num_node_groups",
    "replicas_per_node_group",
    "member_clusters",
    "primary_endpoint",
    "reader_endpoint",
    "configuration_endpoint",
    "port",
    "automatic_failover",
    "multi_az",
    "at_rest_encryption",
    "transit_encryption",
    "kms_key_id",
    "auth_token_enabled",
    "cache_subnet_group_name",
    "security_group_ids",
    "cache_parameter_group_name",
    "snapshot_retention_limit",
    "snapshot_window",
    "preferred_maintenance_window",
    "pending_modified_values",
    "tags",
)


# PendingModifiedValues keys passed through (AuthTokenStatus is SETTING/ROTATING, never the token).
_PENDING_KEYS = ("PrimaryClusterId", "AutomaticFailoverStatus", "AuthTokenStatus", "ClusterMode", "TransitEncryptionEnabled")


class AnsibleElastiCacheError(AnsibleAWSError):
    pass


class ElastiCacheErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleElastiCacheError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(
            [
                "ReplicationGroupNotFoundFault",
                "CacheClusterNotFound",
                "CacheSubnetGroupNotFoundFault",
                "CacheParameterGroupNotFound",
            ]
        )


@ElastiCacheErrorHandler.list_error_handler("describe replication groups", [])
@AWSRetry.jittered_backoff()
def describe_replication_groups(client, replication_group_id: Optional[str] = None) -> List[Dict[str, Any]]:
    """DescribeReplicationGroups for one id ([] when it does not exist) or for all."""
    params = {"ReplicationGroupId": replication_group_id} if replication_group_id else {}
    paginator = client.get_paginator("describe_replication_groups")
    return paginator.paginate(**params).build_full_result()["ReplicationGroups"]


@ElastiCacheErrorHandler.list_error_handler("describe cache cluster", None)
@AWSRetry.jittered_backoff()
def describe_cache_cluster(client, cache_cluster_id: str) -> Optional[Dict[str, Any]]:
    """DescribeCacheClusters for one member cluster (None when it does not exist)."""
    clusters = client.describe_cache_clusters(CacheClusterId=cache_cluster_id)["CacheClusters"]
    return clusters[0] if clusters else None


@ElastiCacheErrorHandler.list_error_handler("list tags of {arn}", {})
@AWSRetry.jittered_backoff()
def list_tags(client, arn: str) -> Dict[str, str]:
    return boto3_tag_list_to_ansible_dict(client.list_tags_for_resource(ResourceName=arn).get("TagList") or [])


@ElastiCacheErrorHandler.common_error_handler("create replication group {replication_group_id}")
@AWSRetry.jittered_backoff()
def create_replication_group(client, replication_group_id: str, **params: Any) -> Dict[str, Any]:
    return client.create_replication_group(ReplicationGroupId=replication_group_id, **params)["ReplicationGroup"]


@ElastiCacheErrorHandler.common_error_handler("modify replication group {replication_group_id}")
@AWSRetry.jittered_backoff(catch_extra_error_codes=["InvalidReplicationGroupState"])
def modify_replication_group(client, replication_group_id: str, **params: Any) -> Dict[str, Any]:
    return client.modify_replication_group(ReplicationGroupId=replication_group_id, **params)["ReplicationGroup"]


@ElastiCacheErrorHandler.common_error_handler("increase replica count of replication group {replication_group_id}")
@AWSRetry.jittered_backoff(catch_extra_error_codes=["InvalidReplicationGroupState"])
def increase_replica_count(client, replication_group_id: str, count: int, apply_immediately: bool) -> Dict[str, Any]:
    return client.increase_replica_count(
        ReplicationGroupId=replication_group_id, NewReplicaCount=count, ApplyImmediately=apply_immediately
    )["ReplicationGroup"]


@ElastiCacheErrorHandler.common_error_handler("decrease replica count of replication group {replication_group_id}")
@AWSRetry.jittered_backoff(catch_extra_error_codes=["InvalidReplicationGroupState"])
def decrease_replica_count(client, replication_group_id: str, count: int, apply_immediately: bool) -> Dict[str, Any]:
    return client.decrease_replica_count(
        ReplicationGroupId=replication_group_id, NewReplicaCount=count, ApplyImmediately=apply_immediately
    )["ReplicationGroup"]


@ElastiCacheErrorHandler.deletion_error_handler("delete replication group {replication_group_id}")
@AWSRetry.jittered_backoff(catch_extra_error_codes=["InvalidReplicationGroupState"])
def delete_replication_group(client, replication_group_id: str, final_snapshot_identifier: Optional[str] = None) -> bool:
    params: Dict[str, Any] = {"ReplicationGroupId": replication_group_id}
    if final_snapshot_identifier:
        params["FinalSnapshotIdentifier"] = final_snapshot_identifier
    client.delete_replication_group(**params)
    return True


@ElastiCacheErrorHandler.common_error_handler("tag replication group {arn}")
@AWSRetry.jittered_backoff()
def add_tags(client, arn: str, tags: Dict[str, str]) -> bool:
    client.add_tags_to_resource(ResourceName=arn, Tags=ansible_dict_to_boto3_tag_list(tags))
    return True


@ElastiCacheErrorHandler.common_error_handler("untag replication group {arn}")
@AWSRetry.jittered_backoff()
def remove_tags(client, arn: str, tag_keys: List[str]) -> bool:
    client.remove_tags_from_resource(ResourceName=arn, TagKeys=list(tag_keys))
    return True


# Poll delays while waiting (seconds): short first, growing to POLL_MAX (a creation takes minutes on AWS, seconds
# in the test cloud).
POLL_FIRST = 1.0
POLL_MAX = 30.0


@ElastiCacheErrorHandler.common_error_handler("wait for replication group {replication_group_id} to be {state}")
def wait_for_replication_group(client, replication_group_id: str, state: str, timeout: int) -> None:
    """Poll DescribeReplicationGroups until the group is ``available`` (or gone, for ``deleted``), with delays
    growing from POLL_FIRST to POLL_MAX seconds; raise AnsibleElastiCacheError after ``timeout`` seconds or when
    a group being awaited as available disappears or fails."""
    deadline = time.monotonic() + timeout
    delay = POLL_FIRST
    while True:
        groups = describe_replication_groups(client, replication_group_id)
        status = groups[0].get("Status") if groups else None
        if (state == "available" and status == "available") or (state == "deleted" and status is None):
            return
        if state == "available" and status in (None, "deleting", "create-failed"):
            raise AnsibleElastiCacheError(
                message=f"Failed to wait for replication group {replication_group_id} to be available: it is "
                f"{status or 'gone'}"
            )
        if time.monotonic() + delay > deadline:
            raise AnsibleElastiCacheError(
                message=f"Timeout trying to wait for replication group {replication_group_id} to be {state} "
                f"(still {status} after {timeout} s)"
            )
        time.sleep(delay)
        delay = min(delay * 2, POLL_MAX)


def _endpoint(endpoint: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    if not endpoint:
        return None
    return {"address": endpoint.get("Address"), "port": endpoint.get("Port")}


def _enabled(value: Optional[str]) -> Optional[bool]:
    if value is None:
        return None
    return value in ("enabled", "enabling")


def normalize_replication_group(
    group: Dict[str, Any], cluster: Optional[Dict[str, Any]] = None, tags: Optional[Dict[str, str]] = None
) -> Dict[str, Any]:
    """Boto3 ReplicationGroup (+ its primary member CacheCluster for the settings only clusters report)
    -> the snake_case dict the modules return (every key always present, never the auth token)."""
    cluster = cluster or {}
    node_groups = group.get("NodeGroups") or []
    first = node_groups[0] if node_groups else {}
    members = [len(ng.get("NodeGroupMembers") or []) for ng in node_groups]
    configuration_endpoint = _endpoint(group.get("ConfigurationEndpoint"))
    primary_endpoint = _endpoint(first.get("PrimaryEndpoint"))
    port = (configuration_endpoint or primary_endpoint or {}).get("port")
    pending = group.get("PendingModifiedValues") or {}
    result = {
        "replication_group_id": group.get("ReplicationGroupId"),
        "arn": group.get("ARN"),
        "description": group.get("Description"),
        "status": group.get("Status"),
        "engine": group.get("Engine") or cluster.get("Engine"),
        "engine_version": cluster.get("EngineVersion"),
        "cache_node_type": group.get("CacheNodeType"),
        "cluster_enabled": group.get("ClusterEnabled"),
        "num_node_groups": len(node_groups),
        "replicas_per_node_group": max(min(members) - 1, 0) if members else None,
        "member_clusters": list(group.get("MemberClusters") or []),
        "primary_endpoint": primary_endpoint,
        "reader_endpoint": _endpoint(first.get("ReaderEndpoint")),
        "configuration_endpoint": configuration_endpoint,
        "port": port,
        "automatic_failover": _enabled(group.get("AutomaticFailover")),
        "multi_az": _enabled(group.get("MultiAZ")),
        "at_rest_encryption": group.get("AtRestEncryptionEnabled"),
        "transit_encryption": group.get("TransitEncryptionEnabled"),
        "kms_key_id": group.get("KmsKeyId"),
        "auth_token_enabled": group.get("AuthTokenEnabled"),
        "cache_subnet_group_name": cluster.get("CacheSubnetGroupName"),
        "security_group_ids": sorted(sg["SecurityGroupId"] for sg in cluster.get("SecurityGroups") or []),
        "cache_parameter_group_name": (cluster.get("CacheParameterGroup") or {}).get("CacheParameterGroupName"),
        "snapshot_retention_limit": group.get("SnapshotRetentionLimit"),
        "snapshot_window": group.get("SnapshotWindow"),
        "preferred_maintenance_window": cluster.get("PreferredMaintenanceWindow"),
        "pending_modified_values": {key: value for key, value in pending.items() if key in _PENDING_KEYS},
        "tags": dict(tags or {}),
    }
    return {key: result[key] for key in REPLICATION_GROUP_KEYS}


# A requested engine version: <major>[.<minor>|.x][.<patch>] (7.1, 6.x, 7.1.0).
ENGINE_VERSION_PATTERN = re.compile(r"^[0-9]+(\.([0-9]+|x))*$")


def _version_parts(version: Optional[str]) -> Optional[List[str]]:
    if not version or not ENGINE_VERSION_PATTERN.match(version):
        return None
    return version.split(".")


def engine_version_matches(running: Optional[str], wanted: str) -> bool:
    """Whether the running version (AWS reports the full one, ``7.1.0``) is the one asked: equal, or the asked
    version is a prefix of it at a dot boundary (``7.1`` matches ``7.1.0``, not ``7.10.1``; ``6.x`` matches
    ``6.2.6``)."""
    if running == wanted:
        return True
    have, want = _version_parts(running), _version_parts(wanted)
    if have is None or want is None or len(want) > len(have):
        return False
    return all(w in ("x", h) for w, h in zip(want, have))


def engine_version_order(running: Optional[str], wanted: str) -> int:
    """-1 when ``wanted`` is lower than the running version (a downgrade), 1 when higher (an upgrade), 0 when it
    matches or cannot be ordered (an unknown running version). Compared numerically up to the first ``x``."""
    have, want = _version_parts(running), _version_parts(wanted)
    if have is None or want is None:
        return 0
    for w, h in zip(want, have):
        if w == "x" or h == "x":
            return 0
        if int(w) != int(h):
            return -1 if int(w) < int(h) else 1
    return 0


def get_replication_group(client, replication_group_id: str) -> Optional[Dict[str, Any]]:
    """Describe one group with its primary cluster's settings and its tags; None when it does not exist."""
    groups = describe_replication_groups(client, replication_group_id)
    groups = [g for g in groups if g.get("ReplicationGroupId") == replication_group_id]
    if not groups:
        return None
    return describe_full(client, groups[0])


def describe_full(client, group: Dict[str, Any]) -> Dict[str, Any]:
    """Add the member cluster and tags to one described group and normalise it."""
    cluster = None
    members = group.get("MemberClusters") or []
    if members and group.get("Status") != "deleting":
        cluster = describe_cache_cluster(client, members[0])
    tags = list_tags(client, group["ARN"]) if group.get("ARN") else {}
    return normalize_replication_group(group, cluster, tags)


# --- cache subnet groups ---

SUBNET_GROUP_KEYS = ("name", "arn", "description", "vpc_id", "subnet_ids", "availability_zones", "tags")


@ElastiCacheErrorHandler.list_error_handler("describe cache subnet group {name}", None)
@AWSRetry.jittered_backoff()
def describe_cache_subnet_group(client, name: str) -> Optional[Dict[str, Any]]:
    """DescribeCacheSubnetGroups for one name (None when it does not exist)."""
    groups = client.describe_cache_subnet_groups(CacheSubnetGroupName=name)["CacheSubnetGroups"]
    return groups[0] if groups else None


@ElastiCacheErrorHandler.common_error_handler("create cache subnet group {name}")
@AWSRetry.jittered_backoff()
def create_cache_subnet_group(client, name: str, **params: Any) -> Dict[str, Any]:
    return client.create_cache_subnet_group(CacheSubnetGroupName=name, **params)["CacheSubnetGroup"]


@ElastiCacheErrorHandler.common_error_handler("modify cache subnet group {name}")
@AWSRetry.jittered_backoff()
def modify_cache_subnet_group(client, name: str, **params: Any) -> Dict[str, Any]:
    return client.modify_cache_subnet_group(CacheSubnetGroupName=name, **params)["CacheSubnetGroup"]


@ElastiCacheErrorHandler.deletion_error_handler("delete cache subnet group {name}")
@AWSRetry.jittered_backoff(catch_extra_error_codes=["CacheSubnetGroupInUse"])
def delete_cache_subnet_group(client, name: str) -> bool:
    """DeleteCacheSubnetGroup; retried while a replication group being deleted still uses it."""
    client.delete_cache_subnet_group(CacheSubnetGroupName=name)
    return True


def normalize_subnet_group(group: Dict[str, Any], tags: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    subnets = group.get("Subnets") or []
    return {
        "name": group.get("CacheSubnetGroupName"),
        "arn": group.get("ARN"),
        "description": group.get("CacheSubnetGroupDescription"),
        "vpc_id": group.get("VpcId"),
        "subnet_ids": sorted(s["SubnetIdentifier"] for s in subnets),
        "availability_zones": sorted(
            {(s.get("SubnetAvailabilityZone") or {}).get("Name") for s in subnets} - {None}
        ),
        "tags": dict(tags or {}),
    }


def get_cache_subnet_group(client, name: str) -> Optional[Dict[str, Any]]:
    """One subnet group, normalised, with its tags; None when it does not exist."""
    group = describe_cache_subnet_group(client, name)
    if group is None:
        return None
    tags = list_tags(client, group["ARN"]) if group.get("ARN") else {}
    return normalize_subnet_group(group, tags)


# --- cache parameter groups ---

PARAMETER_GROUP_KEYS = ("name", "arn", "family", "description", "parameters", "tags")


@ElastiCacheErrorHandler.list_error_handler("describe cache parameter group {name}", None)
@AWSRetry.jittered_backoff()
def describe_cache_parameter_group(client, name: str) -> Optional[Dict[str, Any]]:
    """DescribeCacheParameterGroups for one name (None when it does not exist)."""
    groups = client.describe_cache_parameter_groups(CacheParameterGroupName=name)["CacheParameterGroups"]
    return groups[0] if groups else None


@ElastiCacheErrorHandler.common_error_handler("describe the parameters of cache parameter group {name}")
@AWSRetry.jittered_backoff()
def describe_cache_parameters(client, name: str) -> List[Dict[str, Any]]:
    """Every parameter of the group (all pages)."""
    paginator = client.get_paginator("describe_cache_parameters")
    return paginator.paginate(CacheParameterGroupName=name).build_full_result().get("Parameters") or []


@ElastiCacheErrorHandler.common_error_handler("describe the default parameters of family {family}")
@AWSRetry.jittered_backoff()
def describe_engine_default_parameters(client, family: str) -> List[Dict[str, Any]]:
    """The parameters a new group of ``family`` starts with (all pages)."""
    paginator = client.get_paginator("describe_engine_default_parameters")
    result = paginator.paginate(CacheParameterGroupFamily=family).build_full_result()
    return (result.get("EngineDefaults") or {}).get("Parameters") or []


@ElastiCacheErrorHandler.common_error_handler("create cache parameter group {name}")
@AWSRetry.jittered_backoff()
def create_cache_parameter_group(client, name: str, **params: Any) -> Dict[str, Any]:
    return client.create_cache_parameter_group(CacheParameterGroupName=name, **params)["CacheParameterGroup"]


@ElastiCacheErrorHandler.common_error_handler("modify cache parameter group {name}")
@AWSRetry.jittered_backoff(catch_extra_error_codes=["InvalidCacheParameterGroupState"])
def modify_cache_parameter_group(client, name: str, values: Dict[str, str]) -> bool:
    """ModifyCacheParameterGroup, at most 20 parameters per call (the API's limit)."""
    items = sorted(values.items())
    for start in range(0, len(items), 20):
        client.modify_cache_parameter_group(
            CacheParameterGroupName=name,
            ParameterNameValues=[{"ParameterName": k, "ParameterValue": v} for k, v in items[start:start + 20]],
        )
    return True


@ElastiCacheErrorHandler.common_error_handler("reset parameters of cache parameter group {name}")
@AWSRetry.jittered_backoff(catch_extra_error_codes=["InvalidCacheParameterGroupState"])
def reset_cache_parameters(client, name: str, parameter_names: List[str]) -> bool:
    """ResetCacheParameterGroup for the named parameters, at most 20 per call."""
    names = sorted(parameter_names)
    for start in range(0, len(names), 20):
        client.reset_cache_parameter_group(
            CacheParameterGroupName=name,
            ResetAllParameters=False,
            ParameterNameValues=[{"ParameterName": n} for n in names[start:start + 20]],
        )
    return True


@ElastiCacheErrorHandler.deletion_error_handler("delete cache parameter group {name}")
@AWSRetry.jittered_backoff(catch_extra_error_codes=["InvalidCacheParameterGroupState"])
def delete_cache_parameter_group(client, name: str) -> bool:
    """DeleteCacheParameterGroup; retried while a replication group being deleted still uses it."""
    client.delete_cache_parameter_group(CacheParameterGroupName=name)
    return True


def user_parameters(parameters: List[Dict[str, Any]]) -> Dict[str, str]:
    """The values set in the group (``Source: user``), by name."""
    return {
        p["ParameterName"]: p.get("ParameterValue", "")
        for p in parameters
        if p.get("Source") == "user"
    }


def get_cache_parameter_group(client, name: str) -> Optional[Dict[str, Any]]:
    """One parameter group, normalised (``parameters``: the values set in it), with its tags and, under
    ``_all``, every parameter as DescribeCacheParameters answers it; None when it does not exist."""
    group = describe_cache_parameter_group(client, name)
    if group is None:
        return None
    parameters = describe_cache_parameters(client, name)
    tags = list_tags(client, group["ARN"]) if group.get("ARN") else {}
    return {
        "name": group.get("CacheParameterGroupName"),
        "arn": group.get("ARN"),
        "family": group.get("CacheParameterGroupFamily"),
        "description": group.get("Description"),
        "parameters": user_parameters(parameters),
        "tags": tags,
        "_all": {p["ParameterName"]: p for p in parameters},
    }
