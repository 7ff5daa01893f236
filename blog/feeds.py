"""
Feeds for feed readers: the blog's posts as RSS 2.0 and Atom, each entry carrying the
post's full text rendered from its blocks, and one RSS feed per post of its approved
comments.

The blog index serves them (``BlogIndexPage`` routes ``feed/rss/``, ``feed/atom/`` and
``feed/comments/<post slug>/``), so they follow the index wherever editors move it.
Feed readers resolve relative links unreliably, so every link and image in an entry is
made absolute against the site's root URL.
"""

import datetime
import mimetypes
import re
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed, Enclosure, Rss201rev2Feed
from django.utils.html import escape, strip_tags

from wagtail.images import get_image_model

from .blocks import PREFETCHED_IMAGES, images_for_bodies
from .comments.models import Comment
from .rendered_bodies import rendered_bodies

FEED_IMAGE_SPEC = "width-1200"
COMMENTS_IN_FEED = 50
RELATIVE_URL_ATTRIBUTE = re.compile(r'(\s(?:src|href)=")(/(?!/)[^"]*)"')


def absolute_url(root_url, url):
    """A media or page URL made absolute; URLs that already are (a CDN, say) stay as they are."""
    return urljoin(f"{root_url}/", url)


def absolute_links(html, root_url):
    return RELATIVE_URL_ATTRIBUTE.sub(
        lambda match: f'{match[1]}{absolute_url(root_url, match[2])}"', html
    )


class FullContentRssFeed(Rss201rev2Feed):
    """RSS 2.0 with the summary in <description> and the whole post in <content:encoded>."""

    def rss_attributes(self):
        return {
            **super().rss_attributes(),
            "xmlns:content": "http://purl.org/rss/1.0/modules/content/",
        }

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("content:encoded", item["content_html"])


class FullContentAtomFeed(Atom1Feed):
    """Atom with the summary in <summary> and the whole post in <content type="html">."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("content", item["content_html"], {"type": "html"})


class PostsRssFeed(Feed):
    feed_type = FullContentRssFeed

    def get_object(self, request, blog_index):
        self.request = request
        self.root_url = blog_index.get_url_parts(request)[1]
        return blog_index

    def title(self, blog_index):
        return f"{settings.WAGTAIL_SITE_NAME}: {blog_index.title}"

    def link(self, blog_index):
        return blog_index.get_full_url(self.request)

    def feed_url(self, blog_index):
        return self.request.build_absolute_uri(self.request.path)

    def description(self, blog_index):
        return strip_tags(blog_index.intro) or f"New posts on {settings.WAGTAIL_SITE_NAME}."

    def get_feed(self, obj, request):
        """Each entry's body is rendered here unless a rendering of it is stored
        (``rendered_bodies``): its image blocks take their images from
        ``PREFETCHED_IMAGES``, filled by ``items`` for all entries at once."""
        token = PREFETCHED_IMAGES.set({})
        try:
            return super().get_feed(obj, request)
        finally:
            PREFETCHED_IMAGES.reset(token)

    def items(self, blog_index):
        hero_images = get_image_model().objects.prefetch_renditions(FEED_IMAGE_SPEC)
        posts = list(
            blog_index.get_posts()
            .defer(None)  # the feed renders each body
            .prefetch_related(None)
            .prefetch_related(Prefetch("hero_image", queryset=hero_images), "tags", "authors")[
                : settings.BLOG_FEED_ITEMS
            ]
        )
        images = images_for_bodies(posts)
        PREFETCHED_IMAGES.get().update(images)
        self.bodies_html = rendered_bodies(posts, "html", self.render_body, images)
        return posts

    def render_body(self, post):
        return post.body.render_as_block(context={"page": post, "request": self.request})

    def item_title(self, post):
        return post.title

    def item_link(self, post):
        return post.get_full_url(self.request)

    def item_description(self, post):
        return post.intro

    def item_pubdate(self, post):
        """The editorial date, at midnight in the site's time zone (a feed wants a moment)."""
        return timezone.make_aware(datetime.datetime.combine(post.date, datetime.time()))

    def item_updateddate(self, post):
        return post.last_published_at

    def item_author_name(self, post):
        return ", ".join(author.name for author in post.authors.all()) or None

    def item_categories(self, post):
        return [tag.name for tag in post.tags.all()]

    def hero_rendition(self, post):
        return post.hero_image.get_rendition(FEED_IMAGE_SPEC) if post.hero_image else None

    def item_enclosures(self, post):
        rendition = self.hero_rendition(post)
        if rendition is None:
            return []
        mime_type = mimetypes.guess_type(rendition.file.name)[0] or "image/jpeg"
        return [
            Enclosure(
                absolute_url(self.root_url, rendition.url), str(rendition.file.size), mime_type
            )
        ]

    def item_content_html(self, post):
        rendition = self.hero_rendition(post)
        hero = ""
        if rendition is not None:
            hero = (
                f'<p><img src="{escape(absolute_url(self.root_url, rendition.url))}" '
                f'width="{rendition.width}" height="{rendition.height}" '
                f'alt="{escape(post.hero_image.default_alt_text)}"></p>'
            )
        return hero + absolute_links(self.bodies_html[post.pk], self.root_url)

    def item_extra_kwargs(self, post):
        return {"content_html": self.item_content_html(post)}


class PostsAtomFeed(PostsRssFeed):
    feed_type = FullContentAtomFeed
    subtitle = PostsRssFeed.description

    def author_name(self, blog_index):
        """Atom needs an author for every entry; posts without named authors are the
        site's (RFC 4287, 4.1.1)."""
        return settings.WAGTAIL_SITE_NAME


class PostCommentsFeed(Feed):
    """A post's approved comments, newest first: the name a reader chose and their sanitized
    words; never their email address or IP address."""

    def get_object(self, request, post):
        self.request = request
        self.post_url = post.get_full_url(request)
        self.post_title = post.title
        return post

    def title(self, post):
        return f"Comments on “{post.title}”"

    def link(self, post):
        return f"{self.post_url}#comments"

    def feed_url(self, post):
        return self.request.build_absolute_uri(self.request.path)

    def description(self, post):
        return f"Approved reader comments on “{post.title}”, {settings.WAGTAIL_SITE_NAME}."

    def items(self, post):
        return (
            Comment.objects.approved()
            .filter(post=post)
            .only("pk", "author_name", "body_html", "created_at")
            .order_by("-created_at", "-pk")[:COMMENTS_IN_FEED]
        )

    def item_title(self, comment):
        return f"{comment.author_name} on “{self.post_title}”"

    def item_link(self, comment):
        return f"{self.post_url}#{comment.anchor}"

    def item_description(self, comment):
        return comment.body_html

    def item_pubdate(self, comment):
        return comment.created_at

    def item_author_name(self, comment):
        return comment.author_name
