"""The blog's page types, its image model and its authors."""

import math

from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import models
from django.dispatch import receiver
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.functional import cached_property

from wagtail.admin.panels import FieldPanel, MultiFieldPanel, MultipleChooserPanel
from wagtail.api import APIField
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField
from wagtail.images.api.fields import ImageRenditionField
from wagtail.images.exceptions import InvalidFilterSpecError
from wagtail.images.models import AbstractImage, AbstractRendition, Filter, Image
from wagtail.models import Orderable, Page, PageManager
from wagtail.query import PageQuerySet
from wagtail.search import index
from wagtail.signals import page_published

from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import Tag, TaggedItemBase

from cms.feed_cache import cached_by_content

from .api_fields import AuthorsField, CommentCountField, CommentsOpenField
from .blocks import ArticleBodyBlock
from .comments.models import approved_comment_counts, approved_count_subquery
from .comments.section import comment_section
from .feeds import PostCommentsFeed, PostsAtomFeed, PostsRssFeed
from .related import ranked_related_ids

LISTING_IMAGE_SPEC = "fill-640x360"
#: The share image of a post's <head> (``seo_tags``: Open Graph and Twitter cards).
SHARE_IMAGE_SPEC = "fill-1200x630"
#: The renditions of a post's hero image its page shows: the article's (in
#: templates/blog/blog_post_page.html) and the share image, read together in one query.
HERO_IMAGE_SPECS = ("width-1200", SHARE_IMAGE_SPEC)


class ArticleImage(AbstractImage):
    """Wagtail's image, plus the credit and source link that stock-photo licences ask for."""

    description = models.CharField(
        "description (alt text)",
        max_length=255,
        blank=True,
        default="",
        help_text=(
            "Becomes the image's alt text: say what the image shows, for readers who cannot "
            "see it. If left empty, the title is used."
        ),
    )
    credit = models.CharField(
        max_length=255, blank=True, help_text="Who to credit, for example “Freepik”."
    )
    source_url = models.URLField(
        "source URL",
        max_length=1000,
        blank=True,
        help_text="Where the image comes from, linked in the credit.",
    )

    admin_form_fields = Image.admin_form_fields + ("credit", "source_url")

    class Meta(AbstractImage.Meta):
        verbose_name = "image"
        verbose_name_plural = "images"
        permissions = [("choose_image", "Can choose image")]

    def get_rendition(self, filter):
        """Wagtail's ``get_rendition`` (what ``{% image %}`` and the API fields call), without
        writing back to the cache a rendition that came from the prefetched renditions or
        from the cache itself. Wagtail's writes every rendition it returns: one Redis round
        trip per image of a listing whose renditions were fetched with its posts (20 for a
        page of an API listing). ``get_renditions`` writes only what it read from the
        database or made; wagtail/wagtail#14541 does the same upstream."""
        if isinstance(filter, str):
            filter = Filter(spec=filter)
        elif not isinstance(filter, Filter):
            raise InvalidFilterSpecError(
                "Unrecognised filter format - string or Filter instance expected"
            )
        (rendition,) = self.get_renditions(filter).values()
        return rendition


class ArticleImageRendition(AbstractRendition):
    image = models.ForeignKey(ArticleImage, on_delete=models.CASCADE, related_name="renditions")

    class Meta:
        unique_together = (("image", "filter_spec", "focal_point_key"),)


class Author(index.Indexed, models.Model):
    """A person who writes or reviews posts; a snippet so one author serves many posts."""

    name = models.CharField(max_length=120)
    credentials = models.CharField(
        max_length=160, blank=True, help_text="For example “PT, DPT” or “Sports physician”."
    )
    bio = models.TextField(blank=True)

    panels = [FieldPanel("name"), FieldPanel("credentials"), FieldPanel("bio")]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name}, {self.credentials}" if self.credentials else self.name


class BlogPostAuthor(Orderable):
    """One author of one post, in byline order. A row of its own (not a bare many-to-many)
    so the editor picks authors with the snippet chooser, which can also create one."""

    page = ParentalKey("blog.BlogPostPage", related_name="author_links", on_delete=models.CASCADE)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="+")

    panels = [FieldPanel("author")]

    class Meta(Orderable.Meta):
        verbose_name = "author"
        verbose_name_plural = "authors"


class BlogPostTag(TaggedItemBase):
    content_object = ParentalKey(
        "blog.BlogPostPage", related_name="tagged_items", on_delete=models.CASCADE
    )

    class Meta:
        indexes = [
            # The posts of some tags, read from the index alone: related posts rank them.
            models.Index(fields=["tag", "content_object"], name="blogposttag_tag_post_idx"),
        ]


class BlogPostQuerySet(PageQuerySet):
    def for_listing(self):
        """Live posts, newest first, with what a listing shows fetched in a fixed number of
        queries (hero image and its listing rendition, tags), however many posts there are.

        Bodies are left out (no listing shows one, and sorting thousands of them is most
        of the cost of a deep page); comment counts are added by ``with_comment_counts``
        or, for the page being shown only, ``attach_comment_counts``."""
        return (
            self.live()
            .public()
            .defer_streamfields()
            .order_by("-date", "-pk")
            .prefetch_related(
                models.Prefetch(
                    "hero_image",
                    queryset=ArticleImage.objects.prefetch_renditions(LISTING_IMAGE_SPEC),
                ),
                "tags",
            )
        )

    def with_comment_counts(self):
        """Counts as a subquery, for a first page (LIMIT without OFFSET): PostgreSQL runs
        it for every row it passes, and past an OFFSET those are all the skipped ones."""
        return self.annotate(comment_count=approved_count_subquery())


def attach_comment_counts(posts):
    """The posts of one listing page with their approved comment counts, in one query
    for the page whatever its offset."""
    posts = list(posts)
    counts = approved_comment_counts([post.pk for post in posts])
    for post in posts:
        post.comment_count = counts[post.pk]
    return posts


def load_listing_page(page_of_posts):
    """The posts of one page of a listing (a sliced queryset of posts), with their approved
    comment counts, in queries whose cost does not grow with the page's offset.

    The page is found by id first: the ordering and the ``OFFSET`` on the two columns of
    ``post_listing_order_idx`` (date and id), then only those posts' rows are read. With the
    whole rows in one query, PostgreSQL sorted every skipped post's row to find the last
    page (10,000 rows of 330 bytes: an external merge on disk, 60-80 ms); the ids of them
    sort in memory, and the first pages walk the index and stop."""
    ids = list(page_of_posts.prefetch_related(None).values_list("pk", flat=True))
    rows = page_of_posts.all()
    rows.query.clear_limits()
    by_id = {post.pk: post for post in rows.filter(pk__in=ids)}
    # A post unpublished between the two queries is left out, as it would be a moment later.
    return attach_comment_counts(by_id[pk] for pk in ids if pk in by_id)


BlogPostManager = PageManager.from_queryset(BlogPostQuerySet)


def route_to_child_of_type(parent, page_type, request, path_components):
    """Wagtail's routing of ``path_components`` below ``parent`` when the first is the slug
    of a child of ``page_type``, with the child read as that type in one query: Wagtail
    reads the child as a page, then again as its own type, at every level of every
    page's URL. ``None`` when there is no such child (the caller routes Wagtail's way)."""
    child = page_type.objects.child_of(parent).filter(slug=path_components[0]).first()
    if child is None:
        return None
    child._cached_parent_obj = parent
    return child.route(request, path_components[1:])


class BlogIndexPage(RoutablePageMixin, Page):
    intro = RichTextField(blank=True, features=["bold", "italic", "link"])

    content_panels = Page.content_panels + [FieldPanel("intro")]
    search_fields = Page.search_fields + [index.SearchField("intro")]
    api_fields = [APIField("intro")]

    parent_page_types = ["home.HomePage"]
    subpage_types = ["blog.BlogPostPage"]

    class Meta:
        verbose_name = "blog index"

    def get_posts(self):
        return BlogPostPage.objects.child_of(self).for_listing()

    def route(self, request, path_components):
        """A post is read as a post in one query (``route_to_child_of_type``). This page's
        own routes (tags, feeds) come first, as with ``RoutablePageMixin``."""
        if len(path_components) == 1 and not (self.live and self._has_route(path_components)):
            routed = route_to_child_of_type(self, BlogPostPage, request, path_components)
            if routed is not None:
                return routed
        return super().route(request, path_components)

    def _has_route(self, path_components):
        try:
            self.resolve_subpage(f"/{'/'.join(path_components)}/")
        except Http404:
            return False
        return True

    def paginate(self, request, posts):
        paginator = Paginator(posts, settings.BLOG_POSTS_PER_PAGE)
        try:
            page = paginator.page(request.GET.get("page", 1))
        except PageNotAnInteger:
            page = paginator.page(1)
        except EmptyPage as error:
            raise Http404("That page of posts does not exist.") from error
        page.object_list = load_listing_page(page.object_list)
        return page

    @path("")
    def post_list(self, request):
        posts = self.get_posts()
        tag = None
        if request.GET.get("tag"):
            tag = get_object_or_404(Tag, slug=request.GET["tag"])
            posts = posts.filter(tags=tag)
        return self.render(
            request, context_overrides={"posts": self.paginate(request, posts), "tag": tag}
        )

    @path("tags/<slug:tag_slug>/", name="tag")
    def tag_list(self, request, tag_slug):
        tag = get_object_or_404(Tag, slug=tag_slug)
        posts = self.get_posts().filter(tags=tag)
        return self.render(
            request,
            context_overrides={"posts": self.paginate(request, posts), "tag": tag},
            template="blog/tag_index_page.html",
        )

    @path("feed/rss/", name="rss_feed")
    def rss_feed(self, request):
        return cached_by_content(PostsRssFeed())(request, blog_index=self)

    @path("feed/atom/", name="atom_feed")
    def atom_feed(self, request):
        return cached_by_content(PostsAtomFeed())(request, blog_index=self)

    @path("feed/comments/<slug:post_slug>/", name="comments_feed")
    def comments_feed(self, request, post_slug):
        post = get_object_or_404(
            BlogPostPage.objects.child_of(self).live().public(), slug=post_slug
        )
        return PostCommentsFeed()(request, post=post)


class BlogPostPage(Page):
    date = models.DateField("Published on", default=timezone.localdate)
    intro = models.TextField(
        max_length=1000,
        help_text="One or two sentences: shown under the title, on listings, in feeds and search.",
    )
    hero_image = models.ForeignKey(
        ArticleImage,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Shown at the top of the post and on listings; its credit is printed under it.",
    )
    body = StreamField(ArticleBodyBlock(), blank=True)
    tags = ClusterTaggableManager(through=BlogPostTag, blank=True)
    # Edited as ``author_links`` (an InlinePanel); this relation reads them back for
    # listings, feeds, JSON-LD and the API.
    authors = models.ManyToManyField(
        Author, through=BlogPostAuthor, blank=True, related_name="posts"
    )
    comments_enabled = models.BooleanField(
        "Comments open",
        default=True,
        help_text="Untick to close the discussion; existing comments stay visible.",
    )

    objects = BlogPostManager()

    content_panels = Page.content_panels + [
        MultiFieldPanel([FieldPanel("date"), FieldPanel("tags")], heading="About the post"),
        MultipleChooserPanel(
            "author_links",
            chooser_field_name="author",
            heading="Authors",
            label="Author",
            help_text="In byline order. Not listed yet? The chooser’s “New author” tab adds one.",
        ),
        FieldPanel("intro"),
        FieldPanel("hero_image"),
        FieldPanel("body"),
    ]
    settings_panels = Page.settings_panels + [FieldPanel("comments_enabled")]

    search_fields = Page.search_fields + [
        index.SearchField("intro"),
        index.SearchField("body"),
        index.RelatedFields("tags", [index.SearchField("name")]),
        index.FilterField("date"),
    ]

    api_fields = [
        APIField("date"),
        APIField("intro"),
        APIField("tags"),
        APIField("hero_image"),
        APIField(
            "hero_image_rendition",
            serializer=ImageRenditionField("fill-1200x630", source="hero_image"),
        ),
        APIField("authors", serializer=AuthorsField()),
        APIField("comments_enabled"),
        APIField("comments_open", serializer=CommentsOpenField()),
        APIField("comment_count", serializer=CommentCountField()),
        APIField("body"),
    ]

    parent_page_types = ["blog.BlogIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = "blog post"
        indexes = [
            # Listings' order (``for_listing``): a first page reads ten entries and stops,
            # a deep one sorts ids, not rows (``load_listing_page``).
            models.Index(fields=["-date", "-page_ptr"], name="post_listing_order_idx"),
        ]

    def get_context(self, request, *args, comment_form=None, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # The image and both renditions in two queries, where reading each rendition when
        # it is shown took a query and a Redis read and write apiece with the cache empty.
        models.prefetch_related_objects(
            [self],
            models.Prefetch(
                "hero_image", queryset=ArticleImage.objects.prefetch_renditions(*HERO_IMAGE_SPECS)
            ),
        )
        context.update(comment_section(request, self, form=comment_form))
        return context

    @cached_property
    def byline_authors(self):
        """The authors in the editor's order, read from the page in hand: a preview shows
        the authors being edited, not the published ones. Kept for the request: the byline
        and the page's JSON-LD both list them."""
        return [link.author for link in self.author_links.select_related("author")]

    def related_posts(self):
        """Other live, public posts sharing the most tags with this one, newest first among
        equals (then the highest id), in a few queries however many posts share a tag. Tags
        are read as saved, so a preview shows the posts related by the last saved tags.

        The posts are ranked on the tag links alone (``blog.related``), without reading
        every link of a tag that nearly every post carries; only the few ranked first are
        then read as pages."""
        wanted = settings.BLOG_RELATED_POSTS
        if self.pk is None or wanted <= 0:
            return []
        # The rank reads neither the pages' live flag nor view restrictions (each would join
        # a table of every page): a draft or a private post is ranked but not shown, so a
        # few more are read than shown, and more again if they run out.
        related, start, batch = [], 0, wanted + 2
        while len(related) < wanted:
            ids = ranked_related_ids(self.pk, start + batch)[start:]
            shown = BlogPostPage.objects.live().public().filter(pk__in=ids).defer_streamfields()
            by_id = {
                post.pk: post
                for post in shown.prefetch_related(
                    models.Prefetch(
                        "hero_image",
                        queryset=ArticleImage.objects.prefetch_renditions(LISTING_IMAGE_SPEC),
                    )
                )
            }
            related += [by_id[pk] for pk in ids if pk in by_id]
            if len(ids) < batch:
                break
            start, batch = start + batch, batch * 4
        return related[:wanted]

    @cached_property
    def table_of_contents(self):
        """The post's H2 headings, as (text, anchor) pairs for the contents box."""
        return [
            (block.value["text"], block.value.anchor_id)
            for block in self.body
            if block.block_type == "heading" and block.value["level"] == "h2"
        ]

    @cached_property
    def word_count(self):
        texts = [self.title, self.intro] + self.body.stream_block.get_searchable_content(self.body)
        return sum(len(text.split()) for text in texts)

    @property
    def reading_time_minutes(self):
        return max(1, math.ceil(self.word_count / settings.BLOG_WORDS_PER_MINUTE))


@receiver(page_published, sender=BlogPostPage)
def index_post_with_its_tags(sender, instance, **kwargs):
    """The search index entry is written when the page row is saved, before modelcluster saves
    the tags; publishing writes it again so a post is found by the tags it was published with."""
    index.insert_or_update_object(instance)


from .importers.models import ImportOrigin  # noqa: E402, F401  (registers the importers' model)
from .rendered_bodies import RenderedBody  # noqa: E402, F401  (registers the stored renderings)
