"""
PostgreSQL restarted or stopped under gunicorn (issue 17). Before, each worker's kept-open
connection failed its next request after a restart (a 500 per worker: ``terminating
connection due to administrator command``), and a request that met the database down was
a 500 with a traceback.

The database is a throwaway cluster of this module's own (``initdb``, ``pg_ctl``), migrated
and seeded once; the server is gunicorn with two workers under production settings. The
requests carry an Authorization header so that no cache in Django answers them: every one
of them reaches the database.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import requests

from tests.reliability.postgres_cluster import PostgresCluster
from tests.reliability.servers import REPO, GunicornServer, Site

WORKERS = 2
UNCACHED = {"Authorization": "Bearer not-a-moderator", "Connection": "close"}


@pytest.fixture(scope="module")
def cluster():
    reason = PostgresCluster.unavailable_reason()
    if reason:
        pytest.skip(reason)
    cluster = PostgresCluster().create()
    yield cluster
    cluster.drop()


@pytest.fixture(scope="module")
def server(cluster):
    site = Site(cluster, Path(tempfile.mkdtemp(prefix="cms-faults-pg-site-")))
    environment = site.environment()
    for command in (["migrate", "-v0"], ["load_seed_content"]):
        done = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=REPO,
            env=environment,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, f"manage.py {command[0]} failed:\n{done.stderr[-3000:]}"
    (post_id,) = cluster.query("SELECT page_ptr_id FROM blog_blogpostpage")[0]
    site.facts = {"post_id": post_id}
    running = GunicornServer(site, workers=WORKERS)
    running.start()
    yield running
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
