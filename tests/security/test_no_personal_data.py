"""
No commenter's email address, IP address or browser string leaves the site through a
public page, a feed, the sitemap or the API.

Comments are posted the way readers and apps post them (the reader form and the API, each
from its own address and browser), answered by a moderator from the admin (whose reply
is stored with the moderator's email), and held, marked as spam or trashed. Then every
public URL is fetched: a fixed list (home, blog index and its pages, every tag page, every
post with each comment page, search, the feeds, sitemap.xml, robots.txt, every GET of
/api/v2/ and /api/v3/ including comments and counts) plus every same-site link found in
the HTML on the way. No response may contain any of those strings, as typed or encoded
(URL-encoded, with the "@" as an HTML entity, or as a Gravatar hash).
"""

import hashlib
import json
import re
from urllib.parse import quote, urljoin, urlsplit

from django.test import Client
from django.urls import reverse

from wagtail.models import APIToken

import pytest

from blog.comments import editing
from blog.comments.bans import create_ban
from blog.comments.models import Comment
from blog.comments.moderation import moderate
from blog.comments.threads import comment_url
from blog.comments.verification import CONFIRMED_COOKIE, EmailConfirmation, link_token
from blog.models import BlogIndexPage, BlogPostPage
from tests.comments.admin_users import make_moderator
from tests.comments.conftest import confirmed_proof, form_data, make_comment

pytestmark = pytest.mark.django_db

READERS = [
    # (email, IP address, browser) of people who comment through the form or the API
    ("Form.Reader@Example.com", "203.0.113.45", "ProbeBrowser/1.0 (form reader)"),
    ("api-reader@example.net", "2001:db8::beef:1234", "ProbeBrowser/2.0 (api reader)"),
    ("second.form@example.org", "198.51.100.77", "ProbeBrowser/3.0 (second reader)"),
]
HIDDEN = [
    # comments nobody may see at all
    ("held-person@example.com", "192.0.2.11", Comment.Status.PENDING),
    ("spam-person@example.com", "192.0.2.12", Comment.Status.SPAM),
    ("trashed-person@example.com", "192.0.2.13", Comment.Status.TRASH),
]
MODERATOR_EMAIL = "mona.moderator@staff.example"
CRAWL_LIMIT = 400


def encodings(secret):
    """The ways a string could appear in a page, a feed or JSON."""
    forms = {secret, secret.lower(), quote(secret, safe=""), quote(secret.lower(), safe="")}
    if "@" in secret:
        for form in list(forms):
            forms.add(form.replace("@", "&#64;"))
            forms.add(form.replace("@", "&#x40;"))
            forms.add(form.replace("@", "\\u0040"))
        forms.add(hashlib.md5(secret.strip().lower().encode()).hexdigest())  # noqa: S324
    return forms


@pytest.fixture
def seeded(seed_post, make_posts, open_comments, settings):
    posts = [seed_post, *make_posts(2, tags=["cramp"])]
    settings.COMMENTS_THREADS_PER_PAGE = 2  # so comment pages (?cpage=2) exist
    reader = Client()
    email, ip, browser = READERS[0]
    for number in range(3):
        response = reader.post(
            f"/comments/post/{seed_post.pk}/",
            form_data(
                seed_post,
                ip=ip,
                user_agent=browser,
                author_email=email,
                body=f"Form comment {number}",
            ),
            REMOTE_ADDR=ip,
            HTTP_USER_AGENT=browser,
        )
        assert response.status_code == 303, response.content[:500]

    email, ip, browser = READERS[1]
    app = Client()
    for post in posts:
        token = app.get(
            "/api/v3/comments/form-token/",
            {"page": post.pk},
            REMOTE_ADDR=ip,
            HTTP_USER_AGENT=browser,
        ).json()["token"]
        response = app.post(
            "/api/v3/comments/",
            {
                "page": post.pk,
                "author_name": "App Reader",
                "author_email": email,
                "body": f"Posted from an app on {post.title}",
                "token": token,
            },
            content_type="application/json",
            REMOTE_ADDR=ip,
            HTTP_USER_AGENT=browser,
        )
        assert response.status_code == 201, response.content

    email, ip, browser = READERS[2]
    response = Client().post(
        f"/comments/post/{posts[1].pk}/",
        form_data(
            posts[1],
            ip=ip,
            user_agent=browser,
            author_email=email,
            author_url="https://second.example/",
        ),
        REMOTE_ADDR=ip,
        HTTP_USER_AGENT=browser,
    )
    assert response.status_code == 303

    moderator = make_moderator("mona", email=MODERATOR_EMAIL)
    moderate(list(Comment.objects.values_list("pk", flat=True)), "approve", moderator)
    admin = Client()
    admin.force_login(moderator)
    parent = Comment.objects.filter(post=seed_post).order_by("pk").first()
    response = admin.post(
        reverse("wagtailsnippets_comments_comment:reply", args=[parent.pk]),
        {"body": "Thanks, from the team."},
    )
    assert response.status_code == 302

    for email, ip, status in HIDDEN:
        make_comment(seed_post, status=status, author_email=email, ip_address=ip)
    # Bans hold emails and addresses too (blog/comments/bans.py); only moderators see them.
    create_ban("email", value=HIDDEN[0][0], user=moderator, reason="Spam wave")
    create_ban("network", user=moderator, reason="Spam wave", comment=parent)

    # Readers report a comment (fewer times than hide it), from the form and from an app.
    reported = Comment.objects.filter(post=seed_post, status=Comment.Status.APPROVED).first()
    _email, ip, browser = READERS[0]
    response = Client().post(
        reverse("comments:report", args=[reported.pk]),
        {"reason": "other", "note": "Reported from the form"},
        REMOTE_ADDR=ip,
        HTTP_USER_AGENT=browser,
    )
    assert response.status_code == 200
    _email, ip, browser = READERS[1]
    response = Client().post(
        f"/api/v3/comments/{reported.pk}/reports/",
        {"reason": "spam"},
        content_type="application/json",
        REMOTE_ADDR=ip,
        HTTP_USER_AGENT=browser,
    )
    assert response.status_code == 201

    stored = Comment.objects.all()
    assert stored.filter(status=Comment.Status.APPROVED).count() == 3 + 3 + 1 + 1
    assert set(stored.values_list("ip_address", flat=True)) >= {ip for _e, ip, _b in READERS}
    secrets = [MODERATOR_EMAIL]
    for email, ip, browser in READERS:
        secrets += [email, ip, browser]
    for email, ip, _status in HIDDEN:
        secrets += [email, ip]
    return posts, moderator, secrets


def fixed_urls(posts):
    blog = BlogIndexPage.objects.get()
    urls = [
        "/",
        blog.url,
        f"{blog.url}?page=1",
        f"{blog.url}?tag=cramp",
        f"{blog.url}feed/rss/",
        f"{blog.url}feed/atom/",
        "/search/?q=needling",
        "/search/?q=Form+comment",
        "/search/?q=App+Reader",
        "/sitemap.xml",
        "/sitemap-pages.xml",
        "/robots.txt",
        "/api/v2/pages/",
        "/api/v2/pages/?type=blog.BlogPostPage&fields=*",
        "/api/v2/images/",
        "/api/v2/documents/",
        "/api/v3/openapi.json",
        "/api/v3/docs/",
    ]
    for post in BlogPostPage.objects.live():
        for tag in post.tags.all():
            urls.append(f"{blog.url}tags/{tag.slug}/")
        pages = Comment.objects.approved().filter(post=post, parent=None).count() // 2 + 1
        urls += [post.url] + [f"{post.url}?cpage={n}" for n in range(1, pages + 1)]
        urls += [
            f"{blog.url}feed/comments/{post.slug}/",
            f"/api/v2/pages/{post.pk}/",
            f"/api/v2/pages/find/?html_path={post.url}",
            f"/api/v3/pages/find/?html_path={post.url}",
            f"/api/v3/comments/?page={post.pk}",
            f"/api/v3/comments/?page={post.pk}&limit=50",
            f"/api/v3/comments/form-token/?page={post.pk}",
        ]
    ids = "&".join(f"page={post.pk}" for post in posts)
    urls.append(f"/api/v3/comments/counts/?{ids}")
    for comment in Comment.objects.all():
        urls.append(f"/api/v3/comments/{comment.pk}/")  # hidden ones must 404, say nothing
    # The confirmation links mailed to the readers (a GET only asks; it confirms nothing).
    urls.append(reverse("comments:request_confirmation"))
    for confirmation in EmailConfirmation.objects.all():
        urls.append(reverse("comments:confirm_email", args=[link_token(confirmation)]))
    return urls


def v3_public_get_urls(client, posts):
    """Every GET operation the OpenAPI document offers without a token, filled in."""
    schema = client.get("/api/v3/openapi.json").json()
    ids = {
        "page_id": posts[0].pk,
        "comment_id": Comment.objects.approved().first().pk,
        "image_id": 1,
        "document_id": 1,
        "redirect_id": 1,
    }
    urls = []
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if not get or get.get("security") and {} not in get["security"]:
            continue
        url = re.sub(r"\{(\w+)\}", lambda match: str(ids.get(match[1], 1)), path)
        required = [
            parameter["name"]
            for parameter in get.get("parameters", [])
            if parameter.get("in") == "query" and parameter.get("required")
        ]
        if required:
            url += "?" + "&".join(f"{name}={posts[0].pk}" for name in required)
        urls.append(url)
    assert "/api/v3/posts/" in urls and any(url.startswith("/api/v3/comments/") for url in urls)
    return urls


LINK = re.compile(r'(?:href|src)="([^"#]+)')


def crawl(client, start_urls):
    """Fetch the start URLs and every same-site link found in HTML, outside the admin."""
    seen, queue, responses = set(), list(start_urls), {}
    while queue and len(seen) < CRAWL_LIMIT:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code in (301, 302, 303):
            queue.append(response.url)
            continue
        body = b"".join(response) if response.streaming else response.content
        responses[url] = (response.status_code, response.get("Content-Type", ""), body)
        if "html" not in response.get("Content-Type", ""):
            continue
        for link in LINK.findall(body.decode(errors="replace")):
            absolute = urljoin(f"http://testserver{url}", link.replace("&amp;", "&"))
            parts = urlsplit(absolute)
            if parts.netloc != "testserver" or parts.path.startswith(("/admin/", "/static/")):
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if local not in seen:
                queue.append(local)
    return responses


def assert_nothing_personal(responses, secrets):
    forms = {form: secret for secret in secrets for form in encodings(secret)}
    leaks = []
    for url, (_status, _type, body) in responses.items():
        text = body.decode(errors="replace")
        lowered = text.lower()
        for form, secret in forms.items():
            if form.lower() in lowered:
                leaks.append(f"{url}: {secret!r}")
    assert leaks == []


def test_no_public_url_shows_an_email_ip_address_or_browser(seeded):
    posts, _moderator, secrets = seeded
    client = Client()
    start = fixed_urls(posts) + v3_public_get_urls(client, posts)
    responses = crawl(client, start)
    print(f"\npersonal data: {len(responses)} responses searched for {len(secrets)} strings")

    assert len(responses) >= 60
    ok = [url for url, (status, _type, _body) in responses.items() if status == 200]
    assert len(ok) >= 50
    # The comments really are on the pages and in the API under their names.
    post_page = responses[posts[0].url][2].decode()
    assert "Form comment 0" in post_page and "Thanks, from the team." in post_page
    api = json.loads(responses[f"/api/v3/comments/?page={posts[0].pk}"][2])
    assert {item["author_name"] for item in api["items"]} >= {"Ada Reader", "App Reader"}
    feed = responses[f"{BlogIndexPage.objects.get().url}feed/comments/{posts[0].slug}/"][2]
    assert b"Form comment" in feed

    assert_nothing_personal(responses, secrets)


def test_confirming_an_address_answers_without_it(seeded):
    """The link's POST, the app's confirmation and an app asking for a link: no answer
    (nor the signed proof the browser or app keeps) carries the address."""
    _posts, _moderator, secrets = seeded
    confirmations = list(EmailConfirmation.objects.order_by("pk"))
    assert {c.email for c in confirmations} >= {READERS[0][0].lower(), READERS[1][0]}
    browser = Client()
    page = browser.post(reverse("comments:confirm_email", args=[link_token(confirmations[0])]))
    app = Client()
    confirmed = app.post(
        "/api/v3/comments/confirmations/confirm/",
        {"token": link_token(confirmations[1])},
        content_type="application/json",
    )
    asked = app.post(
        "/api/v3/comments/confirmations/",
        {"email": READERS[2][0]},
        content_type="application/json",
    )
    assert (page.status_code, confirmed.status_code, asked.status_code) == (200, 200, 202)
    responses = {
        "link page": (200, page["Content-Type"], page.content),
        "proof cookie": (200, "text/plain", page.cookies[CONFIRMED_COOKIE].value.encode()),
        "app confirmation": (200, confirmed["Content-Type"], confirmed.content),
        "app request": (202, asked["Content-Type"], asked.content),
    }
    assert_nothing_personal(responses, secrets)


def test_moderators_api_answers_carry_no_email_or_ip_address(seeded):
    """The moderation queue shows moderators names, text and reasons; emails and IP
    addresses stay in the admin, where the audit trail records who looked."""
    posts, moderator, secrets = seeded
    _token, plaintext = APIToken.create_token(user=moderator, name="moderation app")
    client = Client(headers={"Authorization": f"Bearer {plaintext}"})
    statuses = "&".join(f"status={status}" for status in Comment.Status.values)
    urls = [
        f"/api/v3/comments/moderation/?{statuses}&limit=50",
        f"/api/v3/comments/moderation/?page={posts[0].pk}&{statuses}",
    ]
    responses = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200
        responses[url] = (200, response["Content-Type"], response.content)
    comment = Comment.objects.filter(status=Comment.Status.PENDING).first()
    response = client.post(
        f"/api/v3/comments/moderation/{comment.pk}/actions/approve/",
        content_type="application/json",
    )
    assert response.status_code == 200
    responses["approve"] = (200, response["Content-Type"], response.content)
    assert len(json.loads(responses[urls[0]][2])["items"]) == Comment.objects.count()

    assert_nothing_personal(responses, secrets)


@pytest.mark.parametrize(
    "leak",
    [
        "mailto:Form.Reader@Example.com",
        "form.reader%40example.com",
        "Form.Reader&#64;Example.com",
        '"email": "form.reader\\u0040example.com"',
        "https://www.gravatar.com/avatar/" + hashlib.md5(b"form.reader@example.com").hexdigest(),  # noqa: S324
        "from 203.0.113.45",
    ],
)
def test_the_search_sees_a_leak_however_it_is_encoded(leak):
    with pytest.raises(AssertionError):
        assert_nothing_personal(
            {"/page/": (200, "text/html", leak.encode())},
            ["Form.Reader@Example.com", "203.0.113.45"],
        )


def test_the_authors_edit_answers_carry_no_email_or_ip_address(seeded):
    """The author's edit window (blog/comments/editing.py): the 201 with the secret, the
    edit and delete pages, the post page with the author's links, a refusal, and the API's
    PATCH and DELETE answers."""
    posts, _moderator, secrets = seeded
    email, ip, browser = READERS[1]
    app = Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=browser)
    token = app.get("/api/v3/comments/form-token/", {"page": posts[0].pk}).json()["token"]
    created = app.post(
        "/api/v3/comments/",
        {
            "page": posts[0].pk,
            "author_name": "App Reader",
            "author_email": email,
            "body": "To be edited",
            "token": token,
            # Known and confirmed: published at once, so the post page shows its links.
            "confirmation": confirmed_proof(email),
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    comment_id, secret = created.json()["id"], created.json()["edit_secret"]
    responses = {"created": (201, created["Content-Type"], created.content)}

    browser_client = Client()
    browser_client.cookies[editing.secret_cookie_name(comment_id)] = secret
    browser_client.cookies[editing.marker_cookie_name(comment_id)] = editing.signing.dumps(
        comment_id, salt=editing.MARKER_SALT
    )
    # The comment is on the last page of threads (two a page here).
    page_url = comment_url(posts[0], Comment.objects.get(pk=comment_id)).split("#")[0]
    for url in (page_url, f"/comments/{comment_id}/edit/", f"/comments/{comment_id}/delete/"):
        response = browser_client.get(url)
        assert response.status_code == 200
        responses[url] = (200, response["Content-Type"], response.content)
    assert b"comment__own-actions" in responses[page_url][2]
    refused = Client().get(f"/comments/{comment_id}/edit/")
    assert refused.status_code == 403
    responses["refused"] = (403, refused["Content-Type"], refused.content)

    headers = {editing.SECRET_HEADER: secret}
    edited = app.patch(
        f"/api/v3/comments/{comment_id}/",
        {"body": "Edited"},
        content_type="application/json",
        headers=headers,
    )
    deleted = app.delete(f"/api/v3/comments/{comment_id}/", headers=headers)
    assert edited.status_code == 200 and deleted.status_code == 200
    responses["patch"] = (200, edited["Content-Type"], edited.content)
    responses["delete"] = (200, deleted["Content-Type"], deleted.content)

    assert_nothing_personal(responses, secrets)
