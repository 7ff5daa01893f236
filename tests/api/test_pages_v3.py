"""Wagtail's v3 pages API with our fields, and the one-call post listing."""

from urllib.parse import urlsplit

from wagtail.models import Page, Site

import pytest

from blog.models import Author

pytestmark = pytest.mark.django_db


def test_post_detail_has_our_fields_and_typed_body(client, seed_post):
    data = client.get(f"/api/v3/pages/{seed_post.pk}/").json()

    assert data["meta"]["type"] == "blog.BlogPostPage"
    assert data["date"] == "2025-03-27"
    assert data["comments_open"] is True
    assert data["comment_count"] == 0
    assert data["hero_image_rendition"]["width"] == 1200
    cards = [block["value"] for block in data["body"] if block["type"] == "study_card"]
    assert [(card["year"], card["study_type"]) for card in cards] == [
        (2021, "systematic_review"),
        (2019, "other"),
        (2020, "randomized_controlled_trial"),
    ]
    mechanisms = next(block for block in data["body"] if block["type"] == "numbered_list")
    assert [item["number"] for item in mechanisms["value"]["items"]] == [1, 2, 3, 4]


def test_every_page_names_its_type_beside_its_id_as_in_meta(client, seed_post, blog_index):
    """Typed clients narrow a page by a property of its own (cms/v3_page_types.py)."""
    home = blog_index.get_parent()
    for page, label in ((seed_post, "blog.BlogPostPage"), (blog_index, "blog.BlogIndexPage")):
        data = client.get(f"/api/v3/pages/{page.pk}/").json()
        assert (data["type"], data["meta"]["type"]) == (label, label)
    plain = home.add_child(instance=Page(title="A page of Wagtail's own type", slug="plain"))
    data = client.get(f"/api/v3/pages/{plain.pk}/").json()  # Wagtail's generic PageSchema
    assert (data["type"], data["meta"]["type"]) == ("wagtailcore.Page", "wagtailcore.Page")

    schemas = client.get("/api/v3/openapi.json").json()["components"]["schemas"]
    for name, label in (
        ("BlogPostPageSchema", "blog.BlogPostPage"),
        ("PageSchema", "wagtailcore.Page"),
    ):
        assert schemas[name]["properties"]["type"]["const"] == label
        assert "type" in schemas[name]["required"]


def test_blog_index_detail_has_its_intro_as_html(client, blog_index):
    data = client.get(f"/api/v3/pages/{blog_index.pk}/").json()

    assert (
        data["intro"] == "<p>Every post, newest first. Each one shows the studies it rests on.</p>"
    )


def test_find_by_html_path(client, seed_post):
    response = client.get(
        "/api/v3/pages/find/?html_path=/blog/dry-needling-chronic-muscle-cramping/"
    )

    assert response.status_code == 302
    assert f"/api/v3/pages/{seed_post.pk}/" in response["Location"]


def test_links_follow_the_site_address(client, seed_post, settings):
    """As `make run PORT=8301` leaves it: the Site at the served address, no explicit
    WAGTAILAPI_BASE_URL."""
    settings.WAGTAILAPI_BASE_URL = None
    site = Site.objects.get(is_default_site=True)
    site.hostname, site.port = "127.0.0.1", 8301
    site.save()
    served = {"HTTP_HOST": "127.0.0.1:8301"}

    (post,) = client.get("/api/v3/posts/", **served).json()["items"]
    assert post["html_url"] == f"http://127.0.0.1:8301{seed_post.url}"
    assert post["detail_url"] == f"http://127.0.0.1:8301/api/v3/pages/{seed_post.pk}/"
    found = client.get(f"/api/v3/pages/find/?html_path={seed_post.url}", **served)
    assert found.status_code == 302
    # v3 redirects by path alone, so it follows whatever address was asked.
    location = urlsplit(found["Location"])
    assert (location.netloc, location.path) == ("", f"/api/v3/pages/{seed_post.pk}/")
    followed = client.get(urlsplit(found["Location"]).path, **served)
    assert followed.json()["id"] == seed_post.pk


def test_post_detail_names_its_authors_with_a_typed_schema(client, seed_post):
    physio = Author.objects.create(name="Dana Physio", credentials="PT, DPT")
    seed_post.authors.set([physio])
    seed_post.save_revision().publish()

    data = client.get(f"/api/v3/pages/{seed_post.pk}/").json()
    assert data["authors"] == [{"id": physio.pk, "name": "Dana Physio", "credentials": "PT, DPT"}]
    schemas = client.get("/api/v3/openapi.json").json()["components"]["schemas"]
    authors = schemas["BlogPostPageSchema"]["properties"]["authors"]
    item = next(option for option in authors["anyOf"] if option.get("type") == "array")["items"]
    author = schemas[item["$ref"].rsplit("/", 1)[1]]
    assert author["required"] == ["id", "name", "credentials"]
    # Authors are chosen in the editor, not written through the API.
    assert "authors" not in schemas["BlogPostPageCreateSchema"]["properties"]


def test_posts_listing_is_newest_first_with_what_an_index_needs(client, seed_post, make_posts):
    make_posts(3)

    data = client.get("/api/v3/posts/").json()

    assert data["count"] == 4
    dates = [item["date"] for item in data["items"]]
    assert dates == sorted(dates, reverse=True)
    seed = next(item for item in data["items"] if item["id"] == seed_post.pk)
    assert seed["hero_image"]["width"] == 640
    assert seed["hero_image"]["credit"] == "Freepik"
    assert seed["html_url"].endswith("/blog/dry-needling-chronic-muscle-cramping/")
    assert seed["comment_count"] == 0
    assert "dry needling" in seed["tags"]


def test_posts_listing_paginates_and_filters_by_tag(client, seed_post, make_posts):
    make_posts(3)

    page = client.get("/api/v3/posts/?limit=2&offset=2").json()
    tagged = client.get("/api/v3/posts/?tag=dry-needling").json()
    too_many = client.get("/api/v3/posts/?limit=500")

    assert (page["count"], len(page["items"])) == (4, 2)
    assert [item["id"] for item in tagged["items"]] == [seed_post.pk]
    assert too_many.status_code == 400
    assert too_many["Content-Type"] == "application/problem+json"


def test_posts_listing_uses_a_fixed_number_of_queries(
    client, make_posts, django_assert_max_num_queries
):
    make_posts(40)
    client.get("/api/v3/posts/?limit=50")  # first read generates the renditions

    from django.core.cache import cache

    cache.clear()
    with django_assert_max_num_queries(10):
        response = client.get("/api/v3/posts/?limit=50")
    assert response.json()["count"] == 41


@pytest.mark.parametrize(
    ("rich_text_format", "expected"),
    [
        (None, 'href="/blog/"'),
        ("db_html", 'linktype="page"'),
        ("markdown", "[the blog](/blog/)"),
    ],
)
def test_rich_text_comes_as_front_end_html_unless_asked_otherwise(
    client, post_with_image, rich_text_format, expected
):
    params = {"rich_text_format": rich_text_format} if rich_text_format else {}
    response = client.get(f"/api/v3/pages/{post_with_image.pk}/", params)

    assert response.status_code == 200
    paragraph = next(block for block in response.json()["body"] if block["type"] == "paragraph")
    assert expected in paragraph["value"]


def test_posts_listing_counts_comments_of_the_page_only_at_any_offset(client, make_posts):
    """A deep ``offset`` costs what the first page does: the comments are counted for the
    page's posts in one query, never per post in the listing's SELECT (PostgreSQL would
    run such a subquery for every post skipped: docs/benchmarks.md, at scale)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from blog.comments.models import Comment
    from tests.comments.conftest import make_comment

    posts = make_posts(12)
    oldest, newest = posts[0], posts[-1]
    for _ in range(3):
        make_comment(oldest)
    make_comment(oldest, status=Comment.Status.PENDING)
    make_comment(newest)

    def read(url):
        client.get(url)  # renditions and the site's caches, as on a live site
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return response.json(), queries.captured_queries

    first, first_queries = read("/api/v3/posts/?limit=3")
    deep, deep_queries = read("/api/v3/posts/?limit=3&offset=9")

    assert len(deep_queries) == len(first_queries)
    for queries in (first_queries, deep_queries):
        counting = [q["sql"] for q in queries if 'FROM "comments_comment"' in q["sql"]]
        assert len(counting) == 1
        assert "OFFSET" not in counting[0] and "LIMIT" not in counting[0]
    # The OFFSET is taken over the posts' ids alone, then only the page's rows are read.
    skipping = [q["sql"] for q in deep_queries if "OFFSET" in q["sql"]]
    assert [sql.split(" FROM ")[0].count(",") for sql in skipping] == [0]
    assert first["items"][0]["id"] == newest.pk
    assert first["items"][0]["comment_count"] == 1
    assert [item["id"] for item in deep["items"]] == [posts[2].pk, posts[1].pk, oldest.pk]
    assert [item["comment_count"] for item in deep["items"]] == [0, 0, 3]


@pytest.mark.skipif(
    "postgresql" not in __import__("os").environ.get("DATABASE_URL", ""),
    reason="The plan is PostgreSQL's (DATABASE_URL=postgresql://…)",
)
def test_the_comments_of_a_page_of_posts_are_counted_from_the_thread_index_alone(seed_post):
    """The count of a listing page's (or the counts endpoint's) posts reads
    comment_thread_idx (post, status, …) only, not each counted comment's row: the cost
    follows the number of comments in the index, not the table's pages. On a test's few
    rows PostgreSQL rightly prefers a sequential scan: it and the other scans that read
    rows are switched off, so the plan shows whether the index can answer the query alone."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from blog.comments.models import approved_comment_counts
    from tests.comments.conftest import make_comment

    make_comment(seed_post)
    with CaptureQueriesContext(connection) as queries:
        assert approved_comment_counts([seed_post.pk]) == {seed_post.pk: 1}
    (counting,) = queries.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        # And plain index scans: with one unvacuumed row either index costs the same, so
        # the planner may pick the post's; only an index that holds every column the
        # query reads can answer with the others off.
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {counting['sql']}")
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Index Only Scan using comment_thread_idx" in plan, plan
