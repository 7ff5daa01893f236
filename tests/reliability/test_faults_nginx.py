"""
The app server down behind ``deploy/nginx.conf`` (issue 17): readers get nginx's last copy
of a page or API answer (stale, marked so) for as long as its ``stale-if-error`` allows
and our own 503 page after that; a URL nginx has no copy of gets that page at once, with
Retry-After, instead of nginx's "502 Bad Gateway"; when gunicorn is back readers get fresh
answers with nothing to restart.
"""

import os
import shutil
import stat
import tempfile
import time
from unittest import mock

import pytest
import requests

from deploy.nginx import nginx_binary
from tests.reliability.servers import GunicornServer, NginxFront

SHARED_CACHE_SECONDS = 1
#: SHARED_CACHE_STALE_IF_ERROR_SECONDS for this module's server (300 by default): long
#: enough to cover stopping gunicorn gracefully, which counts against it.
STALE_BOUND_SECONDS = 10


@pytest.fixture(scope="module")
def server(reliability_sites):
    if nginx_binary() is None:
        message = "nginx is not installed (apt-get install nginx); the front tests need it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    running = GunicornServer(
        reliability_sites.get("sqlite"),
        workers=2,
        extra_environment={
            "TRUSTED_PROXY_HOPS": "1",
            "SHARED_CACHE_STALE_IF_ERROR_SECONDS": str(STALE_BOUND_SECONDS),
        },
    )
    running.start()
    yield running
    running.stop()


def let_nginx_read(static_root):
    """nginx's workers run as ``nobody``; in production STATIC_ROOT is theirs to read, here
    it is under the test's private temporary directories."""
    for directory in (static_root.parent.parent, static_root.parent):
        directory.chmod(directory.stat().st_mode | stat.S_IXOTH)


@pytest.fixture(scope="module")
def front(server):
    let_nginx_read(server.site.directory / "static")
    directory = tempfile.mkdtemp(prefix="cms-faults-nginx-")
    nginx = NginxFront(server, directory)
    try:
        yield nginx.start()
    finally:
        nginx.stop()
        shutil.rmtree(directory, ignore_errors=True)


def start_on_the_same_port(server):
    """gunicorn back where nginx's upstream points."""
    with mock.patch("tests.reliability.servers.free_port", return_value=server.port):
        server.start()


def assert_our_503_page(response):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "<h1>Back in a moment</h1>" in response.text  # collectstatic wrote it
    assert "nginx" not in response.text


def test_readers_get_the_last_copy_within_its_bound_then_our_503_page(front, server):
    post_path = server.site.facts["post_path"]
    api_path = f"/api/v3/comments/?page={server.site.facts['post_id']}"
    live = {path: requests.get(front.url(path), timeout=30) for path in (post_path, api_path)}
    fetched_at = time.monotonic()
    assert {response.status_code for response in live.values()} == {200}
    for response in live.values():
        assert f"stale-if-error={STALE_BOUND_SECONDS}" in response.headers["Cache-Control"]

    server.stop()
    # Every copy nginx holds has expired. nginx dates a copy in whole seconds of its cached
    # clock and serves it until that second has passed, up to a second past its max-age.
    time.sleep(max(0, fetched_at + SHARED_CACHE_SECONDS + 1.2 - time.monotonic()))
    stopped_after = time.monotonic() - fetched_at
    assert stopped_after < SHARED_CACHE_SECONDS + STALE_BOUND_SECONDS - 1, stopped_after
    try:
        for path, before in live.items():
            stale = requests.get(front.url(path), timeout=30)
            assert stale.status_code == 200, path
            assert stale.headers["X-Edge-Cache"] == "STALE", path
            assert stale.content == before.content, path
        assert_our_503_page(requests.get(front.url("/blog/?tag=never-cached-here"), timeout=30))

        # nginx counts in whole seconds: a second's margin past the bound.
        past_the_bound = fetched_at + SHARED_CACHE_SECONDS + STALE_BOUND_SECONDS + 1.5
        time.sleep(max(0, past_the_bound - time.monotonic()))
        for path in live:
            assert_our_503_page(requests.get(front.url(path), timeout=30))
    finally:
        start_on_the_same_port(server)

    fresh = requests.get(front.url("/blog/?tag=never-cached-here"), timeout=30)
    assert fresh.status_code in (200, 404)
    assert "Back in a moment" not in fresh.text
    again = requests.get(front.url(post_path), timeout=30)
    assert again.status_code == 200
    assert again.headers["X-Edge-Cache"] in ("MISS", "EXPIRED", "REVALIDATED")
    assert again.content.startswith(live[post_path].content[:200])
