"""
Reader reports: any reader may flag an approved comment (spam, abuse, a dangerous health
claim, off-topic, or something else they describe), and enough reports hide it until a
moderator decides.

Who a reader is: a signed-in user by their account; anyone else by their address (an
IPv6 /64, ``addresses.rate_limit_key``) and by a random id kept in a browser cookie.
One report per reader per comment, enforced by the database (two unique constraints,
one for the account or address, one for the browser), so clearing cookies does not buy
a second report from the same network, nor does moving networks from the same browser.
Only keyed hashes of these are stored: no address, no cookie value.

Each address may send ``COMMENTS_REPORTS_PER_HOUR`` reports, counted in the comment
rules' store (``limits``). ``COMMENTS_REPORT_HOLD_THRESHOLD`` open reports take an
approved comment out of the public thread (status pending, so the thread, the page
cache and the API rebuild) and mail the moderators once. A moderator's "keep" closes
the open reports, approves the comment again and marks it kept: later reports are still
recorded and listed for moderators, but never hide it again. Trash and spam are the
ordinary decisions (``moderation.moderate``), so every decision is in the audit log.

Readers never learn how many reports a comment has, or who sent them.
"""

import re
import secrets
import time
from collections import Counter
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import IntegrityError, models, transaction
from django.db.models import Count, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.text import Truncator

from wagtail.log_actions import log

from django_tasks import task

from . import limits
from .addresses import client_ip, rate_limit_key
from .models import Comment
from .sanitize import strip_bidi_controls

Status = Comment.Status

NOTE_MAX_LENGTH = 500
BROWSER_COOKIE = "comment_reporter"
BROWSER_COOKIE_SECONDS = 60 * 60 * 24 * 365
RATE_WINDOW_SECONDS = 60 * 60
HASH_SALT = "blog.comments.reports.reader"
NOT_REPORTABLE = "This comment is not shown on the site (any more), so it cannot be reported."
KEPT_REASON = "Kept by a moderator despite reader reports"
LOG_HIDDEN = "comments.hidden_by_reports"
LOG_KEEP = "comments.keep"
# Control characters other than tab and newline: invisible in the admin, and a way to
# make a note read differently in a terminal or an email client.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class Reason(models.TextChoices):
    SPAM = "spam", "Spam"
    ABUSE = "abuse", "Abuse or harassment"
    MISINFORMATION = "misinformation", "Health misinformation"
    OFF_TOPIC = "off_topic", "Off-topic"
    OTHER = "other", "Something else"


class ReportQuerySet(models.QuerySet):
    def open(self):
        return self.filter(cleared_at__isnull=True)


class CommentReport(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    note = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)
    reporter_key = models.CharField(
        max_length=64, editable=False, help_text="Keyed hash of the account or the address."
    )
    browser_key = models.CharField(
        max_length=64, blank=True, editable=False, help_text="Keyed hash of the browser's id."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cleared_at = models.DateTimeField(
        null=True, blank=True, help_text="When a moderator's keep closed this report."
    )

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["comment", "reporter_key"], name="report_once_per_reader"
            ),
            models.UniqueConstraint(
                fields=["comment", "browser_key"],
                condition=~Q(browser_key=""),
                name="report_once_per_browser",
            ),
        ]
        indexes = [
            models.Index(
                fields=["comment"], condition=Q(cleared_at__isnull=True), name="report_open_idx"
            )
        ]

    def __str__(self):
        return f"{self.get_reason_display()} on comment {self.comment_id}"


class NothingToKeep(Exception):
    """None of the comments a moderator chose to keep has open reports."""


class ReportRefused(Exception):
    """Nothing was stored; ``message`` says why, in words a reader can act on. Shaped like
    ``rules.CommentRefused`` so the form and the API answer it the same way."""

    status_code = 400
    retry_after = None

    def __init__(self, message, retry_after=None):
        super().__init__(message)
        self.message = message
        if retry_after:
            self.retry_after = retry_after


class NotReportable(ReportRefused):
    status_code = 404

    def __init__(self):
        super().__init__(NOT_REPORTABLE)


class AlreadyReported(ReportRefused):
    status_code = 409

    def __init__(self):
        super().__init__(
            "You have already reported this comment. Thank you: the moderators will look at it."
        )


class TooManyReports(ReportRefused):
    status_code = 429

    def __init__(self, retry_after):
        super().__init__(
            f"Too many reports from your network. Please try again in {retry_after} seconds.",
            retry_after=retry_after,
        )


def clean_note(text):
    """A note as stored: plain text (shown escaped, never as HTML), without direction or
    control characters, trimmed."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return CONTROL_CHARACTERS.sub("", strip_bidi_controls(text)).strip()


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label="Why should moderators look at this comment?",
        choices=Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Please choose a reason."},
    )
    note = forms.CharField(
        label="Anything moderators should know",
        required=False,
        strip=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"Required for “Something else”. At most {NOTE_MAX_LENGTH} characters; "
        "only moderators read it.",
    )

    def clean_note(self):
        return clean_note(self.cleaned_data.get("note"))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == Reason.OTHER and not cleaned.get("note"):
            self.add_error("note", "Please tell the moderators what is wrong with this comment.")
        return cleaned


def keyed(value):
    return salted_hmac(HASH_SALT, value, algorithm="sha256").hexdigest()


@dataclass(frozen=True)
class Reporter:
    """Who sends a report, as stored (keyed hashes only), and the address key that the
    flood limit counts by."""

    reporter_key: str
    browser_key: str
    address_key: str | None

    @classmethod
    def of(cls, request, *, browser_id="", user=None):
        """``user``: the signed-in account, when the request proves it is the user's own
        (the form checks CSRF); the API's reader endpoint never passes one."""
        address_key = rate_limit_key(client_ip(request))
        if user is not None and user.is_authenticated:
            reporter_key = keyed(f"user:{user.pk}")
        else:
            reporter_key = keyed(f"address:{address_key or 'unknown'}")
        browser_key = keyed(f"browser:{browser_id}") if browser_id else ""
        return cls(reporter_key, browser_key, address_key)


def browser_id(request):
    """The id in this browser's reporter cookie, or a new one to set."""
    value = request.COOKIES.get(BROWSER_COOKIE, "")
    if re.fullmatch(r"[A-Za-z0-9_-]{16,64}", value):
        return value
    return secrets.token_urlsafe(24)


def remember_browser(response, value):
    response.set_cookie(
        BROWSER_COOKIE,
        value,
        max_age=BROWSER_COOKIE_SECONDS,
        httponly=True,
        secure=settings.COMMENTS_COOKIE_SECURE,
        samesite="Lax",
    )


def reportable_comment(comment_id):
    """The approved comment on a published post that readers can see, or None."""
    from blog.models import BlogPostPage

    live_posts = BlogPostPage.objects.live().public().values("pk")
    return (
        Comment.objects.approved()
        .filter(pk=comment_id, post__in=live_posts)
        .select_related("post")
        .first()
    )


def retry_after_flood(address_key):
    """Seconds this address must wait before reporting again, or None; each call counts
    one report. Raises ``limits.CommentRulesUnavailable`` when the store is down."""
    if not settings.COMMENTS_RATE_LIMITS_ENABLED or address_key is None:
        return None
    key = f"comments:reports:{address_key}"
    now = time.time()
    limits.store().add(f"{key}:since", now, timeout=RATE_WINDOW_SECONDS)
    if limits.count_request(key, RATE_WINDOW_SECONDS) <= settings.COMMENTS_REPORTS_PER_HOUR:
        return None
    since = limits.store().get(f"{key}:since") or now
    return max(1, int(since + RATE_WINDOW_SECONDS - now + 0.999))


def file_report(comment, reporter, *, reason, note=""):
    """Store one report on ``comment`` (approved, on a live post) and hide the comment
    when it reaches the threshold. Raises ``ReportRefused`` (409 duplicate, 429 flood)
    or ``limits.CommentRulesUnavailable``; nothing is stored then."""
    retry_after = retry_after_flood(reporter.address_key)
    if retry_after:
        raise TooManyReports(retry_after)
    same_reader = Q(reporter_key=reporter.reporter_key)
    if reporter.browser_key:
        same_reader |= Q(browser_key=reporter.browser_key)
    with transaction.atomic():
        # The comment's row is the lock that orders reports on it, so two reports racing
        # to be the third both count and exactly one hides it.
        locked = Comment.objects.select_for_update().filter(pk=comment.pk).first()
        if locked is None or locked.status != Status.APPROVED:
            raise NotReportable()
        if locked.reports.filter(same_reader).exists():
            raise AlreadyReported()
        report = CommentReport(
            comment=locked,
            reason=reason,
            note=clean_note(note)[:NOTE_MAX_LENGTH],
            reporter_key=reporter.reporter_key,
            browser_key=reporter.browser_key,
        )
        try:
            with transaction.atomic():
                report.save()
        except IntegrityError:
            raise AlreadyReported() from None
        hide_if_reported_enough(locked)
    return report


def hide_if_reported_enough(comment):
    """Within ``file_report``'s transaction, on the locked comment."""
    if comment.reports_kept_at is not None:
        return False
    open_reports = comment.reports.open().count()
    if open_reports < settings.COMMENTS_REPORT_HOLD_THRESHOLD:
        return False
    now = timezone.now()
    comment.status = Status.PENDING
    comment.reason = f"Hidden after {open_reports} reader reports"
    # The report notice tells moderators about it; the held-comment sweep need not.
    comment.held_notice_sent_at = comment.held_notice_sent_at or now
    comment.save(update_fields=["status", "reason", "held_notice_sent_at", "updated_at"])
    log(
        instance=comment,
        action=LOG_HIDDEN,
        user=None,
        data={
            "from": Status.APPROVED,
            "to": Status.PENDING,
            "reports": open_reports,
            "post_id": comment.post_id,
        },
    )
    transaction.on_commit(lambda: send_reported_comment_notice.enqueue(comment.pk))
    return True


def keep_comments(comments, user, *, reason=""):
    """A moderator's "keep": close the open reports, publish the comment again if reports
    hid it, and stop reports from hiding it again. Comments without open reports, and
    those in spam or trash, are left alone. Returns the comments kept; raises
    ``NothingToKeep`` when there was none to keep."""
    ids = [getattr(item, "pk", item) for item in comments]
    kept = []
    now = timezone.now()
    with transaction.atomic():
        locked = list(
            Comment.objects.select_for_update()
            .filter(pk__in=ids, status__in=[Status.APPROVED, Status.PENDING])
            .order_by("-thread_path")
        )
        for comment in locked:
            reasons = Counter(comment.reports.open().values_list("reason", flat=True))
            if not reasons:
                continue
            comment.reports.open().update(cleared_at=now)
            before = comment.status
            comment.status = Status.APPROVED
            comment.reason = KEPT_REASON
            comment.reports_kept_at = now
            comment.moderated_at = now
            comment.moderated_by = user
            comment.save(
                update_fields=[
                    "status",
                    "reason",
                    "reports_kept_at",
                    "moderated_at",
                    "moderated_by",
                    "updated_at",
                ]
            )
            log(
                instance=comment,
                action=LOG_KEEP,
                user=user,
                data={
                    "from": before,
                    "to": Status.APPROVED,
                    "reason": reason,
                    "post_id": comment.post_id,
                    "reports": dict(reasons),
                },
            )
            kept.append(comment)
        if not kept:
            raise NothingToKeep(
                "No reader reports are open on this comment, so there is nothing to keep it "
                "from: approve it instead."
                if len(ids) == 1
                else "None of these comments has open reader reports: there is nothing to keep."
            )
    return kept


def reason_summary(reasons):
    """ "Spam ×2, Off-topic" from ``{"spam": 2, "off_topic": 1}``."""
    parts = []
    for value, count in sorted(reasons.items(), key=lambda item: (-item[1], item[0])):
        label = Reason(value).label if value in Reason.values else value
        parts.append(f"{label} ×{count}" if count > 1 else label)
    return ", ".join(parts)


@task()
def send_reported_comment_notice(comment_id):
    """Tell moderators that reports hid a comment; at most once per comment."""
    from .notify import admin_url, moderator_emails, plain_text

    claimed = Comment.objects.filter(pk=comment_id, reports_notice_sent_at__isnull=True).update(
        reports_notice_sent_at=timezone.now()
    )
    if not claimed:
        return 0
    comment = Comment.objects.select_related("post").get(pk=comment_id)
    recipients = moderator_emails()
    if not recipients:
        return 0
    reports = list(comment.reports.open())
    subject = f"Comment hidden by reader reports on “{Truncator(comment.post.title).chars(60)}”"
    body = render_to_string(
        "blog/comments/email/reported_comment.txt",
        {
            "comment": comment,
            "text": plain_text(comment),
            "summary": reason_summary(Counter(report.reason for report in reports)),
            "notes": [report.note for report in reports if report.note],
            "review_url": admin_url(comment),
        },
    )
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [email]) for email in recipients]
    return send_mass_mail(messages, fail_silently=False)


def open_report_count():
    """An annotation: how many open reports each comment has."""
    return Coalesce(
        Subquery(
            CommentReport.objects.open()
            .filter(comment=OuterRef("pk"))
            .order_by()
            .values("comment")
            .annotate(count=Count("pk"))
            .values("count"),
            output_field=models.IntegerField(),
        ),
        Value(0),
    )


def reported_comments():
    """What the moderators' "Reported" view lists: comments readers can see or that reports
    hid, with open reports."""
    return Comment.objects.filter(
        status__in=[Status.APPROVED, Status.PENDING],
        pk__in=CommentReport.objects.open().values("comment"),
    )
