"""
Production: everything secret or host-specific comes from the environment.

Required: SECRET_KEY, ALLOWED_HOSTS. Usually also DATABASE_URL, REDIS_URL,
CSRF_TRUSTED_ORIGINS, WAGTAILADMIN_BASE_URL and the EMAIL_* variables. The
defaults here pass `manage.py check --deploy`.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403

DEBUG = False

SECRET_KEY = os.environ.get("SECRET_KEY", "")  # noqa: F405
if not SECRET_KEY:
    raise ImproperlyConfigured("Set the SECRET_KEY environment variable for production.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")  # noqa: F405

# Without Redis each worker process keeps its own caches: its own flood windows and used
# form tokens (a reader's next POST on another worker gets a fresh window), and its own
# content versions (a page cached by one worker outlives a comment posted on another).
# CACHE_PER_PROCESS=true accepts that for a site run by a single process; `check --deploy`
# then says what is lost (cms/checks.py).
CACHE_PER_PROCESS = env_bool("CACHE_PER_PROCESS")  # noqa: F405
if not os.environ.get("REDIS_URL") and not CACHE_PER_PROCESS:  # noqa: F405
    raise ImproperlyConfigured(
        "Set REDIS_URL for production: the comment rules' flood windows and single-use form "
        "tokens, and the cached pages' content versions, must be shared by every worker. "
        "For a site served by one single process, set CACHE_PER_PROCESS=true instead."
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")  # noqa: F405

# TLS is terminated by the proxy in front of us; it tells us so with this header.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)  # noqa: F405
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365))  # noqa: F405
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)  # noqa: F405
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)  # noqa: F405
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SESSION_COOKIE_SECURE = True
COMMENTS_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

# WhiteNoise serves compressed, hashed static files straight from the app.
MIDDLEWARE.insert(  # noqa: F405
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,  # noqa: F405
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
}
# Once Wagtail has checked a document's privacy, nginx sends the file (cms/nginx_sendfile.py);
# with no deploy/nginx.conf in front, use wagtail.utils.sendfile_streaming_backend.
SENDFILE_BACKEND = os.environ.get("SENDFILE_BACKEND", "cms.nginx_sendfile")  # noqa: F405

# Email goes out from a worker, not from the request that caused it: run
# `manage.py db_worker` beside gunicorn. TASKS_BACKEND=...ImmediateBackend sends it
# in-process instead, for a site with no worker.
TASKS = {"default": {"BACKEND": os.environ.get("TASKS_BACKEND", DATABASE_TASKS_BACKEND)}}  # noqa: F405

if os.environ.get("EMAIL_HOST"):  # noqa: F405
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]  # noqa: F405
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 587))  # noqa: F405
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")  # noqa: F405
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")  # noqa: F405
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)  # noqa: F405

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},  # noqa: F405
    # The immediate task backend logs two lines per task (each held comment's notice);
    # failures still show.
    "loggers": {"django_tasks": {"level": os.environ.get("TASKS_LOG_LEVEL", "WARNING")}},  # noqa: F405
}
