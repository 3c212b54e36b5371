"""Unit tests for strata.platform.rds_db_parameter_group, driven like Ansible drives a module.

moto 5.2.5 answers DescribeDBParameterGroups of a missing group with an empty list, reports only the parameters set
in a group (without ApplyType), accepts any parameter name, has no DescribeEngineDefaultParameters nor
ResetDBParameterGroup, and deletes a group that instances use. The test cloud's fidelity patches
(testcloud/aws_patches/rds_db_parameter_group_not_found.py, rds_db_parameters.py, rds_db_parameter_group_in_use.py)
restore what AWS does in the in-process moto here. One test drives the module against unpatched answers (Stubber).
"""

import functools
import json

import boto3
import botocore.client
import pytest
from ansible.module_utils import basic
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.strata.platform.plugins.modules import rds_db_parameter_group as module
from _harness import MUTATING_PREFIXES
from _harness import REGION
from _harness import ApiCalls
from _harness import run as run_module
from _harness import run_failing as run_failing_module
from testcloud.aws_patches import load

run = functools.partial(run_module, module)
run_failing = functools.partial(run_failing_module, module)

NAME = "fsm-dev-postgres16"
PARAMETERS = {"rds.force_ssl": True, "log_min_duration_statement": 1000, "max_connections": 200}
DESCRIBE_ONLY = ["DescribeDBParameterGroups", "DescribeDBParameters", "ListTagsForResource"]
# Modifiable parameters of the test cloud's postgres16 catalogue, for the batch tests.
MANY = {
    "autovacuum": 1,
    "checkpoint_timeout": 600,
    "deadlock_timeout": 2000,
    "default_statistics_target": 200,
    "effective_cache_size": 4096,
    "idle_in_transaction_session_timeout": 60000,
    "lock_timeout": 5000,
    "log_autovacuum_min_duration": 0,
    "log_connections": 1,
    "log_disconnections": 1,
    "log_lock_waits": 1,
    "log_min_duration_statement": 500,
    "log_statement": "ddl",
    "log_temp_files": 0,
    "maintenance_work_mem": 131072,
    "max_wal_size": 4096,
    "pg_stat_statements.track": "all",
    "random_page_cost": 1.1,
    "rds.force_ssl": 1,
    "statement_timeout": 30000,
    "temp_file_limit": 1048576,
    "timezone": "Europe/Paris",
    "track_io_timing": 1,
    "work_mem": 8192,
    "max_connections": 300,
}


@pytest.fixture(scope="module", autouse=True)
def fidelity_patches():
    for patch in ("rds_db_parameter_group_not_found", "rds_db_parameters", "rds_db_parameter_group_in_use"):
        load(patch).apply()


class Calls(ApiCalls):
    """RDS operation names (``.mutating`` counts ResetDBParameterGroup too) plus each call's parameters."""

    def __init__(self):
        super().__init__()
        self.params = []

    def reset(self):
        super().reset()
        del self.params[:]

    @property
    def mutating(self):
        return [name for name in self if name.startswith(MUTATING_PREFIXES + ("Reset",))]

    def of(self, name):
        return [params for op, params in zip(self, self.params) if op == name]


@pytest.fixture
def calls(aws):
    recorded = Calls()
    original = botocore.client.BaseClient._make_api_call

    def recording(self, operation_name, api_params):
        if self.meta.service_model.service_name == "rds":
            recorded.append(operation_name)
            recorded.params.append(dict(api_params))
        return original(self, operation_name, api_params)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
        yield recorded


@pytest.fixture
def rds(calls):
    return boto3.client("rds", region_name=REGION)


@pytest.fixture
def warnings(monkeypatch):
    recorded = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, warning: recorded.append(warning))
    return recorded


def args(**extra):
    base = dict(
        name=NAME,
        family="postgres16",
        description="PostgreSQL parameters of fsm-dev",
        parameters=dict(PARAMETERS),
        tags={"layer": "database"},
    )
    base.update(extra)
    return {key: value for key, value in base.items() if value is not None}  # None: the option is not given


def user_values(rds, name=NAME):
    paginator = rds.get_paginator("describe_db_parameters")
    found = paginator.paginate(DBParameterGroupName=name, Source="user").build_full_result()["Parameters"]
    return {p["ParameterName"]: p["ParameterValue"] for p in found}


def apply_methods(calls, operation="ModifyDBParameterGroup"):
    return {p["ParameterName"]: p["ApplyMethod"] for request in calls.of(operation) for p in request["Parameters"]}


def exists(rds, name=NAME):
    try:
        rds.describe_db_parameter_groups(DBParameterGroupName=name)
        return True
    except rds.exceptions.DBParameterGroupNotFoundFault:
        return False


def created(rds, calls, **extra):
    """Create the group for real and forget the calls that did it."""
    result = run(args(**extra))
    calls.reset()
    return result


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_create(rds, calls, check_mode):
    result = run(args(), check_mode=check_mode)

    assert result["changed"] is True
    group = result["parameter_group"]
    assert set(group) == set(module.PARAMETER_GROUP_KEYS)
    assert group["name"] == NAME and group["family"] == "postgres16"
    assert group["description"] == "PostgreSQL parameters of fsm-dev"
    assert group["tags"] == {"layer": "database"}
    expected = {"rds.force_ssl": "1", "log_min_duration_statement": "1000", "max_connections": "200"}
    assert result["parameters"] == expected
    assert [(c["parameter"], c["action"], c["before"], c["after"], c["apply_type"], c["apply_method"]) for c in result["changes"]] == [
        ("log_min_duration_statement", "modify", None, "1000", "dynamic", "immediate"),
        ("max_connections", "modify", None, "200", "static", "pending-reboot"),
        ("rds.force_ssl", "modify", None, "1", "dynamic", "immediate"),
    ]
    assert result["diff"] == {"before": {}, "after": dict(group, parameters=expected)}
    # a new group: nothing of it is described but the group itself; the family's defaults give the apply types
    assert "DescribeDBParameters" not in calls
    assert calls.count("DescribeEngineDefaultParameters") >= 1
    if check_mode:
        assert calls.mutating == []
        assert group["arn"] is None
        assert not exists(rds)
    else:
        assert calls.mutating == ["CreateDBParameterGroup", "ModifyDBParameterGroup"]
        assert group["arn"].endswith(f":pg:{NAME}")
        assert apply_methods(calls) == {
            "rds.force_ssl": "immediate",
            "log_min_duration_statement": "immediate",
            "max_connections": "pending-reboot",
        }
        assert user_values(rds) == expected
        tags = rds.list_tags_for_resource(ResourceName=group["arn"])["TagList"]
        assert tags == [{"Key": "layer", "Value": "database"}]


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_rerun_is_unchanged(rds, calls, check_mode):
    first = created(rds, calls)

    result = run(args(), check_mode=check_mode)

    assert result["changed"] is False
    assert result["changes"] == []
    assert result["parameter_group"] == first["parameter_group"]
    assert result["parameters"] == first["parameters"]
    assert result["diff"]["before"] == result["diff"]["after"]
    assert calls == DESCRIBE_ONLY


def test_create_without_parameters_checks_the_family_only(rds, calls):
    result = run(args(parameters=None, description=None, tags=None))

    assert result["changed"] is True
    assert result["parameters"] == {} and result["changes"] == []
    assert result["parameter_group"]["description"] == NAME
    assert calls.mutating == ["CreateDBParameterGroup"]
    assert calls.of("DescribeEngineDefaultParameters") == [{"DBParameterGroupFamily": "postgres16", "MaxRecords": 20}]
    assert run(args(parameters=None, description=None, tags=None))["changed"] is False


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
@pytest.mark.parametrize(
    "change, expected_changes",
    [
        # already set in the group: its own describe gives the apply type, no engine defaults needed
        ({"log_min_duration_statement": 250}, [("log_min_duration_statement", "1000", "250", "immediate")]),
        ({"max_connections": "400"}, [("max_connections", "200", "400", "pending-reboot")]),
        # not set yet: the family's engine defaults give the apply type
        ({"work_mem": 16384}, [("work_mem", None, "16384", "immediate")]),
        ({"shared_preload_libraries": ["pg_stat_statements", "pgaudit"]}, [
            ("shared_preload_libraries", None, "pg_stat_statements,pgaudit", "pending-reboot")
        ]),
    ],
    ids=["dynamic", "static", "new-dynamic", "new-static-list"],
)
def test_modify_a_parameter_with_diff(rds, calls, check_mode, change, expected_changes):
    before = created(rds, calls)["parameters"]

    result = run(args(parameters=dict(PARAMETERS, **change)), check_mode=check_mode)

    assert result["changed"] is True
    assert [(c["parameter"], c["before"], c["after"], c["apply_method"]) for c in result["changes"]] == expected_changes
    name, _old, new, _method = expected_changes[0]
    assert result["parameters"] == dict(before, **{name: new})
    assert result["diff"]["before"]["parameters"] == before
    assert result["diff"]["after"]["parameters"] == dict(before, **{name: new})
    already_set = name in before
    assert ("DescribeEngineDefaultParameters" in calls) is not already_set
    if check_mode:
        assert calls.mutating == []
        assert user_values(rds) == before
        assert run(args())["changed"] is False
    else:
        assert calls.mutating == ["ModifyDBParameterGroup"]
        assert calls.of("ModifyDBParameterGroup")[0]["Parameters"] == [
            {"ParameterName": name, "ParameterValue": new, "ApplyMethod": expected_changes[0][3]}
        ]
        assert user_values(rds) == dict(before, **{name: new})
        calls.reset()
        assert run(args(parameters=dict(PARAMETERS, **change)))["changed"] is False
        assert calls == DESCRIBE_ONLY


def test_explicit_apply_method(rds, calls):
    created(rds, calls)

    result = run(args(parameters=dict(PARAMETERS, log_min_duration_statement=50), apply_method="pending-reboot"))

    assert [c["apply_method"] for c in result["changes"]] == ["pending-reboot"]
    assert apply_methods(calls) == {"log_min_duration_statement": "pending-reboot"}


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_purge_parameters(rds, calls, check_mode):
    created(rds, calls, parameters=dict(PARAMETERS, work_mem=8192))

    # without purge_parameters, a parameter set in the group but not listed is left alone
    assert run(args(), check_mode=check_mode)["changed"] is False
    calls.reset()

    result = run(args(parameters={"rds.force_ssl": 1}, purge_parameters=True), check_mode=check_mode)

    assert result["changed"] is True
    assert [(c["parameter"], c["action"], c["before"], c["after"], c["apply_method"]) for c in result["changes"]] == [
        ("log_min_duration_statement", "reset", "1000", None, "immediate"),
        ("max_connections", "reset", "200", None, "pending-reboot"),
        ("work_mem", "reset", "8192", None, "immediate"),
    ]
    assert result["parameters"] == {"rds.force_ssl": "1"}
    assert set(result["diff"]["before"]["parameters"]) == {"rds.force_ssl", "log_min_duration_statement", "max_connections", "work_mem"}
    assert result["diff"]["after"]["parameters"] == {"rds.force_ssl": "1"}
    assert "DescribeEngineDefaultParameters" not in calls  # the group's own describe gives the apply types
    if check_mode:
        assert calls.mutating == []
        assert len(user_values(rds)) == 4
    else:
        assert calls.mutating == ["ResetDBParameterGroup"]
        assert apply_methods(calls, "ResetDBParameterGroup") == {
            "log_min_duration_statement": "immediate",
            "max_connections": "pending-reboot",
            "work_mem": "immediate",
        }
        assert user_values(rds) == {"rds.force_ssl": "1"}
        assert run(args(parameters={"rds.force_ssl": 1}, purge_parameters=True))["changed"] is False


def test_purge_without_parameters_resets_everything(rds, calls):
    created(rds, calls)

    result = run(args(parameters={}, purge_parameters=True))

    assert result["changed"] is True
    assert {c["parameter"] for c in result["changes"]} == set(PARAMETERS)
    assert user_values(rds) == {}


def test_more_than_twenty_parameters_go_in_batches(rds, calls):
    result = run(args(parameters=MANY))

    assert result["changed"] is True
    assert [len(request["Parameters"]) for request in calls.of("ModifyDBParameterGroup")] == [20, 5]
    assert len(user_values(rds)) == 25
    assert user_values(rds)["random_page_cost"] == "1.1"
    calls.reset()

    assert run(args(parameters=MANY))["changed"] is False
    assert calls == DESCRIBE_ONLY

    result = run(args(parameters={}, purge_parameters=True))
    assert [len(request["Parameters"]) for request in calls.of("ResetDBParameterGroup")] == [20, 5]
    assert user_values(rds) == {}


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_tags(rds, calls, check_mode):
    created(rds, calls, tags={"layer": "database", "old": "x"})

    result = run(args(tags={"layer": "database", "new": "y"}), check_mode=check_mode)

    assert result["changed"] is True
    assert result["changes"] == []
    assert result["parameter_group"]["tags"] == {"layer": "database", "new": "y"}
    assert result["diff"]["before"]["tags"] == {"layer": "database", "old": "x"}
    assert result["diff"]["after"]["tags"] == {"layer": "database", "new": "y"}
    if check_mode:
        assert calls.mutating == []
    else:
        assert sorted(calls.mutating) == ["AddTagsToResource", "RemoveTagsFromResource"]
        assert run(args(tags={"layer": "database", "new": "y"}))["changed"] is False
    # tags unset: not managed; purge_tags=false keeps the others
    assert run(args(tags=None), check_mode=True)["changed"] is False
    assert run(args(tags={"layer": "database"}, purge_tags=False), check_mode=True)["changed"] is False


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_family_mismatch_fails_before_any_change(rds, calls, check_mode):
    created(rds, calls)

    result = run_failing(args(family="postgres17", parameters={"work_mem": 1}), check_mode=check_mode)

    assert f"Failed to update DB parameter group {NAME}" in result["msg"]
    assert "its family is postgres16, asked postgres17" in result["msg"]
    assert "family cannot change" in result["msg"]
    assert calls.mutating == []
    assert "DescribeEngineDefaultParameters" not in calls


def test_different_description_warns_and_keeps_it(rds, calls, warnings):
    created(rds, calls)

    result = run(args(description="another text"))

    assert result["changed"] is False
    assert result["parameter_group"]["description"] == "PostgreSQL parameters of fsm-dev"
    assert len(warnings) == 1
    assert "description is 'PostgreSQL parameters of fsm-dev', asked 'another text'" in warnings[0]
    assert calls.mutating == []


def test_name_is_stored_in_lowercase(rds, calls):
    result = run(args(name="FSM-Dev-Postgres16"))

    assert result["parameter_group"]["name"] == NAME
    assert exists(rds)
    assert run(args())["changed"] is False


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_absent(rds, calls, check_mode):
    first = created(rds, calls)

    result = run(dict(name=NAME, state="absent"), check_mode=check_mode)

    assert result["changed"] is True
    assert result["parameter_group"] is None
    assert result["parameters"] == {} and result["changes"] == []
    assert result["diff"] == {"before": dict(first["parameter_group"], parameters=first["parameters"]), "after": {}}
    if check_mode:
        assert calls.mutating == []
        assert exists(rds)
    else:
        assert calls.mutating == ["DeleteDBParameterGroup"]
        assert not exists(rds)


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_absent_when_absent(rds, calls, check_mode):
    result = run(dict(name=NAME, state="absent"), check_mode=check_mode)

    assert result["changed"] is False
    assert result["parameter_group"] is None
    assert calls == ["DescribeDBParameterGroups"]


def test_absent_while_in_use_names_the_instances(rds, calls):
    created(rds, calls)
    rds.create_db_instance(
        DBInstanceIdentifier="fsm-dev-db",
        Engine="postgres",
        EngineVersion="16.3",
        DBInstanceClass="db.t3.micro",
        MasterUsername="strata",
        MasterUserPassword="not-a-real-secret-1",
        DBParameterGroupName=NAME,
    )
    calls.reset()

    result = run_failing(dict(name=NAME, state="absent"))

    assert f"Failed to delete DB parameter group {NAME}: DB instances still use it (fsm-dev-db (" in result["msg"]
    assert "remove those instances or move them to another parameter group first" in result["msg"]
    assert result["error"]["code"] == "InvalidDBParameterGroupState"
    assert calls.mutating == ["DeleteDBParameterGroup"]
    assert exists(rds)

    rds.delete_db_instance(DBInstanceIdentifier="fsm-dev-db", SkipFinalSnapshot=True)
    assert run(dict(name=NAME, state="absent"))["changed"] is True


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
@pytest.mark.parametrize(
    "parameters, apply_method, messages",
    [
        ({"log_min_duration": 1, "wrk_mem": 2}, None, ["does not have: log_min_duration, wrk_mem", "check the spelling"]),
        ({"archive_command": "x"}, None, ["cannot be modified: archive_command"]),
        ({"log_connections": "on"}, None, ["log_connections: 'on' is not one of 0,1"]),
        ({"work_mem": 8}, None, ["work_mem: 8 is outside 64-2147483647"]),
        ({"max_connections": 100, "work_mem": 4096}, "immediate", ["apply_method=immediate cannot apply static parameters: max_connections"]),
    ],
    ids=["unknown", "read-only", "boolean", "range", "static-immediate"],
)
@pytest.mark.parametrize("exists_already", [True, False], ids=["existing", "new"])
def test_parameters_aws_would_refuse_fail_before_any_change(
    rds, calls, check_mode, parameters, apply_method, messages, exists_already
):
    if exists_already:
        created(rds, calls)

    result = run_failing(args(parameters=parameters, apply_method=apply_method), check_mode=check_mode)

    assert f"Failed to update DB parameter group {NAME}" in result["msg"]
    for message in messages:
        assert message in result["msg"]
    assert calls.mutating == []
    assert exists(rds) is exists_already


def test_unknown_family_fails_before_any_change(rds, calls):
    for parameters in (None, {"work_mem": 4096}):
        result = run_failing(args(family="postgres99", parameters=parameters), check_mode=False)

        assert "family postgres99" in result["msg"]
        assert "is not a valid parameter group family" in result["msg"]
        assert calls.mutating == []
    assert not exists(rds)


@pytest.mark.parametrize(
    "extra, message",
    [
        (dict(name="9-starts-with-a-digit"), "name '9-starts-with-a-digit' is invalid"),
        (dict(name="double--hyphen"), "name 'double--hyphen' is invalid"),
        (dict(name="trailing-"), "name 'trailing-' is invalid"),
        (dict(parameters={"work_mem": None}), "parameters is invalid: work_mem has no value"),
        (dict(parameters={"work_mem": {"value": 1}}), "work_mem must be a string, number, boolean or list, not a dict"),
        (dict(apply_method="now"), "apply_method"),
    ],
    ids=["digit-first", "double-hyphen", "trailing-hyphen", "null-value", "dict-value", "bad-apply-method"],
)
def test_bad_input_fails_before_any_api_call(calls, extra, message):
    result = run_failing(args(**extra))

    assert message in result["msg"]
    assert calls == []


def test_family_is_required_to_create(rds, calls):
    result = run_failing(args(family=None))

    assert f"family is required to create DB parameter group {NAME}" in result["msg"]
    assert calls == ["DescribeDBParameterGroups"]


def test_values_are_normalised(rds, calls):
    created(rds, calls, parameters={"rds.force_ssl": True, "autovacuum": False, "random_page_cost": 1.5})

    assert user_values(rds) == {"rds.force_ssl": "1", "autovacuum": "0", "random_page_cost": "1.5"}
    assert run(args(parameters={"rds.force_ssl": 1, "autovacuum": "0", "random_page_cost": "1.5"}))["changed"] is False


# --- moto without the not-found patch answers [] for a missing group: the module must not index it ---


@pytest.fixture
def stubbed(monkeypatch, aws):
    client = boto3.client("rds", region_name=REGION)
    stubber = Stubber(client)
    monkeypatch.setattr(AnsibleAWSModule, "client", lambda self, service, **kwargs: client)
    with stubber:
        yield stubber
    stubber.assert_no_pending_responses()


def test_empty_describe_is_a_missing_group(stubbed):
    stubbed.add_response("describe_db_parameter_groups", {"DBParameterGroups": []}, {"DBParameterGroupName": NAME})
    stubbed.add_response(
        "describe_engine_default_parameters",
        {"EngineDefaults": {"DBParameterGroupFamily": "postgres16", "Parameters": [
            {"ParameterName": "work_mem", "ApplyType": "dynamic", "IsModifiable": True, "DataType": "integer",
             "AllowedValues": "64-2147483647"},
        ]}},
        {"DBParameterGroupFamily": "postgres16"},
    )

    result = run(args(parameters={"work_mem": 4096}, tags=None), check_mode=True)

    assert result["changed"] is True
    assert result["parameter_group"]["arn"] is None
    assert result["changes"][0]["apply_method"] == "immediate"
    assert "testing" not in json.dumps(result)
