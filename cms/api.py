"""
The headless API's wiring: which endpoints exist under /api/v2/ and /api/v3/.

v2 is Wagtail's REST framework API (pages, images, documents). v3 is Wagtail 8's
Django Ninja API; our own routers are added to the same NinjaAPI instance, so they share
its OpenAPI schema (/api/v3/openapi.json, docs at /api/v3/docs/), its problem+json
errors and its bearer tokens.
"""

from django.urls import include, path

from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v3.errors import problem_response
from wagtail.api.v3.urls import api as api_v3
from wagtail.documents.api.v2.views import DocumentsAPIViewSet

from blog.api import ArticleImagesAPIViewSet, BlogPagesAPIViewSet, posts_router
from blog.comments.api import router as comments_router
from cms.api_json import CompactJSON


class CompactDocumentsAPIViewSet(CompactJSON, DocumentsAPIViewSet):
    pass


api_v2 = WagtailAPIRouter("wagtailapi_v2")
api_v2.register_endpoint("pages", BlogPagesAPIViewSet)
api_v2.register_endpoint("images", ArticleImagesAPIViewSet)
api_v2.register_endpoint("documents", CompactDocumentsAPIViewSet)

api_v3.title = "Evidence Notes API"
api_v3.description = (
    "Posts, their structured bodies (study cards, numbered mechanisms, credited images) "
    "and Wagtail's pages API. Anonymous GETs carry an ETag and Cache-Control; errors are "
    "application/problem+json."
)


def document_optional_auth(build_schema):
    """Wagtail marks public endpoints with an ``AllowAnonymous`` security scheme that has no
    HTTP scheme, which is not valid OpenAPI. OpenAPI says "a token is optional" with an
    empty security requirement, so the served schema says that instead."""

    def build(*args, **kwargs):
        schema = build_schema(*args, **kwargs)
        schema.get("components", {}).get("securitySchemes", {}).pop("AllowAnonymous", None)
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                if isinstance(operation, dict) and "security" in operation:
                    operation["security"] = [
                        {} if "AllowAnonymous" in requirement else requirement
                        for requirement in operation["security"]
                    ]
        return schema

    return build


PROBLEM_JSON = "application/problem+json"
PROBLEM_SCHEMA = {"$ref": "#/components/schemas/ProblemDetail"}


def problem(description):
    return {"description": description, "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}}


def document_problems_and_servers(build_schema):
    """Every error of this API is ``application/problem+json`` (Wagtail's handlers and ours
    all answer through ``problem_response``), but Django Ninja documents an error response
    as ``application/json``, or with no body when only a description was given. Any
    operation also answers 422 when its parameters or body fail validation, and 401 when it
    requires a token that is missing. Generated clients type errors from what is written
    here, so the served schema says all of that, and names the server: the paths are
    absolute from the root of the site that serves this document."""

    def build(*args, **kwargs):
        schema = build_schema(*args, **kwargs)
        schema["servers"] = [{"url": "/", "description": "The site serving this document"}]
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                if isinstance(operation, dict) and "responses" in operation:
                    document_problems(operation)
        return schema

    return build


def document_problems(operation):
    # Django Ninja keys responses by int, JSON by string: one key per status either way.
    responses = operation["responses"] = {str(k): v for k, v in operation["responses"].items()}
    if operation.get("parameters") or operation.get("requestBody"):
        responses.setdefault(
            "422", problem("A parameter or the body failed validation; `errors` says where.")
        )
    security = operation.get("security")
    if security and {} not in security:
        responses.setdefault("401", problem("No valid API token was given."))
    for status, response in responses.items():
        if not status.startswith(("4", "5")):
            continue
        content = response.setdefault("content", {})
        schema = content.pop("application/json", {}).get("schema", PROBLEM_SCHEMA)
        content.setdefault(PROBLEM_JSON, {"schema": schema})


api_v3.get_openapi_schema = document_problems_and_servers(
    document_optional_auth(api_v3.get_openapi_schema)
)


def id_beyond_the_database(request, error):
    """An id larger than any the database can hold names nothing. Wagtail's page
    endpoints hand path ids to the database unchecked, and SQLite refuses such a number
    with an OverflowError (PostgreSQL simply finds no row): a 404, not a 500."""
    return problem_response(status=404, detail="Not found: no object has this id.")


api_v3.add_exception_handler(OverflowError, id_beyond_the_database)
api_v3.add_router("/posts/", posts_router)
api_v3.add_router("/comments/", comments_router)
api_v3.add_router("/preview/", "headless.api.router")


def grouped_by_first_segment(urls):
    """Django Ninja's URLs (``api.urls``) with the routes that share a first path segment
    under one ``include`` of that segment.

    Ninja lists every v3 route flat, about eighty, and Django tries them in turn: a
    comment POST, past Wagtail's pages, sites, redirects, snippets, documents and images,
    was matched after 56 failed tries, 5% of its CPU. Grouped, a request tries one prefix
    per group, then its own group's routes in their order. Names, namespaces and the
    full route Django reports stay the same. Routes whose first segment is a parameter
    could match any segment, so with one of those the order is left alone.
    """
    patterns, app_name, namespace = urls
    routes = [str(pattern.pattern) for pattern in patterns]
    if any(route.split("/", 1)[0].startswith("<") for route in routes):
        return urls
    groups = {}
    for pattern, route in zip(patterns, routes, strict=True):
        segment, slash, rest = route.partition("/")
        key = segment + slash if slash else route
        groups.setdefault(key, []).append((pattern, rest if slash else None))
    grouped = []
    for key, members in groups.items():
        if len(members) == 1 or members[0][1] is None:
            grouped.extend(pattern for pattern, _ in members)
            continue
        inner = [
            path(rest, pattern.callback, pattern.default_args, pattern.name)
            for pattern, rest in members
        ]
        grouped.append(path(key, include(inner)))
    return grouped, app_name, namespace
