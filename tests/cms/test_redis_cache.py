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


def test_set_many_without_a_timeout_is_one_mset_that_never_expires(redis_cache):
    client = redis_cache._cache.get_client(write=True)
    redis_cache.set("version", "old", 60)
    sent = []
    execute_command = client.execute_command

    def record(*args, **options):
        sent.append(args[0])
        return execute_command(*args, **options)

    client.execute_command = record
    try:
        redis_cache.set_many({"version": "new", "other": 2}, None)
    finally:
        del client.execute_command

    assert sent == ["MSET"]
    assert redis_cache.get_many(["version", "other"]) == {"version": "new", "other": 2}
    assert client.ttl(redis_cache.make_key("version")) == -1  # the old expiry is gone


def test_set_many_with_a_timeout_sets_each_expiry(redis_cache):
    redis_cache.set_many({"a": 1, "b": 2}, 60)

    client = redis_cache._cache.get_client(write=True)
    assert redis_cache.get_many(["a", "b"]) == {"a": 1, "b": 2}
    assert 0 < client.ttl(redis_cache.make_key("a")) <= 60
    assert 0 < client.ttl(redis_cache.make_key("b")) <= 60
