"""
An idle ``manage.py db_worker`` (issue 16): it polls twice a second, and a claim is a
transaction of five statements whose compiling cost the worker about 3 ms of CPU each
time, so an empty queue cost more than the comments did. After a look that found
nothing, one query asks whether any task is ready or abandoned; the claim runs only then.
"""

import datetime

from django.utils import timezone

import pytest
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from cms.management.commands.db_worker import RECLAIM_EVERY_SECONDS
from tests.cms.test_task_worker_lines import REPLY_NOTICE, queue_task, worker

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_look_at_an_empty_queue_is_one_query(django_assert_num_queries):
    idle = worker()

    for _ in range(3):
        with django_assert_num_queries(1):
            assert idle.take_next() is None


def test_a_task_queued_after_an_idle_look_is_claimed_at_the_next():
    idle = worker()
    assert idle.take_next() is None
    queued = queue_task(REPLY_NOTICE, 7)

    claimed = idle.take_next()

    assert claimed.pk == queued.pk
    assert DBTaskResult.objects.get(pk=queued.pk).status == TaskResultStatus.RUNNING


def test_a_task_deferred_to_later_is_not_claimed_until_its_time():
    idle = worker()
    later = queue_task(REPLY_NOTICE, 8)
    DBTaskResult.objects.filter(pk=later.pk).update(
        run_after=timezone.now() + datetime.timedelta(minutes=5)
    )

    assert idle.take_next() is None
    DBTaskResult.objects.filter(pk=later.pk).update(run_after=timezone.now())
    assert idle.take_next().pk == later.pk


def test_an_idle_worker_takes_up_a_task_whose_worker_died():
    abandoned = queue_task(REPLY_NOTICE, 9, status=TaskResultStatus.RUNNING)
    idle = worker("second")
    assert idle.take_next() is None  # it might still be running

    DBTaskResult.objects.filter(pk=abandoned.pk).update(
        started_at=timezone.now() - datetime.timedelta(hours=1)
    )
    claimed = idle.take_next()

    assert claimed.pk == abandoned.pk
    assert claimed.worker_ids[-1] == "second"


def test_a_busy_worker_claims_the_next_task_without_asking_first(
    django_assert_max_num_queries,
):
    for number in range(2):
        queue_task(f"blog.comments.kind{number}.task", number)
    busy = worker()
    first = busy.take_next()
    first.set_successful(None)

    # BEGIN, the advisory lock (PostgreSQL), the running lines, the SELECT ... FOR UPDATE,
    # the claim's UPDATE, COMMIT: no look before it, and no reclaim (done moments ago).
    with django_assert_max_num_queries(6):
        second = busy.take_next()

    assert {first.args_kwargs["args"][0], second.args_kwargs["args"][0]} == {0, 1}


def test_a_busy_worker_still_takes_up_an_abandoned_task_once_the_reclaim_is_due(monkeypatch):
    queue_task("blog.comments.kind0.task", 0)
    busy = worker("second")
    busy.take_next().set_successful(None)
    queue_task("blog.comments.kind1.task", 1)
    abandoned = queue_task(REPLY_NOTICE, 9, status=TaskResultStatus.RUNNING)
    DBTaskResult.objects.filter(pk=abandoned.pk).update(
        started_at=timezone.now() - datetime.timedelta(hours=1)
    )
    busy.take_next().set_successful(None)  # the queued one; the reclaim is not due yet
    assert DBTaskResult.objects.get(pk=abandoned.pk).status == TaskResultStatus.RUNNING

    monkeypatch.setattr(busy, "reclaimed_at", busy.reclaimed_at - RECLAIM_EVERY_SECONDS)
    claimed = busy.take_next()

    assert claimed.pk == abandoned.pk
    assert claimed.worker_ids[-1] == "second"
