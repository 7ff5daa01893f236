"""The comment listing, the inspect view (with the thread and the reply form), one
decision on one comment, replies, and the history view."""

from django import forms
from django.contrib.admin.utils import quote
from django.db import transaction
from django.db.models import Case, IntegerField, Prefetch, Q, Value, When
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property

from wagtail.admin import messages
from wagtail.admin.ui.tables import BulkActionsCheckboxColumn, Column, DateColumn, TitleColumn
from wagtail.admin.views.generic.base import BaseOperationView
from wagtail.admin.widgets.button import Button, HeaderButton
from wagtail.log_actions import log
from wagtail.log_actions import registry as log_registry
from wagtail.snippets.views.snippets import HistoryView, IndexView, InspectView

from ..models import Comment
from ..moderation import ModerationError, moderate
from ..moderator_search import search_comments
from ..reports import CommentReport, open_report_count
from ..rules import CommentRefused
from ..submission import CommentInvalid, submit_comment
from .bans import ban_author_button, ban_context
from .columns import AuthorColumn, CommentStatusColumn, ReportsColumn
from .decisions import (
    ACTION_PAST_TENSE,
    available_actions,
    comment_url,
    excerpt,
    moderate_url,
    status_label,
)
from .log import REPLY_LOG_ACTION
from .pagination import QueuePaginator
from .permissions import ModeratorRequiredMixin, moderation_policy
from .pins import pin_action_for, pin_row_button

Status = Comment.Status


class CommentIndexView(IndexView):
    """Pending comments first (they are the work), then newest first."""

    # Wagtail offers search only for models in the search index; comments are searched
    # in the table itself (``search_comments``).
    is_searchable = True
    paginator_class = QueuePaginator

    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .select_related("post")
            .prefetch_related(
                Prefetch("reports", queryset=CommentReport.objects.open(), to_attr="open_reports")
            )
            .annotate(
                open_report_count=open_report_count(),
                awaiting_decision=Case(
                    When(status=Status.PENDING, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                ),
            )
        )

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        return search_comments(queryset, self.search_query)

    def order_queryset(self, queryset):
        # A stable last key, so pages never repeat or skip comments received together.
        queryset = super().order_queryset(queryset)
        ordering = [*queryset.query.order_by, "-pk"]
        if self.filters and self.filters.is_valid() and self.filters.form.cleaned_data["status"]:
            # One status listed: "awaiting a decision" is the same for every row, and
            # without it PostgreSQL reads the newest straight from the created_at index
            # instead of sorting all of that status's comments (50,000 pending at a
            # million comments) for one page.
            ordering = [key for key in ordering if key != "awaiting_decision"]
        return queryset.order_by(*ordering)

    def paginate_queryset(self, queryset, page_size):
        first_page = self.request.GET.get(self.page_kwarg, "1") == "1"
        if not first_page or self.tallied_count() is not None:
            return super().paginate_queryset(queryset, page_size)
        # The first page of a listing that has to be counted: its rows are read first, so
        # one that fits on the page needs no count query (``QueuePaginator``), and a
        # longer one is not read twice.
        rows = list(queryset[: page_size + 1])
        if len(rows) <= page_size:
            paginator = QueuePaginator(rows, page_size, known_count=len(rows), model=Comment)
        else:
            paginator = self.get_paginator(
                queryset,
                page_size,
                orphans=self.get_paginate_orphans(),
                allow_empty_first_page=self.get_allow_empty(),
            )
        paginator.validate_number(1)
        page = paginator._get_page(rows[:page_size], 1, paginator)
        return (paginator, page, page.object_list, page.has_other_pages())

    def get_paginator(self, queryset, per_page, **kwargs):
        return super().get_paginator(queryset, per_page, known_count=self.tallied_count(), **kwargs)

    def tallied_count(self):
        """The listing's size from the status tally, when nothing but a status narrows it;
        None when it has to be counted (``QueuePaginator``)."""
        if self.is_searching:
            return None
        counts = self.filters.status_counts
        if not self.filters.is_valid():
            # Wagtail lists every comment when the filters are invalid.
            return sum(counts.values())
        narrowing = {name for name, value in self.filters.form.cleaned_data.items() if value}
        if narrowing - {"status"}:
            return None
        status = self.filters.form.cleaned_data["status"]
        return counts[status] if status else sum(counts.values())

    @cached_property
    def columns(self):
        title_column_class = self._get_title_column_class(TitleColumn)
        return [
            BulkActionsCheckboxColumn("bulk_actions", obj_type="snippet"),
            title_column_class(
                "excerpt",
                label="Comment",
                accessor=excerpt,
                get_url=self.get_inspect_url,
                get_title_id=lambda comment: f"snippet_{quote(comment.pk)}_title",
            ),
            AuthorColumn("author_name", label="Author", sort_key="author_name"),
            Column("post", label="Post", accessor="post.title", sort_key="post__title"),
            CommentStatusColumn(
                "status",
                label="Status",
                accessor="get_status_display",
                primary=lambda comment: comment.status == Status.PENDING,
                sort_key="status",
            ),
            Column("reason", label="Reason"),
            ReportsColumn("open_reports", label="Reader reports"),
            DateColumn("created_at", label="Received", sort_key="created_at"),
        ]

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if not moderation_policy.user_has_permission(self.request.user, "moderate"):
            return buttons
        if instance.status == Status.APPROVED:
            buttons.append(
                Button(
                    "Reply",
                    url=comment_url("inspect", instance) + "#reply",
                    icon_name="comment",
                    priority=35,
                    attrs={"aria-label": f"Reply to the comment by {instance.author_name}"},
                )
            )
        if ban_button := ban_author_button(instance, self.request.user):
            buttons.append(ban_button)
        pin_button = pin_row_button(instance, priority=38)
        if pin_button:
            buttons.append(pin_button)
        for priority, action in enumerate(available_actions(instance), start=40):
            buttons.append(
                Button(
                    action["label"],
                    icon_name=action["icon"],
                    priority=priority,
                    attrs={
                        # Wagtail's own "post this URL with the CSRF token" controller.
                        "data-controller": "w-action",
                        "data-action": "w-action#post",
                        "data-w-action-url-value": moderate_url(instance, action["name"]),
                    },
                )
            )
        return buttons


def thread_around(comment):
    """The comment's ancestors, the comment and every reply below it, in thread order."""
    ancestor_ids = [int(segment) for segment in comment.thread_path.split("/")[:-1] if segment]
    around = Q(pk=comment.pk) | Q(pk__in=ancestor_ids)
    if comment.thread_path:
        around |= Q(post_id=comment.post_id, thread_path__startswith=f"{comment.thread_path}/")
    return list(
        Comment.objects.filter(around)
        .only("id", "depth", "thread_path", "author_name", "body", "status", "created_at")
        .order_by("thread_path")
    )


def signature(user):
    """The name a staff reply is signed with: the person's name, which a moderator sets
    under Account; the username only for an account that has none."""
    return user.get_full_name().strip() or user.get_username()


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Your reply",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Please write a reply."},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        name = signature(user)
        help_text = f"Published at once, signed “{name}” and marked as a reply from the team."
        if not user.get_full_name().strip():
            help_text += " To sign with your name, add it under Account."
        self.fields["body"].help_text = help_text


class CommentInspectView(InspectView):
    def get_object(self, queryset=None):
        return get_object_or_404(
            Comment.objects.select_related("post", "moderated_by", "user")
            .prefetch_related("reports")
            .annotate(open_report_count=open_report_count()),
            pk=self.pk,
        )

    def get_page_subtitle(self):
        return str(self.object)

    def get_fields_context(self):
        """The template lays the comment out itself (raw and sanitized text side by side),
        so Wagtail's generic field list is not built."""
        return []

    @cached_property
    def header_buttons(self):
        return [
            HeaderButton(
                "History",
                url=comment_url("history", self.object),
                icon_name="history",
            )
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        comment = self.object
        can_act = moderation_policy.user_has_permission(self.request.user, "moderate")
        context.update(
            {
                "comment": comment,
                "actions": [
                    {**action, "url": moderate_url(comment, action["name"])}
                    for action in available_actions(comment)
                ]
                if can_act
                else [],
                "thread": thread_around(comment),
                "versions": comment.versions.all(),
                "history": log_registry.get_logs_for_instance(comment)
                .select_related("user")
                .order_by("-timestamp", "-pk")[:20],
                "history_url": comment_url("history", comment),
                "reply_form": kwargs.get("reply_form") or ReplyForm(user=self.request.user),
                "reply_url": comment_url("reply", comment),
                "can_reply": can_act and comment.status == Status.APPROVED,
                "pin_action": pin_action_for(comment) if can_act else None,
                "post_admin_url": reverse("wagtailadmin_pages:edit", args=[comment.post_id]),
            }
        )
        if can_act:
            context.update(ban_context(comment, self.request.user))
        return context


class ReplyToCommentView(ModeratorRequiredMixin, CommentInspectView):
    """A moderator's reply goes through ``submit_comment`` like any other comment; a user
    with the moderate permission gets it published at once and marked as staff. The
    parent's history records it, in the same transaction as the reply."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        user = request.user
        form = ReplyForm(request.POST, user=user)
        if form.is_valid():
            data = {
                "author_name": signature(user),
                "author_email": user.email,
                "body": form.cleaned_data["body"],
                "parent": self.object.pk,
            }
            try:
                with transaction.atomic():
                    reply = submit_comment(self.object.post, data, user=user)
                    log(
                        instance=self.object,
                        action=REPLY_LOG_ACTION,
                        user=user,
                        data={
                            "reply_id": reply.pk,
                            "signed": reply.author_name,
                            "excerpt": excerpt(reply),
                        },
                    )
            except CommentInvalid as invalid:
                copy_submission_errors(invalid.form, form)
            except CommentRefused as refused:
                form.add_error(None, refused.message)
            else:
                messages.success(request, "Your reply is published.")
                return redirect(comment_url("inspect", reply))
        messages.error(request, "Your reply could not be published; see the errors below.")
        return self.render_to_response(self.get_context_data(reply_form=form))


def copy_submission_errors(submitted, reply_form):
    """Put the comment form's errors on the reply form, in words for a moderator."""
    for field, errors in submitted.errors.items():
        for error in errors:
            if field == "body":
                reply_form.add_error("body", error)
            elif field == "author_email":
                reply_form.add_error(
                    None,
                    "Your account needs a valid email address before you can reply "
                    "(replies are stored with their author's email). Add one under Account.",
                )
            else:
                reply_form.add_error(None, error)


class ModerateCommentView(ModeratorRequiredMixin, BaseOperationView):
    """One decision on one comment, from a button that POSTs (inspect view, listing row,
    dashboard panel). Goes back where the button was, or to the inspect view."""

    model = Comment
    http_method_names = ["post"]
    index_url_name = None
    inspect_url_name = None

    def post(self, request, *args, **kwargs):
        action = kwargs["action"]
        comment = self.object
        reason = request.POST.get("reason", "").strip()[:255]
        try:
            changed = moderate([comment.pk], action, request.user, reason=reason)
        except ModerationError as error:
            messages.error(request, str(error))
            return redirect(self.next_url or self.get_inspect_url())
        if changed:
            messages.success(
                request, f"{ACTION_PAST_TENSE[action]} the comment by {comment.author_name}."
            )
        else:
            messages.warning(
                request,
                f"Nothing changed: the comment by {comment.author_name} is already "
                f"{status_label(comment.status).lower()}.",
            )
        return redirect(self.get_success_url(deleted=action == "delete" and bool(changed)))

    def get_inspect_url(self):
        return reverse(self.inspect_url_name, args=[self.object.pk])

    def get_success_url(self, deleted=False):
        if deleted:
            # The inspect view of a deleted comment is a 404; go back to the listing.
            if self.next_url and self.get_inspect_url() not in self.next_url:
                return self.next_url
            return reverse(self.index_url_name)
        return self.next_url or self.get_inspect_url()


class CommentHistoryView(HistoryView):
    any_permission_required = ["view"]

    @cached_property
    def header_buttons(self):
        return [
            HeaderButton(
                "Inspect",
                url=comment_url("inspect", self.object),
                icon_name="info-circle",
            )
        ]

    def get_breadcrumbs_items(self):
        items = super().get_breadcrumbs_items()
        inspect_url = comment_url("inspect", self.object)
        return [*items[:-1], {"url": inspect_url, "label": str(self.object)}, items[-1]]
