"""Configuration a newcomer and an operator rely on."""

import secrets
from pathlib import Path

from django.db import connection

import pytest

from tests.management import run_manage

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite-specific pragmas")
def test_sqlite_runs_in_wal_mode_with_immediate_transactions(db):
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        journal_mode = cursor.fetchone()[0]
        cursor.execute("PRAGMA busy_timeout")
        busy_timeout = cursor.fetchone()[0]
    # The test database lives in memory, where SQLite reports "memory"; on disk it is WAL.
    assert journal_mode in {"wal", "memory"}
    assert busy_timeout == 20000
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_on_disk_sqlite_is_wal(tmp_path):
    result = run_manage(
        "shell",
        "-c",
        "from django.db import connection; c = connection.cursor(); "
        "c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])",
        SQLITE_PATH=str(tmp_path / "wal.sqlite3"),
        DATABASE_URL="",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "wal"


def test_production_settings_pass_check_deploy():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="cms.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="example.org",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage(
        "check", DJANGO_SETTINGS_MODULE="cms.settings.production", SECRET_KEY="", ALLOWED_HOSTS="x"
    )
    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable for production." in result.stderr


def test_database_url_switches_to_postgresql():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])",
        DATABASE_URL="postgresql://postgres@127.0.0.1:5432/anything",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "django.db.backends.postgresql"


def test_redis_url_switches_the_cache_to_redis():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode == 0, result.stderr
    # Pages are served uncached while Redis is down (the comment limits' store refuses).
    assert result.stdout.strip().splitlines()[-1] == "cms.redis_cache.OutageTolerantRedisCache"


def test_production_sends_email_from_a_worker_and_development_at_once():
    show_backend = "from django.conf import settings; print(settings.TASKS['default']['BACKEND'])"
    production = run_manage(
        "shell",
        "-c",
        show_backend,
        DJANGO_SETTINGS_MODULE="cms.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="example.org",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    development = run_manage("shell", "-c", show_backend, DJANGO_SETTINGS_MODULE="cms.settings.dev")

    assert production.returncode == 0, production.stderr
    assert production.stdout.strip().splitlines()[-1] == "django_tasks_db.DatabaseBackend"
    assert development.stdout.strip().splitlines()[-1] == (
        "django_tasks.backends.immediate.ImmediateBackend"
    )
