"""
Two moderators deciding about the same comment at the same moment: ``moderate`` locks the
row, so one decision follows the other. The comment ends in the later decision's state,
and the audit log holds both, the second starting where the first ended; never a lost
update (both starting from "pending", one of them silently overwritten).

Runs on the suite's database: SQLite (copied to a WAL file, see ``wal_database``) and,
in CI's second run, PostgreSQL.
"""

import threading

from django.contrib.contenttypes.models import ContentType
from django.db import connection

from wagtail.models import ModelLogEntry

import pytest

from blog.comments.models import Comment
from blog.comments.moderation import moderate
from blog.comments.rules import fingerprint
from blog.comments.sanitize import sanitize_comment
from tests.comments.admin_users import make_moderator

# serialized_rollback: the flush after a transactional test also removes the data the
# migrations made (Wagtail's root page, the default site), which the seed needs.
pytestmark = [
    pytest.mark.reliability,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

Status = Comment.Status
REMOVED = (Status.SPAM, Status.TRASH)
#: Pairs whose targets differ from each other and from "pending", so both decisions change
#: the comment whichever runs first.
RACES = [("approve", "spam"), ("spam", "approve"), ("trash", "approve"), ("approve", "trash")]
ROUNDS_PER_RACE = 2
THREAD_SECONDS = 60


def pending_comment(post, number):
    body = f"Pending comment {number} that two moderators look at together."
    email = f"raced{number}@example.com"
    comment = Comment(
        post=post,
        author_name=f"Raced reader {number}",
        author_email=email,
        body=body,
        body_html=sanitize_comment(body),
        fingerprint=fingerprint(post.pk, email, body),
        status=Status.PENDING,
    )
    comment.save()
    comment.set_thread_position()
    return comment


def decide_together(comment, decisions):
    """Runs ``moderate`` once per (user, action), each in its own thread and database
    connection, released at the same instant; returns the errors raised."""
    barrier = threading.Barrier(len(decisions), timeout=THREAD_SECONDS)
    errors = []

    def decide(user, action):
        try:
            barrier.wait()
            moderate([comment.pk], action, user, reason=f"{user.username} says {action}")
        except Exception as error:  # noqa: BLE001 (reported by the test below)
            errors.append(f"{user.username} {action}: {error!r}")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=decision, name=f"moderator-{decision[0].username}")
        for decision in decisions
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(THREAD_SECONDS)
    stuck = [thread.name for thread in threads if thread.is_alive()]
    assert not stuck, f"moderation threads still running after {THREAD_SECONDS} s: {stuck}"
    return errors


def log_entries(comment):
    return list(
        ModelLogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Comment), object_id=str(comment.pk)
        ).order_by("pk")
    )


def test_two_moderators_at_once_end_in_one_state_with_both_decisions_logged(
    wal_database, seed_post
):
    mona, max_ = make_moderator("mona"), make_moderator("max")
    rounds = [race for race in RACES for _ in range(ROUNDS_PER_RACE)]
    for number, (mona_action, max_action) in enumerate(rounds):
        comment = pending_comment(seed_post, number)

        errors = decide_together(comment, [(mona, mona_action), (max_, max_action)])

        assert not errors, errors
        comment.refresh_from_db()
        first, second = entries = log_entries(comment)
        assert len(entries) == 2
        action_of = {mona.pk: f"comments.{mona_action}", max_.pk: f"comments.{max_action}"}
        assert {entry.user_id: entry.action for entry in entries} == action_of
        assert first.data["from"] == Status.PENDING
        assert second.data["from"] == first.data["to"], (
            f"lost update: both decisions started from {first.data['from']!r}"
        )
        assert comment.status == second.data["to"]
        assert comment.moderated_by_id == second.user_id
        if comment.status in REMOVED:
            restores_to = Status.PENDING if first.data["to"] in REMOVED else first.data["to"]
            assert comment.status_before_removal == restores_to
