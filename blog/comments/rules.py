"""
The rules that decide what happens to a comment: refused outright (closed, duplicate,
flood), or stored as approved, pending or spam with the reason recorded on it.

The reader form and the API both go through ``blog.comments.submission``, which calls
these, so a rule has exactly one implementation.
"""

import datetime
import hashlib
import re
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from . import limits
from .addresses import rate_limit_key
from .models import Comment, CommentSettings
from .post_lookup import comment_rules
from .sanitize import count_links, sanitize_comment


class CommentRefused(Exception):
    """A comment that is not stored at all; ``status_code`` is what HTTP callers answer."""

    status_code = 400
    code = "refused"

    def __init__(self, message, retry_after=None):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class CommentsClosed(CommentRefused):
    status_code = 403
    code = "comments_closed"


class DuplicateComment(CommentRefused):
    status_code = 409
    code = "duplicate"


class PostUnavailable(CommentRefused):
    """The post was deleted while the comment was on its way (a worker trusts the post it
    read for up to ``COMMENTS_CONTENT_RECHECK_SECONDS``)."""

    status_code = 404
    code = "post_unavailable"


class FloodLimited(CommentRefused):
    status_code = 429
    code = "too_many_comments"


@dataclass(frozen=True)
class Verdict:
    status: str
    reason: str


def closed_reason(post, rules=None):
    """Why comments on this post are closed, or None when they are open."""
    if not post.comments_enabled:
        return "Comments are closed on this post."
    rules = rules or comment_rules()
    if rules.close_after_days:
        closes_on = post.date + datetime.timedelta(days=rules.close_after_days)
        if timezone.localdate() >= closes_on:
            return (
                f"Comments are closed: they close {rules.close_after_days} days after a post "
                "is published."
            )
    return None


def ensure_open(post, rules=None):
    reason = closed_reason(post, rules)
    if reason:
        raise CommentsClosed(reason)


def normalised_text(text):
    return re.sub(r"\s+", " ", text).strip().lower()


def fingerprint(post_id, email, body):
    """Same post, same author, same words (ignoring case and spacing) means a duplicate."""
    material = f"{post_id}\n{email.strip().lower()}\n{normalised_text(body)}"
    return hashlib.sha256(material.encode()).hexdigest()


def ensure_not_duplicate(history):
    """``history``: ``Comment.objects.author_history()`` for the new comment."""
    if history.already_posted:
        raise DuplicateComment(duplicate_message())


def duplicate_message():
    return "You have already posted this comment here. It is stored once; no need to send it again."


def ensure_not_flooding(ip_address, email):
    """One comment per COMMENTS_FLOOD_SECONDS per address and per email; returns the
    slots taken.

    Addresses count by ``addresses.rate_limit_key``: an IPv6 reader holds a whole /64,
    so spelling one address several ways, or moving within one's own network, takes no
    new slot. The windows live in ``limits`` (a store page caching cannot evict).
    """
    if not settings.COMMENTS_RATE_LIMITS_ENABLED:
        return []
    window = settings.COMMENTS_FLOOD_SECONDS
    keys = [f"comments:flood:email:{hashlib.sha256(email.lower().encode()).hexdigest()}"]
    address_key = rate_limit_key(ip_address)
    if address_key:
        keys.append(f"comments:flood:ip:{address_key}")
    taken = []
    for key in keys:
        retry_after = limits.take_slot(key, window)
        if retry_after is None:
            taken.append(key)
            continue
        free_flood_slots(taken)
        raise FloodLimited(
            f"You are commenting too quickly. Please wait {retry_after} seconds and try again.",
            retry_after=retry_after,
        )
    return taken


def free_flood_slots(keys):
    """For a comment that took its slots but was not stored after all."""
    for key in keys:
        limits.free_slot(key)


def _matching_word(words, candidate):
    fields = {
        "name": candidate.author_name,
        "email": candidate.author_email,
        "website": candidate.author_url,
        "text": candidate.body,
        "IP address": candidate.ip_address or "",
        "browser": candidate.user_agent,
    }
    for word in words:
        for field, value in fields.items():
            if word in (value or "").lower():
                return word, field
    return None


def decide(
    candidate,
    *,
    known_author,
    author_confirmed=True,
    rules=None,
    bot_reason=None,
    by_moderator=False,
    ban=None,
):
    """The status a new comment gets, and why. ``candidate`` is an unsaved Comment;
    ``known_author``: whether its email already has an approved comment;
    ``author_confirmed``: whether this commenter proved they control that email
    (``verification.proves``). Only a confirmed known author is trusted: anyone can type
    a known reader's address. ``ban``: the ban its author falls under
    (``bans.active_ban_for``), if any. A banned author's comment goes to spam, and the
    reader is answered as for any held comment."""
    rules = rules or comment_rules()
    if bot_reason:
        return Verdict(Comment.Status.SPAM, bot_reason)
    if ban is not None:
        return Verdict(Comment.Status.SPAM, ban.spam_reason)

    blocked = _matching_word(CommentSettings.word_list(rules.blocked_words), candidate)
    if blocked:
        return Verdict(
            Comment.Status.SPAM, f"Contains the blocked word “{blocked[0]}” ({blocked[1]})"
        )

    if by_moderator:
        return Verdict(Comment.Status.APPROVED, "Written by a moderator")

    links = count_links(candidate.body_html or sanitize_comment(candidate.body))
    if rules.link_limit and links >= rules.link_limit:
        return Verdict(
            Comment.Status.PENDING, f"Has {links} links (held at {rules.link_limit} or more)"
        )

    held_for = _matching_word(CommentSettings.word_list(rules.moderation_words), candidate)
    if held_for:
        return Verdict(
            Comment.Status.PENDING, f"Contains the moderation word “{held_for[0]}” ({held_for[1]})"
        )

    if rules.approval_policy == CommentSettings.ApprovalPolicy.HOLD_ALL:
        return Verdict(Comment.Status.PENDING, "Every comment is held for approval")

    if known_author and author_confirmed:
        return Verdict(Comment.Status.APPROVED, "This email already has an approved comment")
    if known_author:
        return Verdict(
            Comment.Status.PENDING,
            "This email has an approved comment, but its author has not confirmed it here",
        )
    return Verdict(Comment.Status.PENDING, "First comment from this email")
