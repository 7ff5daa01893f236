"""The comment endpoints of /api/v3/comments/, each answer and each error."""

import time
from unittest import mock

from wagtail.log_actions import registry as log_registry

import pytest

from blog.comments.models import Comment, CommentSettings
from tests.comments.conftest import confirmed_proof

pytestmark = pytest.mark.django_db

URL = "/api/v3/comments/"


def submission(post, client, **fields):
    token = client.get(f"{URL}form-token/", {"page": post.pk}).json()["token"]
    return {
        "page": post.pk,
        "author_name": "Ada Reader",
        "author_email": "ada@private.example",
        "author_url": "https://ada.example.org",
        "body": "Has anyone tried this for calf cramps at night?",
        "token": token,
        **fields,
    }


def post_json(client, data, **headers):
    return client.post(URL, data, content_type="application/json", **headers)


def test_thread_lists_approved_comments_in_thread_order(client, seed_post, make_comment):
    first = make_comment(seed_post, number=1)
    second = make_comment(seed_post, number=2)
    reply = make_comment(seed_post, parent=first, number=3)
    make_comment(seed_post, number=4, status=Comment.Status.PENDING)
    make_comment(seed_post, number=5, status=Comment.Status.SPAM)

    data = client.get(URL, {"page": seed_post.pk}).json()

    assert data["count"] == 3
    assert [(item["id"], item["parent"], item["depth"]) for item in data["items"]] == [
        (first.pk, None, 0),
        (reply.pk, first.pk, 1),
        (second.pk, None, 0),
    ]
    assert data["items"][0] == {
        "id": first.pk,
        "post": seed_post.pk,
        "parent": None,
        "depth": 0,
        "author_name": "Reader 1",
        "website": "",
        "html": "<p>Comment number 1.</p>",
        "created_at": data["items"][0]["created_at"],
        "edited_at": None,
        "staff": False,
        "pinned": False,
        "removed": False,
        "deleted_by_author": False,
    }


def test_removed_parent_of_visible_replies_is_a_blank_placeholder(client, seed_post, make_comment):
    parent = make_comment(seed_post, number=1)
    reply = make_comment(seed_post, parent=parent, number=2)
    parent.status = Comment.Status.TRASH
    parent.save()

    items = client.get(URL, {"page": seed_post.pk}).json()["items"]

    assert [(item["id"], item["removed"]) for item in items] == [
        (parent.pk, True),
        (reply.pk, False),
    ]
    assert items[0]["author_name"] == items[0]["html"] == ""


def test_thread_is_paginated(client, seed_post, make_comment):
    for number in range(5):
        make_comment(seed_post, number=number)

    data = client.get(URL, {"page": seed_post.pk, "limit": 2, "offset": 4}).json()

    assert data["count"] == 5
    assert len(data["items"]) == 1


def test_a_100_comment_thread_comes_whole_in_one_request(
    client, seed_post, make_comment, django_assert_max_num_queries
):
    for number in range(100):
        make_comment(seed_post, number=number)

    # The post (and its view restrictions), the approved count, the tombstones, the pinned
    # roots, a batch of the others, their threads: none of them a row per thread.
    with django_assert_max_num_queries(7):
        data = client.get(URL, {"page": seed_post.pk, "limit": 100}).json()

    assert data["count"] == 100
    assert [item["html"] for item in data["items"]][-1] == "<p>Comment number 99.</p>"
    assert len(data["items"]) == 100


def test_a_page_of_comments_holds_20_unless_limit_asks(client, seed_post, make_comment):
    for number in range(25):
        make_comment(seed_post, number=number)

    assert len(client.get(URL, {"page": seed_post.pk}).json()["items"]) == 20


def test_a_limit_above_the_most_is_a_field_error_naming_the_most(client, seed_post, settings):
    response = client.get(URL, {"page": seed_post.pk, "limit": 101})

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert error["loc"] == ["query", "limit"]
    assert error["msg"] == (
        "Ask for at most 100 comments a page (limit=100), then page on with offset."
    )

    settings.COMMENTS_API_LIMIT_MAX = 150
    assert client.get(URL, {"page": seed_post.pk, "limit": 150}).status_code == 200
    assert client.get(URL, {"page": seed_post.pk, "limit": 151}).status_code == 422


def test_the_schema_names_the_most_a_comment_page_holds(client):
    schema = client.get("/api/v3/openapi.json").json()
    parameters = schema["paths"]["/api/v3/comments/"]["get"]["parameters"]
    [limit] = [parameter for parameter in parameters if parameter["name"] == "limit"]

    assert limit["schema"]["maximum"] == 100
    assert limit["schema"]["default"] == 20


def test_thread_of_unknown_post_is_404_problem(client, seed_post):
    response = client.get(URL, {"page": 999_999})

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_missing_page_parameter_is_422(client, seed_post):
    response = client.get(URL)

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][-1] == "page"


def test_one_comment_is_404_unless_approved(client, seed_post, make_comment):
    approved = make_comment(seed_post, number=1)
    pending = make_comment(seed_post, number=2, status=Comment.Status.PENDING)

    assert client.get(f"{URL}{approved.pk}/").json()["html"] == "<p>Comment number 1.</p>"
    assert client.get(f"{URL}{pending.pk}/").status_code == 404


def test_form_token_is_fresh_every_time(client, seed_post):
    response = client.get(f"{URL}form-token/", {"page": seed_post.pk})

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert "ETag" not in response
    assert response.json()["min_seconds"] >= 0


def test_posting_a_first_comment_leaves_it_pending(client, seed_post, quick_posting):
    response = post_json(client, submission(seed_post, client))

    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "pending"
    comment = Comment.objects.get(pk=created["id"])
    assert comment.author_email == "ada@private.example"
    assert comment.body_html.startswith("<p>Has anyone tried this")
    assert comment.ip_address == "127.0.0.1"


def test_known_author_is_approved_and_markup_is_sanitized(
    client, seed_post, make_comment, quick_posting
):
    make_comment(seed_post, author_email="ada@private.example")

    response = post_json(
        client,
        submission(
            seed_post,
            client,
            body='Tried it <script>alert(1)</script> <b onclick="x">ok</b>',
            confirmation=confirmed_proof("ada@private.example"),
        ),
    )

    assert response.json()["status"] == "approved"
    html = Comment.objects.get(pk=response.json()["id"]).body_html
    assert "<script" not in html
    assert "onclick" not in html


def test_field_errors_are_422_problem_details_by_field(client, seed_post, quick_posting):
    response = post_json(
        client,
        submission(
            seed_post, client, author_email="not-an-email", body="   ", author_url="ftp://x"
        ),
    )

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    errors = {tuple(error["loc"]): error["msg"] for error in response.json()["errors"]}
    assert errors[("body", "author_email")] == (
        "Enter a valid email address, for example name@example.com."
    )
    assert errors[("body", "body")] == "Please write a comment."
    assert ("body", "author_url") in errors


def test_reply_to_unapproved_comment_is_refused_by_field(
    client, seed_post, make_comment, quick_posting
):
    pending = make_comment(seed_post, status=Comment.Status.PENDING)

    response = post_json(client, submission(seed_post, client, parent=pending.pk))

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "loc": ["body", "parent"],
            "msg": "Replies can only go to approved comments on the same post.",
            "type": "invalid_parent",
        }
    ]


def test_malformed_json_is_422_not_500(client, seed_post):
    assert post_json(client, {"page": "x"}).status_code == 422
    assert client.post(URL, "{not json", content_type="application/json").status_code in {400, 422}


def test_unknown_post_is_a_field_error(client, seed_post, quick_posting):
    data = submission(seed_post, client, page=999_999)

    response = post_json(client, data)

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "page"]


def test_closed_comments_are_403(client, seed_post, quick_posting):
    data = submission(seed_post, client)
    seed_post.comments_enabled = False
    seed_post.save_revision().publish()

    response = post_json(client, data)

    assert response.status_code == 403
    assert response.json()["detail"] == "Comments are closed on this post."


def test_duplicate_is_409(client, seed_post, quick_posting, settings):
    settings.COMMENTS_RATE_LIMITS_ENABLED = False
    data = submission(seed_post, client)
    assert post_json(client, data).status_code == 201

    response = post_json(client, data)

    assert response.status_code == 409


def test_flooding_is_429_with_retry_after(client, seed_post, quick_posting):
    assert post_json(client, submission(seed_post, client)).status_code == 201

    response = post_json(client, submission(seed_post, client, body="And a second thought."))

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 15


def test_bot_token_is_stored_as_spam_but_reported_pending(client, seed_post):
    response = post_json(client, {**submission(seed_post, client), "token": "forged"})

    assert response.json()["status"] == "pending"
    assert Comment.objects.get(pk=response.json()["id"]).status == Comment.Status.SPAM


def test_posting_needs_no_csrf_cookie(seed_post, quick_posting):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = post_json(strict, submission(seed_post, strict))

    assert response.status_code == 201


def test_counts_for_many_posts_in_one_call(client, seed_post, make_posts, make_comment):
    other = make_posts(1)[0]
    make_comment(seed_post, number=1)
    make_comment(seed_post, number=2)
    make_comment(other, number=3, status=Comment.Status.PENDING)

    data = client.get(f"{URL}counts/?page={seed_post.pk}&page={other.pk}&page=999999").json()

    assert data["counts"] == [
        {"page": seed_post.pk, "count": 2},
        {"page": other.pk, "count": 0},
        {"page": 999999, "count": 0},
    ]


def test_moderation_needs_a_token_with_the_permission(client, seed_post, django_user_model):
    from wagtail.models import APIToken

    assert client.get(f"{URL}moderation/").status_code == 401
    user = django_user_model.objects.create_user("writer", "w@example.com", "pw")
    _token, plaintext = APIToken.create_token(user=user, name="no rights")
    response = client.get(f"{URL}moderation/", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert response.status_code == 403


def test_moderation_queue_lists_pending_first(client, seed_post, make_comment, moderator_token):
    approved = make_comment(seed_post, number=1)
    pending = make_comment(seed_post, number=2, status=Comment.Status.PENDING)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {moderator_token}"}

    only_pending = client.get(f"{URL}moderation/", **auth).json()
    both = client.get(f"{URL}moderation/?status=approved&status=pending", **auth).json()

    assert [item["id"] for item in only_pending["items"]] == [pending.pk]
    assert [item["id"] for item in both["items"]] == [pending.pk, approved.pk]
    assert both["items"][0]["status"] == "pending"
    assert both["items"][0]["reason"] == ""
    assert "private.example" not in str(both)
    assert "Cache-Control" in client.get(f"{URL}moderation/", **auth)
    assert "no-store" in client.get(f"{URL}moderation/", **auth)["Cache-Control"]


def test_moderation_queue_searches_name_email_text_and_address(
    client, seed_post, make_comment, moderator_token
):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {moderator_token}"}
    by_email = make_comment(
        seed_post, number=1, status="pending", author_email="zelda@hyrule.example"
    )
    by_text = make_comment(seed_post, number=2, status="pending", body="Try the ocarina cure.")
    make_comment(seed_post, number=3, status="pending")

    def found(query):
        response = client.get(f"{URL}moderation/", {"q": query}, **auth)
        assert response.status_code == 200
        return [item["id"] for item in response.json()["items"]]

    assert found("HYRULE.example") == [by_email.pk]
    assert found("ocarina") == [by_text.pk]
    assert found("nobody-writes-this") == []
    refused = client.get(f"{URL}moderation/", {"q": "x" * 201}, **auth)
    assert refused.status_code == 422
    assert "q" in refused.text


def test_moderation_queue_items_carry_the_open_reports_as_the_admin_shows_them(
    client, seed_post, make_comment, moderator_token, django_assert_max_num_queries
):
    from tests.comments.conftest import add_reports

    auth = {"HTTP_AUTHORIZATION": f"Bearer {moderator_token}"}
    hidden = make_comment(seed_post, number=1, status="pending", reason="Hidden after 3 reports")
    add_reports(hidden, 2, reason="misinformation", note="Not what the study found")
    add_reports(hidden, 1, reason="spam")
    plain = make_comment(seed_post, number=2, status="pending")
    for number in range(3, 13):
        add_reports(make_comment(seed_post, number=number, status="pending"), 1)

    with django_assert_max_num_queries(8):
        items = client.get(f"{URL}moderation/", {"limit": 20}, **auth).json()["items"]

    by_id = {item["id"]: item for item in items}
    assert by_id[hidden.pk]["report_count"] == 3
    assert by_id[hidden.pk]["hidden_by_reports"] is True
    assert by_id[hidden.pk]["reports_kept"] is False
    assert [(r["reason"], r["reason_label"], r["note"]) for r in by_id[hidden.pk]["reports"]] == [
        ("misinformation", "Health misinformation", "Not what the study found"),
        ("misinformation", "Health misinformation", "Not what the study found"),
        ("spam", "Spam", ""),
    ]
    assert by_id[plain.pk]["report_count"] == 0
    assert by_id[plain.pk]["reports"] == []
    assert by_id[plain.pk]["hidden_by_reports"] is False
    one = client.post(
        f"{URL}moderation/{hidden.pk}/actions/spam/", content_type="application/json", **auth
    ).json()
    assert one["report_count"] == 3


def test_moderation_counts_per_status(
    client, seed_post, make_comment, moderator_token, django_capture_on_commit_callbacks
):
    from blog.comments.moderation import moderate
    from tests.comments.conftest import add_reports

    auth = {"HTTP_AUTHORIZATION": f"Bearer {moderator_token}"}
    for number, status in enumerate(["pending", "pending", "approved", "spam"], start=1):
        make_comment(seed_post, number=number, status=status)
    add_reports(Comment.objects.filter(status="approved").get(), 1)

    counts = client.get(f"{URL}moderation/counts/", **auth)

    assert counts.status_code == 200
    assert counts.json() == {"pending": 2, "approved": 1, "spam": 1, "trash": 0, "reported": 1}
    # Pending stays exact as comments arrive; a decision shows in every count.
    make_comment(seed_post, number=9, status="pending")
    with django_capture_on_commit_callbacks(execute=True):
        moderate(Comment.objects.filter(status="spam"), "trash", None)
    assert client.get(f"{URL}moderation/counts/", **auth).json() == {
        "pending": 3,
        "approved": 1,
        "spam": 0,
        "trash": 1,
        "reported": 1,
    }
    assert client.get(f"{URL}moderation/counts/").status_code == 401


def test_moderation_actions_go_to_the_audit_log(
    client, seed_post, make_comment, moderator_token, moderation_is_logged
):
    pending = make_comment(seed_post, status=Comment.Status.PENDING)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {moderator_token}"}

    response = client.post(
        f"{URL}moderation/{pending.pk}/actions/approve/", content_type="application/json", **auth
    )

    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    actions = list(log_registry.get_logs_for_instance(pending).values_list("action", flat=True))
    assert actions == ["comments.approve"]
    assert (
        client.post(
            f"{URL}moderation/{pending.pk}/actions/explode/",
            content_type="application/json",
            **auth,
        ).status_code
        == 422
    )
    assert (
        client.post(
            f"{URL}moderation/999999/actions/spam/", content_type="application/json", **auth
        ).status_code
        == 404
    )


def test_bulk_spam_trash_and_restore(
    client, seed_post, make_comment, moderator_token, moderation_is_logged
):
    comments = [make_comment(seed_post, number=n) for n in range(3)]
    ids = [comment.pk for comment in comments]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {moderator_token}"}

    def act(action):
        return client.post(
            f"{URL}moderation/actions/{action}/",
            {"ids": ids, "reason": "cleanup"},
            content_type="application/json",
            **auth,
        )

    assert act("spam").json() == {"changed": sorted(ids)}
    assert Comment.objects.filter(status=Comment.Status.SPAM).count() == 3
    assert act("restore").json() == {"changed": sorted(ids)}
    assert Comment.objects.filter(status=Comment.Status.APPROVED).count() == 3
    assert act("trash").status_code == 200
    assert Comment.objects.filter(status=Comment.Status.TRASH).count() == 3


def test_comment_count_and_open_state_on_pages(client, seed_post, make_comment):
    make_comment(seed_post, number=1)
    make_comment(seed_post, number=2, status=Comment.Status.PENDING)
    rules = CommentSettings.load()
    rules.close_after_days = 30
    rules.save()

    v2 = client.get(f"/api/v2/pages/{seed_post.pk}/").json()
    listing = client.get("/api/v3/posts/").json()["items"][0]
    v3 = client.get(f"/api/v3/pages/{seed_post.pk}/").json()

    assert v2["comment_count"] == listing["comment_count"] == v3["comment_count"] == 1
    assert v2["comments_open"] is listing["comments_open"] is v3["comments_open"] is False


def test_no_response_contains_a_commenters_email_or_ip(
    client, seed_post, make_comment, moderator_token
):
    first = make_comment(seed_post, number=1)
    make_comment(seed_post, parent=first, number=2)
    make_comment(seed_post, number=3, status=Comment.Status.PENDING)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {moderator_token}"}
    urls = [
        f"{URL}?page={seed_post.pk}",
        f"{URL}{first.pk}/",
        f"{URL}counts/?page={seed_post.pk}",
        "/api/v3/posts/",
        f"/api/v3/pages/{seed_post.pk}/",
        f"/api/v2/pages/{seed_post.pk}/",
        "/api/v2/pages/?type=blog.BlogPostPage&fields=*",
    ]
    bodies = [client.get(url).content for url in urls]
    bodies.append(client.get(f"{URL}moderation/?status=pending&status=approved", **auth).content)
    bodies.append(
        client.post(
            f"{URL}moderation/{first.pk}/actions/unapprove/",
            content_type="application/json",
            **auth,
        ).content
    )

    for body in bodies:
        assert b"private.example" not in body
        assert b"203.0.113.77" not in body


def test_thread_of_300_comments_uses_a_fixed_number_of_queries(
    client, seed_post, make_comment, django_assert_max_num_queries
):
    parents = [make_comment(seed_post, number=n) for n in range(150)]
    for number, parent in enumerate(parents, start=150):
        make_comment(seed_post, parent=parent, number=number)

    # What the 100-comment thread costs (above): a fixed number, whatever the threads.
    with django_assert_max_num_queries(7):
        response = client.get(URL, {"page": seed_post.pk, "limit": 50})
    assert response.json()["count"] == 300


def test_an_expired_form_token_is_a_field_error_naming_what_to_do(client, seed_post, settings):
    settings.COMMENTS_FORM_MAX_AGE = 60
    token_answer = client.get(f"{URL}form-token/", {"page": seed_post.pk}).json()
    assert token_answer["max_age_seconds"] == 60
    data = submission(seed_post, client)
    with mock.patch("blog.comments.form_tokens.time.time", return_value=time.time() + 61):
        response = post_json(client, data)

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    (error,) = response.json()["errors"]
    assert error["type"] == "expired"
    assert "please send it again" in error["msg"]
    assert not Comment.objects.exists()
