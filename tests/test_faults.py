"""Faults: runs and sweeps stopped by SIGINT, SIGTERM or SIGKILL at random points, or by a full
disk, leave only complete files and resume to exactly the results of an uninterrupted run.

The kill times are drawn from a seeded generator (not searched for): each case waits for the
command to start computing (its plan or manifest appears), then a drawn delay, then sends the
signal to the command alone or to its whole process group (also drawn). Whatever the moment —
before the first part, between parts, while the run folder is assembled, after it is done —
the outcome must be one of: exit 130 (SIGINT) / 143 (SIGTERM) / killed with the command to
resume on stderr and no traceback, or a complete result; every file under a final name must be
whole; no worker process may outlive the command; and ``--resume`` must then give results equal,
value for value, to an uninterrupted run. ``docs/reliability/faults.md`` has the table.

The default suite runs one point per (command, signal), six in all. The soak (marked slow, so
CI runs it after the default run) draws two more per command and signal, or N with
``ESCALSIM_FAULT_SOAK=N``.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import TIMEOUT, kill_group, sigint_as_at_a_terminal, wait_until
from escalsim.cli import main
from escalsim.experiment.results import Results, work_folder
from escalsim.experiment.runner import run as run_experiment
from escalsim.experiment.sweep import Sweep, load_sweep, missing_parts, parse_vary, run_sweep
from escalsim.scenario import load_scenario

SCENARIO = "brinkmanship"  # cheap per replication: the time goes to the faults, not the model
RUN_N, RUN_CHUNK, RUN_SEED = 1000, 100, 7  # 2 conditions x 10 parts; >= 2,000 runs use workers
#: The two conditions the runs use (the scenario has two more, with private types).
RUN_CONDITIONS = ("channel_closed", "channel_open")
SWEEP_VARY, SWEEP_N, SWEEP_CHUNK, SWEEP_SEED = "channels.public.noise=0.1,0.3", 400, 50, 3
RUN_PARTS, SWEEP_PARTS = 2 * RUN_N // RUN_CHUNK, 2 * SWEEP_N // SWEEP_CHUNK
SIGNALS = {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM, "SIGKILL": signal.SIGKILL}
EXPECTED_CODE = {"SIGINT": 130, "SIGTERM": 143, "SIGKILL": -signal.SIGKILL}
#: Outcomes seen, by (command, signal): printed at the end of the module (pytest -s) and kept in
#: FAULTS_TALLY (a JSON file) when that variable is set.
TALLY: collections.Counter[tuple[str, str, str]] = collections.Counter()


def run_args(out: Path, *extra: str) -> list[str]:
    return [
        "run",
        SCENARIO,
        "-n",
        str(RUN_N),
        "--seed",
        str(RUN_SEED),
        "--chunk",
        str(RUN_CHUNK),
        *(arg for c in RUN_CONDITIONS for arg in ("--condition", c)),
        "--no-twin",
        "--no-plots",
        "--format",
        "csv",
        "-q",
        "--out",
        str(out),
        *extra,
    ]


def sweep_args(out: Path, *extra: str) -> list[str]:
    return [
        "sweep",
        SCENARIO,
        "--vary",
        SWEEP_VARY,
        "-n",
        str(SWEEP_N),
        "--seed",
        str(SWEEP_SEED),
        "--chunk",
        str(SWEEP_CHUNK),
        "--no-twin",
        "-q",
        "--out",
        str(out),
        *extra,
    ]


@pytest.fixture(scope="module")
def reference_run():
    """The uninterrupted run, computed in this process in one piece per condition."""
    return run_experiment(
        SCENARIO,
        replications=RUN_N,
        seed=RUN_SEED,
        twin=False,
        workers=1,
        conditions=list(RUN_CONDITIONS),
    )


@pytest.fixture(scope="module")
def reference_sweep(tmp_path_factory):
    spec = load_scenario(SCENARIO)
    sweep = Sweep(
        spec, (parse_vary(SWEEP_VARY, spec),), replications=SWEEP_N, seed=SWEEP_SEED, twin=False
    )
    out = tmp_path_factory.mktemp("reference") / "sweep"
    run_sweep(sweep, out, chunk=SWEEP_N, workers=1)  # another chunking: results must not care
    return load_sweep(out)[1]


@pytest.fixture(scope="module", autouse=True)
def tally():
    yield TALLY
    if TALLY:
        lines = [f"{c:<6} {s:<8} {o:<44} {n}" for (c, s, o), n in sorted(TALLY.items())]
        print("\nfault outcomes (command, signal, outcome, cases):\n" + "\n".join(lines))
        if os.environ.get("FAULTS_TALLY"):
            path = Path(os.environ["FAULTS_TALLY"])
            old = json.loads(path.read_text()) if path.exists() else []
            rows = [dict(zip(("command", "signal", "outcome"), k, strict=True)) for k in TALLY]
            for row, n in zip(rows, TALLY.values(), strict=True):
                row["cases"] = n
            path.write_text(json.dumps(old + rows, indent=1))


# -- checks -------------------------------------------------------------------------------------
def _tagged_processes(tag: str) -> list[int]:
    """Live processes started with FAULT_TAG=tag in their environment (the command, workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            env = (entry / "environ").read_bytes()
        except OSError:
            continue
        if f"FAULT_TAG={tag}".encode() in env.split(b"\0") and _live(int(entry.name)):
            found.append(int(entry.name))
    return found


def _live(pid: int) -> bool:
    """Whether process ``pid`` runs: it exists and is neither a zombie nor dead."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def assert_no_process_left(tag: str, timeout: float = 120) -> None:
    """No process of this test is left; waits (generously: a loaded machine reaps slowly)."""
    deadline = time.monotonic() + timeout
    while (left := _tagged_processes(tag)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, f"processes left behind: {left}"


def assert_only_whole_files(*folders: Path) -> None:
    """Every file under a final name (not a hidden temporary) is complete and readable."""
    for folder in folders:
        if not folder.exists():
            continue
        for path in folder.rglob("*"):
            if not path.is_file() or any(p.startswith(".") for p in path.relative_to(folder).parts):
                continue
            if path.suffix == ".parquet":
                pd.read_parquet(path)
            elif path.suffix == ".json":
                json.loads(path.read_text(encoding="utf-8"))
            elif path.suffix == ".csv":
                pd.read_csv(path)


def cli(*args: str) -> int:
    """Run the command line in this process; return its exit code."""
    with pytest.raises(SystemExit) as info:
        main(list(args))
    return int(info.value.code or 0)


def assert_same_run(out: Path, reference) -> None:
    again = Results.load(out)
    for name in ("runs", "timeseries", "events"):
        pd.testing.assert_frame_equal(
            getattr(again, name), getattr(reference, name), check_exact=True
        )


def _interrupt(
    args: list[str], marker: Path, sig: str, delay: float, group: bool, workers: int
) -> tuple[int, str, str]:
    """Start the command, wait for ``marker``, sleep ``delay``, send ``sig``; return
    (exit code, stderr, tag)."""
    tag = uuid.uuid4().hex
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESCALSIM_")}
    env["FAULT_TAG"] = tag
    # These runs are cheap (brinkmanship), so the start-up rule (runner.worth_starting) would
    # keep them in one process; a start-up of 1 ms makes them use the workers they ask for.
    env["ESCALSIM_WORKER_START_SECONDS"] = "0.001"
    with sigint_as_at_a_terminal():
        proc = _started(
            ["-m", "escalsim", *args, "--workers", str(workers)], env, subprocess.DEVNULL
        )
    try:
        deadline = time.monotonic() + TIMEOUT
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        # The delay is the point of these tests (a signal at a random moment after the first
        # part), and every outcome it can lead to is accepted by check_interrupted.
        time.sleep(delay)
        with contextlib.suppress(ProcessLookupError):
            if group:
                os.killpg(proc.pid, SIGNALS[sig])
            else:
                os.kill(proc.pid, SIGNALS[sig])
        _, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        # Seen twice in full parallel runs (5 and 6 December 2026), never alone: say which
        # process of the command's group was still there, and what each thread of each was
        # doing (faulthandler's dump, _stacks_of), then clean up.
        try:
            seen = _processes_of(proc.pid)
            stacks = _stacks_of(proc)
        finally:
            kill_group(proc)
        pytest.fail(
            f"the command did not end within {TIMEOUT} s of {sig}; its group:\n{seen}\n"
            f"its threads' stacks (stderr's end):\n{stacks}"
        )
    except BaseException:
        kill_group(proc)  # a failed or timed-out wait leaves no process behind
        raise
    return proc.returncode, err, tag


#: A ``sitecustomize`` that has every Python process it starts in dump each thread's stack on
#: SIGUSR1 (faulthandler writes from its C signal handler, even while the main thread waits in
#: a lock or a pipe) and then die of it (``chain``: the signal's default action, after the
#: dump), so that whoever signals it knows the dump is whole when the process has ended. Put
#: first on ``PYTHONPATH``, it reaches the command and the helpers it spawns, without a line of
#: escalsim's own code. escalsim does not use SIGUSR1.
_DUMP_ON_SIGUSR1 = (
    "import faulthandler, signal\n"
    "faulthandler.register(signal.SIGUSR1, all_threads=True, chain=True)\n"
)


@functools.cache
def _sitecustomize_folder() -> str:
    folder = tempfile.mkdtemp(prefix="escalsim-faults-")
    Path(folder, "sitecustomize.py").write_text(_DUMP_ON_SIGUSR1, encoding="utf-8")
    return folder


def _dumps_stacks_on_sigusr1(env: dict[str, str]) -> dict[str, str]:
    """``env`` with :data:`_DUMP_ON_SIGUSR1` first on ``PYTHONPATH`` (a copy)."""
    paths = [_sitecustomize_folder(), *filter(None, [env.get("PYTHONPATH")])]
    return {**env, "PYTHONPATH": os.pathsep.join(paths)}


def _started(argv: list[str], env: dict[str, str], stdout: int) -> subprocess.Popen[str]:
    """``python ARGV`` in its own process group (its helpers with it), stderr piped as text,
    every Python process of it dumping its stacks on SIGUSR1 (:func:`_dumps_stacks_on_sigusr1`)."""
    return subprocess.Popen(
        [sys.executable, *argv],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        env=_dumps_stacks_on_sigusr1(env),
        start_new_session=True,
    )


def _stacks_of(proc: subprocess.Popen[str]) -> str:
    """Each thread's stack in every process of ``proc``'s group, then the group killed.

    For a command started by :func:`_started` (its stderr piped): SIGUSR1 to each process, its
    helpers first (the command's death kills them, ``PR_SET_PDEATHSIG``, perhaps before they
    had dumped). Each writes its dump to the stderr it shares and then dies of the signal
    (:data:`_DUMP_ON_SIGUSR1`), and the wait is for that end, not for a time. Then the group is
    killed (what did not end) and the end of what stderr holds is returned.
    """
    try:
        pids = [int(x) for x in _ps(proc.pid, "pid=").split()]
    except (OSError, subprocess.SubprocessError) as exc:
        return f"(ps failed: {exc})"
    for pid in [p for p in pids if p != proc.pid] + [proc.pid]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGUSR1)
        # A process stuck where no signal reaches it (uninterruptible I/O) is left to the kill.
        with contextlib.suppress(AssertionError):
            wait_until(lambda pid=pid: not _live(pid), f"process {pid} dumped its stacks", None, 60)
    kill_group(proc)
    try:
        _, err = proc.communicate(timeout=60)
    except (subprocess.SubprocessError, ValueError) as exc:  # ValueError: stderr closed
        return f"(stderr not read: {exc})"
    return (err or "")[-20_000:]


def _ps(group: int, columns: str) -> str:
    """What ``ps -o COLUMNS -g GROUP`` prints of a process group (raises if ps cannot run)."""
    command = ["ps", "-o", columns, "-g", str(group)]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=60).stdout


def _processes_of(group: int) -> str:
    """The processes of a process group: ``ps`` lines, and each one's Python stacks where
    ``py-spy`` is on the PATH (it is not a dependency); what could not be found, said so."""
    try:
        listing = _ps(group, "pid,ppid,stat,wchan:20,args")
    except (OSError, subprocess.SubprocessError) as exc:
        return f"(ps failed: {exc})"
    spy = shutil.which("py-spy")
    if spy is None:
        return listing
    stacks = []
    for line in listing.splitlines()[1:]:
        pid = line.split()[0]
        try:
            dump = subprocess.run(
                [spy, "dump", "--pid", pid], capture_output=True, text=True, check=False, timeout=60
            )
            stacks.append(f"--- {pid}\n{dump.stdout}{dump.stderr}")
        except (OSError, subprocess.SubprocessError) as exc:
            stacks.append(f"--- {pid}: py-spy failed: {exc}")
    return listing + "\n".join(stacks)


def test_a_hung_command_is_reported_with_every_threads_stack():
    """The diagnostics of a command that does not end: each process's threads, where they wait.

    A child started as _interrupt starts the command (:func:`_started`) with a helper thread,
    waits in a named function, and says it is ready first; _stacks_of must show both threads'
    frames, and leave nothing.
    """
    code = (
        "import sys, threading\n"
        "def helper_waits_here(): threading.Event().wait()\n"
        "def main_waits_here(): threading.Event().wait()\n"
        "threading.Thread(target=helper_waits_here, daemon=True).start()\n"
        "print('ready', flush=True)\n"
        "main_waits_here()\n"
    )
    proc = _started(["-c", code], dict(os.environ), subprocess.PIPE)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"  # the handler is registered by now
        stacks = _stacks_of(proc)
    finally:
        kill_group(proc)
    assert "main_waits_here" in stacks, stacks
    assert "helper_waits_here" in stacks, stacks
    # faulthandler heads each thread "Thread 0x…", and the one it runs in "Current thread 0x…".
    assert stacks.count("hread 0x") == 2, stacks
    assert proc.poll() is not None


def check_interrupted(command: str, sig: str, code: int, err: str, complete: bool) -> str:
    """Check the exit code and message of a stopped command; return the outcome's name."""
    assert "Traceback" not in err, err
    assert "internal error" not in err, err
    if code == 0:
        assert complete, "exit 0 without a complete result"
        return "finished before the signal (exit 0)"
    assert code == EXPECTED_CODE[sig], (code, err)
    if sig != "SIGKILL":
        assert ("terminated (SIGTERM)" if sig == "SIGTERM" else "interrupted (SIGINT)") in err
        if command == "run" and complete and "the run is complete in" in err:
            # Landed after the run folder was written (while the summary was printed):
            # nothing to resume, and the message says so instead of offering --resume.
            assert "--resume" not in err, err
            return f"stopped after finishing, nothing to resume (exit {code})"
        assert "--resume" in err, err
    if complete:
        return f"stopped after finishing (exit {code})"
    return f"stopped mid-way (exit {code})"


# -- the cases ----------------------------------------------------------------------------------
def _cases(
    command: str, points: int, seed: int, stretch: float = 1.0
) -> list[tuple[str, int, float, bool, int]]:
    """(signal, point, delay, to the group, workers), the delay and the target drawn from a
    seeded generator. SIGKILL goes to the command alone, with two workers: they must die with
    it (killing the whole group is tests/test_sweep.py's case); SIGINT and SIGTERM alternate
    between one and two workers. ``stretch`` widens the delays' range (the soak reaches the
    assembly of the results and past the end)."""
    rng = np.random.default_rng(seed)
    offset = 0 if command == "run" else 1
    cases = []
    for k, sig in enumerate(SIGNALS):
        for point in range(points):
            workers = 2 if sig == "SIGKILL" or (point + k + offset) % 2 else 1
            # About how long the command then computes and writes (workers start slowly).
            window = (2.0 if workers == 1 else 4.0) * stretch
            delay = round(float(rng.uniform(0, window)), 3)
            group = bool(rng.integers(2)) and sig != "SIGKILL"
            cases.append((sig, point, delay, group, workers))
    return cases


def _run_case(tmp_path, reference_run, sig, delay, group, workers) -> str:
    out = tmp_path / "run"
    args = run_args(out)
    code, err, tag = _interrupt(
        args, work_folder(out) / "manifest.json", sig, delay, group, workers
    )
    assert_no_process_left(tag)
    complete = (out / "manifest.json").exists()
    outcome = check_interrupted("run", sig, code, err, complete)
    assert_only_whole_files(out, work_folder(out))
    if not complete:
        parts = work_folder(out) / "runs"
        done = len([p for p in parts.iterdir() if not p.name.startswith(".")])
        outcome += f", {done} of {RUN_PARTS} parts kept" if done else ", no part yet"
    # Resume (in this process, one worker): only the missing parts run; the same results.
    assert cli(*run_args(out, "--resume", "--workers", "1")) == 0
    assert not work_folder(out).exists()
    assert_only_whole_files(out)
    assert_same_run(out, reference_run)
    TALLY["run", sig, outcome] += 1
    return outcome


def _sweep_case(tmp_path, reference_sweep, sig, delay, group, workers) -> str:
    out = tmp_path / "sweep"
    args = sweep_args(out)
    code, err, tag = _interrupt(args, out / "manifest.json", sig, delay, group, workers)
    assert_no_process_left(tag)
    complete = (out / "manifest.json").exists() and not missing_parts(out)
    outcome = check_interrupted("sweep", sig, code, err, complete)
    assert_only_whole_files(out)
    if not complete:
        left = len(missing_parts(out)) if (out / "manifest.json").exists() else SWEEP_PARTS
        kept = SWEEP_PARTS - left
        outcome += f", {kept} of {SWEEP_PARTS} parts kept" if kept else ", no part yet"
    assert cli(*sweep_args(out, "--resume", "--workers", "1")) == 0
    assert not missing_parts(out)
    assert not list(out.rglob(".*.tmp"))
    assert_only_whole_files(out)
    pd.testing.assert_frame_equal(load_sweep(out)[1], reference_sweep, check_exact=True)
    TALLY["sweep", sig, outcome] += 1
    return outcome


@pytest.mark.parametrize(("sig", "point", "delay", "group", "workers"), _cases("run", 1, 909))
def test_run_stopped_at_a_random_point_resumes_to_the_same_results(
    tmp_path, reference_run, sig, point, delay, group, workers
):
    _run_case(tmp_path, reference_run, sig, delay, group, workers)


@pytest.mark.parametrize(("sig", "point", "delay", "group", "workers"), _cases("sweep", 1, 910))
def test_sweep_stopped_at_a_random_point_resumes_to_the_same_results(
    tmp_path, reference_sweep, sig, point, delay, group, workers
):
    _sweep_case(tmp_path, reference_sweep, sig, delay, group, workers)


# Two points per command and signal unless asked otherwise: with 0 the slow tier would collect
# the soak as an empty parameter set, a test that cannot fail.
SOAK = int(os.environ.get("ESCALSIM_FAULT_SOAK", "2"))
CASE = ("sig", "point", "delay", "group", "workers")


@pytest.mark.slow
@pytest.mark.parametrize(CASE, _cases("run", SOAK, 2026, 2))
def test_soak_run(tmp_path, reference_run, sig, point, delay, group, workers):
    _run_case(tmp_path, reference_run, sig, delay, group, workers)


@pytest.mark.slow
@pytest.mark.parametrize(CASE, _cases("sweep", SOAK, 2027, 2))
def test_soak_sweep(tmp_path, reference_sweep, sig, point, delay, group, workers):
    _sweep_case(tmp_path, reference_sweep, sig, delay, group, workers)


def stopped_after(parts: int, out: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Run ``run_args(out)`` in this process, stopped as by Ctrl-C once ``parts`` parts ran
    (exit 130, those parts saved); the task function is then put back."""
    from escalsim.experiment import tasks

    real = tasks.run_task
    ran = []

    def stop(job, task):  # type: ignore[no-untyped-def]
        if len(ran) == parts:
            raise KeyboardInterrupt
        ran.append(task)
        return real(job, task)

    monkeypatch.setattr(tasks, "run_task", stop)
    assert cli(*run_args(out, "--workers", "1")) == 130
    monkeypatch.setattr(tasks, "run_task", real)


def test_a_run_stopped_with_parts_saved_resumes_without_recomputing_them(
    tmp_path, reference_run, monkeypatch
):
    """The parts written before an interruption are not run again."""
    from escalsim.experiment import tasks

    out = tmp_path / "run"
    real = tasks.run_task
    stopped_after(5, out, monkeypatch)
    assert len(list((work_folder(out) / "runs").iterdir())) == 5
    calls = []
    monkeypatch.setattr(tasks, "run_task", lambda job, task: calls.append(task) or real(job, task))
    assert cli(*run_args(out, "--resume", "--workers", "1")) == 0
    assert len(calls) == RUN_PARTS - 5
    assert_same_run(out, reference_run)


def test_a_worker_that_dies_stops_the_run_with_its_parts_saved(
    tmp_path, reference_run, capsys, monkeypatch
):
    """A worker killed mid-run (as the OOM killer would): exit 1, the parts kept, resumable.

    The run is cheap (brinkmanship), so by the start-up rule (``runner.worth_starting``) it
    would run in this process alone and there would be no worker to kill; a start-up of 1 ms
    (``$ESCALSIM_WORKER_START_SECONDS``) makes the helper process worth starting.
    """
    import multiprocessing
    import threading

    monkeypatch.setenv("ESCALSIM_WORKER_START_SECONDS", "0.001")

    out = tmp_path / "run"
    parts = work_folder(out) / "runs"

    def kill_a_worker() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            workers = multiprocessing.active_children()
            if parts.exists() and len(list(parts.iterdir())) >= 2 and workers:
                os.kill(workers[0].pid, signal.SIGKILL)
                return
            time.sleep(0.005)

    killer = threading.Thread(target=kill_a_worker)
    killer.start()
    code = cli(*run_args(out, "--workers", "2"))
    killer.join()
    err = capsys.readouterr().err
    if code == 0:  # the run finished before the worker could be killed: nothing to test
        pytest.skip("the run finished first")
    assert code == 1, err
    assert "a worker process died" in err
    assert "--resume" in err
    assert "Traceback" not in err
    assert not out.exists()
    assert cli(*run_args(out, "--resume", "--workers", "1")) == 0
    assert_same_run(out, reference_run)


def test_resume_refuses_another_run_and_plain_rerun_asks_for_resume(tmp_path, capsys):
    out = tmp_path / "run"
    work = work_folder(out)
    (work / "runs").mkdir(parents=True)
    (work / "manifest.json").write_text(
        json.dumps(
            {
                "kind": "escalsim-run",
                "request": {"seed": 1, "replications": 3},
                "chunk": 1,
                "parts": 4,
            }
        )
    )
    (work / "runs" / "point-000000_reps-0000000-0000001.parquet").write_bytes(b"")
    assert cli(*run_args(out)) == 2
    err = capsys.readouterr().err
    assert "add --resume" in err
    assert cli(*run_args(out, "--resume")) == 2
    err = capsys.readouterr().err
    assert "holds a different run (changed: " in err
    assert "replications" in err
    assert "Traceback" not in err


def test_resume_refuses_parts_computed_with_other_numerics(
    tmp_path, reference_run, capsys, monkeypatch
):
    """Parts computed where numpy evaluates exp, tanh, ... otherwise are not mixed with these.

    The stored manifest is edited to another machine's numerics (what a folder copied from an
    AVX-512 machine to an AVX2 one holds): the resume stops with exit 2 on ``--resume``, loses
    no part, and with the manifest put back finishes to the uninterrupted run's results.
    """
    out = tmp_path / "run"
    stopped_after(3, out, monkeypatch)
    manifest = work_folder(out) / "manifest.json"
    data = json.loads(manifest.read_text())
    here = data["versions"]["numerics"]
    data["versions"]["numerics"] = "0123456789abcdef"
    manifest.write_text(json.dumps(data))
    parts = sorted(p.name for p in (work_folder(out) / "runs").iterdir())
    capsys.readouterr()
    assert cli(*run_args(out, "--resume", "--workers", "1")) == 2
    err = capsys.readouterr().err
    assert f"the parts in {work_folder(out)} were computed with numerics 0123456789abcdef" in err
    assert f"(numerics {here})" in err
    assert "--resume" in err
    assert "Traceback" not in err
    assert sorted(p.name for p in (work_folder(out) / "runs").iterdir()) == parts
    data["versions"] = "unknown"  # damaged: exit 2 naming the manifest, not a traceback
    manifest.write_text(json.dumps(data))
    assert cli(*run_args(out, "--resume", "--workers", "1")) == 2
    err = capsys.readouterr().err
    assert f"{manifest} is damaged: its 'versions' is not a mapping" in err
    assert "Traceback" not in err
    data["versions"] = {"numerics": here}
    manifest.write_text(json.dumps(data))
    assert cli(*run_args(out, "--resume", "--workers", "1")) == 0
    assert_same_run(out, reference_run)


def test_a_finished_sweep_of_other_numerics_resumes_with_nothing_to_mix(tmp_path, capsys):
    """With every part done there is nothing to compute, so nothing to mix: the resume ends."""
    out = tmp_path / "sweep"
    args = [a if a != str(SWEEP_N) else "100" for a in sweep_args(out)]
    assert cli(*args, "--workers", "1") == 0
    data = json.loads((out / "manifest.json").read_text())
    data["versions"]["numerics"] = "0123456789abcdef"
    (out / "manifest.json").write_text(json.dumps(data))
    assert cli(*args, "--resume", "--workers", "1") == 0, capsys.readouterr().err


def test_a_worker_of_other_numerics_refuses_its_task():
    """A task sent to a process whose numpy computes otherwise fails, naming both numerics.

    What a Dask cluster of mixed machines would do: the task carries the client's numerics
    (``Job.numerics``); a worker that differs raises :class:`NumericsError`, which comes back
    through the pipe whole (exit 2). Here the worker is this process with
    the job's numerics changed; ``tests/test_model_reproducibility.py`` spawns a worker whose
    numpy really computes otherwise.
    """
    import dataclasses
    import pickle

    from escalsim.errors import NumericsError
    from escalsim.experiment.provenance import numerics
    from escalsim.experiment.tasks import Job, Point, Task, run_task

    job = Job(load_scenario(SCENARIO), (Point(RUN_CONDITIONS[0]),), seed=RUN_SEED, twin=False)
    assert job.numerics == numerics()
    foreign = dataclasses.replace(job, numerics="fedcba9876543210")
    with pytest.raises(NumericsError) as caught:
        run_task(foreign, Task(0, 0, 2))
    back = pickle.loads(pickle.dumps(caught.value))
    assert type(back) is NumericsError
    assert str(back) == str(caught.value)
    assert back.exit_code == 2
    assert str(back).startswith("numerics: worker: ")
    assert "the client computes with numerics fedcba9876543210" in str(back)
    assert f"(numerics {numerics()})" in str(back)


def test_resume_of_a_complete_run_changes_nothing(tmp_path, capsys):
    out = tmp_path / "run"
    args = [a for a in [*run_args(out)[:3], "40", *run_args(out)[4:]] if a != "-q"]
    assert cli(*args) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    work_folder(out).mkdir()  # as if stopped after the rename, before the clean-up
    assert cli(*args, "--resume") == 0
    assert "complete already" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not work_folder(out).exists()


# -- a full disk --------------------------------------------------------------------------------
@pytest.fixture
def small_disk(tmp_path):
    """A folder with little space: a 192 KiB tmpfs if this may mount one, else a file-size limit.

    Yields (folder, limit, free, mode): ``limit(bytes)`` gives the preexec function that puts a
    command under a file-size limit (None on a tmpfs, whose size is the limit), ``free()``
    makes room. ``ESCALSIM_FAULT_DISK=fsize`` forces the file-size limit.
    """
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = (
        os.environ.get("ESCALSIM_FAULT_DISK") != "fsize"
        and sys.platform.startswith("linux")
        and os.geteuid() == 0
        and shutil.which("mount") is not None
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=192k", "tmpfs", str(disk)],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    if mounted:

        def free() -> None:
            subprocess.run(["mount", "-o", "remount,size=8m", str(disk)], check=True)

        try:
            yield disk, lambda _bytes: None, free, "tmpfs"
        finally:
            subprocess.run(["umount", "-l", str(disk)], check=False)
        return

    def limit(size: int):
        def preexec() -> None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of death
            resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

        return preexec

    yield disk, limit, lambda: None, "RLIMIT_FSIZE"


def _full(args: list[str], preexec) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESCALSIM_")}
    return subprocess.run(
        [sys.executable, "-m", "escalsim", *args],
        capture_output=True,
        text=True,
        env=env,
        preexec_fn=preexec,
        timeout=TIMEOUT,
        check=False,
    )


def test_a_full_disk_stops_a_run_cleanly_and_resume_finishes_it(
    small_disk, reference_run, record_property
):
    disk, limit, free, mode = small_disk
    record_property("disk_full_mode", mode)
    out = disk / "run"
    # Under a file-size limit: each part's files fit, the whole run's runs.parquet does not.
    part = len(reference_run.runs.iloc[:RUN_CHUNK].to_parquet(index=False))
    whole = len(reference_run.runs.to_parquet(index=False))
    assert part < whole
    done = _full(run_args(out, "--workers", "1"), limit((part + whole) // 2))
    assert done.returncode == 1, done.stderr
    assert "no space left to write" in done.stderr
    assert str(disk) in done.stderr  # names the file
    assert "--resume" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()
    assert_only_whole_files(disk)
    assert not list(disk.rglob(".*.tmp")), "a temporary file was left on the full disk"
    free()
    assert cli(*run_args(out, "--resume", "--workers", "1")) == 0
    assert_same_run(out, reference_run)
    print(f"\ndisk full ({mode}): {done.stderr.strip()}")


def test_a_full_disk_stops_a_sweep_cleanly_and_resume_finishes_it(
    small_disk, reference_sweep, record_property
):
    disk, limit, free, mode = small_disk
    record_property("disk_full_mode", mode)
    out = disk / "sweep"
    args = sweep_args(out, "--workers", "1")
    done = _full(args, limit(4096))  # the manifest fits, a part does not
    assert done.returncode == 1, done.stderr
    assert "no space left to write" in done.stderr
    assert str(out) in done.stderr
    assert "--resume" in done.stderr
    assert "Traceback" not in done.stderr
    assert_only_whole_files(disk)
    assert not list(disk.rglob(".*.tmp"))
    assert missing_parts(out)
    free()
    assert cli(*[*args[:-2], "--resume", "--workers", "1"]) == 0
    pd.testing.assert_frame_equal(load_sweep(out)[1], reference_sweep, check_exact=True)
