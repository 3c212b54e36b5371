#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ec2_vpc_default_security_group
version_added: 0.1.0
short_description: Lock down the default security group of a VPC
description:
  - AWS creates a security group named C(default) with every VPC and it cannot be deleted. By default
    it lets members of the group reach each other and lets everything out.
  - This module revokes every ingress and egress rule of the VPC's default security group so that it
    allows no traffic (CIS AWS Foundations Benchmark, control EC2.2), and manages its tags.
  - Rules are never added back; there is no V(state=absent), the group cannot be deleted.
author:
  - strata.platform contributors (!UNKNOWN)
options:
  vpc_id:
    description:
      - The id of the VPC whose default security group is locked down.
      - An empty value is accepted in check mode only, for a VPC that an earlier task of the same check run
        plans to create (M(amazon.aws.ec2_vpc_net) returns no id then); the module predicts the lockdown of the
        default group AWS creates with every VPC (one ingress rule from itself, egress to anywhere).
    type: str
    required: true
notes:
  - Resources still attached to the default group lose their access once its rules are revoked.
  - "Required IAM actions: C(ec2:DescribeSecurityGroups), C(ec2:DescribeVpcs), C(ec2:RevokeSecurityGroupIngress),
    C(ec2:RevokeSecurityGroupEgress), C(ec2:CreateTags), C(ec2:DeleteTags)."
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
extends_documentation_fragment:
  - strata.platform.aws
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Lock down the default security group of the platform VPC
  strata.platform.ec2_vpc_default_security_group:
    vpc_id: vpc-0123456789abcdef0
    tags:
      Name: fsm-prod-default-locked
      Environment: prod
  register: default_sg

- name: Plan only (no change), showing the rules that would be revoked
  strata.platform.ec2_vpc_default_security_group:
    vpc_id: vpc-0123456789abcdef0
  check_mode: true
  diff: true
"""

RETURN = r"""
security_group:
  description: The default security group after the change (in check mode, the prediction).
  returned: always
  type: complex
  contains:
    group_id:
      description: The security group id.
      type: str
      returned: always
      sample: sg-0123456789abcdef0
    group_name:
      description: Always V(default).
      type: str
      returned: always
      sample: default
    vpc_id:
      description: The VPC the group belongs to.
      type: str
      returned: always
      sample: vpc-0123456789abcdef0
    ip_permissions:
      description: Ingress rules (snake_case IpPermissions); empty once locked down.
      type: list
      elements: dict
      returned: always
      sample: []
    ip_permissions_egress:
      description: Egress rules (snake_case IpPermissionsEgress); empty once locked down.
      type: list
      elements: dict
      returned: always
      sample: []
    tags:
      description: The group's tags.
      type: dict
      returned: always
      sample: {"Name": "fsm-prod-default-locked"}
diff:
  description: The group's rules and tags before and after, when run with C(--diff).
  returned: when diff mode is on
  type: dict
  sample:
    before:
      ip_permissions:
        - ip_protocol: "-1"
          user_id_group_pairs: [{"group_id": "sg-0123456789abcdef0", "user_id": "123456789012"}]
          ip_ranges: []
          ipv6_ranges: []
          prefix_list_ids: []
      ip_permissions_egress:
        - ip_protocol: "-1"
          ip_ranges: [{"cidr_ip": "0.0.0.0/0"}]
          user_id_group_pairs: []
          ipv6_ranges: []
          prefix_list_ids: []
      tags: {}
    after:
      ip_permissions: []
      ip_permissions_egress: []
      tags: {"Name": "fsm-prod-default-locked"}
"""

from copy import deepcopy

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags
from ansible_collections.amazon.aws.plugins.module_utils.transformation import ansible_dict_to_boto3_filter_list


class AnsibleDefaultSecurityGroupError(AnsibleAWSError):
    pass


class SecurityGroupErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleDefaultSecurityGroupError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("InvalidGroup.NotFound")


class VpcErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleDefaultSecurityGroupError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("InvalidVpcID.NotFound")


# One thin wrapper per SDK call: retry on throttling, typed error naming the resource.


@VpcErrorHandler.list_error_handler("describe VPC {vpc_id}", [])
@AWSRetry.jittered_backoff()
def describe_vpc(client, vpc_id):
    return client.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]


@SecurityGroupErrorHandler.list_error_handler("describe the default security group of VPC {vpc_id}", [])
@AWSRetry.jittered_backoff()
def describe_default_security_groups(client, vpc_id):
    filters = ansible_dict_to_boto3_filter_list({"vpc-id": vpc_id, "group-name": "default"})
    paginator = client.get_paginator("describe_security_groups")
    return paginator.paginate(Filters=filters).build_full_result()["SecurityGroups"]


@SecurityGroupErrorHandler.common_error_handler("revoke ingress rules of security group {group_id}")
@AWSRetry.jittered_backoff()
def revoke_ingress(client, group_id, ip_permissions):
    client.revoke_security_group_ingress(GroupId=group_id, IpPermissions=ip_permissions)
    return True


@SecurityGroupErrorHandler.common_error_handler("revoke egress rules of security group {group_id}")
@AWSRetry.jittered_backoff()
def revoke_egress(client, group_id, ip_permissions):
    client.revoke_security_group_egress(GroupId=group_id, IpPermissions=ip_permissions)
    return True


@SecurityGroupErrorHandler.common_error_handler("tag security group {group_id}")
@AWSRetry.jittered_backoff()
def tag_security_group(client, group_id, tags):
    client.create_tags(Resources=[group_id], Tags=ansible_dict_to_boto3_tag_list(tags))
    return True


@SecurityGroupErrorHandler.common_error_handler("untag security group {group_id}")
@AWSRetry.jittered_backoff()
def untag_security_group(client, group_id, tag_keys):
    client.delete_tags(Resources=[group_id], Tags=[{"Key": key} for key in tag_keys])
    return True


def normalize_security_group(group):
    """Boto3 SecurityGroup -> the snake_case dict the module returns."""
    return {
        "group_id": group["GroupId"],
        "group_name": group["GroupName"],
        "vpc_id": group.get("VpcId"),
        "ip_permissions": [camel_dict_to_snake_dict(p) for p in group.get("IpPermissions") or []],
        "ip_permissions_egress": [camel_dict_to_snake_dict(p) for p in group.get("IpPermissionsEgress") or []],
        "tags": boto3_tag_list_to_ansible_dict(group.get("Tags") or []),
    }


def get_default_security_group(client, vpc_id):
    """Describe: the raw default group of the VPC; raises naming the vpc_id when the VPC does not exist."""
    groups = describe_default_security_groups(client, vpc_id)
    if len(groups) == 1:
        return groups[0]
    if not groups:
        if not describe_vpc(client, vpc_id):
            raise AnsibleDefaultSecurityGroupError(
                message=f"Failed to lock down the default security group of VPC {vpc_id}: the VPC does not exist"
            )
        raise AnsibleDefaultSecurityGroupError(
            message=f"Failed to find the default security group of VPC {vpc_id}: DescribeSecurityGroups returned none"
        )
    ids = ", ".join(g["GroupId"] for g in groups)
    raise AnsibleDefaultSecurityGroupError(
        message=f"Failed to find the default security group of VPC {vpc_id}: more than one group matched ({ids})"
    )


def ensure_no_rules(client, check_mode, group, current):
    """Revoke every ingress and egress rule; returns (changed, predicted)."""
    ingress = group.get("IpPermissions") or []
    egress = group.get("IpPermissionsEgress") or []
    if not ingress and not egress:
        return False, current

    predicted = deepcopy(current)
    predicted["ip_permissions"] = []
    predicted["ip_permissions_egress"] = []
    if check_mode:
        return True, predicted

    if ingress:
        revoke_ingress(client, group["GroupId"], ingress)
    if egress:
        revoke_egress(client, group["GroupId"], egress)
    return True, predicted


def ensure_tags(client, check_mode, current, tags, purge_tags):
    """Change tags in place; returns (changed, predicted)."""
    if tags is None:
        return False, current
    to_set, to_unset = compare_aws_tags(current["tags"], tags, purge_tags)
    if not to_set and not to_unset:
        return False, current

    predicted = deepcopy(current)
    for key in to_unset:
        predicted["tags"].pop(key, None)
    predicted["tags"].update({key: str(value) for key, value in to_set.items()})
    if check_mode:
        return True, predicted

    if to_unset:
        untag_security_group(client, current["group_id"], to_unset)
    if to_set:
        tag_security_group(client, current["group_id"], to_set)
    return True, predicted


def ensure_locked_down(client, check_mode, group, tags, purge_tags):
    """The default group with no rules and the requested tags; returns (changed, predicted)."""
    current = normalize_security_group(group)
    rules_changed, predicted = ensure_no_rules(client, check_mode, group, current)
    tags_changed, predicted = ensure_tags(client, check_mode, predicted, tags, purge_tags)
    return rules_changed or tags_changed, predicted


def planned_default_security_group():
    """The default group AWS creates with a new VPC: ingress from itself, egress to anywhere."""
    return {
        "GroupId": None,
        "GroupName": "default",
        "VpcId": None,
        "IpPermissions": [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": None}]}],
        "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
        "Tags": [],
    }


def main():
    argument_spec = dict(
        vpc_id=dict(type="str", required=True),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    vpc_id = module.params["vpc_id"]
    if not vpc_id and not module.check_mode:
        module.fail_json(msg="vpc_id is empty: pass the id of an existing VPC (an empty id is only valid in check mode)")
    client = module.client("ec2")

    try:
        group = get_default_security_group(client, vpc_id) if vpc_id else planned_default_security_group()
        before = normalize_security_group(group)
        changed, after = ensure_locked_down(
            client, module.check_mode, group, module.params["tags"], module.params["purge_tags"]
        )
        if changed and not module.check_mode:
            after = normalize_security_group(get_default_security_group(client, vpc_id))
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)

    result = {"changed": changed, "security_group": after}
    if module._diff:
        result["diff"] = {
            "before_header": f"default security group {before['group_id'] or '(new)'} of {vpc_id or '(new VPC)'}",
            "after_header": f"default security group {before['group_id'] or '(new)'} of {vpc_id or '(new VPC)'}",
            "before": {key: before[key] for key in ("ip_permissions", "ip_permissions_egress", "tags")},
            "after": {key: after[key] for key in ("ip_permissions", "ip_permissions_egress", "tags")},
        }
    module.exit_json(**result)


if __name__ == "__main__":
    main()
