"""
``/health/``: what a load balancer polls, and what an operator reads first in an outage.

Each part this site runs on is reported on its own: the database, the cache (Redis in
production) and the task queue (``manage.py db_worker``'s backlog). Only a database that
does not answer makes this node unfit to serve (503, so the balancer takes it out):
without Redis pages are served uncached and comments refused for a while, and without a
worker notices wait in the database; those are reported as ``degraded`` with a 200, so a
whole fleet is not taken out for what every node shares. The answer names no host,
address or error text a visitor could use, and is never cached.
"""

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .redis_cache import CacheUnreachable

#: A backlog whose oldest task waited longer than this says the worker is not running.
TASKS_LATE_SECONDS = 5 * 60


def database_health():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return {"status": "unavailable"}
    return {"status": "ok"}


def cache_health():
    answers = []
    for alias in settings.CACHES.keys() & {"default", settings.COMMENT_LIMITS_CACHE}:
        cache = caches[alias]
        if not hasattr(cache, "ping"):
            return {"status": "ok", "shared": False}  # each process's own memory
        try:
            cache.ping()
        except CacheUnreachable:
            answers.append(False)
        else:
            answers.append(True)
    return {"status": "ok" if all(answers) else "unavailable", "shared": True}


def task_queue_health(database_answers):
    backend = settings.TASKS["default"]["BACKEND"]
    if backend != settings.DATABASE_TASKS_BACKEND:
        return {"status": "ok", "queued": False}
    if not database_answers:
        return {"status": "unknown", "queued": True}
    from django_tasks_db.models import DBTaskResult

    try:
        ready = DBTaskResult.objects.ready()
        waiting = ready.count()
        oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    except DatabaseError:
        return {"status": "unknown", "queued": True}
    oldest_seconds = int((timezone.now() - oldest).total_seconds()) if oldest else 0
    return {
        "status": "late" if oldest_seconds > TASKS_LATE_SECONDS else "ok",
        "queued": True,
        "waiting": waiting,
        "oldest_waiting_seconds": oldest_seconds,
    }


@never_cache
@require_GET
def health(request):
    database = database_health()
    parts = {
        "database": database,
        "cache": cache_health(),
        "tasks": task_queue_health(database["status"] == "ok"),
    }
    if database["status"] != "ok":
        status = "unavailable"
    elif all(part["status"] == "ok" for part in parts.values()):
        status = "ok"
    else:
        status = "degraded"
    response = JsonResponse(
        {"status": status, **parts}, status=503 if status == "unavailable" else 200
    )
    if status == "unavailable":
        response["Retry-After"] = "10"
    return response
