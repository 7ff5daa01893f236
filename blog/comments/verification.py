"""
Confirmed email addresses: proof that the person commenting controls the address typed.

An address alone proves nothing (anyone can type a known reader's email), so trust and
reply notices rest on a proof that *this* commenter controls it:

- a signed-in user whose account has that email;
- the browser's "confirmed as" cookie (``CONFIRMED_COOKIE``: signed, HttpOnly, kept
  ``COMMENTS_CONFIRMED_PROOF_MAX_AGE``), set when the reader confirmed through a mailed
  link; an app sends the same signed value back as ``confirmation`` (``proof_for``);
- the link mailed about a comment, confirmed later: it marks that comment's author
  as confirmed for moderators and starts its reply notices (double opt-in), but does
  not publish it, because the owner of an address may carelessly confirm a text a
  stranger typed under it (docs/security.md, "Confirmed commenters").

A link is mailed when a comment arrives without proof (not for spam), or when a reader
asks (``request_confirmation``): at most once per address per
``COMMENTS_CONFIRMATION_RESEND_SECONDS``, so the form cannot mail-bomb anyone. The link
names an ``EmailConfirmation`` row by a signed id, never the address itself; it expires
after ``COMMENTS_CONFIRMATION_MAX_AGE`` and works once (the row's ``confirmed_at``).
Its page only asks; the POST confirms, because mail scanners follow links.
"""

import hashlib

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from django_tasks import task

from . import limits
from .addresses import rate_limit_key
from .models import Comment

LINK_SALT = "blog.comments.confirm-email"
PROOF_SALT = "blog.comments.confirmed-as"
CONFIRMED_COOKIE = "comment_confirmed"
#: Addresses one browser's cookie remembers (a family sharing a computer, a work address).
ADDRESSES_PER_BROWSER = 5


class EmailConfirmation(models.Model):
    """One confirmation link mailed to an address; confirmed once, by its POST."""

    email = models.CharField(max_length=254, db_index=True, help_text="Lower-cased.")
    comment = models.ForeignKey(
        Comment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The comment whose arrival sent the link, if one did.",
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "comments"

    def __str__(self):
        return f"Email confirmation {self.pk}"


class LinkRefused(Exception):
    """A confirmation link that cannot confirm; ``status_code`` is what its page answers."""

    def __init__(self, message, status_code):
        super().__init__(message)
        self.message = message
        self.status_code = status_code


FORGED = "This confirmation link is not valid. Check that it was copied in full."
USED = "This confirmation link was already used. Your address stays confirmed in that browser."


def expired_message():
    return (
        f"This confirmation link has expired (links work for {lifetime_label()}). "
        "Ask for a new one below."
    )


def lifetime_label():
    hours = max(1, settings.COMMENTS_CONFIRMATION_MAX_AGE // 3600)
    return "an hour" if hours == 1 else f"{hours} hours"


def email_key(email):
    return email.strip().lower()


def link_token(confirmation):
    return signing.dumps(confirmation.pk, salt=LINK_SALT)


def confirmation_url(confirmation):
    path = reverse("comments:confirm_email", args=[link_token(confirmation)])
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def unused_confirmation(token):
    """The confirmation a link names, still unused; raises ``LinkRefused`` otherwise."""
    try:
        pk = signing.loads(token, salt=LINK_SALT, max_age=settings.COMMENTS_CONFIRMATION_MAX_AGE)
    except signing.SignatureExpired as error:
        raise LinkRefused(expired_message(), 410) from error
    except signing.BadSignature as error:
        raise LinkRefused(FORGED, 400) from error
    confirmation = (
        EmailConfirmation.objects.select_related("comment__post").filter(pk=pk).first()
        if isinstance(pk, int)
        else None
    )
    if confirmation is None:
        raise LinkRefused(FORGED, 400)
    if confirmation.confirmed_at is not None:
        raise LinkRefused(USED, 410)
    return confirmation


def confirm(token):
    """Use a link: returns its confirmation, now confirmed. Two POSTs racing for one link
    (a double click) cannot both win: only the update that finds it unused does."""
    confirmation = unused_confirmation(token)
    with transaction.atomic():
        claimed = EmailConfirmation.objects.filter(
            pk=confirmation.pk, confirmed_at__isnull=True
        ).update(confirmed_at=timezone.now())
        if not claimed:
            raise LinkRefused(USED, 410)
        comment = confirmation.comment
        if comment is not None and email_key(comment.author_email) == confirmation.email:
            Comment.objects.filter(pk=comment.pk).update(author_confirmed=True)
            transaction.on_commit(lambda: release_waiting_reply_notices(comment.pk))
    return confirmation


def release_waiting_reply_notices(comment_id):
    """Replies approved while their parent's author was unconfirmed: mailed now."""
    from .notify import send_reply_notice

    waiting = Comment.objects.approved().filter(
        parent_id=comment_id, reply_notice_sent_at__isnull=True
    )
    for reply_id in waiting.values_list("pk", flat=True):
        send_reply_notice.enqueue(reply_id)


# Proof kept by the browser (cookie) or the app (``confirmation`` in the API)


def proof_for(confirmation_ids):
    return signing.dumps(list(confirmation_ids)[-ADDRESSES_PER_BROWSER:], salt=PROOF_SALT)


def confirmation_ids_in(proof):
    if not proof:
        return []
    try:
        ids = signing.loads(
            proof, salt=PROOF_SALT, max_age=settings.COMMENTS_CONFIRMED_PROOF_MAX_AGE
        )
    except signing.BadSignature:
        return []
    if not isinstance(ids, list):
        return []
    return [pk for pk in ids if isinstance(pk, int)]


def proof_adding(proof, confirmation):
    """The proof a browser keeps after confirming one more address."""
    ids = [pk for pk in confirmation_ids_in(proof) if pk != confirmation.pk]
    return proof_for([*ids, confirmation.pk])


def set_proof_cookie(response, proof):
    response.set_cookie(
        CONFIRMED_COOKIE,
        proof,
        max_age=settings.COMMENTS_CONFIRMED_PROOF_MAX_AGE,
        httponly=True,
        secure=settings.COMMENTS_COOKIE_SECURE,
        samesite="Lax",
    )


def signed_in_as(email, user):
    """Whether ``user`` is signed in with an account whose email is ``email``."""
    return bool(
        user is not None
        and user.is_authenticated
        and email_key(user.email or "") == email_key(email)
    )


def proves(email, *, user=None, proof=""):
    """Whether this commenter (signed in as ``user``, holding ``proof``) controls ``email``.
    A new comment asks the same in the query of ``Comment.objects.author_history``."""
    key = email_key(email)
    if signed_in_as(email, user):
        return True
    ids = confirmation_ids_in(proof)
    if not ids:
        return False
    return EmailConfirmation.objects.filter(
        pk__in=ids, email=key, confirmed_at__isnull=False
    ).exists()


# Mailing links


def _resend_key(email):
    return f"comments:confirm-mail:{hashlib.sha256(email_key(email).encode()).hexdigest()}"


def mail_link(email, comment=None):
    """Mail a link to ``email`` unless one went there within
    COMMENTS_CONFIRMATION_RESEND_SECONDS; returns whether one is on its way."""
    if not limits.claim_once(_resend_key(email), settings.COMMENTS_CONFIRMATION_RESEND_SECONDS):
        return False
    confirmation = EmailConfirmation.objects.create(email=email_key(email), comment=comment)
    transaction.on_commit(lambda: send_confirmation_mail.enqueue(confirmation.pk))
    return True


def needs_link(comment, proven):
    """A comment without proof gets its author a link, unless it is spam: a bot's
    comment must not make the site mail whoever's address it typed."""
    return not proven and comment.status != Comment.Status.SPAM


class TooManyRequests(Exception):
    def __init__(self, retry_after):
        super().__init__("Too many confirmation requests from this address.")
        self.retry_after = retry_after
        self.message = (
            "Too many confirmation requests from this address. Try again in "
            f"{retry_after // 60 or 1} minutes."
        )


def request_confirmation(email, ip_address):
    """A reader asks for a link. The answer never says whether one went (that would tell
    anyone which addresses were mailed lately); one address (an IPv6 /64) may ask
    COMMENTS_CONFIRMATION_REQUESTS_PER_HOUR times an hour."""
    address_key = rate_limit_key(ip_address)
    if address_key and settings.COMMENTS_RATE_LIMITS_ENABLED:
        asked = limits.count_request(f"comments:confirm-requests:{address_key}", 3600)
        if asked > settings.COMMENTS_CONFIRMATION_REQUESTS_PER_HOUR:
            raise TooManyRequests(3600)
    mail_link(email)


@task()
def send_confirmation_mail(confirmation_id):
    # What the mail shows, without the post's body: decoding its StreamField was most of
    # the query's cost, for every new address's first comment.
    confirmation = (
        EmailConfirmation.objects.select_related("comment__post")
        .only("email", "comment__body_html", "comment__post__title")
        .filter(pk=confirmation_id, confirmed_at__isnull=True)
        .first()
    )
    if confirmation is None:
        return 0
    from .notify import plain_text

    comment = confirmation.comment
    context = {
        "confirm_url": confirmation_url(confirmation),
        "lifetime": lifetime_label(),
        "comment": comment,
        "text": plain_text(comment) if comment else "",
        "post_title": comment.post.title if comment else "",
    }
    subject = "Confirm your email address for comments"
    if comment:
        subject += f" on “{Truncator(comment.post.title).chars(60)}”"
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("blog/comments/email/confirm_email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[confirmation.email],
    )
    message.attach_alternative(
        render_to_string("blog/comments/email/confirm_email.html", context), "text/html"
    )
    return message.send()
