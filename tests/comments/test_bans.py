"""Bans: what they match, what a banned reader sees (nothing different), the API and the
admin that make and lift them, and the audit trail they leave."""

import datetime
import re

from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from wagtail.models import APIToken, ModelLogEntry

import pytest
from bs4 import BeautifulSoup

from blog.comments.bans import (
    BAN_LOG_ACTION,
    LIFT_LOG_ACTION,
    Ban,
    BanConflict,
    BanError,
    active_ban_for,
    canonical_value,
    create_ban,
    lift_ban,
)
from blog.comments.models import Comment, CommentSettings
from tests.comments.admin_users import make_editor, make_moderator
from tests.comments.conftest import api_submission, confirm_in, form_data, make_comment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_wait", "no_flood_limit")]

Status = Comment.Status
BANS_API = "/api/v3/comments/moderation/bans/"


@pytest.fixture
def no_flood_limit(settings):
    """These readers post again at once, from one address or network, on purpose."""
    settings.COMMENTS_RATE_LIMITS_ENABLED = False


@pytest.fixture
def moderator():
    return make_moderator()


def ban(kind, value, moderator, **options):
    return create_ban(kind, value=value, user=moderator, reason="Spam wave", **options)


def post_as_reader(post, ip, *, confirmed=False, **fields):
    """A reader (a fresh browser, one that confirmed its address if ``confirmed``) posting
    the form from ``ip``; returns the client, so the test can look at the page the way
    that reader does."""
    client = Client()
    if confirmed:
        confirm_in(client, fields["author_email"])
    response = client.post(
        f"/comments/post/{post.pk}/", form_data(post, ip=ip, **fields), REMOTE_ADDR=ip
    )
    assert response.status_code == 303, response.content
    return client, response


def cookie_names(response, comment):
    return {name.replace(f"_{comment.pk}", "_<id>") for name in response.cookies}


def what_the_reader_sees(post, ip, **fields):
    client, response = post_as_reader(post, ip, **fields)
    comment = Comment.objects.latest("pk")
    page = BeautifulSoup(client.get(post.url).content, "html.parser")
    mine = page.select_one(f"#comment-{comment.pk}")
    return comment, response, mine.get_text(" ", strip=True) if mine else ""


# What a ban matches


@pytest.mark.parametrize(
    ("kind", "typed", "stored"),
    [
        ("email", "  Ada@Example.COM ", "ada@example.com"),
        ("ip", "2001:DB8:0:0::1", "2001:db8::1"),
        ("ip", "::ffff:192.0.2.7", "192.0.2.7"),
        ("network", "192.0.2.77", "192.0.2.0/24"),
        ("network", "192.0.2.0/24", "192.0.2.0/24"),
        ("network", "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
    ],
)
def test_a_ban_is_stored_in_one_spelling(kind, typed, stored):
    assert canonical_value(kind, typed) == stored


@pytest.mark.parametrize(
    ("kind", "typed", "message"),
    [
        ("email", "not-an-email", "valid email"),
        ("ip", "192.0.2.0/24", "valid IPv4 or IPv6"),
        ("network", "192.0.0.0/16", "/24 (IPv4) or a /64 (IPv6)"),
        ("network", "2001:db8::/48", "/24 (IPv4) or a /64 (IPv6)"),
        ("network", "example.com", "such as 192.0.2.0/24"),
    ],
)
def test_a_value_the_kind_cannot_take_is_refused(moderator, kind, typed, message):
    with pytest.raises(BanError, match=re.escape(message)):
        ban(kind, typed, moderator)
    assert not Ban.objects.exists()


def test_banned_email_goes_to_spam_whatever_its_case_and_the_reader_sees_it_held(
    seed_post, moderator, mailoutbox, django_capture_on_commit_callbacks
):
    ban("email", "Troll@Example.com", moderator)

    with django_capture_on_commit_callbacks(execute=True):
        held, held_response, held_sees = what_the_reader_sees(
            seed_post, "198.51.100.1", author_email="newcomer@example.com", body="A question"
        )
        banned, banned_response, banned_sees = what_the_reader_sees(
            seed_post, "198.51.100.2", author_email="tROLL@example.COM", body="More of the same"
        )

    assert held.status == Status.PENDING
    assert banned.status == Status.SPAM
    assert banned.reason == f"The author's email is banned (ban #{Ban.objects.get().pk})"
    # The same answer, the same page: nothing tells the author about the ban.
    assert banned_response.status_code == held_response.status_code == 303
    assert banned_response["Location"] == f"{seed_post.url}#comment-{banned.pk}"
    # The same cookies, by name (the edit window's carry the comment's id).
    assert cookie_names(banned_response, banned) == cookie_names(held_response, held)
    assert "Your comment is awaiting moderation." in held_sees
    assert "Your comment is awaiting moderation." in banned_sees
    assert "More of the same" in banned_sees
    assert "banned" not in banned_sees.lower()
    # Moderators hear of the held comment only (its author also gets a link to confirm
    # the address; a comment sent to spam mails no one it names).
    to_moderators = [mail for mail in mailoutbox if "newcomer@example.com" not in mail.to]
    assert len(to_moderators) == 1 and "A question" in to_moderators[0].body
    assert not [mail for mail in mailoutbox if "troll@example.com" in mail.to[0].lower()]


def test_a_ban_outranks_a_trusted_author(seed_post, moderator):
    """Under "trust known authors" an approved author publishes at once, unless banned."""
    make_comment(seed_post, author_email="regular@example.com", status=Status.APPROVED)
    settings = CommentSettings.load()
    assert settings.approval_policy == CommentSettings.ApprovalPolicy.TRUST_KNOWN
    post_as_reader(
        seed_post,
        "198.51.100.3",
        author_email="regular@example.com",
        body="One",
        confirmed=True,
    )
    assert Comment.objects.latest("pk").status == Status.APPROVED

    ban("email", "regular@example.com", moderator, days=7)
    post_as_reader(
        seed_post,
        "198.51.100.4",
        author_email="regular@example.com",
        body="Two",
        confirmed=True,
    )
    assert Comment.objects.latest("pk").status == Status.SPAM


@pytest.mark.parametrize(
    ("kind", "value", "banned_ip", "free_ip"),
    [
        ("ip", "203.0.113.9", "203.0.113.9", "203.0.113.10"),
        ("ip", "2001:db8::9", "2001:0db8::0009", "2001:db8::a"),
        ("network", "203.0.113.0/24", "203.0.113.250", "203.0.114.1"),
        ("network", "2001:db8:1:2::/64", "2001:db8:1:2:ffff:ffff:ffff:1", "2001:db8:1:3::1"),
    ],
    ids=["IPv4 address", "IPv6 address", "IPv4 /24", "IPv6 /64"],
)
def test_banned_address_and_network(seed_post, moderator, kind, value, banned_ip, free_ip):
    ban(kind, value, moderator)

    post_as_reader(seed_post, banned_ip, author_email="a@example.com", body="From inside")
    inside = Comment.objects.latest("pk")
    post_as_reader(seed_post, free_ip, author_email="b@example.com", body="From outside")
    outside = Comment.objects.latest("pk")

    assert inside.status == Status.SPAM
    assert outside.status == Status.PENDING


def test_an_expired_ban_is_lifted_by_itself(seed_post, moderator):
    expiring = ban("email", "once@example.com", moderator, days=1)
    post_as_reader(seed_post, "198.51.100.5", author_email="once@example.com", body="Before")
    assert Comment.objects.latest("pk").status == Status.SPAM

    Ban.objects.filter(pk=expiring.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    post_as_reader(seed_post, "198.51.100.6", author_email="once@example.com", body="After")

    assert Comment.objects.latest("pk").status == Status.PENDING
    expiring.refresh_from_db()
    assert expiring.state == "expired"
    assert list(Ban.objects.expired()) == [expiring]


def test_a_lifted_ban_stops_matching_and_stays_listed(seed_post, moderator):
    lifted = lift_ban(ban("ip", "192.0.2.50", moderator), user=moderator)
    post_as_reader(seed_post, "192.0.2.50", author_email="c@example.com", body="Welcome back")

    assert Comment.objects.latest("pk").status == Status.PENDING
    assert lifted.state == "lifted" and lifted.lifted_by == moderator
    with pytest.raises(BanConflict, match="already lifted"):
        lift_ban(lifted, user=moderator)


def test_the_same_value_cannot_be_banned_twice_at_once(moderator):
    ban("email", "twice@example.com", moderator, days=30)
    with pytest.raises(BanConflict, match="already banned until"):
        ban("email", "TWICE@example.com", moderator)
    assert Ban.objects.count() == 1


def test_matching_is_one_query_however_many_bans(moderator, django_assert_num_queries):
    for number in range(60):
        ban("email", f"spammer{number}@example.com", moderator)
        ban("ip", f"192.0.2.{number}", moderator)
    ban("network", "198.51.100.0/24", moderator)

    with django_assert_num_queries(1):
        found = active_ban_for("someone@example.com", "198.51.100.77")
    with django_assert_num_queries(1):
        missed = active_ban_for("someone@example.com", "203.0.113.1")

    assert found.kind == "network"
    assert missed is None


def test_matching_uses_the_ban_index(moderator):
    from django.db import connection

    ban("email", "indexed@example.com", moderator)
    queryset = Ban.objects.active().filter(value__in=["indexed@example.com", "192.0.2.1"])
    plan = queryset.explain()
    if connection.vendor == "sqlite":
        assert "ban_unlifted_value_idx" in plan
    else:
        # PostgreSQL may scan a tiny table; it must at least be able to use the index.
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")
            plan = queryset.explain()
            cursor.execute("SET enable_seqscan = on")
        assert "ban_unlifted_value_idx" in plan


# The API


def token_for(user):
    _token, plaintext = APIToken.create_token(user=user, name="moderation app")
    return {"Authorization": f"Bearer {plaintext}"}


def api(client, method, path, headers, data=None):
    if method == "get":
        return client.get(path, data or {}, headers=headers)
    return client.post(path, data, content_type="application/json", headers=headers)


def test_api_bans_a_comments_author_lists_and_lifts(seed_post, moderator, client):
    comment = make_comment(seed_post, status=Status.PENDING, ip_address="203.0.113.66")
    headers = token_for(moderator)

    created = api(
        client,
        "post",
        BANS_API,
        headers,
        {"kind": "network", "comment": comment.pk, "days": 30, "reason": "Bot farm"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["value"] == "203.0.113.0/24"
    assert body["state"] == "active" and body["comment"] == comment.pk
    assert body["expires_at"] is not None and body["lifted_at"] is None
    assert "no-store" in created["Cache-Control"]

    forever = api(
        client, "post", BANS_API, headers, {"kind": "email", "value": "X@Y.org", "reason": "r"}
    )
    assert forever.status_code == 201 and forever.json()["expires_at"] is None

    listed = api(client, "get", BANS_API, headers)
    assert [item["id"] for item in listed.json()["items"]] == [forever.json()["id"], body["id"]]

    lifted = api(client, "post", f"{BANS_API}{body['id']}/lift/", headers)
    assert lifted.status_code == 200 and lifted.json()["state"] == "lifted"
    again = api(client, "post", f"{BANS_API}{body['id']}/lift/", headers)
    assert again.status_code == 409
    assert again["Content-Type"].startswith("application/problem+json")

    active = api(client, "get", BANS_API, headers)
    lifted_list = api(client, "get", BANS_API, headers, {"state": "lifted"})
    assert [item["id"] for item in active.json()["items"]] == [forever.json()["id"]]
    assert [item["id"] for item in lifted_list.json()["items"]] == [body["id"]]

    actions = list(
        ModelLogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Ban), object_id=str(body["id"])
        ).values_list("action", flat=True)
    )
    assert sorted(actions) == sorted([BAN_LOG_ACTION, LIFT_LOG_ACTION])


@pytest.mark.parametrize(
    ("data", "status", "where"),
    [
        ({"kind": "email", "value": "nope", "reason": "r"}, 422, "value"),
        ({"kind": "network", "value": "10.0.0.0/8", "reason": "r"}, 422, "value"),
        ({"kind": "email", "value": "a@b.org", "reason": ""}, 422, "reason"),
        ({"kind": "email", "value": "a@b.org", "reason": "r", "days": 0}, 422, "days"),
        ({"kind": "planet", "value": "a@b.org", "reason": "r"}, 422, "kind"),
        ({"kind": "ip", "comment": 999999, "reason": "r"}, 404, None),
    ],
)
def test_api_refuses_a_bad_ban_with_a_clear_problem(moderator, client, data, status, where):
    response = api(client, "post", BANS_API, token_for(moderator), data)

    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    if where:
        assert where in response.content.decode()
    assert not Ban.objects.exists()


def test_api_refuses_a_second_ban_on_the_same_value(moderator, client):
    headers = token_for(moderator)
    data = {"kind": "ip", "value": "192.0.2.1", "reason": "r"}
    assert api(client, "post", BANS_API, headers, data).status_code == 201
    second = api(client, "post", BANS_API, headers, data)
    assert second.status_code == 409
    assert "already banned" in second.json()["detail"]
    assert Ban.objects.count() == 1


def test_the_moderation_queue_does_not_show_what_was_banned(seed_post, moderator, client):
    """A banned comment's reason names the kind of ban, never the email or address."""
    ban("email", "hidden@example.com", moderator)
    headers = {"REMOTE_ADDR": "198.51.100.99"}
    data = api_submission(seed_post, client, author_email="hidden@example.com")
    created = client.post(
        "/api/v3/comments/", data, content_type="application/json", headers=headers
    )
    assert created.status_code == 201 and created.json()["status"] == "pending"

    queue = client.get(
        "/api/v3/comments/moderation/", {"status": "spam"}, headers=token_for(moderator)
    )
    assert queue.json()["items"][0]["reason"].startswith("The author's email is banned")
    assert "hidden@example.com" not in queue.content.decode()


# The admin


def test_admin_bans_a_comments_author_from_its_inspect_view(seed_post, moderator_client):
    comment = make_comment(
        seed_post, status=Status.PENDING, author_email="from@example.com", ip_address="2001:db8::5"
    )
    inspect_url = reverse("wagtailsnippets_comments_comment:inspect", args=[comment.pk])
    inspect = BeautifulSoup(moderator_client.get(inspect_url).content, "html.parser")
    ban_link = inspect.select_one("[data-comment-ban] a")["href"]

    form = BeautifulSoup(moderator_client.get(ban_link).content, "html.parser")
    choices = [label.get_text(" ", strip=True) for label in form.select("label[for^=id_kind_]")]
    assert choices == [
        "Email: from@example.com",
        "IP address: 2001:db8::5",
        "Network: 2001:db8::/64",
    ]

    response = moderator_client.post(
        ban_link, {"kind": "network", "duration": "1", "reason": "Bot"}
    )

    assert response.status_code == 302 and response.url == inspect_url
    made = Ban.objects.get()
    assert (made.kind, made.value, made.comment) == ("network", "2001:db8::/64", comment)
    lasts = made.expires_at - made.created_at
    assert abs(lasts - datetime.timedelta(days=1)) < datetime.timedelta(minutes=1)
    page = moderator_client.get(inspect_url).content.decode()
    assert "Banned the author&#x27;s network until" in page or "Banned the author's network" in page
    history = moderator_client.get(
        reverse("wagtailsnippets_comments_comment:history", args=[comment.pk])
    )
    assert "Comment: ban" in history.content.decode()


def test_admin_bans_a_typed_value_and_shows_field_errors(moderator_client):
    add_url = reverse("comment_bans:add")
    refused = moderator_client.post(add_url, {"kind": "ip", "value": "300.1.1.1", "reason": "x"})
    assert refused.status_code == 200
    assert "Enter a valid IPv4 or IPv6 address." in refused.content.decode()
    assert not Ban.objects.exists()

    made = moderator_client.post(
        add_url, {"kind": "email", "value": "Typed@Example.com", "duration": "", "reason": "x"}
    )
    assert made.status_code == 302 and made.url == reverse("comment_bans:index")
    assert Ban.objects.get().value == "typed@example.com"
    assert Ban.objects.get().expires_at is None


def test_the_queue_row_menu_offers_to_ban_the_author(seed_post, moderator_client):
    comment = make_comment(seed_post, status=Status.PENDING)
    listing = moderator_client.get(
        reverse("wagtailsnippets_comments_comment:list"), {"status": "pending"}
    )
    html = BeautifulSoup(listing.content, "html.parser")
    links = [a["href"] for a in html.select("a") if a.get_text(strip=True) == "Ban author…"]
    assert links == [f"{reverse('comment_bans:add')}?comment={comment.pk}"]


def test_admin_ban_list_shows_expiry_filters_and_lifts(moderator, moderator_client):
    active = ban("email", "active@example.com", moderator, days=7)
    expired = ban("ip", "192.0.2.8", moderator, days=1)
    Ban.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - datetime.timedelta(1))
    forever = ban("network", "198.51.100.0/24", moderator)

    def rows(**query):
        response = moderator_client.get(reverse("comment_bans:index"), query)
        assert response.status_code == 200
        html = BeautifulSoup(response.content, "html.parser")
        return [row.get_text(" ", strip=True) for row in html.select("tbody tr")]

    everything = rows()
    assert len(everything) == 3
    assert "For good" in everything[0] and "Active" in everything[0]
    assert "Expired" in everything[1]
    assert timezone.localtime(active.expires_at).strftime("%Y-%m-%d") in everything[2]
    assert [r.split()[0] for r in rows(state="active")] == ["198.51.100.0/24", "active@example.com"]
    assert [r.split()[0] for r in rows(state="expired")] == ["192.0.2.8"]

    lift = moderator_client.post(reverse("comment_bans:lift", args=[forever.pk]))
    assert lift.status_code == 302
    forever.refresh_from_db()
    assert forever.state == "lifted"
    assert [r.split()[0] for r in rows(state="lifted")] == ["198.51.100.0/24"]
    inspect = moderator_client.get(reverse("comment_bans:inspect", args=[forever.pk]))
    assert "Lift this ban" not in inspect.content.decode()
    history = moderator_client.get(reverse("comment_bans:history", args=[forever.pk]))
    assert "Lifted ban #" in history.content.decode()


def test_a_get_on_lift_changes_nothing(moderator, moderator_client):
    standing = ban("email", "stays@example.com", moderator)
    response = moderator_client.get(reverse("comment_bans:lift", args=[standing.pk]))
    assert response.status_code == 405
    standing.refresh_from_db()
    assert standing.state == "active"


@pytest.mark.parametrize("name", ["index", "add", "inspect", "history", "lift", "edit", "delete"])
def test_only_moderators_reach_the_ban_admin(moderator, name):
    standing = ban("email", "guarded@example.com", moderator)
    args = [] if name in ("index", "add") else [standing.pk]
    url = reverse(f"comment_bans:{name}", args=args)

    editor = Client()
    editor.force_login(make_editor())
    anonymous = Client()
    for client in (editor, anonymous):
        response = client.post(url) if name == "lift" else client.get(url)
        if client is editor:
            assert response.status_code == 403
            assert "guarded@example.com" not in response.content.decode()
        else:
            assert response.status_code == 302 and "/login/" in response.url
    standing.refresh_from_db()
    assert standing.state == "active"

    moderator_client = Client()
    moderator_client.force_login(moderator)
    response = moderator_client.post(url) if name == "lift" else moderator_client.get(url)
    if name in ("edit", "delete"):
        # No one edits or deletes a ban: Wagtail's own refusal, back to the dashboard.
        assert response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    else:
        assert response.status_code in (200, 302)


def test_the_ban_lists_cost_no_query_per_ban(moderator, moderator_client, client):
    """The admin's list and the API's, with 3 bans and with 30: the same queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = token_for(moderator)

    def queries():
        counts = []
        for fetch in (
            lambda: moderator_client.get(reverse("comment_bans:index")),
            lambda: api(client, "get", BANS_API, headers, {"state": "all", "limit": 50}),
        ):
            with CaptureQueriesContext(connection) as captured:
                assert fetch().status_code == 200
            counts.append(len(captured))
        return counts

    for number in range(3):
        ban("email", f"few{number}@example.com", moderator)
    queries()  # a token's first use records when it was used
    few = queries()
    for number in range(27):
        ban("ip", f"192.0.2.{number}", moderator, days=7)
    many = queries()

    assert many == few
