"""The fixed cost of a simulation step and the cost of a run-round (issue 20), before and after.

Usage::

    .venv/bin/python benchmarks/bench_fixed_cost.py                        # this checkout
    .venv/bin/python benchmarks/bench_fixed_cost.py --base-commit a9a95a9  # before and after
    .venv/bin/python benchmarks/bench_fixed_cost.py --sizes 1,100,2000 --repeats 5 --twin
    .venv/bin/python benchmarks/bench_fixed_cost.py --quick                # a smoke run
    .venv/bin/python benchmarks/bench_fixed_cost.py --twin --sizes 1,100,10000,100000  # issue 20
    .venv/bin/python benchmarks/bench_fixed_cost.py --twin --by-run --sizes 1,100,2000  # per run
    .venv/bin/python benchmarks/bench_fixed_cost.py --scenario ipd-noise --condition tft_e05

Each measurement times one ``run_batch(geneva-2022, seed=1, replications=R,
condition='dialogue_open', keep=0)`` (with ``--twin``, its two twins too) after a warm-up run,
in a fresh single-threaded process with ``PYTHONPATH`` on one source tree: this checkout's
``src`` ("after") and, with ``--base-commit``, that commit's (extracted with ``git archive``,
"before"), alternating so that a change in the machine's load hits both alike. The tables give
the median of ``--repeats`` runs of wall time and of CPU time (the process's own user + system
time) per step: the batch's time over the rounds it stepped (geneva-2022's runs last all 26
rounds, so every step advances all R replications), and the throughput in million actor-rounds
per second per core: the actors times the rounds actually simulated (with ``--twin``, the run's
and both twins' rounds: three runs a replication), over the process's CPU seconds (one process
uses one core).

The fit is the least-squares line through the medians, time per step = a + b·R: ``a`` is the
fixed cost of a step (what a step costs whatever R; it includes the batch's set-up, spread over
its steps), ``b`` the cost of a run-round (one replication's round; with ``--twin``, of the
replication and its two twins). On a shared machine wall time is noisy: compare CPU time. The
load average is printed before and after, and the machine above them.

``--scenario``/``--condition`` measure another shipped scenario (default geneva-2022,
dialogue_open). ``--by-run`` times each run's steps apart in this checkout's tree (the run, and
with ``--twin`` the perception twin and the complete-information twin, each stepped by its own
``Crisis``, so each pays a step's fixed cost) and fits each the same way.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from source_trees import (
    extract_src,
    load_average,
    machine,
    run_child,
    steps_and_run_rounds,
    tune_allocator,
)

SCENARIO, CONDITION = "geneva-2022", "dialogue_open"
ROOT = Path(__file__).resolve().parents[1]
SIZES, QUICK_SIZES = (1, 100, 400, 2000), (1, 20, 100)


def measure(
    replications: int, twin: bool, scenario: str = SCENARIO, condition: str = CONDITION
) -> dict[str, float]:
    """One batch in this process (whatever ``escalsim`` is on the path): its times and steps.

    Also the CPU time of each run's steps apart (``run``, and with twins ``perception`` and
    ``complete``: a replication with twins is three runs, each stepped by its own ``Crisis``):
    the split of the fixed cost between them.
    """
    tune_allocator()
    from escalsim.batch import run_batch
    from escalsim.model.rounds import Crisis
    from escalsim.scenario import load_scenario, with_condition

    spec = with_condition(load_scenario(scenario), condition)
    run_batch(spec, seed=0, replications=8, keep=0, twin=twin)  # warm-up
    by_run = {"run": 0.0, "perception": 0.0, "complete": 0.0}
    step = Crisis.step

    def timed(crisis: Crisis) -> None:
        start = time.process_time()
        step(crisis)
        kind = (
            "complete"
            if getattr(crisis, "complete_information", False)
            else "perception"
            if twin and crisis.perfect_information
            else "run"
        )
        by_run[kind] += time.process_time() - start

    Crisis.step = timed  # type: ignore[method-assign]
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        frames = run_batch(spec, seed=1, replications=replications, keep=0, twin=twin)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        Crisis.step = step  # type: ignore[method-assign]
    steps, run_rounds = steps_and_run_rounds(frames)
    return {
        "wall": wall,
        "cpu": cpu,
        "steps": steps,
        "run_rounds": run_rounds,
        "actors": float(len(spec.actors)),
        **{f"cpu_{k}": v for k, v in by_run.items()},
    }


def _child(
    src: Path, replications: int, twin: bool, scenario: str, condition: str
) -> dict[str, float]:
    flags = ["--twin"] if twin else []
    flags += ["--scenario", scenario, "--condition", condition]
    result: dict[str, float] = run_child(src, __file__, str(replications), *flags)
    return result


def fit(sizes: list[int], per_step: list[float]) -> tuple[float, float]:
    """Least squares ``per_step = a + b·R``: the fixed cost per step a and the cost per run-round b.

    Parameters
    ----------
    sizes : list of int
        The replication counts R (at least two distinct).
    per_step : list of float
        The time per step at each R.

    Returns
    -------
    tuple of float
        ``(a, b)``, in the units of ``per_step``.
    """
    b, a = np.polyfit(np.asarray(sizes, dtype=float), np.asarray(per_step, dtype=float), 1)
    return float(a), float(b)


def main() -> None:
    """Measure each tree at each size, alternating, and print Markdown tables and the fit."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-commit", help="the 'before' commit (default: this checkout only)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, SIZES)),
        help="replication counts R (default %(default)s)",
    )
    parser.add_argument("--twin", action="store_true", help="run the twins beside each run")
    parser.add_argument("--scenario", default=SCENARIO, help="a shipped scenario (%(default)s)")
    parser.add_argument("--condition", default=CONDITION, help="its condition (%(default)s)")
    parser.add_argument(
        "--by-run",
        action="store_true",
        help="also the CPU per step of the run and of each twin apart (this checkout's tree)",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, one run: a smoke test")
    parser.add_argument("--one", type=int, metavar="R", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(measure(args.one, args.twin, args.scenario, args.condition)))
        return
    sizes = list(QUICK_SIZES) if args.quick else [int(r) for r in args.sizes.split(",") if r]
    repeats = 1 if args.quick else args.repeats
    if len(set(sizes)) < 2:
        parser.error("the fit needs at least two distinct sizes")
    print(machine())
    print(f"load average before: {load_average()}")
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"after": ROOT / "src"}
        if args.base_commit:
            trees = {"before": extract_src(args.base_commit, Path(tmp)), **trees}
        runs: dict[str, dict[int, list[dict[str, float]]]] = {
            t: {r: [] for r in sizes} for t in trees
        }
        for r in sizes:
            for _ in range(repeats):
                for label, src in trees.items():
                    runs[label][r].append(_child(src, r, args.twin, args.scenario, args.condition))
    print(f"load average after: {load_average()}")
    twins = ", with twins" if args.twin else ""
    base = f"before = {args.base_commit}, " if args.base_commit else ""
    print(
        f"\n{args.scenario} ({args.condition}{twins}), keep=0; medians of {repeats}; {base}"
        "after = this checkout. Times per step (the batch's time over the rounds it stepped).\n"
    )
    print(
        "| tree | R | steps | wall s | CPU s | wall ms/step | CPU ms/step | M actor-rounds/s/core |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    per_step: dict[str, dict[str, list[float]]] = {t: {"wall": [], "cpu": []} for t in trees}
    for label in trees:
        for r in sizes:
            got = runs[label][r]
            steps = statistics.median(g["steps"] for g in got)
            wall = statistics.median(g["wall"] for g in got)
            cpu = statistics.median(g["cpu"] for g in got)
            per_step[label]["wall"].append(wall / steps)
            per_step[label]["cpu"].append(cpu / steps)
            rate = statistics.median(g["run_rounds"] * g["actors"] / g["cpu"] for g in got)
            print(
                f"| {label} | {r:,} | {steps:.0f} | {wall:.3f} | {cpu:.3f} | "
                f"{1e3 * wall / steps:.2f} | {1e3 * cpu / steps:.2f} | {rate / 1e6:.3f} |"
            )
    print(f"\nFit per step = a + b·R over R = {', '.join(f'{r:,}' for r in sizes)}:\n")
    print(
        "| tree | fixed cost a, wall ms/step | a, CPU ms/step | per run-round b, wall µs "
        "| b, CPU µs |"
    )
    print("| --- | ---: | ---: | ---: | ---: |")
    for label in trees:
        a_wall, b_wall = fit(sizes, per_step[label]["wall"])
        a_cpu, b_cpu = fit(sizes, per_step[label]["cpu"])
        print(
            f"| {label} | {1e3 * a_wall:.2f} | {1e3 * a_cpu:.2f} | {1e6 * b_wall:.1f} | "
            f"{1e6 * b_cpu:.1f} |"
        )
    if args.base_commit:
        print("\nCPU per step, after / before:")
        for r, old, new in zip(
            sizes, per_step["before"]["cpu"], per_step["after"]["cpu"], strict=True
        ):
            print(f"- R = {r:,}: {new / old:.2f}")
    if args.by_run:
        print_by_run(sizes, runs["after"], args.twin)


def print_by_run(sizes: list[int], runs: dict[int, list[dict[str, float]]], twin: bool) -> None:
    """The CPU per step of each run of a replication apart, and its fit, this checkout's tree."""
    kinds = ["run", "perception", "complete"] if twin else ["run"]
    print(
        "\nCPU ms per step of each run apart (this checkout; `Crisis.step` timed, medians): a "
        "replication with twins is three runs, each stepped by its own `Crisis`, so each pays "
        "the fixed cost a step.\n"
    )
    print("| R | " + " | ".join(kinds) + " | all |")
    print("| ---: | " + " | ".join("---:" for _ in kinds) + " | ---: |")
    per_step: dict[str, list[float]] = {k: [] for k in [*kinds, "all"]}
    for r in sizes:
        got = runs[r]
        steps = statistics.median(g["steps"] for g in got)
        row = {k: statistics.median(g.get(f"cpu_{k}", float("nan")) for g in got) for k in kinds}
        row["all"] = sum(row.values())
        for k, v in row.items():
            per_step[k].append(v / steps)
        cells = " | ".join(f"{1e3 * row[k] / steps:.2f}" for k in [*kinds, "all"])
        print(f"| {r:,} | {cells} |")
    print("\n| run | fixed cost a, CPU ms/step | per replication-round b, CPU µs |")
    print("| --- | ---: | ---: |")
    for k, values in per_step.items():
        a, b = fit(sizes, values)
        print(f"| {k} | {1e3 * a:.2f} | {1e6 * b:.1f} |")


if __name__ == "__main__":
    main()
