"""Where the wall time of the main job goes: a timeline of the command and its helper (issue 20).

Usage::

    .venv/bin/python benchmarks/bench_timeline.py                 # geneva-2022 -n 200, 3 runs
    .venv/bin/python benchmarks/bench_timeline.py --repeats 5 --replications 400
    .venv/bin/python benchmarks/bench_timeline.py --quick         # a smoke run

Runs ``escalsim run geneva-2022 -n N --seed 1`` (figures included) as a user does, in a process
of its own, and stamps, in seconds since that process was started (``time.time()``, the same
clock in every process): the command's imports, the worker pool's start, each task's start and
end in whichever process ran it (the command or its helper: ``pid`` tells them apart), each
part written, the pool shut down, the parts gathered, the summary, the figures, and the
command's exit (seen by this script when the process ends). The stamps come from wrappers
around those functions, put in place by this script in the command's process (the helper
receives the wrapped task function by reference, so it is stamped too); the wrappers cost
microseconds. A table per run, then the medians of each phase's length over the runs.

Wall times say what a user waits for; on a loaded machine they are longer than on an idle one
(the load average is printed before and after).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from source_trees import machine

ROOT = Path(__file__).resolve().parents[1]

#: The stamps' file (one JSON line per stamp, appended by every process).
STAMPS_ENV = "ESCALSIM_BENCH_STAMPS"
#: When the command's process was started, by this script's clock (``time.time()``).
ZERO_ENV = "ESCALSIM_BENCH_ZERO"


def stamp(what: str) -> None:
    """Append one stamp (seconds since the command's start, this process's id, ``what``)."""
    line = {"t": time.time() - float(os.environ[ZERO_ENV]), "pid": os.getpid(), "what": what}
    with open(os.environ[STAMPS_ENV], "a", encoding="utf-8") as f:
        f.write(json.dumps(line) + "\n")


def run_task(*args: Any, **kwargs: Any) -> Any:
    """``escalsim.experiment.tasks.run_task``, stamped (in the command or in a helper)."""
    from escalsim.experiment import tasks

    real = getattr(tasks, "_unstamped_run_task", tasks.run_task)
    stamp("task starts")
    try:
        return real(*args, **kwargs)
    finally:
        stamp("task ends")


def _wrap(owner: Any, name: str, label: str) -> None:
    real = getattr(owner, name)

    def stamped(*args: Any, **kwargs: Any) -> Any:
        stamp(f"{label} starts")
        try:
            return real(*args, **kwargs)
        finally:
            stamp(f"{label} ends")

    setattr(owner, name, stamped)


def command(args: list[str]) -> None:
    """The command's process: the wrappers in place, then escalsim's command line."""
    stamp("interpreter up")
    from escalsim.experiment import executors, results, runner, store, tasks, workers

    stamp("imports done")
    tasks._unstamped_run_task = tasks.run_task  # type: ignore[attr-defined]
    tasks.run_task = run_task
    _wrap(workers, "worker_pool", "pool made")
    _wrap(store.PartStore, "write", "part written")
    _wrap(executors.ExecutorChoice, "close", "pool shut down")
    _wrap(store.PartStore, "read", "parts gathered")
    _wrap(runner, "_import_figures", "figures imported")
    _wrap(results.Results, "summary", "summary")
    _wrap(results.Results, "save_figures", "figures")
    sys.argv = ["escalsim", *args]
    from escalsim.cli import main

    main()


def one(n: int, plots: bool, folder: Path) -> list[dict[str, Any]]:
    """Run the command once; its stamps, the exit seen from here last."""
    stamps = folder / "stamps.jsonl"
    args = ["run", "geneva-2022", "-n", str(n), "--seed", "1", "-q", "--out", str(folder / "run")]
    if not plots:
        args.append("--no-plots")
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(Path(__file__).parent)]),
        OMP_NUM_THREADS="1",
        **{STAMPS_ENV: str(stamps)},
    )
    env[ZERO_ENV] = repr(time.time())
    subprocess.run(
        [sys.executable, "-c", f"import bench_timeline; bench_timeline.command({args!r})"],
        check=True,
        stdout=subprocess.DEVNULL,
        env=env,
    )
    end = time.time() - float(env[ZERO_ENV])
    found = [json.loads(line) for line in stamps.read_text(encoding="utf-8").splitlines()]
    return [*sorted(found, key=lambda s: s["t"]), {"t": end, "pid": 0, "what": "process ended"}]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--no-plots", action="store_true")
    parser.add_argument("--quick", action="store_true", help="20 replications, one run")
    args = parser.parse_args()
    n, repeats = (20, 1) if args.quick else (args.replications, args.repeats)
    print(machine())
    print(f"load average before: {Path('/proc/loadavg').read_text().strip()}")
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(repeats):
            folder = Path(tmp) / str(k)
            folder.mkdir()
            runs.append(one(n, not args.no_plots, folder))
    print(f"load average after: {Path('/proc/loadavg').read_text().strip()}")
    for k, found in enumerate(runs, 1):
        command_pid = found[0]["pid"]
        print(f"\nrun {k}: `escalsim run geneva-2022 -n {n} --seed 1` (seconds since its start)\n")
        print("| t | process | what |")
        print("| ---: | --- | --- |")
        for s in found:
            who = "command" if s["pid"] == command_pid else ("helper" if s["pid"] else "")
            print(f"| {s['t']:.3f} | {who} | {s['what']} |")
    print(f"\nmedians of {repeats} runs (seconds)\n")
    print("| phase | median | runs |")
    print("| --- | ---: | --- |")
    for phase, seconds in phases(runs).items():
        cells = ", ".join(f"{x:.2f}" for x in seconds)
        print(f"| {phase} | {statistics.median(seconds):.2f} | {cells} |")


def phases(runs: list[list[dict[str, Any]]]) -> dict[str, list[float]]:
    """Each run's phases: when the simulation ended, what came after it, the whole."""
    out: dict[str, list[float]] = {}

    def add(name: str, value: float | None) -> None:
        if value is not None:
            out.setdefault(name, []).append(value)

    for found in runs:

        def at(what: str, last: bool = False, found: list[dict[str, Any]] = found) -> Any:
            times = [s["t"] for s in found if s["what"] == what]
            return (times[-1] if last else times[0]) if times else None

        tasks_end = at("task ends", last=True)
        add("start to the pool made (imports, scenario, plan)", at("pool made starts"))
        add("start to the first task", at("task starts"))
        add("start to the last task's end", tasks_end)
        add("the last task's end to the figures", _minus(at("figures starts"), tasks_end))
        add("the figures", _minus(at("figures ends"), at("figures starts")))
        add("the figures' end to the process's end", _minus(found[-1]["t"], at("figures ends")))
        add("the whole run, as a user waits for it", found[-1]["t"])
    return out


def _minus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


if __name__ == "__main__":
    main()
