"""The encryption layer on Azure (one Key Vault per target and its keys), end to end through
strata.platform.encryption against the ARM double, on a dev target and a prod target (purge protection,
90-day retention, a deploying principal given its Key Vault roles) in resource groups made by the test (the
layer needs nothing else of the network layer; test_site_multicloud.py converges prod's network and vaults
together). What this file proves: the plan on an empty subscription (prod: derived name, what would be made), both
vaults' settings, keys and outputs, prod's role assignments made once, drift on the dev vault planned by
--check --diff and put back by one write, then a run changing nothing on either target, the teardown refused
for prod without confirmation, soft delete (names kept, prod's vault not purgeable, its role assignments
gone), a teardown re-run changing nothing, recovery of the dev vault by a present run (same keys, nothing
re-created), purge in dev; bad input and a foreign vault refused before any change."""

import hashlib
import time

import pytest
import requests

pytestmark = pytest.mark.integration

DEV, PROD = "dev-azure-eastus", "prod-azure-eastus"
T = {DEV: "fsm-dev-eastus", PROD: "fsm-prod-eastus"}
CIDR = {DEV: "10.110.0.0/16", PROD: "10.140.0.0/16"}
PRINCIPAL = "3c5d7e9f-1a2b-4c3d-8e9f-0a1b2c3d4e5f"  # the deploying principal of prod (host_vars)
ROLES = {"14b46e9e-c2b7-41b4-b07b-48a6ebf60603", "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"}  # Crypto / Secrets Officer
KV_API = "2026-02-01"
AUTH_API = "2022-04-01"
PURPOSES = ["backup", "data", "logs"]
ENCRYPTION = "strata.platform.encryption"


def write_inventory(root, environment, host, cidr, host_vars=""):
    (root / "group_vars").mkdir(parents=True)
    (root / "host_vars").mkdir()
    (root / "hosts.yml").write_text(f"{environment}:\n  hosts:\n    {host}:\nazure:\n  hosts:\n    {host}:\n")
    (root / "group_vars" / f"{environment}.yml").write_text(
        f"platform_name: fsm\nplatform_environment: {environment}\n"
        f"platform_tags:\n  cost-center: platform-{environment}\n  managed-by: ansible\n")
    (root / "group_vars" / "azure.yml").write_text("platform_cloud: azure\n")
    (root / "host_vars" / f"{host}.yml").write_text(f"platform_region: eastus\nplatform_network_cidr: {cidr}\n{host_vars}")
    return str(root)


@pytest.fixture
def inventories(tmp_path):
    """A dev and a prod inventory with one Azure target each (contract variables only, plus prod's principal)."""
    return [write_inventory(tmp_path / "dev", "dev", DEV, CIDR[DEV]),
            write_inventory(tmp_path / "prod", "prod", PROD, CIDR[PROD],
                            f"encryption_key_vault_admin_principal_id: {PRINCIPAL}\n")]


@pytest.fixture
def play(run_playbook_multicloud, inventories):
    """Run a playbook on both targets (or ``limit``); returns the PlaybookRun and records its time."""
    timings = []

    def _run(playbook=ENCRYPTION, *args, limit=None, **extra_vars):
        started = time.monotonic()
        args = [*args, *(["--limit", limit] if limit else [])]
        run = run_playbook_multicloud(playbook, *inventories, args=args, extra_vars=extra_vars or None)
        timings.append((" ".join([playbook.rsplit(".", 1)[-1], *args, *map(str, extra_vars.values())]),
                        round(time.monotonic() - started, 1), run.azure_requests.get("read"),
                        run.azure_requests.get("mutating")))
        return run

    yield _run
    print("\nplaybook runs (seconds, ARM+data-plane reads, mutating):")
    for line in timings:
        print("  ", line)


def outputs_of(run):
    return {host: result["ansible_facts"]["encryption_outputs"]
            for host, result in run.task_results("Publish the vault and the key ids")}


def message(run, task, host):
    return dict(run.task_results(task))[host]["msg"]


def vault_name(run, host):
    return outputs_of(run)[host]["key_vault"]["name"]


class Vaults:
    """ARM and data-plane reads of the double for the assertions (never counted in a run: read after it)."""

    def __init__(self, arm):
        self.arm = arm
        self.cloud = arm.cloud

    def path(self, host, name):
        return self.arm.resource_path(T[host], "Microsoft.KeyVault/vaults", name)

    def get(self, host, name):
        return self.arm.get(self.path(host, name), KV_API)

    def deleted(self, name):
        return self.arm.get(f"{self.arm.subscription}/providers/Microsoft.KeyVault/locations/eastus/deletedVaults/{name}", KV_API)

    def call(self, method, url, body=None):
        response = requests.request(method, url, json=body, headers={"Authorization": "Bearer test"},
                                    verify=self.cloud.ca_file, timeout=10, proxies={"http": None, "https": None})
        return response.status_code, (response.json() if response.content else None)

    def keys(self, uri):
        status, body = self.call("GET", f"{uri}keys?api-version=7.5")
        assert status == 200, body
        found = {}
        for item in body["value"]:
            name = item["kid"].rsplit("/", 1)[1]
            status, bundle = self.call("GET", f"{uri}keys/{name}/?api-version=7.5")
            found[name] = bundle
        return found

    def assignments(self, vault_id):
        return self.arm.list(f"{vault_id}/providers/Microsoft.Authorization/roleAssignments?$filter=atScope()", AUTH_API)

    def name_available(self, name):
        status, body = self.call("POST", f"{self.cloud.endpoint}{self.arm.subscription}/providers/Microsoft.KeyVault/"
                                 f"checkNameAvailability?api-version={KV_API}",
                                 {"name": name, "type": "Microsoft.KeyVault/vaults"})
        assert status == 200, body
        return body["nameAvailable"]


def assert_vault(vaults, host, name, outputs):
    """ARM state and keys of one target's vault; returns the vault body."""
    vault = vaults.get(host, name)
    environment = host.split("-")[0]
    props = vault["properties"]
    assert vault["location"] == "eastus"
    assert vault["tags"] == {"owner": "strata.platform", "platform": "fsm", "environment": environment,
                             "layer": "encryption", "cost-center": f"platform-{environment}", "managed-by": "ansible"}
    assert props["enableRbacAuthorization"] is True and props["enableSoftDelete"] is True
    assert props["softDeleteRetentionInDays"] == (90 if host == PROD else 7)
    assert props.get("enablePurgeProtection", False) is (host == PROD)
    assert props["sku"] == {"family": "A", "name": "standard"} and props["accessPolicies"] == []
    assert props["publicNetworkAccess"] == "Enabled"
    subnet = (f"{vaults.arm.rg_path(T[host])}/providers/Microsoft.Network/virtualNetworks/{T[host]}-vnet"
              "/subnets/private-data")
    assert props["networkAcls"] == {"bypass": "AzureServices", "defaultAction": "Deny", "ipRules": [],
                                    "virtualNetworkRules": [{"id": subnet, "ignoreMissingVnetServiceEndpoint": False}]}
    keys = vaults.keys(props["vaultUri"])
    assert sorted(keys) == PURPOSES
    for purpose, bundle in keys.items():
        assert bundle["key"]["kty"] == "RSA" and len(bundle["key"]["n"]) == 512, "RSA 3072 (512 base64url characters)"
        assert bundle["tags"]["purpose"] == purpose and bundle["tags"]["layer"] == "encryption"
        assert bundle["attributes"]["recoveryLevel"] == ("Recoverable" if host == PROD else "CustomizedRecoverable+Purgeable")
    assert outputs == {"cloud": "azure", "region": "eastus", "resource_group": T[host],
                       "key_vault": {"name": name, "id": vault["id"], "uri": props["vaultUri"]},
                       **{p: f"{props['vaultUri']}keys/{p}" for p in PURPOSES}}
    return vault


@pytest.mark.cost(330)  # seconds in CI: dealt out first (tests/conftest.py)
def test_dev_and_prod_key_vaults(play, arm):
    vaults = Vaults(arm)

    # Plan on an empty subscription (prod: what it plans is dev's plus purge protection and role assignments): no
    # resource group yet, nothing mutated, the vault reported with its derived name.
    plan = play(ENCRYPTION, "--check", "--diff", limit=PROD)
    assert plan.rc == 0, str(plan)
    assert plan.azure_requests["mutating"] == 0, plan.azure_requests["mutating_actions"]
    assert plan.requests["total"] == 0, "an Azure target makes no AWS call"
    text = message(plan, "Plan the Key Vault (check mode)", PROD)
    assert f"would create the Key Vault {vault_name(plan, PROD)} in {T[PROD]}" in text
    assert "the resource group comes with the network layer" in text
    assert "soft delete 90 days, purge protection on" in text
    assert "roles Key Vault Crypto Officer, Key Vault Secrets Officer for " + PRINCIPAL in text
    planned = outputs_of(plan)
    assert planned[PROD]["key_vault"]["uri"] is None and planned[PROD]["data"] is None
    assert vault_name(plan, PROD) == "kv-fsm-peus-" + hashlib.sha1(b"fsm-prod-eastus").hexdigest()[:6]  # noqa: S324

    # The layer needs only its target's resource group (made here, as the network layer would): the vault's network
    # rule names the network layer's private-data subnet, whose Key Vault endpoint test_network_azure.py asserts.
    for host in (DEV, PROD):
        arm.put(arm.rg_path(T[host]), {"location": "eastus"}, "2022-09-01")
    first = play(ENCRYPTION)
    assert first.rc == 0, str(first)
    assert first.changed(DEV) == 2 and first.changed(PROD) == 3  # vault + keys (+ role assignments in prod)
    created = outputs_of(first)
    names = {host: created[host]["key_vault"]["name"] for host in (DEV, PROD)}
    assert names[DEV] == "kv-fsm-deus-" + hashlib.sha1(b"fsm-dev-eastus").hexdigest()[:6]  # noqa: S324
    assert names[PROD] == vault_name(plan, PROD)
    state = {host: assert_vault(vaults, host, names[host], created[host]) for host in (DEV, PROD)}
    assert vaults.assignments(state[DEV]["id"]) == []
    assignments = vaults.assignments(state[PROD]["id"])
    assert {a["properties"]["roleDefinitionId"].rsplit("/", 1)[1] for a in assignments} == ROLES
    assert {a["properties"]["principalId"] for a in assignments} == {PRINCIPAL}
    assert first.azure_requests["mutating_actions"] == {
        "PUT Microsoft.KeyVault/vaults": 2, "POST KeyVault/keys/create": 6,
        "PUT Microsoft.Authorization/roleAssignments": 2}

    # Drift: someone opens the dev vault's firewall and tags it; check mode reports it, a run puts it back with one
    # write (no key re-created); the run after it changes nothing on either target (prod's role assignments
    # included).
    drifted = vaults.get(DEV, names[DEV])
    drifted["properties"]["networkAcls"]["defaultAction"] = "Allow"
    drifted["tags"]["owner-note"] = "opened by hand"
    arm.put(vaults.path(DEV, names[DEV]), {k: drifted[k] for k in ("location", "tags", "properties")}, KV_API)
    drift_plan = play(ENCRYPTION, "--check", "--diff", limit=DEV)
    assert drift_plan.rc == 0 and drift_plan.azure_requests["mutating"] == 0, str(drift_plan)
    assert drift_plan.changed(DEV) == 1, drift_plan.stats
    fixed = play(ENCRYPTION, limit=DEV)
    assert fixed.rc == 0 and fixed.azure_requests["mutating_actions"] == {"PUT Microsoft.KeyVault/vaults": 1}, str(fixed)
    assert_vault(vaults, DEV, names[DEV], outputs_of(fixed)[DEV])
    settled = play(ENCRYPTION)
    assert settled.rc == 0 and settled.changed() == 0, (str(settled), settled.stats)
    assert settled.azure_requests["mutating"] == 0, settled.azure_requests["mutating_actions"]
    assert outputs_of(settled) == created
    for host in (DEV, PROD):
        [(_h, skipped)] = [r for r in settled.task_results("Create the missing keys") if r[0] == host]
        assert skipped.get("skipped") or not skipped.get("results"), "no key module call when every key exists"
    assert len(vaults.assignments(state[PROD]["id"])) == 2
    dev_keys = vaults.keys(state[DEV]["properties"]["vaultUri"])

    # Teardown: prod needs the confirmation; then both vaults are soft-deleted, prod's cannot be purged.
    refused = play(ENCRYPTION, limit=PROD, encryption_state="absent")
    assert refused.rc != 0 and "platform_confirm_teardown=prod" in refused.failures(), str(refused)
    assert refused.azure_requests["total"] == 0
    down = play(ENCRYPTION, encryption_state="absent", platform_confirm_teardown="prod")
    assert down.rc == 0 and down.changed(DEV) == 1 and down.changed(PROD) == 1, str(down)
    assert down.azure_requests["mutating_actions"] == {"DELETE Microsoft.KeyVault/vaults": 2}
    assert "To free the name earlier, purge it" in message(down, "Report what stays of the vault", DEV)
    assert "Purge protection is on: nobody can purge it before then" in message(down, "Report what stays", PROD)
    assert "for 90 days" in message(down, "Report what stays", PROD)
    for host in (DEV, PROD):
        assert vaults.get(host, names[host]) is None
        deleted = vaults.deleted(names[host])
        assert deleted["properties"]["vaultId"] == state[host]["id"]
        assert deleted["properties"]["purgeProtectionEnabled"] is (host == PROD)
        assert not vaults.name_available(names[host]), "soft delete keeps the name reserved"
    status, body = vaults.call("POST", f"{vaults.cloud.endpoint}{vaults.deleted(names[PROD])['id']}/purge?api-version={KV_API}")
    assert status == 405 and body["error"]["code"] == "MethodNotAllowed"
    assert vaults.assignments(state[PROD]["id"]) == [], "role assignments go with the vault"
    down_again = play(ENCRYPTION, limit=DEV, encryption_state="absent")
    assert down_again.rc == 0 and down_again.changed() == 0 and down_again.azure_requests["mutating"] == 0, str(down_again)
    assert "nothing to delete" in message(down_again, "Report what stays of the vault", DEV)

    # present recovers the soft-deleted dev vault: same URI, same keys (same versions), nothing re-created.
    recover_plan = play(ENCRYPTION, "--check", limit=DEV)
    assert recover_plan.rc == 0 and recover_plan.azure_requests["mutating"] == 0, str(recover_plan)
    assert "would recover the soft-deleted Key Vault" in message(recover_plan, "Plan the Key Vault", DEV)
    back = play(ENCRYPTION, limit=DEV)
    assert back.rc == 0, str(back)
    assert back.azure_requests["mutating_actions"] == {"PUT Microsoft.KeyVault/vaults": 1}, "no key is re-created"
    assert outputs_of(back) == {DEV: created[DEV]}
    recovered = assert_vault(vaults, DEV, names[DEV], created[DEV])
    assert recovered["properties"]["vaultUri"] == state[DEV]["properties"]["vaultUri"]
    assert vaults.keys(recovered["properties"]["vaultUri"]) == dev_keys, "the keys come back with their versions"
    assert vaults.deleted(names[DEV]) is None

    # dev may purge on teardown: the name is free at once.
    purged = play(ENCRYPTION, limit=DEV, encryption_state="absent", encryption_key_vault_purge_on_absent=True)
    assert purged.rc == 0, str(purged)
    assert "deleted and purged the Key Vault" in message(purged, "Report what stays of the vault", DEV)
    assert purged.azure_requests["mutating_actions"] == {
        "DELETE Microsoft.KeyVault/vaults": 1, "POST Microsoft.KeyVault/locations/deletedVaults/purge": 1}
    assert vaults.deleted(names[DEV]) is None and vaults.name_available(names[DEV])


def test_bad_input_and_a_foreign_vault_are_refused_before_any_change(play, arm):
    vaults = Vaults(arm)
    bad = play(ENCRYPTION, "--check", limit=DEV, encryption_key_vault_name="kv--bad_name")
    assert bad.rc != 0 and bad.azure_requests["total"] == 0, str(bad)
    assert "the Key Vault name kv--bad_name breaks the Azure rule" in bad.failures()
    assert "encryption_key_vault_name" in bad.failures()
    purge_prod = play(ENCRYPTION, limit=PROD, encryption_state="absent", encryption_key_vault_purge_on_absent=True,
                      platform_confirm_teardown="prod")
    assert purge_prod.rc != 0 and purge_prod.azure_requests["total"] == 0, str(purge_prod)
    assert "encryption_key_vault_purge_on_absent=true cannot work: purge protection is on for prod" in purge_prod.failures()

    # A vault under dev's name that strata.platform did not make: present and absent leave it alone.
    arm.put(arm.rg_path(T[DEV]), {"location": "eastus"}, "2022-09-01")
    name = "kv-fsm-deus-" + hashlib.sha1(T[DEV].encode()).hexdigest()[:6]  # the README's rule  # noqa: S324
    foreign = arm.put(vaults.path(DEV, name), {"location": "eastus", "tags": {"owner": "someone-else"},
                                               "properties": {"tenantId": "7d0e3c1a-8b4f-4e2a-b6c1-3f5a9d2e1c07",
                                                              "sku": {"family": "A", "name": "standard"}}}, KV_API)
    for extra in ({}, {"encryption_state": "absent"}):
        refused = play(ENCRYPTION, limit=DEV, **extra)
        assert refused.rc != 0 and refused.azure_requests["mutating"] == 0, str(refused)
        assert f"the Key Vault {name} in {T[DEV]}" in refused.failures() and "owner" in refused.failures()
    assert vaults.get(DEV, name) == foreign
