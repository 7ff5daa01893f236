"""
``/health/`` for load balancers (issue 17): each part reported on its own, 503 only when
the database is gone (``test_faults_postgres.py`` stops one under gunicorn), a Redis
outage or a late task worker reported as degraded with a 200, and never cached.
"""

import datetime

from django.test import Client
from django.utils import timezone

import pytest

from blog.comments.notify import send_held_comment_notices
from tests.reliability.redis_server import RedisServer


@pytest.fixture
def redis_server():
    reason = RedisServer.unavailable_reason()
    if reason:
        pytest.skip(reason)
    server = RedisServer().start()
    yield server
    server.stop()


def health():
    return Client().get("/health/")


def test_everything_answers(db):
    response = health()

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": {"status": "ok"},
        "cache": {"status": "ok", "shared": False},
        "tasks": {"status": "ok", "queued": False},
    }
    assert "no-store" in response["Cache-Control"]


def test_redis_down_is_degraded_not_unavailable(db, settings, redis_server):
    settings.CACHES = {
        alias: {
            "BACKEND": backend,
            "LOCATION": redis_server.url,
            "KEY_PREFIX": f"health-{alias}",
            "OPTIONS": settings.REDIS_OPTIONS,
        }
        for alias, backend in [
            ("default", "cms.redis_cache.OutageTolerantRedisCache"),
            (settings.COMMENT_LIMITS_CACHE, "cms.redis_cache.SharedClientRedisCache"),
        ]
    }
    assert health().json()["cache"] == {"status": "ok", "shared": True}

    redis_server.stop()
    response = health()

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["cache"] == {"status": "unavailable", "shared": True}


def test_a_backlog_the_worker_left_is_reported_late(db, settings):
    settings.TASKS = {"default": {"BACKEND": settings.DATABASE_TASKS_BACKEND}}
    from django_tasks_db.models import DBTaskResult

    send_held_comment_notices.enqueue()
    DBTaskResult.objects.update(enqueued_at=timezone.now() - datetime.timedelta(minutes=20))

    response = health()

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["tasks"]["status"] == "late"
    assert body["tasks"]["waiting"] == 1
    assert body["tasks"]["oldest_waiting_seconds"] >= 20 * 60
