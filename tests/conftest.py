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


# Longest first: the playbook-driven tests (integration, Molecule, quality) take from half a minute to
# three minutes each, the rest well under a second. Started first, they overlap each other and the
# short tests fill the gaps (with `--dist worksteal`), instead of one long test running alone at the end.
SLOW_DIRECTORIES = ("integration", "molecule", "quality")


def _is_slow(item):
    parts = os.path.relpath(str(item.path), os.path.join(ROOT, "tests")).split(os.sep)
    return parts[0] in SLOW_DIRECTORIES or item.get_closest_marker("slow") is not None


def _rank(item):
    """0: marked ``first`` (the longest test: with worksteal, the first item goes to a worker that starts it at
    once, instead of after the tests collected before it); 1: slow; 2: the rest."""
    if item.get_closest_marker("first") is not None:
        return 0
    return 1 if _is_slow(item) else 2


def pytest_collection_modifyitems(session, config, items):
    """The longest test first, then the slow tests, then the rest, keeping the order within each group."""
    items.sort(key=_rank)  # stable
