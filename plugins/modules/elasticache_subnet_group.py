#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: elasticache_subnet_group
version_added: 0.1.0
short_description: Manage an ElastiCache cache subnet group, with tags
description:
  - Create, modify, tag or delete one ElastiCache cache subnet group, identified by O(name).
  - Unlike M(community.aws.elasticache_subnet_group), it manages tags (so a role can find what it owns by its
    ownership tags), supports diff mode and returns the predicted group in check mode.
  - The description and the subnets of an existing group are changed in place with C(ModifyCacheSubnetGroup)
    (the subnets must stay in the same VPC).
author:
  - strata.platform contributors (!UNKNOWN)
options:
  state:
    description:
      - V(present) makes sure the group exists as described; V(absent) deletes it.
      - A group still used by a cache cluster or replication group cannot be deleted; the module retries for a
        while (a replication group being deleted releases it) and then fails.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - The name of the group (1 to 255 lowercase letters, digits and hyphens, starting with a letter).
        ElastiCache stores names in lowercase, so uppercase letters are refused rather than changed.
    type: str
    required: true
  description:
    description:
      - The description of the group. Defaults to O(name) when the group is created; not managed when unset.
    type: str
  subnet_ids:
    description:
      - The ids of the subnets (order does not matter). Required to create a group; not managed when unset.
    type: list
    elements: str
notes:
  - "Required IAM actions: C(elasticache:DescribeCacheSubnetGroups), C(elasticache:CreateCacheSubnetGroup),
    C(elasticache:ModifyCacheSubnetGroup), C(elasticache:DeleteCacheSubnetGroup), C(elasticache:ListTagsForResource),
    C(elasticache:AddTagsToResource), C(elasticache:RemoveTagsFromResource)."
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
- name: Ensure the cache subnet group on the private-data subnets
  strata.platform.elasticache_subnet_group:
    name: fsm-prod-cache
    description: fsm prod cache (private-data subnets)
    subnet_ids:
      - subnet-0123456789abcdef0
      - subnet-0123456789abcdef1
    tags:
      layer: cache

- name: Delete it
  strata.platform.elasticache_subnet_group:
    name: fsm-prod-cache
    state: absent
"""

RETURN = r"""
cache_subnet_group:
  description: The group after the change (in check mode, the prediction); V(null) after O(state=absent).
  returned: always
  type: complex
  contains:
    name:
      description: The name.
      type: str
      returned: always
      sample: fsm-prod-cache
    arn:
      description: The ARN (V(null) for a group check mode would create).
      type: str
      returned: always
      sample: arn:aws:elasticache:us-east-1:123456789012:subnetgroup:fsm-prod-cache
    description:
      description: The description.
      type: str
      returned: always
      sample: fsm prod cache (private-data subnets)
    vpc_id:
      description: The VPC of the subnets (V(null) for a group check mode would create).
      type: str
      returned: always
      sample: vpc-0123456789abcdef0
    subnet_ids:
      description: The subnet ids, sorted.
      type: list
      elements: str
      returned: always
      sample: [subnet-0123456789abcdef0, subnet-0123456789abcdef1]
    availability_zones:
      description: The zones of the subnets, sorted (empty for a group check mode would create).
      type: list
      elements: str
      returned: always
      sample: [us-east-1a, us-east-1b]
    tags:
      description: The tags.
      type: dict
      returned: always
      sample: {"layer": "cache"}
diff:
  description: The group before and after, when run with C(--diff).
  returned: when diff mode is on
  type: dict
  sample:
    before: {"subnet_ids": ["subnet-0123456789abcdef0"]}
    after: {"subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]}
"""

import re
from copy import deepcopy

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import SUBNET_GROUP_KEYS
from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import add_tags
from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import create_cache_subnet_group
from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import delete_cache_subnet_group
from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import get_cache_subnet_group
from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import modify_cache_subnet_group
from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import remove_tags

_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def ensure_created(client, check_mode, params):
    predicted = dict.fromkeys(SUBNET_GROUP_KEYS)
    predicted.update(
        name=params["name"],
        description=params["description"] or params["name"],
        subnet_ids=sorted(params["subnet_ids"]),
        availability_zones=[],
        tags={k: str(v) for k, v in (params["tags"] or {}).items()},
    )
    if check_mode:
        return True, predicted
    request = dict(CacheSubnetGroupDescription=predicted["description"], SubnetIds=params["subnet_ids"])
    if params["tags"]:
        request["Tags"] = ansible_dict_to_boto3_tag_list(predicted["tags"])
    create_cache_subnet_group(client, params["name"], **request)
    return True, predicted


def ensure_settings(client, check_mode, current, params):
    request = {}
    if params["description"] is not None and params["description"] != current["description"]:
        request["CacheSubnetGroupDescription"] = params["description"]
    if params["subnet_ids"] is not None and sorted(params["subnet_ids"]) != current["subnet_ids"]:
        request["SubnetIds"] = params["subnet_ids"]
    if not request:
        return False, current
    predicted = deepcopy(current)
    predicted["description"] = request.get("CacheSubnetGroupDescription", current["description"])
    if "SubnetIds" in request:
        predicted["subnet_ids"] = sorted(request["SubnetIds"])
    if not check_mode:
        modify_cache_subnet_group(client, params["name"], **request)
    return True, predicted


def ensure_tags(client, check_mode, current, params):
    if params["tags"] is None:
        return False, current
    to_set, to_unset = compare_aws_tags(current["tags"], params["tags"], params["purge_tags"])
    if not to_set and not to_unset:
        return False, current
    predicted = deepcopy(current)
    predicted["tags"] = {k: v for k, v in current["tags"].items() if k not in to_unset}
    predicted["tags"].update({k: str(v) for k, v in to_set.items()})
    if not check_mode:
        if to_unset:
            remove_tags(client, current["arn"], to_unset)
        if to_set:
            add_tags(client, current["arn"], {k: str(v) for k, v in to_set.items()})
    return True, predicted


def ensure_present(client, check_mode, current, params):
    if current is None:
        return ensure_created(client, check_mode, params)
    changed, after = ensure_settings(client, check_mode, current, params)
    tags_changed, after = ensure_tags(client, check_mode, after, params)
    return changed or tags_changed, after


def ensure_absent(client, check_mode, current):
    if current is None:
        return False, None
    if not check_mode:
        delete_cache_subnet_group(client, current["name"])
    return True, None


def validate(module):
    params = module.params
    name = params["name"]
    if not _NAME_PATTERN.match(name) or len(name) > 255:
        module.fail_json(
            msg=f"name {name!r} is invalid: use 1 to 255 lowercase letters, digits and single hyphens, "
            "starting with a letter (ElastiCache stores subnet group names in lowercase)"
        )
    if params["state"] == "present" and params["subnet_ids"] is not None:
        if not params["subnet_ids"]:
            module.fail_json(msg="subnet_ids must list at least one subnet; leave it unset to keep the current ones")
        bad = [s for s in params["subnet_ids"] if not re.match(r"^subnet-[0-9a-f]+$", s or "")]
        if bad:
            module.fail_json(msg=f"subnet_ids has values that are not subnet ids: {', '.join(map(str, bad))}")


def main():
    argument_spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        name=dict(type="str", required=True),
        description=dict(type="str"),
        subnet_ids=dict(type="list", elements="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    validate(module)
    params = module.params
    client = module.client("elasticache")

    try:
        before = get_cache_subnet_group(client, params["name"])
        if params["state"] == "absent":
            changed, after = ensure_absent(client, module.check_mode, before)
        else:
            if before is None and not params["subnet_ids"]:
                module.fail_json(msg=f"subnet_ids is required to create cache subnet group {params['name']}")
            changed, after = ensure_present(client, module.check_mode, before, params)
            if changed and not module.check_mode:
                after = get_cache_subnet_group(client, params["name"]) or after
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)

    result = {"changed": changed, "cache_subnet_group": after}
    if module._diff:
        result["diff"] = {"before": before or {}, "after": after or {}}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
