"""Draft preview on a separate front end: the admin's preview goes to the front end's
address with a token, and the token reads the draft (unsaved edits included) from the
API in the page detail's schema, for a short while, for that page and content only."""

import time
from urllib.parse import parse_qs, unquote, urlsplit

from django.core import signing
from django.core.cache import cache
from django.test import Client

from wagtail.models import Page
from wagtail.test.utils.form_data import rich_text

import pytest

from headless.preview import issue_preview_token
from tests.conftest import build_post

FRONT_END = "http://localhost:3000/preview?token={token}"
PREVIEW_API = "/api/v3/preview/"


@pytest.fixture(autouse=True)
def no_front_end_per_site(settings):
    settings.HEADLESS_PREVIEW_URLS = {}


@pytest.fixture
def front_end(settings):
    settings.HEADLESS_PREVIEW_URL = FRONT_END


def preview(client, post, *, in_panel=True, **fields):
    """What the editor's preview panel does: post the form as it stands (nothing is
    saved), then load the preview, in the panel or a new tab."""
    preview_url = f"/admin/pages/{post.pk}/edit/preview/"
    form = {
        "title": post.title,
        "slug": post.slug,
        "date": post.date.isoformat(),
        "intro": post.intro,
        "body-count": "0",
        "author_links-TOTAL_FORMS": "0",
        "author_links-INITIAL_FORMS": "0",
        "author_links-MIN_NUM_FORMS": "0",
        "author_links-MAX_NUM_FORMS": "1000",
        **fields,
    }
    state = client.post(preview_url, form)
    assert state.json() == {"is_valid": True, "is_available": True}
    return client.get(f"{preview_url}?in_preview_panel=true" if in_panel else preview_url)


def token_in(response):
    assert response.status_code == 302
    assert response.url.startswith("http://localhost:3000/preview?token=")
    [token] = parse_qs(urlsplit(response.url).query)["token"]
    return token


def read_preview(token):
    return Client().get(PREVIEW_API, {"token": token})


def assert_not_kept(response):
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Robots-Tag"] == "noindex"
    assert not response.has_header("ETag")


@pytest.mark.parametrize("in_panel", [True, False])
def test_the_admin_preview_sends_the_editor_to_the_front_end_with_the_unsaved_draft(
    admin_client, blog_index, front_end, in_panel
):
    post = build_post(blog_index, 1)
    revisions_before = post.revisions.count()

    token = token_in(preview(admin_client, post, in_panel=in_panel, title="Unsaved draft title"))
    response = read_preview(token)

    assert response.status_code == 200
    assert_not_kept(response)
    draft = response.json()
    assert (draft["id"], draft["title"]) == (post.pk, "Unsaved draft title")
    live = Client().get(f"/api/v3/pages/{post.pk}/").json()
    assert live["title"] == post.title
    assert draft.keys() == live.keys()
    assert post.revisions.count() == revisions_before


def test_the_admin_may_frame_the_front_end_and_only_it(settings):
    """The CSP comes from the environment when settings load; checked in a fresh process."""
    import os
    import subprocess
    import sys

    code = (
        "import django, os; django.setup(); from django.conf import settings; "
        "print(settings.SECURE_CSP_ADMIN.get('frame-src'))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.test",
        "HEADLESS_PREVIEW_URL": FRONT_END,
    }
    output = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "[\"'self'\", 'http://localhost:3000']"


def test_without_a_front_end_wagtail_previews_as_today(admin_client, blog_index):
    post = build_post(blog_index, 1)
    response = preview(admin_client, post, title="Drawn by our own template")
    assert response.status_code == 200
    assert "Drawn by our own template" in response.text


def test_a_post_with_every_block_type_previews_with_its_typed_body(
    seed_post, front_end, django_assert_max_num_queries
):
    blocks = seed_post.body.stream_block.child_blocks
    seed_post.title = "Edited seed"
    seed_post.body = [(name, block.get_preview_value()) for name, block in blocks.items()]
    token = issue_preview_token(seed_post)
    # Measured 49 with this body (33 with the seed's own): rebuilding a page from its
    # content looks up each tag twice, as Wagtail's revisions do (8), and each image
    # block asks for its rendition (8); none of it grows with anything but the draft.
    with django_assert_max_num_queries(49):
        response = read_preview(token)

    assert response.status_code == 200
    draft = response.json()
    assert draft["title"] == "Edited seed"
    assert [block["type"] for block in draft["body"]] == list(blocks)
    live = Client().get(f"/api/v3/pages/{seed_post.pk}/").json()
    assert live["title"] != "Edited seed"


def test_every_page_type_previews(seed_post, front_end):
    pages = [page.specific for page in Page.objects.filter(depth__gt=1)]
    assert {type(page).__name__ for page in pages} >= {"HomePage", "BlogIndexPage", "BlogPostPage"}
    for page in pages:
        page.title = f"Draft of {page.title}"
        response = read_preview(issue_preview_token(page))
        assert response.status_code == 200, type(page)
        assert response.json()["title"] == page.title
        assert response.json()["meta"]["type"] == page._meta.label


def test_a_token_reads_the_version_it_was_issued_for(blog_index, front_end):
    post = build_post(blog_index, 1)
    post.title = "First edit"
    first = issue_preview_token(post)
    post.title = "Second edit"
    second = issue_preview_token(post)
    assert read_preview(first).json()["title"] == "First edit"
    assert read_preview(second).json()["title"] == "Second edit"


def problem(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    assert_not_kept(response)
    return response.json()["detail"]


def test_no_token_is_401(db):
    assert "token is required" in problem(Client().get(PREVIEW_API), 401)


def test_a_forged_token_is_401(blog_index, front_end):
    post = build_post(blog_index, 1)
    token = issue_preview_token(post)
    claims = signing.loads(token, salt="headless.preview")
    other = build_post(blog_index, 2)
    for forged in (
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        signing.dumps({**claims, "page": other.pk}, salt="headless.preview", key="guessed"),
        signing.dumps({**claims, "page": other.pk}, salt="another purpose"),
    ):
        assert "not valid" in problem(read_preview(forged), 401)


def test_an_expired_token_is_401(blog_index, front_end, settings, monkeypatch):
    token = issue_preview_token(build_post(blog_index, 1))
    later = time.time() + settings.HEADLESS_PREVIEW_SECONDS + 2
    monkeypatch.setattr(signing.time, "time", lambda: later)
    assert "expired" in problem(read_preview(token), 401)


def test_a_draft_or_page_that_is_gone_is_404(blog_index, front_end):
    post = build_post(blog_index, 1)
    kept = issue_preview_token(post)
    cache.clear()
    assert "no longer available" in problem(read_preview(kept), 404)
    token = issue_preview_token(post)
    Page.objects.get(pk=post.pk).delete()
    assert "no longer exists" in problem(read_preview(token), 404)


@pytest.mark.parametrize(
    "address, errors",
    [
        ("", []),
        (FRONT_END, []),
        ("http://localhost:3000/preview", ["headless.E001"]),
        ("/preview?token={token}", ["headless.E002"]),
        ("localhost:3000/preview?token={token}", ["headless.E002"]),
    ],
)
def test_a_preview_address_that_cannot_work_fails_the_checks(settings, address, errors):
    from headless.checks import check_preview_url

    settings.HEADLESS_PREVIEW_URL = address
    assert [error.id for error in check_preview_url()] == errors
    settings.HEADLESS_PREVIEW_URL = ""
    settings.HEADLESS_PREVIEW_URLS = {"blog.example": address}
    assert [error.id for error in check_preview_url()] == errors


def test_a_site_with_its_own_front_end_previews_there(admin_client, blog_index, settings):
    settings.HEADLESS_PREVIEW_URL = FRONT_END
    post = build_post(blog_index, 1)
    hostname = post.get_site().hostname
    settings.HEADLESS_PREVIEW_URLS = {
        hostname: "https://app.example/drafts/{token}",
        "other.example": "https://other.example/preview?token={token}",
    }
    response = preview(admin_client, post, title="For this site's app")
    assert response.status_code == 302
    assert response.url.startswith("https://app.example/drafts/")
    token = response.url.rsplit("/", 1)[1]
    assert read_preview(unquote(token)).json()["title"] == "For this site's app"


def preview_on_add(client, model_path, parent, form, *, in_panel=True):
    """The preview panel of a page being added: the form as it stands, never saved."""
    preview_url = f"/admin/pages/add/{model_path}/{parent.pk}/preview/"
    state = client.post(preview_url, form)
    assert state.json() == {"is_valid": True, "is_available": True}
    return client.get(f"{preview_url}?in_preview_panel=true" if in_panel else preview_url)


@pytest.mark.parametrize("in_panel", [True, False])
def test_a_new_post_with_every_block_type_previews_before_its_first_save(
    admin_client, blog_index, seed_post, front_end, in_panel, django_assert_max_num_queries
):
    from tests.blog.test_editing import every_block, post_form

    pages_before = Page.objects.count()
    form = post_form(every_block(seed_post.hero_image_id), title="Never saved", slug="never-saved")

    token = token_in(
        preview_on_add(admin_client, "blog/blogpostpage", blog_index, form, in_panel=in_panel)
    )
    # Measured 26 on the first read: the parent, the locale and tags the content names
    # (each twice, as Wagtail's revisions rebuild them), the comment settings, and the
    # image block's renditions, made on first use; none of it grows but with the draft.
    with django_assert_max_num_queries(26):
        response = read_preview(token)

    assert response.status_code == 200, response.content[:2000]
    assert_not_kept(response)
    draft = response.json()
    assert (draft["id"], draft["type"], draft["title"]) == (
        None,
        "blog.BlogPostPage",
        "Never saved",
    )
    assert draft["meta"]["detail_url"] is None
    assert draft["meta"]["html_url"].endswith("/blog/never-saved/")
    assert draft["meta"]["parent"]["id"] == blog_index.pk
    body = {block["type"]: block["value"] for block in draft["body"]}
    assert list(body) == list(seed_post.body.stream_block.child_blocks)
    assert body["study_card"]["year"] == 2020
    assert body["study_card"]["journal"] == "Cochrane Database of Systematic Reviews"
    assert body["numbered_list"]["items"][1]["title"] == "Blood flow"
    assert (body["image"]["image_id"], body["image"]["caption"]) == (
        seed_post.hero_image_id,
        "Calf",
    )
    assert sorted(draft["tags"]) == ["cramps", "magnesium"]
    live = Client().get(f"/api/v3/pages/{seed_post.pk}/").json()
    assert draft.keys() == live.keys()
    assert draft["meta"].keys() == live["meta"].keys()
    assert Page.objects.count() == pages_before
    assert not Page.objects.filter(slug="never-saved").exists()


def test_a_new_page_of_another_type_previews_before_its_first_save(
    admin_client, blog_index, front_end
):
    home = blog_index.get_parent()
    pages_before = Page.objects.count()
    form = {"title": "A second index", "slug": "second-index", "intro": rich_text("<p>Hello.</p>")}

    token = token_in(preview_on_add(admin_client, "blog/blogindexpage", home, form))
    response = read_preview(token)

    assert response.status_code == 200
    draft = response.json()
    assert (draft["id"], draft["type"], draft["title"]) == (
        None,
        "blog.BlogIndexPage",
        "A second index",
    )
    assert draft["meta"]["type"] == "blog.BlogIndexPage"
    assert draft["meta"]["parent"]["id"] == home.pk
    assert "Hello." in draft["intro"]
    live = Client().get(f"/api/v3/pages/{blog_index.pk}/").json()
    assert draft.keys() == live.keys()
    assert Page.objects.count() == pages_before


def test_a_routable_page_type_previews_on_the_front_end_too(admin_client, blog_index, front_end):
    """The blog index brings its own ``serve_preview`` (RoutablePageMixin's)."""
    preview_url = f"/admin/pages/{blog_index.pk}/edit/preview/"
    form = {"title": "Edited index", "slug": blog_index.slug, "intro": rich_text("")}
    assert admin_client.post(preview_url, form).json()["is_valid"]
    token = token_in(admin_client.get(preview_url))
    draft = read_preview(token).json()
    assert (draft["id"], draft["title"]) == (blog_index.pk, "Edited index")


def test_without_a_front_end_a_new_page_previews_in_wagtail_as_today(admin_client, blog_index):
    home = blog_index.get_parent()
    form = {"title": "Drawn by our own template", "slug": "own-template", "intro": rich_text("")}
    response = preview_on_add(admin_client, "blog/blogindexpage", home, form)
    assert response.status_code == 200
    assert "Drawn by our own template" in response.text


def new_page_token(client, blog_index):
    home = blog_index.get_parent()
    form = {"title": "Unsaved index", "slug": "unsaved-index", "intro": rich_text("")}
    return token_in(preview_on_add(client, "blog/blogindexpage", home, form))


def test_a_tampered_token_for_a_new_page_is_401(admin_client, blog_index, front_end):
    token = new_page_token(admin_client, blog_index)
    claims = signing.loads(token, salt="headless.preview")
    assert claims["page"] is None
    for forged in (
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        signing.dumps({**claims, "page": blog_index.pk}, salt="headless.preview", key="guessed"),
        signing.dumps({**claims, "sha256": "0" * 64}, salt="another purpose"),
    ):
        assert "not valid" in problem(read_preview(forged), 401)


def test_a_new_page_whose_parent_is_gone_is_404(admin_client, blog_index, front_end):
    kept = new_page_token(admin_client, blog_index)
    token = new_page_token(admin_client, blog_index)
    claims = signing.loads(kept, salt="headless.preview")
    cache.delete(f"headless-preview:{claims['key']}")
    assert "no longer available" in problem(read_preview(kept), 404)
    blog_index.get_parent().delete()
    assert "no longer exists" in problem(read_preview(token), 404)
