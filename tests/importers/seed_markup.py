"""The seed article's text written out as WordPress's block editor writes it.

Built from the same text file the seed loader is checked against, so the importer is
tested on the article this project actually came with, not on markup shaped to suit it.
The one editorial choice: the caveat after the studies is a paragraph with a background
colour, as WordPress authors highlight such a sentence.
"""

import re
from html import escape
from pathlib import Path

SEED_TEXT = Path(__file__).parents[1] / "blog" / "data" / "dry-needling-chronic-muscle-cramping.txt"
BULLET = re.compile(r"^\s*•\s+(.*)$")
NUMBERED = re.compile(r"^\s*\d+\.\s+(.*)$")
LEAD = re.compile(r"^([^:]{3,80}):\s+(.*)$")


def _paragraph(text, highlighted=False):
    if highlighted:
        attrs = '{"backgroundColor":"pale-cyan-blue"}'
        return (
            f"<!-- wp:paragraph {attrs} -->\n"
            f'<p class="has-pale-cyan-blue-background-color has-background">{escape(text)}</p>\n'
            "<!-- /wp:paragraph -->"
        )
    return f"<!-- wp:paragraph -->\n<p>{escape(text)}</p>\n<!-- /wp:paragraph -->"


def _heading(text):
    return (
        f'<!-- wp:heading -->\n<h2 class="wp-block-heading">{escape(text)}</h2>\n'
        "<!-- /wp:heading -->"
    )


def _item(text):
    lead = LEAD.match(text)
    if lead and not text.startswith("A "):
        html = f"<strong>{escape(lead.group(1))}:</strong> {escape(lead.group(2))}"
    else:
        html = escape(text)
    return f"<!-- wp:list-item -->\n<li>{html}</li>\n<!-- /wp:list-item -->"


def _list(items, ordered):
    tag = "ol" if ordered else "ul"
    attrs = ' {"ordered":true}' if ordered else ""
    inner = "\n".join(_item(item) for item in items)
    return (
        f'<!-- wp:list{attrs} -->\n<{tag} class="wp-block-list">{inner}</{tag}>\n<!-- /wp:list -->'
    )


def seed_article():
    """(title, block-editor content) of the seed article."""
    lines = SEED_TEXT.read_text().splitlines()
    title = lines[3].strip()
    body_lines = lines[5 : lines.index("Leave a Reply")]
    blocks, items, ordered = [], [], False
    for line in body_lines + [""]:
        bullet, number = BULLET.match(line), NUMBERED.match(line)
        if bullet or number:
            items.append((bullet or number).group(1).strip())
            ordered = bool(number)
            continue
        if items:
            blocks.append(_list(items, ordered))
            items = []
        text = line.strip()
        if not text:
            continue
        if text.endswith((".", ":")):
            blocks.append(_paragraph(text, highlighted=text.startswith("Although these studies")))
        else:
            blocks.append(_heading(text))
    return title, "\n\n".join(blocks)
