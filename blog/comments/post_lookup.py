"""
The post a comment is for and the rules it is judged by, read once per content version.

Every comment POST needs both, and reading them costs more than storing the comment: a
Wagtail page with its view restrictions, and the rules row. Both change only when a page
is published, unpublished or moved, or when the rules are saved, and each of those
replaces the ``PAGES`` content version (``cms.api_cache``). So each worker keeps what it
read under the version current when it read it: one cache round trip instead of three
queries, and never stale, because a new version is a new key.
"""

from django.apps import apps

from cms.api_cache import PAGES, current_versions

from .models import CommentSettings

MAX_ENTRIES = 512
_read_under_version = {}


def pages_version():
    (version,) = current_versions([PAGES])
    return version


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


def forget():
    _read_under_version.clear()
