# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The AWS side of the layer lookup: one thin wrapper per read-only API call (retried on throttling, a typed
error), and ``find_aws`` that searches the requested layers of one target by the collection's names and
ownership tags and normalises them (``layers.py``).

Private to the collection (used through ``finder.py`` by the platform_layer lookup and platform_layer_info).
Calls per layer: network 3 (VPC, subnets, NAT gateways), security_groups 1, iam 1 per 100 roles under the iam
path, encryption 3 (DescribeKey per purpose alias), database 1, cache 1, kafka 1-2 (the bootstrap
brokers only for an active cluster). Never a mutating call.
"""

from typing import Any
from typing import Callable
from typing import Dict
from typing import List
from typing import Optional

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.strata.platform.plugins.module_utils._platform import layers as L

try:
    import boto3
    import botocore.exceptions
    HAS_BOTO3 = True
except ImportError:
    HAS_BOTO3 = False

# What a user sets for AWS credentials (named in the error when none is found).
AWS_CREDENTIAL_HINT = (
    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials) or "
    "AWS_PROFILE, or pass access_key/secret_key or profile"
)
# MSK states in which the bootstrap brokers can be read.
KAFKA_READY_STATES = ("ACTIVE", "UPDATING", "MAINTENANCE", "REBOOTING_BROKER", "HEALING")


class AnsiblePlatformAWSError(AnsibleAWSError):
    pass


class _Handler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsiblePlatformAWSError


class _KmsHandler(_Handler):
    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("NotFoundException")


class _RdsHandler(_Handler):
    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("DBInstanceNotFound")


class _ElastiCacheHandler(_Handler):
    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ReplicationGroupNotFoundFault")


class _KafkaHandler(_Handler):
    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(["NotFoundException", "BadRequestException"])


def _filters(**filters: Any) -> List[Dict[str, Any]]:
    return [{"Name": name, "Values": value if isinstance(value, list) else [value]} for name, value in filters.items()]


def _tag_filters(request: Dict[str, Any], layer: str) -> Dict[str, str]:
    return {f"tag:{key}": value for key, value in L.match_tags(request["platform"], request["environment"], layer).items()}


@_Handler.common_error_handler("describe the VPC {name}")
@AWSRetry.jittered_backoff()
def describe_vpcs(ec2, name: str, filters: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return ec2.describe_vpcs(Filters=filters)["Vpcs"]


@_Handler.common_error_handler("describe the subnets of {vpc_id}")
@AWSRetry.jittered_backoff()
def describe_subnets(ec2, vpc_id: str, filters: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return ec2.get_paginator("describe_subnets").paginate(Filters=filters).build_full_result()["Subnets"]


@_Handler.common_error_handler("describe the NAT gateways of {vpc_id}")
@AWSRetry.jittered_backoff()
def describe_nat_gateways(ec2, vpc_id: str, filters: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return ec2.get_paginator("describe_nat_gateways").paginate(Filter=filters).build_full_result()["NatGateways"]


@_Handler.common_error_handler("describe the security groups of {prefix}")
@AWSRetry.jittered_backoff()
def describe_security_groups(ec2, prefix: str, filters: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    paginator = ec2.get_paginator("describe_security_groups")
    return paginator.paginate(Filters=filters).build_full_result()["SecurityGroups"]


@_KmsHandler.list_error_handler("describe the KMS key {alias}", None)
@AWSRetry.jittered_backoff()
def describe_key(kms, alias: str) -> Optional[Dict[str, Any]]:
    return kms.describe_key(KeyId=alias)["KeyMetadata"]


@_Handler.common_error_handler("list the IAM roles under {path}")
@AWSRetry.jittered_backoff()
def list_roles(iam, path: str) -> List[Dict[str, Any]]:
    return iam.get_paginator("list_roles").paginate(PathPrefix=path).build_full_result()["Roles"]


@_RdsHandler.list_error_handler("describe the DB instance {identifier}", None)
@AWSRetry.jittered_backoff()
def describe_db_instance(rds, identifier: str) -> Optional[Dict[str, Any]]:
    instances = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"]
    return instances[0] if instances else None


@_ElastiCacheHandler.list_error_handler("describe the replication group {group_id}", None)
@AWSRetry.jittered_backoff()
def describe_replication_group(elasticache, group_id: str) -> Optional[Dict[str, Any]]:
    groups = elasticache.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"]
    return groups[0] if groups else None


@_Handler.common_error_handler("list the MSK clusters named {name}")
@AWSRetry.jittered_backoff()
def list_clusters(kafka, name: str) -> List[Dict[str, Any]]:
    paginator = kafka.get_paginator("list_clusters_v2")
    clusters = paginator.paginate(ClusterNameFilter=name).build_full_result()["ClusterInfoList"]
    return [cluster for cluster in clusters if cluster.get("ClusterName") == name]


@_KafkaHandler.list_error_handler("get the bootstrap brokers of {arn}", None)
@AWSRetry.jittered_backoff()
def get_bootstrap_brokers(kafka, arn: str) -> Optional[Dict[str, Any]]:
    return kafka.get_bootstrap_brokers(ClusterArn=arn)


def check_credentials(access_key=None, secret_key=None, session_token=None, profile=None) -> None:
    """Raise LayerLookupError naming the variables to set when boto3 finds no credentials (no AWS API call;
    botocore's chain may ask the instance metadata service)."""
    if not HAS_BOTO3:
        raise L.LayerLookupError("searching AWS needs the Python packages boto3 and botocore (pip install boto3)")
    try:
        session = boto3.session.Session(
            aws_access_key_id=access_key or None,
            aws_secret_access_key=secret_key or None,
            aws_session_token=session_token or None,
            profile_name=profile or None,
        )
        credentials = session.get_credentials()
    except botocore.exceptions.ProfileNotFound as exc:
        raise L.LayerLookupError(f"No AWS credentials: {exc}; {AWS_CREDENTIAL_HINT}") from None
    if credentials is None:
        raise L.LayerLookupError(f"No AWS credentials found: {AWS_CREDENTIAL_HINT}")


def find_aws(request: Dict[str, Any], client: Callable[[str], Any], iam_path: str = L.DEFAULT_IAM_PATH,
             warn: Callable[[str], None] = lambda message: None) -> Dict[str, Any]:
    """The normalised layers of ``request`` (layers.check_request) on AWS; ``client(service)`` gives a boto3
    client of the target's region. Raises AnsiblePlatformAWSError when a call fails."""
    result = L.empty_result(request, "aws")
    names = L.aws_names(request, iam_path)
    wanted = request["layers"]
    ec2 = client("ec2") if {"network", "security_groups"} & set(wanted) else None
    vpc = None
    if "network" in wanted:
        vpcs = describe_vpcs(ec2, names["vpc"], _filters(**{"tag:Name": names["vpc"]}, **_tag_filters(request, "network")))
        vpc = sorted(vpcs, key=lambda item: item.get("VpcId"))[0] if vpcs else None
        if len(vpcs) > 1:
            warn(f"{len(vpcs)} VPCs carry the name and tags of {names['vpc']}; using {vpc['VpcId']}")
        if vpc:
            subnet_filters = _filters(**{"vpc-id": vpc["VpcId"], "tag:owner": L.OWNER, "tag:layer": "network"})
            subnets = describe_subnets(ec2, vpc["VpcId"], subnet_filters)
            nat_filters = _filters(**{"vpc-id": vpc["VpcId"], "state": ["pending", "available"]})
            nats = describe_nat_gateways(ec2, vpc["VpcId"], nat_filters)
            nats = [nat for nat in nats if L.boto3_tags(nat).get("owner") == L.OWNER]
            result["network"] = L.aws_network(vpc, subnets, nats)
    if "security_groups" in wanted:
        filters = _tag_filters(request, "security_groups")
        if vpc:
            filters["vpc-id"] = vpc["VpcId"]
        groups = describe_security_groups(ec2, names["security_group_prefix"], _filters(**filters))
        groups = [group for group in groups if str(group.get("GroupName", "")).startswith(names["security_group_prefix"] + "-")]
        result["security_groups"] = L.aws_security_groups(groups)
    if "iam" in wanted:
        result["identities"] = L.aws_identities(list_roles(client("iam"), names["iam_path"]), names["role_prefix"])
    if "encryption" in wanted:
        kms = client("kms")
        result["encryption_keys"] = L.aws_keys({purpose: describe_key(kms, alias) for purpose, alias in names["key_aliases"].items()})
    if "database" in wanted:
        instance = describe_db_instance(client("rds"), names["db_instance"])
        if instance and not L.is_owned(L.boto3_tags(instance, "TagList"), request["platform"], request["environment"], "database"):
            warn(f"the DB instance {names['db_instance']} does not carry the database layer's tags: not ours, left out")
            instance = None
        result["database"] = L.aws_database(instance)
    if "cache" in wanted:
        result["cache"] = L.aws_cache(describe_replication_group(client("elasticache"), names["replication_group"]))
    if "kafka" in wanted:
        kafka = client("kafka")
        clusters = [cluster for cluster in list_clusters(kafka, names["kafka_cluster"])
                    if L.is_owned(cluster.get("Tags"), request["platform"], request["environment"], "kafka")]
        cluster = clusters[0] if clusters else None
        brokers = None
        if cluster and cluster.get("State") in KAFKA_READY_STATES:
            brokers = get_bootstrap_brokers(kafka, cluster["ClusterArn"])
        result["kafka"] = L.aws_kafka(cluster, brokers)
    return result
