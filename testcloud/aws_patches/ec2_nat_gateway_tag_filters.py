"""EC2 DescribeNatGateways honours ``tag:<key>``, ``tag-key`` and ``tag-value`` filters.

AWS: DescribeNatGateways filters by tag like every EC2 Describe call.

moto 5.2.5: only ``nat-gateway-id``, ``vpc-id``, ``subnet-id`` and ``state`` are applied; a tag
filter is silently ignored, so ``tag:Name=<env>-nat-a`` returns every NAT gateway of the account.
A role that finds its per-AZ NAT gateways by tag would take another AZ's gateway for its own and
never create the missing ones.
"""

from moto.ec2.models.nat_gateways import NatGatewayBackend
from moto.ec2.utils import is_tag_filter, tag_filter_matches

from testcloud.aws_patches._patching import wrap_method

PATCH_NAME = __name__.rsplit(".", 1)[-1]


def split_tag_filters(filters):
    """``(tag_filters, other_filters)`` from moto's ``{name: [values]}`` filter dict."""
    filters = filters or {}
    tags = {name: values for name, values in filters.items() if is_tag_filter(name)}
    others = {name: values for name, values in filters.items() if not is_tag_filter(name)}
    return tags, others


def matches_tags(nat_gateway, tag_filters):
    """True if the gateway matches every tag filter (values within a filter are OR-ed)."""
    return all(tag_filter_matches(nat_gateway, name, values) for name, values in tag_filters.items())


def _make_wrapper(original):
    def describe_nat_gateways(self, filters, nat_gateway_ids):
        tag_filters, other_filters = split_tag_filters(filters)
        found = original(self, other_filters if filters is not None else None, nat_gateway_ids)
        return [gateway for gateway in found if matches_tags(gateway, tag_filters)]

    return describe_nat_gateways


def apply():
    """Wrap the backend's describe to apply the tag filters moto ignores."""
    return wrap_method(NatGatewayBackend, "describe_nat_gateways", PATCH_NAME, _make_wrapper)
