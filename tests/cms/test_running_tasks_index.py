"""The task worker's questions about running tasks read the running ones, not every
finished task django_tasks_db keeps (cms/migrations/0001_running_tasks_index.py)."""

from django.db import connection

import pytest
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from cms.management.commands.db_worker import abandoned_tasks
from tests.cms.test_task_worker_lines import REPLY_NOTICE, queue_task

pytestmark = pytest.mark.django_db


def index_names():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, DBTaskResult._meta.db_table)
    return set(constraints)


def test_the_running_tasks_have_an_index_of_their_own():
    assert "running_tasks_idx" in index_names()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan is PostgreSQL's")
def test_the_abandoned_tasks_question_reads_the_index_of_running_tasks():
    finished = queue_task(REPLY_NOTICE, 1)
    DBTaskResult.objects.filter(pk=finished.pk).update(status=TaskResultStatus.SUCCESSFUL)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE django_tasks_database_dbtaskresult")
        sql, params = abandoned_tasks().values("pk").query.sql_with_params()
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "running_tasks_idx" in plan, plan
