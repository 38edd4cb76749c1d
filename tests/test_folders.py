"""The folder, seed and resume rules (escalsim.experiment.folders), in the API and the CLI alike.

``escalsim run --out DIR`` and ``escalsim.run(..., out=DIR)`` call the same functions; these
tests check that they decide the same way: the same refusals with the same message, the same
resume of a finished folder (only for the same scenario and seed), the same seed rules.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

import escalsim
from conftest import cli_in_process as cli
from escalsim.errors import StoreError, UsageError
from escalsim.experiment import folders
from escalsim.experiment.results import work_folder

#: A small run: the API's keyword arguments and the CLI's options for the same request.
RUN = dict(replications=30, twin=False, workers=1, plots=False)


def run_args(out: Path, *extra: str, scenario: str = "brinkmanship") -> list[str]:
    """``escalsim run`` options for the same request as :data:`RUN`."""
    return [
        "run",
        scenario,
        "-n",
        "30",
        "--no-twin",
        "--workers",
        "1",
        "--no-plots",
        "--format",
        "csv",
        "-q",
        "--out",
        str(out),
        *extra,
    ]


def refusal(exc: UsageError) -> tuple[str, str]:
    """The option and message of a refusal (as the CLI shows it)."""
    problem = exc.problems[0]
    return str(problem.loc[0]), problem.message


# -- the rules ------------------------------------------------------------------------------------
def test_default_folders_name_the_scenario_the_time_and_the_seed():
    now = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert folders.default_folder("x", 7, now=now) == Path("results/x/20250102T030405Z-s7")
    assert folders.default_folder("x", 7, "sweep", now=now).name == "sweep-20250102T030405Z-s7"
    assert folders.default_folder("x", 7, "calibration", now=now).name.startswith("calibrate-")
    assert re.fullmatch(r"\d{8}T\d{6}Z-s3", folders.default_folder("x", 3).name)
    assert folders.default_folder_pattern("sweep") == "results/<scenario>/sweep-<time>-s<seed>/"


def test_the_seed_of_a_run_is_given_stored_or_drawn(tmp_path):
    assert folders.run_seed(5) == (5, False)
    seed, drawn = folders.run_seed(None)
    assert drawn
    assert 0 <= seed < 2**63
    with pytest.raises(UsageError) as caught:
        folders.run_seed(None, resume=True)
    assert refusal(caught.value) == (
        "--resume",
        "--resume needs --out: the folder of the run to finish",
    )
    # Resuming without a seed takes the stored run's; nothing stored: drawn.
    out = tmp_path / "run"
    escalsim.run("brinkmanship", seed=41, out=out, **RUN)
    assert folders.run_seed(None, out=out, resume=True) == (41, False)
    assert folders.run_seed(None, out=tmp_path / "none", resume=True)[1]


def test_which_folders_a_run_takes(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    full = tmp_path / "full"
    full.mkdir()
    (full / "notes.txt").write_text("mine", encoding="utf-8")
    assert folders.prepare_run_folder(tmp_path / "new") is False
    assert folders.prepare_run_folder(empty) is False
    assert folders.prepare_run_folder(empty, resume=True) is False
    with pytest.raises(UsageError) as caught:
        folders.prepare_run_folder(full)
    assert refusal(caught.value) == ("--out", f"{full} exists; choose another folder")
    with pytest.raises(UsageError) as caught:
        folders.prepare_run_folder(full, resume=True)
    assert refusal(caught.value) == ("--out", f"{full} exists and is not a run folder")
    (full / "manifest.json").write_text("{}", encoding="utf-8")
    assert folders.prepare_run_folder(full, resume=True) is True
    blocked = tmp_path / "file"
    blocked.write_text("", encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        folders.check_writable(blocked / "run")
    assert "is a file, not a folder" in refusal(caught.value)[1]


# -- the API and the CLI decide alike -----------------------------------------------------------
def test_both_refuse_a_folder_that_is_not_a_run_folder_with_the_same_message(tmp_path):
    full = tmp_path / "full"
    full.mkdir()
    (full / "notes.txt").write_text("mine", encoding="utf-8")
    for resume, expected in ((False, "exists; choose another folder"), (True, "is not a run")):
        with pytest.raises(UsageError) as caught:
            escalsim.run("brinkmanship", seed=1, out=full, resume=resume, **RUN)
        option, message = refusal(caught.value)
        assert expected in message
        code, _, err = cli(*run_args(full, "--seed", "1", *(["--resume"] if resume else [])))
        assert code == 2
        assert f"Invalid value for {option}: {message}" in err
    assert [p.name for p in full.iterdir()] == ["notes.txt"]
    with pytest.raises(UsageError) as caught:
        escalsim.run("brinkmanship", seed=1, resume=True, **RUN)
    option, message = refusal(caught.value)
    code, _, err = cli("run", "brinkmanship", "--seed", "1", "--resume")
    assert code == 2
    assert f"Invalid value for {option}: {message}" in err


def test_a_run_folder_of_the_api_is_one_of_the_cli_and_back(tmp_path):
    by_api, by_cli = tmp_path / "api", tmp_path / "cli"
    results = escalsim.run("brinkmanship", seed=77, out=by_api, **RUN)
    assert cli(*run_args(by_cli, "--seed", "77"))[0] == 0
    assert not work_folder(by_api).exists()
    for name in ("runs.parquet", "summary.csv"):
        assert (by_api / name).read_bytes() == (by_cli / name).read_bytes()
    pd.testing.assert_frame_equal(results.runs, escalsim.Results.load(by_cli).runs)
    assert "command" not in results.manifest
    assert escalsim.Results.load(by_cli).manifest["command"].startswith("escalsim run ")

    # Each resumes the other's finished folder, reusing its seed: nothing runs again.
    code, _, err = cli(*run_args(by_api, "--resume"))
    assert code == 0, err
    again = escalsim.run("brinkmanship", out=by_cli, resume=True, **RUN)
    assert again.manifest["seed"] == 77
    # ... and both refuse it for another seed or scenario, naming what changed.
    for seed, scenario, changed in ((78, "brinkmanship", "seed"), (77, "ipd-noise", "scenario")):
        with pytest.raises(StoreError) as caught:
            escalsim.run(scenario, seed=seed, out=by_api, resume=True, **RUN)
        assert changed in str(caught.value)
        code, _, err = cli(*run_args(by_cli, "--seed", str(seed), "--resume", scenario=scenario))
        assert code == 2
        assert caught.value.problems[0].message.replace(str(by_api), str(by_cli)) in err


def test_without_a_seed_both_draw_one_and_record_it(tmp_path, capsys):
    results = escalsim.run("brinkmanship", out=tmp_path / "api", **RUN)
    assert escalsim.Results.load(tmp_path / "api").manifest["seed"] == results.manifest["seed"]
    args = [a for a in run_args(tmp_path / "cli") if a != "-q"]
    code, _, err = cli(*args)
    assert code == 0, err
    drawn = int(re.search(r"seed: (\d+) \(drawn; pass --seed \1 to repeat this run\)", err)[1])
    assert escalsim.Results.load(tmp_path / "cli").manifest["seed"] == drawn


# -- a sweep never empties a folder it did not make ----------------------------------------------
def test_a_sweep_refuses_a_folder_that_holds_something_else(tmp_path):
    from escalsim.experiment.sweep import define_sweep, run_sweep
    from escalsim.scenario import load_scenario

    mine = tmp_path / "docs"
    mine.mkdir()
    (mine / "thesis.txt").write_text("three years of work", encoding="utf-8")
    (mine / ".git").mkdir()
    sweep, chunk = define_sweep(
        load_scenario("hotline-1963"), ["channels.hotline.noise=0,0.5"], replications=2
    )
    with pytest.raises(UsageError) as caught:
        run_sweep(sweep, mine, chunk=chunk, workers=1)
    option, message = refusal(caught.value)
    assert (option, message) == ("--out", f"{mine} exists; choose another folder")
    vary = ["--vary", "channels.hotline.noise=0,0.5", "-n", "2", "--workers", "1", "-q"]
    code, _, err = cli("sweep", "hotline-1963", *vary, "--out", str(mine))
    assert code == 2
    assert f"Invalid value for {option}: {message}" in err
    assert sorted(p.name for p in mine.iterdir()) == [".git", "thesis.txt"]
    # An empty folder, or one with only the lock a killed sweep left, is taken.
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / ".lock").write_text("123\n", encoding="utf-8")
    assert cli("sweep", "hotline-1963", *vary, "--out", str(empty))[0] == 0
    assert (empty / "manifest.json").is_file()


def test_a_sweep_resumes_with_its_stored_seed_as_a_run_does(tmp_path):
    """``sweep --resume`` without ``--seed`` takes the stored sweep's seed (it used to take the
    scenario's run.seed, and then refused the sweep as a different one)."""
    from escalsim.experiment.sweep import load_sweep

    out = tmp_path / "sweep"
    args = ["sweep", "brinkmanship", "--vary", "channels.public.noise=0:0.2:2", "-n", "6"]
    code, _, err = cli(*args, "--seed", "5", "--out", str(out), "--workers", "1", "-q")
    assert code == 0, err
    whole = load_sweep(out)[1]
    parts = sorted((out / "runs").iterdir())
    parts[-1].unlink()
    code, _, err = cli(*args, "--out", str(out), "--workers", "1", "--resume", "-q")
    assert code == 0, err
    pd.testing.assert_frame_equal(load_sweep(out)[1], whole, check_exact=True)
