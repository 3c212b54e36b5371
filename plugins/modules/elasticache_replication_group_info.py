#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: elasticache_replication_group_info
version_added: 0.1.0
short_description: List ElastiCache Redis replication groups
description:
  - Describe one ElastiCache replication group by id, or all of them in the region.
  - Each group has the shape that M(strata.platform.elasticache_replication_group) returns.
author:
  - strata.platform contributors (!UNKNOWN)
options:
  replication_group_id:
    description:
      - The group to describe. When not set, every group in the region is listed.
      - A group that does not exist gives an empty list.
    type: str
notes:
  - "Required IAM actions: C(elasticache:DescribeReplicationGroups), C(elasticache:DescribeCacheClusters),
    C(elasticache:ListTagsForResource)."
attributes:
  check_mode:
    support: full
    details: The module never changes anything.
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
- name: Describe one replication group
  strata.platform.elasticache_replication_group_info:
    replication_group_id: fsm-prod-redis
  register: redis

- name: Use its primary endpoint
  ansible.builtin.debug:
    msg: "{{ redis.replication_groups[0].primary_endpoint.address }}"
  when: redis.replication_groups | length > 0

- name: List every replication group of the region
  strata.platform.elasticache_replication_group_info:
  register: all_redis
"""

RETURN = r"""
replication_groups:
  description:
    - The replication groups, sorted by id, in the shape M(strata.platform.elasticache_replication_group) returns
      (see its documentation for every key). Never contains an auth token.
  returned: always
  type: list
  elements: dict
  sample:
    - replication_group_id: fsm-prod-redis
      arn: arn:aws:elasticache:us-east-1:123456789012:replicationgroup:fsm-prod-redis
      status: available
      cache_node_type: cache.r6g.large
      num_node_groups: 1
      replicas_per_node_group: 1
      member_clusters: [fsm-prod-redis-001, fsm-prod-redis-002]
      primary_endpoint: {"address": "master.fsm-prod-redis.abc123.use1.cache.amazonaws.com", "port": 6379}
      reader_endpoint: {"address": "replica.fsm-prod-redis.abc123.use1.cache.amazonaws.com", "port": 6379}
      at_rest_encryption: true
      transit_encryption: true
      auth_token_enabled: true
      tags: {"Environment": "prod"}
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import describe_full
from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import describe_replication_groups


def list_replication_groups(client, replication_group_id):
    groups = describe_replication_groups(client, replication_group_id)
    if replication_group_id:
        groups = [g for g in groups if g.get("ReplicationGroupId") == replication_group_id]
    return sorted((describe_full(client, g) for g in groups), key=lambda g: g["replication_group_id"] or "")


def main():
    argument_spec = dict(replication_group_id=dict(type="str"))
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = module.client("elasticache")

    try:
        groups = list_replication_groups(client, module.params["replication_group_id"])
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)

    module.exit_json(changed=False, replication_groups=groups)


if __name__ == "__main__":
    main()
