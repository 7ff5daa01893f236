"""The application as a WSGI server loads it (cms/wsgi.py), in an interpreter of its own."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

LOAD_THE_APPLICATION = """
import gc, json
before = gc.get_freeze_count()
from cms.wsgi import application
print(json.dumps({"before": before, "frozen": gc.get_freeze_count()}))
"""


def test_loading_the_application_freezes_its_long_lived_objects():
    """A worker's modules, models and settings are out of the collector's reach once the
    application is loaded: a full collection walking them was every page's p99."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "cms.settings.test"}
    loaded = subprocess.run(  # noqa: S603 (this interpreter, our module)
        [sys.executable, "-c", LOAD_THE_APPLICATION],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(loaded.stdout.strip().splitlines()[-1])
    assert report["before"] == 0
    # Django, Wagtail and the project's own modules: tens of thousands of objects.
    assert report["frozen"] > 20_000
