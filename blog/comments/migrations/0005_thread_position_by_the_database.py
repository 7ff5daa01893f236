"""The database gives each new comment its place in the thread (``depth`` and
``thread_path``) as the row is inserted.

Why in the database: the path ends with the comment's own id, which exists only once the
row does. Computed in Python, storing a comment took an INSERT and then an UPDATE inside
one transaction, and on SQLite that transaction holds the database's single write lock
across two round trips of Python; under a burst of comments, the other workers queue on
that lock. With the trigger a comment is one INSERT, complete when it lands (never a row
without its place), and the lock is held for one statement.

The trigger only fills a path that is empty, so code that sets one itself still can.
``Comment.set_thread_position`` computes the same values for the object in memory.
"""

from django.db import migrations

TABLE = "comments_comment"
NAME = "comments_comment_thread_position"

SQLITE_CREATE = f"""
CREATE TRIGGER {NAME}
AFTER INSERT ON {TABLE}
FOR EACH ROW WHEN NEW.thread_path = ''
BEGIN
    UPDATE {TABLE}
    SET depth = COALESCE(
            (SELECT parent.depth + 1 FROM {TABLE} AS parent WHERE parent.id = NEW.parent_id), 0
        ),
        thread_path = COALESCE(
            (SELECT parent.thread_path || '/' FROM {TABLE} AS parent WHERE parent.id = NEW.parent_id),
            ''
        ) || printf('%010d', NEW.id)
    WHERE id = NEW.id;
END
"""
SQLITE_DROP = f"DROP TRIGGER IF EXISTS {NAME}"

# lpad() would cut an id longer than the width; zfill() in Python never does.
POSTGRESQL_CREATE = f"""
CREATE OR REPLACE FUNCTION {NAME}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    segment text;
BEGIN
    IF NEW.thread_path <> '' THEN
        RETURN NEW;
    END IF;
    segment := CASE WHEN length(NEW.id::text) >= 10 THEN NEW.id::text
                    ELSE lpad(NEW.id::text, 10, '0') END;
    NEW.depth := 0;
    NEW.thread_path := segment;
    IF NEW.parent_id IS NOT NULL THEN
        SELECT parent.depth + 1, parent.thread_path || '/' || segment
        INTO NEW.depth, NEW.thread_path
        FROM {TABLE} AS parent WHERE parent.id = NEW.parent_id;
        IF NOT FOUND THEN
            NEW.depth := 0;
            NEW.thread_path := segment;
        END IF;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER {NAME}
BEFORE INSERT ON {TABLE}
FOR EACH ROW EXECUTE FUNCTION {NAME}();
"""
POSTGRESQL_DROP = f"DROP TRIGGER IF EXISTS {NAME} ON {TABLE}; DROP FUNCTION IF EXISTS {NAME}();"

STATEMENTS = {
    "sqlite": (SQLITE_CREATE, SQLITE_DROP),
    "postgresql": (POSTGRESQL_CREATE, POSTGRESQL_DROP),
}


def statements_for(schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in STATEMENTS:
        raise RuntimeError(
            f"Comments need a thread-position trigger, written for SQLite and PostgreSQL; "
            f"this database is {vendor}."
        )
    return STATEMENTS[vendor]


def create_trigger(apps, schema_editor):
    schema_editor.execute(statements_for(schema_editor)[0], params=None)


def drop_trigger(apps, schema_editor):
    schema_editor.execute(statements_for(schema_editor)[1], params=None)


class Migration(migrations.Migration):
    dependencies = [("comments", "0004_email_index_ignoring_case")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
