"""Unit tests for strata.platform.rds_db_instance, driven like Ansible drives a module.

moto (``mock_aws``, in-process) serves RDS, KMS, Secrets Manager and EC2, with the test cloud's RDS fidelity
patches applied in this process (``testcloud/aws_patches/rds_*``): new instances report ``creating`` for
``STRATA_TESTCLOUD_CREATE_SECONDS_RDS`` seconds (unset here: at once), gp3 reports its baseline IOPS and
throughput, Performance Insights settings are reported, ``DBPortNumber`` moves the port, a read replica is an
instance of its own, and a read replica of a source whose password RDS manages is refused. Every test also checks
that the module sent a master password only where the test expects one (with master_user_password_secret_id:
CreateDBInstance of a primary, or ModifyDBInstance moving it from RDS-managed to the secret), and nowhere else.
"""

import functools
import json
import re
import time
from types import SimpleNamespace

import boto3
import botocore.client
import pytest

from ansible.module_utils import basic

from ansible_collections.strata.platform.plugins.module_utils._aws import rds as rds_utils
from ansible_collections.strata.platform.plugins.modules import rds_db_instance as module
from _harness import REGION
from _harness import ApiCalls
from _harness import run as run_module
from _harness import run_failing as run_failing_module
from testcloud.aws_patches import load as load_patch

DB = "fsm-dev-postgres"
REPLICA = "fsm-dev-postgres-replica-1"
RDS_PATCHES = (
    "rds_db_instance_creating",
    "rds_gp3_storage_baseline",
    "rds_performance_insights",
    "rds_modify_db_port_number",
    "rds_read_replica_own_settings",
    "rds_read_replica_of_managed_password_source",
)
# The master password secret (as the database role names it) and its value: valid for PostgreSQL, and made of
# characters a careless module could leak anywhere (no / " @ or space, as RDS requires).
SECRET_NAME = "fsm/dev/postgres/master-password"
PASSWORD = "Unit-Test-Master-Pw!#$^<>-4f9c2e71b8"
# Where an API call carrying MasterUserPassword may come from: the module, while RECORDER.in_module is set.
RECORDER = SimpleNamespace(in_module=False)


def _in_module(runner):
    @functools.wraps(runner)
    def wrapped(*args, **kwargs):
        RECORDER.in_module = True
        try:
            return runner(module, *args, **kwargs)
        finally:
            RECORDER.in_module = False

    return wrapped


run = _in_module(run_module)
run_failing = _in_module(run_failing_module)
MONITORING_ROLE = "arn:aws:iam::123456789012:role/fsm-dev-rds-monitoring"
# Only compared, never used: no need to create it.
OTHER_KEY = "arn:aws:kms:us-east-1:123456789012:key/ffffffff-1111-2222-3333-444455556666"


@pytest.fixture(scope="module", autouse=True)
def rds_patches():
    """The test cloud's RDS patches, in this process (idempotent; they only touch moto's RDS classes)."""
    for name in RDS_PATCHES:
        load_patch(name).apply()


@pytest.fixture(scope="module", autouse=True)
def shared_client_classes():
    """Every module run builds its boto3 clients anew, and botocore builds each client's class (~0.05 s, most of a
    run's cost here); the classes are the same for a service: build each once for this file."""
    original = botocore.client.ClientCreator._create_client_class
    built = {}

    def create_client_class(self, service_name, service_model):
        if service_name not in built:
            built[service_name] = original(self, service_name, service_model)
        return built[service_name]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.client.ClientCreator, "_create_client_class", create_client_class)
        yield


class Calls(ApiCalls):
    """Operation names (for ``.mutating``) plus each call's service and parameters.

    ``by_module``: the operations the module called (not the test's own calls). ``passwords_sent``: the operations
    of the module that carried MasterUserPassword, since the test began (not reset); at the end of the test it must
    equal ``passwords_expected``, which the test (or create_secret_primary) extends."""

    def __init__(self):
        super().__init__()
        self.params = []
        self.services = []
        self.by_module = []
        self.passwords_sent = []
        self.passwords_expected = []

    def reset(self):
        super().reset()
        del self.params[:]
        del self.services[:]
        del self.by_module[:]

    def of(self, name):
        return [params for op, params in zip(self, self.params) if op == name]


@pytest.fixture
def calls(aws, monkeypatch):
    """Every API call through botocore, recorded. At the end: the module sent a master password only in the calls
    the test expected, and the secret's value was in no other parameter of any of its calls."""
    recorded = Calls()
    original = botocore.client.BaseClient._make_api_call

    def recording(self, operation_name, api_params):
        recorded.append(operation_name)
        recorded.params.append(dict(api_params))
        recorded.services.append(self.meta.service_model.service_name)
        if RECORDER.in_module:
            recorded.by_module.append(operation_name)
            others = {key: value for key, value in api_params.items() if key != "MasterUserPassword"}
            assert PASSWORD not in json.dumps(others, default=str), operation_name
            if "MasterUserPassword" in api_params:
                recorded.passwords_sent.append(operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.delenv("STRATA_TESTCLOUD_CREATE_SECONDS", raising=False)
    monkeypatch.delenv("STRATA_TESTCLOUD_CREATE_SECONDS_RDS", raising=False)
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    yield recorded
    assert recorded.passwords_sent == recorded.passwords_expected


@pytest.fixture
def no_log_values(capture_exits, monkeypatch):
    """The values the module registered as no_log (module.no_log_values) when it exited or failed, in order."""
    seen = []
    exit_json, fail_json = basic.AnsibleModule.exit_json, basic.AnsibleModule.fail_json

    def recording(original):
        def record(self, *args, **kwargs):
            seen.append(set(self.no_log_values))
            return original(self, *args, **kwargs)

        return record

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", recording(exit_json))
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", recording(fail_json))
    return seen


@pytest.fixture(scope="module")
def clients():
    """boto3 clients, made once (moto intercepts them whenever a mock is active)."""
    return {
        service: boto3.client(
            service, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        for service in ("ec2", "rds", "kms", "secretsmanager")
    }


@pytest.fixture
def env(calls, clients):
    """A VPC with two DB subnet groups, two security groups, a KMS key and two parameter groups; calls reset."""
    ec2, rds, kms = clients["ec2"], clients["rds"], clients["kms"]
    vpc = ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.10.{n}.0/24", AvailabilityZone=f"{REGION}{zone}")["Subnet"][
            "SubnetId"
        ]
        for n, zone in enumerate("ab")
    ]
    for name in ("fsm-dev-data", "fsm-dev-other"):
        rds.create_db_subnet_group(DBSubnetGroupName=name, DBSubnetGroupDescription=name, SubnetIds=subnets)
    groups = [
        ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"] for name in ("db", "db2")
    ]
    for name in ("fsm-dev-postgres16", "fsm-dev-postgres16-tuned"):
        rds.create_db_parameter_group(DBParameterGroupName=name, DBParameterGroupFamily="postgres16", Description=name)
    key = kms.create_key(Description="fsm dev data")["KeyMetadata"]
    calls.reset()
    return SimpleNamespace(
        rds=rds, kms=kms, secrets=clients["secretsmanager"], calls=calls, key=key["Arn"], key_id=key["KeyId"],
        other_key=OTHER_KEY, sg=groups[0], sg2=groups[1],
    )


def primary_args(env, **extra):
    args = dict(
        db_instance_identifier=DB,
        engine="postgres",
        engine_version="16.3",
        db_instance_class="db.t4g.micro",
        allocated_storage=20,
        max_allocated_storage=100,
        storage_type="gp3",
        kms_key_id=env.key,
        multi_az=False,
        db_subnet_group_name="fsm-dev-data",
        vpc_security_group_ids=[env.sg],
        db_parameter_group_name="fsm-dev-postgres16",
        port=5432,
        db_name="app",
        master_username="strata",
        manage_master_user_password=True,
        master_user_secret_kms_key_id=env.key,
        backup_retention_period=7,
        preferred_backup_window="03:00-03:30",
        preferred_maintenance_window="sun:05:00-sun:06:00",
        enable_performance_insights=False,
        monitoring_interval=0,
        enable_cloudwatch_logs_exports=["postgresql"],
        deletion_protection=False,
        copy_tags_to_snapshot=True,
        auto_minor_version_upgrade=True,
        publicly_accessible=False,
        tags={"environment": "dev", "layer": "database"},
    )
    args.update(extra)
    return args


def replica_args(env, **extra):
    args = dict(
        db_instance_identifier=REPLICA,
        source_db_instance_identifier=DB,
        db_instance_class="db.t4g.small",
        kms_key_id=env.key,
        vpc_security_group_ids=[env.sg],
        db_parameter_group_name="fsm-dev-postgres16",
        preferred_maintenance_window="mon:05:00-mon:06:00",
        enable_cloudwatch_logs_exports=["postgresql"],
        deletion_protection=False,
        copy_tags_to_snapshot=True,
        tags={"environment": "dev", "role": "replica"},
    )
    args.update(extra)
    return args


def described(env, identifier=DB):
    try:
        return env.rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
    except env.rds.exceptions.DBInstanceNotFoundFault:
        return None


def create_primary(env, **extra):
    result = run(primary_args(env, **extra))
    env.calls.reset()
    return result


@pytest.fixture
def secret(env):
    """The master password secret (value PASSWORD), made the way the database role makes it; its ARN."""
    arn = env.secrets.create_secret(Name=SECRET_NAME, SecretString=PASSWORD)["ARN"]
    env.calls.reset()
    return arn


def secret_primary_args(env, secret_id, **extra):
    """primary_args with the password from ``secret_id`` (manage_master_user_password and the RDS-managed secret's
    KMS key left unset)."""
    args = primary_args(env, **extra)
    args.pop("manage_master_user_password")
    args.pop("master_user_secret_kms_key_id")
    args["master_user_password_secret_id"] = secret_id
    args.update(extra)
    return args


def create_secret_primary(env, secret_id, **extra):
    """Create the primary with its password from ``secret_id`` (one CreateDBInstance carrying it)."""
    env.calls.passwords_expected.append("CreateDBInstance")
    result = run(secret_primary_args(env, secret_id, **extra))
    env.calls.reset()
    return result


def secret_values(env):
    """Every secret string stored in Secrets Manager (the master passwords, generated by RDS or PASSWORD)."""
    values = [PASSWORD]
    for secret in env.secrets.list_secrets()["SecretList"]:
        value = env.secrets.get_secret_value(SecretId=secret["ARN"]).get("SecretString")
        if value:
            values.append(value)
            if value.startswith("{"):
                values.append(json.loads(value)["password"])
    return values


def assert_no_secret(env, result):
    dumped = json.dumps(result, default=str)
    for value in secret_values(env):
        assert value not in dumped
    assert not {"MasterUserPassword", "master_user_password", "password"} & keys_of(result)


def keys_of(value):
    """Every dict key anywhere in a result."""
    if isinstance(value, dict):
        return set(value) | set().union(*(keys_of(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(keys_of(item) for item in value))
    return set()


# --- create / re-run ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_create_primary(env, no_sleep, check_mode):
    result = run(primary_args(env), check_mode=check_mode)

    assert result["changed"] is True
    assert result["changes"] == ["created"]
    view = result["diff"]["after"]
    assert result["diff"]["before"] == {}
    assert set(view) == set(rds_utils.MANAGED_KEYS)
    expected = dict(
        db_instance_identifier=DB,
        engine="postgres",
        engine_version="16.3",
        db_instance_class="db.t4g.micro",
        allocated_storage=20,
        max_allocated_storage=100,
        storage_type="gp3",
        storage_encrypted=True,
        kms_key_id=env.key,
        db_subnet_group_name="fsm-dev-data",
        vpc_security_group_ids=[env.sg],
        db_parameter_group_name="fsm-dev-postgres16",
        port=5432,
        db_name="app",
        master_username="strata",
        manage_master_user_password=True,
        master_user_secret_kms_key_id=env.key,
        backup_retention_period=7,
        preferred_backup_window="03:00-03:30",
        preferred_maintenance_window="sun:05:00-sun:06:00",
        enable_performance_insights=False,
        monitoring_interval=0,
        enable_cloudwatch_logs_exports=["postgresql"],
        deletion_protection=False,
        copy_tags_to_snapshot=True,
        auto_minor_version_upgrade=True,
        publicly_accessible=False,
        tags={"environment": "dev", "layer": "database"},
    )
    assert {key: view[key] for key in expected} == expected
    instance = result["db_instance"]
    assert instance["db_instance_identifier"] == DB
    assert instance["tags"] == {"environment": "dev", "layer": "database"}
    assert "tag_list" not in instance
    if check_mode:
        assert env.calls == ["DescribeDBInstances"]
        assert described(env) is None
        assert instance["db_instance_status"] == "available"
    else:
        assert env.calls.mutating == ["CreateDBInstance"]
        request = env.calls.of("CreateDBInstance")[0]
        assert request["ManageMasterUserPassword"] is True
        assert request["StorageEncrypted"] is True
        assert request["KmsKeyId"] == env.key
        assert request["MasterUserSecretKmsKeyId"] == env.key
        assert request["EnableCloudwatchLogsExports"] == ["postgresql"]
        assert instance["db_instance_status"] == "available"
        assert instance["db_instance_arn"].endswith(f":db:{DB}")
        assert instance["endpoint"]["port"] == 5432
        secret_arn = instance["master_user_secret"]["secret_arn"]
        assert view["master_user_secret_arn"] == secret_arn
        assert env.secrets.describe_secret(SecretId=secret_arn)["OwningService"] == "rds"
        assert described(env)["DBInstanceStatus"] == "available"
    assert_no_secret(env, result)


def test_create_with_defaults(env, no_sleep):
    """Only what a primary needs: gp3, encrypted, managed password (neither password option given); 5432,
    autoscaling off. The plan predicts the same."""
    args = dict(db_instance_identifier=DB, db_instance_class="db.t4g.micro", allocated_storage=20,
                master_username="strata")
    planned = run(args, check_mode=True)
    assert planned["changes"] == ["created"] and env.calls.mutating == []
    assert planned["master_password_source"] == "rds-managed"
    assert planned["diff"]["after"]["manage_master_user_password"] is True
    env.calls.reset()

    result = run(args)

    request = env.calls.of("CreateDBInstance")[0]
    assert request["StorageType"] == "gp3" and request["StorageEncrypted"] is True
    assert request["ManageMasterUserPassword"] is True and request["PubliclyAccessible"] is False
    assert "MaxAllocatedStorage" not in request and "KmsKeyId" not in request
    view = result["diff"]["after"]
    assert view["max_allocated_storage"] == 0 and view["port"] == 5432 and view["manage_master_user_password"]
    assert result["master_password_source"] == "rds-managed"
    assert described(env)["MasterUserSecret"]["SecretArn"].startswith("arn:aws:secretsmanager:")
    # gp3's baseline (reported, never asked) is not a difference
    assert (view["iops"], view["storage_throughput"]) == (3000, 125)
    env.calls.reset()
    assert run(dict(db_instance_identifier=DB, storage_type="gp3"))["changed"] is False
    assert env.calls == ["DescribeDBInstances"]


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_rerun_is_one_describe_and_unchanged(env, no_sleep, check_mode):
    created = create_primary(env)

    result = run(primary_args(env), check_mode=check_mode)

    assert result["changed"] is False
    assert result["changes"] == []
    assert env.calls == ["DescribeDBInstances"]
    assert result["diff"]["before"] == result["diff"]["after"] == created["diff"]["after"]
    assert result["db_instance"]["db_instance_arn"] == created["db_instance"]["db_instance_arn"]


def test_unset_options_are_not_managed(env, no_sleep):
    create_primary(env, multi_az=True, deletion_protection=True, backup_retention_period=14)

    result = run(dict(db_instance_identifier=DB))

    assert result["changed"] is False
    assert result["diff"]["after"]["multi_az"] is True
    assert result["diff"]["after"]["deletion_protection"] is True
    assert result["diff"]["after"]["backup_retention_period"] == 14
    assert env.calls == ["DescribeDBInstances"]
    run(dict(db_instance_identifier=DB, deletion_protection=False))


def test_kms_key_given_by_id_or_alias(env, no_sleep):
    create_primary(env)

    assert run(primary_args(env, kms_key_id=env.key_id))["changed"] is False
    assert env.calls == ["DescribeDBInstances"]
    env.kms.create_alias(AliasName="alias/fsm-dev-data", TargetKeyId=env.key_id)
    env.calls.reset()
    assert run(primary_args(env, kms_key_id="alias/fsm-dev-data"))["changed"] is False
    assert env.calls == ["DescribeDBInstances", "DescribeKey"]


# --- modify in place ---------------------------------------------------------------------------------------------

MODIFY_CASES = [
    # (options changed, ModifyDBInstance parameters expected besides ApplyImmediately, view keys that change)
    ({"db_instance_class": "db.r6g.large"}, {"DBInstanceClass": "db.r6g.large"}, None),
    ({"allocated_storage": 50}, {"AllocatedStorage": 50}, None),
    (
        {"db_instance_class": "db.r6g.large", "allocated_storage": 40},
        {"DBInstanceClass": "db.r6g.large", "AllocatedStorage": 40},
        None,
    ),
    ({"max_allocated_storage": 200}, {"MaxAllocatedStorage": 200}, None),
    ({"max_allocated_storage": 0}, {"MaxAllocatedStorage": 20}, None),
    ({"multi_az": True}, {"MultiAZ": True}, None),
    (
        {"backup_retention_period": 30, "preferred_backup_window": "01:00-01:30"},
        {"BackupRetentionPeriod": 30, "PreferredBackupWindow": "01:00-01:30"},
        None,
    ),
    (
        {"preferred_maintenance_window": "Mon:07:00-Mon:08:00"},
        {"PreferredMaintenanceWindow": "mon:07:00-mon:08:00"},
        None,
    ),
    (
        {"enable_performance_insights": True, "performance_insights_retention_period": 31},
        {"EnablePerformanceInsights": True, "PerformanceInsightsRetentionPeriod": 31},
        # RDS picks the aws/rds key when none is given: known after the change only
        {"apply": {"enable_performance_insights", "performance_insights_retention_period",
                   "performance_insights_kms_key_id"},
         "check": {"enable_performance_insights", "performance_insights_retention_period"}},
    ),
    (
        {"enable_performance_insights": True, "performance_insights_kms_key_id": "key"},
        {"EnablePerformanceInsights": True},
        {"apply": {"enable_performance_insights", "performance_insights_retention_period",
                   "performance_insights_kms_key_id"},
         "check": {"enable_performance_insights", "performance_insights_kms_key_id"}},
    ),
    (
        {"monitoring_interval": 60, "monitoring_role_arn": MONITORING_ROLE},
        {"MonitoringInterval": 60, "MonitoringRoleArn": MONITORING_ROLE},
        None,
    ),
    ({"vpc_security_group_ids": "both"}, {"VpcSecurityGroupIds": "both"}, None),
    (
        {"db_parameter_group_name": "fsm-dev-postgres16-tuned"},
        {"DBParameterGroupName": "fsm-dev-postgres16-tuned"},
        None,
    ),
    ({"port": 6432}, {"DBPortNumber": 6432}, None),
    ({"engine_version": "16.4"}, {"EngineVersion": "16.4"}, None),
    (
        {"storage_type": "io1", "iops": 3000},
        {"StorageType": "io1", "Iops": 3000},
        # the same IOPS as gp3's baseline, now provisioned; io1 has no throughput setting
        {"check": {"storage_type"}, "apply": {"storage_type", "storage_throughput"}},
    ),
    ({"iops": 4000, "storage_throughput": 250}, {"Iops": 4000, "StorageThroughput": 250}, None),
    (
        {"deletion_protection": True, "copy_tags_to_snapshot": False, "auto_minor_version_upgrade": False},
        {"DeletionProtection": True, "CopyTagsToSnapshot": False, "AutoMinorVersionUpgrade": False},
        None,
    ),
    ({"publicly_accessible": True}, {"PubliclyAccessible": True}, None),
]


@pytest.mark.parametrize("change, request_params, view_keys", MODIFY_CASES, ids=lambda value: None)
def test_modify_in_place(env, no_sleep, change, request_params, view_keys):
    """Check mode (plan, no mutating call), then for real (one ModifyDBInstance), then again (no change)."""
    if change.get("vpc_security_group_ids") == "both":
        change = dict(change, vpc_security_group_ids=[env.sg2, env.sg])
        request_params = {"VpcSecurityGroupIds": sorted([env.sg, env.sg2])}
    if change.get("performance_insights_kms_key_id") == "key":
        change = dict(change, performance_insights_kms_key_id=env.key)
        request_params = dict(request_params, PerformanceInsightsKMSKeyId=env.key)
    original = create_primary(env)
    before = original["diff"]["after"]
    view_keys = view_keys or {}

    for check_mode in (True, False):
        result = run(primary_args(env, **change), check_mode=check_mode)

        mode = "check" if check_mode else "apply"
        assert result["changed"] is True
        after = result["diff"]["after"]
        assert result["diff"]["before"] == before
        changed_keys = {key for key in after if after[key] != before[key]}
        assert changed_keys == view_keys.get(mode, set(change)), mode
        assert result["changes"] == sorted(change)
        for key in set(change) & changed_keys:
            if key == "vpc_security_group_ids":
                assert after[key] == sorted(change[key])
            elif key == "preferred_maintenance_window":
                assert after[key] == change[key].lower()
            else:
                assert after[key] == change[key]
        assert result["db_instance"]["db_instance_arn"] == original["db_instance"]["db_instance_arn"]
        if check_mode:
            assert env.calls.mutating == []
            env.calls.reset()

    assert env.calls.mutating == ["ModifyDBInstance"]
    request = env.calls.of("ModifyDBInstance")[0]
    assert request.pop("ApplyImmediately") is True
    assert request.pop("DBInstanceIdentifier") == DB
    assert request == request_params
    env.calls.reset()
    again = run(primary_args(env, **change))
    assert again["changed"] is False, again["changes"]
    assert env.calls == ["DescribeDBInstances"]


def test_apply_immediately_false_is_sent(env, no_sleep):
    create_primary(env)

    result = run(primary_args(env, db_instance_class="db.r6g.large", apply_immediately=False))

    assert result["changed"] is True
    assert env.calls.of("ModifyDBInstance")[0]["ApplyImmediately"] is False


def test_pending_modifications_count_as_done():
    """With apply_immediately=false RDS reports the new values as pending: the view shows them as done."""
    instance = {
        "db_instance_identifier": DB,
        "db_instance_class": "db.t4g.micro",
        "allocated_storage": 20,
        "engine_version": "16.3",
        "multi_az": False,
        "storage_encrypted": True,
        "endpoint": {"port": 5432},
        "enabled_cloudwatch_logs_exports": ["postgresql"],
        "pending_modified_values": {
            "db_instance_class": "db.r6g.large",
            "allocated_storage": 50,
            "multi_az": True,
            "port": 6432,
            "pending_cloudwatch_logs_exports": {"log_types_to_enable": ["upgrade"], "log_types_to_disable": ["postgresql"]},
        },
        "tags": {},
    }
    view = rds_utils.managed_view(instance)
    assert (view["db_instance_class"], view["allocated_storage"], view["multi_az"], view["port"]) == (
        "db.r6g.large",
        50,
        True,
        6432,
    )
    assert view["enable_cloudwatch_logs_exports"] == ["upgrade"]
    assert view["engine_version"] == "16.3"


def test_normalized_instance_has_no_password():
    instance = rds_utils.normalize_db_instance(
        {
            "DBInstanceIdentifier": DB,
            "PendingModifiedValues": {"MasterUserPassword": "****", "DBInstanceClass": "db.r6g.large"},
            "TagList": [{"Key": "CamelCase", "Value": "kept"}],
        }
    )
    assert instance == {
        "db_instance_identifier": DB,
        "pending_modified_values": {"db_instance_class": "db.r6g.large"},
        "tags": {"CamelCase": "kept"},
    }


def test_storage_shrink_fails_naming_the_option(env, no_sleep):
    create_primary(env, allocated_storage=50, max_allocated_storage=0)

    result = run_failing(primary_args(env, allocated_storage=30, max_allocated_storage=0))

    assert "allocated_storage=30 is below the 50 GiB" in result["msg"]
    assert "can only grow" in result["msg"]
    assert env.calls == ["DescribeDBInstances"]


def test_smaller_storage_with_autoscaling_is_not_a_change(env, no_sleep):
    """RDS may have grown an autoscaling instance's storage: a smaller allocated_storage is no error then."""
    create_primary(env, allocated_storage=50, max_allocated_storage=200)

    result = run(primary_args(env, allocated_storage=30, max_allocated_storage=200))

    assert result["changed"] is False
    assert result["diff"]["after"]["allocated_storage"] == 50


def test_ceiling_below_storage_fails(env, no_sleep):
    create_primary(env, allocated_storage=50, max_allocated_storage=0)

    result = run_failing(dict(db_instance_identifier=DB, max_allocated_storage=40))

    assert "max_allocated_storage=40 must be above the allocated storage (50 GiB)" in result["msg"]
    assert env.calls.mutating == []


@pytest.mark.parametrize(
    "change",
    [
        {"engine": "mysql"},
        {"kms_key_id": "other"},
        {"db_subnet_group_name": "fsm-dev-other"},
        {"db_name": "other"},
        {"master_username": "admin"},
        {"source_db_instance_identifier": "fsm-dev-other"},
        {"master_user_secret_kms_key_id": "other"},
    ],
    ids=lambda change: next(iter(change)),
)
def test_immutable_change_fails_before_any_change(env, no_sleep, change):
    create_primary(env)
    attribute = next(iter(change))
    if change[attribute] == "other":
        change = {attribute: env.other_key}
    if attribute == "source_db_instance_identifier":
        args = dict(db_instance_identifier=DB, **change)
    else:
        args = primary_args(env, db_instance_class="db.r6g.large", **change)

    for check_mode in (True, False):
        result = run_failing(args, check_mode=check_mode)

        assert f"Failed to update db instance {DB}" in result["msg"]
        assert f"{attribute} is " in result["msg"]
        assert "create a new instance" in result["msg"]
        assert env.calls.mutating == []
        assert described(env)["DBInstanceClass"] == "db.t4g.micro"


def test_major_version_upgrade_needs_allow(env, no_sleep):
    create_primary(env)

    refused = run_failing(primary_args(env, engine_version="17.1"))
    assert "allow_major_version_upgrade=true" in refused["msg"]
    assert env.calls.mutating == []

    result = run(primary_args(env, engine_version="17.1", allow_major_version_upgrade=True))
    assert result["changes"] == ["engine_version"]
    request = env.calls.of("ModifyDBInstance")[0]
    assert request["EngineVersion"] == "17.1" and request["AllowMajorVersionUpgrade"] is True


def test_major_version_matches_minor(env, no_sleep):
    create_primary(env)
    assert run(primary_args(env, engine_version="16"))["changed"] is False


def test_older_version_is_left_alone_with_a_warning(env, no_sleep):
    create_primary(env)

    result = run(primary_args(env, engine_version="16.1"))

    assert result["changed"] is False
    assert any("older than the 16.3" in warning for warning in result["warnings"])
    assert env.calls.mutating == []


def create_self_managed_primary(env, deletion_protection=False):
    """A primary with its own password, made outside the module (as by hand, or before the module managed it)."""
    env.rds.create_db_instance(
        DBInstanceIdentifier=DB,
        Engine="postgres",
        DBInstanceClass="db.t4g.micro",
        AllocatedStorage=20,
        MasterUsername="strata",
        MasterUserPassword="set-by-someone-else-1",
        StorageEncrypted=True,
        PubliclyAccessible=False,
        DeletionProtection=deletion_protection,
    )
    env.calls.reset()


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_turns_on_managed_password_for_an_existing_primary(env, no_sleep, check_mode):
    """Only when asked: manage_master_user_password=true."""
    create_self_managed_primary(env)

    result = run(dict(db_instance_identifier=DB, manage_master_user_password=True), check_mode=check_mode)

    assert result["changes"] == ["manage_master_user_password"]
    assert result["diff"]["before"]["master_password_source"] == "self-managed"
    assert result["master_password_source"] == "rds-managed"
    assert "set-by-someone-else-1" not in json.dumps(result, default=str)
    if check_mode:
        assert env.calls.mutating == []
        assert "MasterUserSecret" not in described(env)
        return
    assert env.calls.of("ModifyDBInstance")[0] == {
        "DBInstanceIdentifier": DB, "ManageMasterUserPassword": True, "ApplyImmediately": True,
    }
    assert result["db_instance"]["master_user_secret"]["secret_arn"].startswith("arn:aws:secretsmanager:")


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_unset_password_options_leave_an_own_password_alone(env, no_sleep, check_mode):
    """Neither password option given on an existing primary with its own password: not managed (RDS would set a
    new password); master_user_secret_kms_key_id alone does not turn it on either, and says so."""
    create_self_managed_primary(env)

    result = run(dict(db_instance_identifier=DB), check_mode=check_mode)

    assert result["changed"] is False and result["changes"] == []
    assert env.calls == ["DescribeDBInstances"]
    assert result["master_password_source"] == "self-managed"
    assert not result.get("warnings")
    env.calls.reset()

    keyed = run(dict(db_instance_identifier=DB, master_user_secret_kms_key_id=env.key), check_mode=check_mode)

    assert keyed["changed"] is False and env.calls == ["DescribeDBInstances"]
    assert len(keyed["warnings"]) == 1
    assert f"master_user_secret_kms_key_id is ignored: RDS does not manage the master password of db instance {DB}" \
        in keyed["warnings"][0]
    assert "Set manage_master_user_password=true" in keyed["warnings"][0]
    assert "MasterUserSecret" not in described(env)


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
@pytest.mark.parametrize("mode", ["secret", "rds-managed", "self-managed"])
def test_lifting_deletion_protection_changes_only_that(env, secret, no_sleep, check_mode, mode):
    """The database role's teardown call before the delete: {db_instance_identifier, deletion_protection: false,
    wait: false}. Whatever the password mode, one ModifyDBInstance with DeletionProtection only; no new password,
    no secret read; the password mode stays."""
    if mode == "secret":
        create_secret_primary(env, secret, deletion_protection=True)
    elif mode == "rds-managed":
        create_primary(env, deletion_protection=True)
    else:
        create_self_managed_primary(env, deletion_protection=True)
    before = described(env)

    result = run(dict(db_instance_identifier=DB, deletion_protection=False, wait=False), check_mode=check_mode)

    assert result["changed"] is True and result["changes"] == ["deletion_protection"]
    diff_before, diff_after = result["diff"]["before"], result["diff"]["after"]
    assert {key for key in diff_after if diff_after[key] != diff_before[key]} == {"deletion_protection"}
    assert diff_after["manage_master_user_password"] is (mode == "rds-managed")
    assert "GetSecretValue" not in env.calls.by_module
    assert_no_secret(env, result)
    if check_mode:
        assert env.calls.mutating == []
        assert described(env)["DeletionProtection"] is True
        return
    assert env.calls.mutating == ["ModifyDBInstance"]
    assert env.calls.of("ModifyDBInstance") == [
        {"DBInstanceIdentifier": DB, "DeletionProtection": False, "ApplyImmediately": True}
    ]
    after = described(env)
    assert after["DeletionProtection"] is False
    assert after.get("MasterUserSecret") == before.get("MasterUserSecret")
    if mode == "secret":
        assert env.secrets.get_secret_value(SecretId=secret)["SecretString"] == PASSWORD
    env.calls.reset()

    again = run(dict(db_instance_identifier=DB, deletion_protection=False, wait=False))
    assert again["changed"] is False and env.calls == ["DescribeDBInstances"]


# --- tags and log exports ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_tags_in_place(env, no_sleep, check_mode):
    create_primary(env, tags={"environment": "dev", "old": "x"})

    result = run(primary_args(env, tags={"environment": "dev", "new": "y"}), check_mode=check_mode)

    assert result["changed"] is True
    assert result["changes"] == ["tags"]
    assert result["db_instance"]["tags"] == {"environment": "dev", "new": "y"}
    assert result["diff"]["before"]["tags"] == {"environment": "dev", "old": "x"}
    assert result["diff"]["after"]["tags"] == {"environment": "dev", "new": "y"}
    if check_mode:
        assert env.calls.mutating == []
    else:
        assert env.calls.mutating == ["RemoveTagsFromResource", "AddTagsToResource"]
        env.calls.reset()
        assert run(primary_args(env, tags={"environment": "dev", "new": "y"}))["changed"] is False
        assert env.calls == ["DescribeDBInstances"]
        kept = run(primary_args(env, tags={"added": "z"}, purge_tags=False))
        assert kept["db_instance"]["tags"] == {"environment": "dev", "new": "y", "added": "z"}
    assert run(primary_args(env, tags=None), check_mode=True)["changed"] is False


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_log_exports_compared_as_a_set(env, no_sleep, check_mode):
    create_primary(env, enable_cloudwatch_logs_exports=["postgresql"])

    result = run(primary_args(env, enable_cloudwatch_logs_exports=["upgrade", "postgresql"]), check_mode=check_mode)

    assert result["changes"] == ["enable_cloudwatch_logs_exports"]
    assert result["diff"]["after"]["enable_cloudwatch_logs_exports"] == ["postgresql", "upgrade"]
    if check_mode:
        assert env.calls.mutating == []
        return
    request = env.calls.of("ModifyDBInstance")[0]
    assert request["CloudwatchLogsExportConfiguration"] == {"EnableLogTypes": ["upgrade"], "DisableLogTypes": []}
    assert run(primary_args(env, enable_cloudwatch_logs_exports=["postgresql", "upgrade"]))["changed"] is False
    env.calls.reset()

    off = run(primary_args(env, enable_cloudwatch_logs_exports=[]))

    assert off["diff"]["after"]["enable_cloudwatch_logs_exports"] == []
    assert env.calls.of("ModifyDBInstance")[0]["CloudwatchLogsExportConfiguration"] == {
        "EnableLogTypes": [],
        "DisableLogTypes": ["postgresql", "upgrade"],
    }
    assert described(env).get("EnabledCloudwatchLogsExports", []) == []


# --- read replicas -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_create_replica(env, secret, no_sleep, check_mode):
    primary = create_secret_primary(env, secret)

    result = run(replica_args(env), check_mode=check_mode)

    assert result["changed"] is True
    view = result["diff"]["after"]
    expected = dict(
        db_instance_identifier=REPLICA,
        source_db_instance_identifier=DB,
        engine="postgres",
        engine_version="16.3",
        db_instance_class="db.t4g.small",
        storage_encrypted=True,
        kms_key_id=env.key,
        db_name="app",
        master_username="strata",
        manage_master_user_password=False,
        master_password_source="inherited",
        master_user_secret_arn=None,
        vpc_security_group_ids=[env.sg],
        db_parameter_group_name="fsm-dev-postgres16",
        preferred_maintenance_window="mon:05:00-mon:06:00",
        enable_cloudwatch_logs_exports=["postgresql"],
        copy_tags_to_snapshot=True,
        tags={"environment": "dev", "role": "replica"},
    )
    assert {key: view[key] for key in expected} == expected
    assert result["master_password_source"] == "inherited"
    assert_no_secret(env, result)
    if check_mode:
        assert result["changes"] == ["created"]
        assert env.calls.mutating == []
        assert "GetSecretValue" not in env.calls.by_module
        assert described(env, REPLICA) is None
        return
    assert result["changes"] == ["created", "preferred_maintenance_window"]
    assert env.calls.mutating == ["CreateDBInstanceReadReplica", "ModifyDBInstance"]
    request = env.calls.of("CreateDBInstanceReadReplica")[0]
    assert request["SourceDBInstanceIdentifier"] == DB
    for refused in ("Engine", "EngineVersion", "DBName", "MasterUsername", "ManageMasterUserPassword", "KmsKeyId"):
        assert refused not in request
    modify = env.calls.of("ModifyDBInstance")[0]
    assert modify["DBInstanceIdentifier"] == REPLICA
    assert modify["PreferredMaintenanceWindow"] == "mon:05:00-mon:06:00"
    assert described(env, DB)["ReadReplicaDBInstanceIdentifiers"] == [REPLICA]
    env.calls.reset()

    again = run(replica_args(env))

    assert again["changed"] is False
    assert env.calls == ["DescribeDBInstances"]
    # the source is not touched by its replica (and its secret is not read again)
    assert run(secret_primary_args(env, secret))["diff"]["after"] == primary["diff"]["after"]
    assert "GetSecretValue" not in env.calls.by_module


def test_replica_changes_leave_the_source_alone(env, secret, no_sleep):
    primary = create_secret_primary(env, secret)
    run(replica_args(env))
    env.calls.reset()

    result = run(replica_args(env, enable_cloudwatch_logs_exports=[], db_instance_class="db.r6g.large",
                              tags={"role": "replica"}))

    assert result["changes"] == ["db_instance_class", "enable_cloudwatch_logs_exports", "tags"]
    assert [p["DBInstanceIdentifier"] for p in env.calls.of("ModifyDBInstance")] == [REPLICA]
    source = run(secret_primary_args(env, secret))
    assert source["changed"] is False
    assert source["diff"]["after"] == primary["diff"]["after"]


@pytest.mark.parametrize("option", ["engine_version", "db_name", "master_username", "master_user_secret_kms_key_id"])
def test_replica_refuses_inherited_options_before_any_call(calls, option):
    result = run_failing(replica_args(SimpleNamespace(key=OTHER_KEY, sg="sg-0123456789abcdef0"), **{option: "16.3"}))

    assert option in result["msg"]
    assert "inherits them from its source" in result["msg"]
    assert calls == []


def test_replica_of_a_missing_source(env, no_sleep):
    planned = run(replica_args(env), check_mode=True)
    assert planned["changed"] is True
    assert any("does not exist (yet)" in warning for warning in planned["warnings"])

    result = run_failing(replica_args(env))
    assert f"source_db_instance_identifier {DB} does not exist" in result["msg"]
    assert env.calls.mutating == []


@pytest.mark.parametrize(
    "primary, replica, message",
    [
        ({"backup_retention_period": 0}, {}, "automated backups are off"),
        ({}, {"kms_key_id": "other"}, "uses its source's key"),
        ({}, {"engine": "mysql"}, "its engine is postgres, not engine=mysql"),
    ],
    ids=["no-backups", "other-key", "other-engine"],
)
def test_replica_source_checks(env, secret, no_sleep, primary, replica, message):
    create_secret_primary(env, secret, **primary)
    if replica.get("kms_key_id") == "other":
        replica = {"kms_key_id": env.other_key}

    result = run_failing(replica_args(env, **replica))

    assert f"Cannot create read replica {REPLICA} of {DB}" in result["msg"]
    assert message in result["msg"]
    assert env.calls.mutating == []


# --- master password from a secret (master_user_password_secret_id) ----------------------------------------------


def secret_source(secret_id):
    return f"secret:{secret_id}"


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_create_primary_with_password_secret(env, no_sleep, no_log_values, check_mode):
    """Check mode plans without reading the secret (here it does not exist yet: planned by an earlier task); the
    real run reads it once and sends it once; a re-run never reads it."""
    if not check_mode:
        arn = env.secrets.create_secret(Name=SECRET_NAME, SecretString=PASSWORD)["ARN"]
        env.calls.reset()
        env.calls.passwords_expected.append("CreateDBInstance")
    secret_id = SECRET_NAME if check_mode else arn

    result = run(secret_primary_args(env, secret_id), check_mode=check_mode)

    assert result["changed"] is True and result["changes"] == ["created"]
    assert result["master_password_source"] == secret_source(secret_id)
    view = result["diff"]["after"]
    assert view["manage_master_user_password"] is False
    assert view["master_password_source"] == secret_source(secret_id)
    assert view["master_user_secret_arn"] is None and view["master_user_secret_kms_key_id"] is None
    assert "master_user_secret" not in result["db_instance"]
    assert_no_secret(env, result)
    if check_mode:
        assert env.calls.by_module == ["DescribeDBInstances"]
        assert PASSWORD not in no_log_values[-1]
        return
    # then DescribeDBInstances until it is available (wait=true)
    assert env.calls.by_module[:3] == ["DescribeDBInstances", "GetSecretValue", "CreateDBInstance"]
    assert set(env.calls.by_module[3:]) == {"DescribeDBInstances"}
    assert env.calls.of("GetSecretValue")[0] == {"SecretId": arn}  # (then the test's own reads)
    request = env.calls.of("CreateDBInstance")[0]
    assert request["ManageMasterUserPassword"] is False and request["MasterUserPassword"] == PASSWORD
    assert "MasterUserSecretKmsKeyId" not in request
    assert PASSWORD in no_log_values[-1]
    assert "MasterUserSecret" not in described(env)
    # RDS-managed secrets: none was made; ours is untouched
    assert [s["Name"] for s in env.secrets.list_secrets()["SecretList"]] == [SECRET_NAME]
    env.calls.reset()

    for rerun_check_mode in (True, False):
        again = run(secret_primary_args(env, arn), check_mode=rerun_check_mode)

        assert again["changed"] is False and again["changes"] == []
        assert env.calls == ["DescribeDBInstances"]
        assert again["diff"]["before"] == again["diff"]["after"] == view
        assert again["master_password_source"] == secret_source(arn)
        env.calls.reset()


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_move_rds_managed_primary_to_the_secret_and_back(env, secret, no_sleep, no_log_values, check_mode):
    """RDS-managed -> the secret: one ModifyDBInstance with ManageMasterUserPassword=false and the secret's value
    (AWS deletes its managed secret); back: ManageMasterUserPassword=true, no password."""
    created = create_primary(env)
    rds_secret = created["db_instance"]["master_user_secret"]["secret_arn"]
    before = created["diff"]["after"]
    assert before["master_password_source"] == "rds-managed"
    if not check_mode:
        env.calls.passwords_expected.append("ModifyDBInstance")

    # by name, as the role passes it in check mode
    result = run(secret_primary_args(env, SECRET_NAME), check_mode=check_mode)

    assert result["changed"] is True
    assert result["changes"] == ["manage_master_user_password"]
    assert result["diff"]["before"] == dict(before, master_password_source="rds-managed")
    after = result["diff"]["after"]
    changed_keys = {key for key in after if after[key] != before[key]}
    assert changed_keys == {
        "manage_master_user_password", "master_password_source", "master_user_secret_arn",
        "master_user_secret_kms_key_id",
    }
    assert after["master_password_source"] == secret_source(SECRET_NAME)
    assert after["manage_master_user_password"] is False and after["master_user_secret_arn"] is None
    assert_no_secret(env, result)
    if check_mode:
        assert env.calls.by_module == ["DescribeDBInstances"]
        assert described(env)["MasterUserSecret"]["SecretArn"] == rds_secret
        return
    assert env.calls.by_module[:3] == ["DescribeDBInstances", "GetSecretValue", "ModifyDBInstance"]
    assert set(env.calls.by_module[3:]) == {"DescribeDBInstances"}
    modify = env.calls.of("ModifyDBInstance")[0]
    assert modify == {
        "DBInstanceIdentifier": DB, "ManageMasterUserPassword": False, "MasterUserPassword": PASSWORD,
        "ApplyImmediately": True,
    }
    assert PASSWORD in no_log_values[-1]
    assert "MasterUserSecret" not in described(env)
    with pytest.raises(env.secrets.exceptions.ResourceNotFoundException):
        env.secrets.describe_secret(SecretId=rds_secret)
    env.calls.reset()

    again = run(secret_primary_args(env, SECRET_NAME))
    assert again["changed"] is False
    assert env.calls == ["DescribeDBInstances"]
    env.calls.reset()

    back = run(primary_args(env))

    assert back["changes"] == ["manage_master_user_password"]
    assert back["diff"]["before"]["master_password_source"] == "self-managed"
    assert back["master_password_source"] == "rds-managed"
    assert env.calls.of("ModifyDBInstance")[0]["ManageMasterUserPassword"] is True
    assert "GetSecretValue" not in env.calls.by_module
    assert described(env)["MasterUserSecret"]["SecretArn"] != rds_secret
    # our secret is never touched by the module
    assert env.secrets.get_secret_value(SecretId=secret)["SecretString"] == PASSWORD
    assert_no_secret(env, back)


def test_creating_primary_with_a_secret_waits_and_then_stays(env, secret, monkeypatch):
    """wait=false then wait=true (the role's start/await split): the secret is read by the create only."""
    monkeypatch.setenv("STRATA_TESTCLOUD_CREATE_SECONDS_RDS", "0.5")
    env.calls.passwords_expected.append("CreateDBInstance")

    started = run(secret_primary_args(env, secret, wait=False))
    assert started["db_instance"]["db_instance_status"] == "creating"
    assert env.calls.by_module == ["DescribeDBInstances", "GetSecretValue", "CreateDBInstance"]
    env.calls.reset()

    awaited = run(secret_primary_args(env, secret))

    assert awaited["changed"] is False
    assert awaited["db_instance"]["db_instance_status"] == "available"
    assert set(env.calls.by_module) == {"DescribeDBInstances"}


BAD_SECRET_VALUES = [
    ("short-1", "too-short"),
    ("has/a-slash-in-it", "slash"),
    ('has"a-double-quote', "double-quote"),
    ("has@an-at-sign-1", "at-sign"),
    ("has a space in it", "space"),
    ("tab\tinside-value", "tab"),
    ("p\u00e4sswort-mit-umlaut", "non-ascii"),
    ("x" * 129, "too-long"),
    (json.dumps({"username": "strata", "password": "Valid-Pass-123"}), "json"),
]


@pytest.mark.parametrize("value", [case[0] for case in BAD_SECRET_VALUES], ids=[case[1] for case in BAD_SECRET_VALUES])
def test_invalid_secret_value_fails_naming_the_secret_not_the_value(env, no_sleep, no_log_values, value):
    arn = env.secrets.create_secret(Name=SECRET_NAME, SecretString=value)["ARN"]
    env.calls.reset()

    result = run_failing(secret_primary_args(env, arn))

    assert f"The value of secret {arn} (master_user_password_secret_id) is not a valid master password" in result["msg"]
    assert "8 to 128 printable ASCII characters" in result["msg"]
    assert value not in json.dumps(result) and "Valid-Pass-123" not in json.dumps(result)
    assert value in no_log_values[-1]
    assert env.calls.by_module == ["DescribeDBInstances", "GetSecretValue"]
    assert described(env) is None


@pytest.mark.parametrize("kind", ["missing", "binary", "deleted"])
def test_unreadable_secret_fails_naming_the_secret(env, no_sleep, kind):
    if kind == "binary":
        env.secrets.create_secret(Name=SECRET_NAME, SecretBinary=PASSWORD.encode())
    elif kind == "deleted":
        env.secrets.create_secret(Name=SECRET_NAME, SecretString=PASSWORD)
        env.secrets.delete_secret(SecretId=SECRET_NAME, RecoveryWindowInDays=7)
    env.calls.reset()

    result = run_failing(secret_primary_args(env, SECRET_NAME))

    message = {
        "missing": f"master_user_password_secret_id {SECRET_NAME} does not exist: create the secret first",
        "binary": f"The secret {SECRET_NAME} (master_user_password_secret_id) has no string value",
        "deleted": f"Failed to read the value of secret {SECRET_NAME}",
    }[kind]
    assert message in result["msg"]
    assert PASSWORD not in json.dumps(result)
    assert env.calls.mutating == []
    assert described(env) is None


def test_invalid_secret_value_on_the_move_changes_nothing(env, no_sleep):
    created = create_primary(env)
    env.secrets.create_secret(Name=SECRET_NAME, SecretString="has a space in it")
    env.calls.reset()

    result = run_failing(secret_primary_args(env, SECRET_NAME))

    assert f"The value of secret {SECRET_NAME} (master_user_password_secret_id)" in result["msg"]
    assert "has a space in it" not in json.dumps(result)
    assert env.calls.mutating == []
    assert described(env)["MasterUserSecret"]["SecretArn"] == created["db_instance"]["master_user_secret"]["secret_arn"]


@pytest.mark.parametrize(
    "engine, value, valid",
    [
        ("postgres", "x" * 128, True),
        ("postgres", "x" * 7, False),
        ("postgres", "!#$%&'()*+,-.:;<=>?[\\]^_`{|}~Az09", True),
        ("mysql", "x" * 41, True),
        ("mysql", "x" * 42, False),
        ("mariadb", "x" * 42, False),
        ("oracle-ee", "x" * 31, False),
        ("sqlserver-se", "x" * 128, True),
        ("postgres", None, False),
    ],
)
def test_master_password_rule(engine, value, valid):
    assert rds_utils.valid_master_password(engine, value) is valid


SECRET_BAD_INPUT = [
    (
        {"source_db_instance_identifier": "fsm-dev-postgres-src"},
        "master_user_password_secret_id cannot be set on a read replica",
    ),
    ({"manage_master_user_password": True}, "manage_master_user_password=true and master_user_password_secret_id contradict"),
    ({"master_user_secret_kms_key_id": OTHER_KEY}, "master_user_secret_kms_key_id is the key of the secret RDS manages"),
    ({"master_user_password_secret_id": "Pa ss word!"}, "is neither a Secrets Manager secret name"),
    ({"master_user_password_secret_id": "arn:aws:s3:::bucket"}, "is neither a Secrets Manager secret name"),
]


@pytest.mark.parametrize("change, message", SECRET_BAD_INPUT, ids=[case[1] for case in SECRET_BAD_INPUT])
def test_secret_options_refused_before_any_api_call(calls, change, message):
    args = secret_primary_args(SimpleNamespace(key=OTHER_KEY, sg="sg-0123456789abcdef0"), SECRET_NAME, **change)
    if "source_db_instance_identifier" in change:
        args = replica_args(SimpleNamespace(key=OTHER_KEY, sg="sg-0123456789abcdef0"),
                            master_user_password_secret_id=SECRET_NAME)

    result = run_failing(args)

    assert message in result["msg"]
    assert "Pa ss word!" not in result["msg"]
    assert calls == []


@pytest.mark.parametrize("managed", [True, False])
def test_manage_master_user_password_is_ignored_on_a_replica(calls, managed):
    """A replica has its source's password: either value is accepted and changes nothing in the plan."""
    result = run(replica_args(SimpleNamespace(key=OTHER_KEY, sg="sg-0123456789abcdef0"),
                              manage_master_user_password=managed), check_mode=True)

    assert result["changed"] is True
    assert result["diff"]["after"]["manage_master_user_password"] is False
    assert result["master_password_source"] == "inherited"
    assert calls.mutating == []


@pytest.mark.parametrize(
    "secret_id",
    [SECRET_NAME, "arn:aws:secretsmanager:us-east-1:123456789012:secret:fsm/dev/postgres/master-password-AbCdEf"],
    ids=["name", "arn"],
)
def test_secret_id_by_name_or_arn_is_planned(calls, secret_id):
    """Check mode on an account without the instance: the plan reads no secret, whatever the form of its id."""
    result = run(secret_primary_args(SimpleNamespace(key=OTHER_KEY, sg="sg-0123456789abcdef0"), secret_id),
                 check_mode=True)

    assert result["master_password_source"] == f"secret:{secret_id}"
    assert calls == ["DescribeDBInstances"]


# --- read replicas of a source whose password RDS manages --------------------------------------------------------


def test_replica_of_an_rds_managed_source_fails_before_any_change(env, no_sleep):
    create_primary(env)

    result = run_failing(replica_args(env))

    message = result["msg"]
    assert f"Cannot create read replica {REPLICA} of {DB}: the master password of {DB} is managed by RDS" in message
    assert (
        "InvalidParameterValue: Creating read replicas for source instance with engine postgres where "
        "ManageMasterUserPassword is enabled is not supported." in message
    )
    assert f"Fix: give the task of {DB} master_user_password_secret_id" in message
    assert env.calls.mutating == []
    assert described(env, REPLICA) is None


def test_replica_of_an_rds_managed_source_is_planned_with_a_warning(env, no_sleep):
    create_primary(env)

    result = run(replica_args(env), check_mode=True)

    assert result["changed"] is True and result["changes"] == ["created"]
    warnings = [w for w in result["warnings"] if "cannot be created as things are now" in w]
    assert len(warnings) == 1
    assert f"the master password of {DB} is managed by RDS" in warnings[0]
    assert f"unless an earlier task of this run moves {DB} to master_user_password_secret_id" in warnings[0]
    assert env.calls.mutating == []


def test_replica_after_moving_its_source_to_the_secret(env, secret, no_sleep):
    """The documented fix, end to end: refused, the source moves to the secret, then the replica is created."""
    create_primary(env)
    run_failing(replica_args(env))
    env.calls.passwords_expected.append("ModifyDBInstance")
    run(secret_primary_args(env, secret))
    env.calls.reset()

    result = run(replica_args(env))

    assert result["changes"][0] == "created"
    assert "CreateDBInstanceReadReplica" in env.calls.mutating
    assert not [w for w in result.get("warnings", []) if "cannot be created" in w]
    assert described(env, DB)["ReadReplicaDBInstanceIdentifiers"] == [REPLICA]


def test_replica_of_an_rds_managed_sql_server_source_is_allowed(env, no_sleep):
    """SQL Server is the one engine AWS allows (the test cloud patch lets it through too)."""
    env.rds.create_db_instance(
        DBInstanceIdentifier=DB, Engine="sqlserver-se", LicenseModel="license-included", DBInstanceClass="db.m5.large",
        AllocatedStorage=20, MasterUsername="strata", ManageMasterUserPassword=True, StorageEncrypted=True,
        BackupRetentionPeriod=7,
    )
    env.calls.reset()

    result = run(dict(db_instance_identifier=REPLICA, source_db_instance_identifier=DB, engine="sqlserver-se"))

    assert result["changes"] == ["created"]
    assert env.calls.mutating == ["CreateDBInstanceReadReplica"]
    assert not result.get("warnings")


# --- absent ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_absent_takes_a_final_snapshot(env, no_sleep, check_mode):
    created = create_primary(env)

    result = run(dict(db_instance_identifier=DB, state="absent"), check_mode=check_mode)

    assert result["changed"] is True
    assert result["changes"] == ["deleted"]
    assert result["db_instance"] is None
    assert result["diff"] == {"before": created["diff"]["after"], "after": {}}
    snapshot = result["final_snapshot_identifier"]
    assert re.fullmatch(rf"{DB}-final-\d{{14}}", snapshot)
    if check_mode:
        assert env.calls.mutating == []
        assert described(env) is not None
        return
    assert env.calls.mutating == ["DeleteDBInstance"]
    request = env.calls.of("DeleteDBInstance")[0]
    assert request["FinalDBSnapshotIdentifier"] == snapshot and request["SkipFinalSnapshot"] is False
    assert described(env) is None
    snapshots = env.rds.describe_db_snapshots(DBSnapshotIdentifier=snapshot)["DBSnapshots"]
    assert [s["DBInstanceIdentifier"] for s in snapshots] == [DB]
    env.calls.reset()
    gone = run(dict(db_instance_identifier=DB, state="absent"))
    assert gone["changed"] is False and gone["changes"] == []
    assert env.calls == ["DescribeDBInstances"]


def test_absent_with_named_snapshot(env, no_sleep):
    create_primary(env)

    result = run(dict(db_instance_identifier=DB, state="absent", final_snapshot_identifier="fsm-dev-last"))

    assert result["final_snapshot_identifier"] == "fsm-dev-last"
    assert env.rds.describe_db_snapshots(DBSnapshotIdentifier="fsm-dev-last")["DBSnapshots"]


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_absent_without_final_snapshot(env, no_sleep, check_mode):
    create_primary(env)

    result = run(dict(db_instance_identifier=DB, state="absent", skip_final_snapshot=True), check_mode=check_mode)

    assert result["changed"] is True
    assert "final_snapshot_identifier" not in result
    if check_mode:
        assert env.calls.mutating == []
    else:
        assert env.calls.of("DeleteDBInstance")[0] == {"DBInstanceIdentifier": DB, "SkipFinalSnapshot": True}
        assert env.rds.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"] == []


def test_absent_replica_never_takes_a_snapshot(env, secret, no_sleep):
    create_secret_primary(env, secret)
    run(replica_args(env))
    env.calls.reset()

    result = run(dict(db_instance_identifier=REPLICA, state="absent", final_snapshot_identifier="ignored"))

    assert result["changed"] is True
    assert any("read replica" in warning for warning in result["warnings"])
    assert env.calls.of("DeleteDBInstance")[0] == {"DBInstanceIdentifier": REPLICA, "SkipFinalSnapshot": True}
    assert described(env, REPLICA) is None
    # the source and its secret stay
    assert described(env)["ReadReplicaDBInstanceIdentifiers"] == []
    assert env.secrets.get_secret_value(SecretId=secret)["SecretString"] == PASSWORD


def test_absent_refuses_deletion_protection(env, no_sleep):
    create_primary(env, deletion_protection=True)

    result = run_failing(dict(db_instance_identifier=DB, state="absent"))

    assert "deletion protection on" in result["msg"]
    assert "deletion_protection=false" in result["msg"]
    assert env.calls == ["DescribeDBInstances"]
    assert described(env)["DeletionProtection"] is True
    lifted = run(dict(db_instance_identifier=DB, deletion_protection=False, wait=False))
    assert lifted["changes"] == ["deletion_protection"]
    assert run(dict(db_instance_identifier=DB, state="absent", skip_final_snapshot=True))["changed"] is True
    assert described(env) is None


def test_absent_on_deletion_protection_is_planned_with_a_warning(env, no_sleep):
    """The plan (--check) of a confirmed teardown: the task lifting the protection is only predicted, so the delete
    sees the protection on; it warns and predicts the delete (the real run still refuses without the lift)."""
    created = create_primary(env, deletion_protection=True)

    lift = run(dict(db_instance_identifier=DB, deletion_protection=False, wait=False), check_mode=True)
    result = run(dict(db_instance_identifier=DB, state="absent", wait=True), check_mode=True)

    assert lift["changes"] == ["deletion_protection"]
    assert result["changed"] is True and result["changes"] == ["deleted"]
    assert result["db_instance"] is None
    assert result["diff"] == {"before": created["diff"]["after"], "after": {}}
    assert re.fullmatch(rf"{DB}-final-\d{{14}}", result["final_snapshot_identifier"])
    warnings = [w for w in result["warnings"] if "deletion protection on" in w]
    assert len(warnings) == 1
    assert f"db instance {DB} has deletion protection on" in warnings[0]
    assert "the real run refuses to delete it unless the protection is lifted first" in warnings[0]
    assert "deletion_protection=false" in warnings[0]
    assert env.calls == ["DescribeDBInstances", "DescribeDBInstances"]
    assert described(env)["DeletionProtection"] is True


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_absent_when_absent(env, no_sleep, check_mode):
    result = run(dict(db_instance_identifier=DB, state="absent"), check_mode=check_mode)

    assert result["changed"] is False
    assert result["db_instance"] is None
    assert result["diff"] == {"before": {}, "after": {}}
    assert env.calls == ["DescribeDBInstances"]


# --- waiting -----------------------------------------------------------------------------------------------------


def test_wait_false_then_wait_true_on_a_creating_instance(env, monkeypatch):
    """The role starts creations with wait=false and awaits them with a second call (test cloud knob: 2 s)."""
    monkeypatch.setenv("STRATA_TESTCLOUD_CREATE_SECONDS_RDS", "2")
    slept = []
    real_sleep = time.sleep
    monkeypatch.setattr(time, "sleep", lambda seconds: slept.append(seconds) or real_sleep(seconds))

    started = run(primary_args(env, wait=False))

    assert started["changed"] is True
    assert started["changes"] == ["created"]
    assert started["db_instance"]["db_instance_status"] == "creating"
    assert env.calls == ["DescribeDBInstances", "CreateDBInstance"]
    assert slept == []
    env.calls.reset()

    # while creating, wait=false neither waits nor modifies; a change is left, with a warning, for wait=true
    busy = run(primary_args(env, wait=False, db_instance_class="db.r6g.large"))
    assert busy["changed"] is False
    assert any("still creating" in warning for warning in busy["warnings"])
    assert env.calls == ["DescribeDBInstances"] and slept == []
    assert run(primary_args(env, db_instance_class="db.r6g.large"), check_mode=True)["changes"] == [
        "db_instance_class"
    ]
    env.calls.reset()

    awaited = run(primary_args(env, wait=True))

    assert awaited["changed"] is False
    assert awaited["db_instance"]["db_instance_status"] == "available"
    assert env.calls.mutating == []
    assert slept and slept[0] == 1.0 and slept == sorted(slept)
    assert len(env.calls) == len(slept) + 1


def test_wait_true_create_waits_for_available(env, monkeypatch):
    monkeypatch.setenv("STRATA_TESTCLOUD_CREATE_SECONDS_RDS", "1")

    result = run(primary_args(env))

    assert result["db_instance"]["db_instance_status"] == "available"
    assert env.calls.mutating == ["CreateDBInstance"]
    assert env.calls.count("DescribeDBInstances") >= 3


class FakeRDS:
    """Answers DescribeDBInstances with the given statuses in turn (the last one for ever)."""

    def __init__(self, *statuses):
        self.statuses = list(statuses)

    def describe_db_instances(self, DBInstanceIdentifier):
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        if status is None:
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": "DBInstanceNotFound", "Message": "not found"}}, "DescribeDBInstances"
            )
        return {"DBInstances": [{"DBInstanceIdentifier": DBInstanceIdentifier, "DBInstanceStatus": status}]}


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.slept = []

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_wait_polls_with_growing_delays_until_the_timeout():
    clock = FakeClock()

    with pytest.raises(rds_utils.DBInstanceWaitError) as error:
        rds_utils.wait_for_db_instance(FakeRDS("creating"), DB, 100, sleep=clock.sleep, clock=lambda: clock.now)

    assert clock.slept == [1, 2, 4, 8, 15, 15, 15, 15, 15, 10]
    message = str(error.value)
    assert f"Timeout after 100 s waiting for db instance {DB} to be available" in message
    assert "last status was 'creating'" in message


def test_wait_returns_when_available_or_gone():
    clock = FakeClock()
    instance = rds_utils.wait_for_db_instance(
        FakeRDS("creating", "backing-up", "available"), DB, 60, sleep=clock.sleep, clock=lambda: clock.now
    )
    assert instance["db_instance_status"] == "available"
    assert clock.slept == [1, 2]

    clock = FakeClock()
    assert rds_utils.wait_for_db_instance(
        FakeRDS("deleting", None), DB, 60, gone=True, sleep=clock.sleep, clock=lambda: clock.now
    ) is None
    assert clock.slept == [1]


def test_wait_fails_at_once_on_a_status_that_does_not_pass():
    clock = FakeClock()

    with pytest.raises(rds_utils.DBInstanceWaitError) as error:
        rds_utils.wait_for_db_instance(FakeRDS("stopped"), DB, 600, sleep=clock.sleep, clock=lambda: clock.now)

    assert "its status is 'stopped'" in str(error.value)
    assert clock.slept == []


# --- bad input ---------------------------------------------------------------------------------------------------

BAD_INPUT = [
    ({"db_instance_identifier": "1bad"}, "db_instance_identifier '1bad' is invalid"),
    ({"db_instance_identifier": "two--hyphens"}, "db_instance_identifier 'two--hyphens' is invalid"),
    ({"manage_master_user_password": False}, "manage_master_user_password=false needs master_user_password_secret_id"),
    ({"allocated_storage": 10}, "allocated_storage must be between 20 and 65536"),
    ({"max_allocated_storage": 20}, "max_allocated_storage (20) must be above allocated_storage (20)"),
    ({"storage_type": "gp2", "iops": 3000}, "iops needs storage_type gp3, io1 or io2"),
    ({"storage_type": "io1", "storage_throughput": 200}, "storage_throughput needs storage_type gp3"),
    ({"port": 80}, "port must be between 1150 and 65535"),
    ({"backup_retention_period": 36}, "backup_retention_period must be between 0 and 35"),
    ({"preferred_backup_window": "3:00-4:00"}, "preferred_backup_window '3:00-4:00' is invalid"),
    ({"preferred_maintenance_window": "sunday 5am"}, "preferred_maintenance_window 'sunday 5am' is invalid"),
    (
        {"enable_performance_insights": True, "performance_insights_retention_period": 30},
        "performance_insights_retention_period must be 7, a multiple of 31",
    ),
    ({"monitoring_interval": 60}, "monitoring_interval=60 needs monitoring_role_arn"),
    ({"monitoring_interval": 7}, "monitoring_interval"),
    ({"engine_version": "v16"}, "engine_version 'v16' is invalid"),
    ({"source_db_instance_identifier": "arn:aws:rds:us-east-1:123456789012:db:x"}, "not an ARN"),
    ({"source_db_instance_identifier": DB}, "must name another instance"),
    ({"wait_timeout": 0}, "wait_timeout must be above 0"),
    ({"state": "absent", "skip_final_snapshot": True, "final_snapshot_identifier": "x"}, "contradict each other"),
    ({"state": "absent", "final_snapshot_identifier": "bad_name"}, "final_snapshot_identifier 'bad_name' is invalid"),
]


@pytest.mark.parametrize("change, message", BAD_INPUT, ids=[case[1] for case in BAD_INPUT])
def test_bad_input_fails_before_any_api_call(calls, change, message):
    result = run_failing(primary_args(SimpleNamespace(key=OTHER_KEY, sg="sg-0123456789abcdef0"), **change))

    assert message in result["msg"]
    assert calls == []


def test_missing_create_options_fail_before_any_change(env):
    result = run_failing(dict(db_instance_identifier=DB, db_instance_class="db.t4g.micro"))

    assert "allocated_storage, master_username are required to create a primary" in result["msg"]
    assert env.calls == ["DescribeDBInstances"]


def test_empty_strings_count_as_unset(env, no_sleep):
    """What a role passes when a lower layer does not exist yet (check mode on a new environment)."""
    create_primary(env)

    result = run(
        primary_args(
            env, monitoring_role_arn="", performance_insights_kms_key_id="", vpc_security_group_ids=[],
            kms_key_id="", master_user_secret_kms_key_id="", master_user_password_secret_id="",
        ),
        check_mode=True,
    )

    assert result["changed"] is False
