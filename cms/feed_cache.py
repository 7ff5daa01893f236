"""
The sitemap and the posts feeds, kept in the cache under the content versions they show.

They are as public as reader pages but are not HTML, so the whole-page cache
(``cms.page_cache``) never stores them, and each costs far more than a page: the sitemap
names every page (16 s at 10,000 posts, docs/benchmarks.md), a feed renders each entry's
whole body. Publishing or changing an image replaces the version, so a stale copy is
never served; the headers that say what the answer is (its type, ``Last-Modified``,
the sitemap's ``X-Robots-Tag``) are kept with the body.
"""

import functools
import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone

from .api_cache import MEDIA, PAGES, current_versions

KEY_PREFIX = "feed-answer:"
KEPT_HEADERS = ("Content-Type", "Last-Modified", "X-Robots-Tag")


def answer_key(request, scopes):
    parts = [
        request.get_host(),
        request.get_full_path(),
        timezone.localdate().isoformat(),
        *current_versions(scopes),
    ]
    return KEY_PREFIX + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def cached_by_content(view, scopes=(PAGES, MEDIA)):
    """``view`` answered from the cache while the ``scopes`` it shows are unchanged."""

    @functools.wraps(view)
    def answer(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        key = answer_key(request, scopes)
        stored = cache.get(key)
        if stored is not None:
            content, headers = stored
            return HttpResponse(content, headers=headers)
        response = view(request, *args, **kwargs)
        if callable(getattr(response, "render", None)):
            response = response.render()
        if response.status_code == 200 and not response.streaming:
            headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
            cache.set(key, (response.content, headers), settings.PAGE_CACHE_SECONDS)
        return response

    return answer
