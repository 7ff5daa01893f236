"""
Email about comments, sent off the request path through Django's tasks API.

Moderators hear about each held comment, each with links of their own to approve, mark
as spam or trash it from the e-mail (``one_click``). A reader who asked to be notified
hears about each approved reply to their comment, once, never before a moderator approved
it and never before their address was confirmed (``verification``), with a one-click
unsubscribe link (and the List-Unsubscribe headers mail clients use).
"""

import datetime
import html

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.mail import EmailMessage, send_mass_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import Truncator

from django_tasks import task

from . import one_click
from .models import Comment
from .threads import comment_url

MODERATE_PERMISSION = ("comments", "moderate_comment")


# Each web process remembers when the sweep it last queued will run; a comment held
# before then is in that sweep. A clock margin covers a worker on another machine whose
# clock runs a little ahead.
_queued_sweep_runs_at = None
CLOCK_MARGIN = datetime.timedelta(seconds=1)
# A sweep claims comments a batch at a time: a claim is a write transaction, and on
# SQLite the web workers storing comments wait while one is open.
CLAIM_BATCH_SIZE = 100


def comment_held():
    """Queue a sweep of held comments, unless one this process queued will still run.

    A burst of held comments (a spam wave, a busy thread) costs one task per process
    every ``COMMENTS_HELD_NOTICE_DELAY`` seconds rather than one per comment, and nothing
    on the request's path but that: no shared flag to check. Each comment still gets its
    own email, and none is mailed about twice (see ``send_held_comment_notices``). With a
    queue that cannot defer (development and tests run tasks at once) the sweep runs now.
    """
    global _queued_sweep_runs_at
    if not send_held_comment_notices.get_backend().supports_defer:
        send_held_comment_notices.enqueue()
        return
    now = timezone.now()
    if _queued_sweep_runs_at is not None and now < _queued_sweep_runs_at - CLOCK_MARGIN:
        return
    runs_at = now + datetime.timedelta(seconds=settings.COMMENTS_HELD_NOTICE_DELAY)
    send_held_comment_notices.using(run_after=runs_at).enqueue()
    _queued_sweep_runs_at = runs_at


def forget_queued_sweep():
    global _queued_sweep_runs_at
    _queued_sweep_runs_at = None


def comment_published(comment_id):
    send_reply_notice.enqueue(comment_id)


def may_notify_parent(reply):
    """Whether a reply just posted could ever mail its parent's author: false for a
    top-level comment, a reply to one's own comment, or to an author who did not ask
    (``notify_replies`` is set when a comment is posted and only ever cleared), so
    most comments queue no task at all. Whether the parent's address is confirmed is
    left to ``send_reply_notice``: it may be confirmed before the reply commits, and
    ``verification.confirm`` releases only the replies committed by then."""
    parent = reply.parent
    return (
        parent is not None
        and parent.notify_replies
        and parent.author_email.lower() != reply.author_email.lower()
    )


def moderators():
    """Active users who may moderate comments (directly, through a group, or as
    superusers) and have an email, one per address."""
    app_label, codename = MODERATE_PERMISSION
    permission = Permission.objects.filter(
        codename=codename, content_type__app_label=app_label
    ).first()
    holders = Q(is_superuser=True)
    if permission is not None:
        holders |= Q(user_permissions=permission) | Q(groups__permissions=permission)
    users = get_user_model().objects.filter(holders, is_active=True).exclude(email="")
    by_email = {}
    for user in users.distinct().order_by("pk"):
        by_email.setdefault(user.email.lower(), user)
    return [by_email[email] for email in sorted(by_email)]


def moderator_emails():
    return [user.email for user in moderators()]


def plain_text(comment):
    """The comment as its page shows it, for a text/plain part: tags go first, then the
    entities the sanitizer wrote for what the reader typed (``&lt;style&gt;`` becomes
    ``<style>`` again, as text nobody's mail client will run). Unescaping once, after the
    tags are gone, cannot turn the reader's text into markup; HTML keeps ``body_html``."""
    text = strip_tags(comment.body_html.replace("</p>", "\n\n").replace("<br>", "\n"))
    return html.unescape(text).strip()


def admin_url(comment):
    try:
        path = reverse("wagtailsnippets_comments_comment:inspect", args=[comment.pk])
    except NoReverseMatch:
        path = reverse("wagtailadmin_home")
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def site_url(post, path):
    root = post.get_site().root_url if post.get_site() else settings.WAGTAILADMIN_BASE_URL
    return root.rstrip("/") + path


@task()
def send_held_comment_notices():
    """Email moderators about each held comment not yet announced; returns emails sent.

    A comment committed before this runs is in it: it is held at the latest when
    ``comment_held`` is called, which queued this sweep to run after that moment or
    queues a later one.
    """
    sent, recipients = 0, None
    while claimed := claim_unannounced_held_comments():
        if recipients is None:
            recipients = moderators()
        if recipients:
            sent += sum(send_held_comment_notice(comment, recipients) for comment in claimed)
        if len(claimed) < CLAIM_BATCH_SIZE:
            break
    return sent


def claim_unannounced_held_comments():
    """Up to ``CLAIM_BATCH_SIZE`` held comments no moderator has heard of, marked as
    announced in one transaction, so two sweeps running at once never mail the same
    comment: PostgreSQL skips rows another sweep has locked; SQLite runs one writing
    transaction at a time, so the second sweep reads after the first has marked its rows.

    The transaction reads ids only (through ``comment_unannounced_idx``); what the emails
    show is read after it, and without the post's body: a post row carries its whole
    StreamField, and decoding it for every comment held SQLite's write lock for over a
    second in the benchmark, stalling every comment being posted meanwhile.
    """
    with transaction.atomic():
        ids = list(
            Comment.objects.pending()
            .filter(held_notice_sent_at__isnull=True)
            .select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:CLAIM_BATCH_SIZE]
        )
        Comment.objects.filter(pk__in=ids).update(held_notice_sent_at=timezone.now())
    return list(
        Comment.objects.filter(pk__in=ids)
        .select_related("post")
        .only("author_name", "reason", "body_html", "post__title")
        .order_by("pk")
    )


def send_held_comment_notice(comment, recipients):
    """One e-mail per moderator in ``recipients`` (users): each carries one-click links
    signed for that moderator alone (``one_click``)."""
    subject = f"Comment awaiting moderation on “{Truncator(comment.post.title).chars(60)}”"
    context = {"comment": comment, "text": plain_text(comment), "review_url": admin_url(comment)}
    messages = [
        (
            subject,
            render_to_string(
                "blog/comments/email/held_comment.txt",
                {**context, "one_click": one_click.links_for(comment, user)},
            ),
            settings.DEFAULT_FROM_EMAIL,
            [user.email],
        )
        for user in recipients
    ]
    return send_mass_mail(messages, fail_silently=False)


@task()
def send_reply_notice(comment_id):
    reply = Comment.objects.select_related("post", "parent").filter(pk=comment_id).first()
    if reply is None or reply.status != Comment.Status.APPROVED or reply.parent is None:
        return 0
    parent = reply.parent
    if not parent.notify_replies or parent.author_email.lower() == reply.author_email.lower():
        return 0
    # Double opt-in: an address nobody confirmed gets nothing; confirming the link mailed
    # about the comment sends the replies that waited (verification.confirm).
    if not parent.author_confirmed:
        return 0
    # Claim the notice first, so a reply approved twice (or by two workers) mails once.
    claimed = Comment.objects.filter(pk=reply.pk, reply_notice_sent_at__isnull=True).update(
        reply_notice_sent_at=timezone.now()
    )
    if not claimed:
        return 0
    unsubscribe_url = site_url(
        reply.post, reverse("comments:unsubscribe", args=[parent.unsubscribe_token])
    )
    message = EmailMessage(
        subject=f"{reply.author_name} replied to your comment on “{reply.post.title}”",
        body=render_to_string(
            "blog/comments/email/reply_notice.txt",
            {
                "reply": reply,
                "parent": parent,
                "text": plain_text(reply),
                "reply_url": site_url(reply.post, comment_url(reply.post, reply)),
                "unsubscribe_url": unsubscribe_url,
            },
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[parent.author_email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    return message.send()
