"""A webhook receiver on a real socket, and endpoints pointing at it."""

import http.server
import threading
import time

import pytest

from headless.delivery import deliver_webhook
from headless.models import WebhookEndpoint
from headless.signing import new_secret
from tests.e2e.conftest import browser, page  # noqa: F401 (Chromium fixtures, reused)


class Receiver(http.server.ThreadingHTTPServer):
    """Records each POST (headers and raw body) and answers with the next of
    ``answers`` (a status code, or ``("sleep", seconds)``), then 204 once they run out."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), ReceiverHandler)
        self.received = []
        self.answers = []

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/hooks?source=cms"


class ReceiverHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.received.append(
            {"path": self.path, "headers": dict(self.headers.items()), "body": body}
        )
        answer = self.server.answers.pop(0) if self.server.answers else 204
        if isinstance(answer, tuple):
            time.sleep(answer[1])
            answer = 204
        self.send_response(answer)
        if 300 <= answer < 400:
            self.send_header("Location", "http://127.0.0.1:1/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver(settings):
    settings.HEADLESS_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.HEADLESS_WEBHOOK_TIMEOUT_SECONDS = 2
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def make_endpoint(db, receiver):
    def make(events=None, **fields):
        fields.setdefault("url", receiver.url)
        fields.setdefault("secret", new_secret())
        return WebhookEndpoint.objects.create(
            events=[str(event) for event in events] if events else [], **fields
        )

    return make


@pytest.fixture
def deferring_queue(settings):
    """A task queue that can run tasks later (as production's database queue does):
    retries are queued with their delay instead of run now."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    backend = deliver_webhook.get_backend()
    backend.clear()
    yield backend
    backend.clear()
