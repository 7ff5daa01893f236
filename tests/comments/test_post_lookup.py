"""How long a worker trusts the post and the rules it read: changes made in the same
process apply at once, changes made by another worker within
COMMENTS_CONTENT_RECHECK_SECONDS, and a post deleted meanwhile refuses the comment with
a 4xx, never a 500."""

from django.core.cache import cache

import pytest

from blog.comments import post_lookup
from blog.comments.models import Comment, CommentSettings
from cms.api_cache import PAGES, VERSION_KEY_PREFIX, versions_replaced
from tests.comments.conftest import form_data, next_ip

pytestmark = pytest.mark.usefixtures("no_wait")


@pytest.fixture
def another_worker():
    """Content changes made here reach the cache but not this process's memory, as
    changes made by another gunicorn worker do."""
    versions_replaced.disconnect(dispatch_uid="comments_post_lookup_version")
    yield
    versions_replaced.connect(
        post_lookup.forget_version, dispatch_uid="comments_post_lookup_version"
    )


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(post_lookup, "monotonic", lambda: now[0])
    return now


def test_a_worker_asks_the_cache_again_after_the_recheck_interval(seed_post, clock, settings):
    settings.COMMENTS_CONTENT_RECHECK_SECONDS = 1
    first = post_lookup.pages_version()
    cache.set(VERSION_KEY_PREFIX + PAGES, "replaced-by-another-worker", None)

    clock[0] += 0.5
    assert post_lookup.pages_version() == first
    clock[0] += 0.5
    assert post_lookup.pages_version() == "replaced-by-another-worker"


def test_rules_saved_in_this_process_apply_to_the_next_comment(seed_post, client, clock):
    assert (
        client.post(
            f"/comments/post/{seed_post.pk}/",
            form_data(seed_post, ip="192.0.2.1"),
            REMOTE_ADDR="192.0.2.1",
        ).status_code
        == 303
    )

    rules = CommentSettings.load()
    rules.blocked_words = "cramp cure"
    rules.save()  # no time passes: the clock is frozen

    client.post(
        f"/comments/post/{seed_post.pk}/",
        form_data(
            seed_post, ip="192.0.2.2", author_email="b@example.com", body="The cramp cure they hide"
        ),
        REMOTE_ADDR="192.0.2.2",
    )
    assert Comment.objects.get(author_email="b@example.com").status == Comment.Status.SPAM


def test_comments_closed_by_another_worker_close_within_the_interval(
    seed_post, client, clock, another_worker
):
    def send(number):
        ip = next_ip()
        return client.post(
            f"/comments/post/{seed_post.pk}/",
            form_data(seed_post, ip=ip, author_email=f"r{number}@example.com", body=f"Hi {number}"),
            REMOTE_ADDR=ip,
        )

    assert send(1).status_code == 303
    seed_post.comments_enabled = False
    seed_post.save_revision().publish()

    clock[0] += 0.5
    assert send(2).status_code == 303  # within the second: as if it had come before
    clock[0] += 0.5
    refused = send(3)
    assert refused.status_code == 403
    assert Comment.objects.filter(author_email="r3@example.com").count() == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_post_deleted_by_another_worker_refuses_the_comment_without_an_error(
    seed_post, client, clock, another_worker
):
    token = client.get("/api/v3/comments/form-token/", {"page": seed_post.pk}).json()["token"]
    post_id = seed_post.pk
    assert post_lookup.live_post(post_id) is not None  # this worker has read the post

    seed_post.delete()

    api = client.post(
        "/api/v3/comments/",
        {
            "page": post_id,
            "author_name": "Ada",
            "author_email": "ada@example.com",
            "body": "Still there?",
            "token": token,
        },
        content_type="application/json",
    )
    assert api.status_code == 422
    assert api.json()["errors"] == [
        {"loc": ["body", "page"], "msg": "No published post has this id."}
    ]
    form = client.post(
        f"/comments/post/{post_id}/",
        {**form_data(seed_post, author_email="grace@example.com"), "token": token},
    )
    assert form.status_code == 404
    assert Comment.objects.count() == 0
