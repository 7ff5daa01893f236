"""
The orders a reader can read a thread in: oldest first (the default), newest first, or
the conversations with most replies first.

Sorting orders the top-level comments only; each carries its whole subtree, whose replies
stay in conversation order (``thread_path``) under their parent. Pinned comments come
before all others in every order, in the order they were pinned.

The orders work on the tree ``threads.public_thread`` already loaded (the whole approved
thread of the post, in two queries, through ``comment_thread_idx``), so no order costs a
query of its own, and each order's pages are rendered and cached on their own
(``threads.render_thread``).
"""

OLDEST = "oldest"
NEWEST = "newest"
MOST_REPLIES = "replies"
DEFAULT_ORDER = OLDEST
#: Value, label: what the page's control and the API's ``sort`` offer, in this order.
ORDERS = {
    OLDEST: "Oldest first",
    NEWEST: "Newest first",
    MOST_REPLIES: "Most replies",
}


def order_or_default(value):
    """The page's ``?sort=``: an unknown value reads as the default rather than failing
    (the API refuses it instead, with a 422)."""
    return value if value in ORDERS else DEFAULT_ORDER


def visible_replies(node):
    """Replies a reader sees below this comment, at every depth (tombstones not counted)."""
    return sum(visible_replies(child) + (0 if child.removed else 1) for child in node.children)


def _oldest_key(node):
    # Ids grow with time and break ties between comments stored in the same instant.
    return (node.comment.created_at, node.comment.pk)


def sort_roots(roots, order):
    """Top-level nodes of ``threads.build_tree`` in ``order``, pinned ones first."""
    pinned = sorted(
        (node for node in roots if not node.removed and node.comment.is_pinned),
        key=lambda node: (node.comment.pinned_at, node.comment.pk),
    )
    pinned_ids = {id(node) for node in pinned}
    others = [node for node in roots if id(node) not in pinned_ids]
    if order == NEWEST:
        others.sort(key=_oldest_key, reverse=True)
    elif order == MOST_REPLIES:
        counts = {id(node): visible_replies(node) for node in others}
        others.sort(key=lambda node: (-counts[id(node)], *_oldest_key(node)))
    else:
        others.sort(key=_oldest_key)
    return [*pinned, *others]


def flatten(roots):
    """The nodes in reading order: each root, then its subtree in conversation order."""
    flat = []
    for node in roots:
        flat.append(node)
        flat.extend(flatten(node.children))
    return flat
