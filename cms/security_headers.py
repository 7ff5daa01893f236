"""
The security headers Django 5.2's own SecurityMiddleware does not set (it sets nosniff,
Referrer-Policy, Cross-Origin-Opener-Policy and, in production, HSTS):
Content-Security-Policy and Permissions-Policy.

Three Content-Security-Policies, chosen by what the response is:

- ``SECURE_CSP`` for everything readers and apps reach (pages, feeds, the API and its
  docs, documents): scripts and styles only from our own origin, no inline script, no
  inline style, no plugins, no framing. Comment HTML is sanitized when stored; this is the
  second wall, so that a sanitizer bug still cannot run script in a reader's browser. The
  JSON-LD ``<script type="application/ld+json">`` in a post's head is data, which browsers
  never execute, so it needs no exception.
- The same policy with ``frame-ancestors 'self'`` for page previews. Wagtail renders a
  preview by sending a made-up request for the page's own URL (``/blog/…``, not
  ``/admin/…``) through the whole middleware stack, so a rule by path alone gave the
  preview the readers' "never framed", and the editor's preview panel, which frames it,
  stayed blank. A preview is a reader page, so it keeps the readers' strict rules for
  script and style; only our own admin may frame it (and ``X-Frame-Options: SAMEORIGIN``
  for browsers that read only that).
- ``SECURE_CSP_ADMIN`` for the Wagtail admin. Wagtail 8 still writes inline ``<script>``
  (date pickers, inline panels) and inline ``style`` attributes, so this policy allows
  inline script and style; it still confines every other kind of resource to our origin
  (plus the one origin Wagtail's update check calls), forbids plugins and ``<base>``, and
  lets only our own pages frame the admin. A looser policy rather than none: a stored XSS
  that reached the admin could still run inline, but could not load a script or send data
  anywhere else.

``PERMISSIONS_POLICY`` goes on every response: no page here needs a camera, a location
or a payment sheet, so a script that got in anyway cannot ask the reader for them, and
neither can a page that frames ours.

Django 6.0 ships the CSP part (``django.middleware.csp``, with a ``SECURE_CSP`` setting
in this shape); on upgrading, that part of this module can give way to it.
"""

import functools
from dataclasses import dataclass

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import reverse

CSP_HEADER = "Content-Security-Policy"
PERMISSIONS_POLICY_HEADER = "Permissions-Policy"


def serialize_policy(directives):
    """``{"script-src": ["'self'"]}`` as ``script-src 'self'``; an empty list stands alone."""
    return "; ".join(
        " ".join([name, *sources]) if sources else name for name, sources in directives.items()
    )


def serialize_permissions_policy(features):
    """``{"camera": [], "fullscreen": ["self"]}`` as ``camera=(), fullscreen=(self)``: the
    structured-header list the Permissions-Policy specification defines, where ``self`` is
    a token and other origins are quoted strings."""

    def allowlist(origins):
        return " ".join(origin if origin == "self" else f'"{origin}"' for origin in origins)

    return ", ".join(f"{feature}=({allowlist(origins)})" for feature, origins in features.items())


def preview_policy(reader_directives):
    return {**reader_directives, "frame-ancestors": ["'self'"]}


@dataclass(frozen=True)
class Policies:
    reader: str
    preview: str
    admin: str
    permissions: str


@functools.cache
def serialized_policies():
    """Serialized once, and again only when a test changes the settings (a live server's
    middleware outlives a test's ``settings`` fixture)."""
    return Policies(
        reader=serialize_policy(settings.SECURE_CSP),
        preview=serialize_policy(preview_policy(settings.SECURE_CSP)),
        admin=serialize_policy(settings.SECURE_CSP_ADMIN),
        permissions=serialize_permissions_policy(settings.PERMISSIONS_POLICY),
    )


@receiver(setting_changed)
def forget_serialized_policies(*, setting, **kwargs):
    if setting in {"SECURE_CSP", "SECURE_CSP_ADMIN", "PERMISSIONS_POLICY"}:
        serialized_policies.cache_clear()


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._admin_prefix = None

    @property
    def admin_prefix(self):
        if self._admin_prefix is None:
            self._admin_prefix = reverse("wagtailadmin_home")
        return self._admin_prefix

    def __call__(self, request):
        response = self.get_response(request)
        policies = serialized_policies()
        if policies.permissions:
            response.headers.setdefault(PERMISSIONS_POLICY_HEADER, policies.permissions)
        # Set by Wagtail on the made-up request it sends through this stack for a preview.
        is_preview = getattr(request, "is_preview", False)
        if is_preview:
            # XFrameOptionsMiddleware, further in, has said DENY, as for any reader page.
            response["X-Frame-Options"] = "SAMEORIGIN"
        if CSP_HEADER in response:
            return response  # a view that knows better set its own
        if settings.DEBUG and response.status_code in (404, 500):
            return response  # Django's debug pages are styled and scripted inline
        if is_preview:
            response[CSP_HEADER] = policies.preview
        elif request.path.startswith(self.admin_prefix):
            response[CSP_HEADER] = policies.admin
        else:
            response[CSP_HEADER] = policies.reader
        return response
