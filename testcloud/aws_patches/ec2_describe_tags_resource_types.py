"""EC2 DescribeTags names NAT gateways ``natgateway`` and Elastic IPs ``elastic-ip``.

AWS: DescribeTags reports (and its ``resource-type`` filter matches) ``natgateway`` for ``nat-...``
ids and ``elastic-ip`` for ``eipalloc-...`` ids.

moto 5.2.5: reports ``nat-gateway`` and ``vpc-elastic-ip`` and filters by those names, so a filter on
the AWS names finds nothing. amazon.aws reads tags with ``describe_tags`` filtered by
``resource-type=natgateway`` / ``elastic-ip`` (``describe_ec2_tags``/``ensure_ec2_tags``), sees no
tags, and re-tags the NAT gateway or EIP on every run: never idempotent. Both are wrong in 5.2.5
(checked), so both are patched.
"""

from moto.ec2.models import tags as tags_model

PATCH_NAME = __name__.rsplit(".", 1)[-1]
AWS_RESOURCE_TYPES = {"nat": "natgateway", "eipalloc": "elastic-ip"}


def apply():
    """Rebind the prefix -> resource-type table that DescribeTags uses to the AWS names."""
    table = tags_model.EC2_PREFIX_TO_RESOURCE
    if all(table.get(prefix) == kind for prefix, kind in AWS_RESOURCE_TYPES.items()):
        return False
    # A copy, not an in-place edit: other moto code may rely on moto's own names.
    tags_model.EC2_PREFIX_TO_RESOURCE = {**table, **AWS_RESOURCE_TYPES}
    return True
