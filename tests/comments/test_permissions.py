"""Who may moderate: anonymous visitors, editors without "Can moderate comments",
moderators and administrators, against every moderation URL and action. Exactly the
allowed cells succeed; the others are sent to the login page, get Wagtail's
permission-denied redirect (pages) or a 403 (anything that changes something), and
change nothing."""

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from wagtail.models import ModelLogEntry

import pytest

from blog.comments.models import Comment
from tests.comments.admin_users import make_editor, make_moderator, make_superuser
from tests.comments.conftest import make_comment

Status = Comment.Status
NAMESPACE = "wagtailsnippets_comments_comment"
ROLES = ["anonymous", "editor", "moderator", "admin"]
ALLOWED = {"moderator", "admin"}

# (action, status the comment starts in, status it ends in)
SINGLE_ACTIONS = [
    ("approve", Status.PENDING, Status.APPROVED),
    ("unapprove", Status.APPROVED, Status.PENDING),
    ("spam", Status.PENDING, Status.SPAM),
    ("trash", Status.APPROVED, Status.TRASH),
    ("restore", Status.TRASH, Status.PENDING),
    ("delete", Status.SPAM, None),
]
BULK_ACTIONS = [
    ("approve", Status.PENDING, Status.APPROVED),
    ("spam", Status.PENDING, Status.SPAM),
    ("trash", Status.APPROVED, Status.TRASH),
    ("restore", Status.TRASH, Status.PENDING),
    ("delete", Status.SPAM, None),
]


@pytest.fixture
def client_as(client, db):
    def login(role):
        user = {
            "anonymous": lambda: None,
            "editor": make_editor,
            "moderator": make_moderator,
            "admin": make_superuser,
        }[role]()
        if user:
            client.force_login(user)
        return client

    return login


def comment_logs():
    return ModelLogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Comment))


def assert_refused_page(role, response):
    if role == "anonymous":
        assert response.status_code == 302
        assert response.url.startswith(reverse("wagtailadmin_login"))
    else:
        assert response.status_code == 403


def assert_refused_change(role, response):
    if role == "anonymous":
        assert response.status_code == 302
        assert response.url.startswith(reverse("wagtailadmin_login"))
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("view", ["list", "list_results", "inspect", "history"])
def test_moderation_pages(client_as, seed_post, role, view):
    comment = make_comment(seed_post, status=Status.PENDING, author_email="private@example.com")
    args = [] if view.startswith("list") else [comment.pk]

    response = client_as(role).get(reverse(f"{NAMESPACE}:{view}", args=args))

    if role in ALLOWED:
        assert response.status_code == 200
        if view != "history":
            assert "private@example.com" in response.text
    else:
        assert_refused_page(role, response)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("action", "start", "end"), SINGLE_ACTIONS)
def test_single_actions(client_as, seed_post, role, action, start, end):
    comment = make_comment(seed_post, status=start)

    response = client_as(role).post(reverse(f"{NAMESPACE}:moderate", args=[comment.pk, action]))

    remaining = Comment.objects.filter(pk=comment.pk).first()
    if role in ALLOWED:
        assert response.status_code == 302
        assert (remaining.status if remaining else None) == end
        assert comment_logs().filter(action=f"comments.{action}").count() == 1
    else:
        assert_refused_change(role, response)
        assert remaining.status == start
        assert not comment_logs().exists()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("action", "start", "end"), BULK_ACTIONS)
def test_bulk_actions(client_as, seed_post, role, action, start, end):
    comments = [make_comment(seed_post, status=start) for _ in range(2)]
    bulk_url = reverse("wagtail_bulk_action", args=["comments", "comment", action])
    query = "?" + "&".join(f"id={comment.pk}" for comment in comments)
    client = client_as(role)

    confirm = client.get(bulk_url + query)
    response = client.post(bulk_url + query)

    statuses = set(Comment.objects.values_list("status", flat=True))
    if role in ALLOWED:
        assert confirm.status_code == 200
        assert response.status_code == 302
        assert statuses == ({end} if end else set())
        assert comment_logs().filter(action=f"comments.{action}").count() == 2
    else:
        assert_refused_change(role, confirm)
        assert_refused_change(role, response)
        assert statuses == {start}
        assert Comment.objects.count() == 2
        assert not comment_logs().exists()


@pytest.mark.parametrize("role", ROLES)
def test_reply(client_as, seed_post, role):
    parent = make_comment(seed_post, status=Status.APPROVED)

    response = client_as(role).post(
        reverse(f"{NAMESPACE}:reply", args=[parent.pk]), {"body": "From the team."}
    )

    if role in ALLOWED:
        assert response.status_code == 302
        reply = Comment.objects.get(parent=parent)
        assert (reply.status, reply.is_staff_reply) == (Status.APPROVED, True)
    else:
        assert_refused_change(role, response)
        assert Comment.objects.count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_menu_item_and_dashboard_panel(client_as, seed_post, role):
    make_comment(seed_post, status=Status.PENDING, author_name="Panel Person")

    response = client_as(role).get(reverse("wagtailadmin_home"))

    if role == "anonymous":
        assert_refused_page(role, response)
        return
    assert response.status_code == 200
    listing_url = reverse(f"{NAMESPACE}:list")
    assert (listing_url in response.text) is (role in ALLOWED)
    assert ("Panel Person" in response.text) is (role in ALLOWED)


@pytest.mark.parametrize("role", ["editor", "moderator", "admin"])
def test_site_history_shows_comment_decisions_only_to_moderators(client_as, seed_post, role):
    comment = make_comment(seed_post, status=Status.PENDING, author_name="Logged Person")
    moderator = make_moderator("other-moderator")
    from blog.comments.moderation import moderate

    moderate([comment.pk], "approve", moderator)

    response = client_as(role).get(reverse("wagtailadmin_reports:site_history"))

    assert response.status_code == 200
    assert ("Approved (was pending)" in response.text) is (role in ALLOWED)


@pytest.mark.parametrize("role", ["moderator", "admin"])
@pytest.mark.parametrize("view", ["add", "edit", "delete"])
def test_no_one_edits_comments_through_generic_forms(client_as, seed_post, role, view):
    """Generic forms would skip the rules, the sanitizer and the audit trail."""
    comment = make_comment(seed_post, status=Status.PENDING, body="Original text")
    args = [] if view == "add" else [comment.pk]
    client = client_as(role)

    page = client.get(reverse(f"{NAMESPACE}:{view}", args=args))
    post = client.post(
        reverse(f"{NAMESPACE}:{view}", args=args), {"body": "Changed", "status": "approved"}
    )

    # Moderators pass our own check; Wagtail's (no add/change permission) sends them back
    # to the dashboard.
    for response in (page, post):
        assert response.status_code == 302
        assert response.url == reverse("wagtailadmin_home")
    comment.refresh_from_db()
    assert (comment.body, comment.status) == ("Original text", Status.PENDING)
    assert Comment.objects.count() == 1


@pytest.mark.parametrize("role", ["editor", "moderator", "admin"])
def test_there_is_no_comment_chooser_to_browse_comments_through(client_as, seed_post, role):
    make_comment(seed_post, author_email="private@example.com")

    response = client_as(role).get(
        "/admin/snippets/choose/comments/comment/", {"q": "private@example.com"}
    )

    assert response.status_code == 404


def test_only_the_moderate_permission_is_offered_in_the_group_editor(admin_client):
    response = admin_client.get(reverse("wagtailusers_groups:add"))

    assert "Can moderate comments" in response.text
    assert "Can add comment" not in response.text
