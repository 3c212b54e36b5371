#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: msk_cluster_configuration
version_added: 0.1.0
short_description: Manage an Amazon MSK cluster configuration (Kafka server properties with revisions)
description:
  - Create, revise or delete one MSK configuration, identified by its O(name) (unique in the region).
  - A revision never changes in MSK. When O(server_properties) or O(description) differ from the latest revision,
    the module adds a revision (C(UpdateConfiguration)); the configuration and its ARN stay the same. Point a
    cluster at the new revision with M(strata.platform.msk_cluster) (O(strata.platform.msk_cluster#module:configuration_revision)).
  - Properties are compared as key/value pairs (order, spacing and comments in the stored text do not matter).
author:
  - strata.platform contributors (!UNKNOWN)
options:
  state:
    description:
      - V(present) makes sure the configuration's latest revision holds O(server_properties); V(absent) deletes the
        configuration (MSK refuses while a cluster uses it).
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - The configuration name (letters, digits and hyphens, starting with a letter or digit).
    type: str
    required: true
  description:
    description:
      - The description of the revision. Unset, a new revision keeps the latest one's.
    type: str
  server_properties:
    description:
      - The Kafka broker properties, V(name) -> value (booleans are written V(true) / V(false)). Required to
        create a configuration; the latest revision must hold exactly these properties.
    type: dict
  kafka_versions:
    description:
      - The Apache Kafka versions the configuration may be used with. Only set when the configuration is created
        (MSK cannot change it); a different list on an existing configuration is an error. Unset, MSK allows any.
    type: list
    elements: str
notes:
  - "Required IAM actions: C(kafka:ListConfigurations), C(kafka:DescribeConfigurationRevision),
    C(kafka:CreateConfiguration), C(kafka:UpdateConfiguration), C(kafka:DeleteConfiguration)."
  - MSK configurations carry no tags.
  - Unlike M(community.aws.msk_config), check mode predicts the ARN and revision of an existing configuration
    (the next revision number), diff mode is supported, and values are written as Kafka reads them.
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
extends_documentation_fragment:
  - strata.platform.aws
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Broker properties of the fsm prod cluster
  strata.platform.msk_cluster_configuration:
    name: fsm-prod-kafka
    description: fsm prod brokers
    server_properties:
      auto.create.topics.enable: false
      default.replication.factor: 3
      min.insync.replicas: 2
      unclean.leader.election.enable: false
  register: kafka_config

- name: Use the latest revision
  strata.platform.msk_cluster:
    name: fsm-prod-kafka
    configuration_arn: "{{ kafka_config.configuration.arn }}"
    configuration_revision: "{{ kafka_config.configuration.revision }}"

- name: Delete the configuration (after the cluster)
  strata.platform.msk_cluster_configuration:
    name: fsm-prod-kafka
    state: absent
"""

RETURN = r"""
configuration:
  description:
    - The configuration with its latest revision after the change (in check mode, the prediction); V(null) after
      O(state=absent).
  returned: always
  type: complex
  contains:
    name:
      description: The name.
      type: str
      returned: always
      sample: fsm-prod-kafka
    arn:
      description: The ARN (V(null) for a configuration check mode would create).
      type: str
      returned: always
      sample: arn:aws:kafka:us-east-1:123456789012:configuration/fsm-prod-kafka/0a1b2c3d-1111-2222-3333-444455556666-1
    state:
      description: C(ACTIVE), C(DELETING) or C(DELETE_FAILED).
      type: str
      returned: always
      sample: ACTIVE
    description:
      description: The description of the latest revision.
      type: str
      returned: always
      sample: fsm prod brokers
    kafka_versions:
      description: The Kafka versions it may be used with (empty - any).
      type: list
      elements: str
      returned: always
      sample: ["3.6.0"]
    revision:
      description: The latest revision number.
      type: int
      returned: always
      sample: 2
    creation_time:
      description: When the configuration was created (ISO 8601).
      type: str
      returned: always
      sample: "2026-01-05T10:00:00.000000+00:00"
    server_properties:
      description: The properties of the latest revision.
      type: dict
      returned: always
      sample: {"auto.create.topics.enable": "false", "min.insync.replicas": "2"}
diff:
  description: The configuration before and after, when run with C(--diff).
  returned: when diff mode is on
  type: dict
  sample:
    before: {"revision": 1, "server_properties": {"min.insync.replicas": "1"}}
    after: {"revision": 2, "server_properties": {"min.insync.replicas": "2"}}
"""

import re
from copy import deepcopy

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.strata.platform.plugins.module_utils._aws.msk import CONFIGURATION_KEYS
from ansible_collections.strata.platform.plugins.module_utils._aws.msk import create_configuration
from ansible_collections.strata.platform.plugins.module_utils._aws.msk import delete_configuration
from ansible_collections.strata.platform.plugins.module_utils._aws.msk import get_configuration
from ansible_collections.strata.platform.plugins.module_utils._aws.msk import property_value
from ansible_collections.strata.platform.plugins.module_utils._aws.msk import render_properties
from ansible_collections.strata.platform.plugins.module_utils._aws.msk import update_configuration

_NAME_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{0,63}$")
_KEY_PATTERN = re.compile(r"^[A-Za-z0-9._-]+$")


class ConfigurationError(AnsibleAWSError):
    pass


def wanted_properties(params):
    return {str(key): property_value(value) for key, value in (params["server_properties"] or {}).items()}


def ensure_created(client, check_mode, params):
    predicted = dict.fromkeys(CONFIGURATION_KEYS)
    predicted.update(
        name=params["name"],
        state="ACTIVE",
        description=params["description"] or "",
        kafka_versions=list(params["kafka_versions"] or []),
        revision=1,
        server_properties=wanted_properties(params),
    )
    if check_mode:
        return True, predicted
    request = {"ServerProperties": render_properties(params["server_properties"])}
    if params["description"] is not None:
        request["Description"] = params["description"]
    if params["kafka_versions"]:
        request["KafkaVersions"] = params["kafka_versions"]
    create_configuration(client, params["name"], **request)
    return True, predicted


def ensure_revision(client, check_mode, current, params):
    """Add a revision when the properties or the description differ from the latest one."""
    if params["kafka_versions"] is not None and sorted(params["kafka_versions"]) != sorted(current["kafka_versions"]):
        raise ConfigurationError(
            message=f"Failed to update MSK configuration {params['name']}: kafka_versions is "
            f"{current['kafka_versions']!r}, asked {params['kafka_versions']!r}, which MSK cannot change; create a "
            "configuration with another name or keep the current list"
        )
    changes = {}
    if params["server_properties"] is not None and wanted_properties(params) != current["server_properties"]:
        changes["server_properties"] = wanted_properties(params)
    if params["description"] is not None and params["description"] != (current["description"] or ""):
        changes["description"] = params["description"]
    if not changes:
        return False, current
    predicted = deepcopy(current)
    predicted.update(changes, revision=(current["revision"] or 0) + 1)
    if check_mode:
        return True, predicted
    properties = params["server_properties"] if params["server_properties"] is not None else current["server_properties"]
    request = {"ServerProperties": render_properties(properties)}
    description = changes.get("description", current["description"])
    if description:
        request["Description"] = description
    update_configuration(client, current["arn"], **request)
    return True, predicted


def ensure_absent(client, check_mode, current):
    if current is None:
        return False, None
    if check_mode:
        return True, None
    return delete_configuration(client, current["arn"]), None


def validate(module):
    params = module.params
    if not _NAME_PATTERN.match(params["name"]):
        module.fail_json(
            msg=f"name {params['name']!r} is invalid: use letters, digits and hyphens, starting with a letter or digit"
        )
    bad_keys = [str(key) for key in (params["server_properties"] or {}) if not _KEY_PATTERN.match(str(key))]
    if bad_keys:
        module.fail_json(
            msg=f"server_properties has keys that are not Kafka property names: {', '.join(bad_keys)}; "
            "use names like min.insync.replicas"
        )
    bad_values = [str(key) for key, value in (params["server_properties"] or {}).items()
                  if value is None or isinstance(value, (dict, list)) or "\n" in property_value(value)]
    if bad_values:
        module.fail_json(
            msg=f"server_properties values must be single-line strings, numbers or booleans; fix {', '.join(bad_values)}"
        )


def main():
    argument_spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        name=dict(type="str", required=True),
        description=dict(type="str"),
        server_properties=dict(type="dict"),
        kafka_versions=dict(type="list", elements="str"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    validate(module)
    params = module.params
    client = module.client("kafka")

    try:
        before = get_configuration(client, params["name"])
        if params["state"] == "absent":
            changed, after = ensure_absent(client, module.check_mode, before)
        elif before is None:
            if params["server_properties"] is None:
                module.fail_json(msg=f"MSK configuration {params['name']} does not exist; server_properties is required to create it")
            changed, after = ensure_created(client, module.check_mode, params)
        else:
            changed, after = ensure_revision(client, module.check_mode, before, params)
        if changed and not module.check_mode and params["state"] == "present":
            after = get_configuration(client, params["name"]) or after
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)

    result = {"changed": changed, "configuration": after}
    if module._diff:
        result["diff"] = {"before": before or {}, "after": after or {}}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
