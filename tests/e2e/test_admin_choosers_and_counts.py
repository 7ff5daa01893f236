"""What the admin's scripts draw, in Chromium: an editor creates an author from the post's
Authors chooser without leaving the post; a moderator's bulk bar counts comments; a
moderator narrows the queue to one post chosen in the page chooser of the filter drawer."""

import pytest

from blog.comments.models import Comment
from blog.models import Author, BlogPostPage
from blog.seed import load_seed_content
from tests.comments.admin_users import PASSWORD, make_moderator, make_superuser
from tests.comments.conftest import make_comment
from tests.conftest import build_post

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def sign_in(page, base_url, username):
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")


def test_an_editor_creates_an_author_in_the_chooser_and_publishes(live_server, page):
    load_seed_content()
    post = BlogPostPage.objects.get()
    make_superuser("editor")
    sign_in(page, live_server.url, "editor")

    page.goto(f"{live_server.url}/admin/pages/{post.pk}/edit/")
    page.locator("#id_author_links-OPEN_MODAL").click()
    page.get_by_role("tab", name="New author").click()
    creation = page.get_by_role("tabpanel", name="New author")
    creation.locator("input[name='name']").fill("Lee Nurse")
    creation.locator("input[name='credentials']").fill("RN")
    creation.get_by_role("button", name="Add author").click()
    page.get_by_text("Lee Nurse, RN").wait_for()
    page.locator("button.w-dropdown__toggle--icon, [data-w-dropdown-target='toggle']").last.click()
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url(lambda url: "/edit/" not in url)

    page.goto(f"{live_server.url}{post.url}")
    assert page.locator(".post__authors").inner_text() == "By Lee Nurse, RN"
    assert Author.objects.get().name == "Lee Nurse"


def test_the_bulk_bar_counts_comments(live_server, page):
    load_seed_content()
    post = BlogPostPage.objects.get()
    for _ in range(3):
        make_comment(post, status=Comment.Status.PENDING)
    make_moderator()
    sign_in(page, live_server.url, "moderator")

    page.get_by_role("link", name="Comments").first.click()
    page.wait_for_url("**/comments/comment/?status=pending")
    boxes = page.locator("input[data-bulk-action-checkbox]")
    boxes.nth(0).check()
    assert page.locator("[data-bulk-action-num-objects]").inner_text() == "1 comment selected"
    boxes.nth(1).check()
    assert page.locator("[data-bulk-action-num-objects]").inner_text() == "2 comments selected"


def test_a_moderator_filters_the_queue_by_a_post_chosen_in_the_page_chooser(live_server, page):
    load_seed_content()
    seed = BlogPostPage.objects.get()
    other = build_post(seed.get_parent(), 1, title="Magnesium and night cramps")
    make_comment(seed, status=Comment.Status.PENDING, author_name="Seed Reader")
    make_comment(other, status=Comment.Status.PENDING, author_name="Magnesium Reader")
    make_moderator()
    sign_in(page, live_server.url, "moderator")

    page.goto(f"{live_server.url}/admin/snippets/comments/comment/?status=pending")
    assert page.get_by_text("Magnesium Reader").count() == 1
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("button", name="Post", exact=True).click()
    page.get_by_role("button", name="Choose a page (Blog post)").click()
    modal = page.locator(".modal-dialog")
    modal.locator("input[name='q']").fill("Magnesium")
    modal.get_by_role("link", name="Magnesium and night cramps").click()

    page.wait_for_url(f"**post={other.pk}**")
    page.get_by_text("Magnesium Reader").wait_for()
    assert page.get_by_text("Seed Reader").count() == 0
    assert page.locator("input[name='post']").input_value() == str(other.pk)
