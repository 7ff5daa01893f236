"""
Post bodies as the posts feeds and the v2 API show them, kept in the database.

The RSS feed carries the full text of 20 posts and the v2 listing with ``fields=*`` the
whole body of 20 posts: each body's JSON parsed into block values, then a template per
block (about 28 ms of CPU for the feed) or an API representation per block. Both answers
are kept in the cache, but the cache is emptied (a deploy, a flush, Redis restarting) and
the first reader after each change paid for all twenty bodies again (issue 16: 73 and
61 ms at 10,000 posts). Kept here, a body is rendered once per version of what it shows.

A stored rendering is found by a digest of everything it is made of: the body as stored
(block ids included), every field of each image it shows and of that image's renditions,
the variant (HTML, or the API's rich text format), the settings that shape its URLs, and
the renderer itself (the source of the block module, the image model's module and the
block templates, Wagtail's and Django's versions). A change to any of them gives another
digest, so a stale rendering is never read and no signal has to reach this table. There
is one row per post and variant: a new digest replaces the old row.

A body with an internal link or an embed (rich text ``linktype`` or ``embedtype``) is
rendered every time: what it shows depends on other pages' URLs and documents, which
the digest does not cover.
"""

import functools
import hashlib
import json
import logging
import sys
from pathlib import Path

import django
from django.conf import settings
from django.db import DatabaseError, connection, models, transaction
from django.template.loader import get_template
from django.utils import translation

import wagtail
from wagtail import blocks
from wagtail.images import get_image_model

from .blocks import ArticleBodyBlock

logger = logging.getLogger(__name__)

#: Rich text that shows another page, a document or an embed (``<a linktype="page" …>``,
#: ``<embed embedtype="image" …>``): its rendering is not a function of the body alone.
REFERENCES_OTHER_CONTENT = ("linktype=", "embedtype=")
#: Settings that change a rendering's URLs or numbers.
SETTINGS_IN_DIGEST = (
    "MEDIA_URL",
    "STORAGES",
    "WAGTAILADMIN_BASE_URL",
    "USE_THOUSAND_SEPARATOR",
    "WAGTAILIMAGES_FORMAT_CONVERSIONS",
)


class RenderedBody(models.Model):
    post = models.ForeignKey("blog.BlogPostPage", on_delete=models.CASCADE, related_name="+")
    variant = models.CharField(
        max_length=40, help_text="What the rendering is for: “html”, or “api:<rich text format>”."
    )
    digest = models.CharField(
        max_length=64, help_text="SHA-256 of everything the rendering is made of."
    )
    content = models.TextField()

    class Meta:
        app_label = "blog"
        constraints = [
            models.UniqueConstraint(fields=["post", "variant"], name="rendered_body_per_variant")
        ]

    def __str__(self):
        return f"{self.variant} rendering of post {self.post_id}"


def _templates_of(block):
    """The names of the templates ``block`` and the blocks inside it render with."""
    template = getattr(block.meta, "template", None)
    if template:
        yield template
    if isinstance(block, blocks.ListBlock):
        yield from _templates_of(block.child_block)
    for child in getattr(block, "child_blocks", {}).values():
        yield from _templates_of(child)


def renderer_files():
    """The files that decide how a body renders: the block module, the image model's
    module and every template the body's blocks (and their rich text) render with."""
    files = {
        Path(sys.modules[ArticleBodyBlock.__module__].__file__),
        Path(sys.modules[get_image_model().__module__].__file__),
    }
    for name in {*_templates_of(ArticleBodyBlock()), "wagtailcore/shared/richtext.html"}:
        files.add(Path(get_template(name).origin.name))
    return sorted(files)


@functools.cache
def renderer_source_digest():
    """What the renderer is in this process (a deploy that changes its code or templates
    gives every body a new digest)."""
    digest = hashlib.sha256(f"{wagtail.__version__} {django.get_version()}".encode())
    for path in renderer_files():
        digest.update(str(path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _image_state(image):
    """Every stored field of ``image`` and of the renditions fetched with it."""
    if image is None:
        return None
    renditions = getattr(image, "prefetched_renditions", None) or []
    return [
        [str(field.value_from_object(image)) for field in image._meta.concrete_fields],
        sorted(
            [str(field.value_from_object(rendition)) for field in rendition._meta.concrete_fields]
            for rendition in renditions
        ),
    ]


def body_digest(post, variant, images):
    """The digest of ``post``'s body rendered as ``variant``, or None when the rendering
    depends on more than the digest covers. ``images`` are the body's images by id."""
    raw_blocks = list(post.body.raw_data)
    raw = json.dumps(raw_blocks, sort_keys=True, default=str)
    if any(marker in raw for marker in REFERENCES_OTHER_CONTENT):
        return None
    image_ids = sorted(
        {
            block["value"].get("image")
            for block in raw_blocks
            if block.get("type") == "image" and isinstance(block.get("value"), dict)
        }
        - {None},
        key=str,
    )
    inputs = {
        "renderer": renderer_source_digest(),
        "settings": [repr(getattr(settings, name, None)) for name in SETTINGS_IN_DIGEST],
        "language": translation.get_language(),
        "variant": variant,
        "body": raw,
        "images": [[str(pk), _image_state(images.get(pk))] for pk in image_ids],
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def rendered_bodies(posts, variant, render, images):
    """``{post id: rendering}`` of ``posts``' bodies: read from the table when their digest
    is stored, else made by ``render(post)`` (a string) and stored for the next reader.

    ``images`` must be what ``blocks.images_for_bodies(posts)`` gave, the renderer's own
    images: an id missing from it is an image that no longer exists.
    """
    digests = {post.pk: body_digest(post, variant, images) for post in posts}
    stored = {
        post_id: content
        for post_id, digest, content in RenderedBody.objects.filter(
            post_id__in=[pk for pk, digest in digests.items() if digest], variant=variant
        ).values_list("post_id", "digest", "content")
        if digest == digests[post_id]
    }
    renderings, fresh = {}, []
    for post in posts:
        if post.pk in stored:
            renderings[post.pk] = stored[post.pk]
            continue
        renderings[post.pk] = content = str(render(post))
        if digests[post.pk] is not None:
            # Rendering may have made renditions; the digest the next reader computes
            # includes them, and so does this one.
            digest = body_digest(post, variant, images)
            fresh.append(
                RenderedBody(post_id=post.pk, variant=variant, digest=digest, content=content)
            )
    if fresh:
        store(fresh)
    return renderings


#: Rows of VALUES, not ``bulk_create``: on PostgreSQL Django sends a bulk insert as one
#: array per column (UNNEST), and psycopg escapes every quote of those arrays in Python:
#: 22 ms for the 20 bodies of a feed, against 3 ms as rows. SQLite takes the same statement.
UPSERT = (
    "INSERT INTO blog_renderedbody (post_id, variant, digest, content) VALUES {rows} "
    "ON CONFLICT (post_id, variant) DO UPDATE "
    "SET digest = EXCLUDED.digest, content = EXCLUDED.content"
)


def store(renderings):
    """Keep ``renderings`` for the next readers. The reader at hand has its answer either
    way: a post deleted meanwhile (or a database that refuses the write) costs them
    nothing but the next reader a rendering."""
    rows = ", ".join(["(%s, %s, %s, %s)"] * len(renderings))
    params = [
        value
        for rendering in renderings
        for value in (rendering.post_id, rendering.variant, rendering.digest, rendering.content)
    ]
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(UPSERT.format(rows=rows), params)
    except DatabaseError:
        logger.warning("Could not store %d body renderings", len(renderings), exc_info=True)
