"""Content versions (cms.api_cache.current_versions) when the cache was emptied."""

from django.core.cache import cache

from cms.api_cache import COMMENTS, MEDIA, PAGES, VERSION_KEY_PREFIX, current_versions


class CountingCache:
    """The default cache, counting the calls (each a round trip to Redis in production)."""

    def __init__(self, real):
        self.real = real
        self.calls = []

    def __getattr__(self, name):
        method = getattr(self.real, name)

        def counted(*args, **kwargs):
            self.calls.append(name)
            return method(*args, **kwargs)

        return counted


def test_versions_made_on_an_empty_cache_are_the_stored_ones(monkeypatch):
    cache.clear()
    counting = CountingCache(cache)
    monkeypatch.setattr("cms.api_cache.cache", counting)

    made = current_versions([PAGES, MEDIA, COMMENTS])

    assert made == [cache.get(VERSION_KEY_PREFIX + scope) for scope in (PAGES, MEDIA, COMMENTS)]
    assert len(set(made)) == 3
    # One read of all, then one add per missing version: no read back of what was added.
    assert counting.calls == ["get_many", "add", "add", "add"]
    counting.calls.clear()
    assert current_versions([PAGES, MEDIA, COMMENTS]) == made
    assert counting.calls == ["get_many"]


def test_a_version_another_worker_added_first_is_the_one_used(monkeypatch):
    cache.clear()
    cache.set(VERSION_KEY_PREFIX + PAGES, "theirs", None)
    # This worker read before the other one added its version.
    monkeypatch.setattr(cache, "get_many", lambda keys: {})

    assert current_versions([PAGES]) == ["theirs"]
    assert cache.get(VERSION_KEY_PREFIX + PAGES) == "theirs"


def test_a_cache_that_does_not_answer_gives_a_version_matching_nothing(monkeypatch):
    monkeypatch.setattr(cache, "get_many", lambda keys: {})
    monkeypatch.setattr(cache, "add", lambda *args, **kwargs: False)
    monkeypatch.setattr(cache, "get", lambda *args, **kwargs: None)

    first, second = current_versions([PAGES]), current_versions([PAGES])

    assert first != second
