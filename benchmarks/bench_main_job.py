"""The main job, ``escalsim run geneva-2022 -n 200 --seed 1``, before and after (issue 20).

Usage::

    .venv/bin/python benchmarks/bench_main_job.py --base-commit 911b119          # 3 runs each
    .venv/bin/python benchmarks/bench_main_job.py --base-commit 911b119 --repeats 5 --no-plots
    .venv/bin/python benchmarks/bench_main_job.py --quick                        # a smoke run
    .venv/bin/python benchmarks/bench_main_job.py --base-commit fdbf627 --replications 4000 \
        --no-plots --repeats 2   # a run of many tasks: how busy the processes are kept

Each measurement runs the command line, figures included (unless ``--no-plots``), in a fresh
process whose ``PYTHONPATH`` points at one source tree, into a new run folder, and reports its
wall time from the process's start to its exit (as a user waits for it: the interpreter's
start-up and shutdown included), the CPU time (user + system) of the command's own process and
that of the processes it started (its helper processes), read with ``resource.getrusage``
in an exit handler of the command's process. "Before" is the source tree
of ``--base-commit`` (``git archive``), "after" this checkout's ``src``; the two alternate, so
that a change in the machine's load hits both alike, and the table gives medians over
``--repeats`` runs. The load average is printed before and after.

On a shared machine wall time says more about the other jobs than about escalsim. On idle cores
the command would last about its own process's CPU time plus its wait for a helper's last task;
the table's "idle estimate" is that: own CPU + max(0, helpers' CPU - the command's share of the
simulation), the share measured beside it (``--share``: CPU seconds of the task the command
runs itself; default 2.7 s, the dialogue_closed task of geneva-2022's 200 replications with
twins, ``run_batch`` measured in one process at load 1 on 6 December 2026: 2.67-2.77 s; it was
1.67 s in the measurement of 5 December that set the first default). Without helpers
it is the own CPU time. "CPU / wall" is how many cores the run kept busy on average (2.00 at
best on 2 cores, when nothing else runs).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from source_trees import extract_src, machine, run_child

ROOT = Path(__file__).resolve().parents[1]
COMMAND = ["run", "geneva-2022", "-n", "200", "--seed", "1", "-q"]


#: The command's process: escalsim's command line, which reports its own CPU time and its
#: helpers' (reaped by then) from an exit handler, the last to run (escalsim may leave by
#: ``os._exit`` after running the exit handlers: ``escalsim.cli.lifecycle.exit_now``).
COMMAND_PROCESS = """
import atexit, json, resource, sys

def report(path=sys.argv[1]):
    own = resource.getrusage(resource.RUSAGE_SELF)
    helpers = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(path, "w") as f:
        json.dump({"own": own.ru_utime + own.ru_stime,
                   "helpers": helpers.ru_utime + helpers.ru_stime}, f)

atexit.register(report)
sys.argv = ["escalsim", *sys.argv[2:]]
from escalsim.cli import main
main()
"""


def one(out: str, plots: bool, replications: str) -> dict[str, float]:
    """Run the command as a user does, in a process of its own (whatever ``escalsim`` is on the
    path); its wall time from start to exit, the interpreter's start-up and shutdown included."""
    args = [*COMMAND, "--out", out]
    args[args.index("-n") + 1] = replications
    if not plots:
        args.append("--no-plots")
    usage = f"{out}.usage.json"
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", COMMAND_PROCESS, usage, *args],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - started
    cpu = json.loads(Path(usage).read_text(encoding="utf-8"))
    manifest = json.loads((Path(out) / "manifest.json").read_text(encoding="utf-8"))
    return {
        "wall": wall,
        "own": cpu["own"],
        "helpers": cpu["helpers"],
        "workers": manifest["workers"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-commit", default="911b119")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-plots", action="store_true")
    parser.add_argument("--share", type=float, default=2.7)
    parser.add_argument(
        "--replications", type=int, default=200, help="-n of the command (default 200)"
    )
    parser.add_argument("--quick", action="store_true", help="20 replications, one repeat")
    parser.add_argument("--one", nargs=3, metavar=("OUT", "PLOTS", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        out, plots, n = args.one
        print(json.dumps(one(out, plots == "1", n)))
        return
    n = "20" if args.quick else str(args.replications)
    repeats = 1 if args.quick else args.repeats
    plots = "0" if args.no_plots else "1"
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"after": ROOT / "src"}
        if args.base_commit:
            trees = {"before": extract_src(args.base_commit, Path(tmp)), **trees}
        print(machine())
        print(f"load average before: {Path('/proc/loadavg').read_text().strip()}")
        rows: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
        for k in range(repeats):
            for name, src in trees.items():
                out = str(Path(tmp) / f"{name}-{k}")
                rows[name].append(run_child(src, __file__, out, plots, n))
        print(f"load average after: {Path('/proc/loadavg').read_text().strip()}")
    print(f"\n`escalsim {' '.join(COMMAND).replace('200', n)}`" + (" --no-plots" * (plots == "0")))
    print(f"medians of {repeats} (seconds; CPU = user + system)\n")
    print(
        "| tree | processes | wall | CPU, all | CPU, own | CPU, helpers | idle estimate "
        "| CPU / wall |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, found in rows.items():

        def med(key: str, found: list[dict[str, float]] = found) -> float:
            return statistics.median(r[key] for r in found)

        idle = [
            r["own"] + (max(0.0, r["helpers"] - args.share) if r["helpers"] > 0 else 0.0)
            for r in found
        ]
        print(
            f"| {name} | {med('workers'):.0f} | {med('wall'):.2f} | "
            f"{statistics.median(r['own'] + r['helpers'] for r in found):.2f} | "
            f"{med('own'):.2f} | {med('helpers'):.2f} | {statistics.median(idle):.2f} | "
            f"{statistics.median((r['own'] + r['helpers']) / r['wall'] for r in found):.2f} |"
        )


if __name__ == "__main__":
    main()
