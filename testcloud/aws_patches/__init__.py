"""Fidelity patches: where moto 5.2.5 differs from AWS in ways the collection's roles would hit.

One module per AWS behaviour restored, named after it; each has ``apply()`` (idempotent, returns
True if it changed moto now) and a docstring stating the AWS behaviour and moto's deviation.
Patches must be applied in the server process before it serves requests: :func:`apply_all`.

Checked and left alone (moto 5.2.5 already behaves like AWS for what the roles use):
CreateNatGateway / DescribeNatGateways by subnet, VPC and state; CreateFlowLogs to a CloudWatch Logs
group by ``LogGroupName`` with a role ARN (including ``FlowLogAlreadyExists`` for a duplicate);
revoking the default security group's egress rule by permission or by rule id, and
``InvalidPermission.NotFound`` when revoking it again. For the iam and encryption layers (amazon.aws
``iam_role``, ``iam_role_info``, ``iam_managed_policy``, ``kms_key``, ``kms_key_info``,
``aws_caller_info``, ``ec2_security_group_info``: check mode, create, re-run, change, absent, absent
again): roles with a path, trust policy, tags and AWS-managed policy ARNs (including ``service-role/``
ones), customer managed policies with tags and more than five versions, DeleteRole's
``DeleteConflict`` while policies are attached, KMS aliases, key policies, rotation, tags and
descriptions by key ARN, and cancelling a scheduled deletion. For the data stores: RDS
``ManageMasterUserPassword`` (``MasterUserSecret`` and the ``rds!db-...`` secret in Secrets Manager).
"""

import importlib

# Order matters only where two patches wrap one method; each keeps the other's behaviour.
PATCH_MODULES = (
    "ec2_describe_tags_resource_types",
    "ec2_nat_gateway_tag_filters",
    "ec2_nat_gateway_not_found",
    "ec2_nat_gateway_delete_frees_eip",
    "ec2_nat_gateway_client_token",
    "ec2_flow_log_group_name",
    "ec2_default_security_group_self_ingress",
    "ec2_default_security_group_undeletable",
    "kms_key_arn_as_key_id",
    "rds_db_instance_creating",
    "rds_gp3_storage_baseline",
    "rds_performance_insights",
    "rds_modify_db_port_number",
    "rds_read_replica_own_settings",
    "elasticache_replication_group_creating",
    "elasticache_replication_group_deleted",
    "elasticache_delete_cache_subnet_group",
    "elasticache_replication_group_members",
    "elasticache_cache_parameter_groups",
    "elasticache_modify_cache_subnet_group",
    "elasticache_replication_group_final_snapshot",
    "kafka_cluster_active_after_creation",
    "kafka_cluster_not_found",
    "kafka_list_clusters_cluster_info",
    "kafka_get_bootstrap_brokers",
    "kafka_configurations",
    "kafka_cluster_updates",
    "rds_db_parameter_group_not_found",
    "rds_db_parameters",
    "rds_db_parameter_group_in_use",
    "rds_read_replica_of_managed_password_source",
)


def load(name):
    """The patch module ``name`` (imports moto)."""
    return importlib.import_module(f"{__name__}.{name}")


def apply_all():
    """Apply every patch; returns ``{patch name: applied now}``."""
    return {name: load(name).apply() for name in PATCH_MODULES}
