from pathlib import Path

from django.core.cache import caches

import pytest

from tests.e2e.conftest import browser, page  # noqa: F401 (Chromium fixtures, reused)

VECTORS_FILE = Path(__file__).resolve().parent / "xss_vectors.txt"


def load_xss_vectors():
    """The corpus: one vector a line, a literal backslash-n standing for a newline."""
    return [
        line.replace("\\n", "\n")
        for line in VECTORS_FILE.read_text().splitlines()
        if line.strip() and not line.startswith("# ")
    ]


@pytest.fixture(autouse=True)
def empty_cache():
    """Flood windows, used form tokens, rendered threads and cached pages live in caches."""
    for cache in caches.all():
        cache.clear()
    yield
    for cache in caches.all():
        cache.clear()


@pytest.fixture
def open_comments(settings):
    """Let a test post hundreds of comments at once: no timing trap, no flood limit."""
    settings.COMMENTS_MIN_SECONDS_TO_POST = 0
    settings.COMMENTS_RATE_LIMITS_ENABLED = False
