"""
Django's Redis cache backend, with one Redis client per connection pool.

Django's own client builds a new ``redis.Redis`` for every cache operation, and building
one fills its table of reply callbacks (about 170 entries): a third of a millisecond of
CPU per operation, more than the round trip itself. Every cached page or API answer
needs at least one operation, so that was a third of what a cache hit cost. A
``redis.Redis`` is safe to share between threads (its pool hands out connections) and
the pool reconnects after a fork, so one per pool is enough.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class SharedClientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
