"""A gp3 RDS instance reports its baseline ``Iops`` and ``StorageThroughput`` when none were set.

AWS: a gp3 DB instance without provisioned IOPS / throughput reports the baseline: 3000 IOPS and
125 MiB/s below 400 GiB (200 GiB for Oracle), 12000 IOPS and 500 MiB/s from there (SQL Server:
3000 / 125 at any size).

moto 5.2.5: reports neither, so amazon.aws ``rds_instance`` compares the wanted defaults with
nothing and reports (and attempts) a change on every re-run (DESIGN.md).
"""

from moto.rds.models import DBInstance

PATCH_NAME = __name__.rsplit(".", 1)[-1]
MARKER = "_testcloud_gp3_baseline"


def baseline(instance):
    """``(iops, throughput)`` AWS reports for a gp3 instance of this engine and size."""
    engine = instance.engine or ""
    if engine.startswith("sqlserver"):
        return 3000, 125
    threshold = 200 if engine.startswith("oracle") else 400
    if int(instance.allocated_storage or 0) < threshold:
        return 3000, 125
    return 12000, 500


def _is_gp3(instance):
    return getattr(instance, "storage_type", None) == "gp3"


def _iops_get(self):
    value = self.__dict__.get("_testcloud_iops")
    if value is None and _is_gp3(self):
        return baseline(self)[0]
    return value


def _iops_set(self, value):
    self.__dict__["_testcloud_iops"] = value


def _make_throughput(original):
    def throughput_get(self):
        value = original.fget(self)
        if value is None and _is_gp3(self):
            return baseline(self)[1]
        return value

    return property(throughput_get, original.fset, doc=original.__doc__)


def apply():
    """Install ``iops`` as a property and wrap the ``storage_throughput`` property's getter."""
    if getattr(DBInstance, MARKER, False):
        return False
    DBInstance.storage_throughput = _make_throughput(vars(DBInstance)["storage_throughput"])
    DBInstance.iops = property(_iops_get, _iops_set, doc="Provisioned IOPS (gp3: the baseline when unset)")
    setattr(DBInstance, MARKER, True)
    return True
