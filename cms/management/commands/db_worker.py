"""
``manage.py db_worker``: django_tasks_db's worker, made to survive the faults production has.

django_tasks_db's own worker exits on the first poll that meets the database down, takes
tasks in no defined order (every task queued without ``run_after`` has the same sort key),
and a task it claimed stays "running" for ever when its worker is killed or loses the
database mid-task. This one, registered under the same name because ``cms`` comes first
in INSTALLED_APPS (the systemd unit and the docs need not change):

- waits for the database and carries on, and gives back the task it had in hand, so it
  runs again at once rather than never;
- takes tasks oldest first (within a priority), and never starts a task while an older
  task of the same line is still running on another worker. A line is what must keep its
  order: a task queued with an ``ordering_key`` keyword is in the line of its function and
  that key (webhook deliveries: one line per endpoint); an index update is in the line of
  its object; any other task is in its function's one line. So one endpoint's webhooks,
  one object's index updates and each kind of notice go out in the order they were
  queued, while different endpoints, objects and kinds run side by side on as many
  workers as there are (a bulk re-index or a burst of deliveries to several endpoints
  no longer runs one task at a time);
- stops a task after ``TASKS_TIME_LIMIT_SECONDS`` (it is marked failed), and queues again
  a task that has been "running" for ``TASKS_RECLAIM_AFTER_SECONDS`` (its worker was
  killed, or lost the database and never came back). The second bound is longer than the
  first, so a task reclaimed from a worker is one that worker is no longer running: a
  task never runs twice at once. It may run twice one after the other, which every task
  here allows: each notice and webhook delivery is claimed in its own row before it is
  sent, and an index update writes what the object is now.

Claims are serialized (a transaction-scoped advisory lock on PostgreSQL; SQLite's
exclusive transaction does the same), so two workers cannot both see a line as idle.

A worker that found nothing to do asks one cheap question before its next claim: is any
task ready, or abandoned? The claim's transaction (the lock, the reclaim, the running
lines, the locking SELECT: about 3 ms of the worker's CPU on PostgreSQL) then runs only
when there is something to claim, not twice a second on an idle queue (issue 16). A busy
worker claims task after task without that question, and looks for abandoned tasks at
most every ``RECLAIM_EVERY_SECONDS`` (an idle worker's question sees them at once): a
task is abandoned only after minutes, and the look was two of a claim's eight statements.
"""

import datetime
import logging
import random
import signal
import threading
import time
from contextlib import contextmanager

from django.conf import settings
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connections,
)
from django.db.models import Q
from django.utils import timezone

from django_tasks.base import TaskResultStatus
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

logger = logging.getLogger("django_tasks_db")

#: How long the worker waits before asking a database that did not answer again.
RETRY_SECONDS = 1
#: The PostgreSQL advisory lock every claim holds for its transaction.
CLAIM_LOCK_KEY = 0x6E6F746573  # "notes"
#: The keyword argument that names a task's line within its function (see the module's
#: docstring); the task receives it like any other argument.
ORDERING_KEYWORD = "ordering_key"
#: Tasks of other apps, which cannot be queued with that keyword, whose arguments are their
#: line: an index update writes what its object is now, so two updates of one object must
#: not overlap (the older could read first and write last); other objects' updates may.
ORDERED_BY_ARGUMENTS = frozenset({"modelsearch.tasks.insert_or_update_object_task"})
#: How often a worker that is claiming task after task looks for abandoned ones.
RECLAIM_EVERY_SECONDS = 10


class TaskTimeLimitExceeded(Exception):
    """A task ran past ``TASKS_TIME_LIMIT_SECONDS`` and was stopped."""


def abandoned_tasks():
    """The tasks claimed too long ago to be running still."""
    cutoff = timezone.now() - datetime.timedelta(seconds=settings.TASKS_RECLAIM_AFTER_SECONDS)
    return DBTaskResult.objects.running().filter(started_at__lt=cutoff)


def reclaim_abandoned_tasks():
    """Queue again the tasks claimed too long ago to be running still."""
    abandoned = abandoned_tasks()
    for task_id, task_path, worker_ids, started_at in abandoned.values_list(
        "id", "task_path", "worker_ids", "started_at"
    ):
        logger.warning(
            "Task %s (%s), started by worker %s at %s, never finished; queued again.",
            task_id,
            task_path,
            worker_ids[-1] if worker_ids else "?",
            started_at.isoformat(),
        )
    abandoned.update(status=TaskResultStatus.READY, started_at=None)


def same_line_as(task_path, args_kwargs):
    """The queued tasks that must wait while a task of ``task_path`` with ``args_kwargs``
    runs. A task queued without an ordering key waits for any task of its function, and
    makes all of them wait, as every task did before keys: tasks already queued when the
    keys arrived keep their order."""
    if task_path in ORDERED_BY_ARGUMENTS:
        return Q(task_path=task_path, args_kwargs__args=args_kwargs.get("args", []))
    key = (args_kwargs.get("kwargs") or {}).get(ORDERING_KEYWORD)
    if key is None:
        return Q(task_path=task_path)
    keyless = ~Q(args_kwargs__kwargs__has_key=ORDERING_KEYWORD)
    return Q(task_path=task_path) & (Q(args_kwargs__kwargs__ordering_key=key) | keyless)


def waiting_for_running_tasks():
    """A Q of the queued tasks whose line has a task running, or None when none runs.
    Running tasks are as few as the workers, so this is one short query and a small
    filter on the claim, whatever the length of the queue."""
    lines = [
        same_line_as(task_path, args_kwargs)
        for task_path, args_kwargs in DBTaskResult.objects.running().values_list(
            "task_path", "args_kwargs"
        )
    ]
    if not lines:
        return None
    waiting = lines[0]
    for line in lines[1:]:
        waiting |= line
    return waiting


@contextmanager
def time_limit(seconds):
    """Raises TaskTimeLimitExceeded in the task after ``seconds``. Only the main thread
    can take signals: under ``--reload`` (development) the worker runs in a thread of
    Django's autoreloader, and tasks run without a limit there."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop_the_task(signum, frame):
        raise TaskTimeLimitExceeded(f"Stopped after {seconds} s (TASKS_TIME_LIMIT_SECONDS).")

    previous = signal.signal(signal.SIGALRM, stop_the_task)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class RecoveringWorker(db_worker.Worker):
    task_in_hand = None
    #: Whether the last look found nothing to claim: the next one asks before claiming.
    found_nothing = True
    #: When this worker last queued abandoned tasks again (time.monotonic()).
    reclaimed_at = None

    def run(self):
        logger.info(
            "Starting worker worker_id=%s queues=%s", self.worker_id, ",".join(self.queue_names)
        )
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # noqa: S311  (spreads workers started together)
        while self.running:
            try:
                task_result = self.take_next()
                if task_result is not None:
                    self.run_task(task_result)
                elif self.batch and not self.queued().exists():
                    logger.info("No more tasks to run for worker_id=%s.", self.worker_id)
                    return
            except (OperationalError, InterfaceError) as error:
                if not self.running:
                    raise
                self.wait_for_database(error)
                continue
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            close_old_connections()
            if self.running and task_result is None:
                time.sleep(self.interval)

    def queued(self):
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        return tasks

    def take_next(self):
        """The next task, claimed, or None. After a look that found nothing, a claim is
        tried only if one query sees a task ready to run or abandoned by its worker; a
        task left unclaimed because its line is busy keeps that query answering yes."""
        if self.found_nothing and not self.anything_to_claim():
            return None
        task_result = self.claim_next()
        self.found_nothing = task_result is None
        return task_result

    def anything_to_claim(self):
        return (self.queued() | abandoned_tasks()).exists()

    def claimable(self):
        """Queued tasks whose line has nothing running (call inside the claim's lock)."""
        waiting = waiting_for_running_tasks()
        queued = self.queued()
        return queued if waiting is None else queued.exclude(waiting)

    def claim_next(self):
        try:
            return self._claim_next()
        except OperationalError as error:
            # SQLite: another process holds the write lock; it is released soon.
            if "is locked" in str(error):
                return None
            raise

    def _claim_next(self):
        database = DBTaskResult.objects.db
        with exclusive_transaction(database):
            connection = connections[database]
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CLAIM_LOCK_KEY])
            if self.reclaim_due():
                reclaim_abandoned_tasks()
            task_result = (
                self.claimable()
                .order_by("-priority", "enqueued_at")
                .select_for_update(skip_locked=True)
                .first()
            )
            if task_result is not None:
                task_result.claim(self.worker_id)
        return task_result

    def reclaim_due(self):
        now = time.monotonic()
        if (
            self.found_nothing
            or self.reclaimed_at is None
            or now - self.reclaimed_at >= RECLAIM_EVERY_SECONDS
        ):
            self.reclaimed_at = now
            return True
        return False

    def run_task(self, db_task_result):
        # Kept until the task's outcome is stored: if the database goes away first, the
        # task is given back when it returns (wait_for_database).
        self.task_in_hand = (db_task_result.pk, db_task_result.started_at)
        with time_limit(settings.TASKS_TIME_LIMIT_SECONDS):
            super().run_task(db_task_result)
        self.task_in_hand = None

    def wait_for_database(self, error):
        logger.warning("Database unavailable (%s); polling again in %s s.", error, RETRY_SECONDS)
        while True:
            for connection in connections.all(initialized_only=True):
                connection.close()
            time.sleep(RETRY_SECONDS)
            try:
                self.give_back_task_in_hand()
            except DatabaseError:
                continue
            return

    def give_back_task_in_hand(self):
        if self.task_in_hand is None:
            DBTaskResult.objects.exists()  # is the database back?
            return
        task_id, started_at = self.task_in_hand
        given_back = DBTaskResult.objects.filter(
            pk=task_id, status=TaskResultStatus.RUNNING, started_at=started_at
        ).update(status=TaskResultStatus.READY, started_at=None)
        if given_back:
            logger.warning(
                "Task %s was running when the database went away; queued again.", task_id
            )
        self.task_in_hand = None


class Command(db_worker.Command):
    def handle(self, *args, **options):
        # The parent's handle() builds its worker from this module attribute.
        db_worker.Worker = RecoveringWorker
        return super().handle(*args, **options)
