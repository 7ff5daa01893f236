"""Who may see and act in the moderators' admin: one permission, "Can moderate comments".

Comments are never added, edited or deleted through Wagtail's generic model forms: those
would skip the rules, the sanitizer and the audit trail. The policy therefore grants
"add", "change" and "delete" to nobody, superusers included, and the generic
create/edit/delete views refuse everyone.
"""

import functools

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.views.defaults import permission_denied

from wagtail.permission_policies.base import BaseDjangoAuthPermissionPolicy

from ..models import Comment
from ..submission import can_moderate

MODERATE_CODENAME = "moderate_comment"


class CommentModerationPolicy(BaseDjangoAuthPermissionPolicy):
    """Everything a moderator does hangs on one permission, "Can moderate comments".

    "view" opens the listing, inspect and history views; "moderate" the decisions and
    replies. No one gets "add", "change" or "delete" (see the module docstring).
    """

    granted_actions = frozenset({"view", "moderate"})

    def user_has_permission(self, user, action):
        return action in self.granted_actions and can_moderate(user)

    def users_with_any_permission(self, actions):
        if not self.granted_actions.intersection(actions):
            return get_user_model().objects.none()
        return self._get_users_with_any_permission_codenames({MODERATE_CODENAME})


moderation_policy = CommentModerationPolicy(Comment)


def forbidden(request):
    """A real 403: Wagtail turns PermissionDenied into a redirect to the dashboard, which a
    script posting a moderation decision would take for success."""
    return permission_denied(request, PermissionDenied("You may not moderate comments."))


class ModeratorRequiredMixin:
    """For the views that change something: a real 403 for anyone who may not moderate."""

    def dispatch(self, request, *args, **kwargs):
        if not moderation_policy.user_has_permission(request.user, "moderate"):
            return forbidden(request)
        return super().dispatch(request, *args, **kwargs)


def moderators_only(view):
    """Every comment URL answers 403 to a signed-in user who may not moderate, before
    Wagtail's own checks (which redirect to the dashboard as if nothing were there)."""

    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        if not moderation_policy.user_has_permission(request.user, "moderate"):
            return forbidden(request)
        return view(request, *args, **kwargs)

    return guarded
