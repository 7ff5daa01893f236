import itertools

from django.test import Client
from django.utils import timezone

import pytest

from blog.comments import form_tokens, verification
from blog.comments.models import Comment
from blog.comments.reports import CommentReport, Reason
from blog.comments.rules import fingerprint
from blog.comments.sanitize import sanitize_comment
from tests.comments.admin_users import make_moderator

_addresses = itertools.count(1)


@pytest.fixture
def no_wait(settings):
    """Let tests post right after loading the form (the bot-timing rule needs 3 s)."""
    settings.COMMENTS_MIN_SECONDS_TO_POST = 0


def reader_token(post, ip="127.0.0.1", user_agent=""):
    """A form token issued to the reader at ``ip`` with ``user_agent`` (Django's test
    client sends REMOTE_ADDR 127.0.0.1 and no User-Agent unless told)."""
    return form_tokens.issue(post.pk, form_tokens.Reader(ip, user_agent))


def form_data(post, *, ip="127.0.0.1", user_agent="", **fields):
    """What the reader form sends for a person at ``ip`` who waited long enough (post it
    with ``REMOTE_ADDR=ip``: the token is bound to its reader)."""
    data = {
        "author_name": "Ada Reader",
        "author_email": "ada@example.com",
        "author_url": "",
        "body": "Thank you, this was useful.",
        "token": reader_token(post, ip, user_agent),
        "homepage": "",
    }
    data.update(fields)
    return data


def next_ip():
    number = next(_addresses)
    return f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"


def make_comment(post, *, status=Comment.Status.APPROVED, parent=None, **fields):
    """A stored comment, bypassing the rules: for tests about what happens after."""
    defaults = {
        "author_name": "Reader",
        "author_email": f"reader{next(_addresses)}@example.com",
        "body": f"Comment number {next(_addresses)}",
        "ip_address": next_ip(),
    }
    defaults.update(fields)
    comment = Comment(post=post, parent=parent, status=status, **defaults)
    comment.body_html = sanitize_comment(comment.body)
    comment.fingerprint = fingerprint(post.pk, comment.author_email, comment.body)
    comment.save()
    comment.set_thread_position()
    return comment


def api_submission(post, client, **fields):
    """What an app posts to /api/v3/comments/, with a token ``client`` fetched (bound to
    the address and browser that client sends)."""
    token = client.get("/api/v3/comments/form-token/", {"page": post.pk}).json()["token"]
    return {
        "page": post.pk,
        "author_name": "Ada Reader",
        "author_email": "ada@example.com",
        "body": "Has anyone tried this for calf cramps at night?",
        "token": token,
        **fields,
    }


def add_reports(comment, count, *, reason=Reason.SPAM, note=""):
    """``count`` open reports from distinct readers, stored directly: for tests about what
    moderators do with them. Reaching the threshold this way hides nothing by itself."""
    start = CommentReport.objects.count()
    return CommentReport.objects.bulk_create(
        CommentReport(
            comment=comment, reason=reason, note=note, reporter_key=f"test-reader-{start + number}"
        )
        for number in range(count)
    )


def confirmed_proof(email):
    """The signed "confirmed as" value a browser or app keeps once ``email`` was confirmed
    through its mailed link (blog.comments.verification)."""
    confirmation = verification.EmailConfirmation.objects.create(
        email=verification.email_key(email), confirmed_at=timezone.now()
    )
    return verification.proof_for([confirmation.pk])


def confirm_in(client, email):
    """Give ``client`` the cookie a browser gets by confirming ``email``: its comments
    with that address count as the known author's."""
    client.cookies[verification.CONFIRMED_COOKIE] = confirmed_proof(email)
    return client


@pytest.fixture
def moderator(db):
    """An editor in the Moderators group (tests/comments/admin_users.py)."""
    return make_moderator()


@pytest.fixture
def moderator_client(moderator):
    """A browser signed in as ``moderator``, apart from the test's ``client``."""
    client = Client()
    client.force_login(moderator)
    return client
