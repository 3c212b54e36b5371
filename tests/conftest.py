"""Shared pytest set-up: make the checkout importable as ansible_collections.strata.platform."""

import os
import sys

pytest_plugins = ["testcloud.pytest_plugin"]  # aws_testcloud / aws_cloud / aws_cloud_env fixtures

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, "build")

if not os.path.isdir(os.path.join(COLLECTIONS, "ansible_collections", "strata", "platform")):
    raise RuntimeError("build/ansible_collections/strata/platform is missing: run scripts/setup.sh (make setup)")

# The checkout (through the link) and the collections bundled with ansible both live under
# `ansible_collections`; install Ansible's collection finder so both resolve like they do at run time.
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder  # noqa: E402

_finder = _AnsibleCollectionFinder(paths=[COLLECTIONS], scan_sys_paths=True)
_finder._install()

if ROOT not in sys.path:
    sys.path.insert(0, ROOT)  # the testcloud package


# Scheduling. The playbook-driven tests (integration, Molecule, quality) take from seconds to many minutes,
# the rest well under a second, and the suite's wall time is that of its busiest worker. pytest-xdist's
# worksteal gives each worker a contiguous slice of the collection first, runs each slice in order, and lets an
# idle worker steal the *tail* of the longest queue. So the order below is: the slow tests dealt out across the
# workers' slices by expected cost (longest first, each to the slice with the least work so far), each slice
# starting with its slow tests, then the fast tests filling the slices. Without it, every slow test sat in the
# first worker's slice and the long ones started late. Expected costs: `@pytest.mark.cost(seconds)` on the
# expensive tests (seconds of a CI run), else a default per directory.
DEFAULT_COST = {"integration": 30, "molecule": 150, "quality": 100}
SLOW_MARKER_COST = 60


def expected_cost(item):
    """Seconds this test is expected to take (0: fast)."""
    marker = item.get_closest_marker("cost")
    if marker is not None:
        return marker.args[0]
    directory = os.path.relpath(str(item.path), os.path.join(ROOT, "tests")).split(os.sep)[0]
    if directory in DEFAULT_COST:
        return DEFAULT_COST[directory]
    return SLOW_MARKER_COST if item.get_closest_marker("slow") is not None else 0


def xdist_slice_sizes(count, workers):
    """The sizes of the slices worksteal hands out first: each idle worker gets len(pending) // workers left."""
    sizes = []
    for index in range(workers):
        sizes.append(count // (workers - index))
        count -= sizes[-1]
    return sizes


def pytest_collection_modifyitems(session, config, items):
    """Deal the slow tests across the workers' first slices (see above); the same order on every worker."""
    workers = max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    costs = {item.nodeid: expected_cost(item) for item in items}
    slow = sorted((item for item in items if costs[item.nodeid]), key=lambda item: -costs[item.nodeid])  # stable
    fast = iter([item for item in items if not costs[item.nodeid]])
    sizes = xdist_slice_sizes(len(items), workers)
    slices, load = [[] for size in sizes], [0] * len(sizes)
    for item in slow:
        index = min((i for i in range(len(sizes)) if len(slices[i]) < sizes[i]), key=lambda i: (load[i], i))
        slices[index].append(item)
        load[index] += costs[item.nodeid]
    for index, size in enumerate(sizes):
        while len(slices[index]) < size:
            slices[index].append(next(fast))
    items[:] = [item for piece in slices for item in piece]
