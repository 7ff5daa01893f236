"""
Turning what a reader typed into HTML that is safe to show, once, when it is stored.

Readers may use a few tags; everything else is escaped (so a reader who writes about
``<script>`` sees their words, not a hole in the page). Bare URLs become links; every
link is http, https or mailto and carries rel="nofollow ugc noopener". Plain text with
blank lines becomes paragraphs. The output is always bleach's own serialisation of a
parsed tree, never reader text pasted into markup.
"""

import re
from functools import partial

import bleach
from bleach.linkifier import LinkifyFilter

ALLOWED_TAGS = frozenset(
    {"p", "br", "em", "i", "strong", "b", "code", "pre", "blockquote", "ul", "ol", "li", "a"}
)
ALLOWED_ATTRIBUTES = {"a": ["href", "title"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"

BLOCK_TAG_START = re.compile(r"^\s*<(p|pre|blockquote|ul|ol)[\s>]", re.IGNORECASE)
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
HREF = (None, "href")
REL = (None, "rel")


def _set_link_attributes(attrs, new=False):
    href = attrs.get(HREF, "")
    scheme = href.split(":", 1)[0].lower() if ":" in href else ""
    if scheme not in ALLOWED_PROTOCOLS:
        return None  # a link we would not allow: keep its text, drop the link
    attrs[REL] = LINK_REL
    return attrs


_cleaner = bleach.sanitizer.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=False,
    strip_comments=True,
    filters=[partial(LinkifyFilter, callbacks=[_set_link_attributes], skip_tags={"pre", "code"})],
)


def _paragraphs(text):
    """Blank lines separate paragraphs; single newlines are line breaks."""
    blocks = [block.strip("\n") for block in PARAGRAPH_BREAK.split(text) if block.strip()]
    shaped = []
    for block in blocks:
        if BLOCK_TAG_START.match(block):
            shaped.append(block)
        else:
            shaped.append("<p>" + block.replace("\n", "<br>\n") + "</p>")
    return "\n".join(shaped)


def sanitize_comment(text):
    """The HTML stored in ``Comment.body_html`` for what a reader submitted."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return _cleaner.clean(_paragraphs(text))


def count_links(html):
    """Links in HTML made by ``sanitize_comment`` (bare URLs and anchors alike): there
    every link is an ``<a`` tag, and a "<a " the reader typed as text is escaped."""
    return html.count("<a ")
