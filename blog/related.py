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

The queries are written in SQL: they run in well under a millisecond each, and Django
building and compiling their subqueries cost about 3 ms of CPU on every cold post page.
Only ids, counts and dates are read, compared with one another alone.
"""

# ruff: noqa: S608 (the tables are the models' own; every value is a parameter)

from django.db import connection

#: A tag on at most this many posts is read whole: at worst a few hundred index entries.
RARE_TAG_POSTS = 200
#: Posts carrying common tags alone read newest first, for each ranked post asked for.
WALK_BATCH_PER_POST = 10


def _tables():
    """The tag links' and the posts' tables, quoted for SQL."""
    from .models import BlogPostPage, BlogPostTag

    quote = connection.ops.quote_name
    return quote(BlogPostTag._meta.db_table), quote(BlogPostPage._meta.db_table)


def _placeholders(values):
    return ", ".join(["%s"] * len(values))


def _rows(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]


def ranked_related_ids(post_id, count):
    """The ids of the first ``count`` posts in the related order of post ``post_id``."""
    links, _posts = _tables()
    # A tag is common when it has a link past the first RARE_TAG_POSTS: one index range of
    # at most that many entries, however many posts carry it.
    tags = _rows(
        f"SELECT own.tag_id, EXISTS(SELECT 1 FROM {links} beyond"
        " WHERE beyond.tag_id = own.tag_id LIMIT 1 OFFSET %s)"
        f" FROM {links} own WHERE own.content_object_id = %s",
        [RARE_TAG_POSTS, post_id],
    )
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


def _grouped(post_id, tag_ids, count, *, among="", among_params=(), unless_tagged=()):
    """The first ``count`` posts but ``post_id`` by how many of ``tag_ids`` they carry,
    then newest, then highest id: ``(id, shared, date)``. ``among`` narrows the posts (SQL
    on ``link.content_object_id``); posts carrying any of ``unless_tagged`` are left out."""
    links, posts = _tables()
    conditions = [f"link.tag_id IN ({_placeholders(tag_ids)})", "link.content_object_id <> %s"]
    params = [*tag_ids, post_id]
    if among:
        conditions.append(among)
        params += among_params
    if unless_tagged:
        conditions.append(
            f"NOT EXISTS(SELECT 1 FROM {links} other"
            " WHERE other.content_object_id = link.content_object_id"
            f" AND other.tag_id IN ({_placeholders(unless_tagged)}))"
        )
        params += unless_tagged
    return _rows(
        f"SELECT link.content_object_id, COUNT(*), post.date FROM {links} link"
        f" INNER JOIN {posts} post ON link.content_object_id = post.page_ptr_id"
        f" WHERE {' AND '.join(conditions)}"
        " GROUP BY link.content_object_id, post.date"
        " ORDER BY 2 DESC, 3 DESC, 1 DESC LIMIT %s",
        [*params, count],
    )


def _posts_with_rare_tags(post_id, rare, common, count):
    """The first ``count`` posts carrying a rare tag, scored over all the post's tags:
    ``(id, shared, date)``, best first."""
    links, _posts = _tables()
    return _grouped(
        post_id,
        rare + common,
        count,
        among=f"link.content_object_id IN (SELECT content_object_id FROM {links}"
        f" WHERE tag_id IN ({_placeholders(rare)}))",
        among_params=rare,
    )


def _merge_posts_with_common_tags_alone(post_id, rare, common, count, ranked):
    """``ranked`` with the posts that carry common tags and no rare one merged in: walked
    newest first while that settles the first ``count`` soon, else grouped."""
    links, posts = _tables()

    def links_of_post(tag_ids):
        """The links to ``tag_ids`` of the outer query's post."""
        return (
            f"FROM {links} link WHERE link.content_object_id = post.page_ptr_id"
            f" AND link.tag_id IN ({_placeholders(tag_ids)})"
        )

    without_rare = f" AND NOT EXISTS(SELECT 1 {links_of_post(rare)})" if rare else ""
    batch = count * WALK_BATCH_PER_POST
    walked = _rows(
        f"SELECT post.page_ptr_id, (SELECT COUNT(*) {links_of_post(common)}), post.date"
        f" FROM {posts} post WHERE post.page_ptr_id <> %s"
        f" AND EXISTS(SELECT 1 {links_of_post(common)}){without_rare}"
        " ORDER BY post.date DESC, post.page_ptr_id DESC LIMIT %s",
        [*common, post_id, *common, *rare, batch],
    )
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
    grouped = _grouped(post_id, common, count, unless_tagged=rare)
    return sorted([*ranked, *grouped], key=_rank, reverse=True)[:count]
