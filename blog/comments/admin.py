"""
The moderators' side of the comment service, built from Wagtail's own admin parts.

One permission, "Can moderate comments", opens all of it: the Comments menu item (with a
badge counting pending comments), the dashboard panel, the listing (filters, search,
bulk actions), the inspect view (text as submitted and as published, the thread around
the comment, its audit trail, a reply form) and the history view. Every decision goes
through ``blog.comments.moderation.moderate``, which records it as a Wagtail log entry.

Comments are never added, edited or deleted through Wagtail's generic model forms:
those would skip the rules, the sanitizer and the audit trail. The permission policy
therefore grants "add", "change" and "delete" to nobody, superusers included, and the
generic create/edit/delete views refuse everyone.
"""

import functools

from django import forms
from django.contrib.admin.utils import quote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Q, Value, When
from django.shortcuts import get_list_or_404, get_object_or_404, redirect
from django.urls import re_path, reverse
from django.utils.functional import cached_property, classproperty
from django.utils.text import Truncator
from django.utils.translation import ngettext
from django.views.defaults import permission_denied

from wagtail.admin import messages
from wagtail.admin.admin_url_finder import ModelAdminURLFinder
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.sidebar import LinkMenuItem
from wagtail.admin.ui.tables import (
    BulkActionsCheckboxColumn,
    Column,
    DateColumn,
    StatusTagColumn,
    TitleColumn,
)
from wagtail.admin.views.generic.base import BaseOperationView
from wagtail.admin.widgets.button import Button, HeaderButton
from wagtail.log_actions import LogFormatter
from wagtail.log_actions import registry as log_registry
from wagtail.permission_policies.base import BaseDjangoAuthPermissionPolicy
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction
from wagtail.snippets.views.snippets import (
    HistoryView,
    IndexView,
    InspectView,
    SnippetViewSet,
)

import django_filters

from blog.models import BlogPostPage

from .models import Comment
from .moderation import LOG_ACTION, ModerationError, moderate
from .rules import CommentRefused
from .submission import CommentInvalid, can_moderate, submit_comment

Status = Comment.Status

MODERATE_CODENAME = "moderate_comment"
URL_NAMESPACE = "wagtailsnippets_comments_comment"  # what notify.py links moderators to
PENDING_PANEL_SIZE = 5
EXCERPT_CHARS = 120

# What each decision is called on buttons, in messages and in the audit trail.
ACTION_BUTTON_LABELS = {
    "approve": "Approve",
    "unapprove": "Unapprove",
    "spam": "Mark as spam",
    "trash": "Move to trash",
    "restore": "Restore",
    "delete": "Delete for good",
}
ACTION_ICONS = {
    "approve": "check",
    "unapprove": "resubmit",
    "spam": "warning",
    "trash": "bin",
    "restore": "rotate",
    "delete": "cross",
}
ACTION_PAST_TENSE = {
    "approve": "Approved",
    "unapprove": "Unapproved",
    "spam": "Marked as spam",
    "trash": "Moved to trash",
    "restore": "Restored",
    "delete": "Deleted for good",
}
# The decisions that make sense from each status, in the order buttons show them.
ACTIONS_BY_STATUS = {
    Status.PENDING: ["approve", "spam", "trash", "delete"],
    Status.APPROVED: ["unapprove", "spam", "trash", "delete"],
    Status.SPAM: ["restore", "approve", "trash", "delete"],
    Status.TRASH: ["restore", "delete"],
}


def available_actions(comment):
    return [
        {"name": action, "label": ACTION_BUTTON_LABELS[action], "icon": ACTION_ICONS[action]}
        for action in ACTIONS_BY_STATUS.get(comment.status, [])
    ]


def forbidden(request):
    """A real 403: Wagtail turns PermissionDenied into a redirect to the dashboard, which a
    script posting a moderation decision would take for success."""
    return permission_denied(request, PermissionDenied("You may not moderate comments."))


def comment_url(view_name, comment):
    return reverse(f"{URL_NAMESPACE}:{view_name}", args=[comment.pk])


def excerpt(comment):
    return Truncator(" ".join(comment.body.split())).chars(EXCERPT_CHARS)


def status_label(status):
    return Status(status).label if status in Status.values else (status or "unknown")


# Permissions


class CommentModerationPolicy(BaseDjangoAuthPermissionPolicy):
    """Everything a moderator does hangs on one permission, "Can moderate comments".

    "view" opens the listing, inspect and history views; "moderate" the decisions and
    replies. No one gets "add", "change" or "delete" (see the module docstring).
    """

    granted_actions = frozenset({"view", "moderate"})

    def user_has_permission(self, user, action):
        return action in self.granted_actions and can_moderate(user)

    def users_with_any_permission(self, actions):
        if not self.granted_actions.intersection(actions):
            return get_user_model().objects.none()
        return self._get_users_with_any_permission_codenames({MODERATE_CODENAME})


moderation_policy = CommentModerationPolicy(Comment)


class ModeratorRequiredMixin:
    """For the views that change something: a real 403 for anyone who may not moderate."""

    def dispatch(self, request, *args, **kwargs):
        if not moderation_policy.user_has_permission(request.user, "moderate"):
            return forbidden(request)
        return super().dispatch(request, *args, **kwargs)


class CommentAdminURLFinder(ModelAdminURLFinder):
    """Comments have no edit view; links from elsewhere in the admin (site history, for one)
    go to the inspect view, for those who may see it."""

    def get_edit_url(self, instance):
        if self.user and not moderation_policy.user_has_permission(self.user, "view"):
            return None
        return comment_url("inspect", instance)


# Listing: filters, search, columns


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
    return BlogPostPage.objects.filter(comments__isnull=False).distinct().order_by("title")


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
    reason = django_filters.CharFilter(
        label="Reason contains",
        lookup_expr="icontains",
        help_text="Part of the reason the rules gave, e.g. “link” or “blocked word”.",
    )

    class Meta:
        model = Comment
        fields = ["status", "post", "created_at", "reason"]


class AuthorColumn(Column):
    cell_template_name = "blog/comments/admin/author_cell.html"


class CommentIndexView(IndexView):
    """Pending comments first (they are the work), then newest first."""

    # Wagtail offers search only for models in the search index; comments are searched
    # in the table itself (``search_comments``).
    is_searchable = True

    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .select_related("post")
            .annotate(
                awaiting_decision=Case(
                    When(status=Status.PENDING, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
        )

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        return search_comments(queryset, self.search_query)

    def order_queryset(self, queryset):
        # A stable last key, so pages never repeat or skip comments received together.
        queryset = super().order_queryset(queryset)
        return queryset.order_by(*queryset.query.order_by, "-pk")

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
            StatusTagColumn(
                "status",
                label="Status",
                accessor="get_status_display",
                primary=lambda comment: comment.status == Status.PENDING,
                sort_key="status",
            ),
            Column("reason", label="Reason"),
            DateColumn("created_at", label="Received", sort_key="created_at"),
        ]

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if not moderation_policy.user_has_permission(self.request.user, "moderate"):
            return buttons
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


# Inspect, history, decisions, replies


def moderate_url(comment, action):
    return reverse(f"{URL_NAMESPACE}:moderate", args=[comment.pk, action])


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


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Your reply",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Please write a reply."},
        help_text="Published at once under your name, marked as a reply from the team.",
    )


class CommentInspectView(InspectView):
    def get_object(self, queryset=None):
        return get_object_or_404(
            Comment.objects.select_related("post", "moderated_by", "user"), pk=self.pk
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
                "history": log_registry.get_logs_for_instance(comment)
                .select_related("user")
                .order_by("-timestamp", "-pk")[:20],
                "history_url": comment_url("history", comment),
                "reply_form": kwargs.get("reply_form") or ReplyForm(),
                "reply_url": comment_url("reply", comment),
                "can_reply": can_act and comment.status == Status.APPROVED,
                "post_admin_url": reverse("wagtailadmin_pages:edit", args=[comment.post_id]),
            }
        )
        return context


class ReplyToCommentView(ModeratorRequiredMixin, CommentInspectView):
    """A moderator's reply goes through ``submit_comment`` like any other comment; a user
    with the moderate permission gets it published at once and marked as staff."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = ReplyForm(request.POST)
        if form.is_valid():
            user = request.user
            data = {
                "author_name": user.get_full_name().strip() or user.get_username(),
                "author_email": user.email,
                "body": form.cleaned_data["body"],
                "parent": self.object.pk,
            }
            try:
                reply = submit_comment(self.object.post, data, user=user)
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


# Menu item with a badge


class CommentsMenuItem(MenuItem):
    """Wagtail 8's sidebar shows no count on a link, only the attributes it is given; the
    pending count travels as ``data-pending-comments`` and the admin stylesheet
    (static/css/comments-admin.css) draws it as a badge."""

    def is_shown(self, request):
        return moderation_policy.user_has_permission(request.user, "view")

    def render_component(self, request):
        attrs = dict(self.attrs)
        pending = Comment.objects.pending().count()
        if pending:
            attrs["data-pending-comments"] = str(pending)
            attrs["aria-label"] = ngettext(
                "%(label)s (%(count)d pending)", "%(label)s (%(count)d pending)", pending
            ) % {"label": self.label, "count": pending}
        return LinkMenuItem(
            self.name,
            self.label,
            self.url,
            icon_name=self.icon_name,
            classname=self.classname,
            attrs=attrs,
        )


# The viewset


class CommentViewSet(SnippetViewSet):
    model = Comment
    icon = "comment"
    menu_label = "Comments"
    menu_name = "comments"
    menu_order = 150
    add_to_admin_menu = True
    # Nothing refers to a comment, and indexing its foreign keys would cost every
    # submission extra writes.
    add_to_reference_index = False
    inspect_view_enabled = True
    copy_view_enabled = False
    list_per_page = 50
    ordering = ["awaiting_decision", "-created_at"]
    filterset_class = CommentFilterSet
    index_view_class = CommentIndexView
    inspect_view_class = CommentInspectView
    history_view_class = CommentHistoryView
    inspect_template_name = "blog/comments/admin/inspect.html"

    @cached_property
    def menu_item_class(self):
        return CommentsMenuItem

    @property
    def url_finder_class(self):
        return CommentAdminURLFinder

    def register_chooser_viewset(self):
        """No form chooses a comment, and a chooser would let every admin user browse and
        search comments (and so readers' emails) without the moderate permission."""

    def get_permissions_to_register(self):
        """Only "Can moderate comments" appears in the group editor: the policy ignores the
        add/change/delete/view permissions Django creates for every model."""
        return super().get_permissions_to_register().filter(codename=MODERATE_CODENAME)

    @property
    def moderate_view(self):
        return self.construct_view(
            ModerateCommentView,
            index_url_name=self.get_url_name("list"),
            inspect_url_name=self.get_url_name("inspect"),
        )

    @property
    def reply_view(self):
        return self.construct_view(ReplyToCommentView, **self.get_inspect_view_kwargs())

    def get_urlpatterns(self):
        actions = "|".join(ACTION_BUTTON_LABELS)
        patterns = [
            *super().get_urlpatterns(),
            re_path(
                rf"^moderate/(?P<pk>\d+)/(?P<action>{actions})/$",
                self.moderate_view,
                name="moderate",
            ),
            re_path(r"^reply/(?P<pk>\d+)/$", self.reply_view, name="reply"),
        ]
        for pattern in patterns:
            pattern.callback = moderators_only(pattern.callback)
        return patterns


def moderators_only(view):
    """Every comment URL answers 403 to a signed-in user who may not moderate, before
    Wagtail's own checks (which redirect to the dashboard as if nothing were there)."""

    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        if not moderation_policy.user_has_permission(request.user, "moderate"):
            return forbidden(request)
        return view(request, *args, **kwargs)

    return guarded


# Bulk actions


class BulkModerationForm(forms.Form):
    reason = forms.CharField(
        label="Note for the audit trail",
        required=False,
        max_length=255,
        help_text="Optional. Shown in each comment's history.",
    )


class CommentBulkAction(SnippetBulkAction):
    """A decision on the comments ticked in the listing, through ``moderate``."""

    moderation_action = None
    template_name = "blog/comments/admin/confirm_bulk_action.html"
    form_class = BulkModerationForm

    @classproperty
    def models(cls):
        return [Comment]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.action_type = cls.moderation_action
        cls.display_name = ACTION_BUTTON_LABELS[cls.moderation_action]
        cls.aria_label = f"{cls.display_name}: the selected comments"

    def dispatch(self, request, *args, **kwargs):
        if not moderation_policy.user_has_permission(request.user, "moderate"):
            return forbidden(request)
        return super().dispatch(request, *args, **kwargs)

    @classmethod
    def get_queryset(cls, model, object_ids):
        ids = [int(value) for value in object_ids if str(value).isdigit()]
        return get_list_or_404(
            model.objects.select_related("post").order_by("-created_at"), pk__in=ids
        )

    def get_all_objects_in_listing_query(self, parent_id):
        """ "Select all in listing" sends the listing's filters and search along; act on
        exactly what the moderator was looking at, not on every comment."""
        listing = CommentFilterSet(
            self.request.GET, queryset=Comment.objects.all(), request=self.request
        )
        if not listing.is_valid():
            return Comment.objects.none().values_list("pk", flat=True)
        matching = search_comments(listing.qs, self.request.GET.get("q", ""))
        return matching.values_list("pk", flat=True)

    def object_context(self, comment):
        return {
            "item": comment,
            "excerpt": excerpt(comment),
            "inspect_url": comment_url("inspect", comment),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["action_label"] = ACTION_BUTTON_LABELS[self.moderation_action]
        context["is_serious"] = self.moderation_action == "delete"
        return context

    def get_execution_context(self):
        return {
            **super().get_execution_context(),
            "user": self.request.user,
            "reason": self.cleaned_form.cleaned_data.get("reason", ""),
        }

    @classmethod
    def execute_action(cls, objects, user=None, reason="", **kwargs):
        changed = moderate(objects, cls.moderation_action, user, reason=reason)
        return len(changed), 0

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ModerationError as error:
            messages.error(self.request, str(error))
            return redirect(self.next_url)

    def get_success_message(self, num_parent_objects, num_child_objects):
        done = ngettext(
            "%(action)s %(count)d comment.", "%(action)s %(count)d comments.", num_parent_objects
        ) % {"action": ACTION_PAST_TENSE[self.moderation_action], "count": num_parent_objects}
        unchanged = len(self.actionable_objects) - num_parent_objects
        if unchanged:
            done += " " + ngettext(
                "%(count)d was left as it was.", "%(count)d were left as they were.", unchanged
            ) % {"count": unchanged}
        return done


class ApproveCommentsBulkAction(CommentBulkAction):
    moderation_action = "approve"
    action_priority = 10


class SpamCommentsBulkAction(CommentBulkAction):
    moderation_action = "spam"
    action_priority = 20


class TrashCommentsBulkAction(CommentBulkAction):
    moderation_action = "trash"
    action_priority = 30


class RestoreCommentsBulkAction(CommentBulkAction):
    moderation_action = "restore"
    action_priority = 40


class DeleteCommentsBulkAction(CommentBulkAction):
    moderation_action = "delete"
    action_priority = 50
    classes = {"serious"}


COMMENT_BULK_ACTIONS = [
    ApproveCommentsBulkAction,
    SpamCommentsBulkAction,
    TrashCommentsBulkAction,
    RestoreCommentsBulkAction,
    DeleteCommentsBulkAction,
]


# Dashboard panel


class PendingCommentsPanel(Component):
    name = "pending_comments"
    template_name = "blog/comments/admin/pending_panel.html"
    order = 120

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        pending = Comment.objects.pending().select_related("post").order_by("-created_at")
        comments = list(pending[:PENDING_PANEL_SIZE])
        context.update(
            {
                "comments": [
                    {
                        "comment": comment,
                        "excerpt": excerpt(comment),
                        "inspect_url": comment_url("inspect", comment),
                        "approve_url": moderate_url(comment, "approve"),
                        "spam_url": moderate_url(comment, "spam"),
                    }
                    for comment in comments
                ],
                "pending_count": pending.count(),
                "listing_url": reverse(f"{URL_NAMESPACE}:list") + f"?status={Status.PENDING}",
                "next_url": reverse("wagtailadmin_home"),
                "csrf_token": parent_context.get("csrf_token"),
                "request": parent_context.get("request"),
            }
        )
        return context


# Audit trail


class ModerationLogFormatter(LogFormatter):
    """ "Approved (was pending)", with the moderator's note when there is one."""

    action = None

    @property
    def label(self):
        return f"Comment: {ACTION_BUTTON_LABELS[self.action].lower()}"

    def format_message(self, log_entry):
        data = log_entry.data or {}
        before = status_label(data.get("from")).lower()
        verb = ACTION_PAST_TENSE[self.action]
        if self.action == "restore":
            verb = f"Restored as {status_label(data.get('to')).lower()}"
        message = f"{verb} (was {before})"
        if data.get("reason"):
            message += f": {data['reason']}"
        return message

    def format_comment(self, log_entry):
        return (log_entry.data or {}).get("reason", "")


def register_moderation_log_actions(actions):
    for action, log_action in LOG_ACTION.items():
        formatter = type(
            f"{action.title()}CommentLogFormatter", (ModerationLogFormatter,), {"action": action}
        )
        actions.register_action(log_action)(formatter)
