"""WSGI middleware that counts the AWS API calls the test cloud serves, as read or mutating.

Every request except ``/moto-api/...`` and ``/_testcloud/...`` is recorded as ``"<service>:<Action>"``:

* service: the SigV4 credential scope (``Credential=AKID/date/region/SERVICE/aws4_request``), from the
  ``Authorization`` header or a presigned URL's ``X-Amz-Credential``; ``unknown`` when unsigned;
* action: ``Action=`` in the query string or the form body (query protocol: EC2, IAM, RDS, ...), else
  the part of ``X-Amz-Target`` after its last ``.`` (JSON protocol: logs, kms, ...), else
  ``METHOD /path`` (REST protocols: S3, backup, kafka, ...).

Read calls are actions starting with Describe, List, Get, Head, Lookup, Search or Check, and REST
GET/HEAD requests; everything else is mutating. The middleware also serves the control endpoints:

* ``GET /_testcloud/stats`` -> ``{"read", "mutating", "total", "by_action", "mutating_actions"}``
* ``POST /_testcloud/stats/reset`` -> zero the counters
* ``POST /_testcloud/reset`` -> reset moto's state (like ``POST /moto-api/reset``) and the counters
* ``POST /_testcloud/create-seconds?seconds=N[&service=RDS|ELASTICACHE|MSK]`` -> how long resources
  created from now on report their creating state (all services, or one; see aws_patches/_creation.py)
"""

import io
import json
import re
import os
import threading
from urllib.parse import parse_qs

CONTROL_PREFIX = "/_testcloud/"
CREATE_SECONDS_ENV = "STRATA_TESTCLOUD_CREATE_SECONDS"
CREATE_SECONDS_SERVICES = ("RDS", "ELASTICACHE", "MSK")
UNCOUNTED_PREFIXES = ("/moto-api", CONTROL_PREFIX)
READ_PREFIXES = ("Describe", "List", "Get", "Head", "Lookup", "Search", "Check")
READ_METHODS = ("GET", "HEAD")
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"

_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/[^/]+/[^/]+/([^/]+)/aws4_request")


def service_of(environ, query):
    """The signing service from the SigV4 credential scope, or ``unknown``."""
    match = _CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if match:
        return match.group(1)
    credential = query.get("X-Amz-Credential", [""])[0]
    parts = credential.split("/")
    if len(parts) == 5 and parts[4] == "aws4_request":
        return parts[3]
    return "unknown"


def read_form_body(environ):
    """Read a form-encoded body and put it back in ``wsgi.input`` so that moto still sees it."""
    if not environ.get("CONTENT_TYPE", "").startswith(FORM_CONTENT_TYPE):
        return ""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return ""
    if length <= 0:
        return ""
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return body.decode("utf-8", errors="replace")


def action_of(environ, query):
    """``(action, is_rest)`` for a request: the query-protocol Action, the JSON target, or ``METHOD /path``."""
    action = query.get("Action", [""])[0]
    if not action:
        action = parse_qs(read_form_body(environ)).get("Action", [""])[0]
    if action:
        return action, False
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return target.rsplit(".", 1)[-1], False
    return f"{environ.get('REQUEST_METHOD', 'GET')} {environ.get('PATH_INFO', '/')}", True


def is_read(action, is_rest, method):
    """True for a read call (see the module docstring)."""
    if is_rest:
        return method in READ_METHODS
    return action.startswith(READ_PREFIXES)


def classify(environ):
    """``("<service>:<Action>", is_read)`` for one request."""
    query = parse_qs(environ.get("QUERY_STRING", ""))
    action, is_rest = action_of(environ, query)
    key = f"{service_of(environ, query)}:{action}"
    return key, is_read(action, is_rest, environ.get("REQUEST_METHOD", "GET"))


class CallCounter:
    """Thread-safe read/mutating counters, per action."""

    def __init__(self):
        self._lock = threading.Lock()
        self._by_action = {}
        self._mutating = {}
        self._reads = 0
        self._writes = 0

    def record(self, key, read):
        """Count one call of ``key``."""
        with self._lock:
            self._by_action[key] = self._by_action.get(key, 0) + 1
            if read:
                self._reads += 1
            else:
                self._writes += 1
                self._mutating[key] = self._mutating.get(key, 0) + 1

    def reset(self):
        """Zero every counter."""
        with self._lock:
            self._by_action = {}
            self._mutating = {}
            self._reads = 0
            self._writes = 0

    def snapshot(self):
        """The counters as the JSON-ready dict served at ``/_testcloud/stats``."""
        with self._lock:
            return {
                "read": self._reads,
                "mutating": self._writes,
                "total": self._reads + self._writes,
                "by_action": dict(sorted(self._by_action.items())),
                "mutating_actions": dict(sorted(self._mutating.items())),
            }


def json_response(start_response, status, payload):
    """Answer a control request with a JSON body."""
    body = json.dumps(payload).encode("utf-8")
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


class CountingMiddleware:
    """Counts the calls that reach ``app`` and serves the ``/_testcloud/`` control endpoints.

    ``reset_state`` is called (with no argument) by ``POST /_testcloud/reset`` to clear the
    cloud's state; the counters are zeroed after it.
    """

    def __init__(self, app, reset_state):
        self.app = app
        self.reset_state = reset_state
        self.counter = CallCounter()
        self._routes = {
            ("GET", "/_testcloud/stats"): self._stats,
            ("POST", "/_testcloud/stats/reset"): self._reset_stats,
            ("POST", "/_testcloud/reset"): self._reset_all,
            ("POST", "/_testcloud/create-seconds"): self._create_seconds,
        }

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX):
            return self._control(environ, start_response, path)
        if not path.startswith(UNCOUNTED_PREFIXES):
            self.counter.record(*classify(environ))
        return self.app(environ, start_response)

    def _control(self, environ, start_response, path):
        method = environ.get("REQUEST_METHOD", "GET")
        handler = self._routes.get((method, path.rstrip("/")))
        if handler is not None:
            try:
                return json_response(start_response, "200 OK", handler(environ))
            except ValueError as error:
                return json_response(start_response, "400 Bad Request", {"error": str(error)})
        if any(route[1] == path.rstrip("/") for route in self._routes):
            return json_response(start_response, "405 Method Not Allowed", {"error": f"{method} not allowed on {path}"})
        return json_response(start_response, "404 Not Found", {"error": f"no control endpoint {path}"})

    def _stats(self, _environ):
        return self.counter.snapshot()

    def _reset_stats(self, _environ):
        self.counter.reset()
        return self.counter.snapshot()

    def _create_seconds(self, environ):
        """Set the simulated creation time (read by the creation-state patches at describe time)."""
        query = parse_qs(environ.get("QUERY_STRING", ""))
        service = query.get("service", [""])[0].upper()
        if service and service not in CREATE_SECONDS_SERVICES:
            raise ValueError(f"service={service}: use one of {', '.join(CREATE_SECONDS_SERVICES)} or none for all")
        try:
            seconds = max(0.0, float(query.get("seconds", [""])[0]))
        except ValueError:
            raise ValueError("seconds=<number> is required") from None
        name = f"{CREATE_SECONDS_ENV}_{service}" if service else CREATE_SECONDS_ENV
        os.environ[name] = str(seconds)
        return {name: seconds}

    def _reset_all(self, _environ):
        self.reset_state()
        self.counter.reset()
        return {"status": "ok"}
