"""The test suite: fast hashing, in-memory email and cache, a throwaway media folder."""

import tempfile

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-secret-key"  # noqa: S105
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="cms-test-media-"))  # noqa: F405
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
WAGTAILADMIN_BASE_URL = "http://testserver"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
if not os.environ.get("REDIS_URL"):  # noqa: F405
    CACHES = {  # noqa: F405
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        COMMENT_LIMITS_CACHE: {  # noqa: F405
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "test-comment-limits",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        },
    }
WAGTAILAPI_BASE_URL = WAGTAILADMIN_BASE_URL
