"""
The drop-in comment component (headless/static/headless/evidence-comments.js) in Chromium,
embedded by the example front end (examples/frontend/server.py) on another origin that
CORS_ALLOWED_ORIGINS allows, under the front end's strict Content-Security-Policy.

One walk covers what a reader meets: threads and "Show more", a field error (422) that
keeps the text, a held comment shown as awaiting moderation, a flood refusal (429) with
its wait, an approved reply drawn under its parent, a duplicate (409), name and email
remembered only when asked, and a post that closes. A second test draws a sample of the
XSS corpus, approved, through the component: nothing runs, nothing is blocked by the CSP,
and no event-handler attribute or script reaches the shadow DOM.
"""

import json

import pytest

from blog.comments.models import Comment
from blog.models import BlogPostPage
from blog.seed import load_seed_content
from examples.frontend.server import FrontEnd
from tests.comments.conftest import confirmed_proof, make_comment
from tests.security.conftest import load_xss_vectors
from tests.security.test_xss_browser import TRAPS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ADA = {"author_name": "Ada", "author_email": "ada@example.com"}
XSS_SAMPLE_EVERY = 5

# What the component's shadow root holds that should not be there.
SHADOW_PROBLEMS = """
() => {
    const root = document.querySelector("evidence-comments").shadowRoot;
    const problems = [];
    for (const element of root.querySelectorAll("*")) {
        if (["SCRIPT", "IFRAME", "OBJECT", "EMBED", "STYLE", "LINK", "META", "BASE"]
                .includes(element.tagName)) {
            problems.push(`<${element.tagName.toLowerCase()}>`);
        }
        for (const attribute of element.attributes) {
            if (/^on/i.test(attribute.name) || attribute.name === "style"
                    || /^\\s*(javascript|data|vbscript):/i.test(attribute.value)) {
                problems.push(`${element.tagName} ${attribute.name}=${attribute.value}`);
            }
        }
    }
    return problems;
}
"""


@pytest.fixture
def front_end(live_server, settings):
    server = FrontEnd(live_server.url).start()
    settings.CORS_ALLOWED_ORIGINS = [server.url]
    settings.COMMENTS_MIN_SECONDS_TO_POST = 1
    settings.COMMENTS_FLOOD_SECONDS = 3
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def post(live_server):
    load_seed_content()
    post = BlogPostPage.objects.get(slug="dry-needling-chronic-muscle-cramping")
    Comment.objects.filter(post=post).delete()
    return post


def watch_console(page):
    messages = []
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
    return messages


def shadow(page, selector):
    return page.locator("evidence-comments").locator(selector)


def nested_under(page, child_id, parent_id):
    return (
        page.evaluate(
            """([child, parent]) => {
            const root = document.querySelector("evidence-comments").shadowRoot;
            const item = root.getElementById(`comment-${child}`).closest("li");
            return item.parentElement.closest("li").querySelector("article").id;
        }""",
            [child_id, parent_id],
        )
        == f"comment-{parent_id}"
    )


def test_a_reader_reads_posts_and_replies_through_the_component(front_end, post, page):
    first = make_comment(post, body="Dry needling helped my calves.", **ADA)
    reply = make_comment(post, parent=first, body="Same here.")
    make_comment(post, body="Second thread.")
    last = make_comment(post, body="Third thread.")
    console = watch_console(page)

    front_end.comments_per_page = 2
    page.goto(f"{front_end.url}/posts/{post.pk}/")

    # Read: the first page of the thread, replies under their parent, then "Show more".
    expect_text(shadow(page, "[part=heading]"), "4 comments")
    assert shadow(page, "article").count() == 2
    assert nested_under(page, reply.pk, first.pk)
    shadow(page, "[part=more-button]").click()
    shadow(page, f"#comment-{last.pk}").wait_for()
    assert shadow(page, "[part=more-button]").is_hidden()
    assert "Dry needling helped my calves." in shadow(page, f"#comment-{first.pk}").inner_text()

    # Themed from outside through custom properties and ::part.
    colours = page.evaluate(
        """() => {
            const root = document.querySelector("evidence-comments").shadowRoot;
            return [getComputedStyle(root.querySelector("[part=submit-button]")).backgroundColor,
                    getComputedStyle(root.querySelector("[part=comment]")).backgroundColor];
        }"""
    )
    assert colours == ["rgb(26, 127, 55)", "rgb(246, 248, 250)"]

    # 422: the error sits next to its field, and nothing typed is lost.
    shadow(page, "[name=author_name]").fill("Bea")
    shadow(page, "[name=author_email]").fill("not-an-email")
    shadow(page, "[name=body]").fill("Does it help with cramps at night?")
    shadow(page, "[name=remember]").check()
    shadow(page, "[part=submit-button]").click()
    email_error = shadow(page, "#error-author_email")
    email_error.wait_for()
    assert "email" in email_error.inner_text().lower()
    assert shadow(page, "[name=author_email]").get_attribute("aria-invalid") == "true"
    assert shadow(page, "[name=body]").input_value() == "Does it help with cramps at night?"
    assert not Comment.objects.filter(author_name="Bea").exists()

    # A first comment from this email is held: the reader sees it awaiting moderation.
    shadow(page, "[name=author_email]").fill("bea@example.com")
    shadow(page, "[part=submit-button]").click()
    pending_note = shadow(page, "[part=pending-note]")
    pending_note.wait_for()
    held = Comment.objects.get(author_name="Bea")
    assert held.status == Comment.Status.PENDING
    assert shadow(page, f"#comment-{held.pk}").inner_text().count("cramps at night") == 1
    expect_text(shadow(page, "[role=status]"), "Your comment is awaiting moderation.")
    assert shadow(page, "#error-author_email").is_hidden()
    assert shadow(page, "[name=body]").input_value() == ""
    remembered = json.loads(page.evaluate("localStorage.getItem('evidence-comments:author')"))
    assert remembered == {"name": "Bea", "email": "bea@example.com"}

    # 429: too soon after the last one; the wait is shown and the button comes back.
    shadow(page, "[name=body]").fill("And for hamstrings?")
    shadow(page, "[part=submit-button]").click()
    expect_text(shadow(page, "[part=error][role=alert]"), "too quickly")
    assert "wait" in shadow(page, "[part=submit-button]").inner_text()
    assert shadow(page, "[part=submit-button]").is_disabled()
    assert shadow(page, "[name=body]").input_value() == "And for hamstrings?"
    page.wait_for_function(
        """() => !document.querySelector("evidence-comments").shadowRoot
              .querySelector("[part=submit-button]").disabled""",
        timeout=10_000,
    )
    assert Comment.objects.filter(author_name="Bea").count() == 1

    # A reply from a known author whose app kept the proof of her confirmed address is
    # published at once, under its parent.
    page.evaluate(
        "proof => localStorage.setItem('evidence-comments:confirmation', proof)",
        confirmed_proof(ADA["author_email"]),
    )
    shadow(page, f"#comment-{first.pk} [part=reply-button]").click()
    assert "Reply to Ada" in shadow(page, "[part=form-title]").inner_text()
    shadow(page, "[name=author_name]").fill(ADA["author_name"])
    shadow(page, "[name=author_email]").fill(ADA["author_email"])
    shadow(page, "[name=body]").fill("Try stretching before bed.")
    shadow(page, "[part=submit-button]").click()
    expect_text(shadow(page, "[role=status]"), "Your comment is published.")
    answer = Comment.objects.get(body="Try stretching before bed.")
    assert answer.status == Comment.Status.APPROVED and answer.parent_id == first.pk
    assert nested_under(page, answer.pk, first.pk)
    assert shadow(page, f"#comment-{answer.pk} [part=body] p").inner_text() == (
        "Try stretching before bed."
    )

    # 409: the same reply again is refused, the text kept.
    shadow(page, f"#comment-{first.pk} [part=reply-button]").click()
    shadow(page, "[name=body]").fill("Try stretching before bed.")
    shadow(page, "[part=submit-button]").click()
    expect_text(shadow(page, "[part=error][role=alert]"), "already posted this comment")
    assert shadow(page, "[name=body]").input_value() == "Try stretching before bed."
    assert Comment.objects.filter(body="Try stretching before bed.").count() == 1

    # The post closes: posting says so and the form goes; a new visit shows it closed,
    # with the reader's held comment and remembered name still there.
    post.comments_enabled = False
    post.save_revision().publish()
    shadow(page, "[part=submit-button]").click()
    shadow(page, "[part=closed]").wait_for()
    assert shadow(page, "[part=form]").is_hidden()
    page.reload()
    expect_text(shadow(page, "[part=closed]"), "Comments are closed")
    assert shadow(page, "[part=form]").is_hidden()
    assert shadow(page, "[part=reply-button]").first.is_hidden()
    shadow(page, f"#comment-{held.pk} [part=pending-note]").wait_for()
    assert shadow(page, "[name=author_name]").input_value() == "Ada"

    # The refusals above are logged by the browser as failed loads; nothing else may be.
    assert not [
        line for line in console if "Content Security Policy" in line or "pageerror" in line
    ]


def expect_text(locator, text, timeout=10_000):
    locator.page.wait_for_function(
        """([element, text]) => element.textContent.includes(text)""",
        arg=[locator.element_handle(timeout=timeout), text],
        timeout=timeout,
    )


def test_the_xss_corpus_approved_runs_nothing_in_the_component(front_end, post, browser):
    vectors = load_xss_vectors()[::XSS_SAMPLE_EVERY]
    for number, vector in enumerate(vectors):
        make_comment(
            post,
            author_name=vector[:100],
            author_url=vector if number % 2 else "",
            body=vector,
        )
    context = browser.new_context()
    context.add_init_script(TRAPS)
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    console = watch_console(page)

    page.goto(f"{front_end.url}/posts/{post.pk}/")
    more = shadow(page, "[part=more-button]")
    shadow(page, "article").first.wait_for()
    for _ in range(len(vectors)):  # bounded: a "Show more" that loads nothing must not spin
        if shadow(page, "article").count() >= len(vectors):
            break
        shown = shadow(page, "article").count()
        more.click()
        page.wait_for_function(
            """shown => document.querySelector("evidence-comments").shadowRoot
                  .querySelectorAll("article").length > shown""",
            arg=shown,
            timeout=10_000,
        )

    assert shadow(page, "article").count() == len(vectors)
    assert page.evaluate("window.__xss") == []
    assert dialogs == []
    assert page.evaluate(SHADOW_PROBLEMS) == []
    assert not [line for line in console if "Content Security Policy" in line]
    context.close()
