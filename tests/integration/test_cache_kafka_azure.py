"""The cache and kafka layers on Azure (Azure Cache for Redis, an Event Hubs namespace with its event hubs) of a dev
target, end to end against the ARM test double on top of strata.platform.network (converged in the same run as the
data stores): the plan on an empty subscription (planned outputs), a refusal without the network layer, start
without waiting and await afterwards (creations overlapping, seen by probes), dev sizing and outputs, drift on both
layers planned by --check --diff and put back by one run, each role on its own (awaiting by itself) changing nothing
afterwards, changes Azure refuses (fewer partitions, zone redundancy) refused before any write, no access key
anywhere, and a cache under our name without our tags that the teardown refuses to remove. The generic plan,
no-op re-run and teardown of both layers are test_site_multicloud.py's (prod on two Azure targets)."""

import json
import os
import time

import pytest
import requests

pytestmark = pytest.mark.integration

HOST = "dev-azure-eastus"
CIDR = "10.112.0.0/16"
T = "fsm-dev-eastus"
REDIS = f"{T}-redis"
NAMESPACE = f"{T}-ehns"
BASE_TAGS = {"owner": "strata.platform", "platform": "fsm", "environment": "dev", "cost-center": "platform-dev",
             "managed-by": "ansible"}
REDIS_API = "2024-03-01"
EH_API = "2024-01-01"
TOPICS = {"events": (2, 1), "audit": (1, 3)}  # dev seed: partitions, retention days

# cache_wait/kafka_wait false for both roles, then their wait entry points (what data_stores.yml does), with an
# optional read of both resources between the two (to see them still being created while the roles have returned).
START_THEN_WAIT = """
- name: Start the Azure cache and kafka, then await them
  hosts: all
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  roles:
    - role: strata.platform.cache
      vars:
        cache_wait: false
    - role: strata.platform.kafka
      vars:
        kafka_wait: false
  tasks:
    # A plain GET on the ARM double (any bearer token), not an Azure module: ~0.3 s instead of ~2.4 s each.
    - name: Probe the cache and the namespace while they are started
      ansible.builtin.uri:
        url: "{{ lookup('env', 'STRATA_TESTCLOUD_AZURE') ~ item }}?api-version={{ '2024-03-01' if 'Cache' in item else '2024-01-01' }}"
        headers:
          Authorization: Bearer test
        ca_path: "{{ lookup('env', 'STRATA_TESTCLOUD_AZURE_CA') }}"
        use_proxy: false
      loop: "{{ probe_urls | default([]) }}"
      register: probe
    - name: Await the data stores started above
      ansible.builtin.include_role:
        name: "strata.platform.{{ layer }}"
        tasks_from: wait
      loop: [cache, kafka]
      loop_control:
        loop_var: layer
"""

# The first converge: the network layer, then the data stores started and awaited, in one run.
NETWORK_THEN_START = """
- name: Converge the network layer
  ansible.builtin.import_playbook: strata.platform.network

- name: Start the data stores, then await them
  ansible.builtin.import_playbook: start_then_wait.yml
"""

# Each role's own playbook (the role awaits what it started, and finds the network layer by itself), in one run.
EACH_ON_ITS_OWN = """
- name: The cache layer on its own
  ansible.builtin.import_playbook: strata.platform.cache

- name: The kafka layer on its own
  ansible.builtin.import_playbook: strata.platform.kafka
"""


@pytest.fixture
def inventory(tmp_path):
    """A dev inventory with one Azure target (the contract variables, each in one dimension)."""
    inventory = tmp_path / "inventory"
    (inventory / "group_vars").mkdir(parents=True)
    (inventory / "host_vars").mkdir()
    (inventory / "hosts.yml").write_text(f"dev:\n  hosts:\n    {HOST}:\nazure:\n  hosts:\n    {HOST}:\n")
    (inventory / "group_vars" / "dev.yml").write_text(
        "platform_name: fsm\nplatform_environment: dev\nplatform_tags:\n  cost-center: platform-dev\n  managed-by: ansible\n"
    )
    (inventory / "group_vars" / "azure.yml").write_text("platform_cloud: azure\n")
    (inventory / "host_vars" / f"{HOST}.yml").write_text(f"platform_region: eastus\nplatform_network_cidr: {CIDR}\n")
    (tmp_path / "start_then_wait.yml").write_text(START_THEN_WAIT)
    (tmp_path / "network_then_start.yml").write_text(NETWORK_THEN_START)
    (tmp_path / "each_on_its_own.yml").write_text(EACH_ON_ITS_OWN)
    return str(inventory)


@pytest.fixture
def play(run_playbook_multicloud, inventory):
    """Run a playbook (FQCN, or a file beside the inventory) -> (PlaybookRun, seconds)."""
    runs = []

    def _run(playbook, *args, **extra_vars):
        if playbook.endswith(".yml"):
            playbook = os.path.join(os.path.dirname(inventory), playbook)
        started = time.monotonic()
        run = run_playbook_multicloud(playbook, inventory, args=args, extra_vars=extra_vars or None)
        runs.append(run)
        return run, time.monotonic() - started

    _run.runs = runs
    return _run


class Arm:
    """ARM reads and writes on the double for assertions and the test's own set-up."""

    def __init__(self, reader):
        self.reader = reader
        self.cloud = reader.cloud

    def path(self, resource_type, name, resource_group=T):
        return self.reader.resource_path(resource_group, resource_type, name)

    def call(self, method, path, body=None, api_version=REDIS_API, ok=True):
        response = requests.request(method, f"{self.cloud.endpoint}{path}?api-version={api_version}", json=body,
                                    headers={"Authorization": "Bearer test"}, verify=self.cloud.ca_file, timeout=10,
                                    proxies={"http": None, "https": None})
        if ok:
            assert response.status_code < 300, (method, path, response.status_code, response.text)
        return response.status_code, (response.json() if response.content else None)

    def redis(self, name=REDIS):
        return self.reader.get(self.path("Microsoft.Cache/redis", name), REDIS_API)

    def namespace(self):
        return self.reader.get(self.path("Microsoft.EventHub/namespaces", NAMESPACE), EH_API)

    def hubs(self):
        hubs = self.reader.list(self.path("Microsoft.EventHub/namespaces", NAMESPACE) + "/eventhubs", EH_API)
        return {hub["name"]: hub for hub in hubs}


@pytest.fixture
def azure(arm):
    return Arm(arm)


def facts(run, task, name):
    [(_host, result)] = run.task_results(task)
    return result["ansible_facts"][name]


def changed_tasks(run):
    """Names (without the role prefix) of the tasks that reported a change."""
    return sorted({task["task"]["name"].split(" : ", 1)[-1] for play_ in run.result.get("plays", []) for task in play_["tasks"]
                   for result in task["hosts"].values() if result.get("changed")})


def assert_converged(azure, layer_tags):
    """The ARM state of both layers as the dev seed asks."""
    cache = azure.redis()
    props = cache["properties"]
    assert cache["tags"] == {**BASE_TAGS, "layer": "cache"} == layer_tags("cache")
    assert props["sku"] == {"name": "Basic", "family": "C", "capacity": 0}
    assert props["enableNonSslPort"] is False and props["minimumTlsVersion"] == "1.2" and props["sslPort"] == 6380
    assert props["publicNetworkAccess"] == "Disabled" and props["redisVersion"].startswith("6.")
    assert props["redisConfiguration"]["maxmemory-policy"] == "allkeys-lru"  # the AWS side's parameter
    assert props["provisioningState"] == "Succeeded" and "accessKeys" not in props
    namespace = azure.namespace()
    nprops = namespace["properties"]
    assert namespace["tags"] == layer_tags("kafka")
    assert namespace["sku"] == {"name": "Standard", "tier": "Standard", "capacity": 1}
    assert (nprops["zoneRedundant"], nprops["minimumTlsVersion"], nprops["publicNetworkAccess"]) == (False, "1.2", "Disabled")
    assert (nprops["kafkaEnabled"], nprops["status"], nprops["isAutoInflateEnabled"]) == (True, "Active", False)
    hubs = azure.hubs()
    assert {name: (hub["properties"]["partitionCount"], hub["properties"]["messageRetentionInDays"])
            for name, hub in hubs.items()} == TOPICS
    return cache, namespace, hubs


@pytest.mark.cost(345)  # seconds in CI: dealt out first (tests/conftest.py)
def test_dev_cache_and_kafka_plan_start_wait_drift_refusals(play, azure):
    def layer_tags(layer):
        return {**BASE_TAGS, "layer": layer}

    # Plan on an empty subscription (no resource group yet): both layers report what they would create, no write,
    # and publish their planned outputs.
    plan, plan_seconds = play("start_then_wait.yml", "--check", "--diff")
    assert plan.rc == 0, str(plan)
    assert plan.azure_requests["mutating"] == 0, plan.azure_requests["mutating_actions"]
    assert plan.requests["total"] == 0, "an Azure target makes no AWS call"
    assert {"Report the Redis cache as planned | fsm-dev-eastus-redis", "Plan the Event Hubs namespace | fsm-dev-eastus-ehns",
            "Plan the event hubs | fsm-dev-eastus-ehns"} <= set(changed_tasks(plan))
    [(_host, planned)] = plan.task_results("Report the Redis cache as planned")
    assert "Basic C0, Redis 6" in planned["msg"], planned["msg"]
    planned_cache = facts(plan, "Publish the cache outputs", "cache_outputs")
    assert (planned_cache["primary_endpoint"], planned_cache["port"], planned_cache["status"]) == (
        f"{REDIS}.redis.cache.windows.net", 6380, None)
    planned_kafka = facts(plan, "Publish the Kafka endpoint", "kafka_outputs")
    assert (planned_kafka["state"], planned_kafka["bootstrap_servers"]) == ("PLANNED", f"{NAMESPACE}.servicebus.windows.net:9093")
    assert planned_kafka["topics"] == {name: {"id": None, "partitions": None, "retention_days": None} for name in TOPICS}

    # Outside check mode a missing network layer stops the layer before any write.
    refused, _seconds = play("strata.platform.cache")
    assert refused.rc != 0 and refused.azure_requests["mutating"] == 0
    assert "strata.platform.network" in refused.failures(), refused.failures()

    # One run: the network layer, then both data stores started without waiting: Redis takes 60 s, the namespace
    # 20 s to activate. When the roles have returned, both are still being created (the namespace was started while
    # Redis was being created); the wait entry points finish them, then make the event hubs (a hub needs an active
    # namespace).
    azure.cloud.set_create_seconds(60, "Microsoft.Cache/redis")
    azure.cloud.set_create_seconds(20, "Microsoft.EventHub/namespaces")
    probe = [azure.path("Microsoft.EventHub/namespaces", NAMESPACE), azure.path("Microsoft.Cache/redis", REDIS)]
    first, first_seconds = play("network_then_start.yml", probe_urls=probe)
    assert first.rc == 0, str(first)
    [(_host, probed)] = first.task_results("Probe the cache and the namespace")
    states = [item["json"]["properties"]["provisioningState"] for item in probed["results"]]
    assert states == ["Created", "Creating"], states
    data_store_writes = {action: n for action, n in first.azure_requests["mutating_actions"].items()
                         if "Microsoft.Cache/" in action or "Microsoft.EventHub/" in action}
    assert data_store_writes == {
        "PUT Microsoft.Cache/redis": 1, "PUT Microsoft.EventHub/namespaces": 1, "PUT Microsoft.EventHub/namespaces/eventhubs": 2,
    }
    cache, namespace, hubs = assert_converged(azure, layer_tags)
    outputs = facts(first, "Publish the cache outputs", "cache_outputs")
    assert outputs == {
        "cloud": "azure", "region": "eastus", "resource_group": T, "replication_group_id": None, "arn": None,
        "status": "available", "primary_endpoint": f"{REDIS}.redis.cache.windows.net", "reader_endpoint": None, "port": 6380,
        "auth_token_secret_arn": None, "id": cache["id"], "name": REDIS, "host_name": f"{REDIS}.redis.cache.windows.net",
        "ssl_port": 6380, "non_ssl_port_enabled": False, "minimum_tls_version": "1.2", "public_network_access": "Disabled",
        "sku": {"name": "Basic", "family": "C", "capacity": 0}, "redis_version": cache["properties"]["redisVersion"],
        "provisioning_state": "Succeeded",
    }
    kafka = facts(first, "Publish the Kafka endpoint", "kafka_outputs")
    assert (kafka["state"], kafka["id"], kafka["kafka_enabled"]) == ("ACTIVE", namespace["id"], True)
    assert kafka["bootstrap_servers"] == kafka["bootstrap_brokers_tls"] == f"{NAMESPACE}.servicebus.windows.net:9093"
    assert kafka["service_bus_endpoint"] == f"https://{NAMESPACE}.servicebus.windows.net:443/"
    assert kafka["topics"] == {name: {"id": hubs[name]["id"], "partitions": p, "retention_days": d}
                               for name, (p, d) in TOPICS.items()}
    azure.cloud.set_create_seconds(0)

    # Drift made outside Ansible on both layers is planned in check mode, then put back by one run with one write per
    # resource.
    azure.call("PATCH", azure.path("Microsoft.Cache/redis", REDIS),
               {"tags": {**cache["tags"], "cost-center": "someone-else"}, "properties": {"minimumTlsVersion": "1.0"}})
    azure.call("PUT", azure.path("Microsoft.EventHub/namespaces", NAMESPACE),
               {**namespace, "sku": {"name": "Standard", "capacity": 3}}, EH_API)
    azure.call("PUT", hubs["audit"]["id"], {"properties": {"partitionCount": 1, "messageRetentionInDays": 7}}, EH_API)
    drift_plan, _seconds = play("start_then_wait.yml", "--check", "--diff")
    assert drift_plan.rc == 0 and drift_plan.azure_requests["mutating"] == 0, str(drift_plan)
    [(_host, planned)] = drift_plan.task_results("Plan the Event Hubs namespace")
    assert "sku.capacity: 3 -> 1" in planned["msg"], planned["msg"]
    [(_host, planned)] = drift_plan.task_results("Plan the event hubs")
    assert "audit: partitions 1 -> 1, retention 7 -> 3 days" in planned["msg"], planned["msg"]
    assert any(name.startswith("Start the Redis cache | fsm-dev-eastus-redis: ") and "no change" not in name
               for name in changed_tasks(drift_plan)), changed_tasks(drift_plan)
    fixed, _seconds = play("start_then_wait.yml")
    assert fixed.rc == 0, str(fixed)
    assert fixed.azure_requests["mutating_actions"] == {
        "PATCH Microsoft.Cache/redis": 1, "PUT Microsoft.EventHub/namespaces": 1, "PUT Microsoft.EventHub/namespaces/eventhubs": 1,
    }
    assert_converged(azure, layer_tags)

    # Then each role on its own (finding the network layer, awaiting by itself): nothing changes, nothing is written.
    again, again_seconds = play("each_on_its_own.yml")
    assert again.rc == 0 and again.changed() == 0, (str(again), changed_tasks(again))
    assert again.azure_requests["mutating"] == 0, again.azure_requests["mutating_actions"]
    assert facts(again, "Publish the cache outputs", "cache_outputs") == outputs
    assert facts(again, "Publish the Kafka endpoint", "kafka_outputs")["topics"] == kafka["topics"]

    # What Azure refuses fails before any write, naming the variable and the fix.
    fewer = {"kafka_topics": [{"name": "events", "partitions": 4, "retention_days": 1},
                              {"name": "audit", "partitions": 1, "retention_days": 3}]}
    refused, _seconds = play("strata.platform.kafka", **fewer)
    assert refused.rc != 0 and refused.azure_requests["mutating"] == 0
    assert "events has 2 partitions and Standard cannot change it to 4" in refused.failures(), refused.failures()
    refused, _seconds = play("strata.platform.kafka", kafka_azure_zone_redundant=True, kafka_azure_sku="Premium",
                             kafka_azure_auto_inflate_maximum=0)
    assert refused.rc != 0 and refused.azure_requests["mutating"] == 0
    for words in ("zone redundancy", "kafka_azure_zone_redundant", "migration", "kafka_azure_sku=Premium"):
        assert words in refused.failures(), refused.failures()
    assert_converged(azure, layer_tags)

    # No access key in any output or result: the keys the double made (and sent in its create/update answers, like
    # ARM) never show, nor does a field that would hold them.
    _status, keys = azure.call("POST", azure.path("Microsoft.Cache/redis", REDIS) + "/listKeys")
    assert len(keys["primaryKey"]) == 44
    for run in play.runs:
        text = run.output + json.dumps(run.result)
        assert keys["primaryKey"] not in text and keys["secondaryKey"] not in text, "a Redis access key in an output"
        assert "accessKeys" not in text and "primaryKey" not in text

    # Our name without our tags (ours removed by hand, someone else's made under the name): the teardown refuses and
    # removes nothing.
    azure.call("DELETE", azure.path("Microsoft.Cache/redis", REDIS))
    azure.call("PUT", azure.path("Microsoft.Cache/redis", REDIS),
               {"location": "eastus", "properties": {"sku": {"name": "Basic", "family": "C", "capacity": 0}}})
    refused, _seconds = play("strata.platform.cache", cache_state="absent")
    assert refused.rc != 0 and refused.azure_requests["mutating"] == 0
    assert "without this layer's ownership tags" in refused.failures() and azure.redis() is not None

    print(f"[azure cache+kafka] plan {plan_seconds:.1f} s {plan.azure_requests['total']} requests; network + start+wait "
          f"(Redis 60 s, namespace 20 s) {first_seconds:.1f} s {first.azure_requests['total']} requests "
          f"({first.azure_requests['mutating']} mutating); no-op each on its own {again_seconds:.1f} s "
          f"{again.azure_requests['total']} requests")


@pytest.mark.parametrize(("extra_vars", "variable"), [
    ({"cache_azure_sku": {"name": "basic", "size": "P1"}}, "cache_azure_sku"),
    ({"cache_azure_redis_version": "7"}, "cache_azure_redis_version"),
    ({"kafka_azure_sku": "Basic"}, "kafka_azure_sku"),
    ({"kafka_azure_capacity": 3, "kafka_azure_sku": "Premium"}, "kafka_azure_capacity"),
    ({"kafka_topics": [{"name": "events", "partitions": 40, "retention_days": 1}]}, "kafka_topics"),
    ({"kafka_topics": [{"name": "events", "partitions": 2, "retention_days": 8}]}, "kafka_topics"),
    ({"kafka_azure_auto_inflate_maximum": 4, "kafka_azure_sku": "Premium"}, "kafka_azure_auto_inflate_maximum"),
])
def test_bad_azure_input_fails_before_any_call(play, extra_vars, variable):
    run, _seconds = play(f"strata.platform.{variable.split('_')[0]}", **extra_vars)
    assert run.rc != 0
    assert run.azure_requests["total"] == 0 and run.requests["total"] == 0
    assert variable in run.failures(), run.failures()
