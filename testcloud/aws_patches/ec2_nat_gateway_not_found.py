"""EC2 answers ``NatGatewayNotFound`` for an unknown NAT gateway id.

AWS: DeleteNatGateway and DescribeNatGateways(NatGatewayIds=[...]) with an id that does not exist
fail with the client error ``NatGatewayNotFound`` (gateways deleted recently stay visible in state
``deleted``, and deleting one of those again is not an error).

moto 5.2.5: DeleteNatGateway with an unknown id crashes (HTTP 500, ``AttributeError``), which
botocore retries with backoff before failing with an unparseable response; DescribeNatGateways
returns an empty list. A teardown that deletes a gateway id it recorded earlier must see the AWS
error to handle it.
"""

from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models.nat_gateways import NatGatewayBackend

from testcloud.aws_patches._patching import wrap_method

PATCH_NAME = __name__.rsplit(".", 1)[-1]


class NatGatewayNotFound(EC2ClientError):
    """The AWS client error for an unknown NAT gateway id."""

    def __init__(self, nat_gateway_id):
        super().__init__("NatGatewayNotFound", f"The Nat Gateway {nat_gateway_id} was not found")


def check_known(backend, nat_gateway_ids):
    """Raise :class:`NatGatewayNotFound` for the first id the backend does not hold."""
    for nat_gateway_id in nat_gateway_ids or ():
        if nat_gateway_id not in backend.nat_gateways:
            raise NatGatewayNotFound(nat_gateway_id)


def _make_delete_wrapper(original):
    def delete_nat_gateway(self, nat_gateway_id):
        check_known(self, [nat_gateway_id])
        return original(self, nat_gateway_id)

    return delete_nat_gateway


def _make_describe_wrapper(original):
    def describe_nat_gateways(self, filters, nat_gateway_ids):
        check_known(self, nat_gateway_ids)
        return original(self, filters, nat_gateway_ids)

    return describe_nat_gateways


def apply():
    """Check ids before moto's delete and describe run."""
    deleted = wrap_method(NatGatewayBackend, "delete_nat_gateway", PATCH_NAME, _make_delete_wrapper)
    described = wrap_method(NatGatewayBackend, "describe_nat_gateways", PATCH_NAME, _make_describe_wrapper)
    return deleted or described
