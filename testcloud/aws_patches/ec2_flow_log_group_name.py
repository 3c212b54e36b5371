"""EC2 flow logs to CloudWatch Logs report ``LogGroupName`` also when created by ``LogDestination``.

AWS: a ``cloud-watch-logs`` flow log created with ``LogDestination=<log group ARN>`` is described
with that ``LogDestination`` and with ``LogGroupName`` (the group's name); the ``log-group-name``
filter finds it, and delivery to an existing group with a valid role succeeds.

moto 5.2.5: keeps ``LogGroupName`` empty for such a flow log, so the ``log-group-name`` filter and
any comparison on the group name miss it (a role then creates a duplicate flow log on every run),
and it checks the (empty) name for the group's existence, reporting ``DeliverLogsStatus=FAILED``.
Created with ``LogGroupName``, moto matches AWS (no ``LogDestination`` in the answer): untouched.
"""

from moto.ec2.models.flow_logs import FlowLogsBackend

from testcloud.aws_patches._patching import wrap_method

PATCH_NAME = __name__.rsplit(".", 1)[-1]
CLOUDWATCH = "cloud-watch-logs"
LOG_GROUP_ARN_MARKER = ":log-group:"


def log_group_name_from_arn(arn):
    """``arn:aws:logs:<region>:<account>:log-group:<name>[:*]`` -> ``<name>`` (None if not a log group ARN)."""
    if not arn or LOG_GROUP_ARN_MARKER not in arn:
        return None
    name = arn.split(LOG_GROUP_ARN_MARKER, 1)[1]
    return name[:-2] if name.endswith(":*") else name


def _make_wrapper(original):
    def create_flow_logs(
        self,
        resource_type,
        resource_ids,
        traffic_type,
        deliver_logs_permission_arn,
        log_destination_type,
        log_destination,
        log_group_name,
        log_format,
        max_aggregation_interval,
    ):
        if log_group_name is None and (log_destination_type or CLOUDWATCH) == CLOUDWATCH:
            log_group_name = log_group_name_from_arn(log_destination)
        return original(
            self,
            resource_type,
            resource_ids,
            traffic_type,
            deliver_logs_permission_arn,
            log_destination_type,
            log_destination,
            log_group_name,
            log_format,
            max_aggregation_interval,
        )

    return create_flow_logs


def apply():
    """Derive the group name from the destination ARN before moto stores the flow log."""
    return wrap_method(FlowLogsBackend, "create_flow_logs", PATCH_NAME, _make_wrapper)
