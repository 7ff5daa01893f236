"""Local development: debug pages, console email, anything-goes hosts."""

from .base import *  # noqa: F403

DEBUG = True
SECRET_KEY = os.environ.get(  # noqa: F405
    "SECRET_KEY", "django-insecure-dev-only-key-never-use-in-production"
)
ALLOWED_HOSTS = ["*"]
