"""RDS reports and checks the parameters of a PostgreSQL DB parameter group family.

AWS: a DB parameter group holds every parameter of its family. DescribeDBParameters answers each with
its value (if any), ``Source`` (``engine-default``, ``system`` or ``user``), ``ApplyType`` (``dynamic`` /
``static``), ``DataType``, ``AllowedValues``, ``IsModifiable`` and ``ApplyMethod``; ``Source=user``
selects the ones set in the group; results come in pages (``MaxRecords`` 20 to 100, default 100,
``Marker``). DescribeEngineDefaultParameters answers a family's parameters the same way (in
``EngineDefaults``); an unknown family is ``InvalidParameterValue``. ModifyDBParameterGroup takes at
most 20 parameters and refuses unknown names ("Could not find parameter with name: ..."),
non-modifiable parameters, values outside ``AllowedValues``, ``ApplyMethod=immediate`` for a static
parameter (``InvalidParameterCombination``) and any change of a ``default.*`` group.
ResetDBParameterGroup restores defaults: all of them (``ResetAllParameters``) or up to 20 named ones.
CreateDBParameterGroup refuses a family that does not exist ("ParameterGroupFamily postgres99 is not
a valid parameter group family").

moto 5.2.5: DescribeDBParameters answers only the parameters set in the group, without ``Source``,
``ApplyType`` or any other metadata, ignores ``Source`` and pages; ModifyDBParameterGroup accepts any
name, value and number of parameters; DescribeEngineDefaultParameters and ResetDBParameterGroup are
not implemented (HTTP 500); any family is accepted. A module cannot pick the apply method a parameter
needs, nor find a typo, nor reset a parameter.

The test cloud knows the PostgreSQL families ``postgres9.6`` to ``postgres17`` with the parameters
below (the ones the collection sets, plus static, non-modifiable and formula-valued examples); groups
of other engines keep moto's behaviour (their set parameters, reported as ``Source: user``).
"""

import re

from moto.core.responses import ActionResult
from moto.rds.exceptions import DBParameterGroupNotFoundError
from moto.rds.exceptions import InvalidParameterCombination
from moto.rds.exceptions import InvalidParameterValue
from moto.rds.models import RDSBackend
from moto.rds.responses import RDSResponse

from testcloud.aws_patches._patching import wrap_method

PATCH_NAME = __name__.rsplit(".", 1)[-1]
MARKER = "_testcloud_rds_db_parameters"
POSTGRES_FAMILY = re.compile(r"^postgres(9\.6|1[0-7])$")
MAX_PARAMETERS_PER_REQUEST = 20
LIBRARIES = "auto_explain,orafce,pg_cron,pg_hint_plan,pg_prewarm,pg_similarity,pg_stat_statements,pgaudit,plprofiler"
# name -> (default value or None, source, data type, allowed values, apply type, modifiable, description)
POSTGRES_PARAMETERS = {
    "archive_command": (
        "/etc/rds/dbbin/pgscripts/rds_wal_archive %p", "system", "string", None, "dynamic", False,
        "Sets the shell command that will be called to archive a WAL file.",
    ),
    "autovacuum": ("1", "engine-default", "boolean", "0,1", "dynamic", True, "Starts the autovacuum subprocess."),
    "autovacuum_max_workers": (
        "GREATEST({DBInstanceClassMemory/64371566592},3)", "engine-default", "integer", "1-262143", "static", True,
        "Sets the maximum number of simultaneously running autovacuum worker processes.",
    ),
    "checkpoint_timeout": (
        "300", "engine-default", "integer", "30-86400", "dynamic", True,
        "Sets the maximum time between automatic WAL checkpoints.",
    ),
    "deadlock_timeout": ("1000", "engine-default", "integer", "1-2147483647", "dynamic", True, "Sets the time to wait on a lock before checking for deadlock."),
    "default_statistics_target": (None, "engine-default", "integer", "1-10000", "dynamic", True, "Sets the default statistics target."),
    "effective_cache_size": (
        "{DBInstanceClassMemory/16384}", "engine-default", "integer", "1-2147483647", "dynamic", True,
        "Sets the planner's assumption about the size of the disk cache.",
    ),
    "idle_in_transaction_session_timeout": (
        "86400000", "engine-default", "integer", "0-2147483647", "dynamic", True,
        "Sets the maximum allowed duration of any idling transaction.",
    ),
    "log_connections": (None, "engine-default", "boolean", "0,1", "dynamic", True, "Logs each successful connection."),
    "log_disconnections": (None, "engine-default", "boolean", "0,1", "dynamic", True, "Logs end of a session."),
    "lock_timeout": (None, "engine-default", "integer", "0-2147483647", "dynamic", True, "Sets the maximum allowed duration of any wait for a lock."),
    "log_autovacuum_min_duration": (
        "10000", "engine-default", "integer", "-1-2147483647", "dynamic", True,
        "Sets the minimum execution time above which autovacuum actions will be logged.",
    ),
    "log_lock_waits": (None, "engine-default", "boolean", "0,1", "dynamic", True, "Logs long lock waits."),
    "log_min_duration_statement": (
        None, "engine-default", "integer", "-1-2147483647", "dynamic", True,
        "Sets the minimum execution time above which statements will be logged.",
    ),
    "log_statement": (None, "engine-default", "string", "none,ddl,mod,all", "dynamic", True, "Sets the type of statements logged."),
    "log_temp_files": (
        None, "engine-default", "integer", "-1-2147483647", "dynamic", True,
        "Log the use of temporary files larger than this number of kilobytes.",
    ),
    "maintenance_work_mem": (
        "GREATEST({DBInstanceClassMemory*1024/63963136},65536)", "engine-default", "integer", "1024-2147483647",
        "dynamic", True, "Sets the maximum memory to be used for maintenance operations.",
    ),
    "max_connections": (
        "LEAST({DBInstanceClassMemory/9531392},5000)", "engine-default", "integer", "6-262143", "static", True,
        "Sets the maximum number of concurrent connections.",
    ),
    "max_wal_size": ("2048", "engine-default", "integer", "128-2147483647", "dynamic", True, "Sets the WAL size that triggers a checkpoint."),
    "pg_stat_statements.track": (
        None, "engine-default", "string", "none,top,all", "dynamic", True,
        "Selects which statements are tracked by pg_stat_statements.",
    ),
    "port": ("{EndPointPort}", "system", "integer", "1-65535", "static", False, "Sets the TCP port the server listens on."),
    "random_page_cost": (
        None, "engine-default", "float", "0-2147483647", "dynamic", True,
        "Sets the planner's estimate of the cost of a nonsequentially fetched disk page.",
    ),
    "rds.force_ssl": ("1", "engine-default", "boolean", "0,1", "dynamic", True, "Force SSL connections."),
    "rds.logical_replication": ("0", "engine-default", "boolean", "0,1", "static", True, "Enables logical decoding."),
    "shared_buffers": (
        "{DBInstanceClassMemory/32768}", "engine-default", "integer", "16-1073741823", "static", True,
        "Sets the number of shared memory buffers used by the server.",
    ),
    "shared_preload_libraries": (
        "pg_stat_statements", "engine-default", "list", LIBRARIES, "static", True,
        "Lists shared libraries to preload into server.",
    ),
    "statement_timeout": (
        None, "engine-default", "integer", "0-2147483647", "dynamic", True,
        "Sets the maximum allowed duration of any statement.",
    ),
    "temp_file_limit": (
        None, "engine-default", "integer", "-1-2147483647", "dynamic", True,
        "Limits the total size of all temporary files used by each session.",
    ),
    "timezone": ("UTC", "engine-default", "string", None, "dynamic", True, "Sets the time zone for displaying and interpreting time stamps."),
    "track_io_timing": ("1", "engine-default", "boolean", "0,1", "dynamic", True, "Collects timing statistics for database I/O activity."),
    "wal_buffers": (None, "engine-default", "integer", "-1-262143", "static", True, "Sets the number of disk-page buffers in shared memory for WAL."),
    "work_mem": (None, "engine-default", "integer", "64-2147483647", "dynamic", True, "Sets the maximum memory to be used for query workspaces."),
}


def family_parameters(family):
    """The parameter catalogue of a PostgreSQL ``family``; None for another engine's family (moto's behaviour).

    Raises ``InvalidParameterValue`` for a ``postgres...`` family that does not exist.
    """
    if not (family or "").startswith("postgres"):
        return None
    if not POSTGRES_FAMILY.match(family):
        raise InvalidParameterValue(f"ParameterGroupFamily {family} is not a valid parameter group family")
    catalogue = dict(POSTGRES_PARAMETERS)
    if family in ("postgres9.6", "postgres10", "postgres11", "postgres12", "postgres13", "postgres14"):
        catalogue["rds.force_ssl"] = ("0",) + catalogue["rds.force_ssl"][1:]
    return catalogue


def _row(name, meta, user=None):
    default, source, data_type, allowed, apply_type, modifiable, description = meta
    row = {
        "ParameterName": name,
        "Description": description,
        "Source": source,
        "ApplyType": apply_type,
        "DataType": data_type,
        "IsModifiable": modifiable,
        "ApplyMethod": "pending-reboot",
    }
    if allowed is not None:
        row["AllowedValues"] = allowed
    value = default
    if user is not None:
        row["Source"] = "user"
        row["ApplyMethod"] = user.get("ApplyMethod") or "pending-reboot"
        value = user.get("ParameterValue")
    if value is not None:
        row["ParameterValue"] = value
    return row


def group_rows(group):
    """Every parameter of ``group`` as DescribeDBParameters reports it, sorted by name."""
    catalogue = family_parameters(group.family)
    if catalogue is None:
        return [dict(user, Source="user") for _name, user in sorted(group.parameters.items())]
    return [_row(name, meta, group.parameters.get(name)) for name, meta in sorted(catalogue.items())]


def page(rows, max_records, marker):
    """``(rows of this page, next marker or None)`` with AWS's MaxRecords bounds."""
    size = 100 if max_records in (None, "") else int(max_records)
    if not 20 <= size <= 100:
        raise InvalidParameterValue(f"Invalid value {size} for MaxRecords. Must be between 20 and 100")
    try:
        start = int(marker or 0)
    except ValueError:
        raise InvalidParameterValue(f"Invalid marker: {marker}") from None
    end = start + size
    return rows[start:end], (str(end) if end < len(rows) else None)


def _allowed(value, data_type, allowed):
    """Whether ``value`` is within ``allowed`` (checked for booleans, enumerations and plain integers)."""
    if allowed is None or value is None:
        return True
    if data_type == "integer":
        if not re.fullmatch(r"-?[0-9]+", value):
            return "{" in value  # formulas such as {DBInstanceClassMemory/32768}
        number = int(value)
        for part in allowed.split(","):
            bounds = re.fullmatch(r"(-?[0-9]+)-(-?[0-9]+)", part)
            if bounds and int(bounds.group(1)) <= number <= int(bounds.group(2)):
                return True
            if not bounds and part == value:
                return True
        return False
    if data_type in ("boolean", "string"):
        return value in allowed.split(",")
    if data_type == "list":
        return all(item.strip() in allowed.split(",") for item in value.split(","))
    return True


def check_count(parameters):
    """At most 20 parameters in one ModifyDBParameterGroup / ResetDBParameterGroup request."""
    if len(parameters) > MAX_PARAMETERS_PER_REQUEST:
        raise InvalidParameterValue(
            f"Too many parameters ({len(parameters)}): a maximum of {MAX_PARAMETERS_PER_REQUEST} can be modified "
            "in a single request"
        )


def check_parameters(group, parameters, check_values):
    """AWS's checks of ModifyDBParameterGroup / ResetDBParameterGroup for a PostgreSQL group."""
    if group.name.startswith("default."):
        raise InvalidParameterValue("Cannot modify a default parameter group.")
    catalogue = family_parameters(group.family)
    if catalogue is None:
        return
    for parameter in parameters:
        name = parameter.get("ParameterName")
        if name not in catalogue:
            raise InvalidParameterValue(f"Could not find parameter with name: {name}")
        _default, _source, data_type, allowed, apply_type, modifiable, _description = catalogue[name]
        if not modifiable:
            raise InvalidParameterValue(f"The parameter {name} cannot be modified.")
        if parameter.get("ApplyMethod") == "immediate" and apply_type == "static":
            raise InvalidParameterCombination("cannot use immediate apply method for static parameter")
        value = parameter.get("ParameterValue")
        if check_values and not _allowed(value, data_type, allowed):
            raise InvalidParameterValue(f"Value: {value} is outside of range {allowed} for parameter: {name}")


def _group(backend, name):
    groups = backend.describe_db_parameter_groups({"db_parameter_group_name": name})
    if not groups:
        raise DBParameterGroupNotFoundError(name)
    return groups[0]


def _describe_parameters(self):
    group = _group(self.backend, self._get_param("DBParameterGroupName"))
    source = self._get_param("Source")
    rows = [row for row in group_rows(group) if not source or row["Source"] == source]
    rows, marker = page(rows, self._get_param("MaxRecords"), self._get_param("Marker"))
    result = {"Parameters": rows}
    if marker:
        result["Marker"] = marker
    return ActionResult(result)


def _engine_defaults(self):
    family = self._get_param("DBParameterGroupFamily")
    catalogue = family_parameters(family)
    if catalogue is None:
        raise InvalidParameterValue(f"The test cloud knows the engine defaults of PostgreSQL families only, not {family}")
    rows = [_row(name, meta) for name, meta in sorted(catalogue.items())]
    rows, marker = page(rows, self._get_param("MaxRecords"), self._get_param("Marker"))
    defaults = {"DBParameterGroupFamily": family, "Parameters": rows}
    if marker:
        defaults["Marker"] = marker
    return ActionResult({"EngineDefaults": defaults})


def _reset(self):
    group = _group(self.backend, self._get_param("DBParameterGroupName"))
    parameters = [dict(item.original_dict()) for item in self._get_param("Parameters", []) or []]
    if self._get_param("ResetAllParameters") in (True, "true"):
        check_parameters(group, [], check_values=False)
        group.parameters.clear()
    elif not parameters:
        raise InvalidParameterCombination("Either ResetAllParameters or Parameters must be specified")
    else:
        check_count(parameters)
        check_parameters(group, parameters, check_values=False)
        for parameter in parameters:
            group.parameters.pop(parameter["ParameterName"], None)
    return ActionResult({"DBParameterGroupName": group.name})


def _make_modify_wrapper(original):
    def modify_db_parameter_group(self, db_parameter_group_name, db_parameter_group_parameters):
        group = _group(self, db_parameter_group_name)
        parameters = list(db_parameter_group_parameters)
        check_parameters(group, parameters, check_values=True)
        return original(self, group.name, parameters)

    return modify_db_parameter_group


def _make_modify_response_wrapper(original):
    # The request limit applies to the API only (CopyDBParameterGroup copies any number through the backend).
    def modify_db_parameter_group(self):
        check_count(self._get_param("Parameters", []) or [])
        return original(self)

    return modify_db_parameter_group


def _make_create_wrapper(original):
    def create_db_parameter_group(self, db_parameter_group_kwargs):
        family_parameters(db_parameter_group_kwargs.get("db_parameter_group_family"))
        return original(self, db_parameter_group_kwargs)

    return create_db_parameter_group


def apply():
    """Replace DescribeDBParameters, add DescribeEngineDefaultParameters and ResetDBParameterGroup, check
    ModifyDBParameterGroup and CreateDBParameterGroup."""
    created = wrap_method(RDSBackend, "create_db_parameter_group", PATCH_NAME, _make_create_wrapper)
    modified = wrap_method(RDSBackend, "modify_db_parameter_group", PATCH_NAME, _make_modify_wrapper)
    limited = wrap_method(RDSResponse, "modify_db_parameter_group", PATCH_NAME, _make_modify_response_wrapper)
    if getattr(RDSResponse, MARKER, False):
        return created or modified or limited
    RDSResponse.describe_db_parameters = _describe_parameters
    RDSResponse.describe_engine_default_parameters = _engine_defaults
    RDSResponse.reset_db_parameter_group = _reset
    setattr(RDSResponse, MARKER, True)
    return True
