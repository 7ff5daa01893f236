"""What a reader sees on the home page, the blog index, tag pages and error pages."""

from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

import pytest
from bs4 import BeautifulSoup

from blog.models import BlogPostPage
from tests.conftest import build_post


def titles(response):
    html = BeautifulSoup(response.content, "html.parser")
    return [a.text for a in html.select(".post-card__title a")]


def test_home_page_lists_the_latest_posts(seed_post, make_posts, client):
    make_posts(7)
    response = client.get("/")
    assert response.status_code == 200
    shown = titles(response)
    assert len(shown) == 6
    assert shown[0] == "Generated post 7"


def test_index_is_newest_first_and_paginated(seed_post, make_posts, client, settings):
    settings.BLOG_POSTS_PER_PAGE = 5
    make_posts(6)
    first = client.get("/blog/")
    assert titles(first) == [f"Generated post {n}" for n in (6, 5, 4, 3, 2)]
    second = client.get("/blog/?page=2")
    assert titles(second) == ["Generated post 1", seed_post.title]
    assert 'rel="prev"' in second.content.decode()
    assert client.get("/blog/?page=9").status_code == 404
    assert titles(client.get("/blog/?page=abc")) == titles(first)


def test_tag_filter_and_tag_page(seed_post, make_posts, client):
    make_posts(2, tags=["nutrition"])
    assert titles(client.get("/blog/?tag=nutrition")) == ["Generated post 2", "Generated post 1"]
    response = client.get("/blog/tags/dry-needling/")
    assert response.status_code == 200
    assert titles(response) == [seed_post.title]
    assert "Posts tagged “dry needling”" in response.content.decode()
    assert client.get("/blog/tags/no-such-tag/").status_code == 404
    assert client.get("/blog/?tag=no-such-tag").status_code == 404


def test_drafts_are_not_listed(seed_post, make_posts, client):
    (draft,) = make_posts(1)
    draft.unpublish()
    assert "Generated post 1" not in titles(client.get("/blog/"))
    assert client.get(draft.url).status_code == 404


def test_404_page_is_ours(db, client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@override_settings(DEBUG=False)
def test_500_page_is_ours(db, client, seed_post, monkeypatch):
    from blog.models import BlogPostPage

    def explode(self, request, *args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(BlogPostPage, "get_context", explode)
    client.raise_request_exception = False
    response = client.get(seed_post.url)
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


@pytest.mark.parametrize("url", ["/", "/blog/", "/blog/tags/dry-needling/"])
def test_listings_use_a_fixed_number_of_queries(
    url,
    seed_post,
    make_illustrated_posts,
    client,
    django_assert_max_num_queries,
    settings,
    uncached_pages,
):
    """50 posts, each with its own hero image, cost what one would."""
    settings.BLOG_POSTS_PER_PAGE = 50
    make_illustrated_posts(50, tags=["dry needling"])
    client.get(url)  # renditions are generated on the first view
    cache.clear()
    # One of them counts the page's comments (a subquery per post would be counted for
    # every post skipped before a deep page too: docs/benchmarks.md, at scale), and the
    # index's pages are found by id before their rows are read (``load_listing_page``).
    with django_assert_max_num_queries(17):
        response = client.get(url)
    assert response.status_code == 200
    assert len(titles(response)) >= 6


def test_post_page_queries_do_not_grow_with_blocks(
    seed_post, make_posts, client, django_assert_max_num_queries, uncached_pages
):
    client.get(seed_post.url)
    with CaptureQueriesContext(connection) as seed_queries:
        client.get(seed_post.url)
    seed_query_count = len(seed_queries)
    # The article (routed to in four queries, its hero image's two renditions read with
    # the image), its comments, related posts (which tags are common, then the rank) and
    # the head (feed links, share image).
    assert seed_query_count <= 17
    body = list(seed_post.body.raw_data) * 6
    seed_post.body = body
    seed_post.save_revision().publish()
    client.get(seed_post.url)
    with django_assert_max_num_queries(seed_query_count):
        response = client.get(seed_post.url)
    assert response.content.decode().count('class="study-card"') == 18


def test_a_deep_page_of_the_index_costs_what_the_first_does(
    seed_post, make_posts, client, settings, uncached_pages
):
    """The last page of a long index runs the first page's queries: comments are counted
    for the shown posts only, never per post in the listing's SELECT, where PostgreSQL
    would count them for every post the OFFSET skips (docs/benchmarks.md, at scale)."""
    from tests.comments.conftest import make_comment

    settings.BLOG_POSTS_PER_PAGE = 3
    posts = make_posts(9)
    make_comment(posts[0])

    def read(url):
        client.get(url)
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return response, queries.captured_queries

    first, first_queries = read("/blog/")
    deep, deep_queries = read("/blog/?page=3")

    assert len(deep_queries) == len(first_queries)
    listing = [q["sql"] for q in deep_queries if "OFFSET" in q["sql"]]
    assert listing and not [sql for sql in listing if 'FROM "comments_comment"' in sql]
    # The OFFSET is taken over the posts' ids alone, then only the page's rows are read.
    assert [selected_columns(sql) for sql in listing] == [1]
    assert titles(deep) == ["Generated post 3", "Generated post 2", "Generated post 1"]
    assert "1 comment<" in deep.content.decode()


def selected_columns(sql):
    return sql.split(" FROM ")[0].count(",") + 1


@pytest.mark.parametrize("url", ["/", "/blog/", "/blog/tags/dry-needling/"])
def test_listings_write_no_rendition_to_the_cache(
    url, seed_post, make_illustrated_posts, client, settings, uncached_pages, monkeypatch
):
    """Each card's image rendition comes with its post (prefetched); Wagtail's
    ``get_rendition`` also wrote it back to the cache, a Redis round trip per card."""
    from blog.models import ArticleImageRendition

    make_illustrated_posts(8, tags=["dry needling"])
    client.get(url)  # renditions are generated on the first view
    cache.clear()
    writes = []
    backend = ArticleImageRendition.cache_backend
    monkeypatch.setattr(backend, "set", lambda key, value, *a, **k: writes.append(key))
    monkeypatch.setattr(backend, "set_many", lambda values, *a, **k: writes.extend(values))
    response = client.get(url)
    assert response.status_code == 200
    assert 'src="/media/images/' in response.content.decode()
    assert not [key for key in writes if "wagtail-rendition" in key]


def test_a_post_is_routed_to_with_one_query_a_page_on_the_way(
    seed_post, rf, django_assert_num_queries
):
    """The site, the home page, then the blog index and the post each read as its own type
    at once (Wagtail's routing reads each as a page, then again as its type)."""
    from wagtail.models import Page

    request = rf.get(seed_post.url)
    with django_assert_num_queries(4):
        routed = Page.find_for_request(request, seed_post.url)

    assert type(routed) is BlogPostPage and routed.pk == seed_post.pk
    assert routed.get_parent().specific == seed_post.get_parent().specific


def test_the_blog_index_routes_keep_their_paths_and_drafts_stay_hidden(
    seed_post, blog_index, client
):
    draft = build_post(blog_index, 1)
    draft.unpublish()

    assert client.get(seed_post.url).status_code == 200
    assert client.get(draft.url or f"{blog_index.url}{draft.slug}/").status_code == 404
    assert client.get(f"{blog_index.url}no-such-post/").status_code == 404
    assert client.get(f"{blog_index.url}feed/rss/").status_code == 200
    assert client.get(f"{blog_index.url}tags/dry-needling/").status_code == 200


def test_the_hero_images_renditions_are_read_in_one_query(seed_post, client, uncached_pages):
    """The article's image and the share image of the head, both made on the first view,
    are read together afterwards, without the rendition cache (emptied as after a deploy)."""
    assert seed_post.hero_image_id
    client.get(seed_post.url)
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(seed_post.url)

    renditions = [q for q in queries if 'FROM "blog_articleimagerendition"' in q["sql"]]
    assert len(renditions) == 1
    html = BeautifulSoup(response.content, "html.parser")
    assert html.select_one(".post__hero img")["width"] == "1200"
    assert html.select_one('meta[property="og:image:width"]')["content"] == "1200"
