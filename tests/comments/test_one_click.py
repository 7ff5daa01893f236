"""One-click moderation from the held-comment e-mail: each moderator's own signed links,
a confirm page (GET never acts), the POST that decides and logs, and every way a link is
refused with nothing changed: replayed, expired, tampered, another moderator's, a
moderator who lost the permission, a comment already decided, no CSRF token."""

import re
import time
from pathlib import Path
from unittest import mock
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from wagtail.models import ModelLogEntry

import pytest
from bs4 import BeautifulSoup

from blog.comments.models import Comment
from blog.comments.moderation import moderate
from blog.comments.notify import send_held_comment_notices
from blog.comments.one_click import USED_REASON, link_url
from tests.comments.admin_users import make_moderator, moderators_group
from tests.comments.conftest import make_comment

pytestmark = pytest.mark.django_db

Status = Comment.Status
LABELS = {"approve": "Approve", "spam": "Mark as spam", "trash": "Move to trash"}
TARGET = {"approve": Status.APPROVED, "spam": Status.SPAM, "trash": Status.TRASH}


@pytest.fixture
def moderator():
    return make_moderator()


@pytest.fixture
def held(seed_post):
    return make_comment(seed_post, status=Status.PENDING, body="Is magnesium safe at night?")


def links_in(message):
    """The one-click links of one e-mail, as paths on this site."""
    return {
        action: urlsplit(re.search(rf"^{label}: (\S+)$", message.body, re.M)[1]).path
        for action, label in LABELS.items()
    }


def mailed_links(mailoutbox, user):
    send_held_comment_notices.enqueue()
    (message,) = [m for m in mailoutbox if m.to == [user.email]]
    return links_in(message)


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def state(comment):
    """What a refused link must leave as it was."""
    comment.refresh_from_db()
    logs = ModelLogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Comment))
    return comment.status, logs.count()


def refusal(response):
    page = BeautifulSoup(response.content, "html.parser")
    return page.select_one("[data-one-click-refused]").get_text(strip=True)


def test_each_moderator_gets_links_of_their_own(held, moderator, mailoutbox):
    other = make_moderator("second", email="second@example.com")
    send_held_comment_notices.enqueue()

    assert sorted(message.to[0] for message in mailoutbox) == sorted([other.email, moderator.email])
    first, second = (links_in(message) for message in mailoutbox)
    assert set(first.values()).isdisjoint(second.values())
    assert all(path.startswith("/admin/comments/one-click/") for path in first.values())


@pytest.mark.parametrize("action", ["approve", "spam", "trash"])
def test_the_link_asks_first_and_the_post_decides(held, moderator, mailoutbox, action):
    link = mailed_links(mailoutbox, moderator)[action]
    client = signed_in(moderator)
    before = state(held)

    page = client.get(link)

    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    html = BeautifulSoup(page.content, "html.parser")
    assert html.select_one("[data-one-click-confirm]").get_text(strip=True) == LABELS[action]
    assert "Is magnesium safe at night?" in html.get_text()
    assert state(held) == before  # a GET (or a mail scanner) changes nothing

    done = client.post(link)

    assert done.status_code == 302
    assert done.url == reverse("wagtailsnippets_comments_comment:inspect", args=[held.pk])
    held.refresh_from_db()
    assert held.status == TARGET[action]
    assert held.moderated_by == moderator
    entry = ModelLogEntry.objects.get(action=f"comments.{action}", object_id=str(held.pk))
    assert entry.user == moderator
    assert entry.data["reason"] == USED_REASON


def test_a_used_link_is_refused_even_if_the_comment_is_held_again(held, moderator, mailoutbox):
    link = mailed_links(mailoutbox, moderator)["approve"]
    client = signed_in(moderator)
    assert client.post(link).status_code == 302
    moderate([held.pk], "unapprove", moderator)
    before = state(held)

    replayed_get = client.get(link)
    replayed_post = client.post(link)

    for response in (replayed_get, replayed_post):
        assert response.status_code == 410
        assert "already been used" in refusal(response)
    assert state(held) == before == (Status.PENDING, before[1])


def test_an_expired_link_is_refused(held, moderator, mailoutbox, settings):
    link = mailed_links(mailoutbox, moderator)["spam"]
    client = signed_in(moderator)
    before = state(held)
    later = time.time() + settings.COMMENTS_ONE_CLICK_MAX_AGE + 60

    with mock.patch("django.core.signing.time") as clock:
        clock.time.return_value = later
        response = client.post(link)

    assert response.status_code == 410
    assert "expired" in refusal(response)
    assert state(held) == before


def test_a_moderator_who_lost_the_permission_is_refused(held, moderator, mailoutbox):
    link = mailed_links(mailoutbox, moderator)["approve"]
    moderator.groups.remove(moderators_group())
    # Still an admin user, no longer a moderator.
    moderator.user_permissions.add(moderators_group().permissions.get(codename="access_admin"))
    client = signed_in(moderator)
    before = state(held)

    for response in (client.get(link), client.post(link)):
        assert response.status_code == 403
        assert "no longer moderate" in refusal(response)
    assert state(held) == before


def test_another_moderators_link_is_refused(held, moderator, mailoutbox):
    make_moderator("second", email="second@example.com")
    link = mailed_links(mailoutbox, moderator)["trash"]
    client = signed_in(get_user_model().objects.get(username="second"))
    before = state(held)

    response = client.post(link)

    assert response.status_code == 403
    assert "another moderator" in refusal(response)
    assert state(held) == before


def test_a_tampered_link_is_refused(held, moderator, mailoutbox):
    link = mailed_links(mailoutbox, moderator)["approve"]
    token = link.rstrip("/").rsplit("/", 1)[1]
    forged = link.replace(token, token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"))
    before = state(held)

    response = signed_in(moderator).post(forged)

    assert response.status_code == 400
    assert "not valid" in refusal(response)
    assert state(held) == before


def test_a_comment_decided_meanwhile_is_not_changed_again(held, moderator, mailoutbox):
    links = mailed_links(mailoutbox, moderator)
    client = signed_in(moderator)
    assert client.post(links["approve"]).status_code == 302
    before = state(held)

    response = client.post(links["trash"])

    assert response.status_code == 409
    assert "no longer awaiting moderation" in refusal(response)
    assert state(held) == before == (Status.APPROVED, before[1])


def test_a_signed_out_moderator_signs_in_and_comes_back(held, moderator, mailoutbox):
    link = mailed_links(mailoutbox, moderator)["approve"]
    client = Client()

    response = client.get(link)

    assert response.status_code == 302
    login = urlsplit(response.url)
    assert login.path == reverse("wagtailadmin_login")
    assert parse_qs(login.query)["next"] == [link]
    assert client.post(link).status_code == 302  # the POST, too, asks to sign in first
    held.refresh_from_db()
    assert held.status == Status.PENDING

    client.force_login(moderator)
    assert client.get(link).status_code == 200


def test_the_confirm_needs_the_csrf_token(held, moderator, mailoutbox):
    link = mailed_links(mailoutbox, moderator)["spam"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    before = state(held)

    assert client.post(link).status_code == 403
    assert state(held) == before


VECTORS_FILE = Path(__file__).resolve().parents[1] / "security" / "xss_vectors.txt"


def test_the_confirm_page_shows_readers_text_as_text(seed_post, moderator):
    """Every vector of the XSS corpus, as a held comment's name and text: the confirm page
    draws the same few elements around it, whatever the reader typed."""
    vectors = [
        line.replace("\\n", "\n")
        for line in VECTORS_FILE.read_text().splitlines()
        if line.strip() and not line.startswith("# ")
    ]
    client = signed_in(moderator)
    expected = None
    for vector in vectors:
        comment = make_comment(
            seed_post, status=Status.PENDING, author_name=vector[:100], body=vector
        )
        page = client.get(urlsplit(link_url(comment, moderator, "approve")).path)
        assert page.status_code == 200
        section = BeautifulSoup(page.content, "html.parser").select_one(".comment-one-click")
        drawn = sorted(element.name for element in section.find_all(True))
        expected = expected or drawn
        assert drawn == expected, vector
