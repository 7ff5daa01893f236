"""The privacy jobs on a large site: the erasure and the IP purge run in short batches
(no long lock on thousands of rows) with a fixed number of queries per batch, and the
thread query is one an index serves in order. Measured at a million comments in
docs/benchmarks.md; here the shape of the work is asserted, never its time."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest

from blog.comments.models import Comment
from blog.comments.privacy import ANONYMOUS_NAME, erase_personal_data, purge_network_data
from blog.comments.threads import PUBLIC_FIELDS
from tests.comments.conftest import make_comment

ADA = "ada@example.com"


def statements(queries, prefix):
    return [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().startswith(prefix)]


def test_erase_runs_in_batches_each_locking_only_its_own_comments(seed_post, make_posts):
    other_post = make_posts(1)[0]
    mine = [make_comment(seed_post, author_email=ADA) for _ in range(3)]
    mine += [make_comment(other_post, author_email=ADA.upper()) for _ in range(2)]
    someone_else = make_comment(seed_post, author_email="grace@example.com")

    with CaptureQueriesContext(connection) as queries:
        erasure = erase_personal_data(ADA, batch_size=2)

    assert (erasure.comment_count, erasure.post_count) == (5, 2)
    # Three batches of at most two, then the look that finds nothing left.
    batches = [
        sql
        for sql in statements(queries, "SELECT")
        if 'FROM "comments_comment"' in sql and "LIMIT 2" in sql
    ]
    assert len(batches) == 4
    for comment in mine:
        comment.refresh_from_db()
        assert comment.author_name == ANONYMOUS_NAME
        assert comment.ip_address is None
    someone_else.refresh_from_db()
    assert someone_else.author_email == "grace@example.com"
    assert not Comment.objects.by_email(ADA).exists()


def test_erase_costs_the_same_queries_for_two_comments_as_for_twelve_on_three_posts(
    seed_post, make_posts
):
    def queries_to_erase(email, posts, count):
        for number in range(count):
            make_comment(posts[number % len(posts)], author_email=email)
        with CaptureQueriesContext(connection) as queries:
            assert erase_personal_data(email).comment_count == count
        return len(queries.captured_queries)

    few = queries_to_erase("few@example.com", [seed_post], 2)
    assert few == queries_to_erase("many@example.com", [seed_post, *make_posts(2)], 12)


def test_purge_clears_old_comments_in_batches_and_keeps_new_ones(seed_post):
    old = [
        make_comment(seed_post, user_agent="Mozilla/5.0 (old)", ip_address=f"192.0.2.{number}")
        for number in range(5)
    ]
    Comment.objects.filter(pk__in=[c.pk for c in old]).update(
        created_at=timezone.now() - datetime.timedelta(days=40)
    )
    new = make_comment(seed_post, ip_address="198.51.100.9", user_agent="Mozilla/5.0 (new)")

    with CaptureQueriesContext(connection) as queries:
        cleared = purge_network_data(30, batch_size=2)

    assert cleared == 5
    assert len(statements(queries, "UPDATE")) == 3
    assert not Comment.objects.filter(pk__in=[c.pk for c in old], ip_address__isnull=False)
    assert not Comment.objects.filter(pk__in=[c.pk for c in old]).exclude(user_agent="")
    new.refresh_from_db()
    assert (new.ip_address, new.user_agent) == ("198.51.100.9", "Mozilla/5.0 (new)")
    assert purge_network_data(30, batch_size=2) == 0


@pytest.mark.skipif(
    "postgresql" not in __import__("os").environ.get("DATABASE_URL", ""),
    reason="The plan is PostgreSQL's (DATABASE_URL=postgresql://…)",
)
def test_the_thread_query_is_read_from_the_thread_index_in_order(seed_post):
    """A post's approved comments come from comment_thread_idx (post, status,
    thread_path) already sorted: no scan of other posts' comments and no sort, so the
    query's cost follows the post's own thread, not the table's size. On a test's few
    rows PostgreSQL rightly prefers a sequential scan, or another index and a sort of
    one row: both are switched off, so the plan shows whether an index can serve the
    query in its order at all, and which."""
    for _ in range(3):
        make_comment(seed_post)
    queryset = (
        Comment.objects.approved()
        .filter(post_id=seed_post.pk)
        .only(*PUBLIC_FIELDS)
        .order_by("thread_path")
    )
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "comment_thread_idx" in plan
    assert "Sort" not in plan


def test_export_works_out_each_post_once_however_many_comments_fall_on_it(
    seed_post, make_posts, monkeypatch
):
    """A prolific author's export names each post's title and address once per post,
    not per comment: the queries do not grow with the comments, the sites' root paths
    are read once, and no post body is loaded."""
    from wagtail.models import Site

    from blog.comments.privacy import export_personal_data

    def export(email, posts, count):
        for number in range(count):
            make_comment(posts[number % len(posts)], author_email=email)
        root_path_reads = []
        read_root_paths = Site.get_site_root_paths
        monkeypatch.setattr(
            Site,
            "get_site_root_paths",
            lambda: root_path_reads.append(1) or read_root_paths(),
        )
        with CaptureQueriesContext(connection) as queries:
            exported = export_personal_data(email)
        monkeypatch.undo()
        return exported, queries, len(root_path_reads)

    others = make_posts(2)
    _, few_queries, _ = export("few@example.com", [seed_post], 2)
    exported, many_queries, root_path_reads = export("many@example.com", [seed_post, *others], 12)

    assert len(many_queries) == len(few_queries)
    assert root_path_reads == 1
    post_bodies = '"blog_blogpostpage"."body"'
    assert not [q for q in many_queries.captured_queries if post_bodies in q["sql"]]
    assert len(exported["comments"]) == 12
    by_title = {post.title: post.get_full_url() for post in [seed_post, *others]}
    for record in exported["comments"]:
        assert record["post"]["url"] == by_title[record["post"]["title"]]
