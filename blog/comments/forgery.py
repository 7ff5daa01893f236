"""
Cross-site request forgery defence for the reader comment form.

The form sits on pages that readers without a session get from caches (Django's page
cache, and a shared cache such as nginx in front, see ``deploy/nginx.conf``), so it
cannot carry a per-visitor CSRF token, and such a reader gets no CSRF cookie. What a
forged request can abuse is authority the attacker lacks, which here is a session: a
signed-in editor's comment is recorded as theirs. So:

- a POST with a session cookie gets Django's own CSRF check; pages for a session are
  never served from a cache and carry the token;
- a POST without one is refused when the browser says it comes from another site:
  ``Sec-Fetch-Site`` other than ``same-origin``/``none``, or, from browsers that do not
  send that, an ``Origin`` that is not this site's. This is the check Go's
  ``http.CrossOriginProtection`` makes. A request with neither header is not a
  browser's cross-site form post; it is let through, as the JSON API (``POST
  /api/v3/comments/``) lets any client post a comment.

The comment rules (honeypot, timing token, flood limits, duplicates) apply either way.
"""

import functools

from django.conf import settings
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_protect

SAFE_FETCH_SITES = {"same-origin", "none"}


def has_session(request):
    return settings.SESSION_COOKIE_NAME in request.COOKIES


def cross_origin_reason(request):
    """Why this POST looks like another site's form, or None."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site:
        if fetch_site in SAFE_FETCH_SITES:
            return None
        return f"The browser says this form was sent from another site ({fetch_site})."
    origin = request.headers.get("Origin")
    if origin is None:
        return None
    own_origin = f"{request.scheme}://{request.get_host()}"
    if origin == own_origin or origin in settings.CSRF_TRUSTED_ORIGINS:
        return None
    return f"This form was sent from {origin}, not from this site."


def forgery_protected(view):
    """Wrap a POST view in the defence above (the view itself must be ``csrf_exempt``)."""
    with_csrf_token = csrf_protect(view)

    @functools.wraps(view)
    def protected(request, *args, **kwargs):
        if has_session(request):
            return with_csrf_token(request, *args, **kwargs)
        reason = cross_origin_reason(request)
        if reason:
            return import_string(settings.CSRF_FAILURE_VIEW)(request, reason=reason)
        return view(request, *args, **kwargs)

    return protected
