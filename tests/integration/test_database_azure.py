"""The database layer on Azure (a PostgreSQL flexible server with private access) through
strata.platform.database against the ARM double, on top of strata.platform.network and strata.platform.encryption
(built in one play): what only this layer does. The refusal without the lower layers; the plan of a new server on
existing lower layers (the zone and secret modules in check mode, no write); start without waiting, the server
still being created when the role returns, then awaited (the async job), with -vvv, the dev sizing and outputs;
drift and an in-place change (storage grow) planned exactly, then put back with one write; refusals of what Azure
cannot change (shrink, version downgrade, geo-redundant backup) and of a teardown of our names without our tags;
the admin password (made once in Key Vault, never rotated, never in any output, kept on teardown unless asked);
a teardown plan and a teardown that leave a foreign server alone; bad input failing before any call; the prod
plan (and the plan on an empty subscription); and the measurement of why the role runs the server's creation as
an async job. The generic cycle (plan on empty clouds, converge, no-op re-run, confirmed teardown) for every layer
on both clouds is test_site_multicloud.py's."""

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

# The lower layers the server needs, in one run (one ansible-playbook start, the layers in order).
LOWER_LAYERS = """
- name: Converge the network layer
  ansible.builtin.import_playbook: strata.platform.network

- name: Converge the encryption layer
  ansible.builtin.import_playbook: strata.platform.encryption
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
    (tmp_path / "lower_layers.yml").write_text(LOWER_LAYERS)
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


def verbose_result(run):
    """The JSON callback's result of a -vvv run (its stdout also holds the verbose lines, so the runner could not
    parse it): the JSON document that ends the run's stdout."""
    start = run.output.rfind('\n{\n    "custom_stats"')
    assert start >= 0, run.output[-3000:]
    result, _end = json.JSONDecoder().raw_decode(run.output, start + 1)
    return result


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


@pytest.mark.cost(580)  # seconds in CI: dealt out first (tests/conftest.py)
def test_dev_database_plan_start_wait_drift_grow_refusals_teardown(play, azure):
    # Without the lower layers the role stops before any write, naming them (outside check mode).
    refused, _stats = play("strata.platform.database")
    assert refused.rc != 0 and refused.azure_requests["mutating"] == 0
    assert refused.requests["total"] == 0, "an Azure target makes no AWS call"
    assert "network, encryption" in refused.failures() and "strata.platform.network" in refused.failures(), refused.failures()

    lower, _stats = play("lower_layers.yml")
    assert lower.rc == 0, str(lower)

    # Plan on the lower layers: the zone and secret modules plan themselves (the link waits for the zone), the server
    # is planned with the dev sizing, no write.
    plan, plan_seconds = play("strata.platform.database", "--check", "--diff")
    assert plan.rc == 0 and plan.azure_requests["mutating"] == 0, (str(plan), plan.azure_requests["mutating_actions"])
    assert {f"Ensure the private DNS zone of the server | {ZONE}", f"Report the planned zone and link | {ZONE}",
            f"Plan the PostgreSQL flexible server | {SERVER}",
            f"Create the admin password secret (generated, only when missing) | {SECRET}",
            f"Report the planned application database | {SERVER}/app"} <= set(changed_tasks(plan)), changed_tasks(plan)
    assert "create fsm-dev-eastus-pg (Standard_B1ms Burstable, PostgreSQL 16, 32 GiB, HA Disabled)" in message(
        plan, "Plan the PostgreSQL flexible server")
    planned = facts(plan, "Publish the database for later layers", "database_outputs")
    assert (planned["cloud"], planned["identifier"], planned["endpoint"], planned["id"], planned["port"]) == (
        "azure", SERVER, None, None, 5432)
    assert azure.secret() is None and azure.zone() is None

    # Start without waiting, with -vvv (every task's arguments and results in the output): the server takes
    # CREATE_SECONDS. When the role has returned, it is still being created; the wait entry point collects the async
    # job, then makes the application database (it needs a Ready server).
    azure.cloud.set_create_seconds(CREATE_SECONDS, PG)
    first, first_seconds = play("start_then_wait.yml", "-vvv", probe_url=azure.path(PG, SERVER))
    azure.cloud.set_create_seconds(0)
    assert first.rc == 0, first.output[-3000:]
    assert "ESTABLISH LOCAL CONNECTION" in first.output  # it ran with -vvv
    first.result = verbose_result(first)
    [(_host, probed)] = first.task_results("Probe the server while it is started")
    assert probed["response"][0]["properties"]["state"] == "Provisioning"
    [(_host, awaited)] = first.task_results("Await the server's create or update job")
    assert awaited["changed"] is True and awaited["attempts"] > 1, awaited.get("attempts")
    assert first.azure_requests["mutating_actions"] == {
        "PUT Microsoft.Network/privateDnsZones": 1, "PUT Microsoft.Network/privateDnsZones/virtualNetworkLinks": 1,
        "PUT KeyVault/secrets": 1, f"PUT {PG}": 1, f"PUT {PG}/databases": 1,
    }
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

    # Drift made outside Ansible and an in-place change (more storage), planned together in check mode: exactly these
    # three settings differ (everything else the dev seed asks is in place, the zone, link, secret and database too).
    azure.call("PATCH", azure.path(PG, SERVER), {"tags": {**TAGS, "cost-center": "someone-else"},
                                                 "properties": {"backup": {"backupRetentionDays": 14}}})
    drift_plan, _stats = play("strata.platform.database", "--check", "--diff", database_azure_storage_gb=64)
    assert drift_plan.rc == 0 and drift_plan.azure_requests["mutating"] == 0, str(drift_plan)
    assert changed_tasks(drift_plan) == [f"Plan the PostgreSQL flexible server | {SERVER}"], changed_tasks(drift_plan)
    planned = message(drift_plan, "Plan the PostgreSQL flexible server")
    assert "update fsm-dev-eastus-pg (Standard_B1ms Burstable, PostgreSQL 16, 64 GiB, HA Disabled): " in planned, planned
    assert planned.split("): ", 1)[1] == (
        "storage_gb 32 -> 64; backup_retention_days 14 -> 7; tag cost-center someone-else -> platform-dev"), planned

    # Applied: one update of the server puts both back; the password is not read, the secret not touched.
    fixed, _stats = play("strata.platform.database", database_azure_storage_gb=64)
    assert fixed.rc == 0, str(fixed)
    assert fixed.azure_requests["mutating_actions"] == {f"PUT {PG}": 1}
    assert not [r for _h, r in fixed.task_results("Read the admin password") if not r.get("skipped")]
    assert facts(fixed, "Publish the database for later layers", "database_outputs") == outputs
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
    assert azure.secret()[:2] == (value, 1), "the password secret was never rotated"

    # Our names without our tags: the teardown refuses and removes nothing.
    azure.call("PATCH", azure.path(PG, SERVER), {"tags": {"owner": "someone-else"}})
    refused, _stats = play("strata.platform.database", database_state="absent")
    assert refused.rc != 0 and refused.azure_requests["mutating"] == 0
    assert "without its ownership tags" in refused.failures() and azure.server() is not None
    azure.call("PATCH", azure.path(PG, SERVER), {"tags": TAGS})

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

    # Absent again, asked to remove the secret too: the only write is the secret's delete (Key Vault soft-deletes it);
    # the server, link and zone already gone are not touched again, the foreign server stays.
    final, _stats = play("strata.platform.database", database_state="absent", database_azure_remove_admin_secret=True)
    assert final.rc == 0, str(final)
    assert final.azure_requests["mutating_actions"] == {"DELETE KeyVault/secrets": 1}, final.azure_requests["mutating_actions"]
    assert changed_tasks(final) == [
        f"Remove the admin password secret (soft-deleted, recoverable for the vault's retention) | {SECRET}"], changed_tasks(final)
    assert azure.secret() is None and azure.server("someone-elses-pg") is not None

    # The admin password never shows: not in any run's output, not with -vvv on the create.
    for run in play.runs:
        assert value not in run.output and value not in json.dumps(run.result), "the admin password appears in an output"

    print(f"\n[azure database] plan {plan_seconds:.1f} s {plan.azure_requests['total']} requests; start+wait -vvv "
          f"(server {CREATE_SECONDS} s) {first_seconds:.1f} s {first.azure_requests['total']} requests "
          f"({first.azure_requests['mutating']} mutating); teardown {down_seconds:.1f} s {down.azure_requests['total']} requests")


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
    """The prod seed, planned on an empty subscription (no resource group, network or vault yet; no write): 4 vCores
    GeneralPurpose, 256 GiB, 35 days, zone-redundant high availability (database_multi_az) and geo-redundant backup,
    the zone, link, secret and database reported as planned; its policy holds."""
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
    server = "fsm-prod-eastus-pg"
    assert {"Report the planned zone and link | fsm-prod-eastus.private.postgres.database.azure.com",
            f"Report the planned admin password secret | {server}-admin-password",
            f"Report the planned application database | {server}/app"} <= set(changed_tasks(plan)), changed_tasks(plan)
    outputs = facts(plan, "Publish the database for later layers", "database_outputs")
    assert (outputs["cloud"], outputs["identifier"], outputs["endpoint"], outputs["id"], outputs["port"],
            outputs["master_user_secret_id"]) == ("azure", server, None, None, 5432, None)
    weaker = run_playbook_multicloud("strata.platform.database", str(tmp_path), args=["--check"],
                                     extra_vars={"database_azure_backup_retention": 14})
    assert weaker.rc != 0 and weaker.azure_requests["total"] == 0
    assert "database_azure_backup_retention=14 is below the prod policy of 30 days" in weaker.failures(), weaker.failures()
