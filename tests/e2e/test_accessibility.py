"""
axe-core (npm ``axe-core``, the engine behind most accessibility checkers) in Chromium, on
every reader page and on the admin views this project adds: no serious or critical
violation.

axe runs on the page as drawn (styles, colours, focus order, what scripts changed), which
no check of the HTML alone sees. It is added to every document through an init script,
which the pages' Content-Security-Policy does not apply to, so the pages are checked
under their real policy.

Wagtail's own admin markup has findings of its own; those are listed, with the upstream
issue, in ``WAGTAIL_FINDINGS`` and docs/validators.md, and are forgiven on admin pages only.
"""

import re

from django.test import Client

import pytest

from blog.comments.models import Comment
from blog.models import BlogPostPage
from tests.e2e.conftest import skip_or_fail
from tests.validators.reader_pages import PENDING_BODY, REFUSED_FIELDS, prepare_reader_site
from tests.validators.tooling import node_package_file

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

FAILING_IMPACTS = {"serious", "critical"}

#: Findings that come from Wagtail's admin markup, not from this project's templates:
#: (axe rule id, pattern of the CSS selector axe reports), forgiven on admin pages only.
#: Each is in docs/validators.md with its upstream issue; drop an entry when Wagtail fixes it.
WAGTAIL_FINDINGS = [
    # Draftail's contenteditable textbox is not tied to the field's <label> (its ids are
    # random per load): wagtail/wagtail#14205.
    ("aria-input-field-name", re.compile(r'div\[aria-describedby="placeholder-\w+"\]')),
    # The tag field's jQuery UI autocomplete input has no label of its own.
    ("label", re.compile(r"\.ui-autocomplete-input")),
    # The editor's minimap list scrolls but cannot take keyboard focus.
    ("scrollable-region-focusable", re.compile(r"\.w-minimap__list")),
]


def axe_violations(page):
    """Serious and critical violations on the page now: (rule, impact, selector, help)."""
    results = page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ["violations"]});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.join(" ")),
            }));
        }"""
    )
    return [
        (violation["id"], violation["impact"], target, violation["help"])
        for violation in results
        if violation["impact"] in FAILING_IMPACTS
        for target in violation["targets"]
    ]


def describe(findings):
    return "\n".join(
        f"  {url}: {rule} ({impact}) at {target}: {help_text}"
        for url, rule, impact, target, help_text in findings
    )


@pytest.fixture
def axe_context(browser):
    """A browser context that has axe in every document it opens."""
    axe_source = node_package_file("axe-core/axe.min.js")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(path=str(axe_source))
    context.set_default_timeout(15_000)
    yield context
    context.close()


def session_cookie(client, live_server):
    from django.conf import settings

    value = client.cookies.get(settings.SESSION_COOKIE_NAME)
    if value is None:
        skip_or_fail("the test client has no session to hand to the browser")
    return {"name": settings.SESSION_COOKIE_NAME, "value": value.value, "url": live_server.url}


def author_cookies(client, live_server):
    """The session that shows the author their held comment, and the cookies of its edit
    window (the secret, scoped to the comment's own URLs), each on its own path."""
    return [session_cookie(client, live_server)] + [
        {"name": name, "value": morsel.value, "url": live_server.url + (morsel["path"] or "/")}
        for name, morsel in client.cookies.items()
        if name.startswith("comment_edit")
    ]


def check(page, url, findings, forgiven=()):
    for rule, impact, target, help_text in axe_violations(page):
        if not any(rule == known and pattern.fullmatch(target) for known, pattern in forgiven):
            findings.append((url, rule, impact, target, help_text))


def test_reader_pages_have_no_serious_accessibility_violations(
    live_server, axe_context, seed_post, settings
):
    site = prepare_reader_site(seed_post, settings)
    page = axe_context.new_page()
    author = axe_context.browser.new_context(viewport={"width": 1280, "height": 900})
    author.add_init_script(path=str(node_package_file("axe-core/axe.min.js")))
    author.add_cookies(author_cookies(site.author, live_server))
    author_page = author.new_page()
    findings = []
    try:
        for reader_page in site.pages:
            url = live_server.url + reader_page.path
            if reader_page.refused_form:
                page.goto(url)
                form = page.locator("#respond form")
                for name, value in REFUSED_FIELDS.items():
                    form.locator(f"[name={name}]").fill(value)
                form.locator("[name=body]").fill("Please keep this text")
                form.get_by_role("button", name="Post Comment").click()
                page.wait_for_load_state()
                assert page.locator(".field-error").count() >= 1
                check(page, f"{url} (refused form)", findings)
                continue
            viewer = author_page if reader_page.as_author else page
            viewer.goto(url)
            if reader_page.as_author:
                assert viewer.get_by_text(PENDING_BODY).count() >= 1
            check(viewer, url, findings)
    finally:
        author.close()
    assert not findings, f"{len(findings)} serious or critical violations:\n" + describe(findings)


def test_admin_views_of_this_project_have_no_serious_accessibility_violations(
    live_server, axe_context, seed_post, settings, django_user_model
):
    site = prepare_reader_site(seed_post, settings)
    pending = Comment.objects.filter(status=Comment.Status.PENDING).get()
    approved = Comment.objects.filter(status=Comment.Status.APPROVED).first()
    editor = django_user_model.objects.create_superuser("a11y", "a11y@example.com", "pw")
    client = Client()
    client.force_login(editor)
    axe_context.add_cookies([session_cookie(client, live_server)])
    post = BlogPostPage.objects.get(pk=site.post.pk)
    comments = "/admin/snippets/comments/comment"
    views = [
        f"{comments}/",
        f"{comments}/inspect/{pending.pk}/",
        # The reply form is on the inspect view of an approved comment.
        f"{comments}/inspect/{approved.pk}/",
        f"/admin/bulk/comments/comment/approve/?id={pending.pk}",
        f"/admin/pages/{post.pk}/edit/",
    ]
    page = axe_context.new_page()
    findings = []
    for path in views:
        response = page.goto(live_server.url + path)
        assert response.status == 200, (path, response.status)
        page.wait_for_load_state("networkidle")
        check(page, path, findings, forgiven=WAGTAIL_FINDINGS)

    # A reply refused for an empty body: the inspect view again, with the errors.
    page.goto(f"{live_server.url}{comments}/inspect/{approved.pk}/")
    page.get_by_role("button", name="Publish reply").click()
    page.wait_for_load_state("networkidle")
    assert "could not be published" in page.content()
    check(page, f"{comments}/reply/{approved.pk}/ (refused)", findings, forgiven=WAGTAIL_FINDINGS)
    assert not findings, f"{len(findings)} serious or critical violations:\n" + describe(findings)
