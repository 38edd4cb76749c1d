"""The ``src`` tree of an earlier commit, for benchmarks that compare before and after."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def extract_src(commit: str, into: Path) -> Path:
    """The ``src`` tree of ``commit``, extracted (no worktree, so git's metadata is untouched)."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "src"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"
