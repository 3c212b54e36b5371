"""EC2 CreateNatGateway is idempotent per ``ClientToken``.

AWS: repeating CreateNatGateway with the same ``ClientToken`` and the same parameters returns the
gateway the first call created (no second gateway); the same token with other parameters fails
with ``IdempotentParameterMismatch``.

moto 5.2.5: ignores the token and creates a new gateway on every call (or fails with
``Resource.AlreadyAssociated`` when the EIP is the same). amazon.aws ``ec2_vpc_nat_gateway`` with
``client_token`` relies on the AWS behaviour to report ``changed=false`` when a retried or repeated
run reaches the create call again (it compares the returned CreateTime with the request time).
"""

import threading

from moto.core.responses import ActionResult
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.responses.nat_gateways import NatGateways

from testcloud.aws_patches._patching import wrap_method

PATCH_NAME = __name__.rsplit(".", 1)[-1]
TOKENS_ATTRIBUTE = "_testcloud_nat_client_tokens"  # on the region's EC2 backend: moto reset drops it
_LOCK = threading.Lock()


class IdempotentParameterMismatch(EC2ClientError):
    """The AWS client error for a reused token with other parameters."""

    def __init__(self, token):
        super().__init__(
            "IdempotentParameterMismatch",
            f"The client token {token} has already been used with different parameters",
        )


def token_registry(backend):
    """``{client_token: (nat_gateway_id, request_signature)}`` for one EC2 backend."""
    registry = getattr(backend, TOKENS_ATTRIBUTE, None)
    if registry is None:
        registry = {}
        setattr(backend, TOKENS_ATTRIBUTE, registry)
    return registry


def request_signature(response):
    """The parameters that must match for a token to be reused."""
    return (
        response._get_param("SubnetId"),  # noqa: SLF001 - moto's request accessors
        response._get_param("AllocationId"),  # noqa: SLF001
        response._get_param("ConnectivityType") or "public",  # noqa: SLF001
    )


def _make_wrapper(original):
    def create_nat_gateway(self):
        token = self._get_param("ClientToken")
        if not token:
            return original(self)
        with _LOCK:
            registry = token_registry(self.ec2_backend)
            signature = request_signature(self)
            known = registry.get(token)
            if known is not None and known[0] in self.ec2_backend.nat_gateways:
                if known[1] != signature:
                    raise IdempotentParameterMismatch(token)
                gateway = self.ec2_backend.nat_gateways[known[0]]
                return ActionResult({"ClientToken": token, "NatGateway": gateway})
            result = original(self)
            gateway = result.result["NatGateway"]
            registry[token] = (gateway.id, signature)
            return ActionResult({"ClientToken": token, "NatGateway": gateway})

    return create_nat_gateway


def apply():
    """Wrap the CreateNatGateway handler with a per-backend token registry."""
    return wrap_method(NatGateways, "create_nat_gateway", PATCH_NAME, _make_wrapper)
