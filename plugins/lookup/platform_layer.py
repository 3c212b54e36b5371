# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: platform_layer
author:
  - strata.platform contributors (!UNKNOWN)
version_added: 0.1.0
short_description: Find the layers of deployment targets on AWS or Azure, in one shape for both clouds
description:
  - Finds what the collection's roles built for a deployment target (one environment in one region of one cloud),
    by the names and ownership tags they give their resources, and returns it normalised to one shape for both
    clouds - the same shape, from the same code, as the C(target) that M(strata.platform.platform_layer_info)
    returns (its RETURN documents every key).
  - "The target comes from each term, an inventory host name C(<environment>-<cloud>-<region>) such as
    V(prod-aws-eu-west-1) or a C(platform_dr_target) value; or, without terms, from O(environment), O(region)
    and O(cloud). One result per term."
  - "Each result is C({cloud, environment, region, platform, name, layers, network, security_groups, identities,
    encryption_keys, key_vault, database, cache, kafka}); C(network) is C({id, name, cidr, resource_group, subnets: {public,
    app, data: [{id, cidr, zone}]}, nat_gateway_ids}), C(security_groups) is C({public, app, database, cache,
    kafka}), C(encryption_keys) is C({data, backup, logs}), C(key_vault) is C({id, name, uri}) (Azure), C(database) is
    C({id, name, endpoint, port, engine_version}), C(cache) C({id, name, endpoint, port}), C(kafka)
    C({id, name, bootstrap_servers}), C(identities) name -> id. A layer not searched or not found is V(null),
    never an error."
  - The lookup runs on the controller, with the controller's credentials and environment.
options:
  _terms:
    description:
      - Inventory host names C(<environment>-<cloud>-<region>); each names one target (environment, cloud and
        region). Lists are flattened (V(groups['prod']) works). Leave them out to use O(environment) and O(region).
    type: list
    elements: str
    required: false
  environment:
    description: The environment of the target (without terms).
    type: str
    choices: [dev, staging, uat, prod]
  region:
    description: The region of the target (without terms), an AWS region (V(us-east-1)) or an Azure one (V(eastus)).
    type: str
  cloud:
    description:
      - The cloud of the target (without terms; a term names its cloud).
      - When not set, the region decides (AWS and Azure region names never collide) - a region of the platform
        role's AWS list is searched on AWS, one of its Azure list on Azure. A region in neither list (a new one) is
        searched on AWS, then on Azure; the first cloud where a layer is found is returned (C(cloud) is V(null) when
        neither has one). Set it to search one cloud only (and need only its credentials).
    type: str
    choices: [aws, azure]
  platform:
    description:
      - The C(platform_name) of the target(s), e.g. V(fsm) (the prefix of every resource name).
      - Defaults to the calling host's C(platform_name) variable; required when that is not defined.
    type: str
    vars:
      - name: platform_name
  layers:
    description: The layers to search; the others stay V(null) in the result and cost no call.
    type: list
    elements: str
    default: [network, security_groups, iam, encryption, database, cache, kafka]
  iam_path:
    description: AWS only. The IAM path of the iam layer's roles (the iam role's C(iam_path)).
    type: str
    default: /strata/
notes:
  - "AWS: the amazon.aws options and variables below (C(AWS_ACCESS_KEY_ID)/C(AWS_SECRET_ACCESS_KEY), C(AWS_PROFILE),
    O(endpoint_url) or C(AWS_URL); botocore also reads C(AWS_ENDPOINT_URL)); the region is the target's. Azure:
    azure.azcollection's AzureRMAuth with the Azure options below (C(AZURE_SUBSCRIPTION_ID), C(AZURE_CLIENT_ID),
    C(AZURE_SECRET), C(AZURE_TENANT), C(AZURE_CLOUD_ENVIRONMENT) + C(ARM_CLOUD_METADATA_URL) for a custom cloud,
    else the Azure CLI login). Only a searched cloud needs credentials; without them the lookup fails naming the
    variables to set, before any call. O(profile) is the AWS profile; an Azure credential-file profile comes from
    C(AZURE_PROFILE)."
  - A bad term, O(environment), O(region), O(cloud), O(platform) or O(layers) fails before any call, naming it.
  - The names, tags, calls and permissions are those of M(strata.platform.platform_layer_info).
seealso:
  - module: strata.platform.platform_layer_info
extends_documentation_fragment:
  - amazon.aws.common.plugins
  - azure.azcollection.azure_plugin
"""

EXAMPLES = r"""
- name: The network of this region's DR target, whichever cloud it is in (platform from platform_name)
  ansible.builtin.debug:
    msg: "{{ lookup('strata.platform.platform_layer', platform_dr_target, layers=['network']).network }}"
  when: platform_dr_target | length > 0

- name: The database endpoint of prod in eu-west-1
  ansible.builtin.set_fact:
    dr_database: >-
      {{ lookup('strata.platform.platform_layer', environment='prod', region='eu-west-1', platform='fsm',
                layers=['database']).database }}

- name: Both clouds of prod at once (one result per target, same keys)
  ansible.builtin.debug:
    msg: "{{ item.cloud }} {{ item.network.id if item.network else 'no network' }}"
  loop: "{{ query('strata.platform.platform_layer', 'prod-aws-us-east-1', 'prod-azure-eastus', platform='fsm') }}"
"""

RETURN = r"""
_raw:
  description:
    - One dict per term (one in all without terms), in the shape of M(strata.platform.platform_layer_info)'s
      C(target). C(lookup()) with one term returns the dict itself; C(query()) always a list.
  type: list
  elements: dict
"""

import functools

from ansible.errors import AnsibleLookupError

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.plugin_utils.lookup import AWSLookupBase

from ansible_collections.strata.platform.plugins.module_utils._platform import layers as L
from ansible_collections.strata.platform.plugins.module_utils._platform.aws import check_credentials
from ansible_collections.strata.platform.plugins.module_utils._platform.azure import AUTH_OPTIONS
from ansible_collections.strata.platform.plugins.module_utils._platform.azure import ArmClient
from ansible_collections.strata.platform.plugins.module_utils._platform.azure import azure_auth
from ansible_collections.strata.platform.plugins.module_utils._platform.finder import find_target


class LookupModule(AWSLookupBase):
    """strata.platform.platform_layer"""

    def _requests(self, terms):
        """Every target asked for, checked before any call."""
        platform = self.get_option("platform")
        if platform in (None, ""):
            raise L.TargetError("platform is required: pass platform=<platform_name> (no platform_name variable is defined here)")
        layers = self.get_option("layers")
        if not terms:
            return [L.check_request(self.get_option("environment"), self.get_option("region"), self.get_option("cloud"),
                                    platform, layers)]
        given = [name for name in ("environment", "region", "cloud") if self.get_option(name) not in (None, "")]
        if given:
            raise L.TargetError(
                f"{', '.join(given)} cannot be combined with terms: a term names environment, cloud and region "
                "(<environment>-<cloud>-<region>); drop the terms or the options"
            )
        requests = []
        for term in terms:
            target = L.parse_host_name(term)
            requests.append(L.check_request(target["environment"], target["region"], target["cloud"], platform, layers))
        return requests

    def _aws_clients(self, region):
        """``client(service)`` for ``region``, once the credentials are known to exist."""
        check_credentials(self.get_option("access_key"), self.get_option("secret_key"),
                          self.get_option("session_token"), self.get_option("profile"))
        return lambda service: self.client(service, region=region)

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        try:
            requests = self._requests(self._flatten(terms or []))
        except L.TargetError as exc:
            raise AnsibleLookupError(f"strata.platform.platform_layer: invalid target: {exc}") from None
        azure_options = {name: self.get_option(name) for name in AUTH_OPTIONS if self.has_option(name)}
        results = []
        arm = []  # one ARM client (one credential, one token) for every Azure target of this call

        def azure():
            if not arm:
                arm.append(ArmClient(*azure_auth(azure_options)))
            return arm[0]

        for request in requests:
            try:
                results.append(find_target(request, aws=functools.partial(self._aws_clients, request["region"]),
                                           azure=azure, iam_path=self.get_option("iam_path"), warn=self.warn))
            except (L.LayerLookupError, AnsibleAWSError) as exc:
                raise AnsibleLookupError(f"strata.platform.platform_layer: {exc}") from None
        return results
