"""
``HEAD`` on the headless API, answered as the ``GET`` it asks about, without the body.

HTTP says a resource that answers GET answers HEAD too (link checkers, uptime monitors and
caches ask it), but Django Ninja routes by method, so every v3 operation (Wagtail's and
ours) answered HEAD with 405. Rather than declaring HEAD beside each GET, here the request
runs as that GET (same permission checks, ETag, Cache-Control, 304 and 404) and only the
body is dropped, keeping the ``Content-Length`` the GET would have sent. The v2 API (REST
framework) answered HEAD already; it takes the same path, so both APIs answer it alike and
no server has to be trusted to drop a body the application sent.
"""

API_PATH_PREFIX = "/api/"
#: Statuses that never carry a body, so no Content-Length describes one.
BODILESS_STATUSES = {204, 304}


class HeadAsGetMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method != "HEAD" or not request.path_info.startswith(API_PATH_PREFIX):
            return self.get_response(request)
        # request.META stays as the server gave it: its access log still says HEAD.
        request.method = "GET"
        try:
            response = self.get_response(request)
        finally:
            request.method = "HEAD"
        return without_body(response)


def without_body(response):
    if response.streaming:
        # The length of a streamed body is the view's to state (FileResponse sets it); the
        # file behind it stays among the response's closers, which the server calls.
        response.streaming_content = []
        return response
    if response.status_code not in BODILESS_STATUSES and response.status_code >= 200:
        response["Content-Length"] = str(len(response.content))
    response.content = b""
    return response
