"""
The site behind ``deploy/nginx.conf``, as production runs it: anonymous pages and API
answers come from nginx's one-second cache, everything personal reaches Django, a reader
sees their own comment at once, and the comment rules see the reader's address.
"""

import os
import re
import shutil
import tempfile
import time

import pytest
import requests

from deploy.nginx import nginx_binary
from tests.reliability.servers import GunicornServer, NginxFront

FORM_TOKEN = re.compile(r'name="token" value="([^"]+)"')


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


@pytest.mark.parametrize("cookie", ["sessionid=anything", "comment_posted=1"])
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
