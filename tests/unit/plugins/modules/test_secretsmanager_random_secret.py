"""Unit tests for strata.platform.secretsmanager_random_secret, driven like Ansible drives a module.

moto (``mock_aws``) serves Secrets Manager in-process. The module must never call GetSecretValue and never
return the value; the tests read the value themselves (after the module ran) to check what was stored.
"""

import functools
import json
import string

import boto3
import pytest

from ansible_collections.strata.platform.plugins.modules import secretsmanager_random_secret as module
from _harness import REGION
from _harness import run as run_module
from _harness import run_failing as run_failing_module

run = functools.partial(run_module, module)
run_failing = functools.partial(run_failing_module, module)

NAME = "fsm/dev/redis/auth-token"
REDIS_PUNCTUATION = set("!&#$^<>-")


@pytest.fixture
def sm(api_calls):
    return boto3.client("secretsmanager", region_name=REGION)


@pytest.fixture
def kms_key(sm):
    return boto3.client("kms", region_name=REGION).create_key(Description="data")["KeyMetadata"]["Arn"]


def args(**extra):
    base = dict(name=NAME, description="Redis AUTH token of fsm dev", tags={"layer": "cache", "environment": "dev"})
    base.update(extra)
    return base


def value_of(sm):
    return sm.get_secret_value(SecretId=NAME)["SecretString"]


def secret_calls(api_calls):
    """The calls the module made (the tests' own reads happen after the module ran)."""
    return list(api_calls)


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_create(sm, api_calls, kms_key, no_sleep, check_mode):
    api_calls.reset()
    result = run(args(kms_key_id=kms_key), check_mode=check_mode)

    assert result["changed"] is True
    secret = result["secret"]
    assert set(secret) == set(module.SECRET_KEYS)
    assert secret["name"] == NAME
    assert secret["description"] == "Redis AUTH token of fsm dev"
    assert secret["tags"] == {"layer": "cache", "environment": "dev"}
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"] == secret
    assert "GetSecretValue" not in api_calls
    if check_mode:
        assert api_calls.mutating == []
        assert "GetRandomPassword" not in api_calls
        assert secret["arn"] is None and secret["version_id"] is None
        assert sm.list_secrets()["SecretList"] == []
    else:
        assert api_calls.mutating == ["CreateSecret"]
        assert secret["arn"].startswith(f"arn:aws:secretsmanager:{REGION}:")
        assert secret["version_id"]
        assert secret["kms_key_id"] == kms_key
        value = value_of(sm)
        assert value not in json.dumps(result)
        assert len(value) == 32
        allowed = set(string.ascii_letters + string.digits) | REDIS_PUNCTUATION
        assert set(value) <= allowed, set(value) - allowed


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_rerun_never_rotates(sm, api_calls, no_sleep, check_mode):
    created = run(args())["secret"]
    value = value_of(sm)
    api_calls.reset()

    result = run(args(password_length=64, exclude_characters="abc"), check_mode=check_mode)

    assert result["changed"] is False
    assert result["secret"] == created
    assert result["diff"]["before"] == result["diff"]["after"] == created
    assert api_calls.mutating == []
    assert "GetRandomPassword" not in api_calls and "GetSecretValue" not in api_calls
    assert value_of(sm) == value


def test_password_length_and_exclusions(sm, no_sleep):
    run(args(password_length=100, exclude_characters="aeiouAEIOU01!&#"))
    value = value_of(sm)
    assert len(value) == 100
    assert not set(value) & set("aeiouAEIOU01!&#")


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_settings_and_tags_in_place(sm, api_calls, kms_key, no_sleep, check_mode):
    original = run(args(tags={"layer": "cache", "old": "x"}))["secret"]
    value = value_of(sm)
    api_calls.reset()

    result = run(args(description="new", kms_key_id=kms_key, tags={"layer": "cache", "new": "y"}), check_mode=check_mode)

    assert result["changed"] is True
    secret = result["secret"]
    assert secret["description"] == "new"
    assert secret["kms_key_id"] == kms_key
    assert secret["tags"] == {"layer": "cache", "new": "y"}
    assert secret["version_id"] == original["version_id"]
    assert result["diff"]["before"] == original
    if check_mode:
        assert api_calls.mutating == []
    else:
        assert sorted(api_calls.mutating) == ["TagResource", "UntagResource", "UpdateSecret"]
        assert value_of(sm) == value
        api_calls.reset()
        again = run(args(description="new", kms_key_id=kms_key, tags={"layer": "cache", "new": "y"}))
        assert again["changed"] is False and api_calls.mutating == []
    # description, key and tags unset: not managed
    assert run(dict(name=NAME), check_mode=True)["changed"] is False


def test_kms_key_id_matches_the_end_of_the_arn(sm, kms_key, no_sleep):
    run(args(kms_key_id=kms_key))
    assert run(args(kms_key_id=kms_key.rsplit("/", 1)[1]), check_mode=True)["changed"] is False


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_absent_with_recovery_window_then_restore(sm, api_calls, no_sleep, check_mode):
    created = run(args())["secret"]
    value = value_of(sm)
    api_calls.reset()

    result = run(dict(name=NAME, state="absent", recovery_window_in_days=7), check_mode=check_mode)

    assert result["changed"] is True
    assert result["secret"] is None
    assert result["diff"] == {"before": created, "after": {}}
    described = sm.describe_secret(SecretId=NAME)
    if check_mode:
        assert api_calls.mutating == []
        assert "DeletedDate" not in described
        return
    assert api_calls.mutating == ["DeleteSecret"]
    assert "DeletedDate" in described
    api_calls.reset()
    again = run(dict(name=NAME, state="absent", recovery_window_in_days=7))
    assert again["changed"] is False and api_calls.mutating == []

    api_calls.reset()
    planned = run(args(), check_mode=True)
    assert planned["changed"] is True and planned["secret"]["deleted_date"] is None
    assert "RestoreSecret" not in api_calls and api_calls.mutating == []
    assert "DeletedDate" in sm.describe_secret(SecretId=NAME)

    restored = run(args())
    assert restored["changed"] is True
    assert restored["diff"]["before"]["deleted_date"] is not None
    assert restored["secret"]["deleted_date"] is None
    assert value_of(sm) == value  # restored with its value, not a new one
    assert run(args())["changed"] is False


@pytest.mark.parametrize("scheduled", [False, True], ids=["live", "scheduled"])
def test_absent_without_recovery(sm, api_calls, no_sleep, scheduled):
    run(args())
    if scheduled:
        run(dict(name=NAME, state="absent", recovery_window_in_days=30))
    api_calls.reset()

    result = run(dict(name=NAME, state="absent", recovery_window_in_days=0))

    assert result["changed"] is True
    assert api_calls.mutating == ["DeleteSecret"]
    assert sm.list_secrets(IncludePlannedDeletion=True)["SecretList"] == []
    assert run(dict(name=NAME, state="absent", recovery_window_in_days=0))["changed"] is False


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_absent_when_absent(sm, api_calls, no_sleep, check_mode):
    result = run(dict(name=NAME, state="absent"), check_mode=check_mode)
    assert result["changed"] is False
    assert result["secret"] is None
    assert api_calls.mutating == []


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_existing_secret_without_value_gets_one(sm, api_calls, no_sleep, check_mode):
    sm.create_secret(Name=NAME, Description="Redis AUTH token of fsm dev", Tags=[{"Key": "layer", "Value": "cache"}])
    api_calls.reset()

    result = run(args(tags=None), check_mode=check_mode)

    assert result["changed"] is True
    assert "GetSecretValue" not in api_calls
    if check_mode:
        assert api_calls.mutating == []
    else:
        assert api_calls.mutating == ["PutSecretValue"]
        assert result["secret"]["version_id"]
        assert len(value_of(sm)) == 32
        assert value_of(sm) not in json.dumps(result)


@pytest.mark.parametrize(
    "bad, message",
    [
        (dict(name="bad name!"), "name 'bad name!' is invalid"),
        (dict(name=NAME, password_length=15), "password_length must be between 16 and 128"),
        (dict(name=NAME, password_length=129), "password_length must be between 16 and 128"),
        (dict(name=NAME, state="absent", recovery_window_in_days=3), "recovery_window_in_days must be 7 to 30"),
        (dict(name=NAME, state="chaos"), "state"),
    ],
    ids=["name", "short", "long", "window", "state"],
)
def test_bad_input_fails_before_any_call(sm, api_calls, bad, message):
    api_calls.reset()
    result = run_failing(bad)
    assert message in result["msg"]
    assert list(api_calls) == []
