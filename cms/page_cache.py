"""
Whole-page caching of reader HTML for visitors without a session.

Most readers arrive without a session: for them a post page is the same bytes until a
page is published, an image changes or a comment is made, so it is served from the
cache under a key that includes the current content versions (``cms.api_cache``
replaces those on every such change, so a stale page is never served and nothing has to
be purged by URL).

Such a page carries no CSRF token and sets no cookie (the comment form's defence for
visitors without a session is in ``blog.comments.forgery``), so a shared cache in front
may keep it too: responses say ``Cache-Control: public, max-age=0, s-maxage=N`` with N
= SHARED_CACHE_SECONDS, which browsers do not cache and nginx keeps for N seconds (see
``deploy/nginx.conf``). Parts that must be fresh for every view (the comment form's
token, issued to this reader now) are registered by their feature with ``keep_fresh``:
the stored copy holds placeholders, and each response gets them filled in; a part
filled in for one reader alone makes the response private. The body's
final length is set once, by ``cms.framing``, after every rewrite.

Visitors with a session (signed-in editors, readers whose comment awaits moderation
and who must see it) and requests with other query strings always get a fresh page.
"""

import functools
import hashlib
import re

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers

from .api_cache import COMMENTS, MEDIA, PAGES, current_versions, recent_responses

#: Query parameters a cached page may have, each once, in its one canonical spelling: any
#: other spelling (``?page=01``, ``?page=2&page=2``) is served but not stored, so no one
#: can grow the cache by inventing URLs. Pages out of range are 404s, never stored.
CACHEABLE_QUERY_PARAMETERS = {
    "cpage": re.compile(r"[1-9][0-9]{0,5}"),
    "page": re.compile(r"[1-9][0-9]{0,5}"),
    # The comment orders other than the default, which is spelled without ``sort``
    # (blog.comments.sorting.ORDERS).
    "sort": re.compile(r"newest|replies"),
    "tag": re.compile(r"[-a-zA-Z0-9_]{1,100}"),
}
UNCACHED_PATH_PREFIXES = ("/admin/", "/api/", "/comments/", "/search/", "/documents/")
PAGE_KEY_PREFIX = "page-html:"


def has_canonical_query(request):
    for name, values in request.GET.lists():
        spelling = CACHEABLE_QUERY_PARAMETERS.get(name)
        if spelling is None or len(values) != 1 or not spelling.fullmatch(values[0]):
            return False
    return True


def wants_cached_page(request):
    return (
        request.method in ("GET", "HEAD")
        # Wagtail renders a preview through a made-up request for the page's own URL:
        # a draft must never be stored where readers would get it.
        and not getattr(request, "is_dummy", False)
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not request.path_info.startswith(UNCACHED_PATH_PREFIXES)
        and has_canonical_query(request)
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


#: (compiled bytes pattern, fill(request, match) -> bytes), from ``keep_fresh``.
_fresh_parts = []


def keep_fresh(pattern, fill):
    """Have every response from this cache carry ``fill(request, match)`` in place of each
    match of ``pattern`` (a compiled bytes regex) in the stored page. A feature registers
    its placeholders here (in its ``AppConfig.ready``) so the cache knows no feature."""
    _fresh_parts.append((pattern, fill))


def with_fresh_parts(request, content):
    for pattern, fill in _fresh_parts:
        content = pattern.sub(functools.partial(fill, request), content)
    return content


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not wants_cached_page(request):
            return keep_personal_parts_private(request, self.get_response(request))

        key = page_key(request)
        stored = recent_responses.get(key)
        if stored is None:
            stored = cache.get(key)
            if stored is not None:
                recent_responses.set(key, *stored)
        if stored is not None:
            content, content_type = stored
            response = HttpResponse(with_fresh_parts(request, content), content_type=content_type)
            response["X-Page-Cache"] = "hit"
            return allow_shared_caching(request, response)

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
            response.content = with_fresh_parts(request, response.content)
            return allow_shared_caching(request, response)
        response.content = with_fresh_parts(request, response.content)
        patch_vary_headers(response, ["Cookie"])
        return keep_personal_parts_private(request, response)


def allow_shared_caching(request, response):
    """Browsers revalidate every time; a shared cache may keep the page for a moment, and
    serve it a while longer when the app does not answer (``stale-if-error``, the bound
    of deploy/nginx.conf's stale copies). ``Vary: Cookie`` because a visitor with a
    session gets another page."""
    patch_vary_headers(response, ["Cookie"])
    if getattr(request, "shows_personal_parts", False):
        return keep_personal_parts_private(request, response)
    patch_cache_control(
        response,
        public=True,
        max_age=0,
        s_maxage=settings.SHARED_CACHE_SECONDS,
        stale_if_error=settings.SHARED_CACHE_STALE_IF_ERROR_SECONDS,
    )
    return response


def keep_personal_parts_private(request, response):
    """A fresh part filled in for this reader alone (the author's own "Edit" link, see
    ``blog.comments.editing``) sets ``request.shows_personal_parts``: no cache may keep
    the response for anyone else."""
    if getattr(request, "shows_personal_parts", False):
        patch_cache_control(response, private=True, no_store=True)
    return response
