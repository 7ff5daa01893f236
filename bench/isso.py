"""
Isso, the comparison: installed into its own virtualenv (bench/.isso-venv, never .venv),
configured for throughput (moderation and the rate-limiting guard off), served by the
same gunicorn as the site, and given the same thread through its own HTTP API.
"""

import json
import subprocess
import sys
from pathlib import Path

from . import settings
from .processes import http_request

VENV = Path(__file__).resolve().parent / ".isso-venv"


def ensure_isso_venv():
    """Create or update bench/.isso-venv with the pinned Isso and gunicorn; return its bin/."""
    marker = (
        VENV / f".installed-isso-{settings.ISSO_VERSION}-gunicorn-{settings.ISSO_GUNICORN_VERSION}"
    )
    if marker.exists():
        return VENV / "bin"
    print(f"Installing Isso {settings.ISSO_VERSION} into {VENV} (first run only)")
    if not (VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)  # noqa: S603
    installed = subprocess.run(  # noqa: S603
        [
            str(VENV / "bin" / "pip"),
            "install",
            "--quiet",
            "--disable-pip-version-check",
            f"isso=={settings.ISSO_VERSION}",
            f"gunicorn=={settings.ISSO_GUNICORN_VERSION}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if installed.returncode != 0:
        raise RuntimeError(f"Installing Isso failed:\n{installed.stdout}{installed.stderr}")
    for stale in VENV.glob(".installed-isso-*"):
        stale.unlink()
    marker.touch()
    return VENV / "bin"


def write_config(directory, *, site_url):
    """isso.cfg for the bench: its own SQLite file, no moderation, no guard, no mail."""
    directory = Path(directory)
    path = directory / "isso.cfg"
    path.write_text(
        "\n".join(
            [
                "[general]",
                f"dbpath = {directory / 'comments.db'}",
                f"host = {site_url}",
                "notify = stdout",
                "reply-notifications = false",
                "gravatar = false",
                "",
                "[moderation]",
                "enabled = false",
                "",
                "[guard]",
                "enabled = false",
                "",
                "[server]",
                "listen = http://127.0.0.1:0/",
                "",
            ]
        )
    )
    return path


def gunicorn_command(bin_dir, port):
    return [
        str(bin_dir / "gunicorn"),
        "--workers",
        str(settings.WORKERS),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--preload",
        "--log-level",
        "warning",
        "isso.run",
    ]


def load_thread(base_url, uri, title, specs):
    """POST each comment to /new?uri=..., replies with the id Isso gave their parent."""
    ids = []
    for spec in specs:
        payload = {
            "text": spec.text,
            "author": spec.author,
            "email": spec.email,
            "website": None,
            "parent": ids[spec.parent] if spec.parent is not None else None,
            "title": title,
        }
        status, body = http_request(
            f"{base_url}/new?uri={uri}",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        if status != 201:
            raise RuntimeError(f"Isso refused a thread comment: HTTP {status} {body[:300]!r}")
        ids.append(json.loads(body)["id"])
    return ids


def count_comments(thread):
    """Comments in Isso's answer to GET /?uri=...: top-level ones with their replies nested."""
    return sum(1 + count_comments(reply) for reply in thread.get("replies", []))
