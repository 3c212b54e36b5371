# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Secrets Manager: one thin wrapper per API call and the normalised (value-free) shape of a secret.

Private to the collection (used by secretsmanager_random_secret, and by elasticache_replication_group to
read an AUTH token). Every wrapper retries on throttling (AWSRetry) and raises AnsibleSecretsManagerError,
which the modules convert to fail_json once, in main().

A secret's value only ever passes through generate_password() -> create_secret()/put_secret_value() and
get_secret_string(); none of them logs it, and normalize_secret() never includes it. Error messages name
the secret, never its value.
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

SECRET_KEYS = (
    "arn",
    "name",
    "description",
    "kms_key_id",
    "version_id",
    "created_date",
    "deleted_date",
    "tags",
)


class AnsibleSecretsManagerError(AnsibleAWSError):
    pass


class SecretsManagerErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleSecretsManagerError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ResourceNotFoundException")


@SecretsManagerErrorHandler.list_error_handler("describe secret {secret_id}", None)
@AWSRetry.jittered_backoff()
def describe_secret(client, secret_id: str) -> Optional[Dict[str, Any]]:
    """DescribeSecret (metadata only, never the value); None when it does not exist."""
    return client.describe_secret(SecretId=secret_id)


@SecretsManagerErrorHandler.common_error_handler("generate a random value for secret {name}")
@AWSRetry.jittered_backoff()
def generate_password(client, name: str, length: int, exclude_characters: str) -> str:
    """GetRandomPassword: at least one character of each included type, no space."""
    params: Dict[str, Any] = {"PasswordLength": length, "IncludeSpace": False, "RequireEachIncludedType": True}
    if exclude_characters:
        params["ExcludeCharacters"] = exclude_characters
    return client.get_random_password(**params)["RandomPassword"]


@SecretsManagerErrorHandler.common_error_handler("create secret {name}")
@AWSRetry.jittered_backoff()
def create_secret(client, name: str, secret_string: str, **params: Any) -> Dict[str, Any]:
    return client.create_secret(Name=name, SecretString=secret_string, **params)


@SecretsManagerErrorHandler.common_error_handler("store a value in secret {secret_id}")
@AWSRetry.jittered_backoff()
def put_secret_value(client, secret_id: str, secret_string: str) -> Dict[str, Any]:
    return client.put_secret_value(SecretId=secret_id, SecretString=secret_string)


@SecretsManagerErrorHandler.common_error_handler("update secret {secret_id}")
@AWSRetry.jittered_backoff()
def update_secret(client, secret_id: str, **params: Any) -> Dict[str, Any]:
    return client.update_secret(SecretId=secret_id, **params)


@SecretsManagerErrorHandler.common_error_handler("restore secret {secret_id}")
@AWSRetry.jittered_backoff()
def restore_secret(client, secret_id: str) -> Dict[str, Any]:
    return client.restore_secret(SecretId=secret_id)


@SecretsManagerErrorHandler.deletion_error_handler("delete secret {secret_id}")
@AWSRetry.jittered_backoff()
def delete_secret(client, secret_id: str, recovery_window_in_days: int) -> bool:
    """DeleteSecret with a recovery window (7-30 days), or at once without recovery when it is 0."""
    if recovery_window_in_days == 0:
        client.delete_secret(SecretId=secret_id, ForceDeleteWithoutRecovery=True)
    else:
        client.delete_secret(SecretId=secret_id, RecoveryWindowInDays=recovery_window_in_days)
    return True


@SecretsManagerErrorHandler.common_error_handler("tag secret {secret_id}")
@AWSRetry.jittered_backoff()
def tag_secret(client, secret_id: str, tags: Dict[str, str]) -> bool:
    client.tag_resource(SecretId=secret_id, Tags=ansible_dict_to_boto3_tag_list(tags))
    return True


@SecretsManagerErrorHandler.common_error_handler("untag secret {secret_id}")
@AWSRetry.jittered_backoff()
def untag_secret(client, secret_id: str, tag_keys: List[str]) -> bool:
    client.untag_resource(SecretId=secret_id, TagKeys=list(tag_keys))
    return True


@SecretsManagerErrorHandler.common_error_handler("read the value of secret {secret_id}")
@AWSRetry.jittered_backoff()
def get_secret_string(client, secret_id: str) -> Optional[str]:
    """GetSecretValue of the AWSCURRENT version: the SecretString (None for a binary secret).

    ResourceNotFoundException is an error here (the caller asked for a secret that must exist)."""
    return client.get_secret_value(SecretId=secret_id).get("SecretString")


def current_version(secret: Dict[str, Any]) -> Optional[str]:
    """The id of the AWSCURRENT version (None when the secret has no value)."""
    for version_id, stages in (secret.get("VersionIdsToStages") or {}).items():
        if "AWSCURRENT" in stages:
            return version_id
    return None


def _iso(value: Any) -> Optional[str]:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def normalize_secret(secret: Dict[str, Any]) -> Dict[str, Any]:
    """DescribeSecret -> the snake_case dict the modules return (no value, ever)."""
    return {
        "arn": secret.get("ARN"),
        "name": secret.get("Name"),
        "description": secret.get("Description"),
        "kms_key_id": secret.get("KmsKeyId"),
        "version_id": current_version(secret),
        "created_date": _iso(secret.get("CreatedDate")),
        "deleted_date": _iso(secret.get("DeletedDate")),
        "tags": boto3_tag_list_to_ansible_dict(secret.get("Tags") or []),
    }


def get_secret(client, secret_id: str) -> Optional[Dict[str, Any]]:
    """One secret's metadata, normalised; None when it does not exist."""
    secret = describe_secret(client, secret_id)
    return None if secret is None else normalize_secret(secret)
