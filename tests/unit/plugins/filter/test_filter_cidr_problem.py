"""Unit tests for strata.platform.cidr_problem (plugins/filter/cidr_problem.py, plugins/plugin_utils/cidr.py)."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.strata.platform.plugins.filter.cidr_problem import cidr_problem


@pytest.mark.parametrize(
    "value",
    ["10.40.0.0/16", "10.0.0.0/8", "172.16.0.0/12", "172.31.254.0/23", "192.168.0.0/16", "192.168.10.0/23"],
)
def test_valid(value):
    assert cidr_problem(value) == ""


@pytest.mark.parametrize(
    "value, expected",
    [
        ("10.40.0.1/16", "10.40.0.1/16 has host bits set; use 10.40.0.0/16"),
        ("10.40.0.0", "'10.40.0.0' has no prefix length; write it as 10.40.0.0/16"),
        ("10.40.0.0/26", "10.40.0.0/26 is too small for the three-tier plan; use a /23 or larger"),
        ("10.40.0.0/24", "10.40.0.0/24 is too small for the three-tier plan; use a /23 or larger"),
        (
            "8.8.0.0/16",
            "8.8.0.0/16 is not a private (RFC 1918) range; "
            "use a block inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16",
        ),
    ],
)
def test_brief_examples(value, expected):
    assert cidr_problem(value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("172.0.0.0/8", "is not a private (RFC 1918) range"),  # overlaps 172.16/12, not inside it
        ("10.0.0.0/7", "is not a private (RFC 1918) range"),
        ("100.64.0.0/16", "is not a private (RFC 1918) range"),
        ("192.169.0.0/16", "is not a private (RFC 1918) range"),
        ("10.400.0.0/16", "is not a valid IPv4 CIDR"),
        ("10.40.0.0/33", "is not a valid IPv4 CIDR"),
        ("10.40.0.0/", "is not a valid IPv4 CIDR"),
        ("10.40.0.0/abc", "is not a valid IPv4 CIDR"),
        ("banana", "is not an IPv4 CIDR"),
        ("", "the CIDR is empty"),
        (" 10.40.0.0/16", "has leading or trailing spaces; write it as 10.40.0.0/16"),
        ("fd00::/48", "is an IPv6 block"),
        ("fd00::", "is an IPv6 address"),
        ("10.40.0.0/255.255.0.0", "write it as 10.40.0.0/16"),
        ("192.168.5.0", "has no prefix length; write it as network/prefix with a prefix from /8 to /23"),
        ("10.40.2.0", "has no prefix length; write it as 10.40.2.0/23"),
    ],
)
def test_problems(value, expected):
    assert expected in cidr_problem(value)


@pytest.mark.parametrize("value", [None, 16, 10.4, True, ["10.40.0.0/16"], {"cidr": "10.40.0.0/16"}])
def test_non_strings(value):
    problem = cidr_problem(value)
    assert problem
    assert "10.40.0.0/16" in problem  # the fix shows the expected form


def test_problem_is_one_sentence():
    for value in ["10.40.0.1/16", "10.40.0.0", "10.40.0.0/26", "8.8.0.0/16", None, "x", "10.0.0.0/8"]:
        problem = cidr_problem(value, min_prefix=16)
        assert problem and "\n" not in problem and not problem.endswith(".")


def test_prefix_bounds():
    assert cidr_problem("10.0.0.0/8", min_prefix=16) == "10.0.0.0/8 is too large; use a /16 or smaller block"
    assert cidr_problem("10.40.0.0/16", min_prefix=16, max_prefix=16) == ""
    assert cidr_problem("10.40.0.0/20", max_prefix=16) == "10.40.0.0/20 is too small; use a /16 or larger"
    assert cidr_problem("10.40.0.0/26", max_prefix=28) == ""
    assert cidr_problem("10.40.0.0", min_prefix=20) == "'10.40.0.0' has no prefix length; write it as 10.40.0.0/20"


@pytest.mark.parametrize("bounds", [{"min_prefix": 24, "max_prefix": 16}, {"min_prefix": "8"}, {"max_prefix": 33}])
def test_bad_bounds_raise(bounds):
    with pytest.raises(AnsibleFilterError) as error:
        cidr_problem("10.40.0.0/16", **bounds)
    assert "min_prefix" in str(error.value)
