"""
An article's HTML, as WordPress stores it, turned into the body blocks of ``blog.blocks``.

Both editors' output is read: the classic editor's (paragraphs separated by blank lines,
``[caption]`` and ``[embed]`` shortcodes) and the block editor's (HTML between
``<!-- wp:… -->`` delimiters, which only mark where blocks begin and end: the HTML between
them says everything the conversion needs).

Structure is recognized where the writing shows it: a bulleted list whose items open with
a bold term and a colon is a key-point list, a numbered list whose items open with a bold
title is a list of numbered points, and a sentence such as "A 2020 randomized controlled
trial in the Journal of Pain Research showed that patients … experienced …" is a study
card. A study is made a card only when its year, design, journal, population and finding
are all found; a sentence that merely looks like one stays text and is listed for an
editor, because a wrong card misstates evidence while a paragraph only under-states it.

Nothing executes and nothing is silently lost: scripts, styles, forms and unknown
shortcodes are removed and listed in ``Conversion.removed``; an iframe or an embed
becomes a link to what it showed; a table becomes a list of its rows, and is noted.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from html import escape

from django.utils.text import slugify

import bleach
from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from blog.blocks import EARLIEST_STUDY_YEAR, anchor_clash, latest_study_year

PARAGRAPH_TAGS = frozenset({"p", "b", "i", "a", "ul", "ol", "li", "sup", "sub", "br"})
INLINE_TAGS = frozenset({"b", "i", "a", "sup", "sub", "br"})
CALLOUT_TAGS = INLINE_TAGS | {"p", "ul", "ol", "li"}
LINK_PROTOCOLS = frozenset({"http", "https", "mailto"})

# Removed with everything inside them: what they hold is code or controls, not writing.
REMOVED_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "object",
        "embed",
        "applet",
        "form",
        "input",
        "button",
        "select",
        "textarea",
        "svg",
        "math",
        "canvas",
        "link",
        "meta",
    }
)
CONTAINER_TAGS = frozenset(
    {"div", "section", "article", "main", "header", "footer", "aside", "center", "details"}
)
HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
CALLOUT_CLASS = re.compile(r"callout|notice|alert|warning|\btip\b|\bnote\b|info-box|has-background")
WORDPRESS_IMAGE_CLASS = re.compile(r"\bwp-image-(\d+)\b")

KNOWN_SHORTCODES = frozenset(
    {"gallery", "audio", "video", "playlist", "embed", "caption", "wp_caption", "contact-form-7"}
)
SHORTCODE = re.compile(r"\[(/?)([a-zA-Z][\w-]*)((?:\s[^\[\]]*)?)\]")
CAPTION_SHORTCODE = re.compile(r"\[(?:wp_)?caption([^\]]*)\](.*?)\[/(?:wp_)?caption\]", re.S)
CAPTION_INNER = re.compile(r"\s*((?:<a\b[^>]*>)?\s*<img\b[^>]*>\s*(?:</a>)?)(.*)$", re.S)
EMBED_SHORTCODE = re.compile(r"\[embed[^\]]*\](.*?)\[/embed\]", re.S)
BARE_URL_LINE = re.compile(r"^\s*(https?://\S+)\s*$")
AUTOP_BLOCK_START = re.compile(
    r"^\s*<(p|h[1-6]|ul|ol|blockquote|figure|table|div|pre|hr|iframe|script|style|section|"
    r"dl|form|address|aside|details)\b",
    re.IGNORECASE,
)

# ---- Studies ------------------------------------------------------------------------------

STUDY_TYPES = [
    (
        r"systematic review(?: and meta-analysis)?|meta-analysis|meta analysis",
        "systematic_review",
    ),
    (
        r"(?:double-blind(?:ed)?,? |placebo-controlled,? )*randomi[sz]ed,? "
        r"(?:double-blind(?:ed)?,? |placebo-controlled,? )*(?:controlled |clinical )*trial|RCT",
        "randomized_controlled_trial",
    ),
    (
        r"(?:prospective |retrospective |large |small )?"
        r"(?:cohort|observational|cross-sectional|case-control) study",
        "cohort_observational",
    ),
    (r"(?:pilot |clinical |small |large )?(?:study|trial)", "other"),
]
STUDY_SENTENCE = re.compile(
    r"^(?:An?|One|In an?)\s+(?P<year>(?:19|20)\d\d)\s+(?P<design>"
    + "|".join(pattern for pattern, _ in STUDY_TYPES)
    + r")\s+(?:published\s+)?(?:in|by)\s+(?:the\s+)?(?P<journal>[A-Z][^,;:]*?),?\s+"
    r"(?P<verb>found|finds|showed|shows|reported|reports|concluded|demonstrated|suggested|"
    r"suggests|observed|revealed|indicated)\s+(?:that\s+)?(?P<rest>.+)$",
    re.S,
)
JOURNAL_SMALL_WORDS = frozenset({"of", "and", "&", "the", "in", "for", "on", "de", "der", "und"})
POPULATION_NOUNS = (
    r"older adults|patients|adults|athletes|people|participants|subjects|individuals|women|men|"
    r"children|adolescents|runners|workers|volunteers|veterans|students|players"
)
POPULATION_FIRST = re.compile(
    rf"^(?P<population>(?P<noun>{POPULATION_NOUNS})\b.*?),?\s+(?P<finding>"
    r"(?:saw|experienced|had|showed|reported|achieved|gained|improved|reduced|were|was|did|"
    r"felt|needed|benefited|responded|recovered)\b.*)$",
    re.S | re.IGNORECASE,
)
POPULATION_LAST = re.compile(
    rf"\s(?:in|among|for)\s+(?P<population>(?:{POPULATION_NOUNS})\b[^.]*)\.?$", re.IGNORECASE
)
SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
STUDY_HINTS = (
    re.compile(r"\b(?:19|20)\d\d\b"),
    re.compile(r"\b(?:study|trial|review|meta-analysis|RCT)\b", re.IGNORECASE),
    re.compile(r"\b(?:journal|published|found|showed|reported|concluded)\b", re.IGNORECASE),
)
DOI_IN_URL = re.compile(r"doi\.org/(10\.\d{4,9}/\S+)$")


def _upper_first(text):
    return text[:1].upper() + text[1:]


def _looks_like_title(journal):
    words = journal.split()
    return 0 < len(words) <= 14 and all(
        word[:1].isupper() or word.lower() in JOURNAL_SMALL_WORDS for word in words
    )


def study_type_of(design):
    for pattern, study_type in STUDY_TYPES:
        if re.fullmatch(pattern, design, re.IGNORECASE):
            return study_type
    return "other"


def looks_like_study(text):
    """Whether an editor should look at this text as a possible study card."""
    return all(hint.search(text) for hint in STUDY_HINTS)


def recognize_study(text, links=()):
    """The study card's fields if ``text`` reports one study with confidence, else None.

    ``links`` are the hrefs in the text: a doi.org link becomes the DOI, another link the
    paper's link.
    """
    text = re.sub(r"\s+", " ", text).strip()
    match = STUDY_SENTENCE.match(text)
    if not match or not _looks_like_title(match["journal"]):
        return None
    if not EARLIEST_STUDY_YEAR <= int(match["year"]) <= latest_study_year():
        return None
    sentences = SENTENCE_BREAK.split(match["rest"].strip())
    found, relevance = sentences[0], " ".join(sentences[1:])
    population = finding = None
    leading = POPULATION_FIRST.match(found)
    if leading:
        population = leading["population"].rstrip(", ")
        finding = f"{leading['noun']} {leading['finding']}"
    else:
        trailing = POPULATION_LAST.search(found)
        if trailing:
            population = trailing["population"].rstrip(", ")
            finding = found
    if not population or not finding:
        return None
    finding = _upper_first(finding.strip())
    if not finding.endswith((".", "!", "?")):
        finding += "."
    card = {
        "year": int(match["year"]),
        "study_type": study_type_of(match["design"]),
        "journal": match["journal"].strip(),
        "population": _upper_first(population),
        "finding": finding,
        "relevance": relevance,
        "link": "",
        "doi": "",
    }
    for href in links:
        doi = DOI_IN_URL.search(href)
        if doi and not card["doi"]:
            card["doi"] = doi.group(1)
        elif href.startswith(("http://", "https://")) and not card["link"]:
            card["link"] = href
    return card


# ---- Rich text ----------------------------------------------------------------------------


def _cleaner(tags):
    return bleach.sanitizer.Cleaner(
        tags=tags,
        attributes={"a": ["href"]},
        protocols=LINK_PROTOCOLS,
        strip=True,
        strip_comments=True,
    )


_PARAGRAPH_CLEANER = _cleaner(PARAGRAPH_TAGS)
_INLINE_CLEANER = _cleaner(INLINE_TAGS)
_CALLOUT_CLEANER = _cleaner(CALLOUT_TAGS)


def _wagtail_tag_names(html):
    """Wagtail's rich text stores bold as <b> and italics as <i>."""
    html = re.sub(r"<(/?)strong\b", r"<\1b", html, flags=re.IGNORECASE)
    return re.sub(r"<(/?)em\b", r"<\1i", html, flags=re.IGNORECASE)


def sanitized(html, cleaner=_PARAGRAPH_CLEANER):
    cleaned = cleaner.clean(_wagtail_tag_names(html))
    cleaned = re.sub(r"<a>(.*?)</a>", r"\1", cleaned, flags=re.S)  # links whose href went
    cleaned = re.sub(r"\s+", " ", cleaned).strip()
    return re.sub(r"\s*(<br>)?\s*</p>", "</p>", re.sub(r"<p>\s*", "<p>", cleaned))


def inline_paragraph(html):
    text = sanitized(html, _INLINE_CLEANER)
    return f"<p>{text}</p>" if text else ""


def _text(node):
    return re.sub(r"\s+", " ", node.get_text(" ")).replace(" ,", ",").replace(" .", ".").strip()


def _inner_html(node):
    return "".join(str(child) for child in node.children if not isinstance(child, Comment))


def _meaningful_children(node):
    return [
        child
        for child in node.children
        if not isinstance(child, Comment) and not (isinstance(child, str) and not child.strip())
    ]


# ---- Shortcodes and classic-editor paragraphs ---------------------------------------------


def _caption_figure(match):
    attributes, inner = match.group(1), match.group(2)
    parts = CAPTION_INNER.match(inner)
    if not parts:
        return inner
    image, caption = parts.group(1), parts.group(2).strip()
    if not caption:
        attribute = re.search(r'caption="([^"]*)"', attributes)
        caption = attribute.group(1) if attribute else ""
    return f"<figure>{image}<figcaption>{caption}</figcaption></figure>"


def _embed_figure(url):
    return (
        f'<figure class="wp-block-embed"><div class="wp-block-embed__wrapper">'
        f"{escape(url.strip())}</div></figure>"
    )


def expand_shortcodes(html, removed):
    """[caption] and [embed] become the figures the block editor writes for them; other
    shortcodes lose their brackets (an enclosing one keeps the words it encloses)."""
    html = CAPTION_SHORTCODE.sub(_caption_figure, html)
    html = EMBED_SHORTCODE.sub(lambda match: _embed_figure(match.group(1)), html)
    closing = {name.lower() for name in re.findall(r"\[/([a-zA-Z][\w-]*)\]", html)}

    def remove(match):
        slash, name, attributes = match.groups()
        is_shortcode = (
            name.lower() in KNOWN_SHORTCODES or "=" in attributes or name.lower() in closing
        )
        if not is_shortcode:
            return match.group(0)
        if not slash:
            removed.append(f"shortcode [{name}{attributes}]".strip())
        return ""

    return SHORTCODE.sub(remove, html)


def autop(html):
    """The classic editor's text, with its paragraphs marked up as WordPress shows them."""
    html = re.sub(r"(</h[1-6]>)[ \t]*\n", r"\1\n\n", html.replace("\r\n", "\n"))
    chunks = [chunk for chunk in re.split(r"\n\s*\n", html) if chunk.strip()]
    shaped = []
    for chunk in chunks:
        url = BARE_URL_LINE.match(chunk)
        if url:
            shaped.append(_embed_figure(url.group(1)))
        elif AUTOP_BLOCK_START.match(chunk):
            shaped.append(chunk)
        else:
            shaped.append("<p>" + chunk.strip().replace("\n", "<br>\n") + "</p>")
    return "\n".join(shaped)


# ---- The conversion -----------------------------------------------------------------------


@dataclass
class ImageReference:
    """An image the body shows, to be found or fetched by the importer."""

    src: str
    attachment_id: str = ""
    alt: str = ""
    caption: str = ""


@dataclass
class Conversion:
    """The blocks made from one article, and what an editor should know about them."""

    blocks: list = field(default_factory=list)
    study_candidates: list = field(default_factory=list)
    removed: list = field(default_factory=list)
    approximations: list = field(default_factory=list)
    embeds: list = field(default_factory=list)

    def block_counts(self):
        return Counter(block_type for block_type, _ in self.blocks)

    def image_references(self):
        return [
            (position, value["image"])
            for position, (block_type, value) in enumerate(self.blocks)
            if block_type == "image" and isinstance(value["image"], ImageReference)
        ]

    def resolve_images(self, image_id_for):
        """Give each image block its stored image's id; ``image_id_for(reference)`` returns
        None for an image that could not be stored, whose block then becomes a link to where
        the image was, so the article keeps it visibly for an editor to replace."""
        for position, reference in self.image_references():
            image_id = image_id_for(reference)
            if image_id is not None:
                self.blocks[position][1]["image"] = image_id
                continue
            label = escape(reference.caption or reference.alt or reference.src)
            self.blocks[position] = (
                "paragraph",
                f'<p>Image not imported: <a href="{escape(reference.src)}">{label}</a></p>',
            )

    def take_intro(self):
        """The first paragraph as plain text, taken out of the body (it becomes the intro,
        as WordPress themes show the opening paragraph above the rest)."""
        if not self.blocks or self.blocks[0][0] != "paragraph":
            return ""
        soup = BeautifulSoup(self.blocks[0][1], "html.parser")
        first = soup.find("p")
        if first is None:
            return ""
        intro = _text(first)
        first.decompose()
        rest = str(soup).strip()
        if rest:
            self.blocks[0] = ("paragraph", rest)
        else:
            self.blocks.pop(0)
        return intro


class _Converter:
    def __init__(self):
        self.result = Conversion()
        self.inline = []
        self.anchors = set()

    # Output

    def add(self, block_type, value):
        self.flush_inline()
        self.result.blocks.append((block_type, value))

    def add_rich_text(self, html):
        """Running text: consecutive paragraphs and plain lists make one paragraph block."""
        html = sanitized(html)
        if not html or not re.sub(r"<[^>]+>", "", html).strip():
            return
        self.flush_inline()
        blocks = self.result.blocks
        if blocks and blocks[-1][0] == "paragraph":
            blocks[-1] = ("paragraph", blocks[-1][1] + html)
        else:
            blocks.append(("paragraph", html))

    def flush_inline(self):
        if not self.inline:
            return
        html = "".join(self.inline)
        self.inline = []
        if re.sub(r"<[^>]+>", "", html).strip():
            self.paragraph(BeautifulSoup(f"<p>{html}</p>", "html.parser").p, classes="")

    # Walking

    def walk(self, nodes):
        for node in list(nodes):
            if isinstance(node, Comment):
                continue
            if isinstance(node, NavigableString):
                if node.strip():
                    self.inline.append(escape(str(node)))
                continue
            self.element(node)

    def element(self, node):
        name = node.name.lower()
        classes = " ".join(node.get("class") or [])
        if name in REMOVED_TAGS:
            self.result.removed.append(f"<{name}> element")
        elif name == "iframe":
            self.link_to_embedded(node.get("src", ""), f"<iframe> {node.get('src', '')}".strip())
        elif name in HEADING_TAGS:
            self.heading(node)
        elif name == "p":
            self.paragraph(node, classes)
        elif name in ("ul", "ol"):
            self.list(node)
        elif name == "blockquote":
            self.quote(node)
        elif name == "figure":
            self.figure(node, classes)
        elif name == "img":
            self.image(node, caption="")
        elif name == "table":
            self.table(node)
        elif name == "pre":
            lines = escape(node.get_text()).strip().splitlines()
            self.add_rich_text("<p>" + "<br>".join(lines) + "</p>")
        elif name in ("hr", "br") and not self.inline:
            return
        elif name in ("video", "audio"):
            source = node.get("src") or (node.find("source") or {}).get("src", "")
            self.link_to_embedded(source, f"<{name}> {source}".strip())
        elif name in CONTAINER_TAGS:
            if CALLOUT_CLASS.search(classes):
                self.callout(node, classes)
            else:
                self.flush_inline()
                self.walk(node.children)
                self.flush_inline()
        else:
            self.inline.append(str(node))

    def link_to_embedded(self, url, description):
        if url.startswith(("http://", "https://")):
            self.result.embeds.append(url)
            self.add_rich_text(f'<p><a href="{escape(url)}">{escape(url)}</a></p>')
            self.result.approximations.append(f"{description} became a link")
        else:
            self.result.removed.append(description)

    def heading(self, node):
        text = _text(node)
        if not text:
            return
        if len(text) > 200:
            self.add_rich_text(f"<p><b>{escape(text)}</b></p>")
            self.result.approximations.append(f"heading longer than 200 characters: {text[:60]}…")
            return
        level = "h2" if node.name.lower() in ("h1", "h2") else "h3"
        anchor = slugify(node.get("id", ""))[:80]
        derived = anchor or slugify(text) or "section"
        if anchor_clash(derived, self.anchors):
            number = 2
            while anchor_clash(f"{derived[:74]}-{number}", self.anchors):
                number += 1
            anchor = f"{derived[:74]}-{number}"
        self.anchors.add(anchor or derived)
        self.add("heading", {"text": text, "level": level, "anchor": anchor})

    def paragraph(self, node, classes):
        for image in node.find_all("img"):
            wrapper = image.parent if image.parent.name == "a" else image
            self.image(image, caption="")
            wrapper.extract()
        if CALLOUT_CLASS.search(classes):
            self.callout(node, classes)
            return
        text = _text(node)
        study = recognize_study(text, [a.get("href", "") for a in node.find_all("a")])
        if study:
            self.add("study_card", study)
            return
        if looks_like_study(text):
            self.result.study_candidates.append(text)
        self.add_rich_text(f"<p>{_inner_html(node)}</p>")

    def list(self, node):
        items = node.find_all("li", recursive=False)
        if not items:
            return
        if node.name.lower() == "ul":
            points = [self.lead_and_text(item, colon_required=True) for item in items]
            if all(points):
                self.add("key_points", {"items": [{"lead": lead, "text": t} for lead, t in points]})
                return
            if self.study_list(items):
                return
        else:
            points = [self.lead_and_text(item, colon_required=False) for item in items]
            if all(points) and all(len(title) <= 160 for title, _ in points):
                self.add(
                    "numbered_list",
                    {"items": [{"title": title, "text": t} for title, t in points]},
                )
                return
        for item in items:
            if looks_like_study(_text(item)):
                self.result.study_candidates.append(_text(item))
        self.add_rich_text(str(node))

    def study_list(self, items):
        """A bulleted list of studies: each recognized one a card, the others kept as a list
        between them, in order."""
        cards = [
            recognize_study(_text(item), [a.get("href", "") for a in item.find_all("a")])
            for item in items
        ]
        if not any(cards):
            return False
        pending = []
        for item, card in zip(items, cards, strict=True):
            if card:
                if pending:
                    self.add_rich_text("<ul>" + "".join(pending) + "</ul>")
                    pending = []
                self.add("study_card", card)
            else:
                if looks_like_study(_text(item)):
                    self.result.study_candidates.append(_text(item))
                pending.append(str(item))
        if pending:
            self.add_rich_text("<ul>" + "".join(pending) + "</ul>")
        return True

    def lead_and_text(self, item, colon_required):
        """(bold lead, rest as a paragraph) for an item that opens with a bold term."""
        children = _meaningful_children(item)
        if len(children) < 2 or not isinstance(children[0], Tag):
            return None
        if children[0].name.lower() not in ("strong", "b"):
            return None
        lead = _text(children[0])
        rest = "".join(str(child) for child in children[1:])
        if lead.endswith(":"):
            lead = lead[:-1].strip()
        elif rest.lstrip().startswith(":"):
            rest = rest.lstrip()[1:]
        elif colon_required:
            return None
        else:
            lead = lead.rstrip(".").strip()
        text = inline_paragraph(rest)
        if not lead or len(lead) > 120 or not text:
            return None
        return lead, text

    def quote(self, node):
        attribution = ""
        cite = node.find("cite")
        if cite is not None:
            attribution = _text(cite).lstrip("—–- ").strip()
            cite.decompose()
        paragraphs = [_text(p) for p in node.find_all("p")] or [_text(node)]
        quote = "\n\n".join(text for text in paragraphs if text)
        if not quote:
            return
        source = node.get("cite", "")
        self.add(
            "quote",
            {
                "quote": quote,
                "attribution": attribution[:255],
                "source_url": source if source.startswith(("http://", "https://")) else "",
            },
        )

    def figure(self, node, classes):
        if "wp-block-embed" in classes:
            wrapper = node.find(class_="wp-block-embed__wrapper") or node
            url = _text(wrapper)
            self.link_to_embedded(url, f"embed {url}")
            return
        caption_node = node.find("figcaption")
        caption = _text(caption_node) if caption_node else ""
        if node.find("blockquote"):
            self.quote(node.find("blockquote"))
            return
        if node.find("table"):
            self.table(node.find("table"))
            if caption:
                self.add_rich_text(f"<p>{escape(caption)}</p>")
            return
        images = node.find_all("img")
        if images:
            for image in images:
                self.image(image, caption=caption if len(images) == 1 else "")
            return
        self.walk(node.children)

    def image(self, node, caption):
        src = node.get("src", "").strip()
        if not src.startswith(("http://", "https://", "/")):
            self.result.removed.append(f"image without a usable address ({src[:40] or 'none'})")
            return
        classes = " ".join(node.get("class") or [])
        attachment = WORDPRESS_IMAGE_CLASS.search(classes)
        reference = ImageReference(
            src=src,
            attachment_id=attachment.group(1) if attachment else node.get("data-id", ""),
            alt=node.get("alt", "").strip()[:250],
            caption=caption[:250],
        )
        value = {
            "image": reference,
            "alt": reference.alt,
            "caption": reference.caption,
            "credit": "",
            "source_url": "",
        }
        self.add("image", value)

    def table(self, node):
        rows = []
        for row in node.find_all("tr"):
            cells = [_text(cell) for cell in row.find_all(["th", "td"])]
            if any(cells):
                rows.append("<li>" + escape(" · ".join(cells)) + "</li>")
        if rows:
            self.add_rich_text("<ul>" + "".join(rows) + "</ul>")
            self.result.approximations.append(f"table of {len(rows)} rows became a list")

    def callout(self, node, classes):
        title = ""
        heading = node.find(HEADING_TAGS)
        if heading is not None:
            title = _text(heading)[:120]
            heading.decompose()
        inner = _inner_html(node) if node.name.lower() != "p" else f"<p>{_inner_html(node)}</p>"
        text = sanitized(inner, _CALLOUT_CLEANER)
        if not re.sub(r"<[^>]+>", "", text).strip():
            return
        if not text.startswith(("<p>", "<ul>", "<ol>")):
            text = f"<p>{text}</p>"
        if re.search(r"warning|alert|danger", classes):
            tone = "warning"
        elif re.search(r"\btip\b", classes):
            tone = "tip"
        elif re.search(r"\b(?:research|evidence|studies|study)\b", _text(node), re.IGNORECASE):
            tone = "evidence"
        else:
            tone = "note"
        self.add("callout", {"tone": tone, "title": title, "text": text})


def _remove_active_attributes(soup, removed):
    """Event handlers and script links would be dropped by the sanitizer anyway; taking
    them out here lets the report say so."""
    for element in soup.find_all(True):
        for name in [name for name in element.attrs if name.lower().startswith("on")]:
            removed.append(f"{name} handler on <{element.name}>")
            del element[name]
        href = element.get("href") if element.name == "a" else None
        if href and ":" in href.split("/", 1)[0]:
            scheme = href.split(":", 1)[0].strip().lower()
            if scheme not in LINK_PROTOCOLS:
                removed.append(f"{scheme}: link")
                del element["href"]


def _link_for_frame(soup, frame, result):
    """An iframe inside running text: a link to what it showed, or nothing."""
    src = frame.get("src", "")
    if not src.startswith(("http://", "https://")):
        result.removed.append(f"<iframe> {src}".strip())
        return ""
    result.embeds.append(src)
    result.approximations.append(f"<iframe> {src} became a link")
    link = soup.new_tag("a", href=src)
    link.string = src
    return link


def blocks_from_html(html):
    """The body blocks for one article's HTML (classic or block editor), as a Conversion."""
    converter = _Converter()
    html = expand_shortcodes(html or "", converter.result.removed)
    if "<!-- wp:" not in html:
        html = autop(html)
    soup = BeautifulSoup(html, "html.parser")
    for element in soup.find_all(REMOVED_TAGS):
        converter.result.removed.append(f"<{element.name}> element")
        element.decompose()
    _remove_active_attributes(soup, converter.result.removed)
    for frame in soup.find_all("iframe"):
        if frame.parent is not soup:
            frame.replace_with(_link_for_frame(soup, frame, converter.result))
    converter.walk(soup.children)
    converter.flush_inline()
    return converter.result
