"""
Cross-site request forgery defence for the reader comment form.

The form sits on pages that readers without a session get from caches (Django's page
cache, and a shared cache such as nginx in front, see ``deploy/nginx.conf``), so it
cannot carry a per-visitor CSRF token, and such a reader gets no CSRF cookie. What a
forged request can abuse is authority the attacker lacks, which here is a session: a
signed-in editor's comment is recorded as theirs. So:

- a POST with a session cookie gets Django's own CSRF check; pages for a session are
  never served from a cache and carry the token;
- a POST without one is refused when the browser says it comes from another site
  (``cms.cross_origin``: ``Sec-Fetch-Site``, else ``Origin``, else over HTTPS a
  ``Referer`` from another site). A request with none of them is not a browser's
  cross-site form post; it is let through, as the JSON API lets apps post comments.

The comment rules (honeypot, timing token, flood limits, duplicates) apply either way.
"""

import functools

from django.conf import settings
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_protect

from cms import cross_origin


def has_session(request):
    return settings.SESSION_COOKIE_NAME in request.COOKIES


def cross_origin_reason(request):
    """Why this POST looks like another site's form, or None."""
    return cross_origin.cross_origin_reason(request, settings.CSRF_TRUSTED_ORIGINS)


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
