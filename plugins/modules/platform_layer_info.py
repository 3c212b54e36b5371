#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: platform_layer_info
version_added: 0.1.0
short_description: Find the layers of one deployment target on AWS or Azure, in one shape for both clouds
description:
  - Given the environment, the region (and optionally the cloud) and the platform name of a deployment target,
    find what the collection's roles built there, by the names and ownership tags they give their resources,
    and return it normalised to one shape for both clouds (see RV(target)).
  - Layers searched are V(network), V(security_groups), V(iam), V(encryption), V(database), V(cache) and V(kafka);
    O(layers) limits the search, and so the calls. A layer that is not found (or not searched) is V(null),
    never an error.
  - "On AWS (boto3): the VPC named C(<platform>-<environment>-<region>) with the C(owner=strata.platform),
    C(platform), C(environment) and C(layer=network) tags, its subnets by their C(tier) tag and its NAT gateways;
    the security groups with the security_groups layer's tags by their C(purpose) tag; the service roles
    C(<platform>-<environment>-<region>-<key>) under O(iam_path); the KMS keys of the aliases
    C(alias/<platform>-<environment>-<purpose>) (a key pending deletion does not count); the RDS instance
    C(<platform>-<environment>-postgres) (only with the database layer's tags), the ElastiCache replication group
    C(<platform>-<environment>-redis), the MSK cluster C(<platform>-<environment>-kafka) (only with the kafka
    layer's tags) and its bootstrap brokers once it is active."
  - "On Azure (ARM REST): the resource group C(<platform>-<environment>-<region>) is listed once; each layer is
    the resources of its type carrying its match tags (C(owner), C(platform), C(environment), C(layer)) - the VNet
    (C(<name>-vnet) preferred) with its subnets C(public), C(private-app), C(private-data) and the NAT gateways; the
    NSGs C(<name>-public-nsg), C(<name>-app-nsg), C(<name>-data-nsg); the user-assigned identities
    C(<name>-<workload>); the Key Vault and its keys (purpose from the key's C(purpose) tag, else its name
    C(<purpose>) or C(...-<purpose>)); the PostgreSQL flexible server, the Azure Cache for Redis and the Event Hubs
    namespace. Only the VNet, the vault, its key list and the three data stores are read one by one."
  - The module never changes anything; it is the module twin of the P(strata.platform.platform_layer#lookup)
    lookup, which returns the same shape from the same code.
author:
  - strata.platform contributors (!UNKNOWN)
options:
  environment:
    description: The environment of the target.
    type: str
    required: true
    choices: [dev, staging, uat, prod]
  region:
    description:
      - The region of the target, an AWS region (V(us-east-1)) or an Azure region (V(eastus)).
      - Also the region of the AWS clients (there is no other region option).
    type: str
    required: true
    aliases: [aws_region]
  cloud:
    description:
      - The cloud of the target.
      - When not set, the region decides (AWS and Azure region names never collide) - a region of the platform
        role's AWS list is searched on AWS, one of its Azure list on Azure. A region in neither list (a new one) is
        searched on AWS, then on Azure; the first cloud where a layer is found is returned (RV(target.cloud) is
        V(null) when neither has one). Set O(cloud) to search one cloud only (and need only its credentials).
    type: str
    choices: [aws, azure]
  platform:
    description:
      - The C(platform_name) of the target (the prefix of every resource name), e.g. V(fsm).
      - Required, there is no default (a module does not see the play's variables); pass
        V("{{ platform_name }}"). The lookup defaults it from C(platform_name).
    type: str
    required: true
    aliases: [platform_name]
  layers:
    description:
      - The layers to search; the others stay V(null) in the result and cost no call.
    type: list
    elements: str
    choices: [network, security_groups, iam, encryption, database, cache, kafka]
    default: [network, security_groups, iam, encryption, database, cache, kafka]
  iam_path:
    description: AWS only. The IAM path of the iam layer's roles (the iam role's C(iam_path)).
    type: str
    default: /strata/
  auth_source:
    description:
      - Azure only. Where the Azure credentials come from, as in azure.azcollection (C(auto) tries the options,
        then the environment, then C(~/.azure/credentials), then the Azure CLI).
      - The C(ANSIBLE_AZURE_AUTH_SOURCE) environment variable may also be used.
    type: str
    choices: [auto, cli, env, credential_file, msi]
    default: auto
  subscription_id:
    description: Azure only. The subscription; C(AZURE_SUBSCRIPTION_ID) when not set.
    type: str
  client_id:
    description: Azure only. The service principal's (or managed identity's) client id; C(AZURE_CLIENT_ID) when not set.
    type: str
  secret:
    description: Azure only. The service principal's secret; C(AZURE_SECRET) when not set.
    type: str
  tenant:
    description: Azure only. The tenant; C(AZURE_TENANT) (or C(AZURE_TENANT_ID)) when not set.
    type: str
  ad_user:
    description: Azure only. An Active Directory user name (with O(password)); C(AZURE_AD_USER) when not set.
    type: str
  password:
    description: Azure only. The password of O(ad_user); C(AZURE_PASSWORD) when not set.
    type: str
  cloud_environment:
    description:
      - Azure only. The Azure cloud, by name (V(AzureCloud), V(AzureChinaCloud), ...) or resource manager URL
        (a custom cloud, with C(ARM_CLOUD_METADATA_URL)); C(AZURE_CLOUD_ENVIRONMENT) when not set, else the
        public cloud.
    type: str
  cert_validation_mode:
    description: Azure only. V(ignore) skips the TLS certificate check of ARM; C(AZURE_CERT_VALIDATION_MODE) when not set.
    type: str
    choices: [validate, ignore]
  adfs_authority_url:
    description: Azure only. An ADFS authority URL; C(AZURE_ADFS_AUTHORITY_URL) when not set.
    type: str
  x509_certificate_path:
    description: Azure only. A service principal certificate (PEM); C(AZURE_X509_CERTIFICATE_PATH) when not set.
    type: path
  thumbprint:
    description: Azure only. The thumbprint of O(x509_certificate_path); C(AZURE_THUMBPRINT) when not set.
    type: str
  disable_instance_discovery:
    description: Azure only. Skip the authority's instance discovery; C(AZURE_DISABLE_INSTANCE_DISCOVERY) when not set.
    type: bool
    default: false
  oidc_token:
    description: Azure only. A workload identity token (JWT); C(AZURE_FEDERATED_TOKEN) when not set.
    type: str
  oidc_token_file_path:
    description: Azure only. A file holding a workload identity token; C(AZURE_FEDERATED_TOKEN_FILE) when not set.
    type: path
notes:
  - "Credentials: AWS through the options below or boto3's sources (C(AWS_ACCESS_KEY_ID)/C(AWS_SECRET_ACCESS_KEY),
    C(AWS_PROFILE), ...), the endpoint through O(endpoint_url) or C(AWS_URL)/C(AWS_ENDPOINT_URL); Azure through
    azure.azcollection's AzureRMAuth (the Azure options here or C(AZURE_SUBSCRIPTION_ID), C(AZURE_CLIENT_ID),
    C(AZURE_SECRET), C(AZURE_TENANT), C(AZURE_CLOUD_ENVIRONMENT) + C(ARM_CLOUD_METADATA_URL) for a custom cloud).
    Only the searched cloud needs credentials; without them the module fails naming the variables to set, before
    any call. O(profile) is the AWS profile; an Azure credential-file profile comes from C(AZURE_PROFILE)."
  - A bad O(environment), O(region), O(cloud), O(platform) or O(layers) fails before any call, naming the option.
  - "Required permissions: C(ec2:DescribeVpcs), C(ec2:DescribeSubnets), C(ec2:DescribeNatGateways),
    C(ec2:DescribeSecurityGroups), C(iam:ListRoles), C(kms:DescribeKey), C(rds:DescribeDBInstances),
    C(elasticache:DescribeReplicationGroups), C(kafka:ListClustersV2), C(kafka:GetBootstrapBrokers) on AWS;
    the C(Reader) role on the target's resource group on Azure (C(Microsoft.Resources/subscriptions/resourceGroups/
    resources/read), the resources' C(read), C(Microsoft.KeyVault/vaults/keys/read))."
  - "Calls: AWS network 3, security_groups 1, iam 1 per 100 roles under O(iam_path), encryption 3, database 1,
    cache 1, kafka 1-2; Azure 1 (the resource group's list) + 1 per VNet, vault (+1 for its keys) and data store
    found."
seealso:
  - plugin: strata.platform.platform_layer
    plugin_type: lookup
attributes:
  action_group:
    support: full
    membership: [strata.platform.aws, strata.platform.azure]
  check_mode:
    support: full
    details: The module never changes anything; check mode returns the same result.
  diff_mode:
    support: none
  platform:
    platforms: all
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - amazon.aws.common.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find the network and the data stores of prod in eu-west-1 (the cloud follows from the region)
  strata.platform.platform_layer_info:
    platform: "{{ platform_name }}"
    environment: prod
    region: eu-west-1
    layers: [network, database, cache, kafka]
  register: dr

- name: Peer with it
  ansible.builtin.debug:
    msg: "VPC {{ dr.target.network.id }} {{ dr.target.network.cidr }}, PostgreSQL at {{ dr.target.database.endpoint }}"
  when: dr.target.network is not none

- name: The same for the Azure target of prod in eastus
  strata.platform.platform_layer_info:
    platform: fsm
    environment: prod
    region: eastus
    cloud: azure
  register: azure_prod

- name: Its data subnet and the NSG that guards the database, the same keys as on AWS
  ansible.builtin.debug:
    msg: "{{ azure_prod.target.network.subnets.data[0].id }} {{ azure_prod.target.security_groups.database }}"
"""

RETURN = r"""
target:
  description:
    - The layers of the target, in the same shape on both clouds. A layer not searched or not found is V(null);
      so is a single id that is missing inside a found layer.
  returned: always
  type: dict
  contains:
    cloud:
      description: The cloud searched (V(aws) or V(azure)); V(null) only when two clouds were searched and neither had a layer.
      type: str
      sample: aws
    environment:
      description: The environment asked for.
      type: str
      sample: prod
    region:
      description: The region asked for.
      type: str
      sample: eu-west-1
    platform:
      description: The platform name asked for.
      type: str
      sample: fsm
    name:
      description: The target's name, C(<platform>-<environment>-<region>) (the VPC name; the Azure resource group).
      type: str
      sample: fsm-prod-eu-west-1
    layers:
      description: The layers searched.
      type: list
      elements: str
      sample: [network, security_groups, iam, encryption, database, cache, kafka]
    network:
      description: The network layer.
      type: dict
      contains:
        id:
          description: The VPC id (AWS) or the VNet's resource id (Azure).
          type: str
          sample: vpc-0a1b2c3d4e5f60718
        name:
          description: The VPC's C(Name) tag or the VNet's name (C(<name>-vnet)).
          type: str
          sample: fsm-prod-eu-west-1
        cidr:
          description: The network's address block.
          type: str
          sample: 10.41.0.0/16
        resource_group:
          description: The resource group of the VNet (Azure); V(null) on AWS.
          type: str
          sample: null
        subnets:
          description:
            - The subnets by tier, V(public), V(app) and V(data) (always the three keys; a tier without subnets is
              an empty list), each sorted by zone.
            - AWS has one subnet per tier and zone; Azure subnets are regional (C(zone) is V(null)).
          type: dict
          sample:
            public: [{id: subnet-0aa, cidr: 10.41.0.0/21, zone: eu-west-1a}]
            app: [{id: subnet-0bb, cidr: 10.41.64.0/21, zone: eu-west-1a}]
            data: [{id: subnet-0cc, cidr: 10.41.128.0/21, zone: eu-west-1a}]
        nat_gateway_ids:
          description: The NAT gateways of the network (ids on AWS, resource ids on Azure), sorted.
          type: list
          elements: str
          sample: [nat-0123456789abcdef0]
    security_groups:
      description:
        - The security groups by what they guard, the same keys on both clouds. On AWS the C(alb), C(eks-nodes),
          C(rds), C(redis) and C(kafka) groups; on Azure the public and app NSGs, and the data NSG for
          C(database), C(cache) and C(kafka).
      type: dict
      sample: {public: sg-0a1, app: sg-0b2, database: sg-0c3, cache: sg-0d4, kafka: sg-0e5}
    identities:
      description:
        - The iam layer by key, name -> id. AWS the service role ARNs by their key (C(eks-cluster), C(eks-nodes),
          C(rds-monitoring), ...); Azure the user-assigned identities' resource ids by workload.
      type: dict
      sample: {eks-nodes: "arn:aws:iam::123456789012:role/strata/fsm-prod-eu-west-1-eks-nodes"}
    encryption_keys:
      description:
        - The encryption layer's keys by purpose (V(data), V(backup), V(logs)); KMS key ARNs on AWS, versionless
          Key Vault key ids on Azure.
      type: dict
      sample: {data: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", backup: null, logs: null}
    key_vault:
      description: The target's Key Vault C({id, name, uri}) (Azure); V(null) on AWS.
      type: dict
      sample: null
    database:
      description:
        - The PostgreSQL primary C({id, name, endpoint, port, engine_version}); C(id) is the RDS instance ARN or the
          flexible server's resource id; C(endpoint) is V(null) until the instance has one.
      type: dict
      sample: {id: "arn:aws:rds:eu-west-1:123456789012:db:fsm-prod-postgres", name: fsm-prod-postgres,
               endpoint: fsm-prod-postgres.abc.eu-west-1.rds.amazonaws.com, port: 5432, engine_version: "16.4"}
    cache:
      description:
        - The Redis cache C({id, name, endpoint, port}); the replication group's primary endpoint on AWS, the cache's
          host name and TLS port (6380) on Azure.
      type: dict
      sample: {id: "arn:aws:elasticache:eu-west-1:123456789012:replicationgroup:fsm-prod-redis", name: fsm-prod-redis,
               endpoint: master.fsm-prod-redis.abc.euw1.cache.amazonaws.com, port: 6379}
    kafka:
      description:
        - The Kafka endpoint C({id, name, bootstrap_servers}); the MSK cluster's TLS bootstrap brokers (V(null) until
          it is active) on AWS, the Event Hubs namespace's Kafka endpoint C(<namespace>.servicebus.windows.net:9093)
          on Azure. C(bootstrap_servers) is one comma-separated string.
      type: dict
      sample: {id: "arn:aws:kafka:eu-west-1:123456789012:cluster/fsm-prod-kafka/abc", name: fsm-prod-kafka,
               bootstrap_servers: "b-1.fsmprodkafka.abc.kafka.eu-west-1.amazonaws.com:9094"}
"""

from ansible.module_utils.basic import env_fallback

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.strata.platform.plugins.module_utils._platform import layers as L
from ansible_collections.strata.platform.plugins.module_utils._platform.aws import check_credentials
from ansible_collections.strata.platform.plugins.module_utils._platform.azure import ArmClient
from ansible_collections.strata.platform.plugins.module_utils._platform.azure import azure_auth
from ansible_collections.strata.platform.plugins.module_utils._platform.finder import find_target


def argument_spec():
    """The module's own options (the AWS connection options come from AnsibleAWSModule)."""
    return dict(
        environment=dict(type="str", required=True, choices=list(L.ENVIRONMENTS)),
        region=dict(type="str", required=True, aliases=["aws_region"]),
        cloud=dict(type="str", choices=list(L.CLOUDS)),
        platform=dict(type="str", required=True, aliases=["platform_name"]),
        layers=dict(type="list", elements="str", choices=list(L.LAYERS), default=list(L.LAYERS)),
        iam_path=dict(type="str", default=L.DEFAULT_IAM_PATH),
        auth_source=dict(type="str", choices=["auto", "cli", "env", "credential_file", "msi"], default="auto",
                         fallback=(env_fallback, ["ANSIBLE_AZURE_AUTH_SOURCE"])),
        subscription_id=dict(type="str"),
        client_id=dict(type="str", no_log=True),
        secret=dict(type="str", no_log=True),
        tenant=dict(type="str", no_log=True),
        ad_user=dict(type="str", no_log=True),
        password=dict(type="str", no_log=True),
        cloud_environment=dict(type="str"),
        cert_validation_mode=dict(type="str", choices=["validate", "ignore"]),
        adfs_authority_url=dict(type="str"),
        x509_certificate_path=dict(type="path", no_log=True),
        thumbprint=dict(type="str", no_log=True),
        disable_instance_discovery=dict(type="bool", default=False),
        oidc_token=dict(type="str", no_log=True),
        oidc_token_file_path=dict(type="path", no_log=True),
    )


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True, check_boto3=False)
    params = module.params
    try:
        request = L.check_request(params["environment"], params["region"], params["cloud"], params["platform"],
                                  params["layers"])
    except L.TargetError as exc:
        module.fail_json(msg=f"Invalid target: {exc}")

    def aws():
        check_credentials(params.get("access_key"), params.get("secret_key"), params.get("session_token"),
                          params.get("profile"))
        return lambda service: module.client(service, region=request["region"])

    def azure():
        return ArmClient(*azure_auth(params))

    try:
        target = find_target(request, aws=aws, azure=azure, iam_path=params["iam_path"], warn=module.warn)
    except L.LayerLookupError as exc:
        module.fail_json(msg=str(exc))
    except AnsibleAWSError as exc:
        module.fail_json_aws_error(exc)
    module.exit_json(changed=False, target=target)


if __name__ == "__main__":
    main()
