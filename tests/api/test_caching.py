"""ETag, Cache-Control, 304, invalidation by publishing and moderation, and CORS."""

import datetime

from django.utils import timezone

import pytest

from blog.comments.models import Comment, CommentSettings

pytestmark = pytest.mark.django_db


def test_get_carries_etag_and_max_age(client, seed_post, settings):
    settings.API_CACHE_MAX_AGE = 120

    response = client.get("/api/v3/posts/")

    assert response["ETag"].startswith('"')
    assert "max-age=120" in response["Cache-Control"]
    assert "public" in response["Cache-Control"]


def test_conditional_get_answers_304(client, seed_post):
    client.get(f"/api/v2/pages/{seed_post.pk}/")  # the first read stores the renditions
    etag = client.get(f"/api/v2/pages/{seed_post.pk}/")["ETag"]

    response = client.get(f"/api/v2/pages/{seed_post.pk}/", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response["ETag"] == etag
    assert (
        client.get(f"/api/v2/pages/{seed_post.pk}/", HTTP_IF_NONE_MATCH='"other"').status_code
        == 200
    )


def test_publishing_changes_etag_and_content(client, seed_post):
    url = f"/api/v3/pages/{seed_post.pk}/"
    before = client.get(url)

    seed_post.title = "Dry needling and cramps, revisited"
    seed_post.save_revision().publish()

    after = client.get(url, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after.json()["title"] == "Dry needling and cramps, revisited"


def test_unpublishing_invalidates_the_listing(client, seed_post):
    before = client.get("/api/v3/posts/")
    assert before.json()["count"] == 1

    seed_post.unpublish()

    after = client.get("/api/v3/posts/", HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after.json()["count"] == 0


def test_moderation_invalidates_the_thread_and_counts(client, seed_post, make_comment):
    comment = make_comment(seed_post, status=Comment.Status.PENDING)
    thread_url = f"/api/v3/comments/?page={seed_post.pk}"
    thread = client.get(thread_url)
    listing = client.get("/api/v3/posts/")
    assert thread.json()["count"] == 0

    comment.status = Comment.Status.APPROVED
    comment.save()

    fresh_thread = client.get(thread_url, HTTP_IF_NONE_MATCH=thread["ETag"])
    fresh_listing = client.get("/api/v3/posts/", HTTP_IF_NONE_MATCH=listing["ETag"])
    assert fresh_thread.status_code == 200
    assert fresh_thread.json()["count"] == 1
    assert fresh_listing.json()["items"][0]["comment_count"] == 1


def test_a_comment_on_one_post_leaves_other_threads_cached(
    client, seed_post, make_posts, make_comment
):
    other = make_posts(1)[0]
    other_thread = client.get(f"/api/v3/comments/?page={other.pk}")

    make_comment(seed_post)

    again = client.get(
        f"/api/v3/comments/?page={other.pk}", HTTP_IF_NONE_MATCH=other_thread["ETag"]
    )
    assert again.status_code == 304


def test_token_requests_are_never_cached(client, seed_post, moderator_token):
    response = client.get("/api/v3/posts/", HTTP_AUTHORIZATION=f"Bearer {moderator_token}")

    assert "ETag" not in response
    assert "no-store" in response["Cache-Control"]


def test_errors_are_not_cached(client, seed_post):
    response = client.get("/api/v3/pages/999999/")

    assert response.status_code == 404
    assert "ETag" not in response


def test_cors_allows_configured_origins_on_api_only(client, seed_post, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.org"]

    api = client.get("/api/v3/posts/", HTTP_ORIGIN="https://app.example.org")
    other = client.get("/api/v3/posts/", HTTP_ORIGIN="https://evil.example")
    site = client.get("/blog/", HTTP_ORIGIN="https://app.example.org")

    assert api["Access-Control-Allow-Origin"] == "https://app.example.org"
    assert "ETag" in api["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Origin" not in other
    assert "Access-Control-Allow-Origin" not in site


def test_cors_preflight_for_posting_a_comment(client, seed_post, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.org"]

    response = client.options(
        "/api/v3/comments/",
        HTTP_ORIGIN="https://app.example.org",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://app.example.org"


def test_a_post_closing_by_age_overnight_is_not_answered_from_cache(client, seed_post, monkeypatch):
    """Close-after-N-days closes a post when the date passes, with nothing saved; the next
    day's answers are built afresh, so apps see comments_open turn false."""
    rules = CommentSettings.load()
    rules.close_after_days = (datetime.date.today() - seed_post.date).days + 1
    rules.save()
    url = f"/api/v3/pages/{seed_post.pk}/"
    today = client.get(url)
    assert today.json()["comments_open"] is True

    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    answer = client.get(url, HTTP_IF_NONE_MATCH=today["ETag"])

    assert answer.status_code == 200
    assert answer.json()["comments_open"] is False


def test_a_held_comment_keeps_every_cached_answer_and_its_approval_replaces_them(
    client, seed_post, settings
):
    """Readers see nothing of a held comment, so storing one changes no ETag; approving
    it (or changing one that was approved) does."""
    settings.COMMENTS_MIN_SECONDS_TO_POST = 0
    CommentSettings.load()  # made on first use, which (like any change to it) is a change
    thread_url = f"/api/v3/comments/?page={seed_post.pk}"
    thread = client.get(thread_url)
    token = client.get("/api/v3/comments/form-token/", {"page": seed_post.pk}).json()["token"]

    posted = client.post(
        "/api/v3/comments/",
        {
            "page": seed_post.pk,
            "author_name": "New Reader",
            "author_email": "new.reader@example.com",
            "body": "My first comment here.",
            "token": token,
        },
        content_type="application/json",
    )
    assert posted.json()["status"] == "pending"
    assert client.get(thread_url, HTTP_IF_NONE_MATCH=thread["ETag"]).status_code == 304

    held = Comment.objects.get(pk=posted.json()["id"])
    held.body = "Edited while still held."
    held.save()
    assert client.get(thread_url, HTTP_IF_NONE_MATCH=thread["ETag"]).status_code == 304

    held.status = Comment.Status.APPROVED
    held.save()
    approved = client.get(thread_url, HTTP_IF_NONE_MATCH=thread["ETag"])
    assert approved.status_code == 200

    held.status = Comment.Status.TRASH
    held.save()
    assert client.get(thread_url, HTTP_IF_NONE_MATCH=approved["ETag"]).status_code == 200
