"""
Who may moderate comments, across both doors: the Wagtail admin and the API.

The admin's own matrix (every role against the listing, inspect, history, each single
and bulk decision and the reply form) is tests/comments/test_permissions.py. This file
makes sure nothing slips past it and adds what crosses the doors:

- Discovery: every URL in the comments viewset's namespace and every bulk action
  registered for comments is found with ``reverse`` and the bulk-action registry, and
  each must be covered by a cell somewhere; a new URL without a cell fails the suite.
- The admin URLs that file does not visit (usage, history results, the generic forms'
  URLs, GET on decision URLs, requests without a CSRF token).
- The API's moderation endpoints (queue, each single action, each bulk action) for every
  kind of caller: no token, a malformed, revoked or inactive user's token, a session
  cookie instead of a token, an editor's, a moderator's and an administrator's token.
- The generic v3 snippets API, which must not serve comments to anyone.
- Readers' email confirmation: the mailed link works for whoever holds it, by a POST
  with the CSRF token only; its API takes same-site JSON only.

Allowed cells must succeed; every other cell gets 401/403 (or the login redirect in the
admin) and leaves comments, their statuses and the audit log exactly as they were.
"""

import json
from urllib.parse import urlsplit

from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import NoReverseMatch, get_resolver, reverse
from django.utils import timezone

from wagtail.admin.views.bulk_action.registry import bulk_action_registry
from wagtail.models import APIToken, ModelLogEntry

import pytest

from blog.comments import editing
from blog.comments.models import Comment
from blog.comments.reports import CommentReport
from blog.comments.verification import EmailConfirmation, link_token
from tests.comments.admin_users import make_editor, make_moderator, make_superuser
from tests.comments.conftest import add_reports, make_comment

pytestmark = pytest.mark.django_db

Status = Comment.Status
NAMESPACE = "wagtailsnippets_comments_comment"
MODERATION_ACTIONS = ["approve", "unapprove", "spam", "trash", "restore", "keep"]
ADMIN_ACTIONS = [*MODERATION_ACTIONS, "delete"]
# What moves each action's comment (and what status it starts in for the test).
START_STATUS = {
    "approve": Status.PENDING,
    "unapprove": Status.APPROVED,
    "spam": Status.PENDING,
    "trash": Status.APPROVED,
    "restore": Status.TRASH,
    "delete": Status.SPAM,
    "keep": Status.PENDING,  # hidden by readers' reports (see comment_for)
    "pin": Status.APPROVED,
    "unpin": Status.APPROVED,
}
PIN_ACTIONS = ["pin", "unpin"]

# Every URL name in the namespace and who may use it. Cells for the names marked
# "test_permissions" are in tests/comments/test_permissions.py.
ADMIN_URLS = {
    "list": "test_permissions",
    "list_results": "test_permissions",
    "inspect": "test_permissions",
    "history": "test_permissions",
    "moderate": "test_permissions",
    "reply": "test_permissions",
    "add": "test_permissions",
    "edit": "test_permissions",
    "delete": "test_permissions",
    "history_results": "here",
    "usage": "here",
    "pin": "here",
}
CORE_ADMIN_URLS = {"list", "inspect", "history", "moderate", "reply"}
CORE_BULK_ACTIONS = {"approve", "spam", "trash", "restore", "delete", "keep"}
ADMIN_ROLES = ["anonymous", "editor", "moderator", "admin"]
MODERATORS = {"moderator", "admin"}


def namespace_url_names():
    namespace_resolver = get_resolver().namespace_dict[NAMESPACE][1]
    return {name for name in namespace_resolver.reverse_dict if isinstance(name, str)}


def comment_bulk_actions():
    return {
        action.action_type
        for action in bulk_action_registry.get_bulk_actions_for_model("comments", "comment")
    }


def state():
    """Everything a refused request must leave as it was."""
    log_type = ContentType.objects.get_for_model(Comment)
    return (
        sorted(Comment.objects.values_list("pk", "status", "pinned_at")),
        ModelLogEntry.objects.filter(content_type=log_type).count(),
        CommentReport.objects.open().count(),
    )


def comment_for(post, action, **fields):
    """A comment ``action`` moves: for "keep", one that readers' reports hid."""
    comment = make_comment(post, status=START_STATUS.get(action, Status.PENDING), **fields)
    if action == "keep":
        add_reports(comment, 3)
    return comment


# Discovery


def test_every_moderation_url_and_bulk_action_is_in_the_matrix():
    names = namespace_url_names()
    missing_core = CORE_ADMIN_URLS - names
    assert not missing_core, f"core moderation URLs are missing from the admin: {missing_core}"
    unclassified = names - set(ADMIN_URLS)
    assert not unclassified, (
        f"new moderation URLs {unclassified}: add them to ADMIN_URLS and give them cells"
    )
    for name in ("moderate", "reply"):
        for action in ADMIN_ACTIONS if name == "moderate" else [None]:
            args = [1, action] if action else [1]
            assert reverse(f"{NAMESPACE}:{name}", args=args)

    bulk = comment_bulk_actions()
    assert bulk >= CORE_BULK_ACTIONS, f"bulk actions missing: {CORE_BULK_ACTIONS - bulk}"
    assert bulk <= CORE_BULK_ACTIONS | {"unapprove", "pin", "unpin"}, (
        f"unexpected bulk actions: {bulk}"
    )


def test_the_admins_own_matrix_is_there():
    from pathlib import Path

    own = Path(__file__).resolve().parents[1] / "comments" / "test_permissions.py"
    assert own.exists(), "tests/comments/test_permissions.py holds the admin's cells"
    text = own.read_text()
    for name, where in ADMIN_URLS.items():
        if where == "test_permissions":
            covered = f'"{name}"' in text or f':{name}"' in text
            assert covered, f"{name} has no cell in tests/comments/test_permissions.py"


# The admin URLs tests/comments/test_permissions.py does not visit


@pytest.fixture
def client_as(db):
    def login(role, **client_options):
        client = Client(**client_options)
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


def assert_admin_refused(role, response):
    if role == "anonymous":
        assert response.status_code == 302
        assert response.url.startswith(reverse("wagtailadmin_login"))
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", ADMIN_ROLES)
@pytest.mark.parametrize("action", PIN_ACTIONS)
def test_pin_and_unpin(client_as, seed_post, role, action):
    comment = make_comment(seed_post, pinned_at=timezone.now() if action == "unpin" else None)
    before = state()
    url = reverse(f"{NAMESPACE}:pin", args=[action, comment.pk])
    client = client_as(role)
    assert client.get(url).status_code in (302, 403, 405)
    assert state() == before, "a GET never pins"
    response = client.post(url)
    comment.refresh_from_db()
    if role in MODERATORS:
        assert response.status_code == 302
        assert (comment.pinned_at is not None) == (action == "pin")
    else:
        assert_admin_refused(role, response)
        assert state() == before


@pytest.mark.parametrize("role", ["moderator", "admin"])
def test_pinning_needs_the_csrf_token(client_as, seed_post, role):
    comment = make_comment(seed_post)
    before = state()
    client = client_as(role, enforce_csrf_checks=True)
    assert client.post(reverse(f"{NAMESPACE}:pin", args=["pin", comment.pk])).status_code == 403
    assert state() == before


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_history_results(client_as, seed_post, role):
    comment = make_comment(seed_post, status=Status.PENDING)
    response = client_as(role).get(reverse(f"{NAMESPACE}:history_results", args=[comment.pk]))
    if role in MODERATORS:
        assert response.status_code == 200
    else:
        assert_admin_refused(role, response)


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_usage_is_closed_to_everyone(client_as, seed_post, role):
    """Nothing refers to a comment; Wagtail's usage view needs "change", which no one has."""
    comment = make_comment(seed_post, status=Status.PENDING, author_email="usage@example.com")
    response = client_as(role).get(reverse(f"{NAMESPACE}:usage", args=[comment.pk]))
    if role in MODERATORS:
        # Wagtail's own refusal: back to the dashboard with a message.
        assert response.status_code == 302
        assert response.url == reverse("wagtailadmin_home")
    else:
        assert_admin_refused(role, response)


@pytest.mark.parametrize("role", ADMIN_ROLES)
@pytest.mark.parametrize("action", ADMIN_ACTIONS)
def test_a_get_never_decides(client_as, seed_post, role, action):
    """Decisions are POSTs: a link or an <img src> pointing at a decision URL does nothing."""
    comment = comment_for(seed_post, action)
    before = state()
    response = client_as(role).get(reverse(f"{NAMESPACE}:moderate", args=[comment.pk, action]))
    assert response.status_code in (302, 403, 405)
    assert state() == before


@pytest.mark.parametrize("role", ["moderator", "admin"])
@pytest.mark.parametrize("action", ADMIN_ACTIONS)
def test_decisions_need_the_csrf_token(client_as, seed_post, role, action):
    """Another site cannot make a signed-in moderator's browser decide anything."""
    comment = comment_for(seed_post, action)
    client = client_as(role, enforce_csrf_checks=True)
    before = state()

    single = client.post(reverse(f"{NAMESPACE}:moderate", args=[comment.pk, action]))
    bulk_url = reverse("wagtail_bulk_action", args=["comments", "comment", action])
    bulk = client.post(f"{bulk_url}?id={comment.pk}") if action in comment_bulk_actions() else None
    reply = client.post(reverse(f"{NAMESPACE}:reply", args=[comment.pk]), {"body": "Hi"})

    assert single.status_code == 403
    assert bulk is None or bulk.status_code == 403
    assert reply.status_code == 403
    assert state() == before


# The API


API_CALLERS = [
    "no token",
    "malformed token",
    "revoked token",
    "inactive user's token",
    "moderator's session, no token",
    "editor's token",
    "moderator's token",
    "admin's token",
]
API_ALLOWED = {"moderator's token", "admin's token"}


def api_operations():
    """(label, method, path builder, JSON body builder) for every moderation operation."""
    operations = [("queue", "get", lambda comment: "/api/v3/comments/moderation/", None, None)]
    for action in MODERATION_ACTIONS:
        operations.append(
            (
                f"{action} one",
                "post",
                lambda comment, action=action: (
                    f"/api/v3/comments/moderation/{comment.pk}/actions/{action}/"
                ),
                None,
                action,
            )
        )
        operations.append(
            (
                f"{action} many",
                "post",
                lambda comment, action=action: f"/api/v3/comments/moderation/actions/{action}/",
                lambda comment: {"ids": [comment.pk]},
                action,
            )
        )
    for action in PIN_ACTIONS:
        operations.append(
            (
                f"{action} one",
                "post",
                lambda comment, action=action: (
                    f"/api/v3/comments/moderation/{comment.pk}/{action}/"
                ),
                None,
                action,
            )
        )
    return operations


API_OPERATIONS = api_operations()


def api_client_for(caller):
    """A client and the headers it sends for one kind of caller."""
    client = Client()
    headers = {}
    if caller == "no token":
        return client, headers
    if caller == "malformed token":
        return client, {"Authorization": "Bearer not-a-real-token"}
    if caller == "moderator's session, no token":
        client.force_login(make_moderator("session-moderator"))
        return client, headers
    user = {
        "revoked token": lambda: make_moderator("revoked-moderator"),
        "inactive user's token": lambda: make_moderator("inactive-moderator", is_active=False),
        "editor's token": lambda: make_editor("token-editor"),
        "moderator's token": lambda: make_moderator("token-moderator"),
        "admin's token": lambda: make_superuser("token-admin"),
    }[caller]()
    token, plaintext = APIToken.create_token(user=user, name=f"{caller} app")
    if caller == "revoked token":
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return client, {"Authorization": f"Bearer {plaintext}"}


@pytest.mark.parametrize("caller", API_CALLERS)
@pytest.mark.parametrize(
    ("label", "method", "path", "body", "action"),
    API_OPERATIONS,
    ids=[operation[0] for operation in API_OPERATIONS],
)
def test_api_moderation(seed_post, caller, label, method, path, body, action):
    comment = comment_for(
        seed_post,
        action,
        author_email="queue-person@example.com",
        ip_address="198.51.100.23",
        pinned_at=timezone.now() if action == "unpin" else None,
    )
    client, headers = api_client_for(caller)
    before = state()

    kwargs = {"headers": headers}
    if method == "post":
        # The API takes JSON only (a form's body gets 415): what apps send.
        kwargs.update(data=body(comment) if body else None, content_type="application/json")
    response = getattr(client, method)(path(comment), **kwargs)

    if caller in API_ALLOWED:
        assert response.status_code == 200, response.content
        # A shared cache must never keep a moderator's answer for the next caller.
        assert "no-store" in response["Cache-Control"] and "public" not in response["Cache-Control"]
        if action in PIN_ACTIONS:
            comment.refresh_from_db()
            assert (comment.pinned_at is not None) == (action == "pin")
            assert response.json()["pinned"] == (action == "pin")
        elif action:
            comment.refresh_from_db()
            assert comment.status != START_STATUS[action]
        else:
            assert [item["id"] for item in response.json()["items"]] == [comment.pk]
    else:
        expected = 403 if caller == "editor's token" else 401
        assert response.status_code == expected, (caller, label, response.content)
        assert response["Content-Type"].startswith("application/problem+json")
        assert state() == before
    text = response.content.decode()
    assert "queue-person@example.com" not in text
    assert "198.51.100.23" not in text


WRITES = [operation for operation in API_OPERATIONS if operation[1] == "post"]


@pytest.mark.parametrize(
    ("label", "method", "path", "body", "action"), WRITES, ids=[op[0] for op in WRITES]
)
@pytest.mark.parametrize(
    ("way", "extra"),
    [
        ("form body", {"content_type": "text/plain"}),
        ("another site's page", {"headers": {"Origin": "https://attacker.example"}}),
        ("cross-site fetch", {"headers": {"Sec-Fetch-Site": "cross-site"}}),
    ],
)
def test_a_moderators_token_cannot_be_used_from_another_site(
    seed_post, label, method, path, body, action, way, extra
):
    """Even with a moderator's token, an unsafe API request that is not JSON (415), or that
    a browser says another site sent (403), changes nothing (issue 11, item 1)."""
    comment = comment_for(
        seed_post, action, pinned_at=timezone.now() if action == "unpin" else None
    )
    client, headers = api_client_for("moderator's token")
    before = state()
    payload = json.dumps(body(comment) if body else {})
    response = client.generic(
        "POST",
        path(comment),
        payload,
        content_type=extra.get("content_type", "application/json"),
        headers={**headers, **extra.get("headers", {})},
    )
    assert response.status_code == (415 if way == "form body" else 403), response.content
    assert state() == before


@pytest.mark.parametrize("caller", ["editor's token", "moderator's token", "admin's token"])
def test_the_generic_snippets_api_serves_no_comments(seed_post, caller):
    """Comments are a snippet in the admin, but not in the v3 snippets API: that API would
    serve every field, emails and IP addresses included."""
    comment = make_comment(seed_post, author_email="snippet-person@example.com")
    client, headers = api_client_for(caller)
    for label in ("comments.Comment", "comments.comment"):
        listing = client.get(f"/api/v3/snippets/{label}/", headers=headers)
        detail = client.get(f"/api/v3/snippets/{label}/{comment.pk}/", headers=headers)
        for response in (listing, detail):
            assert response.status_code in (403, 404, 422), response.content
            assert "snippet-person@example.com" not in response.content.decode()


def test_an_api_token_does_not_open_the_admin(seed_post):
    """A leaked app token is not a session: the admin still asks it to sign in."""
    _client, headers = api_client_for("admin's token")
    response = Client().get(reverse(f"{NAMESPACE}:list"), headers=headers)
    assert response.status_code == 302
    assert response.url.startswith(reverse("wagtailadmin_login"))


def test_only_known_decisions_have_a_url():
    with pytest.raises(NoReverseMatch):
        reverse(f"{NAMESPACE}:moderate", args=[1, "publish"])


# The author's edit window (blog/comments/editing.py): the comment's secret, and nothing
# else, opens its edit and delete doors; a moderator's token or session is not a secret.

AUTHOR_CALLERS = [
    "no secret",
    "another comment's secret",
    "the secret's stored hash",
    "moderator's token, no secret",
    "moderator's session, no secret",
    "the author's secret",
]
AUTHOR_OPERATIONS = [
    ("form: edit page", "get", "/comments/{id}/edit/", None),
    ("form: save edit", "post", "/comments/{id}/edit/", {"body": "Edited text"}),
    ("form: delete page", "get", "/comments/{id}/delete/", None),
    ("form: delete", "post", "/comments/{id}/delete/", {}),
    ("api: edit", "patch", "/api/v3/comments/{id}/", {"body": "Edited text"}),
    ("api: delete", "delete", "/api/v3/comments/{id}/", None),
]


def authored_comment(post):
    comment = make_comment(post, author_email="edit-person@example.com", ip_address="198.51.100.24")
    editing.issue_edit_secret(comment)
    Comment.objects.filter(pk=comment.pk).update(edit_secret_hash=comment.edit_secret_hash)
    return comment


@pytest.mark.parametrize("caller", AUTHOR_CALLERS)
@pytest.mark.parametrize(
    ("label", "method", "path", "body"), AUTHOR_OPERATIONS, ids=[op[0] for op in AUTHOR_OPERATIONS]
)
def test_author_edit_window(seed_post, caller, label, method, path, body):
    comment = authored_comment(seed_post)
    other = authored_comment(seed_post)
    secret = {
        "another comment's secret": other.edit_secret,
        "the secret's stored hash": comment.edit_secret_hash,
        "the author's secret": comment.edit_secret,
    }.get(caller)
    client, headers = Client(), {}
    if caller == "moderator's token, no secret":
        client, headers = api_client_for("moderator's token")
    elif caller == "moderator's session, no secret":
        client.force_login(make_moderator("session-moderator"))
    if secret and label.startswith("form"):
        client.cookies[editing.secret_cookie_name(comment.pk)] = secret
    elif secret:
        headers[editing.SECRET_HEADER] = secret
    before = state()

    url = path.format(id=comment.pk)
    kwargs = {"headers": headers}
    if label.startswith("api") and body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    elif body is not None:
        kwargs.update(data=body)
    response = getattr(client, method)(url, **kwargs)

    if caller == "the author's secret":
        assert response.status_code in (200, 303), response.content
        if method != "get":
            assert state() != before
    else:
        assert response.status_code == 403, (caller, label, response.content)
        if label.startswith("api"):
            assert response["Content-Type"].startswith("application/problem+json")
        assert state() == before
    text = response.content.decode()
    assert "edit-person@example.com" not in text
    assert "198.51.100.24" not in text


# Bans (blog/comments/bans.py): the admin's ban list and the API's, moderators only


BAN_NAMESPACE = "comment_bans"
# Every URL name of the ban list and who may use it ("moderators": moderators and
# administrators; "nobody": Wagtail's own refusal for everyone, bans are never edited or
# deleted, only lifted).
BAN_ADMIN_URLS = {
    "index": "moderators",
    "index_results": "moderators",
    "add": "moderators",
    "inspect": "moderators",
    "history": "moderators",
    "history_results": "moderators",
    "lift": "moderators",
    "edit": "nobody",
    "delete": "nobody",
    "usage": "nobody",
}


def ban_state():
    from blog.comments.bans import Ban

    return (
        sorted(Ban.objects.values_list("pk", "lifted_at")),
        ModelLogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Ban)).count(),
    )


def standing_ban():
    from blog.comments.bans import create_ban

    owner = make_superuser("ban-owner")
    return create_ban("email", value="banned-person@example.com", user=owner, reason="Spam")


def test_every_ban_url_is_in_the_matrix():
    namespace_resolver = get_resolver().namespace_dict[BAN_NAMESPACE][1]
    names = {name for name in namespace_resolver.reverse_dict if isinstance(name, str)}
    assert names == set(BAN_ADMIN_URLS), f"classify {names ^ set(BAN_ADMIN_URLS)} in the matrix"


@pytest.mark.parametrize("role", ADMIN_ROLES)
@pytest.mark.parametrize("name", sorted(BAN_ADMIN_URLS))
def test_ban_admin(client_as, role, name):
    ban = standing_ban()
    url = reverse(
        f"{BAN_NAMESPACE}:{name}",
        args=[] if name in ("index", "index_results", "add") else [ban.pk],
    )
    client = client_as(role)
    before = ban_state()

    response = client.post(url) if name == "lift" else client.get(url)

    if role not in MODERATORS:
        assert_admin_refused(role, response)
        assert "banned-person@example.com" not in response.content.decode()
        assert ban_state() == before
    elif BAN_ADMIN_URLS[name] == "nobody":
        assert response.status_code == 302 and response.url == reverse("wagtailadmin_home")
        assert ban_state() == before
    elif name == "lift":
        assert response.status_code == 302
        assert ban_state() != before
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("role", ["moderator", "admin"])
def test_a_lift_needs_the_csrf_token(client_as, role):
    ban = standing_ban()
    before = ban_state()
    response = client_as(role, enforce_csrf_checks=True).post(
        reverse(f"{BAN_NAMESPACE}:lift", args=[ban.pk])
    )
    assert response.status_code == 403
    assert ban_state() == before


BAN_API_OPERATIONS = [
    ("list", "get", lambda ban: "/api/v3/comments/moderation/bans/", None),
    (
        "create",
        "post",
        lambda ban: "/api/v3/comments/moderation/bans/",
        {"kind": "network", "value": "192.0.2.0/24", "days": 7, "reason": "Bot farm"},
    ),
    ("lift", "post", lambda ban: f"/api/v3/comments/moderation/bans/{ban.pk}/lift/", None),
]


@pytest.mark.parametrize("caller", API_CALLERS)
@pytest.mark.parametrize(
    ("label", "method", "path", "body"),
    BAN_API_OPERATIONS,
    ids=[op[0] for op in BAN_API_OPERATIONS],
)
def test_ban_api(db, caller, label, method, path, body):
    ban = standing_ban()
    client, headers = api_client_for(caller)
    before = ban_state()

    kwargs = {"headers": headers}
    if method == "post":
        kwargs.update(data=body, content_type="application/json")
    response = getattr(client, method)(path(ban), **kwargs)

    if caller in API_ALLOWED:
        assert response.status_code == (201 if label == "create" else 200), response.content
        assert "no-store" in response["Cache-Control"] and "public" not in response["Cache-Control"]
        assert (ban_state() == before) == (label == "list")
    else:
        expected = 403 if caller == "editor's token" else 401
        assert response.status_code == expected, (caller, label, response.content)
        assert response["Content-Type"].startswith("application/problem+json")
        assert "banned-person@example.com" not in response.content.decode()
        assert ban_state() == before


BAN_WRITES = [operation for operation in BAN_API_OPERATIONS if operation[1] == "post"]


@pytest.mark.parametrize(
    ("label", "method", "path", "body"), BAN_WRITES, ids=[op[0] for op in BAN_WRITES]
)
@pytest.mark.parametrize(
    ("way", "extra"),
    [
        ("form body", {"content_type": "text/plain"}),
        ("another site's page", {"headers": {"Origin": "https://attacker.example"}}),
    ],
)
def test_a_moderators_token_cannot_ban_from_another_site(db, label, method, path, body, way, extra):
    ban = standing_ban()
    client, headers = api_client_for("moderator's token")
    before = ban_state()
    response = client.generic(
        "POST",
        path(ban),
        json.dumps(body or {}),
        content_type=extra.get("content_type", "application/json"),
        headers={**headers, **extra.get("headers", {})},
    )
    assert response.status_code == (415 if way == "form body" else 403), response.content
    assert ban_state() == before


# One-click links from the held-comment e-mail (blog/comments/one_click.py)


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_one_click_link(client_as, seed_post, role):
    """A link signed for one moderator: anyone else (signed out, an editor, another
    moderator or an administrator) is refused and nothing changes; tests/comments/
    test_one_click.py has the rest (its owner, replayed, expired, lost permission)."""
    from blog.comments.one_click import link_url

    owner = make_moderator("link-owner")
    comment = make_comment(seed_post, status=Status.PENDING)
    link = urlsplit(link_url(comment, owner, "approve")).path
    before = state()

    client = client_as(role)
    responses = [client.get(link), client.post(link)]

    for response in responses:
        if role == "anonymous":
            assert response.status_code == 302
            assert response.url.startswith(reverse("wagtailadmin_login"))
        else:
            assert response.status_code == 403
    assert state() == before


# Readers' email confirmation (blog/comments/verification.py): the mailed link is the
# authority, so it works for whoever holds it, signed in or not; but only by a POST
# with the CSRF token (the form's page), and for apps only as a same-site JSON request.

CONFIRMATION_CALLERS = ["anonymous", "editor", "moderator"]


def confirmation_link(seed_post):
    comment = make_comment(seed_post, status=Status.PENDING, author_email="link-person@example.com")
    confirmation = EmailConfirmation.objects.create(
        email="link-person@example.com", comment=comment
    )
    return confirmation, reverse("comments:confirm_email", args=[link_token(confirmation)])


def browser_as(role):
    client = Client(enforce_csrf_checks=True)
    if role == "editor":
        client.force_login(make_editor("link-editor"))
    elif role == "moderator":
        client.force_login(make_moderator("link-moderator"))
    return client


@pytest.mark.parametrize("role", CONFIRMATION_CALLERS)
def test_a_confirmation_link_confirms_only_by_a_post_with_the_csrf_token(seed_post, role):
    confirmation, path = confirmation_link(seed_post)
    client = browser_as(role)

    page = client.get(path)
    without_token = client.post(path)
    request_without_token = client.post(
        reverse("comments:request_confirmation"), {"email": "x@example.com"}
    )
    confirmation.refresh_from_db()
    assert (page.status_code, without_token.status_code) == (200, 403)
    assert request_without_token.status_code == 403
    assert confirmation.confirmed_at is None
    assert EmailConfirmation.objects.count() == 1

    token = client.cookies["csrftoken"].value
    confirmed = client.post(path, {"csrfmiddlewaretoken": token})
    confirmation.refresh_from_db()
    assert confirmed.status_code == 200 and confirmation.confirmed_at is not None


@pytest.mark.parametrize(
    ("way", "extra", "expected"),
    [
        ("form body", {"content_type": "text/plain"}, 415),
        ("another site's page", {"headers": {"Origin": "https://attacker.example"}}, 403),
        ("cross-site fetch", {"headers": {"Sec-Fetch-Site": "cross-site"}}, 403),
    ],
)
@pytest.mark.parametrize(
    "path", ["/api/v3/comments/confirmations/confirm/", "/api/v3/comments/confirmations/"]
)
def test_the_confirmation_api_takes_same_site_json_only(seed_post, way, extra, expected, path):
    confirmation, _path = confirmation_link(seed_post)
    payload = {"token": link_token(confirmation), "email": "link-person@example.com"}
    response = Client().generic(
        "POST",
        path,
        json.dumps(payload),
        content_type=extra.get("content_type", "application/json"),
        headers=extra.get("headers", {}),
    )
    confirmation.refresh_from_db()
    assert response.status_code == expected, response.content
    assert confirmation.confirmed_at is None
    assert EmailConfirmation.objects.count() == 1
