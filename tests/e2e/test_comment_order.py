"""The order a reader picks for comments is remembered by their browser (localStorage),
so the server's pages stay the same for everyone: a later visit to a post opens in that
order, a link to one comment is left where it points, and "Oldest first" forgets it."""

import pytest

from blog.models import BlogPostPage
from blog.seed import load_seed_content
from tests.comments.conftest import make_comment

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def post(live_server):
    load_seed_content()
    post = BlogPostPage.objects.get(slug="dry-needling-chronic-muscle-cramping")
    for text in ("Oldest words", "Middle words", "Newest words"):
        make_comment(post, body=text)
    return post


def first_comment(page):
    return page.locator("#comments .comment__body").first.inner_text()


def test_the_chosen_order_is_remembered_by_the_browser(live_server, post, page):
    url = f"{live_server.url}{post.url}"
    page.goto(url)
    assert first_comment(page) == "Oldest words"

    page.get_by_role("link", name="Newest first").click()
    page.wait_for_url("**?sort=newest#comments")
    assert first_comment(page) == "Newest words"

    page.goto(url)
    page.wait_for_url("**?sort=newest")
    assert first_comment(page) == "Newest words"

    # A link to one comment is followed as it is, in the order its page was counted in.
    oldest = post.comments.get(body="Oldest words")
    page.goto(f"{url}#{oldest.anchor}")
    assert page.url.endswith(f"{post.url}#{oldest.anchor}")
    assert first_comment(page) == "Oldest words"

    page.get_by_role("link", name="Oldest first").click()
    page.goto(url)
    assert page.url == url
    assert first_comment(page) == "Oldest words"
