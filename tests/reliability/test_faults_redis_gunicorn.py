"""
Redis stopped under gunicorn with two workers and production settings (issue 17): pages
and API answers keep coming (before: every one a 500), a comment is refused with 503 and
Retry-After and not stored, each worker logs the outage once, and when Redis is back the
pages are cached again without a restart. In-process details: ``test_faults_redis.py``.
"""

import time

import pytest
import requests

from tests.reliability.redis_server import RedisServer
from tests.reliability.servers import GunicornServer

WORKERS = 2
BROWSER = "Mozilla/5.0 (redis faults test)"
HEADERS = {"User-Agent": BROWSER, "Connection": "close"}


@pytest.fixture(scope="module")
def redis_server():
    reason = RedisServer.unavailable_reason()
    if reason:
        pytest.skip(reason)
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def server(reliability_sites, redis_server):
    running = GunicornServer(
        reliability_sites.get("sqlite"),
        workers=WORKERS,
        extra_environment={
            "REDIS_URL": redis_server.url,
            "CACHE_KEY_PREFIX": "faults",
            "CACHE_PER_PROCESS": "",
            "COMMENTS_RATE_LIMITS": "on",
        },
    )
    running.start()
    yield running
    running.stop()


def get(server, path):
    return requests.get(server.url(path), headers=HEADERS, timeout=30)


def test_readers_are_served_and_comments_refused_while_redis_is_stopped(server, redis_server):
    facts = server.site.facts
    reads = [facts["post_path"], "/blog/", f"/api/v3/comments/?page={facts['post_id']}"]
    token = get(server, f"/api/v3/comments/form-token/?page={facts['post_id']}").json()["token"]
    stored_before = server.site.database.query("SELECT count(*) FROM comments_comment")

    redis_server.stop()
    try:
        answers = [get(server, path) for _round in range(3) for path in reads]
        comment = requests.post(
            server.url("/api/v3/comments/"),
            json={
                "page": facts["post_id"],
                "author_name": "Reader Without Redis",
                "author_email": "no-redis@faults.example",
                "body": "Posted while Redis was stopped.",
                "token": token,
            },
            headers=HEADERS,
            timeout=30,
        )
    finally:
        redis_server.start()

    assert [answer.status_code for answer in answers] == [200] * len(answers), server.log_tail()
    assert comment.status_code == 503
    assert comment.headers["Retry-After"] == "30"
    assert comment.headers["Content-Type"] == "application/problem+json"
    assert server.site.database.query("SELECT count(*) FROM comments_comment") == stored_before
    outage_lines = server.log.count("Cache faults@")
    assert 1 <= outage_lines <= 2 * WORKERS * 2  # per worker and cache: down, then back
    assert "Traceback" not in server.log

    time.sleep(1.5)  # the workers leave Redis alone for a second after it failed
    hits = [get(server, facts["post_path"]).headers.get("X-Page-Cache") for _ in range(6)]
    assert "hit" in hits
