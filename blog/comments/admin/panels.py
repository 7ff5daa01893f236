"""The dashboard panel: the newest pending comments, with Approve and Spam at hand, and
how many comments readers reported."""

from django.urls import reverse

from wagtail.admin.ui.components import Component

from ..models import Comment
from ..status_counts import pending_count, reported_count
from .decisions import URL_NAMESPACE, comment_url, excerpt, moderate_url

Status = Comment.Status

PENDING_PANEL_SIZE = 5


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
                "pending_count": pending_count(),
                "listing_url": reverse(f"{URL_NAMESPACE}:list") + f"?status={Status.PENDING}",
                "reported_count": reported_count(),
                "reported_url": reverse(f"{URL_NAMESPACE}:list") + "?reported=open",
                "next_url": reverse("wagtailadmin_home"),
                "csrf_token": parent_context.get("csrf_token"),
                "request": parent_context.get("request"),
            }
        )
        return context
