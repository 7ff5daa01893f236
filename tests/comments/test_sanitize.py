"""What a reader's text may become in stored HTML: a few tags, safe links, nothing else."""

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from bs4 import Comment as HTMLComment

from blog.comments.sanitize import ALLOWED_TAGS, sanitize_comment

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
