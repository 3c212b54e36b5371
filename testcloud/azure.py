"""Start, reach and stop the local Azure test cloud (the project's HTTPS ARM test double).

    with AzureTestCloud() as cloud:
        subprocess.run(["ansible-playbook", ...], env=cloud.env())
        print(cloud.stats()["mutating"])

The environment it exports is what azure.azcollection and the Azure SDK need to talk to it instead of
Azure (DESIGN.md): a custom cloud from ``ARM_CLOUD_METADATA_URL`` selected by
``AZURE_CLOUD_ENVIRONMENT``, instance discovery off, the double's CA trusted, a fresh
``AZURE_CONFIG_DIR`` (the Azure CLI core caches cloud endpoints there) and test credentials.
"""

import os
import shutil
import tempfile

from testcloud import azure_tls
from testcloud._process import CloudNotConfigured, CloudServer, http_json
from testcloud.aws import merged_no_proxy
from testcloud.azure_arm import SUBSCRIPTION_ID, TENANT_ID

ENDPOINT_ENV = "STRATA_TESTCLOUD_AZURE"
CA_ENV = "STRATA_TESTCLOUD_AZURE_CA"
CLIENT_ID = "0b5c3a6e-1f2d-4e8a-9c7b-6d5e4f3a2b10"
CLIENT_SECRET = "testing"  # noqa: S105 - the test double accepts any secret

# Variables that would make azure.azcollection use another identity or cloud than the double's.
UNSET_VARS = (
    "AZURE_PROFILE",
    "AZURE_AD_USER",
    "AZURE_PASSWORD",
    "AZURE_ADFS_AUTHORITY_URL",
    "AZURE_CERT_VALIDATION_MODE",
    "AZURE_X509_CERTIFICATE_PATH",
    "AZURE_THUMBPRINT",
    "AZURE_OIDC_TOKEN",
    "AZURE_OIDC_TOKEN_FILE_PATH",
    "AZURE_CLIENT_SECRET",
    "AZURE_FEDERATED_TOKEN_FILE",
    "ANSIBLE_AZURE_AUTH_SOURCE",
    "AZURE_API_PROFILE",
)


class StatsClient:
    """The Azure test cloud's control endpoints, from any process that knows its endpoint and CA."""

    def __init__(self, endpoint, cafile, timeout=5.0):
        self.endpoint = endpoint.rstrip("/")
        self.cafile = cafile
        self.timeout = timeout

    def _call(self, method, path):
        return http_json(method, f"{self.endpoint}{path}", self.timeout, cafile=self.cafile)

    def stats(self):
        """``{"read", "mutating", "total", "auth", "by_action", "mutating_actions"}`` since the last reset."""
        return self._call("GET", "/_testcloud/stats")

    def reset_stats(self):
        """Zero the call counters (resources stay)."""
        return self._call("POST", "/_testcloud/stats/reset")

    def reset(self):
        """Delete every resource, zero the counters and the creation times."""
        return self._call("POST", "/_testcloud/reset")

    def set_create_seconds(self, seconds, resource_type=None):
        """Resources created from now on stay in their provisioning state for ``seconds`` (one type,
        e.g. ``Microsoft.DBforPostgreSQL/flexibleServers``; default every type)."""
        query = f"seconds={float(seconds)}" + (f"&type={resource_type}" if resource_type else "")
        return self._call("POST", f"/_testcloud/create-seconds?{query}")

    @classmethod
    def from_env(cls, environ=None):
        """A client for the cloud named by ``STRATA_TESTCLOUD_AZURE`` (CA: ``STRATA_TESTCLOUD_AZURE_CA``)."""
        environ = os.environ if environ is None else environ
        endpoint = environ.get(ENDPOINT_ENV)
        if not endpoint:
            raise CloudNotConfigured(f"{ENDPOINT_ENV} is not set: no Azure test cloud is known to this process")
        return cls(endpoint, environ.get(CA_ENV))


class AzureTestCloud(CloudServer):
    """The ARM test double as a child process on 127.0.0.1 (see the module docstring)."""

    name = "azure"
    server_module = "testcloud.azure_server"
    scheme = "https"

    def __init__(self, log_path=None, detached=False, extra_args=(), cert_dir=None):
        """``cert_dir``: where the server writes its CA and certificate and where the Azure config
        directory goes (a temporary directory, removed on stop, if None)."""
        self.own_cert_dir = cert_dir is None
        self.cert_dir = str(cert_dir) if cert_dir else tempfile.mkdtemp(prefix="testcloud-azure-")
        super().__init__(log_path=log_path, detached=detached, extra_args=(*extra_args, "--cert-dir", self.cert_dir))

    @property
    def ca_file(self):
        """The CA certificate clients must trust."""
        return os.path.join(self.cert_dir, azure_tls.CA_FILE)

    def client(self):
        """A :class:`StatsClient` on this cloud."""
        return StatsClient(self.endpoint, self.ca_file)

    def ping(self, timeout=2.0):
        """One stats request: raises while the server does not answer."""
        return StatsClient(self.endpoint, self.ca_file, timeout).stats()

    def stats(self):
        """See :meth:`StatsClient.stats`."""
        return self.client().stats()

    def reset_stats(self):
        """See :meth:`StatsClient.reset_stats`."""
        return self.client().reset_stats()

    def reset(self):
        """See :meth:`StatsClient.reset`."""
        return self.client().reset()

    def set_create_seconds(self, seconds, resource_type=None):
        """See :meth:`StatsClient.set_create_seconds`."""
        return self.client().set_create_seconds(seconds, resource_type)

    def start(self, timeout=30.0):
        """Start the server; a stale Azure config directory (cloud endpoints cached for an earlier port) goes first."""
        if not self.running:
            shutil.rmtree(os.path.join(self.cert_dir, "azure-config"), ignore_errors=True)
        return super().start(timeout)

    def stop(self, timeout=10.0):
        """Stop the server by pid; remove the certificate directory when this object made it."""
        super().stop(timeout)
        if self.own_cert_dir:
            shutil.rmtree(self.cert_dir, ignore_errors=True)

    def state(self):
        state = super().state()
        state["cert_dir"] = self.cert_dir
        return state

    @classmethod
    def from_state(cls, state):
        cloud = cls(log_path=state.get("log"), cert_dir=state.get("cert_dir"))
        cloud.pid = state.get("pid")
        cloud.port = state.get("port")
        return cloud

    def exports(self, environ=None):
        """The variables that point azure.azcollection, the Azure SDK and the collection's tooling here."""
        environ = os.environ if environ is None else environ
        no_proxy = merged_no_proxy(environ.get("NO_PROXY") or environ.get("no_proxy"))
        return {
            "AZURE_CLOUD_ENVIRONMENT": self.endpoint,
            "ARM_CLOUD_METADATA_URL": f"{self.endpoint}/metadata/endpoints?api-version=2019-05-01",
            "AZURE_DISABLE_INSTANCE_DISCOVERY": "true",
            "AZURE_CONFIG_DIR": os.path.join(self.cert_dir, "azure-config"),
            "REQUESTS_CA_BUNDLE": self.ca_file,
            "SSL_CERT_FILE": self.ca_file,
            "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION_ID,
            "AZURE_TENANT": TENANT_ID,
            "AZURE_CLIENT_ID": CLIENT_ID,
            "AZURE_SECRET": CLIENT_SECRET,
            ENDPOINT_ENV: self.endpoint,
            CA_ENV: self.ca_file,
            "NO_PROXY": no_proxy,
            "no_proxy": no_proxy,
        }

    def unset_vars(self, environ=None):
        """:data:`UNSET_VARS`."""
        return UNSET_VARS


def stats_from_env(environ=None):
    """The call counters of the cloud named by ``STRATA_TESTCLOUD_AZURE``."""
    return StatsClient.from_env(environ).stats()
