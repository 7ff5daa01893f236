"""What each moderation decision is called (buttons, messages, the audit trail), which
decisions fit each status, and where a comment's admin pages live."""

from django.urls import reverse
from django.utils.text import Truncator

from wagtail.admin.admin_url_finder import ModelAdminURLFinder

from ..models import Comment
from .permissions import moderation_policy

Status = Comment.Status

URL_NAMESPACE = "wagtailsnippets_comments_comment"  # what notify.py links moderators to
EXCERPT_CHARS = 120

ACTION_BUTTON_LABELS = {
    "approve": "Approve",
    "unapprove": "Unapprove",
    "spam": "Mark as spam",
    "trash": "Move to trash",
    "restore": "Restore",
    "delete": "Delete for good",
    "keep": "Keep despite reports",
}
ACTION_ICONS = {
    "approve": "check",
    "unapprove": "resubmit",
    "spam": "warning",
    "trash": "bin",
    "restore": "rotate",
    "delete": "cross",
    "keep": "tick-inverse",
}
ACTION_PAST_TENSE = {
    "approve": "Approved",
    "unapprove": "Unapproved",
    "spam": "Marked as spam",
    "trash": "Moved to trash",
    "restore": "Restored",
    "delete": "Deleted for good",
    "keep": "Kept despite reports",
}
# The decisions that make sense from each status, in the order buttons show them.
ACTIONS_BY_STATUS = {
    Status.PENDING: ["approve", "spam", "trash", "delete"],
    Status.APPROVED: ["unapprove", "spam", "trash", "delete"],
    Status.SPAM: ["restore", "approve", "trash", "delete"],
    Status.TRASH: ["restore", "delete"],
}


def available_actions(comment):
    """``comment.open_report_count`` (annotated by the listing and inspect views) adds
    "keep" for a comment readers reported."""
    actions = list(ACTIONS_BY_STATUS.get(comment.status, []))
    if getattr(comment, "open_report_count", 0) and comment.status in (
        Status.APPROVED,
        Status.PENDING,
    ):
        actions.insert(0, "keep")
    return [
        {"name": action, "label": ACTION_BUTTON_LABELS[action], "icon": ACTION_ICONS[action]}
        for action in actions
    ]


def status_label(status):
    return Status(status).label if status in Status.values else (status or "unknown")


def excerpt(comment):
    return Truncator(" ".join(comment.body.split())).chars(EXCERPT_CHARS)


def comment_url(view_name, comment):
    return reverse(f"{URL_NAMESPACE}:{view_name}", args=[comment.pk])


def moderate_url(comment, action):
    return reverse(f"{URL_NAMESPACE}:moderate", args=[comment.pk, action])


class CommentAdminURLFinder(ModelAdminURLFinder):
    """Comments have no edit view; links from elsewhere in the admin (site history, for one)
    go to the inspect view, for those who may see it."""

    def get_edit_url(self, instance):
        if self.user and not moderation_policy.user_has_permission(self.user, "view"):
            return None
        return comment_url("inspect", instance)
