"""Start, reach and stop the local AWS test cloud (moto server + fidelity patches + call counting).

    with AwsTestCloud() as cloud:
        subprocess.run(["ansible-playbook", ...], env=cloud.env())
        print(cloud.stats()["mutating"])

Any process that only knows ``STRATA_TESTCLOUD_AWS`` (the endpoint) can read or reset the counters
with :func:`stats_from_env` / :class:`StatsClient`.
"""

import os

from testcloud._process import CloudNotConfigured, CloudServer, http_json

ENDPOINT_ENV = "STRATA_TESTCLOUD_AWS"
ACCESS_KEY = "testing"
SECRET_KEY = "testing"
REGION = "us-east-1"
LOCAL_HOSTS = ("127.0.0.1", "localhost")

# Variables that would send clients to real AWS or make them reject the test credentials:
# profiles (amazon.aws refuses a profile together with keys), session tokens (botocore would sign
# with them), legacy amazon.aws endpoint variables, web-identity / container credentials.
UNSET_VARS = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "EC2_SECURITY_TOKEN",
    "EC2_URL",
    "S3_URL",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CA_BUNDLE",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
)
# botocore's per-service endpoint variables (AWS_ENDPOINT_URL_EC2, ...) beat AWS_ENDPOINT_URL.
SERVICE_ENDPOINT_PREFIX = "AWS_ENDPOINT_URL_"


def merged_no_proxy(current):
    """``current`` NO_PROXY list plus the loopback names, without duplicates."""
    hosts = [host.strip() for host in (current or "").split(",") if host.strip()]
    for host in LOCAL_HOSTS:
        if host not in hosts:
            hosts.append(host)
    return ",".join(hosts)


class StatsClient:
    """The test cloud's control endpoints, from any process that knows its endpoint."""

    def __init__(self, endpoint, timeout=5.0):
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout

    def stats(self):
        """``{"read", "mutating", "total", "by_action", "mutating_actions"}`` since the last reset."""
        return http_json("GET", f"{self.endpoint}/_testcloud/stats", self.timeout)

    def reset_stats(self):
        """Zero the call counters (the cloud's resources stay)."""
        return http_json("POST", f"{self.endpoint}/_testcloud/stats/reset", self.timeout)

    def reset(self):
        """Delete every resource (moto reset) and zero the call counters."""
        return http_json("POST", f"{self.endpoint}/_testcloud/reset", self.timeout)

    def set_create_seconds(self, seconds, service=None):
        """Resources created from now on report their creating state for ``seconds`` (one service:
        ``RDS``, ``ELASTICACHE`` or ``MSK``; default all)."""
        query = f"seconds={float(seconds)}" + (f"&service={service}" if service else "")
        return http_json("POST", f"{self.endpoint}/_testcloud/create-seconds?{query}", self.timeout)

    @classmethod
    def from_env(cls, environ=None):
        """A client for the cloud named by ``STRATA_TESTCLOUD_AWS``."""
        endpoint = (os.environ if environ is None else environ).get(ENDPOINT_ENV)
        if not endpoint:
            raise CloudNotConfigured(f"{ENDPOINT_ENV} is not set: no AWS test cloud is known to this process")
        return cls(endpoint)


def stats_from_env(environ=None):
    """The call counters of the cloud named by ``STRATA_TESTCLOUD_AWS``."""
    return StatsClient.from_env(environ).stats()


class AwsTestCloud(CloudServer):
    """The moto-based AWS test cloud as a child process on 127.0.0.1 (see the module docstring)."""

    name = "aws"
    server_module = "testcloud.aws_server"

    def __init__(self, log_path=None, detached=False, extra_args=(), create_seconds=None):
        """``create_seconds``: how long new RDS instances, ElastiCache replication groups and MSK
        clusters report their creating state (None: the server's ``STRATA_TESTCLOUD_CREATE_SECONDS``
        variables, else 0 = immediate)."""
        if create_seconds is not None:
            extra_args = (*extra_args, "--create-seconds", str(create_seconds))
        super().__init__(log_path=log_path, detached=detached, extra_args=extra_args)
        self.create_seconds = create_seconds

    def client(self):
        """A :class:`StatsClient` on this cloud."""
        return StatsClient(self.endpoint)

    def ping(self, timeout=2.0):
        """One stats request: raises while the server does not answer."""
        return StatsClient(self.endpoint, timeout).stats()

    def stats(self):
        """See :meth:`StatsClient.stats`."""
        return self.client().stats()

    def reset_stats(self):
        """See :meth:`StatsClient.reset_stats`."""
        return self.client().reset_stats()

    def reset(self):
        """See :meth:`StatsClient.reset`."""
        return self.client().reset()

    def set_create_seconds(self, seconds, service=None):
        """See :meth:`StatsClient.set_create_seconds`."""
        return self.client().set_create_seconds(seconds, service)

    def exports(self, environ=None):
        """The variables that point botocore, amazon.aws and the collection's tooling here."""
        environ = os.environ if environ is None else environ
        no_proxy = merged_no_proxy(environ.get("NO_PROXY") or environ.get("no_proxy"))
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
            ENDPOINT_ENV: self.endpoint,
            "NO_PROXY": no_proxy,
            "no_proxy": no_proxy,
        }

    def server_env(self, base):
        """The server's environment: no profile or endpoint overrides, the test credentials."""
        env = super().server_env(base)
        env.update(AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY, AWS_DEFAULT_REGION=REGION)
        env.pop("AWS_ENDPOINT_URL", None)
        env.pop("AWS_URL", None)
        return env

    def unset_vars(self, environ=None):
        """:data:`UNSET_VARS` plus any per-service endpoint variable set in ``environ``."""
        environ = os.environ if environ is None else environ
        service_endpoints = sorted(key for key in environ if key.startswith(SERVICE_ENDPOINT_PREFIX))
        return (*UNSET_VARS, *service_endpoints)
