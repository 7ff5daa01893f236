"""Whole-page caching: anonymous readers get cached HTML with their own CSRF token, and
any publish or comment shows at once."""

import re
import time

from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

import pytest

from blog.comments import form_tokens
from blog.comments.models import Comment, CommentSettings
from blog.comments.moderation import moderate
from tests.comments.conftest import form_data, make_comment

pytestmark = pytest.mark.usefixtures("comment_rules")

FORM_TOKEN_FIELD = re.compile(r'name="token" value="([^"]+)"')


@pytest.fixture
def comment_rules(db):
    """The rules row is created on first use, and creating it (like any change to the rules)
    replaces the content versions; make it before the page is first cached."""
    return CommentSettings.load()


def get(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, len(queries)


def test_a_second_anonymous_view_is_served_from_the_cache(seed_post, client):
    first, first_queries = get(client, seed_post.url)
    second, second_queries = get(client, seed_post.url)
    assert first["X-Page-Cache"] == "miss"
    assert second["X-Page-Cache"] == "hit"
    assert first_queries > 5
    assert second_queries == 0
    assert "Cookie" in second["Vary"]
    strip = lambda html: FORM_TOKEN_FIELD.sub("", html.decode())  # noqa: E731
    assert strip(first.content) == strip(second.content)


def test_a_cached_page_sets_no_cookie_and_its_form_posts(seed_post, settings):
    """No CSRF cookie or token for a visitor without a session (see blog.comments.forgery):
    the same bytes can go to everyone, from here or from a shared cache in front."""
    settings.COMMENTS_MIN_SECONDS_TO_POST = 0
    Client().get(seed_post.url)  # fills the cache
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get(seed_post.url)
    assert page["X-Page-Cache"] == "hit"
    assert not page.cookies
    assert "csrfmiddlewaretoken" not in page.content.decode()
    assert set(page["Cache-Control"].split(", ")) == {
        "public",
        "max-age=0",
        "s-maxage=1",
        "stale-if-error=300",
    }
    token = FORM_TOKEN_FIELD.search(page.content.decode()).group(1)
    response = visitor.post(
        f"/comments/post/{seed_post.pk}/",
        {**form_data(seed_post), "token": token},
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    assert response.status_code == 303


def test_publishing_and_moderating_show_at_once(seed_post, client, admin_user):
    client.get(seed_post.url)
    seed_post.title = "A new title"
    seed_post.save_revision().publish()
    assert "A new title" in client.get(seed_post.url).content.decode()

    comment = make_comment(seed_post, status="pending", body="Now visible")
    assert "Now visible" not in client.get(seed_post.url).content.decode()
    moderate([comment], "approve", admin_user)
    assert "Now visible" in client.get(seed_post.url).content.decode()


@pytest.mark.parametrize("query", ["?replytocom=1", "?utm_source=x"])
def test_other_query_strings_are_not_cached(seed_post, client, query):
    client.get(seed_post.url + query)
    assert not client.get(seed_post.url + query).has_header("X-Page-Cache")


def test_visitors_with_a_session_get_a_fresh_page(seed_post, admin_client):
    admin_client.get(seed_post.url)
    response = admin_client.get(seed_post.url)
    assert not response.has_header("X-Page-Cache")


def test_each_view_of_a_cached_page_gets_a_form_token_issued_then(seed_post, client, monkeypatch):
    """The bot-timing rule counts from when the form was shown, so a cached copy must not
    carry the time it was cached."""
    clock = [time.time()]
    monkeypatch.setattr(form_tokens.time, "time", lambda: clock[0])
    assert client.get(seed_post.url)["X-Page-Cache"] == "miss"
    clock[0] += 600
    hit = client.get(seed_post.url)
    assert hit["X-Page-Cache"] == "hit"
    assert "__page_cache" not in hit.content.decode()
    token = FORM_TOKEN_FIELD.search(hit.content.decode()).group(1)
    assert signing.loads(token, salt=form_tokens.SALT)["shown"] == clock[0]

    clock[0] += 0.5
    client.post(f"/comments/post/{seed_post.pk}/", {**form_data(seed_post), "token": token})

    comment = Comment.objects.get()
    assert comment.status == Comment.Status.SPAM
    assert comment.reason.startswith("Posted 0.5 s after the form was shown")
