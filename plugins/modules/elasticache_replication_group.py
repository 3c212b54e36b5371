#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: elasticache_replication_group
version_added: 0.1.0
short_description: Manage an ElastiCache Redis replication group
description:
  - Create, modify, tag or delete one ElastiCache Redis (OSS) replication group, identified by O(replication_group_id).
  - An option left unset is not managed; an existing group keeps its value.
  - Mutable attributes (O(description), O(engine_version), O(cache_node_type), O(replicas_per_node_group),
    O(automatic_failover), O(multi_az), O(snapshot_retention_limit), O(snapshot_window),
    O(preferred_maintenance_window), O(cache_parameter_group_name), O(security_group_ids)) are changed in place
    with C(ModifyReplicationGroup), and C(IncreaseReplicaCount) / C(DecreaseReplicaCount) for replicas.
  - Attributes that cannot change on an existing group (O(at_rest_encryption), O(transit_encryption),
    O(kms_key_id), O(cache_subnet_group_name), O(port), O(num_node_groups)) are compared too; a difference makes
    the module fail, naming the attributes, before any change. It never replaces a data store; to change one of
    them, create a new group (for example from a snapshot) and move the clients.
author:
  - strata.platform contributors (!UNKNOWN)
options:
  state:
    description:
      - V(present) makes sure the group exists as described; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  replication_group_id:
    description:
      - The replication group identifier (1 to 40 lowercase letters, digits and hyphens, starting with a letter).
    type: str
    required: true
  description:
    description:
      - The description of the group.
      - Defaults to O(replication_group_id) when the group is created.
    type: str
  engine_version:
    description:
      - The Redis engine version, for example V(7.1), V(6.x) or a full version such as V(7.1.0).
      - AWS reports the full version the group runs (V(7.1.0) for V(7.1)); the version asked matches when it is
        that version or a prefix of it at a dot boundary (V(7.1) matches V(7.1.0), not V(7.10.0)), so a re-run
        changes nothing.
      - A higher version upgrades the group in place. A lower one fails before any change (ElastiCache cannot
        downgrade a group; restore a snapshot into a new group instead).
    type: str
  cache_node_type:
    description:
      - The node type, for example V(cache.r6g.large). Required to create a group.
    type: str
  num_node_groups:
    description:
      - The number of node groups (shards). More than one needs a cluster-mode parameter group
        (for example V(default.redis7.cluster.on)) in O(cache_parameter_group_name).
      - Only used when the group is created; a different value on an existing group is an error (resharding is
        not done by this module).
    type: int
    default: 1
  replicas_per_node_group:
    description:
      - The number of read replicas in each node group (0 to 5).
      - When the count grows, the replicas are added before O(automatic_failover) / O(multi_az) are turned on;
        when it shrinks, they are turned off before the replicas are removed (AWS refuses automatic failover
        without a replica).
    type: int
  automatic_failover:
    description:
      - Whether a replica is promoted automatically when the primary fails (needs at least one replica).
    type: bool
  multi_az:
    description:
      - Whether the nodes are spread across availability zones with automatic failover (needs O(automatic_failover)).
    type: bool
  cache_subnet_group_name:
    description:
      - The cache subnet group the nodes are placed in. Immutable.
    type: str
  security_group_ids:
    description:
      - The VPC security group ids of the nodes (order does not matter).
    type: list
    elements: str
  cache_parameter_group_name:
    description:
      - The cache parameter group.
    type: str
  at_rest_encryption:
    description:
      - Whether data at rest is encrypted. Immutable.
    type: bool
  kms_key_id:
    description:
      - The KMS key (ARN) that encrypts data at rest. Immutable. Give the key ARN, which is what AWS reports;
        a key id matches the end of the ARN, an alias cannot be compared.
    type: str
  transit_encryption:
    description:
      - Whether connections use TLS. Immutable. Required for O(auth_token).
    type: bool
  auth_token:
    description:
      - The Redis AUTH password (16 to 128 characters; letters, digits and only the punctuation V(!), V(&), V(#),
        V($), V(^), V(<), V(>) and V(-), as ElastiCache requires).
      - Write-only. AWS never returns it, so the module cannot tell whether it changed. It is sent when the group
        is created, and on an existing group only when O(auth_token_update_strategy) is given, in which case the
        task reports a change on every run.
      - Never returned and never in the diff. Prefer O(auth_token_secret_id), which keeps the token out of
        Ansible's variables altogether.
      - Mutually exclusive with O(auth_token_secret_id).
    type: str
  auth_token_secret_id:
    description:
      - The Secrets Manager secret (name or ARN) whose value is the Redis AUTH token, for example one made by
        M(strata.platform.secretsmanager_random_secret). The module reads it itself with C(GetSecretValue)
        (the C(AWSCURRENT) version, a plain string), only when it sends the token (when it creates the group, and
        on an existing group when O(auth_token_update_strategy) is given). A plain re-run does not read it.
      - In check mode the secret is not read (the plan does not need the value; the secret may itself be only
        planned).
      - The token is never returned, logged or put in the diff. The same rules as O(auth_token) apply to the value;
        a value that breaks them fails the task, naming the secret but not the value.
      - Mutually exclusive with O(auth_token).
    type: str
  auth_token_update_strategy:
    description:
      - Send the token (O(auth_token), or the current value of O(auth_token_secret_id)) to an existing group.
        V(ROTATE) adds it beside the current token (both work until the next V(SET)), V(SET) replaces the
        current token.
    type: str
    choices: [ROTATE, SET]
  snapshot_retention_limit:
    description:
      - How many days automatic snapshots are kept; V(0) turns them off.
    type: int
  snapshot_window:
    description:
      - The daily UTC time range of the automatic snapshot, for example V(05:00-06:00).
    type: str
  preferred_maintenance_window:
    description:
      - The weekly UTC maintenance window, for example V(sun:23:00-mon:01:30).
    type: str
  port:
    description:
      - The port the nodes listen on. Immutable.
    type: int
    default: 6379
  final_snapshot_identifier:
    description:
      - With O(state=absent), the name of a snapshot taken before the group is deleted.
    type: str
  apply_immediately:
    description:
      - Apply modifications now rather than in the next maintenance window.
      - With V(false), the returned group shows the requested values although AWS applies them later.
    type: bool
    default: true
  wait:
    description:
      - Wait until the group is available after a create or change, and gone after a delete.
      - An existing group that is still C(creating), C(modifying) or C(snapshotting) is waited for too, even when
        nothing changes; so a run with V(false) can start the creation and a later run with V(true) (and only
        O(replication_group_id)) can wait for it.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait when O(wait=true).
    type: int
    default: 1800
notes:
  - "Required IAM actions: C(elasticache:DescribeReplicationGroups), C(elasticache:DescribeCacheClusters),
    C(elasticache:ListTagsForResource), C(elasticache:CreateReplicationGroup), C(elasticache:ModifyReplicationGroup),
    C(elasticache:IncreaseReplicaCount), C(elasticache:DecreaseReplicaCount), C(elasticache:DeleteReplicationGroup),
    C(elasticache:CreateSnapshot) (final snapshot), C(elasticache:AddTagsToResource),
    C(elasticache:RemoveTagsFromResource); with O(auth_token_secret_id), C(secretsmanager:GetSecretValue) on the
    secret and C(kms:Decrypt) on its key."
  - The engine version, subnet group, security groups, parameter group and maintenance window are read from the
    group's first member cluster (DescribeReplicationGroups does not report them).
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
extends_documentation_fragment:
  - strata.platform.aws
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Create an encrypted Redis replication group with one replica
  strata.platform.elasticache_replication_group:
    replication_group_id: fsm-prod-redis
    description: fsm prod cache
    engine_version: "7.1"
    cache_node_type: cache.r6g.large
    replicas_per_node_group: 1
    automatic_failover: true
    multi_az: true
    cache_subnet_group_name: fsm-prod-cache
    security_group_ids:
      - sg-0123456789abcdef0
    at_rest_encryption: true
    kms_key_id: arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666
    transit_encryption: true
    auth_token: "{{ fsm_redis_auth_token }}"
    snapshot_retention_limit: 30
    snapshot_window: "03:00-04:00"
    preferred_maintenance_window: sun:05:00-sun:06:00
    tags:
      Environment: prod
  no_log: true
  register: redis

- name: Rotate the AUTH token (the old one keeps working until the next SET)
  strata.platform.elasticache_replication_group:
    replication_group_id: fsm-prod-redis
    auth_token: "{{ fsm_redis_new_auth_token }}"
    auth_token_update_strategy: ROTATE
  no_log: true

- name: Create a group whose AUTH token Secrets Manager generated (Ansible never holds it)
  strata.platform.elasticache_replication_group:
    replication_group_id: fsm-dev-redis
    cache_node_type: cache.t3.micro
    cache_subnet_group_name: fsm-dev-cache
    transit_encryption: true
    auth_token_secret_id: fsm/dev/redis/auth-token

- name: Delete the group, keeping a final snapshot
  strata.platform.elasticache_replication_group:
    replication_group_id: fsm-prod-redis
    state: absent
    final_snapshot_identifier: fsm-prod-redis-final
"""

RETURN = r"""
replication_group:
  description:
    - The replication group after the change (in check mode, the prediction); V(null) after O(state=absent).
    - Never contains the auth token.
  returned: always
  type: complex
  contains:
    replication_group_id:
      description: The group id.
      type: str
      returned: always
      sample: fsm-prod-redis
    arn:
      description: The group ARN (V(null) for a group check mode would create).
      type: str
      returned: always
      sample: arn:aws:elasticache:us-east-1:123456789012:replicationgroup:fsm-prod-redis
    description:
      description: The description.
      type: str
      returned: always
      sample: fsm prod cache
    status:
      description: The status (V(creating), V(available), V(modifying), V(deleting), ...).
      type: str
      returned: always
      sample: available
    engine:
      description: The engine.
      type: str
      returned: always
      sample: redis
    engine_version:
      description: The engine version of the first member cluster, in full as AWS reports it.
      type: str
      returned: always
      sample: "7.1.0"
    cache_node_type:
      description: The node type.
      type: str
      returned: always
      sample: cache.r6g.large
    cluster_enabled:
      description: Whether cluster mode is enabled.
      type: bool
      returned: always
      sample: false
    num_node_groups:
      description: The number of node groups (shards).
      type: int
      returned: always
      sample: 1
    replicas_per_node_group:
      description: The number of replicas in each node group (the smallest, if they differ).
      type: int
      returned: always
      sample: 1
    member_clusters:
      description: The ids of the member clusters (nodes).
      type: list
      elements: str
      returned: always
      sample: [fsm-prod-redis-001, fsm-prod-redis-002]
    primary_endpoint:
      description: The primary (read/write) endpoint, cluster mode disabled.
      type: dict
      returned: always
      sample: {"address": "master.fsm-prod-redis.abc123.use1.cache.amazonaws.com", "port": 6379}
    reader_endpoint:
      description: The reader endpoint, cluster mode disabled.
      type: dict
      returned: always
      sample: {"address": "replica.fsm-prod-redis.abc123.use1.cache.amazonaws.com", "port": 6379}
    configuration_endpoint:
      description: The configuration endpoint, cluster mode enabled (V(null) otherwise).
      type: dict
      returned: always
      sample: null
    port:
      description: The port.
      type: int
      returned: always
      sample: 6379
    automatic_failover:
      description: Whether automatic failover is enabled.
      type: bool
      returned: always
      sample: true
    multi_az:
      description: Whether Multi-AZ is enabled.
      type: bool
      returned: always
      sample: true
    at_rest_encryption:
      description: Whether data at rest is encrypted.
      type: bool
      returned: always
      sample: true
    transit_encryption:
      description: Whether TLS is on.
      type: bool
      returned: always
      sample: true
    kms_key_id:
      description: The KMS key encrypting data at rest.
      type: str
      returned: always
      sample: arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666
    auth_token_enabled:
      description: Whether an AUTH token is set (the token itself is never returned).
      type: bool
      returned: always
      sample: true
    cache_subnet_group_name:
      description: The cache subnet group.
      type: str
      returned: always
      sample: fsm-prod-cache
    security_group_ids:
      description: The VPC security group ids, sorted.
      type: list
      elements: str
      returned: always
      sample: [sg-0123456789abcdef0]
    cache_parameter_group_name:
      description: The cache parameter group.
      type: str
      returned: always
      sample: default.redis7
    snapshot_retention_limit:
      description: Days automatic snapshots are kept.
      type: int
      returned: always
      sample: 30
    snapshot_window:
      description: The daily snapshot window (UTC).
      type: str
      returned: always
      sample: "03:00-04:00"
    preferred_maintenance_window:
      description: The weekly maintenance window (UTC).
      type: str
      returned: always
      sample: sun:05:00-sun:06:00
    pending_modified_values:
      description: Changes AWS has not applied yet (failover, auth token status, ...), as AWS names them.
      type: dict
      returned: always
      sample: {}
    tags:
      description: The group's tags.
      type: dict
      returned: always
      sample: {"Environment": "prod"}
diff:
  description: The group before and after (without any secret), when run with C(--diff).
  returned: when diff mode is on
  type: dict
  sample:
    before: {"cache_node_type": "cache.t4g.small"}
    after: {"cache_node_type": "cache.r6g.large"}
"""

import re
from copy import deepcopy

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import ENGINE_VERSION_PATTERN
from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import REPLICATION_GROUP_KEYS
from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import add_tags
from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import create_replication_group
from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import decrease_replica_count
from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import delete_replication_group
from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import engine_version_matches
from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import engine_version_order
from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import get_replication_group
from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import increase_replica_count
from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import modify_replication_group
from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import remove_tags
from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import wait_for_replication_group
from ansible_collections.strata.platform.plugins.module_utils._aws.secretsmanager import get_secret_string

# option -> ModifyReplicationGroup parameter (the option name is also the normalised key).
MUTABLE = {
    "description": "ReplicationGroupDescription",
    "engine_version": "EngineVersion",
    "cache_node_type": "CacheNodeType",
    "automatic_failover": "AutomaticFailoverEnabled",
    "multi_az": "MultiAZEnabled",
    "snapshot_retention_limit": "SnapshotRetentionLimit",
    "snapshot_window": "SnapshotWindow",
    "preferred_maintenance_window": "PreferredMaintenanceWindow",
    "cache_parameter_group_name": "CacheParameterGroupName",
    "security_group_ids": "SecurityGroupIds",
}
# Attributes fixed when the group is created (a difference fails; the data store is never replaced).
IMMUTABLE = ("at_rest_encryption", "transit_encryption", "kms_key_id", "cache_subnet_group_name", "port", "num_node_groups")

# States an unchanged group is waited out of when wait=true.
BUSY = ("creating", "modifying", "snapshotting")
_ID_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
# ElastiCache: 16 to 128 characters; the only punctuation allowed is !&#$^<>-.
_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9!&#$^<>-]{16,128}$")
_TOKEN_RULE = "16 to 128 characters: letters, digits and only the punctuation !&#$^<>-"


class ReplicationGroupError(AnsibleAWSError):
    pass


def _same(key, have, wanted):
    if key == "security_group_ids":
        return sorted(have or []) == sorted(wanted)
    if key == "kms_key_id":
        return bool(have) and (have == wanted or have.endswith("/" + wanted))
    if key == "preferred_maintenance_window":
        return (have or "").lower() == wanted.lower()
    if key == "engine_version":
        return engine_version_matches(have, wanted)
    return have == wanted


def mutable_differences(current, params):
    """Compare: {option: wanted} for each managed mutable attribute that differs."""
    return {
        key: params[key]
        for key in MUTABLE
        if params[key] is not None and not _same(key, current.get(key), params[key])
    }


def immutable_differences(current, params):
    return [
        key for key in IMMUTABLE
        if params[key] is not None and not _same(key, current.get(key), params[key])
    ]


def new_tags(current_tags, tags, purge_tags):
    to_set, to_unset = compare_aws_tags(current_tags, tags, purge_tags)
    result = {k: v for k, v in current_tags.items() if k not in to_unset}
    result.update({k: str(v) for k, v in to_set.items()})
    return to_set, to_unset, result


def predicted_group(params):
    """What AWS will report for a group created from the parameters (ids and endpoints unknown until created)."""
    predicted = dict.fromkeys(REPLICATION_GROUP_KEYS)
    replicas = params["replicas_per_node_group"] or 0
    predicted.update(
        replication_group_id=params["replication_group_id"],
        description=params["description"] or params["replication_group_id"],
        status="available",
        engine="redis",
        engine_version=params["engine_version"],
        cache_node_type=params["cache_node_type"],
        cluster_enabled=params["num_node_groups"] > 1,
        num_node_groups=params["num_node_groups"],
        replicas_per_node_group=replicas,
        member_clusters=[],
        port=params["port"],
        automatic_failover=bool(params["automatic_failover"]),
        multi_az=bool(params["multi_az"]),
        at_rest_encryption=bool(params["at_rest_encryption"]),
        transit_encryption=bool(params["transit_encryption"]),
        kms_key_id=params["kms_key_id"],
        auth_token_enabled=bool(params["auth_token"] or params["auth_token_secret_id"]),
        cache_subnet_group_name=params["cache_subnet_group_name"],
        security_group_ids=sorted(params["security_group_ids"] or []),
        cache_parameter_group_name=params["cache_parameter_group_name"],
        snapshot_retention_limit=params["snapshot_retention_limit"] or 0,
        snapshot_window=params["snapshot_window"],
        preferred_maintenance_window=params["preferred_maintenance_window"],
        pending_modified_values={},
        tags={k: str(v) for k, v in (params["tags"] or {}).items()},
    )
    return predicted


def create_params(params):
    request = dict(
        ReplicationGroupDescription=params["description"] or params["replication_group_id"],
        Engine="redis",
        CacheNodeType=params["cache_node_type"],
        Port=params["port"],
    )
    replicas = params["replicas_per_node_group"] or 0
    if params["num_node_groups"] > 1:
        request.update(NumNodeGroups=params["num_node_groups"], ReplicasPerNodeGroup=replicas)
    else:
        request["NumCacheClusters"] = replicas + 1
    optional = dict(
        EngineVersion=params["engine_version"],
        AutomaticFailoverEnabled=params["automatic_failover"],
        MultiAZEnabled=params["multi_az"],
        CacheSubnetGroupName=params["cache_subnet_group_name"],
        SecurityGroupIds=params["security_group_ids"],
        CacheParameterGroupName=params["cache_parameter_group_name"],
        AtRestEncryptionEnabled=params["at_rest_encryption"],
        KmsKeyId=params["kms_key_id"],
        TransitEncryptionEnabled=params["transit_encryption"],
        AuthToken=params["auth_token"],
        SnapshotRetentionLimit=params["snapshot_retention_limit"],
        SnapshotWindow=params["snapshot_window"],
        PreferredMaintenanceWindow=params["preferred_maintenance_window"],
    )
    request.update({key: value for key, value in optional.items() if value is not None})
    if params["tags"]:
        request["Tags"] = ansible_dict_to_boto3_tag_list({k: str(v) for k, v in params["tags"].items()})
    return request


def ensure_created(client, check_mode, params):
    """Change: create the group; returns (changed, predicted)."""
    predicted = predicted_group(params)
    if check_mode:
        return True, predicted
    create_replication_group(client, params["replication_group_id"], **create_params(params))
    if params["wait"]:
        wait_for_replication_group(client, params["replication_group_id"], "available", params["wait_timeout"])
    return True, predicted


def _await_previous_change(client, params, busy):
    """With wait=false, a change made earlier in this run may still be applied: AWS refuses a second change to a
    group that is not available, so wait for it before the next call."""
    if busy:
        wait_for_replication_group(client, params["replication_group_id"], "available", params["wait_timeout"])


def ensure_replicas(client, check_mode, current, params, busy=False):
    """Change the replica count with Increase/DecreaseReplicaCount; returns (changed, predicted)."""
    wanted = params["replicas_per_node_group"]
    have = current["replicas_per_node_group"]
    if wanted is None or have is None or wanted == have:
        return False, current
    predicted = deepcopy(current)
    predicted["replicas_per_node_group"] = wanted
    if check_mode:
        return True, predicted
    call = increase_replica_count if wanted > have else decrease_replica_count
    _await_previous_change(client, params, busy)
    call(client, params["replication_group_id"], wanted, params["apply_immediately"])
    if params["wait"]:
        wait_for_replication_group(client, params["replication_group_id"], "available", params["wait_timeout"])
    return True, predicted


def ensure_settings(client, check_mode, current, params, busy=False):
    """Change the mutable settings with one ModifyReplicationGroup; returns (changed, predicted)."""
    changes = mutable_differences(current, params)
    if not changes:
        return False, current
    predicted = deepcopy(current)
    predicted.update(changes)
    if "security_group_ids" in changes:
        predicted["security_group_ids"] = sorted(changes["security_group_ids"])
    if check_mode:
        return True, predicted
    request = {MUTABLE[key]: value for key, value in changes.items()}
    _await_previous_change(client, params, busy)
    modify_replication_group(
        client, params["replication_group_id"], ApplyImmediately=params["apply_immediately"], **request
    )
    if params["wait"]:
        wait_for_replication_group(client, params["replication_group_id"], "available", params["wait_timeout"])
    return True, predicted


def ensure_auth_token(client, check_mode, current, params, busy=False):
    """Send the write-only auth token to an existing group, only when a strategy is given."""
    if not params["auth_token_update_strategy"]:
        return False, current
    predicted = deepcopy(current)
    predicted["auth_token_enabled"] = True
    if check_mode:
        return True, predicted
    _await_previous_change(client, params, busy)
    modify_replication_group(
        client,
        params["replication_group_id"],
        AuthToken=params["auth_token"],
        AuthTokenUpdateStrategy=params["auth_token_update_strategy"],
        ApplyImmediately=True,
    )
    if params["wait"]:
        wait_for_replication_group(client, params["replication_group_id"], "available", params["wait_timeout"])
    return True, predicted


def ensure_tags(client, check_mode, current, tags, purge_tags):
    if tags is None:
        return False, current
    to_set, to_unset, result = new_tags(current["tags"], tags, purge_tags)
    if not to_set and not to_unset:
        return False, current
    predicted = deepcopy(current)
    predicted["tags"] = result
    if check_mode:
        return True, predicted
    if to_unset:
        remove_tags(client, current["arn"], to_unset)
    if to_set:
        add_tags(client, current["arn"], to_set)
    return True, predicted


def change_order(current, params):
    """Replicas first when they grow (automatic failover needs one), settings first otherwise (failover and
    Multi-AZ off before the last replica goes): each AWS call is valid on the group as it is then."""
    wanted, have = params["replicas_per_node_group"], current["replicas_per_node_group"]
    if wanted is not None and have is not None and wanted > have:
        return ensure_replicas, ensure_settings
    return ensure_settings, ensure_replicas


def check_engine_version(current, params):
    """A lower engine version than the running one fails before any change (ElastiCache cannot downgrade)."""
    wanted, have = params["engine_version"], current["engine_version"]
    if wanted is not None and engine_version_order(have, wanted) < 0:
        raise ReplicationGroupError(
            message=f"Failed to update replication group {params['replication_group_id']}: engine_version {wanted} is "
            f"lower than the version it runs ({have}) and ElastiCache cannot downgrade a group: set engine_version to "
            f"{have} (or a prefix of it) or higher, or restore a snapshot into a new group"
        )


def check_failover(current, params):
    """The settings the group would end with must be valid on AWS (failover needs a replica with cluster mode
    disabled, Multi-AZ needs failover); options left unset keep the group's value. Fails before any change."""
    current = current or {}

    def final(key, default):
        if params[key] is not None:
            return params[key]
        return current.get(key) if current.get(key) is not None else default

    failover, multi_az = final("automatic_failover", False), final("multi_az", False)
    replicas = final("replicas_per_node_group", 0)
    group = params["replication_group_id"]
    # cluster mode enabled: AWS needs failover on and allows shards without replicas
    cluster_mode = current.get("cluster_enabled") if current else params["num_node_groups"] > 1
    if failover and replicas == 0 and not cluster_mode:
        raise ReplicationGroupError(
            message=f"Failed to plan replication group {group}: automatic_failover needs at least one replica, and "
            "the group would have none: set replicas_per_node_group to 1 or more, or automatic_failover=false"
        )
    if multi_az and not failover:
        raise ReplicationGroupError(
            message=f"Failed to plan replication group {group}: multi_az needs automatic failover, which the group "
            "would not have: set automatic_failover=true, or multi_az=false"
        )


def ensure_present(client, check_mode, current, params):
    """Create, or compare and modify in place; returns (changed, predicted)."""
    if current is None:
        check_failover(None, params)
        return ensure_created(client, check_mode, params)
    immutable = immutable_differences(current, params)
    if immutable:
        details = ", ".join(f"{key} is {current.get(key)!r}, asked {params[key]!r}" for key in immutable)
        raise ReplicationGroupError(
            message=f"Failed to update replication group {params['replication_group_id']}: "
            f"attributes fixed at creation differ ({details}); the module does not replace a data store: "
            "create a new group (for example from a snapshot) or keep the current values"
        )
    check_engine_version(current, params)
    check_failover(current, params)
    changed = False
    after = current
    for ensure in (*change_order(current, params), ensure_auth_token):
        step_changed, after = ensure(client, check_mode, after, params, changed and not params["wait"])
        changed |= step_changed
    step_changed, after = ensure_tags(client, check_mode, after, params["tags"], params["purge_tags"])
    return changed or step_changed, after


def ensure_absent(client, check_mode, current, params):
    """Delete the group (with a final snapshot when asked); returns (changed, None)."""
    if current is None:
        return False, None
    if current["status"] == "deleting":
        # Already being deleted by someone else: nothing to call, only wait.
        changed = False
    else:
        if check_mode:
            return True, None
        changed = delete_replication_group(
            client, params["replication_group_id"], params["final_snapshot_identifier"]
        )
    if params["wait"] and not check_mode:
        wait_for_replication_group(client, params["replication_group_id"], "deleted", params["wait_timeout"])
    return changed, None


def validate(module):
    """Rules the argument spec cannot express; fail naming the option and the fix."""
    params = module.params
    if not _ID_PATTERN.match(params["replication_group_id"]) or len(params["replication_group_id"]) > 40:
        module.fail_json(
            msg=f"replication_group_id {params['replication_group_id']!r} is invalid: use 1 to 40 lowercase letters, "
            "digits and single hyphens, starting with a letter"
        )
    if params["state"] == "absent":
        return
    if params["num_node_groups"] < 1 or params["num_node_groups"] > 500:
        module.fail_json(msg=f"num_node_groups must be between 1 and 500, got {params['num_node_groups']}")
    replicas = params["replicas_per_node_group"]
    if replicas is not None and not 0 <= replicas <= 5:
        module.fail_json(msg=f"replicas_per_node_group must be between 0 and 5, got {replicas}")
    if params["snapshot_retention_limit"] is not None and params["snapshot_retention_limit"] < 0:
        module.fail_json(msg=f"snapshot_retention_limit must be 0 or more days, got {params['snapshot_retention_limit']}")
    if not 1 <= params["port"] <= 65535:
        module.fail_json(msg=f"port must be between 1 and 65535, got {params['port']}")
    version = params["engine_version"]
    if version is not None and not ENGINE_VERSION_PATTERN.match(version):
        module.fail_json(
            msg=f"engine_version {version!r} is invalid: use <major>.<minor> (for example 7.1), <major>.x or a full "
            "version such as 7.1.0"
        )
    if params["multi_az"] and params["automatic_failover"] is False:
        module.fail_json(msg="multi_az=true needs automatic_failover=true")
    if (params["automatic_failover"] or params["multi_az"]) and replicas == 0:
        module.fail_json(msg="automatic_failover and multi_az need replicas_per_node_group of 1 or more")
    if params["kms_key_id"] and params["at_rest_encryption"] is False:
        module.fail_json(msg="kms_key_id needs at_rest_encryption=true")
    token = params["auth_token"]
    if token is not None and not _TOKEN_PATTERN.match(token):
        module.fail_json(msg=f"auth_token must be {_TOKEN_RULE}")
    for option in ("auth_token", "auth_token_secret_id"):
        if params[option] is not None and params["transit_encryption"] is False:
            module.fail_json(msg=f"{option} needs transit_encryption=true")
    if params["auth_token_update_strategy"] and not (token or params["auth_token_secret_id"]):
        module.fail_json(msg="auth_token_update_strategy needs auth_token or auth_token_secret_id (the token to send)")


def read_auth_token(module, secret_id):
    """The AUTH token stored in the secret ``secret_id`` (GetSecretValue), registered as no_log at once.

    Failures name the secret, never the value."""
    token = get_secret_string(module.client("secretsmanager"), secret_id)
    if token:
        module.no_log_values.add(token)
    if not token or not _TOKEN_PATTERN.match(token):
        module.fail_json(
            msg=f"The value of secret {secret_id} (auth_token_secret_id) is not a valid Redis AUTH token: it must be "
            f"{_TOKEN_RULE}, as a plain string; create it with strata.platform.secretsmanager_random_secret "
            "(its default exclude_characters fit)"
        )
    return token


def main():
    argument_spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        replication_group_id=dict(type="str", required=True),
        description=dict(type="str"),
        engine_version=dict(type="str"),
        cache_node_type=dict(type="str"),
        num_node_groups=dict(type="int", default=1),
        replicas_per_node_group=dict(type="int"),
        automatic_failover=dict(type="bool"),
        multi_az=dict(type="bool"),
        cache_subnet_group_name=dict(type="str"),
        security_group_ids=dict(type="list", elements="str"),
        cache_parameter_group_name=dict(type="str"),
        at_rest_encryption=dict(type="bool"),
        kms_key_id=dict(type="str"),
        transit_encryption=dict(type="bool"),
        auth_token=dict(type="str", no_log=True),
        auth_token_secret_id=dict(type="str"),
        auth_token_update_strategy=dict(type="str", choices=["ROTATE", "SET"]),
        snapshot_retention_limit=dict(type="int"),
        snapshot_window=dict(type="str"),
        preferred_maintenance_window=dict(type="str"),
        port=dict(type="int", default=6379),
        final_snapshot_identifier=dict(type="str"),
        apply_immediately=dict(type="bool", default=True),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1800),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[("auth_token", "auth_token_secret_id")],
        supports_check_mode=True,
    )
    validate(module)
    params = dict(module.params)
    client = module.client("elasticache")

    try:
        before = get_replication_group(client, params["replication_group_id"])
        if params["state"] == "absent":
            changed, after = ensure_absent(client, module.check_mode, before, params)
        else:
            if before is None:
                if not params["cache_node_type"]:
                    module.fail_json(msg="cache_node_type is required to create a replication group")
                for option in ("auth_token", "auth_token_secret_id"):
                    if params[option] and not params["transit_encryption"]:
                        module.fail_json(msg=f"{option} needs transit_encryption=true")
            sends_token = before is None or params["auth_token_update_strategy"]
            if params["auth_token_secret_id"] and sends_token and not module.check_mode:
                # Read only when the token is sent (never in check mode, never on a plain re-run).
                params["auth_token"] = read_auth_token(module, params["auth_token_secret_id"])
            changed, after = ensure_present(client, module.check_mode, before, params)
            if changed and not module.check_mode:
                described = get_replication_group(client, params["replication_group_id"])
                # With apply_immediately=false AWS still reports the old values: keep the prediction then.
                if described is not None and (before is None or (params["wait"] and params["apply_immediately"])):
                    after = described
            elif params["wait"] and not module.check_mode and before is not None and before["status"] in BUSY:
                # Started earlier (for example by a run with wait=false, to create several data stores at once):
                # nothing to change, but wait=true promises an available group.
                wait_for_replication_group(client, params["replication_group_id"], "available", params["wait_timeout"])
                after = get_replication_group(client, params["replication_group_id"]) or after
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)

    result = {"changed": changed, "replication_group": after}
    if module._diff:
        result["diff"] = {"before": before or {}, "after": after or {}}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
