"""
Signed moderation links: approve, mark as spam or trash a held comment from the e-mail
that announced it.

Each link is signed (``django.core.signing``) for one comment, one action and one
moderator, and carries a random nonce. It opens a confirm page in the admin (so the
moderator signs in first, and a mail scanner that follows links changes nothing); only
that page's POST acts, through ``moderation.moderate``, which logs the decision. At that
moment everything is checked again: the signature and its age
(``COMMENTS_ONE_CLICK_MAX_AGE``), that the signed-in user is the one the link was made
for and may still moderate, that the nonce was never used (``ModerationLinkUse``, whose
unique nonce makes a replay fail even when two clicks race), and that the comment still
awaits a decision. Any failure is refused with a page that says why, and nothing changes.
"""

import datetime
import secrets

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone

SALT = "blog.comments.one_click"
ACTIONS = ("approve", "spam", "trash")
USED_REASON = "From the one-click link in the held-comment e-mail"


class LinkRefused(Exception):
    """Why a link does nothing; ``status_code`` is what the refusal page answers."""

    def __init__(self, message, status_code=403):
        super().__init__(message)
        self.message = message
        self.status_code = status_code


class ModerationLinkUse(models.Model):
    """A link that has been used: its nonce, so it never acts twice."""

    nonce = models.CharField(max_length=32, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment_id = models.PositiveBigIntegerField()
    action = models.CharField(max_length=10)
    used_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return f"{self.action} link for comment #{self.comment_id}"


def make_token(comment, user, action):
    if action not in ACTIONS:
        raise ValueError(f"No one-click link for “{action}”.")
    payload = {"c": comment.pk, "u": user.pk, "a": action, "n": secrets.token_hex(16)}
    return signing.TimestampSigner(salt=SALT).sign_object(payload, compress=True)


def link_url(comment, user, action):
    path = reverse("comments_one_click", args=[make_token(comment, user, action)])
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def links_for(comment, user):
    """The links one moderator's copy of the held-comment e-mail carries."""
    return {action: link_url(comment, user, action) for action in ACTIONS}


def read_token(token, user):
    """The link's comment, action and nonce, if ``user`` may use it now."""
    from .models import Comment
    from .submission import can_moderate

    try:
        payload = signing.TimestampSigner(salt=SALT).unsign_object(
            token, max_age=settings.COMMENTS_ONE_CLICK_MAX_AGE
        )
    except signing.SignatureExpired:
        raise LinkRefused(
            "This link has expired. Open the comment in the admin to decide on it.", 410
        ) from None
    except signing.BadSignature:
        raise LinkRefused(
            "This link is not valid: it may have been cut short by your mail program. "
            "Open the comment in the admin to decide on it.",
            400,
        ) from None
    if not isinstance(payload, dict) or payload.get("a") not in ACTIONS:
        raise LinkRefused("This link is not valid.", 400)
    if not {"c", "u", "n"} <= payload.keys():
        raise LinkRefused("This link is not valid.", 400)
    if payload["u"] != user.pk:
        raise LinkRefused(
            "This link was sent to another moderator. Use the link in your own e-mail, or "
            "open the comment in the admin."
        )
    if not can_moderate(user):
        raise LinkRefused("You may no longer moderate comments, so this link does nothing.")
    if ModerationLinkUse.objects.filter(nonce=payload["n"]).exists():
        raise LinkRefused("This link has already been used; it works once.", 410)
    comment = Comment.objects.select_related("post").filter(pk=payload["c"]).first()
    if comment is None:
        raise LinkRefused("This comment no longer exists.", 410)
    if comment.status != Comment.Status.PENDING:
        raise LinkRefused(
            f"This comment is no longer awaiting moderation: it is "
            f"{comment.get_status_display().lower()} now. Nothing was changed.",
            409,
        )
    return comment, payload["a"], payload["n"]


def use_link(token, user):
    """Carry out the link's action once; returns the comment, action and whether its
    status changed. Raises ``LinkRefused`` with nothing changed."""
    from .models import Comment
    from .moderation import moderate

    with transaction.atomic():
        comment, action, nonce = read_token(token, user)
        # Another link for the same comment may be acting at this very moment.
        still_held = Comment.objects.select_for_update().filter(
            pk=comment.pk, status=Comment.Status.PENDING
        )
        if not still_held.exists():
            raise LinkRefused(
                "Another moderator decided on this comment a moment ago. Nothing was changed.",
                409,
            )
        try:
            with transaction.atomic():
                ModerationLinkUse.objects.create(
                    nonce=nonce, user=user, comment_id=comment.pk, action=action
                )
        except IntegrityError:
            raise LinkRefused("This link has already been used; it works once.", 410) from None
        changed = moderate([comment.pk], action, user, reason=USED_REASON)
        forget_old_uses()
    return comment, action, bool(changed)


def forget_old_uses():
    """A link older than the maximum age is refused by its signature already, so the
    record of its use is no longer needed."""
    cutoff = timezone.now() - datetime.timedelta(seconds=settings.COMMENTS_ONE_CLICK_MAX_AGE)
    # A margin, so a link signed just before its use was recorded never outlives its row.
    ModerationLinkUse.objects.filter(used_at__lt=cutoff - datetime.timedelta(days=1)).delete()
