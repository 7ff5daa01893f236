"""
Where the comment rules keep what they count: flood windows, used form tokens and form
token requests per address.

These live in a cache of their own (``COMMENT_LIMITS_CACHE``), never in the one that
holds rendered pages: a memory cache evicts its oldest entries when full, and a few
hundred GETs of distinct URLs once emptied the flood windows that way. In production the
store is Redis, shared by every worker and app node (``cms.settings.production`` refuses
to start without it), so one address gets one window whichever worker answers it.

Every operation here is a single atomic cache command (``add``, ``incr``), so two
workers racing for the same slot cannot both win.

When the store does not answer, nothing here guesses: a rule that cannot be checked
would let a flood through, so every operation raises ``CommentRulesUnavailable`` and
the comment is refused with a 503 the reader can retry (``blog.comments.views``,
``blog.comments.api``).
"""

import functools
import time

from django.conf import settings
from django.core.cache import caches

from cms.redis_cache import CacheUnreachable

#: What a refused reader is told to wait: Redis restarts in seconds, and the store is
#: tried again a second after it failed (``cms.redis_cache.RETRY_SECONDS``).
RETRY_AFTER_SECONDS = 30


class CommentRulesUnavailable(Exception):
    """The store of the comment rules does not answer: the comment cannot be judged."""

    status_code = 503
    retry_after = RETRY_AFTER_SECONDS
    message = (
        "Comments cannot be checked right now, so yours was not sent. Please send it "
        f"again in {RETRY_AFTER_SECONDS} seconds."
    )


class _GuardedStore:
    """The cache, with every failure to answer turned into ``CommentRulesUnavailable``."""

    def __init__(self, cache):
        self._store = cache

    def __getattr__(self, name):
        operation = getattr(self._store, name)
        if not callable(operation):
            return operation

        @functools.wraps(operation)
        def guarded(*args, **kwargs):
            try:
                return operation(*args, **kwargs)
            except CacheUnreachable as error:
                raise CommentRulesUnavailable(CommentRulesUnavailable.message) from error

        return guarded


def store():
    return _GuardedStore(caches[settings.COMMENT_LIMITS_CACHE])


def take_slot(key, seconds):
    """Take ``key`` for ``seconds`` if it is free. Returns None when taken, else the
    number of seconds (at least 1) until the holder's slot frees up."""
    now = time.time()
    if store().add(key, now + seconds, timeout=seconds):
        return None
    expires_at = store().get(key) or now + seconds
    return max(1, int(expires_at - now + 0.999))


def free_slot(key):
    store().delete(key)


def claim_once(key, seconds):
    """True the first time ``key`` is claimed within ``seconds``, False ever after."""
    return store().add(key, 1, timeout=seconds)


def count_request(key, seconds):
    """Count one more request in a window of ``seconds`` that starts with the first one;
    returns how many the window holds now."""
    if store().add(key, 1, timeout=seconds):
        return 1
    try:
        return store().incr(key)
    except ValueError:  # the window ran out between add and incr
        store().add(key, 1, timeout=seconds)
        return 1
