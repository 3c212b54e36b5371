"""Quality gate: `ansible-test sanity --venv --python 3.12` on the collection (STYLE.md item 19).

scripts/sanity.sh does the work (a copy under <tmp>/ansible_collections/strata/platform, the dependencies
linked beside it, the offline get-pip stand-in, cached sanity venvs); see its header. The ignore file is
tests/sanity/ignore-2.21.txt, which stays near empty. Alone: `make sanity` or `scripts/sanity.sh [options]`.

A cold run (no cached venvs) installs every sanity test's requirements from PyPI and takes minutes; a warm
run installs nothing.
"""

import re
import subprocess

import pytest
from _gates import ROOT, report, run_sanity

pytestmark = pytest.mark.slow


def test_ansible_test_sanity_passes():
    result = run_sanity()
    if result.returncode != 0:
        pytest.fail(report("ansible-test sanity", result), pytrace=False)


# A throwaway collection with one module, to prove that the gate fails on a bad module and passes a good one.
PROBE_MODULE = '''\
#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: probe
short_description: Say hello
description:
  - Returns a greeting; exists only to exercise the sanity gate.
author:
  - Strata Platform (@strata)
options:
  name:
    description:
      - Whom to greet.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Greet the world
  strata.platform.probe:
    name: world
"""

RETURN = r"""
greeting:
  description: The greeting.
  returned: always
  type: str
  sample: hello world
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.exit_json(changed=False, greeting=f"hello {module.params['name']}")


if __name__ == "__main__":
    main()
'''

GOOD_SPEC = 'ARGUMENT_SPEC = dict(name=dict(type="str", required=True))\n'
# An option missing from DOCUMENTATION (validate-modules) on a line longer than 160 characters (pep8).
BAD_SPEC = (
    'ARGUMENT_SPEC = dict(name=dict(type="str", required=True), colour=dict(type="str", default="blue", '
    'choices=["blue", "green", "red", "yellow", "cyan", "magenta", "black", "white"]))\n'
)


def make_probe_collection(path, spec):
    """A minimal collection (a git work tree, as scripts/sanity.sh expects) holding the probe module."""
    (path / "meta").mkdir(parents=True)
    (path / "plugins" / "modules").mkdir(parents=True)
    (path / "galaxy.yml").write_text((ROOT / "galaxy.yml").read_text())
    (path / "meta" / "runtime.yml").write_text('---\nrequires_ansible: ">=2.18.0"\n')
    module = PROBE_MODULE.replace(
        "from ansible.module_utils.basic import AnsibleModule\n",
        "from ansible.module_utils.basic import AnsibleModule\n\n" + spec,
    )
    (path / "plugins" / "modules" / "probe.py").write_text(module)
    subprocess.run(["git", "init", "--quiet", str(path)], check=True)
    return path


def test_sanity_gate_fails_on_a_bad_module(tmp_path):
    source = make_probe_collection(tmp_path / "probe", BAD_SPEC)
    result = run_sanity("--test", "validate-modules", "--test", "pep8", source=source)
    expected = [
        r"plugins/modules/probe\.py:0:0: undocumented-parameter: Argument 'colour'",  # validate-modules
        r"plugins/modules/probe\.py:\d+:161: E501: line too long",  # pep8
    ]
    missing = [pattern for pattern in expected if not re.search(pattern, result.stdout)]
    if result.returncode == 0 or missing:
        pytest.fail(f"expected a failure reporting {missing or expected}\n" + report("ansible-test sanity", result), pytrace=False)


def test_sanity_gate_passes_a_good_module(tmp_path):
    """Control for the test above: the same module without the faults passes the same tests."""
    source = make_probe_collection(tmp_path / "probe", GOOD_SPEC)
    result = run_sanity("--test", "validate-modules", "--test", "pep8", source=source)
    if result.returncode != 0:
        pytest.fail(report("ansible-test sanity on a good module", result), pytrace=False)
