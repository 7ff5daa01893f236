"""
The order of a post's related posts: the other posts sharing the most tags with it, newest
first among equals (then the highest id), live or not (the page decides what it shows).

Grouping every tag link of the post's tags ranks them in one query, but a tag that most
posts carry ("evidence review" is on every post) makes that query read and group a link
per post of the site for every article. So the post's tags are split by how many posts
carry them:

- a rare tag's posts (at most ``RARE_TAG_POSTS``) are read whole, each scored over all
  the post's tags, as the single grouping query does;
- the other posts carry common tags alone, so their score is at most the number of common
  tags. They are walked newest first (``post_listing_order_idx``), each scored by a range
  of ``blogposttag_tag_post_idx`` per common tag, and the walk stops as soon as no post
  further on could rank among the first ``count``: a score no post further on can beat,
  dated no later than where the walk is.

The walk ends early when posts carrying every common tag are frequent, as they are when
one tag is on nearly every post. Where they are rare (two common tags that seldom go
together), it reads on up to every post carrying a common tag, as the grouping did.
"""

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

#: A tag on at most this many posts is read whole: at worst a few hundred index entries.
RARE_TAG_POSTS = 200
#: Posts the walk over common tags reads first, for each ranked post asked for.
WALK_BATCH_PER_POST = 10


def ranked_related_ids(post_id, count):
    """The ids of the first ``count`` posts in the related order of post ``post_id``."""
    from .models import BlogPostTag

    own_links = BlogPostTag.objects.filter(content_object_id=post_id)
    # A tag is common when it has a link past the first RARE_TAG_POSTS: one index range of
    # at most that many entries, however many posts carry it.
    beyond_rare = BlogPostTag.objects.filter(tag_id=OuterRef("tag_id")).order_by()[
        RARE_TAG_POSTS : RARE_TAG_POSTS + 1
    ]
    tags = own_links.annotate(common=Exists(beyond_rare)).values_list("tag_id", "common")
    rare = [tag_id for tag_id, common in tags if not common]
    common = [tag_id for tag_id, common in tags if common]
    if count <= 0 or not (rare or common):
        return []

    ranked = _posts_with_rare_tags(post_id, rare, common, count) if rare else []
    if common:
        ranked = _merge_posts_with_common_tags_alone(post_id, rare, common, count, ranked)
    return [post_id for post_id, _shared, _date in ranked[:count]]


def _rank(entry):
    post_id, shared, date = entry
    return (shared, date, post_id)


def _posts_with_rare_tags(post_id, rare, common, count):
    """The first ``count`` posts carrying a rare tag, scored over all the post's tags:
    ``(id, shared, date)``, best first."""
    from .models import BlogPostTag

    with_rare_tag = BlogPostTag.objects.filter(tag_id__in=rare).values("content_object_id")
    return list(
        BlogPostTag.objects.filter(tag_id__in=rare + common, content_object_id__in=with_rare_tag)
        .exclude(content_object_id=post_id)
        .values("content_object_id")
        .annotate(shared=Count("*"), date=F("content_object__date"))
        .order_by("-shared", "-date", "-content_object_id")
        .values_list("content_object_id", "shared", "date")[:count]
    )


def _merge_posts_with_common_tags_alone(post_id, rare, common, count, ranked):
    """``ranked`` with the posts that carry common tags and no rare one merged in, walked
    newest first until none further on could rank among the first ``count``."""
    from .models import BlogPostPage, BlogPostTag

    def links(tag_ids):
        return BlogPostTag.objects.filter(tag_id__in=tag_ids, content_object_id=OuterRef("pk"))

    shared_common = Coalesce(
        Subquery(
            links(common).order_by().values("content_object_id").annotate(n=Count("*")).values("n"),
            output_field=IntegerField(),
        ),
        Value(0),
    )
    walk = (
        BlogPostPage.objects.exclude(pk=post_id)
        .filter(Exists(links(common)))
        .exclude(Exists(links(rare)))
        .annotate(shared=shared_common)
        .order_by("-date", "-pk")
        .values_list("pk", "shared", "date")
    )
    best_possible = len(common)
    start, batch = 0, count * WALK_BATCH_PER_POST
    while True:
        walked = list(walk[start : start + batch])
        ranked = sorted([*ranked, *walked], key=_rank, reverse=True)[:count]
        if len(walked) < batch:
            return ranked
        last_id, _shared, last_date = walked[-1]
        # Every post further on is older than the last one walked and shares at most
        # every common tag: it ranks below (best_possible, last_date, last_id).
        if len(ranked) == count and _rank(ranked[-1]) >= (best_possible, last_date, last_id):
            return ranked
        start, batch = start + batch, batch * 4
