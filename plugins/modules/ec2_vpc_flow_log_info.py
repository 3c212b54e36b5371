#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ec2_vpc_flow_log_info
version_added: 0.1.0
short_description: List VPC flow logs
description:
  - List VPC flow logs by id, by the resource they watch, and/or by DescribeFlowLogs filters.
  - With no option set, every flow log of the region is returned.
  - The options combine; a flow log is returned when it matches all of them.
author:
  - strata.platform contributors (!UNKNOWN)
options:
  flow_log_ids:
    description:
      - Flow log ids (V(fl-...)) to return.
    type: list
    elements: str
    default: []
  resource_ids:
    description:
      - Return the flow logs of these VPCs, subnets or network interfaces.
      - Same as the V(resource-id) filter.
    type: list
    elements: str
    default: []
  filters:
    description:
      - A dict of DescribeFlowLogs filters, for example V(traffic-type), V(log-destination-type),
        V(log-group-name), V(deliver-log-status), V(tag:<key>), V(tag-key).
      - See U(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeFlowLogs.html).
      - A V(resource-id) filter here is combined with O(resource_ids).
    type: dict
    default: {}
notes:
  - "Required IAM actions: C(ec2:DescribeFlowLogs)."
attributes:
  check_mode:
    support: full
    details: The module only reads.
  diff_mode:
    support: N/A
    details: The module only reads.
extends_documentation_fragment:
  - strata.platform.aws
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: List the flow logs of a VPC
  strata.platform.ec2_vpc_flow_log_info:
    resource_ids:
      - vpc-0123456789abcdef0
  register: vpc_flow_logs

- name: Get one flow log
  strata.platform.ec2_vpc_flow_log_info:
    flow_log_ids:
      - fl-0123456789abcdef0

- name: List flow logs that fail to deliver to CloudWatch Logs
  strata.platform.ec2_vpc_flow_log_info:
    filters:
      log-destination-type: cloud-watch-logs
      deliver-log-status: FAILED

- name: List the flow logs of the prod environment
  strata.platform.ec2_vpc_flow_log_info:
    filters:
      "tag:Environment": prod
"""

RETURN = r"""
flow_logs:
  description: The flow logs found, sorted by id; empty when none match.
  returned: always
  type: list
  elements: dict
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
      description: The traffic logged (V(ALL), V(ACCEPT) or V(REJECT)).
      type: str
      returned: always
      sample: ALL
    log_destination_type:
      description: Where records go (V(cloud-watch-logs), V(s3) or V(kinesis-data-firehose)).
      type: str
      returned: always
      sample: cloud-watch-logs
    log_group_name:
      description: The CloudWatch Logs group, V(null) for other destinations.
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
      description: V(SUCCESS) or V(FAILED).
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
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.transformation import ansible_dict_to_boto3_filter_list

from ansible_collections.strata.platform.plugins.module_utils._aws.flow_logs import describe_flow_logs
from ansible_collections.strata.platform.plugins.module_utils._aws.flow_logs import normalize_flow_log


def build_filters(resource_ids, filters):
    """Merge resource_ids into the filter dict (as resource-id) and convert to the boto3 list."""
    merged = dict(filters or {})
    if resource_ids:
        existing = merged.get("resource-id")
        if existing is None:
            merged["resource-id"] = list(resource_ids)
        else:
            existing = existing if isinstance(existing, list) else [existing]
            # Both given: a flow log must match both, so keep the intersection.
            merged["resource-id"] = [rid for rid in resource_ids if rid in existing]
    return ansible_dict_to_boto3_filter_list(merged)


def list_flow_logs(client, flow_log_ids, resource_ids, filters):
    boto_filters = build_filters(resource_ids, filters)
    if resource_ids and not any(f["Name"] == "resource-id" and f["Values"] for f in boto_filters):
        return []
    found = describe_flow_logs(client, flow_log_ids=flow_log_ids or None, filters=boto_filters or None)
    if flow_log_ids:
        found = [fl for fl in found if fl.get("FlowLogId") in flow_log_ids]
    return sorted((normalize_flow_log(fl) for fl in found), key=lambda fl: fl["flow_log_id"] or "")


def main():
    argument_spec = dict(
        flow_log_ids=dict(type="list", elements="str", default=[]),
        resource_ids=dict(type="list", elements="str", default=[]),
        filters=dict(type="dict", default={}),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = module.client("ec2")

    try:
        flow_logs = list_flow_logs(
            client, module.params["flow_log_ids"], module.params["resource_ids"], module.params["filters"]
        )
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)

    module.exit_json(changed=False, flow_logs=flow_logs)


if __name__ == "__main__":
    main()
