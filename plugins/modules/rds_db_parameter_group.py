#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_db_parameter_group
version_added: 0.1.0
short_description: Manage an RDS DB parameter group, its parameters and tags
description:
  - Create, modify, tag or delete one RDS DB parameter group (for DB instances, not Aurora clusters), identified
    by O(name).
  - Unlike M(amazon.aws.rds_instance_param_group), it reports a missing group as missing whatever the endpoint
    answers, predicts a new group in check mode without describing parameters it does not have yet, checks every
    parameter before any change, resets parameters with O(purge_parameters), and supports diff mode.
  - Only the parameters listed in O(parameters) are managed; they are compared with the values set in the group
    (C(DescribeDBParameters) with C(Source=user)). A parameter left at its default is set even if the default
    has the same value; from then on it is part of the group.
  - Before any change, in check mode too, each parameter to set is checked against what C(DescribeDBParameters)
    (parameters set in the group) or C(DescribeEngineDefaultParameters) (the family's other parameters) reports.
    An unknown or read-only name, a boolean or integer value outside the parameter's allowed values, or
    O(apply_method=immediate) for a static parameter fails the task, naming every offending parameter.
  - Parameters are changed with C(ModifyDBParameterGroup) and reset with C(ResetDBParameterGroup), in batches of
    20 (the AWS limit). Static parameters take effect on each instance at its next reboot; the module reboots
    nothing.
author:
  - strata.platform contributors (!UNKNOWN)
options:
  state:
    description:
      - V(present) makes sure the group exists with the parameters and tags; V(absent) deletes it.
      - A group that DB instances (read replicas included, even while they are being deleted) still use cannot be
        deleted; the task then fails naming the instances. Remove them or move them to another parameter group
        first.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - The name of the group (1 to 255 letters, digits or hyphens, starting with a letter, without a trailing
        or double hyphen).
      - AWS stores it in lowercase; the module does the same, so V(Fsm-Prod) and V(fsm-prod) are one group.
    type: str
    required: true
  family:
    description:
      - The parameter group family, for example V(postgres16). Required to create a group.
      - It cannot change. A different family on an existing group fails the task, naming both families; create a
        group of the new family under another name, move the instances to it, then delete this one.
    type: str
  description:
    description:
      - The description. Defaults to O(name) when the group is created.
      - RDS cannot change the description of an existing group. A different value is not applied and does not
        fail the task (a cosmetic text is not worth replacing a group that instances use); the module warns,
        naming both texts.
    type: str
  parameters:
    description:
      - 'Parameter name -> value, for example C({"rds.force_ssl": 1, "log_min_duration_statement": 1000}).'
      - Values are compared as the strings AWS reports. V(true) and V(false) become V(1) and V(0), numbers become
        their text, a list becomes its items joined with commas (for example for C(shared_preload_libraries)).
      - Parameters not listed keep their value, unless O(purge_parameters=true).
    type: dict
  purge_parameters:
    description:
      - Reset the parameters set in the group (source C(user)) that O(parameters) does not list to their default,
        with C(ResetDBParameterGroup).
    type: bool
    default: false
  apply_method:
    description:
      - How changed and reset parameters are applied to the instances using the group.
      - Unset (the default), each parameter gets what it allows without a reboot, read from the C(ApplyType) AWS
        reports for it. V(immediate) for C(dynamic) parameters, V(pending-reboot) for C(static) ones.
      - V(immediate) for a static parameter fails the task before any change (AWS refuses it).
      - V(pending-reboot) defers dynamic parameters too, until each instance reboots.
    type: str
    choices: [immediate, pending-reboot]
notes:
  - "Required IAM actions: C(rds:DescribeDBParameterGroups), C(rds:DescribeDBParameters),
    C(rds:DescribeEngineDefaultParameters), C(rds:ListTagsForResource), C(rds:CreateDBParameterGroup),
    C(rds:ModifyDBParameterGroup), C(rds:ResetDBParameterGroup), C(rds:DeleteDBParameterGroup),
    C(rds:AddTagsToResource), C(rds:RemoveTagsFromResource), and C(rds:DescribeDBInstances) (only to name the
    instances when a delete is refused)."
  - "API calls when nothing changes: one C(DescribeDBParameterGroups), one paginated C(DescribeDBParameters)
    (C(Source=user)) and one C(ListTagsForResource). C(DescribeEngineDefaultParameters) is called only when a
    parameter that is not set in the group yet must be set (or, one page, to check the family of a new group)."
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
- name: Ensure the PostgreSQL 16 parameter group, with only these parameters set
  strata.platform.rds_db_parameter_group:
    name: fsm-prod-postgres16
    family: postgres16
    description: PostgreSQL parameters of fsm-prod
    parameters:
      rds.force_ssl: true
      log_min_duration_statement: 1000
      log_connections: 1
      shared_preload_libraries: [pg_stat_statements, pgaudit]
    purge_parameters: true
    tags:
      layer: database
  register: fsm_parameter_group

- name: Tell which instances need a reboot for a static parameter
  ansible.builtin.debug:
    msg: "{{ fsm_parameter_group.changes | selectattr('apply_method', '==', 'pending-reboot') | map(attribute='parameter') }}"

- name: Delete the group (after the instances that use it)
  strata.platform.rds_db_parameter_group:
    name: fsm-prod-postgres16
    state: absent
"""

RETURN = r"""
parameter_group:
  description: The group after the change (in check mode, the prediction); V(null) after O(state=absent).
  returned: always
  type: complex
  contains:
    name:
      description: The name (lowercase).
      type: str
      returned: always
      sample: fsm-prod-postgres16
    family:
      description: The parameter group family.
      type: str
      returned: always
      sample: postgres16
    arn:
      description: The ARN (V(null) for a group check mode would create).
      type: str
      returned: always
      sample: arn:aws:rds:us-east-1:123456789012:pg:fsm-prod-postgres16
    description:
      description: The description.
      type: str
      returned: always
      sample: PostgreSQL parameters of fsm-prod
    tags:
      description: The tags.
      type: dict
      returned: always
      sample: {"layer": "database"}
parameters:
  description:
    - The managed parameters (those O(parameters) lists), name -> value as AWS reports it, after the change.
    - Empty when O(parameters) is unset or after O(state=absent).
  returned: always
  type: dict
  sample: {"rds.force_ssl": "1", "log_min_duration_statement": "1000"}
changes:
  description: The parameter changes made (in check mode, those that would be made), sorted by action and name.
  returned: always
  type: list
  elements: dict
  contains:
    parameter:
      description: The parameter name.
      type: str
      sample: log_min_duration_statement
    action:
      description: V(modify) (a value set) or V(reset) (back to the family's default, O(purge_parameters)).
      type: str
      sample: modify
    before:
      description: The value set in the group before (V(null) if it was not set, so at its default).
      type: str
      sample: "500"
    after:
      description: The value set in the group after (V(null) for a reset).
      type: str
      sample: "1000"
    apply_type:
      description: The parameter's C(ApplyType), V(dynamic) or V(static).
      type: str
      sample: dynamic
    apply_method:
      description: The apply method used, V(immediate) or V(pending-reboot) (the instances need a reboot).
      type: str
      sample: immediate
  sample:
    - {"parameter": "log_min_duration_statement", "action": "modify", "before": "500", "after": "1000",
       "apply_type": "dynamic", "apply_method": "immediate"}
diff:
  description:
    - The group before and after, when run with C(--diff); C(parameters) holds every parameter set in the group
      (source C(user)), not only the managed ones, so a purge shows too.
  returned: when diff mode is on
  type: dict
  sample:
    before: {"name": "fsm-prod-postgres16", "parameters": {"log_min_duration_statement": "500"}}
    after: {"name": "fsm-prod-postgres16", "parameters": {"log_min_duration_statement": "1000"}}
"""

from copy import deepcopy

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.strata.platform.plugins.module_utils._aws.rds_parameter_groups import PARAMETER_GROUP_KEYS
from ansible_collections.strata.platform.plugins.module_utils._aws.rds_parameter_groups import AnsibleRDSParameterGroupError
from ansible_collections.strata.platform.plugins.module_utils._aws.rds_parameter_groups import ParameterGroupInUseError
from ansible_collections.strata.platform.plugins.module_utils._aws.rds_parameter_groups import add_tags
from ansible_collections.strata.platform.plugins.module_utils._aws.rds_parameter_groups import batches
from ansible_collections.strata.platform.plugins.module_utils._aws.rds_parameter_groups import create_db_parameter_group
from ansible_collections.strata.platform.plugins.module_utils._aws.rds_parameter_groups import db_instances_using
from ansible_collections.strata.platform.plugins.module_utils._aws.rds_parameter_groups import default_apply_method
from ansible_collections.strata.platform.plugins.module_utils._aws.rds_parameter_groups import delete_db_parameter_group
from ansible_collections.strata.platform.plugins.module_utils._aws.rds_parameter_groups import describe_db_parameter_group
from ansible_collections.strata.platform.plugins.module_utils._aws.rds_parameter_groups import describe_db_parameters
from ansible_collections.strata.platform.plugins.module_utils._aws.rds_parameter_groups import describe_engine_default_parameters
from ansible_collections.strata.platform.plugins.module_utils._aws.rds_parameter_groups import list_tags
from ansible_collections.strata.platform.plugins.module_utils._aws.rds_parameter_groups import modify_db_parameter_group
from ansible_collections.strata.platform.plugins.module_utils._aws.rds_parameter_groups import normalize_group
from ansible_collections.strata.platform.plugins.module_utils._aws.rds_parameter_groups import normalize_value
from ansible_collections.strata.platform.plugins.module_utils._aws.rds_parameter_groups import remove_tags
from ansible_collections.strata.platform.plugins.module_utils._aws.rds_parameter_groups import reset_db_parameter_group
from ansible_collections.strata.platform.plugins.module_utils._aws.rds_parameter_groups import valid_name
from ansible_collections.strata.platform.plugins.module_utils._aws.rds_parameter_groups import value_problem
from ansible_collections.strata.platform.plugins.module_utils._aws.rds_parameter_groups import values_of


class ParameterGroupError(AnsibleAWSError):
    """A rule the request breaks, found before any change (the message names the option and the fix)."""


class Current:
    """What was described of an existing group: the normalised group, the parameters set in it (Source=user)
    as values and as metadata."""

    def __init__(self, group, user_parameters):
        self.group = group
        self.metadata = {p["ParameterName"]: p for p in user_parameters}
        self.values = values_of(user_parameters)


def describe(client, name):
    """The group as Current (3 read calls), or None when it does not exist (1 call)."""
    group = describe_db_parameter_group(client, name)
    if group is None:
        return None
    user_parameters = describe_db_parameters(client, name, source="user")
    tags = list_tags(client, group["DBParameterGroupArn"])
    return Current(normalize_group(group, tags), user_parameters)


def plan_parameters(current_values, wanted, purge):
    """Compare: ``(to_set {name: value}, to_reset [names])``."""
    to_set = {name: value for name, value in sorted(wanted.items()) if current_values.get(name) != value}
    to_reset = sorted(name for name in current_values if purge and name not in wanted)
    return to_set, to_reset


def parameter_problems(to_set, to_reset, metadata, apply_method, family):
    """Every reason AWS would refuse the change, as text; [] when it can go ahead."""
    unknown = sorted(name for name in to_set if name not in metadata)
    read_only = sorted(name for name in to_set if name in metadata and metadata[name].get("IsModifiable") is False)
    problems = []
    if unknown:
        problems.append(
            f"parameters has names family {family} does not have: {', '.join(unknown)} "
            "(check the spelling; DescribeEngineDefaultParameters lists the family's parameters)"
        )
    if read_only:
        problems.append(f"parameters has names that cannot be modified: {', '.join(read_only)} (remove them)")
    bad_values = [
        f"{name}: {problem}"
        for name, value in to_set.items()
        if name in metadata
        for problem in [value_problem(metadata[name], value)]
        if problem
    ]
    if bad_values:
        problems.append(f"parameters has values AWS does not accept: {'; '.join(bad_values)}")
    if apply_method == "immediate":
        static = sorted(
            name for name in list(to_set) + list(to_reset) if name in metadata and metadata[name].get("ApplyType") == "static"
        )
        if static:
            problems.append(
                f"apply_method=immediate cannot apply static parameters: {', '.join(static)} "
                "(leave apply_method unset so that static parameters wait for the next reboot, or use pending-reboot)"
            )
    return problems


def parameter_metadata(client, family, needed, known):
    """Metadata of the ``needed`` names: ``known`` (from the group's own describe) completed, when some are
    missing, from the family's engine defaults."""
    metadata = dict(known)
    if any(name not in metadata for name in needed):
        defaults = describe_engine_default_parameters(client, family)
        if not defaults:
            raise ParameterGroupError(message=f"family {family} has no parameters: check the family name (for example postgres16)")
        for parameter in defaults:
            metadata.setdefault(parameter["ParameterName"], parameter)
    return metadata


def plan_parameter_changes(client, name, family, current_values, known_metadata, params):
    """Compare and check, with read calls only; returns (changes, values after). Fails, naming every offending
    parameter, when AWS would refuse a change."""
    wanted = params["parameters"] or {}
    to_set, to_reset = plan_parameters(current_values, wanted, params["purge_parameters"])
    if not to_set and not to_reset:
        return [], dict(current_values)
    metadata = parameter_metadata(client, family, list(to_set) + to_reset, known_metadata)
    problems = parameter_problems(to_set, to_reset, metadata, params["apply_method"], family)
    if problems:
        raise ParameterGroupError(message=f"Failed to update DB parameter group {name}: " + "; ".join(problems))

    changes = []
    for action, names in (("modify", list(to_set)), ("reset", to_reset)):
        for parameter in names:
            info = metadata.get(parameter, {})
            changes.append(
                {
                    "parameter": parameter,
                    "action": action,
                    "before": current_values.get(parameter),
                    "after": to_set.get(parameter) if action == "modify" else None,
                    "apply_type": info.get("ApplyType"),
                    "apply_method": params["apply_method"] or default_apply_method(info),
                }
            )
    after = {key: value for key, value in current_values.items() if key not in to_reset}
    after.update(to_set)
    return changes, after


def apply_parameter_changes(client, name, changes):
    """Change: ModifyDBParameterGroup, then ResetDBParameterGroup, in batches of 20."""
    modifications = [
        {"ParameterName": c["parameter"], "ParameterValue": c["after"], "ApplyMethod": c["apply_method"]}
        for c in changes
        if c["action"] == "modify"
    ]
    for batch in batches(modifications):
        modify_db_parameter_group(client, name, batch)
    resets = [{"ParameterName": c["parameter"], "ApplyMethod": c["apply_method"]} for c in changes if c["action"] == "reset"]
    for batch in batches(resets):
        reset_db_parameter_group(client, name, batch)


def ensure_tags(client, check_mode, group, tags, purge_tags):
    """Add and remove tags; returns (changed, group after)."""
    if tags is None:
        return False, group
    to_set, to_unset = compare_aws_tags(group["tags"], tags, purge_tags)
    if not to_set and not to_unset:
        return False, group
    after = deepcopy(group)
    after["tags"] = {key: value for key, value in group["tags"].items() if key not in to_unset}
    after["tags"].update({key: str(value) for key, value in to_set.items()})
    if check_mode:
        return True, after
    if to_unset:
        remove_tags(client, group["arn"], to_unset)
    if to_set:
        add_tags(client, group["arn"], {key: str(value) for key, value in to_set.items()})
    return True, after


def ensure_created(client, check_mode, params):
    """Create the group with its tags, then set its parameters. A new group has no parameter set: the plan
    compares with nothing and checks against the family's defaults, before anything is created.
    Returns (changed, group, values after, changes)."""
    name, family = params["name"], params["family"]
    if not params["parameters"]:
        # One page of the family's defaults: a family typo fails here, in check mode too.
        if not describe_engine_default_parameters(client, family, first_page_only=True):
            raise ParameterGroupError(message=f"family {family} has no parameters: check the family name (for example postgres16)")
    changes, values = plan_parameter_changes(client, name, family, {}, {}, params)
    tags = {key: str(value) for key, value in (params["tags"] or {}).items()}
    description = params["description"] or name
    group = dict(name=name, family=family, arn=None, description=description, tags=tags)
    if check_mode:
        return True, group, values, changes
    group = normalize_group(create_db_parameter_group(client, name, family, description, tags), tags)
    apply_parameter_changes(client, name, changes)
    return True, group, values, changes


def ensure_present(client, check_mode, module, current, params):
    """Create, or compare and change in place; returns (changed, group, values after, changes)."""
    if current is None:
        return ensure_created(client, check_mode, params)
    group = current.group
    if params["family"] and params["family"].lower() != (group["family"] or "").lower():
        raise ParameterGroupError(
            message=f"Failed to update DB parameter group {params['name']}: its family is {group['family']}, asked "
            f"{params['family']}; a parameter group family cannot change: create a group of family {params['family']} "
            "under another name, move the instances to it, then delete this one (or set family to "
            f"{group['family']})"
        )
    if params["description"] is not None and params["description"] != group["description"]:
        module.warn(
            f"DB parameter group {params['name']}: its description is {group['description']!r}, asked "
            f"{params['description']!r}; RDS cannot change the description of a group, so it is kept"
        )
    changes, values = plan_parameter_changes(
        client, params["name"], group["family"], current.values, current.metadata, params
    )
    if changes and not check_mode:
        apply_parameter_changes(client, params["name"], changes)
    tags_changed, group = ensure_tags(client, check_mode, group, params["tags"], params["purge_tags"])
    return bool(changes) or tags_changed, group, values, changes


def ensure_absent(client, check_mode, current, params):
    """Delete the group; returns changed. A group still in use fails naming its instances."""
    if current is None:
        return False
    if check_mode:
        return True
    try:
        return delete_db_parameter_group(client, params["name"])
    except ParameterGroupInUseError as e:
        try:
            users = ", ".join(f"{i['id']} ({i['status']})" for i in db_instances_using(client, params["name"]))
        except AnsibleRDSParameterGroupError:
            users = ""
        raise ParameterGroupError(
            message=f"Failed to delete DB parameter group {params['name']}: DB instances still use it"
            + (f" ({users})" if users else "")
            + "; remove those instances or move them to another parameter group first "
            "(an instance being deleted releases it once it is gone)",
            exception=e.exception,
        ) from e


def validate(module):
    """Rules the argument spec cannot express, before any API call; fail naming the option and the fix.
    Returns the wanted parameters with their values normalised."""
    params = module.params
    if not valid_name(params["name"]):
        module.fail_json(
            msg=f"name {params['name']!r} is invalid: use 1 to 255 letters, digits and single hyphens, starting "
            "with a letter and not ending with a hyphen"
        )
    if params["state"] == "absent" or params["parameters"] is None:
        return params["parameters"]
    wanted, problems = {}, []
    for key, value in params["parameters"].items():
        if not key or not str(key).strip():
            problems.append("an empty parameter name")
            continue
        try:
            wanted[str(key)] = normalize_value(value)
        except ValueError as e:
            problems.append(f"{key} {e}")
    if problems:
        module.fail_json(
            msg=f"parameters is invalid: {'; '.join(problems)}. Give each parameter a string, number, boolean or "
            "list value (to reset a parameter to its default, remove it and set purge_parameters=true)"
        )
    return wanted


def main():
    argument_spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        name=dict(type="str", required=True),
        family=dict(type="str"),
        description=dict(type="str"),
        parameters=dict(type="dict"),
        purge_parameters=dict(type="bool", default=False),
        apply_method=dict(type="str", choices=["immediate", "pending-reboot"]),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = dict(module.params)
    params["parameters"] = validate(module)
    params["name"] = params["name"].lower()
    client = module.client("rds")

    try:
        current = describe(client, params["name"])
        before = None
        if current is not None:
            before = dict(current.group, parameters=dict(current.values))
        if params["state"] == "absent":
            changed = ensure_absent(client, module.check_mode, current, params)
            group, values, changes = None, {}, []
        else:
            if current is None and not params["family"]:
                module.fail_json(
                    msg=f"family is required to create DB parameter group {params['name']}: set it to the family of "
                    "the engine version, for example postgres16"
                )
            changed, group, values, changes = ensure_present(client, module.check_mode, module, current, params)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)

    managed = params["parameters"] or {}
    result = {
        "changed": changed,
        "parameter_group": {key: group[key] for key in PARAMETER_GROUP_KEYS} if group else None,
        "parameters": {key: values.get(key) for key in sorted(managed)} if group else {},
        "changes": changes,
    }
    if module._diff:
        after = dict(group, parameters=values) if group else {}
        result["diff"] = {"before": before or {}, "after": after}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
