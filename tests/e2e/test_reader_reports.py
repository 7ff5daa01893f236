"""Reporting a comment in Chromium with script off: the link on the post, the page with the
reasons, the same-site POST the forgery defence lets through (the browser's own
``Sec-Fetch-Site``), the thanks, and the same browser refused a second time."""

import pytest

from blog.comments.models import Comment
from blog.comments.reports import BROWSER_COOKIE, CommentReport
from blog.models import BlogPostPage
from blog.seed import load_seed_content
from tests.comments.conftest import make_comment

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_reader_reports_a_comment_without_script(browser, live_server):
    load_seed_content()
    post = BlogPostPage.objects.get(slug="dry-needling-chronic-muscle-cramping")
    comment = make_comment(post, body="Stop your statins, magnesium is enough.")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)

    page.goto(f"{live_server.url}{post.url}")
    with page.expect_navigation():
        page.locator(f"#comment-{comment.pk} a.comment__report").click()
    assert "Stop your statins" in page.locator("blockquote").inner_text()
    page.get_by_label("Health misinformation").check()
    page.get_by_label("Anything moderators should know").fill("Tells readers to stop medication.")
    with page.expect_navigation():
        page.get_by_role("button", name="Send report").click()

    assert page.get_by_role("status").inner_text().startswith("Thank you.")
    report = CommentReport.objects.get()
    assert (report.comment_id, report.reason) == (comment.pk, "misinformation")
    cookie = next(c for c in context.cookies() if c["name"] == BROWSER_COOKIE)
    assert cookie["httpOnly"]

    page.go_back()
    page.reload()
    page.get_by_label("Spam").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Send report").click()
    assert "You have already reported this comment." in page.locator("[role=alert]").inner_text()
    assert CommentReport.objects.count() == 1
    assert Comment.objects.get(pk=comment.pk).status == Comment.Status.APPROVED
    context.close()
