"""
Reading a WordPress eXtended RSS export (WXR 1.0 to 1.2, as Tools → Export writes it)
as a stream of plain dicts, in memory bounded by the largest single item.

Each ``<item>`` (a post, page, attachment, menu item…) is read when its end tag arrives,
turned into a dict and then dropped from the tree, so a 500 MB export never sits in
memory whole. Expat resolves no external entities and, from 2.4, refuses the entity
expansion that "billion laughs" files rely on.
"""

import xml.etree.ElementTree as ET  # noqa: S405 (expat: no external entities, bounded expansion)

NAMESPACE_PREFIXES = {
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://wellformedweb.org/CommentAPI/": "wfw",
}


class ExportError(Exception):
    """The file is not a WordPress export this importer can read."""


def _prefix(uri):
    if uri in NAMESPACE_PREFIXES:
        return NAMESPACE_PREFIXES[uri]
    if uri.startswith("http://wordpress.org/export/"):
        return "excerpt" if uri.rstrip("/").endswith("/excerpt") else "wp"
    return uri


def tag_name(tag):
    """ "{http://wordpress.org/export/1.2/}post_id" → "wp:post_id", whatever the version."""
    if tag.startswith("{"):
        uri, local = tag[1:].split("}", 1)
        return f"{_prefix(uri)}:{local}"
    return tag


def _text(element):
    return (element.text or "").strip() if element is not None else ""


def _children(element):
    return {tag_name(child.tag): child for child in element}


def read_author(element):
    fields = _children(element)
    return {name.split(":", 1)[1]: _text(child) for name, child in fields.items()}


def read_comment(element):
    comment = {"meta": {}}
    for child in element:
        name = tag_name(child.tag)
        if name == "wp:commentmeta":
            meta = _children(child)
            comment["meta"][_text(meta.get("wp:meta_key"))] = _text(meta.get("wp:meta_value"))
        else:
            comment[name.split(":", 1)[1]] = child.text or ""
    return comment


def read_item(element):
    item = {"categories": [], "meta": {}, "comments": []}
    for child in element:
        name = tag_name(child.tag)
        if name == "category":
            item["categories"].append(
                {
                    "domain": child.get("domain", ""),
                    "nicename": child.get("nicename", ""),
                    "name": _text(child),
                }
            )
        elif name == "wp:postmeta":
            meta = _children(child)
            item["meta"][_text(meta.get("wp:meta_key"))] = _text(meta.get("wp:meta_value"))
        elif name == "wp:comment":
            item["comments"].append(read_comment(child))
        elif name == "content:encoded":
            item["content"] = child.text or ""
        elif name == "excerpt:encoded":
            item["excerpt"] = child.text or ""
        else:
            item[name] = _text(child)
    return item


def read_export(path):
    """Yield ("site", {…}) once, then ("author", {…}) per author and ("item", {…}) per item.

    Raises ExportError for a file that is not well-formed XML or not a WordPress export,
    naming the line and column where reading stopped.
    """
    site = {}
    site_announced = False
    root = channel = None
    try:
        for event, element in ET.iterparse(path, events=("start", "end")):  # noqa: S314
            name = tag_name(element.tag)
            if event == "start":
                if root is None:
                    root = element
                    if name != "rss":
                        raise ExportError(
                            f"This is not a WordPress export: it starts with <{name}>, not <rss>."
                        )
                elif name == "channel" and channel is None:
                    channel = element
                continue
            if channel is None or element not in channel:
                continue
            if name in ("item", "wp:author") and not site_announced:
                if not site.get("wxr_version"):
                    raise ExportError(
                        "This is not a WordPress export: no <wp:wxr_version> before its items."
                    )
                site_announced = True
                yield "site", site
            if name == "item":
                yield "item", read_item(element)
            elif name == "wp:author":
                yield "author", read_author(element)
            elif name in ("wp:wxr_version", "wp:base_site_url", "wp:base_blog_url", "link"):
                site[name.split(":", 1)[-1]] = _text(element)
            channel.remove(element)
    except ET.ParseError as error:
        line, column = error.position
        raise ExportError(
            f"The export is not well-formed XML (line {line}, column {column}): it may be "
            "cut short; export it again from WordPress (Tools → Export)."
        ) from error
    except OSError as error:
        raise ExportError(f"The export cannot be read: {error.strerror or error}.") from error
    if not site.get("wxr_version"):
        raise ExportError("This is not a WordPress export: it has no <wp:wxr_version>.")
