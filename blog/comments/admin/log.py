"""How moderation decisions and staff replies read in the audit trail (a comment's
history, site history)."""

from wagtail.log_actions import LogFormatter

from ..editing import DELETE_LOG_ACTION, EDIT_LOG_ACTION
from ..moderation import LOG_ACTION
from ..reports import LOG_HIDDEN, reason_summary
from .decisions import ACTION_BUTTON_LABELS, ACTION_PAST_TENSE, status_label

# Logged on the comment replied to, so its history shows that the team answered.
REPLY_LOG_ACTION = "comments.reply"


class ModerationLogFormatter(LogFormatter):
    """ "Approved (was pending)", with the moderator's note when there is one."""

    action = None

    @property
    def label(self):
        return f"Comment: {ACTION_BUTTON_LABELS[self.action].lower()}"

    def format_message(self, log_entry):
        data = log_entry.data or {}
        before = status_label(data.get("from")).lower()
        verb = ACTION_PAST_TENSE[self.action]
        if self.action == "restore":
            verb = f"Restored as {status_label(data.get('to')).lower()}"
        message = f"{verb} (was {before})"
        if data.get("reports"):
            message += f"; reported as {reason_summary(data['reports'])}"
        if data.get("reason"):
            message += f": {data['reason']}"
        return message

    def format_comment(self, log_entry):
        return (log_entry.data or {}).get("reason", "")


def register_moderation_log_actions(actions):
    for action, log_action in LOG_ACTION.items():
        formatter = type(
            f"{action.title()}CommentLogFormatter", (ModerationLogFormatter,), {"action": action}
        )
        actions.register_action(log_action)(formatter)


class StaffReplyLogFormatter(LogFormatter):
    label = "Comment: staff reply"

    def format_message(self, log_entry):
        data = log_entry.data or {}
        return f"Replied as “{data.get('signed', '')}”: {data.get('excerpt', '')}"


def register_reply_log_action(actions):
    actions.register_action(REPLY_LOG_ACTION)(StaffReplyLogFormatter)


class HiddenByReportsLogFormatter(LogFormatter):
    label = "Comment: hidden by reader reports"

    def format_message(self, log_entry):
        count = (log_entry.data or {}).get("reports", 0)
        return f"Hidden from readers after {count} reports, until a moderator decides"


def register_report_log_actions(actions):
    actions.register_action(LOG_HIDDEN)(HiddenByReportsLogFormatter)


class AuthorEditLogFormatter(LogFormatter):
    """ "Edited by its author", and the status the rules moved it to, if they did."""

    label = "Comment: edited by its author"

    def format_message(self, log_entry):
        data = log_entry.data or {}
        message = "Edited by its author"
        if data.get("from") != data.get("to"):
            before = status_label(data.get("from")).lower()
            after = status_label(data.get("to")).lower()
            message += f" (was {before}, now {after})"
        if data.get("reason"):
            message += f": {data['reason']}"
        return message


class AuthorDeleteLogFormatter(LogFormatter):
    label = "Comment: deleted by its author"

    def format_message(self, log_entry):
        if (log_entry.data or {}).get("to") == "tombstone":
            return "Deleted by its author; kept as a tombstone because it has replies"
        return "Deleted by its author"


def register_author_log_actions(actions):
    actions.register_action(EDIT_LOG_ACTION)(AuthorEditLogFormatter)
    actions.register_action(DELETE_LOG_ACTION)(AuthorDeleteLogFormatter)
