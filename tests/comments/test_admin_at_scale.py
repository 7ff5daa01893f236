"""The moderation queue's queries on a large site: a list of one status is ordered so
PostgreSQL reads the newest from the created_at index instead of sorting all of that
status's comments (docs/benchmarks.md, at scale), and the post filter finds the posts
with comments by EXISTS, without a DISTINCT over their whole rows."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest

from blog.comments.models import Comment
from tests.comments.admin_users import make_moderator
from tests.comments.conftest import make_comment
from tests.comments.test_admin import listed_ids, url

Status = Comment.Status
NEWEST_FIRST = '"comments_comment"."created_at" DESC, "comments_comment"."id" DESC'


@pytest.fixture
def moderator_client(client, db):
    client.force_login(make_moderator())
    return client


def listing_query(queries):
    """The query that reads the page of comments shown."""
    return next(
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith('SELECT "comments_comment"."id"') and "LIMIT" in query["sql"]
    )


def test_one_status_is_listed_newest_first_without_the_awaiting_decision_key(
    moderator_client, seed_post
):
    older = make_comment(seed_post, status=Status.PENDING)
    make_comment(seed_post, status=Status.APPROVED)
    newer = make_comment(seed_post, status=Status.PENDING)

    with CaptureQueriesContext(connection) as queries:
        response = moderator_client.get(url("list"), {"status": "pending"})

    assert listed_ids(response) == [newer.pk, older.pk]
    order_by = listing_query(queries).split("ORDER BY")[-1].strip()
    assert order_by.startswith(NEWEST_FIRST)


def test_every_status_still_lists_the_comments_awaiting_a_decision_first(
    moderator_client, seed_post
):
    pending = make_comment(seed_post, status=Status.PENDING)
    approved = make_comment(seed_post, status=Status.APPROVED)

    with CaptureQueriesContext(connection) as queries:
        response = moderator_client.get(url("list"))

    assert listed_ids(response) == [pending.pk, approved.pk]
    # The awaiting-decision annotation comes first (PostgreSQL names it by its column).
    order_by = listing_query(queries).split("ORDER BY")[-1].strip()
    assert not order_by.startswith(NEWEST_FIRST)
    assert NEWEST_FIRST in order_by


def test_the_post_filter_lists_posts_with_comments_without_reading_their_bodies(
    moderator_client, seed_post, make_posts
):
    without_comments = make_posts(1)[0]
    make_comment(seed_post, status=Status.SPAM)

    with CaptureQueriesContext(connection) as queries:
        response = moderator_client.get(url("list"))

    choices = response.context["filters"].form.fields["post"].queryset
    assert list(choices) == [seed_post.specific_class.objects.get(pk=seed_post.pk)]
    assert without_comments.pk not in {post.pk for post in choices}
    posts_query = next(
        q["sql"] for q in queries.captured_queries if "EXISTS" in q["sql"] and "title" in q["sql"]
    )
    assert "DISTINCT" not in posts_query
    assert '"blog_blogpostpage"."body"' not in posts_query
