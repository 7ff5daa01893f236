"""
The ban list for moderators' apps: /api/v3/comments/moderation/bans/ (list, create,
lift), behind the moderation router's bearer tokens, "Can moderate comments" and the
ban permissions of the token's user (``bans.may_manage_bans``, as in the admin).

These are the only API answers that carry an email or an IP address: the banned value
is what a moderator manages here. No public endpoint says anything about bans; a banned
reader's comment is answered "pending" like any held one.
"""

import datetime
from typing import Annotated, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone

from wagtail.api.v3.errors import ProblemDetail, problem_response
from wagtail.api.v3.pagination import WagtailLimitOffsetPagination

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from .api_moderators import MODERATORS_ONLY, require_moderator
from .bans import (
    MAX_BAN_DAYS,
    Ban,
    BanConflict,
    BanError,
    create_ban,
    lift_ban,
    may_manage_bans,
)
from .models import Comment

BanId = Annotated[int, Field(gt=0, le=2**63 - 1)]
BanState = Literal["active", "expired", "lifted"]

router = Router(tags=["comment moderation"])


class BanOut(Schema):
    id: int
    kind: Ban.Kind
    value: str = Field(description="The banned email, IP address or network, canonical.")
    reason: str
    state: BanState
    created_at: datetime.datetime
    expires_at: datetime.datetime | None = Field(description="null: for good.")
    lifted_at: datetime.datetime | None
    comment: int | None = Field(description="Id of the comment the ban was made from.")

    @staticmethod
    def resolve_comment(ban):
        return ban.comment_id


class BanIn(Schema):
    kind: Ban.Kind
    value: str = Field(
        "",
        max_length=254,
        description=(
            "An email, an IP address, or a network as 192.0.2.0/24 or 2001:db8::/64 (or one "
            "address in it). Leave empty with `comment` to ban that comment's author."
        ),
    )
    comment: Annotated[int, Field(gt=0, le=2**63 - 1)] | None = Field(
        None, description="Id of the comment whose author is banned."
    )
    days: int | None = Field(
        None, ge=1, le=MAX_BAN_DAYS, description="How long the ban lasts; null: for good."
    )
    reason: str = Field(min_length=1, max_length=255)


class BanQuery(Schema):
    state: BanState | Literal["all"] = Field("active", description="Which bans to list.")


#: What a moderator without the ban permission for an action is told.
BAN_REFUSALS = {
    "view": "This token's user may not view bans.",
    "add": "This token's user may not ban.",
    "lift": "This token's user may not lift bans.",
}


def require_ban_permission(request, action):
    require_moderator(request)
    if not may_manage_bans(request.user, action):
        raise PermissionDenied(BAN_REFUSALS[action])


def ban_problem(error):
    status = 409 if isinstance(error, BanConflict) else 422
    errors = [{"loc": ["body", error.field], "msg": error.message}] if error.field else None
    return problem_response(status=status, detail=error.message, errors=errors)


@router.get(
    "/",
    response=list[BanOut],
    url_name="comment_bans",
    summary="Bans, for moderators",
    description=(
        "Bans on emails, IP addresses and networks, newest first; active ones by default. "
        "403: the token's user may not moderate, or not view bans."
    ),
    operation_id="comments_bans_list",
    openapi_extra=MODERATORS_ONLY,
)
@paginate(WagtailLimitOffsetPagination)
def list_bans(request: HttpRequest, query: BanQuery = Query(...), **kwargs):  # noqa: B008
    require_ban_permission(request, "view")
    now = timezone.now()
    bans = {
        "active": Ban.objects.active(now),
        "expired": Ban.objects.expired(now),
        "lifted": Ban.objects.lifted(),
        "all": Ban.objects.all(),
    }[query.state]
    return bans.order_by("-created_at", "-pk")


@router.post(
    "/",
    response={
        201: BanOut,
        403: ProblemDetail,
        404: ProblemDetail,
        409: ProblemDetail,
        422: ProblemDetail,
    },
    url_name="create_comment_ban",
    summary="Ban an email, an IP address or a network",
    description=(
        "New comments from a banned author go to spam; the author is told, as for any held "
        "comment, that theirs awaits moderation. 403: the token's user may not moderate or "
        "not ban; 404: no comment has the id in `comment`; 409: already banned (lift that "
        "ban first); 422: the value cannot be banned as this kind (the detail says why)."
    ),
    operation_id="comments_bans_create",
)
def create(request: HttpRequest, data: BanIn):
    require_ban_permission(request, "add")
    comment = get_object_or_404(Comment, pk=data.comment) if data.comment else None
    try:
        ban = create_ban(
            data.kind,
            value=data.value,
            comment=comment,
            days=data.days,
            reason=data.reason,
            user=request.user,
        )
    except BanError as error:
        return ban_problem(error)
    return Status(201, ban)


@router.post(
    "/{int:ban_id}/lift/",
    response={200: BanOut, 403: ProblemDetail, 404: ProblemDetail, 409: ProblemDetail},
    url_name="lift_comment_ban",
    summary="Lift a ban",
    description=(
        "Ends an active ban now; it stays in the list as lifted. 403: the token's user may "
        "not moderate or not lift bans; 404: no ban has this id; 409: the ban has already "
        "expired or been lifted."
    ),
    operation_id="comments_bans_lift",
)
def lift(request: HttpRequest, ban_id: BanId):
    require_ban_permission(request, "lift")
    ban = get_object_or_404(Ban, pk=ban_id)
    try:
        return lift_ban(ban, user=request.user)
    except BanError as error:
        return ban_problem(error)
