"""A refused comment, in Chromium: the reader lands at the form, not 5,000 px above it,
with focus on the error summary (so a screen reader reads it out), their text kept, and
each listed error one click from its field. On a desktop and a phone, with the page's
script and without it."""

import pytest

from blog.comments.models import Comment
from blog.models import BlogPostPage
from blog.seed import load_seed_content

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
WHERE_IT_LANDED = """() => {
    const summary = document.getElementById("comment-errors");
    const box = summary && summary.getBoundingClientRect();
    return {
        url: location.href,
        focused: document.activeElement && document.activeElement.id,
        scrolled: window.scrollY,
        summaryTop: box ? box.top : null,
        summaryBottom: box ? box.bottom : null,
        viewportHeight: window.innerHeight,
    };
}"""


@pytest.fixture
def post_url(live_server, settings):
    settings.COMMENTS_MIN_SECONDS_TO_POST = 0
    load_seed_content()
    post = BlogPostPage.objects.get(slug="dry-needling-chronic-muscle-cramping")
    return f"{live_server.url}{post.url}"


def reader_page(browser, device, javascript=True):
    context = browser.new_context(**device, java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def fill_and_send(page, post_url, *, name="Ada Reader", body="What I typed stays here."):
    page.goto(post_url)
    form = page.locator("#respond form")
    form.locator("textarea[name='body']").fill(body)
    form.locator("input[name='author_name']").fill(name)
    form.locator("input[name='author_email']").fill("ada@example.com")
    with page.expect_navigation():
        form.get_by_role("button", name="Post Comment").click()
    page.wait_for_load_state("load")


def assert_landed_on_the_summary(page, message):
    landed = page.evaluate(WHERE_IT_LANDED)
    assert landed["url"].endswith("#comment-errors"), landed
    assert landed["focused"] == "comment-errors", landed
    assert landed["scrolled"] > 1000, landed  # the form sits far below the article
    assert 0 <= landed["summaryTop"] < landed["summaryBottom"] <= landed["viewportHeight"]
    summary = page.locator("#comment-errors")
    assert summary.get_attribute("role") == "alert"
    assert message in summary.inner_text()


@pytest.mark.parametrize(
    ("device", "javascript"),
    [(DESKTOP, True), (PHONE, True), (DESKTOP, False), (PHONE, False)],
    ids=["desktop", "phone", "desktop-no-script", "phone-no-script"],
)
def test_field_errors_land_on_a_focused_summary(browser, post_url, device, javascript):
    context, page = reader_page(browser, device, javascript)
    try:
        fill_and_send(page, post_url, name="")

        assert_landed_on_the_summary(page, "Please enter your name.")
        body = page.locator("#respond textarea[name='body']").input_value()
        assert body.strip() == "What I typed stays here."
        if javascript:
            page.locator("#comment-errors a").first.click()
            assert page.evaluate("document.activeElement.name") == "author_name"
        assert not Comment.objects.exists()
    finally:
        context.close()


def test_commenting_too_quickly_lands_on_the_summary(browser, post_url):
    context, page = reader_page(browser, PHONE)
    try:
        fill_and_send(page, post_url, body="My first comment.")
        assert Comment.objects.count() == 1

        fill_and_send(page, post_url, body="My second comment, too soon.")

        assert_landed_on_the_summary(page, "You are commenting too quickly")
        body = page.locator("#respond textarea[name='body']").input_value()
        assert body.strip() == "My second comment, too soon."
        assert Comment.objects.count() == 1
    finally:
        context.close()


def test_an_expired_form_lands_on_the_summary(browser, post_url, settings):
    settings.COMMENTS_FORM_MAX_AGE = 1
    context, page = reader_page(browser, DESKTOP)
    try:
        page.goto(post_url)
        form = page.locator("#respond form")
        form.locator("textarea[name='body']").fill("Written slowly.")
        form.locator("input[name='author_name']").fill("Ada Reader")
        form.locator("input[name='author_email']").fill("ada@example.com")
        page.wait_for_timeout(2_100)  # signed tokens count whole seconds
        with page.expect_navigation():
            form.get_by_role("button", name="Post Comment").click()
        page.wait_for_load_state("load")

        assert_landed_on_the_summary(page, "This form was opened more than")
        assert not Comment.objects.exists()
    finally:
        context.close()
