"""The one experiment pipeline: runs and sweeps share tasks, executors, loop, store, provenance.

Each defect of issue 16 that lives here has a test written before its fix.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from escalsim.cli import main

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str) -> int:
    try:
        main(list(args))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESCALSIM_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    return env


# -- defect 8: escalsim.run() from a script without the __main__ guard ---------------------------
def test_a_script_without_a_main_guard_can_use_worker_processes(tmp_path):
    script = tmp_path / "unguarded.py"
    script.write_text(
        textwrap.dedent(
            """
            import escalsim

            results = escalsim.run(
                "brinkmanship", replications=60, seed=5, engine="agents", workers=2, twin=False
            )
            print("workers", results.manifest["workers"], "rows", len(results.runs))
            """
        ),
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_env(),
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "workers 2 rows 120" in proc.stdout
