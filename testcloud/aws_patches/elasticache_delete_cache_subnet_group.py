"""ElastiCache DeleteCacheSubnetGroup deletes the group (AWS errors for unknown and in-use groups).

AWS: DeleteCacheSubnetGroup removes the group; an unknown name fails with
``CacheSubnetGroupNotFoundFault``, a group still used by a cache cluster or replication group with
``CacheSubnetGroupInUse``.

moto 5.2.5: the action is not implemented (HTTP 500 ``NotImplementedError``), so no teardown of the
cache layer can remove its subnet group.
"""

from moto.core.responses import EmptyResult
from moto.elasticache.exceptions import CacheSubnetGroupNotFound, ElastiCacheException
from moto.elasticache.models import ElastiCacheBackend
from moto.elasticache.responses import ElastiCacheResponse

MARKER = "_testcloud_delete_cache_subnet_group"


class CacheSubnetGroupInUse(ElastiCacheException):
    """The AWS client error for deleting a subnet group that a cluster still uses."""

    code = "CacheSubnetGroupInUse"

    def __init__(self, name):
        super().__init__(f"Cache subnet group {name} is currently in use by a cache cluster or replication group.")


def delete_cache_subnet_group(backend, name):
    """Remove the group ``name`` from ``backend``, with AWS's errors."""
    if name not in backend.cache_subnet_groups:
        raise CacheSubnetGroupNotFound(name)
    users = [*backend.cache_clusters.values(), *backend.replication_groups.values()]
    if any(getattr(user, "cache_subnet_group_name", None) == name for user in users):
        raise CacheSubnetGroupInUse(name)
    del backend.cache_subnet_groups[name]


def _respond(self):
    delete_cache_subnet_group(self.elasticache_backend, self._get_param("CacheSubnetGroupName"))
    return EmptyResult()


def apply():
    """Add the backend method and the response handler."""
    if getattr(ElastiCacheResponse, MARKER, False):
        return False
    ElastiCacheBackend.delete_cache_subnet_group = delete_cache_subnet_group
    ElastiCacheResponse.delete_cache_subnet_group = _respond
    setattr(ElastiCacheResponse, MARKER, True)
    return True
