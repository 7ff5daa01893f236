"""
The comment service for apps, mounted on Wagtail's v3 NinjaAPI at /api/v3/comments/ so it
shares its OpenAPI schema, its problem+json errors and its bearer tokens.

Readers' side (anonymous, no CSRF cookie): a post's approved comments in thread order,
one comment, the form token, counts for many posts, posting a comment, and reporting
one (``reports.file_report``, the same rules as the report page). Posting goes
through ``submission.submit_comment``, the same path as the reader form, so validation,
sanitizing, duplicate and flood rules have one implementation.

Moderators' side (a Wagtail API token whose user has ``comments.moderate_comment``):
the queue by status, post and a substring search, with readers' open reports on each
comment as the admin shows them, the counts per status (``status_counts``), and
approve/spam/trash/restore/unapprove one or many comments,
through ``moderation.moderate`` so each decision lands in the same audit log as the
admin's.

No response carries a commenter's email or IP address, moderators' included; the ban list
(``bans_api``, under moderation/bans/) shows moderators the values they banned.
"""

import datetime
from typing import Annotated, Literal

from django.conf import settings
from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from wagtail.api.v3.auth import BearerTokenAuth
from wagtail.api.v3.errors import ProblemDetail, problem_response
from wagtail.api.v3.pagination import WagtailLimitOffsetPagination

from ninja import Field, Header, Query, Router, Schema, Status
from ninja.pagination import paginate

from blog.models import BlogPostPage

from . import editing, form_tokens, reports, status_counts, verification
from .addresses import InvalidClientAddress, client_ip
from .api_moderators import MODERATORS_ONLY, require_moderator
from .bans_api import router as bans_router
from .forms import ConfirmationRequestForm
from .limits import CommentRulesUnavailable
from .models import Comment, approved_comment_counts
from .moderation import ModerationError, moderate
from .moderator_search import search_comments
from .pagination import CommentPagination
from .pinning import PinRefused, pin, unpin
from .post_lookup import live_post
from .rules import CommentRefused, DuplicateComment, PostUnavailable
from .sorting import DEFAULT_ORDER, ORDERS
from .submission import NO_SUCH_POST, CommentInvalid, submit_comment
from .threads import ThreadListing

MAX_COUNTED_POSTS = 100
# Ids past the database's integer range are not "not found" to the database but an error.
PostId = Annotated[int, Field(gt=0, le=2**31 - 1)]
CommentId = Annotated[int, Field(gt=0, le=2**63 - 1)]
ModerationAction = Literal["approve", "spam", "trash", "restore", "unapprove", "keep"]
ThreadOrder = Literal[tuple(ORDERS)]
PinAction = Literal["pin", "unpin"]
#: Form field names that differ from the API's.
API_FIELD_NAMES = {"notify_replies": "notify"}

router = Router(tags=["comments"])
moderation_router = Router(tags=["comment moderation"], auth=BearerTokenAuth())


def live_post_or_404(post_id):
    return get_object_or_404(BlogPostPage.objects.live().public(), pk=post_id)


def is_placeholder(comment):
    return getattr(comment, "shown_as_removed", False)


class CommentOut(Schema):
    """A published comment, or a removed one kept as a placeholder because it has
    published replies (``removed`` true; no name or text)."""

    id: int
    post: int = Field(description="Id of the post the comment belongs to.")
    parent: int | None = Field(description="Id of the comment this one replies to.")
    depth: int = Field(description="0 for a comment on the post, 1 for a reply, and so on.")
    author_name: str
    website: str = Field(description="The author's website, or an empty string.")
    html: str = Field(description="The comment, as sanitized HTML safe to insert as is.")
    created_at: datetime.datetime
    edited_at: datetime.datetime | None = Field(
        None, description="When its author last edited it; null if never."
    )
    staff: bool = Field(description="Written by the site's staff.")
    pinned: bool = Field(
        False,
        description="Pinned by a moderator: listed before the other comments in every order.",
    )
    removed: bool = False
    deleted_by_author: bool = Field(
        False, description="A placeholder left because its author deleted it (it has replies)."
    )

    @staticmethod
    def resolve_post(comment):
        return comment.post_id

    @staticmethod
    def resolve_parent(comment):
        return comment.parent_id

    @staticmethod
    def resolve_author_name(comment):
        return "" if is_placeholder(comment) else comment.author_name

    @staticmethod
    def resolve_website(comment):
        return "" if is_placeholder(comment) else comment.author_url

    @staticmethod
    def resolve_html(comment):
        return "" if is_placeholder(comment) else comment.body_html

    @staticmethod
    def resolve_removed(comment):
        return is_placeholder(comment)

    @staticmethod
    def resolve_deleted_by_author(comment):
        return is_placeholder(comment) and comment.deleted_by_author_at is not None

    @staticmethod
    def resolve_staff(comment):
        return comment.is_staff_reply

    @staticmethod
    def resolve_pinned(comment):
        return not is_placeholder(comment) and comment.is_pinned


class OpenReportOut(Schema):
    reason: reports.Reason
    reason_label: str = Field(description="The reason as the admin shows it.")
    note: str = Field(description="The reader's note, plain text; empty if none.")
    created_at: datetime.datetime

    @staticmethod
    def resolve_reason_label(report):
        return report.get_reason_display()


class ModeratedCommentOut(CommentOut):
    status: Comment.Status
    author_confirmed: bool = Field(
        description=(
            "The author proved they control the comment's email (signed in, a confirmed "
            "browser or app, or the link mailed about this comment)."
        )
    )
    reason: str = Field(description="Why the rules (or a moderator) gave the comment its status.")
    body: str = Field(description="The comment as submitted, for moderators.")
    report_count: int = Field(description="Readers' reports no moderator has answered yet.")
    reports: list[OpenReportOut] = Field(
        description="Those open reports, oldest first: why readers reported it."
    )
    hidden_by_reports: bool = Field(
        description=(
            "Readers' reports took it off the post until a moderator decides: `keep` "
            "publishes it again and stops reports from hiding it."
        )
    )
    reports_kept: bool = Field(
        description="A moderator kept it despite earlier reports: new reports do not hide it."
    )

    @staticmethod
    def resolve_reports(comment):
        # The queue prefetches them for its page; one comment reads its own.
        if not hasattr(comment, "open_reports"):
            comment.open_reports = list(comment.reports.open())
        return comment.open_reports

    @staticmethod
    def resolve_report_count(comment):
        return len(ModeratedCommentOut.resolve_reports(comment))

    @staticmethod
    def resolve_hidden_by_reports(comment):
        # Readers can report only approved comments, so a pending one with open reports
        # is one they hid (reports.hide_if_reported_enough).
        return comment.status == Comment.Status.PENDING and bool(
            ModeratedCommentOut.resolve_reports(comment)
        )

    @staticmethod
    def resolve_reports_kept(comment):
        return comment.reports_kept_at is not None


class StatusCounts(Schema):
    pending: int = Field(description="Awaiting a decision; exact.")
    approved: int = Field(description="Published; exact.")
    spam: int = Field(description="Marked as spam; exact.")
    trash: int = Field(description="Moved to the trash; exact.")
    reported: int = Field(description="With open reader reports (approved or hidden); exact.")


class ThreadQuery(Schema):
    page: PostId = Field(description="Id of the post.")


class SortedThreadQuery(ThreadQuery):
    sort: ThreadOrder = Field(
        DEFAULT_ORDER,
        description=(
            "Order of the top-level comments: oldest (first posted first), newest, or "
            "replies (most replies, at every depth, first). Pinned comments come first in "
            "every order; replies always follow their parent in conversation order."
        ),
    )


class CountsQuery(Schema):
    page: list[PostId] = Field(
        min_length=1,
        max_length=MAX_COUNTED_POSTS,
        description="Ids of posts; repeat the parameter (?page=1&page=2).",
    )


class PostCommentCount(Schema):
    page: int
    count: int


class CommentCounts(Schema):
    counts: list[PostCommentCount]


class FormToken(Schema):
    token: str = Field(description="Send back as `token` when posting a comment.")
    min_seconds: int = Field(description="Posting sooner than this after fetching is refused.")
    max_age_seconds: int = Field(
        description="The token expires this long after it was issued: fetch a new one then."
    )


class CommentIn(Schema):
    page: PostId = Field(description="Id of the post.")
    parent: CommentId | None = Field(None, description="Id of an approved comment to reply to.")
    author_name: str = Field(max_length=100)
    author_email: str = Field(max_length=254, description="Never published.")
    author_url: str = Field("", max_length=500)
    body: str = Field(description="Plain text; links and line breaks are kept.")
    notify: bool = Field(
        False,
        description="Email the author when someone replies (once their address is confirmed).",
    )
    token: str = Field(description="From GET /api/v3/comments/form-token/.")
    confirmation: str = Field(
        "",
        max_length=2000,
        description=(
            "The signed value from POST /api/v3/comments/confirmations/confirm/ for this "
            "author_email: without it a known address earns no trust."
        ),
    )


class CommentCreated(Schema):
    id: int
    status: Literal["approved", "pending"] = Field(
        description="approved: visible now; pending: waiting for a moderator."
    )
    edit_secret: str = Field(
        description=(
            "Given once: send it as the Comment-Edit-Secret header to edit or delete this "
            "comment until `editable_until`. Keep it where only this app can read it."
        )
    )
    editable_until: datetime.datetime
    confirmation_sent: bool = Field(
        description=(
            "A link to confirm author_email was mailed: ask the reader to check their mail."
        )
    )


class CommentEdit(Schema):
    body: str = Field(description="The new text; plain text, as when posting.")


class CommentEdited(Schema):
    id: int
    status: Literal["approved", "pending"] = Field(
        description=(
            "approved: visible now; pending: the edit (or the comment before it) waits for "
            "a moderator."
        )
    )
    edited_at: datetime.datetime | None
    html: str = Field(description="The comment as sanitized HTML.")


class CommentDeleted(Schema):
    outcome: Literal["deleted", "tombstone"] = Field(
        description=(
            "deleted: gone; tombstone: it has replies, so readers see “Comment deleted by "
            "its author” in its place."
        )
    )


class ReportIn(Schema):
    reason: reports.Reason = Field(description="Why moderators should look at the comment.")
    note: str = Field(
        "",
        max_length=reports.NOTE_MAX_LENGTH,
        description="Plain text for moderators; required when `reason` is `other`.",
    )


class ReportReceived(Schema):
    comment: int = Field(description="Id of the comment reported.")
    reason: reports.Reason


class ConfirmationRequest(Schema):
    email: str = Field(max_length=254, description="The address to mail a confirmation link to.")


class ConfirmationRequested(Schema):
    detail: str


class ConfirmationUse(Schema):
    token: str = Field(max_length=500, description="The token from the mailed link's URL.")
    confirmation: str = Field(
        "",
        max_length=2000,
        description="The value this app already keeps, if any: the answer adds the new address.",
    )


class Confirmed(Schema):
    confirmation: str = Field(
        description=(
            "Keep it and send it as `confirmation` with this reader's comments; it is good "
            "for `max_age_seconds`."
        )
    )
    max_age_seconds: int


class BulkModeration(Schema):
    ids: list[CommentId] = Field(min_length=1, max_length=500)
    reason: str = Field("", max_length=255)


class ModerationResult(Schema):
    changed: list[int] = Field(description="Ids whose status changed (others already were so).")


class ModerationQuery(Schema):
    status: list[Comment.Status] = Field(
        default_factory=lambda: [Comment.Status.PENDING],
        description="Statuses to list; pending comments come first, newest first within.",
    )
    page: PostId | None = Field(None, description="Only comments on this post.")
    q: str = Field(
        "",
        max_length=200,
        description=(
            "Only comments whose author name, email, text or IP address contains this "
            "(any case): an email domain, part of an address, a phrase."
        ),
    )


PROBLEMS = dict.fromkeys((403, 409, 422, 429, 503), ProblemDetail)

router.add_router("/moderation/", moderation_router)
moderation_router.add_router("/bans/", bans_router)


class CommentsInThreadOrder:
    """``threads.ThreadListing`` as the comments ``CommentOut`` reads, for the limit/offset
    pagination (which takes its ``len()`` and one slice)."""

    def __init__(self, listing):
        self.listing = listing

    def __len__(self):
        return len(self.listing)

    def __getitem__(self, index):
        nodes = self.listing[index]
        for node in nodes:
            node.comment.shown_as_removed = node.removed
        return [node.comment for node in nodes]


@router.get(
    "/",
    response=list[CommentOut],
    url_name="list_comments",
    summary="A post's approved comments, in thread order",
    description=(
        "Approved comments of a published post, pinned conversations first, then each "
        "top-level comment in the order `sort` asks for, each followed by its replies in "
        "conversation order. A removed comment that still has replies stays as a "
        "placeholder without its text. `limit` may ask for up to COMMENTS_API_LIMIT_MAX "
        "(100) comments a page, so a long thread takes one request. 404: no published post "
        "has this id; 422: an unknown `sort`, or a `limit` above the most."
    ),
    operation_id="comments_list",
    openapi_extra={"responses": {404: {"description": "No published post with this id."}}},
)
@paginate(CommentPagination)
def list_comments(request: HttpRequest, query: SortedThreadQuery = Query(...), **kwargs):  # noqa: B008
    post = live_post_or_404(query.page)
    return CommentsInThreadOrder(ThreadListing(post.pk, query.sort))


@router.get(
    "/form-token/",
    response={200: FormToken, 404: ProblemDetail, 429: ProblemDetail, 503: ProblemDetail},
    url_name="comment_form_token",
    summary="A token to post a comment with",
    description=(
        "A token is good for one comment, from the address and browser (User-Agent) that "
        "fetched it, for `max_age_seconds`. 429: this address has fetched "
        "COMMENTS_FORM_TOKENS_PER_MINUTE tokens this minute; see Retry-After. 503: the "
        "comment rules' store is down, see Retry-After."
    ),
    operation_id="comments_form_token",
)
def form_token(request: HttpRequest, response: HttpResponse, query: ThreadQuery = Query(...)):  # noqa: B008
    post = live_post_or_404(query.page)
    # The token records when it was issued; a cached copy would defeat the timing check.
    response["Cache-Control"] = "no-store"
    reader = form_tokens.Reader.of(request)
    try:
        retry_after = form_tokens.too_many_requests(reader)
    except CommentRulesUnavailable as unavailable:
        refused = problem_response(status=503, detail=unavailable.message)
        refused["Retry-After"] = str(unavailable.retry_after)
        refused["Cache-Control"] = "no-store"
        return refused
    if retry_after:
        refused = problem_response(
            status=429,
            detail=f"Too many form tokens from this address. Try again in {retry_after} seconds.",
        )
        refused["Retry-After"] = str(retry_after)
        refused["Cache-Control"] = "no-store"
        return refused
    return {
        "token": form_tokens.issue(post.pk, reader),
        "min_seconds": settings.COMMENTS_MIN_SECONDS_TO_POST,
        "max_age_seconds": settings.COMMENTS_FORM_MAX_AGE,
    }


@router.get(
    "/counts/",
    response=CommentCounts,
    url_name="comment_counts",
    summary="Approved comment counts for many posts",
    description=(
        "Approved comments per published post, for listings. Ids that name no published "
        "post are left out rather than refused."
    ),
    operation_id="comments_counts",
)
def comment_counts(request: HttpRequest, query: CountsQuery = Query(...)):  # noqa: B008
    post_ids = list(dict.fromkeys(query.page))
    live = set(
        BlogPostPage.objects.live().public().filter(pk__in=post_ids).values_list("pk", flat=True)
    )
    counts = approved_comment_counts([post_id for post_id in post_ids if post_id in live])
    return {"counts": [{"page": post_id, "count": counts.get(post_id, 0)} for post_id in post_ids]}


@router.get(
    "/{int:comment_id}/",
    response={200: CommentOut, 404: ProblemDetail},
    url_name="detail_comment",
    summary="One approved comment",
    description="404: no approved comment on a published post has this id.",
    operation_id="comments_detail",
)
def get_comment(request: HttpRequest, comment_id: CommentId):
    live_posts = BlogPostPage.objects.live().public().values("pk")
    return get_object_or_404(Comment.objects.approved(), pk=comment_id, post__in=live_posts)


def form_errors(form):
    return [
        {
            "loc": ["body", API_FIELD_NAMES.get(field, field)] if field != "__all__" else ["body"],
            "msg": error["message"],
            "type": error["code"] or "invalid",
        }
        for field, errors in form.errors.get_json_data().items()
        for error in errors
    ]


def refusal(status, message, retry_after=None):
    """A refused request as a problem, with ``Retry-After`` when waiting will help (429,
    503): one spelling for every endpoint a reader posts to."""
    response = problem_response(status=status, detail=message)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def no_such_post():
    return problem_response(
        status=422,
        detail="The comment has errors.",
        errors=[{"loc": ["body", "page"], "msg": NO_SUCH_POST}],
    )


@router.post(
    "/",
    response={201: CommentCreated, **PROBLEMS},
    url_name="create_comment",
    summary="Post a comment",
    description=(
        "Same rules as the reader form. 422: field errors; 403: comments are closed; "
        "409: the same comment was already posted; 429: too fast, see Retry-After; 503: the "
        "comment rules cannot be checked now (their store is down), see Retry-After."
    ),
    operation_id="comments_create",
)
def create_comment(request: HttpRequest, data: CommentIn):
    post = live_post(data.page)
    if post is None:
        return no_such_post()
    form_data = {
        "author_name": data.author_name,
        "author_email": data.author_email,
        "author_url": data.author_url,
        "body": data.body,
        "notify_replies": data.notify,
        "parent": data.parent or "",
        "token": data.token,
    }
    try:
        comment = submit_comment(
            post,
            form_data,
            ip_address=client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
            proof=data.confirmation,
        )
    except CommentInvalid as invalid:
        return problem_response(
            status=422, detail="The comment has errors.", errors=form_errors(invalid.form)
        )
    except PostUnavailable:
        return no_such_post()
    except (CommentRefused, CommentRulesUnavailable, InvalidClientAddress) as refused:
        return refusal(refused.status_code, refused.message, refused.retry_after)
    return Status(
        201,
        {
            "id": comment.pk,
            "status": public_status(comment),
            "edit_secret": comment.edit_secret,
            "editable_until": editing.editable_until(comment),
            "confirmation_sent": comment.confirmation_sent,
        },
    )


def public_status(comment):
    """A comment the bot traps (or an edit) sent to spam is reported as pending: bots
    learn nothing."""
    return "approved" if comment.status == Comment.Status.APPROVED else "pending"


EditSecret = Header(
    None,
    alias=editing.SECRET_HEADER,
    description="The `edit_secret` the comment's creation answered with.",
)
EDIT_PROBLEMS = dict.fromkeys((403, 404, 409, 422), ProblemDetail)


def edit_refused(refused):
    return problem_response(status=refused.status_code, detail=refused.message)


@router.patch(
    "/{int:comment_id}/",
    response={200: CommentEdited, **EDIT_PROBLEMS},
    url_name="edit_comment",
    summary="Edit a comment, as its author",
    description=(
        "Within COMMENTS_EDIT_WINDOW of posting, with the comment's `edit_secret` in the "
        "Comment-Edit-Secret header. The new text is sanitized and judged by the rules "
        "again: an approved comment that gains links or hold words goes back to pending. "
        "403: wrong or missing secret, or the window has passed; 404: no such comment; "
        "409: someone replied, a moderator acted, or the new text duplicates a comment "
        "already posted; 422: field errors."
    ),
    operation_id="comments_edit",
)
def edit_comment(
    request: HttpRequest,
    comment_id: CommentId,
    data: CommentEdit,
    secret: str | None = EditSecret,
):
    try:
        comment = editing.edit_comment(comment_id, secret or "", {"body": data.body})
    except editing.EditRefused as refused:
        return edit_refused(refused)
    except editing.EditInvalid as invalid:
        return problem_response(
            status=422, detail="The comment has errors.", errors=form_errors(invalid.form)
        )
    except DuplicateComment as duplicate:
        return problem_response(
            status=409,
            detail=duplicate.message,
            errors=[{"loc": ["body", "body"], "msg": duplicate.message, "type": duplicate.code}],
        )
    return {
        "id": comment.pk,
        "status": public_status(comment),
        "edited_at": comment.edited_at,
        "html": comment.body_html,
    }


@router.delete(
    "/{int:comment_id}/",
    response={200: CommentDeleted, 403: ProblemDetail, 404: ProblemDetail, 409: ProblemDetail},
    url_name="delete_comment",
    summary="Delete a comment, as its author",
    description=(
        "Within COMMENTS_EDIT_WINDOW of posting, with the comment's `edit_secret` in the "
        "Comment-Edit-Secret header. 403: wrong or missing secret, or the window has "
        "passed; 404: no such comment; 409: someone replied or a moderator acted."
    ),
    operation_id="comments_delete",
)
def delete_comment(request: HttpRequest, comment_id: CommentId, secret: str | None = EditSecret):
    try:
        outcome = editing.delete_comment(comment_id, secret or "")
    except editing.EditRefused as refused:
        return edit_refused(refused)
    return {"outcome": outcome}


@router.post(
    "/{int:comment_id}/reports/",
    response={201: ReportReceived, 400: ProblemDetail, 404: ProblemDetail, **PROBLEMS},
    url_name="report_comment",
    summary="Report a comment to the moderators",
    description=(
        "One report per reader (the address, an IPv6 /64, or the browser's reporter "
        "cookie) per comment. Enough reports hide the comment until a moderator decides; "
        "the answer never says how many there are. 404: no approved comment on a "
        "published post has this id; 409: this reader already reported it; 422: field "
        "errors (a note is required for `other`); 429: too many reports from this "
        "address, see Retry-After; 503: the comment rules' store is down, see Retry-After."
    ),
    operation_id="comments_report",
)
def report_comment(
    request: HttpRequest, response: HttpResponse, comment_id: CommentId, data: ReportIn
):
    comment = reports.reportable_comment(comment_id)
    if comment is None:
        return problem_response(status=404, detail=reports.NOT_REPORTABLE)
    form = reports.ReportForm({"reason": data.reason, "note": data.note})
    if not form.is_valid():
        return problem_response(
            status=422, detail="The report has errors.", errors=form_errors(form)
        )
    browser_id = reports.browser_id(request)
    try:
        reporter = reports.Reporter.of(request, browser_id=browser_id)
        reports.file_report(
            comment, reporter, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"]
        )
    except (reports.ReportRefused, CommentRulesUnavailable, InvalidClientAddress) as refused:
        return refusal(refused.status_code, refused.message, refused.retry_after)
    reports.remember_browser(response, browser_id)
    return Status(201, {"comment": comment.pk, "reason": form.cleaned_data["reason"]})


@router.post(
    "/confirmations/",
    response={202: ConfirmationRequested, **PROBLEMS},
    url_name="request_confirmation",
    summary="Mail a link to confirm an email address",
    description=(
        "Mails a confirmation link to `email`, at most once per "
        "COMMENTS_CONFIRMATION_RESEND_SECONDS per address. The answer is the same whether "
        "a link went or not. 422: not an email address; 429: this network asked too often, "
        "see Retry-After; 503: the comment rules' store is down, see Retry-After."
    ),
    operation_id="comments_request_confirmation",
)
def request_confirmation(request: HttpRequest, data: ConfirmationRequest):
    form = ConfirmationRequestForm({"email": data.email})
    if not form.is_valid():
        return problem_response(
            status=422, detail="The request has errors.", errors=form_errors(form)
        )
    try:
        verification.request_confirmation(form.cleaned_data["email"], client_ip(request))
    except verification.TooManyRequests as refused:
        return refusal(429, refused.message, refused.retry_after)
    except (CommentRulesUnavailable, InvalidClientAddress) as refused:
        return refusal(refused.status_code, refused.message, refused.retry_after)
    return Status(202, {"detail": "If this address can receive email, a link is on its way."})


@router.post(
    "/confirmations/confirm/",
    response={200: Confirmed, 400: ProblemDetail, 410: ProblemDetail},
    url_name="confirm_email",
    summary="Confirm an email address with the mailed link's token",
    description=(
        "For an app that opens the mailed link itself: confirms once, and answers the "
        "signed value to send as `confirmation` with this reader's comments. 400: the "
        "token is not valid; 410: it expired or was already used."
    ),
    operation_id="comments_confirm_email",
)
def confirm_email(request: HttpRequest, data: ConfirmationUse):
    try:
        confirmation = verification.confirm(data.token)
    except verification.LinkRefused as refused:
        return problem_response(status=refused.status_code, detail=refused.message)
    return {
        "confirmation": verification.proof_adding(data.confirmation, confirmation),
        "max_age_seconds": settings.COMMENTS_CONFIRMED_PROOF_MAX_AGE,
    }


@moderation_router.get(
    "/",
    response=list[ModeratedCommentOut],
    url_name="moderation_queue",
    summary="Comments by status, for moderators",
    description=(
        "With the token of a user who may moderate comments: comments with the statuses "
        "asked for, optionally of one post. 403: the token's user may not moderate."
    ),
    operation_id="comments_moderation_list",
    openapi_extra=MODERATORS_ONLY,
)
@paginate(WagtailLimitOffsetPagination)
def moderation_queue(request: HttpRequest, query: ModerationQuery = Query(...), **kwargs):  # noqa: B008
    require_moderator(request)
    comments = Comment.objects.filter(status__in=query.status).prefetch_related(
        Prefetch("reports", queryset=reports.CommentReport.objects.open(), to_attr="open_reports")
    )
    if query.page:
        comments = comments.filter(post_id=query.page)
    comments = search_comments(comments, query.q)
    newest_first = ["-created_at", "-pk"]
    if len(set(query.status)) == 1:
        # As in the admin's queue: with one status the rank is the same for every row, and
        # without it PostgreSQL reads the newest from an index instead of sorting them all.
        return comments.order_by(*newest_first)
    pending_first = [Comment.Status.PENDING, *(s for s in Comment.Status if s != "pending")]
    order = Case(
        *(When(status=status, then=Value(rank)) for rank, status in enumerate(pending_first)),
        output_field=IntegerField(),
    )
    return comments.order_by(order, *newest_first)


@moderation_router.get(
    "/counts/",
    response=StatusCounts,
    url_name="moderation_counts",
    summary="How many comments each status holds, for moderators",
    description=(
        "Every count is exact as of the last committed change, the same numbers the admin's "
        "queue, menu and dashboard show: the database keeps each status's count as comments "
        "are stored, moderated and deleted. 403: the token's user may not moderate."
    ),
    operation_id="comments_moderation_counts",
    openapi_extra={"responses": {403: {"description": "This user may not moderate comments."}}},
)
def moderation_counts(request: HttpRequest):
    require_moderator(request)
    return {**status_counts.status_counts(), "reported": status_counts.reported_count()}


@moderation_router.post(
    "/actions/{action}/",
    response={200: ModerationResult, 403: ProblemDetail, 422: ProblemDetail},
    url_name="moderate_comments",
    summary="Moderate many comments at once",
    description=(
        "Applies `action` to each comment in `ids`; `changed` lists those whose status "
        "changed. 403: the token's user may not moderate; 422: the action cannot be "
        "applied (the detail says why)."
    ),
    operation_id="comments_moderate_bulk",
)
def moderate_many(request: HttpRequest, action: ModerationAction, data: BulkModeration):
    require_moderator(request)
    try:
        changed = moderate(data.ids, action, request.user, reason=data.reason)
    except ModerationError as error:
        return problem_response(status=422, detail=str(error))
    return {"changed": sorted(comment.pk for comment in changed)}


@moderation_router.post(
    "/{int:comment_id}/actions/{action}/",
    response={200: ModeratedCommentOut, 403: ProblemDetail, 404: ProblemDetail, 422: ProblemDetail},
    url_name="moderate_comment",
    summary="Moderate one comment",
    description=(
        "Applies `action` to one comment and returns it as moderators see it. 403: the "
        "token's user may not moderate; 404: no comment has this id; 422: the action "
        "cannot be applied (the detail says why)."
    ),
    operation_id="comments_moderate",
)
def moderate_one(request: HttpRequest, comment_id: CommentId, action: ModerationAction):
    require_moderator(request)
    comment = get_object_or_404(Comment, pk=comment_id)
    try:
        moderate([comment.pk], action, request.user)
    except ModerationError as error:
        return problem_response(status=422, detail=str(error))
    comment.refresh_from_db()
    return comment


@moderation_router.post(
    "/{int:comment_id}/{action}/",
    response={200: ModeratedCommentOut, 403: ProblemDetail, 404: ProblemDetail, 422: ProblemDetail},
    url_name="pin_comment",
    summary="Pin or unpin a comment",
    description=(
        "pin: puts an approved top-level comment, with its replies, at the top of its "
        "thread; unpin: puts it back in its place. Doing either twice changes nothing. "
        "403: the token's user may not moderate; 404: no comment has this id; 422: the "
        "comment is a reply or not approved, or its post already has "
        "COMMENTS_MAX_PINNED_PER_POST pinned comments (the detail says which)."
    ),
    operation_id="comments_pin",
)
def pin_one(request: HttpRequest, comment_id: CommentId, action: PinAction):
    require_moderator(request)
    comment = get_object_or_404(Comment, pk=comment_id)
    try:
        return (pin if action == "pin" else unpin)(comment.pk, request.user)
    except PinRefused as refused:
        return problem_response(status=422, detail=str(refused))
