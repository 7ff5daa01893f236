"""
The Content-Security-Policy header, which Django 5.2's own SecurityMiddleware does not set
(it sets nosniff, Referrer-Policy, Cross-Origin-Opener-Policy and, in production, HSTS).

Two policies, chosen by path:

- ``SECURE_CSP`` for everything readers and apps reach (pages, feeds, the API and its
  docs, documents): scripts and styles only from our own origin, no inline script, no
  inline style, no plugins, no framing. Comment HTML is sanitized when stored; this is the
  second wall, so that a sanitizer bug still cannot run script in a reader's browser. The
  JSON-LD ``<script type="application/ld+json">`` in a post's head is data, which browsers
  never execute, so it needs no exception.
- ``SECURE_CSP_ADMIN`` for the Wagtail admin (and page previews, which it serves). Wagtail
  8 still writes inline ``<script>`` (date pickers, inline panels) and inline ``style``
  attributes, so this policy allows inline script and style; it still confines every
  other kind of resource to our origin (plus the one origin Wagtail's update check
  calls), forbids plugins and ``<base>``, and lets only our own pages frame the admin
  (the preview panel). A looser policy rather than none: a stored XSS that reached the
  admin could still run inline, but could not load a script or send data anywhere else.

Django 6.0 ships the same idea (``django.middleware.csp``, with a ``SECURE_CSP`` setting
in this shape); on upgrading, this module can give way to it.
"""

from django.conf import settings
from django.urls import reverse

HEADER = "Content-Security-Policy"


def serialize_policy(directives):
    """``{"script-src": ["'self'"]}`` as ``script-src 'self'``; an empty list stands alone."""
    return "; ".join(
        " ".join([name, *sources]) if sources else name for name, sources in directives.items()
    )


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.reader_policy = serialize_policy(settings.SECURE_CSP)
        self.admin_policy = serialize_policy(settings.SECURE_CSP_ADMIN)
        self._admin_prefix = None

    @property
    def admin_prefix(self):
        if self._admin_prefix is None:
            self._admin_prefix = reverse("wagtailadmin_home")
        return self._admin_prefix

    def __call__(self, request):
        response = self.get_response(request)
        if HEADER in response:
            return response  # a view that knows better set its own
        if settings.DEBUG and response.status_code in (404, 500):
            return response  # Django's debug pages are styled and scripted inline
        if request.path.startswith(self.admin_prefix):
            response[HEADER] = self.admin_policy
        else:
            response[HEADER] = self.reader_policy
        return response
