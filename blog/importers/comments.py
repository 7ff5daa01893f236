"""
A WordPress post's comments stored as this site's comments, threads and all.

Imported comments go straight in: the reader-facing rules (rates, timing, word lists)
judged them on the old site already, and their WordPress status is kept. No email is
sent for any of them, now or later: each is stored as already announced to moderators
and to the author of its parent, so the held-comment sweep and reply notices pass it by.

Parents are stored before their replies, because the database gives each comment its
place in the thread as it is inserted (migration ``comments/0005``); replies are stored
oldest first, so they read in order under their parent.
"""

import hashlib
import ipaddress
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils import timezone

from blog.comments.models import Comment
from blog.comments.privacy import ANONYMOUS_NAME
from blog.comments.sanitize import sanitize_comment, strip_bidi_controls

from .models import ImportOrigin

WORDPRESS_STATUSES = {
    "1": Comment.Status.APPROVED,
    "approve": Comment.Status.APPROVED,
    "0": Comment.Status.PENDING,
    "hold": Comment.Status.PENDING,
    "spam": Comment.Status.SPAM,
    "trash": Comment.Status.TRASH,
    "post-trashed": Comment.Status.TRASH,
}
SKIPPED_TYPES = {"pingback", "trackback"}
MISSING_EMAIL_DOMAIN = "wordpress-import.invalid"


def wordpress_time(gmt, local):
    """The comment's time: WordPress's GMT column, or its local one taken as the site's
    time zone when GMT is empty (drafts and some plugins leave it 0000-00-00)."""
    for text, zone in ((gmt, UTC), (local, timezone.get_current_timezone())):
        try:
            moment = datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S")
        except ValueError:
            continue
        if moment.year > 1:
            return moment.replace(tzinfo=zone)
    return None


def _email(text, comment_id):
    try:
        validate_email(text.strip())
        return text.strip()[:254]
    except ValidationError:
        return f"wordpress-comment-{comment_id}@{MISSING_EMAIL_DOMAIN}"


def _url(text):
    text = text.strip()
    if not text or len(text) > 500:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(text)
    except ValidationError:
        return ""
    return text


def _ip(text):
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


class CommentImport:
    """Imports the comments of one post; ``counts`` says what became of them."""

    def __init__(
        self, source, post, counts, dry_run=False, staff_user_ids=(), origin_name="WordPress"
    ):
        self.source = source
        self.origin_name = origin_name
        # WordPress user ids of the site's own people: their comments show as staff
        # replies here, as their own site showed them as the author's.
        self.staff_user_ids = set(staff_user_ids) - {"", "0"}
        self.post = post
        self.counts = counts
        self.dry_run = dry_run
        self.max_depth = settings.COMMENTS_MAX_DEPTH - 1  # a reply's depth, counting from 0
        self.stored = {}  # WordPress id → (comment pk, depth)
        self.parent_of_pk = {}  # comment pk → parent pk, for climbing to an allowed depth

    def run(self, wordpress_comments):
        comments = {}
        for comment in wordpress_comments:
            if comment.get("comment_type", "").strip() in SKIPPED_TYPES:
                self.counts["pingbacks_and_trackbacks_skipped"] += 1
                continue
            status = WORDPRESS_STATUSES.get(comment.get("comment_approved", "").strip())
            if status is None:
                self.counts["unknown_status_skipped"] += 1
                continue
            comments[comment.get("comment_id", "").strip()] = comment
        self._load_already_imported(comments)
        for comment_id in sorted(comments, key=lambda key: self._order(comments[key], key)):
            self._store(comment_id, comments, chain=())

    @staticmethod
    def _order(comment, comment_id):
        moment = wordpress_time(
            comment.get("comment_date_gmt", ""), comment.get("comment_date", "")
        )
        return (moment or datetime.max.replace(tzinfo=UTC), int(comment_id or 0))

    def _load_already_imported(self, comments):
        if self.dry_run or not comments:
            return
        origins = dict(
            ImportOrigin.objects.filter(
                source=self.source, kind=ImportOrigin.Kind.COMMENT, source_id__in=list(comments)
            ).values_list("source_id", "object_id")
        )
        rows = Comment.objects.filter(pk__in=origins.values()).values_list(
            "pk", "depth", "parent_id"
        )
        found = {pk: (depth, parent) for pk, depth, parent in rows}
        for comment_id, pk in origins.items():
            if pk in found:
                self.stored[comment_id] = (pk, found[pk][0])
                self.parent_of_pk[pk] = found[pk][1]

    def _store(self, comment_id, comments, chain):
        if comment_id in self.stored:
            if not chain:
                self.counts["already_imported"] += 1
            return self.stored[comment_id]
        comment = comments[comment_id]
        parent_id = comment.get("comment_parent", "0").strip()
        parent = None
        if parent_id in comments and parent_id not in chain:
            parent = self._store(parent_id, comments, chain + (comment_id,))
        parent_pk, depth = self._allowed_parent(parent)
        if self.dry_run:
            self.stored[comment_id] = (None, depth)
            self.counts[WORDPRESS_STATUSES[comment["comment_approved"].strip()]] += 1
            return self.stored[comment_id]
        pk = self._insert(comment_id, comment, parent_pk)
        self.stored[comment_id] = (pk, depth)
        self.parent_of_pk[pk] = parent_pk
        return self.stored[comment_id]

    def _allowed_parent(self, parent):
        """(parent pk, depth of the reply): a reply deeper than replies may nest attaches to
        its deepest ancestor that may still have replies."""
        if parent is None:
            return None, 0
        parent_pk, parent_depth = parent
        if parent_depth + 1 <= self.max_depth:
            return parent_pk, parent_depth + 1
        self.counts["replies_reattached_above_the_maximum_depth"] += 1
        while parent_pk is not None and parent_depth + 1 > self.max_depth:
            parent_pk = self.parent_of_pk.get(parent_pk)
            parent_depth -= 1
        return parent_pk, parent_depth + 1

    def _insert(self, comment_id, comment, parent_pk):
        status = WORDPRESS_STATUSES[comment["comment_approved"].strip()]
        body = comment.get("comment_content", "").replace("\x00", "")
        now = timezone.now()
        created = (
            wordpress_time(comment.get("comment_date_gmt", ""), comment.get("comment_date", ""))
            or now
        )
        name = strip_bidi_controls(comment.get("comment_author", "")).strip()[:100]
        stored = Comment(
            post=self.post,
            parent_id=parent_pk,
            author_name=name or ANONYMOUS_NAME,
            author_email=_email(comment.get("comment_author_email", ""), comment_id),
            author_url=_url(comment.get("comment_author_url", "")),
            body=body,
            body_html=sanitize_comment(body),
            status=status,
            reason=f"Imported from {self.origin_name} ({self.source}, comment {comment_id}).",
            status_before_removal=(
                Comment.Status.PENDING
                if status in (Comment.Status.SPAM, Comment.Status.TRASH)
                else ""
            ),
            # The origin, not the words: two identical comments on the old site are two.
            fingerprint=hashlib.sha256(
                f"{self.source}\ncomment\n{comment_id}".encode()
            ).hexdigest(),
            ip_address=_ip(comment.get("comment_author_IP", "")),
            user_agent=comment.get("comment_agent", "").strip()[:500],
            held_notice_sent_at=now,
            reply_notice_sent_at=now,
            notify_replies=False,
            is_staff_reply=comment.get("comment_user_id", "").strip() in self.staff_user_ids,
        )
        stored.save()
        Comment.objects.filter(pk=stored.pk).update(created_at=created, updated_at=created)
        ImportOrigin.objects.create(
            source=self.source,
            kind=ImportOrigin.Kind.COMMENT,
            source_id=comment_id,
            content_type_id=comment_content_type_id(),
            object_id=stored.pk,
        )
        self.counts[status] += 1
        return stored.pk


def comment_content_type_id():
    return ContentType.objects.get_for_model(Comment).pk
