from django.conf import settings
from django.shortcuts import redirect
from django.templatetags.static import static as static_url
from django.urls import include, path
from django.utils.cache import patch_cache_control
from django.views.generic import TemplateView

from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from search import views as search_views

from .api import api_v2, api_v3


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links. A temporary redirect (cached
    for a day) to the static file, whose URL changes with its content in production."""
    response = redirect(static_url("favicon.ico"))
    patch_cache_control(response, public=True, max_age=86400)
    return response


urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("favicon.ico", favicon, name="favicon"),
    path("api/v2/", api_v2.urls),
    path("api/v3/", api_v3.urls),
    path("documents/", include(wagtaildocs_urls)),
    path("search/", search_views.search, name="search"),
    path("comments/", include("blog.comments.urls")),
    path("sitemap.xml", sitemap, name="sitemap"),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain"),
        name="robots_txt",
    ),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
