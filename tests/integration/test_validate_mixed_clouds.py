"""The CIDR overlap check of strata.platform.validate over inventories that mix AWS and Azure targets of several
environments: an Azure VNet that overlaps an AWS VPC of another environment stops every target before any API
call on either cloud, naming both hosts and the fix; clean mixed inventories pass, also without any call."""

import pytest

pytestmark = pytest.mark.integration

FIX = "give one of them a block that does not overlap"


def inventory(directory, environment, hosts):
    """An inventory folder for one environment: ``hosts`` is {host: cidr}; the cloud and region come from the
    host name (<environment>-<cloud>-<region>)."""
    directory.mkdir()
    lines = [f"{environment}:", "  hosts:"]
    for host, cidr in hosts.items():
        region = host.split("-", 2)[2]
        lines += [f"    {host}:", f"      platform_region: {region}", f"      platform_network_cidr: {cidr}"]
    lines += ["  vars:", "    ansible_connection: local", "    platform_name: fsm", f"    platform_environment: {environment}"]
    for cloud in ("aws", "azure"):
        members = [host for host in hosts if host.split("-")[1] == cloud]
        if members:
            lines += [f"{cloud}:", "  hosts:", *[f"    {host}:" for host in members], "  vars:", f"    platform_cloud: {cloud}"]
    (directory / "hosts.yml").write_text("\n".join(lines) + "\n")
    return str(directory)


def mixed(tmp_path, azure_prod_cidr):
    """dev (AWS us-east-1 10.10.0.0/16, Azure eastus 10.110.0.0/16) and prod (AWS us-east-1 10.40.0.0/16, Azure
    eastus ``azure_prod_cidr``), each environment in its own inventory folder, loaded together."""
    dev = inventory(tmp_path / "dev", "dev", {"dev-aws-us-east-1": "10.10.0.0/16", "dev-azure-eastus": "10.110.0.0/16"})
    prod = inventory(tmp_path / "prod", "prod", {"prod-aws-us-east-1": "10.40.0.0/16", "prod-azure-eastus": azure_prod_cidr})
    return dev, prod


def assert_no_request(run):
    assert run.requests["total"] == 0, run.requests["by_action"]
    assert run.azure_requests["total"] == 0, run.azure_requests["by_action"]


def overlap(host, cidr, other, other_cidr):
    """The validate step's sentence for one overlapping pair (host before other by name)."""
    return f"{host} (platform_network_cidr={cidr}) overlaps {other} ({other_cidr}): {FIX}"


@pytest.mark.parametrize("azure_prod_cidr, pairs", [
    # prod's Azure VNet inside dev's AWS VPC
    ("10.10.128.0/17", [("dev-aws-us-east-1", "10.10.0.0/16")]),
    # prod's Azure VNet around dev's AWS VPC and prod's own AWS VPC (10.0.0.0-10.63.255.255), not dev's Azure VNet
    ("10.0.0.0/10", [("dev-aws-us-east-1", "10.10.0.0/16"), ("prod-aws-us-east-1", "10.40.0.0/16")]),
])
def test_an_azure_vnet_over_an_aws_vpc_of_another_environment_stops_everything(
        run_playbook_multicloud, tmp_path, azure_prod_cidr, pairs):
    run = run_playbook_multicloud("strata.platform.validate", *mixed(tmp_path, azure_prod_cidr))
    assert run.rc != 0
    assert_no_request(run)
    for host, cidr in pairs:
        assert overlap(host, cidr, "prod-azure-eastus", azure_prod_cidr) in run.output, run.failures()
    # Every host of a pair fails naming the other; any_errors_fatal stops the others (both clouds) with them.
    failed = run.failed_hosts()
    assert set(failed) == {"prod-azure-eastus", *(host for host, _cidr in pairs)}, failed
    assert "dev-azure-eastus" not in run.failures(), "the clean Azure target is in no pair"
    for host, stats in run.stats.items():
        if host not in failed:
            assert stats.get("changed", 0) == 0 and stats.get("failures", 0) == 0, (host, stats)


def test_a_clean_mixed_inventory_passes_without_any_call(run_playbook_multicloud, tmp_path):
    run = run_playbook_multicloud("strata.platform.validate", *mixed(tmp_path, "10.140.0.0/16"))
    assert run.rc == 0, run
    assert_no_request(run)
    assert sorted(run.stats) == ["dev-aws-us-east-1", "dev-azure-eastus", "prod-aws-us-east-1", "prod-azure-eastus"]


def test_every_shipped_inventory_together_passes_without_any_call(run_playbook_multicloud):
    """The four environments of the collection (prod has AWS and Azure targets) loaded at once."""
    run = run_playbook_multicloud("strata.platform.validate", "dev", "staging", "uat", "prod")
    assert run.rc == 0, run
    assert_no_request(run)
    assert {"prod-azure-eastus", "prod-azure-westeurope", "prod-aws-us-east-1", "dev-aws-us-east-1"} <= set(run.stats)
