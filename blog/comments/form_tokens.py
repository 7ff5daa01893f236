"""
The comment form's token: a signed note of which post the form was shown for, when, to
which reader, and a random id that lets it be used once.

It carries the bot traps that need no JavaScript (a form posted faster than a person can
type, or for another post, is stored as spam with the reason) and keeps one page load
from posting comment after comment: a token is bound to the address (an IPv6 /64) and
browser it was issued to, and the comment it posts uses it up. A reader whose token is
refused keeps what they typed and gets a fresh token with the message.

Pages served from the whole-page cache carry a placeholder instead (``placeholder``),
which ``cms.page_cache`` replaces with a token issued now for the reader at hand
(``fill_placeholders``, registered in ``apps.py``).

Single use and binding belong to the rate limits: ``COMMENTS_RATE_LIMITS=off`` (the
benchmarks) switches them off with the flood and timing rules.
"""

import hashlib
import re
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing

from . import limits
from .addresses import InvalidClientAddress, client_ip, rate_limit_key

SALT = "blog.comments.form-token"
PLACEHOLDER_PREFIX = "__page_cache_form_token_"  # noqa: S105 (not a secret)
PLACEHOLDER = re.compile(re.escape(PLACEHOLDER_PREFIX.encode()) + rb"(\d+)__")

ANOTHER_READER = (
    "This form was opened in another browser or on another network. Your comment is kept "
    "below: please send it again."
)
ALREADY_USED = (
    "This form has already sent a comment. Your comment is kept below: please send it again."
)


@dataclass(frozen=True)
class Reader:
    """Who a token is issued to, or who is posting with it."""

    address: str | None
    user_agent: str = ""

    @classmethod
    def of(cls, request):
        try:
            address = client_ip(request)
        except InvalidClientAddress:
            address = None  # the POST is refused for it; the page is still served
        return cls(address, request.headers.get("User-Agent", ""))

    @property
    def binding(self):
        material = f"{rate_limit_key(self.address) or ''}\n{self.user_agent}"
        return hashlib.sha256(material.encode()).hexdigest()[:16]


def issue(post_id, reader):
    return signing.dumps(
        {
            "post": post_id,
            "shown": time.time(),
            "once": secrets.token_urlsafe(12),
            "reader": reader.binding,
        },
        salt=SALT,
    )


def placeholder(post_id):
    """What a page rendered for the whole-page cache holds instead of a token."""
    return f"{PLACEHOLDER_PREFIX}{post_id}__"


def fill_placeholder(request, match):
    return issue(int(match[1]), Reader.of(request)).encode()


def read(token, max_age=None):
    """The token's payload, or None when it is missing or forged. Raises
    ``signing.SignatureExpired`` past ``max_age``."""
    try:
        return signing.loads(token or "", salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise
    except signing.BadSignature:
        return None


@dataclass(frozen=True)
class SentToken:
    """A token as a POST sent it, its signature checked once for every question the
    request asks of it (the signature check is most of what a token costs).

    ``payload`` is None when the token is missing, forged or expired."""

    payload: dict | None
    expired: bool = False

    @property
    def once(self):
        return (self.payload or {}).get("once")


def decode(token):
    """Check ``token``'s signature and age (``COMMENTS_FORM_MAX_AGE``) once."""
    try:
        return SentToken(read(token, max_age=settings.COMMENTS_FORM_MAX_AGE))
    except signing.SignatureExpired:
        return SentToken(None, expired=True)


def bot_reason(sent, post):
    """Why a form token (a ``SentToken``, not expired) betrays a bot, or None when it
    looks like a person's."""
    payload = sent.payload
    if payload is None:
        return "Missing or forged form token"
    if payload.get("post") != post.pk:
        return "Form token was issued for another post"
    if not settings.COMMENTS_RATE_LIMITS_ENABLED:
        return None
    elapsed = time.time() - float(payload.get("shown", 0))
    minimum = settings.COMMENTS_MIN_SECONDS_TO_POST
    if elapsed < minimum:
        return f"Posted {elapsed:.1f} s after the form was shown (minimum {minimum} s)"
    return None


def _used_key(once):
    return f"comments:form-token-used:{once}"


def refusal(sent, reader):
    """Why a signed token (a ``SentToken``) may not post for ``reader`` (issued to another
    reader, or already used), or None. Forged tokens are not refused here: they go to
    spam."""
    if not settings.COMMENTS_RATE_LIMITS_ENABLED:
        return None
    payload = sent.payload
    if payload is None:
        return None
    if payload.get("reader") != reader.binding:
        return ANOTHER_READER
    if sent.once is None or limits.store().get(_used_key(sent.once)) is not None:
        return ALREADY_USED
    return None


def use_up(sent):
    """Mark the token (a ``SentToken``) used; False when another request used it first
    (the atomic part of ``refusal``'s check, taken just before the comment is stored)."""
    if not settings.COMMENTS_RATE_LIMITS_ENABLED:
        return True
    if sent.once is None:
        return True  # forged: stored as spam, nothing to use up
    return limits.claim_once(_used_key(sent.once), settings.COMMENTS_FORM_MAX_AGE)


def give_back(sent):
    """Undo ``use_up`` for a comment that was not stored after all."""
    if sent.once is not None:
        limits.store().delete(_used_key(sent.once))


def too_many_requests(reader):
    """Seconds to wait when ``reader``'s address has fetched its share of API form tokens
    this minute, else None."""
    if not settings.COMMENTS_RATE_LIMITS_ENABLED:
        return None
    address_key = rate_limit_key(reader.address) or "unknown"
    window = 60
    key = f"comments:form-token-requests:{address_key}:{int(time.time() // window)}"
    if limits.count_request(key, window) > settings.COMMENTS_FORM_TOKENS_PER_MINUTE:
        return window - int(time.time() % window)
    return None
