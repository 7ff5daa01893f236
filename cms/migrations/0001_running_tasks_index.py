"""A partial index of the running tasks in django_tasks_db's table.

The task worker asks, at every idle poll and every ten seconds while busy, for running
tasks claimed too long ago (``db_worker.abandoned_tasks``), and at every claim for the
lines with a task running (``waiting_for_running_tasks``). django_tasks_db indexes only
the ready tasks, and keeps every finished row (one per mail and webhook delivery) until
``prune_db_task_results`` deletes it, so each of those questions read the whole table.
With this index they read the few running rows. The table is the package's, so the index
is plain SQL that both SQLite and PostgreSQL take, outside the package's model state.
"""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS running_tasks_idx "
    "ON django_tasks_database_dbtaskresult (started_at) WHERE status = 'RUNNING'"
)
DROP = "DROP INDEX IF EXISTS running_tasks_idx"


class Migration(migrations.Migration):
    dependencies = [
        (
            "django_tasks_database",
            "0019_rename_django_task_new_ordering_idx_tasks_db_new_ordering_idx_and_more",
        ),
    ]

    operations = [migrations.RunSQL(CREATE, DROP, elidable=False)]
