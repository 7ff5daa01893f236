"""An import as readers meet it: gunicorn with production settings, after the command
ran against the same database the way an administrator runs it."""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import requests

from tests.reliability.servers import REPO, GunicornServer, Site, SqliteDatabase

from .conftest import EXPORT


@pytest.fixture(scope="module")
def imported_site():
    directory = Path(tempfile.mkdtemp(prefix="cms-import-served-"))
    site = Site(SqliteDatabase(directory), directory).start()
    server = None
    try:
        site.wait()
        subprocess.run(
            [sys.executable, "manage.py", "import_wordpress", str(EXPORT)],
            cwd=REPO,
            env=site.environment(),
            check=True,
            capture_output=True,
            timeout=120,
        )
        server = GunicornServer(site, workers=1).start()
        yield server
    finally:
        if server is not None:
            server.stop()
        site.close()
        shutil.rmtree(directory, ignore_errors=True)


def test_an_old_permalink_leads_to_the_imported_post(imported_site):
    for path in ["/2025/05/14/calf-cramps-at-night/", "/?p=101"]:
        response = requests.get(imported_site.url(path), allow_redirects=False, timeout=10)
        assert response.status_code == 301, path
        assert response.headers["Location"].endswith("/blog/calf-cramps-at-night/")
    assert requests.get(imported_site.url("/?p=999"), timeout=10).status_code == 200

    old = imported_site.url("/2025/05/14/calf-cramps-at-night/")

    post = requests.get(old, timeout=10)
    assert post.status_code == 200
    assert "British Journal of Sports Medicine" in post.text
    assert "Glad to hear it, Maria." in post.text
    assert "Buy now" not in post.text and "maria@example.org" not in post.text
