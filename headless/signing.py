"""
Signatures as the Standard Webhooks specification defines them, so a receiver verifies
ours with the spec's published libraries: ``webhook-signature`` is ``v1,`` and the base64
HMAC-SHA256, keyed with the secret's decoded bytes, of ``{webhook-id}.{timestamp}.{body}``.
"""

import base64
import binascii
import hashlib
import hmac
import secrets
import time

SECRET_PREFIX = "whsec_"  # noqa: S105 (a format marker, not a secret)
# The spec asks for secrets of 24 to 64 bytes.
SECRET_MIN_BYTES = 24
SECRET_MAX_BYTES = 64


class InvalidSecret(ValueError):
    pass


def new_secret():
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_key(secret):
    """The key bytes of a ``whsec_`` secret; raises InvalidSecret with a message an
    administrator can act on."""
    if not secret.startswith(SECRET_PREFIX):
        raise InvalidSecret(f"The secret must start with “{SECRET_PREFIX}”.")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError) as error:
        raise InvalidSecret(f"After “{SECRET_PREFIX}” the secret must be base64.") from error
    if not SECRET_MIN_BYTES <= len(key) <= SECRET_MAX_BYTES:
        raise InvalidSecret(
            f"The secret must decode to {SECRET_MIN_BYTES} to {SECRET_MAX_BYTES} bytes "
            f"(it has {len(key)})."
        )
    return key


def new_message_id():
    return f"msg_{secrets.token_urlsafe(18)}"


def signature_headers(secret, message_id, body, timestamp=None):
    """The three headers for one attempt. The timestamp is the attempt's own, so a
    retry hours later is not refused as stale by a receiver's tolerance window."""
    timestamp = str(int(time.time() if timestamp is None else timestamp))
    signed = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return {
        "webhook-id": message_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }
