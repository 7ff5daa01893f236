"""
What readers post to: the comment form's target, the unsubscribe link, the report page
and the email confirmation pages.

Both answer in plain HTML and work without JavaScript. A refused or invalid comment
re-renders the post with the reader's text kept and the reason shown, with a status
code that says what happened (400 field errors, 403 closed or sent from another site,
409 duplicate, 429 flood, 503 when the comment rules' store does not answer).
"""

from urllib.parse import urlencode

from django.conf import settings
from django.forms.utils import ErrorDict
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from . import editing, form_tokens, reports, verification
from .addresses import InvalidClientAddress, client_ip
from .forgery import forgery_protected, has_session
from .forms import CommentForm, ConfirmationRequestForm
from .limits import CommentRulesUnavailable
from .models import Comment
from .post_lookup import live_post
from .rules import CommentRefused, PostUnavailable
from .section import show_awaiting_to_author
from .submission import NO_SUCH_POST, CommentInvalid, submit_comment
from .threads import comment_url

REMEMBER_COOKIE = "comment_author"
JUST_POSTED_COOKIE = "comment_posted"
JUST_POSTED_SECONDS = 30
REMEMBER_SECONDS = 60 * 60 * 24 * 365


@csrf_exempt
@require_POST
@forgery_protected
def post_comment(request, post_id):
    post = live_post(post_id)
    if post is None:
        raise Http404(NO_SUCH_POST)
    try:
        comment = submit_comment(
            post,
            request.POST,
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            user=request.user,
            proof=request.COOKIES.get(verification.CONFIRMED_COOKIE, ""),
        )
    except CommentInvalid as invalid:
        return render_post_with_form(request, post, invalid.form, status=400)
    except PostUnavailable as gone:
        raise Http404(gone.message) from gone
    except CommentRulesUnavailable as unavailable:
        response = render_post_with_form(
            request, post, form_kept_unchecked(request, post, unavailable.message), status=503
        )
        response["Retry-After"] = str(unavailable.retry_after)
        return response
    except (CommentRefused, InvalidClientAddress) as refused:
        form = CommentForm(request.POST, post=post, reader=form_tokens.Reader.of(request))
        form.is_valid()
        form.add_error(None, refused.message)
        response = render_post_with_form(request, post, form, status=refused.status_code)
        if refused.retry_after:
            response["Retry-After"] = str(refused.retry_after)
        return response

    if comment.status != Comment.Status.APPROVED:
        show_awaiting_to_author(request, comment)
    response = redirect(comment_url(post, comment))
    response.status_code = 303
    remember_author(response, request.POST, comment)
    editing.remember_in_browser(response, request, comment)
    # A shared cache in front keeps pages for a second; the author's next few page views
    # skip it, so their comment shows at once (deploy/nginx.conf).
    response.set_cookie(
        JUST_POSTED_COOKIE,
        "1",
        max_age=JUST_POSTED_SECONDS,
        httponly=True,
        secure=settings.COMMENTS_COOKIE_SECURE,
        samesite="Lax",
    )
    return response


def remember_author(response, data, comment):
    """The opt-in cookie the form's script (static/js/comments.js) reads to fill in name,
    email and website: so not HttpOnly, and holding those fields and nothing else. It
    keeps an email for a year, so under HTTPS it is Secure (COMMENTS_COOKIE_SECURE), and
    so is the answer that forgets it (Django's ``delete_cookie`` cannot set Secure)."""
    if data.get("remember"):
        fields = {
            "name": comment.author_name,
            "email": comment.author_email,
            "url": comment.author_url,
        }
        value = urlencode({key: text for key, text in fields.items() if text})
        max_age = REMEMBER_SECONDS
    else:
        value, max_age = "", 0
    response.set_cookie(
        REMEMBER_COOKIE,
        value,
        max_age=max_age,
        secure=settings.COMMENTS_COOKIE_SECURE,
        samesite="Lax",
    )


def form_kept_unchecked(request, post, message):
    """The reader's text with ``message``, not validated again: validating asks the comment
    rules' store, which is what did not answer."""
    form = CommentForm(request.POST, post=post, reader=form_tokens.Reader.of(request))
    form.cleaned_data = {}
    form._errors = ErrorDict()
    form.add_error(None, message)
    return form


def render_post_with_form(request, post, form, status):
    context = post.get_context(request, comment_form=form)
    return TemplateResponse(request, post.get_template(request), context, status=status)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """GET asks for confirmation (link scanners must not unsubscribe anyone); POST does it,
    including the one-click POST that mail clients send for List-Unsubscribe-Post.

    Exempt from CSRF: a mail client's one-click POST cannot carry a token, and the secret
    in the URL already proves the request comes from the email we sent."""
    comment = get_object_or_404(Comment.objects.select_related("post"), unsubscribe_token=token)
    if request.method == "POST":
        scope = Comment.objects.filter(pk=comment.pk)
        if request.POST.get("scope") == "all":
            scope = Comment.objects.by_email(comment.author_email)
        scope.update(notify_replies=False)
        return TemplateResponse(
            request, "blog/comments/unsubscribed.html", {"comment": comment, "post": comment.post}
        )
    if not comment.notify_replies:
        return TemplateResponse(
            request, "blog/comments/unsubscribed.html", {"comment": comment, "post": comment.post}
        )
    return TemplateResponse(
        request, "blog/comments/unsubscribe.html", {"comment": comment, "post": comment.post}
    )


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def report_comment(request, comment_id):
    """A reader's report on an approved comment (``blog.comments.reports``): GET shows the
    reasons, POST files the report. Works without script. The POST has the comment form's
    defence (``forgery_protected``): Django's CSRF check with a session, the cross-site
    check without one; the GET is a link anyone may follow, from anywhere."""
    comment = reports.reportable_comment(comment_id)
    if comment is None:
        raise Http404(reports.NOT_REPORTABLE)
    if request.method == "POST":
        return send_report(request, comment)
    return render_report_page(request, comment, reports.ReportForm())


@forgery_protected
def send_report(request, comment):
    form = reports.ReportForm(request.POST)
    if not form.is_valid():
        return render_report_page(request, comment, form, status=400)
    browser_id = reports.browser_id(request)
    # With a session the CSRF check has passed, so the report is the account's own.
    user = request.user if has_session(request) else None
    try:
        reporter = reports.Reporter.of(request, browser_id=browser_id, user=user)
        reports.file_report(
            comment,
            reporter,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
    except (reports.ReportRefused, CommentRulesUnavailable, InvalidClientAddress) as refused:
        form.add_error(None, refused.message)
        response = render_report_page(request, comment, form, status=refused.status_code)
        if refused.retry_after:
            response["Retry-After"] = str(refused.retry_after)
    else:
        response = render_report_page(request, comment, None, sent=True)
    reports.remember_browser(response, browser_id)
    return response


def render_report_page(request, comment, form, *, status=200, sent=False):
    context = {
        "comment": comment,
        "post": comment.post,
        "form": form,
        "sent": sent,
        "with_csrf_token": has_session(request),
    }
    return TemplateResponse(request, "blog/comments/report.html", context, status=status)


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def confirm_email(request, token):
    """The link mailed to confirm an address. GET only asks (mail scanners follow links);
    the POST confirms and leaves the browser the signed "confirmed as" cookie. A forged,
    expired or used link gets its reason and the form to ask for a new one."""
    try:
        if request.method == "POST":
            confirmation = verification.confirm(token)
        else:
            confirmation = verification.unused_confirmation(token)
    except verification.LinkRefused as refused:
        return TemplateResponse(
            request,
            "blog/comments/confirm_email.html",
            {
                "refusal": refused.message,
                "request_form": ConfirmationRequestForm(),
                "lifetime": verification.lifetime_label(),
            },
            status=refused.status_code,
        )
    comment = confirmation.comment
    context = {"comment": comment, "post": comment.post if comment else None}
    if request.method == "GET":
        return TemplateResponse(request, "blog/comments/confirm_email.html", context)
    response = TemplateResponse(request, "blog/comments/email_confirmed.html", context)
    proof = request.COOKIES.get(verification.CONFIRMED_COOKIE, "")
    verification.set_proof_cookie(response, verification.proof_adding(proof, confirmation))
    return response


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def request_confirmation(request):
    """A reader asks for a confirmation link (say, in a new browser). The answer is the
    same whether a link went or not: it must not tell who was mailed lately."""
    form = ConfirmationRequestForm(request.POST if request.method == "POST" else None)
    context = {"request_form": form, "lifetime": verification.lifetime_label()}
    status = 200
    if form.is_valid():
        try:
            verification.request_confirmation(form.cleaned_data["email"], client_ip(request))
        except verification.TooManyRequests as refused:
            form.add_error(None, refused.message)
            response = TemplateResponse(
                request, "blog/comments/request_confirmation.html", context, status=429
            )
            response["Retry-After"] = str(refused.retry_after)
            return response
        except (CommentRulesUnavailable, InvalidClientAddress) as unavailable:
            form.add_error(None, unavailable.message)
            status = getattr(unavailable, "status_code", 503)
        else:
            context["requested"] = True
    elif form.is_bound:
        status = 400
    return TemplateResponse(
        request, "blog/comments/request_confirmation.html", context, status=status
    )
