"""Shared fixtures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def run_cli(
    *args: str, cwd: Path | None = None, input_text: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m escalsim ARGS`` in a subprocess, as a user would."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESCALSIM_")}
    return subprocess.run(
        [sys.executable, "-m", "escalsim", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=env,
        input=input_text,
        timeout=120,
        check=False,
    )
