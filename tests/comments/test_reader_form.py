"""The form under each post, as a reader uses it without JavaScript."""

import re
import secrets
import time
from unittest import mock
from urllib.parse import parse_qs

from django.test import Client

import pytest
from bs4 import BeautifulSoup

from blog.comments.models import Comment
from tests.comments.admin_users import make_editor
from tests.comments.conftest import (
    confirm_in,
    form_data,
    make_comment,
    next_ip,
    reader_token,
)
from tests.management import run_manage

pytestmark = pytest.mark.usefixtures("no_wait")


def page_html(client, url):
    return BeautifulSoup(client.get(url).content, "html.parser")


def post_comment(client, post, **fields):
    ip = next_ip()
    return client.post(
        f"/comments/post/{post.pk}/", form_data(post, ip=ip, **fields), REMOTE_ADDR=ip
    )


def test_the_form_shows_the_seeds_notices_and_fields(seed_post, client):
    html = page_html(client, seed_post.url)
    respond = html.select_one("#respond")
    assert respond.select_one("#reply-title").get_text(strip=True).startswith("Leave a Reply")
    notes = respond.select_one(".comment-notes").get_text(" ", strip=True)
    assert "Your email address will not be published." in notes
    assert "Required fields are marked *" in notes
    form = respond.select_one("form")
    assert form["method"] == "post"
    # No session, so no CSRF token or cookie: the page can be served from caches
    # (blog/comments/forgery.py says what defends the form instead).
    assert form.select_one("input[name=csrfmiddlewaretoken]") is None
    names = {field["name"] for field in form.select("input, textarea") if field.get("name")}
    assert {
        "body",
        "author_name",
        "author_email",
        "author_url",
        "notify_replies",
        "remember",
        "parent",
        "token",
        "homepage",
    } <= names
    labels = [label.get_text(" ", strip=True) for label in form.select("label")]
    assert "Notify me of replies by email." in labels
    assert "Save my name and email in this browser for the next time I comment." in labels


def test_a_form_sent_from_another_site_is_refused(seed_post):
    """What a browser says about where a form came from: Sec-Fetch-Site, or Origin."""
    for headers in (
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
        {"HTTP_SEC_FETCH_SITE": "same-site"},
        {"HTTP_ORIGIN": "https://attacker.example"},
        {"HTTP_ORIGIN": "null"},
    ):
        ip = next_ip()
        response = Client().post(
            f"/comments/post/{seed_post.pk}/",
            form_data(seed_post, ip=ip),
            REMOTE_ADDR=ip,
            **headers,
        )
        assert response.status_code == 403, headers
    assert not Comment.objects.exists()


def test_a_form_sent_from_this_site_is_accepted(seed_post):
    for number, headers in enumerate(
        (
            {"HTTP_SEC_FETCH_SITE": "same-origin"},
            {"HTTP_ORIGIN": "http://testserver"},
            {},  # not a browser: like the JSON API, allowed (the comment rules still apply)
        )
    ):
        ip = next_ip()
        response = Client().post(
            f"/comments/post/{seed_post.pk}/",
            form_data(
                seed_post,
                ip=ip,
                author_email=f"reader{number}@example.com",
                body=f"Posted from this site ({number}).",
            ),
            REMOTE_ADDR=ip,
            **headers,
        )
        assert response.status_code == 303, headers
    assert Comment.objects.count() == 3


def test_a_visitor_with_a_session_needs_the_csrf_token(seed_post):
    editor = make_editor("signed-in")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(editor)
    url = f"/comments/post/{seed_post.pk}/"

    forged = strict.post(url, form_data(seed_post), HTTP_SEC_FETCH_SITE="same-origin")
    assert forged.status_code == 403
    assert not Comment.objects.exists()

    page = BeautifulSoup(strict.get(seed_post.url).content, "html.parser")
    token = page.select_one("#respond input[name=csrfmiddlewaretoken]")["value"]
    posted = strict.post(url, {**form_data(seed_post), "csrfmiddlewaretoken": token})
    assert posted.status_code == 303
    assert Comment.objects.get().user == editor


def test_a_page_for_a_visitor_without_a_session_sets_no_cookie(seed_post):
    response = Client().get(seed_post.url)

    assert response.status_code == 200
    assert not response.cookies


def test_a_held_comment_is_shown_only_to_its_author(seed_post, client):
    response = post_comment(client, seed_post, body="My first thought")
    comment = Comment.objects.get()
    assert response.status_code == 303
    assert response["Location"] == f"{seed_post.url}#comment-{comment.pk}"
    mine = page_html(client, seed_post.url)
    awaiting = mine.select_one(f"#comment-{comment.pk}")
    assert "Your comment is awaiting moderation." in awaiting.get_text()
    assert "My first thought" in awaiting.get_text()

    from django.test import Client

    theirs = Client().get(seed_post.url).content.decode()
    assert "My first thought" not in theirs
    assert "awaiting moderation" not in theirs


def test_an_approved_comment_shows_at_once_with_counts(seed_post, client):
    make_comment(seed_post, author_email="known@example.com")
    confirm_in(client, "known@example.com")
    response = post_comment(client, seed_post, author_email="known@example.com", body="Seen")
    comment = Comment.objects.get(body="Seen")
    assert comment.status == "approved"
    assert response["Location"].endswith(f"#comment-{comment.pk}")
    html = page_html(client, seed_post.url)
    assert html.select_one(f"#comment-{comment.pk} .comment__body").get_text() == "Seen"
    assert html.select_one("#comments-heading").get_text() == "2 comments"
    index = page_html(client, "/blog/")
    assert "2 comments" in index.select_one(".post-card").get_text()


def test_field_errors_are_shown_inline_and_the_text_is_kept(seed_post, client):
    response = post_comment(
        client,
        seed_post,
        author_name="",
        author_email="not-an-email",
        author_url="ftp://x.org",
        body="Please keep this text",
    )
    assert response.status_code == 400
    html = BeautifulSoup(response.content, "html.parser")
    errors = {error["id"]: error.get_text() for error in html.select("#respond .field-error")}
    assert errors == {
        "id_author_name_error": "Please enter your name.",
        "id_author_email_error": "Enter a valid email address, for example name@example.com.",
        "id_author_url_error": "Enter a web address starting with http:// or https://.",
    }
    assert html.select_one("#id_body").get_text().strip() == "Please keep this text"
    assert not Comment.objects.exists()


def test_reply_link_without_javascript_prepares_the_form(seed_post, client):
    parent = make_comment(seed_post, author_name="Grace")
    html = page_html(client, seed_post.url)
    link = html.select_one(f"#comment-{parent.pk} a.comment__reply")
    assert link["href"] == f"?replytocom={parent.pk}#respond"
    replying = page_html(client, f"{seed_post.url}?replytocom={parent.pk}")
    assert (
        replying.select_one("#reply-title").get_text(" ", strip=True).startswith("Reply to Grace")
    )
    assert replying.select_one("input[name=parent]")["value"] == str(parent.pk)


def test_remember_me_is_an_opt_in_cookie(seed_post, client):
    post_comment(client, seed_post, body="Not remembered")
    assert (
        client.cookies.get("comment_author") is None or not client.cookies["comment_author"].value
    )
    post_comment(
        client,
        seed_post,
        author_email="b@example.com",
        body="Remember me",
        remember="on",
        author_url="https://grace.example.com",
    )
    saved = parse_qs(client.cookies["comment_author"].value)
    assert saved == {
        "name": ["Ada Reader"],
        "email": ["b@example.com"],
        "url": ["https://grace.example.com"],
    }


def test_no_email_or_ip_in_the_page(seed_post, client):
    make_comment(seed_post, author_email="secret-reader@example.com", ip_address="198.51.100.77")
    content = client.get(seed_post.url).content.decode()
    assert "secret-reader@example.com" not in content
    assert "198.51.100.77" not in content


def test_reader_links_are_nofollow_ugc(seed_post, client):
    make_comment(seed_post, author_url="https://reader.example.com", body="See https://example.org")
    html = page_html(client, seed_post.url)
    for link in html.select("#comments .comment a[href^=http]"):
        assert {"nofollow", "ugc"} <= set(link["rel"])


def test_comment_on_an_unknown_or_draft_post_is_404(seed_post, make_posts, client):
    (draft,) = make_posts(1)
    draft.unpublish()
    assert client.post("/comments/post/999999/", form_data(seed_post)).status_code == 404
    assert post_comment(client, draft).status_code == 404
    assert client.get(f"/comments/post/{seed_post.pk}/").status_code == 405


def test_a_signed_in_editor_is_recorded_as_the_author_but_not_as_staff(seed_post, client):
    editor = make_editor("writer")
    client.force_login(editor)

    response = post_comment(client, seed_post, author_email="writer@example.com")

    assert response.status_code == 303
    comment = Comment.objects.get(author_email="writer@example.com")
    assert comment.user == editor
    assert comment.is_staff_reply is False
    assert comment.status == Comment.Status.PENDING


def test_an_anonymous_reader_is_recorded_without_a_user(seed_post, client):
    post_comment(client, seed_post, author_email="reader@example.com")

    assert Comment.objects.get(author_email="reader@example.com").user is None


def test_a_form_opened_too_long_ago_asks_again_and_keeps_the_text(seed_post, client, settings):
    settings.COMMENTS_FORM_MAX_AGE = 3600
    with mock.patch("blog.comments.form_tokens.time.time", return_value=time.time() - 3601):
        stale_token = reader_token(seed_post)

    response = client.post(
        f"/comments/post/{seed_post.pk}/",
        form_data(seed_post, token=stale_token, body="Written over lunch."),
    )

    assert response.status_code == 400
    page = BeautifulSoup(response.content, "html.parser")
    assert "This form was opened more than an hour ago" in page.get_text()
    assert page.select_one("textarea[name=body]").get_text().strip() == "Written over lunch."
    fresh_token = page.select_one("input[name=token]")["value"]
    assert fresh_token != stale_token
    assert not Comment.objects.exists()

    again = client.post(
        f"/comments/post/{seed_post.pk}/",
        form_data(seed_post, token=fresh_token, body="Written over lunch."),
    )
    assert again.status_code == 303
    assert Comment.objects.get().body == "Written over lunch."


def test_comment_cookies_go_over_https_only_when_the_site_does(seed_post, client, settings):
    settings.COMMENTS_COOKIE_SECURE = True
    response = post_comment(client, seed_post, remember="on", author_url="https://ada.example")

    assert response.status_code == 303
    author = response.cookies["comment_author"]
    just_posted = response.cookies["comment_posted"]
    assert author["secure"] is True and just_posted["secure"] is True
    assert author["samesite"] == just_posted["samesite"] == "Lax"
    # The form's script reads the author cookie (static/js/comments.js); only the server
    # and nginx read the other.
    assert not author["httponly"] and just_posted["httponly"] is True
    assert parse_qs(author.value) == {
        "name": ["Ada Reader"],
        "email": ["ada@example.com"],
        "url": ["https://ada.example"],
    }


def test_the_author_cookie_holds_no_empty_field(seed_post, client):
    response = post_comment(client, seed_post, remember="on", author_url="")

    assert "url" not in response.cookies["comment_author"].value


def test_forgetting_the_author_goes_over_https_only_too(seed_post, client, settings):
    settings.COMMENTS_COOKIE_SECURE = True
    response = post_comment(client, seed_post)

    forgotten = response.cookies["comment_author"]
    assert forgotten.value == ""
    assert forgotten["max-age"] == 0
    assert forgotten["secure"] is True


def test_over_plain_http_in_development_the_comment_cookies_still_work(seed_post, client):
    response = post_comment(client, seed_post, remember="on")

    assert not response.cookies["comment_author"]["secure"]
    assert not response.cookies["comment_posted"]["secure"]


def test_production_settings_send_the_comment_cookies_over_https_only():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.COMMENTS_COOKIE_SECURE)",
        DJANGO_SETTINGS_MODULE="cms.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="example.org",
        CACHE_PER_PROCESS="true",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True"


# What readers meet around the form: names isolated, errors in view, honest notices
# (issue 11 item 7, issue 12 items 3-6).


def test_names_are_isolated_where_they_are_shown(seed_post, client):
    """A name can still hold right-to-left text: <bdi> keeps it from reordering the date,
    the badge or "Reply to" around it."""
    make_comment(seed_post, author_name="שרה", author_url="https://sarah.example.org")
    make_comment(seed_post, author_name="Grace")

    html = page_html(client, seed_post.url)

    authors = html.select("#comments .comment__author")
    assert [author.select_one("bdi").get_text() for author in authors] == ["שרה", "Grace"]
    assert html.select_one("#comments .comment__author a > bdi").get_text() == "שרה"
    for hidden in html.select("#comments .comment__reply .visually-hidden"):
        assert hidden.select_one("bdi") is not None
    replied = make_comment(seed_post, author_name="שרה")
    replying = page_html(client, f"{seed_post.url}?replytocom={replied.pk}")
    assert replying.select_one("#reply-title bdi").get_text() == "שרה"


def test_a_spoofed_comment_is_shown_without_bidi_controls(seed_post, client):
    make_comment(seed_post, author_email="known@example.com")
    confirm_in(client, "known@example.com")
    ip = next_ip()
    client.post(
        f"/comments/post/{seed_post.pk}/",
        form_data(
            seed_post,
            ip=ip,
            author_email="known@example.com",
            author_name="Ada \u202eredaeR",
            author_url="https://ada.example.org/\u202epath",
            body="Looks fine \u202etxt.exe",
        ),
        REMOTE_ADDR=ip,
    )
    comment = Comment.objects.get(body__startswith="Looks fine")
    assert comment.status == Comment.Status.APPROVED

    html = page_html(client, seed_post.url)
    shown = html.select_one(f"#comment-{comment.pk}")
    assert shown.select_one(".comment__author bdi").get_text() == "Ada redaeR"
    assert shown.select_one(".comment__author a")["href"] == "https://ada.example.org/path"
    assert "\u202e" not in str(html)


def error_summary(response):
    html = BeautifulSoup(response.content, "html.parser")
    return html, html.select_one("#respond form #comment-errors")


def test_field_errors_are_summarised_with_a_link_to_each_field(seed_post, client):
    response = post_comment(
        client, seed_post, author_name="", author_url="not a web address", body="Kept text"
    )

    assert response.status_code == 400
    html, summary = error_summary(response)
    # The answer's URL ends in the summary's fragment: the browser scrolls to it and focuses
    # it (tests/e2e/test_comment_errors.py).
    action = html.select_one("#respond form")["action"]
    assert action == f"/comments/post/{seed_post.pk}/#comment-errors"
    assert summary["role"] == "alert"
    assert summary["tabindex"] == "-1"
    links = [(link["href"], link.get_text()) for link in summary.select("li a")]
    assert links == [
        ("#id_author_name", "Please enter your name."),
        ("#id_author_url", "Enter a web address starting with http:// or https://."),
    ]
    for href, _ in links:
        assert html.select_one(href) is not None
    assert html.select_one("#id_body").get_text().strip() == "Kept text"
    assert html.select_one("#id_author_url")["value"] == "not a web address"


def test_the_invalid_website_message_is_printed_once_beside_its_field(seed_post, client):
    response = post_comment(client, seed_post, author_url="not a web address")

    html, summary = error_summary(response)
    message = "Enter a web address starting with http:// or https://."
    assert html.select_one("#id_author_url_error").get_text() == message
    assert html.get_text().count(message) == 2  # beside the field, and in the summary


def test_being_too_quick_is_said_in_the_summary_and_the_text_is_kept(seed_post, client):
    ip = next_ip()
    url = f"/comments/post/{seed_post.pk}/"
    first = client.post(url, form_data(seed_post, ip=ip, body="First"), REMOTE_ADDR=ip)
    assert first.status_code == 303

    second = client.post(url, form_data(seed_post, ip=ip, body="Second"), REMOTE_ADDR=ip)

    assert second.status_code == 429
    html, summary = error_summary(second)
    assert "You are commenting too quickly" in summary.get_text()
    assert html.select_one("#id_body").get_text().strip() == "Second"


def test_a_form_without_errors_has_no_summary(seed_post, client):
    html = page_html(client, seed_post.url)

    assert html.select_one("#comment-errors") is None


def test_a_comment_taken_for_a_bots_is_shown_to_its_author_as_held(
    seed_post, client, settings, django_assert_max_num_queries
):
    """A browser that fills the form in at once beats the 3-second rule: its comment goes
    to spam, but the person behind it is told what any held comment's author is told."""
    settings.COMMENTS_MIN_SECONDS_TO_POST = 3
    response = post_comment(client, seed_post, body="Autofilled and sent at once")

    comment = Comment.objects.get()
    assert comment.status == Comment.Status.SPAM
    assert response.status_code == 303
    assert response["Location"] == f"{seed_post.url}#comment-{comment.pk}"
    # 33 on PostgreSQL, cold: a page of threads is read in a fixed number of queries
    # (pinned roots, the page's roots, their count, the threads' rows; threads.py).
    with django_assert_max_num_queries(33):
        mine = page_html(client, seed_post.url)
    awaiting = mine.select_one(f"#comment-{comment.pk}")
    assert "Your comment is awaiting moderation." in awaiting.get_text()
    assert "Autofilled and sent at once" in awaiting.get_text()

    theirs = Client().get(seed_post.url).content.decode()
    assert "Autofilled and sent at once" not in theirs
    assert "awaiting moderation" not in theirs


def test_no_comments_yet_is_not_said_above_the_readers_held_comment(seed_post, client):
    assert page_html(client, seed_post.url).select_one(".comments__empty") is not None

    post_comment(client, seed_post, body="My held thought")

    html = page_html(client, seed_post.url)
    assert html.select_one(".comment--awaiting") is not None
    assert html.select_one(".comments__empty") is None
    assert "No comments yet" not in html.get_text()


def test_comment_times_are_whole_seconds_with_a_timezone(seed_post, client):
    make_comment(seed_post, author_name="Grace")
    post_comment(client, seed_post, body="Held, shown to me")

    times = page_html(client, seed_post.url).select("#comments time")

    assert len(times) == 2
    for time_element in times:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", time_element["datetime"])
