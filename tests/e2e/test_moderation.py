"""A reader comments and replies on the seed post; a moderator approves both in the admin
with a bulk action; the reader reloads and sees the thread, the reply under its comment."""

import pytest

from blog.comments.models import Comment
from blog.models import BlogPostPage
from blog.seed import load_seed_content
from tests.comments.admin_users import PASSWORD, make_moderator
from tests.comments.conftest import make_comment

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

AWAITING = "Your comment is awaiting moderation."


@pytest.fixture
def discussion(live_server, settings):
    """The seed post with one approved comment to reply to, and the rules that stop people
    posting faster than they can type switched off for a test that types instantly."""
    settings.COMMENTS_MIN_SECONDS_TO_POST = 0
    settings.COMMENTS_FLOOD_SECONDS = 0
    load_seed_content()
    post = BlogPostPage.objects.get(slug="dry-needling-chronic-muscle-cramping")
    earlier = make_comment(
        post,
        status=Comment.Status.APPROVED,
        author_name="Dana Earlier",
        body="Has anyone tried this for night cramps?",
    )
    return live_server, post, earlier


def post_comment(page, text):
    form = page.locator("#respond form")
    form.locator("textarea[name='body']").fill(text)
    form.locator("input[name='author_name']").fill("Riley Reader")
    form.locator("input[name='author_email']").fill("riley@example.com")
    form.get_by_role("button", name="Post Comment").click()
    page.wait_for_load_state()


def test_reader_comments_and_replies_moderator_approves_reader_sees_thread(discussion, browser):
    live_server, post, earlier = discussion
    post_url = f"{live_server.url}{post.url}"

    reader = browser.new_context().new_page()
    reader.goto(post_url)
    post_comment(reader, "Dry needling helped my calf cramps after two sessions.")
    assert reader.get_by_text(AWAITING).count() == 1

    reader.locator(f"a[data-reply-to='{earlier.pk}']").click()
    assert reader.locator(f"#comment-{earlier.pk} #respond").count() == 1
    post_comment(reader, "Yes, it helped my night cramps too.")
    assert reader.get_by_text(AWAITING).count() == 2
    comment = Comment.objects.get(body__startswith="Dry needling helped")
    reply = Comment.objects.get(body__startswith="Yes, it helped")
    assert (comment.status, reply.status) == (Comment.Status.PENDING,) * 2
    assert reply.parent_id == earlier.pk

    make_moderator("mod")
    moderator = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    moderator.goto(f"{live_server.url}/admin/login/")
    moderator.fill("#id_username", "mod")
    moderator.fill("#id_password", PASSWORD)
    moderator.get_by_role("button", name="Sign in").click()
    moderator.wait_for_url(f"{live_server.url}/admin/")
    assert (
        moderator.locator("[data-pending-comments-panel]").get_by_text("Riley Reader").count() == 2
    )

    moderator.get_by_role("link", name="Comments (2 pending)").click()
    moderator.wait_for_url("**/admin/snippets/comments/comment/?status=pending")
    for pending in (comment, reply):
        moderator.locator(
            f"input[data-bulk-action-checkbox][data-object-id='{pending.pk}']"
        ).check()
    moderator.locator("[data-bulk-action-footer]").get_by_role("link", name="Approve").click()
    moderator.wait_for_url("**/admin/bulk/comments/comment/approve/**")
    moderator.get_by_role("button", name="Approve").click()
    moderator.wait_for_url("**/admin/snippets/comments/comment/**")
    assert moderator.get_by_text("Approved 2 comments.").count() == 1

    comment.refresh_from_db()
    reply.refresh_from_db()
    assert (comment.status, reply.status) == (Comment.Status.APPROVED,) * 2

    reader.goto(post_url)
    assert reader.get_by_text(AWAITING).count() == 0
    assert reader.locator(f"#comments > ol.comment-list > li#comment-{comment.pk}").count() == 1
    nested = reader.locator(
        f"#comment-{earlier.pk} ol.comment-list--replies > li#comment-{reply.pk}"
    )
    assert nested.count() == 1
    assert "Yes, it helped my night cramps too." in nested.inner_text()
    assert "riley@example.com" not in reader.content()
