"""
Confirmed commenters (blog/comments/verification.py), where readers, apps and moderators
meet them: the comment form and its mailed link, the v3 API, and the admin.
"""

import re
import time

from django.core import mail, signing
from django.db import transaction
from django.test import Client

from wagtail.models import APIToken

import pytest

from blog.comments import verification
from blog.comments.models import Comment
from blog.comments.moderation import moderate
from tests.comments.admin_users import PASSWORD, make_moderator
from tests.comments.conftest import api_submission, confirm_in, form_data, make_comment, next_ip

pytestmark = pytest.mark.django_db

ADA = "ada@example.com"
STRANGER_NOTE = "I am totally Ada, trust me."


@pytest.fixture(autouse=True)
def posting_without_waiting(settings):
    settings.COMMENTS_MIN_SECONDS_TO_POST = 0
    settings.COMMENTS_FLOOD_SECONDS = 0


@pytest.fixture
def run_on_commit(monkeypatch):
    """Requests here run inside the test's transaction, which never commits: run what
    they leave for after the commit (the mails) at once, as a committed request would."""
    monkeypatch.setattr(
        transaction, "on_commit", lambda callback, using=None, robust=False: callback()
    )


def post_as(client, post, **fields):
    ip = next_ip()
    return client.post(
        f"/comments/post/{post.pk}/", form_data(post, ip=ip, **fields), REMOTE_ADDR=ip
    )


def confirmation_mails(address=ADA):
    return [m for m in mail.outbox if m.to == [address] and "Confirm your email" in m.subject]


def link_path(message):
    (url,) = set(re.findall(r"http://testserver(/comments/confirm/[^/\s]+/)", message.body))
    return url


def stored_confirmations():
    return list(
        verification.EmailConfirmation.objects.order_by("pk").values_list("email", "confirmed_at")
    )


# The form and the mailed link


def test_an_unconfirmed_reader_is_held_mailed_a_link_and_told_to_check_their_mail(
    seed_post, client, run_on_commit
):
    response = post_as(client, seed_post, author_email="Ada@Example.com", body="First words")

    comment = Comment.objects.get(body="First words")
    assert (comment.status, comment.author_confirmed) == ("pending", False)
    [message] = confirmation_mails()
    assert seed_post.title[:40] in message.subject
    assert "First words" in message.body
    assert "works once, for 48 hours" in message.body
    [(html, kind)] = message.alternatives
    assert kind == "text/html"
    assert f'href="http://testserver{link_path(message)}"' in html
    page = client.get(response["Location"]).content.decode()
    assert "Please check your email: we sent you a link to confirm your address" in page
    # The link names a stored confirmation, never the address.
    assert "ada" not in link_path(message).lower()


def test_the_links_page_asks_and_only_its_post_confirms(seed_post, client, run_on_commit):
    post_as(client, seed_post, author_email=ADA, body="Please confirm me", notify_replies="on")
    comment = Comment.objects.get(body="Please confirm me")
    path = link_path(confirmation_mails()[0])
    reader = Client(enforce_csrf_checks=True)

    asked = reader.get(path)

    assert asked.status_code == 200
    assert "Confirm my email address" in asked.text
    assert "Please confirm me" in asked.text and ADA not in asked.text
    assert verification.CONFIRMED_COOKIE not in asked.cookies
    assert stored_confirmations()[0][1] is None
    comment.refresh_from_db()
    assert comment.author_confirmed is False

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', asked.text).group(1)
    forged_request = reader.post(path)  # no CSRF token: another site's form
    assert forged_request.status_code == 403
    assert stored_confirmations()[0][1] is None

    confirmed = reader.post(path, {"csrfmiddlewaretoken": token})

    assert confirmed.status_code == 200
    assert "Email address confirmed" in confirmed.text
    assert "still waits for a moderator" in confirmed.text
    cookie = confirmed.cookies[verification.CONFIRMED_COOKIE]
    assert cookie["httponly"] and cookie["max-age"] == 60 * 60 * 24 * 365
    assert ADA not in cookie.value
    comment.refresh_from_db()
    # Confirming proves the address, not that its owner wrote a text anyone could have
    # typed under it: the comment waits for a moderator, who now sees it confirmed.
    assert (comment.status, comment.author_confirmed) == ("pending", True)


def test_a_replayed_link_is_refused_and_changes_nothing(seed_post, client, run_on_commit):
    post_as(client, seed_post, author_email=ADA)
    path = link_path(confirmation_mails()[0])
    assert client.post(path).status_code == 200
    before = stored_confirmations()

    again = Client().post(path)

    assert again.status_code == 410
    assert "already used" in again.text
    assert verification.CONFIRMED_COOKIE not in again.cookies
    assert stored_confirmations() == before
    assert Client().get(path).status_code == 410


def test_an_expired_link_is_refused_with_a_way_to_ask_again(
    seed_post, client, run_on_commit, monkeypatch
):
    post_as(client, seed_post, author_email=ADA)
    path = link_path(confirmation_mails()[0])
    two_days_later = time.time() + 48 * 3600 + 5
    monkeypatch.setattr(signing.time, "time", lambda: two_days_later)

    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code == 410
        assert "This confirmation link has expired (links work for 48 hours)" in response.text
        assert 'action="/comments/confirm/"' in response.text
    assert stored_confirmations()[0][1] is None
    assert Comment.objects.get().author_confirmed is False


@pytest.mark.parametrize(
    "token",
    ["not-a-token", "MQ:1vFakE:forgedsignature", signing.dumps(1, salt="another.purpose")],
    ids=["garbage", "bad signature", "another salt"],
)
def test_a_forged_link_is_refused_and_changes_nothing(seed_post, client, run_on_commit, token):
    post_as(client, seed_post, author_email=ADA)

    response = client.post(f"/comments/confirm/{token}/")

    assert response.status_code == 400
    assert "This confirmation link is not valid" in response.text
    assert stored_confirmations()[0][1] is None


def test_a_stranger_typing_a_confirmed_readers_email_is_held(seed_post, run_on_commit):
    make_comment(seed_post, author_email=ADA, body="Ada's approved comment")
    ada = confirm_in(Client(), ADA)
    stranger = Client()

    post_as(stranger, seed_post, author_email=ADA, body=STRANGER_NOTE)
    post_as(ada, seed_post, author_email=ADA.upper(), body="Ada again, for real")

    impostor = Comment.objects.get(body=STRANGER_NOTE)
    assert (impostor.status, impostor.author_confirmed) == ("pending", False)
    assert "has not confirmed it here" in impostor.reason
    genuine = Comment.objects.get(body="Ada again, for real")
    assert (genuine.status, genuine.author_confirmed) == ("approved", True)
    # The real Ada hears of it (and may confirm that browser), but only once an hour.
    assert len(confirmation_mails()) == 1


def test_a_cookie_for_another_address_proves_nothing(seed_post, run_on_commit):
    make_comment(seed_post, author_email=ADA)
    grace = confirm_in(Client(), "grace@example.com")

    post_as(grace, seed_post, author_email=ADA, body="Grace pretending")

    assert Comment.objects.get(body="Grace pretending").status == "pending"


def test_a_signed_in_user_counts_as_confirmed_for_their_own_address(seed_post, run_on_commit):
    make_comment(seed_post, author_email="writer@example.com")
    make_comment(seed_post, author_email=ADA)
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("writer", "Writer@Example.com", PASSWORD)
    signed_in = Client()
    signed_in.login(username="writer", password=PASSWORD)

    post_as(signed_in, seed_post, author_email="writer@example.com", body="Mine")
    post_as(signed_in, seed_post, author_email=ADA, body="Someone else's address")

    mine = Comment.objects.get(body="Mine")
    assert (mine.status, mine.author_confirmed) == ("approved", True)
    assert Comment.objects.get(body="Someone else's address").status == "pending"
    assert confirmation_mails("writer@example.com") == []


def test_an_approved_author_from_before_confirms_through_their_next_comment(
    seed_post, run_on_commit, settings
):
    """How existing approved authors are not locked out (docs/security.md)."""
    make_comment(seed_post, author_email=ADA, body="From before confirmations")
    browser = Client()

    post_as(browser, seed_post, author_email=ADA, body="Held once")
    assert Comment.objects.get(body="Held once").status == "pending"
    browser.post(link_path(confirmation_mails()[0]))
    post_as(browser, seed_post, author_email=ADA, body="Published at once")

    assert Comment.objects.get(body="Published at once").status == "approved"
    assert len(confirmation_mails()) == 1


# Mail bombs


def test_an_address_gets_one_link_an_hour_however_often_it_is_typed(seed_post, run_on_commit):
    for number in range(4):
        post_as(Client(), seed_post, author_email=ADA, body=f"Flood {number}")

    assert Comment.objects.filter(status="pending").count() == 4
    assert len(confirmation_mails()) == 1
    assert verification.EmailConfirmation.objects.count() == 1


def test_spam_mails_nobody(seed_post, client, run_on_commit):
    post_as(client, seed_post, author_email=ADA, homepage="http://bot.example")

    assert Comment.objects.get().status == "spam"
    assert confirmation_mails() == []


def test_asking_for_a_link_answers_the_same_and_is_rate_limited(client, run_on_commit, settings):
    settings.COMMENTS_CONFIRMATION_REQUESTS_PER_HOUR = 3
    form = client.get("/comments/confirm/")
    assert form.status_code == 200 and 'name="email"' in form.text

    answers = [
        client.post("/comments/confirm/", {"email": ADA}, REMOTE_ADDR="192.0.2.80")
        for _ in range(2)
    ]
    other = client.post(
        "/comments/confirm/", {"email": "grace@example.com"}, REMOTE_ADDR="192.0.2.80"
    )
    refused = client.post(
        "/comments/confirm/", {"email": "joan@example.com"}, REMOTE_ADDR="192.0.2.80"
    )

    assert [answer.status_code for answer in [*answers, other]] == [200, 200, 200]
    assert answers[0].text.count("a confirmation link is on its way") == 1
    assert answers[0].text == answers[1].text  # whether a link went is not told
    assert len(confirmation_mails()) == 1  # the second ask was within the hour
    assert len(confirmation_mails("grace@example.com")) == 1
    assert refused.status_code == 429 and refused["Retry-After"] == "3600"
    assert "Too many confirmation requests" in refused.text
    assert confirmation_mails("joan@example.com") == []
    [message] = confirmation_mails("grace@example.com")
    assert "Someone asked to confirm this email address" in message.body


def test_asking_with_a_bad_address_shows_the_field_error(client):
    response = client.post("/comments/confirm/", {"email": "not an address"})

    assert response.status_code == 400
    assert "Enter a valid email address" in response.text
    assert verification.EmailConfirmation.objects.count() == 0


# Double opt-in for reply notices


def test_reply_notices_wait_for_the_confirmation_then_flow(seed_post, run_on_commit):
    moderator = make_moderator()
    ada = Client()
    post_as(ada, seed_post, author_email=ADA, body="Tell me of replies", notify_replies="on")
    asked = Comment.objects.get(body="Tell me of replies")
    moderate([asked.pk], "approve", moderator)
    grace = make_comment(seed_post, author_email="grace@example.com")
    grace_client = confirm_in(Client(), grace.author_email)

    post_as(grace_client, seed_post, author_email=grace.author_email, parent=str(asked.pk))
    first_reply = Comment.objects.get(parent=asked)
    assert first_reply.status == "approved"
    notices = lambda: [m for m in mail.outbox if m.to == [ADA] and "replied" in m.subject]  # noqa: E731
    assert notices() == []  # nobody confirmed Ada's address yet

    ada.post(link_path(confirmation_mails()[0]))
    assert len(notices()) == 1  # the reply that waited

    post_as(
        grace_client, seed_post, author_email=grace.author_email, parent=str(asked.pk), body="More"
    )
    assert len(notices()) == 2


def test_an_unconfirmed_readers_comment_never_mails_them_replies(seed_post, run_on_commit):
    waiting = make_comment(seed_post, author_email=ADA, notify_replies=True)
    grace = confirm_in(Client(), "grace@example.com")
    make_comment(seed_post, author_email="grace@example.com")

    post_as(grace, seed_post, author_email="grace@example.com", parent=str(waiting.pk))

    assert Comment.objects.get(parent=waiting).status == "approved"
    assert [m for m in mail.outbox if m.to == [ADA]] == []


# The API


def test_the_api_mails_a_link_and_trusts_only_the_signed_confirmation(seed_post, run_on_commit):
    make_comment(seed_post, author_email=ADA)
    app = Client()

    unproven = app.post(
        "/api/v3/comments/",
        api_submission(seed_post, app, body="From the app"),
        content_type="application/json",
    )
    assert unproven.status_code == 201
    assert unproven.json()["status"] == "pending"
    assert unproven.json()["confirmation_sent"] is True

    token = link_path(confirmation_mails()[0]).split("/")[-2]
    confirmed = app.post(
        "/api/v3/comments/confirmations/confirm/", {"token": token}, content_type="application/json"
    )
    assert confirmed.status_code == 200
    proof = confirmed.json()["confirmation"]
    assert ADA not in confirmed.text and confirmed.json()["max_age_seconds"] == 31536000
    assert Comment.objects.get(body="From the app").author_confirmed is True

    trusted = app.post(
        "/api/v3/comments/",
        api_submission(seed_post, app, body="Trusted now", confirmation=proof),
        content_type="application/json",
    )
    assert {key: trusted.json()[key] for key in ("status", "confirmation_sent")} == {
        "status": "approved",
        "confirmation_sent": False,
    }
    stranger = Client()
    impostor = stranger.post(
        "/api/v3/comments/",
        api_submission(seed_post, stranger, body=STRANGER_NOTE, confirmation="forged"),
        content_type="application/json",
    )
    assert impostor.json()["status"] == "pending"


def test_the_api_refuses_used_and_forged_tokens_as_problems(seed_post, client, run_on_commit):
    post_as(client, seed_post, author_email=ADA)
    token = link_path(confirmation_mails()[0]).split("/")[-2]
    url = "/api/v3/comments/confirmations/confirm/"
    assert client.post(url, {"token": token}, content_type="application/json").status_code == 200

    used = client.post(url, {"token": token}, content_type="application/json")
    forged = client.post(url, {"token": token[:-2] + "xx"}, content_type="application/json")

    assert used.status_code == 410 and "already used" in used.json()["detail"]
    assert forged.status_code == 400 and "not valid" in forged.json()["detail"]
    assert used["Content-Type"].startswith("application/problem+json")


def test_the_api_asks_for_a_link(client, run_on_commit):
    url = "/api/v3/comments/confirmations/"
    sent = client.post(url, {"email": ADA}, content_type="application/json")
    bad = client.post(url, {"email": "nope"}, content_type="application/json")

    assert sent.status_code == 202 and ADA not in sent.text
    assert len(confirmation_mails()) == 1
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["body", "email"]


# Moderators see it; readers never do


def test_moderators_see_whether_an_address_was_confirmed(seed_post, client, run_on_commit):
    moderator = make_moderator()
    make_comment(seed_post, author_email=ADA, body="Confirmed one", author_confirmed=True)
    unproven = make_comment(seed_post, author_email="x@example.com", body="Unproven one")
    client.force_login(moderator)

    listing = client.get("/admin/snippets/comments/comment/").text
    inspect = client.get(f"/admin/snippets/comments/comment/inspect/{unproven.pk}/").text

    assert listing.count("data-email-confirmed") == 1
    assert listing.count("data-email-unconfirmed") == 1
    assert 'data-email-confirmed="no"' in inspect

    token, plaintext = APIToken.create_token(user=moderator, name="moderation app")
    queue = client.get(
        "/api/v3/comments/moderation/",
        {"status": ["approved"]},
        headers={"Authorization": f"Bearer {plaintext}"},
    ).json()["items"]
    assert {item["body"]: item["author_confirmed"] for item in queue} == {
        "Confirmed one": True,
        "Unproven one": False,
    }
    public = Client().get("/api/v3/comments/", {"page": seed_post.pk}).json()["items"]
    assert public and all("author_confirmed" not in item for item in public)


def test_the_links_page_costs_a_fixed_number_of_queries(
    seed_post, client, run_on_commit, django_assert_max_num_queries
):
    post_as(client, seed_post, author_email=ADA)
    path = link_path(confirmation_mails()[0])

    with django_assert_max_num_queries(6):
        assert client.get(path).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.post(path).status_code == 200


def test_every_xss_vector_stays_inert_on_the_links_page_and_in_the_mail(seed_post, client):
    """The link's page and the HTML mail show the comment a link was mailed about: as
    the sanitized HTML the thread shows, never what the reader typed."""
    from bs4 import BeautifulSoup

    from tests.comments.test_sanitize import XSS_VECTORS, assert_only_safe_markup

    for number, vector in enumerate(XSS_VECTORS):
        comment = make_comment(
            seed_post, status=Comment.Status.PENDING, body=vector, author_email=f"x{number}@ex.org"
        )
        confirmation = verification.EmailConfirmation.objects.create(
            email=comment.author_email, comment=comment
        )
        page = client.get(f"/comments/confirm/{verification.link_token(confirmation)}/")
        assert page.status_code == 200
        quoted = BeautifulSoup(page.content, "html.parser").select_one("blockquote.comment__body")
        assert_only_safe_markup(quoted.decode_contents())

        assert verification.send_confirmation_mail.call(confirmation.pk) == 1
        html = mail.outbox[-1].alternatives[0][0]
        mailed = BeautifulSoup(html, "html.parser").select_one("blockquote")  # the outer one
        assert_only_safe_markup(mailed.decode_contents())


# Personal data


def test_an_access_request_lists_the_confirmations_and_erasure_removes_them(
    seed_post, client, run_on_commit
):
    from blog.comments.privacy import erase_personal_data, export_personal_data

    post_as(client, seed_post, author_email=ADA, body="Mine")
    client.post(link_path(confirmation_mails()[0]))
    proof = client.cookies[verification.CONFIRMED_COOKIE].value
    assert verification.proves(ADA, proof=proof)

    exported = export_personal_data(ADA.upper())
    [record] = exported["email_confirmations"]
    assert record["confirmed_at"] and record["for_comment"] == Comment.objects.get().pk
    assert exported["comments"][0]["email_confirmed"] is True

    erase_personal_data(ADA)

    assert verification.EmailConfirmation.objects.count() == 0
    assert not verification.proves(ADA, proof=proof)  # the browser's proof died with them
