"""The security_groups and iam layers on an Azure target: bad input fails before any API call.

Their converge, ARM state, outputs, drift and change (plan, apply, no-op re-run), the lower layers found by
azure/find_layers and the iam teardown refused for a foreign identity under its names are proven with ONE
converge of network + security_groups + iam in test_network_azure.py
(test_dev_network_security_groups_iam_converge_drift_change_refusal); the generic cycle on both clouds (plan,
converge, re-run, teardown of only ours) is test_site_multicloud.py's."""

import pytest

pytestmark = pytest.mark.integration

HOST = "dev-azure-eastus"
CIDR = "10.61.0.0/16"


@pytest.fixture
def inventory(tmp_path):
    """A dev Azure target of its own (CIDR 10.61.0.0/16)."""
    directory = tmp_path / "inventory"
    (directory / "group_vars").mkdir(parents=True)
    (directory / "hosts.yml").write_text(f"dev:\n  hosts:\n    {HOST}:\nazure:\n  hosts:\n    {HOST}:\n")
    (directory / "group_vars" / "all.yml").write_text(
        "ansible_connection: local\nplatform_name: fsm\nplatform_environment: dev\nplatform_cloud: azure\n"
        f"platform_region: eastus\nplatform_network_cidr: {CIDR}\nplatform_tags:\n  cost-center: platform-dev\n"
    )
    return str(directory)


def test_bad_input_fails_before_any_call(run_playbook_multicloud, inventory):
    bad_rules = {"security_groups_azure_extra": {"data": {"rules": {
        "allow-internet": {"priority": 100, "destination_ports": 5432, "source": "Internet"},
        "bad-ports": {"priority": 5000, "destination_ports": "70000", "source_subnet": "app"}}}}}
    failed = run_playbook_multicloud("strata.platform.security_groups", inventory, extra_vars=bad_rules)
    assert failed.rc != 0
    assert failed.azure_requests["total"] == 0
    message = failed.failures()
    assert "security_groups_azure_nsgs.data.rules.allow-internet allows Internet" in message
    assert "use source_subnet: app" in message
    assert "security_groups_azure_nsgs.data.rules.allow-internet and rule allow-postgresql-from-app share the Inbound 100 priority" in message
    assert "bad-ports: priority=5000 must be a whole number from 100 to 4096" in message
    assert "destination_ports 70000 is not a port" in message

    privileged = {"iam_azure_extra": {"app": {"role_assignments": [
        {"role": "Owner", "scope": "resource_group"}, {"role": "Reader", "scope": "subnet:db"}]}}}
    failed = run_playbook_multicloud("strata.platform.iam", inventory, extra_vars=privileged)
    assert failed.rc != 0 and failed.azure_requests["total"] == 0
    message = failed.failures()
    assert "iam_azure_identities.app.role_assignments[0]: Owner can change anything" in message
    assert "allow_privileged: true" in message
    assert "scope=subnet:db is not resource_group, subnet:<public|app|data>" in message
