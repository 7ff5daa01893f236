"""A reader follows the seed post from the index; an editor composes and publishes a post."""

import pytest

from blog.models import BlogPostPage
from blog.seed import load_seed_content

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def seeded_live_server(live_server):
    load_seed_content()
    return live_server


def test_reader_opens_the_index_and_reads_the_seed_post(seeded_live_server, page):
    page.goto(f"{seeded_live_server.url}/blog/")
    page.get_by_role("link", name="Is Dry Needling Effective for Chronic Muscle Cramping?").click()
    page.wait_for_url("**/blog/dry-needling-chronic-muscle-cramping/")

    assert page.get_by_role("heading", level=1).inner_text() == (
        "Is Dry Needling Effective for Chronic Muscle Cramping?"
    )
    mechanisms = page.locator("ol.numbered-points").first.locator("> li")
    assert mechanisms.count() == 4
    assert mechanisms.first.locator("strong").inner_text() == "Triggering a Local Twitch Response:"
    cards = page.locator("article.study-card")
    assert cards.count() == 3
    assert cards.nth(2).locator("cite").inner_text() == "Journal of Pain Research"
    assert cards.first.is_visible()

    page.get_by_role("link", name="Benefits of Dry Needling for Chronic Muscle Cramping").click()
    assert page.url.endswith("#benefits-of-dry-needling-for-chronic-muscle-cramping")


def test_editor_composes_and_publishes_a_post(seeded_live_server, page, django_user_model):
    django_user_model.objects.create_superuser("editor", "editor@example.com", "correct horse")
    page.goto(f"{seeded_live_server.url}/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "correct horse")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")

    blog = BlogPostPage.objects.get().get_parent()
    page.goto(f"{seeded_live_server.url}/admin/pages/add/blog/blogpostpage/{blog.pk}/")
    page.locator("#id_title").fill("Heat or ice for a cramp?")
    page.locator("#id_intro").fill("What helps in the first minutes of a cramp.")

    body = page.locator("[data-contentpath='body']")
    add_block(page, body, "Key-point list")
    page.locator("#body-0-value-items-0-value-lead").fill("Stretch first")
    type_rich_text(page, "body-0-value-items-0-value-text", "Lengthen the muscle gently.")

    add_block(page, body, "Study card")
    page.locator("#body-1-value-year").fill("2022")
    page.locator("#body-1-value-journal").fill("Journal of Sports Science")
    page.locator("#body-1-value-population").fill("Runners")
    page.locator("#body-1-value-finding").fill("Stretching ended cramps sooner.")
    page.locator("#body-1-value-relevance").fill("Directly about cramps.")

    page.locator("button.w-dropdown__toggle--icon, [data-w-dropdown-target='toggle']").last.click()
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url("**/admin/pages/**")

    post = BlogPostPage.objects.get(slug="heat-or-ice-for-a-cramp")
    assert post.live
    page.goto(f"{seeded_live_server.url}{post.url}")
    assert page.locator("ul.key-points li").first.inner_text().startswith("Stretch first:")
    assert page.locator("article.study-card cite").inner_text() == "Journal of Sports Science"


def add_block(page, stream, label):
    stream.locator("button[title='Insert a block']").last.click()
    page.get_by_role("option", name=label).or_(page.get_by_role("button", name=label)).first.click()


def type_rich_text(page, input_name, text):
    """Draftail keeps its value in a hidden input; the editable area sits beside it."""
    field = page.locator(f"[data-contentpath='text']:has(input[name='{input_name}'])")
    editor = field.locator("[contenteditable='true']").first
    editor.click()
    editor.press_sequentially(text)
