"""
Fixtures for the reliability tests: production-like servers on SQLite and PostgreSQL, and
a file-backed SQLite database for tests that write from several threads.

Preparing a site (migrate, seed, collectstatic in a subprocess) takes most of these tests'
time, so both sites start preparing in the background as soon as collection shows that a
test needs a server, and get ready while the tests before it run. Databases, temporary
directories and cache keys go when the session ends.
"""

import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
from contextlib import ExitStack, closing
from pathlib import Path

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper

import pytest

from tests.headless.conftest import Receiver
from tests.reliability.postgres_cluster import PostgresCluster
from tests.reliability.servers import (
    REPO,
    GunicornServer,
    PostgresDatabase,
    Site,
    SqliteDatabase,
    postgres_unavailable_reason,
    redis_answers,
)

BACKENDS = ("sqlite", "postgresql")
HERE = Path(__file__).parent


class Sites:
    """The prepared sites of this session, one per database backend, made on first use."""

    def __init__(self):
        self._directory = None
        self._sites = {}
        self._unavailable = {}

    def start(self, backends=BACKENDS):
        for backend in backends:
            if backend in self._sites or backend in self._unavailable:
                continue
            if backend == "postgresql":
                reason = postgres_unavailable_reason()
                if reason:
                    self._unavailable[backend] = reason
                    continue
            self._sites[backend] = self._make(backend).start()

    def _make(self, backend):
        if self._directory is None:
            self._directory = Path(tempfile.mkdtemp(prefix="cms-reliability-"))
        directory = Path(tempfile.mkdtemp(prefix=f"{backend}-", dir=self._directory))
        database = SqliteDatabase(directory) if backend == "sqlite" else PostgresDatabase()
        # Flood windows and rendered threads are shared by all workers only through
        # Redis; without it each of the four workers has its own memory cache.
        cache_prefix = f"cms-reliability-{directory.name}" if redis_answers() else None
        return Site(database, directory, cache_prefix=cache_prefix)

    def get(self, backend):
        self.start([backend])
        if backend in self._unavailable:
            pytest.skip(self._unavailable[backend])
        return self._sites[backend]

    def close(self):
        with ExitStack() as cleanup:
            if self._directory:
                cleanup.callback(shutil.rmtree, self._directory, ignore_errors=True)
            for site in self._sites.values():
                cleanup.callback(site.close)
        self._sites.clear()
        self._directory = None


_sites = Sites()
_report_lines = []


def pytest_collection_finish(session):
    """Start preparing every site as soon as the run knows it needs a server, so the
    preparation overlaps with the tests that come first."""
    if any(
        item.path.is_relative_to(HERE) and "server" in getattr(item, "fixturenames", ())
        for item in session.items
    ):
        _sites.start()


def pytest_sessionfinish(session):
    _sites.close()


def pytest_terminal_summary(terminalreporter):
    if _report_lines:
        terminalreporter.section("reliability")
        for line in _report_lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def reliability_report():
    """Lines (numbers of comments, answers, kills) shown at the end of the run."""
    return _report_lines


@pytest.fixture(scope="session")
def reliability_sites():
    return _sites


@pytest.fixture(scope="module", params=BACKENDS)
def server(request, reliability_sites):
    """gunicorn with 4 sync workers and production settings, on a fresh database."""
    site = reliability_sites.get(request.param)
    running = GunicornServer(site, workers=4)
    request.addfinalizer(running.stop)
    return running.start()


@pytest.fixture
def database(server):
    return server.site.database


@pytest.fixture
def wal_database(transactional_db, tmp_path):
    """On SQLite, moves this test onto a WAL database file, as the site runs on.

    pytest-django's SQLite test database lives in memory with a shared cache. There,
    a second writer does not wait for the first (the busy timeout does not apply to
    shared-cache table locks) but fails at once with "database table is locked", so
    threads cannot write to it side by side. The migrated test database is copied to a
    file for the test and put back afterwards; on PostgreSQL nothing changes.
    """
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield
        return
    memory_name = connection.settings_dict["NAME"]
    # Keeps the in-memory database alive while Django's own connection is closed.
    keeper = sqlite3.connect(memory_name, uri=True)
    try:
        with closing(sqlite3.connect(tmp_path / "threads.sqlite3")) as copy:
            keeper.backup(copy)
        # Django ignores close() on an in-memory database; this really closes it.
        BaseDatabaseWrapper.close(connection)
        connection.settings_dict["NAME"] = str(tmp_path / "threads.sqlite3")
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = memory_name
        connection.ensure_connection()
        keeper.close()


@pytest.fixture(scope="module")
def cluster():
    """A PostgreSQL cluster of the module's own (``initdb``, ``pg_ctl``), for tests that
    stop, restart or cut off the database, which the shared servers must not see."""
    reason = PostgresCluster.unavailable_reason()
    if reason:
        pytest.skip(reason)
    cluster = PostgresCluster().create()
    yield cluster
    cluster.drop()


@pytest.fixture(scope="module")
def cluster_site(cluster):
    """A site on ``cluster`` as ``manage.py migrate`` and ``load_seed_content`` leave it,
    run the way production runs them; its directory goes when the module ends."""
    site = Site(cluster, Path(tempfile.mkdtemp(prefix="cms-cluster-site-")))
    for command in (["migrate", "-v0"], ["load_seed_content"]):
        done = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=REPO,
            env=site.environment(),
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, f"manage.py {command[0]} failed:\n{done.stderr[-3000:]}"
    yield site
    site.database = None
    shutil.rmtree(site.directory, ignore_errors=True)


@pytest.fixture
def receiver():
    """A webhook receiver on a free port of this machine, recording what it is sent."""
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
