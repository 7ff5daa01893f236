"""
Draft previews drawn by a separate front end.

With ``HEADLESS_PREVIEW_URL`` set (``http://localhost:3000/preview?token={token}``), or
one for the page's site in ``HEADLESS_PREVIEW_URLS``, Wagtail's preview panel and
"Preview in new tab" are sent to that address instead of rendering our template. The
page as the editor has it, unsaved edits included (Wagtail builds it from the posted
form), is kept in the cache for ``HEADLESS_PREVIEW_SECONDS`` under a random key, and the
front end gets a signed token naming the page, that key and the content's digest: it
fetches the draft from ``GET /api/v3/preview/?token=…``. The token carries no content,
so it cannot be edited into another page's or another version's, and it dies with its
lifetime. Each refresh of the panel (as the editor types) stores the new content under a
new token.

A page being added (never saved) has no row to lay the draft over, so its stored content
also names its type and the parent it is being added under, and the token names no page:
the API rebuilds the page from the content alone, with a null id.
"""

import hashlib
import json
import secrets
from urllib.parse import quote

from django.apps import apps
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponseRedirect

from wagtail.models import Page, get_page_models

SALT = "headless.preview"
CACHE_PREFIX = "headless-preview:"


class PreviewUnavailable(Exception):
    """No draft for this token; ``status`` is 401 (missing, forged, expired) or 404
    (good token, but the draft or its page is gone)."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def digest(content):
    return hashlib.sha256(content.encode()).hexdigest()


def issue_preview_token(page):
    """Keep ``page`` as it is in memory and return the token that reads it back."""
    stored = page.serializable_data()
    if page.pk is None:
        parent = page.get_parent()
        stored = {
            "type": page._meta.label,
            "parent": parent.pk if parent is not None else None,
            "content": stored,
        }
    content = json.dumps(stored, cls=DjangoJSONEncoder)
    key = secrets.token_urlsafe(18)
    cache.set(CACHE_PREFIX + key, content, settings.HEADLESS_PREVIEW_SECONDS)
    return signing.dumps({"page": page.pk, "key": key, "sha256": digest(content)}, salt=SALT)


def front_end_address(page):
    """The preview address of the front end drawing this page's site, or ""."""
    by_site = settings.HEADLESS_PREVIEW_URLS
    if by_site:
        site = page.get_site()
        if site is not None and site.hostname in by_site:
            return by_site[site.hostname]
    return settings.HEADLESS_PREVIEW_URL


def preview_address(address, token):
    return address.replace("{token}", quote(token, safe=""))


def page_for_token(token):
    """The previewed page, built from the stored content over the page as it is."""
    if not token:
        raise PreviewUnavailable(401, "A preview token is required (?token=…).")
    try:
        claims = signing.loads(token, salt=SALT, max_age=settings.HEADLESS_PREVIEW_SECONDS)
    except signing.SignatureExpired as error:
        raise PreviewUnavailable(
            401, "This preview token has expired: refresh the preview in the admin."
        ) from error
    except signing.BadSignature as error:
        raise PreviewUnavailable(401, "This preview token is not valid.") from error
    content = cache.get(CACHE_PREFIX + claims["key"])
    if content is None or digest(content) != claims["sha256"]:
        raise PreviewUnavailable(404, "This preview is no longer available.")
    if claims["page"] is None:
        return new_page_from(json.loads(content))
    page = Page.objects.filter(pk=claims["page"]).first()
    if page is None:
        raise PreviewUnavailable(404, "The previewed page no longer exists.")
    return page.specific.with_content_json(json.loads(content))


def new_page_from(stored):
    """A page never saved, rebuilt from its content, under the parent it is being added to.

    Its parent is looked up again (it may have been deleted since) and handed to the page,
    so the API's ``meta.parent`` is the real one; the page itself stays out of the tree.
    """
    try:
        model = apps.get_model(stored["type"])
    except LookupError:
        model = None
    if model not in get_page_models():
        raise PreviewUnavailable(404, "This page type no longer exists.")
    parent = None
    if stored["parent"] is not None:
        parent = Page.objects.filter(pk=stored["parent"]).first()
        if parent is None:
            raise PreviewUnavailable(404, "The page the draft was being added to no longer exists.")
    page = model.from_serializable_data(stored["content"])
    page._cached_parent_obj = parent
    # Read by the post's API field in place of counting rows that cannot exist yet.
    page.comment_count = 0
    return page


def serve_preview_on_front_end(serve_preview):
    """Wrap ``Page.serve_preview``: with a front end configured, send the editor there.

    Installed on every page type (``HeadlessConfig.ready``) so all of them, including ones
    not saved yet, preview the same way, and nothing changes when the setting is empty.
    """

    def serve(page, request, mode_name):
        address = front_end_address(page)
        if not address:
            return serve_preview(page, request, mode_name)
        return HttpResponseRedirect(preview_address(address, issue_preview_token(page)))

    serve.headless_preview = True
    return serve


def install():
    """Wrap ``serve_preview`` on ``Page`` and on every page type that brings its own
    (``RoutablePageMixin`` does: without this the blog index kept Wagtail's preview)."""
    for model in [Page, *get_page_models()]:
        if not getattr(model.serve_preview, "headless_preview", False):
            model.serve_preview = serve_preview_on_front_end(model.serve_preview)
