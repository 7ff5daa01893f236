"""What a search costs must not grow with the posts it finds (issue 16: 10,000 posts).

On any database: a fixed number of queries per search page and API search. On PostgreSQL
(search/backends/postgres.py): the match is served by the title-and-body index, the
joined vector is never selected, and bodies are ranked only when few posts match, with the
posts whose title matches first either way.
"""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest
from bs4 import BeautifulSoup

from blog.models import BlogPostPage
from search.query import build_search_query

ON_POSTGRESQL = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="Wagtail's PostgreSQL search and its plans (DATABASE_URL=postgres://…)",
)
# On PostgreSQL each search query runs in a savepoint of its own here: SAVEPOINT, SET LOCAL,
# ROLLBACK TO and RELEASE (outside a test's transaction: BEGIN with the SET, and ROLLBACK).
PER_SEARCH_QUERY = 4 if connection.vendor == "postgresql" else 0
SEARCH_PAGE_QUERIES = 6 + 2 * PER_SEARCH_QUERY  # the count and the page (ranked again)
# On PostgreSQL: the keys ranked by titles with the count, then the posts by their keys.
MANY_MATCHES_PAGE_QUERIES = 6 + PER_SEARCH_QUERY
NO_RESULTS_PAGE_QUERIES = 12 + 3 * PER_SEARCH_QUERY  # the count and one per suggested word
API_V2_SEARCH_QUERIES = 9 + 2 * PER_SEARCH_QUERY
API_V3_SEARCH_QUERIES = 5 + 3 * PER_SEARCH_QUERY  # Wagtail's v3 reads the page twice
TITLE_AND_BODY_INDEX = "search_indexentry_title_body_gin"
MATCH = re.compile(
    r'\((?P<table>"wagtailsearch_indexentry"|U\d+)\."title" \|\| (?P=table)\."body"\)'
    r" @@ \(to_tsquery\((?:'[a-z_]+'::regconfig, )?'(?:[^']|'')*'\)\)"
)


def found_titles(response):
    html = BeautifulSoup(response.content, "html.parser")
    return [a.text for a in html.select(".search-result__title a")]


def select_list(sql):
    return sql.split(" FROM ", 1)[0]


def order_by(sql):
    return sql.rsplit(" ORDER BY ", 1)[1]


def ranking_queries(queries):
    """The queries that rank matches, in the order they ran."""
    return [q["sql"] for q in queries if "ts_rank" in q["sql"]]


def matching_queries(queries):
    return [q["sql"] for q in queries if MATCH.search(q["sql"])]


def match_of(sql):
    """The condition the query matches the index entries with, and the table's alias."""
    (match,) = MATCH.finditer(sql)
    return match.group(), match.group("table")


def plan_of_match(sql):
    """How PostgreSQL finds the index entries that meet the query's match, with sequential
    scans switched off: on a test's few rows it rightly prefers one, so this shows whether
    an index can serve that match at all, and which."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        match, table = match_of(sql)  # SQL Django wrote for this test's own search
        cursor.execute(
            f"EXPLAIN SELECT 1 FROM wagtailsearch_indexentry AS {table} WHERE {match}"  # noqa: S608
        )
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture
def rank_bodies_up_to(settings):
    def set_limit(limit):
        settings.WAGTAILSEARCH_BACKENDS = {
            "default": {
                "BACKEND": "search.backends",
                "SEARCH_CONFIG": "english",
                "RANK_BODIES_UP_TO": limit,
            }
        }

    return set_limit


def test_a_search_page_costs_the_same_queries_for_one_post_or_many(
    seed_post, make_posts, client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(SEARCH_PAGE_QUERIES):
        one = client.get("/search/", {"q": "twitch"})
    assert found_titles(one) == [seed_post.title]

    make_posts(12, intro="Hedgehogs hibernate.")
    with django_assert_max_num_queries(SEARCH_PAGE_QUERIES):
        many = client.get("/search/", {"q": "hedgehogs"})
    assert len(found_titles(many)) == 10
    assert "12 posts found" in many.content.decode()


def test_a_search_without_results_costs_a_fixed_number_of_queries(
    seed_post, client, django_assert_max_num_queries
):
    """One count per suggested word (at most five) and the tags: not one per post."""
    with django_assert_max_num_queries(NO_RESULTS_PAGE_QUERIES):
        response = client.get("/search/", {"q": "twitch xylophone"})
    assert "No posts found" in response.content.decode()


def test_api_searches_cost_a_fixed_number_of_queries(
    seed_post, make_posts, client, django_assert_max_num_queries
):
    make_posts(12, intro="Hedgehogs hibernate.")
    with django_assert_max_num_queries(API_V2_SEARCH_QUERIES):
        v2 = client.get("/api/v2/pages/", {"search": "hedgehogs", "type": "blog.BlogPostPage"})
    assert v2.status_code == 200
    assert v2.json()["meta"]["total_count"] == 12
    with django_assert_max_num_queries(API_V3_SEARCH_QUERIES):
        v3 = client.get("/api/v3/pages/", {"search": "hedgehogs"})
    assert v3.status_code == 200
    assert len(v3.json()["items"]) == 12


@ON_POSTGRESQL
def test_the_match_is_served_by_the_title_and_body_index(seed_post, client, rank_bodies_up_to):
    """Wagtail matches ``title || body``; without an index on that expression every search
    read both vectors of every post (wagtail/wagtail#6546). The keys ranked by titles, the
    page ranked with bodies and a count of its own all use it."""
    for limit in (10, 0):
        rank_bodies_up_to(limit)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/search/", {"q": "twitch magnesium"})
        assert found_titles(response) == [seed_post.title]
        assert len(matching_queries(queries.captured_queries)) == (2 if limit else 1)
        for sql in matching_queries(queries.captured_queries):
            assert TITLE_AND_BODY_INDEX in plan_of_match(sql)
    results = BlogPostPage.objects.live().search(build_search_query("twitch"))
    with CaptureQueriesContext(connection) as queries:
        assert results.count() == 1
    (count,) = matching_queries(queries.captured_queries)
    assert TITLE_AND_BODY_INDEX in plan_of_match(count)


@ON_POSTGRESQL
def test_results_do_not_carry_the_joined_vector(seed_post, client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/search/", {"q": "twitch"})
    assert found_titles(response) == [seed_post.title]
    for sql in ranking_queries(queries.captured_queries):
        assert "||" not in select_list(sql)


@ON_POSTGRESQL
def test_bodies_are_ranked_only_when_few_posts_match(
    seed_post, make_posts, client, rank_bodies_up_to
):
    """Past the limit the order is the title's rank, then newest: the post with the word in
    its title still comes first, and every match is still found and counted."""
    posts = make_posts(4, intro="Hedgehogs hibernate. Hedgehogs snore.")
    titled = make_posts(1, start=5, title="Why hedgehogs hibernate", intro="They do.")[0]

    pages = {}
    for limit in (10, 3):
        rank_bodies_up_to(limit)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/search/", {"q": "hedgehogs"})
        pages[limit] = found_titles(response)
        ranked_by = order_by(ranking_queries(queries.captured_queries)[-1])
        assert ('"body"' in ranked_by) == (limit == 10)
        assert "5 posts found" in response.content.decode()

    assert pages[10][0] == pages[3][0] == titled.title
    assert sorted(pages[10]) == sorted(pages[3]) == sorted([p.title for p in [*posts, titled]])
    assert pages[3][1:] == [p.title for p in reversed(posts)]


@ON_POSTGRESQL
def test_a_page_read_first_counts_the_search_in_its_own_query(
    seed_post, make_posts, django_assert_num_queries, rank_bodies_up_to
):
    """Many matches: the keys ranked by titles come with the count, then the posts follow
    by their keys; the count costs nothing more, and later pages reuse it."""
    rank_bodies_up_to(3)
    make_posts(4, intro="Hedgehogs hibernate.")
    results = BlogPostPage.objects.live().search(build_search_query("hedgehogs"))
    with django_assert_num_queries(2 + PER_SEARCH_QUERY):
        assert len(list(results[:2])) == 2
    with django_assert_num_queries(0):
        assert results.count() == 4
        assert results[2:10].count() == 2
    with django_assert_num_queries(2 + PER_SEARCH_QUERY):
        assert len(list(results[2:4])) == 2


@ON_POSTGRESQL
def test_few_matches_are_ranked_again_with_their_bodies(
    seed_post, make_posts, django_assert_num_queries, rank_bodies_up_to
):
    """The count that came with the keys says the matches are few: the page is read again,
    bodies ranked. Counted first, the search reads it so at once."""
    rank_bodies_up_to(10)
    make_posts(4, intro="Hedgehogs hibernate.")
    results = BlogPostPage.objects.live().search(build_search_query("hedgehogs"))
    with django_assert_num_queries(2 + 2 * PER_SEARCH_QUERY):
        assert len(list(results[:2])) == 2
    counted_first = BlogPostPage.objects.live().search(build_search_query("hedgehogs"))
    with django_assert_num_queries(1 + PER_SEARCH_QUERY):
        assert counted_first.count() == 4
    with django_assert_num_queries(1 + PER_SEARCH_QUERY):
        assert len(list(counted_first[:2])) == 2


@ON_POSTGRESQL
def test_an_unranked_search_is_one_query(seed_post, make_posts, django_assert_num_queries):
    make_posts(4, intro="Hedgehogs hibernate.")
    unranked = BlogPostPage.objects.live().search(
        build_search_query("hedgehogs"), order_by_relevance=False
    )
    with django_assert_num_queries(1 + PER_SEARCH_QUERY):
        assert len(list(unranked[:2])) == 2


def test_a_page_of_many_matches_costs_no_count_of_its_own(
    seed_post, make_posts, client, django_assert_max_num_queries, rank_bodies_up_to
):
    rank_bodies_up_to(3)
    make_posts(12, intro="Hedgehogs hibernate.")
    with django_assert_max_num_queries(MANY_MATCHES_PAGE_QUERIES):
        response = client.get("/search/", {"q": "hedgehogs"})
    assert len(found_titles(response)) == 10
    assert "12 posts found" in response.content.decode()


@ON_POSTGRESQL
@pytest.mark.parametrize("limit", [300, 3])
def test_pages_and_counts_are_those_of_wagtails_own_query(
    seed_post, make_posts, client, rank_bodies_up_to, limit
):
    """The view's pages (keys first, then posts) are, post for post, the slices of the one
    query Wagtail's backend would run for this search, ranked the way the count says, and
    its count is that query's count. Ties (same rank) and title matches included."""
    rank_bodies_up_to(limit)
    make_posts(14, intro="Hedgehogs hibernate.")
    make_posts(3, start=15, title="Why hedgehogs hibernate", intro="They sleep.")
    make_posts(2, start=18, intro="Hedgehogs hibernate. Hedgehogs snore in winter.")
    (draft,) = make_posts(1, start=20, intro="Hedgehogs hibernate.")
    draft.unpublish()
    for query in ["hedgehogs", "hibernate snore", '"hedgehogs hibernate"', "sleep", "yak"]:
        results = BlogPostPage.objects.live().public().search(build_search_query(query))
        everything = results.get_queryset(rank_bodies=len(results.get_queryset()) <= limit)
        expected = [post.title for post in everything]
        for page in (1, 2, 3):
            response = client.get("/search/", {"q": query, "page": page})
            if page == 1 or expected[(page - 1) * 10 :]:
                assert found_titles(response) == expected[(page - 1) * 10 : page * 10], query
            count = len(expected)
            summary = f"{count} post{'s' if count != 1 else ''} found"
            assert (summary in response.content.decode()) == bool(count), query
