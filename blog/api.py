"""
What apps see of the blog: the v2 page and image endpoints, the typed v3 page schema and
the v3 post listing (``GET /api/v3/posts/``).

The listing exists because Wagtail's v3 page listing returns only base page fields: an
app building an index would need one detail request per post. ``/posts/`` gives title,
date, intro, tags, hero rendition, comment state and URLs for a whole page of posts in a
fixed number of queries.
"""

import datetime
import json
import sys

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Prefetch
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from wagtail.api.v2.serializers import PageHtmlUrlField, StreamField, TagsField
from wagtail.api.v2.utils import get_full_url
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.api.v3.pagination import WagtailLimitOffsetPagination
from wagtail.images.api.v2.views import ImagesAPIViewSet
from wagtail.images.models import SourceImageIOError

from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from rest_framework.utils.encoders import JSONEncoder

from cms.api_json import CompactJSON

from .block_schemas import ArticleBodyItem
from .blocks import PREFETCHED_IMAGES, ArticleBodyBlock, images_for_bodies
from .comments.models import CommentSettings
from .comments.rules import closed_reason
from .models import (
    LISTING_IMAGE_SPEC,
    ArticleImage,
    BlogPostPage,
    attach_comment_counts,
    load_listing_page,
)
from .rendered_bodies import rendered_bodies

HERO_IMAGE_SPEC = "fill-1200x630"


class PrefetchedTagsField(TagsField):
    """Wagtail's tags field orders in the database, one query per post; this one reads the
    tags the listing prefetched."""

    def to_representation(self, value):
        return sorted(tag.name for tag in value.all())


class RequestPageHtmlUrlField(PageHtmlUrlField):
    """Wagtail's ``html_url``, with the Sites' root paths read once for the request:
    Wagtail's asks ``page.full_url``, which reads them from the cache again for every page
    (a Redis round trip per post of a listing)."""

    def to_representation(self, page):
        try:
            return page.get_full_url(self.context.get("request"))
        except NoReverseMatch:
            return None


#: Where a listing's post carries its body's representation as JSON (``rendered_bodies``).
STORED_API_BODY = "stored_api_body"


class StoredBodyField(StreamField):
    """The body's API representation, read from the one the listing found stored
    (``rendered_bodies``) when there is one."""

    def __init__(self, **kwargs):
        super().__init__(source="*", **kwargs)

    def to_representation(self, post):
        if STORED_API_BODY in post.__dict__:
            return json.loads(post.__dict__[STORED_API_BODY])
        return super().to_representation(post.body)


class BlogPagesAPIViewSet(CompactJSON, PagesAPIViewSet):
    """Wagtail's pages endpoint, with what a post listing serializes fetched up front, so
    ``?type=blog.BlogPostPage&fields=*`` costs the same number of queries for 5 posts or 500."""

    @classmethod
    def get_field_serializer_overrides(cls, model):
        overrides = super().get_field_serializer_overrides(model)
        overrides["html_url"] = RequestPageHtmlUrlField(read_only=True)
        if issubclass(model, BlogPostPage):
            overrides["tags"] = PrefetchedTagsField()
            overrides["body"] = StoredBodyField(read_only=True)
        return overrides

    def get_queryset(self):
        queryset = super().get_queryset()
        if issubclass(queryset.model, BlogPostPage):
            queryset = queryset.select_related("locale").prefetch_related(
                "tags",
                "authors",
                Prefetch(
                    "hero_image",
                    queryset=ArticleImage.objects.prefetch_renditions(HERO_IMAGE_SPEC),
                ),
            )
        return queryset

    def listing_view(self, request):
        token = PREFETCHED_IMAGES.set({})
        try:
            return super().listing_view(request)
        finally:
            PREFETCHED_IMAGES.reset(token)

    def paginate_queryset(self, queryset):
        """The page's posts, with their comment counts (one query for the page: as a
        subquery of the listing it would run for every post an ``offset`` skips), the
        images their bodies show and their bodies' representations, stored or made."""
        page = list(super().paginate_queryset(queryset))
        posts = [item for item in page if isinstance(item, BlogPostPage)]
        attach_comment_counts(posts)
        prefetched = PREFETCHED_IMAGES.get()
        if prefetched is not None:
            images = images_for_bodies(posts)
            prefetched.update(images)
            if posts and self.shows_body():
                self.attach_body_representations(posts, images)
        return page

    def get_serializer_class(self):
        """Wagtail's, built once per request: the listing asks for it twice (whether
        it shows bodies, then to serialize), and building it builds the queryset."""
        if not hasattr(self, "_serializer_class"):
            self._serializer_class = super().get_serializer_class()
        return self._serializer_class

    def get_serializer_context(self):
        """Wagtail's, built once per request (it reads the pages' view restrictions)."""
        if not hasattr(self, "_serializer_context"):
            self._serializer_context = super().get_serializer_context()
        return self._serializer_context

    def shows_body(self):
        return "body" in self.get_serializer_class().Meta.fields

    def attach_body_representations(self, posts, images):
        context = self.get_serializer_context()
        rich_text_format = context["_wagtail_rich_text_format"]

        def represent(post):
            representation = post.body.stream_block.get_api_representation(post.body, context)
            return json.dumps(representation, cls=JSONEncoder)

        stored = rendered_bodies(posts, f"api:{rich_text_format}", represent, images)
        for post in posts:
            post.__dict__[STORED_API_BODY] = stored[post.pk]


class ArticleImagesAPIViewSet(CompactJSON, ImagesAPIViewSet):
    """Images with the credit and source link their licences ask apps to show."""

    body_fields = ImagesAPIViewSet.body_fields + ["credit", "source_url"]
    listing_default_fields = ImagesAPIViewSet.listing_default_fields + ["credit", "source_url"]


def typed_article_body_schema(generator, field):
    """Type the article body as the union of our block schemas instead of ``list[Any]``."""
    from wagtail.api.v3.schemas.generators.read import streamfield_schema

    annotation, default, resolver = streamfield_schema(generator, field)
    if isinstance(field.stream_block, ArticleBodyBlock):
        annotation = list[ArticleBodyItem]
    return annotation, default, resolver


def register_v3_schemas():
    """Called from BlogConfig.ready(): Wagtail's v3 page router builds its response types
    from the registry when it is first imported, so ours must be in place before that."""
    if "wagtail.api.v3.routers.pages" in sys.modules:
        raise ImproperlyConfigured(
            "wagtail.api.v3.routers.pages was imported before the blog registered its page "
            "schemas; import it only from URL configuration."
        )
    from wagtail.api.v3.registry import registry
    from wagtail.api.v3.schemas.generators.read import read_generator
    from wagtail.fields import StreamField

    from cms.v3_page_types import add_top_level_page_types

    read_generator.register_field_schema(StreamField, typed_article_body_schema)
    registry.register_defaults()
    add_top_level_page_types(registry)


class RenditionOut(Schema):
    url: str
    full_url: str
    width: int
    height: int
    alt: str
    credit: str = Field(description="Whom the image's licence asks to credit.")
    source_url: str = Field(description="Where the image comes from.")


class PostSummary(Schema):
    id: int
    title: str
    slug: str
    date: datetime.date
    intro: str
    tags: list[str]
    hero_image: RenditionOut | None = Field(
        description=f"The post's hero image as a {LISTING_IMAGE_SPEC} rendition."
    )
    comment_count: int = Field(description="Approved comments.")
    comments_open: bool = Field(description="Whether a comment may be posted now.")
    html_url: str = Field(description="The post on the website.")
    detail_url: str = Field(description="The post's full JSON (body included) in this API.")

    @staticmethod
    def resolve_tags(post):
        return [tag.name for tag in post.tags.all()]

    @staticmethod
    def resolve_hero_image(post):
        image = post.hero_image
        if image is None:
            return None
        try:
            rendition = image.get_rendition(LISTING_IMAGE_SPEC)
        except SourceImageIOError:
            return None
        return {
            "url": rendition.url,
            "full_url": rendition.full_url,
            "width": rendition.width,
            "height": rendition.height,
            "alt": rendition.alt,
            "credit": image.credit,
            "source_url": image.source_url,
        }

    @staticmethod
    def resolve_comments_open(post, context):
        rules = CommentSettings.load(request_or_site=context["request"])
        return closed_reason(post, rules) is None

    @staticmethod
    def resolve_html_url(post, context):
        return post.get_full_url(context["request"])

    @staticmethod
    def resolve_detail_url(post, context):
        path = reverse("wagtailapi_v3:detail_page", kwargs={"page_id": post.pk})
        return get_full_url(context["request"], path)


class PostFilters(Schema):
    tag: str | None = Field(None, description="Only posts with this tag (its slug).")


class PostsPagination(WagtailLimitOffsetPagination):
    """Wagtail's limit/offset, the page found by id before its rows are read and its
    comment counts added in one query (``load_listing_page``): whole rows sorted past a
    deep ``offset``, or a count subquery run for every post it skips, grew with the blog
    (docs/benchmarks.md, at scale)."""

    def paginate_queryset(self, queryset, pagination, request, **params):
        page = super().paginate_queryset(queryset, pagination, request, **params)
        page[self.items_attribute] = load_listing_page(page[self.items_attribute])
        return page


posts_router = Router(tags=["posts"])


@posts_router.get(
    "/",
    response=list[PostSummary],
    url_name="list_posts",
    summary="List posts, newest first",
    description=(
        "Published posts as summaries for listings, newest first; `tag` keeps those with "
        "that tag. A post's full JSON, its typed body included, is at its `detail_url`."
    ),
    operation_id="posts_list",
)
@paginate(PostsPagination)
def list_posts(request: HttpRequest, filters: PostFilters = Query(...), **kwargs):  # noqa: B008
    posts = BlogPostPage.objects.for_listing().select_related("locale")
    if filters.tag:
        posts = posts.filter(tags__slug=filters.tag)
    return posts
