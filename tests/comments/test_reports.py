"""Reader reports (blog/comments/reports.py) through the report page, the v3 API and the
moderators' admin: what is stored, what is refused, when a comment is hidden, what
"keep" does, what moderators are told and what readers never learn."""

import re

from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.text import Truncator

from wagtail.models import ModelLogEntry

import pytest
from bs4 import BeautifulSoup

from blog.comments import notify
from blog.comments.models import Comment
from blog.comments.reports import (
    BROWSER_COOKIE,
    LOG_HIDDEN,
    LOG_KEEP,
    CommentReport,
    send_reported_comment_notice,
)
from tests.comments.admin_users import make_editor, make_moderator, make_superuser
from tests.comments.conftest import add_reports, make_comment

pytestmark = pytest.mark.django_db

Status = Comment.Status
NAMESPACE = "wagtailsnippets_comments_comment"
API = "/api/v3/comments/"
ROLES = ["anonymous", "editor", "moderator", "admin"]
MODERATORS = {"moderator", "admin"}


def report_url(comment):
    return reverse("comments:report", args=[comment.pk])


def report_by_form(comment, *, client=None, ip="192.0.2.10", reason="spam", note="", **extra):
    client = client or Client()
    data = {"reason": reason, "note": note}
    return client.post(report_url(comment), data, REMOTE_ADDR=ip, **extra)


def report_by_api(comment, *, client=None, ip="192.0.2.10", reason="spam", note=""):
    client = client or Client()
    return client.post(
        f"{API}{comment.pk}/reports/",
        {"reason": reason, "note": note},
        content_type="application/json",
        REMOTE_ADDR=ip,
    )


def logs(action):
    content_type = ContentType.objects.get_for_model(Comment)
    return ModelLogEntry.objects.filter(content_type=content_type, action=action)


def admin_url(name, *args):
    return reverse(f"{NAMESPACE}:{name}", args=args)


def listed_ids(response):
    return [int(value) for value in re.findall(r'id="snippet_(\d+)_title"', response.text)]


@pytest.fixture
def comment(seed_post):
    return make_comment(
        seed_post,
        author_email="commenter@private.example",
        ip_address="203.0.113.9",
        body="Magnesium cures every cramp, stop your medication.",
    )


@pytest.fixture
def moderator(db):
    return make_moderator(email="mona@example.com")


@pytest.fixture
def threshold(settings):
    settings.COMMENTS_REPORT_HOLD_THRESHOLD = 3
    return 3


def hide(comment, threshold):
    """Hide ``comment`` the way readers do: ``threshold`` reports from as many networks."""
    for number in range(threshold):
        response = report_by_form(comment, ip=f"198.51.100.{number + 1}", reason="misinformation")
        assert response.status_code == 200


# Reporting


def test_every_approved_comment_has_a_report_link_that_works_without_script(
    client, seed_post, comment
):
    page = BeautifulSoup(client.get(seed_post.url).content, "html.parser")
    link = page.select_one(f"#comment-{comment.pk} a.comment__report")
    assert link["href"] == report_url(comment)

    form_page = BeautifulSoup(client.get(link["href"]).content, "html.parser")
    form = form_page.select_one("form[method=post]")
    assert form["action"] == report_url(comment)
    reasons = {radio["value"] for radio in form.select("input[name=reason]")}
    assert reasons == {"spam", "abuse", "misinformation", "off_topic", "other"}
    assert form.select_one("textarea[name=note]") is not None
    assert "Magnesium cures every cramp" in form_page.get_text()


def test_a_report_is_stored_with_its_reason_and_note_and_no_address(comment):
    response = report_by_form(comment, reason="misinformation", note="  Says to stop meds.\x07 ")

    assert response.status_code == 200
    assert "The moderators will look at this comment." in response.text
    assert BROWSER_COOKIE in response.cookies
    report = CommentReport.objects.get()
    assert (report.comment, report.reason, report.note) == (
        comment,
        "misinformation",
        "Says to stop meds.",
    )
    stored = " ".join([report.reporter_key, report.browser_key])
    assert "192.0.2.10" not in stored
    assert response.cookies[BROWSER_COOKIE].value not in stored
    comment.refresh_from_db()
    assert comment.status == Status.APPROVED


def test_a_report_through_the_api(comment):
    response = report_by_api(comment, reason="abuse", note="Insults another reader.")

    assert response.status_code == 201
    assert response.json() == {"comment": comment.pk, "reason": "abuse"}
    assert CommentReport.objects.get().note == "Insults another reader."


@pytest.mark.parametrize(
    ("reason", "note", "field", "message"),
    [
        ("other", "", "note", "Please tell the moderators what is wrong"),
        ("other", "   \u202e ", "note", "Please tell the moderators what is wrong"),
        ("", "", "reason", "Please choose a reason."),
        ("rude", "", "reason", "Select a valid choice."),
        ("spam", "x" * 501, "note", "at most 500 characters"),
    ],
)
def test_bad_reports_are_refused_with_a_reason_and_store_nothing(
    comment, reason, note, field, message
):
    form = report_by_form(comment, reason=reason, note=note)
    api = report_by_api(comment, reason=reason, note=note)

    assert form.status_code == 400
    assert message in form.text
    assert api.status_code == 422
    assert api["Content-Type"].startswith("application/problem+json")
    assert field in str(api.json())
    assert not CommentReport.objects.exists()


def test_notes_are_plain_text_without_direction_or_control_characters(comment, moderator_client):
    note = "<script>alert(1)</script> \u202eevil\u202c\x1b[31m"
    report_by_form(comment, reason="other", note=note)

    stored = CommentReport.objects.get().note
    assert stored == "<script>alert(1)</script> evil[31m"
    inspect = moderator_client.get(admin_url("inspect", comment.pk))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in inspect.text
    assert "<script>alert(1)</script>" not in inspect.text


@pytest.mark.parametrize("status", [Status.PENDING, Status.SPAM, Status.TRASH])
def test_only_comments_readers_see_can_be_reported(seed_post, status):
    hidden = make_comment(seed_post, status=status)

    assert Client().get(report_url(hidden)).status_code == 404
    assert report_by_form(hidden).status_code == 404
    api = report_by_api(hidden)
    assert api.status_code == 404
    assert api["Content-Type"].startswith("application/problem+json")
    assert report_by_api(hidden, client=Client()).json()["detail"].startswith("This comment is")
    assert not CommentReport.objects.exists()


def test_one_report_per_reader_per_comment(comment):
    browser = Client()
    assert report_by_form(comment, client=browser, ip="192.0.2.10").status_code == 200

    same_browser_elsewhere = report_by_form(comment, client=browser, ip="192.0.2.99")
    same_network_new_browser = report_by_form(comment, ip="192.0.2.10", reason="abuse")
    through_the_api = report_by_api(comment, ip="192.0.2.10")

    assert same_browser_elsewhere.status_code == 409
    assert "You have already reported this comment." in same_browser_elsewhere.text
    assert same_network_new_browser.status_code == 409
    assert through_the_api.status_code == 409
    assert through_the_api.json()["detail"].startswith("You have already reported")
    assert CommentReport.objects.count() == 1


def test_an_ipv6_reader_is_one_reader_across_their_64(comment):
    assert report_by_api(comment, ip="2001:db8:1:2::1").status_code == 201
    assert report_by_api(comment, ip="2001:db8:1:2:ffff::9").status_code == 409
    assert report_by_api(comment, ip="2001:db8:1:3::1").status_code == 201


def test_a_report_flood_from_one_address_is_rate_limited(seed_post, settings):
    settings.COMMENTS_REPORTS_PER_HOUR = 3
    comments = [make_comment(seed_post) for _ in range(5)]
    for target in comments[:3]:
        assert report_by_api(target, ip="192.0.2.50").status_code == 201

    by_api = report_by_api(comments[3], ip="192.0.2.50")
    by_form = report_by_form(comments[4], ip="192.0.2.50")
    other_network = report_by_api(comments[4], ip="192.0.2.51")

    assert by_api.status_code == 429
    assert 1 <= int(by_api["Retry-After"]) <= 3600
    assert "Too many reports from your network" in by_api.json()["detail"]
    assert by_form.status_code == 429
    assert by_form["Retry-After"]
    assert "Too many reports from your network" in by_form.text
    assert other_network.status_code == 201
    assert sorted(CommentReport.objects.values_list("comment_id", flat=True)) == sorted(
        [target.pk for target in comments[:3]] + [comments[4].pk]
    )


def test_a_signed_in_reader_reports_as_their_account_with_the_csrf_token(comment):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(make_editor())

    without_token = report_by_form(comment, client=browser)
    page = browser.get(report_url(comment))
    token = BeautifulSoup(page.content, "html.parser").select_one(
        "input[name=csrfmiddlewaretoken]"
    )["value"]
    with_token = browser.post(
        report_url(comment), {"reason": "spam", "csrfmiddlewaretoken": token}, REMOTE_ADDR="1.2.3.4"
    )
    browser.cookies.pop(BROWSER_COOKIE)
    again_elsewhere = browser.post(
        report_url(comment), {"reason": "spam", "csrfmiddlewaretoken": token}, REMOTE_ADDR="5.6.7.8"
    )

    assert without_token.status_code == 403
    assert with_token.status_code == 200
    assert again_elsewhere.status_code == 409
    assert CommentReport.objects.count() == 1


def test_a_report_from_another_site_is_refused(comment):
    response = report_by_form(comment, HTTP_SEC_FETCH_SITE="cross-site")

    assert response.status_code == 403
    assert not CommentReport.objects.exists()


# The threshold


def test_enough_reports_hide_the_comment_and_moderators_hear_once(
    client, seed_post, comment, moderator, threshold, django_capture_on_commit_callbacks
):
    client.get(seed_post.url)  # the thread and the page are in the cache now
    report_by_form(comment, ip="198.51.100.1", reason="misinformation", note="Dangerous advice")
    report_by_api(comment, ip="198.51.100.2", reason="misinformation")
    assert Comment.objects.get(pk=comment.pk).status == Status.APPROVED
    assert "Magnesium cures every cramp" in client.get(seed_post.url).text

    with django_capture_on_commit_callbacks(execute=True):
        third = report_by_form(comment, ip="198.51.100.3", reason="spam")

    assert third.status_code == 200
    assert "The moderators will look at this comment." in third.text
    comment.refresh_from_db()
    assert comment.status == Status.PENDING
    assert comment.reason == "Hidden after 3 reader reports"
    assert "Magnesium cures every cramp" not in client.get(seed_post.url).text
    listed = client.get(API, {"page": seed_post.pk}).json()["items"]
    assert comment.pk not in [item["id"] for item in listed]
    assert logs(LOG_HIDDEN).get().data["reports"] == 3

    assert [message.to for message in mail.outbox] == [["mona@example.com"]]
    notice = mail.outbox[0]
    assert "hidden by reader reports" in notice.subject
    assert "Health misinformation ×2, Spam" in notice.body
    assert "Dangerous advice" in notice.body
    assert admin_url("inspect", comment.pk) in notice.body

    # Nothing mails moderators about it again: not the held-comment sweep, not a retry.
    with django_capture_on_commit_callbacks(execute=True):
        notify.send_held_comment_notices.enqueue()
        send_reported_comment_notice.enqueue(comment.pk)
    assert len(mail.outbox) == 1
    assert report_by_form(comment, ip="198.51.100.4").status_code == 404


def test_readers_never_learn_the_count_or_who_reported(comment, threshold):
    answers = [
        report_by_form(comment, ip="198.51.100.1", note="from reader one"),
        report_by_api(comment, ip="198.51.100.2", note="from reader two"),
        report_by_form(comment, ip="198.51.100.3", note="from reader three"),
    ]
    assert [answer.status_code for answer in answers] == [200, 201, 200]
    assert answers[0].text.replace("198.51.100.1", "") == answers[0].text
    assert answers[1].json() == {"comment": comment.pk, "reason": "spam"}
    for answer in answers:
        text = answer.content.decode()
        for private in ("commenter@private.example", "203.0.113.9", "198.51.100", "from reader"):
            assert private not in text
        assert not re.search(r"\b[123] reports?\b", text)


# Keep


def test_keep_publishes_again_clears_the_reports_and_stops_them_hiding_it(
    client,
    seed_post,
    comment,
    moderator,
    moderator_client,
    threshold,
    django_capture_on_commit_callbacks,
):
    hide(comment, threshold)
    mail.outbox.clear()

    response = moderator_client.post(admin_url("moderate", comment.pk, "keep"))

    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.status == Status.APPROVED
    assert comment.reports_kept_at is not None
    assert comment.moderated_by == moderator
    assert not CommentReport.objects.open().exists()
    assert CommentReport.objects.count() == 3
    assert "Magnesium cures every cramp" in client.get(seed_post.url).text
    kept = logs(LOG_KEEP).get()
    assert kept.user == moderator
    assert kept.data["reports"] == {"misinformation": 3}
    assert comment.reason == "Kept by a moderator despite reader reports"

    with django_capture_on_commit_callbacks(execute=True):
        for number in range(threshold + 1):
            assert report_by_api(comment, ip=f"198.51.100.{50 + number}").status_code == 201
    comment.refresh_from_db()
    assert comment.status == Status.APPROVED
    assert CommentReport.objects.open().count() == threshold + 1
    assert mail.outbox == []
    reported = moderator_client.get(admin_url("list"), {"reported": "open"})
    assert listed_ids(reported) == [comment.pk]
    assert "Kept before: these reports do not hide it." in reported.text


def test_the_audit_trail_tells_the_story(comment, moderator_client, threshold):
    hide(comment, threshold)
    moderator_client.post(admin_url("moderate", comment.pk, "keep"), {"reason": "Sourced claim"})

    history = moderator_client.get(admin_url("history", comment.pk))

    assert "Hidden from readers after 3 reports, until a moderator decides" in history.text
    assert (
        "Kept despite reports (was pending); reported as Health misinformation ×3: Sourced claim"
        in history.text
    )


def test_keep_through_the_moderation_api(comment, moderator, threshold):
    from wagtail.models import APIToken

    hide(comment, threshold)
    _token, plaintext = APIToken.create_token(user=moderator, name="app")

    response = Client().post(
        f"{API}moderation/{comment.pk}/actions/keep/",
        content_type="application/json",
        headers={"Authorization": f"Bearer {plaintext}"},
    )

    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert logs(LOG_KEEP).count() == 1


# The Reported view


def test_the_reported_view_lists_reported_comments_with_reasons_and_notes(
    seed_post, moderator_client
):
    hidden = make_comment(seed_post, status=Status.PENDING)
    add_reports(hidden, 3, reason="abuse", note="Calls another reader an idiot.")
    visible = make_comment(seed_post)
    add_reports(visible, 1, reason="off_topic")
    trashed = make_comment(seed_post, status=Status.TRASH)
    add_reports(trashed, 1)
    make_comment(seed_post)

    response = moderator_client.get(admin_url("list"), {"reported": "open"})

    assert response.status_code == 200
    assert sorted(listed_ids(response)) == sorted([hidden.pk, visible.pk])
    page = BeautifulSoup(response.content, "html.parser")
    cells = {
        int(row.select_one("[id$=_title]")["id"].split("_")[1]): row.select_one(
            "[data-comment-reports]"
        ).get_text(" ", strip=True)
        for row in page.select("tbody tr")
    }
    assert "Abuse or harassment" in cells[hidden.pk]
    assert "Calls another reader an idiot." in cells[hidden.pk]
    assert "Off-topic" in cells[visible.pk]
    assert "Reported (2)" in response.text


@pytest.mark.parametrize(
    ("action", "end"), [("keep", Status.APPROVED), ("trash", Status.TRASH), ("spam", Status.SPAM)]
)
def test_bulk_decisions_from_the_reported_view(seed_post, moderator_client, action, end):
    reported = [make_comment(seed_post, status=Status.PENDING) for _ in range(2)]
    for target in reported:
        add_reports(target, 3)
    bulk = reverse("wagtail_bulk_action", args=["comments", "comment", action])
    query = "?" + "&".join(f"id={target.pk}" for target in reported) + "&next=/admin/"

    confirm = moderator_client.get(bulk + query)
    response = moderator_client.post(bulk + query)

    assert confirm.status_code == 200
    assert response.status_code == 302
    assert set(Comment.objects.values_list("status", flat=True)) == {end}
    assert logs(f"comments.{action}").count() == 2
    listing = moderator_client.get(admin_url("list"), {"reported": "open"})
    assert listed_ids(listing) == []


def test_the_dashboard_and_the_menu_count_reported_comments(seed_post, moderator_client):
    for _ in range(2):
        add_reports(make_comment(seed_post), 1)

    dashboard = moderator_client.get(reverse("wagtailadmin_home"))

    panel = BeautifulSoup(dashboard.content, "html.parser").select_one(
        "[data-reported-comments-count]"
    )
    assert panel["data-reported-comments-count"] == "2"
    assert "2 comments reported by readers." in panel.get_text()
    assert panel.select_one("a")["href"] == admin_url("list") + "?reported=open"
    assert 'data-reported-comments="2"' in dashboard.text or "2 reported" in dashboard.text


def test_the_reported_view_uses_a_bounded_number_of_queries(
    seed_post, moderator_client, django_assert_max_num_queries
):
    def reported_view_queries():
        with CaptureQueriesContext(connection) as queries:
            response = moderator_client.get(admin_url("list"), {"reported": "open"})
        assert response.status_code == 200
        return len(queries)

    for _ in range(3):
        add_reports(make_comment(seed_post), 2, note="a note")
    moderator_client.get(admin_url("list"))  # warm the caches the first admin page fills
    few = reported_view_queries()
    for _ in range(40):
        add_reports(make_comment(seed_post, status=Status.PENDING), 3, note="a note")

    with django_assert_max_num_queries(few):
        moderator_client.get(admin_url("list"), {"reported": "open"})
    assert len(listed_ids(moderator_client.get(admin_url("list"), {"reported": "open"}))) == 43


# Who may do what


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_reporting_is_open_to_every_reader(seed_post, role):
    target = make_comment(seed_post)
    client = Client()
    user = {
        "anonymous": None,
        "editor": make_editor,
        "moderator": make_moderator,
        "admin": make_superuser,
    }[role]
    if user:
        client.force_login(user())

    page = client.get(report_url(target))
    form = report_by_form(target, client=client, ip="192.0.2.1")
    api = report_by_api(target, client=Client(), ip="192.0.2.2")

    assert (page.status_code, form.status_code, api.status_code) == (200, 200, 201)
    assert CommentReport.objects.count() == 2


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_keep_and_the_reported_view(seed_post, role):
    target = make_comment(seed_post, status=Status.PENDING)
    add_reports(target, 3)
    other = make_comment(seed_post, status=Status.PENDING)
    add_reports(other, 3)
    client = Client()
    user = {"anonymous": None, "editor": make_editor, "moderator": make_moderator}.get(
        role, make_superuser
    )
    if user:
        client.force_login(user())
    bulk = reverse("wagtail_bulk_action", args=["comments", "comment", "keep"])

    listing = client.get(admin_url("list"), {"reported": "open"})
    single = client.post(admin_url("moderate", target.pk, "keep"))
    many = client.post(f"{bulk}?id={other.pk}")

    if role in MODERATORS:
        assert listing.status_code == 200
        assert (single.status_code, many.status_code) == (302, 302)
        assert set(Comment.objects.values_list("status", flat=True)) == {Status.APPROVED}
        assert logs(LOG_KEEP).count() == 2
    else:
        for response in (listing, single, many):
            if role == "anonymous":
                assert response.status_code == 302
                assert response.url.startswith(reverse("wagtailadmin_login"))
            else:
                assert response.status_code == 403
        assert set(Comment.objects.values_list("status", flat=True)) == {Status.PENDING}
        assert CommentReport.objects.open().count() == 6
        assert not logs(LOG_KEEP).exists()


# The contract and the cost


def test_the_report_endpoint_is_in_the_openapi_file(client, seed_post):
    schema = client.get("/api/v3/openapi.json").json()

    operation = schema["paths"]["/api/v3/comments/{comment_id}/reports/"]["post"]
    assert operation["operationId"] == "comments_report"
    assert {"201", "404", "409", "422", "429", "503"} <= set(operation["responses"])
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    report_in = schema["components"]["schemas"][body.rsplit("/", 1)[1]]
    assert set(report_in["properties"]) == {"reason", "note"}
    assert "keep" in str(
        schema["paths"]["/api/v3/comments/moderation/{comment_id}/actions/{action}/"]
    )


def test_a_300_comment_thread_costs_the_same_with_reports(
    client, seed_post, uncached_pages, django_assert_max_num_queries
):
    comments = [make_comment(seed_post) for _ in range(300)]

    def page_queries():
        from django.core.cache import caches

        for cache in caches.all():
            cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(seed_post.url)
        assert response.status_code == 200
        return len(queries), response

    without_reports, _ = page_queries()
    for target in comments[::3]:
        add_reports(target, 2, note="Reported")
    with django_assert_max_num_queries(without_reports):
        _queries, response = page_queries()

    page = BeautifulSoup(response.content, "html.parser")
    assert len(page.select("a.comment__report")) == 50  # one page of threads
    assert "Reported" not in page.select_one("#comments").get_text()


def test_every_xss_vector_as_a_note_is_text_for_moderators(seed_post, moderator_client):
    """Notes are never HTML: each vector of the corpus, sent as a note, is shown to
    moderators as the characters the reader typed, inside the reports' own markup."""
    from tests.security.conftest import load_xss_vectors

    vectors = [vector for vector in load_xss_vectors() if len(vector) <= 500]
    reported = [make_comment(seed_post) for _ in vectors]
    for number, (target, vector) in enumerate(zip(reported, vectors, strict=True)):
        response = report_by_api(target, ip=f"10.9.{number // 250}.{number % 250}", note=vector)
        assert response.status_code == 201, vector

    listing = moderator_client.get(admin_url("list"), {"reported": "open"})
    pages = [listing]
    pages += [moderator_client.get(admin_url("inspect", target.pk)) for target in reported[:20]]
    for page in pages:
        html = BeautifulSoup(page.content, "html.parser")
        for cell in html.select("[data-comment-reports]"):
            tags = {element.name for element in cell.find_all(True)}
            assert tags <= {"ul", "li", "strong", "q", "div", "h2", "p"}, tags
            assert not any(attr.startswith("on") for el in cell.find_all(True) for attr in el.attrs)
    shown = BeautifulSoup(listing.content, "html.parser").select("[data-comment-reports] q")
    stored = {
        Truncator(note).chars(200) for note in CommentReport.objects.values_list("note", flat=True)
    }
    assert len(shown) == 50
    assert {note.get_text() for note in shown} <= stored


def test_keep_without_open_reports_says_why_nothing_changed(seed_post, moderator_client, moderator):
    from wagtail.models import APIToken

    held = make_comment(seed_post, status=Status.PENDING)
    _token, plaintext = APIToken.create_token(user=moderator, name="app")

    admin = moderator_client.post(admin_url("moderate", held.pk, "keep"), follow=True)
    api = Client().post(
        f"{API}moderation/actions/keep/",
        {"ids": [held.pk]},
        content_type="application/json",
        headers={"Authorization": f"Bearer {plaintext}"},
    )

    assert "No reader reports are open on this comment" in admin.text
    assert api.status_code == 422
    assert "nothing to keep" in api.json()["detail"]
    held.refresh_from_db()
    assert held.status == Status.PENDING
    assert not logs(LOG_KEEP).exists()


def test_reports_wait_when_the_rules_store_is_down(comment, monkeypatch):
    from blog.comments import limits

    def unavailable(*args, **kwargs):
        raise limits.CommentRulesUnavailable(limits.CommentRulesUnavailable.message)

    monkeypatch.setattr(limits, "count_request", unavailable)

    form = report_by_form(comment)
    api = report_by_api(comment)

    assert (form.status_code, api.status_code) == (503, 503)
    assert form["Retry-After"] == api["Retry-After"] == str(limits.RETRY_AFTER_SECONDS)
    assert "Comments cannot be checked right now" in api.json()["detail"]
    assert not CommentReport.objects.exists()
