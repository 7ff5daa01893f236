"""
Django's Redis cache backend, with one Redis client per connection pool, and what a cache
does while Redis does not answer.

Django's own client builds a new ``redis.Redis`` for every cache operation, and building
one fills its table of reply callbacks (about 170 entries): a third of a millisecond of
CPU per operation, more than the round trip itself. Every cached page or API answer
needs at least one operation, so that was a third of what a cache hit cost. A
``redis.Redis`` is safe to share between threads (its pool hands out connections) and
the pool reconnects after a fork, so one per pool is enough.

Redis stopped or stuck once made every page a 500. Now a failed operation (connection
refused, or no answer within the socket timeouts set in the settings) marks the server
as down for ``RETRY_SECONDS`` in this process: until then operations do not even try,
so a dead Redis costs a request nothing, and the first one after that tries again, so
caching resumes by itself. The log says so once per outage, not per request. What a
down server means depends on the cache:

- ``OutageTolerantRedisCache`` (rendered pages, API answers, content versions) answers
  as an empty cache that keeps nothing: readers get everything rendered fresh. A content
  version replaced during the outage (``cms.api_cache.bump``, an editor publishing) is
  written again once Redis answers, so pages cached under the old version before the
  outage are not served again after it.
- ``SharedClientRedisCache`` (the comment rules' flood windows and single-use tokens)
  raises ``CacheUnreachable``: a limit that cannot be checked must refuse, never pass.
"""

import logging
import re
import threading
from time import monotonic

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

#: How long a process leaves Redis alone after it failed to answer.
RETRY_SECONDS = 1.0
CREDENTIALS = re.compile(r"//[^@/]*@")


class CacheUnreachable(Exception):
    """The cache's server did not answer (or is resting after it did not)."""


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

    def set_many(self, data, timeout):
        """Keys that never expire (the content versions every comment replaces) in one
        MSET, which is atomic by itself: Django's client wraps it in a MULTI/EXEC pipeline
        for the EXPIREs it may add, which cost a comment POST more CPU than the write."""
        if timeout is not None:
            return super().set_many(data, timeout)
        client = self.get_client(None, write=True)
        client.mset({key: self._serializer.dumps(value) for key, value in data.items()})
        return None


class ServerState:
    """Whether one Redis server (as one cache sees it) answered last, for this process.

    Django makes a cache object per thread, so the state lives here, one per server and
    key prefix, shared by all of them.
    """

    _states = {}
    _states_lock = threading.Lock()

    def __init__(self, name):
        self.name = name
        self.down_since = None
        self.resting_until = 0.0
        self.unwritten = {}  # key -> value of never-expiring writes made while down
        self._lock = threading.Lock()

    @classmethod
    def of(cls, name):
        with cls._states_lock:
            if name not in cls._states:
                cls._states[name] = cls(name)
            return cls._states[name]

    def resting(self):
        return self.down_since is not None and monotonic() < self.resting_until

    def failed(self, error):
        with self._lock:
            now = monotonic()
            first = self.down_since is None
            if first:
                self.down_since = now
            self.resting_until = now + RETRY_SECONDS
        if first:
            logger.warning(
                "Cache %s: Redis does not answer (%s); retrying every %s s until it does.",
                self.name,
                error,
                RETRY_SECONDS,
            )

    def keep_unwritten(self, writes):
        with self._lock:
            self.unwritten.update(writes)

    def take_unwritten(self):
        with self._lock:
            unwritten, self.unwritten = self.unwritten, {}
        return unwritten

    def answered(self):
        with self._lock:
            if self.down_since is None:
                return
            seconds = monotonic() - self.down_since
            self.down_since = None
        logger.warning("Cache %s: Redis answers again after %.1f s.", self.name, seconds)


class SharedClientRedisCache(RedisCache):
    """Raises ``CacheUnreachable`` while Redis does not answer."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
        # Named in the log without the password a REDIS_URL may carry.
        location = CREDENTIALS.sub("//", str(server))
        self._state = ServerState.of(f"{params.get('KEY_PREFIX', '')}@{location}")

    def _call(self, operation, *args, **kwargs):
        if self._state.resting():
            raise CacheUnreachable(f"Redis for cache {self._state.name} is down")
        try:
            if self._state.down_since is not None:
                self._recover()
            return getattr(super(), operation)(*args, **kwargs)
        except RedisError as error:
            self._state.failed(error)
            raise CacheUnreachable(f"Redis for cache {self._state.name}: {error}") from error

    def _recover(self):
        """First contact after an outage: the never-expiring writes that failed during it
        (content versions) are made before anything is read, or the first read would
        still get the version from before the outage and its cached pages."""
        unwritten = self._state.take_unwritten()
        try:
            if unwritten:
                self._cache.set_many(unwritten, None)
            else:
                self._cache.get_client().ping()
        except RedisError:
            self._state.keep_unwritten(unwritten)
            raise
        self._state.answered()

    def ping(self):
        """Ask the server itself, whatever the state says (the health check)."""
        try:
            if self._state.down_since is not None:
                self._recover()
            else:
                self._cache.get_client().ping()
        except RedisError as error:
            self._state.failed(error)
            raise CacheUnreachable(str(error)) from error

    def add(self, *args, **kwargs):
        return self._call("add", *args, **kwargs)

    def get(self, *args, **kwargs):
        return self._call("get", *args, **kwargs)

    def set(self, *args, **kwargs):
        return self._call("set", *args, **kwargs)

    def touch(self, *args, **kwargs):
        return self._call("touch", *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._call("delete", *args, **kwargs)

    def get_many(self, *args, **kwargs):
        return self._call("get_many", *args, **kwargs)

    def has_key(self, *args, **kwargs):
        return self._call("has_key", *args, **kwargs)

    def incr(self, *args, **kwargs):
        return self._call("incr", *args, **kwargs)

    def set_many(self, *args, **kwargs):
        return self._call("set_many", *args, **kwargs)

    def delete_many(self, *args, **kwargs):
        return self._call("delete_many", *args, **kwargs)

    def clear(self):
        return self._call("clear")


class OutageTolerantRedisCache(SharedClientRedisCache):
    """Answers as an empty cache that keeps nothing while Redis does not answer."""

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except CacheUnreachable:
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except CacheUnreachable:
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except CacheUnreachable:
            return False

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().add(key, value, timeout, version=version)
        except CacheUnreachable:
            return False

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set(key, value, timeout, version=version)
        except CacheUnreachable:
            self._keep_unwritten({key: value}, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version=version)
        except CacheUnreachable:
            self._keep_unwritten(data, timeout, version)
            return list(data)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version=version)
        except CacheUnreachable:
            return False

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except CacheUnreachable:
            return False

    def delete_many(self, keys, version=None):
        try:
            return super().delete_many(keys, version)
        except CacheUnreachable:
            return None

    def clear(self):
        try:
            return super().clear()
        except CacheUnreachable:
            return None

    def _keep_unwritten(self, data, timeout, version):
        """Writes meant to last (content versions) are made once Redis is back; writes
        that expire are copies of something that can be rendered again, and are dropped."""
        if timeout is None:
            self._state.keep_unwritten(
                {self.make_and_validate_key(key, version): value for key, value in data.items()}
            )
