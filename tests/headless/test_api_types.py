"""
The TypeScript types kept in the repository (headless/static/headless/api-types.d.ts)
match the API as it is now, and the comment component type-checks against them.

Both use the pinned tools of tests/validators/ (openapi-typescript, tsc); without them the
tests skip with the reason, and fail in CI.
"""

import subprocess

from headless.api_types import TYPES_FILE, generate_types
from tests.validators.tooling import node_command

COMPONENT = TYPES_FILE.parent / "evidence-comments.js"
TSC_OPTIONS = [
    "--noEmit",
    "--allowJs",
    "--checkJs",
    "--strict",
    "--noUncheckedIndexedAccess",
    "--target",
    "es2022",
    "--module",
    "esnext",
    "--moduleResolution",
    "bundler",
    "--lib",
    "es2022,dom,dom.iterable",
]


def test_the_committed_types_are_those_the_api_generates():
    generated = generate_types(node_command("openapi-typescript"))
    assert generated == TYPES_FILE.read_text(), (
        "headless/static/headless/api-types.d.ts is out of date: run "
        "`.venv/bin/python manage.py write_api_types` and commit it"
    )


def test_the_component_type_checks_against_the_types():
    checked = subprocess.run(  # noqa: S603 (the pinned tsc on our own file)
        [node_command("tsc"), *TSC_OPTIONS, str(COMPONENT)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stdout[-3000:]


def test_the_check_catches_a_field_the_api_does_not_have(tmp_path):
    """The control: the same check fails when the component names a field the API lacks."""
    broken = tmp_path / "evidence-comments.js"
    broken.write_text(COMPONENT.read_text().replace("comment.html", "comment.body_html", 1))
    (tmp_path / "api-types.d.ts").write_text(TYPES_FILE.read_text())
    checked = subprocess.run(  # noqa: S603 (the pinned tsc on a copy of our own file)
        [node_command("tsc"), *TSC_OPTIONS, str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode != 0
    assert "does not exist on type" in checked.stdout
