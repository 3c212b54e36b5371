"""The local Azure test cloud: an HTTPS ARM test double on 127.0.0.1.

Run as ``python -m testcloud.azure_server --cert-dir DIR [--host 127.0.0.1] [--port 0]``. It writes a
new CA and server certificate into DIR (``ca.pem`` is what clients trust), binds the port (0 = a
free one), prints ``TESTCLOUD_PORT=<n>`` once it listens and serves threaded until SIGTERM/SIGINT.

Besides ARM (:mod:`testcloud.azure_arm`) it answers what the Azure SDK asks before any ARM call:
the cloud metadata (``ARM_CLOUD_METADATA_URL``, JSON array format), the tenant's OpenID
configuration and client-credential tokens. ARM calls without a bearer token get 401 like ARM.
The vaults' data plane (keys, secrets) answers on one more port per vault name
(:mod:`testcloud.azure_keyvault_data`).
Control endpoints: ``GET /_testcloud/stats``, ``POST /_testcloud/stats/reset``,
``POST /_testcloud/reset``, ``POST /_testcloud/create-seconds?seconds=S[&type=T]``.
"""

import argparse
import json
import ssl
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from testcloud import azure_tls
from testcloud._process import HOST, serve_until_signal
from testcloud.azure_arm import TENANT_ID, Arm
from testcloud.azure_keyvault_data import KeyVaultData

CLOUD_NAME = "StrataTestCloud"
METADATA_PATH = "/metadata/endpoints"


def metadata(endpoint):
    """The cloud metadata document (the JSON array format of ``ARM_CLOUD_METADATA_URL``)."""
    host = endpoint.split("://", 1)[1]
    return [
        {
            "name": CLOUD_NAME,
            "portal": endpoint,
            "resourceManager": endpoint + "/",
            "authentication": {
                "loginEndpoint": endpoint,
                "audiences": [endpoint + "/"],
                "tenant": "common",
                "identityProvider": "AAD",
            },
            "graphAudience": endpoint + "/",
            "graph": endpoint + "/",
            "microsoftGraphResourceId": endpoint + "/",
            "activeDirectoryDataLake": endpoint + "/",
            "batch": endpoint + "/",
            "gallery": endpoint + "/",
            "media": endpoint + "/",
            "sqlManagement": endpoint + "/",
            "vmImageAliasDoc": endpoint + "/",
            "suffixes": {
                "keyVaultDns": host,
                "storage": host,
                "sqlServerHostname": host,
                "postgresqlServerEndpoint": host,
                "acrLoginServer": host,
            },
        }
    ]


def openid_configuration(endpoint, tenant):
    """What MSAL reads before asking for a token (instance discovery is off)."""
    base = f"{endpoint}/{tenant}"
    return {
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
        "issuer": f"{endpoint}/{tenant}/v2.0",
        "jwks_uri": f"{base}/discovery/v2.0/keys",
        "response_types_supported": ["code", "id_token", "token"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "tenant_region_scope": "NA",
        "cloud_instance_name": "strata.testcloud",
    }


class Handler(BaseHTTPRequestHandler):
    """One request: auth endpoints, control endpoints or ARM."""

    protocol_version = "HTTP/1.1"
    server_version = "strata-arm-testcloud"
    arm = None  # set by make_server
    log_requests = False

    def log_message(self, format, *args):  # noqa: A002 - BaseHTTPRequestHandler's signature
        if self.log_requests:
            sys.stderr.write("%s %s\n" % (self.log_date_time_string(), format % args))

    def do_GET(self):
        self.route("GET")

    def do_PUT(self):
        self.route("PUT")

    def do_PATCH(self):
        self.route("PATCH")

    def do_DELETE(self):
        self.route("DELETE")

    def do_POST(self):
        self.route("POST")

    def do_HEAD(self):
        self.route("HEAD")

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return raw

    def send(self, status, body=None, headers=None):
        payload = b"" if body is None else json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-ms-request-id", str(uuid.uuid4()))
        self.send_header("x-ms-correlation-request-id", str(uuid.uuid4()))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)

    def route(self, method):
        url = urlsplit(self.path)
        path = url.path
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        raw = self.read_body()
        endpoint = self.arm.endpoint
        if path == METADATA_PATH:
            self.arm.count_auth()
            return self.send(200, metadata(endpoint))
        if path.startswith("/_testcloud/") and not path.startswith("/_testcloud/operations/"):
            return self.control(method, path, query)
        segments = [segment for segment in path.split("/") if segment]
        if segments[-3:-1] == [".well-known", "openid-configuration"] or segments[-2:] == [".well-known", "openid-configuration"]:
            self.arm.count_auth()
            return self.send(200, openid_configuration(endpoint, segments[0]))
        if len(segments) >= 3 and segments[1] == "oauth2" and segments[-1] == "token" and method == "POST":
            return self.token(raw)
        if path.startswith("/_testcloud/operations/") or segments[:1] in (["subscriptions"], ["providers"]):
            if not (self.headers.get("Authorization") or "").startswith("Bearer "):
                return self.send(
                    401,
                    {"error": {"code": "AuthenticationFailed", "message": "Authentication failed. The 'Authorization' header is missing."}},
                    {"WWW-Authenticate": f'Bearer authorization_uri="{endpoint}/{TENANT_ID}", error="invalid_token"'},
                )
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                return self.send(400, {"error": {"code": "InvalidRequestContent", "message": "The request content was invalid and could not be deserialized."}})
            status, headers, answer = self.arm.handle(method, path, query, body)
            return self.send(status, answer, headers)
        return self.send(404, {"error": {"code": "NotFound", "message": f"{path} is not served by the ARM test double"}})

    def token(self, raw):
        form = dict(parse_qsl(raw.decode("utf-8")))
        self.arm.count_auth()
        if not form.get("client_id"):
            return self.send(400, {"error": "invalid_request", "error_description": "AADSTS900144: client_id is missing"})
        now = int(time.time())
        return self.send(
            200,
            {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "expires_on": now + 3599,
                "access_token": f"testcloud.{uuid.uuid4().hex}",
            },
        )

    def control(self, method, path, query):
        if path == "/_testcloud/stats" and method == "GET":
            return self.send(200, self.arm.stats())
        if path == "/_testcloud/stats/reset" and method == "POST":
            self.arm.reset_stats()
            return self.send(200, self.arm.stats())
        if path == "/_testcloud/reset" and method == "POST":
            self.arm.reset()
            self.arm.keyvault_data.reset()
            return self.send(200, self.arm.stats())
        if path == "/_testcloud/create-seconds" and method == "POST":
            try:
                seconds = float(query.get("seconds", "0"))
            except ValueError:
                return self.send(400, {"error": {"code": "InvalidParameter", "message": "seconds must be a number"}})
            return self.send(200, {"create_seconds": self.arm.set_create_seconds(seconds, query.get("type"))})
        return self.send(404, {"error": {"code": "NotFound", "message": f"no control endpoint {method} {path}"}})


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m testcloud.azure_server", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=HOST)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cert-dir", required=True, help="directory for the generated CA and server certificate")
    parser.add_argument("--log-requests", action="store_true", help="log every request on stderr")
    return parser.parse_args(argv)


def make_server(host, port, cert_dir, log_requests=False):
    """A threaded HTTPS server bound to ``host:port`` with a fresh certificate (listening on return)."""
    paths = azure_tls.generate(cert_dir)
    handler = type("ArmHandler", (Handler,), {"log_requests": log_requests})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(paths[azure_tls.CERT_FILE], paths[azure_tls.KEY_FILE])
    server.socket = context.wrap_socket(server.socket, server_side=True)
    handler.arm = Arm(endpoint=f"https://{host}:{server.server_address[1]}")
    # Key Vault data plane: one HTTPS listener per vault name (see testcloud.azure_keyvault_data).
    handler.arm.keyvault_data = KeyVaultData(handler.arm, host, context, log_requests)
    return server


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    server = make_server(args.host, args.port, args.cert_dir, args.log_requests)
    serve_until_signal(server, server.server_address[1])


if __name__ == "__main__":
    sys.exit(main())
