"""
What happened, as the webhook payloads tell it: Wagtail's page signals and the comment
model's own saves and deletions, turned into deliveries once the transaction commits.

Payloads hold ids, types, URLs, times and statuses, never a commenter's email, IP
address or text: a comment's status change is found from the status it had when it was
read (``Comment.status_when_loaded``), so the moderation path needs no hook of its own.
A page that is not live has a title nobody outside the admin has seen; it goes only to
endpoints that asked for drafts.
"""

import json

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.urls import reverse
from django.utils import timezone

from wagtail.models import Page
from wagtail.signals import page_published, page_unpublished, post_page_move

from blog.comments.models import Comment

from . import active_endpoints
from .delivery import queue
from .models import Event, WebhookDelivery
from .signing import new_message_id

DRAFT_ONLY_FIELDS = ("title",)
COMMENT_FIELDS = ("post_id", "parent_id", "status", "depth", "thread_path", "created_at")


def iso(moment):
    return moment.isoformat() if moment else None


def absolute(path, root_url=None):
    """API URLs as a receiver outside the site can follow them: WAGTAILAPI_BASE_URL, as
    the API's own links, else the page's site."""
    base = getattr(settings, "WAGTAILAPI_BASE_URL", None) or root_url
    return (base or settings.WAGTAILADMIN_BASE_URL).rstrip("/") + path


def page_data(page, page_id=None):
    """Read from the page object alone and the cached site paths: a page being deleted
    (its site perhaps with it) has nothing left in the database to ask, and Django has
    cleared its id by the time this runs, so the caller passes it."""
    page_id = page_id or page.pk
    specific_class = page.specific_class or type(page)
    parts = page.get_url_parts()
    root_url = parts[1] if parts else None
    return {
        "id": page_id,
        "type": specific_class._meta.label,
        "title": page.title,
        "live": page.live,
        "url": root_url.rstrip("/") + parts[2] if root_url and parts[2] else None,
        "api_url": absolute(reverse("wagtailapi_v3:detail_page", args=[page_id]), root_url),
        "first_published_at": iso(page.first_published_at),
        "last_published_at": iso(page.last_published_at),
    }


def comment_data(comment):
    return {
        "id": comment.pk,
        "post_id": comment.post_id,
        "parent_id": comment.parent_id,
        "status": comment.status,
        "depth": comment.depth,
        "thread_path": comment.thread_path,
        "created_at": iso(comment.created_at),
        "api_url": absolute(reverse("wagtailapi_v3:detail_comment", args=[comment.pk])),
    }


def announce(event_type, build_data, *, live=True):
    """Queue ``event_type`` for every endpoint that wants it once the transaction
    commits. ``build_data`` runs then, so it reads what was committed; ``live=False``
    keeps the title from endpoints that did not ask for drafts."""
    occurred_at = iso(timezone.now())
    transaction.on_commit(
        lambda: send_event(event_type, build_data, occurred_at=occurred_at, live=live),
        robust=True,
    )


def send_event(event_type, build_data, *, occurred_at, live=True):
    # Kept per process until an endpoint changes: no query while nobody listens.
    endpoints = [
        endpoint for endpoint in active_endpoints.active_endpoints() if endpoint.wants(event_type)
    ]
    if not endpoints:
        return []
    data = build_data()
    message_id = new_message_id()
    deliveries = []
    for endpoint in endpoints:
        shown = data
        if not live and not endpoint.include_drafts:
            shown = {key: value for key, value in data.items() if key not in DRAFT_ONLY_FIELDS}
        body = json.dumps(
            {"type": event_type, "timestamp": occurred_at, "data": shown}, separators=(",", ":")
        )
        deliveries.append(
            WebhookDelivery.objects.create(
                endpoint=endpoint, message_id=message_id, event_type=event_type, body=body
            )
        )
    for delivery in deliveries:
        queue(delivery)
    return deliveries


# Page payloads are built once the change has committed, and only when an endpoint wants
# the event: publishing, moving and deleting cost nothing more while no endpoint listens.


def on_page_published(sender, instance, revision=None, **kwargs):
    revision_id = getattr(revision, "pk", None)
    announce(Event.PAGE_PUBLISHED, lambda: {**page_data(instance), "revision_id": revision_id})


def on_page_unpublished(sender, instance, **kwargs):
    # Its title was public until a moment ago.
    announce(Event.PAGE_UNPUBLISHED, lambda: page_data(instance))


def on_page_moved(sender, instance, parent_page_before, parent_page_after, **kwargs):
    same_parent = parent_page_before.pk == parent_page_after.pk
    if same_parent and kwargs.get("url_path_before") == kwargs.get("url_path_after"):
        return
    before, after = parent_page_before.pk, parent_page_after.pk
    announce(
        Event.PAGE_MOVED,
        lambda: {**page_data(instance), "parent_id": after, "previous_parent_id": before},
        live=instance.live,
    )


def on_page_deleted(sender, instance, **kwargs):
    was_live, page_id = instance.live, instance.pk
    announce(
        Event.PAGE_DELETED,
        lambda: {**page_data(instance, page_id), "live": False, "was_live": was_live},
        live=was_live,
    )


def on_comment_saved(sender, instance, created=False, **kwargs):
    if created:
        # The database gives a new comment its place in the thread as it stores it
        # (comments migration 0005); it is read back once committed.
        comment_id = instance.pk
        announce(Event.COMMENT_CREATED, lambda: created_comment_data(comment_id))
        return
    before = getattr(instance, "status_when_loaded", None)
    if before is None or before == instance.status:
        return
    data = {**comment_data(instance), "from": before, "to": instance.status}
    announce(Event.COMMENT_STATUS_CHANGED, lambda: data)


def created_comment_data(comment_id):
    comment = Comment.objects.only(*COMMENT_FIELDS).get(pk=comment_id)
    return comment_data(comment)


def on_comment_deleted(sender, instance, **kwargs):
    data = comment_data(instance)
    announce(Event.COMMENT_DELETED, lambda: data)


def connect_event_signals():
    active_endpoints.connect_invalidation_signals()
    page_published.connect(on_page_published, dispatch_uid="headless_page_published")
    page_unpublished.connect(on_page_unpublished, dispatch_uid="headless_page_unpublished")
    post_page_move.connect(on_page_moved, dispatch_uid="headless_page_moved")
    # Deleting a page of any type deletes its Page row: one signal per page, subtree included.
    post_delete.connect(on_page_deleted, sender=Page, dispatch_uid="headless_page_deleted")
    post_save.connect(
        on_comment_saved, sender="comments.Comment", dispatch_uid="headless_comment_saved"
    )
    post_delete.connect(
        on_comment_deleted, sender="comments.Comment", dispatch_uid="headless_comment_deleted"
    )
