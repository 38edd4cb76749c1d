"""What the command line says when it is given the wrong thing, or stopped (issue 16).

Each test here was written before its fix and failed against the code it describes.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import cli_env, run_cli_in_process
from conftest import cli_in_process as cli


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


# -- defect 7: a signal or the end of input, told for what it is ---------------------------------
def test_sigterm_early_in_a_command_exits_143_and_says_sigterm(spawn):
    """SIGTERM before the command's own handling starts (here: while files are validated)."""
    child = spawn("validate", *["geneva-2022"] * 100, stdout=subprocess.DEVNULL)
    child.wait_ready()
    child.send(signal.SIGTERM)
    _, err = child.communicate()
    assert child.returncode == 143, err
    assert "escalsim: terminated (SIGTERM)" in err
    assert "SIGINT" not in err


def test_sigint_early_in_a_command_exits_130(spawn):
    child = spawn("validate", *["geneva-2022"] * 100, stdout=subprocess.DEVNULL)
    child.wait_ready()
    child.send(signal.SIGINT)
    _, err = child.communicate()
    assert child.returncode == 130, err
    assert "escalsim: interrupted (SIGINT)" in err


def test_a_command_started_with_sigint_ignored_keeps_it_ignored(spawn, tmp_path):
    # A script's background job (`escalsim run ... &`, nohup) starts with SIGINT ignored so that
    # the terminal's Ctrl-C does not reach it; escalsim keeps it so, and SIGTERM still stops it.
    # Both signals are sent together: honoured, the SIGINT would be handled first (130).
    ready = tmp_path / "ready"
    command = [sys.executable, "-m", "escalsim", "validate", *["geneva-2022"] * 100]
    child = spawn(
        sys.executable, "-c",
        "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
        f"os.execv(sys.executable, {command!r})",
        escalsim=False, stdout=subprocess.DEVNULL,
        env={**cli_env(), "ESCALSIM_READY_FILE": str(ready)},
    )  # fmt: skip
    child.wait_for(ready.exists, "the command said it was ready")
    child.send(signal.SIGINT)
    child.send(signal.SIGTERM)
    _, err = child.communicate()
    assert child.returncode == 143, err
    assert "escalsim: terminated (SIGTERM)" in err


# "After a round": hold, then the defaults of the claim (or message) and offer prompts.
@pytest.mark.parametrize("answers", ["", "2\n\n\n"], ids=["at once", "after a round"])
def test_end_of_input_in_play_is_called_so_and_exits_2(tmp_path, answers):
    save = tmp_path / "g.yaml"
    done = run_cli_in_process(
        "play", "hotline-1963", "--as", "USA", "--rounds", "3", "--save", str(save),
        input_text=answers,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "SIGINT" not in done.stderr
    assert "escalsim: end of input before the game ended" in done.stderr
    assert "Traceback" not in done.stderr
    if answers:  # the rounds played so far are kept where --save said
        assert save.exists()
        assert f"saved in {save}" in done.stderr
    else:
        assert "no moves were saved" in done.stderr


# -- defect 11: one list of exit codes -------------------------------------------------------------
def test_one_list_of_exit_codes_in_the_help_and_the_readme(root):
    from escalsim import cli as module

    text = " ".join(module.exit_codes_text().split())
    assert set(module.EXIT_CODES) == {0, 1, 2, 3, 130, 143}
    for code, meaning in module.EXIT_CODES.items():
        assert f"{code} {meaning}" in text
    _, out, _ = cli("--help")
    assert text in " ".join(out.split())
    # The README quotes the same sentence (re-wrapped).
    assert text in " ".join((root / "README.md").read_text(encoding="utf-8").split())


# -- defect 11: an unknown scenario name ---------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "meant"),
    [("geneva-2021", "geneva-2022"), ("hotline", "hotline-1963"), ("brinkmanshp", "brinkmanship")],
)
def test_an_unknown_scenario_name_gets_a_did_you_mean(name, meant):
    code, _, err = cli("validate", name)
    assert code == 2, err
    assert f"{name}: no such file" in err
    assert f"did you mean '{meant}'?" in err


def test_a_name_like_no_shipped_one_gets_the_list_command():
    code, _, err = cli("run", "zzzz-unrelated", "--dry-run")
    assert code == 2, err
    assert "did you mean" not in err
    assert "escalsim scenarios" in err


# -- defect 11: nothing from multiprocessing's resource tracker after a SIGKILL -----------------
#: How the tracker process is started (``python -c 'from multiprocessing.resource_tracker ...'``).
_TRACKER = "from multiprocessing.resource_tracker import main"


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(p) for p in (task / "children").read_text().split()]
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")
def test_no_leaked_semaphore_warning_after_the_command_is_killed(spawn, tmp_path):
    """SIGKILL (the OOM killer, `kill -9`) of the command alone: its resource tracker, which
    outlives it, cleaned up and printed "There appear to be 5 leaked semaphore objects"."""
    child = spawn(
        "run", "geneva-2022", "-n", "3000", "--engine", "agents", "--seed", "3",
        "--out", str(tmp_path / "run"), "-q", "--workers", "3",
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    child.wait_ready()

    def pool_is_up() -> bool:  # the tracker and 2 worker processes (the command is the third)
        found = [_cmdline(p) for p in _children(child.pid)]
        return sum(_TRACKER in c for c in found) == 1 and len(found) >= 3

    child.wait_for(pool_is_up, "the worker pool started")
    others = _children(child.pid)
    child.send(signal.SIGKILL)
    # The tracker waits for every holder of its pipe; the workers would finish their task first.
    for pid in others:
        if _TRACKER not in _cmdline(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    _, err = child.communicate()
    assert child.returncode == -signal.SIGKILL
    assert "leaked" not in err, err
    assert "resource_tracker" not in err, err
