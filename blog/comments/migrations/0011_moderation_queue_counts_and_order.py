"""What keeps the moderation queue's cost fixed as comments accumulate, beyond 0009: the
counts per status kept by the database, and an index in the order of the "All" listing.

The database keeps how many comments each status holds (``CommentStatusTally``), so
counting them reads a few rows, not a million (``blog.comments.status_counts``).

Why triggers, not application code: a status changes through many paths (submission and
the rules, moderation singly and in bulk through the admin and the API, reports, edits,
erasure and the IP purge, a post's deletion cascading to its comments, ``QuerySet.update``
and raw SQL that send no signals, the benchmark generator's ``COPY``), and a trigger sees
every one of them inside the writing transaction, so the tally commits or rolls back with
the change itself.

Why slots: every comment's INSERT adds one to the pending (or approved) count. Were that
one row, concurrent submissions would queue on its lock until each committed. On
PostgreSQL each connection adds to its own row of 16 (``pg_backend_pid() % 16``), so two
workers meet on a row only when their pids share a remainder; SQLite writes one at a time
anyway and uses slot 0. A status's count is the sum of its slots.

PostgreSQL's triggers run once per statement over its transition tables, so a bulk
moderation, a purge or a ``COPY`` of a million rows adds one upsert per status, not one
per row; an UPDATE that changes no status (an edit, a notice sent) upserts nothing.
TRUNCATE empties the tally with the table.

Applying this on a large site holds writes to comments while the existing ones are
counted once (about a second at a million comments), so the first count is consistent
with the triggers that keep it. On SQLite, a migration that rebuilds comments_comment
(Django's table remake) drops its triggers with the old table: such a migration must
create them again, as it must 0005's.

``comment_queue_order_idx`` (PostgreSQL only, built ``CONCURRENTLY``): the "All" listing
shows the comments awaiting a decision first, then the newest (``CommentIndexView``), an
``ORDER BY`` on an expression that no index served: its first page sorted every comment
(2.3 s at a million). The index is on the same expression Django writes for the
``awaiting_decision`` annotation, so the first page reads 50 entries. It stays out of the
model's state as 0009's do; on SQLite the sort of a small site's comments is cheap.
"""

# Every statement below is built from this module's constants, never from input.
# ruff: noqa: S608

from django.db import migrations, models

TABLE = "comments_comment"
TALLY = "comments_commentstatustally"
NAME = "comments_comment_status_tally"

SLOTS = 16

FIRST_COUNT = [
    f"DELETE FROM {TALLY}",
    f"INSERT INTO {TALLY} (status, slot, comments) "
    f"SELECT status, 0, COUNT(*) FROM {TABLE} GROUP BY status",
]

POSTGRESQL_CREATE = f"""
CREATE OR REPLACE FUNCTION {NAME}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- In status order, so two transactions that meet on a slot lock its rows in one order.
    IF TG_OP = 'INSERT' THEN
        INSERT INTO {TALLY} AS tally (status, slot, comments)
        SELECT status, pg_backend_pid() % {SLOTS}, COUNT(*) FROM new_rows
        GROUP BY status ORDER BY status
        ON CONFLICT (status, slot) DO UPDATE SET comments = tally.comments + EXCLUDED.comments;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO {TALLY} AS tally (status, slot, comments)
        SELECT status, pg_backend_pid() % {SLOTS}, -COUNT(*) FROM old_rows
        GROUP BY status ORDER BY status
        ON CONFLICT (status, slot) DO UPDATE SET comments = tally.comments + EXCLUDED.comments;
    ELSE
        DELETE FROM {TALLY};
    END IF;
    RETURN NULL;
END
$$;
CREATE OR REPLACE FUNCTION {NAME}_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {TALLY} AS tally (status, slot, comments)
    SELECT change.status, pg_backend_pid() % {SLOTS}, SUM(change.comments)
    FROM (
        SELECT new_rows.status, 1 AS comments, old_rows.status AS other
        FROM new_rows JOIN old_rows USING (id)
        UNION ALL
        SELECT old_rows.status, -1, new_rows.status
        FROM new_rows JOIN old_rows USING (id)
    ) AS change
    WHERE change.status <> change.other
    GROUP BY change.status
    HAVING SUM(change.comments) <> 0
    ORDER BY change.status
    ON CONFLICT (status, slot) DO UPDATE SET comments = tally.comments + EXCLUDED.comments;
    RETURN NULL;
END
$$;
CREATE TRIGGER {NAME}_insert AFTER INSERT ON {TABLE}
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {NAME}();
CREATE TRIGGER {NAME}_delete AFTER DELETE ON {TABLE}
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {NAME}();
CREATE TRIGGER {NAME}_update AFTER UPDATE ON {TABLE}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {NAME}_update();
CREATE TRIGGER {NAME}_truncate AFTER TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION {NAME}();
"""
POSTGRESQL_DROP = f"""
DROP TRIGGER IF EXISTS {NAME}_insert ON {TABLE};
DROP TRIGGER IF EXISTS {NAME}_delete ON {TABLE};
DROP TRIGGER IF EXISTS {NAME}_update ON {TABLE};
DROP TRIGGER IF EXISTS {NAME}_truncate ON {TABLE};
DROP FUNCTION IF EXISTS {NAME}();
DROP FUNCTION IF EXISTS {NAME}_update();
"""


def sqlite_add(status, comments):
    return (
        f"INSERT INTO {TALLY} (status, slot, comments) VALUES ({status}, 0, {comments}) "
        f"ON CONFLICT (status, slot) DO UPDATE SET comments = comments + {comments};"
    )


SQLITE_CREATE = [
    f"""CREATE TRIGGER {NAME}_insert AFTER INSERT ON {TABLE}
    BEGIN {sqlite_add("NEW.status", 1)} END""",
    # Django's flush empties tables one DELETE at a time, in no fixed order: were the tally
    # emptied first, the comments' deletions would leave it negative. No comments left
    # means no count, whatever the order.
    f"""CREATE TRIGGER {NAME}_delete AFTER DELETE ON {TABLE}
    BEGIN
        {sqlite_add("OLD.status", -1)}
        DELETE FROM {TALLY} WHERE NOT EXISTS (SELECT 1 FROM {TABLE});
    END""",
    f"""CREATE TRIGGER {NAME}_update AFTER UPDATE OF status ON {TABLE}
    WHEN OLD.status IS NOT NEW.status
    BEGIN {sqlite_add("OLD.status", -1)} {sqlite_add("NEW.status", 1)} END""",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {NAME}_{event}" for event in ("insert", "delete", "update")]


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # CREATE TRIGGER holds off other writers to comments until this migration commits,
        # so no comment stored meanwhile is missed by both the triggers and the count.
        statements = [POSTGRESQL_CREATE, *FIRST_COUNT]
    elif vendor == "sqlite":
        statements = [*SQLITE_CREATE, *FIRST_COUNT]
    else:
        raise RuntimeError(
            f"Comments need status-tally triggers, written for SQLite and PostgreSQL; "
            f"this database is {vendor}."
        )
    for statement in statements:
        schema_editor.execute(statement, params=None)


QUEUE_ORDER_INDEX = "comment_queue_order_idx"


def create_queue_order_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {QUEUE_ORDER_INDEX} ON {TABLE} "
        "((CASE WHEN status = 'pending' THEN 0 ELSE 1 END), created_at DESC, id DESC)"
    )


def drop_queue_order_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {QUEUE_ORDER_INDEX}")


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_DROP, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    # For the index built concurrently; the triggers and their first count are one
    # transaction of their own (``atomic=True`` below).
    atomic = False

    dependencies = [
        ("comments", "0010_top_level_comments_by_date_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="CommentStatusTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Pending"),
                            ("approved", "Approved"),
                            ("spam", "Spam"),
                            ("trash", "Trash"),
                        ],
                        max_length=10,
                    ),
                ),
                ("slot", models.PositiveSmallIntegerField(default=0)),
                ("comments", models.BigIntegerField(default=0)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("status", "slot"), name="comment_tally_slot_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers, atomic=True, elidable=False),
        migrations.RunPython(create_queue_order_index, drop_queue_order_index, elidable=False),
    ]
