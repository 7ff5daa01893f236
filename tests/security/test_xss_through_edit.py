"""
Stored XSS through the author's edit (blog/comments/editing.py), attacked in a real
browser with the traps of test_xss_browser.py.

Every vector of the corpus arrives as an edit, over real HTTP to the live server: each
comment is posted harmless through the API, then edited into the vector, alternately
through the API (``PATCH`` with the secret header) and through the reader's edit form
(the secret cookie, a plain form POST). Every fifth is edited once more, so the vector
also sits in the moderators' table of earlier versions. Chromium then renders the
author's edit and delete pages (a sample), the post's comment pages for a reader and, as
a superuser, the inspect view of every comment with a version.
"""

import math

from django.urls import reverse

import pytest
import requests

from blog.comments import editing
from blog.comments.models import Comment
from blog.comments.moderation import moderate
from blog.models import BlogPostPage
from blog.seed import load_seed_content
from tests.comments.admin_users import make_superuser
from tests.comments.conftest import make_comment
from tests.security.conftest import load_xss_vectors
from tests.security.test_xss_browser import (
    ADMIN_CONTAINERS,
    PARALLEL_PAGES,
    READER_CONTAINERS,
    Findings,
    sign_in,
    trapped_pages,
    visit_all,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

VECTORS = load_xss_vectors()
THREADS_PER_PAGE = 500  # one page: every comment, with one load
EDITED_AGAIN_EVERY = 5
AUTHOR_PAGES_EVERY = 10
NAMESPACE = "wagtailsnippets_comments_comment"


@pytest.fixture
def edited_post(live_server, open_comments, settings):
    settings.COMMENTS_THREADS_PER_PAGE = THREADS_PER_PAGE
    settings.WAGTAIL_ENABLE_UPDATE_CHECK = False
    load_seed_content()
    post = BlogPostPage.objects.get(slug="dry-needling-chronic-muscle-cramping")
    # Known authors (one per vector, so vectors that differ only in case or spacing are
    # not duplicates): each new comment is published at once, and the edit is what moves it.
    for number in range(len(VECTORS)):
        make_comment(post, author_email=author_email(number), body="An earlier comment.")
    return post


def author_email(number):
    return f"xss-editor-{number}@example.com"


def post_and_edit(base_url, post):
    """Post one comment per vector and edit it into the vector; returns (id, secret,
    path) for each."""
    app = requests.Session()
    token = app.get(
        f"{base_url}/api/v3/comments/form-token/", params={"page": post.pk}, timeout=30
    ).json()["token"]
    edited = []
    for number, vector in enumerate(VECTORS):
        created = app.post(
            f"{base_url}/api/v3/comments/",
            json={
                "page": post.pk,
                "token": token,
                "author_name": f"Editor {number}",
                "author_email": author_email(number),
                "body": f"Harmless comment {number}.",
            },
            timeout=30,
        )
        assert created.status_code == 201, created.text
        comment_id, secret = created.json()["id"], created.json()["edit_secret"]
        path = ("api", "form")[number % 2]
        edit(base_url, path, comment_id, secret, vector)
        if number % EDITED_AGAIN_EVERY == 0:
            edit(base_url, path, comment_id, secret, f"Final wording {number}.")
        edited.append((comment_id, secret, path))
    return edited


def edit(base_url, path, comment_id, secret, body):
    if path == "api":
        response = requests.patch(
            f"{base_url}/api/v3/comments/{comment_id}/",
            json={"body": body},
            headers={editing.SECRET_HEADER: secret},
            timeout=30,
        )
        assert response.status_code == 200, (body, response.text)
    else:
        response = requests.post(
            f"{base_url}/comments/{comment_id}/edit/",
            data={"body": body},
            cookies={editing.secret_cookie_name(comment_id): secret},
            headers={"Origin": base_url},
            allow_redirects=False,
            timeout=30,
        )
        assert response.status_code == 303, (body, response.status_code, response.text[:500])


def test_no_vector_edited_in_runs_script_or_reaches_another_origin(
    live_server, edited_post, browser
):
    post = edited_post
    edited = post_and_edit(live_server.url, post)
    assert Comment.objects.filter(post=post, edited_at__isnull=False).count() == len(VECTORS)
    with_versions = [pk for pk, _, _ in edited[::EDITED_AGAIN_EVERY]]

    # The author's own pages, in the author's browser (the secret cookie, scoped as set).
    author_findings = Findings(origin=live_server.url)
    author_context, author_pages = trapped_pages(browser, author_findings, PARALLEL_PAGES)
    sample = edited[1::AUTHOR_PAGES_EVERY]
    author_context.add_cookies(
        [
            {
                "name": editing.secret_cookie_name(pk),
                "value": secret,
                "url": f"{live_server.url}{editing.comment_path(pk)}",
            }
            for pk, secret, _ in sample
        ]
    )
    edit_urls = [f"{live_server.url}/comments/{pk}/edit/" for pk, _, _ in sample]
    delete_urls = [f"{live_server.url}/comments/{pk}/delete/" for pk, _, _ in sample]
    visit_all(author_pages, author_findings, edit_urls, [])
    assert author_pages[0].locator("textarea[name=body]").count() == 1
    visit_all(author_pages, author_findings, delete_urls, [".comment-delete blockquote"])
    assert author_pages[0].locator(".comment-delete blockquote").count() == 1
    author_context.close()

    admin = make_superuser("xss-edit-admin")
    held = Comment.objects.filter(post=post).exclude(status=Comment.Status.APPROVED)
    moderate(list(held.values_list("pk", flat=True)), "approve", admin)
    approved = Comment.objects.approved().filter(post=post).count()
    assert approved == Comment.objects.filter(post=post).count()

    reader_findings = Findings(origin=live_server.url)
    reader_context, reader_pages = trapped_pages(browser, reader_findings)
    pages = math.ceil(approved / THREADS_PER_PAGE)
    reader_urls = [f"{live_server.url}{post.url}?cpage={n}" for n in range(1, pages + 1)]
    visit_all(reader_pages, reader_findings, reader_urls, READER_CONTAINERS)
    edited_marks = sum(
        page.locator(".comment__edited").count() for page in reader_pages[: len(reader_urls)]
    )
    assert edited_marks == len(VECTORS)
    reader_context.close()

    admin_findings = Findings(origin=live_server.url)
    admin_context, admin_pages = trapped_pages(browser, admin_findings, PARALLEL_PAGES)
    sign_in(admin_pages[0], live_server.url, admin)
    inspect_urls = [
        f"{live_server.url}{reverse(f'{NAMESPACE}:inspect', args=[pk])}" for pk in with_versions
    ]
    # ADMIN_CONTAINERS covers "table.listing tbody", the table of earlier versions too.
    visit_all(admin_pages, admin_findings, inspect_urls, ADMIN_CONTAINERS)
    versions_shown = admin_pages[0].locator("[data-comment-versions] tbody tr").count()
    assert versions_shown == 2
    admin_context.close()

    for findings in (author_findings, reader_findings, admin_findings):
        findings.assert_clean()
