"""scripts/setup.sh: a clear one-sentence failure without Python >= 3.12, and a no-op re-run."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import TIMEOUT

OLD_PYTHON = """#!/bin/sh
# Stands in for an interpreter that is too old.
exit 1
"""


def _copy_project(root: Path, dest: Path) -> Path:
    (dest / "scripts").mkdir(parents=True)
    (dest / "requirements").mkdir()
    shutil.copy(root / "scripts" / "setup.sh", dest / "scripts" / "setup.sh")
    shutil.copy(root / "requirements" / "dev.lock", dest / "requirements" / "dev.lock")
    shutil.copy(root / "pyproject.toml", dest / "pyproject.toml")
    return dest


def test_fails_with_one_sentence_when_no_python_is_suitable(root, tmp_path):
    project = _copy_project(root, tmp_path / "project")
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    for name in ("python3", "python3.12", "python3.13"):
        exe = fake_bin / name
        exe.write_text(OLD_PYTHON)
        exe.chmod(0o755)
    env = {
        "PATH": f"{fake_bin}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYENV_ROOT": str(tmp_path / "no-pyenv"),
    }
    out = subprocess.run(
        ["bash", str(project / "scripts" / "setup.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert out.returncode == 1
    message = out.stderr.strip()
    assert message.count("\n") == 0, message
    assert "no Python 3.12 or newer was found" in message
    assert not (project / ".venv").exists()


def test_rerun_is_a_no_op(root):
    """Run twice: the first may bring .venv up to date, the second must do nothing."""
    if (root / ".venv").is_symlink():
        # A git worktree sharing another checkout's venv: setup.sh here would find the stamp
        # of that checkout and reinstall escalsim, editable, from this one into the shared venv.
        pytest.skip(".venv links to another checkout's venv: setup.sh is that checkout's to run")
    if not (root / ".venv" / ".escalsim-setup").exists():
        pytest.skip("the project was not set up by scripts/setup.sh (e.g. a hand-made venv)")
    env = dict(os.environ)
    for _attempt in range(2):
        out = subprocess.run(
            ["bash", str(root / "scripts" / "setup.sh")],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert out.returncode == 0, out.stderr
    assert "nothing to do" in out.stderr
    assert "installing" not in out.stderr
