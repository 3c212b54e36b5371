"""strata.platform.iam_policy_problems."""

import pytest

from ansible_collections.strata.platform.plugins.filter.iam_policy_problems import FilterModule

problems = FilterModule().filters()["iam_policy_problems"]


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


SCOPED = {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::fsm-dev-*/*"]}


def test_scoped_policy_passes():
    assert problems({"s3-access": {"document": doc(SCOPED)}}) == []


@pytest.mark.parametrize("key, value", [("Action", "*"), ("Action", ["s3:GetObject", "*"]),
                                        ("Resource", "*"), ("Resource", ["*"])])
def test_wildcards_rejected_unless_marked(key, value):
    statement = dict(SCOPED, **{key: value})
    found = problems({"wide": {"document": doc(statement)}})
    assert len(found) == 1
    assert found[0].startswith(f'policy wide, statement Read allows "{key}": "*"')
    assert "allow_wildcards: true" in found[0]
    assert problems({"wide": {"document": doc(statement), "allow_wildcards": True}}) == []


def test_deny_with_wildcards_is_fine():
    assert problems({"guard": {"document": doc(dict(SCOPED, Effect="Deny", Action="*", Resource="*"))}}) == []


@pytest.mark.parametrize("policy, fragment", [
    ({"document": {"Statement": [SCOPED]}}, "Version must be '2012-10-17'"),
    ({"document": {"Version": "2012-10-17", "Statement": []}}, "Statement must be a non-empty list"),
    ({"document": doc({"Effect": "Allow", "Resource": "arn:aws:s3:::x"})}, "has no Action"),
    ({"document": doc({"Effect": "Permit", "Action": "s3:GetObject", "Resource": "x"})}, "Effect must be Allow or Deny"),
    ({"document": "{}"}, "must be a mapping with Version"),
    ({"allow_wildcards": True}, "must be a mapping with a document"),
])
def test_shape_problems(policy, fragment):
    assert fragment in " ".join(problems({"p": policy}))
