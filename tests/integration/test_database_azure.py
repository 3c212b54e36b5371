"""The database layer on Azure (a PostgreSQL flexible server with private access), end to end through
strata.platform.database against the ARM double on top of strata.platform.network and strata.platform.encryption:
plan on an empty subscription, start without waiting and await afterwards, converge, re-run, drift, in-place
change, refusals, the admin password (made once in Key Vault, never rotated, never in any output), teardown
that leaves foreign resources alone, and the measurement of why the role runs the server's creation as an
async job."""

import json
import time

import pytest
import requests

pytestmark = pytest.mark.integration

HOST = "dev-azure-eastus"
CIDR = "10.113.0.0/16"
T = "fsm-dev-eastus"
SERVER = f"{T}-pg"
ZONE = f"{T}.private.postgres.database.azure.com"
LINK = f"{T}-vnet"
SECRET = f"{SERVER}-admin-password"
PG = "Microsoft.DBforPostgreSQL/flexibleServers"
PG_API = "2025-08-01"
DNS_API = "2024-06-01"
TAGS = {"owner": "strata.platform", "platform": "fsm", "environment": "dev", "layer": "database", "Backup": "true",
        "cost-center": "platform-dev", "managed-by": "ansible"}
CREATE_SECONDS = 30

# database_wait false, then the wait entry point (what data_stores.yml does), with a read of the server between
# the two (to see it still being created while the role has returned).
START_THEN_WAIT = """
- name: Start the Azure database, then await it
  hosts: all
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  roles:
    - role: strata.platform.database
      vars:
        database_wait: false
  tasks:
    - name: Probe the server while it is started
      azure.azcollection.azure_rm_resource_info:
        url: "{{ probe_url }}"
        api_version: "2025-08-01"
      register: probe
      # The role returns as soon as the job is started: the job's PUT may come a few seconds later.
      until: probe.status_code == 200
      retries: 60
      delay: 1
      when: probe_url is defined
    - name: Await the database started above
      ansible.builtin.include_role:
        name: strata.platform.database
        tasks_from: wait
"""

# azure_rm_postgresqlflexibleserver alone, to measure whether it can return before Azure's create is done.
MODULE_ALONE = """
- name: Create a flexible server with the module alone
  hosts: all
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: Create the probe server
      azure.azcollection.azure_rm_postgresqlflexibleserver:
        resource_group: fsm-dev-eastus
        name: fsm-dev-eastus-probe
        sku: {name: Standard_B1ms, tier: Burstable}
        version: "16"
        storage: {storage_size_gb: 32}
        administrator_login: probe_admin
        administrator_login_password: Probe-Only-Password-1
"""


@pytest.fixture
def inventory(tmp_path):
    """A dev inventory with one Azure target (the contract variables, each in one dimension)."""
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "host_vars").mkdir()
    (tmp_path / "hosts.yml").write_text(f"dev:\n  hosts:\n    {HOST}:\nazure:\n  hosts:\n    {HOST}:\n")
    (tmp_path / "group_vars" / "dev.yml").write_text(
        "platform_name: fsm\nplatform_environment: dev\nplatform_tags:\n  cost-center: platform-dev\n  managed-by: ansible\n"
    )
    (tmp_path / "group_vars" / "azure.yml").write_text("platform_cloud: azure\n")
    (tmp_path / "host_vars" / f"{HOST}.yml").write_text(f"platform_region: eastus\nplatform_network_cidr: {CIDR}\n")
    (tmp_path / "start_then_wait.yml").write_text(START_THEN_WAIT)
    (tmp_path / "module_alone.yml").write_text(MODULE_ALONE)
    return str(tmp_path)


@pytest.fixture
def play(run_playbook_multicloud, inventory):
    """Run a playbook (FQCN, or a file of the test's inventory directory) -> (PlaybookRun, seconds)."""
    runs = []

    def _run(playbook, *args, **extra_vars):
        if playbook.endswith(".yml"):
            playbook = f"{inventory}/{playbook}"
        started = time.monotonic()
        run = run_playbook_multicloud(playbook, inventory, args=args, extra_vars=extra_vars or None)
        runs.append(run)
        return run, time.monotonic() - started

    _run.runs = runs
    return _run


class Azure:
    """ARM and Key Vault data-plane calls on the double for assertions and the test's own set-up (after a run)."""

    def __init__(self, reader):
        self.reader = reader
        self.cloud = reader.cloud

    def path(self, resource_type, name):
        return self.reader.resource_path(T, resource_type, name)

    def call(self, method, url, body=None, api_version=PG_API, ok=True):
        if url.startswith("/"):
            url = f"{self.cloud.endpoint}{url}?api-version={api_version}"
        response = requests.request(method, url, json=body, headers={"Authorization": "Bearer test"},
                                    verify=self.cloud.ca_file, timeout=10, proxies={"http": None, "https": None})
        if ok:
            assert response.status_code < 300, (method, url, response.status_code, response.text)
        return response.status_code, (response.json() if response.content else None)

    def server(self, name=SERVER):
        return self.reader.get(self.path(PG, name), PG_API)

    def zone(self):
        return self.reader.get(self.path("Microsoft.Network/privateDnsZones", ZONE), DNS_API)

    def link(self):
        return self.reader.get(self.path("Microsoft.Network/privateDnsZones", ZONE) + f"/virtualNetworkLinks/{LINK}", DNS_API)

    def vault_uri(self):
        [vault] = self.reader.list(self.reader.rg_path(T) + "/providers/Microsoft.KeyVault/vaults", "2023-07-01")
        return vault["properties"]["vaultUri"]

    def secret(self):
        """(value, versions, tags) of the admin password secret, or None when it does not exist."""
        uri = self.vault_uri()
        status, bundle = self.call("GET", f"{uri}secrets/{SECRET}?api-version=7.5", ok=False)
        if status == 404:
            return None
        _status, versions = self.call("GET", f"{uri}secrets/{SECRET}/versions?api-version=7.5")
        return bundle["value"], len(versions["value"]), bundle.get("tags")


@pytest.fixture
def azure(arm):
    return Azure(arm)


def facts(run, task, name):
    [(_host, result)] = run.task_results(task)
    return result["ansible_facts"][name]


def changed_tasks(run):
    """Names (without the role prefix) of the tasks that reported a change."""
    return sorted({task["task"]["name"].split(" : ", 1)[-1] for play_ in run.result.get("plays", []) for task in play_["tasks"]
                   for result in task["hosts"].values() if result.get("changed")})


def message(run, task):
    [(_host, result)] = run.task_results(task)
    return result["msg"]


def assert_converged(azure, storage=32):
    """The ARM state of the layer as the dev seed asks; returns the server."""
    server = azure.server()
    props = server["properties"]
    network = azure.reader.get(azure.reader.resource_path(T, "Microsoft.Network/virtualNetworks", f"{T}-vnet"), "2024-03-01")
    [data_subnet] = [s["id"] for s in network["properties"]["subnets"] if s["name"] == "private-data"]
    assert server["tags"] == TAGS and server["location"] == "eastus"
    assert server["sku"] == {"name": "Standard_B1ms", "tier": "Burstable"}
    assert (props["state"], props["version"], props["administratorLogin"]) == ("Ready", "16", "strata_admin")
    assert props["storage"]["storageSizeGB"] == storage
    assert props["backup"]["backupRetentionDays"] == 7 and props["backup"]["geoRedundantBackup"] == "Disabled"
    assert props["highAvailability"]["mode"] == "Disabled"
    assert props["maintenanceWindow"] == {"customWindow": "Enabled", "dayOfWeek": 0, "startHour": 4, "startMinute": 30}
    assert props["network"] == {"publicNetworkAccess": "Disabled", "delegatedSubnetResourceId": data_subnet,
                                "privateDnsZoneArmResourceId": azure.zone()["id"]}
    assert props["fullyQualifiedDomainName"] == f"{SERVER}.postgres.database.azure.com"
    assert "administratorLoginPassword" not in props
    zone, link = azure.zone(), azure.link()
    assert zone["tags"] == link["tags"] == TAGS and zone["location"] == link["location"] == "global"
    assert link["properties"]["virtualNetwork"]["id"] == network["id"] and link["properties"]["registrationEnabled"] is False
    assert zone["properties"]["numberOfRecordSets"] == 2  # SOA and the server's A record
    database = azure.reader.get(azure.path(PG, SERVER) + "/databases/app", PG_API)
    assert database["properties"] == {"charset": "UTF8", "collation": "en_US.utf8"}
    return server


def test_dev_database_plan_start_wait_rerun_drift_refusals_teardown(play, azure):
    # Plan on an empty subscription (no resource group, network or vault yet): what would be made, no write.
    plan, plan_seconds = play("strata.platform.database", "--check", "--diff")
    assert plan.rc == 0, str(plan)
    assert plan.azure_requests["mutating"] == 0, plan.azure_requests["mutating_actions"]
    assert plan.requests["total"] == 0, "an Azure target makes no AWS call"
    assert {f"Plan the PostgreSQL flexible server | {SERVER}", f"Report the planned zone and link | {ZONE}",
            f"Report the planned admin password secret | {SECRET}", f"Report the planned application database | {SERVER}/app",
            } <= set(changed_tasks(plan)), changed_tasks(plan)
    assert "create fsm-dev-eastus-pg (Standard_B1ms Burstable, PostgreSQL 16, 32 GiB, HA Disabled)" in message(
        plan, "Plan the PostgreSQL flexible server")
    planned = facts(plan, "Publish the database for later layers", "database_outputs")
    assert (planned["cloud"], planned["identifier"], planned["endpoint"], planned["id"], planned["port"]) == (
        "azure", SERVER, None, None, 5432)

    # Outside check mode the missing lower layers stop the role before any write, naming them.
    refused, _stats = play("strata.platform.database")
    assert refused.rc != 0 and refused.azure_requests["mutating"] == 0
    assert "network, encryption" in refused.failures() and "strata.platform.network" in refused.failures(), refused.failures()

    for layer in ("network", "encryption"):
        lower, _stats = play(f"strata.platform.{layer}")
        assert lower.rc == 0, str(lower)

    # Plan again with the lower layers: the zone module plans itself, the server is planned, still no write.
    plan2, _stats = play("strata.platform.database", "--check", "--diff")
    assert plan2.rc == 0 and plan2.azure_requests["mutating"] == 0, (str(plan2), plan2.azure_requests["mutating_actions"])
    assert {f"Ensure the private DNS zone of the server | {ZONE}", f"Plan the PostgreSQL flexible server | {SERVER}",
            f"Create the admin password secret (generated, only when missing) | {SECRET}"} <= set(changed_tasks(plan2))
    assert azure.secret() is None and azure.zone() is None

    # Start without waiting: the server takes CREATE_SECONDS. When the role has returned, it is still being created;
    # the wait entry point collects the async job, then makes the application database (it needs a Ready server).
    azure.cloud.set_create_seconds(CREATE_SECONDS, PG)
    first, first_seconds = play("start_then_wait.yml", probe_url=azure.path(PG, SERVER))
    assert first.rc == 0, str(first)
    [(_host, probed)] = first.task_results("Probe the server while it is started")
    assert probed["response"][0]["properties"]["state"] == "Provisioning"
    [(_host, awaited)] = first.task_results("Await the server's create or update job")
    assert awaited["changed"] is True and awaited["attempts"] > 1, awaited.get("attempts")
    assert first.azure_requests["mutating_actions"] == {
        "PUT Microsoft.Network/privateDnsZones": 1, "PUT Microsoft.Network/privateDnsZones/virtualNetworkLinks": 1,
        "PUT KeyVault/secrets": 1, f"PUT {PG}": 1, f"PUT {PG}/databases": 1,
    }
    azure.cloud.set_create_seconds(0)
    server = assert_converged(azure)
    value, versions, secret_tags = azure.secret()
    assert versions == 1 and len(value) == 40 and secret_tags == TAGS
    outputs = facts(first, "Publish the database for later layers", "database_outputs")
    vault_uri = azure.vault_uri()
    assert outputs == {
        "cloud": "azure", "region": "eastus", "resource_group": T, "identifier": SERVER, "id": server["id"], "arn": None,
        "endpoint": f"{SERVER}.postgres.database.azure.com", "port": 5432, "db_name": "app", "master_username": "strata_admin",
        "master_user_secret_arn": None, "master_user_secret_id": f"{vault_uri.rstrip('/')}/secrets/{SECRET}",
        "replica_endpoints": [], "subnet_group": None, "parameter_group": None, "engine_version": "16.8", "version": "16",
        "sku": {"name": "Standard_B1ms", "tier": "Burstable"}, "state": "Ready", "high_availability": "Disabled",
        "subnet_id": server["properties"]["network"]["delegatedSubnetResourceId"], "private_dns_zone": ZONE,
        "private_dns_zone_id": azure.zone()["id"],
    }

    # Re-run (waiting by itself): nothing changes, nothing is written, the password is not read again.
    again, again_seconds = play("strata.platform.database")
    assert again.rc == 0 and again.changed() == 0, (str(again), changed_tasks(again))
    assert again.azure_requests["mutating"] == 0, again.azure_requests["mutating_actions"]
    assert not [r for _h, r in again.task_results("Read the admin password") if not r.get("skipped")]
    assert facts(again, "Publish the database for later layers", "database_outputs") == outputs

    # Drift made outside Ansible is planned in check mode, then put back with one write.
    azure.call("PATCH", azure.path(PG, SERVER), {"tags": {**TAGS, "cost-center": "someone-else"},
                                                 "properties": {"backup": {"backupRetentionDays": 14}}})
    drift_plan, _stats = play("strata.platform.database", "--check", "--diff")
    assert drift_plan.rc == 0 and drift_plan.azure_requests["mutating"] == 0, str(drift_plan)
    planned = message(drift_plan, "Plan the PostgreSQL flexible server")
    assert "update fsm-dev-eastus-pg" in planned and "backup_retention_days 14 -> 7" in planned, planned
    assert "tag cost-center someone-else -> platform-dev" in planned, planned
    fixed, _stats = play("strata.platform.database")
    assert fixed.rc == 0, str(fixed)
    assert fixed.azure_requests["mutating_actions"] == {f"PUT {PG}": 1}
    assert_converged(azure)

    # An in-place change (more storage) is one update of the server; the secret is not touched.
    grown, _stats = play("strata.platform.database", database_azure_storage_gb=64)
    assert grown.rc == 0 and grown.azure_requests["mutating_actions"] == {f"PUT {PG}": 1}, str(grown)
    assert_converged(azure, storage=64)

    # What Azure cannot change on an existing server fails before any write, naming each variable and the fix
    # (the seed's 32 GiB is now smaller than the server's 64).
    refused, _stats = play("strata.platform.database", database_azure_geo_redundant_backup=True, database_azure_version="15")
    assert refused.rc != 0 and refused.azure_requests["mutating"] == 0, str(refused)
    for fragment in ("storage 64 -> 32 GiB (database_azure_storage_gb) cannot shrink",
                     "geo_redundant_backup Disabled -> Enabled (database_azure_geo_redundant_backup)",
                     "version 16 -> 15 (database_azure_version) would be a downgrade", "Nothing was changed"):
        assert fragment in refused.failures(), refused.failures()

    # The password secret was never rotated.
    value, versions, _tags = azure.secret()
    assert versions == 1, "the password secret was never rotated"

    # A foreign server beside ours is never touched; the teardown plans without writing, removes ours, keeps the secret.
    azure.call("PUT", azure.path(PG, "someone-elses-pg"), {
        "location": "eastus", "sku": {"name": "Standard_B1ms", "tier": "Burstable"},
        "properties": {"administratorLogin": "other", "administratorLoginPassword": "Other-Password-1", "storage": {"storageSizeGB": 32}}})
    down_plan, _stats = play("strata.platform.database", "--check", database_state="absent")
    assert down_plan.rc == 0 and down_plan.azure_requests["mutating"] == 0, str(down_plan)
    assert {f"Remove the PostgreSQL flexible server | {SERVER}", f"Remove the private DNS zone | {ZONE}"} <= set(changed_tasks(down_plan))
    down, down_seconds = play("strata.platform.database", database_state="absent")
    assert down.rc == 0, str(down)
    assert down.azure_requests["mutating_actions"] == {
        f"DELETE {PG}": 1, "DELETE Microsoft.Network/privateDnsZones/virtualNetworkLinks": 1, "DELETE Microsoft.Network/privateDnsZones": 1}
    assert azure.server() is None and azure.zone() is None and azure.server("someone-elses-pg") is not None
    assert azure.secret()[:2] == (value, 1), "the admin password secret stays after the teardown"
    gone, _stats = play("strata.platform.database", database_state="absent")
    assert gone.rc == 0 and gone.changed() == 0 and gone.azure_requests["mutating"] == 0, str(gone)

    # Present again (-vvv: every task's arguments and results in the output): a new server with the password the
    # secret already holds (no new secret version).
    back, _stats = play("strata.platform.database", "-vvv")
    assert back.rc == 0, back.output[-3000:]
    assert back.azure_requests["mutating_actions"] == {
        "PUT Microsoft.Network/privateDnsZones": 1, "PUT Microsoft.Network/privateDnsZones/virtualNetworkLinks": 1,
        f"PUT {PG}": 1, f"PUT {PG}/databases": 1}
    assert azure.secret()[:2] == (value, 1)
    assert_converged(azure)
    assert "ESTABLISH LOCAL CONNECTION" in back.output  # it ran with -vvv

    # The admin password never shows: not in any run's output, not with -vvv on a create.
    for run in play.runs:
        assert value not in run.output and value not in json.dumps(run.result), "the admin password appears in an output"

    # Our names without our tags: the teardown refuses and removes nothing.
    azure.call("PATCH", azure.path(PG, SERVER), {"tags": {"owner": "someone-else"}})
    refused, _stats = play("strata.platform.database", database_state="absent")
    assert refused.rc != 0 and refused.azure_requests["mutating"] == 0
    assert "without its ownership tags" in refused.failures() and azure.server() is not None
    azure.call("PATCH", azure.path(PG, SERVER), {"tags": TAGS})

    # Asked to, the teardown removes the secret too (Key Vault soft-deletes it).
    final, _stats = play("strata.platform.database", database_state="absent", database_azure_remove_admin_secret=True)
    assert final.rc == 0, str(final)
    assert "DELETE KeyVault/secrets" in final.azure_requests["mutating_actions"] and azure.secret() is None

    print(f"\n[azure database] plan {plan_seconds:.1f} s {plan.azure_requests['total']} requests; start+wait "
          f"(server {CREATE_SECONDS} s) {first_seconds:.1f} s {first.azure_requests['total']} requests "
          f"({first.azure_requests['mutating']} mutating); no-op re-run {again_seconds:.1f} s "
          f"{again.azure_requests['total']} requests; teardown {down_seconds:.1f} s {down.azure_requests['total']} requests")


def test_the_server_module_waits_for_the_whole_creation(play, azure):
    """Why the role runs azure_rm_postgresqlflexibleserver as an async job: the module has no wait option and
    always polls Azure's long-running create to its end (10+ minutes on Azure)."""
    azure.call("PUT", azure.reader.rg_path(T), {"location": "eastus"}, api_version="2022-09-01")
    seconds = 15
    azure.cloud.set_create_seconds(seconds, PG)
    run, elapsed = play("module_alone.yml")
    assert run.rc == 0, str(run)
    [(_host, result)] = run.task_results("Create the probe server")
    assert result["changed"] is True and result["state"]["fully_qualified_domain_name"] == "fsm-dev-eastus-probe.postgres.database.azure.com"
    assert elapsed >= seconds, elapsed
    assert azure.server("fsm-dev-eastus-probe")["properties"]["state"] == "Ready"
    print(f"\n[azure database] azure_rm_postgresqlflexibleserver alone, creation time {seconds} s: {elapsed:.1f} s")


@pytest.mark.parametrize(("extra_vars", "variable"), [
    ({"database_azure_sku": {"name": "Standard_D4ds_v5", "tier": "Burstable"}}, "database_azure_sku.name"),
    ({"database_azure_sku": {"name": "Standard_B1ms", "tier": "Basic"}}, "database_azure_sku.tier"),
    ({"database_multi_az": True}, "database_azure_high_availability"),
    ({"database_azure_storage_gb": 20}, "database_azure_storage_gb"),
    ({"database_azure_version": "11"}, "database_azure_version"),
    ({"database_azure_backup_retention": 40}, "database_azure_backup_retention"),
    ({"database_master_username": "azure_superuser"}, "database_master_username"),
    ({"platform_name": "FSM"}, "platform_name"),
])
def test_bad_azure_input_fails_before_any_call(play, extra_vars, variable):
    run, _stats = play("strata.platform.database", **extra_vars)
    assert run.rc != 0
    assert run.azure_requests["total"] == 0 and run.requests["total"] == 0
    assert variable in run.failures(), run.failures()


def test_prod_plan_is_general_purpose_zone_redundant_and_geo_redundant(run_playbook_multicloud, tmp_path):
    """The prod seed, planned on an empty subscription (no write): 4 vCores GeneralPurpose, 256 GiB, 35 days,
    zone-redundant high availability (database_multi_az) and geo-redundant backup; its policy holds."""
    host = "prod-azure-eastus"
    (tmp_path / "host_vars").mkdir()
    (tmp_path / "hosts.yml").write_text(f"prod:\n  hosts:\n    {host}:\nazure:\n  hosts:\n    {host}:\n")
    (tmp_path / "host_vars" / f"{host}.yml").write_text(
        "platform_name: fsm\nplatform_environment: prod\nplatform_cloud: azure\nplatform_region: eastus\n"
        "platform_network_cidr: 10.143.0.0/16\n")
    plan = run_playbook_multicloud("strata.platform.database", str(tmp_path), args=["--check", "--diff"])
    assert plan.rc == 0 and plan.azure_requests["mutating"] == 0, str(plan)
    planned = message(plan, "Plan the PostgreSQL flexible server")
    assert "create fsm-prod-eastus-pg (Standard_D4ds_v5 GeneralPurpose, PostgreSQL 16, 256 GiB, HA ZoneRedundant)" in planned
    assert "backup_retention_days (none) -> 35" in planned and "geo_redundant_backup (none) -> Enabled" in planned
    weaker = run_playbook_multicloud("strata.platform.database", str(tmp_path), args=["--check"],
                                     extra_vars={"database_azure_backup_retention": 14})
    assert weaker.rc != 0 and weaker.azure_requests["total"] == 0
    assert "database_azure_backup_retention=14 is below the prod policy of 30 days" in weaker.failures(), weaker.failures()
