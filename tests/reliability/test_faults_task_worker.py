"""
The task worker's faults (issue 17): a worker killed or cut off from the database mid-task,
a task that never ends, and the worker down for an hour while two come back.

Before, a task whose worker died, or lost the database, stayed "running" for ever and never
ran; tasks were taken in no defined order. Here ``manage.py db_worker`` runs as production
runs it, in processes of its own, against a throwaway PostgreSQL cluster (``initdb``,
``pg_ctl``) that the tests restart. The hour is not waited for: tasks are queued while no
worker runs and their times are moved back an hour, as the database would show them.
"""

import http.server
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict

import pytest
from standardwebhooks import Webhook

from tests.reliability.servers import REPO
from tests.reliability.worker_fixtures import MAIL_LOG_VARIABLE

RECORD_RUN = "tests.reliability.worker_fixtures.record_run"
WAIT_SECONDS = 30


@pytest.fixture(scope="module")
def site(cluster_site):
    return cluster_site


@pytest.fixture
def workers(site, tmp_path):
    """Starts ``db_worker`` processes (``start(name, **environment)``); stops them after."""
    started = []

    def start(name, *arguments, **environment):
        log_path = tmp_path / f"worker-{name}.log"
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "manage.py", "db_worker", "--worker-id", name]
                + ["--interval", "0.1", "--no-startup-delay", *arguments],
                cwd=REPO,
                env={**site.environment(), "LOG_LEVEL": "INFO", **environment},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process.log_path = log_path
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)


def log_of(process):
    return process.log_path.read_text()


def enqueue(cluster, task_path, args):
    (task_id,) = cluster.query(
        "INSERT INTO django_tasks_database_dbtaskresult (id, status, enqueued_at, args_kwargs,"
        " priority, task_path, worker_ids, queue_name, backend_name, run_after,"
        " return_value, exception_class_path, traceback)"
        " VALUES (%s, 'READY', now(), %s, 0, %s, '[]', 'default', 'default',"
        " '9999-01-01T00:00:00Z', 'null', '', '') RETURNING id",
        [str(uuid.uuid4()), json.dumps({"args": args, "kwargs": {}}), task_path],
    )[0]
    return task_id


def task_row(cluster, task_id):
    [row] = cluster.query(
        "SELECT status, worker_ids, exception_class_path FROM django_tasks_database_dbtaskresult"
        " WHERE id = %s",
        [task_id],
    )
    return {"status": row[0], "worker_ids": row[1], "exception": row[2]}


def wait_until(predicate, what, seconds=WAIT_SECONDS):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.05)


def lines(path):
    return path.read_text().splitlines() if path.exists() else []


def test_a_task_whose_worker_was_killed_runs_again_once_the_bound_has_passed(
    cluster, workers, tmp_path
):
    runs, release = tmp_path / "runs.log", tmp_path / "release"
    task_id = enqueue(cluster, RECORD_RUN, [str(runs), str(release)])
    first = workers("first")
    wait_until(lambda: lines(runs) == [f"start {first.pid}"], "the first worker to start it")
    second = workers("second")

    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    time.sleep(1)  # the second worker polls ten times a second meanwhile
    assert lines(runs) == [f"start {first.pid}"]  # not before the bound: it might be running
    assert task_row(cluster, task_id)["status"] == "RUNNING"

    # The bound (TASKS_RECLAIM_AFTER_SECONDS, 11 minutes by default) has passed.
    cluster.query(
        "UPDATE django_tasks_database_dbtaskresult SET started_at = started_at - interval '1 hour'"
        " WHERE id = %s RETURNING id",
        [task_id],
    )
    wait_until(lambda: len(lines(runs)) == 2, "the second worker to take it up")
    release.touch()
    wait_until(lambda: task_row(cluster, task_id)["status"] != "RUNNING", "the task to finish")

    assert lines(runs) == [f"start {first.pid}", f"start {second.pid}", f"end {second.pid}"]
    assert task_row(cluster, task_id) == {
        "status": "SUCCESSFUL",
        "worker_ids": ["first", "second"],
        "exception": "",
    }
    assert f"Task {task_id} ({RECORD_RUN}), started by worker first" in log_of(second)
    assert "never finished; queued again." in log_of(second)


def test_a_task_that_lost_the_database_mid_run_is_given_back_and_runs_again(
    cluster, workers, tmp_path
):
    runs, release = tmp_path / "runs.log", tmp_path / "release"
    task_id = enqueue(cluster, RECORD_RUN, [str(runs), str(release)])
    worker = workers("only")
    wait_until(lambda: lines(runs) == [f"start {worker.pid}"], "the worker to start it")

    cluster.restart()  # its connection is gone when the task ends and its result is stored
    release.touch()
    wait_until(lambda: len(lines(runs)) == 4, "the task to run again", seconds=60)
    wait_until(lambda: task_row(cluster, task_id)["status"] != "RUNNING", "the task to finish")

    assert lines(runs) == [f"start {worker.pid}", f"end {worker.pid}"] * 2  # never at once
    assert task_row(cluster, task_id) == {
        "status": "SUCCESSFUL",
        "worker_ids": ["only", "only"],
        "exception": "",
    }
    assert f"Task {task_id} was running when the database went away; queued again." in log_of(
        worker
    )
    assert worker.poll() is None


def test_a_task_past_its_time_limit_is_stopped_before_another_worker_could_take_it(
    cluster, workers, tmp_path
):
    runs, never = tmp_path / "runs.log", tmp_path / "never-released"
    limits = {"TASKS_TIME_LIMIT_SECONDS": "1", "TASKS_RECLAIM_AFTER_SECONDS": "2"}
    task_id = enqueue(cluster, RECORD_RUN, [str(runs), str(never)])
    first = workers("first", **limits)
    wait_until(lambda: lines(runs) == [f"start {first.pid}"], "the first worker to start it")
    workers("second", **limits)

    wait_until(lambda: task_row(cluster, task_id)["status"] != "RUNNING", "the time limit")
    time.sleep(2.5)  # past the reclaim bound: nobody took it up

    assert lines(runs) == [f"start {first.pid}"]
    assert task_row(cluster, task_id) == {
        "status": "FAILED",
        "worker_ids": ["first"],
        "exception": "cms.management.commands.db_worker.TaskTimeLimitExceeded",
    }


QUEUE_WHILE_NO_WORKER_RUNS = """
import json
from django.contrib.auth import get_user_model
from blog.comments.models import Comment
from blog.comments.moderation import moderate
from blog.comments.notify import comment_held
from blog.comments.rules import fingerprint
from blog.models import BlogPostPage
from headless.models import WebhookEndpoint
from headless.signing import new_secret

moderator = get_user_model().objects.create_superuser(
    "hour-moderator", "moderator@example.org", "not-used-here-1"
)
WebhookEndpoint.objects.create(url={url!r}, secret=new_secret(), events=["page.published"])
post = BlogPostPage.objects.live().order_by("pk").first()

def comment(name, email, **fields):
    return Comment.objects.create(
        post=post, author_name=name, author_email=email, body=f"Said by {{name}}",
        body_html=f"<p>Said by {{name}}</p>",
        fingerprint=fingerprint(post.pk, email, f"Said by {{name}}"), **fields
    )

for number in (1, 2, 3):
    comment(f"Held {{number}}", f"held{{number}}@example.org", status="pending")
    comment_held()
parent = comment(
    "Asker", "asker@example.org", status="approved", notify_replies=True, author_confirmed=True
)
for number in (1, 2, 3):
    reply = comment(f"Replier {{number}}", f"replier{{number}}@example.org", status="pending",
                    parent=parent)
    moderate([reply.pk], "approve", moderator)
revisions = []
for word in ("hourwaitfirst", "hourwaitsecond"):
    post.title = f"Evidence {{word}}"
    revision = post.save_revision()
    revision.publish()
    revisions.append(revision.pk)
print(json.dumps({{"post_id": post.pk, "revisions": revisions}}))
"""
QUEUE_HEALTH = """
import json
from cms.health import task_queue_health
print(json.dumps(task_queue_health(True)))
"""
SEARCH = """
import json
from blog.models import BlogPostPage
print(json.dumps({word: [page.pk for page in BlogPostPage.objects.live().search(word)]
                  for word in ("hourwaitfirst", "hourwaitsecond")}))
"""


def test_after_an_hour_without_a_worker_two_workers_send_everything_once_in_order(
    site, cluster, workers, receiver, tmp_path
):
    mail_log = tmp_path / "mail.jsonl"
    environment = {
        **site.environment(),
        "EMAIL_BACKEND": "tests.reliability.worker_fixtures.AppendingEmailBackend",
        MAIL_LOG_VARIABLE: str(mail_log),
        "HEADLESS_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1",
    }

    def shell(code):
        done = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=REPO,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    facts = shell(QUEUE_WHILE_NO_WORKER_RUNS.format(url=receiver.url))
    waited = cluster.query(
        "UPDATE django_tasks_database_dbtaskresult SET enqueued_at = enqueued_at - interval"
        " '1 hour', run_after = CASE WHEN run_after < '9000-01-01' THEN run_after - interval"
        " '1 hour' ELSE run_after END WHERE status = 'READY' RETURNING id"
    )
    assert not mail_log.exists() and receiver.received == []  # it all waits in the database
    health = shell(QUEUE_HEALTH)
    # One sweep of held comments, three reply notices, two webhooks, two index updates.
    assert health["status"] == "late" and health["waiting"] >= 1 + 3 + 2 + 2

    extra = {key: environment[key] for key in environment.keys() - site.environment().keys()}
    extra["EMAIL_BACKEND"] = environment["EMAIL_BACKEND"]
    batch = [workers(name, "--batch", **extra) for name in ("one", "two")]
    wait_until(
        lambda: (
            not cluster.query(
                "SELECT id FROM django_tasks_database_dbtaskresult WHERE status IN"
                " ('READY', 'RUNNING')"
            )
        ),
        "the queue to empty",
        seconds=120,
    )

    for worker in batch:
        assert worker.wait(timeout=WAIT_SECONDS) == 0, log_of(worker)[-3000:]

    mails = [json.loads(line) for line in lines(mail_log)]
    held = [
        re.search(r"Held \d", mail["body"]).group()
        for mail in mails
        if mail["to"] == ["moderator@example.org"] and re.search(r"Held \d", mail["body"])
    ]
    assert held == ["Held 1", "Held 2", "Held 3"]
    replies = [m["subject"] for m in mails if m["to"] == ["asker@example.org"]]
    assert [subject.split(" replied")[0] for subject in replies] == [
        "Replier 1",
        "Replier 2",
        "Replier 3",
    ]

    published = [json.loads(request["body"]) for request in receiver.received]
    assert [(p["type"], p["data"]["revision_id"]) for p in published] == [
        ("page.published", revision) for revision in facts["revisions"]
    ]

    assert shell(SEARCH) == {"hourwaitfirst": [], "hourwaitsecond": [facts["post_id"]]}

    rows = cluster.query(
        "SELECT task_path, status, worker_ids, started_at, finished_at"
        " FROM django_tasks_database_dbtaskresult WHERE id = ANY(%s) ORDER BY enqueued_at",
        [[task_id for (task_id,) in waited]],
    )
    by_kind = defaultdict(list)
    for task_path, status, worker_ids, started_at, finished_at in rows:
        assert (status, len(worker_ids)) == ("SUCCESSFUL", 1), task_path
        by_kind[task_path].append((started_at, finished_at))
    for task_path, runs in by_kind.items():
        for (_, finished), (next_started, _) in zip(runs, runs[1:], strict=False):
            assert next_started >= finished, f"{task_path} ran out of order or side by side"
    assert {
        "blog.comments.notify.send_held_comment_notices",
        "blog.comments.notify.send_reply_notice",
        "headless.delivery.deliver_webhook",
        "modelsearch.tasks.insert_or_update_object_task",
    } <= set(by_kind)


class SlowReceiver(http.server.ThreadingHTTPServer):
    """A webhook endpoint that takes ``seconds`` to answer each POST and notes when each
    began and ended, so the test can see which deliveries overlapped."""

    daemon_threads = True

    def __init__(self, seconds):
        super().__init__(("127.0.0.1", 0), SlowReceiverHandler)
        self.seconds = seconds
        self.received = []

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/hooks"


class SlowReceiverHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        began = time.monotonic()
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(self.server.seconds)
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.server.received.append(
            {
                "began": began,
                "ended": time.monotonic(),
                "headers": dict(self.headers.items()),
                "body": body,
            }
        )

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_receivers():
    servers = [SlowReceiver(seconds=0.4) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield servers
    for server in servers:
        server.shutdown()
        server.server_close()


QUEUE_TO_TWO_ENDPOINTS = """
import json
from django.utils import timezone
from headless.events import send_event
from headless.models import WebhookEndpoint
from headless.signing import new_secret

WebhookEndpoint.objects.all().delete()
secrets = [
    WebhookEndpoint.objects.create(url=url, secret=new_secret(), events=["comment.created"]).secret
    for url in {urls!r}
]
for number in range({count}):
    now = timezone.now().isoformat()
    send_event("comment.created", lambda: {{"number": number}}, occurred_at=now)
print(json.dumps(secrets))
"""


def test_two_workers_send_two_endpoints_side_by_side_and_each_in_order(
    site, cluster, workers, slow_receivers
):
    count = 6
    environment = {**site.environment(), "HEADLESS_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1"}
    done = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            QUEUE_TO_TWO_ENDPOINTS.format(
                urls=[server.url for server in slow_receivers], count=count
            ),
        ],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    secrets = json.loads(done.stdout.strip().splitlines()[-1])

    extra = {"HEADLESS_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1"}
    batch = [workers(name, "--batch", **extra) for name in ("one", "two")]
    for worker in batch:
        assert worker.wait(timeout=120) == 0, log_of(worker)[-3000:]

    first, second = slow_receivers
    for server, secret in zip(slow_receivers, secrets, strict=True):
        numbers = [
            Webhook(secret).verify(request["body"], request["headers"])["data"]["number"]
            for request in sorted(server.received, key=lambda request: request["began"])
        ]
        assert numbers == list(range(count))  # each once, in the order queued
        spans = sorted((request["began"], request["ended"]) for request in server.received)
        for (_, ended), (began, _) in zip(spans, spans[1:], strict=False):
            assert began >= ended, "one endpoint's deliveries overlapped"
    overlapping = [
        (a, b)
        for a in first.received
        for b in second.received
        if a["began"] < b["ended"] and b["began"] < a["ended"]
    ]
    # One function at a time (before) sent all twelve one after the other: none overlapped.
    assert len(overlapping) >= count // 2, "the two endpoints' deliveries did not run side by side"
