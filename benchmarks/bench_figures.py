"""How long ``escalsim run`` takes to draw a run's five figures, before and after (issue 20).

Usage::

    .venv/bin/python benchmarks/bench_figures.py                   # before: commit 5128f89
    .venv/bin/python benchmarks/bench_figures.py --base-commit REV --repeats 5
    .venv/bin/python benchmarks/bench_figures.py --base-commit ''  # this checkout only
    .venv/bin/python benchmarks/bench_figures.py --quick           # a smoke run

The run is that of ``escalsim run geneva-2022 -n 200 --seed 1``: computed once, in this process,
and saved without figures. Each measurement loads it in a fresh process whose ``PYTHONPATH``
points at one source tree, computes its summary (which ``escalsim run`` writes before the
figures) and times ``Results.save_figures``, the call that draws the five figures and writes
them in ``escalsim run``:

* *first*: the first call in the process, as in ``escalsim run`` (it imports matplotlib);
* *again*: three more calls in the same process (matplotlib imported, its fonts loaded),
  their median;
* then each figure alone (drawn and written, as ``save_figures`` does), median of three.

"Before" is the source tree of ``--base-commit`` (extracted with ``git archive`` into a
temporary folder), "after" this checkout's ``src``. The two alternate, one fresh process each per
repeat, so that a change in the machine's load hits both alike; the tables give medians over
``--repeats`` processes (default 3) of wall time and of CPU time (the process's own,
``time.process_time``). On a shared machine wall time is noisy, CPU time much less so; the load
average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from source_trees import extract_src, load_average, machine, run_child

SCENARIO, REPLICATIONS, SEED = "geneva-2022", 200, 1
AGAIN = 3  # later calls per process, and passes over the figures one by one (median)
ROOT = Path(__file__).resolve().parents[1]


def measure(run_dir: Path) -> dict[str, Any]:
    """One measurement in this process (whatever ``escalsim`` is on the path)."""
    from escalsim.experiment.results import FIGURES, Results

    results = Results.load(run_dir)
    results.summary()  # escalsim run writes summary.csv before the figures

    def clock() -> tuple[float, float]:
        return time.perf_counter(), time.process_time()

    def since(start: tuple[float, float]) -> list[float]:
        wall, cpu = clock()
        return [wall - start[0], cpu - start[1]]

    def median(rows: list[list[float]]) -> list[float]:
        return [statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows)]

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        start = clock()
        written = results.save_figures(Path(tmp) / "first")
        out["first"] = since(start)
        out["bytes"] = {path.name: path.stat().st_size for path in written}
        again = []
        for k in range(AGAIN):
            start = clock()
            results.save_figures(Path(tmp) / f"again{k}")
            again.append(since(start))
        out["again"] = median(again)
        from escalsim.viz import figures

        several = results.runs["condition"].nunique() > 1
        alone: dict[str, list[list[float]]] = {}
        for k in range(AGAIN):
            for method, name in FIGURES.items():
                if method == "plot_forest" and not several:
                    continue  # as save_figures does
                start = clock()
                figures.save_figure(getattr(results, method)(), Path(tmp) / f"alone{k}" / name)
                alone.setdefault(name, []).append(since(start))
        out["figures"] = {name: median(rows) for name, rows in alone.items()}
    return out


def _child(src: Path, run_dir: Path) -> dict[str, Any]:
    result: dict[str, Any] = run_child(src, __file__, str(run_dir))
    return result


def main() -> None:
    """Compute the run, measure before and after alternately, and print Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-commit", default="5128f89", help="the 'before' commit ('': none)")
    parser.add_argument("--repeats", type=int, default=3, help="processes per tree (median)")
    parser.add_argument("--quick", action="store_true", help="20 replications, one repeat")
    parser.add_argument("--one", metavar="RUN_DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(Path(args.one))))
        return
    replications = 20 if args.quick else REPLICATIONS
    repeats = 1 if args.quick else args.repeats
    print(machine())
    print(f"load average before: {load_average()}")
    with tempfile.TemporaryDirectory() as tmp:
        from escalsim.experiment.runner import run

        start = time.perf_counter()
        results = run(SCENARIO, replications=replications, seed=SEED)
        run_dir = results.save(Path(tmp) / "run", plots=False)
        print(f"the run (no figures): {time.perf_counter() - start:.1f} s wall")
        trees = {"after": ROOT / "src"}
        if args.base_commit:
            trees = {"before": extract_src(args.base_commit, Path(tmp)), **trees}
        got: dict[str, list[dict[str, Any]]] = {label: [] for label in trees}
        for _ in range(repeats):
            for label, src in trees.items():
                got[label].append(_child(src, run_dir))
    print(f"load average after: {load_average()}")

    def median(rows: list[list[float]]) -> tuple[float, float]:
        """Median wall and CPU seconds."""
        return statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows)

    base = f"before = {args.base_commit}, " if args.base_commit else ""
    print(
        f"\n`escalsim run {SCENARIO} -n {replications} --seed {SEED}`: its five figures "
        f"(Results.save_figures); medians over {repeats} processes per tree (again: of each "
        f"process's median of {AGAIN} calls); {base}after = this checkout.\n"
    )
    print(
        "| tree | first call wall s | first call CPU s | again wall s | again CPU s | kB written |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label in trees:
        first = median([g["first"] for g in got[label]])
        again = median([g["again"] for g in got[label]])
        kilobytes = statistics.median(sum(g["bytes"].values()) for g in got[label]) / 1024
        print(
            f"| {label} | {first[0]:.3f} | {first[1]:.3f} | {again[0]:.3f} | {again[1]:.3f} "
            f"| {kilobytes:,.0f} |"
        )
    print("\nEach figure alone (drawn and written, after the calls above), CPU s:\n")
    print("| figure | " + " | ".join(trees) + " |")
    print("| --- |" + " ---: |" * len(trees))
    for name in got["after"][0]["figures"]:
        cells = [f"{median([g['figures'][name] for g in got[label]])[1]:.3f}" for label in trees]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
