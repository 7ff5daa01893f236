"""Decisions on the comments ticked in the listing, through ``moderate``; and pinning
them, through ``pinning.pin_comments`` (all or none) and ``unpin_comments``."""

from django import forms
from django.shortcuts import get_list_or_404, redirect
from django.utils.functional import classproperty
from django.utils.translation import ngettext

from wagtail.admin import messages
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction

from ..models import Comment
from ..moderation import ModerationError, moderate
from ..moderator_search import search_comments
from ..pinning import PinRefused, pin_comments, pin_refusals, unpin_comments
from .decisions import ACTION_BUTTON_LABELS, ACTION_PAST_TENSE, comment_url, excerpt
from .filters import CommentFilterSet
from .permissions import forbidden, moderation_policy


class BulkModerationForm(forms.Form):
    reason = forms.CharField(
        label="Note for the audit trail",
        required=False,
        max_length=255,
        help_text="Optional. Shown in each comment's history.",
    )


class CommentBulkAction(SnippetBulkAction):
    moderation_action = None
    #: The button's words and what the success message says was done; a decision's
    #: come from ``decisions``.
    action_label = None
    past_tense = None
    template_name = "blog/comments/admin/confirm_bulk_action.html"
    form_class = BulkModerationForm

    @classproperty
    def models(cls):
        return [Comment]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.action_type = cls.moderation_action
        cls.action_label = cls.action_label or ACTION_BUTTON_LABELS[cls.moderation_action]
        cls.past_tense = cls.past_tense or ACTION_PAST_TENSE[cls.moderation_action]
        cls.display_name = cls.action_label
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
        context["action_label"] = self.action_label
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
        ) % {"action": self.past_tense, "count": num_parent_objects}
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


class KeepCommentsBulkAction(CommentBulkAction):
    """Readers' reports: publish again and stop reports from hiding (``reports.keep_comments``)."""

    moderation_action = "keep"
    action_priority = 45


class DeleteCommentsBulkAction(CommentBulkAction):
    moderation_action = "delete"
    action_priority = 50
    classes = {"serious"}


class PinCommentsBulkAction(CommentBulkAction):
    """Pin the ticked comments to the top of their posts: all of them or none. The
    confirm page says which cannot be pinned, and why, before the moderator confirms."""

    moderation_action = "pin"
    action_label = "Pin to top"
    past_tense = "Pinned"
    action_priority = 60
    form_class = forms.Form

    refusals = {}

    def annotate_items(self, items):
        self.refusals = pin_refusals(items)
        return items

    def object_context(self, comment):
        return {**super().object_context(comment), "refusal": self.refusals.get(comment, "")}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["cannot_proceed"] = bool(self.refusals)
        return context

    @classmethod
    def execute_action(cls, objects, user=None, **kwargs):
        return len(pin_comments([comment.pk for comment in objects], user)), 0

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except PinRefused as refused:
            messages.error(self.request, str(refused))
            return redirect(self.next_url)


class UnpinCommentsBulkAction(CommentBulkAction):
    moderation_action = "unpin"
    action_label = "Unpin"
    past_tense = "Unpinned"
    action_priority = 65
    form_class = forms.Form

    @classmethod
    def execute_action(cls, objects, user=None, **kwargs):
        return len(unpin_comments([comment.pk for comment in objects], user)), 0


COMMENT_BULK_ACTIONS = [
    ApproveCommentsBulkAction,
    SpamCommentsBulkAction,
    TrashCommentsBulkAction,
    RestoreCommentsBulkAction,
    KeepCommentsBulkAction,
    DeleteCommentsBulkAction,
    PinCommentsBulkAction,
    UnpinCommentsBulkAction,
]
