"""
Real servers for the reliability tests: a database built by ``prepare_site`` in its own
process, gunicorn with production settings on a free port, and the cleanup of both.

Everything listens on and talks to 127.0.0.1 only. Every wait has a deadline, and every
failure message ends with the tail of the log that explains it.
"""

import json
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import closing, suppress
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"
POSTGRES_ADMIN_URL = f"postgresql://postgres@{LOOPBACK}:5432/postgres"
#: A Redis database nothing else in the project uses; keys are prefixed per run as well,
#: so two runs at once never see (or delete) each other's keys.
REDIS_URL = f"redis://{LOOPBACK}:6379/7"
PREPARE_SECONDS = 150
READY_SECONDS = 60
STOP_SECONDS = 10
#: Variables of the calling environment that would point the server somewhere else.
MANAGED_VARIABLES = {
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
    "SQLITE_PATH",
    "REDIS_URL",
    "CACHE_KEY_PREFIX",
    "STATIC_ROOT",
    "MEDIA_ROOT",
    "COMMENTS_RATE_LIMITS",
    "EMAIL_HOST",
}


def log_tail(path, lines=40):
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def free_port():
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def postgres_unavailable_reason():
    """Why no throwaway PostgreSQL database can be made here, or None when one can."""
    import psycopg

    try:
        psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3).close()
    except psycopg.Error as error:
        return f"PostgreSQL does not answer at {POSTGRES_ADMIN_URL} ({error})"
    return None


def redis_answers():
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


class SqliteDatabase:
    """A database file in WAL mode, as ``cms.settings.base`` configures it."""

    backend = "sqlite"

    def __init__(self, directory):
        self.path = Path(directory) / "site.sqlite3"

    @property
    def environment(self):
        return {"SQLITE_PATH": str(self.path)}

    def query(self, sql, params=()):
        with closing(sqlite3.connect(self.path, timeout=30)) as connection:
            return connection.execute(sql.replace("%s", "?"), params).fetchall()

    def journal_mode(self):
        return self.query("PRAGMA journal_mode")[0][0]

    def drop(self):
        """The file goes with its temporary directory."""


class PostgresDatabase:
    """A database created for one run and dropped after it."""

    backend = "postgresql"

    def __init__(self):
        import psycopg

        self.name = f"reliability_{secrets.token_hex(6)}"
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'CREATE DATABASE "{self.name}"')

    @property
    def url(self):
        return f"postgresql://postgres@{LOOPBACK}:5432/{self.name}"

    @property
    def environment(self):
        return {"DATABASE_URL": self.url}

    def query(self, sql, params=()):
        import psycopg

        with psycopg.connect(self.url, connect_timeout=5) as connection:
            return connection.execute(sql, params).fetchall()

    def drop(self):
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class Site:
    """One database, prepared in a background process, and the settings its servers share.

    ``start`` returns at once, so several sites (and the rest of the test session) get
    ready side by side; ``wait`` returns the facts ``prepare_site`` wrote.
    """

    def __init__(self, database, directory, cache_prefix=None):
        self.database = database
        self.directory = Path(directory)
        self.cache_prefix = cache_prefix
        self.secret_key = secrets.token_urlsafe(50)
        self.facts = None
        self._process = None
        self._log_path = self.directory / "prepare.log"
        self._facts_path = self.directory / "facts.json"
        self._started_at = None

    @property
    def backend(self):
        return self.database.backend

    @property
    def cache_note(self):
        if self.cache_prefix:
            return f"cache in Redis ({REDIS_URL})"
        return "Redis does not answer: each worker has its own memory cache"

    def environment(self, base_url="http://127.0.0.1"):
        env = {key: value for key, value in os.environ.items() if key not in MANAGED_VARIABLES}
        env.update(self.database.environment)
        env.update(
            DJANGO_SETTINGS_MODULE="cms.settings.production",
            SECRET_KEY=self.secret_key,
            ALLOWED_HOSTS=LOOPBACK,
            SECURE_SSL_REDIRECT="off",
            # Every client of these tests comes from 127.0.0.1, so the per-address flood
            # rule would refuse all but one comment per 15 s; the timing rule would hold
            # every comment posted within 3 s of fetching its token as spam.
            COMMENTS_RATE_LIMITS="off",
            STATIC_ROOT=str(self.directory / "static"),
            MEDIA_ROOT=str(self.directory / "media"),
            EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
            WAGTAILADMIN_BASE_URL=base_url,
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
        )
        if self.cache_prefix:
            env.update(REDIS_URL=REDIS_URL, CACHE_KEY_PREFIX=self.cache_prefix)
        else:
            env.update(CACHE_PER_PROCESS="true")
        return env

    def start(self):
        self._started_at = time.monotonic()
        with open(self._log_path, "wb") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "tests.reliability.prepare_site", str(self._facts_path)],
                cwd=REPO,
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def wait(self):
        if self.facts is not None:
            return self.facts
        remaining = PREPARE_SECONDS - (time.monotonic() - self._started_at)
        try:
            code = self._process.wait(timeout=max(remaining, 1))
        except subprocess.TimeoutExpired:
            self._kill_preparation()
            raise RuntimeError(
                f"Preparing the {self.backend} database took over {PREPARE_SECONDS} s:\n"
                f"{log_tail(self._log_path)}"
            ) from None
        if code != 0:
            raise RuntimeError(
                f"Preparing the {self.backend} database failed (exit {code}):\n"
                f"{log_tail(self._log_path)}"
            )
        self.facts = json.loads(self._facts_path.read_text())
        self.facts["prepare_seconds"] = round(time.monotonic() - self._started_at, 1)
        return self.facts

    def _kill_preparation(self):
        if self._process and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(timeout=STOP_SECONDS)

    def close(self):
        self._kill_preparation()
        self.database.drop()
        if self.cache_prefix:
            import redis

            client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
            keys = list(client.scan_iter(match=f"{self.cache_prefix}:*", count=500))
            if keys:
                client.delete(*keys)


class GunicornServer:
    """``gunicorn cms.wsgi`` with sync workers, in its own process group."""

    def __init__(self, site, workers=4, extra_environment=None):
        self.site = site
        self.workers = workers
        self.extra_environment = extra_environment or {}
        self.process = None
        self.port = None
        self.log_path = None

    @property
    def base_url(self):
        return f"http://{LOOPBACK}:{self.port}"

    def url(self, path):
        return self.base_url + path

    def start(self, attempts=3):
        """Start on a free port and wait until a worker answers. Another process may take
        the port between our probe and gunicorn's bind; then try another one."""
        post_id = self.site.wait()["post_id"]
        for _attempt in range(attempts):
            self._launch()
            if self._wait_until_ready(post_id):
                return self
        raise RuntimeError(f"gunicorn found no free port in {attempts} attempts:\n{self.log}")

    def _launch(self):
        self.port = free_port()
        self.log_path = self.site.directory / f"gunicorn-{self.port}.log"
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "cms.wsgi:application",
            f"--workers={self.workers}",
            f"--bind={LOOPBACK}:{self.port}",
            # Workers fork from a master that has already imported Django and Wagtail: on
            # a busy 2-core machine that is seconds saved per (re)spawned worker.
            "--preload",
            "--timeout=60",
            "--graceful-timeout=5",
            # gunicorn's control socket defaults to one path per user (~/.gunicorn/):
            # servers of other runs on this machine would take it from each other.
            "--no-control-socket",
            "--access-logfile=-",
            "--error-logfile=-",
        ]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=REPO,
                env={**self.site.environment(self.base_url), **self.extra_environment},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _wait_until_ready(self, post_id):
        """True once the server answers; False if its port was taken."""
        deadline = time.monotonic() + READY_SECONDS
        probe = self.url(f"/api/v3/comments/form-token/?page={post_id}")
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                if "already in use" in self.log:
                    return False
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log}")
            try:
                if requests.get(probe, timeout=5).status_code == 200 and self.live_workers():
                    return True
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn was not ready within {READY_SECONDS} s:\n{self.log_tail()}")

    def live_workers(self):
        """Pids of the master's children that are alive (not zombies awaiting reaping)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            state, parent = stat.rsplit(")", 1)[1].split()[:2]
            if int(parent) == self.process.pid and state != "Z":
                pids.append(int(entry.name))
        return sorted(pids)

    def busy_workers(self):
        """Live workers holding a client connection, i.e. with a request in hand.

        A sync worker has the shared listening socket and, while it serves a request,
        that request's established TCP connection; the kernel's table says which is which.
        """
        established = set()
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == self.port and fields[3] == "01":
                established.add(f"socket:[{fields[9]}]")
        busy = []
        for pid in self.live_workers():
            try:
                targets = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
            except OSError:
                continue
            if targets & established:
                busy.append(pid)
        return busy

    def wait_for_workers(self, count, excluding=(), seconds=30):
        """The live workers once ``count`` are up and none is in ``excluding``."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            pids = self.live_workers()
            if len(pids) == count and not set(pids) & set(excluding):
                return pids
            time.sleep(0.1)
        raise AssertionError(
            f"gunicorn did not get back to {count} workers within {seconds} s "
            f"(now {self.live_workers()}):\n{self.log_tail()}"
        )

    @property
    def log(self):
        return Path(self.log_path).read_text(errors="replace") if self.log_path else ""

    def log_tail(self, lines=40):
        return log_tail(self.log_path, lines) if self.log_path else "(no log)"

    def log_around(self, needle, lines=30):
        """The server log from just before the first line containing ``needle``."""
        log_lines = self.log.splitlines()
        for number, line in enumerate(log_lines):
            if needle in line:
                return "\n".join(log_lines[max(number - 5, 0) : number + lines])
        return self.log_tail()

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_SECONDS)
        # A worker that outlived its master is still in the group.
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


class NginxFront:
    """``deploy/nginx.conf`` in front of a running gunicorn, in the foreground, as
    ``nobody`` when the tests run as root (nginx's workers would be ``nobody`` anyway and
    must write its cache directory)."""

    def __init__(self, server, directory, more_servers=()):
        self.server = server
        # Several app nodes: one ``server`` line each in the upstream (docs/deploy.md, 9).
        self.servers = [server, *more_servers]
        self.directory = Path(directory)
        self.process = None
        self.port = None

    @property
    def site(self):
        return self.server.site

    @property
    def base_url(self):
        return f"http://{LOOPBACK}:{self.port}"

    def url(self, path):
        return self.base_url + path

    def start(self):
        from deploy.nginx import foreground_command, standalone_config

        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        config = self.directory / "nginx.conf"
        config.write_text(
            standalone_config(
                self.directory,
                UPSTREAM="; server ".join(f"{LOOPBACK}:{node.port}" for node in self.servers),
                LISTEN=f"{LOOPBACK}:{self.port}",
                SERVER_NAME=LOOPBACK,
                STATIC_ROOT=self.server.site.directory / "static",
                MEDIA_ROOT=self.server.site.directory / "media",
            )
        )
        command = foreground_command(self.directory, config)
        log = open(self.directory / "stdout.log", "wb")  # noqa: SIM115 (closed in stop)
        self._log = log
        self.process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"nginx exited with {self.process.returncode}:\n"
                    f"{log_tail(self.directory / 'error.log')}"
                )
            try:
                if requests.get(self.url("/robots.txt"), timeout=5).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"nginx was not ready:\n{log_tail(self.directory / 'error.log')}")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=STOP_SECONDS)
        if getattr(self, "_log", None):
            self._log.close()
