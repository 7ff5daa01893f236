"""
``GET /api/v3/preview/?token=…``: the draft a front end was sent to preview, in the page
detail's own schema, so a client draws drafts with the code it draws pages with.

Nobody may keep a copy: not the browser, not a shared cache in front (``private,
no-store``), and it is never indexed (``X-Robots-Tag: noindex``).
"""

from django.http import HttpRequest, HttpResponse

from wagtail.api.rich_text import RichTextOutputFormat
from wagtail.api.v3.errors import ProblemDetail, problem_response
from wagtail.api.v3.routers.pages import PageDetailSchema

from ninja import Query, Router

from .preview import PreviewUnavailable, page_for_token

router = Router(tags=["preview"])
NOT_KEPT = "private, no-store"


@router.get(
    "/",
    response={200: PageDetailSchema, 401: ProblemDetail, 404: ProblemDetail},
    url_name="preview_page",
    summary="A draft being previewed",
    description=(
        "The page an editor is previewing, unsaved edits included, for the front end "
        "configured by HEADLESS_PREVIEW_URL. The token comes from that address; it is "
        "good for HEADLESS_PREVIEW_SECONDS (five minutes by default) and for one page "
        "and one version of its content. 401: no token, a forged one or an expired one. "
        "404: the draft or its page is gone."
    ),
    operation_id="preview_detail",
)
def preview_page(
    request: HttpRequest,
    response: HttpResponse,
    token: str | None = None,
    rich_text_format: RichTextOutputFormat | None = Query(None),  # noqa: B008
):
    try:
        page = page_for_token(token)
    except PreviewUnavailable as unavailable:
        refused = problem_response(status=unavailable.status, detail=str(unavailable))
        refused["Cache-Control"] = NOT_KEPT
        refused["X-Robots-Tag"] = "noindex"
        return refused
    response["Cache-Control"] = NOT_KEPT
    response["X-Robots-Tag"] = "noindex"
    return page
