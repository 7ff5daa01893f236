import datetime
import io
import json
import os
import sys

from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from wagtail.log_actions import LogActionRegistry
from wagtail.log_actions import registry as log_action_registry
from wagtail.models import ModelLogEntry
from wagtail.search.models import IndexEntry

import pytest

from blog.comments.models import Comment
from blog.comments.moderation import moderate
from blog.comments.privacy import (
    ANONYMOUS_NAME,
    ERASE_LOG_ACTION,
    erase_personal_data,
    register_privacy_log_actions,
)
from blog.comments.submission import submit_comment
from tests.comments.conftest import form_data, make_comment, next_ip

ADA = "ada.lovelace@example.com"


def run(*args):
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command(*args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


@pytest.fixture
def erasure_is_logged():
    """Wagtail refuses log entries for unregistered actions, and every erasure is logged."""
    if not log_action_registry.action_exists(ERASE_LOG_ACTION):
        pytest.fail(
            f"The log action {ERASE_LOG_ACTION!r} is not registered yet: wagtail_hooks.py must "
            "register blog.comments.privacy.register_privacy_log_actions for register_log_actions."
        )


@pytest.fixture
def ada_thread(seed_post):
    """Ada's comment with a reply from someone else, and Ada's answer to that reply."""
    top = make_comment(
        seed_post,
        author_name="Ada Lovelace",
        author_email=ADA,
        author_url="https://ada.example.com/",
        body="I tried <em>this</em> for a month.\n\nNo <b>change</b>.",
        ip_address="198.51.100.7",
        user_agent="Mozilla/5.0 (Ada's laptop)",
        notify_replies=True,
    )
    reply = make_comment(seed_post, parent=top, author_name="Grace Hopper", body="Same here.")
    answer = make_comment(
        seed_post,
        parent=reply,
        author_name="Ada Lovelace",
        author_email=ADA.upper(),
        body="Good to know.",
        ip_address="198.51.100.8",
    )
    return top, reply, answer


# Export


def test_export_prints_every_comment_of_the_email_with_all_we_hold(seed_post, ada_thread):
    top, reply, answer = ada_thread

    stdout, _ = run("comments_personal_data", "export", "Ada.Lovelace@EXAMPLE.com")

    exported = json.loads(stdout)
    records = {record["id"]: record for record in exported["comments"]}
    assert set(records) == {top.pk, answer.pk}
    first = records[top.pk]
    assert first["post"] == {"title": seed_post.title, "url": seed_post.get_full_url()}
    assert first["post"]["url"].startswith("http")
    assert first["created_at"] == top.created_at.isoformat()
    assert first["status"] == "approved"
    assert first["name"] == "Ada Lovelace"
    assert first["email"] == ADA
    assert first["website"] == "https://ada.example.com/"
    assert first["body"] == "I tried <em>this</em> for a month.\n\nNo <b>change</b>."
    assert first["ip_address"] == "198.51.100.7"
    assert first["user_agent"] == "Mozilla/5.0 (Ada's laptop)"
    assert first["notify_replies"] is True
    assert records[answer.pk]["email"] == ADA.upper()
    assert records[answer.pk]["in_reply_to"] == reply.pk
    assert records[answer.pk]["notify_replies"] is False
    assert "Grace Hopper" not in stdout


def test_export_to_a_file_keeps_the_data_off_the_terminal(ada_thread, tmp_path):
    target = tmp_path / "ada.json"

    stdout, _ = run("comments_personal_data", "export", ADA, "--output", str(target))

    assert len(json.loads(target.read_text())["comments"]) == 2
    assert stdout.strip() == f"Wrote 2 comments to {target}."
    assert os.stat(target).st_mode & 0o777 == 0o600


def test_export_refuses_an_existing_file_and_leaves_it_as_it_was(ada_thread, tmp_path):
    shared = tmp_path / "shared.json"
    shared.write_text("someone else's notes\n")
    shared.chmod(0o644)

    with pytest.raises(CommandError, match="already exists.*Nothing was written"):
        run("comments_personal_data", "export", ADA, "--output", str(shared))

    assert shared.read_text() == "someone else's notes\n"
    assert os.stat(shared).st_mode & 0o777 == 0o644


@pytest.mark.parametrize("target_exists", [True, False], ids=["to a file", "dangling"])
def test_export_refuses_a_symbolic_link_wherever_it_points(ada_thread, tmp_path, target_exists):
    target = tmp_path / "elsewhere" / "public.json"
    target.parent.mkdir()
    if target_exists:
        target.write_text("")
        target.chmod(0o644)
    link = tmp_path / "export.json"
    link.symlink_to(target)

    with pytest.raises(CommandError, match="is a symbolic link.*Nothing was written"):
        run("comments_personal_data", "export", ADA, "--output", str(link))

    assert os.path.islink(link)
    if target_exists:
        assert target.read_text() == ""
        assert os.stat(target).st_mode & 0o777 == 0o644
    else:
        assert not target.exists()


def test_export_into_a_missing_folder_says_so_and_writes_nothing(ada_thread, tmp_path):
    with pytest.raises(CommandError, match="Cannot create .*No such file or directory"):
        run("comments_personal_data", "export", ADA, "--output", str(tmp_path / "no" / "a.json"))

    assert list(tmp_path.iterdir()) == []


def test_export_of_an_unknown_email_answers_with_no_comments(seed_post):
    stdout, stderr = run("comments_personal_data", "export", "nobody@example.com")

    assert json.loads(stdout)["comments"] == []
    assert "No comments are stored for that email." in stderr


# Erase


def test_erase_anonymizes_every_comment_of_the_email_and_keeps_the_thread(
    seed_post, ada_thread, erasure_is_logged, django_capture_on_commit_callbacks
):
    top, reply, answer = ada_thread
    before = {c.pk: (c.parent_id, c.depth, c.thread_path, c.body, c.body_html) for c in ada_thread}

    with django_capture_on_commit_callbacks(execute=True):
        stdout, _ = run("comments_personal_data", "erase", ADA, "--yes")

    assert stdout.strip() == "Anonymized 2 comments on 1 post."
    assert ADA not in stdout
    for comment in (top, answer):
        comment.refresh_from_db()
        assert comment.author_name == ANONYMOUS_NAME
        assert comment.author_email.endswith("@erased.invalid")
        # Nothing of the address is kept (the placeholder's random part may spell anything).
        assert ADA.split("@")[0] not in comment.author_email.lower()
        assert ADA.split("@")[1] not in comment.author_email.lower()
        assert comment.author_url == ""
        assert comment.ip_address is None
        assert comment.user_agent == ""
        assert comment.notify_replies is False
    assert top.author_email != answer.author_email
    for comment in ada_thread:
        comment.refresh_from_db()
    after = {c.pk: (c.parent_id, c.depth, c.thread_path, c.body, c.body_html) for c in ada_thread}
    assert after == before
    reply.refresh_from_db()
    assert reply.author_name == "Grace Hopper"
    assert list(top.replies.all()) == [reply]
    assert list(reply.replies.all()) == [answer]
    assert not Comment.objects.filter(author_email__iexact=ADA).exists()


def test_erase_shows_the_new_name_on_a_post_whose_thread_was_cached(
    client, seed_post, ada_thread, erasure_is_logged, django_capture_on_commit_callbacks
):
    before = client.get(seed_post.url)
    assert "Ada Lovelace" in before.text and "Grace Hopper" in before.text

    with django_capture_on_commit_callbacks(execute=True):
        run("comments_personal_data", "erase", ADA, "--yes")

    after = client.get(seed_post.url)
    assert "Ada Lovelace" not in after.text
    assert "https://ada.example.com/" not in after.text
    assert after.text.count(f"Comment by {ANONYMOUS_NAME}") == 2
    assert "Grace Hopper" in after.text
    assert "I tried <em>this</em> for a month." in after.text


def test_erase_logs_each_comment_and_rewrites_the_names_in_its_history(
    seed_post, ada_thread, admin_user, erasure_is_logged
):
    top, _, answer = ada_thread
    moderate([top], "unapprove", admin_user)
    comment_type = ContentType.objects.get_for_model(Comment)
    assert ModelLogEntry.objects.filter(label__contains="Ada Lovelace").exists()

    erase_personal_data(ADA, user=admin_user)

    erased = ModelLogEntry.objects.filter(content_type=comment_type, action=ERASE_LOG_ACTION)
    assert sorted(int(entry.object_id) for entry in erased) == sorted([top.pk, answer.pk])
    assert {entry.user_id for entry in erased} == {admin_user.pk}
    assert not ModelLogEntry.objects.filter(label__contains="Ada Lovelace").exists()
    assert (
        ModelLogEntry.objects.filter(
            content_type=comment_type, object_id=str(top.pk), action="comments.unapprove"
        )
        .get()
        .label.startswith(ANONYMOUS_NAME)
    )


def test_no_commenter_name_or_email_is_kept_in_the_search_index(seed_post, ada_thread):
    """The moderation admin searches the comments table itself; nothing of a commenter is
    copied into the site's search index, where erasing it would be easy to miss."""
    comment_type = ContentType.objects.get_for_model(Comment)

    assert not IndexEntry.objects.filter(content_type=comment_type).exists()
    assert not IndexEntry.objects.filter(body__icontains="Lovelace").exists()
    assert not IndexEntry.objects.filter(title__icontains="Lovelace").exists()


def test_erasing_two_people_who_wrote_the_same_words_on_one_post(seed_post, erasure_is_logged):
    make_comment(seed_post, author_email="one@example.com", body="Great article!")
    make_comment(seed_post, author_email="two@example.com", body="Great article!")

    erase_personal_data("one@example.com")
    erase_personal_data("two@example.com")

    fingerprints = Comment.objects.values("fingerprint").annotate(n=Count("id"))
    assert {row["n"] for row in fingerprints} == {1}
    assert Comment.objects.filter(author_name=ANONYMOUS_NAME).count() == 2


def test_an_erased_author_is_not_trusted_as_known_when_they_comment_again(
    seed_post, ada_thread, erasure_is_logged, settings
):
    settings.COMMENTS_MIN_SECONDS_TO_POST = 0
    erase_personal_data(ADA)

    again = submit_comment(
        seed_post,
        form_data(
            seed_post,
            author_email=ADA,
            body="I tried <em>this</em> for a month.",
            ip=(ip := next_ip()),
        ),
        ip_address=ip,
    )

    assert again.status == Comment.Status.PENDING
    assert again.reason == "First comment from this email"


def test_erase_of_an_unknown_email_has_nothing_to_do(seed_post, ada_thread):
    stdout, _ = run("comments_personal_data", "erase", "nobody@example.com", "--noinput")

    assert stdout.strip() == "No comments are stored for that email; nothing to erase."
    assert Comment.objects.filter(author_name="Ada Lovelace").count() == 2


def test_erase_refuses_without_a_terminal_to_confirm_on(seed_post, ada_thread, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("yes\n"))

    with pytest.raises(CommandError, match="run again with --yes") as refused:
        run("comments_personal_data", "erase", ADA)

    assert refused.value.returncode == 1
    assert Comment.objects.filter(author_name="Ada Lovelace").count() == 2


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize(("answer", "anonymized"), [("yes\n", 2), ("no\n", 0), ("\n", 0)])
def test_erase_asks_for_confirmation_on_a_terminal(
    request, seed_post, ada_thread, monkeypatch, answer, anonymized
):
    if anonymized:
        request.getfixturevalue("erasure_is_logged")
    monkeypatch.setattr(sys, "stdin", Terminal(answer))
    monkeypatch.setattr(sys, "stdout", io.StringIO())

    if anonymized:
        run("comments_personal_data", "erase", ADA)
    else:
        with pytest.raises(CommandError, match="Nothing was erased"):
            run("comments_personal_data", "erase", ADA)

    assert "Anonymize 2 comments of that email?" in sys.stdout.getvalue()
    assert Comment.objects.filter(author_name=ANONYMOUS_NAME).count() == anonymized


def test_the_erase_log_action_has_a_label_for_the_admin():
    actions = LogActionRegistry()
    actions.has_scanned_for_actions = True

    register_privacy_log_actions(actions)

    assert actions.get_action_label(ERASE_LOG_ACTION) == "Erase personal data"


# Purge of IP addresses and browsers


def aged(comment, days):
    Comment.objects.filter(pk=comment.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=days)
    )
    return comment


def test_purge_clears_network_data_of_old_comments_only(seed_post, settings):
    settings.COMMENTS_IP_RETENTION_DAYS = 30
    old = aged(make_comment(seed_post, user_agent="Old browser"), days=31)
    old_ua_only = aged(make_comment(seed_post, ip_address=None, user_agent="UA"), days=40)
    recent = aged(make_comment(seed_post, user_agent="New browser"), days=29)
    already_clean = aged(make_comment(seed_post, ip_address=None), days=90)

    stdout, _ = run("comments_purge_ips")

    assert stdout.strip() == (
        "Cleared the IP address and browser of 2 comments older than 30 days."
    )
    for comment in (old, old_ua_only, already_clean):
        comment.refresh_from_db()
        assert (comment.ip_address, comment.user_agent) == (None, "")
    kept = Comment.objects.get(pk=recent.pk)
    assert kept.ip_address == recent.ip_address is not None
    assert kept.user_agent == "New browser"
    assert kept.author_email == recent.author_email
    assert kept.body == recent.body


def test_purge_takes_the_retention_from_days(seed_post):
    week_old = aged(make_comment(seed_post), days=8)
    fresh = aged(make_comment(seed_post), days=6)

    stdout, _ = run("comments_purge_ips", "--days", "7")

    assert stdout.strip() == "Cleared the IP address and browser of 1 comment older than 7 days."
    assert Comment.objects.get(pk=week_old.pk).ip_address is None
    assert Comment.objects.get(pk=fresh.pk).ip_address == fresh.ip_address


def test_purge_refuses_a_negative_number_of_days(seed_post):
    with pytest.raises(CommandError, match="--days must be 0 or more"):
        run("comments_purge_ips", "--days", "-1")


def test_looking_up_an_email_ignores_case_and_uses_the_index(seed_post):
    make_comment(seed_post, author_email="Ada.Lovelace@Example.com", status="approved")

    found = Comment.objects.approved().by_email("  ada.lovelace@example.COM ")

    assert found.count() == 1
    if connection.vendor == "sqlite":
        assert "comment_email_idx" in found.explain()
