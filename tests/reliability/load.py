"""
Many readers posting comments at once, through the JSON API and the reader form, with
every answer recorded so a test can compare what the server acknowledged with what the
database holds.

A reader is a thread. It fetches a form token once (for the form, from the post page; a
reader without a session needs no CSRF token), then posts its comments one after the
other; some are replies to comments that are already approved. Every request has a
timeout and the whole load a deadline; a reader that runs out of time stops and its
unsent comments are reported.
"""

import itertools
import random
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from django.conf import settings

import requests

#: (connect, read) seconds. A write can wait up to SQLite's 20 s busy timeout.
REQUEST_TIMEOUT = (5, 45)
#: What the API and the reader form answer when they refuse a comment (see their docs).
DOCUMENTED_REFUSALS = {400, 403, 409, 422, 429}
ACKNOWLEDGED = {201, 303}
LOCKED = "database is locked"
#: How a request ends when its worker dies: before the answer (ConnectionError) or after
#: the headers, in the middle of the body (ChunkedEncodingError, "IncompleteRead").
BROKEN_CONNECTION = (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)
USER_AGENT = "evidence-notes-reliability-test"
#: The cookie of a browser that confirmed its reader's address (blog.comments.verification).
CONFIRMED_COOKIE = "comment_confirmed"

FORM_TOKEN_INPUT = re.compile(r'name="token" value="([^"]+)"')


@dataclass
class Outcome:
    """One comment a reader tried to post, and what became of it."""

    reader: int
    number: int
    channel: str
    body: str
    email: str
    parent: int | None
    status: int | None = None
    error: str = ""
    retry_status: int | None = None
    sent_at: float | None = None
    answered_at: float | None = None
    comment_id: int | None = None
    comment_status: str = ""
    mentions_locked: bool = False
    detail: str = ""

    @property
    def acknowledged(self):
        return self.status in ACKNOWLEDGED


@dataclass
class LoadReport:
    outcomes: list
    seconds: float
    unfinished_readers: int = 0
    setup_errors: list = field(default_factory=list)

    def statuses(self):
        return Counter(
            outcome.status if outcome.status is not None else "no response"
            for outcome in self.outcomes
        )

    def acknowledged(self):
        return [outcome for outcome in self.outcomes if outcome.acknowledged]

    def latencies(self):
        """Median, 95th percentile and slowest answer, in seconds."""
        times = sorted(
            outcome.answered_at - outcome.sent_at
            for outcome in self.outcomes
            if outcome.status is not None
        )
        if not times:
            return 0.0, 0.0, 0.0
        return times[len(times) // 2], times[int(len(times) * 0.95)], times[-1]

    def summary(self):
        channels = Counter(outcome.channel for outcome in self.outcomes)
        replies = sum(1 for outcome in self.outcomes if outcome.parent)
        median, p95, slowest = self.latencies()
        return (
            f"{len(self.outcomes)} comments sent ({dict(channels)}, {replies} replies) in "
            f"{self.seconds:.1f} s; answers {dict(self.statuses())}; answer time median "
            f"{median:.2f} s, p95 {p95:.2f} s, max {slowest:.2f} s"
        )


class ReplyTargets:
    """Approved comments a reply may go to, shallow enough that a reply to them is allowed."""

    def __init__(self, approved_ids):
        self._depth = dict.fromkeys(approved_ids, 0)
        self._lock = threading.Lock()

    def add(self, comment_id, depth):
        if depth + 1 < settings.COMMENTS_MAX_DEPTH - 1:
            with self._lock:
                self._depth[comment_id] = depth

    def pick(self, rng):
        with self._lock:
            comment_id = rng.choice(sorted(self._depth))
            return comment_id, self._depth[comment_id]


class CommentLoad:
    def __init__(
        self,
        server,
        *,
        readers,
        comments_each,
        label,
        deadline_seconds,
        reply_every=4,
        form_every=5,
        retry_lost_connections=True,
    ):
        self.server = server
        self.facts = server.site.wait()
        self.readers = readers
        self.comments_each = comments_each
        self.label = label
        self.deadline_seconds = deadline_seconds
        self.reply_every = reply_every
        self.form_every = form_every
        self.retry_lost_connections = retry_lost_connections
        self.targets = ReplyTargets(self.facts["approved_ids"])
        self._outcomes = []
        self._lock = threading.Lock()
        self._answered = threading.Condition(self._lock)
        self._answered_count = 0
        self._readers_set_up = 0
        self._deadline = None
        self._setup_errors = []

    # What a reader does

    def email_for(self, reader):
        """Readers below the number of known emails are trusted (their comments publish at
        once, so the load can reply to them); the others' comments wait for moderation."""
        known = self.facts["known_emails"]
        return known[reader] if reader < len(known) else f"new{reader}@reliability.example"

    def _get(self, path, **kwargs):
        return requests.get(
            self.server.url(path),
            timeout=REQUEST_TIMEOUT,
            headers={"User-Agent": USER_AGENT},
            allow_redirects=False,
            **kwargs,
        )

    def _form_context(self):
        page = self._get(self.facts["post_path"])
        page.raise_for_status()
        return {"form_token": FORM_TOKEN_INPUT.search(page.text).group(1)}

    def _reader(self, reader):
        rng = random.Random(f"{self.label}-{reader}")
        try:
            token = self._get(f"/api/v3/comments/form-token/?page={self.facts['post_id']}").json()[
                "token"
            ]
            form = self._form_context()
        except (requests.RequestException, ValueError, KeyError, AttributeError) as error:
            with self._answered:
                self._setup_errors.append(f"reader {reader}: {error!r}")
                self._readers_set_up += 1
                self._answered.notify_all()
            return
        with self._answered:
            self._readers_set_up += 1
            self._answered.notify_all()
        email = self.email_for(reader)
        for number in range(self.comments_each):
            if time.monotonic() > self._deadline:
                return
            parent, depth = None, None
            if number % self.reply_every == self.reply_every - 1:
                parent, depth = self.targets.pick(rng)
            channel = "form" if number % self.form_every == self.form_every - 1 else "api"
            outcome = Outcome(
                reader=reader,
                number=number,
                channel=channel,
                body=(
                    f"{self.label} reader {reader:02d} comment {number:03d}: the cramp eased "
                    "after the second session, though the evidence is thin."
                ),
                email=email,
                parent=parent,
            )
            self._send(outcome, token, form)
            if outcome.comment_status == "approved":
                self.targets.add(outcome.comment_id, depth + 1 if parent else 0)
            with self._answered:
                self._outcomes.append(outcome)
                if outcome.acknowledged:
                    self._answered_count += 1
                    self._answered.notify_all()

    def _send(self, outcome, token, form):
        outcome.sent_at = time.monotonic()
        try:
            response = self._post(outcome, token, form)
        except BROKEN_CONNECTION as error:
            outcome.error = repr(error)
            outcome.answered_at = time.monotonic()
            if self.retry_lost_connections:
                try:
                    outcome.retry_status = self._post(outcome, token, form).status_code
                except requests.RequestException as retry_error:
                    outcome.error += f"; retry: {retry_error!r}"
            return
        except requests.RequestException as error:
            outcome.error = repr(error)
            outcome.answered_at = time.monotonic()
            return
        outcome.answered_at = time.monotonic()
        outcome.status = response.status_code
        outcome.mentions_locked = LOCKED in response.text
        if outcome.channel == "api" and response.status_code == 201:
            created = response.json()
            outcome.comment_id, outcome.comment_status = created["id"], created["status"]
        elif outcome.channel == "form" and response.status_code == 303:
            anchor = response.headers.get("Location", "").rpartition("#comment-")[2]
            outcome.comment_id = int(anchor) if anchor.isdigit() else None
        elif not outcome.acknowledged:
            outcome.detail = response.text[:500]

    def _post(self, outcome, token, form):
        headers = {"User-Agent": USER_AGENT}
        if outcome.channel == "api":
            return requests.post(
                self.server.url("/api/v3/comments/"),
                json={
                    "page": self.facts["post_id"],
                    "parent": outcome.parent,
                    "author_name": f"Reader {outcome.reader}",
                    "author_email": outcome.email,
                    "body": outcome.body,
                    "token": token,
                    "confirmation": self.proof_for(outcome.email),
                },
                headers=headers,
                timeout=REQUEST_TIMEOUT,
            )
        # A browser without a session, on this site: no CSRF token (blog.comments.forgery).
        headers["Origin"] = self.server.base_url
        return requests.post(
            self.server.url(f"/comments/post/{self.facts['post_id']}/"),
            data={
                "author_name": f"Reader {outcome.reader}",
                "author_email": outcome.email,
                "author_url": "",
                "body": outcome.body,
                "parent": outcome.parent or "",
                "token": form["form_token"],
                "homepage": "",
            },
            headers=headers,
            cookies={CONFIRMED_COOKIE: self.proof_for(outcome.email)},
            timeout=REQUEST_TIMEOUT,
            allow_redirects=False,
        )

    def proof_for(self, email):
        """A known reader's browser or app has confirmed their address; others have not."""
        proofs = dict(zip(self.facts["known_emails"], self.facts["known_proofs"], strict=True))
        return proofs.get(email, "")

    # Running it

    def wait_until_set_up(self, seconds):
        """Block until every reader has its form token and page (and only posts from
        then on); False if that took too long."""
        with self._answered:
            return self._answered.wait_for(lambda: self._readers_set_up >= self.readers, seconds)

    def wait_for_acknowledged(self, count, seconds):
        """Block until ``count`` comments were acknowledged; False if that took too long."""
        with self._answered:
            return self._answered.wait_for(lambda: self._answered_count >= count, seconds)

    def run(self, during=None):
        """Post everything; ``during(load)`` runs in the calling thread meanwhile."""
        started = time.monotonic()
        self._deadline = started + self.deadline_seconds
        with ThreadPoolExecutor(max_workers=self.readers, thread_name_prefix="reader") as pool:
            futures = [pool.submit(self._reader, reader) for reader in range(self.readers)]
            if during:
                during(self)
            # The readers stop sending at the deadline; a last request may still be
            # waiting for its answer, for at most the read timeout.
            _done, unfinished = wait(futures, timeout=self.deadline_seconds + REQUEST_TIMEOUT[1])
            for future in futures:
                if future.done() and future.exception():
                    raise future.exception()
        return LoadReport(
            outcomes=sorted(self._outcomes, key=lambda o: (o.reader, o.number)),
            seconds=time.monotonic() - started,
            unfinished_readers=len(unfinished),
            setup_errors=self._setup_errors,
        )


def stored_comments(database, label):
    """``body -> [(id, parent_id, status)]`` of the comments this load's label wrote."""
    rows = database.query(
        "SELECT id, body, parent_id, status FROM comments_comment WHERE body LIKE %s",
        (f"{label} %",),
    )
    stored = {}
    for comment_id, body, parent_id, status in rows:
        stored.setdefault(body, []).append((comment_id, parent_id, status))
    return stored


def run_label(prefix):
    return f"{prefix}-{next(_labels)}-{random.randrange(16**6):06x}"


_labels = itertools.count(1)
