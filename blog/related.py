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
  tags. A batch of the newest of them is read (``post_listing_order_idx``), each scored by
  a range of ``blogposttag_tag_post_idx`` per common tag; it settles the rank when the
  first ``count`` hold a score no post further on can beat, dated no later than the
  batch's last. It does when posts carrying every common tag are frequent, as they are
  when one tag is on nearly every post (the seed post: 8 ms of grouping, 0.5 ms now).
  When it does not (common tags that seldom go together), these posts are ranked by
  grouping their links, as before: the batch is then the price of trying (about 1 ms).
"""

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

#: A tag on at most this many posts is read whole: at worst a few hundred index entries.
RARE_TAG_POSTS = 200
#: Posts carrying common tags alone read newest first, for each ranked post asked for.
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
    """``ranked`` with the posts that carry common tags and no rare one merged in: walked
    newest first while that settles the first ``count`` soon, else grouped."""
    from .models import BlogPostPage, BlogPostTag

    def links(tag_ids, post="pk"):
        """The links to ``tag_ids`` of the outer query's post (its column ``post``)."""
        return BlogPostTag.objects.filter(tag_id__in=tag_ids, content_object_id=OuterRef(post))

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
    batch = count * WALK_BATCH_PER_POST
    walked = list(walk[:batch])
    merged = sorted([*ranked, *walked], key=_rank, reverse=True)[:count]
    if len(walked) < batch:
        return merged
    last_id, _shared, last_date = walked[-1]
    # Every post further on is older than the last one walked and shares at most every
    # common tag: it ranks below (len(common), last_date, last_id).
    if len(merged) == count and _rank(merged[-1]) >= (len(common), last_date, last_id):
        return merged
    # Posts carrying every common tag are too few for a walk to settle soon (common tags
    # that seldom go together): these posts are ranked by grouping their links.
    grouped = (
        BlogPostTag.objects.filter(tag_id__in=common)
        .exclude(content_object_id=post_id)
        .exclude(Exists(links(rare, post="content_object_id")))
        .values("content_object_id")
        .annotate(shared=Count("*"), date=F("content_object__date"))
        .order_by("-shared", "-date", "-content_object_id")
        .values_list("content_object_id", "shared", "date")[:count]
    )
    return sorted([*ranked, *grouped], key=_rank, reverse=True)[:count]
