"""
Two app nodes, one PostgreSQL and one Redis (issue 16; the layout is docs/deploy.md,
section 9): two gunicorn servers on their own ports, each with its own workers and their
memory, sharing the database, the Redis caches and the SECRET_KEY. What one node does,
the other shows from its next request (a comment, a moderation, a page an editor
publishes in the other node's admin); the comment rules' limits hold whichever node a
reader reaches; a node killed mid-load loses no acknowledged comment while the other
keeps serving. Each node runs its own task worker: a webhook endpoint gets each comment
event once, signed, in the order queued, whichever node took the comment (directly or
through one nginx upstream of both), and a worker killed mid-run loses no delivery.

Readers get addresses of their own through X-Forwarded-For (TRUSTED_PROXY_HOPS=1, as
behind the nginx front), so the per-address flood window of one test does not refuse
the next test's comments.
"""

import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from standardwebhooks import Webhook

from tests.management import run_manage
from tests.reliability.servers import REPO, GunicornServer, NginxFront, redis_answers

TIMEOUT = (5, 60)
#: COMMENTS_MIN_SECONDS_TO_POST is 3: a comment sent sooner after its token is held as
#: a bot's.
TOKEN_AGE = 3.2
_addresses = itertools.count(10)


@pytest.fixture(scope="module")
def nodes(reliability_sites):
    if not redis_answers():
        pytest.skip("Redis does not answer on 127.0.0.1:6379; several nodes share it")
    site = reliability_sites.get("postgresql")
    environment = {"COMMENTS_RATE_LIMITS": "on", "TRUSTED_PROXY_HOPS": "1"}
    started = []
    try:
        for _ in range(2):
            started.append(GunicornServer(site, workers=2, extra_environment=environment))
            started[-1].start()
        yield started
    finally:
        for node in started:
            node.stop()


class Reader:
    """One reader: an address of its own, a browser, an email."""

    def __init__(self, email=None, confirmation=""):
        number = next(_addresses)
        self.confirmation = confirmation  # the proof a known reader's app keeps
        self.address = (
            f"203.0.113.{number % 250 + 1}" if number < 250 else f"198.51.100.{number % 250 + 1}"
        )
        self.email = email or f"node-reader-{number}-{time.time_ns()}@reliability.example"
        self.headers = {
            "X-Forwarded-For": self.address,
            "User-Agent": "Mozilla/5.0 (several-nodes test)",
            "Connection": "close",
        }

    def token(self, node):
        response = requests.get(
            node.url(f"/api/v3/comments/form-token/?page={node.site.facts['post_id']}"),
            headers=self.headers,
            timeout=TIMEOUT,
        )
        response.raise_for_status()
        return response.json()["token"]

    def post(self, node, token, body):
        return requests.post(
            node.url("/api/v3/comments/"),
            json={
                "page": node.site.facts["post_id"],
                "author_name": "Node Reader",
                "author_email": self.email,
                "body": body,
                "token": token,
                "confirmation": self.confirmation,
            },
            headers=self.headers,
            timeout=TIMEOUT,
        )

    def comment(self, node, body):
        token = self.token(node)
        time.sleep(TOKEN_AGE)
        response = self.post(node, token, body)
        assert response.status_code == 201, response.text
        return response.json()


def listed_ids(node):
    response = requests.get(
        node.url(f"/api/v3/comments/?page={node.site.facts['post_id']}&limit=50&offset=0"),
        headers={"Connection": "close"},
        timeout=TIMEOUT,
    )
    response.raise_for_status()
    listed = {item["id"] for item in response.json()["items"]}
    total = response.json()["count"]
    if total > 50:
        last = requests.get(
            node.url(
                f"/api/v3/comments/?page={node.site.facts['post_id']}&limit=50&offset={total - 50}"
            ),
            headers={"Connection": "close"},
            timeout=TIMEOUT,
        )
        listed |= {item["id"] for item in last.json()["items"]}
    return listed


def test_a_comment_posted_on_one_node_is_listed_by_the_other_at_once(nodes):
    node_a, node_b = nodes
    facts = node_a.site.wait()
    known = Reader(email=facts["known_emails"][0], confirmation=facts["known_proofs"][0])
    before = listed_ids(node_b)  # node B now holds this answer in its caches

    created = known.comment(node_a, f"Posted on node A at {time.time_ns()}.")

    assert created["status"] == "approved"
    assert created["id"] not in before
    assert created["id"] in listed_ids(node_b)


def test_moderation_on_one_node_replaces_the_other_nodes_cached_answers(nodes):
    node_a, node_b = nodes
    moderator = node_a.site.wait()["moderators"][0]
    created = Reader().comment(node_a, f"A first comment, held ({time.time_ns()}).")
    assert created["status"] == "pending"
    assert created["id"] not in listed_ids(node_a)  # cached on node A without it

    approved = requests.post(
        node_b.url(f"/api/v3/comments/moderation/{created['id']}/actions/approve/"),
        headers={"Authorization": f"Bearer {moderator['token']}", "Connection": "close"},
        timeout=TIMEOUT,
    )

    assert approved.status_code == 200, approved.text
    assert created["id"] in listed_ids(node_a)


def test_a_form_token_and_the_flood_window_hold_across_nodes(nodes):
    node_a, node_b = nodes
    reader = Reader()
    token = reader.token(node_a)
    time.sleep(TOKEN_AGE)
    assert reader.post(node_a, token, "Sent once, through node A.").status_code == 201

    replay = reader.post(node_b, token, "The same token, replayed through node B.")
    assert replay.status_code == 422, replay.text
    assert "already sent a comment" in replay.text

    # Same address, another email, a fresh token from node B: the address's window,
    # opened on node A, refuses it.
    other = Reader()
    other.address = reader.address
    other.headers["X-Forwarded-For"] = reader.address
    fresh = other.token(node_b)
    time.sleep(TOKEN_AGE)
    flooded = other.post(node_b, fresh, "Too soon from the same address, through node B.")
    assert flooded.status_code == 429, flooded.text


@pytest.fixture
def node_a_comes_back(nodes):
    """The module's later tests need both nodes: a node a test kills starts again (on a
    port of its own) once that test is done."""
    yield
    nodes[0].stop()
    nodes[0].start()


def test_killing_one_node_mid_load_loses_no_acknowledged_comment(
    nodes, node_a_comes_back, reliability_report
):
    node_a, node_b = nodes
    database = node_a.site.database
    readers = [Reader() for _ in range(16)]
    targets = [node_a if number % 2 else node_b for number in range(len(readers))]
    tokens = [reader.token(node) for reader, node in zip(readers, targets, strict=True)]
    time.sleep(TOKEN_AGE)
    acknowledged_on_a = threading.Event()
    killed_at = {}

    def send(number):
        reader, node, token = readers[number], targets[number], tokens[number]
        if node is node_a and number > 8:
            acknowledged_on_a.wait(30)  # the later half of A's comments meet the kill
        try:
            response = reader.post(node, token, f"Comment {number} under a node kill.")
        except requests.RequestException as error:
            return number, node, None, str(error)
        if node is node_a and response.status_code == 201:
            acknowledged_on_a.set()
        return number, node, response.status_code, response.text

    def kill_node_a():
        acknowledged_on_a.wait(30)
        os.killpg(node_a.process.pid, signal.SIGKILL)
        killed_at["at"] = time.monotonic()

    killer = threading.Thread(target=kill_node_a)
    killer.start()
    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(send, range(len(readers))))
    killer.join(60)

    acknowledged = [o for o in outcomes if o[2] == 201]
    stored = {
        email
        for (email,) in database.query(
            "SELECT author_email FROM comments_comment WHERE author_email = ANY(%s)",
            ([reader.email for reader in readers],),
        )
    }
    reliability_report.append(
        f"two nodes, node A killed: {len(acknowledged)} of {len(outcomes)} acknowledged, "
        f"{sum(1 for o in outcomes if o[2] is None)} lost connection(s) on node A"
    )
    assert "at" in killed_at, "node A acknowledged nothing before the kill"
    for number, _node, _status, _text in acknowledged:
        assert readers[number].email in stored, f"acknowledged comment {number} is not stored"
    on_b = [o for o in outcomes if o[1] is node_b]
    assert all(o[2] == 201 for o in on_b), [o for o in on_b if o[2] != 201]
    failed = [o for o in outcomes if o[2] is not None and o[2] >= 500]
    assert not failed, failed
    # Node B keeps serving after node A is gone.
    assert Reader().comment(node_b, "After node A died, through node B.")["id"]


ADD_EDITOR = """
from django.contrib.auth import get_user_model
get_user_model().objects.create_superuser({username!r}, "editor@reliability.example", {password!r})
"""
DRAFT_TITLE = """
from blog.models import BlogPostPage
post = BlogPostPage.objects.get(pk={post_id})
post.title = {title!r}
post.save_revision()
"""


def manage_shell(site, code, **environment):
    result = run_manage("shell", "-c", code, environment={**site.environment(), **environment})
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""


class AdminSession:
    """An editor signed in to one node's Wagtail admin. Production's cookies are Secure,
    which a client keeps to HTTPS; the tests' nodes speak HTTP, so they are sent by hand."""

    def __init__(self, node):
        self.node = node
        self.cookies = {}

    def request(self, method, path, **arguments):
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        response = requests.request(
            method,
            self.node.url(path),
            headers={"Connection": "close", "Cookie": cookie},
            allow_redirects=False,
            timeout=TIMEOUT,
            **arguments,
        )
        self.cookies.update({cookie.name: cookie.value for cookie in response.cookies})
        return response

    def form_token(self, path):
        page = self.request("GET", path)
        assert page.status_code == 200, page.text[-2000:]
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)

    def sign_in(self, username, password):
        token = self.form_token("/admin/login/")
        signed_in = self.request(
            "POST",
            "/admin/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        )
        assert signed_in.status_code == 302, signed_in.text[-2000:]

    def publish(self, page_id):
        """Wagtail's bulk "Publish" on the page's latest revision, as an editor clicks it."""
        path = f"/admin/bulk/wagtailcore/page/publish/?id={page_id}"
        published = self.request("POST", path, data={"csrfmiddlewaretoken": self.form_token(path)})
        assert published.status_code == 302, published.text[-2000:]


def page_html(node):
    response = requests.get(
        node.url(node.site.facts["post_path"]), headers={"Connection": "close"}, timeout=TIMEOUT
    )
    assert response.status_code == 200
    return response.text


def api_title(node):
    response = requests.get(
        node.url(f"/api/v2/pages/{node.site.facts['post_id']}/"),
        headers={"Connection": "close"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200
    return response.json()["title"]


def test_publishing_on_one_node_replaces_the_other_nodes_cached_page_and_api_answer(nodes):
    node_a, node_b = nodes
    site = node_a.site
    password = f"pw-{time.time_ns()}"
    manage_shell(site, ADD_EDITOR.format(username="node-editor", password=password))
    old_title = api_title(node_a)
    assert old_title in page_html(node_a) and old_title in page_html(node_a)  # cached now
    assert api_title(node_a) == old_title

    new_title = f"Evidence republished on node B {time.time_ns()}"
    manage_shell(site, DRAFT_TITLE.format(post_id=site.facts["post_id"], title=new_title))
    assert new_title not in page_html(node_a)  # a draft changes nothing readers see
    editor = AdminSession(node_b)
    editor.sign_in("node-editor", password)
    editor.publish(site.facts["post_id"])

    assert new_title in page_html(node_a)
    assert api_title(node_a) == new_title
    assert new_title in page_html(node_b)
    manage_shell(site, DRAFT_TITLE.format(post_id=site.facts["post_id"], title=old_title))
    editor.publish(site.facts["post_id"])


ADD_ENDPOINT = """
import json
from headless.models import WebhookEndpoint
from headless.signing import new_secret
endpoint = WebhookEndpoint.objects.create(
    url={url!r}, secret=new_secret(), events=["comment.created"]
)
print(json.dumps({{"id": endpoint.pk, "secret": endpoint.secret}}))
"""
REMOVE_ENDPOINT = """
from headless.models import WebhookEndpoint
WebhookEndpoint.objects.filter(pk={endpoint_id}).delete()
"""
#: A task whose worker died is queued again after this long (settings read it from the
#: environment); the time limit must stay below it.
WORKER_LIMITS = {"TASKS_TIME_LIMIT_SECONDS": "2", "TASKS_RECLAIM_AFTER_SECONDS": "3"}


@pytest.fixture
def endpoint(nodes, receiver):
    site = nodes[0].site
    added = json.loads(manage_shell(site, ADD_ENDPOINT.format(url=receiver.url)))
    yield added
    manage_shell(site, REMOVE_ENDPOINT.format(endpoint_id=added["id"]))


@contextmanager
def task_workers(nodes, directory):
    """One ``manage.py db_worker`` per node, as each node's systemd unit runs it."""
    started = []
    try:
        for number, node in enumerate(nodes):
            log = open(Path(directory) / f"worker-{number}.log", "wb")  # noqa: SIM115
            process = subprocess.Popen(
                [sys.executable, "manage.py", "db_worker", "--worker-id", f"node-{number}"]
                + ["--interval", "0.1", "--no-startup-delay"],
                cwd=REPO,
                env={
                    **node.site.environment(),
                    "HEADLESS_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1",
                    **WORKER_LIMITS,
                },
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            process.log_file = log
            started.append(process)
        yield started
    finally:
        for process in started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=15)
            process.log_file.close()


@pytest.fixture
def node_workers(nodes, tmp_path):
    with task_workers(nodes, tmp_path) as started:
        yield started


def deliveries(database, endpoint_id):
    """The endpoint's deliveries in the order their tasks were queued."""
    return database.query(
        "SELECT d.message_id, d.status FROM headless_webhookdelivery d"
        " JOIN django_tasks_database_dbtaskresult t"
        " ON t.task_path = 'headless.delivery.deliver_webhook'"
        " AND (t.args_kwargs -> 'args' ->> 0)::int = d.id"
        " WHERE d.endpoint_id = %s GROUP BY d.id ORDER BY min(t.enqueued_at)",
        [endpoint_id],
    )


def wait_for_deliveries(database, endpoint_id, count, seconds):
    deadline = time.monotonic() + seconds
    while True:
        rows = deliveries(database, endpoint_id)
        if len(rows) >= count and all(status == "delivered" for _, status in rows):
            return rows
        assert time.monotonic() < deadline, f"not all delivered after {seconds} s: {rows}"
        time.sleep(0.2)


def post_on_both_nodes(nodes, count):
    """``count`` comments from readers of their own, taking turns between ``nodes``."""
    readers = [Reader() for _ in range(count)]
    targets = [nodes[number % len(nodes)] for number in range(count)]
    tokens = [reader.token(node) for reader, node in zip(readers, targets, strict=True)]
    time.sleep(TOKEN_AGE)
    for number, (reader, node, token) in enumerate(zip(readers, targets, tokens, strict=True)):
        response = reader.post(node, token, f"Webhook comment {number} across two nodes.")
        assert response.status_code == 201, response.text


def test_each_nodes_worker_delivers_every_comment_event_once_signed_and_in_order(
    nodes, node_workers, endpoint, receiver
):
    database = nodes[0].site.database
    post_on_both_nodes(nodes, 8)

    assert_delivered_once_in_order(database, endpoint, receiver, 8)
    sent_by = database.query(
        "SELECT DISTINCT worker_ids ->> 0 FROM django_tasks_database_dbtaskresult"
        " WHERE task_path = 'headless.delivery.deliver_webhook' AND status = 'SUCCESSFUL'"
    )
    assert {worker for (worker,) in sent_by} <= {"node-0", "node-1"}


def assert_delivered_once_in_order(database, endpoint, receiver, count):
    rows = wait_for_deliveries(database, endpoint["id"], count, seconds=60)
    received = [request["headers"]["webhook-id"] for request in receiver.received]
    assert received == [message_id for message_id, _ in rows]  # once each, in queue order
    for request in receiver.received:
        payload = Webhook(endpoint["secret"]).verify(request["body"], request["headers"])
        assert payload["type"] == "comment.created"


def test_killing_one_nodes_worker_mid_run_loses_no_delivery(
    nodes, node_workers, endpoint, receiver, reliability_report
):
    database = nodes[0].site.database
    receiver.answers = [("sleep", 0.3)] * 12  # slow enough that the kill meets a send
    posting = threading.Thread(target=post_on_both_nodes, args=(nodes, 12))
    posting.start()
    deadline = time.monotonic() + 60
    while len(receiver.received) < 2:
        assert time.monotonic() < deadline, "no delivery arrived"
        time.sleep(0.05)
    os.killpg(node_workers[0].pid, signal.SIGKILL)
    posting.join(120)

    # A delivery held by the dead worker is sent once its hold (three send timeouts and
    # 30 s) has run out.
    rows = wait_for_deliveries(database, endpoint["id"], 12, seconds=150)

    received = [request["headers"]["webhook-id"] for request in receiver.received]
    assert set(received) == {message_id for message_id, _ in rows}
    for request in receiver.received:
        Webhook(endpoint["secret"]).verify(request["body"], request["headers"])
    reliability_report.append(
        f"two nodes, one worker killed: {len(rows)} deliveries, all delivered;"
        f" {len(received) - len(set(received))} sent twice (same webhook-id, for the"
        " receiver to drop)"
    )


@pytest.fixture(scope="module")
def front_of_both(reliability_sites):
    """nginx (deploy/nginx.conf) with an upstream of two nodes of one worker each. The
    front sets X-Forwarded-For to the address it saw, 127.0.0.1 for every reader here,
    so these nodes run with the comment rules off (as the other reliability sites do)."""
    if shutil.which("nginx") is None:
        pytest.skip("nginx is not installed (apt-get install nginx); the front needs it")
    site = reliability_sites.get("postgresql")
    directory = tempfile.mkdtemp(prefix="cms-front-of-two-nodes-")  # nginx's user reads it
    started, front = [], None
    try:
        for _ in range(2):
            started.append(GunicornServer(site, workers=1))
            started[-1].start()
        front = NginxFront(started[0], directory, started[1:])
        front.start()
        yield front
    finally:
        if front is not None:
            front.stop()
        for node in started:
            node.stop()
        shutil.rmtree(directory, ignore_errors=True)


def test_comments_through_one_nginx_upstream_of_two_nodes_are_delivered_once_in_order(
    front_of_both, receiver, tmp_path
):
    site = front_of_both.site
    database = site.database
    added = json.loads(manage_shell(site, ADD_ENDPOINT.format(url=receiver.url)))
    try:
        with task_workers(front_of_both.servers, tmp_path):
            post_on_both_nodes([front_of_both], 8)
            assert_delivered_once_in_order(database, added, receiver, 8)
    finally:
        manage_shell(site, REMOVE_ENDPOINT.format(endpoint_id=added["id"]))
