"""ElastiCache replication groups have their member clusters, reader endpoint and modifiable settings.

AWS, for a Redis replication group with cluster mode disabled:
- CreateReplicationGroup with ``NumCacheClusters=N`` creates N member clusters (a primary and N-1
  replicas); without it, ``ReplicasPerNodeGroup`` replicas.
- Each member is a cache cluster: DescribeCacheClusters (by id, or all) answers it with
  ``ReplicationGroupId``, the engine version, node type, subnet group, security groups, parameter
  group and maintenance window (DescribeReplicationGroups reports none of these), and its status
  follows the group's.
- The node group reports a ``ReaderEndpoint`` beside its ``PrimaryEndpoint``.
- A member cluster reports the full engine version: a group created (or upgraded) with ``EngineVersion=7.1``
  reports ``7.1.0`` (``7.0`` -> ``7.0.7``, ``6.2`` and ``6.x`` -> ``6.2.6``); a full version is reported as given.
- IncreaseReplicaCount / DecreaseReplicaCount set the number of replicas (0 to 5; at least 1 while automatic
  failover is on: ``InvalidParameterCombination``), adding or removing member clusters.
- Automatic failover needs a replica and Multi-AZ needs automatic failover: CreateReplicationGroup with
  ``AutomaticFailoverEnabled=true`` and a single node (cluster mode disabled), ModifyReplicationGroup turning
  it on for a group without replicas, and either call leaving Multi-AZ on without automatic failover fail with
  ``InvalidParameterCombination`` and change nothing.
- ModifyReplicationGroup applies ``EngineVersion``, ``CacheParameterGroupName``, ``SecurityGroupIds``,
  ``SnapshotWindow``, ``PreferredMaintenanceWindow`` and an ``AuthToken`` with
  ``AuthTokenUpdateStrategy`` (``SET``/``ROTATE`` turn AUTH on, ``DELETE`` off).

moto 5.2.5: ``NumCacheClusters`` is ignored (one member unless ``ReplicasPerNodeGroup``), no cache
cluster exists for the members (DescribeCacheClusters answers ``CacheClusterNotFound``), the replica count
calls are not implemented (HTTP 500), node groups
carry no ``ReaderEndpoint``, automatic failover and Multi-AZ are accepted on any group, and
ModifyReplicationGroup ignores the settings above, so
``strata.platform.elasticache_replication_group`` could not read what it created and every re-run would
report a difference. The members are built from the group at describe time (never stale); a
group without an engine version or parameter group reports AWS's defaults for Redis 7
(``7.1`` reported as ``7.1.0``, ``default.redis7``).
"""

from moto.core.responses import ActionResult
from moto.elasticache.exceptions import CacheClusterNotFound
from moto.elasticache.exceptions import InvalidParameterCombinationException
from moto.elasticache.exceptions import InvalidParameterValueException
from moto.elasticache.exceptions import ReplicationGroupNotFound
from moto.elasticache.models import ElastiCacheBackend
from moto.elasticache.responses import ElastiCacheResponse

from testcloud.aws_patches._patching import wrap_method

PATCH_NAME = __name__.rsplit(".", 1)[-1]
DEFAULT_ENGINE_VERSION = "7.1"
DEFAULT_PARAMETER_GROUP = "default.redis7"
DEFAULT_MAINTENANCE_WINDOW = "sun:05:00-sun:06:00"
# The full version AWS runs for a requested Redis <major>.<minor> (another <major>.<minor> gets ".0").
FULL_ENGINE_VERSIONS = {"7.1": "7.1.0", "7.0": "7.0.7", "6.2": "6.2.6", "6.x": "6.2.6", "6.0": "6.0.5", "5.0": "5.0.6"}
# ModifyReplicationGroup parameter -> the group attribute moto keeps it in.
MODIFIED_SETTINGS = {
    "EngineVersion": "engine_version",
    "CacheParameterGroupName": "cache_parameter_group_name",
    "SecurityGroupIds": "security_group_ids",
    "SnapshotWindow": "snapshot_window",
    "PreferredMaintenanceWindow": "preferred_maintenance_window",
}


def _wrap_create(original):
    def create_replication_group(self, *args, **kwargs):
        count = kwargs.get("num_cache_clusters")
        if count and not kwargs.get("replicas_per_node_group") and kwargs.get("cluster_mode") != "enabled":
            kwargs["replicas_per_node_group"] = count - 1
        single_node = not kwargs.get("num_node_groups") and not kwargs.get("replicas_per_node_group")
        check_failover(kwargs.get("automatic_failover_enabled"), kwargs.get("multi_az_enabled"), single_node)
        group = original(self, *args, **kwargs)
        for node_group in group.node_groups:
            address = node_group.get("reader_endpoint_address")
            if address and "reader_endpoint" not in node_group:
                node_group["reader_endpoint"] = {"address": address, "port": node_group.get("port", group.port)}
        return group

    return create_replication_group


def full_engine_version(version):
    """The EngineVersion a member cluster reports for the requested ``version`` (AWS: ``7.1`` -> ``7.1.0``)."""
    version = version or DEFAULT_ENGINE_VERSION
    if version in FULL_ENGINE_VERSIONS:
        return FULL_ENGINE_VERSIONS[version]
    return f"{version}.0" if version.count(".") == 1 else version


def member_cluster(group, cluster_id):
    """The DescribeCacheClusters shape of the member ``cluster_id`` of ``group``."""
    status = group.status if group.status in ("creating", "available", "modifying", "deleting") else "available"
    zone = "us-east-1a"
    for node_group in group.node_groups:
        for member in node_group.get("node_group_members", []):
            if member.get("cache_cluster_id") == cluster_id:
                zone = member.get("preferred_availability_zone") or zone
    return {
        "CacheClusterId": cluster_id,
        "ReplicationGroupId": group.replication_group_id,
        "CacheClusterStatus": status,
        "CacheNodeType": group.cache_node_type,
        "Engine": group.engine or "redis",
        "EngineVersion": full_engine_version(group.engine_version),
        "NumCacheNodes": 1,
        "PreferredAvailabilityZone": zone,
        "CacheClusterCreateTime": group.replication_group_create_time,
        "PreferredMaintenanceWindow": group.preferred_maintenance_window or DEFAULT_MAINTENANCE_WINDOW,
        "CacheSubnetGroupName": group.cache_subnet_group_name,
        "SecurityGroups": [{"SecurityGroupId": sg, "Status": "active"} for sg in group.security_group_ids or []],
        "CacheParameterGroup": {
            "CacheParameterGroupName": group.cache_parameter_group_name or DEFAULT_PARAMETER_GROUP,
            "ParameterApplyStatus": "in-sync",
            "CacheNodeIdsToReboot": [],
        },
        "CacheNodes": [
            {"CacheNodeId": "0001", "CacheNodeStatus": status, "CustomerAvailabilityZone": zone}
        ],
        "AutoMinorVersionUpgrade": True,
        "SnapshotRetentionLimit": group.snapshot_retention_limit,
        "SnapshotWindow": group.snapshot_window,
        "AuthTokenEnabled": group.auth_token_enabled,
        "TransitEncryptionEnabled": group.transit_encryption_enabled,
        "AtRestEncryptionEnabled": group.at_rest_encryption_enabled,
        "ARN": group.arn.replace(f":replicationgroup:{group.replication_group_id}", f":cluster:{cluster_id}"),
    }


def _members(backend):
    return {
        cluster_id: group
        for group in backend.replication_groups.values()
        for cluster_id in group.member_clusters
    }


def _wrap_describe_clusters(original):
    def describe_cache_clusters(self, cache_cluster_id=None):
        members = _members(self)
        if cache_cluster_id and cache_cluster_id in members and cache_cluster_id not in self.cache_clusters:
            return [member_cluster(members[cache_cluster_id], cache_cluster_id)]
        if cache_cluster_id and cache_cluster_id not in self.cache_clusters:
            raise CacheClusterNotFound(cache_cluster_id)
        clusters = original(self, cache_cluster_id)
        if not cache_cluster_id:
            clusters = list(clusters) + [
                member_cluster(group, cluster_id)
                for cluster_id, group in members.items()
                if cluster_id not in self.cache_clusters
            ]
        return clusters

    return describe_cache_clusters


def check_failover(failover, multi_az, single_node):
    """AWS's rules for the settings a group would have: failover needs a replica, Multi-AZ needs failover."""
    if failover and single_node:
        raise InvalidParameterCombinationException(
            "Automatic failover cannot be enabled for a replication group without replicas: add a replica first"
        )
    if multi_az and not failover:
        raise InvalidParameterCombinationException("Multi-AZ cannot be enabled without automatic failover")


def _wrap_modify(original):
    def modify_replication_group(self):
        group = self.elasticache_backend.replication_groups.get(self._get_param("ReplicationGroupId"))
        if group is not None:
            failover = self._get_bool_param("AutomaticFailoverEnabled")
            multi_az = self._get_bool_param("MultiAZEnabled")
            single_node = group.cluster_mode != "enabled" and len(group.member_clusters) < 2
            check_failover(
                group.automatic_failover == "enabled" if failover is None else failover,
                group.multi_az == "enabled" if multi_az is None else multi_az,
                single_node,
            )
            for param, attribute in MODIFIED_SETTINGS.items():
                value = self._get_param(param)
                if value is not None:
                    setattr(group, attribute, value)
            strategy = self._get_param("AuthTokenUpdateStrategy")
            if self._get_param("AuthToken") and strategy in (None, "SET", "ROTATE"):
                group.auth_token_enabled = True
            elif strategy == "DELETE":
                group.auth_token_enabled = False
        return original(self)

    return modify_replication_group


def set_replica_count(group, count):
    """Keep the primary and make ``count`` replicas (cluster mode disabled: one node group)."""
    node_group = group.node_groups[0]
    members = node_group["node_group_members"]
    primary = members[0]
    domain = node_group.get("primary_endpoint_address", "").split(".", 1)[-1]
    replicas = members[1:1 + count]
    for number in range(len(replicas) + 2, count + 2):
        cluster_id = f"{group.replication_group_id}-{number:0>3}"
        replicas.append(
            {
                "cache_cluster_id": cluster_id,
                "cache_node_id": node_group["node_group_id"],
                "read_endpoint": {"address": f"{cluster_id}.{domain}", "port": group.port},
                "preferred_availability_zone": "us-east-1b",
                "current_role": "replica",
            }
        )
    node_group["node_group_members"] = [primary, *replicas]
    group.member_clusters = [m["cache_cluster_id"] for m in node_group["node_group_members"]]


def _change_replicas(self):
    group_id = self._get_param("ReplicationGroupId")
    group = self.elasticache_backend.replication_groups.get(group_id)
    if group is None:
        raise ReplicationGroupNotFound(group_id)
    count = self._get_int_param("NewReplicaCount")
    if count is None or not 0 <= count <= 5:
        raise InvalidParameterValueException(f"NewReplicaCount must be between 0 and 5, got {count}")
    if count == 0 and group.automatic_failover == "enabled":
        raise InvalidParameterCombinationException(
            "Automatic failover needs at least one replica: disable it before removing the last replica"
        )
    if group.cluster_mode != "enabled":
        set_replica_count(group, count)
    return ActionResult({"ReplicationGroup": group})


def apply():
    """Wrap the create and describe of the backend and the modify response; add the replica count calls."""
    applied = wrap_method(ElastiCacheBackend, "create_replication_group", PATCH_NAME, _wrap_create)
    applied |= wrap_method(ElastiCacheBackend, "describe_cache_clusters", PATCH_NAME, _wrap_describe_clusters)
    applied |= wrap_method(ElastiCacheResponse, "modify_replication_group", PATCH_NAME, _wrap_modify)
    if not hasattr(ElastiCacheResponse, "increase_replica_count"):
        ElastiCacheResponse.increase_replica_count = _change_replicas
        ElastiCacheResponse.decrease_replica_count = _change_replicas
        applied = True
    return applied
