"""
One in-memory SQLite connection shared by the live server's request threads, used in turns.

The test database lives in memory, so Django's live server hands the test's own connection
to every request thread (no other connection could see it). CPython's ``sqlite3`` runs a
statement without the GIL, holding SQLite's connection mutex, and calls back into Python,
needing the GIL, for the functions Django registers (``LPAD``, ``REPEAT``,
``django_date_trunc``...); meanwhile it binds parameters and reads columns with the GIL held,
taking that same mutex. Two threads on one connection can each hold what the other waits
for, and the browser test hangs with the GIL held, where not even pytest-timeout can stop
it: CI saw two request threads of ``/api/v3/comments/`` stuck in
``SQLiteCursorWrapper.execute``. Taking one lock around
every cursor call, which releases the GIL while it waits, lets them take turns instead.
"""

import threading
from contextlib import contextmanager
from unittest import mock

from django.db.backends.sqlite3 import base as sqlite_base

_turn = threading.RLock()


def _in_turn(name):
    def method(self, *args, **kwargs):
        with _turn:
            return getattr(super(CursorTakingTurns, self), name)(*args, **kwargs)

    method.__name__ = name
    return method


class CursorTakingTurns(sqlite_base.SQLiteCursorWrapper):
    """Django's cursor whose calls into SQLite (running a statement, stepping through its
    rows) wait for the connection's other users to finish theirs."""

    execute = _in_turn("execute")
    executemany = _in_turn("executemany")
    executescript = _in_turn("executescript")
    fetchone = _in_turn("fetchone")
    fetchmany = _in_turn("fetchmany")
    fetchall = _in_turn("fetchall")
    close = _in_turn("close")
    __next__ = _in_turn("__next__")


def _create_cursor(self, name=None):
    return self.connection.cursor(factory=CursorTakingTurns)


@contextmanager
def sqlite_cursors_taking_turns():
    """Within it, every new SQLite cursor takes turns with the others (PostgreSQL's
    connections are one per thread and need nothing)."""
    with mock.patch.object(sqlite_base.DatabaseWrapper, "create_cursor", _create_cursor):
        yield
