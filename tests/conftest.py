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
