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


def wxr(items, site="https://old.example.com"):
    """A WordPress export around the given <item> elements."""
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
    xmlns:content="http://purl.org/rss/1.0/modules/content/"
    xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
<title>Old site</title><link>{site}</link>
<wp:wxr_version>1.2</wp:wxr_version><wp:base_site_url>{site}</wp:base_site_url>
<wp:author><wp:author_login><![CDATA[editor]]></wp:author_login>
<wp:author_display_name><![CDATA[The Editor]]></wp:author_display_name></wp:author>
{"".join(items)}
</channel>
</rss>
"""


def post_item(post_id, slug, title, content, status="publish", comments=""):
    return f"""<item>
<title><![CDATA[{title}]]></title>
<link>https://old.example.com/{slug}/</link>
<dc:creator><![CDATA[editor]]></dc:creator>
<content:encoded><![CDATA[{content}]]></content:encoded>
<excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>{post_id}</wp:post_id>
<wp:post_date><![CDATA[2025-03-27 09:00:00]]></wp:post_date>
<wp:post_date_gmt><![CDATA[2025-03-27 09:00:00]]></wp:post_date_gmt>
<wp:comment_status><![CDATA[open]]></wp:comment_status>
<wp:post_name><![CDATA[{slug}]]></wp:post_name>
<wp:status><![CDATA[{status}]]></wp:status>
<wp:post_type><![CDATA[post]]></wp:post_type>
<category domain="post_tag" nicename="dry-needling"><![CDATA[dry needling]]></category>
{comments}
</item>
"""


def comment_element(comment_id, parent_id=0, approved="1", when="2025-04-01 10:00:00"):
    return f"""<wp:comment>
<wp:comment_id>{comment_id}</wp:comment_id>
<wp:comment_author><![CDATA[Reader {comment_id}]]></wp:comment_author>
<wp:comment_author_email><![CDATA[reader{comment_id}@example.org]]></wp:comment_author_email>
<wp:comment_author_url></wp:comment_author_url>
<wp:comment_author_IP><![CDATA[192.0.2.{comment_id % 250}]]></wp:comment_author_IP>
<wp:comment_date><![CDATA[{when}]]></wp:comment_date>
<wp:comment_date_gmt><![CDATA[{when}]]></wp:comment_date_gmt>
<wp:comment_content><![CDATA[Comment {comment_id}, a few words in it.]]></wp:comment_content>
<wp:comment_approved><![CDATA[{approved}]]></wp:comment_approved>
<wp:comment_type><![CDATA[comment]]></wp:comment_type>
<wp:comment_parent>{parent_id}</wp:comment_parent>
</wp:comment>
"""
