"""
Threads sharing one in-memory SQLite connection, as the live server's request threads share
the test's (tests/sqlite_turns.py). Unguarded, a statement calling one of the Python
functions Django gives SQLite (``LPAD``) in one thread and a statement binding its
parameters in another deadlock within seconds, so hard that pytest-timeout cannot stop the
process: the threads run in a child process, which must finish.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

SHARED_CONNECTION_UNDER_LOAD = textwrap.dedent(
    """
    import threading

    import django
    from django.conf import settings

    settings.configure(
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    )
    django.setup()

    from django.db import connections

    from tests.sqlite_turns import sqlite_cursors_taking_turns

    with sqlite_cursors_taking_turns():
        shared = connections["default"]
        with shared.cursor() as cursor:
            cursor.execute("CREATE TABLE reader (id integer PRIMARY KEY, name text)")
            cursor.executemany(
                "INSERT INTO reader (name) VALUES (%s)", [(f"r{n}",) for n in range(2000)]
            )
        shared.inc_thread_sharing()
        finished = []

        def padding():
            connections["default"] = shared
            for _ in range(40):
                with shared.cursor() as cursor:
                    cursor.execute("SELECT LPAD(name, 30, '0') FROM reader")
                    cursor.fetchall()
            finished.append("padding")

        def binding():
            connections["default"] = shared
            for n in range(2000):
                with shared.cursor() as cursor:
                    cursor.execute("SELECT id, name FROM reader WHERE id > %s LIMIT 3", [n])
                    cursor.fetchall()
            finished.append("binding")

        threads = [threading.Thread(target=padding)]
        threads += [threading.Thread(target=binding) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(sorted(finished))
    """
)


def test_threads_sharing_the_connection_take_turns_instead_of_deadlocking():
    finished = subprocess.run(
        [sys.executable, "-c", SHARED_CONNECTION_UNDER_LOAD],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == str(["binding"] * 3 + ["padding"])
