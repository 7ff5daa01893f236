"""What a reader's text may become in stored HTML: a few tags, safe links, nothing else."""

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from bs4 import Comment as HTMLComment

from blog.comments.models import Comment
from blog.comments.sanitize import ALLOWED_TAGS, sanitize_comment, strip_bidi_controls
from tests.comments.conftest import form_data, next_ip

VECTORS_FILE = Path(__file__).resolve().parents[1] / "security" / "xss_vectors.txt"
XSS_VECTORS = [
    line.replace("\\n", "\n")
    for line in VECTORS_FILE.read_text().splitlines()
    if line.strip() and not line.startswith("# ")
]


def assert_only_safe_markup(html):
    tree = BeautifulSoup(html, "html.parser")
    for element in tree.find_all(True):
        assert element.name in ALLOWED_TAGS, f"tag <{element.name}> survived: {html!r}"
        allowed = {"href", "title", "rel"} if element.name == "a" else set()
        assert set(element.attrs) <= allowed, f"attributes {element.attrs} survived: {html!r}"
        if element.name == "a":
            href = element["href"]
            assert href.split(":", 1)[0].lower() in {"http", "https", "mailto"}, html
            assert element["rel"] == ["nofollow", "ugc", "noopener"]
    assert not tree.find_all(string=lambda text: isinstance(text, HTMLComment))


def test_the_corpus_is_broad():
    assert len(XSS_VECTORS) >= 150


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_xss_vector_leaves_only_allowed_markup(vector):
    html = sanitize_comment(vector)
    assert_only_safe_markup(html)
    assert "<script" not in html.lower()


def test_a_mention_of_a_tag_is_escaped_not_removed():
    assert sanitize_comment("Use <script> tags carefully") == (
        "<p>Use &lt;script&gt; tags carefully</p>"
    )


def test_blank_lines_make_paragraphs_and_single_newlines_breaks():
    assert sanitize_comment("First line\nsecond line\n\nNew paragraph") == (
        "<p>First line<br>\nsecond line</p>\n<p>New paragraph</p>"
    )


def test_bare_urls_become_nofollow_ugc_links():
    assert sanitize_comment("See https://example.org/study?id=1.") == (
        '<p>See <a href="https://example.org/study?id=1" rel="nofollow ugc noopener">'
        "https://example.org/study?id=1</a>.</p>"
    )


def test_reader_links_get_our_rel_and_lose_everything_else():
    html = sanitize_comment(
        '<a href="https://example.org" rel="opener" target="_blank" onclick="x()">site</a>'
    )
    assert html == '<p><a href="https://example.org" rel="nofollow ugc noopener">site</a></p>'


@pytest.mark.parametrize(
    "href", ["javascript:alert(1)", "data:text/html,x", "vbscript:x", "ftp://example.org/file"]
)
def test_links_with_other_schemes_keep_their_text_only(href):
    assert sanitize_comment(f'<a href="{href}">text</a>') == "<p>text</p>"


def test_allowed_formatting_survives():
    html = sanitize_comment(
        "<p><strong>Bold</strong> and <em>em</em> and <code>x = 1</code></p>\n\n"
        "<blockquote>quoted</blockquote>\n\n<ul><li>one</li></ul>\n\n<pre>code\nblock</pre>"
    )
    assert html == (
        "<p><strong>Bold</strong> and <em>em</em> and <code>x = 1</code></p>\n"
        "<blockquote>quoted</blockquote>\n<ul><li>one</li></ul>\n<pre>code\nblock</pre>"
    )


def test_urls_inside_code_are_not_linkified():
    assert sanitize_comment("<code>https://example.org</code>") == (
        "<p><code>https://example.org</code></p>"
    )


# Display spoofing (issue 11, item 7): bidirectional controls reorder the text around
# them ("exe.txt" shows as "txt.exe"), so none survives into what readers are shown.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def shown_text(html):
    """What a browser makes of stored HTML: its text and attribute values, references
    decoded."""
    tree = BeautifulSoup(html, "html.parser")
    values = [value for element in tree.find_all(True) for value in element.attrs.values()]
    return tree.get_text() + "".join(" ".join(v) if isinstance(v, list) else v for v in values)


@pytest.mark.parametrize(
    "text",
    [
        "Doctor \u202eexe.txt",
        "isolates \u2066a\u2067b\u2068c\u2069 and marks \u200e\u200f\u061c",
        "as references &#x202E;, &#X202e;, &#8238;, &rlm; and &lrm;",
        "escaped once: &amp;#x202E;",  # bleach writes this back as &#x202E;
        "a link https://example.org/\u202egnp.exe",
        '<a href="https://example.org" title="a&#x202e;b">te&#8238;xt</a>',
        "<code>&#x2066;x</code>",
    ],
)
def test_bidi_controls_do_not_reach_comment_html(text):
    html = sanitize_comment(text)

    assert not set(shown_text(html)) & set(BIDI_CONTROLS), html
    assert_only_safe_markup(html)


def test_other_character_references_are_kept():
    assert sanitize_comment("caf&eacute; &amp; &#x202E5; &#8239;") == (
        "<p>caf&eacute; &amp; &#x202E5; &#8239;</p>"
    )


def test_strip_bidi_controls_keeps_right_to_left_text():
    assert strip_bidi_controls("\u202eשלום\u202c, Ada\u2066") == "שלום, Ada"


SPOOFED = {
    "author_name": "Ada \u202eredaeR\u202c",
    "author_url": "https://ada.example.org/\u202egnp.exe",
    "body": "Read \u2067this\u2069 at https://example.org/\u202efdp.exe",
}


def assert_stored_without_controls(comment):
    assert comment.author_name == "Ada redaeR"
    assert comment.author_url == "https://ada.example.org/gnp.exe"
    assert comment.body == "Read this at https://example.org/fdp.exe"
    assert not set(shown_text(comment.body_html)) & set(BIDI_CONTROLS)


def test_the_reader_form_stores_no_bidi_controls(seed_post, client, no_wait):
    ip = next_ip()
    response = client.post(
        f"/comments/post/{seed_post.pk}/",
        form_data(seed_post, ip=ip, **SPOOFED),
        REMOTE_ADDR=ip,
    )

    assert response.status_code == 303
    assert_stored_without_controls(Comment.objects.get())


def test_the_api_stores_no_bidi_controls(seed_post, client, no_wait):
    token = client.get("/api/v3/comments/form-token/", {"page": seed_post.pk}).json()["token"]
    response = client.post(
        "/api/v3/comments/",
        {"page": seed_post.pk, "author_email": "ada@example.com", "token": token, **SPOOFED},
        content_type="application/json",
    )

    assert response.status_code == 201, response.content
    assert not set(json.dumps(response.json(), ensure_ascii=False)) & set(BIDI_CONTROLS)
    assert_stored_without_controls(Comment.objects.get())


@pytest.mark.parametrize("field", ["author_name", "body"])
def test_a_name_or_comment_of_bidi_controls_alone_is_missing(seed_post, client, no_wait, field):
    ip = next_ip()
    response = client.post(
        f"/comments/post/{seed_post.pk}/",
        form_data(seed_post, ip=ip, **{field: " \u202e\u2066 "}),
        REMOTE_ADDR=ip,
    )

    assert response.status_code == 400
    error = BeautifulSoup(response.content, "html.parser").select_one(f"#id_{field}_error")
    assert error.get_text() in {"Please enter your name.", "Please write a comment."}
    assert not Comment.objects.exists()
