"""
The author's edit window: the author of a comment may edit or delete it for
``COMMENTS_EDIT_WINDOW`` seconds, from the browser that posted it, until someone replies
or a moderator acts on it.

What proves authorship is a secret made when the comment is stored, given once to the
browser that posted it (an HttpOnly cookie scoped to the comment's own edit URLs, or the
API's 201 body for apps), and kept here only as a hash: a database dump edits nothing.
It never appears in a URL.

An edit is the same text rules as a new comment (``CommentEditForm`` cleans it,
``sanitize_comment`` sanitizes it, ``rules.decide`` judges it), with one difference: an
edit may keep or tighten a comment's status, never loosen it. An approved comment that
gains links or hold words goes back to pending, a blocked word sends it to spam, but a
held comment is not published by editing (a moderator is already asked about it). The
text it replaces is kept as a ``CommentVersion`` for moderators.

The post page is cached for everyone, so the thread carries a placeholder where a
comment's "Edit" and "Delete" links go (``controls_placeholder``), and each view fills
in the links for the reader whose browser holds that comment's marker cookie
(``fill_controls``, registered with ``cms.page_cache.keep_fresh``), marking the response
personal so no shared cache keeps it.
"""

import datetime
import hashlib
import hmac
import re
import secrets

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from wagtail.log_actions import log

from .bans import active_ban_for
from .forms import CommentEditForm
from .models import Comment
from .notify import comment_held
from .post_lookup import comment_rules
from .rules import DuplicateComment, decide, duplicate_message, fingerprint
from .sanitize import sanitize_comment

Status = Comment.Status

#: The secret itself: HttpOnly, sent only to the comment's own edit and delete URLs.
SECRET_COOKIE_PREFIX = "comment_edit_"  # noqa: S105 (a cookie's name)
#: A signed "this browser wrote comment N", sent to the post's page so it can show the
#: author's links; it proves nothing the edit URLs accept.
MARKER_COOKIE_PREFIX = "comment_editable_"
MARKER_SALT = "blog.comments.editing.marker"
SECRET_HEADER = "Comment-Edit-Secret"  # noqa: S105 (a header's name)

EDIT_LOG_ACTION = "comments.author_edit"
DELETE_LOG_ACTION = "comments.author_delete"

_PLACEHOLDER = r"<!--comment-edit-controls:(\d+)-->"
CONTROLS_PLACEHOLDER = re.compile(_PLACEHOLDER.encode())
CONTROLS_PLACEHOLDER_TEXT = re.compile(_PLACEHOLDER)
#: A reply that stops an edit: one readers see, or one a moderator may yet publish (it
#: answers the text as it stands).
ANSWERS_BLOCKING_EDIT = (Status.APPROVED, Status.PENDING)
#: A reply that stops a delete: one readers see. A held reply does not; the comment
#: becomes a tombstone so the reply keeps its place if it is published.
ANSWERS_BLOCKING_DELETE = (Status.APPROVED,)
#: Rank of strictness: an edit may move a comment right, never left.
STRICTNESS = {Status.APPROVED: 0, Status.PENDING: 1, Status.SPAM: 2, Status.TRASH: 3}


class CommentVersion(models.Model):
    """A text of a comment that its author's edit replaced: what readers saw before, for
    moderators (nobody else edits a comment: the admin has no edit form for them)."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="versions")
    body = models.TextField("text as submitted")
    body_html = models.TextField("sanitized text")
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.CharField(max_length=255, blank=True)
    written_at = models.DateTimeField(help_text="When this text was stored.")
    replaced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-replaced_at", "-pk"]

    def __str__(self):
        return f"Version of comment {self.comment_id} written {self.written_at:%Y-%m-%d %H:%M}"


class EditRefused(Exception):
    """An edit or delete that may not happen; nothing was changed."""

    status_code = 403
    code = "edit_refused"

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class WrongSecret(EditRefused):
    code = "wrong_secret"


class EditWindowClosed(EditRefused):
    code = "edit_window_closed"


class AlreadyAnswered(EditRefused):
    status_code = 409
    code = "has_replies"


class ModeratorActed(EditRefused):
    status_code = 409
    code = "moderated"


class CommentGone(EditRefused):
    status_code = 404
    code = "comment_gone"


class EditInvalid(Exception):
    """The new text has field errors; ``form`` holds them and what the author typed."""

    def __init__(self, form):
        super().__init__("The comment has errors.")
        self.form = form


def secret_hash(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_edit_secret(comment):
    """Give an unsaved comment its edit secret: the hash is stored with it, the secret
    (``comment.edit_secret``) lives only in memory, for the answer to its author."""
    comment.edit_secret = secrets.token_urlsafe(32)
    comment.edit_secret_hash = secret_hash(comment.edit_secret)


def window():
    return datetime.timedelta(seconds=settings.COMMENTS_EDIT_WINDOW)


def editable_until(comment):
    return comment.created_at + window()


def _minutes(seconds):
    minutes = max(1, round(seconds / 60))
    return "a minute" if minutes == 1 else f"{minutes} minutes"


def refusal(comment, secret, *, deleting=False):
    """Why the holder of ``secret`` may not edit (or delete) ``comment`` now, or None.

    The secret is checked first: a stranger learns nothing about the comment."""
    expected = comment.edit_secret_hash
    if not secret or not expected or not hmac.compare_digest(secret_hash(secret), expected):
        return WrongSecret(
            "Only the browser that posted this comment can edit or delete it, and this one "
            "does not hold its key."
        )
    if comment.deleted_by_author_at:
        return CommentGone("You have already deleted this comment.")
    if comment.moderated_at:
        return ModeratorActed(
            "A moderator has reviewed this comment, so it can no longer be edited or deleted."
        )
    blocking = ANSWERS_BLOCKING_DELETE if deleting else ANSWERS_BLOCKING_EDIT
    if comment.replies.filter(status__in=blocking).exists():
        return AlreadyAnswered(
            "Someone has replied to this comment, so it can no longer be edited or deleted: "
            "the reply answers what it says now."
        )
    if timezone.now() > editable_until(comment):
        return EditWindowClosed(
            f"Comments can be edited or deleted for {_minutes(settings.COMMENTS_EDIT_WINDOW)} "
            "after they are posted; that time has passed."
        )
    return None


def _locked(comment_id):
    """The comment, locked until the transaction ends, so an edit and a reply or a
    moderator's decision arriving together end in one order."""
    comment = (
        Comment.objects.select_for_update(of=("self",))
        .select_related("post")
        .filter(pk=comment_id)
        .first()
    )
    if comment is None:
        raise CommentGone("No comment has this id.")
    return comment


def editable_comment(comment_id, secret, *, deleting=False):
    """The comment, if the holder of ``secret`` may edit (or delete) it now, for the
    pages that ask the author to confirm."""
    comment = Comment.objects.select_related("post").filter(pk=comment_id).first()
    if comment is None:
        raise CommentGone("No comment has this id.")
    refused = refusal(comment, secret, deleting=deleting)
    if refused:
        raise refused
    return comment


def edit_comment(comment_id, secret, data):
    """Replace the comment's text with ``data["body"]``; returns the saved comment.

    Raises ``EditRefused`` (nothing may change), ``EditInvalid`` (field errors) or
    ``DuplicateComment`` (the new text is one this author already posted here).
    """
    with transaction.atomic():
        comment = _locked(comment_id)
        refused = refusal(comment, secret)
        if refused:
            raise refused
        form = CommentEditForm(data)
        if not form.is_valid():
            raise EditInvalid(form)
        body = form.cleaned_data["body"]
        if body == comment.body:
            return comment

        new_fingerprint = fingerprint(comment.post_id, comment.author_email, body)
        if (
            new_fingerprint != comment.fingerprint
            and Comment.objects.filter(fingerprint=new_fingerprint).exists()
        ):
            raise DuplicateComment(duplicate_message())

        replaced = CommentVersion(
            comment=comment,
            body=comment.body,
            body_html=comment.body_html,
            status=comment.status,
            reason=comment.reason,
            written_at=comment.edited_at or comment.created_at,
        )
        before = comment.status
        comment.body = body
        comment.body_html = sanitize_comment(body)
        comment.fingerprint = new_fingerprint
        rules = comment_rules()
        # Only what the text is, and who wrote it, is judged again: an edit never makes a
        # comment less strict than it was (a ban since posting sends it to spam).
        verdict = decide(
            comment,
            known_author=True,
            rules=rules,
            by_moderator=comment.is_staff_reply,
            ban=None
            if comment.is_staff_reply
            else active_ban_for(comment.author_email, comment.ip_address),
        )
        if STRICTNESS[verdict.status] > STRICTNESS[before]:
            comment.status, comment.reason = verdict.status, f"After an edit: {verdict.reason}"
        comment.edited_at = timezone.now()
        try:
            with transaction.atomic():
                comment.save(
                    update_fields=[
                        "body",
                        "body_html",
                        "fingerprint",
                        "status",
                        "reason",
                        "edited_at",
                        "updated_at",
                    ]
                )
        except IntegrityError as error:
            raise DuplicateComment(duplicate_message()) from error
        replaced.save()
        log(
            instance=comment,
            action=EDIT_LOG_ACTION,
            data={
                "from": before,
                "to": comment.status,
                "reason": comment.reason if comment.status != before else "",
                "post_id": comment.post_id,
                "version_id": replaced.pk,
            },
        )
        newly_held = comment.status == Status.PENDING and before != Status.PENDING
        if newly_held and rules.notify_moderators:
            transaction.on_commit(comment_held)
    return comment


def delete_comment(comment_id, secret):
    """Delete the comment for its author: gone if nothing hangs from it, otherwise a
    tombstone ("Comment deleted by its author") that keeps the replies' place. Returns
    ``"deleted"`` or ``"tombstone"``."""
    with transaction.atomic():
        comment = _locked(comment_id)
        refused = refusal(comment, secret, deleting=True)
        if refused:
            raise refused
        data = {"from": comment.status, "post_id": comment.post_id}
        # Held, spam or trashed replies hang from it all the same.
        if comment.replies.exists():
            if comment.status not in (Status.SPAM, Status.TRASH):
                comment.status_before_removal = comment.status
            comment.status = Status.TRASH
            comment.deleted_by_author_at = timezone.now()
            comment.save(
                update_fields=[
                    "status",
                    "status_before_removal",
                    "deleted_by_author_at",
                    "updated_at",
                ]
            )
            log(instance=comment, action=DELETE_LOG_ACTION, data={**data, "to": "tombstone"})
            return "tombstone"
        log(instance=comment, action=DELETE_LOG_ACTION, data={**data, "to": "deleted"})
        comment.delete()
        return "deleted"


# The browser's side: cookies and the links on the post page.


def secret_cookie_name(comment_id):
    return f"{SECRET_COOKIE_PREFIX}{comment_id}"


def marker_cookie_name(comment_id):
    return f"{MARKER_COOKIE_PREFIX}{comment_id}"


def comment_path(comment_id):
    """The path the secret cookie is scoped to: the comment's edit and delete URLs."""
    return reverse("comments:edit", args=[comment_id]).removesuffix("edit/")


def secret_from_cookie(request, comment_id):
    return request.COOKIES.get(secret_cookie_name(comment_id), "")


def remember_in_browser(response, request, comment):
    """Give the posting browser what it needs to edit ``comment`` for the window: the
    secret (HttpOnly, only to the comment's own URLs) and the marker for the post page."""
    post_path = comment.post.get_url_parts(request)[2]
    common = {
        "max_age": settings.COMMENTS_EDIT_WINDOW,
        "httponly": True,
        "secure": settings.COMMENTS_COOKIE_SECURE,
        "samesite": "Lax",
    }
    response.set_cookie(
        secret_cookie_name(comment.pk),
        comment.edit_secret,
        path=comment_path(comment.pk),
        **common,
    )
    response.set_cookie(
        marker_cookie_name(comment.pk),
        signing.dumps(comment.pk, salt=MARKER_SALT),
        path=post_path,
        **common,
    )


def forget_in_browser(response, comment_id, post_path):
    for name, path in (
        (secret_cookie_name(comment_id), comment_path(comment_id)),
        (marker_cookie_name(comment_id), post_path),
    ):
        response.set_cookie(
            name,
            "",
            max_age=0,
            path=path,
            httponly=True,
            secure=settings.COMMENTS_COOKIE_SECURE,
            samesite="Lax",
        )


def marked_by_browser(request, comment_id):
    """Whether this browser posted ``comment_id`` within the window, by its marker."""
    value = request.COOKIES.get(marker_cookie_name(comment_id))
    if not value:
        return False
    try:
        return signing.loads(value, salt=MARKER_SALT, max_age=window()) == comment_id
    except signing.BadSignature:
        return False


def controls_placeholder(comment_id):
    """Where the thread (rendered once for every reader) may show this comment's links."""
    return mark_safe(f"<!--comment-edit-controls:{int(comment_id)}-->")  # noqa: S308


def controls_html(comment_id):
    return render_to_string(
        "blog/comments/edit_controls.html",
        {
            "edit_url": reverse("comments:edit", args=[comment_id]),
            "delete_url": reverse("comments:delete", args=[comment_id]),
        },
    )


def fill_controls(request, match):
    """The ``keep_fresh`` filler: this comment's links for its author, nothing for others."""
    comment_id = int(match[1])
    if not marked_by_browser(request, comment_id):
        return b""
    request.shows_personal_parts = True
    return controls_html(comment_id).encode()


def fill_controls_in(request, html):
    """The same, for a thread rendered for a page that is not going to the cache."""
    return mark_safe(  # noqa: S308 (the thread's own HTML, and our template's)
        CONTROLS_PLACEHOLDER_TEXT.sub(lambda match: fill_controls(request, match).decode(), html)
    )


def ids_editable_by(request):
    """Ids of comments this browser is marked as having posted within the window."""
    ids = set()
    for name in request.COOKIES:
        suffix = name.removeprefix(MARKER_COOKIE_PREFIX)
        if suffix != name and suffix.isdigit() and marked_by_browser(request, int(suffix)):
            ids.add(int(suffix))
    return ids
