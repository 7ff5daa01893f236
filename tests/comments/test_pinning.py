"""Pinning: a moderator pins an approved top-level comment, with its replies, to the top of
its thread from the inspect view, the listing's row menu or the API; readers see it on
top under every order, marked "Pinned"; at most COMMENTS_MAX_PINNED_PER_POST per post;
replies and held comments are refused with a reason; every pin and unpin is logged."""

from django.test import Client

from wagtail.models import APIToken

import pytest
from bs4 import BeautifulSoup

from blog.comments.models import Comment
from blog.comments.sorting import DEFAULT_ORDER, ORDERS
from tests.comments.conftest import make_comment
from tests.comments.test_admin import log_entries, messages_of, url
from tests.comments.test_threads import comment_tree

Status = Comment.Status


@pytest.fixture
def thread(seed_post):
    first = make_comment(seed_post, body="First")
    second = make_comment(seed_post, body="Second")
    third = make_comment(seed_post, body="Third")
    make_comment(seed_post, parent=first, body="Reply to first")
    make_comment(seed_post, parent=first, body="Another reply to first")
    answer = make_comment(seed_post, parent=third, body="Reply to third")
    make_comment(seed_post, parent=answer, body="Deeper")
    return {"first": first, "second": second, "third": third, "answer": answer}


@pytest.fixture
def reader():
    """A visitor without a session, as most readers are (the page cache serves them)."""
    return Client()


@pytest.fixture
def moderator_token(moderator):
    _token, plaintext = APIToken.create_token(user=moderator, name="moderation app")
    return plaintext


def pin(client, comment, action="pin"):
    return client.post(url("pin", action, comment.pk), follow=True)


def said(response):
    return [message.strip() for message in messages_of(response)]


def api_pin(client, token, comment, action="pin"):
    return client.post(
        f"/api/v3/comments/moderation/{comment.pk}/{action}/",
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def test_a_pinned_comment_and_its_replies_lead_the_thread_in_every_order(
    reader, seed_post, thread, moderator_client
):
    response = pin(moderator_client, thread["third"])
    assert said(response) == [
        "Pinned the comment by Reader to the top of its post.",
    ]
    pinned_subtree = ("Third", [("Reply to third", [("Deeper", [])])])
    rest = {
        "oldest": ["First", "Second"],
        "newest": ["Second", "First"],
        "replies": ["First", "Second"],
    }
    for order in ORDERS:
        query = "" if order == DEFAULT_ORDER else f"?sort={order}"
        tree = comment_tree(reader, seed_post, query)
        assert tree[0] == pinned_subtree, order
        assert [text for text, _ in tree[1:]] == rest[order], order

        api = reader.get("/api/v3/comments/", {"page": seed_post.pk, "sort": order}).json()
        assert [(item["id"], item["pinned"]) for item in api["items"][:3]] == [
            (thread["third"].pk, True),
            (thread["answer"].pk, False),
            (thread["answer"].pk + 1, False),
        ], order

    html = BeautifulSoup(reader.get(seed_post.url).content, "html.parser")
    badges = html.select("#comments [data-pinned]")
    assert [badge.get_text() for badge in badges] == ["Pinned"]
    assert badges[0].find_parent("li")["id"] == thread["third"].anchor


def test_pins_are_shown_in_the_order_they_were_made(reader, seed_post, thread, moderator_client):
    pin(moderator_client, thread["second"])
    pin(moderator_client, thread["third"])
    assert [text for text, _ in comment_tree(reader, seed_post, "?sort=newest")] == [
        "Second",
        "Third",
        "First",
    ]


def test_pinning_replaces_the_cached_page_and_api_answer(client, seed_post, thread, moderator):
    client.get(seed_post.url + "?sort=oldest")  # renditions are made on the first view
    assert client.get(seed_post.url)["X-Page-Cache"] == "miss"
    assert client.get(seed_post.url)["X-Page-Cache"] == "hit"
    before = client.get("/api/v3/comments/", {"page": seed_post.pk})
    assert not any(item["pinned"] for item in before.json()["items"])

    staff = Client()
    staff.force_login(moderator)
    pin(staff, thread["second"])

    after = client.get(seed_post.url)
    assert after["X-Page-Cache"] == "miss"
    assert [text for text, _ in comment_tree(client, seed_post)][0] == "Second"
    fresh = client.get(
        "/api/v3/comments/", {"page": seed_post.pk}, headers={"If-None-Match": before["ETag"]}
    )
    assert fresh.status_code == 200
    assert fresh.json()["items"][0]["id"] == thread["second"].pk


def test_the_limit_per_post_is_a_setting_and_refused_with_a_reason(
    seed_post, settings, moderator_client
):
    settings.COMMENTS_MAX_PINNED_PER_POST = 2
    comments = [make_comment(seed_post, body=f"Top {number}") for number in range(3)]
    pin(moderator_client, comments[0])
    pin(moderator_client, comments[1])
    response = pin(moderator_client, comments[2])
    assert said(response) == [
        "This post already has 2 pinned comments, the most allowed. Unpin one first."
    ]
    comments[2].refresh_from_db()
    assert comments[2].pinned_at is None
    assert not log_entries(comments[2].pk).exists()

    pin(moderator_client, comments[0], "unpin")
    pin(moderator_client, comments[2])
    comments[2].refresh_from_db()
    assert comments[2].pinned_at is not None


def test_a_pinned_comment_that_is_not_approved_is_neither_shown_nor_counted(
    reader, seed_post, settings, moderator_client
):
    settings.COMMENTS_MAX_PINNED_PER_POST = 1
    first = make_comment(seed_post, body="First")
    second = make_comment(seed_post, body="Second")
    pin(moderator_client, second)
    moderator_client.post(url("moderate", second.pk, "unapprove"))
    assert [text for text, _ in comment_tree(reader, seed_post)] == ["First"]
    pin(moderator_client, first)
    first.refresh_from_db()
    assert first.pinned_at is not None

    inspect = moderator_client.get(url("inspect", second.pk)).content.decode()
    assert "not shown as pinned while the comment is not approved" in inspect


@pytest.mark.parametrize(
    ("which", "reason"),
    [
        ("answer", "Only comments on the post itself can be pinned, not replies."),
        ("held", "Only approved comments can be pinned. Approve this comment first."),
    ],
)
def test_replies_and_held_comments_are_refused(
    seed_post, thread, moderator_client, moderator_token, reader, which, reason
):
    comment = thread.get(which) or make_comment(seed_post, status=Status.PENDING)
    response = pin(moderator_client, comment)
    assert said(response)[0].startswith(reason)
    refused = api_pin(reader, moderator_token, comment)
    assert refused.status_code == 422
    assert refused["Content-Type"].startswith("application/problem+json")
    assert refused.json()["detail"].startswith(reason)
    comment.refresh_from_db()
    assert comment.pinned_at is None
    assert not log_entries(comment.pk).exists()


def test_pin_and_unpin_are_in_the_audit_log(seed_post, thread, moderator_client, moderator):
    comment = thread["first"]
    pin(moderator_client, comment)
    pin(moderator_client, comment)  # twice: nothing more happens
    response = pin(moderator_client, comment, "unpin")
    assert said(response) == ["Unpinned the comment by Reader."]
    entries = list(log_entries(comment.pk))
    assert [(entry.action, entry.user_id) for entry in entries] == [
        ("comments.pin", moderator.pk),
        ("comments.unpin", moderator.pk),
    ]
    history = moderator_client.get(url("inspect", comment.pk)).content.decode()
    assert "Pinned to the top of the post" in history
    assert "Unpinned" in history


def test_the_inspect_view_and_the_row_menu_offer_the_fitting_button(
    seed_post, thread, moderator_client
):
    def inspect_buttons(comment):
        html = BeautifulSoup(
            moderator_client.get(url("inspect", comment.pk)).content, "html.parser"
        )
        return [button["data-pin"] for button in html.select("[data-pin]")]

    assert inspect_buttons(thread["first"]) == ["pin"]
    assert inspect_buttons(thread["answer"]) == []
    pin(moderator_client, thread["first"])
    assert inspect_buttons(thread["first"]) == ["unpin"]

    listing = moderator_client.get(url("list")).content.decode()
    assert url("pin", "unpin", thread["first"].pk) in listing
    assert url("pin", "pin", thread["second"].pk) in listing
    assert url("pin", "pin", thread["answer"].pk) not in listing


def test_the_api_pins_and_unpins(client, seed_post, thread, moderator_token):
    pinned = api_pin(client, moderator_token, thread["second"])
    assert pinned.status_code == 200
    assert pinned.json()["pinned"] is True
    assert pinned.json()["id"] == thread["second"].pk
    public = client.get("/api/v3/comments/", {"page": seed_post.pk}).json()["items"]
    assert public[0]["id"] == thread["second"].pk
    unpinned = api_pin(client, moderator_token, thread["second"], "unpin")
    assert unpinned.json()["pinned"] is False
    assert api_pin(client, moderator_token, Comment(pk=999999)).status_code == 404
