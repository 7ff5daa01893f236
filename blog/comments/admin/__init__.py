"""
The moderators' side of the comment service, built from Wagtail's own admin parts.

One permission, "Can moderate comments", opens all of it: the Comments menu item (with a
badge counting pending comments), the dashboard panel, the listing (filters, search,
bulk actions), the inspect view (text as submitted and as published, the thread around
the comment, its audit trail, a reply form) and the history view. Every decision goes
through ``blog.comments.moderation.moderate``, which records it as a Wagtail log entry.

One module per role: ``permissions`` (the policy and the 403s), ``decisions`` (labels,
which decisions fit a status, admin URLs), ``filters``, ``columns``, ``views``,
``viewset``, ``menu``, ``bulk_actions``, ``panels`` (dashboard), ``log`` (audit-trail
formatters), ``pins`` (pinning a comment to the top of its post), ``bans`` (the ban list,
its form and its log formatters) and ``one_click`` (the confirm page of the e-mail's
moderation links). ``blog/comments/wagtail_hooks.py`` registers them with Wagtail.
"""

from .bulk_actions import COMMENT_BULK_ACTIONS
from .log import (
    register_author_log_actions,
    register_moderation_log_actions,
    register_reply_log_action,
    register_report_log_actions,
)
from .panels import PendingCommentsPanel
from .permissions import moderation_policy
from .pins import register_pin_log_actions
from .viewset import CommentViewSet

__all__ = [
    "COMMENT_BULK_ACTIONS",
    "CommentViewSet",
    "PendingCommentsPanel",
    "moderation_policy",
    "register_author_log_actions",
    "register_moderation_log_actions",
    "register_pin_log_actions",
    "register_reply_log_action",
    "register_report_log_actions",
]
