from django.apps import AppConfig


class HeadlessConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "headless"
    verbose_name = "Headless front ends"

    def ready(self):
        from . import preview
        from .events import connect_event_signals

        connect_event_signals()
        preview.install()
