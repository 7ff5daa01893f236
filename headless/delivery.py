"""
Sending webhooks: from the task worker, after the transaction that caused them commits.

Each delivery is claimed before it is sent (a conditional UPDATE), so when several
workers run, or a task is queued twice, one event reaches an endpoint once. A failed
attempt (an error, a timeout, any answer but 2xx, a redirect, which is never followed) is
tried again after ``HEADLESS_WEBHOOK_RETRY_DELAYS`` (seconds, one per retry); after the
last one the delivery is given up and shown as such in the admin, where it can be sent
again. A queue that cannot defer (development's and the tests' immediate backend) tries
once: an endpoint that is down must not hold up an editor's request.
"""

import datetime
import http.client
import socket
import ssl
import time

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from django_tasks import task

from .destinations import RefusedDestination, resolve
from .models import WebhookDelivery
from .signing import signature_headers

Status = WebhookDelivery.Status
USER_AGENT = "EvidenceNotes-Webhooks/1"
# Enough of an answer to show an administrator what went wrong.
ERROR_BODY_BYTES = 200


class PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, whatever the name resolves to now."""

    def __init__(self, destination, timeout):
        super().__init__(destination.host, destination.port, timeout=timeout)
        self.pinned_address = destination.address

    def connect(self):
        self.sock = socket.create_connection((self.pinned_address, self.port), self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, destination, timeout):
        super().__init__(
            destination.host,
            destination.port,
            timeout=timeout,
            context=ssl.create_default_context(),
        )
        self.pinned_address = destination.address

    def connect(self):
        sock = socket.create_connection((self.pinned_address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class AttemptFailed(Exception):
    def __init__(self, message, response_code=None):
        super().__init__(message)
        self.response_code = response_code


def post(url, body, headers):
    """POST once; returns the response code of a 2xx answer, raises AttemptFailed."""
    destination = resolve(url)
    connection_class = (
        PinnedHTTPSConnection if destination.scheme == "https" else PinnedHTTPConnection
    )
    connection = connection_class(destination, timeout=settings.HEADLESS_WEBHOOK_TIMEOUT_SECONDS)
    try:
        connection.request("POST", destination.path, body=body.encode(), headers=headers)
        response = connection.getresponse()
        answer = response.read(ERROR_BODY_BYTES)
    except (OSError, http.client.HTTPException) as error:
        raise AttemptFailed(f"{type(error).__name__}: {error}") from error
    finally:
        connection.close()
    if 200 <= response.status < 300:
        return response.status
    if 300 <= response.status < 400:
        message = f"Redirected to {response.getheader('Location', '?')} (not followed)."
    else:
        message = f"Answered {response.status}: {answer.decode(errors='replace')}"
    raise AttemptFailed(message, response_code=response.status)


def claim(delivery_id):
    now = timezone.now()
    hold = datetime.timedelta(seconds=settings.HEADLESS_WEBHOOK_TIMEOUT_SECONDS * 3 + 30)
    return bool(
        WebhookDelivery.objects.filter(pk=delivery_id, status=Status.PENDING)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(claimed_until=now + hold, attempts=F("attempts") + 1, last_attempt_at=now)
    )


def endpoint_line(endpoint_id):
    """The ordering key of an endpoint's deliveries: ``db_worker`` sends one endpoint's
    deliveries one at a time in the order they were queued, and different endpoints' side
    by side."""
    return f"webhook-endpoint-{endpoint_id}"


def queue(delivery, run_after=None):
    task_to_run = deliver_webhook.using(run_after=run_after) if run_after else deliver_webhook
    task_to_run.enqueue(delivery.pk, ordering_key=endpoint_line(delivery.endpoint_id))


def can_retry_later():
    return deliver_webhook.get_backend().supports_defer


@task()
def deliver_webhook(delivery_id, ordering_key=None):
    """Send one delivery if no other worker has it; returns its status afterwards.

    ``ordering_key`` is for the worker that takes the task (``endpoint_line``); a task
    queued without one, before keys existed, waits for every other delivery instead."""
    if not claim(delivery_id):
        look_again_when_the_hold_ends(delivery_id)
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    headers = {
        **signature_headers(endpoint.secret, delivery.message_id, delivery.body),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }
    started = time.monotonic()
    try:
        if not endpoint.is_active:
            raise AttemptFailed("The endpoint was switched off before this was sent.")
        delivery.response_code = post(endpoint.url, delivery.body, headers)
        delivery.status, delivery.last_error = Status.DELIVERED, ""
        delivery.next_attempt_at = None
    except (AttemptFailed, RefusedDestination) as error:
        delivery.response_code = getattr(error, "response_code", None)
        delivery.last_error = str(error)[:500]
        retry_in = None
        if endpoint.is_active and can_retry_later():
            retry_in = retry_delay(delivery.attempts)
        if retry_in is None:
            delivery.status, delivery.next_attempt_at = Status.FAILED, None
        else:
            delivery.next_attempt_at = timezone.now() + retry_in
    delivery.duration_ms = round((time.monotonic() - started) * 1000)
    delivery.claimed_until = None
    delivery.save(
        update_fields=[
            "status",
            "response_code",
            "last_error",
            "duration_ms",
            "next_attempt_at",
            "claimed_until",
        ]
    )
    if delivery.status == Status.PENDING:
        queue(delivery, run_after=delivery.next_attempt_at)
    return delivery.status


def look_again_when_the_hold_ends(delivery_id):
    """Another run holds this delivery: a worker sending it now, or one that died or lost
    the database while sending (``db_worker`` then queues that task again, and this is
    that second run). Looking again once the hold ends sends a delivery whose sender is
    gone, where returning would leave it pending for ever; if the sender finished, that
    look finds it delivered or rescheduled, and stops."""
    held = (
        WebhookDelivery.objects.filter(
            pk=delivery_id, status=Status.PENDING, claimed_until__gt=timezone.now()
        )
        .values_list("claimed_until", "endpoint_id")
        .first()
    )
    if held is not None and can_retry_later():
        held_until, endpoint_id = held
        deliver_webhook.using(run_after=held_until).enqueue(
            delivery_id, ordering_key=endpoint_line(endpoint_id)
        )


def retry_delay(attempts_made):
    """How long to wait after this many attempts, or None when it is time to give up."""
    delays = settings.HEADLESS_WEBHOOK_RETRY_DELAYS
    if attempts_made > len(delays):
        return None
    return datetime.timedelta(seconds=delays[attempts_made - 1])


def send_again(delivery):
    """An administrator's "send again": the same message id and body, a new schedule."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=Status.PENDING, attempts=0, next_attempt_at=None, claimed_until=None
    )
    queue(delivery)
