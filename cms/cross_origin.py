"""
Refusing what another site's page makes a visitor's browser send: the check Go's
``http.CrossOriginProtection`` makes, for the reader comment form
(``blog.comments.forgery``) and for every unsafe request to the API.

Browsers say where a request comes from. ``Sec-Fetch-Site`` (every current browser)
is ``same-origin`` for our own pages and ``none`` for what the user typed or bookmarked;
anything else comes from another site and is refused unless its ``Origin`` is one we
trust. Browsers too old to send it still send ``Origin`` on a POST. Older ones still
send only ``Referer``: over HTTPS, a ``Referer`` from another site is refused, as
Django's own CSRF check does. A request with none of the three is not a browser's
cross-site post (apps, curl, servers) and is let through: what such a client can do it
can do from its own address anyway.

For the API this is half the wall. The other half is ``APIRequestForgeryMiddleware``
refusing any unsafe request whose body is not ``application/json`` (415): a browser can
only send JSON to another origin after a CORS preflight, which ``CORS_ALLOWED_ORIGINS``
decides, so a plain HTML form on another site (``enctype="text/plain"`` can forge a JSON
body) cannot post at all, with or without ``Origin``.
"""

from urllib.parse import urlsplit

from django.conf import settings

from wagtail.api.v3.errors import problem_response

SAFE_FETCH_SITES = {"same-origin", "none"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
JSON_MEDIA_TYPES = {"application/json"}


def own_origin(request):
    return f"{request.scheme}://{request.get_host()}"


def origin_of(url):
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def cross_origin_reason(request, trusted_origins=()):
    """Why this unsafe request looks sent by another site's page, or None."""
    trusted = {own_origin(request), *trusted_origins}
    origin = request.headers.get("Origin")
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site:
        if fetch_site in SAFE_FETCH_SITES or origin in trusted:
            return None
        return f"The browser says this request was sent from another site ({fetch_site})."
    if origin is not None:
        if origin in trusted:
            return None
        return f"This request was sent from {origin}, not from this site."
    referer = request.headers.get("Referer")
    if referer and request.is_secure() and origin_of(referer) not in trusted:
        return "This request was sent from a page on another site (its Referer)."
    return None


def api_trusted_origins():
    return [*settings.CORS_ALLOWED_ORIGINS, *settings.CSRF_TRUSTED_ORIGINS]


def is_json(request):
    media_type = request.content_type.split(";")[0].strip().lower()
    return media_type in JSON_MEDIA_TYPES or media_type.endswith("+json")


def has_body(request):
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > 0
    except ValueError:
        return True


class APIRequestForgeryMiddleware:
    """Unsafe API requests: 415 unless the body is JSON, 403 when a browser says another
    site's page sent it (an origin in ``CORS_ALLOWED_ORIGINS`` or
    ``CSRF_TRUSTED_ORIGINS`` may)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in SAFE_METHODS or not request.path_info.startswith("/api/"):
            return self.get_response(request)
        if has_body(request) and not is_json(request):
            response = problem_response(
                status=415,
                detail=(
                    "Send the request body as application/json "
                    f"(this one was {request.content_type or 'untyped'})."
                ),
            )
            response["Accept-Post"] = "application/json"
            return response
        reason = cross_origin_reason(request, api_trusted_origins())
        if reason:
            return problem_response(status=403, detail=f"Cross-origin request refused. {reason}")
        return self.get_response(request)
