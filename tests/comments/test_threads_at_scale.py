"""A page of comments costs what the page shows, not what the post holds: the page's
top-level comments are found in the database and only their threads' rows are loaded
(blog.comments.threads). Here the shape of the work is asserted (queries, rows loaded,
SQL, PostgreSQL's plans), never its time; measured at a million comments in
docs/benchmarks.md. The edge cases of paging by thread in the database are here too:
tombstone roots, pins on later pages, ties, the last page, an empty post."""

import datetime

from django.db import connection
from django.db.models import Exists
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest

from blog.comments.models import Comment
from blog.comments.sanitize import sanitize_comment
from blog.comments.sorting import MOST_REPLIES, NEWEST, OLDEST, ORDERS, flatten
from blog.comments.threads import (
    HasApprovedReply,
    ThreadComment,
    ThreadListing,
    approved_in_threads,
    approved_replies_of_outer,
    comment_url,
    thread_end,
    thread_page,
    unpinned_roots,
)
from tests.comments.conftest import make_comment
from tests.conftest import build_post

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="The plan is PostgreSQL's (DATABASE_URL=postgres://…)",
)
START = timezone.now() - datetime.timedelta(days=30)


def bulk_threads(post, count, replies_each=2, *, first=0):
    """``count`` approved top-level comments an hour apart, each with ``replies_each``
    approved replies, stored in two statements (the thread trigger places them)."""

    def comment(number, **fields):
        body = f"Comment {post.pk}-{number}"
        return Comment(
            post=post,
            status=Comment.Status.APPROVED,
            author_name="Reader",
            author_email=f"reader{number}@example.com",
            body=body,
            body_html=sanitize_comment(body),
            fingerprint=f"bulk-{post.pk}-{number}",
            **fields,
        )

    roots = Comment.objects.bulk_create([comment(first + n) for n in range(count)], batch_size=500)
    stamps = {root.pk: START + datetime.timedelta(hours=first + n) for n, root in enumerate(roots)}
    for root in roots:
        Comment.objects.filter(pk=root.pk).update(created_at=stamps[root.pk])
    Comment.objects.bulk_create(
        [comment(f"{root.pk}r{n}", parent=root) for root in roots for n in range(replies_each)],
        batch_size=500,
    )
    return Comment.objects.filter(pk__in=[root.pk for root in roots]).order_by("created_at")


def page_ids(post, page_number, order=OLDEST):
    return [node.comment.pk for node in thread_page(post.pk, page_number, order).roots]


def every_page(post, order):
    """Each page's trees, flattened, concatenated: what a reader paging through sees."""
    flat, number = [], 1
    while True:
        page = thread_page(post.pk, number, order)
        flat += flatten(page.roots)
        if number == page.num_pages:
            return flat
        number += 1


class LoadedComments:
    """Counts the comment rows turned into objects, model instances or a page's
    ``ThreadComment`` rows (what grew with the post before)."""

    def __init__(self, monkeypatch):
        self.count = 0
        original = Comment.from_db.__func__

        def counted(cls, db, field_names, values):
            self.count += 1
            return original(cls, db, field_names, values)

        def counted_row(*values):
            self.count += 1
            return ThreadComment(*values)

        monkeypatch.setattr(Comment, "from_db", classmethod(counted))
        monkeypatch.setattr("blog.comments.threads.ThreadComment", counted_row)


@pytest.mark.parametrize("order", ORDERS)
def test_page_one_of_300_threads_costs_the_queries_and_rows_of_30(
    seed_post, make_posts, settings, monkeypatch, order
):
    settings.COMMENTS_THREADS_PER_PAGE = 10
    small_post, large_post = seed_post, make_posts(1)[0]
    bulk_threads(small_post, 30)
    bulk_threads(large_post, 300, first=1000)
    loaded = LoadedComments(monkeypatch)

    def cost(post):
        loaded.count = 0
        with CaptureQueriesContext(connection) as queries:
            page = thread_page(post.pk, 2, order)
        assert len(page.roots) == 10
        return len(queries), loaded.count, queries

    small_queries, small_rows, _ = cost(small_post)
    large_queries, large_rows, queries = cost(large_post)
    assert large_queries == small_queries
    assert large_rows == small_rows == 30, "ten threads of three comments, nothing else"
    roots_query = next(
        q["sql"] for q in queries if 'AS "thread_path"' in q["sql"] and "LIMIT" in q["sql"]
    )
    assert "LIMIT 10" in roots_query and "OFFSET 10" in roots_query


def test_last_page_of_the_api_list_loads_only_the_threads_it_shows(
    seed_post, make_posts, monkeypatch
):
    small_post, large_post = seed_post, make_posts(1)[0]
    bulk_threads(small_post, 30)
    bulk_threads(large_post, 300, first=1000)
    loaded = LoadedComments(monkeypatch)

    def cost(post):
        listing = ThreadListing(post.pk)
        total = len(listing)
        loaded.count = 0
        with CaptureQueriesContext(connection) as queries:
            shown = listing[total - 20 : total]
        assert len(shown) == 20
        return len(queries), loaded.count

    assert cost(large_post) == cost(small_post)
    assert loaded.count <= 21, "the threads overlapping the slice: 20 rows and one more"


@pytest.mark.parametrize("order", ORDERS)
def test_api_slices_match_the_pages_readers_see(seed_post, settings, order):
    """Every slice of the API's list is the same reading order as the pages, pinned
    threads, tombstones and all, whatever the boundaries cut through."""
    settings.COMMENTS_THREADS_PER_PAGE = 3
    roots = list(bulk_threads(seed_post, 7, replies_each=1))
    busy = roots[4]
    for _ in range(2):
        make_comment(seed_post, parent=busy)
    removed_root = roots[2]
    Comment.objects.filter(pk=removed_root.pk).update(status=Comment.Status.TRASH)
    removed_reply = make_comment(seed_post, parent=roots[5], status=Comment.Status.SPAM)
    make_comment(seed_post, parent=removed_reply)
    Comment.objects.filter(pk=roots[6].pk).update(pinned_at=timezone.now())

    expected = [(node.comment.pk, node.removed) for node in every_page(seed_post, order)]
    listing = ThreadListing(seed_post.pk, order)
    assert len(listing) == len(expected)
    assert sum(removed for _, removed in expected) == 2
    for start in range(len(expected)):
        for size in (1, 5, 50):
            got = [(node.comment.pk, node.removed) for node in listing[start : start + size]]
            assert got == expected[start : start + size], (start, size)


def test_removed_root_with_approved_replies_is_a_tombstone_in_its_date_place(seed_post):
    first, second, third = bulk_threads(seed_post, 3, replies_each=0)
    reply = make_comment(seed_post, parent=second)
    Comment.objects.filter(pk=second.pk).update(status=Comment.Status.TRASH)
    lone_removed = make_comment(seed_post, status=Comment.Status.SPAM)

    page = thread_page(seed_post.pk, 1)
    assert [(node.comment.pk, node.removed) for node in page.roots] == [
        (first.pk, False),
        (second.pk, True),
        (third.pk, False),
    ]
    assert [child.comment.pk for child in page.roots[1].children] == [reply.pk]
    assert lone_removed.pk not in [node.comment.pk for node in flatten(page.roots)]
    reply.refresh_from_db()
    assert comment_url(seed_post, reply) == f"{seed_post.url}#comment-{reply.pk}"


def test_pinned_thread_from_a_later_page_comes_first_and_pushes_the_rest(seed_post, settings):
    settings.COMMENTS_THREADS_PER_PAGE = 2
    roots = list(bulk_threads(seed_post, 5, replies_each=0))
    Comment.objects.filter(pk=roots[4].pk).update(pinned_at=timezone.now())

    assert page_ids(seed_post, 1) == [roots[4].pk, roots[0].pk]
    assert page_ids(seed_post, 2) == [roots[1].pk, roots[2].pk]
    assert page_ids(seed_post, 3) == [roots[3].pk]
    assert page_ids(seed_post, 1, NEWEST) == [roots[4].pk, roots[3].pk]
    assert comment_url(seed_post, roots[4]) == f"{seed_post.url}#comment-{roots[4].pk}"
    assert comment_url(seed_post, roots[3]) == f"{seed_post.url}?cpage=3#comment-{roots[3].pk}"


def test_more_pins_than_a_page_holds_run_on_to_page_two(seed_post, settings):
    settings.COMMENTS_THREADS_PER_PAGE = 2
    roots = list(bulk_threads(seed_post, 4, replies_each=0))
    for offset, root in enumerate([roots[3], roots[1], roots[2]]):
        Comment.objects.filter(pk=root.pk).update(
            pinned_at=timezone.now() + datetime.timedelta(seconds=offset)
        )

    assert page_ids(seed_post, 1) == [roots[3].pk, roots[1].pk]
    assert page_ids(seed_post, 2) == [roots[2].pk, roots[0].pk]
    assert thread_page(seed_post.pk, 2).num_pages == 2
    assert comment_url(seed_post, roots[2]) == f"{seed_post.url}?cpage=2#comment-{roots[2].pk}"


def test_pinned_root_that_was_removed_is_a_tombstone_in_its_date_place(seed_post):
    first, second = bulk_threads(seed_post, 2, replies_each=1)
    Comment.objects.filter(pk=second.pk).update(
        pinned_at=timezone.now(), status=Comment.Status.TRASH
    )

    page = thread_page(seed_post.pk, 1)
    assert [(node.comment.pk, node.removed) for node in page.roots] == [
        (first.pk, False),
        (second.pk, True),
    ]
    assert not page.roots[1].comment.is_pinned


def test_most_replies_breaks_ties_by_age_then_id(seed_post):
    older, newer, busiest = bulk_threads(seed_post, 3, replies_each=1)
    make_comment(seed_post, parent=busiest)
    twin = make_comment(seed_post)
    Comment.objects.filter(pk=twin.pk).update(created_at=older.created_at)
    make_comment(seed_post, parent=twin)
    hidden = make_comment(seed_post, parent=older, status=Comment.Status.PENDING)
    make_comment(seed_post, parent=hidden, status=Comment.Status.SPAM)

    # Two replies for the busiest; one each for the rest (held ones are not counted), the
    # older first and, stored in the same instant, the lower id.
    assert page_ids(seed_post, 1, MOST_REPLIES) == [busiest.pk, older.pk, twin.pk, newer.pk]


def test_last_page_is_partial_and_the_one_after_it_does_not_exist(seed_post, settings):
    settings.COMMENTS_THREADS_PER_PAGE = 4
    roots = list(bulk_threads(seed_post, 10, replies_each=1))

    last = thread_page(seed_post.pk, 3, NEWEST)
    assert (last.number, last.num_pages) == (3, 3)
    assert [node.comment.pk for node in last.roots] == [roots[1].pk, roots[0].pk]
    assert [len(node.children) for node in last.roots] == [1, 1]
    with pytest.raises(Http404):
        thread_page(seed_post.pk, 4, NEWEST)


def test_empty_post_has_one_empty_page(seed_post):
    page = thread_page(seed_post.pk, 1)
    assert (page.roots, page.number, page.num_pages) == ([], 1, 1)
    with pytest.raises(Http404):
        thread_page(seed_post.pk, 2)
    listing = ThreadListing(seed_post.pk)
    assert len(listing) == 0
    assert listing[0:20] == []


def test_thread_end_bounds_exactly_one_comment_and_its_replies():
    assert thread_end("0000000041") == "0000000042"
    assert thread_end("0000000041/0000000099") == "0000000041/0000000100"
    replies = ["0000000041/0000000099", "0000000041/0000000099/0000000120"]
    for path in replies:
        assert "0000000041/0000000099" <= path < thread_end("0000000041/0000000099")
    assert (
        not "0000000041/0000000099" < "0000000041/0000000100" < thread_end("0000000041/0000000099")
    )


def explain(queryset):
    """The plan PostgreSQL would choose were the table large: a test's few rows make a
    sequential scan the cheapest, so it is switched off to show which index serves."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def reads_a_thread_path_range(plan):
    """An index condition on ``thread_path`` (``comment_thread_idx`` on a large table; on
    a test's few rows the planner may pick the column's own index for it)."""
    return any("Index Cond" in line and "thread_path" in line for line in plan.splitlines())


@postgresql_only
@pytest.mark.parametrize("order", [OLDEST, NEWEST])
def test_date_orders_walk_the_roots_index_and_stop_at_the_page(seed_post, order):
    bulk_threads(seed_post, 5)
    plan = explain(unpinned_roots(seed_post.pk, order).values_list("pk", "thread_path")[50:100])

    assert "comment_roots_idx" in plan
    assert "Sort" not in plan, "the index gives the order"
    assert "Seq Scan on comments_comment" not in plan


@postgresql_only
def test_most_replies_counts_each_thread_in_the_thread_index(seed_post):
    bulk_threads(seed_post, 5)
    plan = explain(unpinned_roots(seed_post.pk, MOST_REPLIES).values_list("pk", "thread_path")[:50])

    # Each root's count is an index-only range of comment_thread_idx on the million-row
    # copy (docs/benchmarks.md); on a test's few rows the planner filters the post's
    # index instead, so only the roots' index and the absence of a scan are asserted.
    assert "comment_roots_idx" in plan
    assert "Seq Scan on comments_comment" not in plan


@postgresql_only
def test_a_page_of_threads_is_read_by_thread_path_ranges(seed_post):
    roots = bulk_threads(seed_post, 3)
    plan = explain(approved_in_threads(seed_post.pk, [root.thread_path for root in roots]))

    assert "comment_thread_idx" in plan or reads_a_thread_path_range(plan)
    assert "Seq Scan on comments_comment" not in plan


def roots_queries(queries):
    return [q["sql"] for q in queries if 'AS "thread_path"' in q["sql"] and "LIMIT" in q["sql"]]


@pytest.mark.parametrize("order", ORDERS)
def test_the_last_page_seeks_from_the_end_and_costs_what_the_first_does(
    seed_post, settings, monkeypatch, order
):
    settings.COMMENTS_THREADS_PER_PAGE = 10
    bulk_threads(seed_post, 300)
    loaded = LoadedComments(monkeypatch)

    def cost(page_number):
        loaded.count = 0
        with CaptureQueriesContext(connection) as queries:
            page = thread_page(seed_post.pk, page_number, order)
        assert len(page.roots) == 10
        return len(queries), loaded.count, roots_queries(queries)

    first_queries, first_rows, _ = cost(1)
    last_queries, last_rows, (last_roots,) = cost(30)
    assert (last_queries, last_rows) == (first_queries, first_rows)
    assert "OFFSET" not in last_roots, "read backwards from the end, nothing skipped"
    middle_roots = cost(16)[2][0]
    assert "OFFSET 140" in middle_roots, "the nearer end: 14 pages from the end, 15 from the start"
    assert page_ids(seed_post, 30, order) == [
        node.comment.pk for node in thread_page(seed_post.pk, 30, order).roots
    ]


def test_the_api_reads_as_few_roots_for_the_last_comments_as_for_the_first(seed_post, monkeypatch):
    roots = list(bulk_threads(seed_post, 300))
    Comment.objects.filter(pk=roots[150].pk).update(pinned_at=timezone.now())
    listing = ThreadListing(seed_post.pk)
    total = len(listing)
    assert total == 900
    loaded = LoadedComments(monkeypatch)

    def cost(start):
        loaded.count = 0
        with CaptureQueriesContext(connection) as queries:
            shown = listing[start : start + 20]
        assert len(shown) == 20
        limits = [int(sql.rsplit("LIMIT ", 1)[1].split()[0]) for sql in roots_queries(queries)]
        return len(queries), loaded.count, limits, shown

    first = cost(0)
    last = cost(total - 20)
    assert last[0] <= first[0], "from the end, the pinned roots are read only if reached"
    assert last[1:3] == first[1:3]
    assert max(last[2]) <= 21, "one batch of roots: at most one per comment shown, and one more"
    assert first[3][0].comment.pk == roots[150].pk, "the pinned thread first"
    assert last[3][-1].comment.thread_path.startswith(roots[-1].thread_path)


@postgresql_only
@pytest.mark.parametrize("order", [OLDEST, NEWEST])
def test_a_page_read_from_the_end_walks_the_roots_index_the_other_way(seed_post, order):
    bulk_threads(seed_post, 5)
    roots = unpinned_roots(seed_post.pk, order).values_list("pk", "thread_path")
    forwards, backwards = explain(roots[:50]), explain(roots.reverse()[:50])

    for plan in (forwards, backwards):
        assert "comment_roots_idx" in plan
        assert "Sort" not in plan, "the index gives the order both ways"
    assert ("Backward" in forwards) != ("Backward" in backwards)


def test_the_threads_ranges_hold_their_comments_and_nothing_else(seed_post):
    roots = bulk_threads(seed_post, 4)
    chosen = [roots[0].thread_path, roots[2].thread_path]

    shown = list(approved_in_threads(seed_post.pk, chosen).values_list("thread_path", flat=True))
    assert shown and all(path.split("/")[0] in set(chosen) for path in shown)
    assert len(shown) == 2 * 3, "each root with its two replies"
    assert shown == sorted(shown)
    assert list(approved_in_threads(seed_post.pk, [])) == []


def test_the_written_reply_test_finds_what_the_subquery_finds(seed_post, blog_index):
    """``HasApprovedReply`` (its SQL written out) and ``Exists(approved_replies_of_outer())``
    agree on every comment: approved replies at any depth, in the post's own threads
    only, past roots whose ids gain a digit (9 to 10: the thread end's carry)."""
    other_post = build_post(blog_index, 1)
    trashed, approved = Comment.Status.TRASH, Comment.Status.APPROVED
    for number in range(12):
        root = make_comment(seed_post, status=trashed)
        middle = make_comment(seed_post, status=trashed, parent=root)
        if number % 3 == 0:
            make_comment(seed_post, status=approved, parent=middle)
        elif number % 3 == 1:
            make_comment(seed_post, status=Comment.Status.PENDING, parent=middle)
        make_comment(other_post, status=approved)
    make_comment(seed_post, status=approved, parent=make_comment(seed_post, status=approved))

    found = {}
    for post in (seed_post, other_post):
        comments = Comment.objects.filter(post=post).order_by("pk")
        found[post] = list(comments.filter(HasApprovedReply(post.pk)).values_list("pk", flat=True))
        subquery = Exists(approved_replies_of_outer(post.pk))
        assert found[post] == list(comments.filter(subquery).values_list("pk", flat=True))
    assert len(found[seed_post]) == 4 * 2 + 1, "four trashed roots and their middles, one root"
    assert found[other_post] == []
