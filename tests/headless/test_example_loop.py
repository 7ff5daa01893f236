"""
The whole headless loop in Chromium, with the example front end (examples/frontend/) on
its own origin as preview target, webhook receiver and comment host:

an editor types a new title and the admin's preview panel shows the example drawing the
unsaved draft; publishing sends a `page.published` webhook the example verifies with the
standardwebhooks library; a reader posts a comment through the component and the example
receives `comment.created`; a moderator approves it in the admin and the reader sees it in
the example; and a post being added, never saved, previews on the example too.
"""

from django.test import Client

import pytest

from blog.comments.models import Comment
from blog.models import BlogPostPage
from blog.seed import load_seed_content
from examples.frontend.server import FrontEnd
from headless.models import WebhookEndpoint
from headless.signing import new_secret
from tests.comments.admin_users import make_superuser

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NEW_TITLE = "Dry needling for cramps, as the example draws it"
COMMENT = "Seen on the example front end: does this work for night cramps?"
UNSAVED_TITLE = "A post the editor has not saved yet"


@pytest.fixture
def example(live_server, settings):
    secret = new_secret()
    server = FrontEnd(live_server.url, webhook_secret=secret).start()
    settings.WAGTAIL_ENABLE_UPDATE_CHECK = False
    settings.HEADLESS_PREVIEW_URL = f"{server.url}/preview?token={{token}}"
    # What HEADLESS_PREVIEW_URL in the environment gives the admin when settings load
    # (tests/headless/test_preview.py checks that in a fresh process).
    settings.SECURE_CSP_ADMIN = {**settings.SECURE_CSP_ADMIN, "frame-src": ["'self'", server.url]}
    settings.CORS_ALLOWED_ORIGINS = [server.url]
    settings.HEADLESS_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.COMMENTS_MIN_SECONDS_TO_POST = 1
    load_seed_content()
    WebhookEndpoint.objects.create(
        url=f"{server.url}/webhooks",
        secret=secret,
        events=["page.published", "comment.created", "comment.status_changed"],
    )
    yield server
    server.shutdown()
    server.server_close()


def events_of(server, event_type):
    return [event for event in server.webhooks if event["type"] == event_type]


def test_edit_preview_publish_comment_approve_through_the_example(
    example, live_server, browser, settings
):
    post = BlogPostPage.objects.get(slug="dry-needling-chronic-muscle-cramping")
    Comment.objects.filter(post=post).delete()
    signed_in = Client()
    signed_in.force_login(make_superuser("editor"))
    editor_context = browser.new_context(viewport={"width": 1280, "height": 900})
    editor_context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": signed_in.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    editor = editor_context.new_page()
    editor.set_default_timeout(20_000)

    # Edit: the panel frames the example, which draws the unsaved draft.
    editor.goto(f"{live_server.url}/admin/pages/{post.pk}/edit/")
    editor.locator("#id_title").fill(NEW_TITLE)
    editor.locator("[data-side-panel-toggle='preview']").click()
    panel = editor.frame_locator("#w-preview-iframe")
    panel.get_by_role("heading", level=1, name=NEW_TITLE).wait_for()
    frame = editor.locator("#w-preview-iframe").element_handle().content_frame()
    assert frame.url.startswith(f"{example.url}/preview?token=")
    assert panel.locator(".preview-banner").inner_text() == "Preview of a draft"
    assert panel.locator("[class^=block-]").count() >= 3
    assert not events_of(example, "page.published")

    # Publish: the example receives a page.published it verified.
    editor.locator(
        "button.w-dropdown__toggle--icon, [data-w-dropdown-target='toggle']"
    ).last.click()
    editor.get_by_role("button", name="Publish").click()
    editor.wait_for_url("**/admin/pages/**")
    published = events_of(example, "page.published")
    assert [event["data"]["id"] for event in published] == [post.pk]
    assert published[0]["data"]["api_url"].endswith(f"/api/v3/pages/{post.pk}/")

    # A reader comments through the component on the example's page.
    reader = browser.new_context().new_page()
    reader.set_default_timeout(20_000)
    reader.goto(example.url)
    reader.get_by_role("link", name=NEW_TITLE).click()
    reader.wait_for_url(f"{example.url}/posts/{post.pk}/")
    assert reader.locator("h1").inner_text() == NEW_TITLE
    comments = reader.locator("evidence-comments")
    comments.locator("[name=author_name]").fill("Nora Reader")
    comments.locator("[name=author_email]").fill("nora@example.com")
    comments.locator("[name=body]").fill(COMMENT)
    comments.locator("[part=submit-button]").click()
    comments.locator("[part=pending-note]").wait_for()
    comment = Comment.objects.get(body=COMMENT)
    assert comment.status == Comment.Status.PENDING
    # Name and email are kept on the device only when the reader asks (the box is unticked).
    assert reader.evaluate("localStorage.getItem('evidence-comments:author')") is None
    created = events_of(example, "comment.created")
    assert [(event["data"]["id"], event["data"]["status"]) for event in created] == [
        (comment.pk, "pending")
    ]

    # A moderator approves it in the admin; the example shows it as published.
    editor.goto(f"{live_server.url}/admin/snippets/comments/comment/?status=pending")
    editor.locator(f"input[data-bulk-action-checkbox][data-object-id='{comment.pk}']").check()
    editor.locator("[data-bulk-action-footer]").get_by_role("link", name="Approve").click()
    editor.wait_for_url("**/admin/bulk/comments/comment/approve/**")
    editor.get_by_role("button", name="Approve").click()
    editor.wait_for_url("**/admin/snippets/comments/comment/**")
    changed = events_of(example, "comment.status_changed")
    assert [(event["data"]["from"], event["data"]["to"]) for event in changed] == [
        ("pending", "approved")
    ]

    reader.reload()
    shown = comments.locator(f"#comment-{comment.pk}")
    shown.locator("[part=body]").wait_for()
    assert COMMENT in shown.inner_text()
    assert shown.locator("[part=pending-note]").count() == 0
    assert "1 comment" in comments.locator("[part=heading]").inner_text()

    # A post being added: the panel shows the example drawing it from the form alone.
    # (The admin remembers the open side panel in localStorage; start from it closed.)
    editor.evaluate("localStorage.clear()")
    editor.goto(f"{live_server.url}/admin/pages/add/blog/blogpostpage/{post.get_parent().pk}/")
    editor.locator("#id_title").fill(UNSAVED_TITLE)
    editor.locator("#id_intro").fill("Drawn before its first save.")
    editor.locator("[data-side-panel-toggle='preview']").click()
    panel.get_by_role("heading", level=1, name=UNSAVED_TITLE).wait_for()
    frame = editor.locator("#w-preview-iframe").element_handle().content_frame()
    assert frame.url.startswith(f"{example.url}/preview?token=")
    assert panel.locator(".intro").inner_text() == "Drawn before its first save."
    assert not BlogPostPage.objects.filter(title=UNSAVED_TITLE).exists()
