"""What the post page shows under the article: the thread, the reader's own held
comments, and the form (or "Comments are closed.")."""

from . import editing, form_tokens
from .forgery import has_session
from .forms import CommentForm
from .models import Comment
from .rules import closed_reason
from .sorting import DEFAULT_ORDER, ORDERS, order_or_default
from .threads import render_thread

AWAITING_SESSION_KEY = "comments_awaiting_moderation"
CONFIRMATION_MAILED_SESSION_KEY = "comments_confirmation_mailed"
AWAITING_KEPT = 20
# Spam is shown to its author as held: a person whose browser filled the form in faster
# than the timing rule allows is told what any held comment's author is, and a bot learns
# nothing from the difference. Nobody else sees either.
AWAITING_STATUSES = (Comment.Status.PENDING, Comment.Status.SPAM)


def _positive_int(value, default=None):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default


def show_awaiting_to_author(request, comment):
    """Remember in the author's session a comment that is not public, so the post shows
    it to them alone, marked as awaiting moderation."""
    awaiting = request.session.get(AWAITING_SESSION_KEY, [])
    request.session[AWAITING_SESSION_KEY] = [*awaiting[-(AWAITING_KEPT - 1) :], comment.pk]
    if getattr(comment, "confirmation_sent", False):
        mailed = request.session.get(CONFIRMATION_MAILED_SESSION_KEY, [])
        request.session[CONFIRMATION_MAILED_SESSION_KEY] = [
            *mailed[-(AWAITING_KEPT - 1) :],
            comment.pk,
        ]


def order_links(post, current):
    """The order control's links: plain GET links, so it works without script, spelled
    as the page cache stores them (no ``sort`` for the default order)."""
    post_url = post.url
    return [
        {
            "value": value,
            "label": label,
            "url": f"{post_url}{'' if value == DEFAULT_ORDER else f'?sort={value}'}#comments",
            "current": value == current,
        }
        for value, label in ORDERS.items()
    ]


def comment_section(request, post, form=None):
    closed = closed_reason(post)
    order = order_or_default(request.GET.get("sort"))
    thread = render_thread(
        post,
        _positive_int(request.GET.get("cpage"), 1),
        comments_open=closed is None,
        order=order,
    )
    if not getattr(request, "rendering_for_page_cache", False):
        # The page cache fills the author's links into every response it serves; a page
        # made for one reader gets them now.
        thread = {**thread, "html": editing.fill_controls_in(request, thread["html"])}
    context = {
        "comment_thread": thread,
        "comment_orders": order_links(post, order),
        # Page links keep the order: "?sort=newest&cpage=2", the spelling the cache keeps.
        "comment_page_query": "" if order == DEFAULT_ORDER else f"sort={order}&",
        "comment_default_order": DEFAULT_ORDER,
        "comments_closed_reason": closed,
        "awaiting_comments": [],
        "reply_to": None,
    }
    awaiting_ids = (
        request.session.get(AWAITING_SESSION_KEY) if hasattr(request, "session") else None
    )
    if awaiting_ids:
        context["awaiting_comments"] = list(
            Comment.objects.filter(
                status__in=AWAITING_STATUSES, post_id=post.pk, pk__in=awaiting_ids
            ).order_by("pk")
        )
        context["editable_ids"] = editing.ids_editable_by(request)
        if context["editable_ids"]:
            request.shows_personal_parts = True
        mailed = set(request.session.get(CONFIRMATION_MAILED_SESSION_KEY, []))
        for comment in context["awaiting_comments"]:
            comment.confirmation_mailed = comment.pk in mailed
    if context["comments_closed_reason"]:
        return context

    reply_to_id = _positive_int(request.GET.get("replytocom"))
    if form is None:
        initial = {"parent": reply_to_id} if reply_to_id else {}
        if getattr(request, "rendering_for_page_cache", False):
            initial["token"] = form_tokens.placeholder(post.pk)
        form = CommentForm(post=post, reader=form_tokens.Reader.of(request), initial=initial)
    parent_id = _positive_int(form["parent"].value())
    if parent_id:
        context["reply_to"] = (
            Comment.objects.approved()
            .filter(pk=parent_id, post_id=post.pk)
            .only("author_name")
            .first()
        )
    context["comment_form"] = form
    # Only a visitor with a session needs (and gets) a CSRF token; see forgery.py.
    context["comment_form_has_csrf_token"] = has_session(request)
    return context
