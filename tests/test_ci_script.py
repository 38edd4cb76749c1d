"""`.ci/run` reaches every tier: it is run against stubbed commands that only log their calls.

The stubs stand in for `scripts/setup.sh`, `scripts/audit.sh` and `.venv/bin/python`; each test
decides the exit codes the stubbed pytest returns, so the control flow of the real script is what
is checked (a dead branch after the default run went unnoticed once: issue 16).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import TIMEOUT

ROOT = Path(__file__).resolve().parents[1]


def _stubbed_ci(tmp_path: Path, default_rc: int, slow_rc: int = 0) -> tuple[int, list[str], str]:
    (tmp_path / ".ci").mkdir()
    shutil.copy(ROOT / ".ci" / "run", tmp_path / ".ci" / "run")
    log = tmp_path / "calls.log"
    stubs = {
        "scripts/setup.sh": "exit 0",
        "scripts/audit.sh": "exit 0",
        # pytest: the default run (no -m) returns default_rc, the slow tier slow_rc.
        ".venv/bin/python": (
            'case "$*" in *"-m slow"*) exit '
            + str(slow_rc)
            + " ;; *) exit "
            + str(default_rc)
            + " ;; esac"
        ),
    }
    for name, body in stubs.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f'#!/bin/bash\necho "{name} $*" >> "{log}"\n{body}\n')
        path.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    done = subprocess.run(
        ["bash", ".ci/run"],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=env,
    )
    calls = log.read_text().splitlines() if log.exists() else []
    return done.returncode, calls, done.stderr


def _readme_test_command() -> str:
    for line in (ROOT / "README.md").read_text().splitlines():
        if "pytest" in line and line.startswith("./scripts/setup.sh"):
            return line.split("#")[0].strip()
    raise AssertionError("the README has no test command")


def test_ci_calls_exactly_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert _readme_test_command() in script


def test_passing_default_run_goes_on_to_the_slow_tier_and_the_audit(tmp_path: Path) -> None:
    rc, calls, _ = _stubbed_ci(tmp_path, default_rc=0)
    assert rc == 0
    assert calls == [
        "scripts/setup.sh --browser",
        ".venv/bin/python -m pytest",
        ".venv/bin/python -m pytest -m slow",
        "scripts/audit.sh ",
    ]


def test_failing_slow_tier_fails_ci_and_still_audits(tmp_path: Path) -> None:
    rc, calls, _ = _stubbed_ci(tmp_path, default_rc=0, slow_rc=1)
    assert rc == 1
    assert calls[-1] == "scripts/audit.sh "


@pytest.mark.parametrize("default_rc", [1, 2])
def test_failing_default_run_stops_ci(tmp_path: Path, default_rc: int) -> None:
    rc, calls, stderr = _stubbed_ci(tmp_path, default_rc=default_rc)
    assert rc == default_rc
    assert calls == ["scripts/setup.sh --browser", ".venv/bin/python -m pytest"]
    assert "failed" in stderr


def test_no_tests_collected_is_a_failure(tmp_path: Path) -> None:
    rc, calls, stderr = _stubbed_ci(tmp_path, default_rc=5)
    assert rc == 1
    assert "no tests" in stderr
    assert len(calls) == 2
