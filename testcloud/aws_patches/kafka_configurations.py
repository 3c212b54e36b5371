"""MSK configurations: Create/Describe/List/Update/Delete and DescribeConfigurationRevision.

AWS: an MSK configuration is a named set of Kafka server properties, versioned by revision
(UpdateConfiguration adds revision n+1); its ARN reads
``arn:aws:kafka:<region>:<account>:configuration/<name>/<uuid>-<n>``. Names are unique per region
(``ConflictException``); unknown ARNs or revisions are ``NotFoundException``; ListConfigurations
answers each with its ``LatestRevision``. community.aws ``msk_config`` uses all six calls and
``msk_cluster`` needs the configuration's ARN and revision.

moto 5.2.5: none of them exists (HTTP 404/500). The test cloud keeps configurations in memory
per account and region (cleared by a moto reset, like every backend).
"""

import base64
import json
import re
import uuid
from datetime import datetime, timezone
from urllib.parse import unquote

from moto.kafka import urls as kafka_urls
from moto.kafka.exceptions import BadRequestException, KafkaException, NotFoundException
from moto.kafka.responses import KafkaResponse
from moto.utilities.utils import get_partition

MARKER = "_testcloud_configurations"
URL_PATHS = {
    "{0}/v1/configurations$": KafkaResponse.dispatch,
    "{0}/v1/configurations/(?P<arn>.+)$": KafkaResponse.dispatch,
}
NAME_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{0,}$")


class ConflictException(KafkaException):
    """The AWS client error for a configuration name already in use."""

    def __init__(self, msg):
        super().__init__("ConflictException", msg)
        self.code = 409


def now():
    """An ISO 8601 UTC timestamp, as the Kafka API answers them."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Configuration:
    """One MSK configuration with its revisions."""

    def __init__(self, backend, name, description, kafka_versions, server_properties):
        self.name = name
        self.kafka_versions = list(kafka_versions or [])
        self.created = now()
        self.state = "ACTIVE"
        partition = get_partition(backend.region_name)
        self.arn = (
            f"arn:{partition}:kafka:{backend.region_name}:{backend.account_id}:"
            f"configuration/{name}/{uuid.uuid4()}-1"
        )
        self.revisions = []
        self.add_revision(description, server_properties)

    def add_revision(self, description, server_properties):
        """Append revision n+1 (``server_properties``: the base64 text the API carries)."""
        self.revisions.append(
            {
                "revision": len(self.revisions) + 1,
                "creationTime": now(),
                "description": description or "",
                "serverProperties": server_properties,
            }
        )

    def latest(self):
        """``LatestRevision`` (no properties)."""
        last = self.revisions[-1]
        return {key: last[key] for key in ("revision", "creationTime", "description")}

    def info(self):
        """The ``Configuration`` shape (ListConfigurations / DescribeConfiguration)."""
        return {
            "arn": self.arn,
            "name": self.name,
            "creationTime": self.created,
            "description": self.revisions[-1]["description"],
            "kafkaVersions": self.kafka_versions,
            "latestRevision": self.latest(),
            "state": self.state,
        }

    def revision(self, number):
        """The DescribeConfigurationRevision answer for revision ``number``."""
        if not 1 <= number <= len(self.revisions):
            raise NotFoundException(f"Revision {number} of configuration {self.arn} was not found")
        return {"arn": self.arn, **self.revisions[number - 1]}


def configurations(backend):
    """The backend's configurations by ARN (created on first use; a moto reset clears them)."""
    store = backend.__dict__.get(MARKER)
    if store is None:
        store = backend.__dict__[MARKER] = {}
    return store


def find(backend, arn):
    """The configuration ``arn`` or ``NotFoundException``."""
    try:
        return configurations(backend)[arn]
    except KeyError:
        raise NotFoundException(f"The specified configuration was not found: {arn}") from None


def _check_properties(server_properties):
    """Raise ``BadRequestException`` unless the text is base64 of UTF-8 properties."""
    if not server_properties:
        raise BadRequestException("ServerProperties is required")
    try:
        base64.b64decode(server_properties, validate=True).decode("utf-8")
    except ValueError as error:
        raise BadRequestException(f"ServerProperties is not valid: {error}") from None


def _path_parts(response):
    """``(arn, revision or None)`` from ``/v1/configurations/<arn>[/revisions/<n>]``."""
    rest = unquote(response.parsed_url.path.split("/v1/configurations/", 1)[-1])
    arn, _separator, revision = rest.partition("/revisions/")
    return arn, (int(revision) if revision else None)


def _body(response):
    return json.loads(response.body or "{}") if isinstance(response.body, str) else json.loads(response.body or b"{}")


def create_configuration(self):
    """CreateConfiguration."""
    body = _body(self)
    name = body.get("name", "")
    if not NAME_PATTERN.match(name):
        raise BadRequestException(f"Invalid configuration name: {name!r}")
    store = configurations(self.kafka_backend)
    if any(config.name == name for config in store.values()):
        raise ConflictException(f"A configuration with the name {name} already exists")
    _check_properties(body.get("serverProperties"))
    config = Configuration(
        self.kafka_backend, name, body.get("description"), body.get("kafkaVersions"), body["serverProperties"]
    )
    store[config.arn] = config
    info = config.info()
    return json.dumps({key: info[key] for key in ("arn", "creationTime", "latestRevision", "name", "state")})


def list_configurations(self):
    """ListConfigurations (one page)."""
    return json.dumps({"configurations": [config.info() for config in configurations(self.kafka_backend).values()]})


def describe_configuration(self):
    """DescribeConfiguration."""
    arn = _path_parts(self)[0]
    return json.dumps(find(self.kafka_backend, arn).info())


def describe_configuration_revision(self):
    """DescribeConfigurationRevision."""
    arn, revision = _path_parts(self)
    return json.dumps(find(self.kafka_backend, arn).revision(revision))


def update_configuration(self):
    """UpdateConfiguration: a new revision."""
    arn = _path_parts(self)[0]
    config = find(self.kafka_backend, arn)
    body = _body(self)
    _check_properties(body.get("serverProperties"))
    config.add_revision(body.get("description"), body["serverProperties"])
    return json.dumps({"arn": config.arn, "latestRevision": config.latest()})


def delete_configuration(self):
    """DeleteConfiguration (gone at once; AWS refuses one that a cluster uses)."""
    arn = _path_parts(self)[0]
    backend = self.kafka_backend
    config = find(backend, arn)
    if any((cluster.configuration_info or {}).get("arn") == arn for cluster in backend.clusters.values()):
        raise BadRequestException(f"Configuration {arn} is in use by a cluster")
    del configurations(backend)[arn]
    return json.dumps({"arn": config.arn, "state": "DELETING"})


HANDLERS = (
    create_configuration,
    list_configurations,
    describe_configuration,
    describe_configuration_revision,
    update_configuration,
    delete_configuration,
)


def apply():
    """Route the configuration paths to the Kafka responses and add the handlers."""
    if getattr(KafkaResponse, MARKER, False):
        return False
    kafka_urls.url_paths.update(URL_PATHS)
    for handler in HANDLERS:
        setattr(KafkaResponse, handler.__name__, handler)
    setattr(KafkaResponse, MARKER, True)
    return True
