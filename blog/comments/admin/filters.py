"""What the comment listing can be narrowed to: status, post, date received, reason, and
a substring search over author, email, text and IP address.

Every part costs the same at a million comments as at a hundred: the post is picked in
Wagtail's page chooser (a ``<select>`` of every post with comments was 10,000 options,
768 KB of HTML), the status counts come from the database's tally (``status_counts``)
and the search is served by trigram indexes on PostgreSQL (migration 0009)."""

from django import forms
from django.core.exceptions import ValidationError

from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.widgets import AdminPageChooser

import django_filters
from django_filters.fields import ModelChoiceField

from blog.models import BlogPostPage

from ..models import Comment
from ..reports import reported_comments
from ..status_counts import reported_count, status_counts

Status = Comment.Status


def status_choices_with_counts(counts):
    """ "Pending (3)": how much work each status holds (``status_counts``)."""
    return [(status, f"{label} ({counts.get(status, 0)})") for status, label in Status.choices]


def is_post_id(value):
    """Within the database's integer range: a larger number is not "no such post" to the
    database but an error (SQLite refuses it before asking)."""
    return str(value).isdigit() and int(value) < 2**31


class PostChooser(AdminPageChooser):
    """Wagtail's page chooser, limited to blog posts, that draws a value from the URL that
    is not a post's id (``?post=not-a-post``) as "no post chosen": the filter's form shows
    the error, and drawing the widget must not fail first."""

    def __init__(self, **kwargs):
        super().__init__(target_models=[BlogPostPage], **kwargs)

    def get_instance(self, value):
        if isinstance(value, str) and not is_post_id(value):
            return None
        return super().get_instance(value)


class PostField(ModelChoiceField):
    def to_python(self, value):
        if value not in self.empty_values and not is_post_id(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class PostFilter(django_filters.ModelChoiceFilter):
    field_class = PostField


class CommentFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label="Status",
        choices=Status.choices,
        empty_label="All",
        widget=forms.RadioSelect,
    )
    # Any blog post may be chosen: one without comments lists none, which is the answer.
    post = PostFilter(
        label="Post",
        queryset=BlogPostPage.objects.only("id", "title"),
        widget=PostChooser(),
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
        # Kept for the listing's page count (``CommentIndexView.tallied_count``): one read.
        self.status_counts = status_counts()
        self.form.fields["status"].choices = [
            ("", "All"),
            *status_choices_with_counts(self.status_counts),
        ]
        reported = reported_count()
        self.form.fields["reported"].choices = [("", "Any"), ("open", f"Reported ({reported})")]

    def filter_reported(self, queryset, name, value):
        return queryset.filter(pk__in=reported_comments().values("pk")) if value else queryset
