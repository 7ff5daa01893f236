from django.apps import AppConfig


class CmsConfig(AppConfig):
    """The project package: settings and URL wiring, no models. It is an app only so the
    API's cache invalidation is connected in every process that can change content."""

    name = "cms"
    verbose_name = "Site wiring"

    def ready(self):
        from . import checks  # noqa: F401 (registers the deploy checks)
        from .api_cache import connect_invalidation_signals

        connect_invalidation_signals()
