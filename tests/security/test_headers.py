"""Security headers: a strict Content-Security-Policy on everything readers and apps reach,
the same for page previews but framable by the admin, a looser one on the admin, a strict
Permissions-Policy, nosniff and Referrer-Policy everywhere, HSTS in production."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.test import Client

import pytest

from cms.security_headers import serialize_permissions_policy, serialize_policy
from tests.conftest import build_post

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"

pytestmark = pytest.mark.django_db

PERMISSIONS_POLICY = serialize_permissions_policy(settings.PERMISSIONS_POLICY)


def policy(response):
    return {
        directive.split()[0]: directive.split()[1:]
        for directive in response["Content-Security-Policy"].split("; ")
    }


@pytest.fixture
def reader_urls(seed_post, blog_index):
    tag = seed_post.tags.first()
    return [
        "/",
        blog_index.url,
        f"{blog_index.url}tags/{tag.slug}/",
        seed_post.url,
        "/search/?q=needling",
        "/sitemap.xml",
        "/sitemap-pages.xml",
        "/robots.txt",
        f"{blog_index.url}feed/rss/",
        "/no-such-page/",
        "/api/v2/pages/",
        "/api/v3/posts/",
        "/api/v3/docs/",
        "/api/v3/openapi.json",
    ]


def test_reader_pages_feeds_and_api_get_the_strict_policy(client, reader_urls):
    for url in reader_urls:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        csp = policy(response)
        assert csp["script-src"] == ["'self'"], url
        assert csp["style-src"] == ["'self'"], url
        assert csp["object-src"] == ["'none'"], url
        assert csp["frame-ancestors"] == ["'none'"], url
        assert csp["base-uri"] == ["'self'"], url
        assert "'unsafe-inline'" not in response["Content-Security-Policy"], url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Referrer-Policy"] == "same-origin", url
        assert response["X-Frame-Options"] == "DENY", url
        assert response["Permissions-Policy"] == PERMISSIONS_POLICY, url


def test_a_cached_page_carries_the_policy_too(client, seed_post):
    first = client.get(seed_post.url)
    second = client.get(seed_post.url)
    assert first["Content-Security-Policy"] == second["Content-Security-Policy"]
    assert "script-src 'self'" in second["Content-Security-Policy"]


def test_a_refused_comment_re_rendering_the_post_carries_the_policy(client, seed_post):
    response = client.post(f"/comments/post/{seed_post.pk}/", {"body": ""})
    assert response.status_code == 400
    assert policy(response)["script-src"] == ["'self'"]


def test_the_admin_gets_a_policy_that_allows_inline_script_but_nothing_foreign(admin_client):
    response = admin_client.get("/admin/")
    assert response.status_code == 200
    csp = policy(response)
    assert csp["script-src"] == ["'self'", "'unsafe-inline'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]
    assert response["X-Content-Type-Options"] == "nosniff"


def preview_in_panel(client, post, **fields):
    """What the editor's preview panel does: post the form as it stands, then load the
    preview into its frame."""
    preview_url = f"/admin/pages/{post.pk}/edit/preview/"
    form = {
        "title": post.title,
        "slug": post.slug,
        "date": post.date.isoformat(),
        "intro": post.intro,
        "body-count": "0",
        # The authors' inline formset, empty.
        "author_links-TOTAL_FORMS": "0",
        "author_links-INITIAL_FORMS": "0",
        "author_links-MIN_NUM_FORMS": "0",
        "author_links-MAX_NUM_FORMS": "1000",
        **fields,
    }
    state = client.post(preview_url, form)
    assert state.json() == {"is_valid": True, "is_available": True}
    return client.get(f"{preview_url}?in_preview_panel=true")


def test_a_preview_may_be_framed_by_the_admin_and_keeps_the_reader_rules(admin_client, blog_index):
    post = build_post(blog_index, 1)
    response = preview_in_panel(admin_client, post, title="Previewed, not published")
    assert response.status_code == 200
    assert "Previewed, not published" in response.content.decode()
    csp = policy(response)
    assert csp["frame-ancestors"] == ["'self'"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    # Still a reader page: no inline script or style in it either.
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY

    # The page itself, for the readers, is never framed, and never the draft.
    reader = admin_client.get(post.url)
    assert policy(reader)["frame-ancestors"] == ["'none'"]
    assert reader["X-Frame-Options"] == "DENY"
    anonymous = Client().get(post.url)
    assert policy(anonymous)["frame-ancestors"] == ["'none'"]
    assert "Previewed, not published" not in anonymous.content.decode()


def test_an_earlier_revision_shown_in_the_admin_may_be_framed_by_it(admin_client, blog_index):
    post = build_post(blog_index, 1)
    revision = post.latest_revision
    response = admin_client.get(f"/admin/pages/{post.pk}/revisions/{revision.pk}/view/")
    assert response.status_code == 200
    assert policy(response)["frame-ancestors"] == ["'self'"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_every_response_forbids_the_browser_features_no_page_uses(admin_client, seed_post):
    """Readers' pages, the API, errors, the admin and its login alike."""
    for url in [seed_post.url, "/api/v3/posts/", "/no-such-page/", "/admin/", "/admin/login/"]:
        response = admin_client.get(url)
        assert response["Permissions-Policy"] == PERMISSIONS_POLICY, url
    features = dict(item.split("=") for item in PERMISSIONS_POLICY.split(", "))
    for feature in ["camera", "microphone", "geolocation", "payment", "usb", "browsing-topics"]:
        assert features[feature] == "()", feature
    # Browsers no longer know it, and Chromium logs an error for every name it does not know.
    assert "interest-cohort" not in features
    # The admin's Copy buttons write to the clipboard.
    assert "clipboard-write" not in features


def test_a_view_that_sets_its_own_permissions_policy_keeps_it(rf, settings):
    from django.http import HttpResponse

    from cms.security_headers import SecurityHeadersMiddleware

    def view(request):
        response = HttpResponse("framed map")
        response["Permissions-Policy"] = "geolocation=(self)"
        return response

    response = SecurityHeadersMiddleware(view)(rf.get("/map/"))
    assert response["Permissions-Policy"] == "geolocation=(self)"


def test_the_admin_login_page_gets_the_admin_policy(client):
    response = client.get("/admin/login/")
    assert "'unsafe-inline'" in policy(response)["script-src"]


def test_the_api_docs_are_served_from_our_own_static_files(client):
    html = client.get("/api/v3/docs/").content.decode()
    assert "cdn.jsdelivr.net" not in html
    assert "/static/ninja/swagger-ui-bundle.js" in html


def test_serialize_permissions_policy():
    assert serialize_permissions_policy(
        {"camera": [], "fullscreen": ["self"], "payment": ["self", "https://pay.example"]}
    ) == ('camera=(), fullscreen=(self), payment=(self "https://pay.example")')


def test_serialize_policy():
    assert serialize_policy({"default-src": ["'self'"], "upgrade-insecure-requests": []}) == (
        "default-src 'self'; upgrade-insecure-requests"
    )


def test_reader_templates_have_no_inline_script_or_style():
    """What the strict policy would block: inline <script> (other than JSON data), <style>,
    style="" and on*="" attributes. The admin's own templates are exempt (admin policy)."""
    offending = []
    for template in TEMPLATES.rglob("*.html"):
        relative = template.relative_to(TEMPLATES).as_posix()
        if relative.startswith("blog/comments/admin/"):
            continue
        text = template.read_text()
        for marker in ("<style", " style=", " onload=", " onclick=", " onerror=", "javascript:"):
            if marker in text:
                offending.append(f"{relative}: {marker.strip()}")
        for line in text.splitlines():
            if "<script" in line and " src=" not in line and "ld+json" not in line:
                offending.append(f"{relative}: {line.strip()}")
    assert offending == []


def test_production_sends_hsts_and_passes_check_deploy():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "example.org",
        # Production refuses to start without a shared cache; `make check` names the same.
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_CONTENT_TYPE_NOSNIFF, s.SECURE_REFERRER_POLICY, "
        "'cms.security_headers.SecurityHeadersMiddleware' in s.MIDDLEWARE)"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == [
        "31536000",
        "True",
        "True",
        "True",
        "strict-origin-when-cross-origin",
        "True",
    ]
    check = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_settings_keep_the_policies_in_one_place():
    assert settings.SECURE_CSP["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in settings.SECURE_CSP["style-src"]
