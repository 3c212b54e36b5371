"""ElastiCache cache parameter groups: Create/Describe/Modify/Reset/Delete, their parameters, the engine
defaults and tags.

AWS: a cache parameter group is a named set of engine parameters of one family (``redis7``, ...),
created with the family's defaults (``Source: system``). DescribeCacheParameterGroups lists the
account's groups and the read-only ``default.<family>`` ones; DescribeCacheParameters answers each
parameter with its value, data type, allowed values and whether it is modifiable; ModifyCacheParameterGroup
sets values (``Source: user``); DescribeEngineDefaultParameters answers a family's parameters
(``EngineDefaults``), after checking name, modifiability and allowed values (errors:
``InvalidParameterValue``); ResetCacheParameterGroup restores defaults; DeleteCacheParameterGroup
refuses a group a replication group uses (``InvalidCacheParameterGroupState``) and default groups.
Unknown names are ``CacheParameterGroupNotFound``, duplicates ``CacheParameterGroupAlreadyExists``.
The ARN ``arn:aws:elasticache:<region>:<account>:parametergroup:<name>`` takes tags.

moto 5.2.5: none of these calls exists (HTTP 500), and its ARN check refuses ``parametergroup`` ARNs
in ListTagsForResource. The test cloud keeps groups in memory per account and region (cleared by a
moto reset, like every backend), with the Redis 7 parameters the collection manages or reads.
"""

import re

from moto.core.responses import ActionResult, EmptyResult
from moto.elasticache.exceptions import ElastiCacheException
from moto.elasticache.models import ElastiCacheBackend
from moto.elasticache.responses import ElastiCacheResponse
from moto.utilities.utils import get_partition

from testcloud.aws_patches._patching import wrap_method

MARKER = "_testcloud_cache_parameter_groups"
PATCH_NAME = __name__.rsplit(".", 1)[-1]
STORE = "_testcloud_parameter_groups"
FAMILIES = ("redis6.x", "redis7", "valkey7", "valkey8")
EVICTION_POLICIES = (
    "volatile-lru,allkeys-lru,volatile-lfu,allkeys-lfu,volatile-random,allkeys-random,volatile-ttl,noeviction"
)
# name -> (default, data type, allowed values, modifiable, change type, description)
PARAMETERS = {
    "maxmemory-policy": ("volatile-lru", "string", EVICTION_POLICIES, True, "immediate", "Max memory policy."),
    "maxmemory-samples": ("3", "integer", "1-", True, "immediate", "Max memory samples."),
    "timeout": ("0", "integer", "0,20-", True, "immediate", "Close idle client connections after N seconds."),
    "tcp-keepalive": ("300", "integer", "0-", True, "immediate", "TCP keepalive in seconds."),
    "notify-keyspace-events": ("", "string", None, True, "immediate", "Keyspace notifications."),
    "databases": ("16", "integer", "1-1200000", True, "requires-reboot", "Number of databases."),
    "activedefrag": ("no", "string", "yes,no", True, "immediate", "Active defragmentation."),
    "lazyfree-lazy-eviction": ("no", "string", "yes,no", True, "immediate", "Asynchronous eviction."),
    "reserved-memory-percent": ("25", "integer", "0-100", True, "immediate", "Memory reserved for non-data use."),
    "cluster-enabled": ("no", "string", "yes,no", True, "requires-reboot", "Cluster mode."),
    "lua-time-limit": ("5000", "integer", "5000", False, "immediate", "Lua script time limit (ms)."),
}
NAME_PATTERN = re.compile(r"^[a-zA-Z][a-zA-Z0-9]*(-[a-zA-Z0-9]+)*$")


class CacheParameterGroupNotFound(ElastiCacheException):
    code = "CacheParameterGroupNotFound"

    def __init__(self, name):
        super().__init__(f"CacheParameterGroup {name} not found.")


class CacheParameterGroupAlreadyExists(ElastiCacheException):
    code = "CacheParameterGroupAlreadyExists"

    def __init__(self, name):
        super().__init__(f"Parameter group {name} already exists.")


class InvalidCacheParameterGroupState(ElastiCacheException):
    code = "InvalidCacheParameterGroupState"


class InvalidParameterValue(ElastiCacheException):
    code = "InvalidParameterValue"


class ParameterGroup:
    """One cache parameter group with its current values."""

    def __init__(self, backend, name, family, description, is_default=False):
        self.name = name
        self.family = family
        self.description = description
        self.is_default = is_default
        self.values = {}
        self.arn = f"arn:{get_partition(backend.region_name)}:elasticache:{backend.region_name}:{backend.account_id}:parametergroup:{name}"

    def info(self):
        return {
            "CacheParameterGroupName": self.name,
            "CacheParameterGroupFamily": self.family,
            "Description": self.description,
            "IsGlobal": False,
            "ARN": self.arn,
        }

    def parameters(self):
        cluster_on = self.name.endswith(".cluster.on")
        result = []
        for name, (default, data_type, allowed, modifiable, change_type, description) in sorted(PARAMETERS.items()):
            if name == "cluster-enabled" and cluster_on:
                default = "yes"
            value = self.values.get(name, default)
            parameter = {
                "ParameterName": name,
                "ParameterValue": value,
                "Description": description,
                "Source": "user" if name in self.values else "system",
                "DataType": data_type,
                "IsModifiable": modifiable,
                "MinimumEngineVersion": "7.0.0",
                "ChangeType": change_type,
            }
            if allowed is not None:
                parameter["AllowedValues"] = allowed
            result.append(parameter)
        return result


def _allowed(value, data_type, allowed):
    if allowed is None:
        return True
    if data_type == "integer":
        if not re.fullmatch(r"-?[0-9]+", value):
            return False
        number = int(value)
        for part in allowed.split(","):
            low, dash, high = part.partition("-")
            if not dash and int(low) == number:
                return True
            if dash and int(low) <= number and (not high or number <= int(high)):
                return True
        return False
    return value in allowed.split(",")


def _groups(backend):
    store = backend.__dict__.get(STORE)
    if store is None:
        store = {}
        for family in FAMILIES:
            for suffix in ("", ".cluster.on") if family != "redis6.x" else ("",):
                name = f"default.{family}{suffix}"
                store[name] = ParameterGroup(backend, name, family, f"Default parameter group for {family}", True)
        backend.__dict__[STORE] = store
    return store


def _get(backend, name):
    group = _groups(backend).get(name)
    if group is None:
        raise CacheParameterGroupNotFound(name)
    return group


def _create(self):
    backend = self.elasticache_backend
    name = self._get_param("CacheParameterGroupName")
    family = self._get_param("CacheParameterGroupFamily")
    if not name or not NAME_PATTERN.match(name) or len(name) > 255:
        raise InvalidParameterValue(f"Invalid parameter group name: {name}")
    if family not in FAMILIES:
        raise InvalidParameterValue(f"Invalid or unsupported cache parameter group family: {family}")
    groups = _groups(backend)
    if name.lower() in groups:
        raise CacheParameterGroupAlreadyExists(name)
    group = ParameterGroup(backend, name.lower(), family, self._get_param("Description") or "")
    groups[group.name] = group
    tags = self._get_param("Tags", [])
    if tags:
        backend.tagging_service.tag_resource(group.arn, tags)
    return ActionResult({"CacheParameterGroup": group.info()})


def _describe_groups(self):
    backend = self.elasticache_backend
    name = self._get_param("CacheParameterGroupName")
    groups = [_get(backend, name)] if name else list(_groups(backend).values())
    return ActionResult({"CacheParameterGroups": [group.info() for group in groups]})


def _describe_parameters(self):
    group = _get(self.elasticache_backend, self._get_param("CacheParameterGroupName"))
    source = self._get_param("Source")
    parameters = [p for p in group.parameters() if not source or p["Source"] == source]
    return ActionResult({"Parameters": parameters, "CacheNodeTypeSpecificParameters": []})


def _engine_defaults(self):
    family = self._get_param("CacheParameterGroupFamily")
    if family not in FAMILIES:
        raise InvalidParameterValue(f"Invalid or unsupported cache parameter group family: {family}")
    template = ParameterGroup(self.elasticache_backend, f"default.{family}", family, "", True)
    return ActionResult(
        {
            "EngineDefaults": {
                "CacheParameterGroupFamily": family,
                "Parameters": template.parameters(),
                "CacheNodeTypeSpecificParameters": [],
            }
        }
    )


def _name_values(self):
    return [
        (item.get("ParameterName"), item.get("ParameterValue"))
        for item in self._get_param("ParameterNameValues", []) or []
    ]


def _modify(self):
    group = _get(self.elasticache_backend, self._get_param("CacheParameterGroupName"))
    if group.is_default:
        raise InvalidParameterValue(f"Default parameter groups cannot be modified: {group.name}")
    changes = _name_values(self)
    if not changes:
        raise InvalidParameterValue("ParameterNameValues must not be empty")
    for name, value in changes:
        if name not in PARAMETERS:
            raise InvalidParameterValue(f"Unknown parameter: {name}")
        _default, data_type, allowed, modifiable, _change, _desc = PARAMETERS[name]
        if not modifiable:
            raise InvalidParameterValue(f"Parameter {name} is not modifiable")
        if value is None or not _allowed(value, data_type, allowed):
            raise InvalidParameterValue(f"Invalid value for parameter {name}: {value}. Allowed values: {allowed}")
    for name, value in changes:
        group.values[name] = value
    return ActionResult({"CacheParameterGroupName": group.name})


def _reset(self):
    group = _get(self.elasticache_backend, self._get_param("CacheParameterGroupName"))
    if group.is_default:
        raise InvalidParameterValue(f"Default parameter groups cannot be modified: {group.name}")
    if self._get_param("ResetAllParameters") in (True, "true"):
        group.values.clear()
    else:
        for name, _value in _name_values(self):
            group.values.pop(name, None)
    return ActionResult({"CacheParameterGroupName": group.name})


def _delete(self):
    backend = self.elasticache_backend
    group = _get(backend, self._get_param("CacheParameterGroupName"))
    if group.is_default:
        raise InvalidParameterValue(f"Default parameter groups cannot be deleted: {group.name}")
    users = [*backend.cache_clusters.values(), *backend.replication_groups.values()]
    if any(getattr(user, "cache_parameter_group_name", None) == group.name for user in users):
        raise InvalidCacheParameterGroupState(f"Parameter group {group.name} is in use by a cache cluster.")
    del _groups(backend)[group.name]
    backend.tagging_service.delete_all_tags_for_resource(group.arn)
    return EmptyResult()


def _wrap_list_tags(original):
    def list_tags_for_resource(self, arn):
        if re.match(r"^arn:[a-z-]+:elasticache:[^:]*:[0-9]*:parametergroup:", arn or ""):
            return self.tagging_service.list_tags_for_resource(arn)
        return original(self, arn)

    return list_tags_for_resource


def apply():
    """Add the response handlers and let tag calls accept parameter group ARNs."""
    if getattr(ElastiCacheResponse, MARKER, False):
        return False
    ElastiCacheResponse.create_cache_parameter_group = _create
    ElastiCacheResponse.describe_cache_parameter_groups = _describe_groups
    ElastiCacheResponse.describe_cache_parameters = _describe_parameters
    ElastiCacheResponse.describe_engine_default_parameters = _engine_defaults
    ElastiCacheResponse.modify_cache_parameter_group = _modify
    ElastiCacheResponse.reset_cache_parameter_group = _reset
    ElastiCacheResponse.delete_cache_parameter_group = _delete
    wrap_method(ElastiCacheBackend, "list_tags_for_resource", PATCH_NAME, _wrap_list_tags)
    setattr(ElastiCacheResponse, MARKER, True)
    return True
