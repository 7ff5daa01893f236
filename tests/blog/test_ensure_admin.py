"""`make run`'s admin login: made once, printed once, and working."""

import io
import re

from django.contrib.auth import get_user_model
from django.core.management import call_command

import pytest

pytestmark = pytest.mark.django_db


def ensure_admin(*args):
    out = io.StringIO()
    call_command("ensure_admin", *args, stdout=out)
    return out.getvalue()


def test_the_first_run_prints_a_login_that_works_and_the_second_changes_nothing(client):
    first = ensure_admin("--site-url", "http://127.0.0.1:8042")

    assert "http://127.0.0.1:8042/admin/" in first
    username = re.search(r"username: (\S+)", first)[1]
    password = re.search(r"password: (\S+)", first)[1]
    assert client.login(username=username, password=password)
    assert client.get("/admin/").status_code == 200

    second = ensure_admin()
    assert "already exists" in second
    assert password not in second
    assert get_user_model().objects.filter(is_superuser=True).count() == 1
    assert client.login(username=username, password=password)
