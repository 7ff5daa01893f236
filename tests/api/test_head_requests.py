"""
``HEAD`` on every GET of the headless API answers as that GET would, without the body.

Django's test client drops a HEAD response's body itself, so the body is checked through
Django's WSGI handler, which sends what the application made; gunicorn's framing is checked
in ``tests/reliability/test_nginx_front.py``.
"""

import re

from django.core import signals
from django.core.files.base import ContentFile
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import RequestFactory

from wagtail.contrib.redirects.models import Redirect
from wagtail.documents import get_document_model
from wagtail.models import APIToken, Site

import pytest

from blog.models import ArticleImage
from cms.api import api_v3

#: Every GET operation of /api/v3/, Wagtail's and ours, read from the served schema: an
#: endpoint added later is covered (or fails below for want of values) without a new test.
GET_OPERATIONS = sorted(
    path for path, operations in api_v3.get_openapi_schema()["paths"].items() if "get" in operations
)
PATH_PARAMETER = re.compile(r"\{(\w+)\}")
#: Headers that may differ between two answers to the same GET.
PER_ANSWER_HEADERS = {"Content-Length", "Date"}
#: Each GET makes a new form token, of a length that varies by a byte or two.
NEW_BODY_EACH_TIME = {"/api/v3/comments/form-token/"}
#: What a GET of these answers here, so HEAD must answer it too: the finders redirect to
#: the object they found, no snippet model is exposed to v3 (its ``type`` accepts none), and
#: a draft preview needs a preview token this walk has not got.
NOT_200 = {
    "/api/v3/preview/": 401,
    "/api/v3/pages/find/": 302,
    "/api/v3/redirects/find/": 302,
    "/api/v3/snippets/{type}/": 422,
    "/api/v3/snippets/{type}/{pk}/": 422,
    "/api/v3/snippets/{type}/{pk}/revisions/": 422,
    "/api/v3/snippets/{type}/{pk}/revisions/{revision_id}/": 422,
}


@pytest.fixture
def api_objects(seed_post, make_comment, django_user_model):
    document = get_document_model().objects.create(
        title="Trial protocol", file=ContentFile(b"protocol text", name="protocol.txt")
    )
    redirect = Redirect.objects.create(old_path="/old-post", redirect_page=seed_post)
    comment = make_comment(seed_post)
    editor = django_user_model.objects.create_superuser("head-editor", "e@example.com", "pw")
    _token, plaintext = APIToken.create_token(user=editor, name="head requests")
    path_values = {
        "page_id": seed_post.pk,
        "revision_id": seed_post.latest_revision_id,
        "type_name": "blog.BlogPostPage",
        "site_id": Site.objects.get().pk,
        "redirect_id": redirect.pk,
        "type": "comments.Comment",
        "pk": comment.pk,
        "document_id": document.pk,
        "image_id": ArticleImage.objects.get().pk,
        "comment_id": comment.pk,
    }
    query = {
        "/api/v3/pages/find/": f"html_path={seed_post.url}",
        "/api/v3/redirects/find/": "html_path=/old-post",
        "/api/v3/comments/": f"page={seed_post.pk}",
        "/api/v3/comments/form-token/": f"page={seed_post.pk}",
        "/api/v3/comments/counts/": f"page={seed_post.pk}",
    }
    return path_values, query, plaintext


def url_for(operation, path_values, query):
    path = PATH_PARAMETER.sub(lambda match: str(path_values[match[1]]), operation)
    return f"{path}?{query[operation]}" if operation in query else path


def headers_of(response):
    return {name: value for name, value in response.items() if name not in PER_ANSWER_HEADERS}


def head_differences(client, url, same_body=True, **headers):
    """How HEAD on ``url`` differs from GET, as lines. Two GETs go first: the first read
    of a post makes its image renditions, which gives it a new ETag, and the second leaves
    the answer in the API cache, so HEAD and the GET after it are served alike."""
    client.get(url, **headers)
    client.get(url, **headers)
    head = client.head(url, **headers)
    get = client.get(url, **headers)
    if head.status_code != get.status_code:
        return [f"{url}: HEAD {head.status_code}, GET {get.status_code}"]
    if headers_of(head) != headers_of(get):
        return [f"{url}: headers {headers_of(head)} != {headers_of(get)}"]
    if not get.content:
        return []
    if "Content-Length" not in head or (
        same_body and head["Content-Length"] != str(len(get.content))
    ):
        return [
            f"{url}: HEAD says Content-Length {head.get('Content-Length')}, "
            f"GET sent {len(get.content)} bytes"
        ]
    return []


def differences_over_every_operation(client, api_objects, **headers):
    path_values, query, _token = api_objects
    differences, statuses = [], {}
    for operation in GET_OPERATIONS:
        url = url_for(operation, path_values, query)
        same_body = operation not in NEW_BODY_EACH_TIME
        differences += head_differences(client, url, same_body, **headers)
        statuses[operation] = client.head(url, **headers).status_code
    return differences, statuses


def test_every_v3_get_operation_answers_head_as_get_without_a_body(client, api_objects):
    differences, statuses = differences_over_every_operation(client, api_objects)

    assert differences == []
    assert len(GET_OPERATIONS) >= 25
    assert statuses["/api/v3/posts/"] == statuses["/api/v3/comments/{comment_id}/"] == 200
    assert statuses["/api/v3/comments/moderation/"] == 401


def test_with_a_token_head_still_answers_as_get(client, api_objects):
    token = api_objects[2]

    differences, statuses = differences_over_every_operation(
        client, api_objects, HTTP_AUTHORIZATION=f"Bearer {token}"
    )

    assert differences == []
    # The values above name real objects, so each operation answers as it does in use.
    assert {op: status for op, status in statuses.items() if status != 200} == NOT_200


def test_head_on_the_v2_api_answers_as_get(client, api_objects, seed_post):
    for url in ["/api/v2/pages/", f"/api/v2/pages/{seed_post.pk}/", "/api/v2/documents/"]:
        assert head_differences(client, url) == []


def test_a_conditional_head_gets_304_like_its_get(client, api_objects):
    client.get("/api/v3/posts/")  # makes the hero renditions, which changes the ETag
    etag = client.get("/api/v3/posts/")["ETag"]

    head = client.head("/api/v3/posts/", HTTP_IF_NONE_MATCH=etag)

    assert head.status_code == 304
    assert head["ETag"] == etag


def test_head_on_a_missing_object_is_a_404_like_its_get(client, api_objects):
    assert client.head("/api/v3/comments/999999/").status_code == 404
    assert client.get("/api/v3/comments/999999/").status_code == 404


@pytest.fixture
def wsgi_application():
    """Django's WSGI handler as gunicorn calls it, without the test client's body removal;
    the test's database connection must survive the request, as the test client ensures."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def call_wsgi(application, method, path):
    environ = getattr(RequestFactory(), method.lower())(path).environ
    started = {}

    def start_response(status, headers, exc_info=None):
        started.update(status=status, headers=dict(headers))

    result = application(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        result.close()
    return started["status"], started["headers"], body


@pytest.mark.parametrize("path", ["/api/v3/posts/", "/api/v2/pages/"])
def test_the_application_itself_sends_no_body_for_head(wsgi_application, api_objects, path):
    status, headers, body = call_wsgi(wsgi_application, "HEAD", path)
    _status, _headers, get_body = call_wsgi(wsgi_application, "GET", path)

    assert status == "200 OK"
    assert body == b""
    assert get_body
    assert headers["Content-Length"] == str(len(get_body))
