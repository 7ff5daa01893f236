"""
Comments from a Disqus export (Admin → Moderation → Export) stored as this site's
comments, on the posts they were written under.

A Disqus export lists threads (one per page that had comments, with its address) and
then posts (comments), each naming its thread and, for a reply, its parent. Threads are
matched to this site's posts by address: the page's own URL, an old address that
redirects to it (a WordPress permalink the WordPress importer left behind, or any
redirect an editor made), or WordPress's ``?p=ID`` short link. Comments then go through
the WordPress importer's ``CommentImport``, so they get the same guarantees: parents
before replies, replies past the maximum depth attached to their deepest allowed
ancestor, sanitized text, no email sent, and an ``ImportOrigin`` each, so a second run
skips what the first stored. Each thread is imported in its own transaction.
"""

import xml.etree.ElementTree as ET  # noqa: S405 (expat: no external entities, bounded expansion)
from collections import Counter, defaultdict
from urllib.parse import parse_qs, urlsplit

from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from wagtail.contrib.redirects.models import Redirect
from wagtail.models import Page

from blog.models import BlogPostPage

from .comments import CommentImport
from .models import ImportOrigin

DISQUS = "http://disqus.com"
INTERNALS = "http://disqus.com/disqus-internals"
DISQUS_ID = f"{{{INTERNALS}}}id"
#: Disqus ids are unique across every forum, so one source name serves all exports.
SOURCE = "disqus"


class DisqusExportError(Exception):
    """The file is not a Disqus export this importer can read."""


def _local(tag):
    return tag.split("}", 1)[1] if tag.startswith("{") else tag


def _text(element, name):
    child = element.find(f"{{{DISQUS}}}{name}")
    if child is None:
        child = element.find(name)
    return (child.text or "").strip() if child is not None else ""


def _reference(element, name):
    child = element.find(f"{{{DISQUS}}}{name}")
    if child is None:
        child = element.find(name)
    return child.get(DISQUS_ID, "").strip() if child is not None else ""


def _flag(element, name):
    return _text(element, name).lower() == "true"


def read_export(path):
    """(threads by Disqus id, comments by thread id), read as a stream: each element is
    dropped once read. Comments are small; a 20,000-comment export is a few MB."""
    threads, comments = {}, defaultdict(list)
    try:
        for _event, element in ET.iterparse(path, events=("end",)):  # noqa: S314
            kind = _local(element.tag)
            if kind == "thread" and element.get(DISQUS_ID) and len(element):
                threads[element.get(DISQUS_ID)] = {
                    "link": _text(element, "link"),
                    "title": _text(element, "title"),
                    "closed": _flag(element, "isClosed"),
                }
                element.clear()
            elif kind == "post" and element.get(DISQUS_ID):
                comments[_reference(element, "thread")].append(_as_comment(element))
                element.clear()
            elif kind == "disqus":
                break
    except ET.ParseError as error:
        line, column = error.position
        raise DisqusExportError(
            f"This is not a readable Disqus export: {error.msg} at line {line}, column {column}."
        ) from error
    if not threads and not comments:
        raise DisqusExportError(
            "This file has no Disqus threads or posts: export from Disqus Admin → "
            "Moderation → Export."
        )
    return threads, comments


def _as_comment(element):
    """A Disqus post in the shape ``CommentImport`` reads (WordPress's comment fields)."""
    author = element.find(f"{{{DISQUS}}}author")
    if author is None:
        author = element.find("author")
    approved = "1"
    if _flag(element, "isSpam"):
        approved = "spam"
    elif _flag(element, "isDeleted"):
        approved = "trash"
    elif _text(element, "isApproved").lower() == "false":
        approved = "0"
    created = _text(element, "createdAt").replace("T", " ").removesuffix("Z")
    return {
        "comment_id": element.get(DISQUS_ID),
        "comment_parent": _reference(element, "parent") or "0",
        "comment_approved": approved,
        "comment_author": _text(author, "name") if author is not None else "",
        "comment_author_email": _text(author, "email") if author is not None else "",
        "comment_author_url": "",
        "comment_author_IP": _text(element, "ipAddress"),
        "comment_content": _text(element, "message"),
        "comment_date_gmt": created,
        "comment_date": created,
        "comment_type": "comment",
    }


def find_post(link):
    """This site's post at a Disqus thread's address, or None."""
    parts = urlsplit(link)
    path = parts.path or "/"
    if not path.endswith("/"):
        path += "/"
    for page in Page.objects.filter(url_path__endswith=path).specific():
        if isinstance(page, BlogPostPage) and page.url and page.url.rstrip("/") + "/" == path:
            return page
    redirect = (
        Redirect.objects.filter(old_path=Redirect.normalise_path(link))
        .select_related("redirect_page")
        .first()
    )
    if redirect and redirect.redirect_page_id:
        page = redirect.redirect_page.specific
        return page if isinstance(page, BlogPostPage) else None
    wordpress_id = parse_qs(parts.query).get("p", [""])[0]
    if wordpress_id.isdigit():
        origin = ImportOrigin.objects.filter(
            kind=ImportOrigin.Kind.POST,
            source_id=wordpress_id,
            content_type=ContentType.objects.get_for_model(BlogPostPage),
        ).first()
        if origin:
            return BlogPostPage.objects.filter(pk=origin.object_id).first()
    return None


class DisqusImport:
    def __init__(self, path, *, dry_run=False):
        self.path = path
        self.dry_run = dry_run
        self.counts = Counter()
        self.unmatched_threads = []
        self.failed_threads = []

    def run(self):
        threads, comments = read_export(self.path)
        for thread_id, thread_comments in comments.items():
            thread = threads.get(thread_id)
            if thread is None:
                self.counts["comments_without_a_thread"] += len(thread_comments)
                continue
            post = find_post(thread["link"])
            if post is None:
                self.counts["comments_on_unmatched_threads"] += len(thread_comments)
                self.unmatched_threads.append(thread["link"])
                continue
            self.counts["threads_matched"] += 1
            try:
                with transaction.atomic():
                    CommentImport(
                        SOURCE, post, self.counts, dry_run=self.dry_run, origin_name="Disqus"
                    ).run(thread_comments)
            except Exception as error:  # noqa: BLE001 (a bad thread is reported, never half-written)
                self.failed_threads.append({"link": thread["link"], "error": str(error)})
        return self.report()

    def report(self):
        return {
            "counts": dict(sorted(self.counts.items())),
            "unmatched_threads": self.unmatched_threads,
            "failed_threads": self.failed_threads,
            "dry_run": self.dry_run,
        }
