"""Threads: replies nest under approved parents, up to a depth; removed parents leave
tombstones; long threads paginate; a thread of 300 comments costs a fixed few queries."""

from datetime import UTC, datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import pytest
from bs4 import BeautifulSoup

from blog.comments.models import Comment
from blog.comments.moderation import ModerationError, moderate
from blog.comments.threads import bump_thread_version
from tests.comments.conftest import confirm_in, form_data, make_comment, next_ip

pytestmark = pytest.mark.usefixtures("no_wait")


def reply(client, post, parent, **fields):
    ip = next_ip()
    return client.post(
        f"/comments/post/{post.pk}/",
        form_data(post, ip=ip, parent=str(parent.pk), **fields),
        REMOTE_ADDR=ip,
    )


def comment_tree(client, post, query=""):
    html = BeautifulSoup(client.get(post.url + query).content, "html.parser")
    section = html.select_one("#comments")

    def walk(list_element):
        items = []
        for item in list_element.find_all("li", class_="comment", recursive=False):
            article = item.find("article", recursive=False)
            text = (
                article.select_one(".comment__body").get_text(strip=True)
                if article
                else item.select_one(".comment__removed").get_text(strip=True)
            )
            nested = item.find("ol", class_="comment-list--replies", recursive=False)
            items.append((text, walk(nested) if nested else []))
        return items

    top = section.find("ol", class_="comment-list")
    return walk(top) if top else []


def test_replies_render_nested_oldest_first(seed_post, client):
    first = make_comment(seed_post, body="First")
    second = make_comment(seed_post, body="Second")
    make_comment(seed_post, parent=first, body="Reply to first")
    answer = make_comment(seed_post, parent=first, body="Another reply")
    make_comment(seed_post, parent=answer, body="Deeper")
    make_comment(seed_post, parent=second, body="Reply to second")
    assert comment_tree(client, seed_post) == [
        ("First", [("Reply to first", []), ("Another reply", [("Deeper", [])])]),
        ("Second", [("Reply to second", [])]),
    ]


def test_a_reply_through_the_form_is_stored_under_its_parent(seed_post, client):
    parent = make_comment(seed_post, author_email="known@example.com")
    response = reply(client, seed_post, parent, author_email="known@example.com", body="Yes")
    assert response.status_code == 303
    child = Comment.objects.get(body="Yes")
    assert child.parent == parent
    assert child.depth == 1
    assert child.thread_path == f"{parent.thread_path}/{child.pk:010d}"


def test_the_database_places_every_new_comment_in_its_thread(seed_post):
    """Migration 0005's trigger: a comment is one INSERT, stored with its place."""
    fields = {"post": seed_post, "author_name": "A", "author_email": "a@example.com"}
    top = Comment.objects.create(**fields, body="Top", fingerprint="1")
    child = Comment.objects.create(**fields, parent=top, body="Child", fingerprint="2")
    grandchild = Comment.objects.create(**fields, parent=child, body="Grandchild", fingerprint="3")

    stored = {c.body: (c.depth, c.thread_path) for c in Comment.objects.all()}

    assert stored == {
        "Top": (0, f"{top.pk:010d}"),
        "Child": (1, f"{top.pk:010d}/{child.pk:010d}"),
        "Grandchild": (2, f"{top.pk:010d}/{child.pk:010d}/{grandchild.pk:010d}"),
    }
    for comment in (top, child, grandchild):
        comment.set_thread_position()  # the same place, computed for the object in hand
        assert (comment.depth, comment.thread_path) == stored[comment.body]


def test_a_path_set_before_storing_is_kept(seed_post):
    comment = Comment.objects.create(
        post=seed_post,
        author_name="A",
        author_email="a@example.com",
        body="Imported",
        fingerprint="imported",
        thread_path="0000000007",
    )
    comment.refresh_from_db()
    assert comment.thread_path == "0000000007"


def test_a_posted_reply_is_one_insert_with_its_place(seed_post, client):
    parent = make_comment(seed_post, author_email="known@example.com")
    with CaptureQueriesContext(connection) as queries:
        response = reply(client, seed_post, parent, author_email="known@example.com", body="Yes")
    assert response.status_code == 303
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert [sql.split()[0].upper() for sql in writes if '"comments_comment"' in sql] == ["INSERT"]
    child = Comment.objects.get(body="Yes")
    assert (child.depth, child.thread_path) == (1, f"{parent.thread_path}/{child.pk:010d}")


@pytest.mark.parametrize("status", ["pending", "spam", "trash"])
def test_replies_only_go_to_approved_comments(seed_post, client, status):
    parent = make_comment(seed_post, status=status)
    response = reply(client, seed_post, parent)
    assert response.status_code == 400
    assert "Replies can only go to approved comments on the same post." in response.content.decode()
    assert Comment.objects.count() == 1


def test_replies_only_go_to_comments_on_the_same_post(seed_post, make_posts, client):
    (other_post,) = make_posts(1)
    parent = make_comment(other_post)
    response = reply(client, seed_post, parent)
    assert response.status_code == 400
    assert "Replies can only go to approved comments on the same post." in response.content.decode()


def test_depth_is_limited_by_a_setting(seed_post, client, settings):
    chain = [make_comment(seed_post)]
    for _ in range(4):
        chain.append(make_comment(seed_post, parent=chain[-1]))
    assert chain[-1].depth == 4
    response = reply(client, seed_post, chain[-1])
    assert response.status_code == 400
    assert "Replies nest at most 5 levels deep" in response.content.decode()
    page = BeautifulSoup(client.get(seed_post.url).content, "html.parser")
    assert page.select_one(f"#comment-{chain[-1].pk} a.comment__reply") is None
    assert page.select_one(f"#comment-{chain[-2].pk} a.comment__reply") is not None

    settings.COMMENTS_MAX_DEPTH = 6
    assert reply(client, seed_post, chain[-1]).status_code == 303


def test_a_removed_comment_with_replies_leaves_a_tombstone(seed_post, client, admin_user):
    parent = make_comment(seed_post, body="Will be removed")
    make_comment(seed_post, parent=parent, body="Still here")
    lonely = make_comment(seed_post, body="Removed without replies")
    moderate([parent, lonely], "trash", admin_user)
    assert comment_tree(client, seed_post) == [
        ("This comment was removed.", [("Still here", [])]),
    ]
    page = client.get(seed_post.url).content.decode()
    assert "Will be removed" not in page
    assert "Removed without replies" not in page


def test_deleting_a_comment_with_replies_is_refused(seed_post, admin_user):
    parent = make_comment(seed_post)
    child = make_comment(seed_post, parent=parent)
    with pytest.raises(ModerationError, match="has replies"):
        moderate([parent], "delete", admin_user)
    assert Comment.objects.count() == 2
    moderate([child, parent], "delete", admin_user)
    assert not Comment.objects.exists()


def test_deleting_a_post_removes_its_thread(seed_post, make_posts):
    (post,) = make_posts(1)
    parent = make_comment(post)
    make_comment(post, parent=parent)
    post.delete()
    assert not Comment.objects.exists()


def test_long_threads_paginate_by_top_level_thread(seed_post, client, settings):
    settings.COMMENTS_THREADS_PER_PAGE = 2
    for number in range(1, 6):
        top = make_comment(seed_post, body=f"Top {number}")
        make_comment(seed_post, parent=top, body=f"Reply {number}")
    assert [text for text, _ in comment_tree(client, seed_post)] == ["Top 1", "Top 2"]
    assert [text for text, _ in comment_tree(client, seed_post, "?cpage=3")] == ["Top 5"]
    # Past the last page is a 404, like the blog index: made-up pages are never cached.
    assert client.get(seed_post.url + "?cpage=99").status_code == 404
    assert [text for text, _ in comment_tree(client, seed_post, "?cpage=x")] == ["Top 1", "Top 2"]
    page = client.get(seed_post.url + "?cpage=2").content.decode()
    assert "Page 2 of 3" in page
    assert "10 comments" in page


def test_after_posting_the_reader_lands_on_the_page_of_threads_that_shows_the_comment(
    seed_post, client, settings
):
    settings.COMMENTS_THREADS_PER_PAGE = 2
    settings.COMMENTS_FLOOD_SECONDS = 0
    tops = [make_comment(seed_post, body=f"Top {number}") for number in range(1, 4)]
    known = {"author_email": tops[0].author_email}
    confirm_in(client, tops[0].author_email)

    new_thread = client.post(
        f"/comments/post/{seed_post.pk}/",
        form_data(seed_post, ip="192.0.2.70", body="A new thread, on page 2.", **known),
        REMOTE_ADDR="192.0.2.70",
    )
    answer = reply(client, seed_post, tops[0], body="A reply on page 1.", **known)

    new = Comment.objects.get(body="A new thread, on page 2.")
    assert new.status == Comment.Status.APPROVED
    assert new_thread["Location"] == f"{seed_post.url}?cpage=2#comment-{new.pk}"
    on_page_one = Comment.objects.get(body="A reply on page 1.")
    assert answer["Location"] == f"{seed_post.url}#comment-{on_page_one.pk}"
    landing = client.get(new_thread["Location"]).content.decode()
    assert f'id="comment-{new.pk}"' in landing


def test_thread_of_300_comments_uses_as_many_queries_as_a_thread_of_3(seed_post, client, settings):
    settings.COMMENTS_THREADS_PER_PAGE = 300

    def queries_for_fresh_render():
        bump_thread_version(seed_post.pk)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(seed_post.url)
        return len(queries), response

    parents = []

    def add_comments(count):
        for _ in range(count):
            number = len(parents)
            parent = parents[number // 3] if number >= 30 and number % 4 else None
            parents.append(make_comment(seed_post, parent=parent, body=f"Comment {number}"))

    add_comments(3)
    client.get(seed_post.url)  # renditions and settings rows are made on the first view
    small, _ = queries_for_fresh_render()
    add_comments(297)
    large, response = queries_for_fresh_render()
    assert large <= small
    assert response.content.decode().count('class="comment__body"') == 300
    with CaptureQueriesContext(connection) as cached_queries:
        cached = client.get(seed_post.url)
    assert len(cached_queries) < large, "the rendered thread comes from the cache"

    def thread_html(page):
        return str(BeautifulSoup(page.content, "html.parser").select_one("#comments ol"))

    assert thread_html(cached) == thread_html(response)


def test_a_comment_shows_its_author_badges_and_times_as_readers_see_them(
    seed_post, client, settings
):
    """Every reader's string escaped (never markup), dates in UTC for machines and in the
    site's time zone for readers, the staff badge, the report link to this comment."""
    settings.TIME_ZONE = "Europe/Berlin"
    name, url = 'Ann <b>"A&B"</b>', 'https://example.com/?a=1&b="2"<i>'
    comment = make_comment(seed_post, author_name=name, author_url=url, is_staff_reply=True)
    Comment.objects.filter(pk=comment.pk).update(
        created_at=datetime(2025, 3, 9, 23, 59, 7, tzinfo=UTC),
        edited_at=datetime(2025, 7, 1, 12, 5, tzinfo=UTC),
    )
    bump_thread_version(seed_post.pk)

    page = BeautifulSoup(client.get(seed_post.url).content, "html.parser")

    item = page.select_one(f"#comment-{comment.pk}")
    assert "comment--staff" in item["class"]
    assert item.select_one(".comment__badge").get_text() == "Staff"
    assert item.article["aria-label"] == f"Comment by {name}"
    author = item.select_one(".comment__author a")
    assert (author["href"], author.get_text()) == (url, name)
    assert item.select("b, i") == []
    assert item.select_one("a.comment__reply")["data-reply-name"] == name
    assert [(time["datetime"], time.get_text()) for time in item.select("time")] == [
        ("2025-03-09T23:59:07Z", "10 March 2025 at 00:59"),
        ("2025-07-01T12:05:00Z", "1 July 2025 at 14:05"),
    ]
    assert item.select_one(".comment__edited").get_text() == "(edited 1 July 2025 at 14:05)"
    report = item.select_one("a.comment__report")
    assert report["href"] == reverse("comments:report", args=[comment.pk])
    assert report.get_text() == f"Report the comment by {name}"
