import datetime
import re
from urllib.parse import urlsplit

from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

import pytest
from django_tasks_db.models import DBTaskResult

from blog.comments import notify
from blog.comments.models import Comment, CommentSettings
from blog.comments.moderation import moderate
from blog.comments.submission import submit_comment
from tests.comments.conftest import confirmed_proof, form_data, make_comment, next_ip

ADA = "ada@example.com"


@pytest.fixture(autouse=True)
def posting_without_waiting(settings):
    settings.COMMENTS_MIN_SECONDS_TO_POST = 0


@pytest.fixture
def publish(django_capture_on_commit_callbacks):
    """Run a change the way a request would: notices go out once its transaction commits."""

    def run(change, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return change(*args, **kwargs)

    return run


@pytest.fixture
def moderators(django_user_model):
    """Two who moderate (a superuser, and an editor through a group) and two who do not."""
    group = Group.objects.create(name="Comment moderators")
    group.permissions.add(Permission.objects.get(codename="moderate_comment"))
    editor = django_user_model.objects.create_user("mod", "mod@example.com", "pw")
    editor.groups.add(group)
    django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    django_user_model.objects.create_user("writer", "writer@example.com", "pw")
    django_user_model.objects.create_superuser("gone", "gone@example.com", "pw", is_active=False)
    return editor


def held_comment(post, publish, **fields):
    """A first comment, from a reader who confirmed their address (so the only mail it
    causes is the moderators'; test_verification covers the confirmation mail)."""
    return publish(
        submit_comment,
        post,
        form_data(post, author_email="newcomer@example.com", **fields, ip=(ip := next_ip())),
        ip_address=ip,
        proof=confirmed_proof("newcomer@example.com"),
    )


def mail_to(address):
    return [message for message in mail.outbox if address in message.to]


# Moderators hear about held comments


def test_a_held_comment_emails_every_moderator_a_link_to_review_it(seed_post, moderators, publish):
    comment = held_comment(seed_post, publish, author_name="Newcomer", body="Is this safe?")

    assert comment.status == Comment.Status.PENDING
    assert sorted(message.to[0] for message in mail.outbox) == [
        "mod@example.com",
        "root@example.com",
    ]
    message = mail.outbox[0]
    assert seed_post.title[:40] in message.subject
    assert "Newcomer" in message.body
    assert "Is this safe?" in message.body
    assert "First comment from this email" in message.body
    try:
        inspect_path = reverse("wagtailsnippets_comments_comment:inspect", args=[comment.pk])
    except NoReverseMatch:
        pytest.fail(
            "The admin's Comment viewset (URL namespace wagtailsnippets_comments_comment) is "
            "not registered yet, so the email links to the admin home instead of the comment."
        )
    assert f"http://testserver{inspect_path}" in message.body


#: What a reader may type about markup, and what their comment shows as text.
TYPED_MARKUP = 'Drop the <style> tag & "quotes" aren\'t &amp; <b>bold</b> stays.'
SHOWN_AS_TEXT = 'Drop the <style> tag & "quotes" aren\'t & bold stays.'


def test_a_held_comment_email_shows_its_text_as_the_page_does_not_as_entities(
    seed_post, moderators, publish
):
    comment = held_comment(seed_post, publish, body=TYPED_MARKUP)

    message = mail_to("mod@example.com")[0]
    assert SHOWN_AS_TEXT in message.body
    assert "&lt;" not in message.body and "&amp;" not in message.body
    assert message.content_subtype == "plain"
    assert getattr(message, "alternatives", []) == []
    # The HTML that pages and the API show keeps the reader's markup inert.
    assert "&lt;style&gt;" in comment.body_html and "<style>" not in comment.body_html


def test_a_reply_notice_shows_the_replys_text_as_the_page_does(seed_post, ada_comment, publish):
    make_comment(seed_post, author_email="grace@example.com")

    reply = reply_to(ada_comment, publish, "grace@example.com", body=TYPED_MARKUP)

    [notice] = mail_to(ADA)
    assert SHOWN_AS_TEXT in notice.body
    assert "&lt;" not in notice.body and "&amp;" not in notice.body
    assert notice.content_subtype == "plain"
    assert "&lt;style&gt;" in reply.body_html and "<style>" not in reply.body_html


def test_no_moderator_email_when_the_setting_is_off(seed_post, moderators, publish):
    rules = CommentSettings.load()
    rules.notify_moderators = False
    rules.save()

    comment = held_comment(seed_post, publish)

    assert comment.status == Comment.Status.PENDING
    assert mail.outbox == []


def test_no_moderator_email_for_a_comment_published_at_once(seed_post, moderators, publish):
    make_comment(seed_post, author_email="regular@example.com")

    comment = publish(
        submit_comment,
        seed_post,
        form_data(seed_post, author_email="regular@example.com", ip=(ip := next_ip())),
        ip_address=ip,
        proof=confirmed_proof("regular@example.com"),
    )

    assert comment.status == Comment.Status.APPROVED
    assert mail.outbox == []


# Readers hear about replies


@pytest.fixture
def ada_comment(seed_post):
    """Ada asked for reply notices and confirmed her address (double opt-in)."""
    return make_comment(
        seed_post, author_name="Ada", author_email=ADA, notify_replies=True, author_confirmed=True
    )


def reply_to(parent, publish, email, **fields):
    ip = next_ip()
    data = form_data(parent.post, ip=ip, parent=parent.pk, author_email=email, **fields)
    return publish(submit_comment, parent.post, data, ip_address=ip, proof=confirmed_proof(email))


def test_an_approved_reply_emails_the_reader_who_asked_once(seed_post, ada_comment, publish):
    make_comment(seed_post, author_email="grace@example.com")

    reply = reply_to(
        ada_comment, publish, "grace@example.com", author_name="Grace", body="Me <em>too</em>."
    )

    assert reply.status == Comment.Status.APPROVED
    [notice] = mail_to(ADA)
    assert len(mail.outbox) == 1
    assert notice.subject == f"Grace replied to your comment on “{seed_post.title}”"
    assert "Hello Ada," in notice.body
    assert "Me too." in notice.body
    assert f"{seed_post.get_full_url()}#comment-{reply.pk}" in notice.body
    reply.refresh_from_db()
    assert reply.reply_notice_sent_at is not None


def test_the_notice_carries_one_click_unsubscribe_headers(seed_post, site, ada_comment, publish):
    make_comment(seed_post, author_email="grace@example.com")

    reply_to(ada_comment, publish, "grace@example.com")

    [notice] = mail_to(ADA)
    unsubscribe_url = site.root_url + reverse(
        "comments:unsubscribe", args=[ada_comment.unsubscribe_token]
    )
    assert unsubscribe_url.startswith("http")
    assert notice.extra_headers["List-Unsubscribe"] == f"<{unsubscribe_url}>"
    assert notice.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe_url in notice.body
    rendered = notice.message()
    assert rendered["List-Unsubscribe"] == f"<{unsubscribe_url}>"
    assert rendered["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_held_reply_notifies_only_once_a_moderator_approves_it(
    seed_post, ada_comment, moderators, publish
):
    reply = reply_to(ada_comment, publish, "newcomer@example.com")
    assert reply.status == Comment.Status.PENDING
    assert mail_to(ADA) == []

    publish(moderate, [reply.pk], "approve", moderators)

    assert len(mail_to(ADA)) == 1


def test_approving_a_reply_again_does_not_notify_twice(seed_post, ada_comment, moderators, publish):
    reply = reply_to(ada_comment, publish, "newcomer@example.com")

    publish(moderate, [reply.pk], "approve", moderators)
    publish(moderate, [reply.pk], "unapprove", moderators)
    publish(moderate, [reply.pk], "approve", moderators)

    assert len(mail_to(ADA)) == 1


def test_a_reply_that_stays_held_or_is_spammed_notifies_nobody(
    seed_post, ada_comment, moderators, publish
):
    reply = reply_to(ada_comment, publish, "newcomer@example.com")

    publish(moderate, [reply.pk], "spam", moderators)

    assert mail_to(ADA) == []


def test_no_notice_for_a_readers_own_reply(seed_post, ada_comment, publish):
    reply = reply_to(ada_comment, publish, ADA.upper())

    assert reply.status == Comment.Status.APPROVED
    assert mail.outbox == []


def test_no_notice_when_the_reader_did_not_ask(seed_post, publish):
    quiet = make_comment(seed_post, author_email=ADA, notify_replies=False)
    make_comment(seed_post, author_email="grace@example.com")

    reply = reply_to(quiet, publish, "grace@example.com")

    assert reply.status == Comment.Status.APPROVED
    assert mail.outbox == []


# Unsubscribing


def unsubscribe_path(comment):
    return reverse("comments:unsubscribe", args=[comment.unsubscribe_token])


def test_opening_the_unsubscribe_link_asks_first_and_changes_nothing(
    client, seed_post, ada_comment
):
    response = client.get(unsubscribe_path(ada_comment))

    assert response.status_code == 200
    assert "Stop reply notifications" in response.text
    assert 'name="scope" value="all"' in response.text
    ada_comment.refresh_from_db()
    assert ada_comment.notify_replies is True


def test_a_mail_clients_one_click_post_unsubscribes_without_a_csrf_token(
    seed_post, site, ada_comment, publish
):
    other_of_ada = make_comment(seed_post, author_email=ADA, notify_replies=True)
    make_comment(seed_post, author_email="grace@example.com")
    reply_to(ada_comment, publish, "grace@example.com")
    [notice] = mail_to(ADA)
    link = notice.extra_headers["List-Unsubscribe"].strip("<>")
    mail_client = Client(enforce_csrf_checks=True)

    response = mail_client.post(
        urlsplit(link).path,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert "You are unsubscribed" in response.text
    ada_comment.refresh_from_db()
    other_of_ada.refresh_from_db()
    assert ada_comment.notify_replies is False
    assert other_of_ada.notify_replies is True


def test_the_confirmation_form_unsubscribes_from_this_comment(client, seed_post, ada_comment):
    response = client.post(unsubscribe_path(ada_comment), {"scope": "this"})

    assert response.status_code == 200
    ada_comment.refresh_from_db()
    assert ada_comment.notify_replies is False


def test_scope_all_unsubscribes_every_comment_of_that_email(client, seed_post, ada_comment):
    same_reader = make_comment(seed_post, author_email=ADA.upper(), notify_replies=True)
    someone_else = make_comment(seed_post, author_email="grace@example.com", notify_replies=True)

    response = client.post(unsubscribe_path(ada_comment), {"scope": "all"})

    assert response.status_code == 200
    assert not Comment.objects.filter(author_email__iexact=ADA, notify_replies=True).exists()
    same_reader.refresh_from_db()
    someone_else.refresh_from_db()
    assert same_reader.notify_replies is False
    assert someone_else.notify_replies is True


def test_after_unsubscribing_replies_send_no_email(seed_post, ada_comment, client, publish):
    client.post(unsubscribe_path(ada_comment), {"scope": "this"})
    make_comment(seed_post, author_email="grace@example.com")

    reply = reply_to(ada_comment, publish, "grace@example.com")

    assert reply.status == Comment.Status.APPROVED
    assert mail.outbox == []


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_unknown_unsubscribe_token_is_not_found(client, seed_post, ada_comment, method):
    response = getattr(client, method)(reverse("comments:unsubscribe", args=["not-a-token"]))

    assert response.status_code == 404
    ada_comment.refresh_from_db()
    assert ada_comment.notify_replies is True


# Production: a worker sends the email, not the request


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def let_queued_tasks_fall_due():
    """What waiting out COMMENTS_HELD_NOTICE_DELAY does to the queue."""
    DBTaskResult.objects.update(run_after=timezone.now() - datetime.timedelta(seconds=1))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_the_database_queue_the_request_only_queues_and_the_worker_sends(
    seed_post, moderators, publish, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    comment = held_comment(seed_post, publish, body="Queued, not sent inline.")

    assert comment.status == Comment.Status.PENDING
    assert mail.outbox == []
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "blog.comments.notify.send_held_comment_notices"
    delay = (queued.run_after - timezone.now()).total_seconds()
    assert settings.COMMENTS_HELD_NOTICE_DELAY - 5 < delay <= settings.COMMENTS_HELD_NOTICE_DELAY

    run_worker()
    assert mail.outbox == []  # not due yet

    let_queued_tasks_fall_due()
    run_worker()

    assert sorted(message.to[0] for message in mail.outbox) == [
        "mod@example.com",
        "root@example.com",
    ]
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_burst_of_held_comments_is_one_task_and_still_one_email_each(
    seed_post, moderators, publish, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    burst = [
        publish(
            submit_comment,
            seed_post,
            form_data(
                seed_post,
                author_email=f"new{number}@example.com",
                body=f"Held {number}",
                ip=(ip := next_ip()),
            ),
            ip_address=ip,
            proof=confirmed_proof(f"new{number}@example.com"),
        )
        for number in range(3)
    ]
    assert {comment.status for comment in burst} == {Comment.Status.PENDING}
    assert DBTaskResult.objects.count() == 1

    let_queued_tasks_fall_due()
    run_worker()
    assert len(mail_to("mod@example.com")) == 3
    texts = sorted(
        text
        for message in mail_to("mod@example.com")
        for text in re.findall(r"Held \d", message.body)
    )
    assert texts == ["Held 0", "Held 1", "Held 2"]

    # Once the queued sweep's time has passed, the next held comment queues another,
    # which announces only what is new.
    notify.forget_queued_sweep()  # as if COMMENTS_HELD_NOTICE_DELAY had gone by
    held_comment(seed_post, publish, body="One more")
    assert DBTaskResult.objects.count() == 2
    let_queued_tasks_fall_due()
    run_worker()
    assert len(mail_to("mod@example.com")) == 4
    assert all(comment.held_notice_sent_at for comment in Comment.objects.all())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_comment_held_just_before_the_queued_sweep_runs_queues_another(
    seed_post, moderators, publish, settings
):
    """Within a second of the queued sweep's time, a held comment might be committed
    after the sweep looked (a worker's clock may run ahead): it queues its own."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.COMMENTS_HELD_NOTICE_DELAY = 1

    for number in range(2):
        publish(
            submit_comment,
            seed_post,
            form_data(
                seed_post,
                author_email=f"new{number}@example.com",
                body=f"Held {number}",
                ip=(ip := next_ip()),
            ),
            ip_address=ip,
            proof=confirmed_proof(f"new{number}@example.com"),
        )

    assert DBTaskResult.objects.count() == 2


def test_a_sweep_claims_a_batch_at_a_time_and_mails_about_every_comment(
    seed_post, moderators, monkeypatch
):
    monkeypatch.setattr(notify, "CLAIM_BATCH_SIZE", 2)
    for number in range(5):
        make_comment(seed_post, status=Comment.Status.PENDING, body=f"Waiting {number}")
    make_comment(seed_post, status=Comment.Status.APPROVED, body="Published")
    claims = []
    claim = notify.claim_unannounced_held_comments
    monkeypatch.setattr(
        notify, "claim_unannounced_held_comments", lambda: claims.append(claim()) or claims[-1]
    )

    sent = notify.send_held_comment_notices.call()

    assert [len(batch) for batch in claims] == [2, 2, 1]
    assert sent == 10  # five comments, two moderators
    texts = sorted(set(re.findall(r"Waiting \d", " ".join(m.body for m in mail.outbox))))
    assert texts == [f"Waiting {number}" for number in range(5)]
    assert not Comment.objects.pending().filter(held_notice_sent_at__isnull=True).exists()
    assert notify.send_held_comment_notices.call() == 0


def test_the_sweep_finds_unannounced_comments_through_their_own_index(seed_post):
    if connection.vendor != "sqlite":
        pytest.skip("reads SQLite's query plan")
    claim = Comment.objects.pending().filter(held_notice_sent_at__isnull=True).order_by("pk")[:100]
    assert "comment_unannounced_idx" in claim.explain()


def test_the_sweep_never_reads_the_posts_body(seed_post, moderators):
    """A post row carries its whole StreamField; the notices need its title only."""
    for number in range(3):
        make_comment(seed_post, status=Comment.Status.PENDING, body=f"Waiting {number}")

    with CaptureQueriesContext(connection) as queries:
        sent = notify.send_held_comment_notices.call()

    assert sent == 6
    assert seed_post.title in mail.outbox[0].subject
    assert not [q["sql"] for q in queries if '"blog_blogpostpage"."body"' in q["sql"]]
