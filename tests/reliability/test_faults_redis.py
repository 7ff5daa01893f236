"""
Redis stopped or stuck (issue 17): readers still get pages and API answers, uncached,
and the log says so once; comments are refused with a 503 and Retry-After rather than
accepted unchecked; caching resumes by itself when Redis answers, and a content version
replaced during the outage is not undone by it. Before, every page and API answer was a
500 (``redis.exceptions.ConnectionError``) until Redis came back.

Each test runs its own ``redis-server`` and stops or freezes it; the caches are set up as
production sets them (``cms.settings.base`` with REDIS_URL). Through gunicorn:
``test_faults_redis_gunicorn.py``.
"""

import logging
import time

from django.test import Client

import pytest

from blog.comments.models import Comment, CommentSettings
from cms import redis_cache
from tests.comments.conftest import form_data
from tests.reliability.redis_server import RedisServer

RETRY_SECONDS = 0.3
UNAVAILABLE = "Comments cannot be checked right now"


def own_redis(keep_data=False):
    reason = RedisServer.unavailable_reason()
    if reason:
        pytest.skip(reason)
    server = RedisServer(keep_data=keep_data)
    yield server.start()
    server.remove()


@pytest.fixture
def redis_server():
    yield from own_redis()


@pytest.fixture
def redis_keeping_data():
    yield from own_redis(keep_data=True)


@pytest.fixture
def caches_in_redis(redis_server, settings, monkeypatch):
    return use_redis_caches(redis_server, settings, monkeypatch)


@pytest.fixture
def caches_in_redis_keeping_data(redis_keeping_data, settings, monkeypatch):
    return use_redis_caches(redis_keeping_data, settings, monkeypatch)


def use_redis_caches(redis_server, settings, monkeypatch):
    monkeypatch.setattr(redis_cache, "RETRY_SECONDS", RETRY_SECONDS)
    settings.COMMENTS_MIN_SECONDS_TO_POST = 0
    settings.CACHES = {
        "default": {
            "BACKEND": "cms.redis_cache.OutageTolerantRedisCache",
            "LOCATION": redis_server.url,
            "KEY_PREFIX": "faults",
            "OPTIONS": settings.REDIS_OPTIONS,
        },
        settings.COMMENT_LIMITS_CACHE: {
            "BACKEND": "cms.redis_cache.SharedClientRedisCache",
            "LOCATION": redis_server.url,
            "KEY_PREFIX": "faults-limits",
            "OPTIONS": settings.REDIS_OPTIONS,
        },
    }
    return redis_server


@pytest.fixture(autouse=True)
def comment_rules(db):
    """Creating the rules row replaces the content versions: made before any page is
    cached, as on a running site."""
    return CommentSettings.load()


def reader_urls(post, index):
    return [
        post.url,
        index.url,
        f"/api/v3/comments/?page={post.pk}",
        f"/api/v2/pages/{post.pk}/",
    ]


def outage_lines(caplog, words):
    return [record for record in caplog.records if words in record.getMessage()]


def test_readers_get_every_page_uncached_while_redis_is_stopped(
    caches_in_redis, seed_post, blog_index, caplog
):
    client = Client()
    caches_in_redis.stop()

    with caplog.at_level(logging.WARNING, logger="cms.redis_cache"):
        for _round in range(3):
            for url in reader_urls(seed_post, blog_index):
                response = client.get(url)
                assert response.status_code == 200, url
                assert response.get("X-Page-Cache") != "hit", url
                time.sleep(RETRY_SECONDS / 4)

    # Once for the outage, however many requests met it (the pages use only "default").
    assert len(outage_lines(caplog, "Redis does not answer")) == 1


def test_comments_are_refused_with_503_while_the_limits_store_is_stopped(
    caches_in_redis, seed_post
):
    client = Client()
    stored = Comment.objects.count()
    caches_in_redis.stop()

    token = client.get("/api/v3/comments/form-token/", {"page": seed_post.pk})
    assert token.status_code == 503
    assert token["Retry-After"] == "30"
    assert token["Content-Type"] == "application/problem+json"

    api = client.post(
        "/api/v3/comments/",
        {
            "page": seed_post.pk,
            "author_name": "Ada Reader",
            "author_email": "ada@example.com",
            "body": "Posted while Redis was down.",
            "token": form_data(seed_post)["token"],
        },
        content_type="application/json",
    )
    assert api.status_code == 503
    assert api["Retry-After"] == "30"
    assert api["Content-Type"] == "application/problem+json"
    assert UNAVAILABLE in api.json()["detail"]

    form = client.post(
        f"/comments/post/{seed_post.pk}/",
        form_data(seed_post, body="My words, kept while Redis was down."),
    )
    assert form.status_code == 503
    assert form["Retry-After"] == "30"
    page = form.content.decode()
    assert UNAVAILABLE in page
    assert "My words, kept while Redis was down." in page

    assert Comment.objects.count() == stored


def test_a_stuck_redis_costs_its_timeout_and_caching_resumes_when_it_answers(
    caches_in_redis, seed_post, caplog
):
    client = Client()
    caches_in_redis.freeze()
    with caplog.at_level(logging.WARNING, logger="cms.redis_cache"):
        assert client.get(seed_post.url).status_code == 200
        posted = client.post(f"/comments/post/{seed_post.pk}/", form_data(seed_post))
        assert posted.status_code == 503

        caches_in_redis.thaw()
        time.sleep(RETRY_SECONDS)
        first = client.get(seed_post.url)
        again = client.get(seed_post.url)

    assert (first.status_code, again.status_code) == (200, 200)
    assert again["X-Page-Cache"] == "hit"
    assert len(outage_lines(caplog, "Redis answers again")) >= 1
    stored = Comment.objects.count()
    assert client.post(f"/comments/post/{seed_post.pk}/", form_data(seed_post)).status_code == 303
    assert Comment.objects.count() == stored + 1


def test_a_change_published_while_redis_was_down_is_not_undone_when_it_returns(
    caches_in_redis_keeping_data, seed_post
):
    """Redis comes back with what it held (saved on shutdown, as Debian's does): the page
    version from before the outage must not come back with it, or the page cached under it
    (here, and in every worker's memory) would be served again with the old title."""
    client = Client()
    client.get(seed_post.url)
    assert client.get(seed_post.url)["X-Page-Cache"] == "hit"

    caches_in_redis_keeping_data.stop()
    seed_post.title = "Retitled while Redis was down"
    seed_post.save_revision().publish()
    assert "Retitled while Redis was down" in client.get(seed_post.url).content.decode()

    caches_in_redis_keeping_data.start()
    time.sleep(RETRY_SECONDS)
    for _round in range(2):
        response = client.get(seed_post.url)
        assert response.status_code == 200
        assert "Retitled while Redis was down" in response.content.decode()
    assert response["X-Page-Cache"] == "hit"


def test_versions_lost_with_redis_never_match_pages_a_worker_keeps(caches_in_redis, seed_post):
    """Redis restarted empty: the page this worker keeps in memory (cms.recent_responses)
    was stored under the lost version and must not be served under the new one."""
    client = Client()
    client.get(seed_post.url)
    assert client.get(seed_post.url)["X-Page-Cache"] == "hit"

    caches_in_redis.stop()
    caches_in_redis.start()
    time.sleep(RETRY_SECONDS)

    assert client.get(seed_post.url)["X-Page-Cache"] == "miss"
    time.sleep(RETRY_SECONDS)  # in case that request found the old connection broken
    client.get(seed_post.url)
    assert client.get(seed_post.url)["X-Page-Cache"] == "hit"


def test_the_outage_log_names_redis_without_its_password(settings, caplog, seed_post):
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "cms.redis_cache.OutageTolerantRedisCache",
            "LOCATION": "redis://:hunter2@127.0.0.1:1/0",
            "KEY_PREFIX": "faults-password",
            "OPTIONS": settings.REDIS_OPTIONS,
        },
    }
    with caplog.at_level(logging.WARNING, logger="cms.redis_cache"):
        assert Client().get(seed_post.url).status_code == 200

    (line,) = outage_lines(caplog, "Redis does not answer")
    assert "127.0.0.1:1" in line.getMessage()
    assert "hunter2" not in caplog.text
