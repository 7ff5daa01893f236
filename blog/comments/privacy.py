"""
What we hold about the people who comment, and how it leaves when it must.

An access request gets every comment stored under an email, with everything kept
alongside it (``export_personal_data``). An erasure request anonymizes those comments
rather than deleting them (``erase_personal_data``): deleting would tear holes in other
readers' threads, while the words alone, without a name, email, website, address or
browser, no longer say who wrote them. Network data is needed only to fight spam and
floods, so it is cleared from every comment once it is COMMENTS_IP_RETENTION_DAYS old
(``purge_network_data``).

The management commands ``comments_personal_data`` and ``comments_purge_ips`` are thin
wrappers around these functions.
"""

import datetime
import secrets
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from wagtail.log_actions import log
from wagtail.models import ModelLogEntry

from .models import Comment
from .rules import fingerprint
from .threads import bump_thread_version
from .verification import EmailConfirmation, email_key

ANONYMOUS_NAME = "Anonymous"
ERASED_EMAIL_DOMAIN = "erased.invalid"
ERASE_LOG_ACTION = "comments.erase_personal_data"


def register_privacy_log_actions(actions):
    """Labels the erasure entries in the admin's history and reports.

    Registered from ``wagtail_hooks.py`` with
    ``hooks.register("register_log_actions", register_privacy_log_actions)``.
    """
    actions.register_action(
        ERASE_LOG_ACTION,
        "Erase personal data",
        "Personal data erased: name, email, website, IP address and browser",
    )


def comments_stored_for(email):
    """Emails are compared ignoring case: readers type them both ways."""
    return Comment.objects.by_email(email)


def export_personal_data(email):
    """Everything stored with the comments of this email, as JSON-ready data."""
    comments = comments_stored_for(email).select_related("post").order_by("created_at", "pk")
    return {
        "email": email.strip(),
        "exported_at": timezone.now().isoformat(),
        "comments": [_exported_comment(comment) for comment in comments],
        "email_confirmations": [
            {
                "requested_at": confirmation.requested_at.isoformat(),
                "confirmed_at": confirmation.confirmed_at and confirmation.confirmed_at.isoformat(),
                "for_comment": confirmation.comment_id,
            }
            for confirmation in EmailConfirmation.objects.filter(email=email_key(email)).order_by(
                "pk"
            )
        ],
    }


def _exported_comment(comment):
    return {
        "id": comment.pk,
        "post": {"title": comment.post.title, "url": comment.post.get_full_url()},
        "in_reply_to": comment.parent_id,
        "created_at": comment.created_at.isoformat(),
        "status": comment.status,
        "status_reason": comment.reason,
        "name": comment.author_name,
        "email": comment.author_email,
        "website": comment.author_url,
        "body": comment.body,
        "ip_address": comment.ip_address,
        "user_agent": comment.user_agent,
        "notify_replies": comment.notify_replies,
        "email_confirmed": comment.author_confirmed,
    }


@dataclass(frozen=True)
class Erasure:
    comment_count: int
    post_count: int


def erased_email():
    """A placeholder no one can type in: a shared one would let anyone who used it be
    trusted as an author with approved comments, and the fingerprint (unique, made from
    the email) is recomputed from it, so each erased comment needs its own."""
    return f"erased-{secrets.token_hex(8)}@{ERASED_EMAIL_DOMAIN}"


def erase_personal_data(email, *, user=None):
    """Anonymize every comment of this email; the words and the thread's shape stay.

    The admin's history of each comment was labelled with the author's name, so those
    labels are rewritten too; the erasure itself is logged once per comment.
    """
    comment_type = ContentType.objects.get_for_model(Comment)
    with transaction.atomic():
        comments = list(
            comments_stored_for(email).select_related("post").select_for_update(of=("self",))
        )
        for comment in comments:
            comment.author_name = ANONYMOUS_NAME
            comment.author_email = erased_email()
            comment.author_url = ""
            comment.ip_address = None
            comment.user_agent = ""
            comment.notify_replies = False
            comment.user = None
            comment.fingerprint = fingerprint(comment.post_id, comment.author_email, comment.body)
            # save() rather than update(): post_save replaces the cached thread, which
            # shows the name.
            comment.save(
                update_fields=[
                    "author_name",
                    "author_email",
                    "author_url",
                    "ip_address",
                    "user_agent",
                    "notify_replies",
                    "user",
                    "fingerprint",
                    "updated_at",
                ]
            )
            ModelLogEntry.objects.filter(
                content_type=comment_type, object_id=str(comment.pk)
            ).update(label=str(comment))
            log(
                instance=comment,
                action=ERASE_LOG_ACTION,
                user=user,
                data={"post_id": comment.post_id},
            )
        # The confirmations held the address; any proof a browser keeps dies with them.
        EmailConfirmation.objects.filter(email=email_key(email)).delete()
        post_ids = {comment.post_id for comment in comments}
        for post_id in post_ids:
            bump_thread_version(post_id)
    return Erasure(comment_count=len(comments), post_count=len(post_ids))


def purge_network_data(days):
    """Clear IP address and browser from comments older than ``days``; returns how many.

    Only the flood and spam rules use them, and only while a comment is new.
    """
    cutoff = timezone.now() - datetime.timedelta(days=days)
    holding_network_data = Q(ip_address__isnull=False) | ~Q(user_agent="")
    return (
        Comment.objects.filter(holding_network_data, created_at__lt=cutoff)
        .order_by()
        .update(ip_address=None, user_agent="")
    )
