# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Generic Azure Resource Manager resources for the collection's Azure gap modules: one thin wrapper per
ARM call on the resource-manager client's ``*_by_id`` operations, resource ids, names and tags.

Private to the collection (used by azure_rm_userassignedidentity). For resource types that azure.azcollection
has no SDK client for (no azure-mgmt-msi in its requirements), the generic operations of
``azure-mgmt-resource`` (``AzureRMModuleBase.rm_client``) read and write any type with an explicit
api-version. Every wrapper raises AzureResourceError, which the modules convert to ``fail_json`` once;
throttling (429) and transient 5xx are retried by the SDK pipeline's retry policy.
"""

import re

try:
    from azure.core.exceptions import HttpResponseError
except ImportError:
    # azure.azcollection's module_utils reports the missing SDK when the module starts.
    HttpResponseError = Exception

# ARM's rules for most resource names (user-assigned identities included): 3-128 characters, letters, digits,
# hyphens and underscores, starting with a letter or a digit.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$")


class AzureResourceError(Exception):
    """An ARM call failed: ``verb`` (create, read, ...), ``resource_id`` and ARM's ``code`` / ``message``."""

    def __init__(self, verb, resource_id, exc):
        error = getattr(exc, "error", None)
        self.code = getattr(error, "code", None) or type(exc).__name__
        self.message = getattr(error, "message", None) or str(exc)
        self.status_code = getattr(exc, "status_code", None)
        self.verb = verb
        self.resource_id = resource_id
        super().__init__(f"{self.code}: {self.message}")


def resource_id(subscription_id, resource_group, provider, resource_type, name):
    """``/subscriptions/<s>/resourceGroups/<rg>/providers/<provider>/<type>/<name>``."""
    return f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/{provider}/{resource_type}/{name}"


def normalize_location(location):
    """ARM's short location name: ``East US`` -> ``eastus``."""
    return None if location is None else location.replace(" ", "").lower()


def merge_tags(current, desired, purge):
    """``(changed, tags)``: the tags the resource must carry. ``desired`` None = tags not managed."""
    current = dict(current or {})
    if desired is None:
        return False, current
    wanted = dict(desired) if purge else {**current, **desired}
    return wanted != current, wanted


def get_resource(client, resource_id_, api_version):
    """The resource as a dict (``id``, ``name``, ``location``, ``tags``, ``properties``...) or None when ARM
    answers 404 (the resource or its resource group does not exist)."""
    try:
        return client.resources.get_by_id(resource_id_, api_version).as_dict()
    except HttpResponseError as exc:  # ResourceNotFoundError is the 404 kind of it
        if getattr(exc, "status_code", None) == 404:
            return None
        raise AzureResourceError("read", resource_id_, exc) from exc


def put_resource(client, resource_id_, api_version, location, tags, properties, verb="create"):
    """Create or replace the resource (PUT) and wait for ARM's answer; the resource as a dict."""
    body = {"location": location, "tags": tags or {}, "properties": properties or {}}
    try:
        return client.resources.begin_create_or_update_by_id(resource_id_, api_version, body).result().as_dict()
    except HttpResponseError as exc:
        raise AzureResourceError(verb, resource_id_, exc) from exc


def delete_resource(client, resource_id_, api_version):
    """Delete the resource and wait for ARM's answer (a resource already gone is fine)."""
    try:
        client.resources.begin_delete_by_id(resource_id_, api_version).result()
    except HttpResponseError as exc:
        if getattr(exc, "status_code", None) == 404:
            return
        raise AzureResourceError("delete", resource_id_, exc) from exc
