#!/usr/bin/env python
"""The main job: converge all of an environment's AWS regions and print what was built.

Without AWS credentials in the environment, the local test cloud (moto, on 127.0.0.1) is started,
used and stopped by its pid; with credentials, the same playbook runs against real AWS.

    make run                                   # prod, every AWS region, local test cloud
    make run ARGS="--check --diff"             # the plan only
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

OWNER = {"Name": "tag:owner", "Values": ["strata.platform"]}


def has_aws_credentials(env):
    if env.get("AWS_ACCESS_KEY_ID") or env.get("AWS_PROFILE") or env.get("AWS_WEB_IDENTITY_TOKEN_FILE"):
        return True
    home = os.path.expanduser("~")
    return os.path.exists(os.path.join(home, ".aws", "credentials"))


def inventory_targets(inventory, limit, env):
    out = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-inventory"), "-i", inventory, "--list", "--limit", limit],
        check=True, capture_output=True, text=True, env=env, cwd=ROOT,
    )
    data = json.loads(out.stdout)
    hostvars = data.get("_meta", {}).get("hostvars", {})
    hosts = set(data.get(limit, {}).get("hosts", [])) if limit in data else set(hostvars)
    return {h: hostvars[h] for h in sorted(hosts) if hostvars[h].get("platform_cloud", "aws") == "aws"}


def describe_built(targets, env):
    import boto3

    session = boto3.session.Session(
        aws_access_key_id=env.get("AWS_ACCESS_KEY_ID"), aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY")
    ) if env.get("STRATA_TESTCLOUD_AWS") else boto3.session.Session()
    endpoint = env.get("STRATA_TESTCLOUD_AWS")
    lines = []
    for host, hv in targets.items():
        region = hv["platform_region"]
        ec2 = session.client("ec2", region_name=region, endpoint_url=endpoint)
        env_filter = {"Name": "tag:environment", "Values": [hv.get("platform_environment", "")]}
        vpcs = ec2.describe_vpcs(Filters=[OWNER, env_filter])["Vpcs"]
        if not vpcs:
            lines.append(f"{host:<24} {region:<11} (no network)")
            continue
        for vpc in vpcs:
            vpc_filter = {"Name": "vpc-id", "Values": [vpc["VpcId"]]}
            subnets = ec2.describe_subnets(Filters=[vpc_filter, OWNER])["Subnets"]
            tiers = {}
            for s in subnets:
                tier = next((t["Value"] for t in s.get("Tags", []) if t["Key"] == "tier"), "?")
                tiers[tier] = tiers.get(tier, 0) + 1
            nats = [n for n in ec2.describe_nat_gateways(Filters=[vpc_filter, OWNER])["NatGateways"]
                    if n["State"] in ("pending", "available")]
            rts = ec2.describe_route_tables(Filters=[vpc_filter, OWNER])["RouteTables"]
            flows = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc["VpcId"]]}])["FlowLogs"]
            tier_text = " ".join(f"{k}={v}" for k, v in sorted(tiers.items()))
            lines.append(
                f"{host:<24} {region:<11} {vpc['VpcId']:<22} {vpc['CidrBlock']:<15} subnets[{tier_text}] "
                f"nat={len(nats)} route_tables={len(rts)} flow_logs={len(flows)}"
            )
        lines.extend(f"{'':<24} {region:<11} {line}" for line in describe_data_stores(
            session, endpoint, region, vpcs, f"{hv.get('platform_name')}-{hv.get('platform_environment')}-"))
    return lines


def describe_data_stores(session, endpoint, region, vpcs, prefix):
    """One line per data store of the environment in the region: RDS instances (in its VPC), Redis
    replication groups and MSK clusters (named <platform_name>-<environment>-...)."""
    vpc_ids = {v["VpcId"] for v in vpcs}
    rds = session.client("rds", region_name=region, endpoint_url=endpoint)
    out = []
    for db in rds.describe_db_instances()["DBInstances"]:
        if db.get("DBSubnetGroup", {}).get("VpcId") in vpc_ids:
            role = f"replica of {db['ReadReplicaSourceDBInstanceIdentifier']}" if db.get(
                "ReadReplicaSourceDBInstanceIdentifier") else ("multi-AZ" if db["MultiAZ"] else "single-AZ")
            out.append(f"rds {db['DBInstanceIdentifier']} {db['DBInstanceClass']} {db['AllocatedStorage']} GiB "
                       f"{db['StorageType']} {role} {db['DBInstanceStatus']}")
    elasticache = session.client("elasticache", region_name=region, endpoint_url=endpoint)
    for group in elasticache.describe_replication_groups()["ReplicationGroups"]:
        if not group["ReplicationGroupId"].startswith(prefix):
            continue
        out.append(f"redis {group['ReplicationGroupId']} {group.get('CacheNodeType')} "
                   f"nodes={len(group.get('MemberClusters', []))} failover={group.get('AutomaticFailover')} "
                   f"{group['Status']}")
    kafka = session.client("kafka", region_name=region, endpoint_url=endpoint)
    for cluster in kafka.list_clusters_v2(ClusterNameFilter=prefix)["ClusterInfoList"]:
        brokers = cluster.get("Provisioned", {}).get("BrokerNodeGroupInfo", {}).get("InstanceType", "?")
        count = cluster.get("Provisioned", {}).get("NumberOfBrokerNodes", "?")
        out.append(f"kafka {cluster['ClusterName']} {brokers} brokers={count} {cluster['State']}")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inventory", "-i", default="inventories/prod")
    parser.add_argument("--limit", "-l", default="aws", help="inventory pattern (default: every AWS region)")
    parser.add_argument("--playbook", default="strata.platform.site")
    parser.add_argument("--test-cloud", action="store_true", help="use the local test cloud even with credentials")
    args, extra = parser.parse_known_args()

    env = dict(os.environ)
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(ROOT, "build"))
    env.setdefault("ANSIBLE_CONFIG", os.path.join(ROOT, "ansible.cfg"))

    cloud = None
    if args.test_cloud or not has_aws_credentials(env):
        from testcloud.aws import AwsTestCloud

        cloud = AwsTestCloud()
        cloud.start()
        env.update(cloud.env())
        print(f"run: no AWS credentials given: using the local test cloud at {cloud.endpoint} (pid {cloud.pid})")
    try:
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", args.inventory,
               "--limit", args.limit, args.playbook, *extra]
        print("run:", " ".join(cmd[1:]), flush=True)
        started = time.monotonic()
        rc = subprocess.call(cmd, env=env, cwd=ROOT)
        wall = time.monotonic() - started
        print(f"\nrun: ansible-playbook exited {rc} after {wall:.1f} s")
        if cloud is not None:
            stats = cloud.stats()
            print(f"run: the test cloud served {stats['total']} requests ({stats['read']} read, {stats['mutating']} mutating)")
        targets = inventory_targets(args.inventory, args.limit, env)
        print("\nWhat the collection owns now (tag owner=strata.platform):")
        for line in describe_built(targets, env):
            print("  " + line)
        return rc
    finally:
        if cloud is not None:
            cloud.stop()


if __name__ == "__main__":
    sys.exit(main())
