#!/usr/bin/env python
"""The main job: converge every target of an environment, AWS and Azure regions in parallel, and print
what was built.

Without credentials for a cloud, its local test cloud is started, used and stopped by its pid (AWS: moto
on 127.0.0.1; Azure: the project's ARM test double, HTTPS on 127.0.0.1); with credentials, the same
playbook runs against the real cloud.

    make run                                   # prod, every region of both clouds, local test clouds
    make run ARGS="--check --diff"             # the plan only
    make run ARGS="--limit aws"                # one cloud
    make run ARGS="--inventory inventories/dev --playbook strata.platform.teardown"
"""

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def has_aws_credentials(env):
    if env.get("AWS_ACCESS_KEY_ID") or env.get("AWS_PROFILE") or env.get("AWS_WEB_IDENTITY_TOKEN_FILE"):
        return True
    return os.path.exists(os.path.join(os.path.expanduser("~"), ".aws", "credentials"))


def has_azure_credentials(env):
    """A service principal, a credentials-file profile or an Azure CLI login (what azure.azcollection reads)."""
    if all(env.get(key) for key in ("AZURE_CLIENT_ID", "AZURE_SECRET", "AZURE_TENANT")) or env.get("AZURE_PROFILE"):
        return True
    home = os.path.expanduser("~")
    return any(os.path.exists(os.path.join(home, ".azure", name)) for name in ("credentials", "azureProfile.json"))


def inventory_targets(inventory, limit, env):
    """{host: hostvars} of the inventory's targets matched by ``limit``."""
    out = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-inventory"), "-i", inventory, "--list", "--limit", limit],
        check=True, capture_output=True, text=True, env=env, cwd=ROOT,
    )
    data = json.loads(out.stdout)
    hostvars = data.get("_meta", {}).get("hostvars", {})
    return {host: hostvars[host] for host in sorted(hostvars) if hostvars[host].get("platform_cloud")}


def load_finder():
    """The collection's layer finder (the code behind the platform_layer lookup), importable from here."""
    from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder  # noqa: PLC0415

    _AnsibleCollectionFinder(paths=[os.path.join(ROOT, "build")], scan_sys_paths=True)._install()
    from ansible_collections.strata.platform.plugins.module_utils._platform import azure, finder, layers  # noqa: PLC0415

    return azure, finder, layers


def describe_built(targets, env):
    """One block of lines per target: what the collection owns there, found like the lookup finds it."""
    os.environ.update(env)  # the Azure SDK reads its cloud settings from the environment, at import
    import boto3  # noqa: PLC0415

    azure, finder, layers = load_finder()
    endpoint = env.get("STRATA_TESTCLOUD_AWS")
    session = boto3.session.Session()
    arm = []  # one ARM client for every Azure target

    def azure_client():
        if not arm:
            arm.append(azure.ArmClient(*azure.azure_auth({})))
        return arm[0]

    lines = []
    for host, hostvars in targets.items():
        region = hostvars["platform_region"]
        request = layers.check_request(hostvars["platform_environment"], region, hostvars["platform_cloud"],
                                       hostvars["platform_name"], list(layers.LAYERS))
        target = finder.find_target(
            request, aws=lambda: (lambda service: session.client(service, region_name=region, endpoint_url=endpoint)),
            azure=azure_client)
        lines.extend(summary(host, target))
    return lines


def summary(host, target):
    """Lines for one target of the normalised shape (cloud, network, security_groups, data stores...)."""
    network = target.get("network")
    if not network:
        return [f"{host:<24} (nothing of ours)"]
    tiers = " ".join(f"{tier}={len(subnets)}" for tier, subnets in sorted(network["subnets"].items()))
    lines = [f"{host:<24} {target['cloud']:<5} {network['name']} {network['cidr']} subnets[{tiers}] "
             f"nat={len(network.get('nat_gateway_ids') or [])}"]
    groups = target.get("security_groups") or {}
    keys = target.get("encryption_keys") or {}
    lines.append(f"{'':<24} security groups {len(set(filter(None, groups.values())))}, "
                 f"identities {len(target.get('identities') or {})}, keys {sorted(k for k, v in keys.items() if v)}")
    for layer, field in (("database", "endpoint"), ("cache", "endpoint"), ("kafka", "bootstrap_servers")):
        store = target.get(layer)
        if store:
            lines.append(f"{'':<24} {layer:<8} {store['name']} {store.get(field) or '(creating)'}")
    return lines


def start_clouds(args, env):
    """Start the test cloud of each cloud without credentials (or every one with --test-cloud)."""
    clouds = []
    for name, has_credentials in (("aws", has_aws_credentials), ("azure", has_azure_credentials)):
        if not (args.test_cloud or not has_credentials(env)):
            continue
        from testcloud.clouds import cloud_class  # noqa: PLC0415

        cloud = cloud_class(name)()
        cloud.start()
        clouds.append(cloud)
        env.update(cloud.env(env))
        print(f"run: no {name} credentials given: using the local {name} test cloud at {cloud.endpoint} (pid {cloud.pid})")
    return clouds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inventory", "-i", default="inventories/prod")
    parser.add_argument("--limit", "-l", default="all", help="inventory pattern (default: every target, both clouds)")
    parser.add_argument("--playbook", default="strata.platform.site")
    parser.add_argument("--test-cloud", action="store_true", help="use the local test clouds even with credentials")
    args, extra = parser.parse_known_args()

    env = dict(os.environ)
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(ROOT, "build"))
    env.setdefault("ANSIBLE_CONFIG", os.path.join(ROOT, "ansible.cfg"))

    clouds = start_clouds(args, env)
    try:
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", args.inventory,
               "--limit", args.limit, args.playbook, *extra]
        print("run:", " ".join(cmd[1:]), flush=True)
        started = time.monotonic()
        rc = subprocess.call(cmd, env=env, cwd=ROOT)
        wall = time.monotonic() - started
        print(f"\nrun: ansible-playbook exited {rc} after {wall:.1f} s")
        for cloud in clouds:
            stats = cloud.stats()
            print(f"run: the {cloud.name} test cloud served {stats['total']} requests "
                  f"({stats['read']} read, {stats['mutating']} mutating)")
        targets = inventory_targets(args.inventory, args.limit, env)
        print("\nWhat the collection owns now (found by its names and tags, like the platform_layer lookup):")
        for line in describe_built(targets, env):
            print("  " + line)
        return rc
    finally:
        for cloud in clouds:
            cloud.stop()


if __name__ == "__main__":
    sys.exit(main())
