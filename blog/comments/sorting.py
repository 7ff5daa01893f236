"""
The orders a reader can read a thread in: oldest first (the default), newest first, or
the conversations with most replies first.

Sorting orders the top-level comments only; each carries its whole subtree, whose replies
stay in conversation order (``thread_path``) under their parent. Pinned comments come
before all others in every order, in the order they were pinned.

The database sorts the top-level comments (``ROOT_ORDERINGS``), so a page of threads is
found without loading the others (``threads.thread_page``); each order's pages are
rendered and cached on their own (``threads.render_thread``).
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


#: How each order sorts the top-level comments that are not pinned, in the database
#: (``threads.unpinned_roots``): ids grow with time and break ties between comments
#: stored in the same instant; "most replies" is the count of a conversation's approved
#: replies at every depth (tombstones not counted), the oldest first among equals.
ROOT_ORDERINGS = {
    OLDEST: ("created_at", "id"),
    NEWEST: ("-created_at", "-id"),
    MOST_REPLIES: ("-reply_count", "created_at", "id"),
}


def flatten(roots):
    """The nodes in reading order: each root, then its subtree in conversation order."""
    flat = []
    for node in roots:
        flat.append(node)
        flat.extend(flatten(node.children))
    return flat
