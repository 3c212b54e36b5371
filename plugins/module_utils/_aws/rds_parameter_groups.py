# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""RDS DB parameter groups: one thin wrapper per API call, the normalised shapes and the parameter rules.

Private to the collection (used by rds_db_parameter_group). Every wrapper retries on throttling (AWSRetry)
and raises AnsibleRDSParameterGroupError (ParameterGroupInUseError for a group DB instances still use),
which the module converts to fail_json once, in main().

Shapes:
- the *group*: ``{name, family, arn, description, tags}``;
- *values*: ``{parameter name: value}``, values as the strings AWS reports (``normalize_value``);
- *metadata*: ``{parameter name: Parameter}`` as DescribeDBParameters / DescribeEngineDefaultParameters
  answer it (``ApplyType``, ``IsModifiable``, ``DataType``, ``AllowedValues``, ...).
"""

import re
from typing import Any
from typing import Dict
from typing import Iterable
from typing import List
from typing import Optional

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

# Keys of the normalised group, in the order they are documented.
PARAMETER_GROUP_KEYS = ("name", "family", "arn", "description", "tags")
# ModifyDBParameterGroup and ResetDBParameterGroup take at most this many parameters per request.
BATCH_SIZE = 20

_NAME_PATTERN = re.compile(r"^[A-Za-z](?!.*--)[A-Za-z0-9-]*(?<!-)$")
_INTEGER = re.compile(r"^-?[0-9]+$")
_RANGE = re.compile(r"^(-?[0-9]+)-(-?[0-9]+)$")


class AnsibleRDSParameterGroupError(AnsibleAWSError):
    pass


class ParameterGroupInUseError(AnsibleRDSParameterGroupError):
    """DeleteDBParameterGroup answered InvalidDBParameterGroupState: DB instances still use the group."""


class RDSParameterGroupErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleRDSParameterGroupError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("DBParameterGroupNotFound")


def _error_code(error: AnsibleAWSError) -> Optional[str]:
    response = getattr(error.exception, "response", None) or {}
    return (response.get("Error") or {}).get("Code")


# --- wrappers, one per SDK call ---


@RDSParameterGroupErrorHandler.list_error_handler("describe DB parameter group {name}", None)
@AWSRetry.jittered_backoff()
def describe_db_parameter_group(client, name: str) -> Optional[Dict[str, Any]]:
    """DescribeDBParameterGroups for one group; None when it does not exist."""
    groups = client.describe_db_parameter_groups(DBParameterGroupName=name)["DBParameterGroups"]
    groups = [group for group in groups if group.get("DBParameterGroupName", "").lower() == name.lower()]
    return groups[0] if groups else None


@RDSParameterGroupErrorHandler.common_error_handler("describe the parameters of DB parameter group {name}")
@AWSRetry.jittered_backoff()
def describe_db_parameters(client, name: str, source: Optional[str] = "user") -> List[Dict[str, Any]]:
    """DescribeDBParameters, every page; by default only the parameters set in the group (Source=user)."""
    params: Dict[str, Any] = {"DBParameterGroupName": name}
    if source:
        params["Source"] = source
    paginator = client.get_paginator("describe_db_parameters")
    return paginator.paginate(**params).build_full_result()["Parameters"]


@RDSParameterGroupErrorHandler.common_error_handler("describe the default parameters of family {family}")
@AWSRetry.jittered_backoff()
def describe_engine_default_parameters(client, family: str, first_page_only: bool = False) -> List[Dict[str, Any]]:
    """DescribeEngineDefaultParameters of a family: every page, or one page of 20 (enough to check the family)."""
    if first_page_only:
        response = client.describe_engine_default_parameters(DBParameterGroupFamily=family, MaxRecords=20)
        return response["EngineDefaults"].get("Parameters") or []
    paginator = client.get_paginator("describe_engine_default_parameters")
    return paginator.paginate(DBParameterGroupFamily=family).build_full_result()["EngineDefaults"]["Parameters"]


@RDSParameterGroupErrorHandler.common_error_handler("list the tags of DB parameter group {arn}")
@AWSRetry.jittered_backoff()
def list_tags(client, arn: str) -> Dict[str, str]:
    return boto3_tag_list_to_ansible_dict(client.list_tags_for_resource(ResourceName=arn).get("TagList") or [])


@RDSParameterGroupErrorHandler.common_error_handler("create DB parameter group {name}")
@AWSRetry.jittered_backoff()
def create_db_parameter_group(
    client, name: str, family: str, description: str, tags: Optional[Dict[str, str]] = None
) -> Dict[str, Any]:
    params: Dict[str, Any] = dict(DBParameterGroupName=name, DBParameterGroupFamily=family, Description=description)
    if tags:
        params["Tags"] = ansible_dict_to_boto3_tag_list(tags)
    return client.create_db_parameter_group(**params)["DBParameterGroup"]


@RDSParameterGroupErrorHandler.common_error_handler("modify the parameters of DB parameter group {name}")
@AWSRetry.jittered_backoff()
def modify_db_parameter_group(client, name: str, parameters: List[Dict[str, str]]) -> bool:
    """ModifyDBParameterGroup with one batch (at most BATCH_SIZE) of ParameterName/ParameterValue/ApplyMethod."""
    client.modify_db_parameter_group(DBParameterGroupName=name, Parameters=parameters)
    return True


@RDSParameterGroupErrorHandler.common_error_handler("reset the parameters of DB parameter group {name}")
@AWSRetry.jittered_backoff()
def reset_db_parameter_group(client, name: str, parameters: List[Dict[str, str]]) -> bool:
    """ResetDBParameterGroup of one batch (at most BATCH_SIZE) of ParameterName/ApplyMethod."""
    client.reset_db_parameter_group(DBParameterGroupName=name, ResetAllParameters=False, Parameters=parameters)
    return True


@RDSParameterGroupErrorHandler.deletion_error_handler("delete DB parameter group {name}")
@AWSRetry.jittered_backoff()
def _delete_db_parameter_group(client, name: str) -> bool:
    client.delete_db_parameter_group(DBParameterGroupName=name)
    return True


def delete_db_parameter_group(client, name: str) -> bool:
    """DeleteDBParameterGroup; False if it was already gone; ParameterGroupInUseError while instances use it."""
    try:
        return _delete_db_parameter_group(client, name)
    except AnsibleRDSParameterGroupError as e:
        if _error_code(e) == "InvalidDBParameterGroupState":
            raise ParameterGroupInUseError(message=e.message, exception=e.exception) from e
        raise


@RDSParameterGroupErrorHandler.common_error_handler("add tags to DB parameter group {arn}")
@AWSRetry.jittered_backoff()
def add_tags(client, arn: str, tags: Dict[str, str]) -> bool:
    client.add_tags_to_resource(ResourceName=arn, Tags=ansible_dict_to_boto3_tag_list(tags))
    return True


@RDSParameterGroupErrorHandler.common_error_handler("remove tags from DB parameter group {arn}")
@AWSRetry.jittered_backoff()
def remove_tags(client, arn: str, tag_keys: Iterable[str]) -> bool:
    client.remove_tags_from_resource(ResourceName=arn, TagKeys=list(tag_keys))
    return True


@RDSParameterGroupErrorHandler.common_error_handler("find the DB instances using DB parameter group {name}")
@AWSRetry.jittered_backoff()
def db_instances_using(client, name: str) -> List[Dict[str, str]]:
    """``[{"id", "status"}]`` of the DB instances whose parameter group is ``name`` (DescribeDBInstances)."""
    paginator = client.get_paginator("describe_db_instances")
    instances = paginator.paginate().build_full_result()["DBInstances"]
    return [
        {"id": instance["DBInstanceIdentifier"], "status": instance.get("DBInstanceStatus")}
        for instance in instances
        if any(
            (group.get("DBParameterGroupName") or "").lower() == name.lower()
            for group in instance.get("DBParameterGroups") or []
        )
    ]


# --- normalisation and rules (no API calls) ---


def normalize_group(group: Dict[str, Any], tags: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    """Boto3 DBParameterGroup (+ its tags) -> the dict the module returns."""
    return {
        "name": group.get("DBParameterGroupName"),
        "family": group.get("DBParameterGroupFamily"),
        "arn": group.get("DBParameterGroupArn"),
        "description": group.get("Description"),
        "tags": dict(tags or {}),
    }


def valid_name(name: str) -> bool:
    """AWS's rule: 1 to 255 letters, digits or hyphens, a letter first, no trailing or double hyphen."""
    return 0 < len(name) <= 255 and bool(_NAME_PATTERN.match(name))


def normalize_value(value: Any) -> str:
    """A wanted parameter value as AWS reports it: booleans 1/0, numbers and strings as text, a list
    joined with commas. Raises ValueError for None or a mapping."""
    if value is None:
        raise ValueError("has no value")
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        if any(isinstance(item, (dict, list, tuple)) or item is None for item in value):
            raise ValueError("must be a list of plain values")
        return ",".join(normalize_value(item) for item in value)
    raise ValueError(f"must be a string, number, boolean or list, not a {type(value).__name__}")


def values_of(parameters: Iterable[Dict[str, Any]]) -> Dict[str, Optional[str]]:
    """DescribeDBParameters' Parameters -> ``{name: value}``."""
    return {p["ParameterName"]: p.get("ParameterValue") for p in parameters}


def _allowed_ranges(allowed: str):
    """``[(low, high)]`` for an integer AllowedValues such as ``-1-2147483647`` or ``0,20-100``; None if the
    text has another form."""
    ranges = []
    for part in allowed.split(","):
        part = part.strip()
        bounds = _RANGE.match(part)
        if bounds:
            ranges.append((int(bounds.group(1)), int(bounds.group(2))))
        elif _INTEGER.match(part):
            ranges.append((int(part), int(part)))
        else:
            return None
    return ranges


def value_problem(metadata: Dict[str, Any], value: str) -> Optional[str]:
    """Why AWS would refuse ``value`` for the parameter (booleans and plain integers are checked against its
    AllowedValues; formulas such as ``{DBInstanceClassMemory/32768}`` and other types are left to AWS)."""
    allowed = metadata.get("AllowedValues")
    if not allowed:
        return None
    data_type = metadata.get("DataType")
    if data_type == "boolean":
        choices = [choice.strip() for choice in allowed.split(",")]
        if value not in choices:
            return f"{value!r} is not one of {allowed} (true/false give 1/0)"
    elif data_type == "integer" and _INTEGER.match(value):
        ranges = _allowed_ranges(allowed)
        if ranges is not None and not any(low <= int(value) <= high for low, high in ranges):
            return f"{value} is outside {allowed}"
    return None


def default_apply_method(metadata: Dict[str, Any]) -> str:
    """What AWS accepts for the parameter without a reboot: immediate for dynamic, pending-reboot for static."""
    return "immediate" if metadata.get("ApplyType") == "dynamic" else "pending-reboot"


def batches(items: List[Any], size: int = BATCH_SIZE) -> List[List[Any]]:
    return [items[start:start + size] for start in range(0, len(items), size)]
