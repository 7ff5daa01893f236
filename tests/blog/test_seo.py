"""What machines read: sitemap, robots.txt, canonical and share meta, JSON-LD, related posts."""

import json
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wagtail.models import Site

import pytest
from bs4 import BeautifulSoup
from defusedxml import ElementTree
from PIL import Image

from blog.models import Author, BlogPostAuthor
from blog.structured_data import json_ld_script

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
SEED_URL = "http://localhost/blog/dry-needling-chronic-muscle-cramping/"


def head(response):
    return BeautifulSoup(response.content, "html.parser").head


def meta(html_head, key):
    tag = html_head.find("meta", attrs={"property": key}) or html_head.find(
        "meta", attrs={"name": key}
    )
    return tag["content"] if tag else None


def json_ld(response):
    scripts = BeautifulSoup(response.content, "html.parser").select(
        'script[type="application/ld+json"]'
    )
    assert len(scripts) == 1
    return json.loads(scripts[0].string)


def sitemap_entries(client, **headers):
    """Every (loc, lastmod) of the sitemap in order, read the way a crawler reads it: the
    index at /sitemap.xml, then each page it names (on its own path and query)."""
    index = client.get("/sitemap.xml", **headers)
    assert index.status_code == 200
    root = ElementTree.fromstring(index.content)
    assert root.tag == f"{SITEMAP}sitemapindex"
    entries = []
    for location in [entry.findtext(f"{SITEMAP}loc") for entry in root]:
        parts = urlsplit(location)
        page = client.get(parts.path + (f"?{parts.query}" if parts.query else ""), **headers)
        assert page.status_code == 200
        entries += urlset_entries(page)
    return entries


def urlset_entries(response):
    root = ElementTree.fromstring(response.content)
    assert root.tag == f"{SITEMAP}urlset"
    assert all(url.tag == f"{SITEMAP}url" and url.findtext(f"{SITEMAP}loc") for url in root)
    assert {child.tag for url in root for child in url} <= {f"{SITEMAP}loc", f"{SITEMAP}lastmod"}
    return [
        (url.findtext(f"{SITEMAP}loc"), url.findtext(f"{SITEMAP}lastmod"))
        for url in root.findall(f"{SITEMAP}url")
    ]


def test_sitemap_lists_every_live_post_and_no_draft(seed_post, make_posts, client):
    posts = make_posts(3)
    posts[1].unpublish()
    urls = dict(sitemap_entries(client))
    assert SEED_URL in urls
    assert "http://localhost/blog/generated-post-1/" in urls
    assert "http://localhost/blog/generated-post-3/" in urls
    assert "http://localhost/blog/generated-post-2/" not in urls
    assert all(lastmod for lastmod in urls.values())
    assert urls[SEED_URL] == seed_post.last_published_at.date().isoformat()


def test_robots_txt_allows_the_site_and_points_to_the_sitemap(db, client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /admin/" in lines
    assert "Allow: /" in lines
    assert "Sitemap: http://localhost/sitemap.xml" in lines


def test_robots_txt_names_the_sitemap_where_the_sitemap_lists_the_pages(seed_post, client):
    """Asked on another host name (an IP, an old domain), robots.txt still names the
    Site's sitemap, whose every URL is on the Site's address."""
    site = Site.objects.get(is_default_site=True)
    site.hostname, site.port = "127.0.0.1", 8301
    site.save()

    robots = client.get("/robots.txt", HTTP_HOST="other.example.org").content.decode()
    (sitemap_line,) = [line for line in robots.splitlines() if line.startswith("Sitemap: ")]
    sitemap_url = sitemap_line.removeprefix("Sitemap: ")
    assert sitemap_url == "http://127.0.0.1:8301/sitemap.xml"

    assert urlsplit(sitemap_url).path == "/sitemap.xml"
    locations = [loc for loc, _ in sitemap_entries(client, HTTP_HOST="127.0.0.1:8301")]
    assert f"http://127.0.0.1:8301{seed_post.url}" in locations
    assert {urlsplit(location).netloc for location in locations} == {"127.0.0.1:8301"}


def test_post_has_canonical_open_graph_and_twitter_meta(seed_post, client):
    html_head = head(client.get(seed_post.url))
    assert html_head.find("link", rel="canonical")["href"] == SEED_URL
    assert meta(html_head, "og:url") == SEED_URL
    assert meta(html_head, "og:type") == "article"
    assert meta(html_head, "og:title") == seed_post.title
    assert meta(html_head, "og:description") == seed_post.search_description
    assert meta(html_head, "article:published_time") == "2025-03-27"
    image = meta(html_head, "og:image")
    assert image.startswith("http://localhost/media/images/") and "fill-1200x630" in image
    assert meta(html_head, "og:image:width") == "1200"
    assert meta(html_head, "twitter:card") == "summary_large_image"
    assert meta(html_head, "twitter:image") == image
    assert meta(html_head, "description") == seed_post.search_description


def test_listing_pages_have_their_own_canonical_url(seed_post, client):
    html_head = head(client.get("/blog/tags/dry-needling/"))
    assert (
        html_head.find("link", rel="canonical")["href"]
        == "http://localhost/blog/tags/dry-needling/"
    )
    assert meta(html_head, "og:type") == "website"
    assert head(client.get("/")).find("link", rel="canonical")["href"] == "http://localhost/"


def test_json_ld_describes_the_article_and_cites_every_study(seed_post, client):
    data = json_ld(client.get(seed_post.url))
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Article"
    assert data["headline"] == seed_post.title
    assert data["datePublished"] == "2025-03-27"
    assert data["dateModified"].startswith(seed_post.last_published_at.date().isoformat())
    assert data["url"] == SEED_URL
    assert data["image"]["url"].startswith("http://localhost/media/images/")
    assert data["publisher"]["name"] == "Evidence Notes"
    assert data["author"]
    citations = data["citation"]
    assert [(c["isPartOf"]["name"], c["datePublished"]) for c in citations] == [
        ("Journal of Orthopedic & Sports Physical Therapy", "2021"),
        ("Clinical Journal of Sports Medicine", "2019"),
        ("Journal of Pain Research", "2020"),
    ]
    assert all(c["@type"] == "ScholarlyArticle" for c in citations)
    assert citations[2]["description"].startswith("Patients experienced reduced pain")
    # "about" takes a Thing: the study, with whom it looked at.
    assert citations[0]["about"] == {
        "@type": "MedicalStudy",
        "population": "Patients with myofascial pain syndrome",
    }


def test_json_ld_publisher_has_a_logo_search_engines_accept(seed_post, client):
    logo = json_ld(client.get(seed_post.url))["publisher"]["logo"]
    assert logo["@type"] == "ImageObject"
    assert logo["url"] == "http://localhost/static/img/publisher-logo.png"
    # The file the URL names: a PNG (search engines refuse SVG logos), at least 112 px
    # square, and exactly the size the JSON-LD states.
    path = finders.find(urlsplit(logo["url"]).path.removeprefix(settings.STATIC_URL))
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (logo["width"], logo["height"])
        assert min(image.size) >= 112


def test_json_ld_links_a_study_by_its_doi(seed_post, blog_index, client):
    from tests.conftest import build_post

    study = {
        "year": 2022,
        "study_type": "randomized_controlled_trial",
        "journal": "Pain Medicine",
        "population": "Adults",
        "finding": "Less pain.",
        "relevance": "Direct.",
        "link": "",
        "doi": "10.1093/pm/pnab123",
    }
    post = build_post(blog_index, 1, body=[("study_card", study)])
    (citation,) = json_ld(client.get(post.url))["citation"]
    assert citation["url"] == "https://doi.org/10.1093/pm/pnab123"
    assert citation["identifier"]["value"] == "10.1093/pm/pnab123"


def test_json_ld_cannot_be_broken_out_of(seed_post, blog_index, client):
    from tests.conftest import build_post

    title = "Cramps </script><script>alert(1)</script> & <!-- more"
    post = build_post(blog_index, 1, title=title)
    content = client.get(post.url).content.decode()
    assert "<script>alert(1)" not in content
    assert json_ld(client.get(post.url))["headline"] == title
    script = str(json_ld_script({"text": "</script>&<"}))
    assert script.count("</script>") == 1
    assert "\\u003C/script\\u003E\\u0026\\u003C" in script


def test_related_posts_share_most_tags_then_newest(seed_post, blog_index, make_posts, client):
    from tests.conftest import build_post

    build_post(blog_index, 1, tags=["dry needling"])
    build_post(blog_index, 2, tags=["dry needling", "muscle cramps"])
    build_post(blog_index, 3, tags=["dry needling"])
    build_post(blog_index, 4, tags=["nutrition"])
    draft = build_post(blog_index, 5, tags=["dry needling", "muscle cramps", "physical therapy"])
    draft.unpublish()
    related = [post.title for post in seed_post.related_posts()]
    assert related == ["Generated post 2", "Generated post 3", "Generated post 1"]
    html = BeautifulSoup(client.get(seed_post.url).content, "html.parser")
    assert [a.text for a in html.select(".related-post__title")] == related


def test_related_posts_are_limited_and_empty_without_tags(seed_post, blog_index, make_posts):
    from tests.conftest import build_post

    make_posts(5, tags=["dry needling"])
    assert len(seed_post.related_posts()) == 3
    untagged = build_post(blog_index, 9)
    assert untagged.related_posts() == []


def test_post_page_queries_stay_bounded_with_related_posts(
    seed_post, make_posts, client, django_assert_max_num_queries
):
    make_posts(2, tags=["dry needling"])
    client.get(seed_post.url)
    with CaptureQueriesContext(connection) as few_related:
        client.get(seed_post.url)
    query_count = len(few_related)  # now: the query log is a bounded deque that moves on
    make_posts(30, start=3, tags=["dry needling", "muscle cramps"], hero_image=seed_post.hero_image)
    client.get(seed_post.url)  # renditions are generated on the first view
    with django_assert_max_num_queries(query_count + 1):
        response = client.get(seed_post.url)
    assert len(BeautifulSoup(response.content, "html.parser").select(".related-post")) == 3


def test_later_pages_and_tag_filters_of_the_index_are_their_own_canonical_pages(
    seed_post, make_posts, client, settings
):
    settings.BLOG_POSTS_PER_PAGE = 1
    make_posts(2)

    def canonical(url):
        return head(client.get(url)).find("link", rel="canonical")["href"]

    assert canonical("/blog/") == "http://localhost/blog/"
    assert canonical("/blog/?page=1") == "http://localhost/blog/"
    assert canonical("/blog/?page=2") == "http://localhost/blog/?page=2"
    assert canonical("/blog/?tag=dry-needling") == "http://localhost/blog/?tag=dry-needling"
    assert canonical(f"{SEED_URL}?replytocom=1") == SEED_URL


def test_a_post_links_its_comments_feed(seed_post, client):
    html_head = head(client.get(SEED_URL))

    link = html_head.find("link", title=re.compile("^Comments on"))
    assert link["type"] == "application/rss+xml"
    assert link["href"].endswith("/blog/feed/comments/dry-needling-chronic-muscle-cramping/")
    assert client.get(link["href"]).status_code == 200


def test_authors_show_on_the_post_in_json_ld_and_in_the_feed(seed_post, client):
    physio = Author.objects.create(name="Dana Physio", credentials="PT, DPT")
    doctor = Author.objects.create(name="Sam Doctor")
    seed_post.authors.set([physio, doctor])
    seed_post.save_revision().publish()

    page = client.get(SEED_URL)
    byline = BeautifulSoup(page.content, "html.parser").select_one(".post__authors")
    assert " ".join(byline.get_text().split()) == "By Dana Physio, PT, DPT, Sam Doctor"
    authors = json_ld(page)["author"]
    assert {"@type": "Person", "name": "Dana Physio", "honorificSuffix": "PT, DPT"} in [
        {key: author.get(key) for key in ("@type", "name", "honorificSuffix") if key in author}
        for author in authors
    ]
    assert "Sam Doctor" in [author["name"] for author in authors]
    feed = client.get("/blog/feed/rss/").content.decode()
    assert "Dana Physio, Sam Doctor" in feed


def test_json_ld_lists_the_authors_in_byline_order_read_once(seed_post, client, uncached_pages):
    """The byline and the JSON-LD list the authors in the editor's order, from one query
    (the JSON-LD read them again, through the many-to-many, in no stated order)."""
    physio = Author.objects.create(name="Dana Physio", credentials="PT, DPT")
    doctor = Author.objects.create(name="Sam Doctor")
    # Listed after the author created first: an order of ids would differ.
    seed_post.author_links = [
        BlogPostAuthor(author=doctor, sort_order=0),
        BlogPostAuthor(author=physio, sort_order=1),
    ]
    seed_post.save_revision().publish()

    with CaptureQueriesContext(connection) as queries:
        page = client.get(SEED_URL)

    byline = BeautifulSoup(page.content, "html.parser").select_one(".post__authors")
    assert " ".join(byline.get_text().split()) == "By Sam Doctor, Dana Physio, PT, DPT"
    assert [author["name"] for author in json_ld(page)["author"]] == ["Sam Doctor", "Dana Physio"]
    assert len([q for q in queries.captured_queries if '"blog_author"' in q["sql"]]) == 1


@pytest.mark.parametrize("url", ["/sitemap-pages.xml", "/blog/feed/rss/", "/blog/feed/atom/"])
def test_the_sitemap_and_feeds_are_served_from_the_cache_until_a_post_is_published(
    url, seed_post, make_posts, client
):
    """Naming every page (the sitemap) or rendering every entry's body (a feed) is made
    once per change of the content, then read from the cache with its headers (a feed's
    blog index is still routed to: those queries stay); a publish shows at once."""
    first = client.get(url)
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url)
    assert not [q for q in queries.captured_queries if "blog_blogpostpage" in q["sql"]]
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert again.get("X-Robots-Tag") == first.get("X-Robots-Tag")
    assert again.get("Last-Modified") == first.get("Last-Modified")

    make_posts(1)
    assert "generated-post-1/" in client.get(url).content.decode()
