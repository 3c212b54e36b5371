"""The network layer on AWS: NAT policy and zone changes in place, foreign resources kept by the teardown, bad
inventories, the built collection, contract-only inventories. dev's whole cycle (plan, converge, re-run, check on
the converged state, teardown and its re-run) is proven with the data stores by test_data_stores_aws.py, and
prod's three regions (per-AZ NAT, flow logs, one IAM role set per region, teardown needing confirmation) by
test_site_multicloud.py: each converges its environment once for all its layers."""

import glob
import os
import subprocess
import sys

import pytest

from aws_helpers import assert_network, owned, vpc_of

pytestmark = pytest.mark.integration

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

DEV = "dev-aws-us-east-1"


@pytest.mark.cost(100)  # seconds in CI: dealt out first (tests/conftest.py)
def test_dev_nat_policy_and_zone_changes_in_place(run_playbook, aws):
    ec2 = aws("ec2", "us-east-1")
    two_zones = {"platform_availability_zones": ["us-east-1a", "us-east-1b"]}
    assert run_playbook("strata.platform.network", "dev", extra_vars=two_zones).rc == 0
    before = assert_network(ec2, vpc_of(ec2, "dev", "us-east-1"), "10.10.0.0/16",
                            ["us-east-1a", "us-east-1b"], "none", False)

    # Adding a zone and switching to one NAT: existing subnets stay where they are.
    single = {"platform_availability_zones": ["us-east-1a", "us-east-1b", "us-east-1c"], "network_nat_mode": "single"}
    plan = run_playbook("strata.platform.network", "dev", args=["--check", "--diff"], extra_vars=single)
    assert plan.rc == 0 and plan.requests["mutating"] == 0, str(plan)
    run = run_playbook("strata.platform.network", "dev", extra_vars=single)
    assert run.rc == 0, str(run)
    after = assert_network(ec2, vpc_of(ec2, "dev", "us-east-1"), "10.10.0.0/16",
                           single["platform_availability_zones"], "single", False)
    assert {k: s["SubnetId"] for k, s in before.items()} == {k: after[k]["SubnetId"] for k in before}
    assert run_playbook("strata.platform.network", "dev", extra_vars=single).changed() == 0

    # Back to no NAT: the NAT gateway goes and its Elastic IP is released.
    back = {"platform_availability_zones": single["platform_availability_zones"], "network_nat_mode": "none"}
    assert run_playbook("strata.platform.network", "dev", extra_vars=back).rc == 0
    assert_network(ec2, vpc_of(ec2, "dev", "us-east-1"), "10.10.0.0/16", back["platform_availability_zones"],
                   "none", False)
    assert owned(ec2, "describe_addresses", "Addresses", **{"tag:environment": "dev"}) == []


@pytest.mark.cost(100)  # seconds in CI: dealt out first (tests/conftest.py)
def test_teardown_leaves_foreign_resources_alone(run_playbook, aws):
    ec2 = aws("ec2", "us-east-1")
    foreign = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    foreign_subnet = ec2.create_subnet(VpcId=foreign, CidrBlock="10.99.1.0/24")["Subnet"]["SubnetId"]
    assert run_playbook("strata.platform.network", "dev").rc == 0
    ours = vpc_of(ec2, "dev", "us-east-1")["VpcId"]
    down = run_playbook("strata.platform.teardown", "dev")
    assert down.rc == 0, str(down)
    assert ec2.describe_subnets(SubnetIds=[foreign_subnet])["Subnets"]
    assert ec2.describe_vpcs(VpcIds=[foreign])["Vpcs"]
    assert owned(ec2, "describe_vpcs", "Vpcs", **{"vpc-id": ours}) == []


@pytest.mark.parametrize("problem, variable", [
    ({"platform_network_cidr": "10.40.0.0/16"}, "overlaps"),
    ({"platform_region": "us-east-9"}, "platform_region"),
    ({"platform_network_cidr": "10.10.0.1/16"}, "platform_network_cidr"),
    ({"network_nat_mode": "sometimes"}, "network_nat_mode"),
])
def test_bad_inventory_fails_before_any_call(run_playbook, problem, variable):
    run = run_playbook("strata.platform.site", "dev", "prod", extra_vars=problem)
    assert run.rc != 0
    assert run.requests["total"] == 0, run.requests
    assert variable in run.output
    assert DEV in run.output


def test_built_collection_runs_by_fqcn(run_playbook, tmp_path):
    """ansible-galaxy collection build, install from the tarball, run strata.platform.site from there."""
    galaxy = os.path.join(os.path.dirname(sys.executable), "ansible-galaxy")
    subprocess.run([galaxy, "collection", "build", "--output-path", str(tmp_path), ROOT],
                   check=True, capture_output=True, text=True)
    tarball = glob.glob(str(tmp_path / "strata-platform-*.tar.gz"))
    assert len(tarball) == 1
    installed = tmp_path / "collections"
    # --force: the checkout's ansible.cfg already puts a strata.platform on the collections path.
    subprocess.run([galaxy, "collection", "install", "--offline", "--no-deps", "--force", "-p", str(installed),
                    tarball[0]], check=True, capture_output=True, text=True, cwd=str(tmp_path))
    content = installed / "ansible_collections" / "strata" / "platform"
    assert (content / "playbooks" / "site.yml").is_file()
    assert not (content / "testcloud").exists() and not (content / ".venv").exists()

    run = run_playbook("strata.platform.network", "dev", env={"ANSIBLE_COLLECTIONS_PATH": str(installed)})
    assert run.rc == 0, str(run)
    assert run.changed() > 0


@pytest.mark.parametrize("environment, nats, flow_logs", [("staging", 1, False), ("prod", 3, True)])
def test_contract_only_inventory_gets_the_seed_defaults(run_playbook, tmp_path, environment, nats, flow_logs):
    """A new inventory with only the contract variables: the collection brings the environment's seed."""
    host = f"{environment}-aws-us-west-2"
    (tmp_path / "hosts.yml").write_text(
        f"{environment}:\n  hosts:\n    {host}:\n"
        f"      platform_name: acme\n      platform_environment: {environment}\n"
        f"      platform_cloud: aws\n      platform_region: us-west-2\n      platform_network_cidr: 10.77.0.0/16\n"
        f"aws:\n  hosts:\n    {host}:\n"
    )
    plan = run_playbook("strata.platform.network", str(tmp_path), args=["--check"])
    assert plan.rc == 0, str(plan)
    assert plan.requests["mutating"] == 0
    [(_h, nat)] = plan.task_results("Ensure the NAT gateways")
    assert len(nat["nat_gateways"]) == nats
    [(_h, flow)] = plan.task_results("Ensure the VPC flow logs")
    assert flow.get("skipped", False) is not flow_logs
