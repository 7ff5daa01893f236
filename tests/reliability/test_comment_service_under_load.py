"""
The comment service on a real production stack: gunicorn with four sync workers, the
production settings, and a database of its own, once on SQLite (WAL, immediate
transactions, busy timeout) and once on PostgreSQL.

Readers post through the JSON API and the reader form at the same time. What the server
acknowledged (201 from the API, 303 from the form) must be in the database exactly once;
anything refused must be refused with a documented status; nothing may fail with a
server error or "database is locked", not even when a worker is killed mid-request.

The flood and timing rules are off (COMMENTS_RATE_LIMITS=off, see ``Site.environment``):
every request comes from 127.0.0.1, so the one-comment-per-address-per-15-s rule would
refuse nearly the whole load and test nothing but itself.
"""

import os
import re
import signal
import threading
import time

import pytest
import requests

from tests.reliability.load import (
    DOCUMENTED_REFUSALS,
    LOCKED,
    REQUEST_TIMEOUT,
    CommentLoad,
    run_label,
    stored_comments,
)

pytestmark = pytest.mark.reliability

READERS = 20
COMMENTS_EACH = 20
#: The whole load's deadline. Generous: the machine may be shared with other test runs.
LOAD_SECONDS = 150
#: All comments here are valid and distinct, so a refusal is at most a rare exception.
MAX_REFUSED_SHARE = 0.05

#: Reads after the load, spread over the four workers by the kernel.
READ_CHECKS = 8
PAGE_COUNT = re.compile(r'id="comments-heading">(\d+) comments?<')

KILL_READERS = 10
KILL_COMMENTS_EACH = 10
KILL_AFTER_ACKNOWLEDGED = 30


def describe(outcomes, limit=5):
    return "\n".join(
        f"  reader {o.reader} #{o.number} via {o.channel}: {o.status or o.error} {o.detail[:200]}"
        for o in outcomes[:limit]
    )


def assert_no_server_failures(report, server):
    outcomes = report.outcomes
    failed = [o for o in outcomes if o.status is not None and o.status >= 500]
    assert not failed, (
        f"{len(failed)} server errors:\n{describe(failed)}\n{server.log_around('Traceback')}"
    )
    undocumented = [
        o
        for o in outcomes
        if o.status is not None and not o.acknowledged and o.status not in DOCUMENTED_REFUSALS
    ]
    assert not undocumented, f"undocumented answers:\n{describe(undocumented)}"
    locked = [o for o in outcomes if o.mentions_locked]
    assert not locked, f"'{LOCKED}' in {len(locked)} responses:\n{describe(locked)}"
    assert LOCKED not in server.log, f"'{LOCKED}' in the server log:\n{server.log_tail()}"
    assert "Traceback" not in server.log, f"an error was logged:\n{server.log_around('Traceback')}"


def assert_stored_once(outcomes, stored, load):
    """Each outcome's comment is stored exactly once, under the parent it was posted to,
    with the status the API reported and the trust rule gives its author."""
    for outcome in outcomes:
        rows = stored.get(outcome.body, [])
        assert len(rows) == 1, f"{outcome} is stored {len(rows)} times"
        comment_id, parent_id, status = rows[0]
        assert parent_id == outcome.parent, outcome
        if outcome.comment_id:
            assert comment_id == outcome.comment_id, outcome
        known = outcome.email in load.facts["known_emails"]
        assert status == ("approved" if known else "pending"), (outcome, status)


def assert_readers_see_every_published_comment(server, database):
    """Every worker shows the thread as the database has it: the rendered thread and the
    API's cached answers were invalidated by each comment published during the load."""
    facts = server.site.wait()
    [(approved,)] = database.query(
        "SELECT COUNT(*) FROM comments_comment WHERE post_id = %s AND status = 'approved'",
        (facts["post_id"],),
    )
    page_counts, api_counts = set(), set()
    for _ in range(READ_CHECKS):
        page = requests.get(server.url(facts["post_path"]), timeout=REQUEST_TIMEOUT)
        page_counts.add(int(PAGE_COUNT.search(page.text).group(1)))
        listing = requests.get(
            server.url(f"/api/v3/comments/?page={facts['post_id']}&limit=1"),
            timeout=REQUEST_TIMEOUT,
        )
        api_counts.add(listing.json()["count"])
    assert page_counts == {approved}, f"post page shows {page_counts}, database has {approved}"
    assert api_counts == {approved}, f"API lists {api_counts}, database has {approved}"


def test_concurrent_readers_get_each_acknowledged_comment_stored_exactly_once(
    server, database, reliability_report
):
    label = run_label(f"load-{database.backend}")
    load = CommentLoad(
        server,
        readers=READERS,
        comments_each=COMMENTS_EACH,
        label=label,
        deadline_seconds=LOAD_SECONDS,
    )

    report = load.run()

    stored = stored_comments(database, label)
    acknowledged = report.acknowledged()
    refused = [o for o in report.outcomes if o.status in DOCUMENTED_REFUSALS]
    reliability_report.append(
        f"{database.backend} load: {report.summary()}; stored {sum(map(len, stored.values()))} "
        f"({server.site.cache_note})"
    )
    assert not report.setup_errors, report.setup_errors
    assert len(report.outcomes) == READERS * COMMENTS_EACH, (
        f"the load did not finish within {LOAD_SECONDS} s: {report.summary()}"
    )
    assert_no_server_failures(report, server)
    lost = [o for o in report.outcomes if o.status is None]
    assert not lost, f"{len(lost)} requests got no answer:\n{describe(lost)}"
    assert_stored_once(acknowledged, stored, load)
    assert not any(o.body in stored for o in refused), "a refused comment was stored"
    assert sum(map(len, stored.values())) == len(acknowledged)
    assert len(refused) <= MAX_REFUSED_SHARE * len(report.outcomes), (
        f"{len(refused)} valid comments refused:\n{describe(refused)}"
    )
    if server.site.cache_prefix:
        assert_readers_see_every_published_comment(server, database)
    if database.backend == "sqlite":
        assert database.journal_mode() == "wal"


def test_a_killed_worker_loses_no_acknowledged_comment_and_the_server_keeps_serving(
    server, database, reliability_report
):
    label = run_label(f"kill-{database.backend}")
    killed = {}

    def kill_a_worker(load):
        # The kill is for comments in flight: a reader still fetching its form would
        # lose that request to the kill instead (a failed setup, not a lost comment).
        assert load.wait_until_set_up(LOAD_SECONDS), "the readers could not fetch their forms"
        assert load.wait_for_acknowledged(KILL_AFTER_ACKNOWLEDGED, LOAD_SECONDS), (
            f"fewer than {KILL_AFTER_ACKNOWLEDGED} comments acknowledged in {LOAD_SECONDS} s"
        )
        # Ten readers keep the four workers busy; the victim is one serving a request.
        workers = server.live_workers()
        busy = server.busy_workers() or workers
        victim = busy[0]
        os.kill(victim, signal.SIGKILL)
        killed.update(pid=victim, at=time.monotonic(), workers=workers, busy=busy)

    load = CommentLoad(
        server,
        readers=KILL_READERS,
        comments_each=KILL_COMMENTS_EACH,
        label=label,
        deadline_seconds=LOAD_SECONDS,
    )
    report = load.run(during=kill_a_worker)
    respawned = server.wait_for_workers(4, excluding=[killed["pid"]])
    after = CommentLoad(
        server, readers=2, comments_each=5, label=f"{label}-after", deadline_seconds=LOAD_SECONDS
    ).run()

    stored = stored_comments(database, label)
    acknowledged = report.acknowledged()
    before_kill = [o for o in acknowledged if o.answered_at < killed["at"]]
    lost = [o for o in report.outcomes if o.status is None]
    reliability_report.append(
        f"{database.backend} kill: SIGKILL to worker {killed['pid']} of {killed['workers']} "
        f"(busy: {killed['busy']}) "
        f"after {len(before_kill)} acknowledged; {report.summary()}; "
        f"{len(lost)} lost connection(s), retried with {[o.retry_status for o in lost]}; "
        f"workers now {respawned}; after the kill: {after.summary()}"
    )
    assert not report.setup_errors, report.setup_errors
    assert len(before_kill) >= KILL_AFTER_ACKNOWLEDGED
    assert_no_server_failures(report, server)
    # Each acknowledged comment, before the kill or after it, is stored once.
    assert_stored_once(acknowledged, stored, load)
    # A sync worker holds one request at a time: at most that one loses its connection,
    # before its answer or halfway through it.
    assert len(lost) <= 1, f"{len(lost)} requests lost:\n{describe(lost)}"
    for outcome in lost:
        assert "Connection" in outcome.error, outcome.error
        # Stored by the dying worker (the retry is a duplicate) or not at all (the retry
        # stores it): either way it is there once.
        assert outcome.retry_status in {201, 303, 409}, (outcome.error, outcome.retry_status)
        assert len(stored.get(outcome.body, [])) == 1, outcome
    assert f"pid:{killed['pid']}" in server.log, "the master did not notice the killed worker"
    assert len(after.outcomes) == 10 and all(o.acknowledged for o in after.outcomes), (
        after.summary()
    )
    if database.backend == "sqlite":
        assert database.query("PRAGMA integrity_check") == [("ok",)]


def post_pending_comment(server, facts, number):
    token = requests.get(
        server.url(f"/api/v3/comments/form-token/?page={facts['post_id']}"), timeout=REQUEST_TIMEOUT
    ).json()["token"]
    response = requests.post(
        server.url("/api/v3/comments/"),
        json={
            "page": facts["post_id"],
            "author_name": f"Raced reader {number}",
            "author_email": f"raced{number}-{time.time_ns()}@reliability.example",
            "body": f"A first comment moderators disagree about ({time.time_ns()}).",
            "token": token,
        },
        timeout=REQUEST_TIMEOUT,
    )
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "pending"
    return response.json()["id"]


def moderation_log(database, comment_id):
    import json

    rows = database.query(
        "SELECT entry.action, entry.data, entry.user_id FROM wagtailcore_modellogentry entry "
        "JOIN django_content_type type ON type.id = entry.content_type_id "
        "WHERE type.app_label = 'comments' AND type.model = 'comment' AND entry.object_id = %s "
        "ORDER BY entry.id",
        (str(comment_id),),
    )
    return [
        (action, data if isinstance(data, dict) else json.loads(data), user_id)
        for action, data, user_id in rows
    ]


def test_two_moderators_through_the_api_end_in_one_state_with_both_logged(
    server, database, reliability_report
):
    facts = server.site.wait()
    mona, max_ = facts["moderators"]
    races = [("approve", "spam"), ("spam", "approve"), ("trash", "approve")]
    results = []
    for number, actions in enumerate(races):
        comment_id = post_pending_comment(server, facts, number)
        barrier = threading.Barrier(2, timeout=30)
        answers = {}

        def decide(moderator, action, comment_id=comment_id, barrier=barrier, answers=answers):
            barrier.wait()
            answers[moderator["username"]] = requests.post(
                server.url(f"/api/v3/comments/moderation/{comment_id}/actions/{action}/"),
                headers={"Authorization": f"Bearer {moderator['token']}"},
                timeout=REQUEST_TIMEOUT,
            )

        threads = [
            threading.Thread(target=decide, args=(mona, actions[0])),
            threading.Thread(target=decide, args=(max_, actions[1])),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(REQUEST_TIMEOUT[1] + 30)

        assert {name: answer.status_code for name, answer in answers.items()} == {
            "mona": 200,
            "max": 200,
        }, {name: answer.text[:300] for name, answer in answers.items()}
        [(status,)] = database.query(
            "SELECT status FROM comments_comment WHERE id = %s", (comment_id,)
        )
        log = moderation_log(database, comment_id)
        assert len(log) == 2, log
        (first_action, first, first_user), (second_action, second, second_user) = log
        assert {first_user: first_action, second_user: second_action} == {
            mona["id"]: f"comments.{actions[0]}",
            max_["id"]: f"comments.{actions[1]}",
        }
        assert first["from"] == "pending"
        assert second["from"] == first["to"], f"lost update: {log}"
        assert status == second["to"]
        results.append(f"{first_action}->{second_action}: {status}")
    assert LOCKED not in server.log
    reliability_report.append(f"{database.backend} API moderation races: {results}")
