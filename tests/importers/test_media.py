"""Image files for imported posts: from a copy of the uploads, or fetched over HTTP."""

import http.server
import io
import threading

import pytest
from PIL import Image as PILImage

from blog.importers import media

PNG = io.BytesIO()
PILImage.new("RGB", (8, 8), (10, 20, 30)).save(PNG, format="PNG")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the name http.server calls)
        if self.path.endswith("/photo.png"):
            body, status, kind = PNG.getvalue(), 200, "image/png"
        elif self.path.endswith("/page.png"):
            body, status, kind = b"<html>login</html>", 200, "text/html"
        else:
            body, status, kind = b"missing", 404, "text/plain"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def old_site():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/wp-content/uploads/2025/05"
    server.shutdown()
    server.server_close()


def test_an_image_is_fetched_from_the_old_site(old_site):
    found = media.image_file(f"{old_site}/photo.png", fetch_timeout=5)
    assert (found.name, found.origin, found.content) == ("photo.png", "fetched", PNG.getvalue())


@pytest.mark.parametrize(
    ("name", "reason"), [("gone.png", "the server answered 404"), ("page.png", "not an image")]
)
def test_what_cannot_be_fetched_is_said_why(old_site, name, reason):
    with pytest.raises(media.ImageUnavailable, match=reason):
        media.image_file(f"{old_site}/{name}", fetch_timeout=5)


def test_the_media_dir_is_tried_first_and_never_left(tmp_path):
    (tmp_path / "2025").mkdir()
    (tmp_path / "2025" / "a.png").write_bytes(PNG.getvalue())
    (tmp_path.parent / "secret.png").write_bytes(PNG.getvalue())
    found = media.image_file(
        "https://old.example.com/wp-content/uploads/2025/a-300x200.png", tmp_path
    )
    assert (found.name, found.origin) == ("a.png", "media_dir")
    with pytest.raises(media.ImageUnavailable, match="not under wp-content/uploads"):
        media.image_file("https://old.example.com/wp-content/uploads/../secret.png", tmp_path)
    with pytest.raises(media.ImageUnavailable, match="no --media-dir or --fetch-media"):
        media.image_file("https://old.example.com/wp-content/uploads/2025/a.png")
