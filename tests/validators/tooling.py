"""
Where the public checkers live: one npm package beside this file (``package.json`` and its
lockfile, exact versions), installed by ``make test`` into ``node_modules/`` when missing
or changed, and Java for the Nu HTML Checker.

A machine without npm or Java skips these checks with the reason; CI installs both, so
there a missing tool fails the run (as the browser tests do).
"""

import shutil
from pathlib import Path

from tests.e2e.conftest import skip_or_fail

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE / "node_modules"
INSTALL_HINT = "run `make test` (it runs `npm ci` in tests/validators/) with npm installed"


def node_package_file(relative):
    """A file of an installed npm package, or skip/fail saying how to get it."""
    path = NODE_MODULES / relative
    if not path.exists():
        skip_or_fail(f"{relative} is not installed: {INSTALL_HINT}")
    return path


def node_command(name):
    """``node_modules/.bin/NAME`` with node to run it."""
    if shutil.which("node") is None:
        skip_or_fail("node is not installed (apt-get install nodejs npm)")
    return str(node_package_file(f".bin/{name}"))


def java_command():
    java = shutil.which("java")
    if java is None:
        skip_or_fail(
            "java is not installed (apt-get install default-jre-headless); the Nu HTML "
            "Checker needs it"
        )
    return java
