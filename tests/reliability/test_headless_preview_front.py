"""A front end reading a draft preview through ``deploy/nginx.conf`` and gunicorn: the
answer reaches it with its no-store policy, nginx keeps no copy (a draft withdrawn a
moment later is gone for everyone), and refusals are problem+json through the front."""

import json
import os
import shutil
import tempfile

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


@pytest.fixture(scope="module")
def front(reliability_sites):
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
            "HEADLESS_PREVIEW_URL": "http://localhost:3000/preview?token={token}",
        },
    )
    server.start()
    directory = tempfile.mkdtemp(prefix="cms-headless-front-")
    nginx = NginxFront(server, directory)
    try:
        yield nginx.start()
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
