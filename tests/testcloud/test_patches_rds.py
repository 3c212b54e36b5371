"""Tests of the RDS DB parameter group fidelity patches, against the test cloud's server.

rds_db_parameter_group_not_found, rds_db_parameters and rds_db_parameter_group_in_use
(testcloud/aws_patches/): each test states the AWS behaviour moto 5.2.5 lacks.
"""

import pytest
from botocore.exceptions import ClientError

from testcloud.aws_patches import load
from testcloud.aws_patches.rds_db_parameters import POSTGRES_PARAMETERS

NAME = "strata-dev-postgres16"


def error_of(excinfo):
    """``(code, message)`` of a raised ClientError."""
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


@pytest.fixture
def rds(aws_cloud, aws_client):
    return aws_client("rds")


@pytest.fixture
def group(rds):
    rds.create_db_parameter_group(DBParameterGroupName=NAME, DBParameterGroupFamily="postgres16", Description="strata")
    return NAME


def parameter(name, value, apply_method="immediate"):
    return {"ParameterName": name, "ParameterValue": value, "ApplyMethod": apply_method}


def user_values(rds, name=NAME):
    found = rds.describe_db_parameters(DBParameterGroupName=name, Source="user")["Parameters"]
    return {p["ParameterName"]: p["ParameterValue"] for p in found}


def create_instance(rds, identifier, **params):
    return rds.create_db_instance(
        DBInstanceIdentifier=identifier,
        Engine="postgres",
        EngineVersion="16.3",
        DBInstanceClass="db.t3.micro",
        MasterUsername="strata",
        MasterUserPassword="not-a-real-secret-1",
        **params,
    )["DBInstance"]


@pytest.mark.parametrize(
    "patch", ["rds_db_parameter_group_not_found", "rds_db_parameters", "rds_db_parameter_group_in_use"]
)
def test_patch_applies_once(patch):
    module = load(patch)
    module.apply()
    assert module.apply() is False


# --- rds_db_parameter_group_not_found ---


def test_rds_db_parameter_group_not_found(rds, group):
    with pytest.raises(ClientError) as excinfo:
        rds.describe_db_parameter_groups(DBParameterGroupName="strata-missing")

    assert error_of(excinfo) == ("DBParameterGroupNotFound", "DBParameterGroup not found: strata-missing")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    # the known group is still found, by any case; without a name every group is listed
    found = rds.describe_db_parameter_groups(DBParameterGroupName=NAME.upper())["DBParameterGroups"]
    assert [g["DBParameterGroupName"] for g in found] == [NAME]
    assert NAME in [g["DBParameterGroupName"] for g in rds.describe_db_parameter_groups()["DBParameterGroups"]]


def test_describe_parameters_of_unknown_group_is_not_found(rds):
    with pytest.raises(ClientError) as excinfo:
        rds.describe_db_parameters(DBParameterGroupName="strata-missing")

    assert error_of(excinfo)[0] == "DBParameterGroupNotFound"


# --- rds_db_parameters ---


def test_rds_db_parameters(rds, group):
    """DescribeDBParameters reports the family's parameters with their metadata, in pages."""
    paginator = rds.get_paginator("describe_db_parameters")
    pages = list(paginator.paginate(DBParameterGroupName=NAME, PaginationConfig={"PageSize": 20}))

    assert len(pages) == 2 and len(pages[0]["Parameters"]) == 20 and pages[0]["Marker"]
    found = {p["ParameterName"]: p for page in pages for p in page["Parameters"]}
    assert set(found) == set(POSTGRES_PARAMETERS)
    assert found["rds.force_ssl"]["ParameterValue"] == "1"
    assert found["rds.force_ssl"]["ApplyType"] == "dynamic"
    assert found["rds.force_ssl"]["Source"] == "engine-default"
    assert found["max_connections"]["ApplyType"] == "static"
    assert found["max_connections"]["ParameterValue"].startswith("LEAST({DBInstanceClassMemory")
    assert found["archive_command"]["Source"] == "system" and found["archive_command"]["IsModifiable"] is False
    assert "ParameterValue" not in found["work_mem"]
    assert found["work_mem"]["AllowedValues"] == "64-2147483647" and found["work_mem"]["DataType"] == "integer"
    assert rds.describe_db_parameters(DBParameterGroupName=NAME, Source="user")["Parameters"] == []


def test_modify_sets_user_parameters(rds, group):
    rds.modify_db_parameter_group(
        DBParameterGroupName=NAME,
        Parameters=[parameter("log_min_duration_statement", "1000"), parameter("max_connections", "200", "pending-reboot")],
    )

    found = rds.describe_db_parameters(DBParameterGroupName=NAME, Source="user")["Parameters"]
    assert {p["ParameterName"]: (p["ParameterValue"], p["ApplyType"], p["ApplyMethod"]) for p in found} == {
        "log_min_duration_statement": ("1000", "dynamic", "immediate"),
        "max_connections": ("200", "static", "pending-reboot"),
    }
    assert all(p["Source"] == "user" for p in found)


@pytest.mark.parametrize(
    "parameters, code, message",
    [
        ([parameter("log_min_duration", "1")], "InvalidParameterValue", "Could not find parameter with name: log_min_duration"),
        ([parameter("max_connections", "200")], "InvalidParameterCombination", "cannot use immediate apply method"),
        ([parameter("archive_command", "true")], "InvalidParameterValue", "The parameter archive_command cannot be modified."),
        ([parameter("log_connections", "on")], "InvalidParameterValue", "Value: on is outside of range 0,1"),
        ([parameter("work_mem", "8")], "InvalidParameterValue", "Value: 8 is outside of range 64-2147483647"),
        ([parameter("work_mem", str(1024 + n)) for n in range(21)], "InvalidParameterValue", "a maximum of 20"),
    ],
    ids=["unknown", "static-immediate", "not-modifiable", "bad-boolean", "out-of-range", "over-20"],
)
def test_modify_refuses_what_aws_refuses(rds, group, parameters, code, message):
    with pytest.raises(ClientError) as excinfo:
        rds.modify_db_parameter_group(DBParameterGroupName=NAME, Parameters=parameters)

    assert error_of(excinfo)[0] == code
    assert message in error_of(excinfo)[1]
    assert user_values(rds) == {}


def test_modify_accepts_twenty_and_formulas(rds, group):
    rds.modify_db_parameter_group(
        DBParameterGroupName=NAME,
        Parameters=[parameter("work_mem", str(1024 + n)) for n in range(19)]
        + [parameter("shared_buffers", "{DBInstanceClassMemory/16384}", "pending-reboot")],
    )

    assert user_values(rds) == {"work_mem": "1042", "shared_buffers": "{DBInstanceClassMemory/16384}"}


def test_engine_default_parameters(rds):
    paginator = rds.get_paginator("describe_engine_default_parameters")
    pages = list(paginator.paginate(DBParameterGroupFamily="postgres14", PaginationConfig={"PageSize": 20}))

    assert len(pages) == 2
    assert all(page["EngineDefaults"]["DBParameterGroupFamily"] == "postgres14" for page in pages)
    found = {p["ParameterName"]: p for page in pages for p in page["EngineDefaults"]["Parameters"]}
    assert set(found) == set(POSTGRES_PARAMETERS)
    assert found["rds.force_ssl"]["ParameterValue"] == "0"  # on by default from PostgreSQL 15 only
    assert found["shared_preload_libraries"]["ApplyType"] == "static"


@pytest.mark.parametrize("call", ["create", "defaults"])
def test_unknown_family_is_invalid(rds, call):
    with pytest.raises(ClientError) as excinfo:
        if call == "create":
            rds.create_db_parameter_group(DBParameterGroupName=NAME, DBParameterGroupFamily="postgres99", Description="x")
        else:
            rds.describe_engine_default_parameters(DBParameterGroupFamily="postgres99")

    assert error_of(excinfo) == (
        "InvalidParameterValue",
        "ParameterGroupFamily postgres99 is not a valid parameter group family",
    )


def test_other_engines_keep_moto_behaviour(rds):
    rds.create_db_parameter_group(DBParameterGroupName="strata-mysql", DBParameterGroupFamily="mysql8.0", Description="x")
    rds.modify_db_parameter_group(DBParameterGroupName="strata-mysql", Parameters=[parameter("anything", "1")])

    assert user_values(rds, "strata-mysql") == {"anything": "1"}


def test_reset_named_and_all_parameters(rds, group):
    rds.modify_db_parameter_group(
        DBParameterGroupName=NAME,
        Parameters=[parameter("work_mem", "4096"), parameter("log_connections", "1"), parameter("timezone", "Europe/Paris")],
    )

    rds.reset_db_parameter_group(
        DBParameterGroupName=NAME, Parameters=[{"ParameterName": "work_mem", "ApplyMethod": "immediate"}]
    )
    assert user_values(rds) == {"log_connections": "1", "timezone": "Europe/Paris"}
    defaults = {p["ParameterName"]: p for p in rds.describe_db_parameters(DBParameterGroupName=NAME)["Parameters"]}
    assert defaults["work_mem"]["Source"] == "engine-default"

    rds.reset_db_parameter_group(DBParameterGroupName=NAME, ResetAllParameters=True)
    assert user_values(rds) == {}


@pytest.mark.parametrize(
    "params, code",
    [
        ({"Parameters": [{"ParameterName": "nope", "ApplyMethod": "pending-reboot"}]}, "InvalidParameterValue"),
        ({"Parameters": [{"ParameterName": "max_connections", "ApplyMethod": "immediate"}]}, "InvalidParameterCombination"),
        ({}, "InvalidParameterCombination"),
    ],
    ids=["unknown", "static-immediate", "nothing"],
)
def test_reset_refuses_what_aws_refuses(rds, group, params, code):
    rds.modify_db_parameter_group(DBParameterGroupName=NAME, Parameters=[parameter("max_connections", "100", "pending-reboot")])

    with pytest.raises(ClientError) as excinfo:
        rds.reset_db_parameter_group(DBParameterGroupName=NAME, **params)

    assert error_of(excinfo)[0] == code
    assert user_values(rds) == {"max_connections": "100"}


def test_default_groups_cannot_change(rds):
    create_instance(rds, "strata-default-pg")  # describing it makes moto list default.postgres16
    rds.describe_db_instances(DBInstanceIdentifier="strata-default-pg")

    with pytest.raises(ClientError) as modified:
        rds.modify_db_parameter_group(DBParameterGroupName="default.postgres16", Parameters=[parameter("work_mem", "4096")])
    with pytest.raises(ClientError) as deleted:
        rds.delete_db_parameter_group(DBParameterGroupName="default.postgres16")

    assert error_of(modified) == ("InvalidParameterValue", "Cannot modify a default parameter group.")
    assert error_of(deleted)[0] == "InvalidDBParameterGroupState"


# --- rds_db_parameter_group_in_use ---


def test_rds_db_parameter_group_in_use(rds, group):
    """DeleteDBParameterGroup is refused while an instance uses the group, and works once it is gone."""
    create_instance(rds, "strata-db", DBParameterGroupName=NAME)

    with pytest.raises(ClientError) as excinfo:
        rds.delete_db_parameter_group(DBParameterGroupName=NAME)

    code, message = error_of(excinfo)
    assert code == "InvalidDBParameterGroupState"
    assert f"still members of this parameter group {NAME}" in message
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # the group and its member are intact (moto deleted the group and then failed to describe the instance)
    assert rds.describe_db_instances(DBInstanceIdentifier="strata-db")["DBInstances"][0]["DBParameterGroups"][0][
        "DBParameterGroupName"
    ] == NAME

    rds.delete_db_instance(DBInstanceIdentifier="strata-db", SkipFinalSnapshot=True)
    rds.delete_db_parameter_group(DBParameterGroupName=NAME)
    with pytest.raises(ClientError) as again:
        rds.delete_db_parameter_group(DBParameterGroupName=NAME)
    assert error_of(again)[0] == "DBParameterGroupNotFound"
