#!/usr/bin/env python
"""Speed of the network role against the naive per-resource playbook, in one run, on one test cloud.

Topology of ../shared/bench/naive_vpc_stack.yml: one region, three AZs, per-AZ NAT, 10.50.0.0/16.
For each side: wall time and requests served (read / mutating) of a first run and of a no-op re-run.

    make bench                      # prints the table, writes build/bench.json
    make bench ARGS="--rounds 3"    # median of three rounds per figure

It also measures the layers that stand on the network (security_groups, iam, encryption) on the same
target: first run and no-op re-run of each layer's playbook.

And the data stores (strata.platform.data_stores: database, cache and kafka started together, awaited
together) of the repository's dev inventory (one region) and prod inventory (its three AWS regions in
parallel), on top of the lower layers, with simulated creation times (``--create-seconds``, default RDS 20 s,
ElastiCache 15 s, MSK 25 s): first run and no-op re-run.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
NAIVE = os.path.join(os.path.dirname(ROOT), "shared", "bench", "naive_vpc_stack.yml")
BIN = os.path.dirname(sys.executable)

INVENTORY = """\
staging:
  hosts:
    staging-aws-us-east-1:
      ansible_connection: local
      platform_name: bench
      platform_environment: staging
      platform_region: us-east-1
      platform_network_cidr: 10.50.0.0/16
      platform_availability_zones: [us-east-1a, us-east-1b, us-east-1c]
      network_nat_mode: per_az
      network_flow_logs: false
aws:
  vars:
    platform_cloud: aws
  hosts:
    staging-aws-us-east-1:
"""


def timed_run(cloud, cmd, env):
    cloud.reset_stats()
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    if proc.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    stats = cloud.stats()
    return {"wall_s": round(wall, 2), "requests": stats["total"], "read": stats["read"], "mutating": stats["mutating"]}


def median_of(samples):
    return {key: statistics.median(s[key] for s in samples) for key in samples[0]}


def bench_data_stores(cloud, env, environment, create_seconds, rounds):
    """First run and no-op re-run of strata.platform.data_stores on an inventory's AWS targets, after
    its lower layers were built with immediate creations."""
    inventory = os.path.join(ROOT, "inventories", environment)
    playbook = [os.path.join(BIN, "ansible-playbook"), "-i", inventory, "--limit", "aws"]
    firsts, reruns = [], []
    for _round in range(rounds):
        cloud.reset()
        cloud.set_create_seconds(0)
        for layer in ("network", "security_groups", "iam", "encryption"):
            timed_run(cloud, [*playbook, f"strata.platform.{layer}"], env)
        for service, seconds in create_seconds.items():
            cloud.set_create_seconds(seconds, service)
        try:
            firsts.append(timed_run(cloud, [*playbook, "strata.platform.data_stores"], env))
            reruns.append(timed_run(cloud, [*playbook, "strata.platform.data_stores"], env))
        finally:
            for service in create_seconds:
                cloud.set_create_seconds(0, service)
    targets = subprocess.run([os.path.join(BIN, "ansible-inventory"), "-i", inventory, "--list"], env=env,
                             capture_output=True, text=True, check=True)
    count = len(json.loads(targets.stdout).get("aws", {}).get("hosts", []))
    return {"targets": count, "first_run": median_of(firsts), "no_op_rerun": median_of(reruns)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--layers", default="security_groups,iam,encryption",
                        help="comma-separated layers measured after the network ('' for none)")
    parser.add_argument("--data-stores", default="dev,prod",
                        help="comma-separated inventories whose data stores are measured ('' for none)")
    parser.add_argument("--create-seconds", default="RDS=20,ELASTICACHE=15,MSK=25",
                        help="simulated creation time per service for the data-store runs")
    parser.add_argument("--output", default=os.path.join(ROOT, "build", "bench.json"))
    args = parser.parse_args()
    if not os.path.exists(NAIVE):
        sys.exit(f"bench: {NAIVE} not found (shared/ must sit beside the checkout)")

    from testcloud.aws import AwsTestCloud

    with tempfile.TemporaryDirectory() as tmp, AwsTestCloud() as cloud:
        inventory = os.path.join(tmp, "hosts.yml")
        with open(inventory, "w", encoding="utf-8") as handle:
            handle.write(INVENTORY)
        env = dict(os.environ, **cloud.env())
        env.update({"ANSIBLE_COLLECTIONS_PATH": os.path.join(ROOT, "build"),
                    "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"), "AWS_REGION": "us-east-1"})
        sides = {
            "naive playbook": [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local",
                               "-e", "ansible_python_interpreter=" + sys.executable, NAIVE],
            "network role": [os.path.join(BIN, "ansible-playbook"), "-i", inventory, "strata.platform.network"],
        }
        results = {}
        for name, cmd in sides.items():
            firsts, reruns = [], []
            for _round in range(args.rounds):
                cloud.reset()
                firsts.append(timed_run(cloud, cmd, env))
                reruns.append(timed_run(cloud, cmd, env))
            results[name] = {"first_run": median_of(firsts), "no_op_rerun": median_of(reruns)}

        layers = {}
        for layer in filter(None, args.layers.split(",")):
            cmd = [os.path.join(BIN, "ansible-playbook"), "-i", inventory, f"strata.platform.{layer}"]
            firsts, reruns = [], []
            for _round in range(args.rounds):
                cloud.reset()
                timed_run(cloud, sides["network role"], env)
                firsts.append(timed_run(cloud, cmd, env))
                reruns.append(timed_run(cloud, cmd, env))
            layers[layer] = {"first_run": median_of(firsts), "no_op_rerun": median_of(reruns)}

        create_seconds = {k: float(v) for k, v in (item.split("=") for item in args.create_seconds.split(","))}
        data_stores = {}
        for environment in filter(None, args.data_stores.split(",")):
            data_stores[environment] = bench_data_stores(cloud, env, environment, create_seconds, args.rounds)

    print(f"{'':16} {'first run':>28} {'no-op re-run':>28}")
    for name, r in results.items():
        f, n = r["first_run"], r["no_op_rerun"]
        print(f"{name:16} {f['wall_s']:>7.1f} s {f['requests']:>4} req ({f['mutating']:>3} mut) "
              f"{n['wall_s']:>7.1f} s {n['requests']:>4} req ({n['mutating']:>3} mut)")
    for name, r in layers.items():
        f, n = r["first_run"], r["no_op_rerun"]
        print(f"{name:16} {f['wall_s']:>7.1f} s {f['requests']:>4} req ({f['mutating']:>3} mut) "
              f"{n['wall_s']:>7.1f} s {n['requests']:>4} req ({n['mutating']:>3} mut)")
    if data_stores:
        print(f"data stores with creation times {create_seconds} (first run includes the wait):")
    for name, r in data_stores.items():
        f, n = r["first_run"], r["no_op_rerun"]
        print(f"{name + ' (' + str(r['targets']) + ' regions)':16} {f['wall_s']:>7.1f} s {f['requests']:>4} req "
              f"({f['mutating']:>3} mut) {n['wall_s']:>7.1f} s {n['requests']:>4} req ({n['mutating']:>3} mut)")
    role, naive = results["network role"]["no_op_rerun"], results["naive playbook"]["no_op_rerun"]
    ratio = {"wall": role["wall_s"] / naive["wall_s"], "requests": role["requests"] / max(naive["requests"], 1)}
    print(f"no-op re-run, role / naive: wall {ratio['wall']:.2f}, requests {ratio['requests']:.2f} (target <= 0.50)")
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump({"rounds": args.rounds, "results": results, "layers": layers, "no_op_ratio": ratio,
                   "data_stores": data_stores, "create_seconds": create_seconds}, handle, indent=2)
    return 0 if ratio["wall"] <= 0.5 and ratio["requests"] <= 0.5 else 1


if __name__ == "__main__":
    sys.exit(main())
