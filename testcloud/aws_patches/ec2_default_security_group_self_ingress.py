"""A VPC's default security group starts with the ingress rule "all traffic from itself".

AWS: every new VPC's ``default`` security group has one inbound rule (all protocols, source = the
group itself) and one outbound rule (all protocols to 0.0.0.0/0). Locking the group down (CIS
EC2.2) means revoking both.

moto 5.2.5: creates the outbound rule only. A lockdown that forgets the self-referencing inbound
rule passes here and leaves the group open on AWS; a lockdown that revokes it reports a change
moto cannot show, and its idempotence check never sees a rule to remove.
"""

from moto.ec2.models.vpcs import VPCBackend

from testcloud.aws_patches._patching import wrap_method

PATCH_NAME = __name__.rsplit(".", 1)[-1]


def add_self_ingress(backend, vpc_id):
    """Give the VPC's default group its self-referencing inbound rule if it has no inbound rule."""
    group = backend.get_default_security_group(vpc_id)
    if group is None or group.ingress_rules:
        return
    backend.authorize_security_group_ingress(
        group_name_or_id=group.id,
        ip_protocol="-1",
        from_port=None,
        to_port=None,
        ip_ranges=[],
        source_groups=[{"GroupId": group.id}],
        vpc_id=vpc_id,
    )


def _make_wrapper(original):
    def create_vpc(self, *args, **kwargs):
        vpc = original(self, *args, **kwargs)
        add_self_ingress(self, vpc.id)
        return vpc

    return create_vpc


def apply():
    """Wrap VPC creation (explicit and default VPCs) to add the rule."""
    return wrap_method(VPCBackend, "create_vpc", PATCH_NAME, _make_wrapper)
