"""Site search: Wagtail's search over live, public posts, with highlighted excerpts."""

from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db.models import Count, Q
from django.template.response import TemplateResponse

from taggit.models import Tag

from blog.models import BlogIndexPage, BlogPostPage

from .excerpts import highlighted_excerpt, post_passages
from .pagination import SearchResultsPaginator
from .query import build_search_query, clean_query_text, highlight_terms

RESULTS_PER_PAGE = 10
SUGGESTED_TAGS = 8
SUGGESTED_WORDS = 5


def search_posts(search_query):
    return BlogPostPage.objects.live().public().search(search_query)


def single_word_suggestions(query_text):
    """For a query of several words that found nothing: each word alone, if it finds posts."""
    words = highlight_terms(query_text)
    if len(words) < 2:
        return []
    suggestions = []
    for word in words[:SUGGESTED_WORDS]:
        count = search_posts(build_search_query(word)).count()
        if count:
            suggestions.append((word, count))
    return suggestions


def suggested_tags():
    """The tags with the most live posts, to browse when a search finds nothing."""
    live_posts = BlogPostPage.objects.live().public().values("pk")
    return (
        Tag.objects.annotate(
            post_count=Count(
                "blog_blogposttag_items",
                filter=Q(blog_blogposttag_items__content_object__in=live_posts),
            )
        )
        .filter(post_count__gt=0)
        .order_by("-post_count", "name")[:SUGGESTED_TAGS]
    )


def search(request):
    query_text = clean_query_text(request.GET.get("q", ""))
    search_query = build_search_query(query_text)
    results = search_posts(search_query) if search_query else BlogPostPage.objects.none()

    paginator = SearchResultsPaginator(results, RESULTS_PER_PAGE)
    try:
        page = paginator.page(request.GET.get("page", 1))
    except PageNotAnInteger:
        page = paginator.page(1)
    except EmptyPage:
        page = paginator.page(paginator.num_pages)

    terms = highlight_terms(query_text)
    for post in page:
        post.search_excerpt = highlighted_excerpt(post_passages(post), terms)

    context = {"search_query": query_text, "results": page}
    if query_text and not paginator.count:
        context.update(
            word_suggestions=single_word_suggestions(query_text),
            suggested_tags=suggested_tags(),
            blog_index=BlogIndexPage.objects.live().first(),
        )
    return TemplateResponse(request, "search/search.html", context)
