"""
Reader comments and the moderation settings administrators edit in the Wagtail admin.

A comment keeps what the reader typed (``body``, for moderators) and the HTML made
from it once, at write time (``body_html``), so no page view ever sanitizes again.
``thread_path`` is a materialised path of zero-padded ids, so one ``ORDER BY`` gives
a whole post's thread in reading order (each reply under its parent, oldest first).
"""

import secrets
from typing import NamedTuple

from django.apps import apps
from django.conf import settings
from django.db import connections, models
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

PATH_SEGMENT_WIDTH = 10


def new_unsubscribe_token():
    return secrets.token_urlsafe(24)


class AuthorHistory(NamedTuple):
    already_posted: bool  # this very comment (its fingerprint) is stored
    has_approved: bool  # the email has an approved comment, on any post
    confirmed: bool = False  # one of the proof's confirmations is of this email
    ban_id: int | None = None  # the active ban the comment falls under, if any


class CommentQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(status=Comment.Status.APPROVED)

    def pending(self):
        return self.filter(status=Comment.Status.PENDING)

    def in_thread_order(self):
        return self.order_by("thread_path")

    def by_email(self, email):
        """Comments of this email, ignoring case, through the lower-cased email index
        (``iexact`` compiles to a LIKE or UPPER() that no index serves)."""
        return self.alias(email_key=Lower("author_email")).filter(email_key=email.strip().lower())

    def author_history(self, fingerprint, email, *, confirmation_ids=(), ban_keys=(), now=None):
        """What the rules ask about every new comment, in one round trip: is it a
        duplicate, is its author known, does the commenter's proof confirm this email
        (``confirmation_ids``, from ``verification.confirmation_ids_in``), and which active
        ban do ``ban_keys`` (``bans.keys_for``) fall under. Each is a lookup on an index
        (the fingerprint's, ``comment_email_idx``, whose ``LOWER`` expression the second
        repeats, the confirmations' primary key, ``ban_unlifted_value_idx``). As ORM
        querysets these were four round trips, and building their SQL cost more than
        running it, on every comment posted. ``verification.proves`` and
        ``bans.active_ban_for`` say the same for callers with one question; the tests hold
        both spellings to the same answers."""
        connection = connections[self.db]
        quote = connection.ops.quote_name
        table = quote(self.model._meta.db_table)
        # Table names are the models' own, quoted; every value is a parameter.
        duplicate = f"SELECT 1 FROM {table} WHERE fingerprint = %s"  # noqa: S608
        known = f"SELECT 1 FROM {table} WHERE LOWER(author_email) = %s AND status = %s"  # noqa: S608
        key = email.strip().lower()
        columns = [f"EXISTS ({duplicate})", f"EXISTS ({known})"]
        params = [fingerprint, key, Comment.Status.APPROVED]
        if confirmation_ids:
            confirmations = quote(apps.get_model("comments", "EmailConfirmation")._meta.db_table)
            marks = ", ".join(["%s"] * len(confirmation_ids))
            columns.append(
                f"EXISTS (SELECT 1 FROM {confirmations} WHERE id IN ({marks}) "  # noqa: S608
                "AND email = %s AND confirmed_at IS NOT NULL)"
            )
            params += [*confirmation_ids, key]
        if ban_keys:
            bans = quote(apps.get_model("comments", "Ban")._meta.db_table)
            marks = ", ".join(["%s"] * len(ban_keys))
            # BanQuerySet.active(), and active_ban_for's order: a ban for good first.
            columns.append(
                f"(SELECT id FROM {bans} WHERE value IN ({marks}) AND lifted_at IS NULL "  # noqa: S608
                "AND (expires_at IS NULL OR expires_at > %s) "
                "ORDER BY expires_at IS NULL DESC, expires_at DESC, id DESC LIMIT 1)"
            )
            moment = connection.ops.adapt_datetimefield_value(now or timezone.now())
            params += [*ban_keys, moment]
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(columns)}", params)
            row = cursor.fetchone()
        already_posted, has_approved = row[0], row[1]
        confirmed = bool(row[2]) if confirmation_ids else False
        ban_id = row[-1] if ban_keys else None
        return AuthorHistory(bool(already_posted), bool(has_approved), confirmed, ban_id)


class Comment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        SPAM = "spam", "Spam"
        TRASH = "trash", "Trash"

    post = models.ForeignKey("blog.BlogPostPage", on_delete=models.CASCADE, related_name="comments")
    # RESTRICT: a comment with replies cannot be deleted on its own (it is trashed and
    # shown as a tombstone instead), but deleting the whole post still removes the thread.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.RESTRICT, related_name="replies"
    )
    depth = models.PositiveSmallIntegerField(
        default=0, editable=False, help_text="0 for a comment on the post, 1 for a reply, …"
    )
    thread_path = models.CharField(max_length=255, blank=True, editable=False, db_index=True)

    author_name = models.CharField("name", max_length=100)
    author_email = models.EmailField("email", max_length=254)
    author_url = models.URLField("website", max_length=500, blank=True)
    body = models.TextField("comment as submitted")
    body_html = models.TextField("sanitized comment", editable=False)

    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    reason = models.CharField(
        max_length=255, blank=True, help_text="Why the rules gave this comment its status."
    )
    status_before_removal = models.CharField(
        max_length=10,
        choices=Status.choices,
        blank=True,
        editable=False,
        help_text="What “restore” returns a spammed or trashed comment to.",
    )
    fingerprint = models.CharField(
        max_length=64,
        unique=True,
        editable=False,
        help_text="Post, author and text hashed: the database itself refuses a duplicate.",
    )

    ip_address = models.GenericIPAddressField("IP address", null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    held_notice_sent_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When moderators were told this comment awaits them (only ever once).",
    )
    notify_replies = models.BooleanField("notify me of replies", default=False)
    reply_notice_sent_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the parent's author was told about this reply (only ever once).",
    )
    unsubscribe_token = models.CharField(
        max_length=64, unique=True, default=new_unsubscribe_token, editable=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="comments",
        help_text="Set when a signed-in editor wrote the comment.",
    )
    is_staff_reply = models.BooleanField("staff", default=False)
    # Reader reports (blog/comments/reports.py).
    reports_kept_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When a moderator kept it despite reports: later ones no longer hide it.",
    )
    reports_notice_sent_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When moderators were told reports hid this comment (only ever once).",
    )
    pinned_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="Set while a moderator has pinned this comment to the top of its thread.",
    )

    # The author's edit window (blog.comments.editing).
    edit_secret_hash = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="SHA-256 of the secret the author's browser keeps to edit or delete.",
    )
    edited_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When its author last edited it."
    )
    deleted_by_author_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When its author deleted it; kept as a tombstone because it had replies.",
    )
    author_confirmed = models.BooleanField(
        "email confirmed",
        default=False,
        help_text=(
            "The author proved they control the email: signed in with it, wrote from a "
            "browser or app that confirmed it, or confirmed the link mailed about this comment."
        ),
    )

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        permissions = [("moderate_comment", "Can moderate comments")]
        indexes = [
            models.Index(fields=["post", "status", "thread_path"], name="comment_thread_idx"),
            models.Index(Lower("author_email"), "status", name="comment_email_idx"),
            models.Index(fields=["ip_address", "created_at"], name="comment_ip_idx"),
            # The held comments moderators have not heard of yet: a handful at any time,
            # found by the notice sweep without reading every pending comment.
            models.Index(
                fields=["status", "id"],
                condition=models.Q(status="pending", held_notice_sent_at__isnull=True),
                name="comment_unannounced_idx",
            ),
            # The moderation queue: its first page and the pending count read the backlog,
            # not the table. Trigram indexes for the moderators' search: migration 0009.
            models.Index(
                fields=["-created_at", "-id"],
                condition=models.Q(status="pending"),
                name="comment_pending_idx",
            ),
            # A post's top-level comments in date order: a page of threads is found, and
            # the threads counted, from this index alone (blog.comments.threads), without
            # the table or the replies: it holds what deciding a root's place reads.
            models.Index(
                fields=["post", "created_at", "id", "status", "pinned_at", "thread_path"],
                condition=models.Q(parent__isnull=True),
                name="comment_roots_idx",
            ),
            # The few pinned comments of a post, counted against the limit on every pin.
            models.Index(
                fields=["post", "pinned_at"],
                condition=models.Q(pinned_at__isnull=False),
                name="comment_pinned_idx",
            ),
        ]

    def __str__(self):
        return f"{self.author_name} on “{self.post.title}”"

    @classmethod
    def from_db(cls, db, field_names, values):
        comment = super().from_db(db, field_names, values)
        comment.status_when_loaded = comment.__dict__.get("status")
        return comment

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # post_save (in super().save()) compared against the status before this save; the
        # next save of this same object compares against this one.
        self.status_when_loaded = self.status

    def changes_public_thread(self, created=False):
        """Whether saving this comment changes what readers see: a new approved comment, or
        a stored one that is approved now or was when it was read (a held comment being
        edited, erased or trashed changes nothing on the site)."""
        if created:
            return self.is_public
        was = getattr(self, "status_when_loaded", None)
        return self.is_public or was is None or was == self.Status.APPROVED

    @property
    def is_public(self):
        return self.status == self.Status.APPROVED

    @property
    def is_pinned(self):
        """A pin shows only while the comment is public: one unapproved or removed keeps
        its pin for when it is approved again, and a tombstone is never pinned."""
        return self.pinned_at is not None and self.is_public and not self.parent_id

    @property
    def anchor(self):
        return f"comment-{self.pk}"

    def set_thread_position(self):
        """The place the database gave this comment as it stored it (migration 0005's
        trigger), computed again for the object in memory: a reply's path extends its
        parent's."""
        segment = str(self.pk).zfill(PATH_SEGMENT_WIDTH)
        if self.parent_id:
            self.depth = self.parent.depth + 1
            self.thread_path = f"{self.parent.thread_path}/{segment}"
        else:
            self.depth = 0
            self.thread_path = segment


class CommentStatusTally(models.Model):
    """How many comments each status holds, kept by the database as comments are stored,
    moderated and deleted (the triggers of migration 0011), so the moderation queue, the
    menu badge, the dashboard and the moderation API read a few rows instead of counting
    a million (``blog.comments.status_counts``).

    A status's count is the sum of its rows. Each PostgreSQL connection adds to its own
    ``slot`` (its backend's pid modulo 16), so concurrent submissions
    update different rows instead of queueing on one row's lock until they commit.
    """

    status = models.CharField(max_length=10, choices=Comment.Status.choices)
    slot = models.PositiveSmallIntegerField(default=0)
    comments = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["status", "slot"], name="comment_tally_slot_unique")
        ]

    def __str__(self):
        return f"{self.status} (slot {self.slot}): {self.comments}"


def approved_comment_counts(post_ids):
    """Approved comments per post, for many posts in one query. ``COUNT(*)``, not of a
    column: comment_thread_idx (post, status, …) then answers it alone (an index-only
    scan), where counting ``id`` would read every counted comment's row as well."""
    rows = (
        Comment.objects.approved()
        .filter(post_id__in=post_ids)
        .values("post_id")
        .annotate(count=Count("*"))
    )
    counts = dict.fromkeys(post_ids, 0)
    counts.update({row["post_id"]: row["count"] for row in rows})
    return counts


def approved_count_subquery(post_ref="pk"):
    """An annotation of a post's approved comments, for listings that show counts."""
    counts = (
        Comment.objects.approved()
        .filter(post_id=OuterRef(post_ref))
        .order_by()
        .values("post_id")
        .annotate(count=Count("*"))
        .values("count")
    )
    return Coalesce(Subquery(counts, output_field=models.IntegerField()), Value(0))


@register_setting(icon="comment")
class CommentSettings(BaseGenericSetting):
    """The discussion rules, editable by administrators under Settings → Comment rules."""

    class ApprovalPolicy(models.TextChoices):
        HOLD_ALL = "hold_all", "Hold every comment for approval"
        TRUST_KNOWN = "trust_known", "Publish at once if the email already has an approved comment"

    approval_policy = models.CharField(
        max_length=20, choices=ApprovalPolicy.choices, default=ApprovalPolicy.TRUST_KNOWN
    )
    link_limit = models.PositiveSmallIntegerField(
        default=2, help_text="Hold a comment for moderation if it has this many links or more."
    )
    moderation_words = models.TextField(
        blank=True,
        help_text=(
            "One word or phrase per line. A comment containing one (in its name, email, website, "
            "text, IP address or browser) is held for moderation."
        ),
    )
    blocked_words = models.TextField(
        blank=True,
        help_text="One word or phrase per line. A comment containing one goes straight to spam.",
    )
    close_after_days = models.PositiveIntegerField(
        default=0,
        help_text="Close comments on posts older than this many days. 0 keeps them open.",
    )
    notify_moderators = models.BooleanField(
        default=True, help_text="Email moderators about each comment held for moderation."
    )

    panels = [
        FieldPanel("approval_policy"),
        MultiFieldPanel(
            [FieldPanel("link_limit"), FieldPanel("moderation_words"), FieldPanel("blocked_words")],
            heading="Hold or reject",
        ),
        FieldPanel("close_after_days"),
        FieldPanel("notify_moderators"),
    ]

    class Meta:
        verbose_name = "comment rules"

    @staticmethod
    def word_list(text):
        return [line.strip().lower() for line in text.splitlines() if line.strip()]


# Models kept in modules of their own, with their rules, imported here so Django finds them.
from .bans import Ban  # noqa: E402, F401
from .editing import CommentVersion  # noqa: E402, F401
from .one_click import ModerationLinkUse  # noqa: E402, F401
from .reports import CommentReport  # noqa: E402, F401
from .verification import EmailConfirmation  # noqa: E402, F401
