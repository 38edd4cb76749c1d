"""escalsim run: pairing, determinism, atomic writes, figures, and a known P(war)."""

from __future__ import annotations

import json
import math
import os
import stat
from typing import Any

import pandas as pd
import pytest
from PIL import Image

from conftest import run_cli, run_cli_in_process, wait_until
from escalsim.experiment.results import FIGURES, HELPER_FIGURES, Results
from escalsim.experiment.runner import run
from escalsim.scenario import ScenarioError, load_scenario, load_text, shipped

R = 0.08
HOLD = 6
# Two scripted powers climb onto a rung with war risk R in round 1 and hold it: war by accident
# happens with probability 1 - (1 - R)^HOLD within HOLD rounds. No other randomness matters.
KNOWN = f"""
schema_version: 2
id: known-war
name: A known probability of war
run: {{rounds: {HOLD}, time_unit: day, replications: 100, seed: 1}}
ladder:
  rungs:
    - {{name: calm, cost: 0}}
    - {{name: brink, cost: 0, war_risk: {R}}}
    - {{name: war, cost: 1}}
  war_rung: war
endings: {{settlement_rounds: null, capitulation: false}}
actors:
  - {{id: A, name: A, role: power, capability: 1, resolve: 0.5,
      policy: {{name: scripted, moves: [step_up], then: hold}}}}
  - {{id: B, name: B, role: power, capability: 1, resolve: 0.5,
      policy: {{name: scripted, moves: [step_up], then: hold}}}}
channels:
  - {{id: public, kind: public, noise: 0.3}}
  - {{id: hotline, kind: hotline, between: [A, B], noise: 0.0, open: false}}
conditions:
  closed: {{}}
  open: {{set: {{channels.hotline.open: true}}}}
"""


@pytest.fixture(scope="module")
def known():
    return load_text(KNOWN, "known.yaml")


def test_wilson_interval_covers_a_known_probability_of_war(known):
    """P(war) = 1 - 0.92^6 = 0.3936; with 2000 runs the 99.9% Wilson CI must cover it (a 0.1%
    chance of a false failure)."""
    truth = 1 - (1 - R) ** HOLD
    results = run(known, replications=2000, seed=4, conditions=["closed"], twin=False, workers=1)
    table = results.summary(confidence=0.999)
    row = table[(table.metric == "p_war")].iloc[0]
    assert row.lo <= truth <= row.hi
    assert row.n == 2000


def test_conditions_are_paired_on_the_same_replications(known):
    """Scripted moves and the war draw do not depend on the channel: with common random numbers
    the two conditions end identically, run by run, and their difference is exactly 0."""
    results = run(known, replications=60, seed=9, twin=False, workers=1)
    a = results.runs[results.runs.condition == "closed"].set_index("replication")
    b = results.runs[results.runs.condition == "open"].set_index("replication")
    assert list(a.index) == list(b.index) == list(range(60))
    assert (a["outcome"] == b["outcome"]).all()
    assert (a["end_round"] == b["end_round"]).all()
    diff = results.compare()
    row = diff[diff.metric == "p_war"].iloc[0]
    assert row.estimate == 0.0


def test_results_do_not_depend_on_the_number_of_workers():
    one = run("hotline-1963", replications=30, seed=5, workers=1)
    two = run("hotline-1963", replications=30, seed=5, workers=2)
    pd.testing.assert_frame_equal(one.runs, two.runs)
    pd.testing.assert_frame_equal(one.events, two.events)


def test_a_run_shared_with_a_helper_process_gives_the_same_results(monkeypatch):
    """This process and a helper share the tasks (SharedExecutor): the same frames, bit for bit.

    A start-up of 1 ms (``$ESCALSIM_WORKER_START_SECONDS``) makes the small run worth a helper
    (runner.worth_starting), and tasks of 10 replications make ten tasks, some run here and
    some in the helper.
    """
    one = run("hotline-1963", replications=50, seed=5, workers=1, chunk=10)
    monkeypatch.setenv("ESCALSIM_WORKER_START_SECONDS", "0.001")
    two = run("hotline-1963", replications=50, seed=5, workers=2, chunk=10)
    assert (one.manifest["workers"], two.manifest["workers"]) == (1, 2)
    pd.testing.assert_frame_equal(one.runs, two.runs, check_exact=True)
    pd.testing.assert_frame_equal(one.timeseries, two.timeseries, check_exact=True)
    pd.testing.assert_frame_equal(one.events, two.events, check_exact=True)


@pytest.mark.parametrize("given", ["soon", "0", "-1", "nan", "inf"])
def test_a_bad_worker_start_up_in_the_environment_is_refused_by_name(given, monkeypatch):
    """``$ESCALSIM_WORKER_START_SECONDS`` must be a number > 0: otherwise a usage error that
    names the variable and what it holds, before anything runs."""
    from escalsim.errors import UsageError

    monkeypatch.setenv("ESCALSIM_WORKER_START_SECONDS", given)
    with pytest.raises(UsageError, match="ESCALSIM_WORKER_START_SECONDS") as caught:
        run("hotline-1963", replications=50, seed=5, workers=2, chunk=10)
    assert repr(given) in str(caught.value)


def test_a_shared_executor_runs_here_while_its_helper_is_busy():
    """The first task goes to the helper (still starting); the next waits in the queue until
    this process takes it (``work_here``), and runs here."""
    from escalsim.experiment.executors import make_executor

    choice = make_executor(2, shared=True)
    try:
        assert choice.label == "this process and 1 local process"
        first = choice.executor.submit(os.getpid)
        second = choice.executor.submit(os.getpid)
        assert not second.done()
        assert choice.executor.work_here()
        assert second.result() == os.getpid()
        assert first.result() != os.getpid()
        assert not choice.executor.work_here()  # nothing left in the queue
    finally:
        choice.close()


def test_a_helper_takes_the_next_task_while_this_process_runs_one():
    """A helper that finishes while this process runs a task takes the next queued task then,
    not when this process comes back for it: the task run here waits for the third task, which
    only the helper can run meanwhile (the first version of SharedExecutor left the helper idle
    for as long as this process's task lasted, so this test would wait for ever; the guard's
    generous timeout only turns such a hang into a failure)."""
    from escalsim.experiment.executors import make_executor

    choice = make_executor(2, shared=True)
    later: dict[str, Any] = {}
    try:
        first = choice.executor.submit(os.getpid)
        second = choice.executor.submit(lambda: later["third"].result(timeout=300))
        later["third"] = choice.executor.submit(os.getpid)
        assert choice.executor.work_here()  # runs `second` here, which waits for the third
        helper = first.result()
        assert helper != os.getpid()
        assert second.result() == later["third"].result() == helper
    finally:
        choice.close()


def test_a_worker_let_go_by_its_pool_ends_with_exit_code_0_after_its_last_result():
    """A worker leaves by ``os._exit`` once its pool lets it go (``workers._WorkerProcess.run``,
    skipping the interpreter's teardown): every result was delivered first, and it ends as a
    worker that returned does (exit code 0), so the pool's shutdown sees a clean exit."""
    from escalsim.experiment.workers import pool_processes, worker_pool

    pool = worker_pool(2)
    try:
        results = [pool.submit(pow, k, 2) for k in range(20)]
        assert [f.result(timeout=300) for f in results] == [k * k for k in range(20)]
        workers = pool_processes(pool)
        assert workers
    finally:
        pool.shutdown(wait=True)
    assert [w.exitcode for w in workers] == [0] * len(workers)


def _stamp(path: str, what: str) -> int:
    """Append ``what`` to the file ``path`` (in whichever process runs it); its process id."""
    with open(path, "a", encoding="utf-8") as f:
        f.write(what + "\n")
    return os.getpid()


def test_when_drained_runs_in_a_helper_once_no_task_is_left_for_it(tmp_path):
    """``SharedExecutor.when_drained``: the helper runs the function after the tasks queued
    for it, never before one (it must not delay the run), once; at once when it is idle."""
    import functools

    from escalsim.experiment.executors import make_executor

    log = tmp_path / "log"
    choice = make_executor(2, shared=True)
    try:
        first = choice.executor.submit(_stamp, str(log), "first")  # to the helper at once
        second = choice.executor.submit(_stamp, str(log), "second")  # queued for it
        choice.executor.when_drained(functools.partial(_stamp, str(log), "drained"))
        assert first.result(timeout=300) == second.result(timeout=300) != os.getpid()
        # The pool's thread sends the drained function just after it passes on the second
        # result: wait for its line (closing first would keep it from being sent at all).
        wait_until(lambda: len(log.read_text().split()) >= 3, "the drained function's line")
    finally:
        choice.close()
    assert log.read_text().split() == ["first", "second", "drained"]
    idle = tmp_path / "idle"
    choice = make_executor(2, shared=True)
    try:
        choice.executor.when_drained(functools.partial(_stamp, str(idle), "drained"))
    finally:
        choice.close()
    assert idle.read_text().split() == ["drained"]


def test_a_shared_executor_cancels_its_queued_tasks_when_closed_with_cancel():
    """Closing with ``cancel`` drops the queued tasks (their futures cancelled) and refuses more."""
    from escalsim.experiment.executors import make_executor

    choice = make_executor(2, shared=True)
    first = choice.executor.submit(os.getpid)
    queued = [choice.executor.submit(os.getpid) for _ in range(3)]
    choice.close(cancel=True)
    assert all(f.cancelled() for f in queued)
    assert first.done()
    with pytest.raises(RuntimeError, match="after shutdown"):
        choice.executor.submit(os.getpid)


def test_a_helper_process_is_started_only_when_its_share_outlasts_its_start_up():
    """runner.worth_starting: the --dry-run time model against a worker's start-up."""
    from escalsim.experiment.runner import worth_starting
    from escalsim.scenario import load_scenario

    geneva = load_scenario("geneva-2022")
    names = geneva.condition_names
    assert worth_starting(geneva, 200, names, True, 2) == 2  # about 2.9 s of work
    assert worth_starting(geneva, 20, names, True, 2) == 1  # about 1.5 s: in this process
    assert worth_starting(geneva, 200, names, True, 1) == 1
    brink = load_scenario("brinkmanship")
    assert worth_starting(brink, 50, brink.condition_names, False, 2) == 1


def _same_frames(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Equal to the bit: values, dtypes, index, and the kind of values in each object column."""
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert a.index.equals(b.index)
    for column in a.columns:
        if a[column].dtype == object:
            kinds = (pd.api.types.infer_dtype(x[column], skipna=False) for x in (a, b))
            assert len(set(kinds)) == 1, column


@pytest.mark.parametrize(
    ("name", "engine"), [*((n, "batch") for n in shipped.names()), ("hotline-1963", "agents")]
)
def test_the_parts_a_run_keeps_are_the_frames_its_files_read_back(
    name, engine, tmp_path, monkeypatch
):
    """A run does not read back the parts it wrote (``PartStore.read``'s ``kept``): right only
    if every part's files give back its frames exactly. Each shipped scenario (and the mesa
    face's frames), with twins and every replication's timeseries and events kept."""
    from escalsim.experiment.store import PartStore

    checked: list[int] = []
    read = PartStore.read

    def read_both(self, tasks, kept=None):
        assert kept is not None
        assert set(kept) == {t.name for t in tasks}  # every part was written here: none read
        mine, files = read(self, tasks, kept=kept), read(self, tasks)
        for a, b in zip(mine, files, strict=True):
            _same_frames(a, b)
        checked.append(len(files[1]))
        return mine

    monkeypatch.setattr(PartStore, "read", read_both)
    n = 1 if engine == "agents" else 3
    rounds = 60 if name == "ipd-noise" else None  # its 1,000 turns add rows, not kinds of rows
    conditions = load_scenario(name).condition_names[:2]  # two, each in two parts
    run(name, replications=n, seed=11, engine=engine, workers=1, chunk=2, plots=False,
        rounds=rounds, conditions=conditions, out=tmp_path / "run")  # fmt: skip
    assert len(checked) == 1
    assert checked[0] > 0  # timeseries rows were compared


def test_save_and_load_round_trip_with_every_figure(tmp_path):
    results = run("hotline-1963", replications=12, seed=3, workers=1)
    folder = results.save(tmp_path / "run")
    for name in (
        "runs.parquet",
        "timeseries.parquet",
        "events.parquet",
        "summary.csv",
        "manifest.json",
        *FIGURES.values(),
    ):
        path = folder / name
        assert path.is_file(), name
        assert path.stat().st_size > 0, name
    png = (folder / "ladder_fan.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["seed"] == 3
    assert manifest["replications"] == 12
    assert len(manifest["scenario_sha256"]) == 64
    assert {"escalsim", "mesa", "numpy", "pandas", "python"} <= set(manifest["versions"])
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o777 & ~umask  # not mkdtemp's 0700
    again = Results.load(folder)
    pd.testing.assert_frame_equal(again.runs, results.runs)
    assert again.summary().equals(results.summary())


def test_run_writes_its_five_figures_unless_told_not_to(tmp_path):
    """`escalsim run` writes the five PNGs under their names, whole, at 150 dpi; --no-plots none."""
    args = ["run", "hotline-1963", "-n", "6", "--seed", "2", "--workers", "1", "-q"]
    drawn = run_cli_in_process(*args, "--out", str(tmp_path / "drawn"))
    assert drawn.returncode == 0, drawn.stderr
    folder = tmp_path / "drawn"
    assert sorted(p.name for p in folder.glob("*.png")) == sorted(FIGURES.values())
    results = Results.load(folder)
    for method, name in FIGURES.items():
        path = folder / name
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        with Image.open(path) as image:
            assert image.format == "PNG", name
            image.load()  # decodes every row: a truncated or corrupt file raises here
            size = image.size
        inches = getattr(results, method)().get_size_inches()
        assert size == pytest.approx(tuple(inches * 150), abs=1), name  # the dpi is kept
    bare = run_cli_in_process(*args, "--out", str(tmp_path / "bare"), "--no-plots")
    assert bare.returncode == 0, bare.stderr
    assert list((tmp_path / "bare").glob("*.png")) == []
    assert (tmp_path / "bare" / "runs.parquet").is_file()


def test_a_helper_draws_some_figures_and_they_are_the_same_files(tmp_path, monkeypatch):
    """A run with a helper process keeps it for its figures (``HeldExecutor``): the helper
    draws ``HELPER_FIGURES`` while this process draws the others. Every PNG is the same file,
    byte for byte, as a run in one process draws; and the helper is shut down afterwards."""
    from escalsim.experiment import executors, results

    given: list[bool] = []
    save_figures = results.Results.save_figures

    def spy(self, folder, helpers=None):
        given.append(helpers is not None)
        return save_figures(self, folder, helpers)

    monkeypatch.setattr(results.Results, "save_figures", spy)
    held: list[executors.HeldExecutor] = []
    monkeypatch.setattr(executors.HeldExecutor, "__enter__", lambda self: held.append(self) or self)
    run("hotline-1963", replications=50, seed=4, workers=1, out=tmp_path / "one")
    monkeypatch.setenv("ESCALSIM_WORKER_START_SECONDS", "0.001")  # a helper is worth starting
    run("hotline-1963", replications=50, seed=4, workers=2, out=tmp_path / "two")
    assert given == [False, True]
    assert held[-1].choice is None  # closed when the run ended
    for name in FIGURES.values():
        assert (tmp_path / "two" / name).read_bytes() == (tmp_path / "one" / name).read_bytes()


def test_a_helper_process_draws_the_same_file_unless_its_settings_differ(tmp_path):
    """``draw_figure`` in a spawned helper gives this process's bytes; with matplotlib
    settings changed here (a style, an ``rcParams`` value), which a helper does not have, it
    draws nothing and ``save_figures`` draws the figure here, in the changed style."""
    import matplotlib

    from escalsim.experiment.results import draw_figure, figure_settings
    from escalsim.experiment.workers import worker_pool

    results = run("hotline-1963", replications=6, seed=2, workers=1)
    here = results.save_figures(tmp_path / "here")
    pool = worker_pool(1)
    try:
        for method in HELPER_FIGURES:
            call = results._figure_call(method)
            path = pool.submit(
                draw_figure, *call, tmp_path / "helper" / FIGURES[method], figure_settings()
            ).result(timeout=300)
            assert path.read_bytes() == (tmp_path / "here" / FIGURES[method]).read_bytes()
        with matplotlib.rc_context({"font.size": 16.0}):
            call = results._figure_call("plot_network")
            refused = pool.submit(draw_figure, *call, tmp_path / "x.png", figure_settings())
            with pytest.raises(RuntimeError, match="settings differ"):
                refused.result(timeout=300)
            styled = results.save_figures(tmp_path / "styled", pool)
    finally:
        pool.shutdown()
    assert not (tmp_path / "x.png").exists()
    assert [p.name for p in styled] == [p.name for p in here]
    with matplotlib.rc_context({"font.size": 16.0}):
        results.save_figures(tmp_path / "again")  # no helper: drawn here, in the style
    network = FIGURES["plot_network"]
    styled_network = (tmp_path / "styled" / network).read_bytes()
    assert styled_network != (tmp_path / "here" / network).read_bytes()
    assert styled_network == (tmp_path / "again" / network).read_bytes()


def test_a_figure_the_helper_fails_to_draw_is_drawn_here(tmp_path):
    """A helper that died (its pool broken) does not cost the run its figures: each figure
    sent to it is drawn in this process instead, the same file."""
    from concurrent.futures import Executor, Future
    from concurrent.futures.process import BrokenProcessPool

    class Broken(Executor):
        def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
            future: Future[Any] = Future()
            future.set_exception(BrokenProcessPool("a helper died"))
            return future

    results = run("hotline-1963", replications=6, seed=2, workers=1)
    here = results.save_figures(tmp_path / "here")
    broken = results.save_figures(tmp_path / "broken", Broken())
    assert [p.name for p in broken] == [p.name for p in here]
    for a, b in zip(here, broken, strict=True):
        assert a.read_bytes() == b.read_bytes()


def test_a_held_executor_kills_its_workers_when_its_block_ends_by_an_exception():
    """``HeldExecutor`` closes what it holds at the block's end: shut down after a normal end,
    its workers killed after an exception (a Ctrl-C while the figures are drawn), so that no
    helper outlives the run."""
    from escalsim.experiment.executors import HeldExecutor, make_executor
    from escalsim.experiment.workers import pool_processes

    with HeldExecutor() as held:
        held.adopt(make_executor(2, shared=True))
        assert held.pool is not None
        assert held.pool.submit(os.getpid).result(timeout=300) != os.getpid()
    assert held.choice is None
    interrupted = HeldExecutor()
    interrupted.adopt(make_executor(2, shared=True))
    assert interrupted.pool is not None
    interrupted.pool.submit(os.getpid).result(timeout=300)
    workers = pool_processes(interrupted.pool)
    assert workers
    with pytest.raises(KeyboardInterrupt), interrupted:
        raise KeyboardInterrupt  # e.g. Ctrl-C while the figures are drawn
    assert interrupted.choice is None
    assert all(not w.is_alive() for w in workers)


def test_an_interrupted_save_leaves_no_folder(tmp_path, monkeypatch):
    results = run("hotline-1963", replications=4, seed=3, workers=1)

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Results, "save_figures", boom)
    with pytest.raises(KeyboardInterrupt):
        results.save(tmp_path / "run")
    assert list(tmp_path.iterdir()) == []


def test_bad_condition_and_rounds_are_scenario_errors():
    with pytest.raises(ScenarioError, match="did you mean 'hotline'"):
        run("hotline-1963", replications=2, seed=1, conditions=["hotlin"])
    with pytest.raises(ScenarioError, match="baseline"):
        run("hotline-1963", replications=2, seed=1, baseline="nope")


def test_rounds_override_drops_later_events():
    results = run("geneva-2022", replications=3, seed=1, rounds=4, workers=1, twin=False)
    assert results.runs["end_round"].max() <= 4


def test_cli_run_json_contract_and_byte_identical_runs(tmp_path):
    args = [
        "run",
        "hotline-1963",
        "--replications",
        "16",
        "--seed",
        "1",
        "--format",
        "json",
        "--workers",
        "1",
        "--no-plots",
    ]
    first = run_cli(*args, "--out", str(tmp_path / "a"))
    assert first.returncode == 0, first.stderr
    contract = json.loads(first.stdout)
    for name in (
        "p_war",
        "p_nuclear",
        "p_war_attributable",
        "mean_peak_rung",
        "miscalculation_rate",
        "miscalculated_escalations_per_run",
        "perception_error_rate",
    ):
        for cond in ("no_hotline", "hotline"):
            cell = contract["conditions"][cond][name]
            assert set(cell) >= {"estimate", "ci"}
            assert len(cell["ci"]) == 2
    assert "hotline" in contract["differences"]
    # The first run was a process of its own, this one runs here: byte-identical output across
    # processes (another hash seed, another import order), and one command's imports the less.
    second = run_cli_in_process(*args, "--out", str(tmp_path / "b"))
    assert second.returncode == 0, second.stderr
    assert (tmp_path / "a" / "runs.parquet").read_bytes() == (
        tmp_path / "b" / "runs.parquet"
    ).read_bytes()
    shown = run_cli_in_process("show", str(tmp_path / "a"), "--format", "json")
    assert shown.returncode == 0
    assert json.loads(shown.stdout) == contract
    plotted = run_cli_in_process("plot", str(tmp_path / "a"))
    assert plotted.returncode == 0, plotted.stderr
    assert (tmp_path / "a" / "war_by_round.png").stat().st_size > 0


def test_cli_run_draws_and_prints_a_seed(tmp_path):
    out = run_cli_in_process(
        "run",
        "brinkmanship",
        "-n",
        "5",
        "--out",
        str(tmp_path / "r"),
        "--no-plots",
        "--format",
        "csv",
        "--workers",
        "1",
    )
    assert out.returncode == 0, out.stderr
    assert "seed: " in out.stderr
    assert "pass --seed" in out.stderr
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert str(manifest["seed"]) in out.stderr
    assert out.stdout.startswith("condition,metric")


def test_cli_run_bad_inputs_exit_2(tmp_path):
    assert run_cli_in_process("run", "nope.yaml").returncode == 2
    bad = run_cli_in_process("run", "hotline-1963", "--condition", "hotlin", "-n", "2")
    assert bad.returncode == 2
    assert "did you mean 'hotline'" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert run_cli_in_process("run", "hotline-1963", "-n", "0").returncode == 2
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")  # an empty folder is accepted
    taken = run_cli_in_process("run", "hotline-1963", "-n", "2", "--out", str(tmp_path / "taken"))
    assert taken.returncode == 2
    assert "exists" in taken.stderr


def test_unresolved_differences_are_warned_about(tmp_path):
    out = run_cli_in_process(
        "run",
        "hotline-1963",
        "-n",
        "8",
        "--seed",
        "2",
        "--out",
        str(tmp_path / "w"),
        "--no-plots",
        "--workers",
        "1",
    )
    assert out.returncode == 0, out.stderr
    assert "would resolve it" in out.stderr
    assert math.isfinite(float(out.stderr.split("about ")[1].split(" ")[0].replace(",", "")))


def test_ctrl_c_exits_130_and_leaves_no_run_folder(tmp_path, spawn):
    """SIGINT while replications run: exit 130, one line on stderr, no run folder."""
    import signal

    out = tmp_path / "run"
    child = spawn(
        "run",
        "geneva-2022",
        "-n",
        "3000",
        "--seed",
        "3",
        "--out",
        str(out),
        "--quiet",
        "--workers",
        "2",
        # The agent driver keeps this run going for minutes, so the signal always lands
        # mid-run (the batch engine could finish 6,000 runs before it arrives).
        "--engine",
        "agents",
    )
    # Not a fixed sleep, which a loaded machine can make land before the run has begun: the
    # command says it is ready, then its work folder appears (the run's own handling is on).
    child.wait_ready()
    child.wait_for((tmp_path / ".run.partial").exists, "the run's work folder appeared")
    child.send(signal.SIGINT)
    _, err = child.communicate()
    assert child.returncode == 130
    # One line, with the command that finishes the run (tests/test_faults.py resumes runs).
    assert err.strip().startswith("escalsim: interrupted (SIGINT); ")
    assert err.strip().endswith("--resume")
    assert len(err.strip().splitlines()) == 1
    # No run folder; at most the hidden work folder with the parts finished so far.
    assert [p.name for p in tmp_path.iterdir()] in ([], [".run.partial"])
