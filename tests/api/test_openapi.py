"""The v3 OpenAPI contract: valid, typed for our blocks, and true to what the API answers."""

from django.core.signals import request_finished, request_started
from django.db import close_old_connections

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from openapi_spec_validator import validate

from blog import blocks as article_blocks
from blog.block_schemas import BODY_BLOCK_SCHEMAS, UndocumentedBlockError, build_body_schemas
from blog.blocks import ArticleBodyBlock

pytestmark = pytest.mark.django_db


@pytest.fixture
def openapi(client, seed_post):
    response = client.get("/api/v3/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_schema_is_valid_openapi(openapi):
    validate(openapi)


def test_interactive_docs_are_served(client, seed_post):
    assert client.get("/api/v3/docs/").status_code == 200


def test_every_body_block_has_a_typed_schema(openapi):
    schemas = openapi["components"]["schemas"]
    body = schemas["BlogPostPageSchema"]["properties"]["body"]["items"]

    assert body["discriminator"]["propertyName"] == "type"
    assert set(body["discriminator"]["mapping"]) == set(ArticleBodyBlock().child_blocks)
    card = schemas["StudyCardValue"]["properties"]
    assert card["year"]["type"] == "integer"
    assert set(card["study_type"]["enum"]) == {
        "systematic_review",
        "randomized_controlled_trial",
        "cohort_observational",
        "other",
    }


def test_a_block_with_its_own_json_and_no_schema_fails_the_build():
    class ChartBlock(article_blocks.blocks.StructBlock):
        title = article_blocks.blocks.CharBlock()

        def get_api_representation(self, value, context=None):
            return {"title": value["title"], "points": []}

    class BodyWithChart(ArticleBodyBlock):
        chart = ChartBlock()

    with pytest.raises(UndocumentedBlockError, match="ChartBlock"):
        build_body_schemas(BodyWithChart())


def test_seed_and_image_bodies_match_their_schemas_exactly(rf, seed_post, post_with_image):
    request = rf.get("/")
    for post in (seed_post, post_with_image):
        representation = post.body.stream_block.get_api_representation(
            post.body, {"request": request}
        )
        for item in representation:
            schema = BODY_BLOCK_SCHEMAS[item["type"]]
            # extra="forbid" plus the round trip: nothing undocumented, nothing dropped.
            assert schema.model_validate(item).model_dump(mode="json") == item


def test_schemathesis_finds_no_server_errors_or_schema_violations(
    seed_post, post_with_image, make_comment
):
    make_comment(seed_post, number=1)
    # Django's test client keeps the test's database connection open across requests by
    # detaching close_old_connections; calling the WSGI app directly needs the same.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        run_operations(public_operations())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def public_operations():
    import schemathesis

    from cms.wsgi import application

    schema = schemathesis.openapi.from_wsgi("/api/v3/openapi.json", application)
    # Public reads, our endpoints and posting a comment; write endpoints need tokens.
    schema = schema.include(
        path_regex=r"^/api/v3/(posts|comments|pages)/", method=["GET", "POST"]
    ).exclude(path_regex=r"(actions|revisions|moderation)")
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if not (op.method == "post" and "pages" in op.path)]
    assert len(operations) >= 7
    return operations


def run_operations(operations):
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=6,
            deadline=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            case.call_and_validate(
                checks=[not_a_server_error, response_schema_conformance],
            )

        check()


def test_the_ban_list_is_documented_for_moderators(openapi):
    paths = openapi["paths"]
    bans = paths["/api/v3/comments/moderation/bans/"]
    lift = paths["/api/v3/comments/moderation/bans/{ban_id}/lift/"]
    assert set(bans) >= {"get", "post"}
    assert set(bans["post"]["responses"]) >= {"201", "403", "404", "409", "422"}
    assert set(lift["post"]["responses"]) >= {"200", "403", "404", "409"}
    for operation in (bans["get"], bans["post"], lift["post"]):
        assert operation["security"], "ban endpoints need a moderator's bearer token"
    ban_in = openapi["components"]["schemas"]["BanIn"]["properties"]
    assert ban_in["days"]["anyOf"][0]["maximum"] == 3650


def test_confirmed_commenters_are_in_the_contract(openapi):
    """Apps learn from the schema how to confirm an address and send the proof back, and
    that only moderators see whether a comment's address was confirmed."""
    operations = {
        operation["operationId"]: (path, method, operation)
        for path, methods in openapi["paths"].items()
        for method, operation in methods.items()
    }
    path, method, request = operations["comments_request_confirmation"]
    assert (path, method) == ("/api/v3/comments/confirmations/", "post")
    assert {"202", "422", "429", "503"} <= set(request["responses"])
    path, method, confirm = operations["comments_confirm_email"]
    assert (path, method) == ("/api/v3/comments/confirmations/confirm/", "post")
    assert {"200", "400", "410"} <= set(confirm["responses"])

    schemas = openapi["components"]["schemas"]
    assert "confirmation" in schemas["CommentIn"]["properties"]
    assert "confirmation_sent" in schemas["CommentCreated"]["required"]
    assert "author_confirmed" in schemas["ModeratedCommentOut"]["required"]
    assert "author_confirmed" not in schemas["CommentOut"]["properties"]
