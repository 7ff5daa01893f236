"""Each rule, with its default and with the setting changed, through the reader form."""

import datetime

from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

import pytest

from blog.comments.models import Comment, CommentSettings
from blog.comments.rules import fingerprint
from tests.comments.conftest import confirm_in, form_data, make_comment, next_ip

pytestmark = pytest.mark.usefixtures("no_wait")


def post_comment(client, post, ip=None, **fields):
    headers = {name: fields.pop(name) for name in list(fields) if name.startswith("HTTP_")}
    ip = ip or next_ip()
    forwarded = headers.get("HTTP_X_FORWARDED_FOR")
    behind_proxy = forwarded and django_settings.TRUSTED_PROXY_HOPS
    reader_ip = forwarded.split(",")[-1].strip() if behind_proxy else ip
    return client.post(
        f"/comments/post/{post.pk}/",
        form_data(post, ip=reader_ip, user_agent="Mozilla/5.0 test", **fields),
        REMOTE_ADDR=ip,
        HTTP_USER_AGENT="Mozilla/5.0 test",
        **headers,
    )


def rules(**changes):
    settings = CommentSettings.load()
    for name, value in changes.items():
        setattr(settings, name, value)
    settings.save()
    return settings


def only_comment():
    (comment,) = Comment.objects.all()
    return comment


class TestApprovalPolicy:
    def test_default_publishes_a_known_email_and_holds_a_new_one(self, seed_post, client, settings):
        settings.COMMENTS_FLOOD_SECONDS = 0  # one email posts twice here
        post_comment(client, seed_post, author_email="new@example.com")
        assert only_comment().status == "pending"
        assert only_comment().reason == "First comment from this email"

        make_comment(seed_post, author_email="known@example.com")
        post_comment(client, seed_post, author_email="Known@Example.com", body="Unproven")
        comment = Comment.objects.get(body="Unproven")
        assert (comment.status, comment.reason) == (
            "pending",
            "This email has an approved comment, but its author has not confirmed it here",
        )

        confirm_in(client, "known@example.com")
        post_comment(client, seed_post, author_email="Known@Example.com", body="Again")
        comment = Comment.objects.get(body="Again")
        assert (comment.status, comment.reason) == (
            "approved",
            "This email already has an approved comment",
        )

    def test_hold_all(self, seed_post, client):
        rules(approval_policy="hold_all")
        make_comment(seed_post, author_email="known@example.com")
        post_comment(client, seed_post, author_email="known@example.com", body="Held")
        comment = Comment.objects.get(body="Held")
        assert (comment.status, comment.reason) == ("pending", "Every comment is held for approval")


class TestLinks:
    def test_two_links_are_held_by_default(self, seed_post, client):
        make_comment(seed_post, author_email="known@example.com")
        post_comment(
            client,
            seed_post,
            author_email="known@example.com",
            body="See https://a.example.com and https://b.example.org",
        )
        comment = Comment.objects.get(author_email="known@example.com", status="pending")
        assert comment.reason == "Has 2 links (held at 2 or more)"

    def test_one_link_passes_by_default_and_a_limit_of_one_holds_it(self, seed_post, client):
        make_comment(seed_post, author_email="known@example.com")
        make_comment(seed_post, author_email="known2@example.com")
        confirm_in(client, "known@example.com")
        post_comment(
            client, seed_post, author_email="known@example.com", body="https://a.example.com"
        )
        assert Comment.objects.get(body="https://a.example.com").status == "approved"
        rules(link_limit=1)
        post_comment(
            client, seed_post, author_email="known2@example.com", body="https://b.example.com"
        )
        assert Comment.objects.get(body="https://b.example.com").status == "pending"


class TestWords:
    def test_moderation_word_in_any_field_holds(self, seed_post, client):
        rules(moderation_words="casino\nDiscount Code")
        make_comment(seed_post, author_email="known@example.com")
        post_comment(client, seed_post, author_email="known@example.com", body="My discount code")
        assert only_held().reason == "Contains the moderation word “discount code” (text)"

    @pytest.mark.parametrize(
        "field, value, where",
        [
            ("author_name", "Casino Bob", "name"),
            ("author_url", "https://casino.example", "website"),
            ("author_email", "bob@casino.example", "email"),
        ],
    )
    def test_blocked_word_sends_to_spam(self, seed_post, client, field, value, where):
        rules(blocked_words="casino")
        post_comment(client, seed_post, **{field: value})
        comment = only_comment()
        assert comment.status == "spam"
        assert comment.reason == f"Contains the blocked word “casino” ({where})"

    def test_words_match_ip_and_user_agent(self, seed_post, client):
        rules(blocked_words="badbot/1.0\n203.0.113.")
        client.post(
            f"/comments/post/{seed_post.pk}/",
            form_data(seed_post, ip="203.0.113.9"),
            REMOTE_ADDR="203.0.113.9",
        )
        assert only_comment().reason == "Contains the blocked word “203.0.113.” (IP address)"
        ip = next_ip()
        client.post(
            f"/comments/post/{seed_post.pk}/",
            form_data(
                seed_post,
                ip=ip,
                user_agent="BadBot/1.0",
                author_email="b@example.com",
                body="Other",
            ),
            REMOTE_ADDR=ip,
            HTTP_USER_AGENT="BadBot/1.0",
        )
        assert Comment.objects.get(body="Other").reason == (
            "Contains the blocked word “badbot/1.0” (browser)"
        )

    def test_no_words_by_default(self, seed_post, client):
        post_comment(client, seed_post, body="casino discount")
        assert only_comment().status == "pending"
        assert only_comment().reason == "First comment from this email"


def only_held():
    return Comment.objects.get(status="pending")


class TestBots:
    def test_honeypot_marks_spam_without_telling(self, seed_post, client):
        response = post_comment(client, seed_post, homepage="http://spam.example")
        assert response.status_code == 303
        comment = only_comment()
        assert (comment.status, comment.reason) == ("spam", "Filled in the hidden honeypot field")
        # Its sender is told what the author of any held comment is; nobody else sees it.
        assert response["Location"] == f"{seed_post.url}#comment-{comment.pk}"
        assert client.get(seed_post.url).content.decode().count("awaiting moderation") == 1
        assert "awaiting moderation" not in Client().get(seed_post.url).content.decode()

    def test_posting_faster_than_the_minimum_is_spam(self, seed_post, client, settings):
        settings.COMMENTS_MIN_SECONDS_TO_POST = 3
        response = post_comment(client, seed_post)
        assert response.status_code == 303
        comment = only_comment()
        assert comment.status == "spam"
        assert comment.reason.startswith("Posted 0.") and "(minimum 3 s)" in comment.reason

    def test_a_missing_or_forged_token_is_spam(self, seed_post, client):
        post_comment(client, seed_post, token="forged")
        assert only_comment().reason == "Missing or forged form token"


class TestRefusals:
    def test_duplicate_is_refused_and_stored_once(self, seed_post, client):
        post_comment(client, seed_post, body="Same words")
        response = post_comment(client, seed_post, body="  same   WORDS ")
        assert response.status_code == 409
        assert "You have already posted this comment here." in response.content.decode()
        assert Comment.objects.count() == 1

    def test_flood_from_one_ip_gets_429_with_retry_after(self, seed_post, client):
        post_comment(client, seed_post, ip="192.0.2.1")
        response = post_comment(
            client, seed_post, ip="192.0.2.1", author_email="other@example.com", body="Next"
        )
        assert response.status_code == 429
        assert 1 <= int(response["Retry-After"]) <= 15
        assert "You are commenting too quickly." in response.content.decode()
        assert Comment.objects.count() == 1

    def test_flood_from_one_email_on_different_ips(self, seed_post, client):
        post_comment(client, seed_post)
        response = post_comment(client, seed_post, body="Second from same email")
        assert response.status_code == 429
        assert Comment.objects.count() == 1

    def test_flood_window_is_a_setting(self, seed_post, client, settings):
        settings.COMMENTS_FLOOD_SECONDS = 1
        post_comment(client, seed_post, ip="192.0.2.2")
        response = post_comment(
            client, seed_post, ip="192.0.2.2", author_email="other@example.com", body="Next"
        )
        assert response["Retry-After"] == "1"

    def test_behind_a_trusted_proxy_readers_are_told_apart_by_the_forwarded_address(
        self, seed_post, client, settings
    ):
        settings.TRUSTED_PROXY_HOPS = 1
        behind_nginx = {"ip": "127.0.0.1"}
        first = post_comment(client, seed_post, HTTP_X_FORWARDED_FOR="198.51.100.7", **behind_nginx)
        other_reader = post_comment(
            client,
            seed_post,
            HTTP_X_FORWARDED_FOR="198.51.100.8",
            author_email="other@example.com",
            body="A different reader",
            **behind_nginx,
        )
        same_reader = post_comment(
            client,
            seed_post,
            HTTP_X_FORWARDED_FOR="203.0.113.99, 198.51.100.7",
            author_email="third@example.com",
            body="Same address as the first, with a made-up hop in front",
            **behind_nginx,
        )

        assert (first.status_code, other_reader.status_code) == (303, 303)
        assert same_reader.status_code == 429
        assert sorted(Comment.objects.values_list("ip_address", flat=True)) == [
            "198.51.100.7",
            "198.51.100.8",
        ]

    def test_without_a_trusted_proxy_a_forwarded_address_is_ignored(self, seed_post, client):
        post_comment(client, seed_post, ip="192.0.2.9", HTTP_X_FORWARDED_FOR="198.51.100.1")
        response = post_comment(
            client,
            seed_post,
            ip="192.0.2.9",
            HTTP_X_FORWARDED_FOR="198.51.100.2",
            author_email="other@example.com",
            body="Pretending to be someone else",
        )
        assert response.status_code == 429
        assert Comment.objects.get().ip_address == "192.0.2.9"

    def test_too_long_is_a_field_error_keeping_the_text(self, seed_post, client):
        body = "x" * 5001
        response = post_comment(client, seed_post, body=body)
        assert response.status_code == 400
        content = response.content.decode()
        assert "Comments can be at most 5,000 characters; this one has 5,001." in content
        assert body in content
        assert not Comment.objects.exists()

    def test_max_length_is_a_setting(self, seed_post, client, settings):
        settings.COMMENTS_MAX_LENGTH = 10
        assert post_comment(client, seed_post, body="x" * 11).status_code == 400
        assert post_comment(client, seed_post, body="x" * 10).status_code == 303


class TestClosed:
    def test_closing_a_post_refuses_the_next_post_at_once(self, seed_post, client):
        """The post is read once per content version (blog.comments.post_lookup);
        publishing the switch is a new version, so the very next comment is refused."""
        assert post_comment(client, seed_post).status_code == 303

        seed_post.comments_enabled = False
        seed_post.save_revision().publish()

        response = post_comment(client, seed_post, author_email="late@example.com", body="Late")
        assert response.status_code == 403
        assert Comment.objects.count() == 1

    def test_post_switch_closes_form_and_refuses_posts(self, seed_post, client):
        seed_post.comments_enabled = False
        seed_post.save_revision().publish()
        page = client.get(seed_post.url).content.decode()
        assert "Comments are closed" in page
        assert 'id="respond"' not in page
        response = post_comment(client, seed_post)
        assert response.status_code == 403
        assert not Comment.objects.exists()

    def test_closing_after_n_days_is_off_by_default_and_a_setting(self, seed_post, client):
        assert CommentSettings.load().close_after_days == 0
        assert post_comment(client, seed_post).status_code == 303
        age = (datetime.date.today() - seed_post.date).days
        rules(close_after_days=age)
        assert post_comment(client, seed_post, body="late").status_code == 403
        rules(close_after_days=age + 1)
        assert (
            post_comment(
                client, seed_post, body="in time", author_email="x@example.com"
            ).status_code
            == 303
        )

    def test_closing_a_post_removes_the_reply_links_of_its_cached_thread(self, seed_post, client):
        comment = make_comment(seed_post, status=Comment.Status.APPROVED)
        reply_link = f'data-reply-to="{comment.pk}"'
        assert reply_link in client.get(seed_post.url).content.decode()

        seed_post.comments_enabled = False
        seed_post.save_revision().publish()

        page = client.get(seed_post.url).content.decode()
        assert comment.body in page
        assert reply_link not in page

    def test_a_post_closed_by_age_shows_no_reply_links(self, seed_post, client):
        comment = make_comment(seed_post, status=Comment.Status.APPROVED)
        assert f'data-reply-to="{comment.pk}"' in client.get(seed_post.url).content.decode()

        rules(close_after_days=(datetime.date.today() - seed_post.date).days)

        page = client.get(seed_post.url).content.decode()
        assert "Comments are closed" in page
        assert f'data-reply-to="{comment.pk}"' not in page


def test_author_history_finds_duplicates_and_known_authors_through_the_indexes(seed_post):
    make_comment(
        seed_post, author_email="Ada.Lovelace@Example.com", body="Hello", status="approved"
    )
    make_comment(seed_post, author_email="grace@example.com", body="Held", status="pending")

    def history(fingerprint, email):
        """Without a proof or ban keys: the duplicate and known-author answers."""
        return Comment.objects.author_history(fingerprint, email)[:2]

    assert history(
        fingerprint(seed_post.pk, "ADA.lovelace@example.com", " hello "),
        " ada.LOVELACE@example.com",
    ) == (True, True)
    assert history(
        fingerprint(seed_post.pk, "ada.lovelace@example.com", "New"), "ada.lovelace@example.com"
    ) == (False, True)
    # A pending comment is a duplicate when posted again, but does not make its author known.
    assert history(fingerprint(seed_post.pk, "grace@example.com", "Held"), "grace@example.com") == (
        True,
        False,
    )
    assert history(fingerprint(seed_post.pk, "new@example.com", "Hi"), "new@example.com") == (
        False,
        False,
    )
    if connection.vendor == "sqlite":
        with CaptureQueriesContext(connection) as queries:
            history(fingerprint(seed_post.pk, "x@example.com", "x"), "x@example.com")
        (query,) = queries
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
            plan = " ".join(row[-1] for row in cursor.fetchall())
        assert "comment_email_idx (<expr>=? AND status=?)" in plan
        assert "(fingerprint=?)" in plan
        assert "SCAN comments_comment" not in plan
