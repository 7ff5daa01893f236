"""Who may call the moderators' API (``api``'s moderation router and ``bans_api``): the
bearer token's user must hold "Can moderate comments". One check and one 403 wording
for every moderation endpoint, so the queue, the decisions, pins and bans refuse alike."""

from django.core.exceptions import PermissionDenied

from .submission import can_moderate

#: The 403 a list endpoint documents (endpoints that declare ``ProblemDetail`` for 403
#: in ``response`` document it there).
MODERATORS_ONLY = {"responses": {403: {"description": "This user may not moderate comments."}}}


def require_moderator(request):
    """Raise ``PermissionDenied`` (a 403 problem) unless the token's user may moderate."""
    if not can_moderate(request.user):
        raise PermissionDenied("This token's user may not moderate comments.")
