"""
Which queued task ``manage.py db_worker`` claims next (issue 16): tasks keep their order
within their line (one webhook endpoint, one object's index updates, one kind of notice),
and different lines run side by side, so a burst of deliveries to several endpoints or a
bulk re-index is not taken one task at a time across all workers.

The claim's query runs here on the test database (SQLite by default, PostgreSQL with
DATABASE_URL); tests/reliability/test_task_worker_lines.py runs two workers for real.
"""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from cms.management.commands.db_worker import RecoveringWorker
from headless.delivery import endpoint_line

DELIVER = "headless.delivery.deliver_webhook"
INDEX = "modelsearch.tasks.insert_or_update_object_task"
REPLY_NOTICE = "blog.comments.notify.send_reply_notice"

pytestmark = pytest.mark.django_db
_enqueued = iter(range(10_000))


def queue_task(task_path, *args, status=TaskResultStatus.READY, **kwargs):
    """A row as the database backend writes it, each one queued a second after the last."""
    enqueued_at = (
        timezone.now() - datetime.timedelta(hours=1) + datetime.timedelta(seconds=next(_enqueued))
    )
    task = DBTaskResult.objects.create(
        task_path=task_path,
        args_kwargs={"args": list(args), "kwargs": kwargs},
        backend_name="default",
        run_after=get_date_max(),
        status=status,
        started_at=timezone.now() if status == TaskResultStatus.RUNNING else None,
    )
    DBTaskResult.objects.filter(pk=task.pk).update(enqueued_at=enqueued_at)
    return task


def running(task_path, *args, **kwargs):
    return queue_task(task_path, *args, status=TaskResultStatus.RUNNING, **kwargs)


def delivery(delivery_id, endpoint_id, **fields):
    return queue_task(DELIVER, delivery_id, ordering_key=endpoint_line(endpoint_id), **fields)


def worker(name="one"):
    return RecoveringWorker(
        queue_names=["default"],
        interval=0.1,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=name,
    )


def next_claim():
    """What the claim would take: the oldest claimable task of the highest priority."""
    first = worker().claimable().order_by("-priority", "enqueued_at").first()
    return None if first is None else (first.task_path, first.args_kwargs)


def test_a_running_delivery_holds_back_its_endpoint_only():
    running(DELIVER, 1, ordering_key=endpoint_line(1))
    delivery(2, endpoint_id=1)
    third = delivery(3, endpoint_id=2)
    delivery(4, endpoint_id=2)

    assert next_claim() == (DELIVER, third.args_kwargs)


def test_an_endpoint_with_nothing_running_starts_with_its_oldest_delivery():
    second, third = delivery(2, endpoint_id=1), delivery(3, endpoint_id=1)

    assert next_claim() == (DELIVER, second.args_kwargs)
    running(DELIVER, 2, ordering_key=endpoint_line(1))
    DBTaskResult.objects.filter(pk=second.pk).delete()
    assert next_claim() is None  # the endpoint's line is busy: the third waits
    assert third.pk in set(DBTaskResult.objects.ready().values_list("pk", flat=True))


def test_every_endpoint_busy_leaves_other_kinds_of_task_to_run():
    running(DELIVER, 1, ordering_key=endpoint_line(1))
    running(DELIVER, 2, ordering_key=endpoint_line(2))
    delivery(3, endpoint_id=1)
    delivery(4, endpoint_id=2)
    notice = queue_task(REPLY_NOTICE, 41)

    assert next_claim() == (REPLY_NOTICE, notice.args_kwargs)


def test_a_task_without_a_key_keeps_its_whole_function_in_one_line():
    running(REPLY_NOTICE, 40)
    queue_task(REPLY_NOTICE, 41)

    assert next_claim() is None


def test_a_delivery_queued_before_keys_waits_for_every_delivery_and_holds_them_all():
    running(DELIVER, 1, ordering_key=endpoint_line(1))
    queue_task(DELIVER, 2)  # queued by the code before keys: no ordering_key
    assert next_claim() is None

    DBTaskResult.objects.all().delete()
    running(DELIVER, 2)
    delivery(3, endpoint_id=7)
    assert next_claim() is None


def test_index_updates_run_side_by_side_for_different_objects_in_order_for_one():
    running(INDEX, "blog", "blogpostpage", 4)
    queue_task(INDEX, "blog", "blogpostpage", 4)
    other = queue_task(INDEX, "blog", "blogpostpage", 5)

    assert next_claim() == (INDEX, other.args_kwargs)


def test_the_claim_reads_the_running_tasks_once_whatever_the_queue_holds():
    for number in range(3):
        running(DELIVER, number, ordering_key=endpoint_line(number))
    for number in range(3, 60):
        delivery(number, endpoint_id=number % 4)
    claimer = worker()

    with CaptureQueriesContext(connection) as queries:
        list(claimer.claimable().order_by("-priority", "enqueued_at")[:1])

    assert len(queries) == 2  # the running tasks' lines, then the claim's one SELECT
    claimed = claimer.claimable().order_by("-priority", "enqueued_at").first()
    assert claimed.args_kwargs["kwargs"]["ordering_key"] == endpoint_line(3)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_claiming_in_turn_take_two_endpoints_and_never_one_twice(
    django_assert_max_num_queries,
):
    for number, endpoint_id in enumerate((1, 1, 2, 2)):
        delivery(number, endpoint_id=endpoint_id)
    one, two = worker("one"), worker("two")

    # BEGIN, the advisory lock (PostgreSQL), the reclaim's SELECT and UPDATE, the running
    # lines, the SELECT ... FOR UPDATE, the claim's UPDATE, COMMIT.
    with django_assert_max_num_queries(8):
        first = one.claim_next()
    second = two.claim_next()
    third = one.claim_next()

    assert [task.args_kwargs["args"] for task in (first, second)] == [[0], [2]]
    assert third is None  # both endpoints have a delivery running
    first.set_successful(None)
    assert one.claim_next().args_kwargs["args"] == [1]
