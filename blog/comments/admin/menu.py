"""The Comments item in the admin's sidebar, with the pending count."""

from django.utils.translation import ngettext

from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.sidebar import LinkMenuItem

from ..models import Comment
from .permissions import moderation_policy


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
