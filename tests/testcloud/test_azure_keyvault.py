"""The ARM double's Key Vault: vaults, soft delete, recovery, purge and name availability (ARM), and the vaults'
data plane (keys and secrets), through the real SDK clients azure.azcollection uses (azure-mgmt-keyvault,
azure-keyvault-keys, azure-keyvault-secrets) and through plain HTTPS where the exact answer matters.
"""

import json

import pytest

from azure_http import ArmHttp

from testcloud.azure_arm import SUBSCRIPTION_ID, TENANT_ID

SUB = f"/subscriptions/{SUBSCRIPTION_ID}"
RG = f"{SUB}/resourceGroups/rg"
KV = "?api-version=2026-02-01"
DATA = "?api-version=2025-07-01"
CRYPTO_OFFICER = "14b46e9e-c2b7-41b4-b07b-48a6ebf60603"


def vault_path(name, group="rg"):
    return f"{SUB}/resourceGroups/{group}/providers/Microsoft.KeyVault/vaults/{name}"


def deleted_path(name, location="eastus"):
    return f"{SUB}/providers/Microsoft.KeyVault/locations/{location}/deletedVaults/{name}"


def vault_body(**properties):
    return {"location": "eastus", "tags": {"layer": "encryption"},
            "properties": {"tenantId": TENANT_ID, "sku": {"family": "A", "name": "standard"}, **properties}}


Client = ArmHttp


@pytest.fixture
def arm(azure_cloud_env):
    client = Client(azure_cloud_env)
    assert client("PUT", RG + "?api-version=2022-09-01", {"location": "eastus"})[0] == 201
    return client


@pytest.fixture
def credential(azure_cloud_env):
    from azure.identity import ClientSecretCredential  # noqa: PLC0415 - the Azure SDK is large

    env = azure_cloud_env.exports()
    return ClientSecretCredential(env["AZURE_TENANT"], env["AZURE_CLIENT_ID"], env["AZURE_SECRET"],
                                  authority=azure_cloud_env.endpoint, disable_instance_discovery=True)


@pytest.fixture
def vaults(azure_cloud_env, credential, arm):
    """azure-mgmt-keyvault's ``vaults`` operations (the client azure_rm_keyvault uses, API 2026-02-01)."""
    from azure.mgmt.keyvault import KeyVaultManagementClient  # noqa: PLC0415

    cloud = azure_cloud_env
    return KeyVaultManagementClient(credential, SUBSCRIPTION_ID, base_url=cloud.endpoint,
                                    credential_scopes=[cloud.endpoint + "/.default"]).vaults


def create_vault(vaults, name, group="rg", **properties):
    from azure.mgmt.keyvault.models import Sku, VaultCreateOrUpdateParameters, VaultProperties  # noqa: PLC0415

    parameters = VaultCreateOrUpdateParameters(
        location="eastus", tags={"layer": "encryption"},
        properties=VaultProperties(tenant_id=TENANT_ID, sku=Sku(family="A", name="standard"), **properties))
    return vaults.begin_create_or_update(group, name, parameters).result()


@pytest.fixture
def keys_of(credential):
    from azure.keyvault.keys import KeyClient  # noqa: PLC0415

    return lambda vault: KeyClient(vault.properties.vault_uri, credential)


@pytest.fixture
def secrets_of(credential):
    from azure.keyvault.secrets import SecretClient  # noqa: PLC0415

    return lambda vault: SecretClient(vault.properties.vault_uri, credential)


# -- ARM: vaults ---------------------------------------------------------------------------------------


def test_create_answers_200_with_the_fields_arm_adds(arm, azure_cloud_env):
    status, _headers, body = arm("PUT", vault_path("kv-one") + KV, vault_body())
    assert status == 200
    props = body["properties"]
    assert body["type"] == "Microsoft.KeyVault/vaults" and body["tags"] == {"layer": "encryption"}
    assert props["tenantId"] == TENANT_ID and props["sku"] == {"family": "A", "name": "standard"}
    assert props["accessPolicies"] == [] and props["enableSoftDelete"] is True
    assert props["softDeleteRetentionInDays"] == 90 and props["enableRbacAuthorization"] is True
    assert props["publicNetworkAccess"] == "Enabled" and props["provisioningState"] == "Succeeded"
    assert "enablePurgeProtection" not in props and "createMode" not in props and "networkAcls" not in props
    assert props["vaultUri"].startswith("https://127.0.0.1:") and props["vaultUri"].endswith("/")
    assert props["vaultUri"] != azure_cloud_env.endpoint + "/"
    # an update keeps the URI; a second vault gets its own
    assert arm("PUT", vault_path("kv-one") + KV, vault_body(enabledForDeployment=True))[2]["properties"]["vaultUri"] == props["vaultUri"]
    assert arm("PUT", vault_path("kv-two") + KV, vault_body())[2]["properties"]["vaultUri"] != props["vaultUri"]


def test_network_acls_get_arm_defaults(arm):
    subnet = f"{RG}/providers/Microsoft.Network/virtualNetworks/v/subnets/data"
    acls = {"defaultAction": "Deny", "ipRules": [{"value": "203.0.113.7"}, {"value": "198.51.100.0/24"}],
            "virtualNetworkRules": [{"id": subnet}]}
    body = arm("PUT", vault_path("kv-acl") + KV, vault_body(networkAcls=acls))[2]
    assert body["properties"]["networkAcls"] == {
        "bypass": "AzureServices", "defaultAction": "Deny",
        "ipRules": [{"value": "203.0.113.7/32"}, {"value": "198.51.100.0/24"}],
        "virtualNetworkRules": [{"id": subnet, "ignoreMissingVnetServiceEndpoint": False}]}
    status, _headers, error = arm("PUT", vault_path("kv-acl") + KV, vault_body(networkAcls={"defaultAction": "Block"}))
    assert status == 400 and "defaultAction" in error["error"]["message"]


@pytest.mark.parametrize("properties, code, text", [
    ({"enablePurgeProtection": False}, "BadRequest", '"enablePurgeProtection" cannot be set to false'),
    ({"enableSoftDelete": False}, "BadRequest", '"enableSoftDelete" cannot be set to false'),
    ({"softDeleteRetentionInDays": 6}, "BadRequest", "between 7 and 90"),
    ({"softDeleteRetentionInDays": 91}, "BadRequest", "between 7 and 90"),
    ({"tenantId": None}, "BadRequest", "'tenantId' is required"),
    ({"sku": {"family": "A", "name": "gold"}}, "BadRequest", "'sku' is required"),
    ({"createMode": "restore"}, "BadRequest", "createMode"),
])
def test_create_refusals(arm, properties, code, text):
    status, _headers, body = arm("PUT", vault_path("kv-bad") + KV, vault_body(**properties))
    assert (status, body["error"]["code"]) == (400, code) and text in body["error"]["message"]
    assert arm("GET", vault_path("kv-bad") + KV)[0] == 404, "nothing stored"


@pytest.mark.parametrize("name", ["kv", "1kv-abc", "kv--double", "kv-ends-", "kv_underscore", "k" * 25])
def test_invalid_names_are_refused_and_not_stored(arm, name):
    status, _headers, body = arm("PUT", vault_path(name) + KV, vault_body())
    assert (status, body["error"]["code"]) == (400, "VaultNameNotValid")
    assert arm("GET", vault_path(name) + KV)[0] == 404
    answer = arm("POST", f"{SUB}/providers/Microsoft.KeyVault/checkNameAvailability{KV}",
                 {"name": name, "type": "Microsoft.KeyVault/vaults"})[2]
    assert answer["nameAvailable"] is False and answer["reason"] == "AccountNameInvalid"


def test_updates_keep_what_azure_fixes(arm):
    path = vault_path("kv-fixed") + KV
    assert arm("PUT", path, vault_body(softDeleteRetentionInDays=7, enablePurgeProtection=True))[0] == 200
    status, _headers, body = arm("PUT", path, vault_body(softDeleteRetentionInDays=30))
    assert status == 400 and "cannot be changed once the vault is created" in body["error"]["message"]
    status, _headers, body = arm("PUT", path, vault_body(enablePurgeProtection=False))
    assert status == 400 and "irreversible" in body["error"]["message"]
    kept = arm("PUT", path, vault_body(enableRbacAuthorization=False))[2]["properties"]  # omitted: kept
    assert kept["enablePurgeProtection"] is True and kept["softDeleteRetentionInDays"] == 7
    assert kept["enableRbacAuthorization"] is False
    moved = vault_body()
    moved["location"] = "westus"
    status, _headers, body = arm("PUT", path, moved)
    assert (status, body["error"]["code"]) == (400, "InvalidResourceLocation")


def test_names_are_global(arm):
    assert arm("PUT", RG.replace("/rg", "/other") + "?api-version=2022-09-01", {"location": "eastus"})[0] == 201
    assert arm("PUT", vault_path("kv-global") + KV, vault_body())[0] == 200
    status, _headers, body = arm("PUT", vault_path("kv-global", group="other") + KV, vault_body())
    assert (status, body["error"]["code"]) == (409, "VaultAlreadyExists")
    assert arm("GET", vault_path("kv-global", group="other") + KV)[0] == 404


def test_check_name_availability_is_a_read(arm, azure_cloud_env):
    path = f"{SUB}/providers/Microsoft.KeyVault/checkNameAvailability{KV}"
    azure_cloud_env.reset_stats()
    assert arm("POST", path, {"name": "kv-free", "type": "Microsoft.KeyVault/vaults"})[2] == {"nameAvailable": True}
    arm("PUT", vault_path("kv-taken") + KV, vault_body())
    taken = arm("POST", path, {"name": "KV-TAKEN", "type": "Microsoft.KeyVault/vaults"})[2]
    assert taken["nameAvailable"] is False and taken["reason"] == "AlreadyExists"
    status = arm("POST", path, {"name": "kv-free", "type": "Microsoft.Storage/storageAccounts"})[0]
    assert status == 400
    stats = azure_cloud_env.stats()
    assert stats["mutating_actions"] == {"PUT Microsoft.KeyVault/vaults": 1}
    assert stats["by_action"]["POST Microsoft.KeyVault/checkNameAvailability/checkNameAvailability"] == 3


def test_sdk_create_get_list_and_long_running_create(vaults, azure_cloud_env):
    azure_cloud_env.set_create_seconds(1, "Microsoft.KeyVault/vaults")
    poller = vaults.begin_create_or_update(
        "rg", "kv-sdk", {"location": "eastus", "properties": {"tenantId": TENANT_ID, "sku": {"family": "A", "name": "standard"}}})
    assert poller.result().properties.provisioning_state == "Succeeded"
    vault = vaults.get("rg", "kv-sdk")
    assert vault.properties.enable_soft_delete is True and vault.properties.soft_delete_retention_in_days == 90
    assert [v.name for v in vaults.list_by_resource_group("rg")] == ["kv-sdk"]
    assert [v.name for v in vaults.list_by_subscription()] == ["kv-sdk"]


# -- ARM: soft delete, recovery, purge ------------------------------------------------------------------


def test_delete_soft_deletes_and_the_name_stays_reserved(vaults, arm, azure_cloud_env):
    from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError  # noqa: PLC0415

    create_vault(vaults, "kv-soft", soft_delete_retention_in_days=7)
    vaults.delete("rg", "kv-soft")
    with pytest.raises(ResourceNotFoundError):
        vaults.get("rg", "kv-soft")
    deleted = vaults.get_deleted("kv-soft", "eastus")
    assert deleted.id == deleted_path("kv-soft") and deleted.type == "Microsoft.KeyVault/deletedVaults"
    assert deleted.properties.vault_id == vault_path("kv-soft") and deleted.properties.location == "eastus"
    assert deleted.properties.tags == {"layer": "encryption"} and deleted.properties.purge_protection_enabled is False
    assert (deleted.properties.scheduled_purge_date - deleted.properties.deletion_date).days == 7
    assert [d.name for d in vaults.list_deleted()] == ["kv-soft"]
    raw = arm("GET", deleted_path("kv-soft") + KV)[2]
    assert "_vault" not in raw and set(raw) == {"id", "name", "type", "properties"}
    with pytest.raises(ResourceExistsError) as conflict:
        create_vault(vaults, "kv-soft")
    assert conflict.value.error.code == "ConflictError"
    assert "already exists in deleted state" in conflict.value.error.message
    answer = arm("POST", f"{SUB}/providers/Microsoft.KeyVault/checkNameAvailability{KV}",
                 {"name": "kv-soft", "type": "Microsoft.KeyVault/vaults"})[2]
    assert answer["nameAvailable"] is False and answer["reason"] == "AlreadyExists"
    with pytest.raises(ResourceNotFoundError):
        vaults.get_deleted("kv-soft", "westus")
    assert arm("DELETE", deleted_path("kv-soft") + KV)[0] == 405


def test_recover_brings_the_vault_back_with_its_uri_keys_and_secrets(vaults, keys_of, secrets_of):
    vault = create_vault(vaults, "kv-back", soft_delete_retention_in_days=30, enable_purge_protection=True)
    key = keys_of(vault).create_rsa_key("data", size=3072)
    secrets_of(vault).set_secret("admin", "s3cret")
    vaults.delete("rg", "kv-back")
    recovered = create_vault(vaults, "kv-back", create_mode="recover")
    assert recovered.properties.vault_uri == vault.properties.vault_uri
    assert recovered.properties.soft_delete_retention_in_days == 30
    assert recovered.properties.enable_purge_protection is True
    assert recovered.tags == {"layer": "encryption"}
    assert list(vaults.list_deleted()) == []
    assert keys_of(recovered).get_key("data").id == key.id
    assert secrets_of(recovered).get_secret("admin").value == "s3cret"


def test_recover_refusals(vaults, arm):
    from azure.core.exceptions import HttpResponseError  # noqa: PLC0415

    with pytest.raises(HttpResponseError) as nothing:
        create_vault(vaults, "kv-none", create_mode="recover")
    assert nothing.value.status_code == 400 and nothing.value.error.code == "SoftDeletedVaultDoesNotExist"
    create_vault(vaults, "kv-moved")
    vaults.delete("rg", "kv-moved")
    assert arm("PUT", RG.replace("/rg", "/other") + "?api-version=2022-09-01", {"location": "eastus"})[0] == 201
    with pytest.raises(HttpResponseError) as elsewhere:
        create_vault(vaults, "kv-moved", group="other", create_mode="recover")
    assert elsewhere.value.status_code == 400 and "can only be recovered as" in elsewhere.value.error.message
    assert arm("GET", vault_path("kv-moved", group="other") + KV)[0] == 404
    assert [d.name for d in vaults.list_deleted()] == ["kv-moved"]


def test_purge_frees_the_name_and_forgets_the_contents(vaults, keys_of, azure_cloud_env):
    vault = create_vault(vaults, "kv-purge")
    keys_of(vault).create_rsa_key("old")
    vaults.delete("rg", "kv-purge")
    azure_cloud_env.reset_stats()
    vaults.begin_purge_deleted("kv-purge", "eastus").result()
    assert azure_cloud_env.stats()["mutating_actions"] == {"POST Microsoft.KeyVault/locations/deletedVaults/purge": 1}
    assert list(vaults.list_deleted()) == []
    again = create_vault(vaults, "kv-purge")
    assert again.properties.vault_uri == vault.properties.vault_uri, "a name keeps its URI in the double"
    assert [k.name for k in keys_of(again).list_properties_of_keys()] == []


def test_purge_protection_refuses_the_purge(vaults, arm):
    from azure.core.exceptions import HttpResponseError  # noqa: PLC0415

    create_vault(vaults, "kv-prot", enable_purge_protection=True)
    vaults.delete("rg", "kv-prot")
    assert vaults.get_deleted("kv-prot", "eastus").properties.purge_protection_enabled is True
    with pytest.raises(HttpResponseError) as refused:
        vaults.begin_purge_deleted("kv-prot", "eastus").result()
    assert refused.value.status_code == 405 and refused.value.error.code == "MethodNotAllowed"
    assert "DeletedVaultPurge" in refused.value.error.message
    assert [d.name for d in vaults.list_deleted()] == ["kv-prot"]
    assert arm("POST", deleted_path("kv-nothing") + "/purge" + KV)[0] == 404


def test_role_assignments_at_the_vault_go_with_it(arm):
    arm("PUT", vault_path("kv-rbac") + KV, vault_body())
    assignment = f"{vault_path('kv-rbac')}/providers/Microsoft.Authorization/roleAssignments/0f1c1b2e-9a51-4f0a-8f4f-5e8d7c6b5a41"
    body = {"properties": {"roleDefinitionId": f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{CRYPTO_OFFICER}",
                           "principalId": "6b0f7c1e-2a3d-4e5f-8a9b-0c1d2e3f4a5b"}}
    assert arm("PUT", assignment + "?api-version=2022-04-01", body)[0] == 201
    assert arm("DELETE", vault_path("kv-rbac") + KV)[0] == 200
    arm("PUT", vault_path("kv-rbac") + KV, vault_body(createMode="recover"))
    assert arm("GET", assignment + "?api-version=2022-04-01")[0] == 404, "Azure does not restore them either"


# -- data plane ----------------------------------------------------------------------------------------


def test_challenge_then_bearer(vaults, azure_cloud_env):
    vault = create_vault(vaults, "kv-auth")
    port = vault.properties.vault_uri.rsplit(":", 1)[1].strip("/")
    azure_cloud_env.reset_stats()
    status, headers, body = Client(azure_cloud_env, vault.properties.vault_uri, token=None)("GET", "/keys" + DATA)
    assert status == 401 and body["error"]["code"] == "Unauthorized"
    challenge = headers["WWW-Authenticate"]
    assert challenge == (f'Bearer authorization="{azure_cloud_env.endpoint}/{TENANT_ID}", '
                         f'resource="https://0.0.1:{port}"')
    stats = azure_cloud_env.stats()
    assert (stats["read"], stats["mutating"], stats["auth"]) == (0, 0, 1)
    status, _headers, body = Client(azure_cloud_env, vault.properties.vault_uri)("GET", "/keys" + DATA)
    assert status == 200 and body == {"value": [], "nextLink": None}
    status, _headers, body = Client(azure_cloud_env, vault.properties.vault_uri)("GET", "/keys")
    assert status == 400 and "api-version" in body["error"]["message"]


def test_keys_lifecycle(vaults, keys_of, azure_cloud_env):
    from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError  # noqa: PLC0415

    vault = create_vault(vaults, "kv-keys", soft_delete_retention_in_days=7)
    keys = keys_of(vault)
    azure_cloud_env.reset_stats()
    rsa = keys.create_rsa_key("data", size=3072, tags={"purpose": "data"})
    assert rsa.id.startswith(f"{vault.properties.vault_uri}keys/data/") and len(rsa.properties.version) == 32
    assert rsa.key_type == "RSA" and len(rsa.key.n) == 384 and rsa.key.e == b"\x01\x00\x01"
    assert sorted(rsa.key_operations) == sorted(["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"])
    assert rsa.properties.recovery_level == "CustomizedRecoverable+Purgeable" and rsa.properties.recoverable_days == 7
    assert rsa.properties.tags == {"purpose": "data"} and rsa.properties.enabled is True
    second = keys.create_rsa_key("data")
    assert keys.get_key("data").id == second.id and keys.get_key("data", rsa.properties.version).id == rsa.id
    assert len(keys.get_key("data").key.n) == 256, "the new version is RSA 2048 (the default)"
    curve = keys.create_ec_key("sign", curve="P-384")
    assert curve.key.crv == "P-384" and len(curve.key.x) == 48 and len(curve.key.y) == 48
    assert sorted(k.id for k in keys.list_properties_of_keys()) == [
        f"{vault.properties.vault_uri}keys/data", f"{vault.properties.vault_uri}keys/sign"]
    assert len(list(keys.list_properties_of_key_versions("data"))) == 2
    updated = keys.update_key_properties("data", enabled=False, tags={"purpose": "old"})
    assert updated.properties.enabled is False and updated.properties.tags == {"purpose": "old"}
    stats = azure_cloud_env.stats()
    assert stats["mutating_actions"] == {"POST KeyVault/keys/create": 3, "PATCH KeyVault/keys": 1}

    deleted = keys.begin_delete_key("data").result()
    assert deleted.recovery_id == f"{vault.properties.vault_uri}deletedkeys/data"
    with pytest.raises(ResourceNotFoundError):
        keys.get_key("data")
    assert keys.get_deleted_key("data").name == "data"
    assert [k.name for k in keys.list_deleted_keys()] == ["data"]
    with pytest.raises(ResourceExistsError) as conflict:
        keys.create_rsa_key("data")
    assert "deleted but recoverable state" in conflict.value.message
    keys.begin_recover_deleted_key("data").result()
    assert keys.get_key("data").id == second.id
    keys.begin_delete_key("data").result()
    keys.purge_deleted_key("data")
    assert keys.create_rsa_key("data").id != second.id


@pytest.mark.parametrize("body, text", [
    ({"kty": "RSA-HSM"}, "needs a premium vault"),
    ({"kty": "oct"}, "not supported"),
    ({"kty": "RSA", "key_size": 1024}, "Invalid key size"),
    ({"kty": "EC", "crv": "P-192"}, "Invalid curve"),
])
def test_key_refusals(vaults, azure_cloud_env, body, text):
    vault = create_vault(vaults, "kv-keybad")
    status, _headers, answer = Client(azure_cloud_env, vault.properties.vault_uri)("POST", "/keys/k1/create" + DATA, body)
    assert status == 400 and text in answer["error"]["message"]
    status, _headers, answer = Client(azure_cloud_env, vault.properties.vault_uri)("POST", "/keys/bad_name/create" + DATA, {"kty": "RSA"})
    assert status == 400 and "invalid name" in answer["error"]["message"]


def test_secrets_never_show_their_value_outside_get(vaults, secrets_of, azure_cloud_env):
    from azure.core.exceptions import HttpResponseError, ResourceExistsError  # noqa: PLC0415

    vault = create_vault(vaults, "kv-secrets", enable_purge_protection=True)
    secrets = secrets_of(vault)
    first = secrets.set_secret("admin", "first-value", content_type="text/plain", tags={"layer": "database"})
    secrets.set_secret("admin", "second-value")
    assert secrets.get_secret("admin").value == "second-value"
    assert secrets.get_secret("admin", first.properties.version).value == "first-value"
    raw = Client(azure_cloud_env, vault.properties.vault_uri)
    for path in ("/secrets", "/secrets/admin/versions"):
        status, _headers, listing = raw("GET", path + DATA)
        assert status == 200 and listing["value"], path
        assert all("value" not in item for item in listing["value"]), "no secret value in a list"
        assert "first-value" not in json.dumps(listing) and "second-value" not in json.dumps(listing)
    deleted = secrets.begin_delete_secret("admin").result()
    assert deleted.recovery_id.endswith("/deletedsecrets/admin") and deleted.properties.recovery_level == "Recoverable"
    status, _headers, body = raw("GET", "/deletedsecrets/admin" + DATA)
    assert status == 200 and "value" not in body
    with pytest.raises(ResourceExistsError):
        secrets.set_secret("admin", "third-value")
    with pytest.raises(HttpResponseError) as refused:
        secrets.purge_deleted_secret("admin")
    assert refused.value.status_code == 403 and "purge protection is enabled" in refused.value.message
    secrets.begin_recover_deleted_secret("admin").result()
    assert secrets.get_secret("admin").value == "second-value"


def test_a_vault_arm_does_not_hold_answers_404(vaults, keys_of, azure_cloud_env):
    from azure.core.exceptions import ResourceNotFoundError  # noqa: PLC0415

    vault = create_vault(vaults, "kv-gone")
    keys = keys_of(vault)
    keys.create_rsa_key("data")
    vaults.delete("rg", "kv-gone")
    with pytest.raises(ResourceNotFoundError) as missing:
        keys.get_key("data")
    assert "VaultNotFound" in str(missing.value)
    recovered = create_vault(vaults, "kv-gone", create_mode="recover")
    assert keys_of(recovered).get_key("data").key_type == "RSA"


def test_reset_forgets_keys_but_a_name_keeps_its_uri(vaults, keys_of, azure_cloud_env, arm):
    vault = create_vault(vaults, "kv-reset")
    keys_of(vault).create_rsa_key("data")
    azure_cloud_env.reset()
    assert arm("PUT", RG + "?api-version=2022-09-01", {"location": "eastus"})[0] == 201
    again = create_vault(vaults, "kv-reset")
    assert again.properties.vault_uri == vault.properties.vault_uri
    assert list(keys_of(again).list_properties_of_keys()) == []


def test_public_jwk_is_a_real_key(vaults, keys_of):
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415

    vault = create_vault(vaults, "kv-jwk")
    key = keys_of(vault).create_rsa_key("data", size=2048)
    public = rsa.RSAPublicNumbers(int.from_bytes(key.key.e, "big"), int.from_bytes(key.key.n, "big")).public_key()
    assert public.key_size == 2048 and public.public_numbers().e == 65537


# -- ARM: Keys - List / Get over the data plane's keys -------------------------------------------------


def test_arm_lists_and_gets_the_vaults_keys(vaults, keys_of, arm):
    vault = create_vault(vaults, "kv-arm-keys")
    keys = keys_of(vault)
    keys.create_rsa_key("data", size=3072, tags={"purpose": "data"})
    second = keys.create_rsa_key("data", size=3072)  # a new version: ARM shows the latest
    keys.create_rsa_key("gone", size=2048)
    keys.begin_delete_key("gone").result()
    status, _headers, listed = arm("GET", f"{vault.id}/keys?api-version=2023-07-01")
    assert status == 200 and [item["name"] for item in listed["value"]] == ["data"]
    item = listed["value"][0]
    assert item["properties"]["keyUri"] == f"{vault.properties.vault_uri}keys/data"
    assert item["properties"]["keyUriWithVersion"].endswith(f"/keys/data/{second.properties.version}")
    assert item["properties"]["kty"] == "RSA" and item["type"] == "Microsoft.KeyVault/vaults/keys"
    status, _headers, one = arm("GET", f"{vault.id}/keys/DATA?api-version=2023-07-01")
    assert status == 200 and one["id"] == f"{vault.id}/keys/data"
    assert arm("GET", f"{vault.id}/keys/gone?api-version=2023-07-01")[0] == 404
    assert arm("GET", vault_path("kv-missing") + "/keys?api-version=2023-07-01")[0] == 404
