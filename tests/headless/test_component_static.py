"""
Front ends on other origins load the comment component from the CMS's static files, and
browsers fetch ES modules with CORS: behind deploy/nginx.conf (production), the module
carries ``Access-Control-Allow-Origin`` and is not kept for a year under its unhashed name.
"""

import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

from deploy.nginx import foreground_command, nginx_binary, standalone_config
from headless.api_types import TYPES_FILE
from tests.reliability.servers import LOOPBACK, free_port

COMPONENT = TYPES_FILE.parent / "evidence-comments.js"
READY_SECONDS = 20


@pytest.fixture
def nginx_static():
    if nginx_binary() is None:
        pytest.skip("nginx is not installed (apt-get install nginx)")
    # Not pytest's tmp_path: run as root, nginx becomes nobody, who may not enter it.
    with tempfile.TemporaryDirectory() as directory:
        yield from serve_static(Path(directory))


def serve_static(directory):
    static = directory / "static" / "headless"
    static.mkdir(parents=True)
    (static / "evidence-comments.js").write_bytes(COMPONENT.read_bytes())
    (directory / "static" / "robots.txt").write_text("User-agent: *\n")
    port = free_port()
    config = directory / "nginx.conf"
    config.write_text(
        standalone_config(
            directory,
            UPSTREAM=f"{LOOPBACK}:1",
            LISTEN=f"{LOOPBACK}:{port}",
            SERVER_NAME=LOOPBACK,
            STATIC_ROOT=directory / "static",
            MEDIA_ROOT=directory / "media",
        )
    )
    process = subprocess.Popen(  # noqa: S603 (nginx with the config written above)
        foreground_command(directory, config),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://{LOOPBACK}:{port}"
    try:
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline and process.poll() is None:
            try:
                requests.get(f"{base}/static/robots.txt", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def test_nginx_serves_the_module_to_other_origins(nginx_static):
    response = requests.get(
        f"{nginx_static}/static/headless/evidence-comments.js",
        headers={"Origin": "https://app.example"},
        timeout=5,
    )
    assert response.status_code == 200
    assert response.content == COMPONENT.read_bytes()
    assert "javascript" in response.headers["Content-Type"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "max-age=3600"
    other = requests.get(f"{nginx_static}/static/robots.txt", timeout=5)
    assert "Access-Control-Allow-Origin" not in other.headers
