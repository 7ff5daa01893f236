"""The moderation queue's queries on a large site (docs/benchmarks.md, at scale): a list
of one status is ordered so PostgreSQL reads the newest from an index instead of sorting
all of that status's comments; the post filter is a chooser, whose page costs the same
however many posts there are; the counts read the backlog, not the table; and on
PostgreSQL the search and the pending queue have indexes their queries can use."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import pytest
from bs4 import BeautifulSoup

from blog.comments.admin import pagination
from blog.comments.models import Comment
from blog.comments.moderation import moderate
from blog.comments.moderator_search import search_comments
from tests.comments.admin_users import make_moderator
from tests.comments.conftest import make_comment
from tests.comments.test_admin import listed_ids, status_labels, url

Status = Comment.Status
NEWEST_FIRST = '"comments_comment"."created_at" DESC, "comments_comment"."id" DESC'


@pytest.fixture
def moderator(db):
    return make_moderator()


@pytest.fixture
def moderator_client(client, moderator):
    client.force_login(moderator)
    return client


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="plans of PostgreSQL's indexes"
)


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


def listing_queries(client, params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("list"), params)
    assert response.status_code == 200
    return response, [query["sql"] for query in queries.captured_queries]


def test_the_post_filter_is_a_chooser_that_costs_the_same_for_any_number_of_posts(
    moderator_client, seed_post, make_posts
):
    make_comment(seed_post, status=Status.PENDING)
    _, with_one_post = listing_queries(moderator_client, {"status": "pending"})
    for post in make_posts(12):
        make_comment(post, status=Status.PENDING)

    response, with_many_posts = listing_queries(moderator_client, {"status": "pending"})

    assert len(with_many_posts) == len(with_one_post)
    page = BeautifulSoup(response.text, "html.parser")
    chooser = page.select_one('input[name="post"]')
    assert chooser is not None and chooser["type"] == "hidden"
    assert not page.select('select[name="post"] option')
    assert "Choose a page (Blog post)" in response.text
    # No query reads posts other than the page's own (their titles, joined to comments).
    assert not any(
        sql.startswith('SELECT "wagtailcore_page"') or 'FROM "blog_blogpostpage"' in sql
        for sql in with_many_posts
    )


def test_a_chosen_post_lists_its_comments_and_shows_its_title_in_the_chooser(
    moderator_client, seed_post, make_posts
):
    other = make_posts(1)[0]
    on_seed = make_comment(seed_post, status=Status.PENDING)
    make_comment(other, status=Status.PENDING)

    response = moderator_client.get(url("list"), {"post": seed_post.pk})

    assert listed_ids(response) == [on_seed.pk]
    page = BeautifulSoup(response.text, "html.parser")
    assert page.select_one('input[name="post"]')["value"] == str(seed_post.pk)
    assert seed_post.title in page.select_one("[data-chooser-title], .chooser__title").text


@pytest.mark.parametrize("value", ["not-a-post", "99999999999999999999", "-3"])
def test_a_post_value_that_is_no_post_shows_the_field_error(moderator_client, seed_post, value):
    make_comment(seed_post, status=Status.PENDING)

    response = moderator_client.get(url("list"), {"post": value})

    assert response.status_code == 200
    assert response.context["filters"].form.errors["post"]


def comment_counts(queries):
    """Queries that count comments themselves (the tally's reads count its rows)."""
    return [
        sql
        for sql in queries
        if "COUNT(" in sql and 'FROM "comments_comment"' in sql and "commentreport" not in sql
    ]


def test_the_status_counts_are_exact_at_once_and_count_no_comments(
    moderator_client, moderator, seed_post
):
    make_comment(seed_post, status=Status.PENDING)
    approved = make_comment(seed_post, status=Status.APPROVED)

    response, first = listing_queries(moderator_client, {"status": "pending"})
    assert status_labels(response)["approved"] == "Approved (1)"
    assert comment_counts(first) == []

    # Readers' comments and a moderator's decision show in every count on the next page.
    make_comment(seed_post, status=Status.PENDING)
    make_comment(seed_post, status=Status.APPROVED)
    moderate([approved.pk], "spam", moderator)
    response, second = listing_queries(moderator_client, {"status": "pending"})
    assert status_labels(response) | {"": "All"} == {
        "": "All",
        "pending": "Pending (2)",
        "approved": "Approved (1)",
        "spam": "Spam (1)",
        "trash": "Trash (0)",
    }
    assert comment_counts(second) == []


@pytest.mark.parametrize("status", ["", "pending", "approved"])
def test_a_listing_of_one_status_or_all_takes_its_size_from_the_tally(
    moderator_client, seed_post, status
):
    for comment_status in (Status.PENDING, Status.APPROVED, Status.APPROVED, Status.SPAM):
        make_comment(seed_post, status=comment_status)
    expected = {"": 4, "pending": 1, "approved": 2}[status]

    response, queries = listing_queries(moderator_client, {"status": status})

    assert response.context["paginator"].count == expected
    assert comment_counts(queries) == []


@pytest.mark.parametrize("narrowed_by", ["post", "search"])
def test_a_narrowed_listing_that_fits_on_its_first_page_is_counted_from_its_rows(
    moderator_client, seed_post, make_posts, narrowed_by
):
    other = make_posts(1)[0]
    for _ in range(3):
        make_comment(seed_post, status=Status.PENDING, author_email="ada4321@example.com")
    make_comment(other, status=Status.PENDING)
    params = {"post": seed_post.pk} if narrowed_by == "post" else {"q": "ada4321@"}

    response, queries = listing_queries(moderator_client, params)

    assert response.context["paginator"].count == 3
    assert len(listed_ids(response)) == 3
    assert "There are 3 matches" in response.text
    assert comment_counts(queries) == []


def test_a_narrowed_listing_is_counted_no_further_than_a_moderator_pages(
    moderator_client, seed_post, make_posts, monkeypatch
):
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 3)
    other = make_posts(1)[0]
    for _ in range(3):
        make_comment(seed_post, status=Status.PENDING)
    make_comment(other, status=Status.PENDING)

    # A later page: the first one would be counted from its rows.
    response, queries = listing_queries(moderator_client, {"post": seed_post.pk, "p": 2})

    assert response.context["paginator"].count == 3
    assert "3 comments" in response.text
    [count] = comment_counts(queries)
    assert "LIMIT 4" in count


def test_beyond_the_limit_the_page_says_about_the_estimate(
    moderator_client, seed_post, monkeypatch
):
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 3)
    monkeypatch.setattr(pagination, "planner_estimate", lambda rows: 912_345)
    # More than a page, so the first page's rows are not the whole listing.
    for _ in range(51):
        make_comment(seed_post, status=Status.PENDING)

    response, _ = listing_queries(moderator_client, {"post": seed_post.pk})

    paginator = response.context["paginator"]
    assert paginator.count == 912_000
    assert paginator.items_count_label == "About 912,000 comments"
    text = BeautifulSoup(response.text, "html.parser").get_text(" ", strip=True)
    assert "There are about 912,000 matches" in text
    # The rows themselves are the ones stored.
    assert len(listed_ids(response)) == 50


@postgresql_only
def test_the_estimate_is_postgresqls_plan_of_the_listing(moderator_client, seed_post, monkeypatch):
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 3)
    for _ in range(5):
        make_comment(seed_post, status=Status.PENDING)
    # No ANALYZE here: it writes the table's row estimate in place, outside the test's
    # transaction, and every later test's plans would be made for a table of 6 rows.

    response, queries = listing_queries(moderator_client, {"post": seed_post.pk, "p": 2})

    paginator = response.context["paginator"]
    assert paginator.is_estimate
    assert paginator.count >= 4
    assert any(sql.startswith("EXPLAIN (FORMAT JSON)") for sql in queries)


def test_the_menu_and_the_dashboard_count_only_what_waits(moderator_client, seed_post):
    for status in (Status.PENDING, Status.PENDING, Status.APPROVED, Status.SPAM):
        make_comment(seed_post, status=status)

    with CaptureQueriesContext(connection) as queries:
        response = moderator_client.get(reverse("wagtailadmin_home"))

    assert "2 comments waiting" in response.text
    counts = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith("SELECT COUNT(*)") and "comments_comment" in query["sql"]
    ]
    assert counts
    # Each count is limited to pending or reported comments; none reads every comment.
    for sql in counts:
        assert '"comments_comment"."status" = ' in sql or "comments_commentreport" in sql, sql
    assert not any(
        "FILTER (WHERE" in q["sql"] or "CASE WHEN" in q["sql"]
        for q in queries.captured_queries
        if "COUNT(" in q["sql"]
    )


def plan_of(queryset):
    """The plan PostgreSQL would use if the table were large: with a few rows it reads the
    table whatever the indexes, so sequential scans are priced out for the question "can
    this query use the index at all"."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    return plan


@postgresql_only
def test_the_search_reads_a_trigram_index_for_each_field(seed_post):
    make_comment(seed_post, author_email="reader4321@example.com")

    # Unordered: the question is whether each LIKE can use its index, not the page order.
    plan = plan_of(search_comments(Comment.objects.order_by(), "reader4321@"))

    for index in (
        "comment_name_trgm_idx",
        "comment_email_trgm_idx",
        "comment_body_trgm_idx",
        "comment_ip_trgm_idx",
    ):
        assert index in plan, plan
    assert "Seq Scan" not in plan


@postgresql_only
def test_the_pending_queue_and_its_count_read_the_pending_index(seed_post):
    make_comment(seed_post, status=Status.PENDING)
    pending = Comment.objects.filter(status=Status.PENDING)

    first_page = plan_of(pending.order_by("-created_at", "-pk")[:50])
    assert "comment_pending_idx" in first_page, first_page
    assert "Sort" not in first_page

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT COUNT(*) FROM comments_comment WHERE status = %s", [Status.PENDING]
        )
        count_plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "comment_pending_idx" in count_plan, count_plan


@postgresql_only
def test_the_all_listing_reads_its_first_page_from_the_queue_order_index(
    moderator_client, seed_post
):
    make_comment(seed_post, status=Status.PENDING)
    make_comment(seed_post, status=Status.APPROVED)
    with CaptureQueriesContext(connection) as queries:
        moderator_client.get(url("list"))

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {listing_query(queries)}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    assert "comment_queue_order_idx" in plan, plan
    assert "Sort Key" not in plan, plan
