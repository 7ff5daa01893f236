"""How many comments each status holds, for the moderation queue's status filter, the
admin menu's badge, the dashboard panel and the moderation API, at a cost that does not
grow with the table.

What moderators act on is counted exactly on every request, and costs what the backlog
holds: the pending comments (an index-only scan of ``comment_pending_idx``, which holds
only them) and the reported ones (the open reports' partial index). The settled statuses
(approved, spam, trash) only grow; counting them is a ``GROUP BY`` over the whole table
(a parallel sequential scan, about 600 ms at a million comments), so that count is kept
in the cache for ``SETTLED_COUNTS_SECONDS`` and forgotten as soon as a moderator's
decision commits (``moderation.moderate``). New approved comments, reports and erasures
reach it within that time.

Not a counts table kept by the writers: every comment's INSERT would then update the same
row, serializing concurrent submissions on its lock, and every path that changes a status
(submission, moderation, reports, edits, erasure, page deletion's cascade) would have to
take part, or a trigger in two SQL dialects would.
"""

from django.core.cache import cache
from django.db.models import Count

from .models import Comment
from .reports import reported_comments

Status = Comment.Status

SETTLED_COUNTS_KEY = "comments:settled-status-counts:v1"
SETTLED_COUNTS_SECONDS = 60


def pending_count():
    return Comment.objects.filter(status=Status.PENDING).count()


def reported_count():
    return reported_comments().count()


def settled_counts():
    """Approved, spam and trash comments, counted at most once a minute."""
    counts = cache.get(SETTLED_COUNTS_KEY)
    if counts is None:
        per_status = (
            Comment.objects.exclude(status=Status.PENDING)
            .order_by()
            .values("status")
            .annotate(count=Count("pk"))
        )
        counts = dict.fromkeys(Status.values, 0)
        counts.pop(Status.PENDING)
        counts.update({row["status"]: row["count"] for row in per_status})
        cache.set(SETTLED_COUNTS_KEY, counts, SETTLED_COUNTS_SECONDS)
    return counts


def status_counts():
    """Every status's count: pending exact, the settled ones at most a minute old."""
    return {Status.PENDING: pending_count(), **settled_counts()}


def forget_settled_counts():
    """After a moderator's decision, so the filter's counts show it on the next page."""
    cache.delete(SETTLED_COUNTS_KEY)
