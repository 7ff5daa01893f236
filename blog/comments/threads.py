"""
A post's discussion as readers see it: approved comments in thread order, tombstones
where a removed comment still has visible replies, paginated by top-level thread, and
rendered once per change.

The rendered HTML is cached under a key that includes the post's comment version (the
same version token the API's ETags and the page cache use, see ``cms.api_cache``). Any
change readers could see (a comment approved, or one that was approved changed or
removed; any deletion) replaces it, so stale HTML is never served again and never needs
to be found and deleted.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404
from django.template.loader import render_to_string

from cms.api_cache import COMMENTS, bump, comments_of_post, current_versions

from .models import Comment
from .sorting import DEFAULT_ORDER, sort_roots

THREAD_CACHE_SECONDS = 60 * 60 * 24
PUBLIC_FIELDS = (
    "id",
    "post_id",
    "parent_id",
    "depth",
    "thread_path",
    "author_name",
    "author_url",
    "body_html",
    "status",
    "created_at",
    "is_staff_reply",
    "pinned_at",
    "moderated_at",
    "edited_at",
    "deleted_by_author_at",
)


def thread_version(post_id):
    (version,) = current_versions([comments_of_post(post_id)])
    return version


def bump_thread_version(post_id):
    """For changes that bypass model signals (queryset updates): the thread, the post page
    and the API's comment responses of this post are rebuilt on their next read."""
    bump(COMMENTS, comments_of_post(post_id))


@dataclass
class ThreadNode:
    comment: Comment
    removed: bool = False
    children: list = field(default_factory=list)


def public_thread(post_id):
    """Approved comments in thread order plus the removed ancestors they hang from.

    Two queries, whatever the size of the thread.
    """
    approved = list(
        Comment.objects.approved()
        .filter(post_id=post_id)
        .only(*PUBLIC_FIELDS)
        .order_by("thread_path")
    )
    present = {comment.pk for comment in approved}
    missing = {
        int(segment)
        for comment in approved
        for segment in comment.thread_path.split("/")[:-1]
        if int(segment) not in present
    }
    removed = list(Comment.objects.filter(pk__in=missing).only(*PUBLIC_FIELDS)) if missing else []
    entries = [ThreadNode(comment) for comment in approved]
    entries += [ThreadNode(comment, removed=True) for comment in removed]
    entries.sort(key=lambda node: node.comment.thread_path)
    return entries


def build_tree(entries):
    roots, by_id = [], {}
    for node in entries:
        by_id[node.comment.pk] = node
        parent = by_id.get(node.comment.parent_id)
        (parent.children if parent else roots).append(node)
    return roots


def sorted_tree(entries, order=DEFAULT_ORDER):
    """Top-level nodes in the reader's order, pinned first, each with its subtree."""
    return sort_roots(build_tree(entries), order)


def comment_url(post, comment):
    """Where a reader sees this comment: its anchor, on the page of threads that holds it
    in the default order (the one links without ``sort`` show)."""
    page_number = 1
    if comment.status == Comment.Status.APPROVED:
        root_id = int(comment.thread_path.split("/")[0]) if comment.thread_path else comment.pk
        roots = [node.comment.pk for node in sorted_tree(public_thread(post.pk))]
        if root_id in roots:
            page_number = roots.index(root_id) // settings.COMMENTS_THREADS_PER_PAGE + 1
    query = f"?cpage={page_number}" if page_number > 1 else ""
    return f"{post.url}{query}#{comment.anchor}"


def approved_count(entries):
    return sum(1 for node in entries if not node.removed)


def render_thread(post, page_number=1, *, comments_open=True, order=DEFAULT_ORDER):
    """HTML of one page of the post's threads in ``order`` (a key of ``sorting.ORDERS``)
    and the numbers around it, cached by version.

    Reply links show only while comments are open; a post closes without any comment
    changing (its switch, or "close after N days" passing), so that is part of the key.
    """
    version = thread_version(post.pk)
    state = "open" if comments_open else "closed"
    key = f"comments:thread-html:{post.pk}:v{version}:{state}:{order}:p{page_number}"
    cached = cache.get(key)
    if cached is not None:
        return cached

    entries = public_thread(post.pk)
    paginator = Paginator(sorted_tree(entries, order), settings.COMMENTS_THREADS_PER_PAGE)
    page = paginator.get_page(page_number)
    if page.number != page_number:
        # Out of range: only real pages are kept, so made-up numbers cannot grow the cache.
        raise Http404("That page of comments does not exist.")
    rendered = {
        "html": render_to_string(
            "blog/comments/thread.html",
            {
                "nodes": page.object_list,
                "page": page,
                "post": post,
                "max_depth": settings.COMMENTS_MAX_DEPTH,
                "comments_open": comments_open,
            },
        ),
        "count": approved_count(entries),
        "page_number": page.number,
        "num_pages": paginator.num_pages,
        "order": order,
    }
    cache.set(key, rendered, THREAD_CACHE_SECONDS)
    return rendered
