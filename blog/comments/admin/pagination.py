"""How many comments a moderation queue listing holds, for its "Page 1 of N", its "N
comments" and its "There are N matches", at a cost that does not grow with the table.

Django's paginator counts the listed rows with ``COUNT(*)``: for All or Approved at a
million comments that reads most of the table (the next-slowest query of the queue after
the status counts). So:

- a listing narrowed by its status alone (or not at all) takes its size from the status
  tally (``status_counts``): exact, a few rows read;
- any other listing (a post, a search, dates, a reason, readers' reports) whose first
  page holds all of it is counted from that page's rows, with no count query (a search
  answered twice, once to count and once to list, cost twice its index scans);
- any longer one is counted exactly up to ``EXACT_COUNT_LIMIT`` comments, which is as
  much as a moderator pages through. Beyond that PostgreSQL's planner estimates the size
  from its statistics and the page says so ("About 912,000 comments"), as Django's admin
  stops counting past ``show_full_result_count``. SQLite keeps no statistics to estimate
  from; a site on SQLite is small enough to count.
"""

import json

from django.contrib.humanize.templatetags.humanize import intcomma
from django.db import connections
from django.utils.functional import cached_property

from wagtail.admin.paginator import WagtailPaginator

EXACT_COUNT_LIMIT = 10_000


def planner_estimate(queryset):
    """The rows PostgreSQL expects the query to return, or None on a database that keeps
    no such statistics."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def about(count):
    """912,345 → 912,000: an estimate shown no more precisely than it is."""
    digits = len(str(count))
    return round(count, -(digits - 3)) if digits > 3 else count


class QueuePaginator(WagtailPaginator):
    """``known_count``: the listing's size when the view knows it, from the tally or from
    the rows of its only page."""

    def __init__(self, object_list, per_page, *, known_count=None, model=None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.known_count = known_count
        self.is_estimate = False
        if model is not None:
            # A list of rows already read (``CommentIndexView.paginate_queryset``) has no
            # model to name them by.
            self.model = model

    @cached_property
    def count(self):
        if self.known_count is not None:
            return self.known_count
        rows = self.object_list.order_by().values("pk")
        counted = rows[: EXACT_COUNT_LIMIT + 1].count()
        if counted <= EXACT_COUNT_LIMIT:
            return counted
        estimate = planner_estimate(rows)
        if estimate is None:
            return rows.count()
        self.is_estimate = True
        return about(max(estimate, counted))

    @cached_property
    def items_count_label(self):
        if self.is_estimate:
            return f"About {intcomma(self.count)} {self.verbose_name_plural}"
        if self.count == 1:
            return f"1 {self.verbose_name}"
        return f"{intcomma(self.count)} {self.verbose_name_plural}"
