"""
The comment rules' limits hold whichever worker answers (issue 11, items 2 and 4):
gunicorn with two workers under production settings, with Redis, rate limits on. Before,
without a store shared by the workers, each kept its own flood windows (201, 429, 201,
429), and a form token posted comment after comment.
"""

import pytest
import requests

from tests.reliability.servers import GunicornServer, redis_answers

BROWSER = "Mozilla/5.0 (limits-across-workers test)"


@pytest.fixture(scope="module")
def server(reliability_sites):
    if not redis_answers():
        pytest.skip("Redis does not answer on 127.0.0.1:6379; production settings need it")
    site = reliability_sites.get("sqlite")
    running = GunicornServer(site, workers=2, extra_environment={"COMMENTS_RATE_LIMITS": "on"})
    running.start()
    yield running
    running.stop()


def fetch_token(server, address):
    response = requests.get(
        server.url(f"/api/v3/comments/form-token/?page={server.site.facts['post_id']}"),
        headers={"User-Agent": BROWSER, "Connection": "close"},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["token"]


def post(server, token, email, body):
    return requests.post(
        server.url("/api/v3/comments/"),
        json={
            "page": server.site.facts["post_id"],
            "author_name": "Worker Reader",
            "author_email": email,
            "body": body,
            "token": token,
        },
        # A new connection each time, so the two workers take turns.
        headers={"User-Agent": BROWSER, "Connection": "close"},
        timeout=30,
    )


def test_a_used_token_and_a_full_flood_window_hold_on_every_worker(server):
    token = fetch_token(server, "127.0.0.1")
    first = post(server, token, "first@workers.example", "The first comment.")
    assert first.status_code == 201, first.text

    replays = [
        post(server, token, f"replay{number}@workers.example", f"Replay {number}.")
        for number in range(6)
    ]
    assert [reply.status_code for reply in replays] == [422] * 6
    assert all("already sent a comment" in reply.text for reply in replays)

    floods = [
        post(server, fetch_token(server, "127.0.0.1"), f"flood{n}@workers.example", f"F {n}.")
        for n in range(4)
    ]
    assert [flood.status_code for flood in floods] == [429] * 4
