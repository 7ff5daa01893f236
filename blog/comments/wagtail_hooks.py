"""
Where the moderators' admin (``blog.comments.admin``) plugs into Wagtail: the permission
policy, the Comments viewset and menu item, the ban list ("Comment bans") and its policy,
the audit-trail log actions (moderation decisions, bans and lifts, personal-data
erasures), the dashboard panel, the bulk actions, the one-click moderation page and the
stylesheet that draws the menu badge.
"""

from django.templatetags.static import static
from django.urls import path
from django.utils.html import format_html

from wagtail import hooks
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet

from .admin import (
    COMMENT_BULK_ACTIONS,
    CommentViewSet,
    PendingCommentsPanel,
    moderation_policy,
    register_author_log_actions,
    register_moderation_log_actions,
    register_pin_log_actions,
    register_reply_log_action,
    register_report_log_actions,
)
from .admin.bans import BanViewSet, ban_policy, register_ban_log_actions
from .admin.one_click import OneClickModerationView
from .models import Ban, Comment
from .privacy import register_privacy_log_actions

# Before the viewset: registering it asks the registry for Comment's policy, and Wagtail
# refuses a custom policy once it has handed out its fallback one.
register_permission_policy(Comment, moderation_policy)
register_snippet(CommentViewSet)
register_permission_policy(Ban, ban_policy)

hooks.register("register_log_actions", register_moderation_log_actions)
hooks.register("register_log_actions", register_reply_log_action)
hooks.register("register_log_actions", register_report_log_actions)
hooks.register("register_log_actions", register_pin_log_actions)
hooks.register("register_log_actions", register_author_log_actions)
hooks.register("register_log_actions", register_privacy_log_actions)
hooks.register("register_log_actions", register_ban_log_actions)


@hooks.register("register_admin_viewset")
def register_ban_viewset():
    return BanViewSet()


@hooks.register("register_admin_urls")
def one_click_moderation_urls():
    # Under the admin, so a signed-out moderator is asked to sign in and comes back.
    return [
        path(
            "comments/one-click/<str:token>/",
            OneClickModerationView.as_view(),
            name="comments_one_click",
        )
    ]


# Wagtail's snippets app registers its generic "delete" bulk action for every snippet
# model with the default order 0; a later order makes "delete" on comments ours, which
# goes through moderate() and refuses to delete a comment that has replies.
for bulk_action in COMMENT_BULK_ACTIONS:
    hooks.register("register_bulk_action", bulk_action, order=1)


@hooks.register("construct_homepage_panels")
def add_pending_comments_panel(request, panels):
    if moderation_policy.user_has_permission(request.user, "view"):
        panels.append(PendingCommentsPanel())


@hooks.register("insert_global_admin_css")
def comments_admin_css():
    return format_html('<link rel="stylesheet" href="{}">', static("css/comments-admin.css"))
