#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ec2_vpc_flow_log
version_added: 0.1.0
short_description: Manage a VPC flow log
description:
  - Create, replace, tag or delete one VPC flow log on a VPC, a subnet or a network interface.
  - A flow log is identified by the resource it watches (O(resource_id)) and where it delivers to
    (the CloudWatch Logs group O(log_group_name), or the destination ARN O(log_destination)).
  - Flow logs cannot be modified in AWS. When O(traffic_type), O(log_format),
    O(max_aggregation_interval) or O(deliver_logs_permission_arn) differ from the existing flow log,
    the module deletes it and creates a new one (the flow log id changes). The diff says so in its
    header, and check mode predicts the replacement. Tags are changed in place.
author:
  - strata.platform contributors (!UNKNOWN)
options:
  state:
    description:
      - V(present) makes sure the flow log exists as described; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  resource_id:
    description:
      - The id of the VPC (V(vpc-...)), subnet (V(subnet-...)) or network interface (V(eni-...)) to watch.
      - Required when O(state=present).
      - With O(state=absent), either O(resource_id) and the destination or O(flow_log_id) select the flow log.
    type: str
  resource_type:
    description:
      - The type of O(resource_id).
    type: str
    choices: [VPC, Subnet, NetworkInterface]
    default: VPC
  traffic_type:
    description:
      - Which traffic to log. Immutable; a change replaces the flow log.
    type: str
    choices: [ALL, ACCEPT, REJECT]
    default: ALL
  log_destination_type:
    description:
      - Where the flow log delivers its records.
    type: str
    choices: [cloud-watch-logs, s3]
    default: cloud-watch-logs
  log_group_name:
    description:
      - The CloudWatch Logs group to deliver to.
      - With O(log_destination_type=cloud-watch-logs), one of O(log_group_name) and O(log_destination)
        (the log group ARN) is required.
      - Not allowed with O(log_destination_type=s3).
    type: str
  log_destination:
    description:
      - The ARN of the destination.
      - For O(log_destination_type=s3), the bucket ARN, optionally with a folder
        (V(arn:aws:s3:::bucket/folder/)). Required for V(s3).
      - For O(log_destination_type=cloud-watch-logs), a log group ARN can be given instead of O(log_group_name).
    type: str
  deliver_logs_permission_arn:
    description:
      - The ARN of the IAM role that lets the flow logs service publish to CloudWatch Logs.
      - Required when O(state=present) and O(log_destination_type=cloud-watch-logs); not allowed with V(s3)
        (S3 delivery is authorised by the bucket policy).
      - Immutable; a change replaces the flow log.
    type: str
  log_format:
    description:
      - The fields of a flow log record, for example V(${version} ${vpc-id} ${srcaddr} ${dstaddr} ${action}).
      - When not set, AWS uses its default format and an existing flow log's format is left alone.
      - Immutable; a change replaces the flow log.
    type: str
  max_aggregation_interval:
    description:
      - The longest interval, in seconds, over which a flow is captured into one record.
      - Immutable; a change replaces the flow log.
    type: int
    choices: [60, 600]
    default: 600
  flow_log_id:
    description:
      - The id (V(fl-...)) of the flow log to delete.
      - Only used with O(state=absent); with O(state=present) the flow log is found by O(resource_id) and its destination.
    type: str
  wait:
    description:
      - Wait until a created flow log is visible to DescribeFlowLogs and a deleted one is gone.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait when O(wait=true).
    type: int
    default: 300
notes:
  - With O(state=present), more than one flow log on O(resource_id) delivering to the same destination
    is an error; delete the extra ones with O(flow_log_id).
  - With O(state=absent) and O(resource_id), every flow log on O(resource_id) delivering to the destination is deleted.
  - "Required IAM actions: C(ec2:DescribeFlowLogs), C(ec2:CreateFlowLogs), C(ec2:DeleteFlowLogs),
    C(ec2:CreateTags), C(ec2:DeleteTags), and C(iam:PassRole) on O(deliver_logs_permission_arn)."
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
- name: Log all traffic of a VPC to CloudWatch Logs
  strata.platform.ec2_vpc_flow_log:
    resource_id: vpc-0123456789abcdef0
    log_group_name: /fsm/prod/vpc-flow-logs
    deliver_logs_permission_arn: arn:aws:iam::123456789012:role/fsm-prod-flow-logs
    max_aggregation_interval: 60
    tags:
      Name: fsm-prod-vpc-flow-log
      Environment: prod
  register: flow_log

- name: Log rejected traffic of a subnet to S3 with a custom format
  strata.platform.ec2_vpc_flow_log:
    resource_id: subnet-0123456789abcdef0
    resource_type: Subnet
    traffic_type: REJECT
    log_destination_type: s3
    log_destination: arn:aws:s3:::fsm-prod-flow-logs/subnets/
    log_format: "${version} ${vpc-id} ${subnet-id} ${srcaddr} ${dstaddr} ${dstport} ${action}"

- name: Delete the VPC's CloudWatch Logs flow log
  strata.platform.ec2_vpc_flow_log:
    state: absent
    resource_id: vpc-0123456789abcdef0
    log_group_name: /fsm/prod/vpc-flow-logs

- name: Delete a flow log by id
  strata.platform.ec2_vpc_flow_log:
    state: absent
    flow_log_id: fl-0123456789abcdef0
"""

RETURN = r"""
flow_log:
  description:
    - The flow log after the change (in check mode, the prediction).
    - V(null) after O(state=absent).
    - In check mode, a flow log that would be created or replaced has O(flow_log_id=null).
  returned: always
  type: complex
  contains:
    flow_log_id:
      description: The flow log id.
      type: str
      returned: always
      sample: fl-0123456789abcdef0
    resource_id:
      description: The VPC, subnet or network interface watched.
      type: str
      returned: always
      sample: vpc-0123456789abcdef0
    traffic_type:
      description: The traffic logged.
      type: str
      returned: always
      sample: ALL
    log_destination_type:
      description: V(cloud-watch-logs) or V(s3).
      type: str
      returned: always
      sample: cloud-watch-logs
    log_group_name:
      description: The CloudWatch Logs group, V(null) for S3.
      type: str
      returned: always
      sample: /fsm/prod/vpc-flow-logs
    log_destination:
      description: The destination ARN (for CloudWatch Logs, AWS may leave it V(null)).
      type: str
      returned: always
      sample: arn:aws:s3:::fsm-prod-flow-logs/subnets/
    deliver_logs_permission_arn:
      description: The IAM role used to publish to CloudWatch Logs.
      type: str
      returned: always
      sample: arn:aws:iam::123456789012:role/fsm-prod-flow-logs
    log_format:
      description: The record format.
      type: str
      returned: always
      sample: >-
        ${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport}
        ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}
    max_aggregation_interval:
      description: The aggregation interval in seconds.
      type: int
      returned: always
      sample: 600
    flow_log_status:
      description: The flow log status.
      type: str
      returned: always
      sample: ACTIVE
    deliver_logs_status:
      description: V(SUCCESS) or V(FAILED) (for example when the log group or role is wrong).
      type: str
      returned: always
      sample: SUCCESS
    deliver_logs_error_message:
      description: Why delivery fails, when it does.
      type: str
      returned: always
      sample: Access error
    creation_time:
      description: When the flow log was created (ISO 8601).
      type: str
      returned: always
      sample: "2025-01-31T12:00:00+00:00"
    tags:
      description: The flow log's tags.
      type: dict
      returned: always
      sample: {"Name": "fsm-prod-vpc-flow-log"}
diff:
  description:
    - The flow log before and after, when run with C(--diff).
    - When the flow log is replaced, C(after_header) names the immutable attributes that changed.
  returned: when diff mode is on
  type: dict
  sample:
    before_header: flow log fl-0123456789abcdef0
    after_header: "replacement of fl-0123456789abcdef0 (immutable: traffic_type)"
    before: {"flow_log_id": "fl-0123456789abcdef0", "traffic_type": "ALL"}
    after: {"flow_log_id": null, "traffic_type": "REJECT"}
"""

from copy import deepcopy

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags
from ansible_collections.amazon.aws.plugins.module_utils.transformation import ansible_dict_to_boto3_filter_list

from ansible_collections.strata.platform.plugins.module_utils._aws.flow_logs import DEFAULT_LOG_FORMAT
from ansible_collections.strata.platform.plugins.module_utils._aws.flow_logs import FLOW_LOG_KEYS
from ansible_collections.strata.platform.plugins.module_utils._aws.flow_logs import AnsibleFlowLogError
from ansible_collections.strata.platform.plugins.module_utils._aws.flow_logs import create_flow_log
from ansible_collections.strata.platform.plugins.module_utils._aws.flow_logs import delete_flow_log
from ansible_collections.strata.platform.plugins.module_utils._aws.flow_logs import describe_flow_logs
from ansible_collections.strata.platform.plugins.module_utils._aws.flow_logs import destination_key
from ansible_collections.strata.platform.plugins.module_utils._aws.flow_logs import normalize_flow_log
from ansible_collections.strata.platform.plugins.module_utils._aws.flow_logs import tag_flow_log
from ansible_collections.strata.platform.plugins.module_utils._aws.flow_logs import untag_flow_log
from ansible_collections.strata.platform.plugins.module_utils._aws.flow_logs import wait_for_flow_log

# Attributes AWS cannot change on an existing flow log (a difference means delete + create).
IMMUTABLE = ("traffic_type", "log_format", "max_aggregation_interval", "deliver_logs_permission_arn")


def _same_format(current, desired):
    return " ".join((current or "").split()) == " ".join((desired or "").split())


def desired_flow_log(params):
    """The flow log asked for, in the normalised shape; None means "not managed"."""
    return {
        "resource_id": params["resource_id"],
        "resource_type": params["resource_type"],
        "traffic_type": params["traffic_type"],
        "log_destination_type": params["log_destination_type"],
        "log_group_name": params["log_group_name"],
        "log_destination": params["log_destination"],
        "deliver_logs_permission_arn": params["deliver_logs_permission_arn"],
        "log_format": params["log_format"],
        "max_aggregation_interval": params["max_aggregation_interval"],
    }


def describe_target(params):
    """A readable name for the flow log(s) the parameters select, for messages."""
    if params["flow_log_id"]:
        return params["flow_log_id"]
    destination = params["log_group_name"] or params["log_destination"]
    return f"on {params['resource_id']} to {destination}"


def find_flow_logs(client, params):
    """Describe: the flow logs selected by flow_log_id, or by resource_id + destination."""
    if params["flow_log_id"]:
        found = describe_flow_logs(client, flow_log_ids=[params["flow_log_id"]])
        matches = [normalize_flow_log(fl) for fl in found if fl.get("FlowLogId") == params["flow_log_id"]]
        for flow_log in matches:
            if params["resource_id"] and flow_log["resource_id"] != params["resource_id"]:
                raise AnsibleFlowLogError(
                    message=f"Failed to select flow log {params['flow_log_id']}: it watches {flow_log['resource_id']}, "
                    f"not resource_id {params['resource_id']}"
                )
        return matches

    filters = ansible_dict_to_boto3_filter_list({"resource-id": params["resource_id"]})
    wanted = destination_key(params["log_destination_type"], params["log_group_name"], params["log_destination"])
    matches = []
    for flow_log in describe_flow_logs(client, filters=filters):
        flow_log = normalize_flow_log(flow_log)
        if flow_log["resource_id"] != params["resource_id"]:
            continue
        found = destination_key(
            flow_log["log_destination_type"], flow_log["log_group_name"], flow_log["log_destination"]
        )
        if found == wanted:
            matches.append(flow_log)
    return matches


def immutable_differences(current, desired):
    """Compare: the immutable attributes asked for that differ from the existing flow log."""
    differences = []
    for key in IMMUTABLE:
        wanted = desired.get(key)
        have = current.get(key)
        if wanted is None:
            continue
        if key == "log_format":
            if not _same_format(have, wanted):
                differences.append(key)
        elif key == "max_aggregation_interval":
            # AWS's default when a flow log predates the attribute
            if (have or 600) != wanted:
                differences.append(key)
        elif have != wanted:
            differences.append(key)
    return differences


def desired_tags(current_tags, tags, purge_tags):
    """The tag set a flow log should end up with (aws:* tags are AWS's and never copied or purged)."""
    if tags is None:
        result = dict(current_tags)
    else:
        to_set, to_unset = compare_aws_tags(current_tags, tags, purge_tags)
        result = {k: v for k, v in current_tags.items() if k not in to_unset}
        result.update({k: str(v) for k, v in to_set.items()})
    return result


def predicted_flow_log(desired, tags):
    """What AWS will report for a flow log created from `desired` (flow_log_id unknown until created)."""
    predicted = dict.fromkeys(FLOW_LOG_KEYS)
    predicted.update({key: desired[key] for key in desired if key in predicted})
    predicted["log_format"] = desired["log_format"] or DEFAULT_LOG_FORMAT
    predicted["flow_log_status"] = "ACTIVE"
    predicted["tags"] = {key: str(value) for key, value in (tags or {}).items()}
    return predicted


def ensure_created(client, check_mode, desired, tags, wait, wait_timeout):
    """Change: create the flow log; returns (changed, predicted)."""
    predicted = predicted_flow_log(desired, tags)
    if check_mode:
        return True, predicted

    params = dict(
        TrafficType=desired["traffic_type"],
        LogDestinationType=desired["log_destination_type"],
        MaxAggregationInterval=desired["max_aggregation_interval"],
    )
    if desired["log_group_name"]:
        params["LogGroupName"] = desired["log_group_name"]
    if desired["log_destination"]:
        params["LogDestination"] = desired["log_destination"]
    if desired["deliver_logs_permission_arn"]:
        params["DeliverLogsPermissionArn"] = desired["deliver_logs_permission_arn"]
    if desired["log_format"]:
        params["LogFormat"] = desired["log_format"]

    flow_log_id = create_flow_log(client, desired["resource_id"], desired["resource_type"], tags, **params)
    predicted["flow_log_id"] = flow_log_id
    if wait:
        wait_for_flow_log(client, flow_log_id, "present", wait_timeout)
    return True, predicted


def ensure_deleted(client, check_mode, flow_log, wait, wait_timeout):
    """Change: delete one flow log; returns changed."""
    if check_mode:
        return True
    changed = delete_flow_log(client, flow_log["flow_log_id"])
    if wait:
        wait_for_flow_log(client, flow_log["flow_log_id"], "absent", wait_timeout)
    return changed


def ensure_tags(client, check_mode, flow_log, tags, purge_tags):
    """Change tags in place on an existing flow log; returns (changed, predicted)."""
    if tags is None:
        return False, flow_log
    current_tags = flow_log["tags"]
    to_set, to_unset = compare_aws_tags(current_tags, tags, purge_tags)
    if not to_set and not to_unset:
        return False, flow_log

    predicted = deepcopy(flow_log)
    predicted["tags"] = desired_tags(current_tags, tags, purge_tags)
    if check_mode:
        return True, predicted

    if to_unset:
        untag_flow_log(client, flow_log["flow_log_id"], to_unset)
    if to_set:
        tag_flow_log(client, flow_log["flow_log_id"], to_set)
    return True, predicted


def ensure_present(client, check_mode, current, desired, tags, purge_tags, wait, wait_timeout):
    """Create, replace (immutable change) or re-tag; returns (changed, predicted)."""
    if current is None:
        return ensure_created(client, check_mode, desired, tags, wait, wait_timeout)

    if immutable_differences(current, desired):
        # What the caller leaves unmanaged (tags, log_format, ...) is carried over to the replacement.
        replacement = dict(desired)
        for key in IMMUTABLE:
            if replacement[key] is None:
                replacement[key] = current[key]
        new_tags = desired_tags(current["tags"], tags, purge_tags)
        new_tags = {k: v for k, v in new_tags.items() if not k.startswith("aws:")}
        ensure_deleted(client, check_mode, current, wait, wait_timeout)
        return ensure_created(client, check_mode, replacement, new_tags, wait, wait_timeout)

    return ensure_tags(client, check_mode, current, tags, purge_tags)


def ensure_absent(client, check_mode, matches, wait, wait_timeout):
    """Delete every selected flow log; returns (changed, None)."""
    changed = False
    for flow_log in matches:
        changed |= ensure_deleted(client, check_mode, flow_log, wait, wait_timeout)
    return changed, None


def validate(module):
    """Cross-option rules the argument spec cannot express; fail naming the option and the fix."""
    params = module.params
    destination_type = params["log_destination_type"]
    if params["state"] == "absent" and params["flow_log_id"]:
        return
    if params["state"] == "present" and params["flow_log_id"]:
        module.fail_json(
            msg="flow_log_id is only used with state=absent; with state=present the flow log is found by "
            "resource_id and its destination (log_group_name or log_destination)"
        )
    if destination_type == "s3":
        if not params["log_destination"]:
            module.fail_json(msg="log_destination (the S3 bucket ARN) is required when log_destination_type=s3")
        if params["log_group_name"]:
            module.fail_json(msg="log_group_name can only be used with log_destination_type=cloud-watch-logs")
        if params["deliver_logs_permission_arn"]:
            module.fail_json(
                msg="deliver_logs_permission_arn can only be used with log_destination_type=cloud-watch-logs "
                "(S3 delivery is authorised by the bucket policy)"
            )
        if not params["log_destination"].startswith("arn:"):
            module.fail_json(
                msg=f"log_destination must be an S3 bucket ARN (arn:aws:s3:::bucket), got {params['log_destination']}"
            )
    else:
        if not params["log_group_name"] and not params["log_destination"]:
            module.fail_json(
                msg="log_group_name (or a log group ARN in log_destination) is required when log_destination_type=cloud-watch-logs"
            )
        if params["state"] == "present" and not params["deliver_logs_permission_arn"]:
            module.fail_json(
                msg="deliver_logs_permission_arn (the IAM role flow logs use to publish) is required when "
                "log_destination_type=cloud-watch-logs"
            )


def main():
    argument_spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        resource_id=dict(type="str"),
        resource_type=dict(type="str", default="VPC", choices=["VPC", "Subnet", "NetworkInterface"]),
        traffic_type=dict(type="str", default="ALL", choices=["ALL", "ACCEPT", "REJECT"]),
        log_destination_type=dict(type="str", default="cloud-watch-logs", choices=["cloud-watch-logs", "s3"]),
        log_group_name=dict(type="str"),
        log_destination=dict(type="str"),
        deliver_logs_permission_arn=dict(type="str"),
        log_format=dict(type="str"),
        max_aggregation_interval=dict(type="int", default=600, choices=[60, 600]),
        flow_log_id=dict(type="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[
            ("state", "present", ("resource_id",)),
            ("state", "absent", ("resource_id", "flow_log_id"), True),
        ],
        supports_check_mode=True,
    )
    validate(module)
    params = module.params
    check_mode = module.check_mode
    client = module.client("ec2")

    before = None
    diff_headers = {}
    try:
        matches = find_flow_logs(client, params)
        if params["state"] == "absent":
            if len(matches) > 1:
                before = {"flow_logs": matches}
            else:
                before = matches[0] if matches else None
            changed, after = ensure_absent(client, check_mode, matches, params["wait"], params["wait_timeout"])
        else:
            if len(matches) > 1:
                ids = ", ".join(fl["flow_log_id"] for fl in matches)
                raise AnsibleFlowLogError(
                    message=f"Failed to select flow log {describe_target(params)}: {len(matches)} flow logs match ({ids}); "
                    "delete the extra ones with state=absent and flow_log_id"
                )
            before = matches[0] if matches else None
            desired = desired_flow_log(params)
            replaced = immutable_differences(before, desired) if before else []
            if replaced:
                diff_headers = {
                    "before_header": f"flow log {before['flow_log_id']}",
                    "after_header": f"replacement of {before['flow_log_id']} (immutable: {', '.join(replaced)})",
                }
            changed, after = ensure_present(
                client,
                check_mode,
                before,
                desired,
                params["tags"],
                params["purge_tags"],
                params["wait"],
                params["wait_timeout"],
            )
            if changed and not check_mode and params["wait"]:
                refreshed = describe_flow_logs(client, flow_log_ids=[after["flow_log_id"]])
                if refreshed:
                    after = normalize_flow_log(refreshed[0])
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)

    result = {"changed": changed, "flow_log": after}
    if module._diff:
        result["diff"] = dict(before=before or {}, after=after or {}, **diff_headers)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
