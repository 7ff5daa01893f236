"""How many comments each status holds, for the moderation queue (its status filter and
its page count), the admin menu's badge, the dashboard panel and the moderation API: one
source for all of them, exact, at a cost that does not grow with the table.

The counts are the database's tally (``CommentStatusTally``), which triggers keep in the
same transaction as every write to a comment's status (migration 0011): reading them is a
sum over a few dozen rows, where counting was a ``GROUP BY`` over every comment (a parallel
sequential scan, 550-740 ms at a million comments). The reported count is the open
reports' partial index: the backlog, not the table.
"""

from django.db.models import Sum

from .models import Comment, CommentStatusTally
from .reports import reported_comments

Status = Comment.Status


def status_counts():
    """Every status's count, exact as of the last committed change."""
    per_status = (
        CommentStatusTally.objects.order_by()
        .values("status")
        .annotate(comments=Sum("comments"))
        .values_list("status", "comments")
    )
    counts = dict.fromkeys(Status.values, 0)
    counts.update(per_status)
    return counts


def pending_count():
    return status_counts()[Status.PENDING]


def reported_count():
    return reported_comments().count()
