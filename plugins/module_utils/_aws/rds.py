# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""RDS DB instances: one thin wrapper per API call, the poller, the normalised shape and the managed view.

Private to the collection (used by rds_db_instance). Every wrapper retries on throttling (AWSRetry) and raises
AnsibleRDSError, which the module converts to fail_json once, in main(). A master password only ever passes
through create_db_instance() / modify_db_instance() as ``MasterUserPassword`` (read by the module from the secret
named by master_user_password_secret_id); no error message here names it, and the normalised instance never
carries one (PendingModifiedValues.MasterUserPassword is dropped).

Two shapes:
- the *instance*: DescribeDBInstances' DBInstance in snake_case (camel_dict_to_snake_dict), datetimes as ISO
  strings, TagList replaced by ``tags`` (a dict); this is what the module returns as ``db_instance``;
- the *managed view*: ``{option name: value}`` for the attributes the module manages (what the diff shows),
  read from an instance with its pending modifications applied, and written back into an instance
  (``with_attributes``) to predict the result of a change in check mode.
"""

import time
from copy import deepcopy
from typing import Any
from typing import Callable
from typing import Dict
from typing import List
from typing import Optional

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.botocore import normalize_boto3_result
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

# Keys of the managed view, in the order they are documented (the module's options, plus the secret's ARN).
MANAGED_KEYS = (
    "db_instance_identifier",
    "source_db_instance_identifier",
    "engine",
    "engine_version",
    "db_instance_class",
    "allocated_storage",
    "max_allocated_storage",
    "storage_type",
    "iops",
    "storage_throughput",
    "storage_encrypted",
    "kms_key_id",
    "multi_az",
    "db_subnet_group_name",
    "vpc_security_group_ids",
    "db_parameter_group_name",
    "port",
    "db_name",
    "master_username",
    "manage_master_user_password",
    "master_password_source",
    "master_user_secret_arn",
    "master_user_secret_kms_key_id",
    "backup_retention_period",
    "preferred_backup_window",
    "preferred_maintenance_window",
    "enable_performance_insights",
    "performance_insights_kms_key_id",
    "performance_insights_retention_period",
    "monitoring_interval",
    "monitoring_role_arn",
    "enable_cloudwatch_logs_exports",
    "deletion_protection",
    "copy_tags_to_snapshot",
    "auto_minor_version_upgrade",
    "publicly_accessible",
    "tags",
)

# Statuses in which the instance serves and accepts changes ("storage-optimization" follows a storage change
# and can last hours; the instance is usable meanwhile).
READY_STATUSES = ("available", "storage-optimization")
# Statuses that waiting for "available" cannot get out of: fail at once instead of waiting for the timeout.
STUCK_STATUSES = (
    "failed",
    "inaccessible-encryption-credentials",
    "incompatible-network",
    "incompatible-option-group",
    "incompatible-parameters",
    "incompatible-restore",
    "insufficient-capacity",
    "restore-error",
    "stopped",
)

# Simple view keys read from (and written to) the instance key of the same meaning.
_SIMPLE = {
    "engine": "engine",
    "engine_version": "engine_version",
    "db_instance_class": "db_instance_class",
    "allocated_storage": "allocated_storage",
    "storage_type": "storage_type",
    "iops": "iops",
    "storage_throughput": "storage_throughput",
    "kms_key_id": "kms_key_id",
    "multi_az": "multi_az",
    "db_name": "db_name",
    "master_username": "master_username",
    "backup_retention_period": "backup_retention_period",
    "preferred_backup_window": "preferred_backup_window",
    "preferred_maintenance_window": "preferred_maintenance_window",
    "performance_insights_kms_key_id": "performance_insights_kms_key_id",
    "performance_insights_retention_period": "performance_insights_retention_period",
    "monitoring_role_arn": "monitoring_role_arn",
    "deletion_protection": "deletion_protection",
    "copy_tags_to_snapshot": "copy_tags_to_snapshot",
    "auto_minor_version_upgrade": "auto_minor_version_upgrade",
    "publicly_accessible": "publicly_accessible",
    "source_db_instance_identifier": "read_replica_source_db_instance_identifier",
    "db_instance_identifier": "db_instance_identifier",
}
# View keys whose pending value (PendingModifiedValues, apply_immediately=false) is what the instance will have.
_PENDING = (
    "engine_version",
    "db_instance_class",
    "allocated_storage",
    "storage_type",
    "iops",
    "storage_throughput",
    "multi_az",
    "backup_retention_period",
    "port",
)


# master_password_source values besides "secret:<secret id>".
RDS_MANAGED = "rds-managed"
INHERITED = "inherited"
SELF_MANAGED = "self-managed"
# Longest master password per engine (RDS CreateDBInstance MasterUserPassword constraints); others 128.
_PASSWORD_MAX_LENGTH = {"mysql": 41, "mariadb": 41, "oracle": 30}
_PASSWORD_FORBIDDEN = set('/"@ ')


class AnsibleRDSError(AnsibleAWSError):
    pass


class DBInstanceWaitError(AnsibleRDSError):
    pass


class RDSErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleRDSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("DBInstanceNotFound")


# --- API wrappers ------------------------------------------------------------------------------------------------


@RDSErrorHandler.list_error_handler("describe db instance {db_instance_identifier}", None)
@AWSRetry.jittered_backoff()
def describe_db_instance(client, db_instance_identifier: str) -> Optional[Dict[str, Any]]:
    """DescribeDBInstances for one identifier: the boto3 DBInstance, None when it does not exist."""
    instances = client.describe_db_instances(DBInstanceIdentifier=db_instance_identifier)["DBInstances"]
    return instances[0] if instances else None


@RDSErrorHandler.common_error_handler("create db instance {db_instance_identifier}")
@AWSRetry.jittered_backoff()
def create_db_instance(client, db_instance_identifier: str, **params: Any) -> Dict[str, Any]:
    return client.create_db_instance(DBInstanceIdentifier=db_instance_identifier, **params)["DBInstance"]


@RDSErrorHandler.common_error_handler("create read replica {db_instance_identifier}")
@AWSRetry.jittered_backoff()
def create_db_instance_read_replica(client, db_instance_identifier: str, **params: Any) -> Dict[str, Any]:
    return client.create_db_instance_read_replica(DBInstanceIdentifier=db_instance_identifier, **params)["DBInstance"]


@RDSErrorHandler.common_error_handler("modify db instance {db_instance_identifier}")
@AWSRetry.jittered_backoff()
def modify_db_instance(client, db_instance_identifier: str, **params: Any) -> Dict[str, Any]:
    return client.modify_db_instance(DBInstanceIdentifier=db_instance_identifier, **params)["DBInstance"]


@RDSErrorHandler.deletion_error_handler("delete db instance {db_instance_identifier}")
@AWSRetry.jittered_backoff()
def delete_db_instance(
    client, db_instance_identifier: str, final_snapshot_identifier: Optional[str] = None
) -> bool:
    """DeleteDBInstance, with a final snapshot when an identifier is given; False when already gone."""
    if final_snapshot_identifier:
        params = {"FinalDBSnapshotIdentifier": final_snapshot_identifier, "SkipFinalSnapshot": False}
    else:
        params = {"SkipFinalSnapshot": True}
    client.delete_db_instance(DBInstanceIdentifier=db_instance_identifier, **params)
    return True


@RDSErrorHandler.common_error_handler("tag db instance {arn}")
@AWSRetry.jittered_backoff()
def add_tags(client, arn: str, tags: Dict[str, str]) -> bool:
    client.add_tags_to_resource(ResourceName=arn, Tags=ansible_dict_to_boto3_tag_list(tags))
    return True


@RDSErrorHandler.common_error_handler("untag db instance {arn}")
@AWSRetry.jittered_backoff()
def remove_tags(client, arn: str, tag_keys: List[str]) -> bool:
    client.remove_tags_from_resource(ResourceName=arn, TagKeys=list(tag_keys))
    return True


@RDSErrorHandler.common_error_handler("describe KMS key {key_id}")
@AWSRetry.jittered_backoff()
def kms_key_arn(kms_client, key_id: str) -> str:
    """The ARN of a KMS key given by id, ARN, alias name or alias ARN (kms:DescribeKey)."""
    return kms_client.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"]


# --- waiting -----------------------------------------------------------------------------------------------------


def wait_for_db_instance(
    client,
    db_instance_identifier: str,
    timeout: float,
    ready: Optional[Callable[[Dict[str, Any]], bool]] = None,
    gone: bool = False,
    sleep: Optional[Callable[[float], None]] = None,
    clock: Optional[Callable[[], float]] = None,
    known: Optional[Dict[str, Any]] = None,
) -> Optional[Dict[str, Any]]:
    """Poll DescribeDBInstances until the instance is ready (default: status available or
    storage-optimization), or until it is gone with ``gone=True``; returns the last normalised instance.

    The first poll is immediate (or is ``known``, an instance the caller has just described); then 1 s, doubling
    up to 15 s, never past the deadline. A status that waiting cannot leave (STUCK_STATUSES) fails at once; the
    timeout error names the instance and its last status.
    """
    ready = ready or (lambda instance: instance.get("db_instance_status") in READY_STATUSES)
    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    deadline = clock() + timeout
    delay = 1.0
    goal = "deleted" if gone else "available"
    while True:
        if known is not None:
            instance, known = known, None
        else:
            described = describe_db_instance(client, db_instance_identifier)
            instance = normalize_db_instance(described) if described else None
        if gone and instance is None:
            return None
        if not gone:
            if instance is None:
                raise DBInstanceWaitError(
                    message=f"Failed to wait for db instance {db_instance_identifier} to be available: it does not "
                    "exist (deleted meanwhile?)"
                )
            if ready(instance):
                return instance
            if instance.get("db_instance_status") in STUCK_STATUSES:
                raise DBInstanceWaitError(
                    message=f"Failed to wait for db instance {db_instance_identifier} to be available: its status "
                    f"is {instance.get('db_instance_status')!r}, which waiting does not change; fix the instance "
                    "(start it, or see its events in the RDS console) and run again"
                )
        remaining = deadline - clock()
        if remaining <= 0:
            status = instance.get("db_instance_status") if instance else "gone"
            raise DBInstanceWaitError(
                message=f"Timeout after {timeout:g} s waiting for db instance {db_instance_identifier} to be "
                f"{goal}; its last status was {status!r}. Raise wait_timeout, or run again later"
            )
        sleep(min(delay, remaining))
        delay = min(delay * 2, 15.0)


# --- shapes ------------------------------------------------------------------------------------------------------


def normalize_db_instance(instance: Dict[str, Any]) -> Dict[str, Any]:
    """boto3 DBInstance -> snake_case dict with ``tags`` as a dict and no password of any kind."""
    instance = normalize_boto3_result(dict(instance))
    tags = boto3_tag_list_to_ansible_dict(instance.pop("TagList", None) or [])
    instance.pop("MasterUserPassword", None)
    if "PendingModifiedValues" in instance:
        pending = dict(instance["PendingModifiedValues"] or {})
        pending.pop("MasterUserPassword", None)
        instance["PendingModifiedValues"] = pending
    result = camel_dict_to_snake_dict(instance)
    result["tags"] = tags
    return result


def password_source(view: Dict[str, Any], password_secret_id: Optional[str] = None) -> str:
    """Where the master password of an instance (its managed view) comes from, never the password itself.

    ``rds-managed`` (RDS keeps it in its own secret, MasterUserSecret), ``inherited`` (a read replica: its source's),
    ``secret:<id>`` (its own password, taken to be the value of the secret the task names: AWS never says where a
    password came from), ``self-managed`` (its own password, and the task names no secret)."""
    if view.get("manage_master_user_password"):
        return RDS_MANAGED
    if view.get("source_db_instance_identifier"):
        return INHERITED
    if password_secret_id:
        return f"secret:{password_secret_id}"
    return SELF_MANAGED


def password_rule(engine: Optional[str]) -> str:
    """RDS's rule for a master password of ``engine``, in words."""
    return (
        f"8 to {password_max_length(engine)} printable ASCII characters, without a slash (/), a double quote (\"), "
        "an at sign (@) or a space"
    )


def password_max_length(engine: Optional[str]) -> int:
    engine = (engine or "").lower()
    for prefix, length in _PASSWORD_MAX_LENGTH.items():
        if engine.startswith(prefix):
            return length
    return 128


def valid_master_password(engine: Optional[str], value: Any) -> bool:
    """Whether ``value`` is a master password RDS accepts for ``engine`` (see password_rule)."""
    if not isinstance(value, str) or not 8 <= len(value) <= password_max_length(engine):
        return False
    return all(33 <= ord(char) <= 126 for char in value) and not _PASSWORD_FORBIDDEN & set(value)


def managed_view(instance: Optional[Dict[str, Any]], password_secret_id: Optional[str] = None) -> Dict[str, Any]:
    """The managed attributes of a normalised instance, as the module's options name them ({} for None).

    Pending modifications (apply_immediately=false) count as done: they are what the instance will have.
    ``master_password_source`` names ``password_secret_id`` (the task's master_user_password_secret_id) for an
    instance whose password RDS does not manage (see password_source).
    """
    if not instance:
        return {}
    pending = instance.get("pending_modified_values") or {}
    view = {key: instance.get(source) for key, source in _SIMPLE.items()}
    endpoint = instance.get("endpoint") or {}
    view["port"] = endpoint.get("port") or None
    for key in _PENDING:
        if pending.get(key) is not None:
            view[key] = pending[key]
    view["max_allocated_storage"] = instance.get("max_allocated_storage") or 0
    view["storage_encrypted"] = bool(instance.get("storage_encrypted"))
    view["db_subnet_group_name"] = (instance.get("db_subnet_group") or {}).get("db_subnet_group_name")
    view["vpc_security_group_ids"] = sorted(
        group["vpc_security_group_id"] for group in instance.get("vpc_security_groups") or []
    )
    groups = instance.get("db_parameter_groups") or []
    view["db_parameter_group_name"] = groups[0].get("db_parameter_group_name") if groups else None
    secret = instance.get("master_user_secret") or {}
    view["manage_master_user_password"] = bool(secret)
    view["master_user_secret_arn"] = secret.get("secret_arn")
    view["master_user_secret_kms_key_id"] = secret.get("kms_key_id")
    view["enable_performance_insights"] = bool(instance.get("performance_insights_enabled"))
    view["monitoring_interval"] = instance.get("monitoring_interval") or 0
    logs = set(instance.get("enabled_cloudwatch_logs_exports") or [])
    pending_logs = pending.get("pending_cloudwatch_logs_exports") or {}
    logs |= set(pending_logs.get("log_types_to_enable") or [])
    logs -= set(pending_logs.get("log_types_to_disable") or [])
    view["enable_cloudwatch_logs_exports"] = sorted(logs)
    view["tags"] = dict(instance.get("tags") or {})
    view["master_password_source"] = password_source(view, password_secret_id)
    return {key: view.get(key) for key in MANAGED_KEYS}


def with_attributes(instance: Dict[str, Any], values: Dict[str, Any]) -> Dict[str, Any]:
    """A copy of a normalised instance with managed attributes set (check mode's prediction of a change)."""
    result = deepcopy(instance)
    for key, value in values.items():
        if key in _SIMPLE:
            result[_SIMPLE[key]] = value
        elif key == "port":
            result["endpoint"] = dict(result.get("endpoint") or {}, port=value)
        elif key == "max_allocated_storage":
            if value:
                result["max_allocated_storage"] = value
            else:
                result.pop("max_allocated_storage", None)
        elif key == "storage_encrypted":
            result["storage_encrypted"] = bool(value)
        elif key == "db_subnet_group_name":
            result["db_subnet_group"] = dict(result.get("db_subnet_group") or {}, db_subnet_group_name=value)
        elif key == "vpc_security_group_ids":
            result["vpc_security_groups"] = [
                {"vpc_security_group_id": group, "status": "active"} for group in sorted(value or [])
            ]
        elif key == "db_parameter_group_name":
            groups = result.get("db_parameter_groups") or [{}]
            result["db_parameter_groups"] = [dict(groups[0], db_parameter_group_name=value)] + groups[1:]
        elif key == "manage_master_user_password":
            if value and not result.get("master_user_secret"):
                result["master_user_secret"] = {"secret_arn": None, "secret_status": "creating", "kms_key_id": None}
            elif not value:
                result.pop("master_user_secret", None)
        elif key in ("master_user_secret_kms_key_id", "master_user_secret_arn"):
            if result.get("master_user_secret"):
                field = "kms_key_id" if key == "master_user_secret_kms_key_id" else "secret_arn"
                result["master_user_secret"] = dict(result["master_user_secret"], **{field: value})
        elif key == "enable_performance_insights":
            result["performance_insights_enabled"] = bool(value)
        elif key == "monitoring_interval":
            result["monitoring_interval"] = value or 0
        elif key == "enable_cloudwatch_logs_exports":
            result["enabled_cloudwatch_logs_exports"] = sorted(value or [])
        elif key == "tags":
            result["tags"] = dict(value or {})
    return result
