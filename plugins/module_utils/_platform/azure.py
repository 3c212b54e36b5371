# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Azure side of the layer lookup: credentials through azure.azcollection's AzureRMAuth (the same
options, environment variables, credential file, CLI and MSI sources, custom clouds through
AZURE_CLOUD_ENVIRONMENT + ARM_CLOUD_METADATA_URL), read-only ARM REST calls through the SDK's ARM pipeline
(bearer token, retries with Retry-After), and ``find_azure`` that searches the requested layers of one target.

Private to the collection (used through ``finder.py``). The target's resource group ``<platform>-<env>-<region>``
is listed once (ids, types, tags of every resource in it); each layer's resources are those of its type carrying
the layer's match tags. Then one GET per resource whose body is needed: the VNet (subnets and address space),
the Key Vault (its URI) and its keys list, the PostgreSQL server, the Redis cache, the Event Hubs namespace.
NSGs, NAT gateways and identities come from the list alone. Never a mutating call.
"""

import os
from typing import Any
from typing import Callable
from typing import Dict
from typing import List
from typing import Optional

from ansible_collections.strata.platform.plugins.module_utils._platform import layers as L

try:
    from azure.core.exceptions import AzureError
    from azure.core.exceptions import ClientAuthenticationError
    from azure.core.pipeline import policies
    from azure.core.rest import HttpRequest
    from azure.mgmt.core import ARMPipelineClient
    from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy
    from azure.mgmt.core.policies import ARMHttpLoggingPolicy
    HAS_AZURE = True
except ImportError:
    HAS_AZURE = False

# ARM API versions of the calls made (all generally available).
API_VERSIONS = {
    "resources": "2022-09-01",
    "network": "2024-01-01",
    "keyvault": "2023-07-01",
    "postgres": "2024-08-01",
    "redis": "2024-03-01",
    "eventhub": "2024-01-01",
}
AZURE_CREDENTIAL_HINT = (
    "set AZURE_SUBSCRIPTION_ID, AZURE_CLIENT_ID, AZURE_SECRET and AZURE_TENANT (a service principal), or "
    "AZURE_PROFILE (~/.azure/credentials), or log in with az login; or pass subscription_id/client_id/secret/tenant"
)
# AzureRMAuth's keyword arguments that the lookup and the module pass through (options of the same names).
# (``profile`` is not among them: in the lookup and the module it names the AWS profile; an Azure credential
# file profile comes from AZURE_PROFILE.)
AUTH_OPTIONS = (
    "auth_source", "subscription_id", "client_id", "secret", "tenant", "ad_user", "password",
    "cloud_environment", "cert_validation_mode", "adfs_authority_url", "x509_certificate_path", "thumbprint",
    "disable_instance_discovery", "oidc_token", "oidc_token_file_path",
)


def _fail(message: str, exception: Any = None, **kwargs: Any):
    raise L.LayerLookupError(f"Azure authentication failed ({message.strip()}): {AZURE_CREDENTIAL_HINT}")


def azure_auth(options: Dict[str, Any]):
    """``(credential, resource_manager_url, subscription_id, verify)`` from azure.azcollection's AzureRMAuth.

    Raises LayerLookupError naming the variables to set when no credentials are found (no ARM call is made)."""
    if not HAS_AZURE:
        raise L.LayerLookupError(
            "searching Azure needs the Python requirements of azure.azcollection (pip install -r "
            "requirements-azure.txt of the collection, or azure.azcollection's requirements.txt)"
        )
    try:
        from ansible_collections.azure.azcollection.plugins.module_utils.azure_rm_common import AzureRMAuth
    except ImportError as exc:  # the collection itself is missing
        raise L.LayerLookupError(f"searching Azure needs the azure.azcollection collection: {exc}") from None
    params = {key: options.get(key) for key in AUTH_OPTIONS if options.get(key) not in (None, "")}
    params.setdefault("auth_source", "auto")
    try:
        auth = AzureRMAuth(fail_impl=_fail, **params)
    except (AttributeError, StopIteration):  # AzureRMAuth's own failure path breaks on an unknown cloud URL
        raise L.LayerLookupError(
            f"the Azure cloud {params.get('cloud_environment') or os.environ.get('AZURE_CLOUD_ENVIRONMENT')!r} is not "
            "known: set AZURE_CLOUD_ENVIRONMENT (or cloud_environment) to a cloud name such as AzureCloud, or to a "
            "resource manager URL together with ARM_CLOUD_METADATA_URL"
        ) from None
    base_url = auth._cloud_environment.endpoints.resource_manager  # pylint: disable=protected-access
    verify = auth._cert_validation_mode != "ignore"  # pylint: disable=protected-access
    return auth.azure_credential_track2, base_url, auth.subscription_id, verify


class ArmClient:
    """Read-only ARM REST calls: GET of one resource, GET of a list (following nextLink). Counts its requests."""

    def __init__(self, credential: Any, base_url: str, subscription_id: str, verify: bool = True):
        base = base_url if base_url.endswith("/") else base_url + "/"
        self.subscription_id = subscription_id
        self.verify = verify
        self.requests = 0
        self._client = ARMPipelineClient(
            base_url=base,
            policies=[
                policies.RequestIdPolicy(),
                policies.HeadersPolicy(),
                policies.UserAgentPolicy(sdk_moniker="strata-platform/platform-layer"),
                policies.ProxyPolicy(),
                policies.ContentDecodePolicy(),
                policies.RedirectPolicy(),
                policies.RetryPolicy(),
                ARMChallengeAuthenticationPolicy(credential, base + ".default"),
                policies.CustomHookPolicy(),
                policies.NetworkTraceLoggingPolicy(),
                ARMHttpLoggingPolicy(),
            ],
        )

    def _send(self, url: str, params: Optional[Dict[str, str]], what: str):
        self.requests += 1
        if "://" not in url:
            url = self._client.format_url(url)
        try:
            return self._client.send_request(HttpRequest("GET", url, params=params), connection_verify=self.verify)
        except ClientAuthenticationError as exc:
            raise L.LayerLookupError(f"Failed to authenticate to Azure to {what}: {exc.message}; {AZURE_CREDENTIAL_HINT}") from None
        except AzureError as exc:
            raise L.LayerLookupError(f"Failed to {what}: {exc.message}") from None

    @staticmethod
    def _error(response, what: str):
        try:
            error = (response.json() or {}).get("error") or {}
        except ValueError:
            error = {}
        code = error.get("code") or response.reason
        return L.LayerLookupError(f"Failed to {what}: {response.status_code} {code}: {error.get('message') or response.text()}")

    def get(self, path: str, api_version: str, what: str) -> Optional[Dict[str, Any]]:
        """The resource at ``path`` (an ARM id), None when it does not exist (404)."""
        response = self._send(path, {"api-version": api_version}, what)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._error(response, what)
        return response.json()

    def list(self, path: str, api_version: str, what: str) -> Optional[List[Dict[str, Any]]]:
        """Every item of the list at ``path`` (all pages); None when its parent does not exist (404)."""
        items: List[Dict[str, Any]] = []
        url, params = path, {"api-version": api_version}
        while url:
            response = self._send(url, params, what)
            if response.status_code == 404:
                return None
            if response.status_code != 200:
                raise self._error(response, what)
            page = response.json() or {}
            items.extend(page.get("value") or [])
            url, params = page.get("nextLink"), None
        return items


def find_azure(request: Dict[str, Any], arm: ArmClient, warn: Callable[[str], None] = lambda message: None) -> Dict[str, Any]:
    """The normalised layers of ``request`` (layers.check_request) on Azure. Raises LayerLookupError when a call
    fails."""
    result = L.empty_result(request, "azure")
    names = L.azure_names(request)
    wanted = request["layers"]
    group = f"/subscriptions/{arm.subscription_id}/resourceGroups/{names['resource_group']}"
    resources = arm.list(group + "/resources", API_VERSIONS["resources"], f"list the resources of the resource group {names['resource_group']}")
    if resources is None:  # no resource group: nothing of the target exists
        return result

    def owned(type_key: str, layer: str) -> List[Dict[str, Any]]:
        return L.owned_of_type(resources, type_key, request, layer)

    if "network" in wanted:
        vnet = L.pick(owned("vnet", "network"), names["vnet"])
        if vnet:
            body = arm.get(vnet["id"], API_VERSIONS["network"], f"get the virtual network {vnet['name']}")
            subnets = None
            if body is not None and "subnets" not in (body.get("properties") or {}):
                subnets = arm.list(vnet["id"] + "/subnets", API_VERSIONS["network"], f"list the subnets of {vnet['name']}") or []
            result["network"] = L.azure_network(body, subnets, owned("nat", "network"), names["resource_group"])
    if "security_groups" in wanted:
        result["security_groups"] = L.azure_security_groups(owned("nsg", "security_groups"), request["name"])
    if "iam" in wanted:
        result["identities"] = L.azure_identities(owned("identity", "iam"), request["name"])
    if "encryption" in wanted:
        vaults = owned("vault", "encryption")
        if len(vaults) > 1:
            warn(f"{len(vaults)} Key Vaults in {names['resource_group']} carry the encryption layer's tags; using {vaults[0]['name']}")
        if vaults:
            vault = arm.get(vaults[0]["id"], API_VERSIONS["keyvault"], f"get the Key Vault {vaults[0]['name']}")
            result["key_vault"] = L.azure_key_vault(vault)
            if vault is not None:
                keys = arm.list(vault["id"] + "/keys", API_VERSIONS["keyvault"], f"list the keys of the Key Vault {vault['name']}")
                result["encryption_keys"] = L.azure_keys(keys or [], result["key_vault"]["uri"])
    for layer, type_key, api, normalise, label in (
        ("database", "postgres", "postgres", L.azure_database, "PostgreSQL flexible server"),
        ("cache", "redis", "redis", L.azure_cache, "Azure Cache for Redis"),
        ("kafka", "eventhub", "eventhub", L.azure_kafka, "Event Hubs namespace"),
    ):
        if layer in wanted:
            found = L.pick(owned(type_key, layer), names[type_key])
            if found:
                result[layer] = normalise(arm.get(found["id"], API_VERSIONS[api], f"get the {label} {found['name']}"))
    return result
