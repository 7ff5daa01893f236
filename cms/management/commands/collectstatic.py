"""
``manage.py collectstatic`` that also writes the page nginx shows when the app is down.

nginx answers ``/errors/503.html`` from ``STATIC_ROOT`` when gunicorn does not answer
(``deploy/nginx.conf``); Django answers a database outage with ``templates/503.html``
(``cms/outages.py``). The static page is that template, rendered here once the static
files (and their manifest, for the stylesheet's hashed name) are in place, so the two
cannot drift and there is no second copy to keep. Registered under the same name because
``cms`` comes first in INSTALLED_APPS: the deploy steps need not change.
"""

from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.management.commands import collectstatic
from django.template.loader import render_to_string

#: Where nginx finds the page, under STATIC_ROOT.
APP_DOWN_PAGE = Path("errors") / "503.html"


def write_app_down_page(static_root):
    path = Path(static_root) / APP_DOWN_PAGE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_to_string("503.html"), encoding="utf-8")
    return path


class Command(collectstatic.Command):
    def handle(self, **options):
        summary = super().handle(**options)
        if not options["dry_run"]:
            path = write_app_down_page(settings.STATIC_ROOT)
            if options["verbosity"] >= 1:
                self.stdout.write(f"Wrote {path} from templates/503.html.")
        return summary
