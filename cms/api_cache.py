"""
HTTP caching of the headless API: ETag, Cache-Control and 304 for anonymous GETs.

An ETag is built from the request (host, path, query, Accept) and the current *versions*
of what the response can show. A version is a random token kept in the cache, with no
expiry. Publishing, unpublishing, moving or deleting a page, changing an image or a
document, and any change to a comment (a new one, a moderation decision, a deletion)
replace the token of what they affect, so every ETag built on it changes at once without
anyone having to know which URLs showed the old content. Tokens are random rather than
counters so that a flushed cache can never bring back an ETag a client still holds.

Successful responses are also kept in the cache under their ETag for API_CACHE_MAX_AGE
seconds, and in the worker's own memory (``cms.recent_responses``), so a repeated
anonymous read of the same URL costs one round trip to the cache: the versions. Requests with an
``Authorization`` header (moderators' tokens) and unsafe methods are never cached.
"""

import hashlib
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import parse_etags

from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page
from wagtail.signals import page_published, page_unpublished, post_page_move

from .recent_responses import RecentResponses

API_PATH_PREFIX = "/api/"
VERSION_KEY_PREFIX = "api-version:"
RESPONSE_KEY_PREFIX = "api-response:"

PAGES = "pages"
MEDIA = "media"
COMMENTS = "comments"


# Per worker process; keys include the content versions, so entries are never stale.
recent_responses = RecentResponses(settings.RECENT_RESPONSES_BYTES)


def comments_of_post(post_id):
    return f"{COMMENTS}:{post_id}"


#: Sent in the process that replaced content versions, right after it did (``scopes``).
versions_replaced = Signal()


def bump(*scopes):
    """Give each scope a new version: every ETag and cached response built on it is stale.

    Inside a transaction the versions are replaced now and again once it commits: a
    reader who rendered the old rows in between cached them under the first new version,
    which the second replacement makes stale.
    """
    _replace_versions(scopes)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _replace_versions(scopes))


def _replace_versions(scopes):
    cache.set_many({VERSION_KEY_PREFIX + scope: uuid.uuid4().hex for scope in scopes}, None)
    versions_replaced.send(sender=None, scopes=scopes)


def current_versions(scopes):
    keys = [VERSION_KEY_PREFIX + scope for scope in scopes]
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            # add() rather than set(): another worker may have just created the version.
            # When ours was stored it is the version, with no second round trip to read it
            # back (an emptied cache made three per scope: a cold post page paid ten).
            created = uuid.uuid4().hex
            if cache.add(key, created, None):
                found[key] = created
                continue
            # None: the cache does not answer (cms.redis_cache). A version of this request's
            # own matches nothing stored, here or in any worker's memory: served uncached.
            found[key] = cache.get(key) or uuid.uuid4().hex
    return [found[key] for key in keys]


def scopes_for(request):
    """What a response to ``request`` can show, as version scopes.

    A post's comment thread depends on that post's comments (and on the post being
    published); everything else may show pages, images and comment counts.
    """
    path = request.path_info
    post_ids = request.GET.getlist("page")
    if path == "/api/v3/comments/" and len(post_ids) == 1 and post_ids[0].isdigit():
        return [PAGES, comments_of_post(int(post_ids[0]))]
    return [PAGES, MEDIA, COMMENTS]


def etag_for(request):
    parts = [
        request.build_absolute_uri(),
        request.headers.get("Accept", ""),
        # "Close comments after N days" closes posts as the date passes, with nothing saved.
        timezone.localdate().isoformat(),
        *current_versions(scopes_for(request)),
    ]
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
    return f'"{digest}"'


def is_cacheable(request):
    return (
        request.method == "GET"
        and request.path_info.startswith(API_PATH_PREFIX)
        and "HTTP_AUTHORIZATION" not in request.META
    )


def add_caching_headers(response, etag):
    response["ETag"] = etag
    patch_cache_control(
        response,
        public=True,
        max_age=settings.API_CACHE_MAX_AGE,
        s_maxage=settings.SHARED_CACHE_SECONDS,
        stale_if_error=settings.SHARED_CACHE_STALE_IF_ERROR_SECONDS,
    )
    patch_vary_headers(response, ["Accept", "Authorization"])
    return response


class APICacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_cacheable(request):
            response = self.get_response(request)
            if request.path_info.startswith(API_PATH_PREFIX) and not response.has_header(
                "Cache-Control"
            ):
                patch_cache_control(response, private=True, no_store=True)
            return response

        etag = etag_for(request)
        if etag in parse_etags(request.headers.get("If-None-Match", "")):
            return add_caching_headers(HttpResponseNotModified(), etag)

        response_key = RESPONSE_KEY_PREFIX + etag.strip('"')
        stored = recent_responses.get(response_key)
        if stored is None:
            stored = cache.get(response_key)
            if stored is not None:
                recent_responses.set(response_key, *stored)
        if stored is not None:
            content, content_type = stored
            return add_caching_headers(HttpResponse(content, content_type=content_type), etag)

        response = self.get_response(request)
        if (
            response.status_code != 200
            or response.streaming
            or response.cookies
            or response.has_header("Cache-Control")
        ):
            # Errors, redirects and views that set their own policy (the comment form
            # token, which must be fresh) are passed through untouched.
            return response
        cache.set(
            response_key,
            (response.content, response["Content-Type"]),
            settings.API_CACHE_MAX_AGE,
        )
        recent_responses.set(response_key, response.content, response["Content-Type"])
        return add_caching_headers(response, etag)


def on_page_changed(sender, instance=None, **kwargs):
    bump(PAGES)


def on_page_deleted(sender, instance, **kwargs):
    if isinstance(instance, Page):
        bump(PAGES)


def on_media_changed(sender, instance=None, **kwargs):
    # Pages show images (hero renditions, credits in the body), so they change too.
    bump(MEDIA, PAGES)


def on_comment_changed(sender, instance, created=False, **kwargs):
    # Counts on listings change with the thread. Held comments are not shown to anyone
    # who gets a cached answer, so a new held comment replaces no version.
    if kwargs.get("signal") is post_delete or instance.changes_public_thread(created):
        bump(COMMENTS, comments_of_post(instance.post_id))


def on_comment_rules_changed(sender, instance=None, **kwargs):
    # "Close after N days" decides comments_open on every post.
    bump(COMMENTS, PAGES)


def connect_invalidation_signals():
    """Called from CmsConfig.ready(), so management commands (scheduled publishing) bump
    versions too, not only the web process."""
    page_published.connect(on_page_changed, dispatch_uid="api_cache_page_published")
    page_unpublished.connect(on_page_changed, dispatch_uid="api_cache_page_unpublished")
    post_page_move.connect(on_page_changed, dispatch_uid="api_cache_page_moved")
    post_delete.connect(on_page_deleted, dispatch_uid="api_cache_page_deleted")
    for signal in (post_save, post_delete):
        kind = "saved" if signal is post_save else "deleted"
        signal.connect(
            on_comment_changed, sender="comments.Comment", dispatch_uid=f"api_cache_comment_{kind}"
        )
        signal.connect(
            on_comment_rules_changed,
            sender="comments.CommentSettings",
            dispatch_uid=f"api_cache_comment_rules_{kind}",
        )
    for model in (get_image_model(), get_document_model()):
        for signal in (post_save, post_delete):
            signal.connect(
                on_media_changed,
                sender=model,
                dispatch_uid=f"api_cache_{model._meta.label_lower}_{signal is post_save}",
            )
