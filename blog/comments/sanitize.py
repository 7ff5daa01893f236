"""
Turning what a reader typed into HTML that is safe to show, once, when it is stored.

Readers may use a few tags; everything else is escaped (so a reader who writes about
``<script>`` sees their words, not a hole in the page). Bare URLs become links; every
link is http, https or mailto and carries rel="nofollow ugc noopener". Plain text with
blank lines becomes paragraphs. The output is always bleach's own serialisation of a
parsed tree, never reader text pasted into markup.

Bidirectional controls are taken out of everything a reader submits: an unmatched
RIGHT-TO-LEFT OVERRIDE in a name or a link's text reverses what follows it on the page
("txt.exe" shown for "exe.txt"), which is how a reader could make their words pass for
someone else's or a link look like another.
"""

import re
from functools import partial
from html import unescape

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

# Embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) and the invisible
# direction marks (LRM, RLM, ARABIC LETTER MARK).
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
BIDI_CONTROL = re.compile(f"[{BIDI_CONTROLS}]")
CHARACTER_REFERENCE = re.compile(r"&(?:#[xX][0-9a-fA-F]+|#[0-9]+|[a-zA-Z][a-zA-Z0-9]*);?")


def strip_bidi_controls(text):
    """``text`` without the characters that reorder or redirect the text around them."""
    return BIDI_CONTROL.sub("", text)


def _drop_bidi_reference(match):
    return "" if BIDI_CONTROL.fullmatch(unescape(match.group())) else match.group()


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
    cleaned = _cleaner.clean(_paragraphs(strip_bidi_controls(text)))
    # bleach keeps character references as written (and writes "&amp;#x202E;" back as
    # "&#x202E;"), so the controls can come back as references the browser decodes.
    return CHARACTER_REFERENCE.sub(_drop_bidi_reference, strip_bidi_controls(cleaned))


def count_links(html):
    """Links in HTML made by ``sanitize_comment`` (bare URLs and anchors alike): there
    every link is an ``<a`` tag, and a "<a " the reader typed as text is escaped."""
    return html.count("<a ")
