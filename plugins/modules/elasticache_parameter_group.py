#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: elasticache_parameter_group
version_added: 0.1.0
short_description: Manage an ElastiCache cache parameter group, its parameters and tags
description:
  - Create, modify, tag or delete one ElastiCache cache parameter group, identified by O(name).
  - Unlike M(community.aws.elasticache_parameter_group), it supports every family ElastiCache offers (V(redis7),
    V(valkey8), ...), check mode, diff mode and tags, and changes only the parameters whose value differs.
  - Parameters are checked against what C(DescribeEngineDefaultParameters) (new group) or
    C(DescribeCacheParameters) (existing group) reports before any change, in check mode too. An unknown or
    read-only parameter, or a value outside the parameter's allowed values, fails the task naming it.
  - Parameters whose change type is C(requires-reboot) take effect on the nodes after their next reboot; the
    module does not reboot anything.
author:
  - strata.platform contributors (!UNKNOWN)
options:
  state:
    description:
      - V(present) makes sure the group exists with the parameters; V(absent) deletes it.
      - A group still used by a cache cluster or replication group cannot be deleted; the module retries for a
        while (a replication group being deleted releases it) and then fails.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - The name of the group (1 to 255 letters, digits and hyphens, starting with a letter; stored in lowercase,
        so give it in lowercase).
    type: str
    required: true
  family:
    description:
      - The parameter group family, for example V(redis7). Required to create a group; it cannot change
        (a different family on an existing group fails; create a new group and switch the cache to it).
    type: str
  description:
    description:
      - The description. Defaults to O(name) when the group is created. It cannot be changed after creation
        (ElastiCache has no API for it); a different value is reported as a warning, not changed.
    type: str
  parameters:
    description:
      - "Parameter name -> value, for example C({maxmemory-policy: allkeys-lru}). Values are compared as
        strings (V(true)/V(false) become V(yes)/V(no)). Parameters not listed keep their value unless
        O(purge_parameters=true)."
    type: dict
  purge_parameters:
    description:
      - Reset parameters set in the group (source C(user)) that O(parameters) does not list to their defaults.
    type: bool
    default: false
notes:
  - "Required IAM actions: C(elasticache:DescribeCacheParameterGroups), C(elasticache:DescribeCacheParameters),
    C(elasticache:DescribeEngineDefaultParameters),
    C(elasticache:CreateCacheParameterGroup), C(elasticache:ModifyCacheParameterGroup),
    C(elasticache:ResetCacheParameterGroup), C(elasticache:DeleteCacheParameterGroup),
    C(elasticache:ListTagsForResource), C(elasticache:AddTagsToResource), C(elasticache:RemoveTagsFromResource)."
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
- name: Ensure the Redis 7 parameter group with an LRU eviction policy
  strata.platform.elasticache_parameter_group:
    name: fsm-prod-redis7
    family: redis7
    description: fsm prod Redis 7
    parameters:
      maxmemory-policy: allkeys-lru
    purge_parameters: true
    tags:
      layer: cache

- name: Delete it (after the replication groups using it)
  strata.platform.elasticache_parameter_group:
    name: fsm-prod-redis7
    state: absent
"""

RETURN = r"""
cache_parameter_group:
  description: The group after the change (in check mode, the prediction); V(null) after O(state=absent).
  returned: always
  type: complex
  contains:
    name:
      description: The name.
      type: str
      returned: always
      sample: fsm-prod-redis7
    arn:
      description: The ARN (V(null) for a group check mode would create).
      type: str
      returned: always
      sample: arn:aws:elasticache:us-east-1:123456789012:parametergroup:fsm-prod-redis7
    family:
      description: The family.
      type: str
      returned: always
      sample: redis7
    description:
      description: The description.
      type: str
      returned: always
      sample: fsm prod Redis 7
    parameters:
      description: The parameters set in the group (source C(user)), name -> value; defaults are not listed.
      type: dict
      returned: always
      sample: {"maxmemory-policy": "allkeys-lru"}
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
    before: {"parameters": {}}
    after: {"parameters": {"maxmemory-policy": "allkeys-lru"}}
"""

import re
from copy import deepcopy

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import PARAMETER_GROUP_KEYS
from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import add_tags
from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import create_cache_parameter_group
from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import delete_cache_parameter_group
from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import describe_engine_default_parameters
from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import get_cache_parameter_group
from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import modify_cache_parameter_group
from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import remove_tags
from ansible_collections.strata.platform.plugins.module_utils._aws.elasticache import reset_cache_parameters

_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class ParameterError(AnsibleAWSError):
    pass


def as_text(value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def public(group):
    return None if group is None else {key: group[key] for key in PARAMETER_GROUP_KEYS}


def _allowed(value, parameter):
    """Whether ``value`` fits the AllowedValues of a parameter (comma list, or integer ranges like 0-,20-100)."""
    allowed = parameter.get("AllowedValues")
    if not allowed:
        return True
    if parameter.get("DataType") == "integer":
        if not re.fullmatch(r"-?[0-9]+", value):
            return False
        number = int(value)
        for part in allowed.split(","):
            low, dash, high = part.strip().partition("-")
            if not low:
                return True  # a form we do not read: leave it to AWS
            if not dash and int(low) == number:
                return True
            if dash and int(low) <= number and (not high or number <= int(high)):
                return True
        return False
    return value in [choice.strip() for choice in allowed.split(",")]


def check_parameters(name, wanted, catalogue):
    """Fail (before any change) on unknown or read-only parameters and on values outside the allowed ones."""
    problems = []
    for key, value in sorted(wanted.items()):
        parameter = catalogue.get(key)
        if parameter is None:
            problems.append(f"{key} is not a parameter of this family")
        elif not parameter.get("IsModifiable", True) and value != parameter.get("ParameterValue"):
            problems.append(f"{key} cannot be modified")
        elif not _allowed(value, parameter):
            problems.append(f"{key}={value!r} is not allowed (allowed: {parameter.get('AllowedValues')})")
    if problems:
        raise ParameterError(
            message=f"Failed to update cache parameter group {name}: {'; '.join(problems)}; fix the parameters option"
        )


def parameter_changes(current, wanted, purge):
    """(values to set, names to reset) for the difference between the group and what was asked."""
    catalogue = current["_all"]
    to_set = {
        key: value
        for key, value in wanted.items()
        if (catalogue.get(key) or {}).get("ParameterValue", "") != value
    }
    to_reset = sorted(key for key in current["parameters"] if purge and key not in wanted) if purge else []
    return to_set, to_reset


def ensure_created(client, check_mode, params, wanted):
    """Check the parameters against the family's defaults, then create; returns (changed, predicted)."""
    defaults = describe_engine_default_parameters(client, params["family"])
    check_parameters(params["name"], wanted, {p["ParameterName"]: p for p in defaults})
    predicted = dict.fromkeys(PARAMETER_GROUP_KEYS)
    predicted.update(
        name=params["name"],
        family=params["family"],
        description=params["description"] or params["name"],
        parameters=dict(wanted),
        tags={k: str(v) for k, v in (params["tags"] or {}).items()},
    )
    if check_mode:
        return True, predicted
    request = dict(CacheParameterGroupFamily=params["family"], Description=predicted["description"])
    if params["tags"]:
        request["Tags"] = ansible_dict_to_boto3_tag_list(predicted["tags"])
    create_cache_parameter_group(client, params["name"], **request)
    if wanted:
        to_set, _to_reset = parameter_changes(get_cache_parameter_group(client, params["name"]), wanted, False)
        if to_set:
            modify_cache_parameter_group(client, params["name"], to_set)
    return True, predicted


def ensure_parameters(client, check_mode, current, params, wanted):
    check_parameters(params["name"], wanted, current["_all"])
    to_set, to_reset = parameter_changes(current, wanted, params["purge_parameters"])
    if not to_set and not to_reset:
        return False, current
    predicted = deepcopy(current)
    for key in to_reset:
        predicted["parameters"].pop(key, None)
    predicted["parameters"].update(to_set)
    if not check_mode:
        if to_reset:
            reset_cache_parameters(client, params["name"], to_reset)
        if to_set:
            modify_cache_parameter_group(client, params["name"], to_set)
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


def ensure_present(module, client, current, params, wanted):
    if current is None:
        return ensure_created(client, module.check_mode, params, wanted)
    if params["family"] and params["family"] != current["family"]:
        raise ParameterError(
            message=f"Failed to update cache parameter group {params['name']}: its family is {current['family']!r}, "
            f"asked {params['family']!r}; a family cannot change: create a group with a new name and switch the "
            "cache to it"
        )
    if params["description"] is not None and params["description"] != current["description"]:
        module.warn(
            f"cache parameter group {params['name']}: the description cannot be changed after creation "
            f"(it is {current['description']!r}); left as it is"
        )
    changed, after = ensure_parameters(client, module.check_mode, current, params, wanted)
    tags_changed, after = ensure_tags(client, module.check_mode, after, params)
    return changed or tags_changed, after


def ensure_absent(client, check_mode, current):
    if current is None:
        return False, None
    if not check_mode:
        delete_cache_parameter_group(client, current["name"])
    return True, None


def validate(module):
    params = module.params
    name = params["name"]
    if not _NAME_PATTERN.match(name) or len(name) > 255:
        module.fail_json(
            msg=f"name {name!r} is invalid: use 1 to 255 lowercase letters, digits and single hyphens, "
            "starting with a letter"
        )
    for key, value in (params["parameters"] or {}).items():
        if value is None or isinstance(value, (dict, list)):
            module.fail_json(msg=f"parameters.{key} must be a string, number or boolean, got {value!r}")


def main():
    argument_spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        name=dict(type="str", required=True),
        family=dict(type="str"),
        description=dict(type="str"),
        parameters=dict(type="dict"),
        purge_parameters=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    validate(module)
    params = module.params
    wanted = {key: as_text(value) for key, value in (params["parameters"] or {}).items()}
    client = module.client("elasticache")

    try:
        current = get_cache_parameter_group(client, params["name"])
        before = public(current)
        if params["state"] == "absent":
            changed, after = ensure_absent(client, module.check_mode, current)
        else:
            if current is None and not params["family"]:
                module.fail_json(msg=f"family is required to create cache parameter group {params['name']} (e.g. redis7)")
            changed, after = ensure_present(module, client, current, params, wanted)
            if changed and not module.check_mode:
                after = get_cache_parameter_group(client, params["name"]) or after
            after = public(after)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)

    result = {"changed": changed, "cache_parameter_group": after}
    if module._diff:
        result["diff"] = {"before": before or {}, "after": after or {}}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
