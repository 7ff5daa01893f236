"""
The API contract as an app developer meets it: /api/v3/openapi.json linted by Spectral with
the ruleset kept beside this file (0 errors), and TypeScript types generated from it by
openapi-typescript type-checking a strict consumer (consumer.ts) that walks a post's blocks.
"""

import json
import shutil
import subprocess

from django.test import Client

import pytest

from tests.validators.tooling import HERE, node_command

TOOL_SECONDS = 120
RULESET = HERE / "openapi.spectral.yaml"
TSC_OPTIONS = [
    "--strict",
    "--noEmit",
    "--noUncheckedIndexedAccess",
    "--exactOptionalPropertyTypes",
    "--target",
    "es2022",
    "--module",
    "esnext",
    "--moduleResolution",
    "bundler",
]


def run(command, cwd=None):
    return subprocess.run(command, capture_output=True, text=True, timeout=TOOL_SECONDS, cwd=cwd)


@pytest.fixture(scope="module")
def contract_directory(tmp_path_factory, django_db_blocker):
    """The served OpenAPI document and the TypeScript types generated from it."""
    directory = tmp_path_factory.mktemp("contract")
    with django_db_blocker.unblock():
        response = Client().get("/api/v3/openapi.json")
    assert response.status_code == 200
    (directory / "openapi.json").write_bytes(response.content)
    return directory


@pytest.fixture(scope="module")
def typed_directory(contract_directory):
    generated = run(
        [
            node_command("openapi-typescript"),
            str(contract_directory / "openapi.json"),
            "--output",
            str(contract_directory / "api.d.ts"),
        ]
    )
    assert generated.returncode == 0, generated.stderr[-3000:]
    for source in ("consumer.ts", "page_narrowing.ts"):
        shutil.copy(HERE / source, contract_directory / source)
    return contract_directory


def test_spectral_finds_no_error_in_the_openapi_document(contract_directory):
    report = contract_directory / "spectral.json"
    linted = run(
        [
            node_command("spectral"),
            "lint",
            "--ruleset",
            str(RULESET),
            "--format",
            "json",
            "--fail-severity",
            "error",
            "--output",
            str(report),
            str(contract_directory / "openapi.json"),
        ]
    )
    try:
        findings = json.loads(report.read_text())
    except (OSError, json.JSONDecodeError):
        pytest.fail(f"Spectral gave no report (exit {linted.returncode}):\n{linted.stderr[-2000:]}")
    # Spectral's severities: 0 error, 1 warning, 2 info, 3 hint.
    errors = [finding for finding in findings if finding["severity"] == 0]
    assert not errors, f"{len(errors)} Spectral errors:\n" + "\n".join(
        f"  {finding['code']} at {'.'.join(map(str, finding['path']))}: {finding['message']}"
        for finding in errors
    )
    assert linted.returncode == 0, linted.stdout[-2000:] + linted.stderr[-2000:]


def test_generated_types_type_check_a_strict_consumer_of_the_post_body(typed_directory):
    checked = run([node_command("tsc"), *TSC_OPTIONS, "consumer.ts"], cwd=typed_directory)
    assert checked.returncode == 0, checked.stdout[-4000:] + checked.stderr[-2000:]


def test_a_page_narrows_by_its_type_without_a_guard(typed_directory):
    checked = run([node_command("tsc"), *TSC_OPTIONS, "page_narrowing.ts"], cwd=typed_directory)
    assert checked.returncode == 0, checked.stdout[-2000:]
