"""
The sitemap as an index of pages of at most ``PageSitemap.limit`` URLs, each made from a
few columns per page rather than a Wagtail page instance per page.

One urlset naming all 10,000 posts took 16 s to make (docs/benchmarks.md, "At scale"):
half loading a specific page instance per page, half the template loop. It is made again
after every publish, so a crawler paid that (and a gunicorn timeout could cut it). Now
``/sitemap.xml`` is a sitemap index whose cost is one query grouping the pages by
sitemap page (a row each), pointing at ``/sitemap-pages.xml?p=N``, each a fixed-size page
whose cost does not grow with the site, written without a template. The URLs and lastmod
values are Wagtail's own (``Page.get_sitemap_urls``: ``get_full_url`` and
``last_published_at or latest_revision_created_at``), with Wagtail's selection (live,
public: no view restriction, under the request's Site, in path order).
"""

import datetime
import re
from urllib.parse import quote

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.sitemaps.views import SitemapIndexItem, x_robots_tag
from django.contrib.sites.shortcuts import get_current_site
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db import connections, models
from django.db.models import F, Window
from django.db.models.functions import Coalesce, RowNumber
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.http import RFC3986_SUBDELIMS, escape_leading_slashes, http_date

from wagtail.contrib.sitemaps import Sitemap
from wagtail.models import Page, Site
from wagtail.urls import serve_pattern

SECTION = "pages"
#: Page methods whose result is the page's sitemap entry: a page type overriding one of
#: them has its entries made by its own instance, as Wagtail's sitemap does.
URL_METHODS = ("get_sitemap_urls", "get_full_url", "get_url_parts")
#: The template's other fields, empty as in Wagtail's entries: a key missing from a dict
#: sends Django's template lookup through attribute and index attempts (a sixth of a
#: page's time, profiled), a key present and empty prints nothing just the same.
ABSENT_FIELDS = {"changefreq": None, "priority": None, "alternates": ()}
#: The page path Wagtail's serve view takes (it differs with ``WAGTAIL_APPEND_SLASH``).
SERVE_PATH = re.compile(serve_pattern)
#: The fixed first and last lines of Django's ``sitemap.xml`` template.
URLSET_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
    'xmlns:xhtml="http://www.w3.org/1999/xhtml">\n'
)
URLSET_CLOSE = "\n</urlset>\n"
ROW_FIELDS = (
    "pk",
    "url_path",
    "content_type_id",
    "last_published_at",
    "latest_revision_created_at",
)


def as_aware_datetime(value):
    """A datetime column read by raw SQL: PostgreSQL gives it aware, SQLite as text in UTC."""
    value = models.DateTimeField().to_python(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    return value


def lastmod_of(last_published_at, latest_revision_created_at):
    """Wagtail's lastmod: the last publish, else (older pages) the last revision."""
    return last_published_at or latest_revision_created_at


def has_own_urls(content_type_id):
    model = ContentType.objects.get_for_id(content_type_id).model_class()
    return model is not None and any(
        getattr(model, name) is not getattr(Page, name) for name in URL_METHODS
    )


class PageSitemap(Sitemap):
    """Wagtail's page sitemap, paginated, its entries made from ``ROW_FIELDS``.

    ``limit`` is 2,000 URLs: a page costs ``limit`` times 0.2-0.3 ms of Python under load
    (one URL reverse and one template iteration each; 0.4-0.6 s measured) and queries of
    a few ms, far inside a gunicorn timeout, while 10,000 posts are still only 6 files
    (the protocol allows 50,000 URLs per file; crawlers fetch a few as readily as one).
    """

    limit = 2000

    def pages(self):
        return (
            self.get_wagtail_site()
            .root_page.get_descendants(inclusive=True)
            .live()
            .public()
            .order_by("path")
        )

    def items(self):
        return self.pages().values(*ROW_FIELDS)

    def page_lastmods(self):
        """Per index entry, the newest lastmod among its page's URLs (``None`` if one has
        none), so a crawler can skip pages that did not change.

        Counted in the database, one row per sitemap page: reading every page's lastmod
        into Python cost 10,000 datetimes parsed (most of the index's 100 ms at 10,000
        posts). The pages are numbered in path order, as the sitemap pages list them."""
        numbered = self.pages().annotate(
            lastmod=Coalesce("last_published_at", "latest_revision_created_at"),
            position=Window(RowNumber(), order_by=F("path").asc()),
        )
        sql, params = numbered.values("lastmod", "position").query.sql_with_params()
        # Django's own SQL of the pages, with its params, inside ours.
        per_page = (
            "SELECT MAX(lastmod), COUNT(*) - COUNT(lastmod) "  # noqa: S608
            f"FROM ({sql}) AS numbered_pages "
            "GROUP BY (position - 1) / %s ORDER BY (position - 1) / %s"
        )
        with connections[numbered.db].cursor() as cursor:
            cursor.execute(per_page, (*params, self.limit, self.limit))
            rows = cursor.fetchall()
        lastmods = [None if missing else as_aware_datetime(newest) for newest, missing in rows]
        return lastmods or [None]

    def _urls(self, page, protocol, domain):
        rows = list(self.paginator.page(page).object_list)
        custom = self.custom_pages(rows)
        locate = PageLocator(self.request)
        urls = []
        for row in rows:
            if row["pk"] in custom:
                urls.extend(custom[row["pk"]].get_sitemap_urls(self.request))
                continue
            location = locate(row["url_path"])
            urls.append(
                {
                    "location": location,
                    "lastmod": lastmod_of(
                        row["last_published_at"], row["latest_revision_created_at"]
                    ),
                    **ABSENT_FIELDS,
                }
            )
        last_mods = {url.get("lastmod") for url in urls}
        # last_mods might be empty if the whole site is private (Wagtail's rule)
        if last_mods and None not in last_mods:
            self.latest_lastmod = max(last_mods)
        return urls

    def custom_pages(self, rows):
        """Specific instances of the rows whose page type makes its own sitemap entries
        (or every row when Wagtail's i18n picks URLs by language): none on this site."""
        i18n = getattr(settings, "WAGTAIL_I18N_ENABLED", False)
        type_ids = {row["content_type_id"] for row in rows}
        own_urls = {type_id: has_own_urls(type_id) for type_id in type_ids}
        ids = [row["pk"] for row in rows if i18n or own_urls[row["content_type_id"]]]
        if not ids:
            return {}
        pages = Page.objects.filter(pk__in=ids).defer_streamfields().specific()
        return {page.pk: page for page in pages}


class PageLocator:
    """``Page.get_full_url`` from a page's ``url_path``, with the Sites' root paths read
    once: the first Site whose root holds the page, the request's Site when several do."""

    def __init__(self, request):
        self.root_paths = Site.get_site_root_paths()
        site = Site.find_for_request(request) if request is not None else None
        self.request_site_id = site.pk if site else None
        self.append_slash = getattr(settings, "WAGTAIL_APPEND_SLASH", True)
        self.serve_root = reverse("wagtail_serve", args=("",))

    def __call__(self, url_path):
        possible = [srp for srp in self.root_paths if url_path.startswith(srp.root_path)]
        if not possible:
            return None
        chosen = possible[0]
        if len({srp.site_id for srp in possible}) > 1 and self.request_site_id is not None:
            chosen = next((srp for srp in possible if srp.site_id == self.request_site_id), chosen)
        page_path = self.serve_path(url_path[len(chosen.root_path) :])
        if page_path is None:
            return None
        if not self.append_slash and page_path != "/":
            page_path = page_path.rstrip("/")
        return chosen.root_url + page_path

    def serve_path(self, relative_path):
        """``reverse("wagtail_serve", args=(relative_path,))``, or ``None`` where it finds
        no match, without resolving each page: the serve view's own prefix reversed once,
        the path checked against Wagtail's serve pattern and quoted as ``reverse`` quotes
        it. A ``reverse`` per URL was a third of a sitemap page's time (profiled)."""
        if SERVE_PATH.search(relative_path) is None:
            return None
        return escape_leading_slashes(
            self.serve_root + quote(relative_path, safe=RFC3986_SUBDELIMS + "/~:@")
        )


@x_robots_tag
def sitemap_index(request):
    """``/sitemap.xml``: one entry per sitemap page, on the Site's address (where
    robots.txt names the sitemap), each with its page's newest lastmod."""
    sitemap = PageSitemap(request)
    site = sitemap.get_wagtail_site()
    section_url = site.root_url + reverse("sitemap_section", kwargs={"section": SECTION})
    lastmods = sitemap.page_lastmods()
    entries = [
        SitemapIndexItem(section_url if number == 1 else f"{section_url}?p={number}", lastmod)
        for number, lastmod in enumerate(lastmods, start=1)
    ]
    headers = None
    if None not in lastmods:
        headers = {"Last-Modified": http_date(max(lastmods).timestamp())}
    return TemplateResponse(
        request,
        "sitemap_index.xml",
        {"sitemaps": entries},
        content_type="application/xml",
        headers=headers,
    )


@x_robots_tag
def sitemap_section(request, section):
    """``/sitemap-pages.xml?p=N``: the N-th ``PageSitemap.limit`` pages (404 past the
    last page, for an unknown section or a ``p`` that is not a number).

    Django's sitemap view, written without its template when every entry is a plain
    location and lastmod (on this site, all of them): the template's loop and ``date``
    filter were half of a cold page's time (2,000 URLs, profiled). The bytes are the
    template's (``tests/blog/test_sitemap.py`` compares them)."""
    if section != SECTION:
        raise Http404(f"No sitemap available for section: {section!r}")
    sitemap = PageSitemap(request)
    page = request.GET.get("p", 1)
    try:
        urls = sitemap.get_urls(page=page, site=get_current_site(request), protocol=request.scheme)
    except EmptyPage as error:
        raise Http404(f"Page {page} empty") from error
    except PageNotAnInteger as error:
        raise Http404(f"No page '{page}'") from error
    lastmod = getattr(sitemap, "latest_lastmod", None)
    headers = {"Last-Modified": http_date(lastmod.timestamp())} if lastmod else None
    if not all(is_plain_entry(url) for url in urls):
        return TemplateResponse(
            request,
            "sitemap.xml",
            {"urlset": urls},
            content_type="application/xml",
            headers=headers,
        )
    return HttpResponse(urlset_xml(urls), content_type="application/xml", headers=headers)


def is_plain_entry(url):
    return not (url.get("changefreq") or url.get("priority") or url.get("alternates"))


def urlset_xml(urls):
    """What Django's ``sitemap.xml`` template renders for entries with only a location
    and a lastmod: the ``{% spaceless %}`` entries between its fixed first and last lines,
    the location escaped and the lastmod as the ``date:"Y-m-d"`` filter writes it (in the
    current time zone)."""
    zone = timezone.get_current_timezone() if settings.USE_TZ else None
    entries = []
    for url in urls:
        lastmod = url.get("lastmod")
        if lastmod:
            # template_localtime's rule, with the current time zone looked up once.
            aware = isinstance(lastmod, datetime.datetime) and timezone.is_aware(lastmod)
            day = lastmod.astimezone(zone) if zone and aware else lastmod
            lastmod = f"<lastmod>{day.year:04d}-{day.month:02d}-{day.day:02d}</lastmod>"
        entries.append(
            f"<url><loc>{conditional_escape(url['location'])}</loc>{lastmod or ''}</url>"
        )
    return URLSET_OPEN + "".join(entries) + URLSET_CLOSE
