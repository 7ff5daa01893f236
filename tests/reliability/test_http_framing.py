"""
Every public route as HTTP carries it: fetched from gunicorn (production settings) and from
``deploy/nginx.conf`` in front of it by a client that reads the bytes off the socket itself.

Django's test client hands the test the response object, so it cannot see a
``Content-Length`` that disagrees with the body: gunicorn sends only that many bytes (the
page ends mid-footer) and, on a kept-alive connection, the rest would be read as the start
of the next response. Here each body must be exactly ``Content-Length`` bytes, nothing may
follow it on the connection, and every HTML page must end in ``</html>``; once on a cold
cache (each page rendered for the first time) and once warm (served from the page cache).
"""

import json
import os
import re
import select
import shutil
import socket
import tempfile
import time
import uuid
from contextlib import closing, suppress
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest

from deploy.nginx import nginx_binary
from tests.management import run_manage
from tests.reliability.servers import LOOPBACK, GunicornServer, NginxFront

SOCKET_SECONDS = 30
#: How long a connection must stay silent after a whole response: bytes that arrive
#: unasked are the tail of a body longer than its Content-Length.
QUIET_SECONDS = 0.05
FORM_TOKEN = re.compile(r'<input[^>]*\bname="token"[^>]*\bvalue="([^"]+)"')

#: Adds, once per site, what the routes need beyond the seed: a post nobody has commented
#: on, and one with more threads than fit a page of comments (so ``?cpage=2`` exists), a
#: reply among them. Run as ``manage.py shell`` against the site's own database.
ADD_POSTS = """
import json
from django.conf import settings
from blog.models import BlogIndexPage, BlogPostPage
from tests.conftest import build_post
from tests.reliability.prepare_site import approved_comment

index = BlogIndexPage.objects.get()
quiet = BlogPostPage.objects.filter(slug="framing-quiet").first()
if quiet is None:
    quiet = build_post(index, 9001, slug="framing-quiet", title="A post without comments")
busy = BlogPostPage.objects.filter(slug="framing-busy").first()
if busy is None:
    busy = build_post(index, 9002, slug="framing-busy", title="A post with two pages of threads")
    for number in range(settings.COMMENTS_THREADS_PER_PAGE + 1):
        approved_comment(busy, 9000 + number)
    first = busy.comments.order_by("pk").first()
    reply = approved_comment(busy, 8999)
    reply.parent = first
    reply.save()
    reply.set_thread_position()
seed = BlogPostPage.objects.live().exclude(slug__startswith="framing-").first()
print(json.dumps({
    "quiet_path": quiet.url,
    "busy_path": busy.url,
    "busy_id": busy.pk,
    "index_path": index.url,
    "tag": seed.tags.first().slug,
    "search_word": seed.title.split()[0],
}))
"""


@dataclass
class Answer:
    """One response as read off the wire."""

    path: str
    status: int
    headers: dict
    body: bytes
    notes: list = field(default_factory=list)

    @property
    def text(self):
        return self.body.decode("utf-8", errors="replace")

    def describe(self):
        return (
            f"{self.path} -> {self.status}, Content-Length {self.headers.get('content-length')}"
            f", {len(self.body)} bytes read, ends {self.body[-60:]!r}"
        )


class FramingError(AssertionError):
    pass


class WireClient:
    """HTTP/1.1 over one kept-alive socket, reading exactly what the framing announces
    and then checking that nothing else is waiting on the connection."""

    def __init__(self, port):
        self.port = port
        self.host = f"{LOOPBACK}:{port}"
        self.sock = None
        self.buffer = b""

    def _connect(self):
        self.sock = socket.create_connection((LOOPBACK, self.port), timeout=SOCKET_SECONDS)
        self.buffer = b""

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def _recv(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError
        self.buffer += chunk

    def _read_exactly(self, size):
        while len(self.buffer) < size:
            try:
                self._recv()
            except EOFError:
                raise FramingError(
                    f"connection closed after {len(self.buffer)} of {size} announced bytes"
                ) from None
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def _read_line(self):
        while b"\r\n" not in self.buffer:
            try:
                self._recv()
            except EOFError:
                raise FramingError(
                    f"connection closed inside a header line: {self.buffer[:200]!r}"
                ) from None
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def _read_to_close(self):
        while True:
            try:
                self._recv()
            except (EOFError, ConnectionResetError):
                break
        data, self.buffer = self.buffer, b""
        return data

    def _leftover_after_body(self):
        """Bytes already waiting, or arriving within QUIET_SECONDS, after a whole response."""
        readable, _, _ = select.select([self.sock], [], [], QUIET_SECONDS)
        if readable:
            with suppress(EOFError, ConnectionResetError):
                self._recv()
        data, self.buffer = self.buffer, b""
        return data

    def request(self, method, path, headers=None, body=b""):
        if self.sock is None:
            self._connect()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}", "Accept-Encoding: identity"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

        status_line = self._read_line()
        if not re.fullmatch(rb"HTTP/1\.[01] \d{3}( .*)?", status_line):
            raise FramingError(
                f"{path}: the response does not start with a status line but "
                f"{status_line[:120]!r} (the tail of an earlier body?)"
            )
        version, status = status_line.split(b" ")[:2]
        headers_in = {}
        while line := self._read_line():
            name, _, value = line.decode("latin-1").partition(":")
            headers_in[name.strip().lower()] = value.strip()

        answer = Answer(path, int(status), headers_in, b"")
        if method == "HEAD" or answer.status in (204, 304):
            pass
        elif headers_in.get("transfer-encoding", "").lower() == "chunked":
            answer.body = self._read_chunked()
        elif "content-length" in headers_in:
            answer.body = self._read_exactly(int(headers_in["content-length"]))
        else:
            answer.body = self._read_to_close()
            answer.notes.append("no Content-Length: body read to the end of the connection")

        closing_connection = (
            headers_in.get("connection", "").lower() == "close" or version == b"HTTP/1.0"
        )
        leftover = self._read_to_close() if closing_connection else self._leftover_after_body()
        if leftover:
            raise FramingError(
                f"{answer.describe()}\n{len(leftover)} more bytes followed the announced body: "
                f"{leftover[:200]!r}"
            )
        if closing_connection:
            self.close()
        return answer

    def _read_chunked(self):
        body = b""
        while True:
            size = int(self._read_line().split(b";")[0], 16)
            if size == 0:
                while self._read_line():
                    pass
                return body
            body += self._read_exactly(size)
            if self._read_exactly(2) != b"\r\n":
                raise FramingError("a chunk is longer than its announced size")


@dataclass
class Route:
    name: str
    path: str
    method: str = "GET"
    #: Filled in from an earlier answer (a token), so built when the route is fetched.
    build_body: object = None
    content_type: str = ""
    statuses: tuple = (200,)


def routes(facts):
    post_id, busy_id = facts["post_id"], facts["busy_id"]
    post_path, quiet_path = facts["post_path"], facts["quiet_path"]
    index_path = facts["index_path"]
    return [
        Route("home", "/"),
        Route("blog index", index_path),
        Route("blog index by tag", f"{index_path}?tag={facts['tag']}"),
        Route("tag page", f"{index_path}tags/{facts['tag']}/"),
        Route("post with comments", post_path),
        Route("post without comments", quiet_path),
        Route("post with two pages of threads", facts["busy_path"]),
        Route("later page of threads", f"{facts['busy_path']}?cpage=2"),
        Route("search with results", f"/search/?q={facts['search_word']}"),
        Route("search without results", "/search/?q=zqxjkvbw"),
        Route("RSS feed", f"{index_path}feed/rss/"),
        Route("Atom feed", f"{index_path}feed/atom/"),
        Route(
            "comments feed", f"{index_path}feed/comments/{post_path.rstrip('/').split('/')[-1]}/"
        ),
        Route("sitemap", "/sitemap.xml"),
        Route("sitemap page", "/sitemap-pages.xml"),
        Route("robots", "/robots.txt"),
        Route("API v2 pages", "/api/v2/pages/?type=blog.BlogPostPage&fields=*"),
        Route("API v2 page", f"/api/v2/pages/{post_id}/"),
        Route("API v2 images", "/api/v2/images/"),
        Route("API v3 pages", "/api/v3/pages/"),
        Route("API v3 page", f"/api/v3/pages/{post_id}/"),
        Route("API v3 posts", "/api/v3/posts/"),
        Route("API v3 comments", f"/api/v3/comments/?page={post_id}"),
        Route("API v3 comment counts", f"/api/v3/comments/counts/?page={post_id}&page={busy_id}"),
        Route("API v3 comment", f"/api/v3/comments/{facts['approved_ids'][0]}/"),
        Route("API v3 missing page", "/api/v3/pages/999999/", statuses=(404,)),
        Route("OpenAPI", "/api/v3/openapi.json"),
        Route("form token", f"/api/v3/comments/form-token/?page={post_id}"),
    ]


def comment_posts(client, facts, label):
    """The comment form's POST (a 303 when accepted, the page with errors when not) and the
    API's, each with a token fetched just before, as a reader's browser or an app would."""
    post_id = facts["post_id"]
    page = client.request("GET", facts["post_path"])
    token = FORM_TOKEN.search(page.text)
    if token is None:
        raise FramingError(f"{page.describe()}: the post page has no comment form token")
    token = token[1]
    origin = {"Origin": f"http://{client.host}"}
    form = {
        "author_name": "Framing Reader",
        "author_email": facts["known_emails"][2],
        "author_url": "",
        "body": f"Checked on the wire ({label}) {uuid.uuid4().hex}",
        "token": token,
        "homepage": "",
    }
    form_headers = {
        **origin,
        "Content-Type": "application/x-www-form-urlencoded",
        # The known reader's browser confirmed their address (blog.comments.verification).
        "Cookie": f"comment_confirmed={facts['known_proofs'][2]}",
    }
    accepted = client.request(
        "POST", f"/comments/post/{post_id}/", form_headers, urlencode(form).encode()
    )
    refused = client.request(
        "POST",
        f"/comments/post/{post_id}/",
        form_headers,
        urlencode({**form, "author_url": "not a website", "body": ""}).encode(),
    )
    api_token = json.loads(
        client.request("GET", f"/api/v3/comments/form-token/?page={post_id}").body
    )["token"]
    created = client.request(
        "POST",
        "/api/v3/comments/",
        {"Content-Type": "application/json"},
        json.dumps(
            {
                "page": post_id,
                "author_name": "Framing Reader",
                "author_email": facts["known_emails"][3],
                "body": f"Checked on the wire through the API ({label}) {uuid.uuid4().hex}",
                "token": api_token,
                "confirmation": facts["known_proofs"][3],
            }
        ).encode(),
    )
    return [(accepted, (303,)), (refused, (400,)), (created, (201,))]


def fetch_everything(port, facts, label, with_posts=False):
    """Every route on one kept-alive connection (a new one whenever the server closes it),
    then, ``with_posts``, the comment POSTs. Returns the answers and the problems found,
    each problem one line."""
    problems, answers = [], []
    client = WireClient(port)
    try:
        checks = []
        for route in routes(facts):
            try:
                checks.append((client.request(route.method, route.path), route.statuses))
            except (FramingError, OSError) as error:
                problems.append(f"{label} {route.name} {route.path}: {error}")
                client.close()
        if with_posts:
            try:
                checks += comment_posts(client, facts, label)
            except (FramingError, OSError) as error:
                problems.append(f"{label} comment POSTs: {error}")
                client.close()
    finally:
        client.close()
    for answer, statuses in checks:
        answers.append(answer)
        if answer.status not in statuses:
            problems.append(f"{label} {answer.describe()}: expected status {statuses}")
        if answer.notes:
            problems.append(f"{label} {answer.describe()}: {'; '.join(answer.notes)}")
        is_page = answer.headers.get("content-type", "").startswith("text/html")
        if (
            is_page
            and not 300 <= answer.status < 400
            and not answer.body.rstrip().endswith(b"</html>")
        ):
            problems.append(f"{label} {answer.describe()}: the HTML does not end in </html>")
    return answers, problems


def assert_whole(port, facts, label):
    cold, cold_problems = fetch_everything(port, facts, f"[{label}, cold]")
    # A comment changes the pages it is on, so the POSTs come after the warm pass (their
    # own GET of the post is a cache miss again).
    warm, warm_problems = fetch_everything(port, facts, f"[{label}, warm]", with_posts=True)
    problems = cold_problems + warm_problems
    assert not problems, "\n".join(problems)
    return cold, warm


def add_framing_posts(site):
    result = run_manage("shell", "-c", ADD_POSTS, environment=site.environment())
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def framing_facts():
    """Facts per site, so the posts are added once even when both tests use the site."""
    return {}


def site_facts(site, framing_facts):
    if site.backend not in framing_facts:
        site.wait()
        framing_facts[site.backend] = {**site.facts, **add_framing_posts(site)}
    return framing_facts[site.backend]


def fresh_server(site, name, **extra):
    """A gunicorn of its own cache namespace (under the site's, so the site's cleanup takes
    it): its first pass meets a cache nobody else has filled."""
    environment = dict(extra)
    if site.cache_prefix:
        environment["CACHE_KEY_PREFIX"] = f"{site.cache_prefix}:{name}-{uuid.uuid4().hex[:8]}"
    return GunicornServer(site, workers=2, extra_environment=environment)


@pytest.mark.reliability
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_gunicorn_sends_every_route_whole(backend, reliability_sites, framing_facts):
    site = reliability_sites.get(backend)
    facts = site_facts(site, framing_facts)
    server = fresh_server(site, "framing")
    try:
        server.start()
        cold, warm = assert_whole(server.port, facts, f"gunicorn, {backend}")
    finally:
        server.stop()
    # The pages really were rendered first, then served from the cache.
    cold_pages = {
        a.path: a.headers.get("x-page-cache") for a in cold if "x-page-cache" in a.headers
    }
    warm_pages = {
        a.path: a.headers.get("x-page-cache") for a in warm if "x-page-cache" in a.headers
    }
    assert set(cold_pages.values()) == {"miss"}, cold_pages
    assert "hit" in warm_pages.values(), warm_pages


@pytest.mark.reliability
def test_nginx_front_sends_every_route_whole(reliability_sites, framing_facts):
    if nginx_binary() is None:
        message = "nginx is not installed (apt-get install nginx); the front tests need it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    site = reliability_sites.get("sqlite")
    facts = site_facts(site, framing_facts)
    server = fresh_server(site, "framing-front", TRUSTED_PROXY_HOPS="1")
    directory = tempfile.mkdtemp(prefix="cms-framing-front-")
    front = NginxFront(server, directory)
    try:
        server.start()
        front.start()
        # nginx keeps anonymous answers for a second: the warm pass must reach Django's
        # page cache, not only nginx's.
        cold, _warm = assert_whole(front.port, facts, "nginx front")
        time.sleep(1.1)
        _answers, problems = fetch_everything(
            front.port, facts, "[nginx front, after expiry]", with_posts=True
        )
        assert not problems, "\n".join(problems)
    finally:
        front.stop()
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
    assert any(answer.headers.get("connection", "").lower() != "close" for answer in cold), (
        "nginx closed every connection: the kept-alive framing was never exercised"
    )


def test_the_wire_client_sees_a_short_content_length():
    """The check itself: a server that announces fewer bytes than it sends is caught, on
    a kept-alive connection as at its close."""
    body = b"<!DOCTYPE html><html><body>whole</body></html>"
    with closing(socket.socket()) as listener:
        listener.bind((LOOPBACK, 0))
        listener.listen(1)
        client = WireClient(listener.getsockname()[1])
        client._connect()
        server_side, _ = listener.accept()
        with closing(server_side):
            server_side.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                + f"Content-Length: {len(body) - 7}\r\n\r\n".encode()
                + body
            )
            with pytest.raises(FramingError, match="7 more bytes followed"):
                client.request("GET", "/")
        client.close()
