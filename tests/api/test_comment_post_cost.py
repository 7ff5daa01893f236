"""
What one comment POST costs the server: its queries and the tasks it queues, for the two
readers the benchmark posts as (bench/run.py, post_ours and post_ours_first), and the one
query that answers the rules' four questions giving the same answers as the functions
that ask them one at a time.
"""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest
from django_tasks_db.models import DBTaskResult

from blog.comments import notify, verification
from blog.comments.bans import active_ban_for, create_ban, keys_for, lift_ban
from blog.comments.models import Comment, CommentSettings
from blog.comments.rules import fingerprint
from tests.comments.admin_users import make_moderator
from tests.comments.conftest import api_submission, confirmed_proof, make_comment

pytestmark = pytest.mark.django_db

URL = "/api/v3/comments/"


@pytest.fixture
def production_queue(settings, quick_posting):
    """Tasks go to the database queue, as in production, so a test sees what a request
    queues rather than the work of running it inline; the worker has just checked the
    content version (a slow test machine must not make it look again, which costs the
    post's queries when the test cache holds no version)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.COMMENTS_RATE_LIMITS_ENABLED = False  # one address posts many times
    settings.COMMENTS_CONTENT_RECHECK_SECONDS = 3600
    CommentSettings.load()  # a running site has its rules row; making it replaces versions


def post_comment(client, data, capture):
    """POST ``data`` and run what waits for the commit; returns the response and the
    queries of the request and its commit."""
    with CaptureQueriesContext(connection) as queries, capture(execute=True):
        response = client.post(URL, data, content_type="application/json")
    return response, [query["sql"] for query in queries.captured_queries]


def warm_up(client, post, **fields):
    """One comment first, as a running site has had: each worker keeps the post and the
    comment rules it read (``post_lookup``) and asks again only when they change."""
    data = api_submission(post, client, body="Warming up the worker.", **fields)
    assert client.post(URL, data, content_type="application/json").status_code == 201


def without_savepoints(queries):
    """The test's own transaction wraps the comment's INSERT in a savepoint that a
    request outside a transaction does not make."""
    return [sql for sql in queries if "SAVEPOINT" not in sql]


def test_a_returning_confirmed_reader_costs_two_queries_and_queues_nothing(
    client, seed_post, production_queue, django_capture_on_commit_callbacks
):
    make_comment(seed_post, author_email="back@example.com")
    proof = confirmed_proof("back@example.com")
    with django_capture_on_commit_callbacks(execute=True):  # its event reads the endpoints
        warm_up(client, seed_post, author_email="back@example.com", confirmation=proof)
    data = api_submission(
        seed_post,
        client,
        author_email="Back@example.com",
        body="Welcome back to the thread.",
        confirmation=proof,
    )

    response, queries = post_comment(client, data, django_capture_on_commit_callbacks)

    assert response.status_code == 201, response.content
    assert response.json()["status"] == "approved"
    assert response.json()["confirmation_sent"] is False
    # The rules' one query and the INSERT: the webhook endpoints were read by the
    # warm-up's event and are kept until one changes (headless.active_endpoints).
    assert len(without_savepoints(queries)) == 2, queries
    assert not DBTaskResult.objects.exists()  # a top-level comment has nobody to notify
    stored = Comment.objects.get(pk=response.json()["id"])
    assert stored.author_confirmed is True


def test_a_new_addresss_first_comment_mails_a_link_in_one_task(
    client,
    seed_post,
    production_queue,
    django_capture_on_commit_callbacks,
    mailoutbox,
    settings,
):
    settings.COMMENTS_HELD_NOTICE_DELAY = 600  # however slow the test machine
    notify.forget_queued_sweep()
    with django_capture_on_commit_callbacks(execute=True):  # it queues the sweep
        warm_up(client, seed_post, author_email="earlier@example.com")
    DBTaskResult.objects.all().delete()
    data = api_submission(
        seed_post, client, author_email="new@example.com", body="First time here."
    )

    response, queries = post_comment(client, data, django_capture_on_commit_callbacks)

    assert response.status_code == 201, response.content
    assert response.json() == {**response.json(), "status": "pending", "confirmation_sent": True}
    # The rules' query, the comment and its confirmation rows and the mail's task (the
    # webhook endpoints are kept since the warm-up's event); the moderators' sweep was
    # queued by the first held comment, and is queued again at most once per process per
    # COMMENTS_HELD_NOTICE_DELAY.
    assert len(without_savepoints(queries)) == 4, queries
    assert list(DBTaskResult.objects.values_list("task_path", flat=True)) == [
        "blog.comments.verification.send_confirmation_mail",
    ]
    assert mailoutbox == []  # the worker sends it, not the request


def test_posting_a_comment_stays_within_its_queries(
    client, seed_post, django_assert_max_num_queries, production_queue
):
    """The request alone (what waits for the commit does not run in a test's
    transaction): the rules' query and the INSERT in its savepoint."""
    make_comment(seed_post, author_email="back@example.com")
    proof = confirmed_proof("back@example.com")
    warm_up(client, seed_post, author_email="back@example.com", confirmation=proof)
    data = api_submission(
        seed_post,
        client,
        author_email="back@example.com",
        body="A returning reader again.",
        confirmation=proof,
    )

    with django_assert_max_num_queries(4):
        response = client.post(URL, data, content_type="application/json")

    assert response.status_code == 201


def test_a_reply_to_an_author_who_asked_queues_the_notice(
    client, seed_post, production_queue, django_capture_on_commit_callbacks
):
    parent = make_comment(seed_post, author_email="asker@example.com", notify_replies=True)
    quiet = make_comment(seed_post, author_email="quiet@example.com")
    make_comment(seed_post, author_email="back@example.com")
    proof = confirmed_proof("back@example.com")

    for number, replied_to in enumerate((parent, quiet)):
        data = api_submission(
            seed_post,
            client,
            author_email="back@example.com",
            body=f"A reply, number {number}.",
            parent=replied_to.pk,
            confirmation=proof,
        )
        response, _queries = post_comment(client, data, django_capture_on_commit_callbacks)
        assert response.json()["status"] == "approved"

    [queued] = DBTaskResult.objects.all()
    assert queued.task_path == "blog.comments.notify.send_reply_notice"
    assert queued.args_kwargs["args"] == [Comment.objects.get(body="A reply, number 0.").pk]


def history(email, *, proof="", ip="203.0.113.5", body="Hello"):
    return Comment.objects.author_history(
        fingerprint(1, email, body),
        email,
        confirmation_ids=verification.confirmation_ids_in(proof),
        ban_keys=keys_for(email, ip),
    )


def test_the_one_query_answers_as_proves_and_active_ban_for_do(django_assert_num_queries):
    moderator = make_moderator()
    proof = confirmed_proof("ada@example.com")
    unconfirmed = verification.EmailConfirmation.objects.create(email="eve@example.com")
    create_ban("email", user=moderator, reason="Spam", value="troll@example.com", days=3)
    for_good = create_ban("network", user=moderator, reason="Spam", value="203.0.113.0/24")
    expired = create_ban("email", user=moderator, reason="Spam", value="gone@example.com", days=1)
    expired.__class__.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    lift_ban(create_ban("ip", user=moderator, reason="Spam", value="198.51.100.9"), user=moderator)
    cases = [
        ("ada@example.com", proof, "198.51.100.1"),
        ("ADA@example.com ", proof, "198.51.100.1"),
        ("bob@example.com", proof, "198.51.100.1"),  # someone else's proof
        ("eve@example.com", verification.proof_for([unconfirmed.pk]), "198.51.100.1"),
        ("eve@example.com", "forged", "198.51.100.1"),
        ("troll@example.com", "", "198.51.100.1"),
        ("troll@example.com", "", "203.0.113.7"),  # for good outranks three days
        ("gone@example.com", "", "198.51.100.1"),
        ("free@example.com", "", "198.51.100.9"),
    ]

    for email, proof_sent, ip in cases:
        with django_assert_num_queries(1):
            answer = history(email, proof=proof_sent, ip=ip)
        expected_ban = active_ban_for(email, ip)
        assert answer.confirmed == verification.proves(email, proof=proof_sent), email
        assert answer.ban_id == (expected_ban.pk if expected_ban else None), (email, ip)
    assert history("troll@example.com", ip="203.0.113.7").ban_id == for_good.pk
