from django.apps import AppConfig


class HeadlessConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "headless"
    verbose_name = "Headless front ends"

    def ready(self):
        from django.core.checks import register

        from . import preview
        from .checks import check_preview_url
        from .events import connect_event_signals

        connect_event_signals()
        preview.install()
        register(check_preview_url)
