"""
The author's edit and delete pages (``blog.comments.editing``): plain HTML forms that work
without script, reached from the "Edit" and "Delete" links the post page shows the author.

They live under ``/comments/<id>/``, the path the secret cookie is scoped to, so the
browser sends the secret there and nowhere else. GET shows the form (or why it cannot be
used); POST is guarded against other sites like the comment form (``forgery_protected``:
Django's CSRF check for a visitor with a session, the browser's word on where the request
comes from otherwise). Nothing here is cached.
"""

from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import editing
from .forgery import forgery_protected
from .forms import CommentEditForm
from .models import Comment
from .rules import DuplicateComment
from .section import show_awaiting_to_author
from .threads import comment_url


def _refused_page(request, comment_id, refused):
    comment = Comment.objects.select_related("post").filter(pk=comment_id).first()
    if comment is None:
        raise Http404(refused.message)
    return TemplateResponse(
        request,
        "blog/comments/edit_refused.html",
        {"message": refused.message, "post": comment.post, "comment": comment},
        status=refused.status_code,
    )


def _edit_page(request, comment, form, status=200):
    return TemplateResponse(
        request,
        "blog/comments/edit.html",
        {
            "comment": comment,
            "post": comment.post,
            "form": form,
            "editable_until": editing.editable_until(comment),
        },
        status=status,
    )


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def edit_comment(request, comment_id):
    if request.method == "POST":
        return _save_edit(request, comment_id)
    secret = editing.secret_from_cookie(request, comment_id)
    try:
        comment = editing.editable_comment(comment_id, secret)
    except editing.EditRefused as refused:
        return _refused_page(request, comment_id, refused)
    return _edit_page(request, comment, CommentEditForm(initial={"body": comment.body}))


@forgery_protected
def _save_edit(request, comment_id):
    secret = editing.secret_from_cookie(request, comment_id)
    try:
        comment = editing.edit_comment(comment_id, secret, request.POST)
    except editing.EditRefused as refused:
        return _refused_page(request, comment_id, refused)
    except (editing.EditInvalid, DuplicateComment) as invalid:
        comment = editing.editable_comment(comment_id, secret)
        if isinstance(invalid, DuplicateComment):
            form = CommentEditForm(request.POST)
            form.is_valid()
            form.add_error("body", invalid.message)
            return _edit_page(request, comment, form, status=409)
        return _edit_page(request, comment, invalid.form, status=400)
    if comment.status != Comment.Status.APPROVED:
        show_awaiting_to_author(request, comment)
    response = redirect(comment_url(comment.post, comment))
    response.status_code = 303
    return response


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def delete_comment(request, comment_id):
    secret = editing.secret_from_cookie(request, comment_id)
    if request.method == "POST":
        return _delete(request, comment_id, secret)
    try:
        comment = editing.editable_comment(comment_id, secret, deleting=True)
    except editing.EditRefused as refused:
        return _refused_page(request, comment_id, refused)
    return TemplateResponse(
        request, "blog/comments/delete.html", {"comment": comment, "post": comment.post}
    )


@forgery_protected
def _delete(request, comment_id, secret):
    try:
        comment = editing.editable_comment(comment_id, secret, deleting=True)
        post = comment.post
        outcome = editing.delete_comment(comment_id, secret)
    except editing.EditRefused as refused:
        return _refused_page(request, comment_id, refused)
    response = redirect(f"{post.url}#comments")
    response.status_code = 303
    editing.forget_in_browser(response, comment_id, post.get_url_parts(request)[2])
    if outcome == "tombstone":
        # The thread keeps the replies under "Comment deleted by its author".
        response["Location"] = comment_url(post, comment)
    return response
