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


def tune_allocator() -> None:
    """Tune the allocator as ``escalsim`` and its workers do, in any tree's process.

    Since issue 20 ``run_batch`` leaves the allocator alone and the CLI and its workers tune it
    (:func:`escalsim.allocator.keep_freed_memory`); earlier trees tuned it inside ``run_batch``.
    A benchmark of the engine calls this first, so that both trees run as ``escalsim run`` does.
    """
    try:
        from escalsim.allocator import keep_freed_memory
    except ImportError:  # an earlier tree: run_batch tunes it
        return
    keep_freed_memory()
