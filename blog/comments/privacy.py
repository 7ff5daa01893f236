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
from types import SimpleNamespace

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Case, F, Q, TextField, Value, When
from django.utils import timezone

from wagtail.log_actions import get_active_log_context
from wagtail.log_actions import registry as log_action_registry
from wagtail.models import ModelLogEntry

from blog.models import BlogPostPage

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
    comments = list(comments_stored_for(email).order_by("created_at", "pk"))
    posts = _posts_commented_on({comment.post_id for comment in comments})
    return {
        "email": email.strip(),
        "exported_at": timezone.now().isoformat(),
        "comments": [_exported_comment(comment, posts[comment.post_id]) for comment in comments],
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


def _posts_commented_on(post_ids):
    """The title and address of each post, worked out once per post: a prolific author's
    thousands of comments fall on hundreds of posts, and each address needs the sites'
    root paths (a cache read), shared here by all of them. Bodies are not read."""
    site_root_paths = SimpleNamespace()  # Wagtail keeps the root paths on this object
    posts = BlogPostPage.objects.filter(pk__in=post_ids).only("title", "url_path")
    return {
        post.pk: {"title": post.title, "url": post.get_full_url(site_root_paths)} for post in posts
    }


def _exported_comment(comment, post):
    return {
        "id": comment.pk,
        "post": post,
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


#: Comments anonymized per transaction. An erasure of a prolific author's thousands of
#: comments is done in short transactions, so the rows it locks are never held for long
#: (readers posting replies and moderators acting on the same comments wait at most one
#: batch); an erasure stopped midway leaves whole batches done and is finished by running
#: it again.
ERASE_BATCH_SIZE = 200
#: Comments whose network data one statement clears: the purge touches every comment
#: older than the retention, hundreds of thousands on a large site, never in one lock.
PURGE_BATCH_SIZE = 5_000

ERASED_FIELDS = [
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


def erase_personal_data(email, *, user=None, batch_size=ERASE_BATCH_SIZE):
    """Anonymize every comment of this email; the words and the thread's shape stay.

    The admin's history of each comment was labelled with the author's name, so those
    labels are rewritten too; the erasure itself is logged once per comment. Each batch
    is a fixed number of queries (one update, one rewrite of the history's labels, one
    insert of its log entries), whatever the number of comments and posts in it.
    """
    comment_type = ContentType.objects.get_for_model(Comment)
    log_model = log_action_registry.get_log_model_for_model(Comment)
    log_context = get_active_log_context()
    user = user or log_context.user
    comment_count, post_ids = 0, set()
    while True:
        with transaction.atomic():
            batch = list(
                comments_stored_for(email)
                .order_by("pk")
                .select_for_update(of=("self",))
                .defer("body_html")[:batch_size]
            )
            if not batch:
                break
            titles = dict(
                BlogPostPage.objects.filter(
                    pk__in={comment.post_id for comment in batch}
                ).values_list("pk", "title")
            )
            now = timezone.now()
            for comment in batch:
                comment.author_name = ANONYMOUS_NAME
                comment.author_email = erased_email()
                comment.author_url = ""
                comment.ip_address = None
                comment.user_agent = ""
                comment.notify_replies = False
                comment.user = None
                comment.fingerprint = fingerprint(
                    comment.post_id, comment.author_email, comment.body
                )
                comment.updated_at = now
            Comment.objects.bulk_update(batch, ERASED_FIELDS)
            ModelLogEntry.objects.filter(
                content_type=comment_type, object_id__in=[str(c.pk) for c in batch]
            ).update(
                label=Case(
                    *(
                        When(object_id=str(c.pk), then=Value(erased_label(titles[c.post_id])))
                        for c in batch
                    ),
                    default=F("label"),
                    output_field=TextField(),
                )
            )
            log_model.objects.bulk_create(
                log_model(
                    content_type=comment_type,
                    object_id=str(comment.pk),
                    label=erased_label(titles[comment.post_id]),
                    action=ERASE_LOG_ACTION,
                    timestamp=now,
                    data={"post_id": comment.post_id},
                    user=user,
                    uuid=log_context.uuid,
                )
                for comment in batch
            )
            batch_post_ids = set(titles)
            # bulk_update sends no post_save: the threads that showed the name are
            # replaced here, as each batch lands.
            for post_id in batch_post_ids:
                bump_thread_version(post_id)
        comment_count += len(batch)
        post_ids |= batch_post_ids
    # The confirmations held the address; any proof a browser keeps dies with them.
    EmailConfirmation.objects.filter(email=email_key(email)).delete()
    return Erasure(comment_count=comment_count, post_count=len(post_ids))


def erased_label(post_title):
    """What ``str(comment)`` says of an erased comment, for its entries in the history."""
    return f"{ANONYMOUS_NAME} on “{post_title}”"


def purge_network_data(days, *, batch_size=PURGE_BATCH_SIZE):
    """Clear IP address and browser from comments older than ``days``; returns how many.

    Only the flood and spam rules use them, and only while a comment is new. Walked in
    id order, one short UPDATE per batch: each batch starts where the last one stopped,
    so the whole walk reads the table once.
    """
    cutoff = timezone.now() - datetime.timedelta(days=days)
    holding_network_data = Q(ip_address__isnull=False) | ~Q(user_agent="")
    cleared, last_pk = 0, 0
    while True:
        ids = list(
            Comment.objects.filter(holding_network_data, created_at__lt=cutoff, pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return cleared
        cleared += (
            Comment.objects.filter(holding_network_data, pk__in=ids)
            .order_by()
            .update(ip_address=None, user_agent="")
        )
        last_pk = ids[-1]
