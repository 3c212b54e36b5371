"""ElastiCache ModifyCacheSubnetGroup changes a subnet group's description and subnets.

AWS: ModifyCacheSubnetGroup replaces the description and/or the subnet list (all subnets of one
VPC) and answers the group; an unknown name fails with ``CacheSubnetGroupNotFoundFault``.
CreateCacheSubnetGroup / DescribeCacheSubnetGroups report each subnet's zone as
``SubnetAvailabilityZone: {"Name": "us-east-1a"}``.

moto 5.2.5: the action is not implemented (HTTP 500), so a change of the data subnets (a zone added)
cannot be applied; and each subnet's zone is answered empty (``{}``, moto keeps the name where the
serializer does not look).
"""

from moto.core.responses import ActionResult
from moto.elasticache.exceptions import CacheSubnetGroupNotFound
from moto.elasticache.models import CacheSubnetGroup, ElastiCacheBackend
from moto.elasticache.responses import ElastiCacheResponse

from testcloud.aws_patches._patching import wrap_method

MARKER = "_testcloud_modify_cache_subnet_group"
PATCH_NAME = __name__.rsplit(".", 1)[-1]


def _fix_zones(group):
    for subnet in group.subnets:
        zone = subnet.get("subnet_availability_zone")
        if isinstance(zone, str):
            subnet["subnet_availability_zone"] = {"name": zone}
    return group


def _wrap_init(original):
    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        _fix_zones(self)

    return __init__


def modify_cache_subnet_group(backend, name, description=None, subnet_ids=None):
    """Replace the description and/or subnets of the group ``name``; the group."""
    group = backend.cache_subnet_groups.get(name)
    if group is None:
        raise CacheSubnetGroupNotFound(name)
    if subnet_ids:
        rebuilt = CacheSubnetGroup(
            account_id=backend.account_id,
            region_name=backend.region_name,
            cache_subnet_group_name=name,
            cache_subnet_group_description=group.cache_subnet_group_description,
            subnet_ids=subnet_ids,
            tags=group.tags,
        )
        group.subnet_ids = rebuilt.subnet_ids
        group.subnets = rebuilt.subnets
        group.vpc_id = rebuilt.vpc_id
        group.supported_network_types = rebuilt.supported_network_types
    if description is not None:
        group.cache_subnet_group_description = description
    return group


def _respond(self):
    group = modify_cache_subnet_group(
        self.elasticache_backend,
        self._get_param("CacheSubnetGroupName"),
        self._get_param("CacheSubnetGroupDescription"),
        self._get_param("SubnetIds", []),
    )
    return ActionResult({"CacheSubnetGroup": group})


def apply():
    """Add the backend method and the response handler; report subnet zones by name."""
    if getattr(ElastiCacheResponse, MARKER, False):
        return False
    ElastiCacheBackend.modify_cache_subnet_group = modify_cache_subnet_group
    ElastiCacheResponse.modify_cache_subnet_group = _respond
    wrap_method(CacheSubnetGroup, "__init__", PATCH_NAME, _wrap_init)
    setattr(ElastiCacheResponse, MARKER, True)
    return True
