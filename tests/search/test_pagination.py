"""Pages of search results are read before they are counted, and are Django's pages."""

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator

import pytest

from search.pagination import SearchResultsPaginator
from search.query import build_search_query
from search.views import search_posts


def results_for(query):
    return search_posts(build_search_query(query))


def page_or_error(paginator, number):
    try:
        page = paginator.page(number)
    except (EmptyPage, PageNotAnInteger) as error:
        return type(error).__name__
    return [post.title for post in page], page.number, paginator.count, paginator.num_pages


@pytest.mark.parametrize("query", ["hedgehogs", "snore", "twitch", "xylophone"])
def test_every_page_and_count_is_djangos(seed_post, make_posts, query):
    make_posts(12, intro="Hedgehogs hibernate.")
    make_posts(2, start=13, intro="Hedgehogs snore.")
    for number in [1, 2, 3, "2", 2.0, 1.5, "1.0", 0, -1, "x", None, 99]:
        assert page_or_error(SearchResultsPaginator(results_for(query), 10), number) == (
            page_or_error(Paginator(results_for(query), 10), number)
        ), number


def test_a_search_that_finds_nothing_is_not_counted(seed_post, django_assert_num_queries):
    paginator = SearchResultsPaginator(results_for("xylophone"), 10)
    page = paginator.page(1)
    with django_assert_num_queries(0):
        assert paginator.count == 0
        assert list(page) == []
