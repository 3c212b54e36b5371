#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: msk_cluster
version_added: 0.1.0
short_description: Manage an Amazon MSK (provisioned) cluster
description:
  - Create, update in place, tag or delete one Amazon MSK provisioned cluster, identified by its O(name).
  - An option left unset is not managed; an existing cluster keeps its value.
  - Mutable attributes are changed in place, each with its own MSK operation - O(kafka_version) (upgrade only)
    with C(UpdateClusterKafkaVersion), O(configuration_arn) / O(configuration_revision) with
    C(UpdateClusterConfiguration), O(broker_type) with C(UpdateBrokerType), O(broker_count) (more brokers only)
    with C(UpdateBrokerCount), O(ebs_volume_size) (larger only) with C(UpdateBrokerStorage),
    O(enhanced_monitoring), O(open_monitoring) and O(cloudwatch_log_group) with one C(UpdateMonitoring),
    O(client_broker_encryption) and O(authentication) with one C(UpdateSecurity).
  - MSK runs one operation at a time on a cluster and only on an C(ACTIVE) one, so a run that has to make
    several changes, or change a cluster that is still C(CREATING) or C(UPDATING), waits for C(ACTIVE) before
    each operation whatever O(wait) says; O(wait) decides whether the module also waits after the last one.
  - Attributes that cannot change on an existing cluster (O(client_subnets), O(security_groups),
    O(in_cluster_encryption), O(kms_key_id)), a Kafka downgrade, fewer brokers and smaller volumes are compared
    too; a difference makes the module fail, naming them, before any change. It never replaces a cluster.
  - With O(wait=false) a creation is only started; a later run with O(wait=true) (and the same or no other
    options) waits until the cluster is C(ACTIVE) and returns its bootstrap brokers. That is how several slow
    creations overlap.
author:
  - strata.platform contributors (!UNKNOWN)
options:
  state:
    description:
      - V(present) makes sure the cluster exists as described; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - The cluster name (1 to 64 letters, digits and hyphens, starting with a letter), unique in the region.
    type: str
    required: true
    aliases: [cluster_name]
  kafka_version:
    description:
      - The Apache Kafka version, for example V(3.6.0). Required to create a cluster. A higher version upgrades
        the cluster in place; a lower one is an error.
    type: str
  broker_type:
    description:
      - The broker instance type, for example V(kafka.m5.large). Required to create a cluster.
    type: str
  broker_count:
    description:
      - The total number of brokers, a multiple of the number of O(client_subnets) (one or more brokers per zone).
        Required to create a cluster. MSK adds brokers in place; fewer brokers is an error (move the partitions
        off the brokers and remove them by hand).
    type: int
  client_subnets:
    description:
      - The subnets the brokers are placed in, two or three, each in its own availability zone. Required to
        create a cluster. Immutable (order does not matter).
    type: list
    elements: str
    aliases: [subnets]
  security_groups:
    description:
      - The security groups of the brokers' network interfaces. Immutable (order does not matter).
    type: list
    elements: str
  ebs_volume_size:
    description:
      - The EBS volume of each broker in GiB (1 to 16384). It can only grow.
    type: int
  configuration_arn:
    description:
      - The ARN of the MSK configuration the brokers use (see M(strata.platform.msk_cluster_configuration)).
    type: str
  configuration_revision:
    description:
      - The revision of O(configuration_arn). A revision never changes; a changed configuration is a new
        revision, which this option then names.
    type: int
  client_broker_encryption:
    description:
      - Encryption between clients and brokers - V(TLS) only (port 9094), V(TLS_PLAINTEXT) both (9094 and
        9092) or V(PLAINTEXT) only (9092). AWS defaults to V(TLS).
    type: str
    choices: [TLS, TLS_PLAINTEXT, PLAINTEXT]
  in_cluster_encryption:
    description:
      - Whether traffic between brokers is encrypted (AWS default V(true)). Immutable.
    type: bool
  kms_key_id:
    description:
      - The KMS key (ARN) encrypting the broker volumes. Immutable. Unset at creation, AWS uses its managed key
        for MSK. Give the key ARN, which is what AWS reports; a key id matches the end of the ARN.
    type: str
  enhanced_monitoring:
    description:
      - The level of CloudWatch metrics.
    type: str
    choices: [DEFAULT, PER_BROKER, PER_TOPIC_PER_BROKER, PER_TOPIC_PER_PARTITION]
  cloudwatch_log_group:
    description:
      - The CloudWatch Logs group the broker logs are delivered to; V("") turns the delivery off.
      - The group must exist (for example from M(amazon.aws.cloudwatchlogs_log_group)). Broker logs to S3 or
        Firehose set outside this module are kept.
    type: str
  open_monitoring:
    description:
      - Open monitoring with Prometheus; a sub-option left unset is not managed.
    type: dict
    suboptions:
      jmx_exporter:
        description: Whether the JMX exporter runs on the brokers.
        type: bool
      node_exporter:
        description: Whether the node exporter runs on the brokers.
        type: bool
  authentication:
    description:
      - Client authentication; a sub-option left unset is not managed. Mutual TLS with a private CA is not
        managed by this module (an existing setting is kept).
    type: dict
    suboptions:
      unauthenticated:
        description: Whether clients may connect without authentication (AWS default when nothing else is on).
        type: bool
      sasl_iam:
        description: Whether IAM access control (SASL/IAM, port 9098) is on.
        type: bool
      sasl_scram:
        description: Whether SASL/SCRAM (port 9096, secrets in Secrets Manager) is on.
        type: bool
  wait:
    description:
      - Wait until the cluster is C(ACTIVE) after a creation or the last change, or until it is gone after a
        deletion. With V(true) and nothing to change, the module still waits for a cluster that is C(CREATING)
        or C(UPDATING).
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait for the cluster (MSK takes 15 to 30 minutes to create a cluster).
    type: int
    default: 3600
notes:
  - "Required IAM actions: C(kafka:ListClusters), C(kafka:DescribeCluster), C(kafka:GetBootstrapBrokers),
    C(kafka:CreateCluster), C(kafka:UpdateClusterKafkaVersion), C(kafka:UpdateClusterConfiguration),
    C(kafka:UpdateBrokerType), C(kafka:UpdateBrokerCount), C(kafka:UpdateBrokerStorage), C(kafka:UpdateMonitoring),
    C(kafka:UpdateSecurity), C(kafka:DeleteCluster), C(kafka:TagResource), C(kafka:UntagResource); to create, the
    EC2 network-interface actions MSK needs (C(ec2:DescribeSubnets), C(ec2:DescribeSecurityGroups),
    C(ec2:CreateNetworkInterface), ...), C(kms:CreateGrant) and C(kms:DescribeKey) on O(kms_key_id), and
    C(logs:CreateLogDelivery) / C(logs:PutResourcePolicy) / C(logs:DescribeResourcePolicies) /
    C(logs:DescribeLogGroups) for O(cloudwatch_log_group)."
  - botocore has no MSK waiters; the module polls C(DescribeCluster) with growing delays (1 s doubling up to 30 s).
  - Unlike M(community.aws.msk_cluster), an existing cluster is compared on every managed attribute, a check mode
    run returns the predicted cluster, diff mode is supported, and a run can wait for a creation started earlier.
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
- name: Start the creation of a three-broker TLS cluster (returns at once)
  strata.platform.msk_cluster:
    name: fsm-prod-kafka
    kafka_version: "3.6.0"
    broker_type: kafka.m5.large
    broker_count: 3
    client_subnets: [subnet-0aaaaaaaaaaaaaaaa, subnet-0bbbbbbbbbbbbbbbb, subnet-0cccccccccccccccc]
    security_groups: [sg-0123456789abcdef0]
    ebs_volume_size: 500
    configuration_arn: "{{ kafka_config.configuration.arn }}"
    configuration_revision: "{{ kafka_config.configuration.revision }}"
    client_broker_encryption: TLS
    in_cluster_encryption: true
    kms_key_id: arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666
    enhanced_monitoring: PER_TOPIC_PER_BROKER
    cloudwatch_log_group: /strata/fsm/prod/msk
    tags:
      environment: prod
    wait: false

- name: Later (after other slow creations were started), wait for it
  strata.platform.msk_cluster:
    name: fsm-prod-kafka
    wait: true
  register: kafka

- name: Show the TLS bootstrap brokers
  ansible.builtin.debug:
    msg: "{{ kafka.cluster.bootstrap_brokers.tls }}"

- name: Delete the cluster and wait until it is gone
  strata.platform.msk_cluster:
    name: fsm-prod-kafka
    state: absent
"""

RETURN = r"""
cluster:
  description:
    - The cluster after the change (in check mode, the prediction); V(null) after O(state=absent).
  returned: always
  type: complex
  contains:
    cluster_name:
      description: The cluster name.
      type: str
      returned: always
      sample: fsm-prod-kafka
    cluster_arn:
      description: The cluster ARN (V(null) for a cluster check mode would create).
      type: str
      returned: always
      sample: arn:aws:kafka:us-east-1:123456789012:cluster/fsm-prod-kafka/7f3c2f1e-1111-2222-3333-444455556666-2
    state:
      description: C(CREATING), C(ACTIVE), C(UPDATING), C(DELETING), C(FAILED), ...
      type: str
      returned: always
      sample: ACTIVE
    current_version:
      description: The cluster version that the next update must carry (changes with every operation).
      type: str
      returned: always
      sample: K3AEGXETSR30VB
    creation_time:
      description: When the cluster was created (ISO 8601).
      type: str
      returned: always
      sample: "2026-01-05T10:00:00.000000+00:00"
    kafka_version:
      description: The Apache Kafka version.
      type: str
      returned: always
      sample: 3.6.0
    broker_type:
      description: The broker instance type.
      type: str
      returned: always
      sample: kafka.m5.large
    broker_count:
      description: The number of brokers.
      type: int
      returned: always
      sample: 3
    client_subnets:
      description: The brokers' subnets, sorted.
      type: list
      elements: str
      returned: always
      sample: [subnet-0aaaaaaaaaaaaaaaa, subnet-0bbbbbbbbbbbbbbbb, subnet-0cccccccccccccccc]
    security_groups:
      description: The brokers' security groups, sorted.
      type: list
      elements: str
      returned: always
      sample: [sg-0123456789abcdef0]
    ebs_volume_size:
      description: The EBS volume of each broker (GiB).
      type: int
      returned: always
      sample: 500
    configuration_arn:
      description: The MSK configuration of the brokers (V(null) for the MSK default configuration).
      type: str
      returned: always
      sample: arn:aws:kafka:us-east-1:123456789012:configuration/fsm-prod-kafka/0a1b2c3d-1111-2222-3333-444455556666-1
    configuration_revision:
      description: The revision of the configuration.
      type: int
      returned: always
      sample: 2
    client_broker_encryption:
      description: C(TLS), C(TLS_PLAINTEXT) or C(PLAINTEXT).
      type: str
      returned: always
      sample: TLS
    in_cluster_encryption:
      description: Whether traffic between brokers is encrypted.
      type: bool
      returned: always
      sample: true
    kms_key_id:
      description: The KMS key of the broker volumes.
      type: str
      returned: always
      sample: arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666
    enhanced_monitoring:
      description: The level of CloudWatch metrics.
      type: str
      returned: always
      sample: PER_TOPIC_PER_BROKER
    cloudwatch_log_group:
      description: The CloudWatch Logs group of the broker logs (V(null) when off).
      type: str
      returned: always
      sample: /strata/fsm/prod/msk
    open_monitoring:
      description: Prometheus exporters on the brokers.
      type: dict
      returned: always
      sample: {"jmx_exporter": false, "node_exporter": false}
    authentication:
      description: Client authentication.
      type: dict
      returned: always
      sample: {"unauthenticated": true, "sasl_iam": false, "sasl_scram": false, "tls": false}
    bootstrap_brokers:
      description:
        - The bootstrap broker strings by listener (C(plaintext) 9092, C(tls) 9094, C(sasl_scram) 9096,
          C(sasl_iam) 9098; V(null) for a listener that is off). V(null) until the cluster is C(ACTIVE).
      type: dict
      returned: always
      sample: {"tls": "b-1.fsmprodkafka.abc123.c2.kafka.us-east-1.amazonaws.com:9094,b-2...", "plaintext": null}
    tags:
      description: The cluster's tags.
      type: dict
      returned: always
      sample: {"environment": "prod"}
operations:
  description:
    - The MSK operations the run called, in order (in check mode, those it would call).
  returned: always
  type: list
  elements: str
  sample: [UpdateBrokerType, UpdateMonitoring]
diff:
  description: The cluster before and after, when run with C(--diff).
  returned: when diff mode is on
  type: dict
  sample:
    before: {"broker_type": "kafka.t3.small"}
    after: {"broker_type": "kafka.m5.large"}
"""

import re
from copy import deepcopy

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.strata.platform.plugins.module_utils._aws.msk import CLUSTER_KEYS
from ansible_collections.strata.platform.plugins.module_utils._aws.msk import TRANSIENT_STATES
from ansible_collections.strata.platform.plugins.module_utils._aws.msk import create_cluster
from ansible_collections.strata.platform.plugins.module_utils._aws.msk import delete_cluster
from ansible_collections.strata.platform.plugins.module_utils._aws.msk import describe_cluster
from ansible_collections.strata.platform.plugins.module_utils._aws.msk import describe_full
from ansible_collections.strata.platform.plugins.module_utils._aws.msk import find_cluster
from ansible_collections.strata.platform.plugins.module_utils._aws.msk import tag_resource
from ansible_collections.strata.platform.plugins.module_utils._aws.msk import untag_resource
from ansible_collections.strata.platform.plugins.module_utils._aws.msk import update_cluster
from ansible_collections.strata.platform.plugins.module_utils._aws.msk import wait_for_cluster

# Attributes fixed at creation (compared; a difference fails).
IMMUTABLE = ("client_subnets", "security_groups", "in_cluster_encryption", "kms_key_id")
# Attributes that only move one way: option -> what a change the other way would need.
ONE_WAY = {
    "kafka_version": "MSK does not downgrade Apache Kafka",
    "broker_count": "MSK removes brokers only after their partitions are moved off; do that by hand",
    "ebs_volume_size": "EBS volumes only grow",
}
# Update operations in the order they are run, with the attributes each changes.
OPERATIONS = (
    ("UpdateClusterKafkaVersion", ("kafka_version",)),
    ("UpdateClusterConfiguration", ("configuration_arn", "configuration_revision")),
    ("UpdateBrokerType", ("broker_type",)),
    ("UpdateBrokerCount", ("broker_count",)),
    ("UpdateBrokerStorage", ("ebs_volume_size",)),
    ("UpdateMonitoring", ("enhanced_monitoring", "open_monitoring", "cloudwatch_log_group")),
    ("UpdateSecurity", ("client_broker_encryption", "authentication")),
)
COMPARED = IMMUTABLE + tuple(key for _operation, keys in OPERATIONS for key in keys)

_NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,63}$")
_BROKER_TYPE_PATTERN = re.compile(r"^kafka\.[a-z0-9-]+\.[a-z0-9]+$")


class ClusterError(AnsibleAWSError):
    pass


def version_key(version):
    """Orders Kafka versions: 3.10.0 > 3.9.x > 3.6.0 (numbers as numbers)."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"[.-]", version or ""))


def wanted_state(params):
    """The managed attributes as the normalised cluster names them (None = not managed)."""
    wanted = {key: params.get(key) for key in COMPARED}
    if params["cloudwatch_log_group"] is not None:
        wanted["cloudwatch_log_group"] = params["cloudwatch_log_group"] or None
    for key in ("open_monitoring", "authentication"):
        if params[key] is not None:
            wanted[key] = {name: value for name, value in params[key].items() if value is not None} or None
    return wanted


def managed(params, key):
    if key == "cloudwatch_log_group":
        return params["cloudwatch_log_group"] is not None
    return wanted_state(params)[key] is not None


def _same(key, have, wanted):
    if key in ("client_subnets", "security_groups"):
        return sorted(have or []) == sorted(wanted)
    if key == "kms_key_id":
        return bool(have) and (have == wanted or have.endswith("/" + wanted))
    if key in ("open_monitoring", "authentication"):
        return all((have or {}).get(name) == value for name, value in wanted.items())
    return have == wanted


def differences(current, params):
    """Compare: {attribute: wanted} for each managed attribute that differs."""
    wanted = wanted_state(params)
    return {
        key: wanted[key]
        for key in COMPARED
        if managed(params, key) and not _same(key, current.get(key), wanted[key])
    }


def refused_differences(current, changes):
    """The differences no operation can make, as 'attribute is X, asked Y (why)'."""
    refused = []
    for key in IMMUTABLE:
        if key in changes:
            refused.append(f"{key} is {current.get(key)!r}, asked {changes[key]!r} (fixed at creation)")
    for key, why in ONE_WAY.items():
        if key not in changes or current.get(key) is None:
            continue
        have, asked = current[key], changes[key]
        lower = version_key(asked) < version_key(have) if key == "kafka_version" else asked < have
        if lower:
            refused.append(f"{key} is {have!r}, asked {asked!r} ({why})")
    return refused


def apply_changes(cluster, changes):
    """The normalised cluster after ``changes`` (sub-dicts merged)."""
    after = deepcopy(cluster)
    for key, value in changes.items():
        if key in ("open_monitoring", "authentication"):
            after[key] = dict(after.get(key) or {}, **value)
        elif key in ("client_subnets", "security_groups"):
            after[key] = sorted(value)
        else:
            after[key] = value
    return after


def new_tags(current_tags, tags, purge_tags):
    to_set, to_unset = compare_aws_tags(current_tags, tags, purge_tags)
    result = {k: v for k, v in current_tags.items() if k not in to_unset}
    result.update({k: str(v) for k, v in to_set.items()})
    return to_set, to_unset, result


# --- requests -------------------------------------------------------------------------------------


def _open_monitoring_request(open_monitoring):
    return {
        "Prometheus": {
            "JmxExporter": {"EnabledInBroker": bool(open_monitoring.get("jmx_exporter"))},
            "NodeExporter": {"EnabledInBroker": bool(open_monitoring.get("node_exporter"))},
        }
    }


def _authentication_request(authentication, raw=None):
    """ClientAuthentication for the merged settings, keeping a mutual-TLS setting that exists."""
    request = deepcopy(raw or {})
    sasl = request.setdefault("Sasl", {})
    sasl["Iam"] = {"Enabled": bool(authentication.get("sasl_iam"))}
    sasl["Scram"] = {"Enabled": bool(authentication.get("sasl_scram"))}
    request["Unauthenticated"] = {"Enabled": bool(authentication.get("unauthenticated"))}
    return request


def _logging_request(log_group, raw=None):
    """LoggingInfo with the CloudWatch Logs delivery set, keeping S3 and Firehose deliveries that exist."""
    broker_logs = deepcopy(((raw or {}).get("BrokerLogs")) or {})
    broker_logs["CloudWatchLogs"] = {"Enabled": True, "LogGroup": log_group} if log_group else {"Enabled": False}
    return {"BrokerLogs": broker_logs}


def create_request(params):
    node_group = {"ClientSubnets": params["client_subnets"], "InstanceType": params["broker_type"]}
    if params["security_groups"] is not None:
        node_group["SecurityGroups"] = params["security_groups"]
    if params["ebs_volume_size"] is not None:
        node_group["StorageInfo"] = {"EbsStorageInfo": {"VolumeSize": params["ebs_volume_size"]}}
    request = {
        "KafkaVersion": params["kafka_version"],
        "NumberOfBrokerNodes": params["broker_count"],
        "BrokerNodeGroupInfo": node_group,
    }
    if params["configuration_arn"]:
        request["ConfigurationInfo"] = {"Arn": params["configuration_arn"], "Revision": params["configuration_revision"]}
    encryption = {}
    if params["kms_key_id"]:
        encryption["EncryptionAtRest"] = {"DataVolumeKMSKeyId": params["kms_key_id"]}
    in_transit = {}
    if params["client_broker_encryption"]:
        in_transit["ClientBroker"] = params["client_broker_encryption"]
    if params["in_cluster_encryption"] is not None:
        in_transit["InCluster"] = params["in_cluster_encryption"]
    if in_transit:
        encryption["EncryptionInTransit"] = in_transit
    if encryption:
        request["EncryptionInfo"] = encryption
    if params["enhanced_monitoring"]:
        request["EnhancedMonitoring"] = params["enhanced_monitoring"]
    if params["open_monitoring"] is not None:
        request["OpenMonitoring"] = _open_monitoring_request(params["open_monitoring"])
    if params["cloudwatch_log_group"]:
        request["LoggingInfo"] = _logging_request(params["cloudwatch_log_group"])
    if params["authentication"] is not None:
        defaults = {"unauthenticated": not (params["authentication"].get("sasl_iam") or params["authentication"].get("sasl_scram"))}
        merged = dict(defaults, **{k: v for k, v in params["authentication"].items() if v is not None})
        request["ClientAuthentication"] = _authentication_request(merged)
    if params["tags"]:
        request["Tags"] = {k: str(v) for k, v in params["tags"].items()}
    return request


def update_request(operation, keys, after, raw):
    """The parameters of ``operation`` (besides ClusterArn and CurrentVersion) that make the cluster ``after``;
    ``keys``: the attributes it changes, ``raw``: the ClusterInfo (settings the module does not manage are kept)."""
    if operation == "UpdateClusterKafkaVersion":
        return {"TargetKafkaVersion": after["kafka_version"]}
    if operation == "UpdateClusterConfiguration":
        return {"ConfigurationInfo": {"Arn": after["configuration_arn"], "Revision": after["configuration_revision"]}}
    if operation == "UpdateBrokerType":
        return {"TargetInstanceType": after["broker_type"]}
    if operation == "UpdateBrokerCount":
        return {"TargetNumberOfBrokerNodes": after["broker_count"]}
    if operation == "UpdateBrokerStorage":
        return {"TargetBrokerEBSVolumeInfo": [{"KafkaBrokerNodeId": "All", "VolumeSizeGB": after["ebs_volume_size"]}]}
    if operation == "UpdateMonitoring":
        return {
            "EnhancedMonitoring": after["enhanced_monitoring"],
            "OpenMonitoring": _open_monitoring_request(after["open_monitoring"]),
            "LoggingInfo": _logging_request(after["cloudwatch_log_group"], raw.get("LoggingInfo")),
        }
    # UpdateSecurity
    request = {}
    if "client_broker_encryption" in keys:
        request["EncryptionInfo"] = {"EncryptionInTransit": {"ClientBroker": after["client_broker_encryption"]}}
    if "authentication" in keys:
        request["ClientAuthentication"] = _authentication_request(after["authentication"], raw.get("ClientAuthentication"))
    return request


def planned_operations(changes):
    """[(operation, attributes it changes)] for the differences, in the order they run."""
    return [
        (operation, [key for key in keys if key in changes])
        for operation, keys in OPERATIONS
        if any(key in changes for key in keys)
    ]


def predicted_cluster(params):
    """What AWS will report for a cluster created from the parameters (ARN and brokers unknown until created)."""
    predicted = dict.fromkeys(CLUSTER_KEYS)
    authentication = {"unauthenticated": True, "sasl_iam": False, "sasl_scram": False, "tls": False}
    if params["authentication"]:
        set_ = {k: v for k, v in params["authentication"].items() if v is not None}
        if set_.get("sasl_iam") or set_.get("sasl_scram"):
            authentication["unauthenticated"] = False
        authentication.update(set_)
    predicted.update(
        cluster_name=params["name"],
        state="ACTIVE" if params["wait"] else "CREATING",
        kafka_version=params["kafka_version"],
        broker_type=params["broker_type"],
        broker_count=params["broker_count"],
        client_subnets=sorted(params["client_subnets"] or []),
        security_groups=sorted(params["security_groups"] or []),
        ebs_volume_size=params["ebs_volume_size"],
        configuration_arn=params["configuration_arn"],
        configuration_revision=params["configuration_revision"],
        client_broker_encryption=params["client_broker_encryption"] or "TLS",
        in_cluster_encryption=params["in_cluster_encryption"] is not False,
        kms_key_id=params["kms_key_id"],
        enhanced_monitoring=params["enhanced_monitoring"] or "DEFAULT",
        cloudwatch_log_group=params["cloudwatch_log_group"] or None,
        open_monitoring={
            "jmx_exporter": bool((params["open_monitoring"] or {}).get("jmx_exporter")),
            "node_exporter": bool((params["open_monitoring"] or {}).get("node_exporter")),
        },
        authentication=authentication,
        tags={k: str(v) for k, v in (params["tags"] or {}).items()},
    )
    return predicted


# --- ensure ---------------------------------------------------------------------------------------


def ensure_created(client, check_mode, params):
    """Create the cluster (wait for ACTIVE only with wait=true); returns (changed, predicted, operations)."""
    predicted = predicted_cluster(params)
    if check_mode:
        return True, predicted, ["CreateCluster"]
    answer = create_cluster(client, params["name"], **create_request(params))
    if params["wait"]:
        wait_for_cluster(client, answer["ClusterArn"], "ACTIVE", params["wait_timeout"])
    return True, predicted, ["CreateCluster"]


def _active(client, info, timeout):
    """The ClusterInfo once ACTIVE (MSK accepts an operation only then)."""
    if info["State"] == "ACTIVE":
        return info
    return wait_for_cluster(client, info["ClusterArn"], "ACTIVE", timeout)


def ensure_updated(client, check_mode, info, current, params):
    """Compare and run the update operations in order; returns (changed, predicted, operations)."""
    changes = differences(current, params)
    if changes and not check_mode and info["State"] in TRANSIENT_STATES:
        # AWS may still report the values from before an operation in progress: compare again once ACTIVE.
        info = _active(client, info, params["wait_timeout"])
        current = describe_full(client, info)
        changes = differences(current, params)
    refused = refused_differences(current, changes)
    if refused:
        raise ClusterError(
            message=f"Failed to update MSK cluster {params['name']}: {'; '.join(refused)}. The module does not "
            "replace a cluster: create a new one and move the clients, or keep the current values"
        )
    if current["state"] not in ("ACTIVE",) + TRANSIENT_STATES and changes:
        raise ClusterError(
            message=f"Failed to update MSK cluster {params['name']}: it is {current['state']}, MSK changes only an "
            "ACTIVE cluster; repair or delete it first"
        )
    steps = planned_operations(changes)
    predicted = apply_changes(current, changes)
    operations = [operation for operation, _keys in steps]
    if check_mode or not steps:
        return bool(steps), predicted, operations
    for operation, keys in steps:
        info = _active(client, info, params["wait_timeout"])
        request = update_request(operation, keys, predicted, info)
        update_cluster(client, operation, info["ClusterArn"], info["CurrentVersion"], **request)
        info = describe_cluster(client, info["ClusterArn"])
    if params["wait"]:
        wait_for_cluster(client, info["ClusterArn"], "ACTIVE", params["wait_timeout"])
    return True, predicted, operations


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
        untag_resource(client, current["cluster_arn"], to_unset)
    if to_set:
        tag_resource(client, current["cluster_arn"], {k: str(v) for k, v in to_set.items()})
    return True, predicted


def ensure_present(client, check_mode, info, current, params):
    """Create, or compare, update and tag; returns (changed, predicted, operations).
    ``info``: the ClusterInfo, ``current``: its normalised form (both None when there is no cluster)."""
    if info is None:
        return ensure_created(client, check_mode, params)
    if info["State"] == "DELETING":
        raise ClusterError(
            message=f"Failed to update MSK cluster {params['name']}: it is being deleted; run again once it is gone"
        )
    changed, after, operations = ensure_updated(client, check_mode, info, current, params)
    tags_changed, after = ensure_tags(client, check_mode, after, params["tags"], params["purge_tags"])
    if not changed and not check_mode and params["wait"] and info["State"] in TRANSIENT_STATES:
        # Nothing to change: wait for a creation (or an operation) started earlier.
        wait_for_cluster(client, info["ClusterArn"], "ACTIVE", params["wait_timeout"])
    return changed or tags_changed, after, operations + (["TagResource"] if tags_changed else [])


def ensure_absent(client, check_mode, info, params):
    """Delete the cluster; returns (changed, None, operations)."""
    if info is None:
        return False, None, []
    changed = False
    if info["State"] != "DELETING":
        if check_mode:
            return True, None, ["DeleteCluster"]
        changed = delete_cluster(client, info["ClusterArn"], info.get("CurrentVersion"))
    if params["wait"] and not check_mode:
        wait_for_cluster(client, info["ClusterArn"], "DELETED", params["wait_timeout"])
    return changed, None, ["DeleteCluster"] if changed else []


def validate(module):
    """Rules the argument spec cannot express; fail naming the option and the fix (no API call yet)."""
    params = module.params
    if not _NAME_PATTERN.match(params["name"]):
        module.fail_json(
            msg=f"name {params['name']!r} is invalid: use 1 to 64 letters, digits and hyphens, starting with a letter"
        )
    if params["state"] == "absent":
        return
    if params["broker_type"] is not None and not _BROKER_TYPE_PATTERN.match(params["broker_type"]):
        module.fail_json(msg=f"broker_type {params['broker_type']!r} is not an MSK broker type; use one like kafka.m5.large")
    if params["broker_count"] is not None and params["broker_count"] < 1:
        module.fail_json(msg=f"broker_count must be 1 or more, got {params['broker_count']}")
    subnets = params["client_subnets"]
    if subnets is not None:
        if not 2 <= len(subnets) <= 3 or len(set(subnets)) != len(subnets):
            module.fail_json(
                msg=f"client_subnets must list two or three different subnets (one per zone), got {len(subnets)}: {subnets}"
            )
        if params["broker_count"] is not None and params["broker_count"] % len(subnets):
            module.fail_json(
                msg=f"broker_count {params['broker_count']} is not a multiple of the {len(subnets)} client_subnets; "
                f"use {len(subnets)}, {2 * len(subnets)}, ... (the same number of brokers in each zone)"
            )
    if params["ebs_volume_size"] is not None and not 1 <= params["ebs_volume_size"] <= 16384:
        module.fail_json(msg=f"ebs_volume_size must be between 1 and 16384 GiB, got {params['ebs_volume_size']}")
    if params["configuration_revision"] is not None and params["configuration_revision"] < 1:
        module.fail_json(msg=f"configuration_revision must be 1 or more, got {params['configuration_revision']}")
    if params["wait_timeout"] < 1:
        module.fail_json(msg=f"wait_timeout must be 1 second or more, got {params['wait_timeout']}")


def require_create_options(module):
    missing = [key for key in ("kafka_version", "broker_type", "broker_count", "client_subnets") if module.params[key] is None]
    if missing:
        module.fail_json(
            msg=f"MSK cluster {module.params['name']} does not exist; {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} required to create it"
        )


def main():
    argument_spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        name=dict(type="str", required=True, aliases=["cluster_name"]),
        kafka_version=dict(type="str"),
        broker_type=dict(type="str"),
        broker_count=dict(type="int"),
        client_subnets=dict(type="list", elements="str", aliases=["subnets"]),
        security_groups=dict(type="list", elements="str"),
        ebs_volume_size=dict(type="int"),
        configuration_arn=dict(type="str"),
        configuration_revision=dict(type="int"),
        client_broker_encryption=dict(type="str", choices=["TLS", "TLS_PLAINTEXT", "PLAINTEXT"]),
        in_cluster_encryption=dict(type="bool"),
        kms_key_id=dict(type="str"),
        enhanced_monitoring=dict(
            type="str", choices=["DEFAULT", "PER_BROKER", "PER_TOPIC_PER_BROKER", "PER_TOPIC_PER_PARTITION"]
        ),
        cloudwatch_log_group=dict(type="str"),
        open_monitoring=dict(
            type="dict", options=dict(jmx_exporter=dict(type="bool"), node_exporter=dict(type="bool"))
        ),
        authentication=dict(
            type="dict",
            options=dict(unauthenticated=dict(type="bool"), sasl_iam=dict(type="bool"), sasl_scram=dict(type="bool")),
        ),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=3600),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_together=[["configuration_arn", "configuration_revision"]],
        supports_check_mode=True,
    )
    validate(module)
    params = module.params
    client = module.client("kafka")

    before = None
    try:
        info = find_cluster(client, params["name"])
        before = describe_full(client, info) if info else None
        if params["state"] == "absent":
            changed, after, operations = ensure_absent(client, module.check_mode, info, params)
        else:
            if info is None:
                require_create_options(module)
            changed, after, operations = ensure_present(client, module.check_mode, info, before, params)
            if not module.check_mode:
                described = find_cluster(client, params["name"])
                if described is not None:
                    described = describe_full(client, described)
                    if info is None or params["wait"] or not changed:
                        after = described
                    else:
                        # Operations in progress: AWS may report the old values until they end.
                        after = dict(after, state=described["state"], current_version=described["current_version"])
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)

    result = {"changed": changed, "cluster": after, "operations": operations}
    if module._diff:
        result["diff"] = {"before": before or {}, "after": after or {}}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
