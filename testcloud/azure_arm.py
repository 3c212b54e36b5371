"""The ARM test double's state: resources by id, long-running operations, call counts.

Transport-free (``azure_server`` speaks HTTP): :meth:`Arm.handle` takes a method, a path, a query and
a decoded JSON body and returns ``(status, headers, body)``. What it does, like ARM:

* ids are case-insensitive, stored with the case of the first PUT; a PUT into a missing resource
  group answers 404 ``ResourceGroupNotFound``, under a missing parent 404 ``ParentResourceNotFound``;
  GET of a missing resource 404 with the kind's code; DELETE of a missing resource 204;
* PUT answers the kind's status (create / update), PATCH merges, DELETE removes the resource and
  everything below it; lists answer ``{"value": [...]}``;
* a create of a type with a creation time (``set_create_seconds``) stays in the kind's provisioning
  state until then and answers ``Azure-AsyncOperation`` and ``Location`` headers with
  ``Retry-After: 1`` (DESIGN.md: ``Retry-After: 0`` is read as unset, i.e. 30-second polls);
* per-type behaviour comes from :mod:`testcloud.azure_kinds`.
"""

import copy
import threading
import time
import uuid

from testcloud.azure_kinds import ArmError, Kind, load_kinds

SUBSCRIPTION_ID = "5f1c7e2a-2d1b-4c55-9a34-0c9b6a1e2f01"
TENANT_ID = "7d0e3c1a-8b4f-4e2a-b6c1-3f5a9d2e1c07"
SUBSCRIPTION_NAME = "strata-testcloud"
OPERATIONS_PREFIX = "/_testcloud/operations/"
# POST actions that only read (counted as reads, like GETs).
READ_ACTIONS = {"listkeys", "checknameavailability", "listconnectionstrings", "getavailablestacks"}


def split_path(path):
    """Path segments of an ARM URL path, without empty ones."""
    return [segment for segment in path.split("/") if segment]


class Target:
    """What an ARM path names: an item or a collection, its full type and its parent."""

    def __init__(self, segments):
        self.segments = segments
        lower = [segment.lower() for segment in segments]
        self.provider_action = None
        if "providers" in lower:
            index = len(lower) - 1 - lower[::-1].index("providers")
            scope, namespace, rest = segments[:index], segments[index + 1 : index + 2], segments[index + 2 :]
            self.scope = scope
            self.namespace = namespace[0] if namespace else ""
            self.types = rest[0::2]
            self.names = rest[1::2]
        elif len(lower) >= 3 and lower[2] == "resourcegroups":
            self.scope = segments[:2]
            self.namespace = "Microsoft.Resources"
            self.types = ["resourceGroups"]
            self.names = segments[3:4]
            if len(segments) > 4:
                raise ArmError(400, "InvalidRequestUri", f"the path {'/'.join(segments)} is not an ARM resource path")
        else:
            self.scope = segments
            self.namespace = ""
            self.types = []
            self.names = []

    @property
    def is_item(self):
        """True for a resource (every type has its name)."""
        return bool(self.types) and len(self.types) == len(self.names)

    @property
    def full_type(self):
        """``microsoft.network/virtualnetworks/subnets``."""
        return "/".join([self.namespace, *self.types]).lower()

    @property
    def display_type(self):
        """``Microsoft.Network/virtualNetworks/subnets`` as the caller spelled it."""
        return "/".join([self.namespace, *self.types])

    def item_path(self):
        """The item's canonical path."""
        if self.namespace == "Microsoft.Resources" and self.types == ["resourceGroups"]:
            return "/" + "/".join([*self.scope, "resourceGroups", *self.names])
        parts = [*self.scope, "providers", self.namespace]
        for type_name, name in zip(self.types, self.names):
            parts += [type_name, name]
        return "/" + "/".join(parts)

    def parent_path(self):
        """The path of the resource (or resource group / subscription) this item or list lives in."""
        if self.namespace == "Microsoft.Resources" and self.types == ["resourceGroups"]:
            return "/" + "/".join(self.scope)
        if len(self.names) >= 1 and len(self.types) > 1:
            parts = [*self.scope, "providers", self.namespace]
            for type_name, name in zip(self.types[:-1], self.names[: len(self.types) - 1]):
                parts += [type_name, name]
            return "/" + "/".join(parts)
        return "/" + "/".join(self.scope)


class Arm:
    """Resources, operations and counters of one ARM test double (thread-safe)."""

    def __init__(self, endpoint=""):
        self.endpoint = endpoint
        self.lock = threading.RLock()
        self.kinds = load_kinds()
        self.default_kind = Kind()
        self.reset()

    # -- control -----------------------------------------------------------------------------

    def reset(self):
        """Forget every resource, operation and count; creation times back to 0."""
        with self.lock:
            self.resources = {}  # lower-case path -> resource dict
            self.meta = {}  # lower-case path -> {"type", "parent", "ready_at"}
            self.operations = {}
            self.create_seconds = {}
            self.reset_stats()

    def reset_stats(self):
        """Zero the call counters."""
        with self.lock:
            self.counts = {"read": 0, "mutating": 0, "auth": 0, "by_action": {}, "mutating_actions": {}}

    def stats(self):
        """``{"read", "mutating", "total", "auth", "by_action", "mutating_actions"}``."""
        with self.lock:
            counts = copy.deepcopy(self.counts)
        counts["total"] = counts["read"] + counts["mutating"]
        return counts

    def count(self, method, target, action=None):
        """Count one ARM request."""
        label = f"{method} {target.display_type or '/'.join(target.segments[:2])}" + (f"/{action}" if action else "")
        mutating = method in ("PUT", "PATCH", "DELETE") or (method == "POST" and (action or "").lower() not in READ_ACTIONS)
        with self.lock:
            self.counts["mutating" if mutating else "read"] += 1
            self.counts["by_action"][label] = self.counts["by_action"].get(label, 0) + 1
            if mutating:
                self.counts["mutating_actions"][label] = self.counts["mutating_actions"].get(label, 0) + 1

    def count_auth(self):
        """Count one token or metadata request (not an ARM call)."""
        with self.lock:
            self.counts["auth"] += 1

    def set_create_seconds(self, seconds, resource_type=None):
        """Creates of ``resource_type`` (lower-case full type; None: every type) take ``seconds``."""
        with self.lock:
            self.create_seconds[(resource_type or "*").lower()] = max(0.0, float(seconds))
            return dict(self.create_seconds)

    def seconds_for(self, full_type):
        """The creation time of ``full_type``."""
        return self.create_seconds.get(full_type, self.create_seconds.get("*", 0.0))

    # -- store helpers (also used by kinds) --------------------------------------------------

    def kind(self, full_type):
        """The :class:`Kind` of ``full_type`` (the default one for types without their own)."""
        return self.kinds.get(full_type.lower(), self.default_kind)

    def get(self, path):
        """The stored resource at ``path`` (any case) or None, after settling finished creations."""
        self.settle()
        return self.resources.get(path.lower())

    def children(self, parent_path, full_type=None):
        """Stored resources whose parent is ``parent_path`` (and whose type is ``full_type``)."""
        parent = parent_path.lower()
        return [
            self.resources[key]
            for key, meta in self.meta.items()
            if meta["parent"] == parent and (full_type is None or meta["type"] == full_type.lower())
        ]

    def of_type(self, full_type, under=None):
        """Stored resources of ``full_type`` (optionally below the path ``under``)."""
        prefix = (under or "").lower().rstrip("/") + "/"
        return [
            self.resources[key]
            for key, meta in self.meta.items()
            if meta["type"] == full_type.lower() and (under is None or key.startswith(prefix))
        ]

    def put_raw(self, path, full_type, parent, resource):
        """Store ``resource`` at ``path`` (used by kinds for server-made resources)."""
        self.resources[path.lower()] = resource
        meta = self.meta.setdefault(path.lower(), {"ready_at": 0.0})
        meta.update(type=full_type.lower(), parent=parent.lower())

    def delete_tree(self, path):
        """Remove ``path`` and everything below it."""
        key = path.lower()
        for other in [k for k in self.resources if k == key or k.startswith(key + "/")]:
            self.resources.pop(other, None)
            self.meta.pop(other, None)

    def settle(self):
        """Creations whose time has come report Succeeded."""
        now = time.monotonic()
        for key, meta in self.meta.items():
            if meta.get("ready_at") and meta["ready_at"] <= now:
                meta["ready_at"] = 0.0
                kind = self.kind(meta["type"])
                if kind.has_provisioning_state:
                    self.resources[key].setdefault("properties", {})["provisioningState"] = "Succeeded"
                kind.on_ready(self, self.resources[key])

    def operation_headers(self, operation_id):
        """The long-running-operation headers for ``operation_id``."""
        url = f"{self.endpoint}{OPERATIONS_PREFIX}{operation_id}?api-version=2023-01-01"
        return {"Azure-AsyncOperation": url, "Location": url + "&location=1", "Retry-After": "1"}

    # -- requests ----------------------------------------------------------------------------

    def handle(self, method, path, query, body):
        """Answer one ARM request: ``(status, headers, body)``."""
        with self.lock:
            try:
                if path.startswith(OPERATIONS_PREFIX):
                    return self.operation(path[len(OPERATIONS_PREFIX) :], query)
                return self.dispatch(method, split_path(path), query, body or {})
            except ArmError as error:
                return error.status, {}, error.body()

    def dispatch(self, method, segments, query, body):
        lower = [segment.lower() for segment in segments]
        if lower == ["subscriptions"]:
            self.count(method, Target(segments))
            return 200, {}, {"value": [self.subscription()]}
        if len(lower) == 2 and lower[0] == "subscriptions":
            self.count(method, Target(segments))
            self.check_subscription(segments[1])
            return 200, {}, self.subscription()
        if lower[:1] == ["subscriptions"]:
            self.check_subscription(segments[1])
        if lower[-1:] == ["resources"] and "providers" not in lower and method == "GET":
            return self.generic_list(segments[:-1], method)
        target = Target(segments)
        if target.namespace and not target.types:  # provider registration
            self.count(method, target)
            return 200, {}, {"id": "/" + "/".join(segments), "namespace": target.namespace, "registrationState": "Registered"}
        if target.namespace == "Microsoft.Resources" and not target.names:
            self.count(method, target)
            return 200, {}, {"value": [self.view(r) for r in self.children("/" + "/".join(target.scope), target.full_type)]}
        if not target.is_item:
            return self.collection_or_action(method, target, query, body)
        self.count(method, target)
        if method == "GET":
            return self.read(target)
        if method == "HEAD":  # check_existence
            return (204, {}, None) if self.get(target.item_path()) is not None else (404, {}, None)
        if method == "PUT":
            return self.put(target, query, body)
        if method == "PATCH":
            return self.patch(target, body)
        if method == "DELETE":
            return self.delete(target)
        raise ArmError(405, "MethodNotAllowed", f"{method} is not supported on {target.display_type}")

    def generic_list(self, scope_segments, method):
        """``GET .../resources``: every resource in the subscription or resource group (top-level
        resources only, like ARM's generic list)."""
        scope = "/" + "/".join(scope_segments)
        self.count(method, Target(scope_segments + ["providers", "Microsoft.Resources", "resources"]))
        if len(scope_segments) == 4 and self.get(scope) is None:
            raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{scope_segments[3]}' could not be found.")
        items = []
        for key, meta in self.meta.items():
            if meta["type"] == "microsoft.resources/resourcegroups" or not key.startswith(scope.lower() + "/"):
                continue
            if meta["type"].count("/") != 1:  # child resources are not listed
                continue
            resource = self.resources[key]
            items.append({field: resource[field] for field in ("id", "name", "type", "location", "tags", "sku", "kind") if field in resource})
        return 200, {}, {"value": items}

    def check_subscription(self, subscription):
        if subscription.lower() != SUBSCRIPTION_ID:
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{subscription}' could not be found.")

    def subscription(self):
        return {
            "id": f"/subscriptions/{SUBSCRIPTION_ID}",
            "subscriptionId": SUBSCRIPTION_ID,
            "tenantId": TENANT_ID,
            "displayName": SUBSCRIPTION_NAME,
            "state": "Enabled",
        }

    def view(self, resource):
        """The answered body of a stored resource."""
        return self.kind(resource["type"]).view(self, resource)

    def not_found(self, target):
        scope = [segment.lower() for segment in target.scope]
        if len(scope) == 4 and scope[2] == "resourcegroups" and self.get("/" + "/".join(target.scope)) is None:
            # ARM checks the resource group first: a resource in a missing group is ResourceGroupNotFound.
            return ArmError(404, "ResourceGroupNotFound", f"Resource group '{target.scope[3]}' could not be found.")
        kind = self.kind(target.full_type)
        code = "ResourceGroupNotFound" if target.full_type == "microsoft.resources/resourcegroups" else kind.not_found_code
        label = "Resource group" if code == "ResourceGroupNotFound" else "Resource"
        return ArmError(404, code, f"{label} '{target.item_path()}' could not be found.")

    def read(self, target):
        resource = self.get(target.item_path())
        if resource is None:
            synthetic = getattr(self.kind(target.full_type), "synthetic", None)
            resource = synthetic(self, target) if synthetic else None
            if resource is None:
                raise self.not_found(target)
            return 200, {}, resource
        return 200, {}, self.view(resource)

    def check_parent(self, target):
        """404 like ARM when the resource group or parent resource does not exist."""
        parent = target.parent_path()
        parent_segments = split_path(parent)
        if len(parent_segments) == 2:  # the subscription itself
            return
        if self.get(parent) is not None:
            return
        if len(parent_segments) == 4 and parent_segments[2].lower() == "resourcegroups":
            raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{parent_segments[3]}' could not be found.")
        raise ArmError(404, "ParentResourceNotFound", f"Can not perform requested operation on nested resource. Parent resource '{parent}' not found.")

    def put(self, target, query, body):
        kind = self.kind(target.full_type)
        path = target.item_path()
        existing = self.get(path)
        self.check_parent(target)
        if existing is None and kind.location_required and not body.get("location"):
            raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
        properties = kind.prepare(self, body, existing)
        resource = self.compose(target, kind, body, existing, properties)
        return self.store(target, kind, resource, existing)

    def patch(self, target, body):
        kind = self.kind(target.full_type)
        path = target.item_path()
        existing = self.get(path)
        if existing is None:
            raise self.not_found(target)
        properties = kind.patch(self, body, existing)
        merged = {key: value for key, value in existing.items() if key != "properties"}
        for key, value in body.items():
            if key not in ("properties", "id", "name", "type"):
                merged[key] = copy.deepcopy(value)
        resource = self.compose(target, kind, merged, existing, properties)
        return self.store(target, kind, resource, existing)

    def compose(self, target, kind, body, existing, properties):
        """The resource to store: the caller's top-level fields, ARM's id/name/type, the properties."""
        resource = {key: copy.deepcopy(value) for key, value in body.items() if key not in ("id", "name", "type", "properties", "etag")}
        resource["id"] = existing["id"] if existing else target.item_path()
        resource["name"] = existing["name"] if existing else target.names[-1]
        resource["type"] = existing["type"] if existing else (kind.display_type or target.display_type)
        if existing and "location" in existing and "location" not in resource:
            resource["location"] = existing["location"]
        if kind.has_provisioning_state:
            properties["provisioningState"] = "Succeeded"
        resource["properties"] = properties
        if kind.etag:
            resource["etag"] = f'W/"{uuid.uuid4()}"'
        return resource

    def store(self, target, kind, resource, existing):
        path = target.item_path()
        self.put_raw(path, target.full_type, target.parent_path(), resource)
        headers = {}
        seconds = self.seconds_for(target.full_type)
        if existing is None and seconds > 0 and kind.async_create:
            if kind.has_provisioning_state:
                resource["properties"]["provisioningState"] = kind.provisioning
            self.meta[path.lower()]["ready_at"] = time.monotonic() + seconds
            operation_id = str(uuid.uuid4())
            self.operations[operation_id] = {"path": path, "kind": "put"}
            headers = self.operation_headers(operation_id)
        kind.after_put(self, resource, existing)
        status = kind.status_update if existing else kind.status_create
        if headers and kind.status_create_async:  # e.g. 202 where the SDK accepts only 200/202
            status = kind.status_create_async
        return status, headers, self.view(resource)

    def delete(self, target):
        kind = self.kind(target.full_type)
        path = target.item_path()
        resource = self.get(path)
        if resource is None:
            return 204, {}, None
        kind.on_delete(self, resource)
        self.delete_tree(path)
        if kind.status_delete == 202:
            operation_id = str(uuid.uuid4())
            self.operations[operation_id] = {"path": path, "kind": "delete"}
            return 202, self.operation_headers(operation_id), None
        return kind.status_delete, {}, None

    def collection_or_action(self, method, target, query, body):
        """A list (GET on a collection) or a POST action on an item (``.../listKeys``)."""
        if method == "POST" and target.types:
            item = Target(target.segments[:-1])
            action = target.segments[-1]
            self.count(method, item if item.types else target, action)
            owner = item if item.is_item else target
            kind = self.kind(owner.full_type if item.is_item else target.full_type)
            handler = {name.lower(): func for name, func in kind.actions.items()}.get(action.lower())
            resource = self.get(item.item_path()) if item.is_item else None
            if item.is_item and resource is None:
                raise self.not_found(item)
            if handler is None:
                handler = getattr(self.kind(target.full_type), "provider_action", None)
                if handler is None or item.is_item:
                    raise ArmError(400, "InvalidResourceOperation", f"The action '{action}' is not supported on {owner.display_type}.")
                return 200, {}, handler(self, target, body)
            return 200, {}, handler(self, resource, body)
        if method != "GET":
            self.count(method, target)
            raise ArmError(405, "MethodNotAllowed", f"{method} is not supported on the collection {target.display_type}")
        self.count(method, target)
        parent = target.parent_path()
        parent_segments = split_path(parent)
        kind = self.kind(target.full_type)
        if hasattr(kind, "list_items"):
            return 200, {}, {"value": kind.list_items(self, target, query)}
        if len(parent_segments) == 2:
            items = self.of_type(target.full_type, under=parent)
        else:
            if self.get(parent) is None and len(parent_segments) == 4:
                raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{parent_segments[3]}' could not be found.")
            items = self.children(parent, target.full_type)
        return 200, {}, {"value": [self.view(resource) for resource in items]}

    def operation(self, operation_id, query):
        """The status of a long-running operation (``Azure-AsyncOperation``) or its ``Location``."""
        self.settle()
        operation = self.operations.get(operation_id.split("?")[0])
        if operation is None:
            raise ArmError(404, "OperationNotFound", f"The operation '{operation_id}' was not found.")
        meta = self.meta.get(operation["path"].lower())
        done = operation["kind"] == "delete" or meta is None or not meta.get("ready_at")
        self.counts["read"] += 1
        self.counts["by_action"]["GET operation"] = self.counts["by_action"].get("GET operation", 0) + 1
        if query.get("location"):
            if not done:
                return 202, {"Location": self.operation_headers(operation_id)["Location"], "Retry-After": "1"}, None
            resource = self.resources.get(operation["path"].lower())
            return (200, {}, self.view(resource)) if resource is not None and operation["kind"] == "put" else (204, {}, None)
        status = "Succeeded" if done else "InProgress"
        headers = {} if done else {"Retry-After": "1"}
        return 200, headers, {"id": operation_id, "name": operation_id, "status": status}
