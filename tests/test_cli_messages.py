"""What the command line says when it is given the wrong thing, or stopped (issue 16).

Each test here was written before its fix and failed against the code it describes.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from escalsim.cli import main


def cli(*args: str) -> tuple[int, str, str]:
    """Run the command line in this process; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        else:
            code = 0
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A finished run folder and a finished sweep folder, both tiny."""
    base = tmp_path_factory.mktemp("folders")
    run, sweep = base / "run", base / "sweep"
    code, _, err = cli(
        "run", "hotline-1963", "-n", "3", "--seed", "1", "--out", str(run), "-q", "--no-plots",
        "--workers", "1",
    )  # fmt: skip
    assert code == 0, err
    code, _, err = cli(
        "sweep", "hotline-1963", "--vary", "channels.hotline.noise=0:0.5:2", "-n", "3",
        "--workers", "1", "--out", str(sweep), "-q",
    )  # fmt: skip
    assert code == 0, err
    calibration = base / "calibration"
    calibration.mkdir()
    (calibration / "fit.json").write_text(json.dumps({"scenario_id": "x"}), encoding="utf-8")
    return {"run": run, "sweep": sweep, "calibration": calibration}


# -- defect 3: a folder given to the command that does not read it ------------------------------
def test_analyze_of_a_run_folder_says_what_it_is_and_what_reads_it(folders):
    code, _, err = cli("analyze", str(folders["run"]))
    assert code == 2, err
    assert "internal error" not in err
    assert f"{folders['run']} is a run folder" in err
    assert "escalsim show" in err


def test_show_and_plot_of_a_sweep_folder_say_what_it_is_and_what_reads_it(folders):
    for command in ("show", "plot"):
        code, _, err = cli(command, str(folders["sweep"]))
        assert code == 2, err
        assert "cannot read the run" not in err
        assert f"{folders['sweep']} is a sweep folder" in err
        assert "escalsim analyze" in err


def test_show_and_analyze_of_a_calibration_folder_say_what_it_is(folders):
    for command in ("show", "analyze"):
        code, _, err = cli(command, str(folders["calibration"]))
        assert code == 2, err
        assert f"{folders['calibration']} is a calibration folder" in err
        assert "fit.json" in err
