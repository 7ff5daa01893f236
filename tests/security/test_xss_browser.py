"""
Stored XSS, attacked in a real browser.

Every vector of the corpus (tests/security/xss_vectors.txt) goes in as a comment's text
twice, over real HTTP to the live server: once through the reader form (same-origin,
form token, the form's field names) and once through the API (``POST /api/v3/comments/``
with a token from ``/form-token/``). A sample also goes in as the author's name and as
their website. Everything is approved, then Chromium renders it where people read it:
the post's comment pages for an anonymous reader, and, signed in as a superuser, the
admin dashboard's pending panel, every page of the moderation listing and the inspect
view of each comment.

On every page, before any of its scripts run, ``alert``, ``confirm``, ``prompt`` and
``print`` are replaced by traps that record the call; dialogs are recorded too, in case a
trap is bypassed; Content-Security-Policy violations are recorded (a blocked inline
handler or foreign load means markup got through that should not have); and every
request to another origin is aborted and recorded. The browser's own parse of each page
is checked as well: in comment HTML only the sanitizer's tags and attributes, no event
handler attribute anywhere, no script, frame or plugin element where comments are shown.

The test passes only with zero of each.
"""

import math
import re
import time
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import urlsplit

from django.urls import reverse

import pytest
import requests

from blog.comments.models import Comment
from blog.comments.moderation import moderate
from blog.models import BlogPostPage
from blog.seed import load_seed_content
from tests.comments.admin_users import PASSWORD, make_superuser
from tests.security.conftest import load_xss_vectors

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

VECTORS = load_xss_vectors()
NAMESPACE = "wagtailsnippets_comments_comment"
THREADS_PER_PAGE = 150
ADMIN_LIST_PER_PAGE = 50  # CommentViewSet.list_per_page
PARALLEL_PAGES = 3
# Playwright's request routing turns the browser cache off, so every admin page fetches
# Wagtail's scripts again: inspect every third body vector (all are on the reader pages and
# in the listing) and every name and website.
INSPECT_BODY_EVERY = 3
NAME_MAX_LENGTH = 100
SAMPLE_EVERY = 7
EXTRA_WEBSITES = [
    "https://example.org/\"><script>alert('website')</script>",
    "https://example.org/'onmouseover='alert(1)'",
    'https://example.org/"onfocus="alert(1)"autofocus="',
    "https://example.org/?q=</a><img/src=x/onerror=alert(1)>",
    "https://example.org/#javascript:alert(1)",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)//https://example.org/",
    "data:text/html,<script>alert(1)</script>",
]

TRAPS = """
(() => {
    window.__xss = [];
    const report = (kind, detail) => {
        window.__xss.push([kind, String(detail)]);
        try { window.__xssReport(kind, String(detail)); } catch (error) { /* binding gone */ }
    };
    for (const name of ["alert", "confirm", "prompt", "print"]) {
        const trap = function (...args) {
            report(name, args.map(String).join(" "));
            return name === "confirm" ? false : null;
        };
        try {
            Object.defineProperty(window, name, {value: trap, configurable: false});
        } catch (error) {
            window[name] = trap;
        }
    }
    document.addEventListener("securitypolicyviolation", (event) => {
        report("csp", `${event.violatedDirective} blocked ${event.blockedURI} ${event.sample}`);
    }, true);
})();
"""

# The browser's parse of the places comments are shown. Returns what should not be there.
DOM_PROBLEMS = """
([containers, commentHtml, inlineScriptAllowed, forbiddenTags]) => {
    const problems = [];
    for (const script of document.scripts) {
        const data = ["application/ld+json", "application/json"].includes(script.type);
        if (!script.src && !data && !inlineScriptAllowed) {
            problems.push(`inline <script>: ${script.textContent.slice(0, 80)}`);
        }
        if (script.src && new URL(script.src).origin !== location.origin) {
            problems.push(`<script src=${script.src}>`);
        }
    }
    const allowedInHtml = new Set(commentHtml.tags);
    const dangerousTags = new Set(forbiddenTags);
    const badUrl = /^\\s*(javascript|vbscript|data|livescript):/i;
    for (const element of document.querySelectorAll("*")) {
        for (const attribute of element.attributes) {
            if (/^on/i.test(attribute.name)) {
                problems.push(`${element.tagName} has ${attribute.name}=${attribute.value}`);
            }
            if (["href", "src", "action", "formaction", "xlink:href", "data", "srcdoc"]
                    .includes(attribute.name.toLowerCase()) && badUrl.test(attribute.value)) {
                problems.push(`${element.tagName} has ${attribute.name}=${attribute.value}`);
            }
        }
    }
    for (const selector of containers) {
        for (const root of document.querySelectorAll(selector)) {
            for (const element of root.querySelectorAll("*")) {
                if (element.tagName === "svg" && element.classList.contains("icon")) {
                    continue;  // the admin's own icons
                }
                if (dangerousTags.has(element.tagName)) {
                    problems.push(`<${element.tagName.toLowerCase()}> inside ${selector}`);
                }
            }
        }
    }
    for (const root of document.querySelectorAll(commentHtml.selector)) {
        for (const element of root.querySelectorAll("*")) {
            const tag = element.tagName.toLowerCase();
            if (!allowedInHtml.has(tag)) {
                problems.push(`<${tag}> in comment HTML`);
            }
            for (const attribute of element.attributes) {
                const allowed = tag === "a" && ["href", "title", "rel"].includes(attribute.name);
                if (!allowed) {
                    problems.push(`<${tag} ${attribute.name}> in comment HTML`);
                }
            }
            if (tag === "a" && !/^(https?:|mailto:)/i.test(element.getAttribute("href") || "")) {
                problems.push(`link to ${element.getAttribute("href")} in comment HTML`);
            }
        }
    }
    for (const root of document.querySelectorAll(commentHtml.textOnly)) {
        if (root.children.length) {
            problems.push(`markup inside text-only ${commentHtml.textOnly}`);
        }
    }
    return problems;
}
"""
COMMENT_HTML = {
    "tags": [
        "p", "br", "em", "i", "strong", "b", "code", "pre", "blockquote", "ul", "ol", "li", "a"
    ],
    "selector": ".comment__body, [data-comment-html]",
    "textOnly": "[data-comment-raw], .comment__awaiting",
}  # fmt: skip
# Never inside the places comments are shown (the admin's listing and inspect view have
# their own checkboxes and buttons, so form controls are only forbidden on reader pages).
FORBIDDEN_TAGS = [
    "SCRIPT",
    "IFRAME",
    "FRAME",
    "FRAMESET",
    "OBJECT",
    "EMBED",
    "APPLET",
    "PORTAL",
    "BASE",
    "STYLE",
    "LINK",
    "META",
    "MATH",
    "TEMPLATE",
    "IMG",
    "IMAGE",
    "VIDEO",
    "AUDIO",
    "SOURCE",
    "svg",
]
FORM_CONTROLS = ["FORM", "INPUT", "BUTTON", "TEXTAREA", "SELECT", "ISINDEX", "KEYGEN"]
READER_CONTAINERS = ["ol.comment-list"]
ADMIN_CONTAINERS = [
    "[data-comment-html]",
    "[data-comment-raw]",
    "[data-comment-thread]",
    ".comment-inspect__details",
    "table.listing tbody",
    "[data-pending-comments-panel]",
    "[data-comment-history]",
]


@dataclass
class Findings:
    origin: str
    executions: list = field(default_factory=list)
    foreign_requests: list = field(default_factory=list)
    csp_violations: list = field(default_factory=list)
    dom_problems: list = field(default_factory=list)
    pages_visited: int = 0

    def record(self, url, kind, detail):
        if kind == "csp":
            self.csp_violations.append((url, detail))
        else:
            self.executions.append((url, kind, detail))

    def guard(self, route, request):
        parts = urlsplit(request.url)
        if f"{parts.scheme}://{parts.netloc}" == self.origin:
            route.continue_()
        else:
            self.foreign_requests.append(request.url)
            route.abort()

    def assert_clean(self):
        assert self.executions == [], f"script ran: {self.executions[:10]}"
        assert self.foreign_requests == [], f"requests left the site: {self.foreign_requests[:10]}"
        assert self.csp_violations == [], f"CSP blocked something: {self.csp_violations[:10]}"
        assert self.dom_problems == [], f"unsafe markup in the DOM: {self.dom_problems[:10]}"


def trapped_pages(browser, findings, count=1):
    """A browser context whose pages are all trapped; several pages load in parallel."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.expose_binding(
        "__xssReport",
        lambda source, kind, detail: findings.record(source["page"].url, kind, detail),
    )
    context.add_init_script(TRAPS)
    context.route("**/*", findings.guard)
    pages = []
    for _ in range(count):
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.on("dialog", partial(record_dialog, findings, page))
        page.on("popup", lambda popup: findings.record(popup.url, "popup", popup.url))
        pages.append(page)
    return context, pages


def record_dialog(findings, page, dialog):
    findings.record(page.url, f"dialog {dialog.type}", dialog.message)
    dialog.dismiss()


def check_page(page, findings, url, containers):
    findings.pages_visited += 1
    in_admin = containers is ADMIN_CONTAINERS  # Wagtail's own inline scripts and controls
    forbidden = FORBIDDEN_TAGS if in_admin else FORBIDDEN_TAGS + FORM_CONTROLS
    problems = page.evaluate(DOM_PROBLEMS, [containers, COMMENT_HTML, in_admin, forbidden])
    findings.dom_problems.extend(f"{url}: {problem}" for problem in problems)
    for kind, detail in page.evaluate("window.__xss"):
        entry = (url, detail) if kind == "csp" else (url, kind, detail)
        if entry not in findings.csp_violations and entry not in findings.executions:
            findings.record(url, kind, detail)


def visit_all(pages, findings, urls, containers):
    """Load ``urls`` a batch at a time, one per page, then check each page."""
    for start in range(0, len(urls), len(pages)):
        batch = list(zip(pages, urls[start : start + len(pages)], strict=False))
        for page, url in batch:
            if page.url == url:
                page.goto(url)
            else:
                # Navigate from a timer so evaluate() returns before the page goes away.
                page.evaluate("url => { setTimeout(() => window.location.assign(url), 0); }", url)
        for page, url in batch:
            page.wait_for_url(url, wait_until="load")
        batch[0][0].wait_for_timeout(150)  # let error and timer handlers fire, had any survived
        for page, url in batch:
            check_page(page, findings, url, containers)


# Posting, over real HTTP


@dataclass
class Submission:
    path: str
    field_name: str
    vector: str
    email: str
    status_code: int = 0


def website_payloads():
    from_corpus = [
        "https://example.org/?q=" + "".join(vector.split())
        for vector in VECTORS[3 :: SAMPLE_EVERY * 2]
    ]
    return EXTRA_WEBSITES + from_corpus


def name_payloads():
    return [vector for vector in VECTORS[::SAMPLE_EVERY] if len(vector) <= NAME_MAX_LENGTH]


def planned_submissions():
    plan = []
    for number, vector in enumerate(VECTORS):
        for path in ("form", "api"):
            plan.append(Submission(path, "body", vector, f"body-{path}-{number}@example.com"))
    for number, vector in enumerate(name_payloads()):
        path = ("form", "api")[number % 2]
        plan.append(Submission(path, "author_name", vector, f"name-{number}@example.com"))
    for number, url in enumerate(website_payloads()):
        path = ("form", "api")[number % 2]
        plan.append(Submission(path, "author_url", url, f"site-{number}@example.com"))
    return plan


def fields_for(submission, number):
    fields = {
        "author_name": f"Attacker {number}",
        "author_email": submission.email,
        "author_url": "",
        "body": f"Comment {number} with a payload in another field.",
    }
    fields[submission.field_name] = submission.vector
    return fields


def post_all(base_url, post, plan):
    page_html = requests.get(f"{base_url}{post.url}", timeout=30).text
    form_token = re.search(r'name="token" value="([^"]+)"', page_html)[1]
    app = requests.Session()
    api_token = app.get(
        f"{base_url}/api/v3/comments/form-token/", params={"page": post.pk}, timeout=30
    ).json()["token"]
    for number, submission in enumerate(plan):
        fields = fields_for(submission, number)
        if submission.path == "form":
            # Each from a browser without a session, on this site (blog.comments.forgery).
            response = requests.post(
                f"{base_url}/comments/post/{post.pk}/",
                data={**fields, "token": form_token, "homepage": ""},
                headers={"Origin": base_url, "Referer": f"{base_url}{post.url}"},
                allow_redirects=False,
                timeout=30,
            )
        else:
            response = app.post(
                f"{base_url}/api/v3/comments/",
                json={**fields, "page": post.pk, "token": api_token},
                timeout=30,
            )
        submission.status_code = response.status_code


# The test


@pytest.fixture
def attacked_post(live_server, open_comments, settings):
    settings.COMMENTS_THREADS_PER_PAGE = THREADS_PER_PAGE
    # The dashboard would otherwise ask releases.wagtail.org for news: a foreign request.
    settings.WAGTAIL_ENABLE_UPDATE_CHECK = False
    load_seed_content()
    return BlogPostPage.objects.get(slug="dry-needling-chronic-muscle-cramping")


def test_no_vector_runs_script_or_reaches_another_origin(live_server, attacked_post, browser):
    started = time.monotonic()
    post = attacked_post
    admin = make_superuser("xss-admin")
    plan = planned_submissions()
    post_all(live_server.url, post, plan)

    accepted = {"form": 0, "api": 0}
    for submission in plan:
        if submission.field_name == "body":
            assert submission.status_code in (201, 303), (
                f"{submission.path} refused body vector {submission.vector!r}: "
                f"{submission.status_code}"
            )
            accepted[submission.path] += 1
    assert accepted["form"] >= 150 and accepted["api"] >= 150
    names_stored = Comment.objects.filter(author_email__startswith="name-").count()
    sites_stored = Comment.objects.filter(author_email__startswith="site-").count()
    assert names_stored == len(name_payloads())
    # Websites that are not http(s) URLs are refused with a field error: that is the defence.
    assert sites_stored >= len(website_payloads()) - len(EXTRA_WEBSITES)

    admin_findings = Findings(origin=live_server.url)
    admin_context, admin_pages = trapped_pages(browser, admin_findings, count=PARALLEL_PAGES)
    sign_in(admin_pages[0], live_server.url, admin)
    # Before any decision: the dashboard's panel of comments awaiting moderation.
    visit_all(admin_pages[:1], admin_findings, [f"{live_server.url}/admin/"], ADMIN_CONTAINERS)

    comments = Comment.objects.filter(post=post)
    moderate(list(comments.values_list("pk", flat=True)), "approve", admin)
    approved = Comment.objects.approved().filter(post=post).count()
    assert approved == comments.count()

    reader_findings = Findings(origin=live_server.url)
    reader_context, reader_pages = trapped_pages(browser, reader_findings, count=PARALLEL_PAGES)
    comment_pages = math.ceil(approved / THREADS_PER_PAGE)
    reader_urls = [f"{live_server.url}{post.url}?cpage={n}" for n in range(1, comment_pages + 1)]
    visit_all(reader_pages, reader_findings, reader_urls, READER_CONTAINERS)
    rendered = sum(
        page.locator("ol.comment-list > li.comment").count()
        for page in reader_pages[: len(reader_urls)]
    )
    assert rendered == approved, "every approved comment must have been on a page"
    reader_context.close()

    listing = reverse(f"{NAMESPACE}:list")
    listing_pages = math.ceil(approved / ADMIN_LIST_PER_PAGE)
    listing_urls = [f"{live_server.url}{listing}?p={n}" for n in range(1, listing_pages + 1)]
    visit_all(admin_pages, admin_findings, listing_urls, ADMIN_CONTAINERS)
    # A body sent through the API is stored exactly as the same body sent through the form
    # (one sanitizer), so the form's copies stand for both.
    inspected = [
        comment.pk
        for comment in comments.order_by("pk")
        if not comment.author_email.startswith("body-")
        or comment.author_email.startswith("body-form-")
        and int(comment.author_email.split("-")[2].split("@")[0]) % INSPECT_BODY_EVERY == 0
    ]
    inspect_urls = [
        f"{live_server.url}{reverse(f'{NAMESPACE}:inspect', args=[pk])}" for pk in inspected
    ]
    visit_all(admin_pages, admin_findings, inspect_urls, ADMIN_CONTAINERS)
    admin_context.close()

    executions = reader_findings.executions + admin_findings.executions
    foreign = reader_findings.foreign_requests + admin_findings.foreign_requests
    violations = reader_findings.csp_violations + admin_findings.csp_violations
    print(
        f"\nXSS: {len(VECTORS)} vectors; bodies accepted form={accepted['form']} "
        f"api={accepted['api']}; names={names_stored}; websites={sites_stored}/"
        f"{len(website_payloads())}; {approved} comments approved; pages checked: "
        f"reader={reader_findings.pages_visited} admin={admin_findings.pages_visited} "
        f"(inspect={len(inspect_urls)}); executions={len(executions)}; "
        f"foreign requests={len(foreign)}; CSP violations={len(violations)}; "
        f"{time.monotonic() - started:.0f} s"
    )
    reader_findings.assert_clean()
    admin_findings.assert_clean()


def sign_in(page, base_url, user):
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", user.get_username())
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")


def test_the_traps_catch_what_they_are_meant_to(live_server, browser, settings):
    """A trap that never fires proves nothing: make each one fire once."""
    load_seed_content()
    findings = Findings(origin=live_server.url)
    context, (page,) = trapped_pages(browser, findings)
    page.goto(f"{live_server.url}/")
    page.evaluate("alert('canary'); confirm('canary'); prompt('canary'); print()")
    page.evaluate("new Image().src = 'https://foreign.example/pixel.png'")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p onclick=x>')")
    problems = page.evaluate(
        DOM_PROBLEMS, [READER_CONTAINERS, COMMENT_HTML, False, FORBIDDEN_TAGS + FORM_CONTROLS]
    )
    with pytest.raises(Exception, match="net::ERR_FAILED"):
        page.goto("https://foreign.example/")
    page.wait_for_timeout(200)
    context.close()

    assert [kind for _url, kind, _detail in findings.executions] == [
        "alert",
        "confirm",
        "prompt",
        "print",
    ]
    assert findings.csp_violations and "img-src" in findings.csp_violations[0][1]
    assert findings.foreign_requests == ["https://foreign.example/"]
    assert problems == ["P has onclick=x"]
