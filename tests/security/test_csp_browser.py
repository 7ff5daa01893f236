"""The Content-Security-Policy breaks nothing people use: reader pages, the comment form's
script, the API docs and the admin load in Chromium without a single violation."""

import pytest

from blog.models import BlogPostPage
from blog.seed import load_seed_content
from tests.comments.admin_users import make_superuser
from tests.comments.conftest import make_comment
from tests.security.test_xss_browser import Findings, sign_in, trapped_pages

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def post(live_server, settings):
    settings.WAGTAIL_ENABLE_UPDATE_CHECK = False
    load_seed_content()
    post = BlogPostPage.objects.get(slug="dry-needling-chronic-muscle-cramping")
    make_comment(post, author_name="Ada", body="First!")
    return post


def test_reader_pages_and_api_docs_load_without_violations(live_server, post, browser):
    findings = Findings(origin=live_server.url)
    context, (page,) = trapped_pages(browser, findings)
    tag = post.tags.first()
    blog = post.get_parent()
    for path in [
        "/",
        blog.url,
        f"{blog.url}tags/{tag.slug}/",
        post.url,
        "/search/?q=needling",
        "/no-such-page/",
    ]:
        page.goto(f"{live_server.url}{path}")
        assert page.locator("link[rel=stylesheet]").count() >= 1
        # Our stylesheet applied: the header is laid out by site.css, not the browser default.
        assert page.evaluate(
            "getComputedStyle(document.querySelector('.site-header')).display"
        ) in ("block", "flex", "grid")

    # The comment form's script runs: a reply link moves the form under the comment.
    page.goto(f"{live_server.url}{post.url}")
    page.get_by_role("link", name="Reply to Ada").click()
    assert page.locator("li.comment #respond").count() == 1
    assert page.locator("#reply-title").inner_text().startswith("Reply to Ada")

    # The API docs: Swagger UI from our own static files renders the operations.
    page.goto(f"{live_server.url}/api/v3/docs/")
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() > 10
    context.close()

    assert findings.csp_violations == []
    assert findings.foreign_requests == []
    assert findings.executions == []


def test_the_admin_and_the_userbar_load_without_violations(live_server, post, browser):
    findings = Findings(origin=live_server.url)
    context, (page,) = trapped_pages(browser, findings)
    sign_in(page, live_server.url, make_superuser("csp-admin"))
    page.goto(f"{live_server.url}/admin/pages/{post.pk}/edit/")
    page.locator("#id_title").wait_for()
    page.goto(f"{live_server.url}/admin/snippets/comments/comment/")
    page.goto(f"{live_server.url}{post.url}")  # an editor on the site sees Wagtail's userbar
    page.locator("wagtail-userbar").wait_for(state="attached")
    context.close()

    assert findings.csp_violations == []
    assert findings.foreign_requests == []
    assert findings.executions == []
