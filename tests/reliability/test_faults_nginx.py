"""
The app server down behind ``deploy/nginx.conf`` (issue 17): readers get nginx's last copy
of a page or API answer (stale, marked so), a URL nginx has no copy of gets our own 503
page with Retry-After instead of nginx's "502 Bad Gateway", and when gunicorn is back
readers get fresh answers with nothing to restart.
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


@pytest.fixture(scope="module")
def server(reliability_sites):
    if nginx_binary() is None:
        message = "nginx is not installed (apt-get install nginx); the front tests need it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    running = GunicornServer(
        reliability_sites.get("sqlite"), workers=2, extra_environment={"TRUSTED_PROXY_HOPS": "1"}
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


def test_readers_get_the_last_copy_then_our_503_page_while_the_app_is_down(front, server):
    post_path = server.site.facts["post_path"]
    api_path = f"/api/v3/comments/?page={server.site.facts['post_id']}"
    live = {path: requests.get(front.url(path), timeout=30) for path in (post_path, api_path)}
    assert {response.status_code for response in live.values()} == {200}

    server.stop()
    time.sleep(SHARED_CACHE_SECONDS + 0.5)  # every copy nginx holds has expired
    try:
        for path, before in live.items():
            stale = requests.get(front.url(path), timeout=30)
            assert stale.status_code == 200, path
            assert stale.headers["X-Edge-Cache"] == "STALE", path
            assert stale.content == before.content, path
        page = requests.get(front.url(post_path), timeout=30)
        assert "Leave a Reply" in page.text

        never_cached = requests.get(front.url("/blog/?tag=never-cached-here"), timeout=30)
        assert never_cached.status_code == 503
        assert never_cached.headers["Retry-After"] == "30"
        assert "Back in a moment" in never_cached.text
        assert "nginx" not in never_cached.text
    finally:
        start_on_the_same_port(server)

    fresh = requests.get(front.url("/blog/?tag=never-cached-here"), timeout=30)
    assert fresh.status_code in (200, 404)
    assert "Back in a moment" not in fresh.text
    # The first request after the copy expired may still get it (STALE) while nginx fetches
    # the new one in the background; the next ones get what the app answers now.
    time.sleep(SHARED_CACHE_SECONDS + 0.5)
    statuses = []
    for _attempt in range(5):
        statuses.append(requests.get(front.url(api_path), timeout=30).headers["X-Edge-Cache"])
        time.sleep(0.2)
    assert statuses[-1] in ("HIT", "MISS", "REVALIDATED", "EXPIRED"), statuses
