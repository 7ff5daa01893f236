"""The status tally (``CommentStatusTally``, kept by migration 0011's triggers) stays equal
to the comments as stored through every path that stores, changes or removes a status:
the reader form and the rules, the author's edit and delete, a moderator's decision in
the admin (one comment and in bulk) and through the API, readers' reports and "keep",
erasure and the IP purge, a post's deletion, ``QuerySet.update``, ``bulk_create`` and
raw SQL; and a rolled-back change leaves it as it was. What moderators see (the queue's
status filter, the menu badge, the dashboard, the API's counts) is read from it."""

from django.db import connection, transaction
from django.db.models import Count
from django.test import Client
from django.urls import reverse

from wagtail.models import APIToken

import pytest

from blog.comments.models import Comment
from blog.comments.privacy import erase_personal_data, purge_network_data
from blog.comments.status_counts import status_counts
from tests.comments.conftest import make_comment
from tests.comments.test_admin import bulk_url, sidebar_items, status_labels, url
from tests.comments.test_editing import delete_through_form, edit_through_form, post_through_form
from tests.comments.test_reports import hide

pytestmark = pytest.mark.usefixtures("no_wait")

Status = Comment.Status


def stored_counts():
    """What counting every comment says, the way the tally replaced."""
    counts = dict.fromkeys(Status.values, 0)
    counts.update(
        Comment.objects.order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return counts


def assert_tally_matches(**expected):
    counts = status_counts()
    assert counts == stored_counts()
    for status, count in expected.items():
        assert counts[status] == count, counts


@pytest.fixture
def moderator_api(moderator):
    _token, secret = APIToken.create_token(user=moderator, name="moderation app")
    client = Client(headers={"Authorization": f"Bearer {secret}"})

    def post(path, data=None):
        response = client.post(
            f"/api/v3/comments/moderation/{path}", data or {}, content_type="application/json"
        )
        assert response.status_code == 200, response.content
        return response

    return client, post


def test_the_reader_form_and_the_rules_add_to_the_status_they_give(seed_post):
    assert_tally_matches(pending=0, approved=0)
    make_comment(seed_post, author_email="ada@example.com", body="An earlier comment of mine.")

    post_through_form(seed_post, body="Published at once: she is known.")
    post_through_form(
        seed_post,
        body="Held: https://pills-shop.com/1 https://pills-shop.com/2",
        author_email="b@example.com",
    )

    assert_tally_matches(pending=1, approved=2)


def test_the_authors_edit_and_delete_move_the_count(seed_post, moderator):
    make_comment(seed_post, author_email="ada@example.com", body="An earlier comment of mine.")
    author, comment, _ = post_through_form(seed_post, body="Magnesium did nothing for me.")
    assert_tally_matches(approved=2)

    edited = edit_through_form(
        author, comment, "Buy here https://pills-shop.com/a and https://pills-shop.com/b"
    )
    assert edited.status_code == 303, edited.content.decode()[-3000:]
    assert_tally_matches(approved=1, pending=1)

    delete_through_form(author, comment)
    assert_tally_matches(approved=1, pending=0)


def test_a_moderators_decisions_in_the_admin_one_and_many(seed_post, moderator_client):
    one = make_comment(seed_post, status=Status.PENDING)
    many = [make_comment(seed_post, status=Status.PENDING) for _ in range(3)]

    response = moderator_client.post(url("moderate", one.pk, "approve"))
    assert response.status_code == 302
    assert_tally_matches(pending=3, approved=1)

    moderator_client.post(bulk_url("spam", *many, next=url("list")), {"reason": "Batch"})
    assert_tally_matches(pending=0, approved=1, spam=3)

    moderator_client.post(bulk_url("restore", *many[:2], next=url("list")), {"reason": ""})
    assert_tally_matches(pending=2, spam=1)

    moderator_client.post(bulk_url("delete", many[2], next=url("list")), {"reason": ""})
    assert_tally_matches(pending=2, approved=1, spam=0)


def test_a_moderators_decisions_through_the_api_and_its_counts(seed_post, moderator_api):
    client, post = moderator_api
    comments = [make_comment(seed_post, status=Status.PENDING) for _ in range(4)]

    post(f"{comments[0].pk}/actions/trash/")
    post("actions/approve/", {"ids": [c.pk for c in comments[1:]], "reason": ""})

    assert_tally_matches(pending=0, approved=3, trash=1)
    counts = client.get("/api/v3/comments/moderation/counts/").json()
    assert counts == {"pending": 0, "approved": 3, "spam": 0, "trash": 1, "reported": 0}


def test_reports_that_hide_a_comment_and_a_moderator_who_keeps_it(
    seed_post, settings, moderator_api
):
    settings.COMMENTS_REPORT_HOLD_THRESHOLD = 2
    _client, post = moderator_api
    reported = make_comment(seed_post)

    hide(reported, 2)
    assert_tally_matches(pending=1, approved=0)

    post(f"{reported.pk}/actions/keep/")
    assert_tally_matches(pending=0, approved=1)


def test_erasure_and_the_ip_purge_change_no_count(seed_post):
    make_comment(seed_post, author_email="ada@example.com")
    make_comment(seed_post, status=Status.SPAM, author_email="ada@example.com")
    Comment.objects.update(created_at="2020-01-01T00:00:00Z")

    erase_personal_data("ada@example.com", batch_size=1)
    purge_network_data(30, batch_size=1)

    assert_tally_matches(approved=1, spam=1)


def test_a_posts_deletion_takes_its_comments_out_of_the_counts(seed_post, make_posts):
    doomed = make_posts(1)[0]
    make_comment(seed_post)
    parent = make_comment(doomed)
    make_comment(doomed, parent=parent, status=Status.PENDING)

    doomed.delete()

    assert_tally_matches(approved=1, pending=0)


def test_writes_that_send_no_signal_and_a_rollback(seed_post):
    comments = [make_comment(seed_post, status=Status.PENDING) for _ in range(3)]

    Comment.objects.filter(pk__in=[c.pk for c in comments[:2]]).update(status=Status.SPAM)
    assert_tally_matches(pending=1, spam=2)

    Comment.objects.bulk_create(
        Comment(
            post=seed_post,
            author_name="Imported",
            author_email=f"imported{number}@example.com",
            body="From the old blog",
            body_html="<p>From the old blog</p>",
            status=Status.APPROVED,
            fingerprint=f"imported-{number}",
        )
        for number in range(5)
    )
    assert_tally_matches(approved=5)

    with connection.cursor() as cursor:
        cursor.execute("UPDATE comments_comment SET status = 'trash' WHERE status = 'spam'")
    assert_tally_matches(spam=0, trash=2)

    with pytest.raises(RuntimeError), transaction.atomic():
        Comment.objects.update(status=Status.PENDING)
        raise RuntimeError("the change fails halfway")
    assert_tally_matches(pending=1, approved=5, trash=2)


def test_the_queue_menu_and_dashboard_show_the_tally(seed_post, moderator_client):
    for status in (Status.PENDING, Status.PENDING, Status.APPROVED, Status.TRASH):
        make_comment(seed_post, status=status)

    assert status_labels(moderator_client.get(url("list"))) == {
        "": "All",
        "pending": "Pending (2)",
        "approved": "Approved (1)",
        "spam": "Spam (0)",
        "trash": "Trash (1)",
    }
    home = moderator_client.get(reverse("wagtailadmin_home"))
    assert "2 comments waiting" in home.text
    assert '"data-pending-comments": "2"' in sidebar_items(home)


def test_with_no_comments_left_every_count_is_zero(seed_post):
    """Django's flush empties the tables: on PostgreSQL with one TRUNCATE, which the
    triggers see; on SQLite with one DELETE per table in no fixed order, the tally's
    possibly first."""
    make_comment(seed_post, status=Status.PENDING)
    make_comment(seed_post)

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The test's transaction holds deferred foreign-key checks, which TRUNCATE refuses.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE comments_comment CASCADE")
        else:
            cursor.execute("DELETE FROM comments_commentstatustally")
            cursor.execute("DELETE FROM comments_comment")

    assert_tally_matches(pending=0, approved=0, spam=0, trash=0)
