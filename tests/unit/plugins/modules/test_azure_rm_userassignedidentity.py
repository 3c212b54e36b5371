# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""azure_rm_userassignedidentity against the ARM test double (the module runs in-process, the way Ansible drives
it; the double's call counters prove that check mode and no-op runs make no mutating call)."""

import json
import ssl
import urllib.error
import urllib.request

import pytest

from ansible_collections.strata.platform.plugins.modules import azure_rm_userassignedidentity as module

from _harness import run
from _harness import run_failing

from testcloud.azure_arm import SUBSCRIPTION_ID
from testcloud.azure_arm import TENANT_ID

RG = "fsm-dev-eastus"
NAME = "fsm-dev-eastus-app"
IDENTITY_ID = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{NAME}"
TAGS = {"owner": "strata.platform", "layer": "iam"}


def arm(cloud, method, path, body=None):
    """One plain HTTPS call to the double: ``(status, json)``."""
    context = ssl.create_default_context(cafile=cloud.ca_file)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(cloud.endpoint + path, method=method, data=data)
    request.add_header("Authorization", "Bearer test")
    request.add_header("Content-Type", "application/json")
    try:
        with opener.open(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw else None


@pytest.fixture
def cloud(azure_cloud_env, monkeypatch):
    """The ARM double, with the Azure CLI core's cloud list (read from ARM_CLOUD_METADATA_URL when
    azure.cli.core.cloud is first imported, in this process before the fixture set the variables) reloaded."""
    from azure.cli.core import cloud as azure_cloud  # noqa: PLC0415 - the Azure SDK is large

    monkeypatch.setattr(azure_cloud, "GLOBAL_CONFIG_DIR", azure_cloud_env.exports()["AZURE_CONFIG_DIR"])
    monkeypatch.setattr(azure_cloud, "KNOWN_CLOUDS", azure_cloud.get_known_clouds(refresh=True))
    azure_cloud_env.reset_stats()
    return azure_cloud_env


@pytest.fixture
def resource_group(cloud):
    path = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{RG}?api-version=2022-09-01"
    assert arm(cloud, "PUT", path, {"location": "westeurope"})[0] == 201
    cloud.reset_stats()
    return RG


def stored(cloud):
    return arm(cloud, "GET", IDENTITY_ID + "?api-version=2023-01-31")


def args(**overrides):
    return {"name": NAME, "resource_group": RG, "location": "eastus", "tags": TAGS, **overrides}


@pytest.mark.parametrize("check_mode", [True, False])
def test_create_reports_the_identity_and_check_mode_calls_no_mutating_api(cloud, resource_group, check_mode):
    result = run(module, args(), check_mode=check_mode)
    assert result["changed"] is True
    assert result["id"] == IDENTITY_ID and result["location"] == "eastus" and result["tags"] == TAGS
    assert result["diff"] == {"before": {}, "after": {"name": NAME, "location": "eastus", "tags": TAGS}}
    stats = cloud.stats()
    if check_mode:
        assert stats["mutating"] == 0
        assert result["principal_id"] is None and result["client_id"] is None
        assert stored(cloud)[0] == 404
    else:
        assert stats["mutating_actions"] == {"PUT Microsoft.ManagedIdentity/userAssignedIdentities": 1}
        status, body = stored(cloud)
        assert status == 200 and body["tags"] == TAGS and body["location"] == "eastus"
        assert result["principal_id"] == body["properties"]["principalId"]
        assert result["client_id"] == body["properties"]["clientId"]
        assert result["tenant_id"] == TENANT_ID


def test_check_mode_without_the_resource_group_predicts_the_creation(cloud):
    result = run(module, args(), check_mode=True)
    assert result["changed"] is True and result["id"] == IDENTITY_ID and result["principal_id"] is None
    assert cloud.stats()["mutating"] == 0
    defaulted = run(module, args(location=None), check_mode=True)
    assert defaulted["changed"] is True and defaulted["location"] is None
    assert cloud.stats()["mutating"] == 0


def test_rerun_changes_nothing_and_keeps_the_principal(cloud, resource_group):
    first = run(module, args())
    cloud.reset_stats()
    for check_mode in (True, False):
        again = run(module, args(location="East US"), check_mode=check_mode)
        assert again["changed"] is False
        assert (again["principal_id"], again["client_id"]) == (first["principal_id"], first["client_id"])
        assert again["diff"]["before"] == again["diff"]["after"]
    assert cloud.stats()["mutating"] == 0
    unmanaged = run(module, args(tags=None))
    assert unmanaged["changed"] is False and unmanaged["tags"] == TAGS


@pytest.mark.parametrize("check_mode", [True, False])
def test_tags_are_merged_or_purged_in_place(cloud, resource_group, check_mode):
    first = run(module, args())
    cloud.reset_stats()
    added = run(module, args(tags={"cost-center": "x"}, purge_tags=False), check_mode=check_mode)
    assert added["changed"] is True and added["tags"] == {**TAGS, "cost-center": "x"}
    assert added["diff"]["before"]["tags"] == TAGS and added["diff"]["after"]["tags"] == added["tags"]
    assert added["principal_id"] == first["principal_id"]
    if check_mode:
        assert cloud.stats()["mutating"] == 0 and stored(cloud)[1]["tags"] == TAGS
        return
    assert stored(cloud)[1]["tags"] == added["tags"]
    purged = run(module, args())
    assert purged["changed"] is True and stored(cloud)[1]["tags"] == TAGS
    assert purged["principal_id"] == first["principal_id"]


def test_location_defaults_to_the_resource_group_and_cannot_change(cloud, resource_group):
    created = run(module, args(location=None))
    assert created["location"] == "westeurope"
    cloud.reset_stats()
    failure = run_failing(module, args(location="eastus"))
    assert "cannot change (westeurope -> eastus)" in failure["msg"] and "state=absent" in failure["msg"]
    assert cloud.stats()["mutating"] == 0


@pytest.mark.parametrize("check_mode", [True, False])
def test_absent_deletes_and_is_idempotent(cloud, resource_group, check_mode):
    run(module, args())
    cloud.reset_stats()
    removed = run(module, args(state="absent"), check_mode=check_mode)
    assert removed["changed"] is True and removed["diff"]["after"] == {}
    assert removed["diff"]["before"]["name"] == NAME
    if check_mode:
        assert cloud.stats()["mutating"] == 0 and stored(cloud)[0] == 200
        return
    assert cloud.stats()["mutating_actions"] == {"DELETE Microsoft.ManagedIdentity/userAssignedIdentities": 1}
    assert stored(cloud)[0] == 404
    again = run(module, args(state="absent"))
    assert again["changed"] is False and "principal_id" not in again


def test_recreated_identity_gets_a_new_principal(cloud, resource_group):
    first = run(module, args())
    run(module, args(state="absent"))
    second = run(module, args())
    assert second["changed"] is True and second["principal_id"] != first["principal_id"]


def test_bad_input_fails_before_any_call(cloud):
    cloud.reset_stats()
    failure = run_failing(module, args(name="-bad name"))
    assert "name=-bad name is not a valid identity name" in failure["msg"]
    assert cloud.stats()["total"] == 0
    failure = run_failing(module, args(state="gone"))
    assert "state" in failure["msg"]


def test_without_the_resource_group_a_real_run_fails_naming_it(cloud):
    failure = run_failing(module, args())
    assert failure["msg"].startswith(f"Failed to create user-assigned identity {IDENTITY_ID}: ResourceGroupNotFound")
    failure = run_failing(module, args(location=None))
    assert f"the resource group {RG} does not exist" in failure["msg"]
    assert cloud.stats()["mutating"] == 1  # the refused PUT
