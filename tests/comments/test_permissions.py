"""Who may moderate: anonymous visitors, editors without "Can moderate comments",
moderators and administrators, against every moderation URL and action. Exactly the
allowed cells succeed; the others are sent to the login page, get Wagtail's
permission-denied redirect (pages) or a 403 (anything that changes something), and
change nothing."""

import re

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


# Bans: Django's own permissions on the Ban model (view, add, change: lift), for moderators.
# A moderator whose groups hold "Can moderate comments" but no ban permission is the
# "moderator without ban permissions" role.

BAN_ROLES = ["anonymous", "editor", "moderator without ban permissions", "moderator", "admin"]


def make_moderator_without_ban_permissions():
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.create(name="Moderators of comments only")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"),
        Permission.objects.get(content_type__app_label="comments", codename="moderate_comment"),
    )
    user = make_editor("comments-only-moderator")
    user.groups.set([group])
    return user


@pytest.fixture
def client_for_ban_role(client, db):
    def login(role):
        user = {
            "anonymous": lambda: None,
            "editor": make_editor,
            "moderator without ban permissions": make_moderator_without_ban_permissions,
            "moderator": make_moderator,
            "admin": make_superuser,
        }[role]()
        if user:
            client.force_login(user)
        return client

    return login


def standing_ban(reason="Bot wave"):
    from blog.comments.bans import create_ban

    owner = make_superuser("ban-owner")
    return create_ban("email", value="banned@example.com", user=owner, reason=reason)


@pytest.mark.parametrize("role", BAN_ROLES)
def test_site_history_shows_ban_entries_to_those_with_ban_permissions(client_for_ban_role, role):
    standing_ban(reason="Bot wave from one mailbox")
    client = client_for_ban_role(role)

    response = client.get(reverse("wagtailadmin_reports:site_history"))

    if role == "anonymous":
        assert_refused_page(role, response)
        return
    assert response.status_code == 200
    shown = "Banned the author&#x27;s email for good" in response.text
    assert shown is (role in ALLOWED)
    # The entry never carries the banned value, whoever reads it.
    assert "banned@example.com" not in response.text


def test_an_editor_granted_view_ban_sees_ban_entries_but_not_the_bans(client, db):
    """Wagtail's site history counts any permission on the model; the ban list also needs
    "Can moderate comments", since it shows emails and addresses."""
    from django.contrib.auth.models import Permission

    ban = standing_ban()
    editor = make_editor()
    editor.user_permissions.add(Permission.objects.get(codename="view_ban"))
    client.force_login(editor)

    history = client.get(reverse("wagtailadmin_reports:site_history"))
    inspect = client.get(reverse("comment_bans:inspect", args=[ban.pk]))

    assert "Banned the author&#x27;s email for good" in history.text
    assert inspect.status_code == 403
    assert "banned@example.com" not in inspect.text


@pytest.mark.parametrize("role", BAN_ROLES)
@pytest.mark.parametrize("view", ["index", "inspect", "history", "add"])
def test_ban_pages(client_for_ban_role, role, view):
    ban = standing_ban()
    args = [] if view in ("index", "add") else [ban.pk]

    response = client_for_ban_role(role).get(reverse(f"comment_bans:{view}", args=args))

    if role in ALLOWED:
        assert response.status_code == 200
        if view in ("index", "inspect"):
            assert "banned@example.com" in response.text
    elif role == "moderator without ban permissions" and view != "add":
        # Wagtail's own refusal for pages: back to the dashboard.
        assert response.status_code == 302
        assert response.url == reverse("wagtailadmin_home")
    else:
        assert_refused_page(role, response)


@pytest.mark.parametrize("role", BAN_ROLES)
def test_ban_and_lift(client_for_ban_role, seed_post, role):
    from blog.comments.bans import Ban

    comment = make_comment(seed_post, status=Status.PENDING, author_email="spammer@example.com")
    standing = standing_ban()
    client = client_for_ban_role(role)

    made = client.post(
        reverse("comment_bans:add") + f"?comment={comment.pk}",
        {"kind": "email", "duration": "7", "reason": "Spam run"},
    )
    lifted = client.post(reverse("comment_bans:lift", args=[standing.pk]))

    standing.refresh_from_db()
    if role in ALLOWED:
        assert made.status_code == 302 and lifted.status_code == 302
        assert Ban.objects.filter(value="spammer@example.com", comment=comment).exists()
        assert standing.state == "lifted"
    else:
        assert_refused_change(role, made)
        assert_refused_change(role, lifted)
        assert list(Ban.objects.all()) == [standing]
        assert standing.state == "active"


@pytest.mark.parametrize("role", BAN_ROLES[1:])
def test_comment_pages_offer_to_ban_only_to_those_who_may(client_for_ban_role, seed_post, role):
    comment = make_comment(seed_post, status=Status.PENDING)
    ban_form = reverse("comment_bans:add") + f"?comment={comment.pk}"
    client = client_for_ban_role(role)

    inspect = client.get(reverse(f"{NAMESPACE}:inspect", args=[comment.pk]))
    listing = client.get(reverse(f"{NAMESPACE}:list"))

    if role == "editor":
        assert_refused_page(role, inspect)
        return
    assert inspect.status_code == listing.status_code == 200
    offered = role in ALLOWED
    assert (ban_form in inspect.text) is offered
    assert (ban_form in listing.text) is offered


def test_the_group_editor_offers_view_add_and_change_on_bans_not_delete(admin_client):
    from django.contrib.auth.models import Permission

    response = admin_client.get(reverse("wagtailusers_groups:add"))

    offered = {
        int(value) for value in re.findall(r'name="permissions" value="(\d+)"', response.text)
    }
    ban_permissions = dict(
        Permission.objects.filter(content_type__model="ban").values_list("codename", "pk")
    )
    assert {"view_ban", "add_ban", "change_ban"} <= set(ban_permissions)
    assert {ban_permissions[c] for c in ("view_ban", "add_ban", "change_ban")} <= offered
    assert ban_permissions.get("delete_ban") not in offered


def test_the_migration_grants_ban_permissions_to_whoever_may_moderate(db):
    """Groups and users who could ban before bans had permissions of their own keep
    banning; no one else gets the permissions."""
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Group, Permission

    migration = importlib.import_module(
        "blog.comments.migrations.0008_ban_permissions_for_moderators"
    )
    moderate = Permission.objects.get(codename="moderate_comment")
    moderators = Group.objects.create(name="Site moderators")
    moderators.permissions.add(moderate)
    direct_moderator = make_editor("direct-moderator")
    direct_moderator.user_permissions.add(moderate)
    editors = Group.objects.get(name="Editors")

    migration.grant_ban_permissions(apps, None)
    migration.grant_ban_permissions(apps, None)  # Running twice changes nothing more.

    ban_codenames = {"view_ban", "add_ban", "change_ban"}
    assert set(moderators.permissions.values_list("codename", flat=True)) == {
        "moderate_comment",
        *ban_codenames,
    }
    assert set(direct_moderator.user_permissions.values_list("codename", flat=True)) == {
        "moderate_comment",
        *ban_codenames,
    }
    assert not editors.permissions.filter(codename__in=ban_codenames).exists()

    migration.revoke_ban_permissions(apps, None)

    assert set(moderators.permissions.values_list("codename", flat=True)) == {"moderate_comment"}
    assert not direct_moderator.user_permissions.filter(codename__in=ban_codenames).exists()


@pytest.mark.parametrize(
    ("permission", "method", "path", "body", "refusal"),
    [
        ("view_ban", "get", "", None, "This token's user may not view bans."),
        (
            "add_ban",
            "post",
            "",
            {"kind": "ip", "value": "192.0.2.9", "reason": "Bot"},
            "This token's user may not ban.",
        ),
        ("change_ban", "post", "{pk}/lift/", None, "This token's user may not lift bans."),
    ],
)
def test_the_ban_api_asks_for_the_same_permissions(
    client, db, permission, method, path, body, refusal
):
    """A moderator's token, with and without the ban permission the operation needs."""
    from django.contrib.auth.models import Permission

    from wagtail.models import APIToken

    from blog.comments.bans import Ban

    ban = standing_ban()
    moderator = make_moderator_without_ban_permissions()
    _token, secret = APIToken.create_token(user=moderator, name="moderation app")
    url = "/api/v3/comments/moderation/bans/" + path.format(pk=ban.pk)
    kwargs = {"headers": {"Authorization": f"Bearer {secret}"}}
    if method == "post":
        kwargs.update(data=body, content_type="application/json")
    before = sorted(Ban.objects.values_list("pk", "lifted_at"))

    refused = getattr(client, method)(url, **kwargs)

    assert refused.status_code == 403
    assert refused.json()["detail"] == refusal
    assert sorted(Ban.objects.values_list("pk", "lifted_at")) == before

    moderator.user_permissions.add(Permission.objects.get(codename=permission))
    allowed = getattr(client, method)(url, **kwargs)

    assert allowed.status_code in (200, 201), allowed.content


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ["pin", "unpin"])
def test_bulk_pin_and_unpin(client_as, seed_post, role, action):
    from blog.comments.pinning import pin

    comments = [make_comment(seed_post, status=Status.APPROVED) for _ in range(2)]
    if action == "unpin":
        pinner = make_superuser("pinner")
        for comment in comments:
            pin(comment.pk, pinner)
    before = sorted(Comment.objects.values_list("pk", "pinned_at"))
    logs_before = comment_logs().count()
    bulk_url = reverse("wagtail_bulk_action", args=["comments", "comment", action])
    query = "?" + "&".join(f"id={comment.pk}" for comment in comments)
    client = client_as(role)

    confirm = client.get(bulk_url + query)
    response = client.post(bulk_url + query)

    pinned = set(Comment.objects.exclude(pinned_at=None).values_list("pk", flat=True))
    if role in ALLOWED:
        assert confirm.status_code == 200
        assert response.status_code == 302
        assert pinned == ({comment.pk for comment in comments} if action == "pin" else set())
        assert comment_logs().filter(action=f"comments.{action}").count() == 2
    else:
        assert_refused_change(role, confirm)
        assert_refused_change(role, response)
        assert sorted(Comment.objects.values_list("pk", "pinned_at")) == before
        assert comment_logs().count() == logs_before
