"""
What goes in a page's <head> for machines: the canonical URL, Open Graph and Twitter card
meta, feed links and, on posts, the JSON-LD Article.

Every URL here is absolute and built from the Wagtail Site's root URL (``page.full_url``),
so shared links and search engines point at the site's real address, not at whichever
host name a request arrived with.
"""

from urllib.parse import urlencode, urlsplit

from django import template
from django.conf import settings
from django.db.models import prefetch_related_objects
from django.utils.html import strip_tags

from wagtail.models import Page

from blog.feeds import absolute_url
from blog.models import SHARE_IMAGE_SPEC, BlogIndexPage, BlogPostPage
from blog.structured_data import article_structured_data, json_ld_script

register = template.Library()

DESCRIPTION_WORDS = 40


def page_description(page):
    text = page.search_description or strip_tags(str(getattr(page, "intro", "") or ""))
    words = text.split()
    if len(words) > DESCRIPTION_WORDS:
        return " ".join(words[:DESCRIPTION_WORDS]) + "…"
    return " ".join(words)


# Query parameters that make a page of their own: a later page of posts, a tag filter.
CANONICAL_QUERY_PARAMETERS = ("tag", "page")


def canonical_url(page, request, root_url):
    """The page's own full URL; a sub-route of a routable page (a tag page) is its own page,
    and so is a later page of a listing (``?page=2`` is not page 1)."""
    full_url = page.get_full_url(request)
    if request is None:
        return full_url
    if urlsplit(full_url).path != request.path:
        full_url = absolute_url(root_url, request.path)
    kept = {
        name: request.GET[name]
        for name in CANONICAL_QUERY_PARAMETERS
        if request.GET.get(name) and not (name == "page" and request.GET[name] == "1")
    }
    if isinstance(page, BlogIndexPage) and kept:
        full_url = f"{full_url}?{urlencode(kept)}"
    return full_url


@register.inclusion_tag("includes/meta.html", takes_context=True)
def page_meta(context):
    request = context.get("request")
    page = context.get("page")
    meta = {"site_name": settings.WAGTAIL_SITE_NAME, "feeds": feed_links(request, page)}
    if not isinstance(page, Page):
        return meta
    root_url = page.get_url_parts(request)[1]
    meta.update(
        title=page.seo_title or page.title,
        description=page_description(page),
        canonical_url=canonical_url(page, request, root_url),
        type="website",
    )
    if isinstance(page, BlogPostPage):
        # The article template lists the same tags: fetch them once for both. (The authors
        # are read once through ``byline_authors``, in the byline's order.)
        prefetch_related_objects([page], "tags")
        meta.update(
            type="article",
            published_time=page.date.isoformat(),
            modified_time=page.last_published_at.isoformat() if page.last_published_at else "",
        )
        image = None
        if page.hero_image:
            rendition = page.hero_image.get_rendition(SHARE_IMAGE_SPEC)
            image = (absolute_url(root_url, rendition.url), rendition.width, rendition.height)
            meta.update(
                image_url=image[0],
                image_width=image[1],
                image_height=image[2],
                image_alt=page.hero_image.default_alt_text,
            )
        meta["json_ld"] = json_ld_script(
            article_structured_data(page, meta["canonical_url"], root_url, image)
        )
    return meta


def feed_links(request, page):
    """The posts' RSS and Atom feeds, for <link rel="alternate"> on every page."""
    is_index = isinstance(page, BlogIndexPage)
    blog_index = page if is_index else BlogIndexPage.objects.live().first()
    if blog_index is None:
        return {}
    base = blog_index.get_url(request)
    links = {
        "title": f"{settings.WAGTAIL_SITE_NAME}: {blog_index.title}",
        "rss": base + blog_index.reverse_subpage("rss_feed"),
        "atom": base + blog_index.reverse_subpage("atom_feed"),
    }
    if isinstance(page, BlogPostPage):
        links["comments_title"] = f"Comments on “{page.title}”"
        links["comments"] = base + blog_index.reverse_subpage(
            "comments_feed", kwargs={"post_slug": page.slug}
        )
    return links
