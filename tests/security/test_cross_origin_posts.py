"""
Another site's page making its visitors' browsers post through our API (issue 11, item 1),
and old browsers that only send a Referer (item 5).

A plain HTML form on any site can POST to any URL with no preflight, and
``enctype="text/plain"`` lets it write a JSON body. So the API answers 415 to any unsafe
request whose body is not ``application/json`` (a browser sends that to another origin
only after a CORS preflight), and 403 to one a browser says another site sent. Apps
outside browsers send none of those headers and keep working. Checked with Django's
client, with curl against a live server, and in Chromium from a page on another origin.
"""

import json
import shutil
import subprocess
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.test import Client

import pytest

from blog.comments.models import Comment
from blog.models import BlogPostPage
from blog.seed import load_seed_content
from tests.comments.conftest import api_submission, form_data, next_ip

API = "/api/v3/comments/"
ATTACKER = "https://attacker.example"


def api_body(post, client, **fields):
    return api_submission(
        post,
        client,
        author_email="victim@example.com",
        body="Posted by another site's page.",
        **fields,
    )


@pytest.fixture
def quick(settings):
    settings.COMMENTS_MIN_SECONDS_TO_POST = 0


@pytest.mark.django_db
class TestTheAPIAcceptsOnlyJSON:
    @pytest.mark.parametrize(
        "content_type",
        [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=xyz",
            "",
        ],
    )
    def test_a_body_that_is_not_json_is_415_and_stores_nothing(
        self, seed_post, quick, content_type
    ):
        client = Client()
        body = json.dumps(api_body(seed_post, client))

        response = client.generic("POST", API, body, content_type=content_type)

        assert response.status_code == 415
        assert response["Content-Type"] == "application/problem+json"
        assert "application/json" in response.json()["detail"]
        assert response["Accept-Post"] == "application/json"
        assert not Comment.objects.exists()

    def test_json_from_an_app_is_accepted(self, seed_post, quick):
        client = Client()
        response = client.post(API, api_body(seed_post, client), content_type="application/json")
        assert response.status_code == 201
        assert Comment.objects.count() == 1

    def test_json_with_a_charset_is_json(self, seed_post, quick):
        client = Client()
        response = client.post(
            API, api_body(seed_post, client), content_type="application/json; charset=utf-8"
        )
        assert response.status_code == 201

    def test_every_unsafe_api_request_is_held_to_the_same_rule(self, seed_post):
        for path in (f"{API}moderation/actions/approve/", f"/api/v3/pages/{seed_post.pk}/"):
            response = Client().generic(
                "POST", path, json.dumps({"ids": [1]}), content_type="text/plain"
            )
            assert response.status_code == 415, path


@pytest.mark.django_db
class TestBrowsersOnOtherSitesAreRefused:
    @pytest.mark.parametrize(
        "headers",
        [
            {"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_ORIGIN": ATTACKER},
            {"HTTP_SEC_FETCH_SITE": "same-site", "HTTP_ORIGIN": "https://www.testserver"},
            {"HTTP_ORIGIN": ATTACKER},
            {"HTTP_ORIGIN": "null"},
        ],
    )
    def test_json_sent_by_another_sites_page_is_403(self, seed_post, quick, headers):
        client = Client()
        response = client.post(
            API, api_body(seed_post, client), content_type="application/json", **headers
        )
        assert response.status_code == 403
        assert "Cross-origin request refused" in response.json()["detail"]
        assert not Comment.objects.exists()

    def test_an_origin_allowed_by_cors_may_post(self, seed_post, quick, settings):
        settings.CORS_ALLOWED_ORIGINS = [ATTACKER]
        client = Client()
        response = client.post(
            API,
            api_body(seed_post, client),
            content_type="application/json",
            HTTP_SEC_FETCH_SITE="cross-site",
            HTTP_ORIGIN=ATTACKER,
        )
        assert response.status_code == 201

    def test_our_own_pages_may_post(self, seed_post, quick):
        client = Client()
        response = client.post(
            API,
            api_body(seed_post, client),
            content_type="application/json",
            HTTP_SEC_FETCH_SITE="same-origin",
            HTTP_ORIGIN="http://testserver",
        )
        assert response.status_code == 201


@pytest.mark.django_db
class TestOldBrowsersOverHTTPS:
    """Neither Origin nor Sec-Fetch-Site: over HTTPS a Referer from another site is
    refused, as Django's CSRF check does."""

    def test_a_form_post_with_a_foreign_referer_is_refused(self, seed_post, quick):
        ip = next_ip()
        response = Client().post(
            f"/comments/post/{seed_post.pk}/",
            form_data(seed_post, ip=ip),
            REMOTE_ADDR=ip,
            secure=True,
            HTTP_REFERER=f"{ATTACKER}/cats.html",
        )
        assert response.status_code == 403
        assert not Comment.objects.exists()

    def test_an_api_post_with_a_foreign_referer_is_refused(self, seed_post, quick):
        client = Client()
        response = client.post(
            API,
            api_body(seed_post, client),
            content_type="application/json",
            secure=True,
            HTTP_REFERER=f"{ATTACKER}/cats.html",
        )
        assert response.status_code == 403

    def test_our_own_referer_passes(self, seed_post, quick):
        ip = next_ip()
        response = Client().post(
            f"/comments/post/{seed_post.pk}/",
            form_data(seed_post, ip=ip),
            REMOTE_ADDR=ip,
            secure=True,
            HTTP_REFERER=f"https://testserver{seed_post.url}",
        )
        assert response.status_code == 303

    def test_over_http_a_referer_alone_decides_nothing(self, seed_post, quick):
        """Plain HTTP can be rewritten in transit anyway; Django's check is HTTPS-only."""
        ip = next_ip()
        response = Client().post(
            f"/comments/post/{seed_post.pk}/",
            form_data(seed_post, ip=ip),
            REMOTE_ADDR=ip,
            HTTP_REFERER=f"{ATTACKER}/cats.html",
        )
        assert response.status_code == 303


@pytest.fixture
def live_post(live_server, settings):
    settings.COMMENTS_MIN_SECONDS_TO_POST = 0
    load_seed_content()
    return BlogPostPage.objects.get(slug="dry-needling-chronic-muscle-cramping")


def curl(*args):
    result = subprocess.run(
        ["curl", "--silent", "--show-error", "--max-time", "20", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_curl_text_plain_is_refused_and_json_works(live_server, live_post):
    if not shutil.which("curl"):
        pytest.skip("curl is not installed")
    api = f"{live_server.url}{API}"
    token = json.loads(curl(f"{api}form-token/?page={live_post.pk}"))["token"]
    body = json.dumps(
        {
            "page": live_post.pk,
            "author_name": "Curl User",
            "author_email": "curl@example.com",
            "body": "Posted with curl.",
            "token": token,
        }
    )

    refused = curl("-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: text/plain",
                   "--data-binary", body, api)  # fmt: skip
    assert refused == "415"
    assert not Comment.objects.exists()

    accepted = curl("-o", "/dev/null", "-w", "%{http_code}", "-H",
                    "Content-Type: application/json", "--data-binary", body, api)  # fmt: skip
    assert accepted == "201"
    assert Comment.objects.get().author_name == "Curl User"


@contextmanager
def attacker_site(html):
    """Another origin (127.0.0.1 on its own port; the live server is on localhost) that
    serves one page."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            payload = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


FORGED_FORM = """<!doctype html><title>Cute cats</title>
<form id="forged" method="post" action="{api}" enctype="text/plain">
<input name='{{"page": {post}, "author_name": "Forged", "author_email": "victim@example.com",
"body": "Forged by another site", "token": "{token}", "padding": "' value='"}}'>
</form>
<script>document.getElementById("forged").submit();</script>"""

FETCH_JSON = """<!doctype html><title>Cute cats</title><script>
window.outcome = (async () => {{
  try {{
    const token = await fetch("{api}form-token/?page={post}").then((r) => r.json());
    const answer = await fetch("{api}", {{
      method: "POST",
      headers: {{"Content-Type": "application/json"}},
      body: JSON.stringify({{page: {post}, author_name: "Cross Origin",
        author_email: "app@example.com", body: "Posted from another origin.",
        token: token.token}}),
    }});
    return "status " + answer.status;
  }} catch (error) {{
    return "blocked";
  }}
}})();
</script>"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
class TestInChromiumFromAnotherOrigin:
    def test_a_text_plain_form_cannot_post_a_comment(self, live_server, live_post, page):
        api = f"{live_server.url}{API}"
        token = Client().get(f"{API}form-token/", {"page": live_post.pk}).json()["token"]
        forged_page = FORGED_FORM.format(api=api, post=live_post.pk, token=token)
        with attacker_site(forged_page) as site, page.expect_response(api) as answer:
            page.goto(site)
        assert answer.value.status == 415
        assert not Comment.objects.exists()

    def test_json_needs_a_preflight_that_cors_refuses(self, live_server, live_post, page):
        api = f"{live_server.url}{API}"
        with attacker_site(FETCH_JSON.format(api=api, post=live_post.pk)) as site:
            page.goto(site)
            assert page.evaluate("window.outcome") == "blocked"
        assert not Comment.objects.exists()

    def test_an_origin_cors_allows_can_post_json(self, live_server, live_post, page, settings):
        """The control: the same page, once its origin is allowed, posts. So the refusal
        above is CORS deciding, not a broken page."""
        api = f"{live_server.url}{API}"
        with attacker_site(FETCH_JSON.format(api=api, post=live_post.pk)) as site:
            settings.CORS_ALLOWED_ORIGINS = [site]
            page.goto(site)
            assert page.evaluate("window.outcome") == "status 201"
        assert Comment.objects.get().author_name == "Cross Origin"
