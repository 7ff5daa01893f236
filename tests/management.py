"""manage.py in a child process, for what only a fresh process shows: which settings
module loads, what the checks say, what an environment does."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_manage(*args, environment=None, **env):
    """``environment`` replaces this process's environment (default: inherit it);
    ``env`` adds to it."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**(os.environ if environment is None else environment), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
