"""The author's edit window (blog/comments/editing.py), through the reader form and pages
and through the v3 API: what the author may do, what everyone else sees, and every
refusal leaving the comment exactly as it was."""

import datetime
import json

from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wagtail.models import ModelLogEntry

import pytest
from bs4 import BeautifulSoup

from blog.comments import editing
from blog.comments.bans import create_ban
from blog.comments.models import Comment, CommentSettings, CommentVersion
from blog.comments.moderation import moderate
from tests.comments.admin_users import make_moderator
from tests.comments.conftest import (
    api_submission,
    confirm_in,
    confirmed_proof,
    form_data,
    make_comment,
    next_ip,
)

pytestmark = pytest.mark.usefixtures("no_wait")

Status = Comment.Status
KNOWN_EMAIL = "ada@example.com"


@pytest.fixture
def known_author(seed_post):
    """Ada already has an approved comment, so her next one (from a browser or app that
    confirmed her address, ``blog.comments.verification``) is published at once."""
    return make_comment(seed_post, author_email=KNOWN_EMAIL, body="An earlier comment of mine.")


def reader():
    """A browser of its own: its own address, its own cookies."""
    ip = next_ip()
    return Client(REMOTE_ADDR=ip), ip


def post_through_form(post, body="Magnesium did nothing for my cramps.", **fields):
    client, ip = reader()
    fields.setdefault("author_email", KNOWN_EMAIL)
    confirm_in(client, fields["author_email"])
    response = client.post(
        f"/comments/post/{post.pk}/", form_data(post, ip=ip, body=body, **fields)
    )
    assert response.status_code == 303, response.content
    comment = Comment.objects.get(body=body)
    return client, comment, response


def edit_through_form(client, comment, body):
    """The author sends the edit form of their comment with ``body``, as a browser does."""
    return client.post(f"/comments/{comment.pk}/edit/", {"body": body})


def delete_through_form(client, comment):
    """The author confirms the delete form of their comment, as a browser does."""
    return client.post(f"/comments/{comment.pk}/delete/")


def snapshot(comment_id):
    """Everything an edit or delete could change, for "nothing changed" checks."""
    row = Comment.objects.filter(pk=comment_id).values().first()
    return (
        row,
        CommentVersion.objects.filter(comment_id=comment_id).count(),
        ModelLogEntry.objects.filter(action__startswith="comments.author").count(),
    )


def age(comment, seconds):
    Comment.objects.filter(pk=comment.pk).update(
        created_at=comment.created_at - datetime.timedelta(seconds=seconds)
    )


def html_of(response):
    return BeautifulSoup(response.content, "html.parser")


# Through the reader form


def test_posting_gives_the_browser_a_scoped_httponly_secret_and_stores_only_its_hash(
    seed_post, known_author
):
    client, comment, response = post_through_form(seed_post)
    secret = response.cookies[f"comment_edit_{comment.pk}"]
    assert secret["httponly"]
    assert secret["samesite"] == "Lax"
    assert secret["path"] == f"/comments/{comment.pk}/"
    assert int(secret["max-age"]) == 15 * 60
    assert comment.edit_secret_hash == editing.secret_hash(secret.value)
    assert secret.value not in comment.edit_secret_hash
    assert secret.value not in response["Location"]
    marker = response.cookies[f"comment_editable_{comment.pk}"]
    assert marker["path"] == seed_post.url
    assert marker["httponly"]


def test_the_author_edits_within_the_window_and_readers_see_edited(seed_post, known_author):
    client, comment, _ = post_through_form(seed_post)

    page = html_of(client.get(seed_post.url))
    own = page.select_one(f"#comment-{comment.pk} .comment__own-actions")
    assert own.select_one("a.comment__edit")["href"] == f"/comments/{comment.pk}/edit/"
    assert own.select_one("a.comment__delete")["href"] == f"/comments/{comment.pk}/delete/"

    form_page = client.get(f"/comments/{comment.pk}/edit/")
    assert form_page.status_code == 200
    assert "no-store" in form_page["Cache-Control"]
    textarea = html_of(form_page).select_one("textarea[name=body]")
    assert textarea.get_text().strip() == comment.body

    saved = edit_through_form(client, comment, "Magnesium did nothing for my night cramps.")
    assert saved.status_code == 303
    assert saved["Location"].endswith(f"#comment-{comment.pk}")

    comment.refresh_from_db()
    assert comment.body == "Magnesium did nothing for my night cramps."
    assert comment.status == Status.APPROVED
    assert comment.edited_at is not None

    stranger, _ = reader()
    shown = html_of(stranger.get(seed_post.url)).select_one(f"#comment-{comment.pk}")
    assert "night cramps" in shown.select_one(".comment__body").get_text()
    assert shown.select_one(".comment__edited").get_text(" ", strip=True).startswith("(edited")
    assert shown.select_one(".comment__own-actions") is None

    (version,) = comment.versions.all()
    assert version.body == "Magnesium did nothing for my cramps."
    entry = ModelLogEntry.objects.get(action=editing.EDIT_LOG_ACTION, object_id=str(comment.pk))
    assert entry.data["version_id"] == version.pk


def test_the_edit_links_do_not_leak_to_other_readers_through_the_page_cache(
    seed_post, known_author
):
    author, comment, _ = post_through_form(seed_post)
    warm, _ = reader()
    first = warm.get(seed_post.url)
    again = warm.get(seed_post.url)
    assert again["X-Page-Cache"] == "hit"
    for response in (first, again):
        assert f'href="/comments/{comment.pk}/edit/"' not in response.content.decode()
        assert "public" in response["Cache-Control"]

    # The author is served the very same cached copy, with their links filled in, and the
    # answer is theirs alone: no shared cache may keep it.
    mine = author.get(seed_post.url)
    assert mine["X-Page-Cache"] == "hit"
    assert f'href="/comments/{comment.pk}/edit/"' in mine.content.decode()
    assert "private" in mine["Cache-Control"] and "no-store" in mine["Cache-Control"]
    assert "public" not in mine["Cache-Control"]

    after = warm.get(seed_post.url)
    assert after["X-Page-Cache"] == "hit"
    assert "comment__own-actions" not in after.content.decode()
    # Someone who copies the marker of another comment onto their own gets nothing.
    forger, _ = reader()
    forger.cookies["comment_editable_" + str(known_author.pk)] = "forged"
    assert "comment__own-actions" not in forger.get(seed_post.url).content.decode()


def test_the_links_go_once_the_window_passes(seed_post, known_author, settings):
    author, comment, _ = post_through_form(seed_post)
    settings.COMMENTS_EDIT_WINDOW = 0
    assert "comment__own-actions" not in author.get(seed_post.url).content.decode()


@pytest.mark.parametrize(
    ("situation", "status", "reason"),
    [
        ("window passed", 403, "15 minutes after they are posted"),
        ("someone replied", 409, "Someone has replied to this comment"),
        ("moderator acted", 409, "A moderator has reviewed this comment"),
        ("wrong secret", 403, "Only the browser that posted this comment"),
        ("no secret", 403, "Only the browser that posted this comment"),
    ],
)
def test_refused_edits_and_deletes_through_the_form_change_nothing(
    seed_post, known_author, situation, status, reason
):
    author, comment, _ = post_through_form(seed_post)
    if situation == "window passed":
        age(comment, 15 * 60 + 1)
    elif situation == "someone replied":
        make_comment(seed_post, parent=comment, body="Same here.")
    elif situation == "moderator acted":
        moderate([comment.pk], "unapprove", make_moderator())
        moderate([comment.pk], "approve", make_moderator("second"))
    elif situation == "wrong secret":
        author.cookies[f"comment_edit_{comment.pk}"] = "not-the-secret"
    else:
        author, _ = reader()
    before = snapshot(comment.pk)

    for response in (
        author.get(f"/comments/{comment.pk}/edit/"),
        edit_through_form(author, comment, "Changed my mind entirely."),
        author.get(f"/comments/{comment.pk}/delete/"),
        delete_through_form(author, comment),
    ):
        assert response.status_code == status, (situation, response.content)
        message = html_of(response).select_one(".comment-edit__refused").get_text()
        assert reason in message
    assert snapshot(comment.pk) == before


def test_an_edit_by_an_author_banned_since_posting_goes_to_spam(seed_post, known_author):
    author, comment, _ = post_through_form(seed_post)
    assert comment.status == Status.APPROVED
    create_ban("email", value=KNOWN_EMAIL, user=make_moderator(), reason="Spam wave", days=7)

    response = edit_through_form(author, comment, "Same words, new wording.")

    assert response.status_code == 303
    comment.refresh_from_db()
    assert comment.status == Status.SPAM
    assert comment.reason.startswith("After an edit: The author's email is banned")
    assert "new wording" not in Client().get(seed_post.url).content.decode()


def test_an_edit_that_gains_links_goes_back_to_pending_and_leaves_the_page(
    seed_post, known_author, django_capture_on_commit_callbacks
):
    make_moderator()
    author, comment, _ = post_through_form(seed_post)
    stranger, _ = reader()
    assert "Magnesium did nothing" in stranger.get(seed_post.url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = edit_through_form(
            author, comment, "Buy here https://pills-shop.com/a and https://pills-shop.com/b"
        )
    assert response.status_code == 303
    comment.refresh_from_db()
    assert comment.status == Status.PENDING
    assert comment.reason == "After an edit: Has 2 links (held at 2 or more)"
    assert "pills-shop.com" not in stranger.get(seed_post.url).content.decode()
    # Moderators hear of it as of any held comment.
    assert any("pills-shop.com" in message.body for message in mail.outbox)
    # The author still sees it, as awaiting moderation.
    mine = html_of(author.get(seed_post.url))
    awaiting = mine.select_one(f".comment--awaiting#comment-{comment.pk}")
    assert "pills-shop.com" in awaiting.get_text()


def test_blocked_words_send_an_edit_to_spam(seed_post, known_author):
    rules = CommentSettings.load()
    rules.blocked_words = "casino"
    rules.save()
    author, comment, _ = post_through_form(seed_post)
    edit_through_form(author, comment, "Try the casino instead.")
    comment.refresh_from_db()
    assert comment.status == Status.SPAM


def test_editing_a_held_comment_does_not_publish_it(seed_post):
    author, comment, _ = post_through_form(seed_post, author_email="new@example.com")
    assert comment.status == Status.PENDING
    edit_through_form(author, comment, "A tidier first comment.")
    comment.refresh_from_db()
    assert comment.body == "A tidier first comment."
    assert comment.status == Status.PENDING


def test_an_edit_into_a_duplicate_is_a_clear_field_error(seed_post, known_author):
    author, comment, _ = post_through_form(seed_post)
    before = snapshot(comment.pk)
    response = edit_through_form(author, comment, "An earlier comment of mine.")
    assert response.status_code == 409
    error = html_of(response).select_one(".field-error").get_text()
    assert "You have already posted this comment here" in error
    assert html_of(response).select_one("textarea").get_text().strip() == (
        "An earlier comment of mine."
    )
    assert snapshot(comment.pk) == before


def test_an_empty_edit_is_a_field_error(seed_post, known_author):
    author, comment, _ = post_through_form(seed_post)
    before = snapshot(comment.pk)
    response = edit_through_form(author, comment, "   ")
    assert response.status_code == 400
    assert "Please write a comment." in response.content.decode()
    assert snapshot(comment.pk) == before


def test_a_post_from_another_site_is_refused(seed_post, known_author):
    author, comment, _ = post_through_form(seed_post)
    before = snapshot(comment.pk)
    response = author.post(
        f"/comments/{comment.pk}/delete/", headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 403
    assert snapshot(comment.pk) == before


def test_a_reader_with_a_session_needs_the_csrf_token(seed_post):
    author, comment, _ = post_through_form(seed_post, author_email="new@example.com")
    # A held comment gave the author a session (to show it to them alone).
    assert "sessionid" in author.cookies
    strict = Client(REMOTE_ADDR="10.0.0.1", enforce_csrf_checks=True)
    strict.cookies = author.cookies
    before = snapshot(comment.pk)
    assert delete_through_form(strict, comment).status_code == 403
    assert snapshot(comment.pk) == before
    page = html_of(strict.get(f"/comments/{comment.pk}/delete/"))
    token = page.select_one("input[name=csrfmiddlewaretoken]")["value"]
    deleted = strict.post(f"/comments/{comment.pk}/delete/", {"csrfmiddlewaretoken": token})
    assert deleted.status_code == 303
    assert not Comment.objects.filter(pk=comment.pk).exists()


def test_the_author_deletes_a_comment_without_replies(seed_post, known_author):
    author, comment, _ = post_through_form(seed_post)
    confirm = author.get(f"/comments/{comment.pk}/delete/")
    assert "Delete your comment?" in confirm.content.decode()
    response = delete_through_form(author, comment)
    assert response.status_code == 303
    assert not Comment.objects.filter(pk=comment.pk).exists()
    assert response.cookies[f"comment_edit_{comment.pk}"]["max-age"] == 0
    assert "Magnesium did nothing" not in Client().get(seed_post.url).content.decode()
    entry = ModelLogEntry.objects.get(action=editing.DELETE_LOG_ACTION)
    assert entry.object_id == str(comment.pk)
    assert entry.message == "Deleted by its author"


def test_a_deleted_comment_with_a_published_reply_cannot_be_deleted(seed_post, known_author):
    author, comment, _ = post_through_form(seed_post)
    make_comment(seed_post, parent=comment, body="I found the same.")
    response = delete_through_form(author, comment)
    assert response.status_code == 409


def test_a_delete_with_a_held_reply_leaves_a_tombstone(seed_post, known_author):
    author, comment, _ = post_through_form(seed_post)
    reply = make_comment(seed_post, parent=comment, status=Status.PENDING, body="Held reply")
    response = delete_through_form(author, comment)
    assert response.status_code == 303
    comment.refresh_from_db()
    assert comment.status == Status.TRASH
    assert comment.deleted_by_author_at is not None

    moderate([reply.pk], "approve", make_moderator())
    page = Client().get(seed_post.url)
    shown = html_of(page).select_one(f"#comment-{comment.pk}")
    assert shown.select_one(".comment__removed").get_text() == "Comment deleted by its author."
    assert "Magnesium" not in shown.get_text()
    assert "Held reply" in shown.get_text()

    items = Client().get("/api/v3/comments/", {"page": seed_post.pk}).json()["items"]
    (placeholder,) = [item for item in items if item["id"] == comment.pk]
    assert placeholder["removed"] and placeholder["deleted_by_author"]
    assert placeholder["html"] == "" and placeholder["author_name"] == ""
    entry = ModelLogEntry.objects.get(action=editing.DELETE_LOG_ACTION)
    assert "tombstone" in entry.message


# Moderators


def test_moderators_see_every_version_in_the_inspect_view(seed_post, known_author, client):
    author, comment, _ = post_through_form(seed_post)
    edit_through_form(author, comment, "Second wording.")
    edit_through_form(author, comment, "Third wording, final.")
    client.force_login(make_moderator())
    response = client.get(reverse("wagtailsnippets_comments_comment:inspect", args=[comment.pk]))
    page = html_of(response)
    rows = page.select("[data-comment-versions] tbody tr")
    assert [row.select_one("pre").get_text() for row in rows] == [
        "Second wording.",
        "Magnesium did nothing for my cramps.",
    ]
    assert all("Its author, Ada Reader" in row.get_text() for row in rows)
    assert "Third wording, final." in page.select_one("[data-comment-raw]").get_text()
    history = page.select_one("[data-comment-history]").get_text(" ", strip=True)
    assert "Edited by its author" in history


# Through the API


def api_post(post, **fields):
    client = Client(REMOTE_ADDR=next_ip())
    fields.setdefault("confirmation", confirmed_proof(KNOWN_EMAIL))
    data = api_submission(post, client, author_email=KNOWN_EMAIL, **fields)
    response = client.post("/api/v3/comments/", data, content_type="application/json")
    assert response.status_code == 201, response.content
    return client, response.json()


def api_patch(client, comment_id, secret, body):
    headers = {editing.SECRET_HEADER: secret} if secret is not None else {}
    return client.patch(
        f"/api/v3/comments/{comment_id}/",
        json.dumps({"body": body}),
        content_type="application/json",
        headers=headers,
    )


def api_delete(client, comment_id, secret):
    headers = {editing.SECRET_HEADER: secret} if secret is not None else {}
    return client.delete(f"/api/v3/comments/{comment_id}/", headers=headers)


def test_the_api_returns_the_secret_once_and_edits_with_it(seed_post, known_author):
    client, created = api_post(seed_post)
    assert created["status"] == "approved"
    assert created["edit_secret"]
    comment = Comment.objects.get(pk=created["id"])
    assert comment.edit_secret_hash == editing.secret_hash(created["edit_secret"])

    reader_client = Client()
    listing = reader_client.get("/api/v3/comments/", {"page": seed_post.pk})
    etag = listing["ETag"]
    (item,) = [item for item in listing.json()["items"] if item["id"] == comment.pk]
    assert item["edited_at"] is None
    assert "edit_secret" not in item

    response = api_patch(client, comment.pk, created["edit_secret"], "Edited through the app.")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "approved"
    assert body["html"] == "<p>Edited through the app.</p>"
    assert body["edited_at"]

    again = reader_client.get(
        "/api/v3/comments/", {"page": seed_post.pk}, headers={"If-None-Match": etag}
    )
    assert again.status_code == 200
    (item,) = [item for item in again.json()["items"] if item["id"] == comment.pk]
    assert item["html"] == "<p>Edited through the app.</p>"
    assert item["edited_at"]
    detail = reader_client.get(f"/api/v3/comments/{comment.pk}/").json()
    assert detail["edited_at"]


@pytest.mark.parametrize(
    ("situation", "status", "reason"),
    [
        ("window passed", 403, "15 minutes after they are posted"),
        ("someone replied", 409, "Someone has replied to this comment"),
        ("moderator acted", 409, "A moderator has reviewed this comment"),
        ("wrong secret", 403, "Only the browser that posted this comment"),
        ("no secret", 403, "Only the browser that posted this comment"),
    ],
)
def test_refused_api_edits_and_deletes_change_nothing(
    seed_post, known_author, situation, status, reason
):
    client, created = api_post(seed_post)
    comment = Comment.objects.get(pk=created["id"])
    secret = created["edit_secret"]
    if situation == "window passed":
        age(comment, 15 * 60 + 1)
    elif situation == "someone replied":
        make_comment(seed_post, parent=comment, body="Same here.")
    elif situation == "moderator acted":
        moderate([comment.pk], "trash", make_moderator())
        moderate([comment.pk], "restore", make_moderator("second"))
    elif situation == "wrong secret":
        secret = editing.secret_hash(secret)  # what a database dump would show
    else:
        secret = None
    before = snapshot(comment.pk)
    for response in (
        api_patch(client, comment.pk, secret, "Changed my mind."),
        api_delete(client, comment.pk, secret),
    ):
        assert response.status_code == status, response.content
        assert response["Content-Type"].startswith("application/problem+json")
        assert reason in response.json()["detail"]
    assert snapshot(comment.pk) == before


def test_api_edit_errors(seed_post, known_author):
    client, created = api_post(seed_post)
    comment_id, secret = created["id"], created["edit_secret"]
    before = snapshot(comment_id)

    empty = api_patch(client, comment_id, secret, "  ")
    assert empty.status_code == 422
    assert empty.json()["errors"][0]["loc"] == ["body", "body"]

    duplicate = api_patch(client, comment_id, secret, "An earlier comment of mine.")
    assert duplicate.status_code == 409
    assert "already posted this comment" in duplicate.json()["detail"]

    as_form = client.patch(
        f"/api/v3/comments/{comment_id}/",
        "body=hello",
        content_type="application/x-www-form-urlencoded",
        headers={editing.SECRET_HEADER: secret},
    )
    assert as_form.status_code == 415

    from_another_site = client.delete(
        f"/api/v3/comments/{comment_id}/",
        headers={editing.SECRET_HEADER: secret, "Origin": "https://attacker.example"},
    )
    assert from_another_site.status_code == 403

    missing = api_patch(client, 2**40, secret, "Hello")
    assert missing.status_code == 404
    assert snapshot(comment_id) == before


def test_the_api_deletes(seed_post, known_author):
    client, created = api_post(seed_post)
    response = api_delete(client, created["id"], created["edit_secret"])
    assert response.status_code == 200
    assert response.json() == {"outcome": "deleted"}
    assert not Comment.objects.filter(pk=created["id"]).exists()
    assert api_delete(client, created["id"], created["edit_secret"]).status_code == 404


def test_an_api_edit_into_hold_words_is_reported_pending(seed_post, known_author):
    rules = CommentSettings.load()
    rules.moderation_words = "miracle"
    rules.save()
    client, created = api_post(seed_post)
    response = api_patch(client, created["id"], created["edit_secret"], "A miracle cure!")
    assert response.json()["status"] == "pending"
    listing = Client().get("/api/v3/comments/", {"page": seed_post.pk}).json()["items"]
    assert created["id"] not in [item["id"] for item in listing]


# Cost


@pytest.mark.usefixtures("uncached_pages")
def test_a_thread_of_edited_comments_costs_what_any_thread_costs(
    seed_post, django_assert_max_num_queries, settings
):
    """Rendered fresh (no page or thread cache), a page and the API answer with the same
    number of queries for 5 edited comments as for 65, tombstones included."""
    settings.COMMENTS_THREADS_PER_PAGE = 100

    def grow(count):
        for number in range(count):
            comment = make_comment(seed_post, body=f"Original {number}")
            Comment.objects.filter(pk=comment.pk).update(
                body_html=f"<p>Edited {number}</p>",
                edited_at=comment.created_at + datetime.timedelta(minutes=1),
            )
        parent = make_comment(seed_post, body="Deleted later")
        make_comment(seed_post, parent=parent, body="A reply that stays")
        Comment.objects.filter(pk=parent.pk).update(
            status=Status.TRASH, deleted_by_author_at=parent.created_at
        )

    def measure():
        cache.clear()
        with CaptureQueriesContext(connection) as page_queries:
            page = Client().get(seed_post.url)
        with CaptureQueriesContext(connection) as api_queries:
            api = Client().get("/api/v3/comments/", {"page": seed_post.pk, "limit": 50})
        assert page.status_code == 200, page.content
        assert api.status_code == 200, api.content
        return len(page_queries), len(api_queries), page.content.decode(), api.json()

    grow(5)
    measure()  # the first view of a process fills its own caches (site, rules)
    small = measure()
    grow(60)
    large = measure()
    assert large[0] <= small[0] and large[1] <= small[1]
    assert large[2].count('class="comment__edited"') == 65
    assert large[2].count("Comment deleted by its author.") == 2
    edited = [item for item in large[3]["items"] if item["html"].startswith("<p>Edited")]
    assert len(edited) > 40
    assert all(item["edited_at"] for item in edited)
    cache.clear()
    with django_assert_max_num_queries(small[0]):
        Client().get(seed_post.url)
