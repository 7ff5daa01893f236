"""
The Nu HTML Checker (the W3C's validator, npm ``vnu-jar``) on every reader page: 0 errors.

It is run once over all pages (each start of the JVM costs seconds). Warnings are printed
with the run's report but do not fail it; see docs/validators.md.
"""

import json
import subprocess

import pytest

from tests.validators.reader_pages import prepare_reader_site, render_with_test_client
from tests.validators.tooling import java_command, node_package_file

VNU_SECONDS = 120


def run_vnu(files):
    jar = node_package_file("vnu-jar/build/dist/vnu.jar")
    result = subprocess.run(
        [java_command(), "-jar", str(jar), "--format", "json", "--stdout", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=VNU_SECONDS,
    )
    try:
        return json.loads(result.stdout)["messages"]
    except (json.JSONDecodeError, KeyError):
        pytest.fail(f"vnu gave no report (exit {result.returncode}):\n{result.stderr[-2000:]}")


def describe(message):
    where = message.get("url", "").rsplit("/", 1)[-1]
    return (
        f"{where}:{message.get('lastLine', '?')}: {message.get('message')}\n"
        f"    {message.get('extract', '').strip()[:160]!r}"
    )


@pytest.mark.django_db
def test_every_reader_page_is_valid_html(seed_post, settings, tmp_path):
    site = prepare_reader_site(seed_post, settings)
    files = []
    for page in site.pages:
        response = render_with_test_client(site, page)
        path = tmp_path / page.file_name
        path.write_bytes(response.content)
        files.append(path)

    messages = run_vnu(files)

    errors = [m for m in messages if m.get("type") in ("error", "non-document-error")]
    checked = {m.get("url", "").rsplit("/", 1)[-1] for m in messages}
    assert not errors, f"{len(errors)} HTML errors:\n" + "\n".join(map(describe, errors))
    warnings = [m for m in messages if m.get("subType") == "warning"]
    print(f"vnu: {len(files)} pages, 0 errors, {len(warnings)} warnings")
    for warning in warnings:
        print("  " + describe(warning))
    assert checked <= {path.name for path in files}
