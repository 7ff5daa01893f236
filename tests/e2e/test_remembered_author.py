"""A reader who ticks "Save my name and email" finds them filled in on the next visit,
exactly as typed (the cookie is URL-encoded once, and the script decodes it once)."""

import pytest

from blog.comments.models import Comment
from blog.models import BlogPostPage
from blog.seed import load_seed_content

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NAME = "Tom & Jerry O'Brien"
EMAIL = "ada+blog@example.com"
WEBSITE = "https://example.org/a?b=c&d=e"


@pytest.fixture
def post_url(live_server, settings):
    settings.COMMENTS_MIN_SECONDS_TO_POST = 0
    settings.COMMENTS_FLOOD_SECONDS = 0
    load_seed_content()
    post = BlogPostPage.objects.get(slug="dry-needling-chronic-muscle-cramping")
    return f"{live_server.url}{post.url}"


def test_saved_name_email_and_website_come_back_exactly(post_url, page):
    page.goto(post_url)
    form = page.locator("#respond form")
    form.locator("textarea[name='body']").fill("Saving my details for next time.")
    form.locator("input[name='author_name']").fill(NAME)
    form.locator("input[name='author_email']").fill(EMAIL)
    form.locator("input[name='author_url']").fill(WEBSITE)
    form.locator("input[name='remember']").check()
    form.get_by_role("button", name="Post Comment").click()
    page.wait_for_load_state()
    assert Comment.objects.filter(author_email=EMAIL).count() == 1

    page.goto(post_url)
    form = page.locator("#respond form")
    assert form.locator("input[name='author_name']").input_value() == NAME
    assert form.locator("input[name='author_email']").input_value() == EMAIL
    assert form.locator("input[name='author_url']").input_value() == WEBSITE
    assert form.locator("input[name='remember']").is_checked()


def test_without_the_tick_nothing_is_remembered(post_url, page):
    page.goto(post_url)
    form = page.locator("#respond form")
    form.locator("textarea[name='body']").fill("Do not keep my details.")
    form.locator("input[name='author_name']").fill(NAME)
    form.locator("input[name='author_email']").fill(EMAIL)
    form.get_by_role("button", name="Post Comment").click()
    page.wait_for_load_state()

    page.goto(post_url)
    form = page.locator("#respond form")
    assert form.locator("input[name='author_name']").input_value() == ""
    assert not form.locator("input[name='remember']").is_checked()
