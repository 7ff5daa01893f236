"""
Importing a WordPress export: posts as typed blocks, with their authors, tags, images,
threaded comments and old addresses.

The export is read twice, streaming both times: first for its authors and attachments
(small records the posts refer to, which WordPress may write after the posts), then for
the posts themselves. A malformed file is therefore refused before anything is written.

Each post is written in a transaction of its own, with its images, comments and
redirects: a post that fails is reported and skipped, never half-written, and the rest
go on. Everything imported remembers its WordPress id (``ImportOrigin``), so a second
run updates what changed, skips what did not, and leaves alone a post an editor has
edited since (unless told to overwrite).
"""

import io
import uuid
from collections import Counter
from urllib.parse import unquote, urlsplit

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.images import ImageFile as DjangoImageFile
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.text import slugify

from wagtail.contrib.redirects.models import Redirect
from wagtail.models import Revision

from bs4 import BeautifulSoup

from blog.models import ArticleImage, Author, BlogIndexPage, BlogPostAuthor, BlogPostPage

from . import media
from .blocks_from_html import blocks_from_html
from .comments import CommentImport, wordpress_time
from .models import ImportOrigin
from .wxr import read_export

BLOCK_ID_NAMESPACE = uuid.UUID("0c7f1b9e-4b8d-4f7e-9a0e-6d2b8f3c5a17")
INTRO_MAX_LENGTH = 1000
DRAFT_STATUSES = {"draft", "pending", "future"}
SKIPPED_STATUSES = {
    "private": "private posts",
    "trash": "trashed posts",
    "auto-draft": "auto-drafts",
    "inherit": "revisions",
}
SKIPPED_TYPES = {
    "page": "pages",
    "nav_menu_item": "menu items",
    "revision": "revisions",
    "wp_navigation": "menus",
}
UNCATEGORIZED = {"uncategorized"}


class ImportReport:
    """What an import did, for the terminal and for ``--report FILE``."""

    def __init__(self):
        self.posts = Counter()
        self.writes = Counter()
        self.skipped = Counter()
        self.blocks = Counter()
        self.comments = Counter()
        self.images = Counter()
        self.redirects = 0
        self.study_cards = 0
        self.study_candidates = []
        self.missing_images = []
        self.for_an_editor = []
        self.removed = []
        self.errors = []

    def editor(self, post, note):
        self.for_an_editor.append({"post": post, "note": note})

    def as_dict(self):
        return {
            "posts": dict(self.posts),
            "writes": dict(self.writes),
            "skipped": dict(self.skipped),
            "blocks": dict(self.blocks),
            "study_cards": {
                "recognized": self.study_cards,
                "left_as_text": self.study_candidates,
            },
            "comments": dict(self.comments),
            "images": {**dict(self.images), "missing": self.missing_images},
            "redirects": self.redirects,
            "removed": self.removed,
            "for_an_editor": self.for_an_editor,
            "errors": self.errors,
        }

    def lines(self):
        def counts(counter):
            return ", ".join(f"{name.replace('_', ' ')} {n}" for name, n in sorted(counter.items()))

        yield f"Posts: {counts(self.posts) or 'none'}"
        yield f"Written: {counts(self.writes) or 'nothing'}"
        yield f"Skipped: {counts(self.skipped) or 'nothing'}"
        yield f"Blocks: {counts(self.blocks) or 'none'}"
        yield (
            f"Study cards: {self.study_cards} recognized, "
            f"{len(self.study_candidates)} left as text for an editor"
        )
        yield f"Comments: {counts(self.comments) or 'none'}"
        yield f"Images: {counts(self.images) or 'none'}, missing {len(self.missing_images)}"
        yield f"Redirects from old addresses: {self.redirects}"
        for missing in self.missing_images:
            yield f"  Image missing in “{missing['post']}”: {missing['url']} ({missing['reason']})"
        for candidate in self.study_candidates:
            yield f"  Possible study card in “{candidate['post']}”: {candidate['text'][:100]}"
        for note in self.for_an_editor:
            yield f"  For an editor, “{note['post']}”: {note['note']}"
        for removed in self.removed:
            yield f"  Removed from “{removed['post']}”: {removed['what']}"
        for error in self.errors:
            yield f"  Not imported, “{error['post']}”: {error['error']}"


def _plain_text(html):
    return " ".join(BeautifulSoup(html or "", "html.parser").get_text(" ").split())


def _shortened(text, limit=INTRO_MAX_LENGTH):
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


class WordPressImport:
    def __init__(
        self,
        path,
        *,
        blog_index=None,
        media_dir=None,
        fetch_timeout=None,
        dry_run=False,
        overwrite=False,
        progress=None,
    ):
        self.path = path
        self.blog_index = blog_index
        self.media_dir = media_dir
        self.fetch_timeout = fetch_timeout
        self.dry_run = dry_run
        self.overwrite = overwrite
        self.progress = progress or (lambda done, total: None)
        self.report = ImportReport()
        self.site = {}
        self.authors = {}
        self.attachments = {}
        self.post_count = 0

    @property
    def source(self):
        return f"wordpress {self.site.get('base_site_url') or self.site.get('link', '')}".strip()

    # Reading

    def read_references(self):
        """First pass: the site, its authors and its attachments (what posts point at)."""
        for kind, record in read_export(self.path):
            if kind == "site":
                self.site = record
            elif kind == "author":
                self.authors[record.get("author_login", "")] = record
            elif record.get("wp:post_type") == "attachment":
                self.attachments[record.get("wp:post_id", "")] = {
                    "url": record.get("wp:attachment_url", ""),
                    "title": record.get("title", ""),
                    "alt": record["meta"].get("_wp_attachment_image_alt", ""),
                    "caption": _plain_text(record.get("excerpt", "")),
                    "credit": record["meta"].get("_media_credit", ""),
                    "credit_url": record["meta"].get("_media_credit_url", ""),
                }
            elif record.get("wp:post_type") == "post":
                self.post_count += 1

    def run(self):
        self.read_references()
        if self.blog_index is None:
            self.blog_index = BlogIndexPage.objects.first()
        if self.blog_index is None:
            raise ValueError(
                "There is no blog index page to put the posts under: run "
                "`manage.py load_seed_content` or create one in the admin first."
            )
        done = 0
        for kind, item in read_export(self.path):
            if kind != "item":
                continue
            post_type = item.get("wp:post_type", "")
            if post_type == "post":
                self.import_item(item)
                done += 1
                self.progress(done, self.post_count)
            elif post_type == "attachment":
                self.report.skipped["attachments (imported with the posts that show them)"] += 1
            elif post_type in SKIPPED_TYPES:
                self.report.skipped[SKIPPED_TYPES[post_type]] += 1
            else:
                self.report.skipped[f"custom type {post_type or 'unknown'}"] += 1
        return self.report

    # One post

    def import_item(self, item):
        title = item.get("title") or f"Untitled post {item.get('wp:post_id', '')}"
        status = item.get("wp:status", "")
        if status in SKIPPED_STATUSES:
            self.report.skipped[SKIPPED_STATUSES[status]] += 1
            return
        publish = status == "publish" and not item.get("wp:post_password")
        if status == "publish" and not publish:
            self.report.editor(title, "password-protected on WordPress: imported as a draft")
        elif status not in DRAFT_STATUSES and status != "publish":
            self.report.skipped[f"posts with status {status or 'none'}"] += 1
            return
        try:
            with transaction.atomic():
                self.write_post(item, title, publish)
        except (ValidationError, ValueError, OSError, DatabaseError) as error:
            message = "; ".join(getattr(error, "messages", None) or [str(error)])
            self.report.errors.append({"post": title, "error": message})
            self.report.writes["failed"] += 1

    def write_post(self, item, title, publish):
        conversion = blocks_from_html(item.get("content", ""))
        intro = _plain_text(item.get("excerpt", "")) or conversion.take_intro() or title
        for text in conversion.study_candidates:
            self.report.study_candidates.append({"post": title, "text": text})
        for what in conversion.removed:
            self.report.removed.append({"post": title, "what": what})
        for what in conversion.approximations:
            self.report.editor(title, what)

        page, origin = self.existing_page(item)
        left_alone = page is not None and self.edited_since_import(page, origin)
        if left_alone:
            self.report.writes["left alone (edited since)"] += 1
            self.report.editor(
                title, "changed on this site since it was imported: kept (use --overwrite)"
            )
        elif not self.dry_run:
            conversion.resolve_images(lambda reference: self.image_id(reference, title))
        else:
            self.report.images["found"] += len(conversion.image_references())

        self.report.posts["published" if publish else "draft"] += 1
        self.report.blocks.update(conversion.block_counts())
        self.report.study_cards += conversion.block_counts()["study_card"]
        if self.dry_run:
            self.report.comments.update(self.comment_counts_only(item))
            return
        if not left_alone:
            page = self.save_page(item, page, origin, title, intro, conversion, publish)
        staff = {author.get("author_id", "") for author in self.authors.values()}
        comments = CommentImport(self.source, page, self.report.comments, staff_user_ids=staff)
        comments.run(item["comments"])
        if publish or page.live:
            self.add_redirects(item, page)

    def comment_counts_only(self, item):
        counts = Counter()
        CommentImport(self.source, None, counts, dry_run=True).run(item["comments"])
        return counts

    def existing_page(self, item):
        origin = ImportOrigin.objects.filter(
            source=self.source, kind=ImportOrigin.Kind.POST, source_id=item.get("wp:post_id", "")
        ).first()
        if origin is not None:
            page = BlogPostPage.objects.filter(pk=origin.object_id).first()
            if page is not None:
                return page, origin
        page = BlogPostPage.objects.child_of(self.blog_index).filter(slug=self.slug(item)).first()
        return page, None

    def edited_since_import(self, page, origin):
        if self.overwrite:
            return False
        if origin is None:
            return True  # a post of this site's own with the same slug
        return page.latest_revision_id != origin.revision_id

    def slug(self, item):
        slug = slugify(unquote(item.get("wp:post_name", "")), allow_unicode=True)
        return (slug or slugify(item.get("title", "")) or f"post-{item.get('wp:post_id')}")[:255]

    def save_page(self, item, page, origin, title, intro, conversion, publish):
        post_id = item.get("wp:post_id", "")
        published_at = wordpress_time(
            item.get("wp:post_date_gmt", ""), item.get("wp:post_date", "")
        )
        fields = {
            "title": title[:255],
            "slug": self.slug(item),
            "date": timezone.localdate(published_at) if published_at else timezone.localdate(),
            "intro": _shortened(intro),
            "comments_enabled": item.get("wp:comment_status", "open") != "closed",
            "hero_image_id": self.hero_image_id(item, title),
            "body": [
                {
                    "type": block_type,
                    "value": value,
                    "id": str(uuid.uuid5(BLOCK_ID_NAMESPACE, f"{self.source}:{post_id}:{n}")),
                }
                for n, (block_type, value) in enumerate(conversion.blocks)
            ],
        }
        tags = sorted(
            {
                category["name"][:100]
                for category in item["categories"]
                if category["domain"] in ("category", "post_tag")
                and category["nicename"] not in UNCATEGORIZED
                and category["name"]
            }
        )
        author = self.author(item.get("dc:creator", ""))
        created = page is None
        if created:
            page = BlogPostPage(live=False, **fields)
            if published_at:
                page.first_published_at = published_at
            self.blog_index.add_child(instance=page)
            self.report.writes["created"] += 1
        else:
            page = page.get_latest_revision_as_object()
            changed = [
                name
                for name, value in fields.items()
                if (list(page.body.raw_data) if name == "body" else getattr(page, name)) != value
            ]
            authors_now = [link.author_id for link in page.author_links.all()]
            if (
                not changed
                and sorted(page.tags.names()) == tags
                and authors_now == ([author.pk] if author else [])
                and page.live == publish
            ):
                self.report.writes["unchanged"] += 1
                return page
            for name, value in fields.items():
                setattr(page, name, value)
            self.report.writes["updated"] += 1
        page.tags.set(tags)
        page.author_links = [BlogPostAuthor(author=author)] if author else []
        revision = page.save_revision(log_action=True)
        if publish:
            revision.publish()
        elif page.live:
            page.unpublish()
        self.keep_last_modified(item, page, revision, publish)
        if item.get("wp:is_sticky") == "1":
            self.report.editor(title, "sticky on WordPress: this site has no sticky posts")
        ImportOrigin.objects.update_or_create(
            source=self.source,
            kind=ImportOrigin.Kind.POST,
            source_id=post_id,
            defaults={
                "content_type": ContentType.objects.get_for_model(BlogPostPage),
                "object_id": page.pk,
                "revision_id": BlogPostPage.objects.get(pk=page.pk).latest_revision_id,
            },
        )
        return page

    def keep_last_modified(self, item, page, revision, published):
        """Feeds, the sitemap and the API say when a post last changed: WordPress's date,
        not the moment of the import."""
        modified = wordpress_time(
            item.get("wp:post_modified_gmt", ""), item.get("wp:post_modified", "")
        )
        if modified is None:
            return
        Revision.objects.filter(pk=revision.pk).update(created_at=modified)
        changes = {"latest_revision_created_at": modified}
        if published:
            changes["last_published_at"] = modified
        BlogPostPage.objects.filter(pk=page.pk).update(**changes)

    # Authors, images, redirects

    def author(self, login):
        if not login:
            return None
        origin = ImportOrigin.objects.filter(
            source=self.source, kind=ImportOrigin.Kind.AUTHOR, source_id=login
        ).first()
        if origin is not None:
            author = Author.objects.filter(pk=origin.object_id).first()
            if author is not None:
                return author
        record = self.authors.get(login, {})
        author = Author.objects.create(name=(record.get("author_display_name") or login)[:120])
        ImportOrigin.objects.update_or_create(
            source=self.source,
            kind=ImportOrigin.Kind.AUTHOR,
            source_id=login,
            defaults={
                "content_type": ContentType.objects.get_for_model(Author),
                "object_id": author.pk,
            },
        )
        self.report.writes["authors created"] += 1
        return author

    def hero_image_id(self, item, title):
        attachment_id = item["meta"].get("_thumbnail_id", "")
        if not attachment_id:
            return None
        attachment = self.attachments.get(attachment_id)
        if attachment is None:
            self.report.missing_images.append(
                {"post": title, "url": f"attachment {attachment_id}", "reason": "not in the export"}
            )
            return None
        return self.stored_image_id(attachment_id, attachment["url"], attachment, title)

    def image_id(self, reference, title):
        attachment = self.attachments.get(reference.attachment_id)
        url = attachment["url"] if attachment else media.original_url(reference.src)
        return self.stored_image_id(
            reference.attachment_id, url, attachment or {}, title, reference
        )

    def stored_image_id(self, attachment_id, url, attachment, title, reference=None):
        self.report.images["found"] += 1
        source_id = f"attachment {attachment_id}" if attachment_id else url
        origin = ImportOrigin.objects.filter(
            source=self.source, kind=ImportOrigin.Kind.IMAGE, source_id=source_id
        ).first()
        if origin is not None and ArticleImage.objects.filter(pk=origin.object_id).exists():
            self.report.images["already imported"] += 1
            return origin.object_id
        try:
            found = media.image_file(url, self.media_dir, self.fetch_timeout)
        except media.ImageUnavailable as error:
            self.report.missing_images.append({"post": title, "url": url, "reason": str(error)})
            self.report.images["missing"] += 1
            return None
        alt = attachment.get("alt") or (reference.alt if reference else "")
        image = ArticleImage(
            title=(attachment.get("title") or alt or found.name)[:255],
            description=alt[:255],
            credit=attachment.get("credit", "")[:255],
            source_url=attachment.get("credit_url", "")[:1000],
            file=DjangoImageFile(io.BytesIO(found.content), name=found.name),
        )
        image.save()
        ImportOrigin.objects.update_or_create(
            source=self.source,
            kind=ImportOrigin.Kind.IMAGE,
            source_id=source_id,
            defaults={
                "content_type": ContentType.objects.get_for_model(ArticleImage),
                "object_id": image.pk,
            },
        )
        self.report.images["from media dir" if found.origin == "media_dir" else "fetched"] += 1
        return image.pk

    def add_redirects(self, item, page):
        new_path = Redirect.normalise_path(page.url or "")
        old_paths = {f"/?p={item.get('wp:post_id', '')}"}
        link = urlsplit(item.get("link", ""))
        if link.path or link.query:
            old_paths.add(link.path + (f"?{link.query}" if link.query else ""))
        for old in sorted(old_paths):
            path = Redirect.normalise_path(old)
            if not path or path in ("/", new_path):
                continue
            Redirect.objects.update_or_create(
                old_path=path,
                site=None,
                defaults={"redirect_page": page, "is_permanent": True, "redirect_link": ""},
            )
            self.report.redirects += 1


def import_wordpress(path, **options):
    """Run an import; returns its ImportReport. Raises wxr.ExportError for a bad file."""
    return WordPressImport(path, **options).run()
