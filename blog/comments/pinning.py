"""
Pinning: a moderator puts a comment, and its replies with it, at the top of its thread.

Only approved top-level comments can be pinned. A reply is refused rather than pinned in
place of its conversation: readers would see it on top without what it answers, so the
moderator pins the comment it belongs to. At most COMMENTS_MAX_PINNED_PER_POST comments
of a post are pinned at once; the post's row is locked while the pins are counted, so two
moderators pinning at once cannot pass the limit together.

A pin stays on the row while the comment is unapproved or removed (and shows again if it
is approved again) but is shown, and counted, only while the comment is approved.

Saving the pin goes through the model's ``post_save``, which replaces the post's comment
version (``cms.api_cache``): the thread's HTML, the page and the API's answers are built
again on their next read. Every pin and unpin is a Wagtail log entry.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from wagtail.log_actions import log
from wagtail.models import Page

from .models import Comment

PIN_LOG_ACTION = "comments.pin"
UNPIN_LOG_ACTION = "comments.unpin"


class PinRefused(Exception):
    """A pin that cannot be made, with a message a moderator can act on."""


def pinned_on_post(post_id):
    return Comment.objects.approved().filter(
        post_id=post_id, parent__isnull=True, pinned_at__isnull=False
    )


def pin(comment_id, user):
    """Pin the comment; returns it. Pinning a pinned comment changes nothing."""
    with transaction.atomic():
        comment = Comment.objects.select_for_update().get(pk=comment_id)
        if comment.is_pinned:
            return comment
        if comment.parent_id:
            raise PinRefused(
                "Only comments on the post itself can be pinned, not replies. Pin the "
                "comment this reply answers: its replies come with it."
            )
        if comment.status != Comment.Status.APPROVED:
            raise PinRefused("Only approved comments can be pinned. Approve this comment first.")
        list(Page.objects.select_for_update().filter(pk=comment.post_id).values_list("pk"))
        limit = settings.COMMENTS_MAX_PINNED_PER_POST
        if pinned_on_post(comment.post_id).exclude(pk=comment.pk).count() >= limit:
            raise PinRefused(
                f"This post already has {limit} pinned comment{'s' if limit != 1 else ''}, "
                "the most allowed. Unpin one first."
            )
        comment.pinned_at = timezone.now()
        comment.save(update_fields=["pinned_at", "updated_at"])
        log(instance=comment, action=PIN_LOG_ACTION, user=user, data={"post_id": comment.post_id})
    return comment


def unpin(comment_id, user):
    """Take the comment's pin away; returns it. Unpinning an unpinned comment changes nothing."""
    with transaction.atomic():
        comment = Comment.objects.select_for_update().get(pk=comment_id)
        if comment.pinned_at is None:
            return comment
        comment.pinned_at = None
        comment.save(update_fields=["pinned_at", "updated_at"])
        log(instance=comment, action=UNPIN_LOG_ACTION, user=user, data={"post_id": comment.post_id})
    return comment
