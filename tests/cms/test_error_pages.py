"""The "Back in a moment" page nginx serves while the app is down is the one Django
answers a database outage with: one template, rendered into STATIC_ROOT by collectstatic."""

from django.core.management import call_command
from django.db import OperationalError
from django.template.loader import render_to_string
from django.test import RequestFactory

from cms.management.commands.collectstatic import APP_DOWN_PAGE, write_app_down_page
from cms.outages import DatabaseOutageMiddleware


def test_collectstatic_writes_the_page_django_answers_an_outage_with(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATICFILES_DIRS = []  # the apps' files are enough to show it runs
    call_command("collectstatic", interactive=False, verbosity=0)

    written = (settings.STATIC_ROOT / APP_DOWN_PAGE).read_text()
    outage = DatabaseOutageMiddleware(lambda request: None).process_exception(
        RequestFactory().get("/blog/"), OperationalError("the server closed the connection")
    )
    assert written == outage.content.decode() == render_to_string("503.html")
    assert "<h1>Back in a moment</h1>" in written
    assert 'href="/static/css/site.css"' in written


def test_a_dry_run_writes_nothing(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATICFILES_DIRS = []
    call_command("collectstatic", interactive=False, verbosity=0, dry_run=True)

    assert not (settings.STATIC_ROOT / APP_DOWN_PAGE).exists()


def test_the_page_is_written_whole_over_an_old_copy(tmp_path):
    (tmp_path / APP_DOWN_PAGE).parent.mkdir(parents=True)
    (tmp_path / APP_DOWN_PAGE).write_text("an old, longer copy of the page " * 200)

    path = write_app_down_page(tmp_path)

    assert path.read_text() == render_to_string("503.html")
