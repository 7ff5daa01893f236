"""
Page sizes of the comments list (GET /api/v3/comments/).

A thread is read whole far more often than a listing of pages is, and 100 comments is a
long thread: COMMENTS_API_LIMIT_MAX (100) lets an app read one in a single request, while
the rest of the v3 API keeps WAGTAILAPI_LIMIT_MAX (50). The default page stays Wagtail's 20.
Asking for more than the most is a field error (422 on ``limit``), like any other bad
query value, not Wagtail's bare 400.
"""

from django.conf import settings

from wagtail.api.v3.pagination import WagtailLimitOffsetPagination

from ninja import Field
from ninja.errors import ValidationError


def limit_max():
    return settings.COMMENTS_API_LIMIT_MAX


def limit_too_high_message(most):
    return f"Ask for at most {most} comments a page (limit={most}), then page on with offset."


class CommentPagination(WagtailLimitOffsetPagination):
    class Input(WagtailLimitOffsetPagination.Input):
        # The schema names the default most; the check below reads the setting on each
        # request, so a site that changes it refuses what its own setting says.
        limit: int = Field(
            default=20,
            ge=1,
            description="Comments in this page.",
            json_schema_extra={"maximum": settings.COMMENTS_API_LIMIT_MAX},
        )

    def paginate_queryset(self, queryset, pagination, request, **params):
        most = limit_max()
        if pagination.limit > most:
            raise ValidationError(
                [
                    {
                        "type": "less_than_equal",
                        "loc": ["query", "limit"],
                        "msg": limit_too_high_message(most),
                        "ctx": {"le": most},
                    }
                ]
            )
        # Wagtail's own check reads WAGTAILAPI_LIMIT_MAX, which the comments list does not
        # follow: skip to Ninja's paginator.
        return super(WagtailLimitOffsetPagination, self).paginate_queryset(
            queryset, pagination, request, **params
        )
