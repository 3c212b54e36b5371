#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_db_instance
version_added: 0.1.0
short_description: Manage one RDS PostgreSQL DB instance (primary or read replica) with an RDS-managed master password
description:
  - Create, modify in place, tag or delete one RDS DB instance, identified by O(db_instance_identifier), either a
    primary or a read replica of another instance in the same region (O(source_db_instance_identifier)).
  - The master password is always managed by RDS in AWS Secrets Manager (C(ManageMasterUserPassword)). The module
    has no password option, never sends one, and never returns or shows one; the returned instance carries only
    the ARN of the secret (C(master_user_secret.secret_arn)).
  - An option left unset is not managed; an existing instance keeps its value. An empty string given to an optional
    text option, and an empty O(vpc_security_group_ids), count as unset.
  - Mutable attributes are changed in place with one C(ModifyDBInstance) (O(db_instance_class), O(allocated_storage)
    (grow only), O(max_allocated_storage), O(storage_type), O(iops), O(storage_throughput), O(multi_az),
    O(vpc_security_group_ids), O(db_parameter_group_name), O(port), O(engine_version), O(backup_retention_period),
    O(preferred_backup_window), O(preferred_maintenance_window), O(enable_performance_insights),
    O(performance_insights_retention_period), O(monitoring_interval), O(monitoring_role_arn),
    O(enable_cloudwatch_logs_exports) (through C(CloudwatchLogsExportConfiguration)), O(deletion_protection),
    O(copy_tags_to_snapshot), O(auto_minor_version_upgrade), O(publicly_accessible), and turning on
    O(manage_master_user_password) on a primary that still has its own password); tags with
    C(AddTagsToResource) / C(RemoveTagsFromResource).
  - Attributes fixed at creation (O(engine), O(kms_key_id), storage encryption, O(db_subnet_group_name),
    O(db_name), O(master_username), O(source_db_instance_identifier), O(master_user_secret_kms_key_id) once the
    password is managed, O(performance_insights_kms_key_id) once Performance Insights is on) are compared too; a
    difference fails, naming the attributes, before any change. The module never replaces or deletes an instance to
    apply a change; create a new instance (for example from a snapshot) and migrate to it.
author:
  - strata.platform contributors (!UNKNOWN)
options:
  state:
    description:
      - V(present) makes sure the instance exists as described; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  db_instance_identifier:
    description:
      - The DB instance identifier (1 to 63 letters, digits or hyphens, starting with a letter, no two hyphens in a
        row, not ending with a hyphen). RDS stores it in lowercase.
    type: str
    required: true
  source_db_instance_identifier:
    description:
      - Create the instance as a read replica (C(CreateDBInstanceReadReplica)) of this instance, in the same
        region (give its identifier, not an ARN). The source must be available, encrypted and have automated
        backups on (O(backup_retention_period) above 0).
      - A replica inherits O(engine), O(engine_version), O(db_name), O(master_username), the master password,
        storage encryption and O(kms_key_id) from its source. O(engine_version), O(db_name), O(master_username)
        and O(master_user_secret_kms_key_id) are refused with a source; O(engine) and O(kms_key_id) must match the
        source's; O(manage_master_user_password) does not apply to a replica and is ignored.
      - O(backup_retention_period), O(preferred_backup_window) and O(preferred_maintenance_window) cannot be given
        to C(CreateDBInstanceReadReplica); on a replica they are applied with C(ModifyDBInstance) once it is
        available (after the create with O(wait=true), or by a later run). A replica never takes a final snapshot.
      - On an existing instance this is compared (a different source, or a source for a primary, is an error);
        unset, the instance's replication is not managed (the module never promotes a replica).
      - AWS documents that RDS-managed master passwords do not support creating a read replica of a source that
        uses them (all engines except SQL Server); if AWS refuses, the module reports AWS's error.
    type: str
  engine:
    description:
      - The database engine. Fixed at creation.
    type: str
    default: postgres
  engine_version:
    description:
      - The engine version, for example V(16.3), or a major version such as V(16) (matches any 16.x).
      - A higher version upgrades the instance in place; a new major version also needs
        O(allow_major_version_upgrade=true). A version lower than the running one is left alone with a warning
        (RDS does not downgrade, and O(auto_minor_version_upgrade) moves minor versions on).
    type: str
  allow_major_version_upgrade:
    description:
      - Allow a change of O(engine_version) to a new major version (C(AllowMajorVersionUpgrade)).
    type: bool
    default: false
  db_instance_class:
    description:
      - The instance class, for example V(db.r6g.large). Required to create a primary; a replica defaults to its
        source's class.
    type: str
  allocated_storage:
    description:
      - The storage in GiB (20 to 65536). Required to create a primary.
      - Storage can only grow. A smaller value than the instance has is an error, unless storage autoscaling is on
        (O(max_allocated_storage) above 0), in which case RDS may have grown it and the smaller value is ignored.
    type: int
  max_allocated_storage:
    description:
      - The ceiling in GiB up to which RDS grows the storage automatically (storage autoscaling); must be above
        O(allocated_storage). V(0) turns autoscaling off.
    type: int
  storage_type:
    description:
      - The storage type. V(gp3) when the instance is created and the option is unset.
    type: str
    choices: [gp2, gp3, io1, io2, standard]
  iops:
    description:
      - Provisioned IOPS (O(storage_type) V(gp3), V(io1) or V(io2)). Unset on gp3, RDS reports its baseline.
    type: int
  storage_throughput:
    description:
      - Provisioned storage throughput in MiB/s (O(storage_type=gp3) only).
    type: int
  kms_key_id:
    description:
      - The KMS key that encrypts the storage (key ARN, key id, alias name or alias ARN; an alias is resolved with
        C(kms:DescribeKey) to compare it). Storage is always encrypted; unset, RDS uses the C(aws/rds) key.
        Fixed at creation.
    type: str
  multi_az:
    description:
      - Whether a standby runs in another availability zone. V(false) when created and unset.
    type: bool
  db_subnet_group_name:
    description:
      - The DB subnet group the instance is placed in. Fixed at creation (the module does not move instances
        between subnet groups). A replica defaults to its source's.
    type: str
  vpc_security_group_ids:
    description:
      - The VPC security group ids of the instance, compared as a set. An empty list counts as unset.
    type: list
    elements: str
  db_parameter_group_name:
    description:
      - The DB parameter group. A change is applied in place; static parameters need a reboot, which the module
        does not do.
    type: str
  port:
    description:
      - The port the instance listens on (1150 to 65535); V(5432) for PostgreSQL when created and unset. A change
        restarts the instance.
    type: int
  db_name:
    description:
      - The name of the database created with the instance. Fixed at creation.
    type: str
  master_username:
    description:
      - The master user name. Required to create a primary. Fixed at creation.
    type: str
  manage_master_user_password:
    description:
      - RDS generates the master password and keeps it in Secrets Manager (C(ManageMasterUserPassword)); the
        module turns this on for an existing primary that still has its own password.
      - V(false) is refused. The module would then have to send a master password, which would sit in the task's
        arguments, its logs and its diff; the platform never handles one. Applications read the secret whose ARN
        is returned in C(db_instance.master_user_secret.secret_arn).
    type: bool
    default: true
  master_user_secret_kms_key_id:
    description:
      - The KMS key that encrypts the master user secret; unset, Secrets Manager's C(aws/secretsmanager) key.
        Fixed once RDS manages the password.
    type: str
  backup_retention_period:
    description:
      - Days automated backups are kept (0 to 35; V(0) turns them off, which a source of read replicas cannot do).
        RDS's default when created and unset is V(1).
    type: int
  preferred_backup_window:
    description:
      - The daily UTC backup window, C(hh24:mi-hh24:mi), for example V(03:00-03:30). Must not overlap
        O(preferred_maintenance_window).
    type: str
  preferred_maintenance_window:
    description:
      - The weekly UTC maintenance window, C(ddd:hh24:mi-ddd:hh24:mi), for example V(sun:05:00-sun:06:00)
        (compared without case).
    type: str
  enable_performance_insights:
    description:
      - Whether Performance Insights is on. O(performance_insights_kms_key_id) and
        O(performance_insights_retention_period) are only used when this is V(true).
    type: bool
  performance_insights_kms_key_id:
    description:
      - The KMS key of the Performance Insights data; unset, the C(aws/rds) key. Fixed once Performance Insights
        is on.
    type: str
  performance_insights_retention_period:
    description:
      - Days Performance Insights data is kept, V(7), a multiple of 31 up to V(713), or V(731).
    type: int
  monitoring_interval:
    description:
      - Seconds between Enhanced Monitoring samples; V(0) turns Enhanced Monitoring off. Above 0 it needs
        O(monitoring_role_arn).
    type: int
    choices: [0, 1, 5, 10, 15, 30, 60]
  monitoring_role_arn:
    description:
      - The IAM role that lets RDS send Enhanced Monitoring metrics to CloudWatch Logs. Only used when the
        monitoring interval is above 0.
    type: str
  enable_cloudwatch_logs_exports:
    description:
      - The log types published to CloudWatch Logs (PostgreSQL V(postgresql), V(upgrade), V(iam-db-auth-error)),
        compared as a set; an empty list turns every export off. Changed with C(CloudwatchLogsExportConfiguration).
    type: list
    elements: str
  deletion_protection:
    description:
      - Whether the instance refuses to be deleted. With O(state=absent) the module fails on a protected instance
        rather than turning the protection off; run it first with O(deletion_protection=false).
    type: bool
  copy_tags_to_snapshot:
    description:
      - Whether the instance's tags are copied to its snapshots.
    type: bool
  auto_minor_version_upgrade:
    description:
      - Whether RDS applies minor engine upgrades in the maintenance window. RDS's default when created and unset
        is V(true).
    type: bool
  publicly_accessible:
    description:
      - Whether the instance gets a public DNS name that resolves to a public address.
    type: bool
    default: false
  apply_immediately:
    description:
      - Apply modifications now rather than in the next maintenance window. With V(false), RDS reports them as
        pending; the module compares the pending values, so a re-run does not ask again.
    type: bool
    default: true
  skip_final_snapshot:
    description:
      - With O(state=absent), delete without a final snapshot. Read replicas never take one.
    type: bool
    default: false
  final_snapshot_identifier:
    description:
      - With O(state=absent), the identifier of the final snapshot; default C(<db_instance_identifier>-final-<UTC
        yyyymmddHHMMSS>). Ignored, with a warning, for a read replica.
    type: str
  wait:
    description:
      - Wait until the instance is available (after a create or a change, and before changing an existing
        instance that is still creating or modifying), or gone with O(state=absent). Polls
        C(DescribeDBInstances) every 1 s, doubling up to 15 s.
      - With V(false) after a create, the module returns what C(CreateDBInstance) answered (status V(creating));
        a later run with V(true) awaits it and applies what could not be set at creation. With V(false), changes
        to an instance that is still creating are left for such a run, with a warning.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait when O(wait=true).
    type: int
    default: 3600
notes:
  - "Required IAM actions: C(rds:DescribeDBInstances), C(rds:CreateDBInstance), C(rds:CreateDBInstanceReadReplica),
    C(rds:ModifyDBInstance), C(rds:DeleteDBInstance), C(rds:CreateDBSnapshot) (final snapshot),
    C(rds:AddTagsToResource), C(rds:RemoveTagsFromResource); C(kms:DescribeKey) when a KMS alias is given;
    for the managed password C(secretsmanager:CreateSecret), C(secretsmanager:TagResource), C(kms:Decrypt),
    C(kms:GenerateDataKey) on O(master_user_secret_kms_key_id); C(iam:PassRole) on O(monitoring_role_arn)."
  - When nothing changes, a run makes one API call (C(DescribeDBInstances), which includes the tags).
attributes:
  action_group:
    support: full
    membership: [strata.platform.aws]
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: all
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Start a PostgreSQL primary (the master password is generated and kept in Secrets Manager)
  strata.platform.rds_db_instance:
    db_instance_identifier: fsm-prod-postgres
    engine: postgres
    engine_version: "16.3"
    db_instance_class: db.r6g.large
    allocated_storage: 100
    max_allocated_storage: 500
    storage_type: gp3
    kms_key_id: arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666
    multi_az: true
    db_subnet_group_name: fsm-prod-data
    vpc_security_group_ids:
      - sg-0123456789abcdef0
    db_parameter_group_name: fsm-prod-postgres16
    db_name: app
    master_username: strata
    master_user_secret_kms_key_id: arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666
    backup_retention_period: 30
    preferred_backup_window: "03:00-03:30"
    preferred_maintenance_window: sun:05:00-sun:06:00
    enable_performance_insights: true
    performance_insights_retention_period: 7
    monitoring_interval: 60
    monitoring_role_arn: arn:aws:iam::123456789012:role/fsm-prod-rds-monitoring
    enable_cloudwatch_logs_exports: [postgresql, upgrade]
    deletion_protection: true
    copy_tags_to_snapshot: true
    tags:
      environment: prod
    wait: false
  register: primary

- name: Await it (a second call with wait=true waits for the creation started above)
  strata.platform.rds_db_instance:
    db_instance_identifier: fsm-prod-postgres
    wait: true

- name: A read replica in the same region
  strata.platform.rds_db_instance:
    db_instance_identifier: fsm-prod-postgres-replica-1
    source_db_instance_identifier: fsm-prod-postgres
    db_instance_class: db.r6g.large
    vpc_security_group_ids:
      - sg-0123456789abcdef0
    tags:
      environment: prod
      role: replica

- name: Grow the storage and the class in place
  strata.platform.rds_db_instance:
    db_instance_identifier: fsm-prod-postgres
    db_instance_class: db.r6g.xlarge
    allocated_storage: 200

- name: Lift deletion protection, then delete with a final snapshot
  strata.platform.rds_db_instance:
    db_instance_identifier: fsm-prod-postgres
    deletion_protection: false

- name: Delete (a final snapshot fsm-prod-postgres-final-<UTC timestamp> is taken)
  strata.platform.rds_db_instance:
    db_instance_identifier: fsm-prod-postgres
    state: absent
"""

RETURN = r"""
db_instance:
  description:
    - The instance as C(DescribeDBInstances) reports it, in snake_case, with C(tags) as a dict instead of
      C(tag_list); in check mode, the prediction; V(null) after O(state=absent).
    - After a create with O(wait=false), what C(CreateDBInstance) answered.
    - Never contains a password (only the secret's ARN, status and KMS key in C(master_user_secret)).
  returned: always
  type: dict
  sample:
    db_instance_identifier: fsm-prod-postgres
    db_instance_arn: arn:aws:rds:us-east-1:123456789012:db:fsm-prod-postgres
    db_instance_status: available
    db_instance_class: db.r6g.large
    engine: postgres
    engine_version: "16.3"
    allocated_storage: 100
    max_allocated_storage: 500
    storage_type: gp3
    storage_encrypted: true
    kms_key_id: arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666
    endpoint: {"address": "fsm-prod-postgres.abcdefghijkl.us-east-1.rds.amazonaws.com", "port": 5432}
    master_username: strata
    master_user_secret:
      secret_arn: arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0a1b2c3d-AbCdEf
      secret_status: active
      kms_key_id: arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666
    multi_az: true
    read_replica_db_instance_identifiers: [fsm-prod-postgres-replica-1]
    tags: {"environment": "prod"}
changes:
  description:
    - The managed attributes changed (or, in check mode, that would change), by option name, sorted; V(created) for
      a new instance (followed by what was applied once it was available) and V(deleted) for a deletion.
  returned: always
  type: list
  elements: str
  sample: [allocated_storage, db_instance_class, tags]
final_snapshot_identifier:
  description: The final snapshot taken (or, in check mode, that would be taken) by O(state=absent).
  returned: when a final snapshot is taken
  type: str
  sample: fsm-prod-postgres-final-20250102030405
diff:
  description:
    - The managed attributes before and after, by option name (plus C(master_user_secret_arn)), when run with
      C(--diff). Never a secret value.
  returned: when diff mode is on
  type: dict
  sample:
    before: {"db_instance_class": "db.r6g.large", "allocated_storage": 100}
    after: {"db_instance_class": "db.r6g.xlarge", "allocated_storage": 200}
"""

import re
from datetime import datetime
from datetime import timezone

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.strata.platform.plugins.module_utils._aws.rds import READY_STATUSES
from ansible_collections.strata.platform.plugins.module_utils._aws.rds import AnsibleRDSError
from ansible_collections.strata.platform.plugins.module_utils._aws.rds import add_tags
from ansible_collections.strata.platform.plugins.module_utils._aws.rds import create_db_instance
from ansible_collections.strata.platform.plugins.module_utils._aws.rds import create_db_instance_read_replica
from ansible_collections.strata.platform.plugins.module_utils._aws.rds import delete_db_instance
from ansible_collections.strata.platform.plugins.module_utils._aws.rds import describe_db_instance
from ansible_collections.strata.platform.plugins.module_utils._aws.rds import kms_key_arn
from ansible_collections.strata.platform.plugins.module_utils._aws.rds import managed_view
from ansible_collections.strata.platform.plugins.module_utils._aws.rds import modify_db_instance
from ansible_collections.strata.platform.plugins.module_utils._aws.rds import normalize_db_instance
from ansible_collections.strata.platform.plugins.module_utils._aws.rds import remove_tags
from ansible_collections.strata.platform.plugins.module_utils._aws.rds import wait_for_db_instance
from ansible_collections.strata.platform.plugins.module_utils._aws.rds import with_attributes

# option -> ModifyDBInstance parameter, for the options sent as they are.
MODIFY_PARAMETERS = {
    "db_instance_class": "DBInstanceClass",
    "allocated_storage": "AllocatedStorage",
    "storage_type": "StorageType",
    "iops": "Iops",
    "storage_throughput": "StorageThroughput",
    "multi_az": "MultiAZ",
    "vpc_security_group_ids": "VpcSecurityGroupIds",
    "db_parameter_group_name": "DBParameterGroupName",
    "port": "DBPortNumber",
    "backup_retention_period": "BackupRetentionPeriod",
    "preferred_backup_window": "PreferredBackupWindow",
    "preferred_maintenance_window": "PreferredMaintenanceWindow",
    "deletion_protection": "DeletionProtection",
    "copy_tags_to_snapshot": "CopyTagsToSnapshot",
    "auto_minor_version_upgrade": "AutoMinorVersionUpgrade",
    "publicly_accessible": "PubliclyAccessible",
}
# Compared as they are when given (the others have their own rules in mutable_differences).
PLAIN_MUTABLE = (
    "db_instance_class",
    "storage_type",
    "iops",
    "storage_throughput",
    "multi_az",
    "db_parameter_group_name",
    "backup_retention_period",
    "preferred_backup_window",
    "deletion_protection",
    "copy_tags_to_snapshot",
    "auto_minor_version_upgrade",
    "publicly_accessible",
)
# option -> pending-modified key that shows the change is not applied yet (waited out after a modify).
PENDING_KEYS = {
    "db_instance_class": "db_instance_class",
    "allocated_storage": "allocated_storage",
    "storage_type": "storage_type",
    "iops": "iops",
    "storage_throughput": "storage_throughput",
    "multi_az": "multi_az",
    "engine_version": "engine_version",
    "backup_retention_period": "backup_retention_period",
    "port": "port",
    "enable_cloudwatch_logs_exports": "pending_cloudwatch_logs_exports",
}
# CreateDBInstanceReadReplica has no parameter for these: a replica gets them by ModifyDBInstance once available.
REPLICA_AFTER_CREATE = ("backup_retention_period", "preferred_backup_window", "preferred_maintenance_window")
# Options a read replica inherits from its source: refused with source_db_instance_identifier.
REPLICA_REFUSED = ("engine_version", "db_name", "master_username", "master_user_secret_kms_key_id")
# Optional text options where "" means unset.
OPTIONAL_TEXT = (
    "source_db_instance_identifier",
    "engine_version",
    "db_instance_class",
    "kms_key_id",
    "db_subnet_group_name",
    "db_parameter_group_name",
    "db_name",
    "master_username",
    "master_user_secret_kms_key_id",
    "preferred_backup_window",
    "preferred_maintenance_window",
    "performance_insights_kms_key_id",
    "monitoring_role_arn",
    "final_snapshot_identifier",
)
DEFAULT_PORTS = {"postgres": 5432, "mysql": 3306, "mariadb": 3306}

_ID_PATTERN = re.compile(r"^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}(?<!-)$")
_SNAPSHOT_PATTERN = re.compile(r"^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,254}(?<!-)$")
_BACKUP_WINDOW = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
_DAY = r"(mon|tue|wed|thu|fri|sat|sun)"
_MAINTENANCE_WINDOW = re.compile(rf"^{_DAY}:([01]\d|2[0-3]):[0-5]\d-{_DAY}:([01]\d|2[0-3]):[0-5]\d$", re.IGNORECASE)
_VERSION = re.compile(r"^\d+(\.\d+)*$")
_PI_RETENTION = {7, 731} | {31 * months for months in range(1, 24)}


class DBInstanceError(AnsibleRDSError):
    pass


# --- comparing ---------------------------------------------------------------------------------------------------


def _version(value):
    return tuple(int(part) for part in value.split(".") if part.isdigit())


def major_version(value):
    """PostgreSQL 10+ majors are the first number (16.3 -> 16); before, the first two (9.6.24 -> 9.6)."""
    parts = _version(value)
    return parts[:1] if parts and parts[0] >= 10 else parts[:2]


def version_matches(have, wanted):
    """16.3 matches 16.3 and 16; 16 matches any 16.x."""
    return bool(have) and (have == wanted or have.startswith(wanted + "."))


class KeyMatcher:
    """Compare a KMS key as AWS reports it (an ARN) with one given by ARN, key id or alias.

    An alias is resolved with kms:DescribeKey, once, and only when it is needed."""

    def __init__(self, module):
        self.module = module
        self.resolved = {}

    def same(self, have, wanted):
        if not have:
            return False
        if have == wanted or have.endswith("/" + wanted):
            return True
        if wanted.startswith("alias/") or ":alias/" in wanted:
            if wanted not in self.resolved:
                self.resolved[wanted] = kms_key_arn(self.module.client("kms"), wanted)
            return have == self.resolved[wanted]
        return False


def immutable_differences(view, params, keys):
    """[(option, have, wanted)] for the attributes fixed at creation that differ from the given options."""
    differences = []

    def compare(key, same):
        wanted = params[key]
        if wanted is not None and not same(view[key], wanted):
            differences.append((key, view[key], wanted))

    compare("engine", lambda have, wanted: (have or "").lower() == wanted.lower())
    compare("kms_key_id", keys.same)
    if not view["storage_encrypted"]:
        differences.append(("storage_encrypted", False, True))
    compare("db_subnet_group_name", lambda have, wanted: (have or "").lower() == wanted.lower())
    compare("db_name", lambda have, wanted: have == wanted)
    compare("master_username", lambda have, wanted: have == wanted)
    compare("source_db_instance_identifier", lambda have, wanted: (have or "").lower() == wanted.lower())
    if view["manage_master_user_password"]:
        compare("master_user_secret_kms_key_id", keys.same)
    if view["enable_performance_insights"] and params["enable_performance_insights"] and view[
        "performance_insights_kms_key_id"
    ]:
        compare("performance_insights_kms_key_id", keys.same)
    return differences


def mutable_differences(view, params, warn):
    """{option: wanted value} for each managed mutable attribute that differs; raises on a change RDS cannot make."""
    identifier = params["db_instance_identifier"]
    wanted = {}
    for key in PLAIN_MUTABLE:
        if params[key] is not None and params[key] != view[key]:
            wanted[key] = params[key]
    if "storage_type" in wanted:
        # A new storage type takes the provisioned values given with it, even those equal to today's.
        wanted.update(_given(params, "iops", "storage_throughput"))

    window = params["preferred_maintenance_window"]
    if window is not None and window.lower() != (view["preferred_maintenance_window"] or "").lower():
        wanted["preferred_maintenance_window"] = window.lower()

    # The port is unknown while the instance is created (no endpoint yet): nothing to compare then.
    if params["port"] is not None and view["port"] is not None and params["port"] != view["port"]:
        wanted["port"] = params["port"]

    ceiling = params["max_allocated_storage"]
    autoscaling = (ceiling if ceiling is not None else view["max_allocated_storage"]) > 0
    storage = params["allocated_storage"]
    if storage is not None and view["allocated_storage"] is not None:
        if storage > view["allocated_storage"]:
            wanted["allocated_storage"] = storage
        elif storage < view["allocated_storage"] and not autoscaling:
            raise DBInstanceError(
                message=f"Failed to update db instance {identifier}: allocated_storage={storage} is below the "
                f"{view['allocated_storage']} GiB it has; RDS storage can only grow. Set allocated_storage to "
                f"{view['allocated_storage']} or more (a smaller instance means a new instance and a migration)"
            )
    if ceiling is not None and ceiling != view["max_allocated_storage"]:
        size = wanted.get("allocated_storage", view["allocated_storage"]) or 0
        if ceiling and ceiling <= size:
            raise DBInstanceError(
                message=f"Failed to update db instance {identifier}: max_allocated_storage={ceiling} must be above "
                f"the allocated storage ({size} GiB), or 0 to turn storage autoscaling off"
            )
        wanted["max_allocated_storage"] = ceiling

    groups = params["vpc_security_group_ids"]
    if groups and sorted(set(groups)) != view["vpc_security_group_ids"]:
        wanted["vpc_security_group_ids"] = sorted(set(groups))

    version = params["engine_version"]
    if version and view["engine_version"] and not version_matches(view["engine_version"], version):
        have = view["engine_version"]
        if _version(have)[: len(_version(version))] > _version(version):
            warn(
                f"engine_version {version} is older than the {have} db instance {identifier} runs; RDS does not "
                "downgrade, so it is left alone (set engine_version to the running version to silence this)"
            )
        elif major_version(version) != major_version(have) and not params["allow_major_version_upgrade"]:
            raise DBInstanceError(
                message=f"Failed to update db instance {identifier}: engine_version {version} is a new major "
                f"version (it runs {have}); set allow_major_version_upgrade=true to upgrade it, after checking the "
                "parameter group family and the extensions"
            )
        else:
            wanted["engine_version"] = version

    if params["manage_master_user_password"] and not view["manage_master_user_password"] and not view[
        "source_db_instance_identifier"
    ]:
        wanted["manage_master_user_password"] = True

    insights = params["enable_performance_insights"]
    if insights is not None and insights != view["enable_performance_insights"]:
        wanted["enable_performance_insights"] = insights
        if insights and params["performance_insights_kms_key_id"]:
            wanted["performance_insights_kms_key_id"] = params["performance_insights_kms_key_id"]
    retention = params["performance_insights_retention_period"]
    if insights and retention is not None and retention != view["performance_insights_retention_period"]:
        wanted["performance_insights_retention_period"] = retention

    interval = params["monitoring_interval"]
    if interval is not None and interval != view["monitoring_interval"]:
        wanted["monitoring_interval"] = interval
    role = params["monitoring_role_arn"]
    effective_interval = interval if interval is not None else view["monitoring_interval"]
    if effective_interval and role and role != view["monitoring_role_arn"]:
        wanted["monitoring_role_arn"] = role

    logs = params["enable_cloudwatch_logs_exports"]
    if logs is not None and sorted(set(logs)) != view["enable_cloudwatch_logs_exports"]:
        wanted["enable_cloudwatch_logs_exports"] = sorted(set(logs))
    return wanted


def modify_request(wanted, view, params):
    """The ModifyDBInstance parameters for the differences (never a password)."""
    request = {}
    for key, value in wanted.items():
        if key in MODIFY_PARAMETERS:
            request[MODIFY_PARAMETERS[key]] = value
        elif key == "max_allocated_storage":
            # RDS turns autoscaling off when the ceiling equals the allocated storage.
            request["MaxAllocatedStorage"] = value or wanted.get("allocated_storage", view["allocated_storage"])
        elif key == "engine_version":
            request["EngineVersion"] = value
            if major_version(value) != major_version(view["engine_version"]):
                request["AllowMajorVersionUpgrade"] = True
        elif key == "manage_master_user_password":
            request["ManageMasterUserPassword"] = True
            if params["master_user_secret_kms_key_id"]:
                request["MasterUserSecretKmsKeyId"] = params["master_user_secret_kms_key_id"]
        elif key == "enable_performance_insights":
            request["EnablePerformanceInsights"] = value
        elif key == "performance_insights_kms_key_id":
            request["PerformanceInsightsKMSKeyId"] = value
        elif key == "performance_insights_retention_period":
            request["EnablePerformanceInsights"] = True
            request["PerformanceInsightsRetentionPeriod"] = value
        elif key == "monitoring_interval":
            request["MonitoringInterval"] = value
            role = params["monitoring_role_arn"] or view["monitoring_role_arn"]
            if value and role:
                request["MonitoringRoleArn"] = role
        elif key == "monitoring_role_arn":
            request["MonitoringRoleArn"] = value
            request.setdefault("MonitoringInterval", view["monitoring_interval"])
        elif key == "enable_cloudwatch_logs_exports":
            have, want = set(view["enable_cloudwatch_logs_exports"]), set(value)
            request["CloudwatchLogsExportConfiguration"] = {
                "EnableLogTypes": sorted(want - have),
                "DisableLogTypes": sorted(have - want),
            }
    request["ApplyImmediately"] = params["apply_immediately"]
    return request


# --- creating ----------------------------------------------------------------------------------------------------


def _given(params, *keys):
    return {key: params[key] for key in keys if params[key] is not None}


def primary_values(params):
    """The managed view a primary created from the options will have (RDS's defaults where unset)."""
    engine = params["engine"]
    values = dict(
        engine=engine,
        engine_version=params["engine_version"],
        storage_type=params["storage_type"] or "gp3",
        storage_encrypted=True,
        max_allocated_storage=params["max_allocated_storage"] or 0,
        multi_az=bool(params["multi_az"]),
        vpc_security_group_ids=sorted(set(params["vpc_security_group_ids"] or [])),
        port=params["port"] or DEFAULT_PORTS.get(engine),
        manage_master_user_password=True,
        backup_retention_period=1 if params["backup_retention_period"] is None else params["backup_retention_period"],
        enable_performance_insights=bool(params["enable_performance_insights"]),
        monitoring_interval=params["monitoring_interval"] or 0,
        enable_cloudwatch_logs_exports=sorted(set(params["enable_cloudwatch_logs_exports"] or [])),
        deletion_protection=bool(params["deletion_protection"]),
        copy_tags_to_snapshot=bool(params["copy_tags_to_snapshot"]),
        auto_minor_version_upgrade=params["auto_minor_version_upgrade"] is not False,
        publicly_accessible=params["publicly_accessible"],
        tags={key: str(value) for key, value in (params["tags"] or {}).items()},
    )
    values.update(
        _given(
            params,
            "db_instance_class",
            "allocated_storage",
            "iops",
            "storage_throughput",
            "kms_key_id",
            "db_subnet_group_name",
            "db_parameter_group_name",
            "db_name",
            "master_username",
            "master_user_secret_kms_key_id",
            "preferred_backup_window",
        )
    )
    if params["preferred_maintenance_window"]:
        values["preferred_maintenance_window"] = params["preferred_maintenance_window"].lower()
    if params["enable_performance_insights"]:
        values["performance_insights_retention_period"] = params["performance_insights_retention_period"] or 7
        values.update(_given(params, "performance_insights_kms_key_id"))
    if params["monitoring_interval"]:
        values["monitoring_role_arn"] = params["monitoring_role_arn"]
    return values


def primary_request(params):
    """CreateDBInstance parameters: storage always encrypted, password always managed by RDS, never sent."""
    request = dict(
        Engine=params["engine"],
        DBInstanceClass=params["db_instance_class"],
        AllocatedStorage=params["allocated_storage"],
        StorageType=params["storage_type"] or "gp3",
        StorageEncrypted=True,
        MasterUsername=params["master_username"],
        ManageMasterUserPassword=True,
        PubliclyAccessible=params["publicly_accessible"],
    )
    optional = dict(
        EngineVersion=params["engine_version"],
        MaxAllocatedStorage=params["max_allocated_storage"] or None,
        Iops=params["iops"],
        StorageThroughput=params["storage_throughput"],
        KmsKeyId=params["kms_key_id"],
        MultiAZ=params["multi_az"],
        DBSubnetGroupName=params["db_subnet_group_name"],
        VpcSecurityGroupIds=params["vpc_security_group_ids"] or None,
        DBParameterGroupName=params["db_parameter_group_name"],
        Port=params["port"],
        DBName=params["db_name"],
        MasterUserSecretKmsKeyId=params["master_user_secret_kms_key_id"],
        BackupRetentionPeriod=params["backup_retention_period"],
        PreferredBackupWindow=params["preferred_backup_window"],
        PreferredMaintenanceWindow=params["preferred_maintenance_window"],
        DeletionProtection=params["deletion_protection"],
        CopyTagsToSnapshot=params["copy_tags_to_snapshot"],
        AutoMinorVersionUpgrade=params["auto_minor_version_upgrade"],
    )
    request.update({key: value for key, value in optional.items() if value is not None})
    request.update(_shared_create_request(params))
    return request


def _shared_create_request(params):
    """Parameters CreateDBInstance and CreateDBInstanceReadReplica share: insights, monitoring, logs, tags."""
    request = {}
    if params["enable_performance_insights"] is not None:
        request["EnablePerformanceInsights"] = params["enable_performance_insights"]
        if params["enable_performance_insights"]:
            if params["performance_insights_kms_key_id"]:
                request["PerformanceInsightsKMSKeyId"] = params["performance_insights_kms_key_id"]
            if params["performance_insights_retention_period"] is not None:
                request["PerformanceInsightsRetentionPeriod"] = params["performance_insights_retention_period"]
    if params["monitoring_interval"] is not None:
        request["MonitoringInterval"] = params["monitoring_interval"]
        if params["monitoring_interval"]:
            request["MonitoringRoleArn"] = params["monitoring_role_arn"]
    if params["enable_cloudwatch_logs_exports"]:
        request["EnableCloudwatchLogsExports"] = sorted(set(params["enable_cloudwatch_logs_exports"]))
    if params["tags"]:
        request["Tags"] = ansible_dict_to_boto3_tag_list({k: str(v) for k, v in params["tags"].items()})
    return request


def replica_values(params, source):
    """The managed view a replica of ``source`` (its managed view) will have once created and modified."""
    values = {
        key: source[key]
        for key in (
            "engine",
            "engine_version",
            "allocated_storage",
            "storage_type",
            "iops",
            "storage_throughput",
            "storage_encrypted",
            "kms_key_id",
            "db_instance_class",
            "db_subnet_group_name",
            "vpc_security_group_ids",
            "db_parameter_group_name",
            "port",
            "db_name",
            "master_username",
            "preferred_backup_window",
            "preferred_maintenance_window",
            "auto_minor_version_upgrade",
        )
    }
    primary = primary_values(params)
    # A replica has no secret of its own, starts with backups off, and takes only the settings it is given.
    values.update(
        source_db_instance_identifier=params["source_db_instance_identifier"],
        manage_master_user_password=False,
        master_user_secret_arn=None,
        master_user_secret_kms_key_id=None,
        max_allocated_storage=primary["max_allocated_storage"],
        multi_az=primary["multi_az"],
        backup_retention_period=0,
        enable_performance_insights=primary["enable_performance_insights"],
        monitoring_interval=primary["monitoring_interval"],
        enable_cloudwatch_logs_exports=primary["enable_cloudwatch_logs_exports"],
        deletion_protection=primary["deletion_protection"],
        copy_tags_to_snapshot=primary["copy_tags_to_snapshot"],
        publicly_accessible=params["publicly_accessible"],
        tags=primary["tags"],
    )
    for key in (
        "performance_insights_retention_period",
        "performance_insights_kms_key_id",
        "monitoring_role_arn",
        "preferred_maintenance_window",
    ):
        if key in primary:
            values[key] = primary[key]
    values.update(
        _given(
            params,
            "db_instance_class",
            "allocated_storage",
            "storage_type",
            "iops",
            "storage_throughput",
            "db_subnet_group_name",
            "db_parameter_group_name",
            "port",
            "backup_retention_period",
            "preferred_backup_window",
            "auto_minor_version_upgrade",
        )
    )
    if params["vpc_security_group_ids"]:
        values["vpc_security_group_ids"] = sorted(set(params["vpc_security_group_ids"]))
    return values


def replica_request(params):
    """CreateDBInstanceReadReplica parameters (same region: the source's identifier, its KMS key)."""
    optional = dict(
        DBInstanceClass=params["db_instance_class"],
        AllocatedStorage=params["allocated_storage"],
        MaxAllocatedStorage=params["max_allocated_storage"] or None,
        StorageType=params["storage_type"],
        Iops=params["iops"],
        StorageThroughput=params["storage_throughput"],
        MultiAZ=params["multi_az"],
        DBSubnetGroupName=params["db_subnet_group_name"],
        VpcSecurityGroupIds=params["vpc_security_group_ids"] or None,
        DBParameterGroupName=params["db_parameter_group_name"],
        Port=params["port"],
        DeletionProtection=params["deletion_protection"],
        CopyTagsToSnapshot=params["copy_tags_to_snapshot"],
        AutoMinorVersionUpgrade=params["auto_minor_version_upgrade"],
    )
    request = {"SourceDBInstanceIdentifier": params["source_db_instance_identifier"]}
    request["PubliclyAccessible"] = params["publicly_accessible"]
    request.update({key: value for key, value in optional.items() if value is not None})
    request.update(_shared_create_request(params))
    return request


def check_source(module, client, params, keys):
    """The source's normalised instance, checked for a replica; None in check mode if it does not exist yet."""
    name = params["source_db_instance_identifier"]
    identifier = params["db_instance_identifier"]
    described = describe_db_instance(client, name)
    if described is None:
        if module.check_mode:
            module.warn(
                f"source_db_instance_identifier {name} does not exist (yet): the read replica {identifier} is "
                "predicted from the given options only"
            )
            return None
        module.fail_json(
            msg=f"source_db_instance_identifier {name} does not exist: create the primary first (or fix the name)"
        )
    source = normalize_db_instance(described)
    view = managed_view(source)
    problems = []
    if view["engine"] != params["engine"]:
        problems.append(f"its engine is {view['engine']}, not engine={params['engine']}")
    if not view["storage_encrypted"]:
        problems.append("its storage is not encrypted (the module creates encrypted instances only)")
    elif params["kms_key_id"] and not keys.same(view["kms_key_id"], params["kms_key_id"]):
        problems.append(
            f"its KMS key is {view['kms_key_id']}, not kms_key_id={params['kms_key_id']} (a replica in the same "
            "region uses its source's key: leave kms_key_id unset or give that key)"
        )
    if not view["backup_retention_period"]:
        problems.append("its automated backups are off (give it backup_retention_period above 0 first)")
    if source["db_instance_status"] not in READY_STATUSES and not module.check_mode:
        problems.append(
            f"it is {source['db_instance_status']} (create the replica once the source is available: run the "
            "source's task with wait=true first)"
        )
    if problems:
        module.fail_json(msg=f"Cannot create read replica {identifier} of {name}: " + "; ".join(problems))
    return source


def ensure_created(module, client, params, keys):
    """Create the instance (and, once it is available, apply what the create call could not set)."""
    identifier = params["db_instance_identifier"]
    status = "available" if params["wait"] else "creating"
    base = {"db_instance_identifier": identifier, "db_instance_arn": None, "db_instance_status": status}
    if params["source_db_instance_identifier"]:
        source = check_source(module, client, params, keys)
        values = replica_values(params, managed_view(source) if source else managed_view_of_nothing())
        request = replica_request(params)
        create = create_db_instance_read_replica
    else:
        missing = [key for key in ("db_instance_class", "allocated_storage", "master_username") if params[key] is None]
        if missing:
            module.fail_json(
                msg=f"Cannot create db instance {identifier}: {', '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} required to create a primary"
            )
        values = primary_values(params)
        request = primary_request(params)
        create = create_db_instance
    predicted = with_attributes(base, {key: value for key, value in values.items() if value is not None})
    if module.check_mode:
        return True, predicted, ["created"]

    created = normalize_db_instance(create(client, identifier, **request))
    if not params["wait"]:
        return True, created, ["created"]
    current = wait_for_db_instance(client, identifier, params["wait_timeout"])
    view = managed_view(current)
    wanted = mutable_differences(view, params, module.warn)
    changes = ["created"]
    if wanted:
        current = apply_modification(client, current, view, wanted, params)
        changes += sorted(wanted)
    return True, current, changes


def managed_view_of_nothing():
    return managed_view({"storage_encrypted": True})


# --- changing ----------------------------------------------------------------------------------------------------


def apply_modification(client, current, view, wanted, params):
    """One ModifyDBInstance for the differences; waits (with wait=true) until they are applied."""
    identifier = params["db_instance_identifier"]
    response = modify_db_instance(client, identifier, **modify_request(wanted, view, params))
    if not params["wait"]:
        after = normalize_db_instance(response)
        after["tags"] = current["tags"]
        return after
    pending = [PENDING_KEYS[key] for key in wanted if key in PENDING_KEYS]

    def applied(instance):
        waiting = instance.get("pending_modified_values") or {}
        return instance.get("db_instance_status") in READY_STATUSES and not (
            params["apply_immediately"] and any(waiting.get(key) is not None for key in pending)
        )

    return wait_for_db_instance(client, identifier, params["wait_timeout"], ready=applied)


def ensure_tags(client, check_mode, current, params):
    """Add / remove tags; returns (changed, instance)."""
    if params["tags"] is None:
        return False, current
    wanted = {key: str(value) for key, value in params["tags"].items()}
    to_set, to_unset = compare_aws_tags(current["tags"], wanted, params["purge_tags"])
    if not to_set and not to_unset:
        return False, current
    tags = {key: value for key, value in current["tags"].items() if key not in to_unset}
    tags.update(to_set)
    if not check_mode:
        if to_unset:
            remove_tags(client, current["db_instance_arn"], to_unset)
        if to_set:
            add_tags(client, current["db_instance_arn"], to_set)
    return True, dict(current, tags=tags)


def ensure_updated(module, client, current, params, keys):
    """Compare an existing instance and change it in place; returns (changed, instance, changes)."""
    identifier = params["db_instance_identifier"]
    status = current["db_instance_status"]
    if status == "deleting":
        module.fail_json(msg=f"db instance {identifier} is being deleted; run again once it is gone to create it anew")
    view = managed_view(current)
    immutable = immutable_differences(view, params, keys)
    if immutable:
        details = ", ".join(f"{key} is {have!r}, asked {wanted!r}" for key, have, wanted in immutable)
        raise DBInstanceError(
            message=f"Failed to update db instance {identifier}: attributes fixed at creation differ ({details}); "
            "the module never replaces a database: create a new instance (for example from a snapshot) and migrate "
            "to it, or keep the current values"
        )
    wanted = mutable_differences(view, params, module.warn)
    if status not in READY_STATUSES and params["wait"] and not module.check_mode:
        current = wait_for_db_instance(client, identifier, params["wait_timeout"], known=current)
        view = managed_view(current)
        wanted = mutable_differences(view, params, lambda message: None)

    changed = False
    changes = []
    after = current
    if wanted:
        if module.check_mode:
            after = with_attributes(current, wanted)
            changed, changes = True, sorted(wanted)
        elif current["db_instance_status"] == "creating":
            module.warn(
                f"db instance {identifier} is still creating: {', '.join(sorted(wanted))} will be changed by a run "
                "with wait=true, which waits for the creation first"
            )
        else:
            after = apply_modification(client, current, view, wanted, params)
            changed, changes = True, sorted(wanted)
    tags_changed, after = ensure_tags(client, module.check_mode, after, params)
    if tags_changed:
        changed, changes = True, changes + ["tags"]
    return changed, after, changes


def ensure_absent(module, client, current, params):
    """Delete the instance (with a final snapshot unless skipped or a replica); returns (changed, None, changes)."""
    identifier = params["db_instance_identifier"]
    result = {}
    if current is None:
        return False, None, [], result
    view = managed_view(current)
    if current["db_instance_status"] == "deleting":
        changed, changes = False, []
    else:
        if view["deletion_protection"]:
            module.fail_json(
                msg=f"db instance {identifier} has deletion protection on: the module does not turn it off by itself. "
                "Run it first with deletion_protection=false (state=present), then with state=absent"
            )
        snapshot = None
        if view["source_db_instance_identifier"]:
            if params["final_snapshot_identifier"]:
                module.warn(
                    f"final_snapshot_identifier is ignored: db instance {identifier} is a read replica, which RDS "
                    "deletes without a final snapshot"
                )
        elif not params["skip_final_snapshot"]:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
            snapshot = params["final_snapshot_identifier"] or f"{identifier}-final-{stamp}"
            result["final_snapshot_identifier"] = snapshot
        changed, changes = True, ["deleted"]
        if not module.check_mode:
            changed = delete_db_instance(client, identifier, snapshot)
            changes = ["deleted"] if changed else []
    if params["wait"] and not module.check_mode:
        wait_for_db_instance(client, identifier, params["wait_timeout"], gone=True)
    return changed, None, changes, result


# --- input -------------------------------------------------------------------------------------------------------


def validate(module):
    """Rules the argument spec cannot express; fail naming the option and the fix, before any API call."""
    params = module.params
    for key in OPTIONAL_TEXT:
        if params[key] is not None and not params[key].strip():
            params[key] = None
    if params["vpc_security_group_ids"] is not None:
        params["vpc_security_group_ids"] = [group for group in params["vpc_security_group_ids"] if group]

    def fail(message):
        module.fail_json(msg=message)

    identifier = params["db_instance_identifier"]
    if not _ID_PATTERN.match(identifier):
        fail(
            f"db_instance_identifier {identifier!r} is invalid: use 1 to 63 letters, digits and hyphens, starting "
            "with a letter, without two hyphens in a row or a hyphen at the end"
        )
    params["db_instance_identifier"] = identifier.lower()
    if params["wait_timeout"] <= 0:
        fail(f"wait_timeout must be above 0 seconds, got {params['wait_timeout']}")
    snapshot = params["final_snapshot_identifier"]
    if snapshot is not None:
        if not _SNAPSHOT_PATTERN.match(snapshot):
            fail(
                f"final_snapshot_identifier {snapshot!r} is invalid: use 1 to 255 letters, digits and hyphens, "
                "starting with a letter, without two hyphens in a row or a hyphen at the end"
            )
        if params["skip_final_snapshot"]:
            fail("final_snapshot_identifier and skip_final_snapshot=true contradict each other: drop one of them")
    if params["state"] == "absent":
        return

    if not params["manage_master_user_password"]:
        fail(
            "manage_master_user_password=false is refused: the module never handles a master password (it would "
            "sit in the task's arguments, logs and diff). Leave it true: RDS keeps the password in Secrets Manager "
            "and the module returns the secret's ARN"
        )
    source = params["source_db_instance_identifier"]
    if source:
        if source.startswith("arn:"):
            fail(
                "source_db_instance_identifier must be the identifier of an instance in the same region, not an "
                "ARN (cross-region replicas are not made by this module)"
            )
        if not _ID_PATTERN.match(source):
            fail(f"source_db_instance_identifier {source!r} is not a valid DB instance identifier")
        params["source_db_instance_identifier"] = source.lower()
        if source.lower() == params["db_instance_identifier"]:
            fail("source_db_instance_identifier must name another instance than db_instance_identifier")
        refused = [key for key in REPLICA_REFUSED if params[key] is not None]
        if refused:
            fail(
                f"{', '.join(refused)} cannot be set on a read replica (source_db_instance_identifier is set): "
                "a replica inherits them from its source; remove them from the replica's task"
            )
    version = params["engine_version"]
    if version is not None and not _VERSION.match(version):
        fail(f"engine_version {version!r} is invalid: give numbers separated by dots, for example 16.3 or 16")
    storage = params["allocated_storage"]
    if storage is not None and not 20 <= storage <= 65536:
        fail(f"allocated_storage must be between 20 and 65536 GiB, got {storage}")
    ceiling = params["max_allocated_storage"]
    if ceiling is not None:
        if ceiling < 0 or ceiling > 65536:
            fail(f"max_allocated_storage must be between 0 (off) and 65536 GiB, got {ceiling}")
        if ceiling and storage is not None and ceiling <= storage:
            fail(
                f"max_allocated_storage ({ceiling}) must be above allocated_storage ({storage}), or 0 to turn "
                "storage autoscaling off"
            )
    storage_type = params["storage_type"]
    if params["iops"] is not None:
        if params["iops"] <= 0:
            fail(f"iops must be above 0, got {params['iops']}")
        if storage_type is not None and storage_type not in ("gp3", "io1", "io2"):
            fail(f"iops needs storage_type gp3, io1 or io2 (storage_type is {storage_type})")
    if params["storage_throughput"] is not None:
        if params["storage_throughput"] <= 0:
            fail(f"storage_throughput must be above 0, got {params['storage_throughput']}")
        if storage_type is not None and storage_type != "gp3":
            fail(f"storage_throughput needs storage_type gp3 (storage_type is {storage_type})")
    port = params["port"]
    if port is not None and not 1150 <= port <= 65535:
        fail(f"port must be between 1150 and 65535, got {port}")
    retention = params["backup_retention_period"]
    if retention is not None and not 0 <= retention <= 35:
        fail(f"backup_retention_period must be between 0 and 35 days, got {retention}")
    backup_window = params["preferred_backup_window"]
    if backup_window is not None and not _BACKUP_WINDOW.match(backup_window):
        fail(f"preferred_backup_window {backup_window!r} is invalid: use hh24:mi-hh24:mi in UTC, e.g. 03:00-03:30")
    maintenance = params["preferred_maintenance_window"]
    if maintenance is not None and not _MAINTENANCE_WINDOW.match(maintenance):
        fail(
            f"preferred_maintenance_window {maintenance!r} is invalid: use ddd:hh24:mi-ddd:hh24:mi in UTC, "
            "e.g. sun:05:00-sun:06:00"
        )
    insights_retention = params["performance_insights_retention_period"]
    if params["enable_performance_insights"] and insights_retention is not None:
        if insights_retention not in _PI_RETENTION:
            fail(
                f"performance_insights_retention_period must be 7, a multiple of 31 up to 713, or 731 days, got "
                f"{insights_retention}"
            )
    if params["monitoring_interval"] and not params["monitoring_role_arn"]:
        fail(
            f"monitoring_interval={params['monitoring_interval']} needs monitoring_role_arn (the IAM role RDS uses to "
            "publish Enhanced Monitoring metrics), or set monitoring_interval=0"
        )


def main():
    argument_spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        db_instance_identifier=dict(type="str", required=True),
        source_db_instance_identifier=dict(type="str"),
        engine=dict(type="str", default="postgres"),
        engine_version=dict(type="str"),
        allow_major_version_upgrade=dict(type="bool", default=False),
        db_instance_class=dict(type="str"),
        allocated_storage=dict(type="int"),
        max_allocated_storage=dict(type="int"),
        storage_type=dict(type="str", choices=["gp2", "gp3", "io1", "io2", "standard"]),
        iops=dict(type="int"),
        storage_throughput=dict(type="int"),
        kms_key_id=dict(type="str"),
        multi_az=dict(type="bool"),
        db_subnet_group_name=dict(type="str"),
        vpc_security_group_ids=dict(type="list", elements="str"),
        db_parameter_group_name=dict(type="str"),
        port=dict(type="int"),
        db_name=dict(type="str"),
        master_username=dict(type="str"),
        manage_master_user_password=dict(type="bool", default=True),
        master_user_secret_kms_key_id=dict(type="str"),
        backup_retention_period=dict(type="int"),
        preferred_backup_window=dict(type="str"),
        preferred_maintenance_window=dict(type="str"),
        enable_performance_insights=dict(type="bool"),
        performance_insights_kms_key_id=dict(type="str"),
        performance_insights_retention_period=dict(type="int"),
        monitoring_interval=dict(type="int", choices=[0, 1, 5, 10, 15, 30, 60]),
        monitoring_role_arn=dict(type="str"),
        enable_cloudwatch_logs_exports=dict(type="list", elements="str"),
        deletion_protection=dict(type="bool"),
        copy_tags_to_snapshot=dict(type="bool"),
        auto_minor_version_upgrade=dict(type="bool"),
        publicly_accessible=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        apply_immediately=dict(type="bool", default=True),
        skip_final_snapshot=dict(type="bool", default=False),
        final_snapshot_identifier=dict(type="str"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=3600),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    validate(module)
    params = module.params
    client = module.client("rds")
    keys = KeyMatcher(module)
    extra = {}

    try:
        before = describe_db_instance(client, params["db_instance_identifier"])
        before = normalize_db_instance(before) if before else None
        if params["state"] == "absent":
            changed, after, changes, extra = ensure_absent(module, client, before, params)
        elif before is None:
            changed, after, changes = ensure_created(module, client, params, keys)
        else:
            changed, after, changes = ensure_updated(module, client, before, params, keys)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)

    result = dict(changed=changed, db_instance=after, changes=changes, **extra)
    if module._diff:
        result["diff"] = {"before": managed_view(before), "after": managed_view(after)}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
