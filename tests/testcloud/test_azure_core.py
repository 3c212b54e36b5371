"""The ARM test double's core: TLS, metadata and tokens, ARM errors, resource store, LROs, counts, reset.

Driven through plain HTTPS (to see exactly what ARM would answer) and through the real Azure SDK
(azure-identity + azure-mgmt-resource), the way azure.azcollection reaches it.
"""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from azure_http import ArmHttp

from testcloud._process import PACKAGE_PARENT, CloudNotConfigured, pid_alive
from testcloud.azure import CA_ENV, ENDPOINT_ENV, UNSET_VARS, AzureTestCloud, stats_from_env
from testcloud.azure_arm import SUBSCRIPTION_ID, TENANT_ID

SUB = f"/subscriptions/{SUBSCRIPTION_ID}"
API = "?api-version=2022-09-01"


Client = ArmHttp


@pytest.fixture
def arm(azure_cloud):
    return Client(azure_cloud)


def rg_path(name):
    return f"{SUB}/resourceGroups/{name}"


def vnet_path(rg, name):
    return f"{rg_path(rg)}/providers/Microsoft.Network/virtualNetworks/{name}"


# -- lifecycle, TLS, environment ---------------------------------------------------------------


def test_start_serves_https_with_its_own_ca_and_stop_ends_it(tmp_path):
    cloud = AzureTestCloud(log_path=tmp_path / "azure.log", cert_dir=tmp_path / "tls")
    with cloud:
        pid = cloud.pid
        assert cloud.endpoint.startswith("https://127.0.0.1:")
        assert os.path.isfile(cloud.ca_file)
        assert cloud.stats()["total"] == 0
        untrusted = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with pytest.raises(urllib.error.URLError) as failure:  # the system CAs do not know the double's CA
            untrusted.open(cloud.endpoint + "/_testcloud/stats", timeout=5)
        assert "CERTIFICATE_VERIFY_FAILED" in str(failure.value)
    assert cloud.pid is None and not pid_alive(pid)


def test_a_temporary_certificate_directory_is_removed_on_stop(tmp_path):
    cloud = AzureTestCloud(log_path=tmp_path / "azure.log")
    with cloud:
        cert_dir = cloud.cert_dir
        assert os.path.isfile(os.path.join(cert_dir, "ca.pem"))
    assert not os.path.exists(cert_dir)


def test_env_selects_the_custom_cloud_and_drops_other_identities(azure_testcloud):
    env = azure_testcloud.env({"AZURE_PROFILE": "prod", "AZURE_AD_USER": "me", "NO_PROXY": "corp"})
    endpoint = azure_testcloud.endpoint
    assert env["AZURE_CLOUD_ENVIRONMENT"] == env[ENDPOINT_ENV] == endpoint
    assert env["ARM_CLOUD_METADATA_URL"].startswith(endpoint + "/metadata/endpoints")
    assert env["REQUESTS_CA_BUNDLE"] == env["SSL_CERT_FILE"] == env[CA_ENV] == azure_testcloud.ca_file
    assert env["AZURE_DISABLE_INSTANCE_DISCOVERY"] == "true"
    assert env["AZURE_SUBSCRIPTION_ID"] == SUBSCRIPTION_ID and env["AZURE_TENANT"] == TENANT_ID
    assert env["NO_PROXY"] == "corp,127.0.0.1,localhost"
    assert not {"AZURE_PROFILE", "AZURE_AD_USER"} & set(env)
    assert "AZURE_PASSWORD" in UNSET_VARS


def test_stats_from_env_needs_the_endpoint_variable(azure_testcloud):
    env = azure_testcloud.exports()
    assert stats_from_env(env)["total"] >= 0
    with pytest.raises(CloudNotConfigured):
        stats_from_env({})


def test_cli_starts_and_stops_both_clouds_with_one_env_file(tmp_path):
    state_dir = tmp_path / "state"

    def run(*args):
        return subprocess.run([sys.executable, "-m", "testcloud", *args], cwd=PACKAGE_PARENT, capture_output=True,
                              text=True, timeout=60, check=False)

    started = run("start", "--state-dir", str(state_dir), "--cloud", "aws", "--cloud", "azure")
    assert started.returncode == 0, started.stderr
    azure_state = json.loads((state_dir / "azure.json").read_text())
    env_text = (state_dir / "env.sh").read_text()
    assert f"export {ENDPOINT_ENV}={azure_state['endpoint']}" in env_text and "STRATA_TESTCLOUD_AWS=" in env_text
    assert pid_alive(azure_state["pid"])
    stats = run("stats", "--state-dir", str(state_dir), "--cloud", "azure")
    assert stats.returncode == 0 and json.loads(stats.stdout)["total"] == 0
    stopped = run("stop", "--state-dir", str(state_dir))
    assert stopped.returncode == 0, stopped.stderr
    assert not pid_alive(azure_state["pid"]) and not (state_dir / "env.sh").exists()


# -- what the SDK asks before ARM --------------------------------------------------------------


def test_metadata_is_the_json_array_format_with_the_double_as_every_endpoint(azure_cloud):
    status, _headers, body = Client(azure_cloud, token=None)("GET", "/metadata/endpoints?api-version=2019-05-01")
    assert status == 200 and isinstance(body, list) and len(body) == 1
    cloud = body[0]
    assert cloud["name"] != "AzureCloud"  # that name makes the CLI core force login.microsoftonline.com
    assert cloud["resourceManager"] == azure_cloud.endpoint + "/"
    assert cloud["authentication"]["loginEndpoint"] == azure_cloud.endpoint
    assert azure_cloud.stats()["auth"] == 1 and azure_cloud.stats()["total"] == 0


def test_arm_without_a_token_is_401_with_a_bearer_challenge(azure_cloud):
    status, headers, body = Client(azure_cloud, token=None)("GET", rg_path("rg") + API)
    assert status == 401
    assert body["error"]["code"] == "AuthenticationFailed"
    assert headers["WWW-Authenticate"].startswith("Bearer authorization_uri=")


def test_the_sdk_gets_a_token_and_reads_the_subscription(azure_cloud_env):
    from azure.identity import ClientSecretCredential  # noqa: PLC0415 - the Azure SDK is large
    from azure.mgmt.resource import SubscriptionClient  # noqa: PLC0415

    env = azure_cloud_env.exports()
    credential = ClientSecretCredential(
        env["AZURE_TENANT"], env["AZURE_CLIENT_ID"], env["AZURE_SECRET"],
        authority=azure_cloud_env.endpoint, disable_instance_discovery=True,
    )
    client = SubscriptionClient(credential, base_url=azure_cloud_env.endpoint, credential_scopes=[azure_cloud_env.endpoint + "/.default"])
    subscription = client.subscriptions.get(SUBSCRIPTION_ID)
    assert subscription.subscription_id == SUBSCRIPTION_ID and subscription.tenant_id == TENANT_ID
    assert azure_cloud_env.stats()["auth"] >= 2  # OpenID configuration + token


# -- ARM behaviour -----------------------------------------------------------------------------


def test_missing_resources_answer_arm_404_codes(arm):
    status, _headers, body = arm("GET", rg_path("nope") + API)
    assert status == 404 and body["error"]["code"] == "ResourceGroupNotFound" and body["error"]["message"]
    status, _headers, body = arm("PUT", vnet_path("nope", "v") + API, {"location": "eastus"})
    assert (status, body["error"]["code"]) == (404, "ResourceGroupNotFound")
    arm("PUT", rg_path("rg") + API, {"location": "eastus"})
    status, _headers, body = arm("GET", vnet_path("rg", "v") + API)
    assert (status, body["error"]["code"]) == (404, "ResourceNotFound")
    status, _headers, body = arm("PUT", vnet_path("rg", "v") + "/subnets/s" + API, {"properties": {"addressPrefix": "10.0.0.0/24"}})
    assert (status, body["error"]["code"]) == (404, "ParentResourceNotFound")
    status, _headers, body = arm("GET", f"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg{API}")
    assert (status, body["error"]["code"]) == (404, "SubscriptionNotFound")


def test_put_creates_then_updates_and_ids_are_case_insensitive(arm):
    status, _headers, created = arm("PUT", rg_path("Rg-One") + API, {"location": "eastus", "tags": {"a": "1"}})
    assert status == 201
    assert created["id"] == rg_path("Rg-One") and created["properties"]["provisioningState"] == "Succeeded"
    status, _headers, updated = arm("PUT", rg_path("rg-one") + API, {"location": "eastus", "tags": {"a": "2"}})
    assert status == 200 and updated["id"] == rg_path("Rg-One") and updated["tags"] == {"a": "2"}
    assert arm("HEAD", rg_path("RG-ONE") + API)[0] == 204
    assert arm("HEAD", rg_path("other") + API)[0] == 404


def test_a_create_needs_a_location(arm):
    status, _headers, body = arm("PUT", rg_path("rg") + API, {"tags": {}})
    assert (status, body["error"]["code"]) == (400, "LocationRequired")


def test_patch_merges_and_lists_answer_value_arrays(arm):
    arm("PUT", rg_path("rg") + API, {"location": "eastus"})
    arm("PUT", vnet_path("rg", "v1") + API, {"location": "eastus", "tags": {"a": "1"}, "properties": {"x": 1, "y": {"z": 1}}})
    arm("PUT", vnet_path("rg", "v2") + API, {"location": "eastus"})
    status, _headers, patched = arm("PATCH", vnet_path("rg", "v1") + API, {"tags": {"b": "2"}, "properties": {"y": {"w": 2}}})
    assert status == 200 and patched["tags"] == {"b": "2"} and patched["properties"]["x"] == 1
    assert patched["properties"]["y"] == {"z": 1, "w": 2} and patched["location"] == "eastus"

    def names(body):
        return sorted(item["name"] for item in body["value"])

    assert names(arm("GET", f"{rg_path('rg')}/providers/Microsoft.Network/virtualNetworks{API}")[2]) == ["v1", "v2"]
    assert names(arm("GET", f"{SUB}/providers/Microsoft.Network/virtualNetworks{API}")[2]) == ["v1", "v2"]
    assert names(arm("GET", f"{rg_path('rg')}/resources{API}")[2]) == ["v1", "v2"]
    assert names(arm("GET", f"{SUB}/resourcegroups{API}")[2]) == ["rg"]


def test_deleting_a_resource_group_is_long_running_and_removes_everything_in_it(arm):
    arm("PUT", rg_path("rg") + API, {"location": "eastus"})
    arm("PUT", vnet_path("rg", "v") + API, {"location": "eastus"})
    arm("PUT", vnet_path("rg", "v") + "/subnets/s" + API, {"properties": {"addressPrefix": "10.0.0.0/24"}})
    status, headers, _body = arm("DELETE", rg_path("rg") + API)
    assert status == 202 and headers["Retry-After"] == "1" and "Location" in headers
    location = headers["Location"].replace(arm.cloud.endpoint, "")
    assert arm("GET", location)[0] == 204
    assert arm("GET", vnet_path("rg", "v") + "/subnets/s" + API)[0] == 404
    assert arm("DELETE", rg_path("rg") + API)[0] == 204  # already gone


def test_a_create_with_a_creation_time_is_a_long_running_operation(arm):
    arm.cloud.set_create_seconds(1.5, "Microsoft.Network/virtualNetworks")
    arm("PUT", rg_path("rg") + API, {"location": "eastus"})  # other types stay immediate
    status, headers, body = arm("PUT", vnet_path("rg", "v") + API, {"location": "eastus"})
    assert status == 201 and body["properties"]["provisioningState"] == "Creating"
    assert headers["Retry-After"] == "1"  # DESIGN.md: 0 is read as unset (30 s polls)
    operation = headers["Azure-AsyncOperation"].replace(arm.cloud.endpoint, "")
    status, headers, body = arm("GET", operation)
    assert (status, body["status"], headers["Retry-After"]) == (200, "InProgress", "1")
    assert arm("GET", headers.get("Location", operation.replace("?", "?location=1&")))[0] in (200, 202)
    deadline = time.monotonic() + 10
    while arm("GET", operation)[2]["status"] != "Succeeded":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert arm("GET", vnet_path("rg", "v") + API)[2]["properties"]["provisioningState"] == "Succeeded"


def test_the_sdk_poller_waits_for_a_long_running_create(azure_cloud_env):
    from azure.identity import ClientSecretCredential  # noqa: PLC0415
    from azure.mgmt.resource import ResourceManagementClient  # noqa: PLC0415

    cloud = azure_cloud_env
    env = cloud.exports()
    credential = ClientSecretCredential(env["AZURE_TENANT"], env["AZURE_CLIENT_ID"], env["AZURE_SECRET"],
                                        authority=cloud.endpoint, disable_instance_discovery=True)
    client = ResourceManagementClient(credential, SUBSCRIPTION_ID, base_url=cloud.endpoint, credential_scopes=[cloud.endpoint + "/.default"])
    client.resource_groups.create_or_update("rg", {"location": "eastus"})
    cloud.set_create_seconds(1.0)
    started = time.monotonic()
    poller = client.resources.begin_create_or_update_by_id(vnet_path("rg", "v"), "2023-09-01", {"location": "eastus"})
    assert not poller.done()
    result = poller.result()
    elapsed = time.monotonic() - started
    assert result.properties["provisioningState"] == "Succeeded"
    assert 1.0 <= elapsed < 5.0  # polled every second (Retry-After: 1), not every 30 s
    assert client.resource_groups.check_existence("rg") is True


def test_counts_split_reads_and_mutations_and_reset_forgets_everything(arm):
    cloud = arm.cloud
    arm("PUT", rg_path("rg") + API, {"location": "eastus"})
    arm("GET", rg_path("rg") + API)
    arm("GET", rg_path("missing") + API)
    arm("DELETE", rg_path("missing") + API)
    stats = cloud.stats()
    assert (stats["read"], stats["mutating"], stats["total"]) == (2, 2, 4)
    assert stats["mutating_actions"] == {"PUT Microsoft.Resources/resourceGroups": 1, "DELETE Microsoft.Resources/resourceGroups": 1}
    cloud.reset_stats()
    assert cloud.stats()["total"] == 0 and arm("GET", rg_path("rg") + API)[0] == 200
    cloud.reset()
    assert arm("GET", rg_path("rg") + API)[0] == 404


def test_bad_json_is_a_400_with_the_arm_error_shape(arm):
    request = urllib.request.Request(arm.cloud.endpoint + rg_path("rg") + API, method="PUT", data=b"{not json")
    request.add_header("Authorization", "Bearer x")
    with pytest.raises(urllib.error.HTTPError) as failure:
        arm.opener.open(request, timeout=5)
    assert failure.value.code == 400
    assert json.loads(failure.value.read())["error"]["code"] == "InvalidRequestContent"
