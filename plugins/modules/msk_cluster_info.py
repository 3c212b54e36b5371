#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: msk_cluster_info
version_added: 0.1.0
short_description: Describe Amazon MSK clusters
description:
  - Describe one Amazon MSK cluster by name, the clusters whose name starts with a prefix, or all of them, in the
    shape M(strata.platform.msk_cluster) returns (bootstrap brokers included for C(ACTIVE) clusters).
author:
  - strata.platform contributors (!UNKNOWN)
options:
  name:
    description:
      - The exact name of one cluster. Mutually exclusive with O(name_prefix).
    type: str
    aliases: [cluster_name]
  name_prefix:
    description:
      - Only clusters whose name starts with this.
    type: str
  tags:
    description:
      - Only clusters that carry all these tags (values compared as strings).
    type: dict
notes:
  - "Required IAM actions: C(kafka:ListClusters), C(kafka:DescribeCluster), C(kafka:GetBootstrapBrokers)."
attributes:
  check_mode:
    support: full
    details: The module only reads.
  diff_mode:
    support: none
extends_documentation_fragment:
  - strata.platform.aws
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Describe the Kafka cluster of fsm prod
  strata.platform.msk_cluster_info:
    name: fsm-prod-kafka
  register: kafka

- name: Every cluster the collection owns in the environment
  strata.platform.msk_cluster_info:
    name_prefix: fsm-prod-
    tags:
      owner: strata.platform
      environment: prod
"""

RETURN = r"""
clusters:
  description:
    - The clusters found (an empty list when none matches), each in the shape of M(strata.platform.msk_cluster)'s
      C(cluster) return value - cluster_name, cluster_arn, state, current_version, creation_time, kafka_version,
      broker_type, broker_count, client_subnets, security_groups, ebs_volume_size, configuration_arn,
      configuration_revision, client_broker_encryption, in_cluster_encryption, kms_key_id, enhanced_monitoring,
      cloudwatch_log_group, open_monitoring, authentication, bootstrap_brokers and tags.
  returned: always
  type: list
  elements: dict
  sample:
    - cluster_name: fsm-prod-kafka
      cluster_arn: arn:aws:kafka:us-east-1:123456789012:cluster/fsm-prod-kafka/7f3c2f1e-1111-2222-3333-444455556666-2
      state: ACTIVE
      broker_type: kafka.m5.large
      broker_count: 3
      bootstrap_brokers: {"tls": "b-1.fsmprodkafka.abc123.c2.kafka.us-east-1.amazonaws.com:9094", "plaintext": null}
      tags: {"environment": "prod"}
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.strata.platform.plugins.module_utils._aws.msk import describe_full
from ansible_collections.strata.platform.plugins.module_utils._aws.msk import list_clusters


def matches(info, params):
    if params["name"] is not None and info.get("ClusterName") != params["name"]:
        return False
    if params["name_prefix"] is not None and not (info.get("ClusterName") or "").startswith(params["name_prefix"]):
        return False
    tags = info.get("Tags") or {}
    return all(tags.get(key) == str(value) for key, value in (params["tags"] or {}).items())


def main():
    argument_spec = dict(
        name=dict(type="str", aliases=["cluster_name"]),
        name_prefix=dict(type="str"),
        tags=dict(type="dict"),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[["name", "name_prefix"]],
        supports_check_mode=True,
    )
    params = module.params
    client = module.client("kafka")
    try:
        listed = list_clusters(client, params["name"] or params["name_prefix"])
        clusters = [describe_full(client, info) for info in listed if matches(info, params)]
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=False, clusters=sorted(clusters, key=lambda cluster: cluster["cluster_name"]))


if __name__ == "__main__":
    main()
