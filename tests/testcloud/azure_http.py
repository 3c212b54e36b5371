"""Plain HTTPS calls to the ARM test double, for its tests: exactly what ARM answers, nothing decoded by an SDK."""

import json
import ssl
import urllib.error
import urllib.parse
import urllib.request

# Characters left as they are in request paths (OData filters such as $filter=roleName eq 'Reader', DNS record
# names such as SOA/@, paths already percent-encoded).
SAFE = "/?&=$'(),@:+%"


class ArmHttp:
    """``client(method, path, body=None)`` -> ``(status, headers, json or None)``, HTTP errors included.

    ``base`` is the ARM endpoint (default) or a Key Vault URI; ``token`` the Authorization header (None: none).
    ``raw`` keeps every answer body as text, to look for secrets."""

    def __init__(self, cloud, base=None, token="Bearer test"):
        self.cloud = cloud
        self.base = (base or cloud.endpoint).rstrip("/")
        self.token = token
        context = ssl.create_default_context(cafile=cloud.ca_file)
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
        self.raw = []

    def __call__(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + urllib.parse.quote(path, safe=SAFE), method=method, data=data)
        if self.token:
            request.add_header("Authorization", self.token)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with self.opener.open(request, timeout=10) as response:
                raw, status, headers = response.read(), response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            raw, status, headers = error.read(), error.code, dict(error.headers)
        self.raw.append(raw.decode())
        return status, headers, json.loads(raw) if raw else None
