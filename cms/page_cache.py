"""
Whole-page caching of reader HTML for anonymous visitors.

Most readers arrive without a session: for them a post page is the same bytes until a
page is published, an image changes or a comment is made, so it is served from the
cache under a key that includes the current content versions (``cms.api_cache``
replaces those on every such change, so a stale page is never served and nothing has to
be purged by URL).

The only per-visitor part of a post page is the comment form's CSRF token. While a page
is being rendered for the cache, the form gets a placeholder instead (see
``csrf_placeholder``, a context processor); every response, fresh or cached, then carries the
visitor's own token. The middleware sits inside ``CsrfViewMiddleware`` so the CSRF
cookie is still set on a cache hit.

Visitors with a session (signed-in editors, readers whose comment awaits moderation
and who must see it) and requests with other query strings always get a fresh page.
"""

import hashlib
import re

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from blog.comments.forms import FORM_TOKEN_PLACEHOLDER_PREFIX, make_form_token

from .api_cache import COMMENTS, MEDIA, PAGES, current_versions, recent_responses

CSRF_PLACEHOLDER = "__page_cache_csrf_token__"
FORM_TOKEN_PLACEHOLDER = re.compile(re.escape(FORM_TOKEN_PLACEHOLDER_PREFIX.encode()) + rb"(\d+)__")
CACHEABLE_QUERY_PARAMETERS = {"cpage", "page", "tag"}
UNCACHED_PATH_PREFIXES = ("/admin/", "/api/", "/comments/", "/search/", "/documents/")
PAGE_KEY_PREFIX = "page-html:"


def wants_cached_page(request):
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not request.path_info.startswith(UNCACHED_PATH_PREFIXES)
        and set(request.GET) <= CACHEABLE_QUERY_PARAMETERS
    )


def page_key(request):
    parts = [
        request.get_host(),
        request.get_full_path(),
        # Posts close to comments as the date passes ("close after N days").
        timezone.localdate().isoformat(),
        *current_versions([PAGES, MEDIA, COMMENTS]),
    ]
    return PAGE_KEY_PREFIX + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def csrf_placeholder(request):
    """Context processor: while a page renders for the cache, {% csrf_token %} prints a
    placeholder that each response replaces with the visitor's own token."""
    if getattr(request, "rendering_for_page_cache", False):
        return {"csrf_token": CSRF_PLACEHOLDER}
    return {}


def _with_visitor_token(request, content):
    """The visitor's own CSRF token, and comment form tokens issued now (the comment
    rules time a reader from when the form was shown)."""
    if CSRF_PLACEHOLDER.encode() in content:
        content = content.replace(CSRF_PLACEHOLDER.encode(), get_token(request).encode())
    if FORM_TOKEN_PLACEHOLDER_PREFIX.encode() in content:
        content = FORM_TOKEN_PLACEHOLDER.sub(
            lambda match: make_form_token(int(match[1])).encode(), content
        )
    return content


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not wants_cached_page(request):
            return self.get_response(request)

        key = page_key(request)
        stored = recent_responses.get(key)
        if stored is None:
            stored = cache.get(key)
            if stored is not None:
                recent_responses.set(key, *stored)
        if stored is not None:
            content, content_type = stored
            response = HttpResponse(
                _with_visitor_token(request, content), content_type=content_type
            )
            response["X-Page-Cache"] = "hit"
            patch_vary_headers(response, ["Cookie"])
            return response

        request.rendering_for_page_cache = True
        response = self.get_response(request)
        if response.streaming:
            return response
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and response.get("Content-Type", "").startswith("text/html")
            and not response.has_header("Cache-Control")
        ):
            cache.set(
                key, (response.content, response["Content-Type"]), settings.PAGE_CACHE_SECONDS
            )
            recent_responses.set(key, response.content, response["Content-Type"])
            response["X-Page-Cache"] = "miss"
        response.content = _with_visitor_token(request, response.content)
        patch_vary_headers(response, ["Cookie"])
        return response
