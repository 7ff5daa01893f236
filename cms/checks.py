"""System checks for what a deployment would silently lose."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def per_process_caches(app_configs, **kwargs):
    if not getattr(settings, "CACHE_PER_PROCESS", False):
        return []
    return [
        checks.Warning(
            "CACHE_PER_PROCESS is on: each worker process keeps its own flood windows, used "
            "form tokens and content versions.",
            hint=(
                "With more than one worker process a reader gets a new flood window on each "
                "worker, a form token can be used once per worker, and a page cached by one "
                "worker is served after a comment made on another. Set REDIS_URL."
            ),
            id="cms.W001",
        )
    ]
