"""
Moderation decisions: the one place a comment's status changes after it is stored.

The admin's buttons and bulk actions and the API's moderation endpoints all call
``moderate``. Each change locks the rows it changes, so two moderators acting on the
same comment at once end in one consistent state with both decisions in the audit
log, and every change is a Wagtail log entry (who, when, from, to, reason). Saving or
deleting a comment replaces its post's content version (``cms.api_cache``), so threads,
pages and API responses that showed it are rebuilt on their next read.
"""

from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone

from wagtail.log_actions import log

from .models import Comment
from .notify import comment_published
from .reports import NothingToKeep, keep_comments

Status = Comment.Status

TARGET_STATUS = {
    "approve": Status.APPROVED,
    "spam": Status.SPAM,
    "trash": Status.TRASH,
    "unapprove": Status.PENDING,
}
# "keep" (readers' reports) has rules of its own: ``reports.keep_comments``.
ACTIONS = (*TARGET_STATUS, "restore", "delete", "keep")
LOG_ACTION = {action: f"comments.{action}" for action in ACTIONS}


class ModerationError(Exception):
    """A decision that cannot be carried out, with a message a moderator can act on."""


def _target(comment, action):
    if action == "restore":
        return comment.status_before_removal or Status.PENDING
    return TARGET_STATUS[action]


def moderate(comment_ids, action, user, *, reason=""):
    """Apply ``action`` to the comments with these ids; returns the comments changed.

    Comments already in the target state are left alone (and not logged again).
    """
    if action not in ACTIONS:
        raise ModerationError(f"Unknown moderation action “{action}”.")
    if action == "keep":
        try:
            kept = keep_comments(comment_ids, user, reason=reason)
        except NothingToKeep as error:
            raise ModerationError(str(error)) from error
        return kept
    ids = [getattr(item, "pk", item) for item in comment_ids]
    changed = []
    with transaction.atomic():
        comments = list(
            Comment.objects.select_for_update().filter(pk__in=ids).order_by("-thread_path")
        )
        for comment in comments:
            before = comment.status
            data = {"from": before, "reason": reason, "post_id": comment.post_id}
            if action == "delete":
                _delete(comment, user, data)
                changed.append(comment)
                continue
            after = _target(comment, action)
            if after == before:
                continue
            if after in (Status.SPAM, Status.TRASH) and before not in (Status.SPAM, Status.TRASH):
                comment.status_before_removal = before
            comment.status = after
            comment.moderated_at = timezone.now()
            comment.moderated_by = user
            comment.save(
                update_fields=[
                    "status",
                    "status_before_removal",
                    "moderated_at",
                    "moderated_by",
                    "updated_at",
                ]
            )
            log(instance=comment, action=LOG_ACTION[action], user=user, data={**data, "to": after})
            changed.append(comment)

        newly_public = [c.pk for c in changed if c.status == Status.APPROVED and action != "delete"]
        for comment_id in newly_public:
            transaction.on_commit(lambda comment_id=comment_id: comment_published(comment_id))
    return changed


def _delete(comment, user, data):
    log(instance=comment, action=LOG_ACTION["delete"], user=user, data={**data, "to": "deleted"})
    try:
        with transaction.atomic():
            comment.delete()
    except (ProtectedError, RestrictedError) as error:
        raise ModerationError(
            "This comment has replies, so it cannot be deleted for good. Move it to the trash: "
            "readers will see “This comment was removed” and the replies keep their place."
        ) from error
