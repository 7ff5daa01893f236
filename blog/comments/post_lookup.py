"""
The post a comment is for and the rules it is judged by, read once per content version.

Every comment POST needs both, and reading them costs more than storing the comment: a
Wagtail page with its view restrictions, and the rules row. Both change only when a page
is published, unpublished, moved or deleted, or when the rules are saved, and each of
those replaces the ``PAGES`` content version (``cms.api_cache``). So each worker keeps
what it read under the version current when it read it.

Asking the cache for the version is itself a round trip, a tenth of a comment POST's
time, so a worker asks at most once every ``COMMENTS_CONTENT_RECHECK_SECONDS``. A change
made in this process applies at once (``versions_replaced``); one made by another worker
reaches this one within that second, as readers see it through the shared cache in
front (``SHARED_CACHE_SECONDS``): a comment sent in that second is judged as if it had
come a second earlier.
"""

from time import monotonic

from django.apps import apps
from django.conf import settings

from cms.api_cache import PAGES, current_versions

from .models import CommentSettings

MAX_ENTRIES = 512
_read_under_version = {}
_checked_version = None  # (version, monotonic() when it was read)


def pages_version():
    global _checked_version
    now = monotonic()
    if (
        _checked_version is None
        or now - _checked_version[1] >= settings.COMMENTS_CONTENT_RECHECK_SECONDS
    ):
        (version,) = current_versions([PAGES])
        _checked_version = (version, now)
    return _checked_version[0]


def _remembered(key, read):
    if key not in _read_under_version:
        if len(_read_under_version) >= MAX_ENTRIES:
            _read_under_version.clear()
        _read_under_version[key] = read()
    return _read_under_version[key]


def live_post(post_id, version=None):
    """The published, public post with this id, or None.

    The post carries the version it was read under (``read_under_version``), so the rules
    for the same request are read under the same version without another round trip.
    """
    # Looked up by name: blog.models imports this app's rules, which use this module.
    posts = apps.get_model("blog", "BlogPostPage").objects
    version = version or pages_version()

    def read():
        post = posts.live().public().filter(pk=post_id).first()
        if post is not None:
            post.read_under_version = version
        return post

    return _remembered(("post", post_id, version), read)


def comment_rules(version=None):
    return _remembered(("rules", version or pages_version()), CommentSettings.load)


def forget_version(sender=None, scopes=(PAGES,), **kwargs):
    """Connected to ``versions_replaced``: the next lookup asks the cache again."""
    global _checked_version
    if PAGES in scopes:
        _checked_version = None


def forget():
    _read_under_version.clear()
    forget_version()
