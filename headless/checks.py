"""Settings mistakes that would otherwise show as a blank preview panel."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error


def check_preview_url(app_configs=None, **kwargs):
    addresses = {"HEADLESS_PREVIEW_URL": settings.HEADLESS_PREVIEW_URL}
    for hostname, address in settings.HEADLESS_PREVIEW_URLS.items():
        addresses[f"HEADLESS_PREVIEW_URLS[{hostname}]"] = address
    return [
        error
        for name, address in addresses.items()
        if address
        for error in address_errors(name, address)
    ]


def address_errors(name, address):
    errors = []
    if "{token}" not in address:
        errors.append(
            Error(
                f"{name} has no {{token}}: the front end would never get the draft.",
                hint="For example http://localhost:3000/preview?token={token}",
                id="headless.E001",
            )
        )
    parts = urlsplit(address)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        errors.append(
            Error(
                f"{name} must be an absolute http:// or https:// address.",
                hint="The admin's preview panel frames it; its origin is allowed in the CSP.",
                id="headless.E002",
            )
        )
    return errors
