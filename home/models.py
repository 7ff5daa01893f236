"""The site's landing page."""

from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page

from blog.models import BlogIndexPage, BlogPostPage

LATEST_POSTS_ON_HOME = 6


class HomePage(Page):
    intro = RichTextField(blank=True, features=["bold", "italic", "link"])

    content_panels = Page.content_panels + [FieldPanel("intro")]

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["blog.BlogIndexPage"]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        blog_index = BlogIndexPage.objects.child_of(self).live().first()
        context["blog_index_url"] = blog_index.url if blog_index else ""
        context["latest_posts"] = (
            BlogPostPage.objects.descendant_of(self)
            .for_listing()
            .with_comment_counts()[:LATEST_POSTS_ON_HOME]
        )
        return context
