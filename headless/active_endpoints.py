"""
The active webhook endpoints, read once per change rather than once per event.

Every comment, publication and moderation announces an event, and most sites have no
endpoint at all: asking the database each time cost every comment POST a query. Each
process keeps the endpoints it last read under a version held in the shared cache; saving
or deleting an endpoint replaces the version (at once, and again when the change commits,
so a process that read the rows before the commit reads them again), and every process
reads the rows afresh at its next event. Without a version (the cache is down) the rows
are read every time, as before.
"""

import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from .models import WebhookEndpoint

VERSION_KEY = "headless:webhook-endpoints-version"

# (version, endpoints), replaced whole so a thread never pairs one version with
# another's rows.
_known = (None, ())


def active_endpoints():
    """The active endpoints, as a tuple of ``WebhookEndpoint`` rows (read-only)."""
    global _known
    version = current_version()
    known_version, known_endpoints = _known
    if version is not None and version == known_version:
        return known_endpoints
    endpoints = tuple(WebhookEndpoint.objects.filter(is_active=True))
    if version is not None:
        _known = (version, endpoints)
    return endpoints


def current_version():
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(VERSION_KEY)
    return version


def replace_version():
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


def on_endpoint_changed(sender, **kwargs):
    replace_version()
    transaction.on_commit(replace_version, robust=True)


def connect_invalidation_signals():
    post_save.connect(
        on_endpoint_changed, sender=WebhookEndpoint, dispatch_uid="headless_endpoint_saved"
    )
    post_delete.connect(
        on_endpoint_changed, sender=WebhookEndpoint, dispatch_uid="headless_endpoint_deleted"
    )
