"""An editor types in the post editor and sees the change drawn in the preview side panel.

The panel frames the preview inside the admin, so the preview's response must let our own
admin frame it; Django's test client never frames anything, so only a browser shows that
the panel stays blank when it does not (issue 12, item 2)."""

from django.test import Client

import pytest

from blog.models import BlogPostPage
from blog.seed import load_seed_content
from tests.comments.admin_users import make_superuser

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NEW_TITLE = "Dry needling for cramps: what the trials show"


def test_the_preview_panel_draws_what_the_editor_just_typed(live_server, page, settings):
    settings.WAGTAIL_ENABLE_UPDATE_CHECK = False
    load_seed_content()
    post = BlogPostPage.objects.get(slug="dry-needling-chronic-muscle-cramping")
    header_errors = []
    page.on(
        "console",
        lambda message: (
            header_errors.append(message.text)
            if "Content Security Policy" in message.text or "Permissions-Policy" in message.text
            else None
        ),
    )
    signed_in = Client()
    signed_in.force_login(make_superuser("previewer"))
    session = signed_in.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )

    page.goto(f"{live_server.url}/admin/pages/{post.pk}/edit/")
    page.locator("#id_title").fill(NEW_TITLE)
    page.locator("[data-side-panel-toggle='preview']").click()

    preview = page.frame_locator("#w-preview-iframe")
    preview.get_by_role("heading", level=1, name=NEW_TITLE).wait_for()
    frame = page.locator("#w-preview-iframe").element_handle().content_frame()
    assert frame.url.startswith(f"{live_server.url}/admin/pages/{post.pk}/edit/preview/")
    assert NEW_TITLE in frame.locator("h1").inner_text()
    assert "blocked" not in frame.locator("body").inner_text()
    assert header_errors == []
    # The Permissions-Policy leaves the admin what it uses (its Copy buttons) and no more.
    allows = "feature => document.featurePolicy.allowsFeature(feature)"
    assert page.evaluate(f"({allows})('clipboard-write')")
    assert not page.evaluate(f"({allows})('camera')")
    assert not frame.evaluate(f"({allows})('geolocation')")
    # Typing was previewed, not saved.
    post.refresh_from_db()
    assert post.title != NEW_TITLE
