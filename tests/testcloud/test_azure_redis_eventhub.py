"""The ARM test double's Microsoft.Cache/redis and Microsoft.EventHub kinds.

Each behaviour is checked through plain HTTPS (exactly what ARM answers: codes, bodies, headers) and, where
the roles depend on it, through the real Azure SDK clients that azure.azcollection uses
(azure-mgmt-redis 2024-03-01, azure-mgmt-eventhub 2024-01-01).
"""

import json
import time

import pytest

from azure_http import ArmHttp

from testcloud.azure_arm import SUBSCRIPTION_ID

SUB = f"/subscriptions/{SUBSCRIPTION_ID}"
REDIS_API = "?api-version=2024-03-01"
EH_API = "?api-version=2024-01-01"
RG = f"{SUB}/resourceGroups/rg"
REDIS = f"{RG}/providers/Microsoft.Cache/redis"
NS = f"{RG}/providers/Microsoft.EventHub/namespaces"


Client = ArmHttp


@pytest.fixture
def arm(azure_cloud):
    client = Client(azure_cloud)
    assert client("PUT", f"{RG}?api-version=2022-09-01", {"location": "eastus"})[0] == 201
    azure_cloud.reset_stats()
    return client


def sdk_credential(cloud):
    from azure.identity import ClientSecretCredential  # noqa: PLC0415 - the Azure SDK is large

    env = cloud.exports()
    return ClientSecretCredential(env["AZURE_TENANT"], env["AZURE_CLIENT_ID"], env["AZURE_SECRET"],
                                  authority=cloud.endpoint, disable_instance_discovery=True)


@pytest.fixture
def redis_client(azure_cloud_env, arm):
    from azure.mgmt.redis import RedisManagementClient  # noqa: PLC0415

    cloud = azure_cloud_env
    return RedisManagementClient(sdk_credential(cloud), SUBSCRIPTION_ID, base_url=cloud.endpoint,
                                 credential_scopes=[cloud.endpoint + "/.default"], polling_interval=1)


@pytest.fixture
def eventhub_client(azure_cloud_env, arm):
    from azure.mgmt.eventhub import EventHubManagementClient  # noqa: PLC0415

    cloud = azure_cloud_env
    return EventHubManagementClient(sdk_credential(cloud), SUBSCRIPTION_ID, base_url=cloud.endpoint,
                                    credential_scopes=[cloud.endpoint + "/.default"], api_version="2024-01-01")


def redis_body(tier="Basic", family="C", capacity=0, **properties):
    return {"location": "eastus", "tags": {"layer": "cache"},
            "properties": {"sku": {"name": tier, "family": family, "capacity": capacity}, **properties}}


def namespace_body(tier="Standard", capacity=1, **properties):
    return {"location": "eastus", "tags": {"layer": "kafka"}, "sku": {"name": tier, "tier": tier, "capacity": capacity},
            "properties": properties}


def wait_until(check, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


# -- Microsoft.Cache/redis -----------------------------------------------------------------------


def test_redis_create_answers_201_with_server_fields_and_the_keys_only_in_that_answer(arm):
    status, _headers, created = arm("PUT", f"{REDIS}/fsm-dev-eastus-redis{REDIS_API}",
                                    redis_body(redisVersion="6", minimumTlsVersion="1.2", publicNetworkAccess="Disabled",
                                               redisConfiguration={"maxmemory-policy": "allkeys-lru"}))
    assert status == 201
    props = created["properties"]
    assert created["type"] == "Microsoft.Cache/Redis" and created["location"] == "East US"
    assert (props["hostName"], props["port"], props["sslPort"]) == ("fsm-dev-eastus-redis.redis.cache.windows.net", 6379, 6380)
    assert props["redisVersion"] == "6.0.20" and props["enableNonSslPort"] is False
    assert (props["minimumTlsVersion"], props["publicNetworkAccess"]) == ("1.2", "Disabled")
    assert props["redisConfiguration"]["maxmemory-policy"] == "allkeys-lru"
    assert props["redisConfiguration"]["maxclients"] == "256"  # C0
    assert props["provisioningState"] == "Succeeded" and len(props["instances"]) == 1
    assert set(props["accessKeys"]) == {"primaryKey", "secondaryKey"}  # ARM: only in a create/update answer
    status, _headers, got = arm("GET", f"{REDIS}/fsm-dev-eastus-redis{REDIS_API}")
    assert status == 200 and "accessKeys" not in got["properties"]
    listed = arm("GET", f"{REDIS}{REDIS_API}")[2]["value"]
    assert [item["name"] for item in listed] == ["fsm-dev-eastus-redis"] and "accessKeys" not in listed[0]["properties"]


def test_a_resource_in_a_missing_resource_group_is_resource_group_not_found(arm):
    # ARM checks the group first (the roles tell "no resource group yet" from "no cache yet" by this code).
    status, _headers, body = arm("GET", f"{SUB}/resourceGroups/nope/providers/Microsoft.Cache/redis/c1{REDIS_API}")
    assert (status, body["error"]["code"]) == (404, "ResourceGroupNotFound")
    status, _headers, body = arm("GET", f"{REDIS}/c1{REDIS_API}")
    assert (status, body["error"]["code"]) == (404, "ResourceNotFound")
    status, _headers, body = arm("POST", f"{SUB}/resourceGroups/nope/providers/Microsoft.Cache/redis/c1/listKeys{REDIS_API}")
    assert (status, body["error"]["code"]) == (404, "ResourceGroupNotFound")


def test_redis_list_keys_is_a_read_and_regenerate_key_a_mutation(arm):
    created = arm("PUT", f"{REDIS}/c1{REDIS_API}", redis_body())[2]
    arm.cloud.reset_stats()
    status, _headers, keys = arm("POST", f"{REDIS}/c1/listKeys{REDIS_API}")
    assert status == 200 and keys == created["properties"]["accessKeys"]
    assert len(keys["primaryKey"]) == 44 and keys["primaryKey"] != keys["secondaryKey"]
    stats = arm.cloud.stats()
    assert (stats["read"], stats["mutating"]) == (1, 0)
    status, _headers, renewed = arm("POST", f"{REDIS}/c1/regenerateKey{REDIS_API}", {"keyType": "Primary"})
    assert status == 200 and renewed["primaryKey"] != keys["primaryKey"] and renewed["secondaryKey"] == keys["secondaryKey"]
    assert arm.cloud.stats()["mutating"] == 1
    assert arm("POST", f"{REDIS}/c1/regenerateKey{REDIS_API}", {"keyType": "Both"})[0] == 400
    assert arm("POST", f"{REDIS}/missing/listKeys{REDIS_API}")[0] == 404


def test_redis_keys_sent_by_a_client_are_never_stored(arm):
    body = redis_body(accessKeys={"primaryKey": "mine-primary-key-value", "secondaryKey": "mine-secondary-key"})
    created = arm("PUT", f"{REDIS}/c1{REDIS_API}", body)[2]
    assert created["properties"]["accessKeys"]["primaryKey"] != "mine-primary-key-value"
    assert "mine-primary-key-value" not in json.dumps(arm("GET", f"{REDIS}/c1{REDIS_API}")[2])


def test_redis_creation_time_keeps_it_creating_behind_an_operation(arm):
    arm.cloud.set_create_seconds(1.0, "Microsoft.Cache/redis")
    status, headers, body = arm("PUT", f"{REDIS}/c1{REDIS_API}", redis_body())
    assert status == 201 and body["properties"]["provisioningState"] == "Creating"
    assert headers["Retry-After"] == "1" and "Azure-AsyncOperation" in headers
    wait_until(lambda: arm("GET", f"{REDIS}/c1{REDIS_API}")[2]["properties"]["provisioningState"] == "Succeeded")


def test_redis_version_is_reported_in_full_and_never_goes_down(arm):
    assert arm("PUT", f"{REDIS}/c1{REDIS_API}", redis_body(redisVersion="latest"))[2]["properties"]["redisVersion"] == "6.0.20"
    status, _headers, body = arm("PATCH", f"{REDIS}/c1{REDIS_API}", {"properties": {"redisVersion": "4"}})
    assert (status, body["error"]["code"]) == (400, "BadRequest") and "downgrade" in body["error"]["message"]
    assert arm("PUT", f"{REDIS}/c2{REDIS_API}", redis_body(redisVersion="7"))[0] == 400
    assert arm("PUT", f"{REDIS}/c3{REDIS_API}", redis_body(redisVersion="4"))[2]["properties"]["redisVersion"] == "4.0.14"
    assert arm("PATCH", f"{REDIS}/c3{REDIS_API}", {"properties": {"redisVersion": "6"}})[2]["properties"]["redisVersion"] == "6.0.20"


@pytest.mark.parametrize(("body", "word"), [
    (redis_body("Basic", "P", 1), "family C"),
    (redis_body("Premium", "P", 0), "capacity 1-5"),
    (redis_body("Standard", "C", 7), "capacity 0-6"),
    (redis_body("Free", "C", 0), "not valid"),
    ({**redis_body("Standard", "C", 1), "zones": ["1", "2"]}, "Premium"),
    (redis_body("Standard", "C", 1, shardCount=2), "Premium"),
    (redis_body(minimumTlsVersion="1.3"), "minimumTlsVersion"),
    (redis_body(publicNetworkAccess="Private"), "publicNetworkAccess"),
    (redis_body(redisConfiguration={"maxmemory-policy": "lru"}), "maxmemory-policy"),
])
def test_redis_refuses_what_arm_refuses(arm, body, word):
    status, _headers, answer = arm("PUT", f"{REDIS}/c1{REDIS_API}", body)
    assert (status, answer["error"]["code"]) == (400, "BadRequest") and word in answer["error"]["message"]
    assert arm("GET", f"{REDIS}/c1{REDIS_API}")[0] == 404


def test_redis_scales_up_one_tier_at_a_time_and_never_down(arm):
    arm("PUT", f"{REDIS}/c1{REDIS_API}", redis_body("Basic", "C", 1))
    assert arm("PATCH", f"{REDIS}/c1{REDIS_API}", {"properties": {"sku": {"name": "Premium", "family": "P", "capacity": 1}}})[0] == 400
    status, _headers, body = arm("PATCH", f"{REDIS}/c1{REDIS_API}", {"properties": {"sku": {"name": "Standard", "family": "C", "capacity": 1}}})
    assert status == 200 and body["properties"]["sku"] == {"name": "Standard", "family": "C", "capacity": 1}
    assert body["properties"]["replicasPerPrimary"] == 1 and len(body["properties"]["instances"]) == 2
    assert arm("PATCH", f"{REDIS}/c1{REDIS_API}", {"properties": {"sku": {"name": "Basic", "family": "C", "capacity": 1}}})[0] == 400
    assert arm("PATCH", f"{REDIS}/c1{REDIS_API}", {"properties": {"sku": {"name": "Standard", "family": "C", "capacity": 0}}})[0] == 400


def test_redis_patch_keeps_the_configuration_and_answers_the_keys(arm):
    arm("PUT", f"{REDIS}/c1{REDIS_API}", redis_body(redisConfiguration={"maxmemory-policy": "allkeys-lru"}))
    status, _headers, body = arm("PATCH", f"{REDIS}/c1{REDIS_API}", {"tags": {"layer": "cache", "x": "1"}, "properties": {"redisConfiguration": {}}})
    assert status == 200 and body["tags"] == {"layer": "cache", "x": "1"}
    assert body["properties"]["redisConfiguration"]["maxmemory-policy"] == "allkeys-lru"
    assert "accessKeys" in body["properties"]


def test_redis_delete_is_202_then_gone(arm):
    arm("PUT", f"{REDIS}/c1{REDIS_API}", redis_body())
    status, headers, _body = arm("DELETE", f"{REDIS}/c1{REDIS_API}")
    assert status == 202 and "Location" in headers
    assert arm("GET", f"{REDIS}/c1{REDIS_API}")[0] == 404
    assert arm("DELETE", f"{REDIS}/c1{REDIS_API}")[0] == 204


def test_redis_through_the_sdk_waits_for_the_creation_and_never_shows_keys_in_a_get(redis_client, azure_cloud_env):
    from azure.mgmt.redis.models import RedisCreateParameters, RedisUpdateParameters, Sku  # noqa: PLC0415

    azure_cloud_env.set_create_seconds(1.0, "Microsoft.Cache/redis")
    started = time.monotonic()
    poller = redis_client.redis.begin_create("rg", "sdk-redis", RedisCreateParameters(
        location="eastus", sku=Sku(name="Standard", family="C", capacity=1), minimum_tls_version="1.2",
        public_network_access="Disabled", redis_version="6", enable_non_ssl_port=False, tags={"layer": "cache"}))
    assert not poller.done()
    created = poller.result()
    assert 1.0 <= time.monotonic() - started < 6.0
    assert created.provisioning_state == "Succeeded" and created.ssl_port == 6380
    got = redis_client.redis.get("rg", "sdk-redis")
    assert got.access_keys is None and got.redis_version.startswith("6.") and got.location == "East US"
    keys = redis_client.redis.list_keys("rg", "sdk-redis")
    assert keys.primary_key and keys.secondary_key
    updated = redis_client.redis.begin_update("rg", "sdk-redis", RedisUpdateParameters(tags={"layer": "cache", "a": "b"})).result()
    assert updated.tags == {"layer": "cache", "a": "b"} and updated.sku.name == "Standard"
    redis_client.redis.begin_delete("rg", "sdk-redis").result()
    assert [cache.name for cache in redis_client.redis.list_by_resource_group("rg")] == []


# -- Microsoft.EventHub/namespaces ----------------------------------------------------------------


def test_namespace_create_answers_server_fields_and_kafka_for_standard(arm):
    status, _headers, body = arm("PUT", f"{NS}/fsm-dev-eastus-ehns{EH_API}", namespace_body(minimumTlsVersion="1.2"))
    assert status == 200
    props = body["properties"]
    assert body["type"] == "Microsoft.EventHub/Namespaces" and body["location"] == "East US"
    assert body["sku"] == {"name": "Standard", "tier": "Standard", "capacity": 1}
    assert props["serviceBusEndpoint"] == "https://fsm-dev-eastus-ehns.servicebus.windows.net:443/"
    assert props["kafkaEnabled"] is True and props["status"] == "Active" and props["provisioningState"] == "Succeeded"
    assert (props["minimumTlsVersion"], props["publicNetworkAccess"], props["zoneRedundant"]) == ("1.2", "Enabled", False)
    assert props["metricId"] == f"{SUBSCRIPTION_ID}:fsm-dev-eastus-ehns"
    basic = arm("PUT", f"{NS}/basic-namespace{EH_API}", {**namespace_body("Basic"), "properties": {"kafkaEnabled": True}})[2]
    assert basic["properties"]["kafkaEnabled"] is False  # server-side: no Kafka endpoint on Basic


def test_namespace_creation_time_reports_created_and_activating(arm):
    arm.cloud.set_create_seconds(1.0, "Microsoft.EventHub/namespaces")
    status, headers, body = arm("PUT", f"{NS}/slow-namespace{EH_API}", namespace_body())
    assert status == 200 and "Azure-AsyncOperation" in headers
    assert (body["properties"]["provisioningState"], body["properties"]["status"]) == ("Created", "Activating")
    status, _headers, refused = arm("PUT", f"{NS}/slow-namespace/eventhubs/events{EH_API}", {"properties": {"partitionCount": 2}})
    assert (status, refused["error"]["code"]) == (404, "NotFound") and "not active" in refused["error"]["message"]
    assert arm("GET", f"{NS}/slow-namespace/eventhubs/events{EH_API}")[0] == 404
    wait_until(lambda: arm("GET", f"{NS}/slow-namespace{EH_API}")[2]["properties"]["status"] == "Active")
    assert arm("GET", f"{NS}/slow-namespace{EH_API}")[2]["properties"]["provisioningState"] == "Succeeded"
    assert arm("PUT", f"{NS}/slow-namespace/eventhubs/events{EH_API}", {"properties": {"partitionCount": 2}})[0] == 200


@pytest.mark.parametrize(("name", "body", "word"), [
    ("ns-premium", namespace_body("Premium", 3), "processing units"),
    ("ns-standard", namespace_body("Standard", 41), "throughput units"),
    ("ns-tier", {**namespace_body(), "sku": {"name": "Standard", "tier": "Premium"}}, "does not match"),
    ("ns-free", namespace_body("Free"), "not valid"),
    ("ns-tls", namespace_body(minimumTlsVersion="1.3"), "minimumTlsVersion"),
    ("ns-inflate", namespace_body("Premium", 1, isAutoInflateEnabled=True, maximumThroughputUnits=4), "Auto-inflate"),
    ("ns-max", namespace_body("Standard", 2, isAutoInflateEnabled=True, maximumThroughputUnits=1), "maximumThroughputUnits"),
    ("ns-maxonly", namespace_body(maximumThroughputUnits=4), "isAutoInflateEnabled"),
    ("ns", namespace_body(), "6-50"),
    ("1namespace", namespace_body(), "starting with a letter"),
    ("namespace-sb", namespace_body(), "-sb"),
])
def test_namespace_refuses_what_arm_refuses(arm, name, body, word):
    status, _headers, answer = arm("PUT", f"{NS}/{name}{EH_API}", body)
    assert (status, answer["error"]["code"]) == (400, "BadRequest") and word in answer["error"]["message"]
    assert arm("GET", f"{NS}/{name}{EH_API}")[0] == 404


def test_namespace_zone_redundancy_is_fixed_and_premium_is_a_migration(arm):
    arm("PUT", f"{NS}/zone-namespace{EH_API}", namespace_body("Premium", 1, zoneRedundant=True))
    status, _headers, body = arm("PUT", f"{NS}/zone-namespace{EH_API}", namespace_body("Premium", 1, zoneRedundant=False))
    assert status == 400 and "zoneRedundant" in body["error"]["message"]
    status, _headers, body = arm("PUT", f"{NS}/zone-namespace{EH_API}", namespace_body("Standard", 1, zoneRedundant=True))
    assert status == 400 and "migration" in body["error"]["message"]
    assert arm("GET", f"{NS}/zone-namespace{EH_API}")[2]["sku"]["name"] == "Premium"  # nothing changed
    status, _headers, scaled = arm("PUT", f"{NS}/zone-namespace{EH_API}", namespace_body("Premium", 2, zoneRedundant=True))
    assert status == 200 and scaled["sku"]["capacity"] == 2
    status, _headers, patched = arm("PATCH", f"{NS}/zone-namespace{EH_API}", {"tags": {"layer": "kafka", "a": "b"}})
    assert status == 200 and patched["tags"] == {"layer": "kafka", "a": "b"} and patched["sku"]["capacity"] == 2


def test_namespace_delete_is_202_and_removes_its_event_hubs(arm):
    arm("PUT", f"{NS}/gone-namespace{EH_API}", namespace_body())
    arm("PUT", f"{NS}/gone-namespace/eventhubs/events{EH_API}", {"properties": {"partitionCount": 2}})
    status, headers, _body = arm("DELETE", f"{NS}/gone-namespace{EH_API}")
    assert status == 202 and "Location" in headers
    assert arm("GET", f"{NS}/gone-namespace{EH_API}")[0] == 404
    status, _headers, body = arm("GET", f"{NS}/gone-namespace/eventhubs{EH_API}")
    assert (status, body["error"]["code"]) == (404, "NotFound")
    assert arm("GET", f"{RG}/resources?api-version=2021-04-01")[2]["value"] == []


# -- Microsoft.EventHub/namespaces/eventhubs ------------------------------------------------------


def test_event_hub_create_answers_200_with_partition_ids_and_no_location(arm):
    arm("PUT", f"{NS}/hub-namespace{EH_API}", namespace_body())
    status, _headers, hub = arm("PUT", f"{NS}/hub-namespace/eventhubs/events{EH_API}",
                                {"location": "eastus", "properties": {"partitionCount": 4, "messageRetentionInDays": 3}})
    assert status == 200
    assert hub["type"] == "Microsoft.EventHub/Namespaces/EventHubs" and "location" not in hub
    props = hub["properties"]
    assert (props["partitionCount"], props["messageRetentionInDays"], props["status"]) == (4, 3, "Active")
    assert props["partitionIds"] == ["0", "1", "2", "3"] and "provisioningState" not in props
    assert [item["name"] for item in arm("GET", f"{NS}/hub-namespace/eventhubs{EH_API}")[2]["value"]] == ["events"]
    status, _headers, updated = arm("PUT", f"{NS}/hub-namespace/eventhubs/events{EH_API}",
                                    {"properties": {"partitionCount": 4, "messageRetentionInDays": 7}})
    assert status == 200 and updated["properties"]["messageRetentionInDays"] == 7
    assert updated["properties"]["createdAt"] == props["createdAt"]
    assert arm("DELETE", f"{NS}/hub-namespace/eventhubs/events{EH_API}")[0] == 200
    assert arm("DELETE", f"{NS}/hub-namespace/eventhubs/events{EH_API}")[0] == 204


def test_event_hub_partition_count_is_fixed_on_standard_and_grows_only_on_premium(arm):
    arm("PUT", f"{NS}/std-namespace{EH_API}", namespace_body())
    arm("PUT", f"{NS}/std-namespace/eventhubs/events{EH_API}", {"properties": {"partitionCount": 4, "messageRetentionInDays": 1}})
    status, _headers, body = arm("PUT", f"{NS}/std-namespace/eventhubs/events{EH_API}", {"properties": {"partitionCount": 8, "messageRetentionInDays": 1}})
    assert (status, body["error"]["code"]) == (400, "BadRequest")
    assert body["error"]["message"] == "SubCode=40000. PartitionCount cannot be changed for EventHub."
    assert arm("GET", f"{NS}/std-namespace/eventhubs/events{EH_API}")[2]["properties"]["partitionCount"] == 4
    arm("PUT", f"{NS}/prem-namespace{EH_API}", namespace_body("Premium"))
    arm("PUT", f"{NS}/prem-namespace/eventhubs/events{EH_API}", {"properties": {"partitionCount": 4, "messageRetentionInDays": 30}})
    grown = arm("PUT", f"{NS}/prem-namespace/eventhubs/events{EH_API}", {"properties": {"partitionCount": 8}})[2]
    assert grown["properties"]["partitionCount"] == 8 and grown["properties"]["messageRetentionInDays"] == 30
    assert arm("PUT", f"{NS}/prem-namespace/eventhubs/events{EH_API}", {"properties": {"partitionCount": 6}})[0] == 400


@pytest.mark.parametrize(("tier", "days", "partitions", "ok"), [
    ("Basic", 1, 2, True), ("Basic", 2, 2, False), ("Standard", 7, 32, True), ("Standard", 8, 2, False),
    ("Standard", 1, 33, False), ("Premium", 90, 100, True), ("Premium", 91, 2, False), ("Standard", 0, 2, False),
])
def test_event_hub_retention_and_partitions_follow_the_tier(arm, tier, days, partitions, ok):
    arm("PUT", f"{NS}/tier-namespace{EH_API}", namespace_body(tier))
    status, _headers, body = arm("PUT", f"{NS}/tier-namespace/eventhubs/hub{EH_API}",
                                 {"properties": {"partitionCount": partitions, "messageRetentionInDays": days}})
    assert (status == 200) is ok, body
    if not ok:
        assert body["error"]["code"] == "BadRequest"
        assert arm("GET", f"{NS}/tier-namespace/eventhubs/hub{EH_API}")[0] == 404


def test_event_hubs_through_the_sdk(eventhub_client):
    from azure.mgmt.eventhub.v2024_01_01.models import EHNamespace, Eventhub, Sku  # noqa: PLC0415

    namespace = eventhub_client.namespaces.begin_create_or_update("rg", "sdk-namespace", EHNamespace(
        location="eastus", sku=Sku(name="Premium", tier="Premium", capacity=1), zone_redundant=True,
        minimum_tls_version="1.2", tags={"layer": "kafka"})).result()
    assert namespace.kafka_enabled is True and namespace.zone_redundant is True and namespace.status == "Active"
    assert namespace.service_bus_endpoint == "https://sdk-namespace.servicebus.windows.net:443/"
    hub = eventhub_client.event_hubs.create_or_update("rg", "sdk-namespace", "events",
                                                      Eventhub(partition_count=3, message_retention_in_days=14))
    assert hub.partition_ids == ["0", "1", "2"] and hub.message_retention_in_days == 14
    assert [h.name for h in eventhub_client.event_hubs.list_by_namespace("rg", "sdk-namespace")] == ["events"]
    eventhub_client.event_hubs.delete("rg", "sdk-namespace", "events")
    eventhub_client.namespaces.begin_delete("rg", "sdk-namespace").result()
    assert list(eventhub_client.namespaces.list_by_resource_group("rg")) == []
