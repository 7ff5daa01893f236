"""Written the way an app would use the API: only HTTP, only what the API returns."""

import pytest

pytestmark = pytest.mark.django_db

SEED_PATH = "/blog/dry-needling-chronic-muscle-cramping/"


def render_study_card(card):
    """What an app's study-card view would do with the JSON."""
    return f"{card['study_type_label']} ({card['year']:d}), {card['journal']}: {card['finding']}"


def test_index_to_post_to_comment_to_moderation(
    client, seed_post, moderator_token, quick_posting, moderation_is_logged
):
    index = client.get("/api/v3/posts/").json()
    post = next(item for item in index["items"] if item["html_url"].endswith(SEED_PATH))

    detail = client.get(post["detail_url"].replace("http://testserver", "")).json()
    cards = [
        render_study_card(block["value"])
        for block in detail["body"]
        if block["type"] == "study_card"
    ]
    assert cards[0].startswith("Systematic review (2021), Journal of Orthopedic")
    assert len(cards) == 3

    token = client.get(f"/api/v3/comments/form-token/?page={post['id']}").json()["token"]
    created = client.post(
        "/api/v3/comments/",
        {
            "page": post["id"],
            "author_name": "App User",
            "author_email": "app.user@private.example",
            "body": "Does the twitch response hurt?",
            "token": token,
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    comment_id = created.json()["id"]
    assert created.json()["status"] == "pending"
    assert client.get(f"/api/v3/comments/{comment_id}/").status_code == 404

    approved = client.post(
        f"/api/v3/comments/moderation/{comment_id}/actions/approve/",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {moderator_token}",
    )
    assert approved.json()["status"] == "approved"

    shown = client.get(f"/api/v3/comments/{comment_id}/").json()
    assert shown["html"] == "<p>Does the twitch response hurt?</p>"
    thread = client.get(f"/api/v3/comments/?page={post['id']}").json()
    assert [item["id"] for item in thread["items"]] == [comment_id]
