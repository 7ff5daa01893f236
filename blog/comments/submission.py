"""
Posting a comment: the one path every comment takes, from the reader form and the API.

Order matters: a closed post refuses before anything else; then the form validates
(field errors, and a form token that is expired, used or another reader's, kept with what
the reader typed); then duplicates and flooding are refused; only then is the comment
sanitized, judged by the rules, its token used up and the comment stored.
"""

import contextlib

from django.db import DatabaseError, IntegrityError, transaction

from . import editing, form_tokens, verification
from .bans import Ban, keys_for
from .forms import CommentSubmissionForm
from .limits import CommentRulesUnavailable
from .models import Comment
from .notify import comment_held, comment_published, may_notify_parent
from .post_lookup import comment_rules
from .rules import (
    DuplicateComment,
    PostUnavailable,
    decide,
    duplicate_message,
    ensure_not_duplicate,
    ensure_not_flooding,
    ensure_open,
    fingerprint,
    free_flood_slots,
)
from .sanitize import sanitize_comment

NO_SUCH_POST = "No published post has this id."


class CommentInvalid(Exception):
    """The submission has field errors; ``form`` holds them and the reader's input."""

    def __init__(self, form):
        super().__init__("The comment has errors.")
        self.form = form


def store(comment):
    """One INSERT: the database gives the comment its place in the thread (migration
    0005), so outside a caller's transaction there is nothing to wrap, and SQLite holds
    its write lock for one statement. Inside one, a savepoint keeps a duplicate's
    IntegrityError from spoiling the caller's transaction."""
    if transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            comment.save()
    else:
        comment.save()


def can_moderate(user):
    return bool(user and user.is_authenticated and user.has_perm("comments.moderate_comment"))


def submit_comment(post, data, *, ip_address=None, user_agent="", user=None, proof=""):
    """Validate, judge and store a comment; returns the saved Comment, with
    ``confirmation_sent`` true when a confirmation link was mailed to its author.

    ``proof``: the signed "confirmed as" value the browser or app kept
    (``verification``); without it, or a signed-in user with the same email, a known
    address earns no trust.

    Raises ``CommentInvalid`` for field errors and a ``CommentRefused`` subclass
    (closed, duplicate, flooding) when nothing may be stored.
    """
    rules = comment_rules(getattr(post, "read_under_version", None))
    ensure_open(post, rules)

    form = CommentSubmissionForm(
        data, post=post, reader=form_tokens.Reader(ip_address, user_agent or "")
    )
    if not form.is_valid():
        raise CommentInvalid(form)

    comment = form.save(commit=False)
    comment.post = post
    comment.parent = form.cleaned_data["parent"]
    comment.ip_address = ip_address
    comment.user_agent = (user_agent or "")[:500]
    comment.fingerprint = fingerprint(post.pk, comment.author_email, comment.body)
    if user is not None and user.is_authenticated:
        comment.user = user
    by_moderator = can_moderate(user)
    comment.is_staff_reply = by_moderator

    by_account = verification.signed_in_as(comment.author_email, user)
    # One query answers the duplicate, known-author, proof and ban questions.
    history = Comment.objects.author_history(
        comment.fingerprint,
        comment.author_email,
        confirmation_ids=[] if by_account else verification.confirmation_ids_in(proof),
        ban_keys=[] if by_moderator else keys_for(comment.author_email, ip_address),
    )
    comment.author_confirmed = by_account or history.confirmed
    ensure_not_duplicate(history)
    flood_slots = [] if by_moderator else ensure_not_flooding(ip_address, comment.author_email)

    comment.body_html = sanitize_comment(comment.body)
    verdict = decide(
        comment,
        known_author=history.has_approved,
        author_confirmed=comment.author_confirmed,
        rules=rules,
        bot_reason=None if by_moderator else form.bot_reason,
        by_moderator=by_moderator,
        ban=Ban.objects.filter(pk=history.ban_id).first() if history.ban_id else None,
    )
    comment.status = verdict.status
    comment.reason = verdict.reason
    editing.issue_edit_secret(comment)

    if not form_tokens.use_up(form.sent_token):
        form.refuse_token(form_tokens.ALREADY_USED, code="token_refused")
        raise CommentInvalid(form)
    try:
        store(comment)
    except IntegrityError as error:
        form_tokens.give_back(form.sent_token)
        free_flood_slots(flood_slots)
        if Comment.objects.filter(fingerprint=comment.fingerprint).exists():
            raise DuplicateComment(duplicate_message()) from error
        if not type(post).objects.filter(pk=post.pk).exists():
            raise PostUnavailable(NO_SUCH_POST) from error
        raise
    except DatabaseError:
        # Full or gone (cms.outages answers 503): the reader may send the same form again.
        form_tokens.give_back(form.sent_token)
        free_flood_slots(flood_slots)
        raise
    comment.set_thread_position()  # what the database just stored, for the object in hand
    comment.confirmation_sent = False
    if not by_moderator and verification.needs_link(comment, comment.author_confirmed):
        # The comment is stored even when the rules' store fails now: the reader can ask
        # for a link later (/comments/confirm/).
        with contextlib.suppress(CommentRulesUnavailable):
            comment.confirmation_sent = verification.mail_link(comment.author_email, comment)

    if comment.status == Comment.Status.APPROVED:
        if may_notify_parent(comment):  # else the task would find nobody to mail
            transaction.on_commit(lambda: comment_published(comment.pk))
    elif comment.status == Comment.Status.PENDING and rules.notify_moderators:
        transaction.on_commit(comment_held)
    return comment
