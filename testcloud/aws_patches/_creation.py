"""Simulated creation times: how long a new resource reports its "creating" state.

The server reads ``STRATA_TESTCLOUD_CREATE_SECONDS`` (all services) and
``STRATA_TESTCLOUD_CREATE_SECONDS_<SERVICE>`` (``RDS``, ``ELASTICACHE``, ``MSK``; wins over the
former) from its environment at describe time; unset or 0 means immediate (moto's default). The
state is computed from the creation time whenever it is read: no threads, no sleeps.
"""

import os
import time

ENV = "STRATA_TESTCLOUD_CREATE_SECONDS"
SERVICES = ("RDS", "ELASTICACHE", "MSK")


def create_seconds(service, environ=None):
    """Seconds a new ``service`` resource stays in its creating state (0 = immediate)."""
    environ = os.environ if environ is None else environ
    for name in (f"{ENV}_{service.upper()}", ENV):
        value = environ.get(name, "").strip()
        if value:
            return max(0.0, float(value))
    return 0.0


def install_creation_state(owner, attribute, service, creating, ready):
    """Make ``owner.<attribute>`` (a plain instance attribute) report ``creating`` until the
    service's creation time has passed since the object first set it, then ``ready``.

    moto stores either value at creation; any other value (deleting, modifying, ...) is reported
    as stored. Returns True if installed now (False if already installed).
    """
    if isinstance(vars(owner).get(attribute), property):
        return False
    stored = f"_testcloud_{attribute}"
    born = "_testcloud_created_at"

    def getter(self):
        value = self.__dict__.get(stored)
        if value in (creating, ready):
            elapsed = time.monotonic() - self.__dict__.get(born, 0.0)
            return creating if elapsed < create_seconds(service) else ready
        return value

    def setter(self, value):
        self.__dict__.setdefault(born, time.monotonic())
        self.__dict__[stored] = value

    setattr(owner, attribute, property(getter, setter, doc=f"{attribute}, creating for a while ({service})"))
    return True
