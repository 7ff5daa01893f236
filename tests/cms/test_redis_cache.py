"""The Redis cache backend: Django's, sharing one client per pool instead of one per call."""

import os

from django.core.cache.backends.redis import RedisCache

import pytest
import redis

from cms.redis_cache import SharedClientRedisCache

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_cache():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {error}")
    cache = SharedClientRedisCache(REDIS_URL, {"KEY_PREFIX": "test-shared-client"})
    yield cache
    cache.clear()


def test_it_is_djangos_redis_cache(redis_cache):
    assert isinstance(redis_cache, RedisCache)


def test_operations_reuse_one_client(redis_cache):
    redis_cache.set("a", 1)
    first = redis_cache._cache.get_client(write=True)
    redis_cache.get_many(["a", "b"])
    redis_cache.add("b", 2)

    assert redis_cache._cache.get_client(write=True) is first
    assert redis_cache.get_many(["a", "b"]) == {"a": 1, "b": 2}
    assert redis_cache.add("b", 3) is False
    assert redis_cache.get("b") == 2
