"""The moderators' admin as a moderator uses it: the listing, its filters and search, the
inspect view, decisions one by one and in bulk, replies, the audit trail, the menu badge
and the dashboard panel."""

import datetime
import json
import re

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from wagtail.models import ModelLogEntry

import pytest
from bs4 import BeautifulSoup

from blog.comments.models import Comment
from tests.comments.admin_users import make_moderator
from tests.comments.conftest import make_comment

Status = Comment.Status
NAMESPACE = "wagtailsnippets_comments_comment"


def url(name, *args):
    return reverse(f"{NAMESPACE}:{name}", args=args)


def bulk_url(action, *comments, **params):
    query = "&".join(f"id={comment.pk}" for comment in comments)
    extra = "".join(f"&{key}={value}" for key, value in params.items())
    return reverse("wagtail_bulk_action", args=["comments", "comment", action]) + f"?{query}{extra}"


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def log_entries(comment_id):
    return ModelLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Comment), object_id=str(comment_id)
    ).order_by("timestamp", "pk")


def listed_ids(response):
    return [int(value) for value in re.findall(r'id="snippet_(\d+)_title"', response.text)]


@pytest.fixture
def moderator(db):
    return make_moderator()


@pytest.fixture
def moderator_client(client, moderator):
    client.force_login(moderator)
    return client


# The listing


def test_listing_shows_pending_first_then_newest(moderator_client, seed_post):
    old_pending = make_comment(seed_post, status=Status.PENDING, body="Old and pending")
    approved = make_comment(seed_post, status=Status.APPROVED, body="Approved one")
    new_pending = make_comment(seed_post, status=Status.PENDING, body="New and pending")
    spam = make_comment(seed_post, status=Status.SPAM, body="Buy things", reason="Blocked word")

    response = moderator_client.get(url("list"))

    assert response.status_code == 200
    assert listed_ids(response) == [new_pending.pk, old_pending.pk, spam.pk, approved.pk]
    assert "New and pending" in response.text
    assert seed_post.title in response.text
    assert spam.author_email in response.text
    assert "Blocked word" in response.text
    for column in ("Comment", "Author", "Post", "Status", "Reason", "Received"):
        assert f">{column}<" in re.sub(r"\s+", "", response.text) or column in response.text


def test_listing_excerpt_is_escaped(moderator_client, seed_post):
    make_comment(seed_post, status=Status.PENDING, body="<script>alert(1)</script> hello")

    response = moderator_client.get(url("list"))

    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; hello" in response.text


def test_filter_by_status(moderator_client, seed_post):
    pending = make_comment(seed_post, status=Status.PENDING)
    make_comment(seed_post, status=Status.APPROVED)
    spam = make_comment(seed_post, status=Status.SPAM)

    assert listed_ids(moderator_client.get(url("list"), {"status": "pending"})) == [pending.pk]
    assert listed_ids(moderator_client.get(url("list"), {"status": "spam"})) == [spam.pk]


def test_filter_by_post(moderator_client, seed_post, make_posts):
    other_post = make_posts(1)[0]
    on_seed = make_comment(seed_post)
    on_other = make_comment(other_post)

    response = moderator_client.get(url("list"), {"post": other_post.pk})

    assert listed_ids(response) == [on_other.pk]
    assert on_seed.pk not in listed_ids(moderator_client.get(url("list"), {"post": other_post.pk}))


def test_filter_by_date(moderator_client, seed_post):
    old = make_comment(seed_post)
    recent = make_comment(seed_post)
    Comment.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=40)
    )
    since = (timezone.localdate() - datetime.timedelta(days=7)).isoformat()

    response = moderator_client.get(url("list"), {"created_at_from": since})

    assert listed_ids(response) == [recent.pk]


def test_filter_by_reason(moderator_client, seed_post):
    linky = make_comment(seed_post, status=Status.PENDING, reason="Has 3 links (limit 2)")
    make_comment(seed_post, status=Status.PENDING, reason="Contains a moderation word")

    response = moderator_client.get(url("list"), {"reason": "links"})

    assert listed_ids(response) == [linky.pk]


def test_a_bad_filter_value_is_a_message_not_an_error(moderator_client, seed_post):
    make_comment(seed_post)

    response = moderator_client.get(
        url("list"), {"post": "not-a-post", "created_at_from": "yesterday"}
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Zelda", "by_name"),
        ("link@hyrule", "by_email"),
        ("ocarina", "by_text"),
        ("203.0.113.77", "by_ip"),
        ("203.0.113", "by_ip"),
    ],
)
def test_search_by_name_email_text_and_ip(moderator_client, seed_post, query, expected):
    comments = {
        "by_name": make_comment(seed_post, author_name="Zelda Harkin"),
        "by_email": make_comment(seed_post, author_email="link@hyrule.example"),
        "by_text": make_comment(seed_post, body="The ocarina study was small."),
        "by_ip": make_comment(seed_post, ip_address="203.0.113.77"),
        "unrelated": make_comment(seed_post, author_name="Bob", body="Nothing to see"),
    }

    response = moderator_client.get(url("list_results"), {"q": query})

    assert listed_ids(response) == [comments[expected].pk]


def test_listing_with_100_comments_uses_a_bounded_number_of_queries(
    moderator_client, seed_post, django_assert_max_num_queries
):
    for number in range(100):
        status = Status.PENDING if number % 3 else Status.APPROVED
        make_comment(seed_post, status=status)
    moderator_client.get(url("list"))  # warm caches the first admin page load fills

    with django_assert_max_num_queries(15):
        response = moderator_client.get(url("list"))

    assert response.status_code == 200
    assert len(listed_ids(response)) == 50


# The inspect view


def test_inspect_shows_raw_text_escaped_and_sanitized_html_rendered(moderator_client, seed_post):
    comment = make_comment(
        seed_post,
        status=Status.PENDING,
        body='**Bold** claim <script>alert("x")</script> see https://example.org/study',
        ip_address="198.51.100.9",
        user_agent="TestBrowser/1.0",
    )

    response = moderator_client.get(url("inspect", comment.pk))

    assert response.status_code == 200
    raw = re.search(r"data-comment-raw>(.*?)</pre>", response.text, re.S).group(1)
    assert "&lt;script&gt;" in raw
    assert "<script>" not in raw
    published = re.search(r"data-comment-html>(.*?)</div>", response.text, re.S).group(1)
    assert published.strip() == comment.body_html.strip()
    assert "<script" not in published
    assert comment.author_email in response.text
    assert "198.51.100.9" in response.text
    assert "TestBrowser/1.0" in response.text


def test_inspect_shows_the_thread_around_the_comment(moderator_client, seed_post):
    root = make_comment(seed_post, author_name="Root Author")
    middle = make_comment(seed_post, parent=root, author_name="Middle Author")
    reply = make_comment(seed_post, parent=middle, author_name="Reply Author")
    make_comment(seed_post, author_name="Elsewhere Author")

    response = moderator_client.get(url("inspect", middle.pk))

    thread = re.findall(r'data-thread-comment="(\d+)"', response.text)
    assert [int(pk) for pk in thread] == [root.pk, middle.pk, reply.pk]
    assert "Elsewhere Author" not in response.text


# Decisions one by one


@pytest.mark.parametrize(
    ("start", "action", "end"),
    [
        (Status.PENDING, "approve", Status.APPROVED),
        (Status.APPROVED, "unapprove", Status.PENDING),
        (Status.PENDING, "spam", Status.SPAM),
        (Status.APPROVED, "trash", Status.TRASH),
    ],
)
def test_single_action_changes_status_and_is_logged(
    moderator_client, moderator, seed_post, start, action, end
):
    comment = make_comment(seed_post, status=start)

    response = moderator_client.post(
        url("moderate", comment.pk, action), {"reason": "Checked the source"}, follow=True
    )

    comment.refresh_from_db()
    assert comment.status == end
    assert comment.moderated_by == moderator
    assert any(comment.author_name in message for message in messages_of(response))
    [entry] = log_entries(comment.pk)
    assert entry.action == f"comments.{action}"
    assert entry.user == moderator
    assert entry.data["from"] == start
    assert entry.data["to"] == end
    assert entry.data["reason"] == "Checked the source"


def test_restore_returns_a_spammed_comment_to_where_it_was(moderator_client, seed_post):
    comment = make_comment(seed_post, status=Status.APPROVED)
    moderator_client.post(url("moderate", comment.pk, "spam"))
    moderator_client.post(url("moderate", comment.pk, "restore"))

    comment.refresh_from_db()
    assert comment.status == Status.APPROVED
    assert [entry.action for entry in log_entries(comment.pk)] == [
        "comments.spam",
        "comments.restore",
    ]


def test_delete_for_good_removes_the_comment_and_goes_back_to_the_listing(
    moderator_client, seed_post
):
    comment = make_comment(seed_post, status=Status.SPAM)
    inspect_url = "http://testserver" + url("inspect", comment.pk)

    response = moderator_client.post(url("moderate", comment.pk, "delete"), {"next": inspect_url})

    assert response.status_code == 302
    assert response.url == url("list")
    assert not Comment.objects.filter(pk=comment.pk).exists()
    [entry] = log_entries(comment.pk)
    assert entry.action == "comments.delete"
    assert entry.data["to"] == "deleted"


def test_delete_of_a_comment_with_replies_shows_the_reason_and_deletes_nothing(
    moderator_client, seed_post
):
    parent = make_comment(seed_post)
    reply = make_comment(seed_post, parent=parent)

    response = moderator_client.post(url("moderate", parent.pk, "delete"), follow=True)

    assert response.status_code == 200
    assert any("has replies" in message for message in messages_of(response))
    assert Comment.objects.filter(pk__in=[parent.pk, reply.pk]).count() == 2
    assert not log_entries(parent.pk).exists()


def test_an_action_on_a_comment_already_in_that_state_says_nothing_changed(
    moderator_client, seed_post
):
    comment = make_comment(seed_post, status=Status.APPROVED)

    response = moderator_client.post(url("moderate", comment.pk, "approve"), follow=True)

    assert any("Nothing changed" in message for message in messages_of(response))
    assert not log_entries(comment.pk).exists()


def test_actions_refuse_get_and_unknown_actions(moderator_client, seed_post):
    comment = make_comment(seed_post, status=Status.PENDING)

    assert moderator_client.get(url("moderate", comment.pk, "approve")).status_code == 405
    unknown = f"/admin/snippets/comments/comment/moderate/{comment.pk}/publish/"
    assert moderator_client.post(unknown).status_code == 404
    comment.refresh_from_db()
    assert comment.status == Status.PENDING


def test_actions_need_the_csrf_token(moderator, seed_post):
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    comment = make_comment(seed_post, status=Status.PENDING)

    response = client.post(url("moderate", comment.pk, "approve"))

    assert response.status_code == 403
    comment.refresh_from_db()
    assert comment.status == Status.PENDING


def test_listing_rows_offer_the_actions_that_fit_the_status(moderator_client, seed_post):
    pending = make_comment(seed_post, status=Status.PENDING)

    response = moderator_client.get(url("list"))

    assert f'data-w-action-url-value="{url("moderate", pending.pk, "approve")}"' in response.text
    assert f'data-w-action-url-value="{url("moderate", pending.pk, "spam")}"' in response.text
    assert url("moderate", pending.pk, "restore") not in response.text


# Decisions in bulk


@pytest.mark.parametrize(
    ("start", "action", "end"),
    [
        (Status.PENDING, "approve", Status.APPROVED),
        (Status.PENDING, "spam", Status.SPAM),
        (Status.APPROVED, "trash", Status.TRASH),
    ],
)
def test_bulk_action_changes_every_selected_comment(
    moderator_client, moderator, seed_post, start, action, end
):
    selected = [make_comment(seed_post, status=start) for _ in range(3)]
    left_alone = make_comment(seed_post, status=start)

    confirm = moderator_client.get(bulk_url(action, *selected))
    assert confirm.status_code == 200
    assert all(comment.author_name in confirm.text for comment in selected)

    response = moderator_client.post(
        bulk_url(action, *selected, next=url("list")), {"reason": "Batch"}, follow=True
    )

    assert response.status_code == 200
    assert set(Comment.objects.filter(status=end).values_list("pk", flat=True)) >= {
        comment.pk for comment in selected
    }
    assert Comment.objects.get(pk=left_alone.pk).status == start
    for comment in selected:
        [entry] = log_entries(comment.pk)
        assert (entry.action, entry.user, entry.data["reason"]) == (
            f"comments.{action}",
            moderator,
            "Batch",
        )
    assert any("3 comments" in message for message in messages_of(response))


def test_bulk_restore(moderator_client, seed_post):
    comments = [make_comment(seed_post, status=Status.PENDING) for _ in range(2)]
    moderator_client.post(bulk_url("spam", *comments))

    moderator_client.post(bulk_url("restore", *comments))

    assert set(Comment.objects.values_list("status", flat=True)) == {Status.PENDING}
    for comment in comments:
        assert [e.action for e in log_entries(comment.pk)] == ["comments.spam", "comments.restore"]


def test_bulk_delete_goes_through_moderation(moderator_client, seed_post):
    comments = [make_comment(seed_post, status=Status.TRASH) for _ in range(2)]

    moderator_client.post(bulk_url("delete", *comments))

    assert not Comment.objects.exists()
    for comment in comments:
        assert [e.action for e in log_entries(comment.pk)] == ["comments.delete"]


def test_bulk_delete_with_a_comment_that_has_replies_deletes_nothing(moderator_client, seed_post):
    parent = make_comment(seed_post)
    make_comment(seed_post, parent=parent)
    loner = make_comment(seed_post, status=Status.SPAM)

    response = moderator_client.post(bulk_url("delete", parent, loner), follow=True)

    assert any("has replies" in message for message in messages_of(response))
    assert Comment.objects.count() == 3
    assert not ModelLogEntry.objects.filter(action="comments.delete").exists()


def test_bulk_select_all_acts_only_on_what_the_listing_showed(moderator_client, seed_post):
    pending = [make_comment(seed_post, status=Status.PENDING) for _ in range(2)]
    spam = make_comment(seed_post, status=Status.SPAM)
    all_url = reverse("wagtail_bulk_action", args=["comments", "comment", "approve"])

    moderator_client.post(f"{all_url}?id=all&status=pending")

    assert {c.status for c in Comment.objects.filter(pk__in=[c.pk for c in pending])} == {
        Status.APPROVED
    }
    assert Comment.objects.get(pk=spam.pk).status == Status.SPAM


def test_listing_offers_the_comment_bulk_actions(moderator_client, seed_post):
    make_comment(seed_post)

    response = moderator_client.get(url("list"))

    for action in ("approve", "spam", "trash", "restore", "delete"):
        assert reverse("wagtail_bulk_action", args=["comments", "comment", action]) in response.text


# Replies from the admin


def test_moderator_replies_from_the_admin(moderator_client, moderator, seed_post, client):
    parent = make_comment(seed_post, status=Status.APPROVED, author_name="Curious Reader")

    response = moderator_client.post(
        url("reply", parent.pk), {"body": "Thanks, we added the trial."}, follow=True
    )

    reply = Comment.objects.get(parent=parent)
    assert reply.status == Status.APPROVED
    assert reply.is_staff_reply
    assert reply.user == moderator
    assert reply.author_name == "Mona Moderator"
    assert reply.author_email == moderator.email
    assert response.redirect_chain[-1][0] == url("inspect", reply.pk)
    page = client.get(seed_post.url)
    assert "Thanks, we added the trial." in page.text


def test_reply_with_an_empty_body_shows_the_field_error(moderator_client, seed_post):
    parent = make_comment(seed_post, status=Status.APPROVED)

    response = moderator_client.post(url("reply", parent.pk), {"body": "   "})

    assert response.status_code == 200
    assert "Please write a" in response.text
    assert Comment.objects.count() == 1


def test_reply_to_a_pending_comment_is_refused_with_a_reason(moderator_client, seed_post):
    parent = make_comment(seed_post, status=Status.PENDING)

    response = moderator_client.post(url("reply", parent.pk), {"body": "Hello"})

    assert "Replies can only go to approved comments" in response.text
    assert Comment.objects.count() == 1


def test_reply_without_an_account_email_explains_what_to_do(client, seed_post):
    moderator = make_moderator("no-email", email="")
    client.force_login(moderator)
    parent = make_comment(seed_post, status=Status.APPROVED)

    response = client.post(url("reply", parent.pk), {"body": "Hello"})

    assert "needs a valid email address" in response.text
    assert Comment.objects.count() == 1


# The audit trail


def test_history_view_and_site_history_show_the_decisions(moderator, seed_post, admin_client):
    moderator_client = Client()
    moderator_client.force_login(moderator)
    comment = make_comment(seed_post, status=Status.PENDING)
    moderator_client.post(url("moderate", comment.pk, "approve"), {"reason": "Sourced"})
    moderator_client.post(url("moderate", comment.pk, "trash"))

    history = moderator_client.get(url("history", comment.pk))
    assert history.status_code == 200
    assert "Approved (was pending): Sourced" in history.text
    assert "Moved to trash (was approved)" in history.text

    inspect = moderator_client.get(url("inspect", comment.pk))
    assert "Approved (was pending): Sourced" in inspect.text

    report_url = reverse("wagtailadmin_reports:site_history")
    for viewer in (moderator_client, admin_client):
        report = viewer.get(report_url, {"action": "comments.approve"})
        assert report.status_code == 200
        assert "Approved (was pending): Sourced" in report.text
        assert "Moved to trash" not in report.text
        assert url("inspect", comment.pk) in report.text


def test_log_actions_are_registered_with_labels():
    from wagtail.log_actions import registry

    choices = dict(registry.get_choices())
    for action in ("approve", "unapprove", "spam", "trash", "restore", "delete"):
        assert choices[f"comments.{action}"].startswith("Comment: ")


# Menu badge, dashboard panel, settings


def status_labels(response):
    """The queue's status filter as its labels read, counts included, by value."""
    page = BeautifulSoup(response.text, "html.parser")
    return {
        radio["value"]: radio.find_parent("label").get_text(" ", strip=True)
        for radio in page.select('input[name="status"]')
    }


def sidebar_items(response):
    props = re.search(
        r'<script id="wagtail-sidebar-props" type="application/json">(.*?)</script>',
        response.text,
        re.S,
    ).group(1)
    return json.dumps(json.loads(props))


def test_menu_item_badge_counts_pending_comments(moderator_client, seed_post):
    for _ in range(3):
        make_comment(seed_post, status=Status.PENDING)
    make_comment(seed_post, status=Status.APPROVED)

    sidebar = sidebar_items(moderator_client.get(reverse("wagtailadmin_home")))

    assert '"label": "Comments"' in sidebar
    assert '"data-pending-comments": "3"' in sidebar
    assert "Comments (3 pending)" in sidebar


def test_menu_item_has_no_badge_when_nothing_is_pending(moderator_client, seed_post):
    make_comment(seed_post, status=Status.APPROVED)

    sidebar = sidebar_items(moderator_client.get(reverse("wagtailadmin_home")))

    assert '"label": "Comments"' in sidebar
    assert "data-pending-comments" not in sidebar


def test_dashboard_panel_lists_the_newest_pending_comments(moderator_client, seed_post):
    pending = [
        make_comment(seed_post, status=Status.PENDING, author_name=f"Waiting {n}") for n in range(7)
    ]
    make_comment(seed_post, status=Status.APPROVED, author_name="Already Approved")

    response = moderator_client.get(reverse("wagtailadmin_home"))

    shown = [int(pk) for pk in re.findall(r'data-pending-comment="(\d+)"', response.text)]
    assert shown == [comment.pk for comment in reversed(pending)][:5]
    assert "7 comments waiting" in response.text
    assert "Already Approved" not in response.text
    newest = pending[-1]
    assert url("inspect", newest.pk) in response.text
    assert url("moderate", newest.pk, "approve") in response.text
    assert url("moderate", newest.pk, "spam") in response.text
    assert seed_post.title in response.text


def test_dashboard_panel_approve_button_returns_to_the_dashboard(moderator_client, seed_post):
    comment = make_comment(seed_post, status=Status.PENDING)

    response = moderator_client.post(
        url("moderate", comment.pk, "approve"), {"next": reverse("wagtailadmin_home")}
    )

    assert response.url == reverse("wagtailadmin_home")
    comment.refresh_from_db()
    assert comment.status == Status.APPROVED


def test_comment_rules_are_a_setting_for_administrators(admin_client, moderator):
    admin_sidebar = sidebar_items(admin_client.get(reverse("wagtailadmin_home")))
    assert '"label": "Comment rules"' in admin_sidebar

    response = admin_client.get(
        reverse("wagtailsettings:edit", args=["comments", "commentsettings"]), follow=True
    )
    assert response.status_code == 200
    assert "Hold or reject" in response.text

    moderator_client = Client()
    moderator_client.force_login(moderator)
    assert '"label": "Comment rules"' not in sidebar_items(
        moderator_client.get(reverse("wagtailadmin_home"))
    )


# Issue 12, item 12: the queue opens on Pending, tells statuses apart and offers a reply


def test_the_comments_menu_opens_the_pending_queue(moderator_client, seed_post):
    sidebar = json.loads(sidebar_items(moderator_client.get(reverse("wagtailadmin_home"))))
    links = re.findall(r'"url": "([^"]*comments/comment[^"]*)"', json.dumps(sidebar))
    assert links == [url("list") + "?status=pending"]

    pending = make_comment(seed_post, status=Status.PENDING)
    make_comment(seed_post, status=Status.APPROVED)
    make_comment(seed_post, status=Status.SPAM)
    assert listed_ids(moderator_client.get(links[0])) == [pending.pk]


def test_the_status_filter_counts_each_status(moderator_client, seed_post):
    for status, count in [(Status.PENDING, 3), (Status.APPROVED, 2), (Status.SPAM, 1)]:
        for _ in range(count):
            make_comment(seed_post, status=status)

    response = moderator_client.get(url("list"), {"status": "pending"})

    assert status_labels(response) == {
        "": "All",
        "pending": "Pending (3)",
        "approved": "Approved (2)",
        "spam": "Spam (1)",
        "trash": "Trash (0)",
    }


def test_status_tags_carry_a_class_per_status(moderator_client, seed_post):
    comments = {status: make_comment(seed_post, status=status) for status in Status.values}

    response = moderator_client.get(url("list"))

    page = BeautifulSoup(response.text, "html.parser")
    for status, comment in comments.items():
        row = page.find(id=f"snippet_{comment.pk}_title").find_parent("tr")
        tag = row.select_one(".w-status.comment-status")
        assert f"comment-status--{status}" in tag["class"]
        assert tag.get_text(strip=True) == Status(status).label
    stylesheet = (settings.BASE_DIR / "static/css/comments-admin.css").read_text()
    for status in Status.values:
        assert f".w-status.comment-status--{status} {{" in stylesheet


def test_the_bulk_bar_counts_comments_not_snippets(moderator_client, seed_post):
    make_comment(seed_post, status=Status.PENDING)

    response = moderator_client.get(url("list"))

    page = BeautifulSoup(response.text, "html.parser")
    assert page.select_one("[data-bulk-action-footer]")["data-bulk-action-footer"] == "COMMENT"
    scripts = [script.get("src", "") for script in page.select("script[src]")]
    ours = next(index for index, src in enumerate(scripts) if "js/comments-admin.js" in src)
    wagtails = next(index for index, src in enumerate(scripts) if "bulk-actions.js" in src)
    assert ours < wagtails, "the strings must be in place before Wagtail's script reads them"
    script = (settings.BASE_DIR / "static/js/comments-admin.js").read_text()
    assert "BULK_ACTIONS.COMMENT" in script
    assert '"%(objects)s comments selected"' in script


def test_an_approved_row_offers_reply_and_others_do_not(moderator_client, seed_post):
    approved = make_comment(seed_post, status=Status.APPROVED, author_name="Answer Me")
    pending = make_comment(seed_post, status=Status.PENDING)

    response = moderator_client.get(url("list"))

    assert f'href="{url("inspect", approved.pk)}#reply"' in response.text
    assert f'href="{url("inspect", pending.pk)}#reply"' not in response.text
    assert 'aria-label="Reply to the comment by Answer Me"' in response.text
    inspect = moderator_client.get(url("inspect", approved.pk))
    assert 'id="reply"' in inspect.text


def test_a_staff_reply_is_signed_with_the_persons_name_and_logged_on_the_parent(
    moderator_client, moderator, seed_post
):
    parent = make_comment(seed_post, status=Status.APPROVED, author_name="Curious Reader")

    form = moderator_client.get(url("inspect", parent.pk))
    assert "signed “Mona Moderator”" in form.text
    moderator_client.post(url("reply", parent.pk), {"body": "We added the 2023 trial."})

    reply = Comment.objects.get(parent=parent)
    assert reply.author_name == "Mona Moderator"
    entries = list(log_entries(parent.pk))
    assert [entry.action for entry in entries] == ["comments.reply"]
    assert entries[0].user == moderator
    assert entries[0].data["reply_id"] == reply.pk
    history = moderator_client.get(url("history", parent.pk))
    assert "Replied as “Mona Moderator”: We added the 2023 trial." in history.text
    inspect = moderator_client.get(url("inspect", parent.pk))
    assert "Replied as “Mona Moderator”" in inspect.text


def test_a_moderator_without_a_name_is_told_how_to_sign_with_one(client, seed_post):
    nameless = make_moderator("nameless", first_name="", last_name="")
    client.force_login(nameless)
    parent = make_comment(seed_post, status=Status.APPROVED)

    form = client.get(url("inspect", parent.pk))

    assert "signed “nameless”" in form.text
    assert "To sign with your name, add it under Account." in form.text


def test_a_refused_reply_leaves_no_history_entry(moderator_client, seed_post):
    parent = make_comment(seed_post, status=Status.APPROVED)

    moderator_client.post(url("reply", parent.pk), {"body": "   "})

    assert not log_entries(parent.pk).exists()
    assert Comment.objects.count() == 1


def test_the_reply_log_action_is_registered_with_a_label():
    from wagtail.log_actions import registry

    assert dict(registry.get_choices())["comments.reply"] == "Comment: staff reply"
