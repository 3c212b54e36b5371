"""Quality gate: ansible-lint, profile `production`, on the whole project (STYLE.md item 19).

The configuration is .ansible-lint at the repository root (profile, strict, offline, exclusions). The gate runs
`ansible-lint --offline` from the root with ANSIBLE_COLLECTIONS_PATH=<repo>/build, where scripts/setup.sh
links the checkout as strata.platform, and fails with ansible-lint's report if it finds anything: with
`strict: true` a warning fails it too. Alone: `make lint`.
"""

import textwrap

import pytest
from _gates import report, run_ansible_lint

CLEAN_SUMMARY = "0 failure(s), 0 warning(s)"


def test_ansible_lint_reports_nothing():
    result = run_ansible_lint()
    if result.returncode != 0 or CLEAN_SUMMARY not in result.stdout:
        pytest.fail(report("ansible-lint", result), pytrace=False)


def test_ansible_lint_gate_fails_on_a_bad_playbook(tmp_path):
    """The same helper flags a playbook that breaks production-profile rules (the gate can fail)."""
    playbook = tmp_path / "bad_playbook.yml"
    playbook.write_text(
        textwrap.dedent(
            """\
            - hosts: localhost
              tasks:
                - shell: echo hello
                  become: yes
            """
        )
    )
    result = run_ansible_lint(playbook)
    missing = [
        rule
        for rule in ("name[play]", "fqcn[action-core]", "name[missing]", "no-changed-when", "yaml[truthy]")
        if rule not in result.stdout
    ]
    if result.returncode == 0 or missing:
        pytest.fail(f"expected a failure naming {missing or 'the rules'}\n" + report("ansible-lint", result), pytrace=False)


def test_ansible_lint_gate_passes_a_clean_playbook(tmp_path):
    """Control for the test above: through the same helper, a playbook that follows the rules passes."""
    playbook = tmp_path / "good_playbook.yml"
    playbook.write_text(
        textwrap.dedent(
            """\
            ---
            - name: Say hello on the controller
              hosts: localhost
              gather_facts: false
              tasks:
                - name: Print a greeting
                  ansible.builtin.debug:
                    msg: hello
            """
        )
    )
    result = run_ansible_lint(playbook)
    if result.returncode != 0:
        pytest.fail(report("ansible-lint on a clean playbook", result), pytrace=False)
