"""EC2 DeleteNatGateway frees the gateway's Elastic IP and network interface.

AWS: deleting a NAT gateway disassociates its Elastic IP (which stays allocated, free for reuse or
release) and deletes the gateway's requester-managed network interface.

moto 5.2.5: only flips the state to ``deleted``; the EIP stays associated with the dead gateway's
interface and the interface stays. A role that keeps its (tagged) EIPs and recreates a NAT gateway
with one of them, e.g. after a teardown or a NAT mode change, gets ``Resource.AlreadyAssociated``;
``DescribeAddresses`` keeps reporting the EIP as in use.
"""

from moto.ec2.models.nat_gateways import NatGatewayBackend

from testcloud.aws_patches._patching import wrap_method

PATCH_NAME = __name__.rsplit(".", 1)[-1]


def free_gateway_resources(backend, nat_gateway):
    """Disassociate the EIPs bound to the gateway's interface and delete that interface."""
    eni = nat_gateway._eni  # noqa: SLF001 - moto keeps the interface private
    for address in list(backend.addresses):
        if address.eni is eni and address.association_id:
            backend.disassociate_address(association_id=address.association_id)
    backend.enis.pop(eni.id, None)


def _make_wrapper(original):
    def delete_nat_gateway(self, nat_gateway_id):
        existing = self.nat_gateways.get(nat_gateway_id)
        was_live = existing is not None and existing.state != "deleted"
        nat_gateway = original(self, nat_gateway_id)
        if was_live:
            free_gateway_resources(self, nat_gateway)
        return nat_gateway

    return delete_nat_gateway


def apply():
    """Wrap the backend's delete to free the EIP and interface once, when the gateway dies."""
    return wrap_method(NatGatewayBackend, "delete_nat_gateway", PATCH_NAME, _make_wrapper)
