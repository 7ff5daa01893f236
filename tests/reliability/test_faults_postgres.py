"""
PostgreSQL restarted or stopped under gunicorn (issue 17). Before, each worker's kept-open
connection failed its next request after a restart (a 500 per worker: ``terminating
connection due to administrator command``), and a request that met the database down was
a 500 with a traceback.

The database is a throwaway cluster of this module's own (``initdb``, ``pg_ctl``), migrated
and seeded once; the server is gunicorn with two workers under production settings. The
requests carry an Authorization header so that no cache in Django answers them: every one
of them reaches the database. ``manage.py db_worker`` polls the same database; before, its
kept-open connection failed its first poll after a restart and the worker exited.
"""

import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from tests.reliability.servers import REPO, GunicornServer

WORKERS = 2
UNCACHED = {"Authorization": "Bearer not-a-moderator", "Connection": "close"}


@pytest.fixture(scope="module")
def server(cluster, cluster_site):
    site = cluster_site
    (post_id,) = cluster.query("SELECT page_ptr_id FROM blog_blogpostpage")[0]
    site.facts = {"post_id": post_id}
    running = GunicornServer(site, workers=WORKERS)
    try:
        yield running.start()
    finally:
        running.stop()


def read_pages(server, times):
    """Status codes of ``times`` uncached reads, each on a new connection, so the workers
    take turns."""
    return [
        requests.get(server.url("/api/v2/pages/"), headers=UNCACHED, timeout=30).status_code
        for _ in range(times)
    ]


def test_requests_after_a_restart_find_their_connections_replaced(server, cluster):
    assert set(read_pages(server, 4 * WORKERS)) == {200}  # every worker holds a connection

    cluster.restart()

    assert read_pages(server, 4 * WORKERS) == [200] * (4 * WORKERS), server.log_tail()
    assert "Traceback" not in server.log


def test_a_request_that_meets_the_database_down_gets_503_with_retry_after(server, cluster):
    read_pages(server, 2 * WORKERS)
    cluster.stop()
    try:
        api = requests.get(server.url("/api/v2/pages/"), headers=UNCACHED, timeout=30)
        health = requests.get(server.url("/health/"), timeout=30)
        post = requests.post(
            server.url("/api/v3/comments/"),
            json={"page": server.site.facts["post_id"], "body": "Sent while the database was down"},
            headers={"Connection": "close"},
            timeout=30,
        )
    finally:
        cluster.start()

    assert api.status_code == 503
    assert api.headers["Retry-After"] == "10"
    assert api.headers["Content-Type"] == "application/problem+json"
    assert health.status_code == 503
    assert health.json()["database"] == {"status": "unavailable"}
    assert post.status_code in (422, 503)  # nothing stored either way
    assert "Database unavailable" in server.log
    assert "Traceback" not in server.log

    assert set(read_pages(server, 2 * WORKERS)) == {200}
    assert requests.get(server.url("/health/"), timeout=30).json()["database"] == {"status": "ok"}
    stored = cluster.query(
        "SELECT count(*) FROM comments_comment WHERE body LIKE %s", ["%database was down%"]
    )
    assert stored == [(0,)]


def enqueue_notice_sweep(cluster):
    """A task queued as ``send_held_comment_notices.enqueue()`` queues it (it finds no held
    comment and finishes), written straight into the queue: no Django process needed."""
    (task_id,) = cluster.query(
        "INSERT INTO django_tasks_database_dbtaskresult (id, status, enqueued_at, args_kwargs,"
        " priority, task_path, worker_ids, queue_name, backend_name, run_after,"
        " return_value, exception_class_path, traceback)"
        " VALUES (gen_random_uuid(), 'READY', now(), '{\"args\": [], \"kwargs\": {}}', 0,"
        " 'blog.comments.notify.send_held_comment_notices', '[]', 'default', 'default',"
        " '9999-01-01T00:00:00Z', 'null', '', '') RETURNING id"
    )[0]
    return task_id


def task_status(cluster, task_id, seconds=20):
    deadline = time.monotonic() + seconds
    while True:
        (status,) = cluster.query(
            "SELECT status FROM django_tasks_database_dbtaskresult WHERE id = %s", [task_id]
        )[0]
        if status in ("SUCCESSFUL", "FAILED") or time.monotonic() > deadline:
            return status
        time.sleep(0.2)


def test_the_task_worker_reconnects_after_a_restart_and_runs_what_waited(server, cluster):
    log_path = server.site.directory / "db_worker.log"
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay"],
            cwd=REPO,
            env=server.site.environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        assert task_status(cluster, enqueue_notice_sweep(cluster)) == "SUCCESSFUL"

        cluster.restart()
        waited = enqueue_notice_sweep(cluster)

        assert task_status(cluster, waited) == "SUCCESSFUL", log_path.read_text()[-3000:]
        assert worker.poll() is None, log_path.read_text()[-3000:]
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=10)
