"""Fit the ``--dry-run`` time model's per-round costs to every shipped scenario (issue 20).

Usage::

    .venv/bin/python benchmarks/bench_time_model.py               # R = 100 and 1,000, all
    .venv/bin/python benchmarks/bench_time_model.py --sizes 100,2000 --scenarios geneva-2022
    .venv/bin/python benchmarks/bench_time_model.py --quick       # a smoke run

For each shipped scenario (its first condition), one ``run_batch(seed=1, replications=R,
keep=0, twin=True)`` at each size R, after a warm-up, in a fresh single-threaded process: its
CPU time (user + system), the batch's steps and the run-rounds it simulated (each run's
rounds, the two twins' included). The two sizes give, per scenario, the least-squares split
``cpu = steps · a + run_rounds · b``: ``a`` the cost of a step whatever the batch's size (per
run stepped: the step's cost over the three runs of a replication with twins), ``b`` the cost
of a run-round.

Then the model of :mod:`escalsim.experiment.limits` is fitted to them: ``b`` = the polynomial
in the actors A (``BATCH_U*``, measured on synthetic scenarios, unchanged) + per power with the
``bargaining`` policy ``BARGAIN_U + BARGAIN_UD · D``, D the deciders (``Shape.deciders``: a
bargaining power values the other's decision against each decider's part in a war), and ``a``
= ``BATCH_O0 + BATCH_O1 · A`` + per such power ``BARGAIN_OA · A`` (through the origin), by
least squares over the scenarios with bargaining powers whose crises last more than two rounds
(fearon's and preventive-war's last one or two: their cost is the per-replication set-up,
``PER_REPLICATION_SECONDS``). The table gives each scenario's measured ``a`` and ``b`` beside
the model's before (the constants in the source tree) and after (the fit); ``limits.py`` takes
the fitted constants by hand. CPU time, not wall time: on a shared machine the two differ, and
the estimate is of an idle core. The load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from source_trees import run_child, steps_and_run_rounds, tune_allocator

ROOT = Path(__file__).resolve().parents[1]
#: Crises of one or two rounds: their cost is the per-replication set-up, not a round's.
LEFT_OUT = ("fearon", "preventive-war")


def measure(name: str, replications: int) -> dict[str, Any]:
    """One batch of ``name``'s first condition in this process: its CPU, steps and run-rounds."""
    tune_allocator()
    import time

    from escalsim.batch import run_batch
    from escalsim.experiment.limits import Shape
    from escalsim.scenario import load_scenario, with_condition

    spec = load_scenario(name)
    if spec.conditions:
        spec = with_condition(spec, spec.condition_names[0])
    run_batch(spec, seed=0, replications=8, keep=0, twin=True)  # warm-up
    cpu = time.process_time()
    frames = run_batch(spec, seed=1, replications=replications, keep=0, twin=True)
    cpu = time.process_time() - cpu
    steps, run_rounds = steps_and_run_rounds(frames)
    shape = Shape.of(spec)
    return {
        "cpu": cpu,
        "steps": steps,
        "run_rounds": run_rounds,
        "actors": shape.actors,
        "bargainers": shape.bargainers,
        "deciders": shape.deciders,
    }


def split(rows: list[dict[str, Any]]) -> tuple[float, float]:
    """``(a, b)`` of ``cpu = steps · a + run_rounds · b`` through the measurements."""
    x = np.array([[r["steps"], r["run_rounds"]] for r in rows])
    y = np.array([r["cpu"] for r in rows])
    (a, b), *_ = np.linalg.lstsq(x, y, rcond=None)
    return float(a), float(b)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000", help="replication counts (two or more)")
    parser.add_argument("--scenarios", help="comma-separated (default: every shipped scenario)")
    parser.add_argument("--quick", action="store_true", help="two scenarios, R = 10 and 40")
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one[0], int(args.one[1]))))
        return
    from escalsim.experiment import limits
    from escalsim.experiment.limits import Shape
    from escalsim.scenario.shipped import names as shipped

    sizes = [10, 40] if args.quick else [int(s) for s in args.sizes.split(",")]
    if args.scenarios:
        chosen = args.scenarios.split(",")
    else:
        chosen = ["geneva-2022", "brinkmanship"] if args.quick else list(shipped())
    print(f"load average before: {_load()}")
    found: dict[str, tuple[float, float, dict[str, Any]]] = {}
    for name in chosen:
        rows = [run_child(ROOT / "src", __file__, name, str(r)) for r in sizes]
        a, b = split(rows)
        found[name] = (a / 3, b, rows[-1])  # a per run stepped: three runs with twins
    print(f"load average after: {_load()}")

    def unbargained(actors: int) -> Shape:
        # The model's terms without the bargaining policy (limits' own functions, not a copy).
        return Shape(actors, 0, 0, 0, 1, 1, 1, 0)

    def polynomial(actors: int) -> float:
        return limits.rep_round_seconds(unbargained(actors), "batch")

    fitted = [n for n, (_, _, r) in found.items() if r["bargainers"] and n not in LEFT_OUT]
    u_fit = ud_fit = oa_fit = float("nan")
    if len(fitted) >= 2:
        shapes = [found[n][2] for n in fitted]
        x = np.array([[r["bargainers"], r["bargainers"] * r["deciders"]] for r in shapes])
        y = np.array([found[n][1] - polynomial(found[n][2]["actors"]) for n in fitted])
        (u_fit, ud_fit), *_ = np.linalg.lstsq(x, y, rcond=None)
        fixed = np.array([limits.round_seconds(unbargained(r["actors"])) for r in shapes])
        y = np.array([found[n][0] for n in fitted]) - fixed
        per_power = np.array([r["bargainers"] * r["actors"] for r in shapes], dtype=float)
        oa_fit = float(per_power @ y / (per_power @ per_power))

    def step(r: dict[str, Any], oa: float) -> float:
        return limits.round_seconds(unbargained(r["actors"])) + r["bargainers"] * oa * r["actors"]

    print(f"\nrun_batch, first condition, twins, R = {', '.join(map(str, sizes))} (CPU time)\n")
    print(
        "| scenario | actors | deciders | bargaining powers | step, per run (ms) | model before "
        "| ratio | model fitted | ratio | run-round (µs) | model before | ratio | model fitted "
        "| ratio |"
    )
    print("| --- | --- |" + " ---: |" * 12)
    for name, (a, b, r) in found.items():
        shape = Shape(r["actors"], 0, 0, 0, 1, 1, 1, 0, r["bargainers"], r["deciders"])
        before = limits.rep_round_seconds(shape, "batch")
        after = polynomial(r["actors"]) + r["bargainers"] * (u_fit + ud_fit * r["deciders"])
        step_before = limits.round_seconds(shape)
        step_after = step(r, oa_fit)
        note = " (left out)" if name in LEFT_OUT else ""
        print(
            f"| {name}{note} | {r['actors']} | {r['deciders']} | {r['bargainers']} | {a * 1e3:.2f} "
            f"| {step_before * 1e3:.2f} | {step_before / a:.2f} | {step_after * 1e3:.2f} "
            f"| {step_after / a:.2f} | {b * 1e6:.1f} | {before * 1e6:.1f} | {before / b:.2f} "
            f"| {after * 1e6:.1f} | {after / b:.2f} |"
        )
    print(
        f"\nfitted over {len(fitted)} scenarios: BARGAIN_U = {u_fit * 1e6:.2f} µs, "
        f"BARGAIN_UD = {ud_fit * 1e6:.3f} µs per decider, "
        f"BARGAIN_OA = {oa_fit * 1e3:.3f} ms per actor; in the tree: "
        f"BARGAIN_U = {limits.BARGAIN_U * 1e6:.2f} µs, BARGAIN_UD = "
        f"{limits.BARGAIN_UD * 1e6:.3f} µs, BARGAIN_OA = {limits.BARGAIN_OA * 1e3:.3f} ms"
    )


if __name__ == "__main__":
    main()
