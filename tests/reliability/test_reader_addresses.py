"""
The reader's address and the comment cookies as gunicorn serves them under production
settings, behind one trusted proxy (TRUSTED_PROXY_HOPS=1), with the rate limits on: an
X-Forwarded-For entry that is no address is refused and nothing is stored, spellings of
one IPv6 address and addresses of one /64 share a flood slot, and both comment cookies
carry Secure on the wire.
"""

import re
import time

import pytest
import requests

from tests.reliability.servers import GunicornServer

FORM_TOKEN = re.compile(r'name="token" value="([^"]+)"')
BROWSER = "Mozilla/5.0 (reader-addresses test)"


@pytest.fixture(scope="module")
def server(reliability_sites):
    site = reliability_sites.get("sqlite")
    running = GunicornServer(
        site,
        workers=1,
        extra_environment={"TRUSTED_PROXY_HOPS": "1", "COMMENTS_RATE_LIMITS": "on"},
    )
    running.start()
    yield running
    running.stop()


def as_reader(forwarded):
    """Headers of a reader whose address our (pretend) proxy wrote as ``forwarded``."""
    return {"X-Forwarded-For": forwarded, "User-Agent": BROWSER}


def api_post(server, forwarded, email, body):
    facts = server.site.facts
    headers = as_reader(forwarded)
    token = requests.get(
        server.url(f"/api/v3/comments/form-token/?page={facts['post_id']}"),
        headers=headers,
        timeout=30,
    ).json()["token"]
    return requests.post(
        server.url("/api/v3/comments/"),
        json={
            "page": facts["post_id"],
            "author_name": "Address Reader",
            "author_email": email,
            "body": body,
            "token": token,
        },
        headers=headers,
        timeout=30,
    )


def form_post(server, forwarded, email, body, **fields):
    facts = server.site.facts
    headers = as_reader(forwarded)
    page = requests.get(server.url(facts["post_path"]), headers=headers, timeout=30)
    return requests.post(
        server.url(f"/comments/post/{facts['post_id']}/"),
        data={
            "author_name": "Address Reader",
            "author_email": email,
            "author_url": "",
            "body": body,
            "token": FORM_TOKEN.search(page.text)[1],
            "homepage": "",
            **fields,
        },
        headers={**headers, "Origin": server.base_url},
        allow_redirects=False,
        timeout=30,
    )


def stored_addresses(server, body):
    rows = server.site.database.query(
        "SELECT ip_address FROM comments_comment WHERE body = %s", (body,)
    )
    return [address for (address,) in rows]


def test_a_forwarded_value_that_is_no_address_is_refused_and_nothing_stored(server):
    api_body = f"From nowhere, by the API {time.time_ns()}"
    form_body = f"From nowhere, by the form {time.time_ns()}"

    by_api = api_post(server, "not-an-ip", "nowhere-api@reliability.example", api_body)
    by_form = form_post(server, "not-an-ip", "nowhere-form@reliability.example", form_body)

    assert by_api.status_code == 400, by_api.text[:500]
    assert by_api.headers["Content-Type"] == "application/problem+json"
    assert "could not read your network address" in by_api.json()["detail"]
    assert by_form.status_code == 400
    assert "could not read your network address" in by_form.text
    assert form_body in by_form.text  # the reader's words, kept in the form
    assert stored_addresses(server, api_body) == stored_addresses(server, form_body) == []


def test_one_ipv6_64_holds_one_flood_slot_whatever_the_spelling(server):
    first_body = f"First from a /64 {time.time_ns()}"
    first = api_post(server, "2001:DB8:77:0::1", "first-64@reliability.example", first_body)
    respelled = api_post(
        server, "2001:db8:77::0:1", "respelled-64@reliability.example", f"Again {time.time_ns()}"
    )
    neighbour = api_post(
        server, "2001:db8:77::ffff:2", "next-64@reliability.example", f"Next {time.time_ns()}"
    )
    other_network = api_post(
        server, "2001:db8:78::1", "other-64@reliability.example", f"Other {time.time_ns()}"
    )

    assert first.status_code == 201, first.text
    assert stored_addresses(server, first_body) == ["2001:db8:77::1"]
    assert respelled.status_code == neighbour.status_code == 429
    assert int(respelled.headers["Retry-After"]) >= 1
    assert other_network.status_code == 201, other_network.text


def test_the_comment_cookies_are_secure_on_the_wire(server):
    posted = form_post(
        server,
        "198.51.100.61",
        "cookies@reliability.example",
        f"Remember me, securely {time.time_ns()}",
        remember="on",
    )

    assert posted.status_code == 303, posted.text[:500]
    set_cookies = {
        header.split("=", 1)[0]: header for header in posted.raw.headers.getlist("Set-Cookie")
    }
    author, just_posted = set_cookies["comment_author"], set_cookies["comment_posted"]
    # The author's edit window: the secret and the post page's marker.
    edit_cookies = [value for name, value in set_cookies.items() if name.startswith("comment_edit")]
    assert len(edit_cookies) == 2
    for header in (author, just_posted, *edit_cookies):
        assert "; Secure" in header
        assert "SameSite=Lax" in header
    for header in (just_posted, *edit_cookies):
        assert "HttpOnly" in header
    assert "HttpOnly" not in author  # the form's script reads it
