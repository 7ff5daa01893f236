"""
The site's search backend: Wagtail's database search (``wagtail.search.backends.database``),
with the PostgreSQL queries shaped for thousands of long posts (``postgres.py``).

Named in ``WAGTAILSEARCH_BACKENDS`` when no ``SEARCH_BACKEND_URL`` is set. Like Wagtail's
own database backend, it picks the engine of the default database: SQLite (FTS5) and
MySQL get Wagtail's backends unchanged.
"""

from django.db import connection

from wagtail.search.backends import database


def SearchBackend(params):  # noqa: N802 - the name Wagtail looks up in a backend module
    if connection.vendor == "postgresql":
        from .postgres import PostgresSearchBackend

        return PostgresSearchBackend(params)
    return database.SearchBackend(params)
