"""The page a one-click link from the held-comment e-mail opens (``blog.comments.one_click``
signs and checks the links): GET shows the comment and asks to confirm, so a mail
scanner following the link changes nothing; the POST decides. Wagtail's admin URLs ask
a signed-out moderator to sign in and bring them back here."""

from django.shortcuts import redirect
from django.views.generic import View

from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from ..one_click import LinkRefused, read_token, use_link
from .decisions import ACTION_BUTTON_LABELS, ACTION_PAST_TENSE, comment_url, excerpt


class OneClickModerationView(WagtailAdminTemplateMixin, View):
    page_title = "Moderate a comment"
    header_icon = "comment"
    template_name = "blog/comments/admin/one_click.html"
    refused_template_name = "blog/comments/admin/one_click_refused.html"

    def get(self, request, token):
        try:
            comment, action, _nonce = read_token(token, request.user)
        except LinkRefused as refused:
            return self.refuse(refused)
        context = self.get_context_data(
            comment=comment,
            excerpt=excerpt(comment),
            action=action,
            action_label=ACTION_BUTTON_LABELS[action],
            inspect_url=comment_url("inspect", comment),
        )
        response = self.render_to_response(context)
        response["Cache-Control"] = "no-store"
        return response

    def post(self, request, token):
        try:
            comment, action, changed = use_link(token, request.user)
        except LinkRefused as refused:
            return self.refuse(refused)
        if changed:
            messages.success(
                request, f"{ACTION_PAST_TENSE[action]} the comment by {comment.author_name}."
            )
        return redirect(comment_url("inspect", comment))

    def refuse(self, refused):
        response = self.render_to_response(
            self.get_context_data(message=refused.message), status=refused.status_code
        )
        response.template_name = self.refused_template_name
        response["Cache-Control"] = "no-store"
        return response
