"""
Two app nodes, one PostgreSQL and one Redis (issue 16; the layout is docs/deploy.md,
section 9): two gunicorn servers on their own ports, each with its own workers and their
memory, sharing the database, the Redis caches and the SECRET_KEY. What one node does,
the other shows from its next request; the comment rules' limits hold whichever node a
reader reaches; and a node killed mid-load loses no acknowledged comment while the other
keeps serving.

Readers get addresses of their own through X-Forwarded-For (TRUSTED_PROXY_HOPS=1, as
behind the nginx front), so the per-address flood window of one test does not refuse
the next test's comments.
"""

import itertools
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.reliability.servers import GunicornServer, redis_answers

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


def test_killing_one_node_mid_load_loses_no_acknowledged_comment(nodes, reliability_report):
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
