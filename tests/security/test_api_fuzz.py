"""
Schemathesis against every /api/v3/ operation that tests/api/test_openapi.py leaves out.

That test fuzzes the public reads and comment posting without a token. This one takes
the rest of /api/v3/openapi.json: the comment moderation operations (with a moderator's
bearer token), and Wagtail's own operations (images, documents, redirects, sites, schema,
whoami, page writes, revisions and actions) with an administrator's token, so they get
past authentication and reach their code; and each once more without a token. A bounded
number of examples per operation; every answer must be a non-5xx response that matches
the schema the document declares.
"""

from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from wagtail.models import APIToken

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from tests.comments.admin_users import make_moderator, make_superuser
from tests.comments.conftest import make_comment

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 5


def covered_by_the_public_run(operation):
    """The selection tests/api/test_openapi.py fuzzes (kept in step with it by hand)."""
    import re

    path, method = operation.path, operation.method.upper()
    return (
        re.match(r"^/api/v3/(posts|comments|pages)/", path)
        and method in ("GET", "POST")
        and not re.search(r"(actions|revisions|moderation)", path)
        and not (method == "POST" and "pages" in path)
    )


def remaining_operations():
    import schemathesis

    from cms.wsgi import application

    schema = schemathesis.openapi.from_wsgi("/api/v3/openapi.json", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    return [
        operation
        for operation in operations
        if not covered_by_the_public_run(operation) and not offers_no_snippet_type(operation)
    ]


def offers_no_snippet_type(operation):
    """No snippet model is registered with the v3 API (comments deliberately not: that API
    would serve every field), so the snippets operations' ``type`` is the constant "" and
    no request can be generated for them. test_permission_matrix.py checks that they
    serve no comments."""
    if not operation.path.startswith("/api/v3/snippets/"):
        return False
    type_parameter = next(p for p in operation.path_parameters if p.name == "type")
    return type_parameter.definition["schema"].get("const") == ""


@pytest.fixture
def wsgi_keeps_the_test_connection():
    """Calling the WSGI app directly would close the test's database connection after each
    request (PostgreSQL then loses the test transaction); the test client avoids it the
    same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def fuzz(operation, headers):
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        case.headers = {**(case.headers or {}), **headers}
        case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])

    check()


def test_moderation_and_wagtail_operations(seed_post, wsgi_keeps_the_test_connection):
    for number in range(3):
        make_comment(seed_post, author_email=f"fuzz{number}@example.com")
    _token, admin_token = APIToken.create_token(user=make_superuser("fuzz-admin"), name="fuzz")
    _token, moderator_token = APIToken.create_token(user=make_moderator("fuzz-mod"), name="fuzz")
    operations = remaining_operations()
    moderation = [op for op in operations if "/comments/moderation/" in op.path]
    # The queue, its counts, one action, bulk actions, pin and unpin (one path); the bans
    # list, ban and lift.
    assert len(moderation) == 8, [op.path for op in moderation]
    assert len(operations) >= 30

    failures = {}
    for operation in operations:
        token = moderator_token if operation in moderation else admin_token
        for headers in ({"Authorization": f"Bearer {token}"}, {}):
            try:
                fuzz(operation, headers)
            except Exception as error:  # noqa: BLE001 - collect every operation's failure
                label = f"{operation.method.upper()} {operation.path}"
                label += "" if headers else " (no token)"
                failures[label] = str(error).splitlines()[:6]
    assert failures == {}
