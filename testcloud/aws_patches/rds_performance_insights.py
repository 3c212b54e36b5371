"""A DB instance reports its Performance Insights settings.

AWS: DescribeDBInstances reports ``PerformanceInsightsEnabled`` (``false`` when off) and, when on,
``PerformanceInsightsKMSKeyId`` (the key given, else the account's ``aws/rds`` key) and
``PerformanceInsightsRetentionPeriod`` (the days given, else 7), as set by CreateDBInstance,
CreateDBInstanceReadReplica (a replica has Performance Insights only if asked) and ModifyDBInstance.

moto 5.2.5: CreateDBInstance drops the three parameters and ModifyDBInstance stores
``EnablePerformanceInsights`` under a name it never reports, so ``PerformanceInsightsEnabled`` is never
reported: a module that manages it (``rds_db_instance``) sees a change on every run.
"""

from moto.rds.models import DBInstance
from moto.rds.models import RDSBackend

from testcloud.aws_patches._patching import wrap_method

PATCH_NAME = __name__.rsplit(".", 1)[-1]
MARKER = "_testcloud_performance_insights"
DEFAULT_RETENTION = 7
_ENABLED = "_testcloud_pi_enabled"
_KEY = "_testcloud_pi_kms_key_id"
_RETENTION = "_testcloud_pi_retention_period"
_REQUEST_KEYS = ("enable_performance_insights", "performance_insights_kms_key_id", "performance_insights_retention_period")


def _enabled_get(self):
    return bool(self.__dict__.get(_ENABLED, False))


def _enabled_set(self, value):
    self.__dict__[_ENABLED] = bool(value)


def _key_get(self):
    if not self.performance_insights_enabled:
        return None
    return self.__dict__.get(_KEY) or self.backend.kms.describe_key("alias/aws/rds").arn


def _key_set(self, value):
    if value:
        self.__dict__[_KEY] = value


def _retention_get(self):
    if not self.performance_insights_enabled:
        return None
    return self.__dict__.get(_RETENTION) or DEFAULT_RETENTION


def _retention_set(self, value):
    if value:
        self.__dict__[_RETENTION] = int(value)


def _set_from_request(instance, request):
    """Apply the Performance Insights parameters of a Create/Modify request (snake_case keys)."""
    if request.get("enable_performance_insights") is not None:
        instance.performance_insights_enabled = request["enable_performance_insights"]
    instance.performance_insights_kms_key_id = request.get("performance_insights_kms_key_id")
    instance.performance_insights_retention_period = request.get("performance_insights_retention_period")


def _wrap_init(original):
    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        _set_from_request(self, kwargs)

    return __init__


def _wrap_update(original):
    def update(self, *args, **kwargs):
        request = {key: kwargs.pop(key) for key in _REQUEST_KEYS if key in kwargs}
        original(self, *args, **kwargs)
        _set_from_request(self, request)

    return update


def _wrap_read_replica(original):
    def create_db_instance_read_replica(self, db_kwargs):
        replica = original(self, db_kwargs)
        # The replica is a copy of its source: it starts without the source's settings.
        for name in (_ENABLED, _KEY, _RETENTION):
            replica.__dict__.pop(name, None)
        _set_from_request(replica, db_kwargs)
        return replica

    return create_db_instance_read_replica


def apply():
    """Report the three attributes as properties; record them on create, read-replica create and modify."""
    if getattr(DBInstance, MARKER, False):
        return False
    DBInstance.performance_insights_enabled = property(_enabled_get, _enabled_set, doc="PerformanceInsightsEnabled")
    DBInstance.performance_insights_kms_key_id = property(_key_get, _key_set, doc="PerformanceInsightsKMSKeyId")
    DBInstance.performance_insights_retention_period = property(
        _retention_get, _retention_set, doc="PerformanceInsightsRetentionPeriod"
    )
    wrap_method(DBInstance, "__init__", PATCH_NAME, _wrap_init)
    wrap_method(DBInstance, "update", PATCH_NAME, _wrap_update)
    wrap_method(RDSBackend, "create_db_instance_read_replica", PATCH_NAME, _wrap_read_replica)
    setattr(DBInstance, MARKER, True)
    return True
