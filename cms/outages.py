"""
What a request gets when the database goes away under it (or its disk is full): a 503
with ``Retry-After``.

A PostgreSQL restart or failover takes seconds. Connections are health-checked before a
request uses them (``CONN_HEALTH_CHECKS``), so a request that arrives after the database
is back never meets a dead one; a request caught in the restart itself still fails, and
it used to be a 500 with a traceback. It is not our error and it passes: readers get a
page that says to try again soon (``templates/503.html``), API clients a problem+json,
both with ``Retry-After``, and a load balancer or nginx in front may retry elsewhere or
serve its stale copy (``deploy/nginx.conf``). Nothing was written: Django rolls back the
request's transaction when the connection fails, so a comment is never acknowledged and
then lost.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

from wagtail.api.v3.errors import problem_response

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10
API_PATH_PREFIX = "/api/"


def database_unavailable(request):
    if request.path_info.startswith(API_PATH_PREFIX):
        response = problem_response(
            status=503,
            detail="The database cannot be reached just now. Please try again in a few seconds.",
        )
    else:
        # Rendered without the request: its context processors could ask the database.
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseOutageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        # One line, no traceback: the operator needs to know the database went away,
        # not where in the code the request noticed it.
        logger.warning("Database unavailable (%s): %s answered 503.", exception, request.path)
        return database_unavailable(request)
