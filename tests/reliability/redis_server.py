"""
A ``redis-server`` of a test's own on a free port, that the test may stop, freeze
(SIGSTOP: it accepts connections and answers nothing, as a stuck server does) and start
again on the same port, empty or with what it held.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time
from contextlib import suppress

import redis

from tests.reliability.servers import LOOPBACK, free_port

START_SECONDS = 10


class RedisServer:
    """``keep_data``: what Redis holds survives a stop, as with Debian's redis.conf (which
    saves on shutdown): writes go to an append-only file, synced on every write."""

    def __init__(self, keep_data=False):
        self.port = free_port()
        self.process = None
        self.directory = tempfile.mkdtemp(prefix="cms-faults-redis-") if keep_data else None

    @property
    def url(self):
        return f"redis://{LOOPBACK}:{self.port}/0"

    @staticmethod
    def unavailable_reason():
        return None if shutil.which("redis-server") else "redis-server is not installed"

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                LOOPBACK,
                "--save",
                "",
                *(
                    ["--dir", self.directory, "--appendonly", "yes", "--appendfsync", "always"]
                    if self.directory
                    else ["--appendonly", "no"]
                ),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            with suppress(redis.RedisError):
                if client.ping():
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def stop(self):
        if self.process is None:
            return
        with suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.kill()
        self.process.wait(timeout=10)
        self.process = None

    def remove(self):
        self.stop()
        if self.directory:
            shutil.rmtree(self.directory, ignore_errors=True)

    def freeze(self):
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self):
        os.kill(self.process.pid, signal.SIGCONT)
