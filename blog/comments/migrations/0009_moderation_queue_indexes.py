"""Indexes that keep the moderation queue's cost fixed as comments accumulate.

``comment_pending_idx``: the pending comments, newest first. The queue's first page reads
50 entries from it, and counting the pending comments (the menu badge, the dashboard, the
status filter, the API's page count) reads only the backlog, not the table.

Trigram indexes (PostgreSQL only): the moderators' substring search (``search_comments``)
is an ``icontains`` over name, email, text and IP address, which Django writes as
``UPPER(column::text) LIKE UPPER('%fragment%')``. Without them each search is a sequential
scan of every comment. The indexes are on the same expressions, so the planner can answer
each ``LIKE`` with a bitmap index scan. They stay out of the model's state: Django has no
trigram index for SQLite, and a state holding one would emit it in SQLite's table rebuilds.

``pg_trgm`` needs a superuser (or a trusted-extension grant) once per database; see
docs/deploy.md. The indexes are built ``CONCURRENTLY`` (hence a non-atomic migration), so
a live site keeps taking comments while they are built.
"""

from django.db import migrations, models

TABLE = "comments_comment"
#: index name → the expression Django's ``icontains`` compares.
SEARCH_INDEXES = {
    "comment_name_trgm_idx": 'UPPER("author_name"::text)',
    "comment_email_trgm_idx": 'UPPER("author_email"::text)',
    "comment_body_trgm_idx": 'UPPER("body"::text)',
    "comment_ip_trgm_idx": 'UPPER(HOST("ip_address"))',
}


def create_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # Not Django's TrigramExtension: unapplied on SQLite it asks SQLite for pg_extension.
    # Going back leaves pg_trgm installed, as other schemas on the server may use it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in SEARCH_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} "
            f"ON {TABLE} USING gin (({expression}) gin_trgm_ops)"
        )


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in SEARCH_INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("comments", "0008_ban_permissions_for_moderators"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="comment",
            index=models.Index(
                fields=["-created_at", "-id"],
                condition=models.Q(status="pending"),
                name="comment_pending_idx",
            ),
        ),
        migrations.RunPython(create_search_indexes, drop_search_indexes, elidable=False),
    ]
