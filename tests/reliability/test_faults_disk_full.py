"""
The disk fills under SQLite (issue 17): a comment POST is refused with a 503 and
Retry-After, nothing of it is stored, and readers keep getting pages. SQLite's own page
limit (``PRAGMA max_page_count``) stands in for a full disk: SQLite answers both with
the same error, SQLITE_FULL ("database or disk is full").
"""

from contextlib import contextmanager

from django.db import connection
from django.test import Client

import pytest

from blog.comments.models import Comment, CommentSettings
from tests.comments.conftest import form_data

#: More than a database page (4 KiB) holds, so storing it needs new pages.
LONG_BODY = "A comment long enough to need new pages of the database. " * 80

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the disk-full fault is SQLite's"
)


@contextmanager
def database_full():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA page_count")
        (pages,) = cursor.fetchone()
        cursor.execute("PRAGMA max_page_count")
        (limit,) = cursor.fetchone()
        cursor.execute(f"PRAGMA max_page_count = {pages}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA max_page_count = {limit}")


def test_a_comment_is_refused_with_503_and_nothing_stored_while_pages_are_served(
    seed_post, settings
):
    settings.COMMENTS_MIN_SECONDS_TO_POST = 0
    CommentSettings.load()
    client = Client()
    client.get(seed_post.url)
    stored = Comment.objects.count()

    with database_full():
        posted = client.post(
            f"/comments/post/{seed_post.pk}/", form_data(seed_post, body=LONG_BODY)
        )
        page = client.get(seed_post.url)

    assert posted.status_code == 503
    assert posted["Retry-After"] == "10"
    assert "Back in a moment" in posted.content.decode()
    assert Comment.objects.count() == stored
    assert page.status_code == 200


def test_the_same_form_goes_through_once_there_is_room_again(seed_post, settings):
    """The refused POST gives back its form token and flood window: "send it again" works."""
    settings.COMMENTS_MIN_SECONDS_TO_POST = 0
    CommentSettings.load()
    client = Client()
    data = form_data(seed_post, body="Sent again once there was room. " + LONG_BODY)

    with database_full():
        assert client.post(f"/comments/post/{seed_post.pk}/", data).status_code == 503
    again = client.post(f"/comments/post/{seed_post.pk}/", data)

    assert again.status_code == 303
    assert Comment.objects.filter(body=data["body"].strip()).count() == 1
