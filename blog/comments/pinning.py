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

``pin_comments`` pins many at once (the admin's bulk action): all of them, or, if one
cannot be pinned, none, with the reason for each one that cannot.
"""

from collections import Counter

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from wagtail.log_actions import log
from wagtail.models import Page

from .models import Comment

PIN_LOG_ACTION = "comments.pin"
UNPIN_LOG_ACTION = "comments.unpin"


REPLY_REFUSAL = (
    "Only comments on the post itself can be pinned, not replies. Pin the comment this "
    "reply answers: its replies come with it."
)
NOT_APPROVED_REFUSAL = "Only approved comments can be pinned. Approve this comment first."


class PinRefused(Exception):
    """A pin that cannot be made, with a message a moderator can act on."""


class PinsRefused(PinRefused):
    """Comments that cannot all be pinned together; ``refusals`` maps each comment that
    cannot to why. Nothing was pinned."""

    def __init__(self, refusals):
        self.refusals = refusals
        super().__init__(
            "Nothing was pinned. "
            + " ".join(
                f"The comment by {comment.author_name}: {reason}"
                for comment, reason in refusals.items()
            )
        )


def limit_refusal(limit):
    return (
        f"This post already has {limit} pinned comment{'s' if limit != 1 else ''}, "
        "the most allowed. Unpin one first."
    )


def why_not_pinnable(comment):
    """Why this comment cannot be pinned whatever else is pinned, or "" if it can."""
    if comment.parent_id:
        return REPLY_REFUSAL
    if comment.status != Comment.Status.APPROVED:
        return NOT_APPROVED_REFUSAL
    return ""


def pinned_on_posts(post_ids):
    return Comment.objects.approved().filter(
        post_id__in=post_ids, parent__isnull=True, pinned_at__isnull=False
    )


def pinned_on_post(post_id):
    return pinned_on_posts([post_id])


def record_pin(comment, pinned_at, user):
    """Store the pin (a time) or its removal (None) and log it: the same entry whether one
    comment or a selection was pinned."""
    comment.pinned_at = pinned_at
    comment.save(update_fields=["pinned_at", "updated_at"])
    action = PIN_LOG_ACTION if pinned_at else UNPIN_LOG_ACTION
    log(instance=comment, action=action, user=user, data={"post_id": comment.post_id})


def pin(comment_id, user):
    """Pin the comment; returns it. Pinning a pinned comment changes nothing."""
    with transaction.atomic():
        comment = Comment.objects.select_for_update().get(pk=comment_id)
        if comment.is_pinned:
            return comment
        if reason := why_not_pinnable(comment):
            raise PinRefused(reason)
        list(Page.objects.select_for_update().filter(pk=comment.post_id).values_list("pk"))
        limit = settings.COMMENTS_MAX_PINNED_PER_POST
        if pinned_on_post(comment.post_id).exclude(pk=comment.pk).count() >= limit:
            raise PinRefused(limit_refusal(limit))
        record_pin(comment, timezone.now(), user)
    return comment


def unpin(comment_id, user):
    """Take the comment's pin away; returns it. Unpinning an unpinned comment changes nothing."""
    with transaction.atomic():
        comment = Comment.objects.select_for_update().get(pk=comment_id)
        if comment.pinned_at is None:
            return comment
        record_pin(comment, None, user)
    return comment


def pin_refusals(comments):
    """Why each of ``comments`` cannot be pinned along with the others: {comment: reason},
    empty when all can. A post takes COMMENTS_MAX_PINNED_PER_POST pins, counting those
    it has; when the selection holds more than it has room for, each of its comments on
    that post is named, since the moderator picks which to leave out."""
    to_pin = [comment for comment in comments if not comment.is_pinned]
    refusals = {comment: why for comment in to_pin if (why := why_not_pinnable(comment))}
    pinnable = [comment for comment in to_pin if comment not in refusals]
    wanted = Counter(comment.post_id for comment in pinnable)
    if not wanted:
        return refusals
    limit = settings.COMMENTS_MAX_PINNED_PER_POST
    standing = Counter(pinned_on_posts(wanted).values_list("post_id", flat=True))
    for comment in pinnable:
        room = max(limit - standing[comment.post_id], 0)
        if wanted[comment.post_id] > room:
            refusals[comment] = (
                f"Its post has room for {room} more pinned comment{'s' if room != 1 else ''} "
                f"(the most is {limit}) and {wanted[comment.post_id]} of the selected "
                "comments are on it. Select fewer, or unpin one first."
            )
    return refusals


def pin_comments(comment_ids, user):
    """Pin every one of these comments, each logged as a single pin is, or none: raises
    ``PinsRefused`` naming each that cannot be pinned, and why. Returns those newly
    pinned (one pinned already changes nothing). Comments, then their posts, are locked
    in the order ``pin`` locks them, so the limit holds against moderators pinning at
    the same time."""
    with transaction.atomic():
        comments = list(
            Comment.objects.select_for_update().filter(pk__in=comment_ids).order_by("pk")
        )
        post_ids = sorted({comment.post_id for comment in comments})
        list(Page.objects.select_for_update().filter(pk__in=post_ids).values_list("pk"))
        if refusals := pin_refusals(comments):
            raise PinsRefused(refusals)
        now = timezone.now()
        pinned = [comment for comment in comments if not comment.is_pinned]
        for comment in pinned:
            record_pin(comment, now, user)
    return pinned


def unpin_comments(comment_ids, user):
    """Take the pin from each of these comments that has one, each logged as a single
    unpin is; returns those unpinned."""
    with transaction.atomic():
        comments = Comment.objects.select_for_update().filter(
            pk__in=comment_ids, pinned_at__isnull=False
        )
        unpinned = list(comments.order_by("pk"))
        for comment in unpinned:
            record_pin(comment, None, user)
    return unpinned
