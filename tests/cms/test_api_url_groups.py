"""
The v3 API's routes grouped by their first path segment (``cms.api.grouped_by_first_segment``,
issue 16): a request tries one prefix per group instead of every route before its own, and
resolves to the same view, name and route as through Django Ninja's flat list.
"""

import re

from django.urls import path, reverse
from django.urls.resolvers import RoutePattern, URLResolver

from cms.api import api_v3, grouped_by_first_segment


def resolver(patterns):
    return URLResolver(RoutePattern(""), patterns)


def sample_path(pattern):
    return re.sub(r"<[^>]+>", "1", str(pattern.pattern))


def test_every_route_resolves_as_through_the_flat_list():
    urls = api_v3.urls  # each call builds new views
    flat, grouped = urls[0], grouped_by_first_segment(urls)[0]

    for pattern in flat:
        expected = resolver(flat).resolve(sample_path(pattern))
        found = resolver(grouped).resolve(sample_path(pattern))
        assert (found.func, found.url_name, found.route, found.kwargs) == (
            expected.func,
            expected.url_name,
            expected.route,
            expected.kwargs,
        )


def test_a_comment_post_tries_a_handful_of_prefixes_not_every_route():
    flat, grouped = api_v3.urls[0], grouped_by_first_segment(api_v3.urls)[0]
    before_comments = next(
        index for index, pattern in enumerate(grouped) if str(pattern.pattern) == "comments/"
    )

    assert len(flat) > 50
    assert before_comments < 15


def test_names_reverse_to_the_same_urls():
    assert reverse("wagtailapi_v3:create_comment") == "/api/v3/comments/"
    assert reverse("wagtailapi_v3:detail_comment", args=[5]) == "/api/v3/comments/5/"
    assert reverse("wagtailapi_v3:detail_page", args=[3]) == "/api/v3/pages/3/"


def test_a_parameter_as_first_segment_leaves_the_order_alone():
    def view(request):
        return None

    urls = ([path("a/x/", view), path("<slug:any>/y/", view), path("a/y/", view)], "app", "ns")

    assert grouped_by_first_segment(urls) is urls
