# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""VPC flow logs: one thin wrapper per EC2 call, a waiter pair and the normalised shape.

Private to the collection (used by ec2_vpc_flow_log and ec2_vpc_flow_log_info).
Every wrapper retries on throttling (AWSRetry) and raises AnsibleFlowLogError, which the
modules convert to fail_json once, in main().
"""

from typing import Any
from typing import Dict
from typing import List
from typing import Optional

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications
from ansible_collections.amazon.aws.plugins.module_utils.waiter import BaseWaiterFactory
from ansible_collections.amazon.aws.plugins.module_utils.waiter import custom_waiter_config

# The format AWS applies when LogFormat is not given (flow log record version 2).
DEFAULT_LOG_FORMAT = (
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
    "${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
)

# Keys of the normalised flow log, in the order they are documented.
FLOW_LOG_KEYS = (
    "flow_log_id",
    "resource_id",
    "traffic_type",
    "log_destination_type",
    "log_group_name",
    "log_destination",
    "deliver_logs_permission_arn",
    "log_format",
    "max_aggregation_interval",
    "flow_log_status",
    "deliver_logs_status",
    "deliver_logs_error_message",
    "creation_time",
    "tags",
)

_BOTO_KEYS = {
    "flow_log_id": "FlowLogId",
    "resource_id": "ResourceId",
    "traffic_type": "TrafficType",
    "log_destination_type": "LogDestinationType",
    "log_group_name": "LogGroupName",
    "log_destination": "LogDestination",
    "deliver_logs_permission_arn": "DeliverLogsPermissionArn",
    "log_format": "LogFormat",
    "max_aggregation_interval": "MaxAggregationInterval",
    "flow_log_status": "FlowLogStatus",
    "deliver_logs_status": "DeliverLogsStatus",
    "deliver_logs_error_message": "DeliverLogsErrorMessage",
}


class AnsibleFlowLogError(AnsibleAWSError):
    pass


class FlowLogErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleFlowLogError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("InvalidFlowLogId.NotFound")


def _unsuccessful_message(unsuccessful: List[Dict[str, Any]]) -> str:
    return "; ".join(
        f"{item.get('ResourceId', '?')}: {item.get('Error', {}).get('Code', '?')} {item.get('Error', {}).get('Message', '')}".strip()
        for item in unsuccessful
    )


@FlowLogErrorHandler.list_error_handler("describe flow logs", [])
@AWSRetry.jittered_backoff()
def describe_flow_logs(
    client, flow_log_ids: Optional[List[str]] = None, filters: Optional[List[Dict[str, Any]]] = None
) -> List[Dict[str, Any]]:
    params: Dict[str, Any] = {}
    if flow_log_ids:
        params["FlowLogIds"] = flow_log_ids
    if filters:
        params["Filters"] = filters
    paginator = client.get_paginator("describe_flow_logs")
    return paginator.paginate(**params).build_full_result()["FlowLogs"]


@FlowLogErrorHandler.common_error_handler("create flow log on {resource_id}")
@AWSRetry.jittered_backoff()
def create_flow_log(client, resource_id: str, resource_type: str, tags: Optional[Dict[str, str]], **params: Any) -> str:
    """CreateFlowLogs for one resource; returns the new flow log id.

    CreateFlowLogs reports per-resource failures in ``Unsuccessful`` with HTTP 200, so they
    are raised here like any other API error.
    """
    request = dict(ResourceIds=[resource_id], ResourceType=resource_type, **params)
    tag_specifications = boto3_tag_specifications(tags, types="vpc-flow-log")
    if tag_specifications:
        request["TagSpecifications"] = tag_specifications
    result = client.create_flow_logs(**request)
    if result.get("Unsuccessful"):
        raise AnsibleFlowLogError(
            message=f"Failed to create flow log on {resource_id}: {_unsuccessful_message(result['Unsuccessful'])}"
        )
    flow_log_ids = result.get("FlowLogIds") or []
    if len(flow_log_ids) != 1:
        raise AnsibleFlowLogError(
            message=f"Failed to create flow log on {resource_id}: expected one flow log id, got {flow_log_ids}"
        )
    return flow_log_ids[0]


@FlowLogErrorHandler.deletion_error_handler("delete flow log {flow_log_id}")
@AWSRetry.jittered_backoff()
def delete_flow_log(client, flow_log_id: str) -> bool:
    """DeleteFlowLogs for one id; False when it was already gone."""
    result = client.delete_flow_logs(FlowLogIds=[flow_log_id])
    unsuccessful = result.get("Unsuccessful") or []
    if not unsuccessful:
        return True
    if all(item.get("Error", {}).get("Code") == "InvalidFlowLogId.NotFound" for item in unsuccessful):
        return False
    raise AnsibleFlowLogError(message=f"Failed to delete flow log {flow_log_id}: {_unsuccessful_message(unsuccessful)}")


@FlowLogErrorHandler.common_error_handler("tag flow log {flow_log_id}")
@AWSRetry.jittered_backoff(catch_extra_error_codes=["InvalidFlowLogId.NotFound"])
def tag_flow_log(client, flow_log_id: str, tags: Dict[str, str]) -> bool:
    client.create_tags(Resources=[flow_log_id], Tags=ansible_dict_to_boto3_tag_list(tags))
    return True


@FlowLogErrorHandler.common_error_handler("untag flow log {flow_log_id}")
@AWSRetry.jittered_backoff(catch_extra_error_codes=["InvalidFlowLogId.NotFound"])
def untag_flow_log(client, flow_log_id: str, tag_keys: List[str]) -> bool:
    client.delete_tags(Resources=[flow_log_id], Tags=[{"Key": key} for key in tag_keys])
    return True


class FlowLogWaiterFactory(BaseWaiterFactory):
    """EC2 has no flow log waiters; DescribeFlowLogs is eventually consistent."""

    @property
    def _waiter_model_data(self):
        return dict(
            flow_log_exists=dict(
                operation="DescribeFlowLogs",
                delay=5,
                maxAttempts=60,
                acceptors=[
                    dict(state="success", matcher="path", expected=True, argument="length(FlowLogs[]) > `0`"),
                    dict(state="retry", matcher="path", expected=True, argument="length(FlowLogs[]) == `0`"),
                    dict(state="retry", matcher="error", expected="InvalidFlowLogId.NotFound"),
                ],
            ),
            flow_log_deleted=dict(
                operation="DescribeFlowLogs",
                delay=5,
                maxAttempts=60,
                acceptors=[
                    dict(state="success", matcher="path", expected=True, argument="length(FlowLogs[]) == `0`"),
                    dict(state="retry", matcher="path", expected=True, argument="length(FlowLogs[]) > `0`"),
                    dict(state="success", matcher="error", expected="InvalidFlowLogId.NotFound"),
                ],
            ),
        )


_WAITERS = FlowLogWaiterFactory()


@FlowLogErrorHandler.common_error_handler("wait for flow log {flow_log_id} to be {state}")
def wait_for_flow_log(client, flow_log_id: str, state: str, timeout: int) -> None:
    """Wait until DescribeFlowLogs shows (state='present') or no longer shows (state='absent') the id."""
    waiter_name = "flow_log_exists" if state == "present" else "flow_log_deleted"
    waiter = _WAITERS.get_waiter(client, waiter_name)
    waiter.wait(FlowLogIds=[flow_log_id], WaiterConfig=custom_waiter_config(timeout=timeout, default_pause=5))


def log_group_name_from_arn(arn: Optional[str]) -> Optional[str]:
    """arn:aws:logs:<region>:<account>:log-group:<name>[:*] -> <name>."""
    if not arn or ":log-group:" not in arn:
        return None
    name = arn.split(":log-group:", 1)[1]
    if name.endswith(":*"):
        name = name[:-2]
    return name


def destination_key(log_destination_type: Optional[str], log_group_name: Optional[str], log_destination: Optional[str]):
    """What a flow log delivers to, comparable between a request and a described flow log.

    CloudWatch Logs: the log group name (from LogGroupName, or from a log group ARN in LogDestination).
    S3: the destination ARN without a trailing slash.
    """
    if log_destination_type == "cloud-watch-logs":
        return (log_destination_type, log_group_name or log_group_name_from_arn(log_destination))
    return (log_destination_type, (log_destination or "").rstrip("/") or None)


def normalize_flow_log(flow_log: Dict[str, Any]) -> Dict[str, Any]:
    """Boto3 FlowLog -> the snake_case dict the modules return (every key always present)."""
    result: Dict[str, Any] = {key: flow_log.get(boto_key) for key, boto_key in _BOTO_KEYS.items()}
    creation_time = flow_log.get("CreationTime")
    result["creation_time"] = creation_time.isoformat() if hasattr(creation_time, "isoformat") else creation_time
    result["tags"] = boto3_tag_list_to_ansible_dict(flow_log.get("Tags") or [])
    return {key: result[key] for key in FLOW_LOG_KEYS}
