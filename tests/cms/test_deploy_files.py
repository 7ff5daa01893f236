"""The production runbook's files (deploy/, docs/deploy.md): systemd accepts the units
once the checkout's paths are filled in, every command they run exists, and the example
environment passes Django's deployment checks as it stands."""

import getpass
import os
import re
import shutil
import subprocess
from pathlib import Path

from django.core.management import get_commands

import pytest

from tests.management import run_manage

ROOT = Path(__file__).resolve().parents[2]
SYSTEMD = ROOT / "deploy" / "systemd"
ENV_EXAMPLE = ROOT / "deploy" / "production.env.example"
PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


def units():
    return sorted(SYSTEMD.glob("*.service")) + sorted(SYSTEMD.glob("*.timer"))


def filled_in(path, **names):
    """What `envsubst '${APP_DIR} ${APP_USER}'` makes of a unit (docs/deploy.md)."""
    return PLACEHOLDER.sub(lambda match: names[match.group(1)], path.read_text())


def example_environment():
    pairs = (
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    return dict(pairs)


def test_the_runbook_ships_a_unit_for_each_process():
    assert [path.name for path in units()] == [
        "evidence-notes-prune-tasks.service",
        "evidence-notes-purge-ips.service",
        "evidence-notes-web.service",
        "evidence-notes-worker.service",
        "evidence-notes-prune-tasks.timer",
        "evidence-notes-purge-ips.timer",
    ]
    assert "deploy/systemd" in (ROOT / "docs" / "deploy.md").read_text()


def test_units_name_only_the_placeholders_the_runbook_fills_in():
    for path in units():
        assert set(PLACEHOLDER.findall(path.read_text())) <= {"APP_DIR", "APP_USER"}, path.name


def test_the_commands_the_units_run_exist():
    commands = get_commands()
    run = [
        match.group(1)
        for path in units()
        for match in re.finditer(r"manage\.py (\w+)", path.read_text())
    ]
    assert run == ["prune_db_task_results", "comments_purge_ips", "db_worker"]
    assert all(command in commands for command in run)
    web = (SYSTEMD / "evidence-notes-web.service").read_text()
    assert "gunicorn cms.wsgi --bind 127.0.0.1:8001" in web
    assert "UPSTREAM" in (ROOT / "deploy" / "nginx.conf").read_text()


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_accepts_the_units(tmp_path):
    """`systemd-analyze verify` reads each unit as systemd would: unknown settings, bad
    values and commands that are not executable are errors."""
    for path in units():
        text = filled_in(path, APP_DIR=str(ROOT), APP_USER=getpass.getuser())
        (tmp_path / path.name).write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / path.name) for path in units())],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""


def test_the_example_environment_passes_the_deployment_checks():
    env = example_environment()
    assert env["DJANGO_SETTINGS_MODULE"] == "cms.settings.production"
    assert env["TRUSTED_PROXY_HOPS"] == "1"
    # Only the example (and PATH): nothing of the test run's own settings leaks in.
    check = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        environment={"PATH": os.environ["PATH"], **env},
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_every_variable_in_the_example_is_one_the_settings_read():
    settings_text = "".join(path.read_text() for path in (ROOT / "cms" / "settings").glob("*.py"))
    for name in example_environment():
        if name == "DJANGO_SETTINGS_MODULE":
            continue
        assert f'"{name}"' in settings_text, name
