"""The site's landing page."""

from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page

from blog.models import BlogIndexPage, BlogPostPage, route_to_child_of_type

LATEST_POSTS_ON_HOME = 6


class HomePage(Page):
    intro = RichTextField(blank=True, features=["bold", "italic", "link"])

    content_panels = Page.content_panels + [FieldPanel("intro")]

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["blog.BlogIndexPage"]
    max_count = 1

    def route(self, request, path_components):
        """The blog index below is read as one in one query (``route_to_child_of_type``)."""
        if path_components:
            routed = route_to_child_of_type(self, BlogIndexPage, request, path_components)
            if routed is not None:
                return routed
        return super().route(request, path_components)

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
