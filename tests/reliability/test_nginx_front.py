"""
The site behind ``deploy/nginx.conf``, as production runs it: anonymous pages and API
answers come from nginx's one-second cache, everything personal reaches Django, a reader
sees their own comment at once, the comment rules see the reader's address, a document
leaves only through Wagtail's privacy check, and HEAD carries no body.
"""

import json
import os
import re
import shutil
import socket
import stat
import tempfile
import time
from contextlib import closing

import pytest
import requests

from deploy.nginx import nginx_binary
from tests.management import run_manage
from tests.reliability.servers import LOOPBACK, GunicornServer, NginxFront

FORM_TOKEN = re.compile(r'name="token" value="([^"]+)"')

#: A public document and one in a collection for signed-in users only, added once per
#: site through ``manage.py shell`` against the site's own database and MEDIA_ROOT.
ADD_DOCUMENTS = """
import json
from django.core.files.base import ContentFile
from wagtail.documents import get_document_model
from wagtail.models import BaseViewRestriction, Collection, CollectionViewRestriction

Document = get_document_model()
content = bytes(range(256)) * 1200
members = Collection.objects.filter(name="Front: signed-in readers").first()
if members is None:
    members = Collection.get_first_root_node().add_child(name="Front: signed-in readers")
    CollectionViewRestriction.objects.create(
        collection=members, restriction_type=BaseViewRestriction.LOGIN
    )
found = {}
for key, title, collection in [
    ("public", "Front: public protocol", None),
    ("private", "Front: members' protocol", members),
]:
    document = Document.objects.filter(title=title).first()
    if document is None:
        document = Document(title=title, file=ContentFile(content, name=f"front-{key}.bin"))
        if collection is not None:
            document.collection = collection
        document.save()
    found[key] = {"url": document.url, "file": document.file.name}
print(json.dumps(found))
"""
#: The content ADD_DOCUMENTS gives both documents.
DOCUMENT_BYTES = bytes(range(256)) * 1200


@pytest.fixture(scope="module")
def front(reliability_sites):
    if nginx_binary() is None:
        message = "nginx is not installed (apt-get install nginx); the front tests need it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    site = reliability_sites.get("sqlite")
    server = GunicornServer(site, workers=2, extra_environment={"TRUSTED_PROXY_HOPS": "1"})
    server.start()
    directory = tempfile.mkdtemp(prefix="cms-nginx-front-")
    nginx = NginxFront(server, directory)
    try:
        yield nginx.start()
    finally:
        nginx.stop()
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


def get(front, path, **kwargs):
    return requests.get(front.url(path), timeout=30, allow_redirects=False, **kwargs)


def edge_status(response):
    return response.headers.get("X-Edge-Cache")


def test_an_anonymous_page_is_served_by_nginx_without_cookies(front):
    path = front.server.site.facts["post_path"]
    first = get(front, path)
    second = get(front, path)

    assert first.status_code == second.status_code == 200
    assert edge_status(second) == "HIT"
    assert "Set-Cookie" not in first.headers and "Set-Cookie" not in second.headers
    assert "max-age=0" in second.headers["Cache-Control"]
    assert "s-maxage=1" in second.headers["Cache-Control"]
    assert FORM_TOKEN.search(second.text)


@pytest.mark.parametrize(
    "cookie",
    # comment_editable_N: an author within the edit window, whose page has their own links.
    ["sessionid=anything", "comment_posted=1", "theme=dark; comment_editable_12=signed"],
)
def test_a_session_or_a_reader_who_just_commented_always_reaches_django(front, cookie):
    path = front.server.site.facts["post_path"]
    get(front, path)

    personal = get(front, path, headers={"Cookie": cookie})

    assert edge_status(personal) == "BYPASS"


def test_a_reader_sees_their_approved_comment_at_once(front):
    facts = front.server.site.facts
    path = facts["post_path"]
    page = get(front, path)
    assert edge_status(get(front, path)) == "HIT"
    text = f"Seen at once through the front {time.time_ns()}"

    posted = requests.post(
        front.url(f"/comments/post/{facts['post_id']}/"),
        data={
            "author_name": "Known Reader",
            "author_email": facts["known_emails"][0],
            "author_url": "",
            "body": text,
            "token": FORM_TOKEN.search(page.text)[1],
            "homepage": "",
        },
        headers={"Origin": front.base_url},
        # The known reader's browser confirmed their address (blog.comments.verification).
        cookies={"comment_confirmed": facts["known_proofs"][0]},
        allow_redirects=False,
        timeout=30,
    )

    assert posted.status_code == 303, posted.text[:500]
    just_posted = posted.cookies.get("comment_posted")
    assert just_posted
    # The redirect names the page of threads that holds the comment (?cpage=N#comment-ID).
    landing = posted.headers["Location"].split("#")[0]
    assert landing.split("?")[0].endswith(path)
    reloaded = get(
        front, landing.removeprefix(front.base_url), cookies={"comment_posted": just_posted}
    )
    assert edge_status(reloaded) == "BYPASS"
    assert text in reloaded.text
    # Everyone else sees it once the shared copy (one second) runs out.
    deadline = time.monotonic() + 5
    while text not in get(front, landing.removeprefix(front.base_url)).text:
        assert time.monotonic() < deadline, "the cached page never showed the new comment"
        time.sleep(0.2)


def test_api_answers_are_shared_and_stay_fresh(front):
    facts = front.server.site.facts
    thread = f"/api/v3/comments/?page={facts['post_id']}"
    first = get(front, thread)
    assert edge_status(get(front, thread)) == "HIT"
    assert "s-maxage=1" in first.headers["Cache-Control"]
    count = first.json()["count"]

    api_token = get(front, f"/api/v3/comments/form-token/?page={facts['post_id']}")
    assert edge_status(api_token) != "HIT"
    created = requests.post(
        front.url("/api/v3/comments/"),
        json={
            "page": facts["post_id"],
            "author_name": "Known Reader",
            "author_email": facts["known_emails"][1],
            "body": f"Through the API {time.time_ns()}",
            "token": api_token.json()["token"],
            "confirmation": facts["known_proofs"][1],
        },
        timeout=30,
    )
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "approved"

    deadline = time.monotonic() + 5
    while get(front, thread).json()["count"] != count + 1:
        assert time.monotonic() < deadline, "the shared copy of the thread stayed stale"
        time.sleep(0.2)


def test_the_comment_rules_see_the_readers_address_not_a_made_up_one(front):
    facts = front.server.site.facts
    token = get(front, f"/api/v3/comments/form-token/?page={facts['post_id']}").json()["token"]
    body = f"Who am I {time.time_ns()}"

    created = requests.post(
        front.url("/api/v3/comments/"),
        json={
            "page": facts["post_id"],
            "author_name": "Spoofer",
            "author_email": "spoofer@reliability.example",
            "body": body,
            "token": token,
        },
        headers={"X-Forwarded-For": "203.0.113.5"},
        timeout=30,
    )

    assert created.status_code == 201, created.text
    ((address,),) = front.server.site.database.query(
        "SELECT ip_address FROM comments_comment WHERE body = %s", (body,)
    )
    assert address == "127.0.0.1"


# Documents


@pytest.fixture(scope="module")
def documents(front):
    site = front.server.site
    result = run_manage("shell", "-c", ADD_DOCUMENTS, environment=site.environment())
    assert result.returncode == 0, result.stderr[-3000:]
    readable_by_nginx(site.directory / "media")
    return json.loads(result.stdout.strip().splitlines()[-1])


def readable_by_nginx(media_root):
    """Run as root, nginx's workers are ``nobody``, who must get through the test's
    private temporary folders to MEDIA_ROOT, as www-data must in production."""
    if os.geteuid() != 0:
        return
    for folder in [*reversed(media_root.parents), media_root]:
        if folder.owner() == "root" and str(folder).startswith(tempfile.gettempdir() + "/"):
            folder.chmod(folder.stat().st_mode | stat.S_IXOTH)


def test_a_public_document_is_sent_whole_by_nginx_after_wagtails_check(front, documents):
    response = get(front, documents["public"]["url"])

    assert response.status_code == 200, front.server.log_tail()
    assert response.content == DOCUMENT_BYTES
    assert response.headers["Content-Length"] == str(len(DOCUMENT_BYTES))
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'"
    assert "X-Accel-Redirect" not in response.headers
    # nginx sent the file itself: it answers ranges, which Django's answer would not.
    part = get(front, documents["public"]["url"], headers={"Range": "bytes=256-511"})
    assert part.status_code == 206
    assert part.content == DOCUMENT_BYTES[256:512]


def test_a_private_document_sends_an_anonymous_reader_to_log_in(front, documents):
    response = get(front, documents["private"]["url"])

    assert response.status_code == 302
    assert "login" in response.headers["Location"]
    assert DOCUMENT_BYTES[:512] not in response.content
    assert "X-Accel-Redirect" not in response.headers


@pytest.mark.parametrize("which", ["private", "public"])
def test_no_document_file_is_served_from_media(front, documents, which):
    file_name = documents[which]["file"]  # documents/front-....bin
    folder, name = file_name.split("/", 1)
    paths = [
        f"/media/{file_name}",
        f"/media//{file_name}",
        f"/media/images/../{file_name}",
        f"/media/{folder}%2F{name}",
        f"/internal-media/{file_name}",
    ]

    for path in paths:
        response = get(front, path)
        assert response.status_code in (403, 404), (path, response.status_code)
        assert DOCUMENT_BYTES[:512] not in response.content, path


# HEAD


def raw_exchange(port, request):
    """Every byte the server sends for ``request`` until it closes the connection."""
    with closing(socket.create_connection((LOOPBACK, port), timeout=30)) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


@pytest.mark.parametrize("through", ["gunicorn", "nginx"])
def test_head_on_the_api_carries_its_get_length_and_no_body(front, through):
    port = front.server.port if through == "gunicorn" else front.port
    path = "/api/v3/posts/"
    get_body = get(front, path).content

    answer = raw_exchange(
        port,
        f"HEAD {path} HTTP/1.1\r\nHost: {LOOPBACK}\r\nConnection: close\r\n\r\n".encode(),
    )

    head, _, after_head = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {
        name.lower(): value.strip() for name, value in (line.split(":", 1) for line in header_lines)
    }
    assert status_line.split()[1] == "200", answer[:500]
    assert after_head == b""
    if through == "gunicorn":
        assert headers["content-length"] == str(len(get_body))
    else:
        # nginx asks upstream with GET and may frame that answer itself (chunked): then
        # HEAD names no length, which HTTP allows; a wrong one it never names.
        assert headers.get("content-length", str(len(get_body))) == str(len(get_body))
    assert "etag" in headers
