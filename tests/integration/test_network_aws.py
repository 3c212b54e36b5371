"""The network layer on AWS, end to end: plan, converge, re-run, change, tear down."""


import glob
import os
import subprocess
import sys

import pytest

from ansible_collections.strata.platform.plugins.plugin_utils.cidr import subnet_plan

from aws_helpers import owned, tags

pytestmark = pytest.mark.integration

# site.yml without the data stores (tests/integration/lower_layers.yml): these tests check the lower layers.
LOWER_LAYERS = "tests/integration/lower_layers.yml"

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TIER_TAG = {"public": "public", "app": "private-app", "data": "private-data"}
DEV = "dev-aws-us-east-1"
PROD_AWS = {"prod-aws-us-east-1": ("us-east-1", "10.40.0.0/16"),
            "prod-aws-eu-west-1": ("eu-west-1", "10.41.0.0/16"),
            "prod-aws-us-west-2": ("us-west-2", "10.42.0.0/16")}


def vpc_of(ec2, environment, region):
    vpcs = owned(ec2, "describe_vpcs", "Vpcs", **{"tag:environment": environment})
    assert len(vpcs) == 1, f"expected one VPC of {environment} in {region}, found {len(vpcs)}"
    return vpcs[0]


def assert_network(ec2, vpc, cidr, zones, nat_mode, flow_logs):
    """The resources of one region match the plan and the environment's policy."""
    vpc_id = vpc["VpcId"]
    assert vpc["CidrBlock"] == cidr
    for attribute in ("enableDnsSupport", "enableDnsHostnames"):
        value = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=attribute)
        assert value[attribute[0].upper() + attribute[1:]]["Value"] is True

    # Subnets: exactly the plan, per tier and zone.
    subnets = owned(ec2, "describe_subnets", "Subnets", **{"vpc-id": vpc_id})
    actual = {(tags(s)["tier"], s["AvailabilityZone"]): s for s in subnets}
    expected = {(TIER_TAG[p["tier"]], p["zone"]): p["cidr"] for p in subnet_plan(cidr, zones)}
    assert {k: s["CidrBlock"] for k, s in actual.items()} == expected
    for (tier, _zone), subnet in actual.items():
        assert subnet["MapPublicIpOnLaunch"] is (tier == "public")

    # NAT gateways per policy, each in a public subnet with its own EIP.
    nats = [n for n in owned(ec2, "describe_nat_gateways", "NatGateways", **{"vpc-id": vpc_id})
            if n["State"] in ("pending", "available")]
    expected_nats = {"none": 0, "single": 1, "per_az": len(zones)}[nat_mode]
    assert len(nats) == expected_nats
    public_ids = {s["SubnetId"]: z for (tier, z), s in actual.items() if tier == "public"}
    nat_zone = {n["NatGatewayId"]: public_ids[n["SubnetId"]] for n in nats}
    assert len({n["NatGatewayAddresses"][0]["AllocationId"] for n in nats}) == expected_nats

    # Route tables: public -> IGW, app -> NAT of its zone (or the single NAT), data -> no internet.
    igws = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])
    igw_id = igws["InternetGateways"][0]["InternetGatewayId"]
    route_tables = owned(ec2, "describe_route_tables", "RouteTables", **{"vpc-id": vpc_id})
    subnet_tier = {s["SubnetId"]: k for k, s in actual.items()}
    associated = set()
    for rt in route_tables:
        default = [r for r in rt["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
        for assoc in rt["Associations"]:
            if assoc.get("Main"):
                continue
            tier, zone = subnet_tier[assoc["SubnetId"]]
            associated.add(assoc["SubnetId"])
            if tier == "public":
                assert [r.get("GatewayId") for r in default] == [igw_id]
            elif tier == "private-data":
                assert default == []
            elif nat_mode == "none":
                assert default == []
            else:
                target = default[0]["NatGatewayId"]
                assert nat_mode == "single" or nat_zone[target] == zone
    assert associated == set(subnet_tier), "every subnet is associated with one of our route tables"

    # Default security group: no rules at all.
    default_sg = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]
    assert default_sg["IpPermissions"] == [] and default_sg["IpPermissionsEgress"] == []

    flows = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"]
    assert len(flows) == (1 if flow_logs else 0)
    return actual


def assert_nothing_left(ec2, environment):
    flt = {"tag:environment": environment}
    assert owned(ec2, "describe_vpcs", "Vpcs", **flt) == []
    assert owned(ec2, "describe_subnets", "Subnets", **flt) == []
    assert owned(ec2, "describe_route_tables", "RouteTables", **flt) == []
    assert [n for n in owned(ec2, "describe_nat_gateways", "NatGateways", **flt) if n["State"] != "deleted"] == []
    assert owned(ec2, "describe_addresses", "Addresses", **flt) == []
    assert owned(ec2, "describe_internet_gateways", "InternetGateways", **flt) == []


def test_dev_plan_converge_rerun_teardown(run_playbook, aws):
    ec2 = aws("ec2", "us-east-1")

    plan = run_playbook(LOWER_LAYERS, "dev", args=["--check", "--diff"])
    assert plan.rc == 0, str(plan)
    assert plan.requests["mutating"] == 0, plan.requests["mutating_actions"]
    assert plan.changed(DEV) > 0, "check mode on an empty cloud must report the changes it would make"
    assert owned(ec2, "describe_vpcs", "Vpcs") == []

    first = run_playbook(LOWER_LAYERS, "dev")
    assert first.rc == 0, str(first)
    assert first.changed(DEV) > 0
    vpc = vpc_of(ec2, "dev", "us-east-1")
    assert_network(ec2, vpc, "10.10.0.0/16", ["us-east-1a", "us-east-1b", "us-east-1c"], "none", False)
    expected_tags = {"owner": "strata.platform", "environment": "dev", "layer": "network",
                     "platform": "fsm", "cost-center": "platform-dev", "Name": "fsm-dev-us-east-1"}
    assert tags(vpc).items() >= expected_tags.items()

    again = run_playbook(LOWER_LAYERS, "dev")
    assert again.rc == 0, str(again)
    assert again.changed() == 0, [h for h in again.task_results("") if h[1].get("changed")]
    assert again.requests["mutating"] == 0, again.requests["mutating_actions"]

    check_again = run_playbook(LOWER_LAYERS, "dev", args=["--check", "--diff"])
    assert check_again.rc == 0 and check_again.changed() == 0, str(check_again)

    down = run_playbook("strata.platform.teardown", "dev")
    assert down.rc == 0, str(down)
    assert_nothing_left(ec2, "dev")
    down_again = run_playbook("strata.platform.teardown", "dev")
    assert down_again.rc == 0 and down_again.changed() == 0, str(down_again)


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


def test_prod_all_regions_converge_and_teardown_needs_confirmation(run_playbook, aws):
    plan = run_playbook("strata.platform.site", "prod", args=["--check", "--diff", "--limit", "aws"])
    assert plan.rc == 0, str(plan)
    assert plan.requests["mutating"] == 0, plan.requests["mutating_actions"]
    assert all(plan.changed(host) > 0 for host in PROD_AWS)
    assert aws("iam").list_roles(PathPrefix="/strata/")["Roles"] == []

    first = run_playbook("strata.platform.site", "prod", args=["--limit", "aws"])
    assert first.rc == 0, str(first)
    for host, (region, cidr) in PROD_AWS.items():
        ec2 = aws("ec2", region)
        zones = [region + z for z in "abc"]
        assert_network(ec2, vpc_of(ec2, "prod", region), cidr, zones, "per_az", True)
        logs = aws("logs", region).describe_log_groups(logGroupNamePrefix="/strata/fsm/prod/vpc-flow-logs")["logGroups"]
        assert [g.get("retentionInDays") for g in logs] == [365]
    # IAM is global: one flow-log role per region, none overwriting another.
    roles = {r["RoleName"] for r in aws("iam").list_roles(PathPrefix="/strata/")["Roles"]}
    assert {f"fsm-prod-{region}-vpc-flow-logs" for region, _cidr in PROD_AWS.values()} <= roles
    assert len(roles) == 3 * 6, "one flow-log role and five service roles per region, none shared"
    assert not {"prod-azure-eastus", "prod-azure-westeurope"} & set(first.stats)  # Azure: test_site_multicloud.py

    again = run_playbook("strata.platform.site", "prod", args=["--limit", "aws"])
    assert again.rc == 0 and again.changed() == 0, str(again)
    assert again.requests["mutating"] == 0

    refused = run_playbook("strata.platform.teardown", "prod", args=["--limit", "aws"])
    assert refused.rc != 0
    assert "platform_confirm_teardown=prod" in refused.output
    assert refused.requests["mutating"] == 0
    for host, (region, _cidr) in PROD_AWS.items():
        vpc_of(aws("ec2", region), "prod", region)  # still there

    down = run_playbook("strata.platform.teardown", "prod", args=["--limit", "aws"],
                        extra_vars={"platform_confirm_teardown": "prod"})
    assert down.rc == 0, str(down)
    for host, (region, _cidr) in PROD_AWS.items():
        assert_nothing_left(aws("ec2", region), "prod")
    assert aws("iam").list_roles(PathPrefix="/strata/")["Roles"] == []


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
