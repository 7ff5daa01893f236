"""The Comments snippet viewset: the listing, inspect and history views, and the URLs for
decisions and replies, every one of them behind "Can moderate comments"."""

from django.urls import re_path, reverse
from django.utils.functional import cached_property

from wagtail.snippets.views.snippets import SnippetViewSet

from ..models import Comment
from .decisions import ACTION_BUTTON_LABELS, CommentAdminURLFinder
from .filters import CommentFilterSet
from .menu import CommentsMenuItem
from .permissions import MODERATE_CODENAME, moderators_only
from .pins import PIN_ACTIONS, PinCommentView
from .views import (
    CommentHistoryView,
    CommentIndexView,
    CommentInspectView,
    ModerateCommentView,
    ReplyToCommentView,
)


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
    # Says "about" before a count the planner estimated (``pagination.QueuePaginator``).
    index_results_template_name = "blog/comments/admin/listing_results.html"

    @cached_property
    def menu_item_class(self):
        return CommentsMenuItem

    @cached_property
    def menu_url(self):
        """The menu opens the queue, the comments awaiting a decision; the status filter
        (with each status's count) shows the others."""
        return f"{reverse(self.get_url_name('list'))}?status={Comment.Status.PENDING}"

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
    def pin_view(self):
        return self.construct_view(PinCommentView, inspect_url_name=self.get_url_name("inspect"))

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
            re_path(
                rf"^(?P<action>{'|'.join(PIN_ACTIONS)})/(?P<pk>\d+)/$", self.pin_view, name="pin"
            ),
        ]
        for pattern in patterns:
            pattern.callback = moderators_only(pattern.callback)
        return patterns
