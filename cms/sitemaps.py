"""
The sitemap as an index of pages of at most ``PageSitemap.limit`` URLs, each made from a
few columns per page rather than a Wagtail page instance per page.

One urlset naming all 10,000 posts took 16 s to make (docs/benchmarks.md, "At scale"):
half loading a specific page instance per page, half the template loop. It is made again
after every publish, so a crawler paid that (and a gunicorn timeout could cut it). Now
``/sitemap.xml`` is a sitemap index whose cost is one query of one column per page,
pointing at ``/sitemap-pages.xml?p=N``, each a fixed-size page whose cost does not grow
with the site. The URLs and lastmod values are Wagtail's own (``Page.get_sitemap_urls``:
``get_full_url`` and ``last_published_at or latest_revision_created_at``), with Wagtail's
selection (live, public: no view restriction, under the request's Site, in path order).
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.sitemaps.views import SitemapIndexItem, x_robots_tag
from django.db.models.functions import Coalesce
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.http import http_date

from wagtail.contrib.sitemaps import Sitemap
from wagtail.contrib.sitemaps.views import sitemap as wagtail_sitemap
from wagtail.models import Page, Site

SECTION = "pages"
#: Page methods whose result is the page's sitemap entry: a page type overriding one of
#: them has its entries made by its own instance, as Wagtail's sitemap does.
URL_METHODS = ("get_sitemap_urls", "get_full_url", "get_url_parts")
#: The template's other fields, empty as in Wagtail's entries: a key missing from a dict
#: sends Django's template lookup through attribute and index attempts (a sixth of a
#: page's time, profiled), a key present and empty prints nothing just the same.
ABSENT_FIELDS = {"changefreq": None, "priority": None, "alternates": ()}
ROW_FIELDS = (
    "pk",
    "url_path",
    "content_type_id",
    "last_published_at",
    "latest_revision_created_at",
)


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
        none): one column of one query, so a crawler can skip pages that did not change."""
        dates = list(
            self.pages().values_list(
                Coalesce("last_published_at", "latest_revision_created_at"), flat=True
            )
        )
        chunks = [dates[start : start + self.limit] for start in range(0, len(dates), self.limit)]
        return [None if None in chunk else max(chunk) for chunk in chunks] or [None]

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
        ids = [row["pk"] for row in rows if i18n or has_own_urls(row["content_type_id"])]
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

    def __call__(self, url_path):
        possible = [srp for srp in self.root_paths if url_path.startswith(srp.root_path)]
        if not possible:
            return None
        chosen = possible[0]
        if len({srp.site_id for srp in possible}) > 1 and self.request_site_id is not None:
            chosen = next((srp for srp in possible if srp.site_id == self.request_site_id), chosen)
        try:
            page_path = reverse("wagtail_serve", args=(url_path[len(chosen.root_path) :],))
        except NoReverseMatch:
            return None
        if not self.append_slash and page_path != "/":
            page_path = page_path.rstrip("/")
        return chosen.root_url + page_path


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


def sitemap_section(request, section):
    """``/sitemap-pages.xml?p=N``: the N-th ``PageSitemap.limit`` pages (404 past the
    last page, for an unknown section or a ``p`` that is not a number)."""
    return wagtail_sitemap(request, sitemaps={SECTION: PageSitemap}, section=section)
