"""
The limits a single script once got around (issue 11, items 2 and 4): flood windows
emptied by filling the page cache, one form token posting comment after comment, tokens
fetched without limit, and URLs invented to grow the cache.
"""

import json
from unittest import mock

from django.core.cache import cache
from django.test import Client

import pytest

from blog.comments import form_tokens
from blog.comments.models import Comment, CommentSettings
from tests.comments.conftest import (
    api_submission,
    form_data,
    make_comment,
    next_ip,
    reader_token,
)
from tests.management import run_manage

pytestmark = pytest.mark.usefixtures("no_wait")


@pytest.fixture(autouse=True)
def comment_rules(db):
    """Creating the rules row replaces the content versions: make it before pages cache."""
    return CommentSettings.load()


API = "/api/v3/comments/"


def post_json(client, data, **headers):
    return client.post(API, data, content_type="application/json", **headers)


class TestFloodWindowsSurvivePageCaching:
    def test_filling_the_page_cache_does_not_empty_the_flood_window(self, seed_post, settings):
        settings.COMMENTS_FLOOD_SECONDS = 3600  # however slow the GETs below
        client = Client()
        assert post_json(client, api_submission(seed_post, client)).status_code == 201

        # The default memory cache holds 300 entries: 350 distinct cached answers once
        # evicted the flood keys, and the next post inside the window was accepted.
        for offset in range(350):
            assert client.get("/api/v3/posts/", {"offset": offset}).status_code == 200
        assert len(cache._cache) >= 200  # full: the memory cache has culled a third

        second = post_json(client, api_submission(seed_post, client, body="Again, at once."))
        assert second.status_code == 429
        assert Comment.objects.count() == 1


class TestFormTokensAreUsedOnce:
    def test_the_api_refuses_a_token_a_second_time(self, seed_post, settings):
        settings.COMMENTS_FLOOD_SECONDS = 0
        client = Client()
        data = api_submission(seed_post, client)
        assert post_json(client, data).status_code == 201

        again = post_json(client, {**data, "body": "A different comment, same token."})

        assert again.status_code == 422
        (error,) = again.json()["errors"]
        assert error["type"] == "token_refused"
        assert "already sent a comment" in error["msg"]
        assert Comment.objects.count() == 1

    def test_the_form_refuses_a_replayed_token_and_keeps_the_text(self, seed_post, settings):
        settings.COMMENTS_FLOOD_SECONDS = 0
        client = Client()
        data = form_data(seed_post)
        assert client.post(f"/comments/post/{seed_post.pk}/", data).status_code == 303

        replay = client.post(
            f"/comments/post/{seed_post.pk}/",
            {**data, "author_email": "other@example.com", "body": "Replayed words."},
        )

        assert replay.status_code == 400
        html = replay.content.decode()
        assert "This form has already sent a comment." in html
        assert "Replayed words." in html
        fresh = form_tokens.read(html.split('name="token" value="')[1].split('"')[0], max_age=None)
        assert fresh["once"] != form_tokens.read(data["token"])["once"]
        assert Comment.objects.count() == 1

    def test_a_refused_comment_does_not_use_up_its_token(self, seed_post):
        client = Client()
        data = api_submission(seed_post, client)
        make_comment(seed_post, author_email="ada@example.com", body=data["body"])
        assert post_json(client, data).status_code == 409  # a duplicate: nothing stored

        retry = post_json(client, {**data, "body": "Then something new."})

        assert retry.status_code == 201

    def test_one_post_checks_its_tokens_signature_once(self, seed_post, settings):
        """Binding, single use, timing and the post it was issued for are all read from
        one signature check; the token is still used up."""
        settings.COMMENTS_FLOOD_SECONDS = 0
        client = Client()
        data = api_submission(seed_post, client)

        with mock.patch.object(form_tokens, "read", wraps=form_tokens.read) as read:
            assert post_json(client, data).status_code == 201

        assert read.call_count == 1
        assert post_json(client, {**data, "body": "Same token again."}).status_code == 422


class TestFormTokensAreBoundToTheirReader:
    def test_a_token_from_another_address_is_refused(self, seed_post):
        token = reader_token(seed_post, ip="198.51.100.1", user_agent="Firefox")
        response = Client().post(
            f"/comments/post/{seed_post.pk}/",
            form_data(seed_post, token=token),
            REMOTE_ADDR="198.51.100.2",
            HTTP_USER_AGENT="Firefox",
        )
        assert response.status_code == 400
        assert "opened in another browser or on another network" in response.content.decode()
        assert not Comment.objects.exists()

    def test_a_token_from_another_browser_is_refused(self, seed_post):
        client = Client()
        data = api_submission(seed_post, client)  # fetched with no User-Agent

        response = post_json(client, data, HTTP_USER_AGENT="curl/8.0")

        assert response.status_code == 422
        assert not Comment.objects.exists()

    def test_one_ipv6_network_is_one_reader(self, seed_post):
        token = reader_token(seed_post, ip="2001:db8:5::1", user_agent="Firefox")
        response = Client().post(
            f"/comments/post/{seed_post.pk}/",
            form_data(seed_post, token=token),
            REMOTE_ADDR="2001:db8:5::abcd",
            HTTP_USER_AGENT="Firefox",
        )
        assert response.status_code == 303

    def test_a_cached_page_carries_a_token_for_whoever_loads_it(self, seed_post):
        first, second = Client(), Client()
        first.get(seed_post.url, REMOTE_ADDR="198.51.100.10")
        page = second.get(seed_post.url, REMOTE_ADDR="198.51.100.11")
        assert page["X-Page-Cache"] == "hit"
        token = page.content.decode().split('name="token" value="')[1].split('"')[0]

        ok = second.post(
            f"/comments/post/{seed_post.pk}/",
            form_data(seed_post, token=token),
            REMOTE_ADDR="198.51.100.11",
        )
        assert ok.status_code == 303

    def test_without_rate_limits_tokens_are_not_bound_or_single_use(self, seed_post, settings):
        """The benchmarks' switch (COMMENTS_RATE_LIMITS=off) lifts these with the rest."""
        settings.COMMENTS_RATE_LIMITS_ENABLED = False
        client = Client()
        data = api_submission(seed_post, client)
        for number in range(3):
            response = post_json(
                client, {**data, "body": f"Comment {number}"}, REMOTE_ADDR=next_ip()
            )
            assert response.status_code == 201


class TestFormTokenRequestsAreLimited:
    def test_past_the_limit_an_address_gets_429_with_retry_after(self, seed_post, settings):
        settings.COMMENTS_FORM_TOKENS_PER_MINUTE = 5
        client = Client()
        url = f"{API}form-token/?page={seed_post.pk}"
        for _ in range(5):
            assert client.get(url, REMOTE_ADDR="198.51.100.20").status_code == 200

        refused = client.get(url, REMOTE_ADDR="198.51.100.20")

        assert refused.status_code == 429
        assert 1 <= int(refused["Retry-After"]) <= 60
        assert refused["Cache-Control"] == "no-store"
        assert "Too many form tokens" in refused.json()["detail"]
        assert client.get(url, REMOTE_ADDR="198.51.100.21").status_code == 200


class TestInventedURLsAreNotCached:
    @pytest.mark.parametrize("query", ["?cpage=01", "?cpage=1&cpage=1", "?page=2x", "?x=1"])
    def test_other_spellings_are_served_but_not_stored(self, seed_post, query):
        response = Client().get(f"{seed_post.url}{query}")
        assert response.status_code == 200
        assert "X-Page-Cache" not in response

    def test_a_comment_page_past_the_last_is_a_404(self, seed_post):
        response = Client().get(f"{seed_post.url}?cpage=99999")
        assert response.status_code == 404
        assert not any("thread-html" in str(key) and "p99999" in str(key) for key in cache._cache)

    def test_the_canonical_spelling_is_cached(self, seed_post):
        Client().get(f"{seed_post.url}?cpage=1")
        assert Client().get(f"{seed_post.url}?cpage=1")["X-Page-Cache"] == "hit"


class TestProductionNeedsASharedStore:
    def test_production_refuses_to_start_without_redis(self):
        result = run_manage(
            "check",
            DJANGO_SETTINGS_MODULE="cms.settings.production",
            SECRET_KEY="x" * 50,
            ALLOWED_HOSTS="example.org",
            REDIS_URL="",
        )
        assert result.returncode != 0
        assert "Set REDIS_URL for production" in result.stderr

    def test_a_single_process_site_may_go_without_and_is_warned(self):
        result = run_manage(
            "check",
            "--deploy",
            DJANGO_SETTINGS_MODULE="cms.settings.production",
            SECRET_KEY="x" * 50,
            ALLOWED_HOSTS="example.org",
            REDIS_URL="",
            CACHE_PER_PROCESS="true",
        )
        output = result.stdout + result.stderr
        assert "cms.W001" in output
        assert "each worker process keeps its own flood windows" in output


def test_limits_are_json_free_of_personal_data(seed_post):
    """What the limits store keeps: hashes and network keys, never an email."""
    from django.conf import settings
    from django.core.cache import caches

    client = Client()
    post_json(client, api_submission(seed_post, client))
    stored = json.dumps(list(caches[settings.COMMENT_LIMITS_CACHE]._cache))
    assert "comments:flood:ip:127.0.0.1" in stored
    assert "ada@example.com" not in stored
