"""The CIDR filters as playbooks see them: FilterModule registration and Ansible's templating engine."""

import pytest
from ansible.errors import AnsibleError
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import filter_loader
from ansible.template import Templar, trust_as_template

from ansible_collections.strata.platform.plugins.filter import cidr_conflicts, cidr_problem, subnet_plan


def render(expression, **variables):
    templar = Templar(loader=DataLoader(), variables=variables)
    return templar.template(trust_as_template(expression))


def test_filter_modules_register_the_three_names():
    names = {}
    for module in (subnet_plan, cidr_conflicts, cidr_problem):
        names.update(module.FilterModule().filters())
    assert sorted(names) == ["cidr_conflicts", "cidr_problem", "subnet_plan"]
    assert all(callable(function) for function in names.values())


@pytest.mark.parametrize("name", ["subnet_plan", "cidr_conflicts", "cidr_problem"])
def test_filter_loader_finds_fqcn(name):
    plugin = filter_loader.get(f"strata.platform.{name}")
    assert plugin is not None
    assert plugin.ansible_name == f"strata.platform.{name}"


def test_subnet_plan_through_templating():
    cidrs = render(
        "{{ platform_network_cidr | strata.platform.subnet_plan(platform_availability_zones)"
        " | selectattr('tier', '==', 'app') | map(attribute='cidr') | list }}",
        platform_network_cidr="10.40.0.0/16",
        platform_availability_zones=["us-east-1a", "us-east-1b", "us-east-1c"],
    )
    assert cidrs == ["10.40.64.0/21", "10.40.72.0/21", "10.40.80.0/21"]


def test_subnet_plan_keyword_tiers_and_azure_ints_through_templating():
    plan = render("{{ '10.50.0.0/16' | strata.platform.subnet_plan([1, 2], tiers=['web', 'db']) }}")
    assert [(entry["tier"], entry["zone"], entry["cidr"]) for entry in plan] == [
        ("web", "1", "10.50.0.0/21"),
        ("web", "2", "10.50.8.0/21"),
        ("db", "1", "10.50.64.0/21"),
        ("db", "2", "10.50.72.0/21"),
    ]


def test_regional_plan_through_templating():
    plan = render("{{ '10.60.0.0/20' | strata.platform.subnet_plan([]) }}")
    assert [entry["zone"] for entry in plan] == [None, None, None]


def test_cidr_conflicts_through_templating_with_hostvars_shape():
    hostvars = {
        "dev-aws-us-east-1": {"platform_network_cidr": "10.40.0.0/16"},
        "prod-aws-us-east-1": {"platform_network_cidr": "10.40.0.0/16"},
        "prod-azure-eastus": {"platform_network_cidr": "10.41.0.0/16"},
    }
    messages = render(
        "{{ dict(hosts | zip(hosts | map('extract', hostvars, 'platform_network_cidr')))"
        " | strata.platform.cidr_conflicts | map(attribute='message') | list }}",
        hosts=list(hostvars),
        hostvars=hostvars,
    )
    assert messages == [
        "dev-aws-us-east-1 (platform_network_cidr=10.40.0.0/16) overlaps prod-aws-us-east-1 (10.40.0.0/16): "
        "give one of them a block that does not overlap"
    ]


def test_cidr_problem_through_templating():
    assert render("{{ cidr | strata.platform.cidr_problem }}", cidr="10.40.0.0/16") == ""
    assert render("{{ cidr | strata.platform.cidr_problem }}", cidr="10.40.0.1/16") == (
        "10.40.0.1/16 has host bits set; use 10.40.0.0/16"
    )
    assert render("{{ '10.0.0.0/8' | strata.platform.cidr_problem(min_prefix=16) }}") == (
        "10.0.0.0/8 is too large; use a /16 or smaller block"
    )
    assert render("{{ (cidr | strata.platform.cidr_problem) == '' }}", cidr="10.40.0.0/16") is True


def test_errors_surface_with_the_fix():
    with pytest.raises(AnsibleError) as error:
        render("{{ '10.40.0.0/16' | strata.platform.subnet_plan(['us-east-1a', 'us-east-1a']) }}")
    assert "'us-east-1a' is listed twice; list each zone once" in str(error.value)
    with pytest.raises(AnsibleError) as error:
        render("{{ '10.40.0.0/25' | strata.platform.subnet_plan(['us-east-1a']) }}")
    assert "use a /23 or larger" in str(error.value)
