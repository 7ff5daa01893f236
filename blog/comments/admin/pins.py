"""Pinning from the admin: the pin/unpin view behind the inspect view's button and the
listing's row action, the buttons themselves, and how pins read in the audit trail."""

from django.shortcuts import redirect
from django.urls import reverse

from wagtail.admin import messages
from wagtail.admin.views.generic.base import BaseOperationView
from wagtail.admin.widgets.button import Button
from wagtail.log_actions import LogFormatter

from ..models import Comment
from ..pinning import PIN_LOG_ACTION, UNPIN_LOG_ACTION, PinRefused, pin, unpin
from .decisions import URL_NAMESPACE
from .permissions import ModeratorRequiredMixin

PIN_ACTIONS = ("pin", "unpin")


def pin_url(comment, action):
    return reverse(f"{URL_NAMESPACE}:pin", args=[action, comment.pk])


def pin_action_for(comment):
    """The pin decision that fits this comment, or None: only approved top-level comments
    are pinned, and a pin can always be taken away."""
    if comment.pinned_at is not None:
        return {
            "name": "unpin",
            "label": "Unpin",
            "icon": "thumbtack-crossed",
            "url": pin_url(comment, "unpin"),
        }
    if comment.status == Comment.Status.APPROVED and not comment.parent_id:
        return {
            "name": "pin",
            "label": "Pin to top",
            "icon": "thumbtack",
            "url": pin_url(comment, "pin"),
        }
    return None


def pin_row_button(comment, priority):
    action = pin_action_for(comment)
    if action is None:
        return None
    return Button(
        action["label"],
        icon_name=action["icon"],
        priority=priority,
        attrs={
            # Wagtail's own "post this URL with the CSRF token" controller.
            "data-controller": "w-action",
            "data-action": "w-action#post",
            "data-w-action-url-value": action["url"],
            "aria-label": f"{action['label']}: the comment by {comment.author_name}",
        },
    )


class PinCommentView(ModeratorRequiredMixin, BaseOperationView):
    """Pin or unpin one comment, then go back where the button was (or to its inspect view)."""

    model = Comment
    http_method_names = ["post"]
    inspect_url_name = None

    def post(self, request, *args, **kwargs):
        action = kwargs["action"]
        comment = self.object
        was_pinned = comment.pinned_at is not None
        try:
            (pin if action == "pin" else unpin)(comment.pk, request.user)
        except PinRefused as refused:
            messages.error(request, str(refused))
        else:
            if was_pinned == (action == "pin"):
                state = "pinned" if was_pinned else "not pinned"
                messages.warning(
                    request, f"Nothing changed: the comment by {comment.author_name} is {state}."
                )
            elif action == "pin":
                messages.success(
                    request, f"Pinned the comment by {comment.author_name} to the top of its post."
                )
            else:
                messages.success(request, f"Unpinned the comment by {comment.author_name}.")
        return redirect(self.next_url or reverse(self.inspect_url_name, args=[comment.pk]))


class PinLogFormatter(LogFormatter):
    label = "Comment: pin"

    def format_message(self, log_entry):
        return "Pinned to the top of the post"


class UnpinLogFormatter(LogFormatter):
    label = "Comment: unpin"

    def format_message(self, log_entry):
        return "Unpinned"


def register_pin_log_actions(actions):
    actions.register_action(PIN_LOG_ACTION)(PinLogFormatter)
    actions.register_action(UNPIN_LOG_ACTION)(UnpinLogFormatter)
