from django.conf import settings
from django.shortcuts import redirect
from django.templatetags.static import static as static_url
from django.urls import include, path, reverse
from django.utils.cache import patch_cache_control
from django.views.generic import TemplateView

from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls
from wagtail.models import Site

from search import views as search_views

from .api import api_v2, api_v3, grouped_by_first_segment
from .feed_cache import cached_by_content
from .health import health
from .sitemaps import sitemap_index, sitemap_section


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links. A temporary redirect (cached
    for a day) to the static file, whose URL changes with its content in production."""
    response = redirect(static_url("favicon.ico"))
    patch_cache_control(response, public=True, max_age=86400)
    return response


class RobotsView(TemplateView):
    """Names the sitemap at the Site's address, where the sitemap lists every page, not at
    whichever host name the request used (a crawler told of two hosts sees two sites)."""

    template_name = "robots.txt"
    content_type = "text/plain"

    def get_context_data(self, **kwargs):
        site = Site.find_for_request(self.request)
        root_url = site.root_url if site else self.request.build_absolute_uri("/").rstrip("/")
        return super().get_context_data(sitemap_url=root_url + reverse("sitemap"), **kwargs)


urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("favicon.ico", favicon, name="favicon"),
    path("api/v2/", api_v2.urls),
    path("api/v3/", grouped_by_first_segment(api_v3.urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("search/", search_views.search, name="search"),
    path("comments/", include("blog.comments.urls")),
    path("sitemap.xml", cached_by_content(sitemap_index), name="sitemap"),
    path("sitemap-<slug:section>.xml", cached_by_content(sitemap_section), name="sitemap_section"),
    path("robots.txt", RobotsView.as_view(), name="robots_txt"),
    path("health/", health, name="health"),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
