"""The Key Vault data plane of the ARM test double: keys and secrets of the vaults ARM holds.

Why one HTTPS listener per vault: a real vault answers at ``https://<name>.vault.azure.net/``, and the
Azure SDK (azure-keyvault-keys/-secrets 4.x) relies on that shape. It parses every key and secret id as
``<scheme>://<host>[:port]/<collection>/<name>[/<version>]`` (``_shared.parse_key_vault_id``), so a vault
URL with a path prefix (``https://127.0.0.1:<port>/_vaults/<name>/``) breaks ``KeyClient.get_key`` with
``ValueError: '...' is not a valid ID``; and no ``*.localhost`` name resolves here. So each vault name
gets its own port on the double's host: ``vaultUri`` is ``https://127.0.0.1:<vault port>/``, kept for
the name as long as the double runs (a recovered vault answers at the same URI, like Azure's).

What it answers, like Key Vault (REST API 7.x; the SDK sends ``api-version`` 2025-07-01):

* challenge authentication: a request without a bearer token gets 401 with
  ``WWW-Authenticate: Bearer authorization="<login endpoint>/<tenant>", resource="https://0.0.1:<port>"``.
  The SDK checks that the vault's host ends with ``.<resource host>`` (``127.0.0.1:<port>`` ends with
  ``.0.0.1:<port>``, as ``<name>.vault.azure.net`` ends with ``.vault.azure.net``) and asks the double's
  token endpoint for ``https://0.0.1:<port>/.default``. Any bearer token is accepted: RBAC is not
  enforced (every caller may read and write), nor are the vault's network ACLs;
* keys: create (a new version each time; RSA 2048/3072/4096 and EC P-256/P-384/P-521/P-256K with a real
  public JWK, private part discarded; ``-HSM`` types only on a premium vault), get (latest or a version),
  list (version-less ``kid``), versions, update (enabled, dates, operations, tags), delete to the deleted
  collection, get/list deleted, recover, purge;
* secrets: set (a new version), get (with its value), list and versions (never a value), update, delete,
  get/list deleted (no value), recover, purge;
* soft delete: a deleted name cannot be reused (409 ``Conflict`` / ``ObjectIsDeletedButRecoverable``)
  until it is recovered or purged; purge is refused with purge protection (403 ``Forbidden``);
  ``recoveryLevel`` / ``recoverableDays`` follow the vault's settings;
* a vault that ARM does not hold (never created, soft-deleted, purged) answers 404 ``VaultNotFound``
  (Azure: its DNS name no longer resolves).

Not modelled (501 ``NotImplemented``): cryptographic operations, import, backup/restore, rotation and
rotation policies, certificates. Requests count in the ARM double's counters as
``"<METHOD> KeyVault/<collection>[/<action>]"`` (GET reads, the rest mutating); challenges count as auth.
"""

import base64
import copy
import json
import re
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from testcloud.azure_arm import TENANT_ID

VAULT_TYPE = "microsoft.keyvault/vaults"
OBJECT_NAME = re.compile(r"^[0-9a-zA-Z-]{1,127}$")
RSA_SIZES = (2048, 3072, 4096)
EC_CURVES = {"P-256": ec.SECP256R1, "P-384": ec.SECP384R1, "P-521": ec.SECP521R1, "P-256K": ec.SECP256K1}
RSA_OPS = ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"]
EC_OPS = ["sign", "verify"]
SECRET_MAX_BYTES = 25 * 1024


class DataError(Exception):
    """A Key Vault error answer: ``{"error": {"code", "message"[, "innererror"]}}``."""

    def __init__(self, status, code, message, inner=None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.body = {"error": {"code": code, "message": message}}
        if inner:
            self.body["error"]["innererror"] = {"code": inner}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def int_bytes(value, length=None):
    length = length or max(1, (value.bit_length() + 7) // 8)
    return value.to_bytes(length, "big")


def public_jwk(kty, size, curve):
    """The public part of a new key (the private part is never kept)."""
    if kty.startswith("RSA"):
        numbers = rsa.generate_private_key(public_exponent=65537, key_size=size).public_key().public_numbers()
        return {"n": b64url(int_bytes(numbers.n)), "e": b64url(int_bytes(numbers.e))}
    key = ec.generate_private_key(EC_CURVES[curve]())
    numbers = key.public_key().public_numbers()
    length = (key.curve.key_size + 7) // 8
    return {"crv": curve, "x": b64url(int_bytes(numbers.x, length)), "y": b64url(int_bytes(numbers.y, length))}


def not_found(kind, name, deleted=False):
    code = "KeyNotFound" if kind == "keys" else "SecretNotFound"
    label = "key" if kind == "keys" else "secret"
    if deleted:
        return DataError(404, code, f"Deleted {label} not found: {name}")
    return DataError(
        404, code,
        f"A {label} with (name/id) {name} was not found in this key vault. If you recently deleted this {label} you "
        "may be able to recover it using the correct recovery command. For help resolving this issue, please see "
        "https://go.microsoft.com/fwlink/?linkid=2125182",
    )


def not_implemented(what):
    return DataError(501, "NotImplemented", f"{what} is not modelled by the strata.platform ARM test double")


class VaultStore:
    """Keys and secrets of one vault name: ``{"keys": {lower name: entry}, "secrets": {...}}``; an entry is
    ``{"name", "versions": [record, ...] (latest last), "deleted": None or {"deletedDate", "scheduledPurgeDate"}}``."""

    def __init__(self):
        self.collections = {"keys": {}, "secrets": {}}


class KeyVaultData:
    """The data plane of every vault of one ARM double (thread-safe through the ARM lock)."""

    def __init__(self, arm, host, ssl_context, log_requests=False):
        self.arm = arm
        self.host = host
        self.ssl_context = ssl_context
        self.log_requests = log_requests
        self.listeners = {}  # lower-case vault name -> server (kept across resets: a name keeps its URI)
        self.names = {}  # port -> lower-case vault name
        self.reset()

    # -- control, used by the ARM kinds -----------------------------------------------------------

    def reset(self):
        """Forget every key and secret (the listeners stay: a vault name keeps its port)."""
        with self.arm.lock:
            self.stores = {}

    def vault_uri(self, name):
        """``https://<host>:<port>/`` of the vault ``name`` (its listener is started on first use)."""
        key = name.lower()
        with self.arm.lock:
            server = self.listeners.get(key)
            if server is None:
                server = self._listen(key)
            return f"https://{self.host}:{server.server_address[1]}/"

    def forget(self, name):
        """A vault was purged or created anew: its keys and secrets are gone for good."""
        with self.arm.lock:
            self.stores.pop(name.lower(), None)

    def _listen(self, key):
        handler = type("KeyVaultHandler", (DataPlaneHandler,), {"plane": self, "log_requests": self.log_requests})
        server = ThreadingHTTPServer((self.host, 0), handler)
        server.daemon_threads = True
        server.socket = self.ssl_context.wrap_socket(server.socket, server_side=True)
        thread = threading.Thread(target=server.serve_forever, name=f"keyvault-{key}", daemon=True)
        thread.start()
        self.listeners[key] = server
        self.names[server.server_address[1]] = key
        return server

    # -- requests ---------------------------------------------------------------------------------

    def handle(self, port, method, path, query, headers, raw):
        """Answer one data-plane request on ``port``: ``(status, headers, body)``."""
        with self.arm.lock:
            name = self.names.get(port)
            if not (headers.get("Authorization") or "").startswith("Bearer "):
                self.arm.count_auth()
                return 401, {"WWW-Authenticate": self.challenge(port)}, {
                    "error": {"code": "Unauthorized", "message": "AKV10000: Request is missing a Bearer or PoP token."}}
            segments = [segment for segment in path.split("/") if segment]
            self.count(method, segments)
            try:
                if not query.get("api-version"):
                    raise DataError(400, "BadParameter", "The 'api-version' query parameter is missing.")
                vault = self.active_vault(name)
                if vault is None:
                    raise DataError(404, "VaultNotFound",
                                    f"The vault '{name}' does not exist (never created, soft-deleted or purged); "
                                    "Azure would not resolve its DNS name.")
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError as error:
                    raise DataError(400, "BadParameter", f"The request body is not valid JSON: {error}") from None
                status, answer = self.route(vault, method, segments, body if isinstance(body, dict) else {})
                return status, {}, answer
            except DataError as error:
                return error.status, {}, error.body

    def challenge(self, port):
        return f'Bearer authorization="{self.arm.endpoint}/{TENANT_ID}", resource="https://0.0.1:{port}"'

    def count(self, method, segments):
        collection = segments[0].lower() if segments else "/"
        action = segments[-1].lower() if len(segments) >= 3 and method == "POST" else ""
        label = f"{method} KeyVault/{collection}" + (f"/{action}" if action else "")
        mutating = method not in ("GET", "HEAD")
        counts = self.arm.counts
        counts["mutating" if mutating else "read"] += 1
        counts["by_action"][label] = counts["by_action"].get(label, 0) + 1
        if mutating:
            counts["mutating_actions"][label] = counts["mutating_actions"].get(label, 0) + 1

    def active_vault(self, name):
        """The ARM body of the vault ``name`` when it exists and has finished provisioning, else None."""
        if name is None:
            return None
        for resource in self.arm.of_type(VAULT_TYPE):
            if resource["name"].lower() == name:
                state = (resource.get("properties") or {}).get("provisioningState", "Succeeded")
                return resource if state == "Succeeded" else None
        return None

    def route(self, vault, method, segments, body):
        store = self.stores.setdefault(vault["name"].lower(), VaultStore())
        ctx = VaultContext(vault, store)
        if not segments:
            raise DataError(404, "NotFound", "No operation at the vault's root.")
        collection, rest = segments[0].lower(), segments[1:]
        if collection in ("keys", "secrets"):
            return ctx.objects(collection, method, rest, body)
        if collection in ("deletedkeys", "deletedsecrets"):
            return ctx.deleted(collection[len("deleted"):], method, rest)
        if collection in ("certificates", "deletedcertificates"):
            raise not_implemented("Key Vault certificates")
        if collection == "rng":
            raise not_implemented("Random bytes (POST /rng)")
        raise DataError(404, "NotFound", f"No operation at /{'/'.join(segments)}.")


class VaultContext:
    """One request against one vault: its ARM settings and its store."""

    def __init__(self, vault, store):
        self.vault = vault
        self.properties = vault.get("properties") or {}
        self.uri = self.properties.get("vaultUri", "")
        self.store = store

    # -- vault settings -------------------------------------------------------------------------

    @property
    def retention_days(self):
        return int(self.properties.get("softDeleteRetentionInDays") or 90)

    @property
    def purge_protection(self):
        return bool(self.properties.get("enablePurgeProtection"))

    def recovery_level(self):
        level = "Recoverable" if self.purge_protection else "Recoverable+Purgeable"
        return ("CustomizedRecoverable" + level[len("Recoverable"):]) if self.retention_days < 90 else level

    # -- helpers --------------------------------------------------------------------------------

    def entries(self, kind):
        return self.store.collections[kind]

    def check_name(self, name):
        if not OBJECT_NAME.match(name):
            raise DataError(400, "BadParameter", f"The request URI contains an invalid name: {name}")

    def live(self, kind, name):
        entry = self.entries(kind).get(name.lower())
        if entry is None or entry["deleted"] is not None or not entry["versions"]:
            raise not_found(kind, name)
        return entry

    def version(self, kind, entry, version):
        if not version:
            return entry["versions"][-1]
        for record in entry["versions"]:
            if record["version"] == version.lower():
                return record
        raise not_found(kind, f"{entry['name']}/{version}")

    def attributes(self, record, kind):
        attributes = {
            "enabled": record["enabled"],
            "created": record["created"],
            "updated": record["updated"],
            "recoveryLevel": self.recovery_level(),
            "recoverableDays": self.retention_days,
        }
        for field in ("nbf", "exp"):
            if record.get(field) is not None:
                attributes[field] = record[field]
        if kind == "keys":
            attributes["exportable"] = False
        return attributes

    def object_id(self, kind, entry, record=None):
        base = f"{self.uri}{kind}/{entry['name']}"
        return f"{base}/{record['version']}" if record else base

    def bundle(self, kind, entry, record, with_value=True):
        if kind == "keys":
            key = {"kid": self.object_id(kind, entry, record), "kty": record["kty"], "key_ops": list(record["key_ops"])}
            key.update(record["jwk"])
            answer = {"key": key, "attributes": self.attributes(record, kind)}
        else:
            answer = {"id": self.object_id(kind, entry, record), "attributes": self.attributes(record, kind)}
            if with_value:
                answer["value"] = record["value"]
            if record.get("contentType") is not None:
                answer["contentType"] = record["contentType"]
        if record.get("tags"):
            answer["tags"] = copy.deepcopy(record["tags"])
        return answer

    def item(self, kind, entry, record, versioned=False):
        """A list entry: id (version-less unless ``versioned``), attributes, tags; never a value."""
        field = "kid" if kind == "keys" else "id"
        answer = {field: self.object_id(kind, entry, record if versioned else None), "attributes": self.attributes(record, kind)}
        if kind == "secrets" and record.get("contentType") is not None:
            answer["contentType"] = record["contentType"]
        if record.get("tags"):
            answer["tags"] = copy.deepcopy(record["tags"])
        return answer

    def deleted_fields(self, kind, entry):
        return {
            "recoveryId": f"{self.uri}deleted{kind}/{entry['name']}",
            "deletedDate": entry["deleted"]["deletedDate"],
            "scheduledPurgeDate": entry["deleted"]["scheduledPurgeDate"],
        }

    @staticmethod
    def apply_attributes(record, attributes):
        for field in ("enabled", "nbf", "exp"):
            if field in (attributes or {}):
                record[field] = attributes[field]

    # -- keys and secrets -----------------------------------------------------------------------

    def objects(self, kind, method, rest, body):
        if not rest:
            if method == "GET":
                return 200, {"value": [self.item(kind, e, e["versions"][-1]) for e in self.entries(kind).values()
                                       if e["deleted"] is None and e["versions"]], "nextLink": None}
            raise DataError(405, "MethodNotAllowed", f"{method} is not supported on /{kind}.")
        name = rest[0]
        if name.lower() in ("restore", "import"):
            raise not_implemented(f"{kind} {name}")
        self.check_name(name)
        if len(rest) == 1:
            if method == "GET":
                entry = self.live(kind, name)
                return 200, self.bundle(kind, entry, entry["versions"][-1])
            if method == "DELETE":
                return 200, self.delete(kind, name)
            if method == "PUT" and kind == "secrets":
                return 200, self.set_secret(name, body)
            if method == "PUT":
                raise not_implemented("Key import")
            if method == "PATCH":
                return 200, self.update(kind, name, "", body)
        elif len(rest) == 2:
            action = rest[1]
            if action.lower() == "create" and method == "POST" and kind == "keys":
                return 200, self.create_key(name, body)
            if action.lower() == "versions" and method == "GET":
                entry = self.live(kind, name)
                return 200, {"value": [self.item(kind, entry, r, versioned=True) for r in entry["versions"]], "nextLink": None}
            if action.lower() in ("rotate", "rotationpolicy", "backup"):
                raise not_implemented(f"{kind} {action}")
            if method == "GET":
                entry = self.live(kind, name)
                return 200, self.bundle(kind, entry, self.version(kind, entry, action))
            if method == "PATCH":
                return 200, self.update(kind, name, action, body)
        elif len(rest) == 3 and method == "POST":
            raise not_implemented(f"The cryptographic operation {rest[2]}")
        raise DataError(405, "MethodNotAllowed", f"{method} is not supported on /{kind}/{'/'.join(rest)}.")

    def new_entry(self, kind, name):
        entries = self.entries(kind)
        entry = entries.get(name.lower())
        if entry is not None and entry["deleted"] is not None:
            label = "Key" if kind == "keys" else "Secret"
            raise DataError(
                409, "Conflict",
                f"{label} {name} is currently in a deleted but recoverable state, and its name cannot be reused; in "
                f"this state, the {label.lower()} can only be recovered or purged.",
                inner="ObjectIsDeletedButRecoverable",
            )
        if entry is None:
            entry = entries[name.lower()] = {"name": name, "versions": [], "deleted": None}
        return entry

    def new_record(self, body):
        now = int(time.time())
        record = {"version": uuid.uuid4().hex, "enabled": True, "created": now, "updated": now,
                  "tags": copy.deepcopy(body.get("tags")) or None}
        self.apply_attributes(record, body.get("attributes"))
        return record

    def create_key(self, name, body):
        kty = body.get("kty")
        sku = ((self.properties.get("sku") or {}).get("name") or "standard").lower()
        if kty not in ("RSA", "RSA-HSM", "EC", "EC-HSM"):
            raise DataError(400, "BadParameter", f"Key type '{kty}' is not supported by a vault (RSA, RSA-HSM, EC, EC-HSM).")
        if kty.endswith("-HSM") and sku != "premium":
            raise DataError(400, "BadParameter", f"Key type {kty} needs a premium vault; this vault's SKU is {sku}.")
        size = body.get("key_size")
        curve = body.get("crv")
        if kty.startswith("RSA"):
            size = size or 2048
            if size not in RSA_SIZES:
                raise DataError(400, "BadParameter", f"Invalid key size {size} for RSA: 2048, 3072 or 4096.")
        else:
            curve = curve or "P-256"
            if curve not in EC_CURVES:
                raise DataError(400, "BadParameter", f"Invalid curve {curve}: {', '.join(EC_CURVES)}.")
        entry = self.new_entry("keys", name)
        record = self.new_record(body)
        record.update(kty=kty, key_ops=list(body.get("key_ops") or (RSA_OPS if kty.startswith("RSA") else EC_OPS)),
                      jwk=public_jwk(kty, size, curve))
        entry["versions"].append(record)
        return self.bundle("keys", entry, record)

    def set_secret(self, name, body):
        value = body.get("value")
        if not isinstance(value, str):
            raise DataError(400, "BadParameter", "The secret value (property 'value') is required.")
        if len(value.encode("utf-8")) > SECRET_MAX_BYTES:
            raise DataError(400, "BadParameter", f"The secret value is larger than {SECRET_MAX_BYTES} bytes.")
        entry = self.new_entry("secrets", name)
        record = self.new_record(body)
        record.update(value=value, contentType=body.get("contentType"))
        entry["versions"].append(record)
        return self.bundle("secrets", entry, record)

    def update(self, kind, name, version, body):
        entry = self.live(kind, name)
        record = self.version(kind, entry, version)
        self.apply_attributes(record, body.get("attributes"))
        if "tags" in body:
            record["tags"] = copy.deepcopy(body["tags"]) or None
        if kind == "keys" and body.get("key_ops") is not None:
            record["key_ops"] = list(body["key_ops"])
        if kind == "secrets" and "contentType" in body:
            record["contentType"] = body["contentType"]
        record["updated"] = int(time.time())
        return self.bundle(kind, entry, record)

    def delete(self, kind, name):
        entry = self.live(kind, name)
        now = int(time.time())
        entry["deleted"] = {"deletedDate": now, "scheduledPurgeDate": now + self.retention_days * 86400}
        answer = self.bundle(kind, entry, entry["versions"][-1], with_value=False)
        answer.update(self.deleted_fields(kind, entry))
        return answer

    # -- deleted collections --------------------------------------------------------------------

    def deleted(self, kind, method, rest):
        if not rest:
            if method != "GET":
                raise DataError(405, "MethodNotAllowed", f"{method} is not supported on /deleted{kind}.")
            value = []
            for entry in self.entries(kind).values():
                if entry["deleted"] is not None:
                    item = self.item(kind, entry, entry["versions"][-1])
                    item.update(self.deleted_fields(kind, entry))
                    value.append(item)
            return 200, {"value": value, "nextLink": None}
        name = rest[0]
        self.check_name(name)
        entry = self.entries(kind).get(name.lower())
        if entry is None or entry["deleted"] is None:
            raise not_found(kind, name, deleted=True)
        if len(rest) == 1 and method == "GET":
            answer = self.bundle(kind, entry, entry["versions"][-1], with_value=False)
            answer.update(self.deleted_fields(kind, entry))
            return 200, answer
        if len(rest) == 1 and method == "DELETE":  # purge
            if self.purge_protection:
                raise DataError(
                    403, "Forbidden",
                    'Operation "purge" is not allowed because purge protection is enabled for this vault. Key Vault '
                    "service will automatically purge it after the retention period has passed.",
                    inner="ForbiddenByPolicy",
                )
            del self.entries(kind)[name.lower()]
            return 204, None
        if len(rest) == 2 and rest[1].lower() == "recover" and method == "POST":
            entry["deleted"] = None
            return 200, self.bundle(kind, entry, entry["versions"][-1])
        raise DataError(405, "MethodNotAllowed", f"{method} is not supported on /deleted{kind}/{'/'.join(rest)}.")


class DataPlaneHandler(BaseHTTPRequestHandler):
    """One HTTPS request to a vault's listener, answered by :class:`KeyVaultData`."""

    protocol_version = "HTTP/1.1"
    server_version = "strata-keyvault-testcloud"
    plane = None
    log_requests = False

    def log_message(self, format, *args):  # noqa: A002 - BaseHTTPRequestHandler's signature
        if self.log_requests:
            sys.stderr.write("keyvault %s %s\n" % (self.log_date_time_string(), format % args))

    def do_GET(self):
        self.answer("GET")

    def do_PUT(self):
        self.answer("PUT")

    def do_PATCH(self):
        self.answer("PATCH")

    def do_DELETE(self):
        self.answer("DELETE")

    def do_POST(self):
        self.answer("POST")

    def answer(self, method):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        status, headers, body = self.plane.handle(self.server.server_address[1], method, url.path, query, self.headers, raw)
        payload = b"" if body is None else json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-ms-request-id", str(uuid.uuid4()))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if payload:
            self.wfile.write(payload)
