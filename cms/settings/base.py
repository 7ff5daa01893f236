"""
Settings shared by every environment.

Anything that differs between machines is read from the environment here, in
one place, with a default that works for a newcomer on a fresh clone: SQLite in
WAL mode, a local-memory cache and mail printed to the console.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


INSTALLED_APPS = [
    "cms",
    "home",
    "blog",
    "blog.comments",
    "search",
    "headless",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.api.v2",
    "wagtail.api.v3",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_tasks",
    # The queue production's worker (`manage.py db_worker`) takes tasks from.
    "django_tasks_db",
    "rest_framework",
    # Serves the API docs' Swagger UI from our own static files, not a CDN (see SECURE_CSP).
    "ninja",
    "corsheaders",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    # Outermost: the body's final length is set after every rewrite (cms/framing.py).
    "cms.framing.ContentLengthMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "cms.security_headers.SecurityHeadersMiddleware",
    # A request caught in a database restart answers 503 with Retry-After, not a 500.
    "cms.outages.DatabaseOutageMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # Unsafe API requests: JSON only (so browsers must preflight) and not from other sites.
    "cms.cross_origin.APIRequestForgeryMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # HEAD on the API runs as its GET, cache included, and loses only the body.
    "cms.head_requests.HeadAsGetMiddleware",
    # WordPress short links (/?p=123) of imported posts; before the cached home page.
    "blog.importers.middleware.WordPressShortLinkMiddleware",
    # Before sessions, CSRF and auth: an anonymous read served from the cache needs none
    # of them (requests with an Authorization header or a session are never cached).
    "cms.api_cache.APICacheMiddleware",
    "cms.page_cache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "search.middleware.APISearchQueryMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "cms.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

WSGI_APPLICATION = "cms.wsgi.application"

# Database: SQLite by default, PostgreSQL (psycopg 3) when DATABASE_URL says so.
# SQLite runs in WAL mode with immediate transactions and a busy timeout, so
# concurrent writers (gunicorn workers posting comments) wait for the write
# lock instead of failing with "database is locked".
SQLITE_PATH = os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3"))
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=NORMAL;"
        "PRAGMA busy_timeout=20000;"
        "PRAGMA foreign_keys=ON;"
    ),
}

if os.environ.get("DATABASE_URL"):
    DATABASES = {
        # Health checks: a kept-open connection the server dropped (a restart, a failover)
        # is replaced before the request uses it, instead of failing that request.
        "default": dj_database_url.parse(
            os.environ["DATABASE_URL"],
            conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
            conn_health_checks=True,
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": SQLITE_OPTIONS,
            # Kept open between requests: opening one runs the four PRAGMAs above, which
            # cost a comment POST about a fifth of its time.
            "CONN_MAX_AGE": int(os.environ.get("DB_CONN_MAX_AGE", "60")),
            "CONN_HEALTH_CHECKS": True,
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Caches. "default" holds rendered pages, API answers and content versions: anything
# in it may be evicted at any time. "comment_limits" holds what the comment rules count
# (flood windows, used form tokens, token requests per address): page caching must never
# be able to evict it, so it is a cache of its own. Both live in Redis when REDIS_URL is
# set (production, and anything with more than one worker process); otherwise each is a
# memory cache of this process.
COMMENT_LIMITS_CACHE = "comment_limits"
# While Redis does not answer (cms.redis_cache), "default" is an empty cache (pages are
# rendered fresh) and "comment_limits" refuses comments with a 503: a limit that cannot
# be checked must not let them through. A stuck Redis costs a request these timeouts once
# a second per worker, not once per cache operation.
REDIS_OPTIONS = {
    "socket_connect_timeout": float(os.environ.get("REDIS_CONNECT_TIMEOUT", "0.1")),
    "socket_timeout": float(os.environ.get("REDIS_TIMEOUT", "0.25")),
}
if os.environ.get("REDIS_URL"):
    CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "cms")
    CACHES = {
        "default": {
            "BACKEND": "cms.redis_cache.OutageTolerantRedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": REDIS_OPTIONS,
        },
        COMMENT_LIMITS_CACHE: {
            "BACKEND": "cms.redis_cache.SharedClientRedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": f"{CACHE_KEY_PREFIX}-limits",
            "OPTIONS": REDIS_OPTIONS,
        },
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "cms-default",
        },
        # Entries last seconds (a flood window) to a day (a used form token); a hundred
        # thousand of them is far more than one process sees in that time.
        COMMENT_LIMITS_CACHE: {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "cms-comment-limits",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        },
    }

# Background work (emails to moderators and readers, search index updates) goes
# through Django's tasks API. Development and tests run it in-process, at once;
# production queues it in the database for `manage.py db_worker` (production.py).
IMMEDIATE_TASKS_BACKEND = "django_tasks.backends.immediate.ImmediateBackend"
DATABASE_TASKS_BACKEND = "django_tasks_db.DatabaseBackend"
TASKS = {"default": {"BACKEND": os.environ.get("TASKS_BACKEND", IMMEDIATE_TASKS_BACKEND)}}
# `manage.py db_worker` stops a task that runs longer than TASKS_TIME_LIMIT_SECONDS (it is
# marked failed), and gives a task whose worker died or lost the database to another worker
# once it has been running for TASKS_RECLAIM_AFTER_SECONDS: longer than the limit, so a
# task is never run by two workers at once (cms/management/commands/db_worker.py).
TASKS_TIME_LIMIT_SECONDS = int(os.environ.get("TASKS_TIME_LIMIT_SECONDS", "600"))
TASKS_RECLAIM_AFTER_SECONDS = int(
    os.environ.get("TASKS_RECLAIM_AFTER_SECONDS", str(TASKS_TIME_LIMIT_SECONDS + 60))
)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATIC_URL = "/static/"

MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/media/"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# The page editor of a long article with many blocks easily passes Django's
# default of 1,000 form fields.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Evidence Notes <noreply@localhost>")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# Wagtail
WAGTAIL_SITE_NAME = os.environ.get("WAGTAIL_SITE_NAME", "Evidence Notes")
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILIMAGES_IMAGE_MODEL = "blog.ArticleImage"
# Search: the database's own full-text search (SQLite FTS5, PostgreSQL) unless
# SEARCH_BACKEND_URL points at Elasticsearch or OpenSearch. SEARCH_BACKEND names the
# engine's major version, whose client package (e.g. `elasticsearch>=9,<10`) must be
# installed; after switching, build the index once with `manage.py update_index`.
SEARCH_ENGINES = {
    "elasticsearch7",
    "elasticsearch8",
    "elasticsearch9",
    "opensearch2",
    "opensearch3",
}
SEARCH_BACKEND_URLS = env_list("SEARCH_BACKEND_URL")
if SEARCH_BACKEND_URLS:
    SEARCH_ENGINE = os.environ.get("SEARCH_BACKEND", "elasticsearch9")
    if SEARCH_ENGINE not in SEARCH_ENGINES:
        raise ImproperlyConfigured(
            f"SEARCH_BACKEND={SEARCH_ENGINE!r} is not a search engine Wagtail supports; use one "
            f"of {', '.join(sorted(SEARCH_ENGINES))}."
        )
    WAGTAILSEARCH_BACKENDS = {
        "default": {
            "BACKEND": f"wagtail.search.backends.{SEARCH_ENGINE}",
            "URLS": SEARCH_BACKEND_URLS,
            "INDEX_PREFIX": os.environ.get("SEARCH_INDEX_PREFIX", "evidence_notes_"),
            "TIMEOUT": int(os.environ.get("SEARCH_BACKEND_TIMEOUT", "10")),
        }
    }
else:
    # Wagtail's database backend, with its PostgreSQL queries served by an index (search/).
    # A named configuration lets PostgreSQL parse a query once, not once per matching post;
    # "english" is what the database's default made the stored vectors with.
    WAGTAILSEARCH_BACKENDS = {
        "default": {"BACKEND": "search.backends", "SEARCH_CONFIG": "english"},
    }
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "key", "odt", "pdf", "pptx", "rtf", "txt", "xlsx", "zip"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
# Documents always go through Wagtail's view, which checks their collection's privacy.
WAGTAILDOCS_SERVE_METHOD = "serve_view"

# Headless API (/api/v2/, /api/v3/): rich text as front-end HTML with links resolved,
# browsers on the origins listed in CORS_ALLOWED_ORIGINS may call it, and anonymous GETs
# carry an ETag and may be cached for API_CACHE_MAX_AGE seconds.
WAGTAILAPI_RICH_TEXT_FORMAT = "html"
WAGTAILAPI_LIMIT_MAX = 50
# Absolute URLs in API answers (detail_url, download_url, the find/ redirect) are built
# from the Site the request came to, like canonical links and the sitemap, unless
# WAGTAILAPI_BASE_URL names an address (for an API served on a host of its own).
WAGTAILAPI_BASE_URL = os.environ.get("WAGTAILAPI_BASE_URL") or None
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = [
    "accept",
    "authorization",
    "content-type",
    "if-none-match",
    "comment-edit-secret",
]
CORS_EXPOSE_HEADERS = ["ETag", "Retry-After"]
API_CACHE_MAX_AGE = int(os.environ.get("API_CACHE_MAX_AGE", "60"))

# Reader pages are cached whole for visitors without a session; content changes replace
# the cache's version tokens, so this is only how long an unused entry lingers.
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", 60 * 60))
# How many proxies in front of Django set X-Forwarded-For (1 behind deploy/nginx.conf).
# 0 trusts the connection's own address only; never set more than there really are, or
# readers could choose the address the comment rules see.
TRUSTED_PROXY_HOPS = int(os.environ.get("TRUSTED_PROXY_HOPS", "0"))
# How long a shared cache in front (nginx, see deploy/nginx.conf) may serve a public page
# or API answer before asking again (s-maxage). Kept short: Django's own caches are
# invalidated the moment content changes, a shared cache only when this runs out.
SHARED_CACHE_SECONDS = int(os.environ.get("SHARED_CACHE_SECONDS", "1"))
# And how long after that it may still serve its copy while the app does not answer (down,
# restarting, every worker busy past nginx's timeouts): "stale-if-error" in the same
# header, which nginx honours. Past it, readers get the "Back in a moment" page.
SHARED_CACHE_STALE_IF_ERROR_SECONDS = int(
    os.environ.get("SHARED_CACHE_STALE_IF_ERROR_SECONDS", "300")
)
# Each worker also keeps the pages and API answers it served last in its own memory, up
# to this many bytes (cms.recent_responses), saving the copy from the shared cache.
RECENT_RESPONSES_BYTES = int(os.environ.get("RECENT_RESPONSES_BYTES", 32 * 1024 * 1024))

# Security headers. SecurityMiddleware adds nosniff, Referrer-Policy (same-origin here,
# production sets its own) and, in production, HSTS; cms.security_headers adds these
# Content-Security-Policies (SECURE_CSP everywhere but the admin, which needs inline
# script and style and gets SECURE_CSP_ADMIN; page previews get SECURE_CSP framable by
# the admin: the module docstring says why) and PERMISSIONS_POLICY.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
SECURE_CSP_ADMIN = {
    "default-src": ["'self'"],
    "script-src": ["'self'", "'unsafe-inline'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'", "data:"],
    # Wagtail's dashboard asks releases.wagtail.org whether a (security) release is out.
    "connect-src": ["'self'", "https://releases.wagtail.org"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'self'"],
}
# Browser features no page here uses, switched off for our pages and anything they frame:
# a script that got in could not ask for them. Names Chromium does not know would log an
# error on every page, so only ones it knows (no "interest-cohort": "browsing-topics"
# replaced it). clipboard-write keeps the browser's default (this origin only): the
# admin's Copy buttons use it. A site that adds passkeys to its login allows
# publickey-credentials-* for "self".
PERMISSIONS_POLICY = {
    feature: []
    for feature in [
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "clipboard-read",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "gamepad",
        "geolocation",
        "gyroscope",
        "hid",
        "identity-credentials-get",
        "idle-detection",
        "local-fonts",
        "magnetometer",
        "microphone",
        "midi",
        "otp-credentials",
        "payment",
        "picture-in-picture",
        "publickey-credentials-create",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "window-management",
        "xr-spatial-tracking",
    ]
}
# Avatars are the ones people upload: asking gravatar.com would hand every editor's email
# hash to a third party (and the admin policy above blocks it anyway).
WAGTAIL_GRAVATAR_PROVIDER_URL = None

# Blog
BLOG_POSTS_PER_PAGE = 10
BLOG_WORDS_PER_MINUTE = 230
BLOG_RELATED_POSTS = 3
BLOG_FEED_ITEMS = 20

# Comments. The rules administrators tune day to day (approval policy, word lists, link
# limit, closing after N days) live in the admin under Settings → Comment rules; these
# are the limits that shape the service itself.
COMMENTS_MAX_DEPTH = 5
COMMENTS_MAX_LENGTH = 5000
COMMENTS_MIN_SECONDS_TO_POST = 3
COMMENTS_FLOOD_SECONDS = 15
# A comment form (or an API form token) is good for a day after it was shown.
COMMENTS_FORM_MAX_AGE = 60 * 60 * 24
COMMENTS_THREADS_PER_PAGE = 50
# GET /api/v3/comments/ may send this many comments a response (limit=), so an app reads a
# 100-comment thread in one request; the rest of the v3 API keeps WAGTAILAPI_LIMIT_MAX.
COMMENTS_API_LIMIT_MAX = int(os.environ.get("COMMENTS_API_LIMIT_MAX", "100"))
# Moderators may pin this many comments to the top of one post's thread (blog.comments.pinning).
COMMENTS_MAX_PINNED_PER_POST = 3
COMMENTS_IP_RETENTION_DAYS = 30
# The comment cookies (the opt-in one with the reader's name and email, kept a year, and
# the one that lets a new comment skip the shared cache) go over HTTPS only when True,
# as the session cookie does; production sets it with SESSION_COOKIE_SECURE.
COMMENTS_COOKIE_SECURE = False
# Moderators hear of held comments from a sweep the task worker runs this many seconds
# after the first comment it covers: a burst of held comments is one task, not hundreds.
COMMENTS_HELD_NOTICE_DELAY = 10
# A web worker trusts the post and the comment rules it has read for this long before
# asking the cache whether they changed (changes made in the same worker apply at once).
COMMENTS_CONTENT_RECHECK_SECONDS = 1
# The approve / spam / trash links in a held-comment e-mail work once, for this long.
COMMENTS_ONE_CLICK_MAX_AGE = 60 * 60 * 24 * 3
# An address (an IPv6 /64) may fetch this many API form tokens a minute.
COMMENTS_FORM_TOKENS_PER_MINUTE = int(os.environ.get("COMMENTS_FORM_TOKENS_PER_MINUTE", "30"))
# Reader reports (blog/comments/reports.py): this many open reports hide an approved
# comment until a moderator decides; an address (an IPv6 /64) may send this many reports
# an hour.
COMMENTS_REPORT_HOLD_THRESHOLD = int(os.environ.get("COMMENTS_REPORT_HOLD_THRESHOLD", "3"))
COMMENTS_REPORTS_PER_HOUR = int(os.environ.get("COMMENTS_REPORTS_PER_HOUR", "10"))
# Benchmarks post thousands of comments from one address with one token; they switch the
# flood and timing rules, single-use tokens bound to their reader and the form-token
# limit off with COMMENTS_RATE_LIMITS=off. Never do that on a public site.
COMMENTS_RATE_LIMITS_ENABLED = env_bool("COMMENTS_RATE_LIMITS", True)
# Seconds after posting during which the author's browser may edit or delete a comment
# (blog.comments.editing).
COMMENTS_EDIT_WINDOW = int(os.environ.get("COMMENTS_EDIT_WINDOW", str(15 * 60)))
# Confirmed commenters (blog/comments/verification.py): a mailed confirmation link works
# once, for two days; an address gets at most one link an hour, and one network (an IPv6
# /64) may ask for links this many times an hour. A browser (or app) that confirmed an
# address keeps the proof for a year.
COMMENTS_CONFIRMATION_MAX_AGE = 60 * 60 * 48
COMMENTS_CONFIRMATION_RESEND_SECONDS = 60 * 60
COMMENTS_CONFIRMATION_REQUESTS_PER_HOUR = 10
COMMENTS_CONFIRMED_PROOF_MAX_AGE = 60 * 60 * 24 * 365

# Headless front ends (docs/headless.md). Webhooks wait this long for an answer, are tried
# again after each of these delays (seconds: 5 s, 1 min, 5 min, 30 min, 2 h, 6 h) and then
# given up; they never reach a loopback, private, link-local or metadata address unless
# its network is listed here (comma-separated, e.g. "10.0.0.0/8,127.0.0.1").
HEADLESS_WEBHOOK_TIMEOUT_SECONDS = 10
HEADLESS_WEBHOOK_RETRY_DELAYS = [5, 60, 300, 1800, 7200, 21600]
HEADLESS_WEBHOOK_ALLOWED_NETWORKS = env_list("HEADLESS_WEBHOOK_ALLOWED_NETWORKS")
# With a front end's preview address (its "{token}" is replaced), Wagtail's preview panel
# shows that front end's page, drawn from GET /api/v3/preview/?token=…; the token is good
# for HEADLESS_PREVIEW_SECONDS. The admin may frame that origin, and nothing else.
HEADLESS_PREVIEW_URL = os.environ.get("HEADLESS_PREVIEW_URL", "")
HEADLESS_PREVIEW_SECONDS = int(os.environ.get("HEADLESS_PREVIEW_SECONDS", "300"))
# Sites with a front end of their own: comma-separated "hostname=address" pairs, e.g.
# "blog.example=https://app.example/preview?token={token}"; other sites use the one above.
HEADLESS_PREVIEW_URLS = dict(
    pair.split("=", 1) for pair in env_list("HEADLESS_PREVIEW_URLS") if "=" in pair
)
_preview_origins = [  # scheme://host[:port] of each address
    "/".join(address.split("/")[:3])
    for address in [HEADLESS_PREVIEW_URL, *HEADLESS_PREVIEW_URLS.values()]
    if address
]
if _preview_origins:
    SECURE_CSP_ADMIN["frame-src"] = ["'self'", *dict.fromkeys(_preview_origins)]
