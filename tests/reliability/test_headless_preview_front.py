"""A front end reading a draft preview through ``deploy/nginx.conf`` and gunicorn: the
answer reaches it with its no-store policy, nginx keeps no copy (a draft withdrawn a
moment later is gone for everyone), and refusals are problem+json through the front.
And the whole loop in Chromium: an editor types, the admin's preview panel frames the
front end on its own origin, which draws the unsaved draft it read from the API."""

import html
import http.server
import json
import os
import shutil
import tempfile
import threading
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from deploy.nginx import nginx_binary
from tests.management import run_manage
from tests.reliability.servers import GunicornServer, NginxFront, redis_answers

ISSUE_TOKEN = """
import json
from blog.models import BlogPostPage
from headless.preview import CACHE_PREFIX, issue_preview_token
from django.core import signing
post = BlogPostPage.objects.get(slug="dry-needling-chronic-muscle-cramping")
post.title = "Draft seen through nginx"
token = issue_preview_token(post)
key = CACHE_PREFIX + signing.loads(token, salt="headless.preview")["key"]
print(json.dumps({"token": token, "key": key}))
"""


class FrontEnd(http.server.ThreadingHTTPServer):
    """A separate front end, as a server-rendered app would be: ``/preview?token=`` asks
    the CMS's API for the draft and draws its title."""

    daemon_threads = True
    api_base = None

    def __init__(self):
        super().__init__(("127.0.0.1", 0), FrontEndHandler)

    @property
    def origin(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


class FrontEndHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        token = parse_qs(urlsplit(self.path).query).get("token", [""])[0]
        url = f"{self.server.api_base}/api/v3/preview/?{urllib.parse.urlencode({'token': token})}"
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310
            draft = json.load(answer)
        body = f"<!doctype html><title>Front end</title><h1>{html.escape(draft['title'])}</h1>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def front_end():
    server = FrontEnd()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def front(reliability_sites, front_end):
    for missing, message in (
        (nginx_binary() is None, "nginx is not installed (apt-get install nginx)"),
        (not redis_answers(), "Redis does not answer: the draft must be shared by workers"),
    ):
        if missing:
            if os.environ.get("CI") == "true":
                pytest.fail(message)
            pytest.skip(message)
    site = reliability_sites.get("sqlite")
    server = GunicornServer(
        site,
        workers=2,
        extra_environment={
            "TRUSTED_PROXY_HOPS": "1",
            "HEADLESS_PREVIEW_URL": front_end.origin + "/preview?token={token}",
        },
    )
    server.start()
    directory = tempfile.mkdtemp(prefix="cms-headless-front-")
    nginx = NginxFront(server, directory)
    try:
        front_end.api_base = nginx.start().base_url
        yield nginx
    finally:
        nginx.stop()
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


def manage_shell(site, code):
    result = run_manage("shell", "-c", code, environment=site.environment())
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""


def get(front, path, **params):
    return requests.get(front.url(path), params=params, timeout=30, allow_redirects=False)


def test_a_draft_is_served_through_the_front_and_kept_by_nobody(front):
    site = front.server.site
    issued = json.loads(manage_shell(site, ISSUE_TOKEN))

    first = get(front, "/api/v3/preview/", token=issued["token"])
    assert first.status_code == 200
    assert first.json()["title"] == "Draft seen through nginx"
    assert first.headers["Cache-Control"] == "private, no-store"
    assert first.headers["X-Robots-Tag"] == "noindex"
    assert "ETag" not in first.headers

    # The editor's draft leaves the cache: nginx must not answer from a copy of its own.
    manage_shell(site, f"from django.core.cache import cache; cache.delete({issued['key']!r})")
    second = get(front, "/api/v3/preview/", token=issued["token"])
    assert second.status_code == 404
    assert second.headers.get("X-Edge-Cache") != "HIT"
    assert second.headers["Content-Type"] == "application/problem+json"


def test_no_token_is_a_401_problem_through_the_front(front):
    response = get(front, "/api/v3/preview/")
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["Cache-Control"] == "private, no-store"


SIGN_IN_EDITOR = """
import json
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
User = get_user_model()
user = User.objects.filter(username="preview-editor").first() or User.objects.create_superuser(
    "preview-editor", "preview-editor@example.com", None
)
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(json.dumps({"name": settings.SESSION_COOKIE_NAME, "value": session.session_key}))
"""
NEW_TITLE = "Typed in the editor, drawn by the front end"


@pytest.mark.browser
def test_the_preview_panel_shows_the_front_end_drawing_the_unsaved_draft(front, front_end):
    from tests.e2e.conftest import CHROMIUM_ARGS, chromium_path

    executable = chromium_path()
    if executable is None:
        message = "Chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright import sync_api

    site = front.server.site
    cookie = json.loads(manage_shell(site, SIGN_IN_EDITOR))
    post_id = site.facts["post_id"]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            # The admin straight from gunicorn, whose WhiteNoise serves its static files
            # (nginx serves them from a STATIC_ROOT its workers may not read in tests).
            admin = front.server
            context.add_cookies([{**cookie, "url": admin.base_url}])
            page = context.new_page()
            page.set_default_timeout(20_000)
            blocked = []
            page.on(
                "console",
                lambda message: (
                    blocked.append(message.text)
                    if "Content Security Policy" in message.text
                    else None
                ),
            )
            page.goto(admin.url(f"/admin/pages/{post_id}/edit/"))
            page.locator("#id_title").fill(NEW_TITLE)
            page.locator("[data-side-panel-toggle='preview']").click()

            page.frame_locator("#w-preview-iframe").get_by_role(
                "heading", level=1, name=NEW_TITLE
            ).wait_for()
            frame = page.locator("#w-preview-iframe").element_handle().content_frame()
            assert frame.url.startswith(front_end.origin + "/preview?token=")
            assert blocked == []
        finally:
            browser.close()
    # Previewed, not saved: readers and the API still see the published title.
    live = get(front, f"/api/v3/pages/{post_id}/").json()
    assert live["title"] != NEW_TITLE
