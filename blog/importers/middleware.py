"""WordPress's short links (``/?p=123``) keep leading to the imported post.

Wagtail's redirects answer only requests that would otherwise be a 404, and ``/?p=123``
is the home page with a query string, which never is. The importer stores a redirect
for each post's short link; this middleware follows it before the home page answers.
"""

from django.http import HttpResponsePermanentRedirect, HttpResponseRedirect

from wagtail.contrib.redirects.middleware import get_redirect
from wagtail.contrib.redirects.models import Redirect


class WordPressShortLinkMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        post_id = request.GET.get("p", "")
        if (
            request.path == "/"
            and request.method in ("GET", "HEAD")
            and post_id.isdigit()
            and len(request.GET) == 1
        ):
            redirect = get_redirect(request, Redirect.normalise_path(f"/?p={post_id}"))
            if redirect is not None and redirect.link:
                if redirect.is_permanent:
                    return HttpResponsePermanentRedirect(redirect.link)
                return HttpResponseRedirect(redirect.link)
        return self.get_response(request)
