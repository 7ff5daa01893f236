"""A GIN index on ``title || body`` of Wagtail's search index, on PostgreSQL.

Wagtail's PostgreSQL search matches a query against the two vectors joined
(``(title || body) @@ to_tsquery(…)``), so that "4321 magnesium" finds a post with one word
in its title and the other in its body. Wagtail indexes ``title`` and ``body`` apart, and an
index on a column cannot serve an expression over two: every search read and joined the
two vectors of every entry, so a word found in one title cost what a word found in every
post did (wagtail/wagtail#6546; modelsearch's model still says this index is "created in a
SQL migration", but none of Wagtail's makes it).

``CONCURRENTLY`` so that building it on a live site does not hold up the index updates of
pages published meanwhile. SQLite (FTS5) and other databases need nothing: their backends
search their own full-text tables.
"""

from django.db import migrations

TABLE = "wagtailsearch_indexentry"
INDEX = "search_indexentry_title_body_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON {TABLE} "
            "USING gin ((title || body))"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("wagtailsearch", "0010_add_text_fields")]

    operations = [migrations.RunPython(create_index, drop_index)]
