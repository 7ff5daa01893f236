"""The sitemap index and its pages: what Wagtail's sitemap named, in pages of bounded cost."""

import datetime
import re
from urllib.parse import urlsplit

from django.contrib.sites.requests import RequestSite
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils.http import http_date
from django.utils.timezone import localtime

from wagtail.contrib.sitemaps.views import sitemap as wagtail_sitemap
from wagtail.models import Page, PageViewRestriction

import pytest
from defusedxml import ElementTree

from blog.models import BlogPostPage
from cms.sitemaps import PageSitemap

from .test_seo import SITEMAP, sitemap_entries, urlset_entries

ROBOTS_TAG = "noindex, noodp, noarchive"


@pytest.fixture
def page_size(monkeypatch):
    """Sitemap pages of 2 URLs, so a few posts make several pages."""
    monkeypatch.setattr(PageSitemap, "limit", 2)
    return 2


def index_locations(response):
    root = ElementTree.fromstring(response.content)
    assert root.tag == f"{SITEMAP}sitemapindex"
    assert all(entry.tag == f"{SITEMAP}sitemap" for entry in root)
    return [entry.findtext(f"{SITEMAP}loc") for entry in root]


def wagtail_entries():
    """What Wagtail's own sitemap view (one urlset, specific page instances) gives."""
    request = RequestFactory().get("/sitemap.xml", HTTP_HOST="localhost")
    return urlset_entries(wagtail_sitemap(request).render())


def test_the_index_lists_each_page_of_the_sitemap(seed_post, make_posts, page_size, client):
    make_posts(3)  # home, blog index, seed post and 3 posts: 6 URLs, 3 pages of 2
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert index_locations(response) == [
        "http://localhost/sitemap-pages.xml",
        "http://localhost/sitemap-pages.xml?p=2",
        "http://localhost/sitemap-pages.xml?p=3",
    ]
    lastmods = [
        entry.findtext(f"{SITEMAP}lastmod") for entry in ElementTree.fromstring(response.content)
    ]
    assert all(
        re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d", d) for d in lastmods
    )


def test_page_n_holds_the_n_th_urls_in_wagtails_order(seed_post, make_posts, page_size, client):
    make_posts(3)
    everything = wagtail_entries()
    assert len(everything) == 6
    for number in (1, 2, 3):
        response = client.get(f"/sitemap-pages.xml?p={number}")
        assert response.status_code == 200
        assert urlset_entries(response) == everything[(number - 1) * 2 : number * 2]


def test_the_urls_and_lastmods_are_wagtails_own(seed_post, make_posts, client):
    """Built from a few columns per page, the sitemap still says exactly what Wagtail's
    sitemap of page instances says, in the same order, with the same dates."""
    make_posts(4)
    entries = sitemap_entries(client)
    assert entries == wagtail_entries()
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", lastmod) for _, lastmod in entries)


def test_unpublished_and_private_pages_are_absent(seed_post, make_posts, page_size, client):
    draft, private, public = make_posts(3)
    draft.unpublish()
    PageViewRestriction.objects.create(
        page=private, restriction_type=PageViewRestriction.PASSWORD, password="secret"
    )
    locations = [loc for loc, _ in sitemap_entries(client)]
    assert f"http://localhost{public.url}" in locations
    assert f"http://localhost{draft.url}" not in locations
    assert f"http://localhost{private.url}" not in locations
    assert [loc for loc, _ in wagtail_entries()] == locations


def test_a_page_costs_the_same_queries_whatever_the_number_of_posts(
    seed_post, make_posts, client, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(PageSitemap, "limit", 100)
    make_posts(2)  # 5 URLs
    with CaptureQueriesContext(connection) as few:
        assert len(urlset_entries(client.get("/sitemap-pages.xml"))) == 5
    with CaptureQueriesContext(connection) as index_few:
        client.get("/sitemap.xml")
    make_posts(20, start=3)  # 25 URLs
    with django_assert_max_num_queries(len(few)):
        assert len(urlset_entries(client.get("/sitemap-pages.xml"))) == 25
    with django_assert_max_num_queries(len(index_few)):
        client.get("/sitemap.xml")


def test_headers_say_not_to_index_and_when_the_content_last_changed(
    seed_post, make_posts, page_size, client
):
    make_posts(3)
    newest = BlogPostPage.objects.live().latest("last_published_at").last_published_at
    index = client.get("/sitemap.xml")
    assert index["X-Robots-Tag"] == ROBOTS_TAG
    assert index["Last-Modified"] == http_date(newest.timestamp())
    last_page = client.get("/sitemap-pages.xml?p=3")
    assert last_page["X-Robots-Tag"] == ROBOTS_TAG
    assert last_page["Content-Type"] == "application/xml"
    assert last_page["Last-Modified"] == http_date(newest.timestamp())
    again = client.get("/sitemap.xml")  # from the cache, with its headers
    assert again["X-Robots-Tag"] == ROBOTS_TAG
    assert again["Last-Modified"] == index["Last-Modified"]


@pytest.mark.parametrize(
    "path", ["/sitemap-pages.xml?p=9", "/sitemap-pages.xml?p=two", "/sitemap-posts.xml"]
)
def test_a_page_past_the_last_or_an_unknown_section_is_not_found(
    path, seed_post, page_size, client
):
    assert client.get(path).status_code == 404


def test_a_publish_shows_in_the_index_at_once(seed_post, make_posts, page_size, client):
    make_posts(1)  # 4 URLs: 2 pages
    assert len(index_locations(client.get("/sitemap.xml"))) == 2
    make_posts(1, start=2)
    locations = index_locations(client.get("/sitemap.xml"))
    assert locations[-1] == "http://localhost/sitemap-pages.xml?p=3"
    assert urlsplit(locations[-1]).query == "p=3"


def test_a_page_type_with_its_own_sitemap_entries_keeps_them(
    seed_post, make_posts, client, monkeypatch
):
    """A page type that overrides ``get_sitemap_urls`` (say, to list an alternate URL) has
    its entries made by its own instance, as Wagtail's sitemap does."""

    def with_print_version(page, request=None):
        url = page.get_full_url(request)
        return [
            {"location": url, "lastmod": page.last_published_at},
            {"location": url + "print/", "lastmod": page.last_published_at},
        ]

    monkeypatch.setattr(BlogPostPage, "get_sitemap_urls", with_print_version)
    make_posts(2)
    entries = sitemap_entries(client)
    assert ("http://localhost/blog/generated-post-2/print/", entries[-1][1]) == entries[-1]
    assert entries == wagtail_entries()


def test_a_page_is_the_bytes_djangos_sitemap_template_writes(
    seed_post, make_posts, client, settings
):
    """A sitemap page is written without Django's template; what a crawler gets is still
    the template's output to the byte: locations quoted as ``reverse`` quotes them (a
    Unicode slug) and escaped, dates in the site's time zone."""
    settings.TIME_ZONE = "Pacific/Kiritimati"  # UTC+14
    (post,) = make_posts(1, slug="café-au-lait")
    noon_utc = datetime.datetime(2025, 6, 1, 12, tzinfo=datetime.UTC)
    BlogPostPage.objects.filter(pk=post.pk).update(last_published_at=noon_utc)
    response = client.get("/sitemap-pages.xml")
    content = response.content.decode()
    assert "<loc>http://localhost/blog/caf%C3%A9-au-lait/</loc><lastmod>2025-06-02<" in content
    request = RequestFactory().get("/sitemap-pages.xml", HTTP_HOST="localhost")
    urls = PageSitemap(request).get_urls(page=1, site=RequestSite(request), protocol="http")
    assert response.content == render_to_string("sitemap.xml", {"urlset": urls}).encode()
    assert urlset_entries(response) == wagtail_entries()


def test_each_index_entry_has_the_newest_lastmod_of_its_page(
    seed_post, make_posts, page_size, client
):
    """The index's lastmods are counted in the database per sitemap page of ``limit``
    URLs in path order; a page holding a URL without a date has none."""
    make_posts(3)
    pages = list(Page.objects.filter(depth__gte=2).order_by("path"))
    undated = pages[5]
    Page.objects.filter(pk=undated.pk).update(
        last_published_at=None, latest_revision_created_at=None
    )
    undated.last_published_at = undated.latest_revision_created_at = None
    dates = [page.last_published_at or page.latest_revision_created_at for page in pages]
    expected = [
        None if None in dates[start : start + 2] else max(dates[start : start + 2])
        for start in range(0, 6, 2)
    ]
    index = ElementTree.fromstring(client.get("/sitemap.xml").content)
    lastmods = [entry.findtext(f"{SITEMAP}lastmod") for entry in index]
    assert lastmods == [None if date is None else localtime(date).isoformat() for date in expected]
