import io
import json
from pathlib import Path

from django.core.management import call_command

import pytest
from PIL import Image as PILImage

DATA = Path(__file__).parent / "data"
EXPORT = DATA / "small-site.wxr.xml"
# The uploads the fixture's posts show; "lost-diagram.png" is missing on purpose.
UPLOADS = ["2025/05/leg-massage.png", "2025/05/calf-stretch.png"]


@pytest.fixture
def media_dir(tmp_path):
    """A copy of wp-content/uploads, as an administrator would download it."""
    root = tmp_path / "uploads"
    for relative in UPLOADS:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        PILImage.new("RGB", (40, 30), (120, 160, 200)).save(buffer, format="PNG")
        path.write_bytes(buffer.getvalue())
    return root


@pytest.fixture
def run_import(tmp_path):
    """Runs the command; returns (printed output, the JSON report)."""

    def run(*args, export=EXPORT):
        report = tmp_path / "report.json"
        out = io.StringIO()
        call_command("import_wordpress", str(export), "--report", str(report), *args, stdout=out)
        return out.getvalue(), json.loads(report.read_text())

    return run
