"""The Comments item in the admin's sidebar, with the pending and reported counts."""

from django.utils.translation import ngettext

from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.sidebar import LinkMenuItem

from ..status_counts import pending_count, reported_count
from .permissions import moderation_policy


class CommentsMenuItem(MenuItem):
    """Wagtail 8's sidebar shows no count on a link, only the attributes it is given; the
    pending count travels as ``data-pending-comments`` and the admin stylesheet
    (static/css/comments-admin.css) draws it as a badge."""

    def is_shown(self, request):
        return moderation_policy.user_has_permission(request.user, "view")

    def render_component(self, request):
        attrs = dict(self.attrs)
        # The menu is drawn on every admin page: the pending count is the database's tally
        # and the reported one the open reports' index (``status_counts``), never a count
        # of every comment.
        pending, reported = pending_count(), reported_count()
        counts = []
        if pending:
            attrs["data-pending-comments"] = str(pending)
            counts.append(
                ngettext("%(count)d pending", "%(count)d pending", pending) % {"count": pending}
            )
        if reported:
            # Comments readers reported and no moderator answered, hidden or not.
            attrs["data-reported-comments"] = str(reported)
            counts.append(
                ngettext("%(count)d reported", "%(count)d reported", reported) % {"count": reported}
            )
        if counts:
            attrs["aria-label"] = f"{self.label} ({', '.join(counts)})"
        return LinkMenuItem(
            self.name,
            self.label,
            self.url,
            icon_name=self.icon_name,
            classname=self.classname,
            attrs=attrs,
        )
