"""
A throwaway PostgreSQL cluster of a test's own (``initdb``, driven with ``pg_ctl``) on a
free port, that the test may restart or stop as an operator or a failover would.

Run as root, the cluster belongs to the ``postgres`` user (PostgreSQL refuses to run as
root). fsync is off: nothing here must survive a power cut, and a busy test machine
spends seconds on it otherwise.
"""

import os
import pwd
import shutil
import subprocess
import tempfile
from contextlib import suppress
from pathlib import Path

from tests.reliability.servers import LOOPBACK, free_port

BIN = Path("/usr/lib/postgresql/15/bin")
CTL_SECONDS = 30


def as_cluster_owner(command):
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class PostgresCluster:
    backend = "postgresql"

    def __init__(self):
        self.directory = Path(tempfile.mkdtemp(prefix="cms-faults-pg-"))
        self.data = self.directory / "data"
        self.log_path = self.directory / "postgres.log"
        self.port = free_port()
        self.name = "faults"

    @staticmethod
    def unavailable_reason():
        if not (BIN / "initdb").exists():
            return f"PostgreSQL 15 is not installed under {BIN}"
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                return "running as root and there is no postgres user to own a cluster"
        return None

    @property
    def url(self):
        return f"postgresql://postgres@{LOOPBACK}:{self.port}/{self.name}"

    @property
    def environment(self):
        return {"DATABASE_URL": self.url}

    def _run(self, *command):
        subprocess.run(
            as_cluster_owner([str(BIN / command[0]), *command[1:]]),
            check=True,
            capture_output=True,
            timeout=CTL_SECONDS,
        )

    def create(self):
        if os.geteuid() == 0:
            postgres = pwd.getpwnam("postgres")
            os.chown(self.directory, postgres.pw_uid, postgres.pw_gid)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()
        self._run("createdb", "-h", LOOPBACK, "-p", str(self.port), "-U", "postgres", self.name)
        return self

    def start(self):
        options = f"-p {self.port} -c listen_addresses={LOOPBACK} -k {self.directory} -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log_path), "-o", options, "-w", "start"
        )

    def stop(self):
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def restart(self):
        # Not ``pg_ctl restart``: it forgets the log file, and the server would hold our
        # output pipe open.
        self.stop()
        self.start()

    def query(self, sql, params=()):
        import psycopg

        with psycopg.connect(self.url, connect_timeout=5) as connection:
            return connection.execute(sql, params).fetchall()

    def drop(self):
        with suppress(subprocess.SubprocessError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)
