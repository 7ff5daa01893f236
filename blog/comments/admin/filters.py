"""What the comment listing can be narrowed to: status, post, date received, reason, and
a substring search over author, email, text and IP address."""

from django import forms
from django.db.models import Count, Exists, OuterRef, Q

from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet

import django_filters

from blog.models import BlogPostPage

from ..models import Comment
from ..reports import reported_comments

Status = Comment.Status


def search_comments(queryset, query):
    """Comments whose author name, email, text or IP address contains ``query``.

    Moderators search for fragments (an email domain, part of an IP address, a phrase a
    spammer repeats), so this matches substrings in the database. Comments are kept out
    of the search index on purpose: it would hold every reader's email, and indexing on
    each new comment would cost every reader's POST a write to it.
    """
    query = (query or "").strip()
    if not query:
        return queryset
    return queryset.filter(
        Q(author_name__icontains=query)
        | Q(author_email__icontains=query)
        | Q(body__icontains=query)
        | Q(ip_address__icontains=query)
    )


def posts_with_comments(request):
    """An EXISTS per post rather than a join made DISTINCT: the join sorted every comment
    with its post's whole row (the body included), seconds at a million comments; only
    the title is read, for the option's label."""
    return (
        BlogPostPage.objects.filter(Exists(Comment.objects.filter(post_id=OuterRef("pk"))))
        .only("id", "title")
        .order_by("title")
    )


def status_choices_with_counts():
    """ "Pending (3)": how much work each status holds, counted in one query."""
    per_status = Comment.objects.order_by().values("status").annotate(count=Count("pk"))
    counts = {row["status"]: row["count"] for row in per_status}
    return [(status, f"{label} ({counts.get(status, 0)})") for status, label in Status.choices]


class CommentFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label="Status",
        choices=Status.choices,
        empty_label="All",
        widget=forms.RadioSelect,
    )
    post = django_filters.ModelChoiceFilter(
        label="Post", queryset=posts_with_comments, empty_label="All posts"
    )
    created_at = django_filters.DateFromToRangeFilter(
        label="Received", widget=DateRangePickerWidget
    )
    # The "Reported" view: comments with readers' reports no moderator has answered yet.
    reported = django_filters.ChoiceFilter(
        label="Reader reports",
        choices=[("open", "Reported")],
        empty_label="Any",
        widget=forms.RadioSelect,
        method="filter_reported",
    )
    reason = django_filters.CharFilter(
        label="Reason contains",
        lookup_expr="icontains",
        help_text="Part of the reason the rules gave, e.g. “link” or “blocked word”.",
    )

    class Meta:
        model = Comment
        fields = ["status", "reported", "post", "created_at", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["status"].choices = [("", "All"), *status_choices_with_counts()]
        reported = reported_comments().count()
        self.form.fields["reported"].choices = [("", "Any"), ("open", f"Reported ({reported})")]

    def filter_reported(self, queryset, name, value):
        return queryset.filter(pk__in=reported_comments().values("pk")) if value else queryset
