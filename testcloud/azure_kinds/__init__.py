"""Resource kinds of the ARM test double: what ARM adds, checks and hides for one resource type.

The engine (:mod:`testcloud.azure_arm`) stores any resource it is given under its id. A :class:`Kind`
registered for a type (``microsoft.network/virtualnetworks``, lower case, child types joined with
``/``: ``microsoft.network/virtualnetworks/subnets``) says where that type differs from a plain
store, in the ways the azure.azcollection modules depend on:

* ``prepare(ctx, body, existing)``: check the request (raise :class:`ArmError` like ARM would) and
  return the properties to store: server-side fields added, write-only secrets removed;
* ``view(ctx, resource)``: the body ARM answers with (e.g. a VNet with its subnets inside);
* ``status_create`` / ``status_update``: the status codes the SDK operation accepts
  (``status_create_async``: the create's status when it is long-running, e.g. 202);
* ``etag``: the type carries a (weak) etag that changes with every write;
* ``actions``: POST actions on an item (``listKeys``, ...): ``name -> callable(ctx, resource, body)``;
* ``provisioning``: while a long-running create is under way, the state ARM reports
  (``Creating``, ``Updating``, ``Provisioning``...).

Kinds are collected from the modules listed in :data:`KIND_MODULES` (one module per provider area).
"""

import copy
import importlib

KIND_MODULES = (
    "testcloud.azure_kinds.resources",
    "testcloud.azure_kinds.keyvault",
    "testcloud.azure_kinds.keyvault_keys",
    "testcloud.azure_kinds.network",
    "testcloud.azure_kinds.redis",
    "testcloud.azure_kinds.eventhub",
    "testcloud.azure_kinds.postgresql",
    "testcloud.azure_kinds.managed_identity",
    "testcloud.azure_kinds.authorization",
    "testcloud.azure_kinds.network_security",
)


class ArmError(Exception):
    """An ARM error answer: ``{"error": {"code": code, "message": message}}`` with ``status``."""

    def __init__(self, status, code, message):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    def body(self):
        """The JSON body ARM sends for this error."""
        return {"error": {"code": self.code, "message": self.message}}


class Kind:
    """Default behaviour: store what is sent, add ``provisioningState``, answer it back."""

    type = ""  # lower-case full type, e.g. "microsoft.network/virtualnetworks"
    display_type = ""  # the type as ARM spells it in bodies, e.g. "Microsoft.Network/virtualNetworks"
    etag = False
    has_provisioning_state = True
    status_create = 201
    status_create_async = None  # the status of a create answered as a long-running operation (None: status_create)
    status_update = 200
    status_delete = 200
    async_create = True  # a create with a creation time answers with Azure-AsyncOperation
    provisioning = "Creating"
    not_found_code = "ResourceNotFound"
    actions = {}
    location_required = True

    def prepare(self, ctx, body, existing):
        """The properties to store for a PUT of ``body`` (``existing``: the stored resource or None)."""
        return copy.deepcopy(body.get("properties") or {})

    def patch(self, ctx, body, existing):
        """The properties to store for a PATCH: ``body``'s properties merged over the stored ones."""
        merged = copy.deepcopy(existing.get("properties") or {})
        deep_merge(merged, body.get("properties") or {})
        return self.prepare(ctx, {**body, "properties": merged}, existing)

    def view(self, ctx, resource):
        """The body answered for ``resource`` (a deep copy, free to change)."""
        return copy.deepcopy(resource)

    def on_delete(self, ctx, resource):
        """Check a DELETE before it happens (raise :class:`ArmError` to refuse)."""

    def after_put(self, ctx, resource, existing):
        """Side effects of a stored PUT/PATCH (e.g. child resources sent inside the body)."""

    def on_ready(self, ctx, resource):
        """A long-running create has finished (fields ARM fills in only then)."""


def deep_merge(target, source):
    """Merge ``source`` into ``target`` (dicts recursively; other values replaced)."""
    for key, value in source.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            deep_merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target


def load_kinds():
    """``{type: Kind instance}`` from every module of :data:`KIND_MODULES` (their ``KINDS`` lists)."""
    kinds = {}
    for module_name in KIND_MODULES:
        module = importlib.import_module(module_name)
        for kind_class in module.KINDS:
            kind = kind_class()
            kinds[kind.type.lower()] = kind
    return kinds
