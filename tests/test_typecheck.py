"""The type check CI runs (issue 16): mypy, configured in pyproject.toml, passes on src/."""

from __future__ import annotations

import subprocess
import sys


def test_mypy_is_clean(root):
    """``python -m mypy`` in the repository root (its [tool.mypy] names the files) exits 0."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
