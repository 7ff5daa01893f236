"""Webhooks as a receiver meets them: POSTs to a real socket, verified with the
Standard Webhooks library, for every event, after the transaction commits, retried with
backoff, never to private addresses, never with a commenter's email or address."""

import datetime
import json

from django.db import transaction
from django.utils import timezone

from wagtail.models import Page, Site

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from blog.comments.moderation import moderate
from blog.models import BlogPostPage
from headless.delivery import claim, deliver_webhook, send_again
from headless.events import send_event
from headless.models import Event, WebhookDelivery
from tests.comments.conftest import make_comment
from tests.conftest import build_post

Status = WebhookDelivery.Status


def verified(request, endpoint):
    """The payload, if the Standard Webhooks library accepts its signature."""
    return Webhook(endpoint.secret).verify(request["body"], request["headers"])


def payloads(receiver, endpoint):
    return [verified(request, endpoint) for request in receiver.received]


def test_publishing_a_page_sends_a_signed_page_published(
    seed_post, receiver, make_endpoint, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint([Event.PAGE_PUBLISHED])
    with django_capture_on_commit_callbacks(execute=True):
        revision = seed_post.save_revision()
        revision.publish()

    [request] = receiver.received
    assert request["path"] == "/hooks?source=cms"
    assert request["headers"]["Content-Type"] == "application/json"
    payload = verified(request, endpoint)
    assert payload["type"] == "page.published"
    data = payload["data"]
    assert data["id"] == seed_post.pk
    assert data["type"] == "blog.BlogPostPage"
    assert data["revision_id"] == revision.pk
    assert data["url"] == seed_post.get_full_url()
    assert data["api_url"].endswith(f"/api/v3/pages/{seed_post.pk}/")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.DELIVERED, 1)
    assert delivery.response_code == 204
    assert delivery.message_id == request["headers"]["webhook-id"]
    assert delivery.duration_ms is not None


def test_a_forged_or_altered_delivery_fails_verification(
    seed_post, receiver, make_endpoint, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint([Event.PAGE_PUBLISHED])
    with django_capture_on_commit_callbacks(execute=True):
        seed_post.save_revision().publish()
    [request] = receiver.received
    altered = request["body"].replace(b'"page.published"', b'"page.deleted"')
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(altered, request["headers"])
    other = make_endpoint([Event.PAGE_PUBLISHED])
    with pytest.raises(WebhookVerificationError):
        Webhook(other.secret).verify(request["body"], request["headers"])


def test_unpublish_move_and_delete(
    seed_post, blog_index, receiver, make_endpoint, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint(
        [Event.PAGE_UNPUBLISHED, Event.PAGE_MOVED, Event.PAGE_DELETED], include_drafts=True
    )
    post = build_post(blog_index, 1)
    home = blog_index.get_parent()
    with django_capture_on_commit_callbacks(execute=True):
        post.unpublish()
    with django_capture_on_commit_callbacks(execute=True):
        Page.objects.get(pk=post.pk).move(home, pos="last-child")
    with django_capture_on_commit_callbacks(execute=True):
        Page.objects.get(pk=post.pk).delete()

    unpublished, moved, deleted = payloads(receiver, endpoint)
    assert (unpublished["type"], unpublished["data"]["id"]) == ("page.unpublished", post.pk)
    assert unpublished["data"]["live"] is False
    assert moved["type"] == "page.moved"
    assert (moved["data"]["previous_parent_id"], moved["data"]["parent_id"]) == (
        blog_index.pk,
        home.pk,
    )
    assert deleted["type"] == "page.deleted"
    assert (deleted["data"]["id"], deleted["data"]["type"]) == (post.pk, "blog.BlogPostPage")
    assert deleted["data"]["title"] == post.title  # this endpoint asked for drafts


def test_deleting_a_site_root_with_its_site_still_works_and_is_announced(
    seed_post, receiver, make_endpoint, django_capture_on_commit_callbacks
):
    """As the seed loader does to Wagtail's welcome page: the Site row goes in the same
    delete, before the page's signal is sent."""
    endpoint = make_endpoint([Event.PAGE_DELETED])
    home = Page.get_first_root_node().add_child(
        instance=Page(title="Second site home", slug="second-home")
    )
    Site.objects.create(hostname="second.example", root_page=home)
    with django_capture_on_commit_callbacks(execute=True):
        Page.objects.get(pk=home.pk).delete()

    assert not Page.objects.filter(pk=home.pk).exists()
    [payload] = payloads(receiver, endpoint)
    assert (payload["type"], payload["data"]["id"]) == ("page.deleted", home.pk)


def test_a_draft_title_reaches_only_endpoints_that_asked_for_drafts(
    seed_post, blog_index, receiver, make_endpoint, django_capture_on_commit_callbacks
):
    post = build_post(blog_index, 2, title="Secret embargoed finding")
    post.unpublish()
    without = make_endpoint([Event.PAGE_DELETED])
    with_drafts = make_endpoint([Event.PAGE_DELETED], include_drafts=True)
    with django_capture_on_commit_callbacks(execute=True):
        Page.objects.get(pk=post.pk).delete()

    by_endpoint = {
        request["headers"]["webhook-signature"]: request for request in receiver.received
    }
    assert len(by_endpoint) == 2
    bodies = {
        endpoint.pk: next(
            request["body"] for request in by_endpoint.values() if _verifies(request, endpoint)
        )
        for endpoint in (without, with_drafts)
    }
    assert b"Secret embargoed finding" not in bodies[without.pk]
    assert json.loads(bodies[without.pk])["data"]["id"] == post.pk
    assert b"Secret embargoed finding" in bodies[with_drafts.pk]


def _verifies(request, endpoint):
    try:
        verified(request, endpoint)
    except WebhookVerificationError:
        return False
    return True


def test_comment_events_carry_status_and_thread_position_but_no_personal_data(
    seed_post, receiver, make_endpoint, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint(
        [Event.COMMENT_CREATED, Event.COMMENT_STATUS_CHANGED, Event.COMMENT_DELETED]
    )
    parent = make_comment(seed_post)
    with django_capture_on_commit_callbacks(execute=True):
        reply = make_comment(
            seed_post,
            parent=parent,
            status="pending",
            author_email="private.reader@example.com",
            ip_address="203.0.113.77",
            body="Unpublished words of a held reply",
        )
    with django_capture_on_commit_callbacks(execute=True):
        moderate([reply.pk], "approve", None)
    with django_capture_on_commit_callbacks(execute=True):
        moderate([reply.pk], "trash", None)
    with django_capture_on_commit_callbacks(execute=True):
        moderate([reply.pk], "delete", None)

    created, approved, trashed, deleted = payloads(receiver, endpoint)
    assert created["type"] == "comment.created"
    assert created["data"] | {"created_at": None} == {
        "id": reply.pk,
        "post_id": seed_post.pk,
        "parent_id": parent.pk,
        "status": "pending",
        "depth": 1,
        "thread_path": reply.thread_path,
        "created_at": None,
        "api_url": f"http://testserver/api/v3/comments/{reply.pk}/",
    }
    assert (approved["type"], approved["data"]["from"], approved["data"]["to"]) == (
        "comment.status_changed",
        "pending",
        "approved",
    )
    assert (trashed["data"]["from"], trashed["data"]["to"]) == ("approved", "trash")
    assert (deleted["type"], deleted["data"]["id"]) == ("comment.deleted", reply.pk)
    everything = b"".join(request["body"] for request in receiver.received)
    for private in (b"private.reader", b"203.0.113.77", b"Unpublished words", b"@"):
        assert private not in everything


def test_a_comment_posted_through_the_api_is_announced_without_its_author(
    client, settings, seed_post, receiver, make_endpoint, django_capture_on_commit_callbacks
):
    settings.COMMENTS_MIN_SECONDS_TO_POST = 0
    endpoint = make_endpoint([Event.COMMENT_CREATED])
    token = client.get("/api/v3/comments/form-token/", {"page": seed_post.pk}).json()["token"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v3/comments/",
            {
                "page": seed_post.pk,
                "author_name": "Ada Reader",
                "author_email": "ada@private.example",
                "author_url": "https://ada.example.org",
                "body": "Has anyone tried this for calf cramps at night?",
                "token": token,
            },
            content_type="application/json",
        )
    assert response.status_code == 201

    [payload] = payloads(receiver, endpoint)
    assert payload["data"]["id"] == response.json()["id"]
    assert payload["data"]["status"] == response.json()["status"] == "pending"
    assert payload["data"]["thread_path"] == str(response.json()["id"]).zfill(10)
    body = receiver.received[0]["body"]
    for private in (b"Ada", b"private.example", b"ada.example.org", b"calf cramps", b"127.0.0"):
        assert private not in body


def test_only_active_endpoints_that_want_the_event_receive_it(
    seed_post, receiver, make_endpoint, django_capture_on_commit_callbacks
):
    make_endpoint([Event.COMMENT_CREATED])
    make_endpoint([Event.PAGE_PUBLISHED], is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        seed_post.save_revision().publish()
    assert receiver.received == []
    assert not WebhookDelivery.objects.exists()


def test_an_endpoint_added_after_a_comment_receives_the_next_and_a_deleted_one_does_not(
    seed_post, receiver, make_endpoint, django_capture_on_commit_callbacks
):
    """The endpoints are kept per process between events: adding, switching off or
    deleting one is seen by the very next event."""
    with django_capture_on_commit_callbacks(execute=True):
        make_comment(seed_post, body="Nobody listens yet.")
    assert not WebhookDelivery.objects.exists()

    endpoint = make_endpoint([Event.COMMENT_CREATED])
    with django_capture_on_commit_callbacks(execute=True):
        first = make_comment(seed_post, body="Now someone does.")
    assert [payload["data"]["id"] for payload in payloads(receiver, endpoint)] == [first.pk]

    endpoint.is_active = False
    endpoint.save()
    with django_capture_on_commit_callbacks(execute=True):
        make_comment(seed_post, body="Switched off.")
    endpoint.is_active = True
    endpoint.save()
    with django_capture_on_commit_callbacks(execute=True):
        second = make_comment(seed_post, body="Switched on again.")
    assert [payload["data"]["id"] for payload in payloads(receiver, endpoint)] == [
        first.pk,
        second.pk,
    ]

    endpoint.delete()
    with django_capture_on_commit_callbacks(execute=True):
        make_comment(seed_post, body="Gone again.")
    assert len(receiver.received) == 2
    assert not WebhookDelivery.objects.exists()  # deleted with their endpoint


def test_a_site_without_endpoints_asks_for_them_once(
    seed_post, django_capture_on_commit_callbacks, django_assert_num_queries
):
    with django_capture_on_commit_callbacks(execute=True):
        make_comment(seed_post, body="The first event reads the endpoints.")
    comment = make_comment(seed_post, body="The next one does not.")
    with django_assert_num_queries(0):
        assert (
            send_event(Event.COMMENT_CREATED, lambda: {"id": comment.pk}, occurred_at="now") == []
        )


def test_nothing_is_sent_for_a_transaction_that_rolls_back(
    seed_post, receiver, make_endpoint, django_capture_on_commit_callbacks
):
    make_endpoint([Event.COMMENT_CREATED])
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        make_comment(seed_post)
        raise RuntimeError("the request failed after storing")
    assert callbacks == []
    assert receiver.received == []


def webhook_runs(queue):
    return [result for result in queue.results if result.task.func is deliver_webhook.func]


def test_a_failure_is_retried_after_its_delay_then_delivered(
    seed_post, receiver, make_endpoint, deferring_queue, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint([Event.PAGE_PUBLISHED])
    receiver.answers = [500]
    with django_capture_on_commit_callbacks(execute=True):
        seed_post.save_revision().publish()
    [first_run] = webhook_runs(deferring_queue)
    assert first_run.task.run_after is None
    delivery = WebhookDelivery.objects.get()
    deliver_webhook.call(*first_run.args)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (Status.PENDING, 1, 500)
    assert "Answered 500" in delivery.last_error
    retry = webhook_runs(deferring_queue)[-1]
    wait = (retry.task.run_after - timezone.now()).total_seconds()
    assert 3 < wait <= 5  # HEADLESS_WEBHOOK_RETRY_DELAYS[0]
    assert retry.task.run_after == delivery.next_attempt_at
    assert deliver_webhook.call(delivery.pk) is None  # too early: nothing is sent

    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert deliver_webhook.call(delivery.pk) == Status.DELIVERED
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.response_code, delivery.last_error) == (2, 204, "")
    first, second = receiver.received
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]
    assert first["body"] == second["body"]
    assert verified(second, endpoint)["type"] == "page.published"


def test_a_delivery_is_given_up_after_the_last_retry_and_can_be_sent_again(
    settings, seed_post, receiver, make_endpoint, deferring_queue
):
    settings.HEADLESS_WEBHOOK_RETRY_DELAYS = [0]
    receiver.answers = [503, 503]
    make_endpoint([Event.PAGE_PUBLISHED])
    delivery = _queued_delivery(seed_post)
    deliver_webhook.call(delivery.pk)
    assert deliver_webhook.call(delivery.pk) == Status.FAILED
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.next_attempt_at) == (2, None)

    send_again(delivery)
    assert deliver_webhook.call(delivery.pk) == Status.DELIVERED
    assert len(receiver.received) == 3


def _queued_delivery(post):
    from headless.events import page_data, send_event

    [delivery] = send_event(
        Event.PAGE_PUBLISHED, lambda: page_data(post), occurred_at=timezone.now().isoformat()
    )
    return delivery


def test_a_redirect_is_not_followed(seed_post, receiver, make_endpoint):
    receiver.answers = [302]
    make_endpoint([Event.PAGE_PUBLISHED])
    delivery = _queued_delivery(seed_post)  # the immediate queue sends it at once
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED  # a queue that cannot defer tries once
    assert delivery.response_code == 302
    assert "not followed" in delivery.last_error
    assert len(receiver.received) == 1


def test_a_slow_receiver_times_out(settings, seed_post, receiver, make_endpoint):
    settings.HEADLESS_WEBHOOK_TIMEOUT_SECONDS = 0.3
    receiver.answers = [("sleep", 1)]
    make_endpoint([Event.PAGE_PUBLISHED])
    delivery = _queued_delivery(seed_post)
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert "timed out" in delivery.last_error.lower()


def test_a_delivery_claimed_by_another_worker_is_not_sent_twice(
    seed_post, receiver, make_endpoint, deferring_queue
):
    make_endpoint([Event.PAGE_PUBLISHED])
    delivery = _queued_delivery(seed_post)
    assert claim(delivery.pk)  # another worker is sending it right now
    assert deliver_webhook.call(delivery.pk) is None
    assert receiver.received == []
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        claimed_until=timezone.now() - datetime.timedelta(seconds=1), status=Status.DELIVERED
    )
    assert deliver_webhook.call(delivery.pk) is None  # done is done
    assert receiver.received == []


def test_a_delivery_whose_sender_died_is_sent_once_its_hold_ends(
    seed_post, receiver, make_endpoint, deferring_queue
):
    make_endpoint([Event.PAGE_PUBLISHED])
    delivery = _queued_delivery(seed_post)
    deferring_queue.clear()
    assert claim(delivery.pk)  # the worker sending it is killed here
    held_until = WebhookDelivery.objects.get(pk=delivery.pk).claimed_until

    assert deliver_webhook.call(delivery.pk) is None  # db_worker ran the task again
    [look_again] = deferring_queue.results
    assert (look_again.args, look_again.task.run_after) == ([delivery.pk], held_until)
    assert receiver.received == []

    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        claimed_until=timezone.now() - datetime.timedelta(seconds=1)
    )  # the hold has ended
    assert deliver_webhook.call(delivery.pk) == Status.DELIVERED
    assert len(receiver.received) == 1


@pytest.mark.parametrize("allowed", [[], ["10.0.0.0/8"]])
def test_loopback_is_refused_at_send_time_unless_allowed(
    settings, seed_post, receiver, make_endpoint, allowed
):
    make_endpoint([Event.PAGE_PUBLISHED])
    settings.HEADLESS_WEBHOOK_ALLOWED_NETWORKS = allowed
    delivery = _queued_delivery(seed_post)
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert "127.0.0.1 is a loopback" in delivery.last_error
    assert receiver.received == []


def test_the_post_page_types_still_publish_without_endpoints(seed_post):
    seed_post.save_revision().publish()
    assert BlogPostPage.objects.get(pk=seed_post.pk).live
