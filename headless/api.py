"""
``GET /api/v3/preview/?token=…``: the draft a front end was sent to preview, in the page
detail's own schema, so a client draws drafts with the code it draws pages with.

Nobody may keep a copy: not the browser, not a shared cache in front (``private,
no-store``), and it is never indexed (``X-Robots-Tag: noindex``).

A page being added has no id yet, so each page type's detail schema is answered here with
a nullable ``id`` (``*DraftSchema`` in the OpenAPI file); every other field is the page
detail's own.
"""

from django.http import HttpRequest, HttpResponse

from wagtail.api.rich_text import RichTextOutputFormat
from wagtail.api.v3.errors import ProblemDetail, problem_response
from wagtail.api.v3.registry import registry
from wagtail.api.v3.schemas.base import build_discriminated_union
from wagtail.api.v3.schemas.pages import SimpleBasePageMetaSchema
from wagtail.models import get_page_models

from ninja import Query, Router
from pydantic import Field

from .preview import PreviewUnavailable, page_for_token

router = Router(tags=["preview"])
NOT_KEPT = "private, no-store"


def draft_name(schema):
    return schema.__name__.removesuffix("Schema") + "DraftSchema"


def detail_url_of_saved_page(obj, context):
    if obj.pk is None:
        return None
    return SimpleBasePageMetaSchema.resolve_detail_url(obj, context)


def draft_schema(read_schema):
    """``read_schema`` (a page type's detail schema) whose ``id`` may be null, and whose
    ``meta.detail_url`` is null rather than an address with no id in it."""
    meta_schema = read_schema.model_fields["meta"].annotation
    draft_meta = type(
        draft_name(meta_schema),
        (meta_schema,),
        {
            "__module__": __name__,
            "__qualname__": draft_name(meta_schema),
            "resolve_detail_url": staticmethod(detail_url_of_saved_page),
        },
    )
    name = draft_name(read_schema)
    return type(
        name,
        (read_schema,),
        {
            "__module__": __name__,
            "__qualname__": name,
            "__annotations__": {"id": int | None, "meta": draft_meta},
            "id": Field(
                description=(
                    "The page's id; null for a page being added, which has none until it "
                    "is first saved (its `meta.detail_url` is null too, and `meta.parent` "
                    "is the page it is being added under)."
                )
            ),
        },
    )


def registered_draft_schema(model):
    registration = registry.get(model._meta.label)
    if registration is None or registration.read_schema is None:
        return None
    return draft_schema(registration.read_schema)


PreviewDetailSchema = build_discriminated_union(get_page_models(), registered_draft_schema)


@router.get(
    "/",
    response={200: PreviewDetailSchema, 401: ProblemDetail, 404: ProblemDetail},
    url_name="preview_page",
    summary="A draft being previewed",
    description=(
        "The page an editor is previewing, unsaved edits included, for the front end "
        "configured by HEADLESS_PREVIEW_URL. The token comes from that address; it is "
        "good for HEADLESS_PREVIEW_SECONDS (five minutes by default) and for one page "
        "and one version of its content. 401: no token, a forged one or an expired one. "
        "404: the draft or its page is gone. A page being added (never saved) is "
        "previewed too: its id and meta.detail_url are null, meta.parent is the page it "
        "is being added under, and meta.html_url the address it will have once published."
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
