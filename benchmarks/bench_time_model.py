"""Fit the ``--dry-run`` time model's per-round costs to every shipped scenario (issue 20).

Usage::

    .venv/bin/python benchmarks/bench_time_model.py               # R = 100 and 1,000, all
    .venv/bin/python benchmarks/bench_time_model.py --sizes 100,2000 --scenarios geneva-2022
    .venv/bin/python benchmarks/bench_time_model.py --quick       # a smoke run

For each shipped scenario (its first condition) and each of bench_limits' synthetic scenarios
(``--synthetic``: generic-dispute with A - 2 neutral third parties, 20 rounds; at
``--synthetic-sizes``), one
``run_batch(seed=1, replications=R, keep=0, twin=True)`` at each size R, after a warm-up, in a
fresh single-threaded process: its CPU time (user + system), the batch's steps and the
run-rounds it simulated (each run's rounds, the two twins' included).

Then the time model of :mod:`escalsim.experiment.limits` is fitted to the batches' CPU times:
a batch of R replications that took S steps and N run-rounds costs

* per run stepped (3 S with twins: :func:`~escalsim.experiment.limits.round_seconds`)
  ``BATCH_O0 + BATCH_O1 · A + BARGAIN_OD · B · D``,
* per run-round (:func:`~escalsim.experiment.limits.rep_round_seconds`) the polynomial
  ``BATCH_U0 + BATCH_U1 · A + BATCH_U2 · A² + BATCH_U3 · A³`` plus
  ``B · (BARGAIN_U + BARGAIN_UD · D + BARGAIN_UT2 · T²)``,
* ``PER_TASK_SECONDS`` once, and ``PER_REPLICATION_SECONDS`` per replication (R; its
  generators, measured apart and subtracted before the fit, not fitted),

with A the actors, B the powers with the ``bargaining`` policy, D the deciders
(``Shape.deciders``: a bargaining power values the other's decision against each decider's
part in a war) and T the cost-of-war types (``Shape.types``: fearon's 100 types cost in their
square, the posterior over the other's types times its own). The fit is a non-negative least
squares of the relative errors (model / measured - 1) over every batch, each error weighted by
the batch's CPU to the power 1/4 (``WEIGHT_POWER``; its square, in the sum, by CPU^½): the
batches' costs differ 100-fold, the estimate matters most where a run is long, and no term
may be negative, since the model extrapolates to 200 actors. The
table gives each batch's CPU beside the model in the source tree and the fitted model;
``limits.py`` takes the fitted constants by hand. CPU time, not wall time: on a shared machine
the two differ, and the estimate is of an idle core. The load average is printed before and
after. ``--cache FILE`` keeps the measurements, to refit without re-measuring.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
from source_trees import load_average, machine, run_child, steps_and_run_rounds, tune_allocator

ROOT = Path(__file__).resolve().parents[1]
#: bench_limits' synthetic scenarios (generic-dispute and A - 2 neutral third parties, 20
#: rounds), named ``synthetic-A``: the only ones with many actors that are not deciders.
SYNTHETIC, SYNTHETIC_ROUNDS = "synthetic-", 20
#: The relative errors' weight, CPU seconds to this power: 0 weighs every batch alike (the model
#: is then within 0.49-1.45 of every batch, but 0.91 of geneva-2022's 1,000 replications); 1/4
#: brings the six longest (2.4-10.5 s of CPU) within 0.85-1.02; all within 0.56-1.76, the
#: extremes two batches of under 0.06 s (5 December 2026).
WEIGHT_POWER = 0.25


def measure(name: str, replications: int) -> dict[str, Any]:
    """One batch of ``name``'s first condition in this process: its CPU, steps and run-rounds."""
    tune_allocator()
    import time

    from escalsim.batch import run_batch
    from escalsim.experiment.limits import Shape
    from escalsim.scenario import load_scenario, with_condition

    if name.startswith(SYNTHETIC):
        from bench_limits import synthetic

        spec = synthetic(int(name[len(SYNTHETIC) :]), SYNTHETIC_ROUNDS)
    else:
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
        "types": shape.types,
        "replications": replications,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000", help="replication counts (two or more)")
    parser.add_argument("--scenarios", help="comma-separated (default: every shipped scenario)")
    parser.add_argument("--quick", action="store_true", help="two scenarios, R = 10 and 40")
    parser.add_argument(
        "--synthetic",
        default="10,20,40,80,200",
        help="actor counts of bench_limits' synthetic scenarios to measure too ('' for none)",
    )
    parser.add_argument(
        "--synthetic-sizes",
        default="100,1000",
        help="replication counts of the synthetic scenarios (200 actors: 1 ms a run-round)",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        help="JSON file of the measurements: read if it exists (then --scenarios, --sizes and "
        "--synthetic are ignored), else written",
    )
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
    synthetic_sizes = [int(s) for s in args.synthetic_sizes.split(",")]
    if not args.quick:
        chosen += [f"{SYNTHETIC}{a}" for a in args.synthetic.split(",") if a]
    found: dict[str, list[dict[str, Any]]] = {}
    if args.cache and args.cache.exists():
        found = json.loads(args.cache.read_text())
        print(f"measurements read from {args.cache}")
    else:
        print(machine())
        print(f"load average before: {load_average()}")
        for name in chosen:
            at = synthetic_sizes if name.startswith(SYNTHETIC) else sizes
            found[name] = [run_child(ROOT / "src", __file__, name, str(r)) for r in at]
        print(f"load average after: {load_average()}")
        if args.cache:
            args.cache.write_text(json.dumps(found))

    from scipy.optimize import nnls

    # Each measurement is one batch: its CPU against the time model's terms for the steps and
    # run-rounds it actually took (the pilot's business is how many; this is what each costs).
    batches = [(name, r, r["replications"]) for name, rows in found.items() for r in rows]

    def shape_of(r: dict[str, Any]) -> Shape:
        return Shape(
            r["actors"], 0, 0, 0, 1, 1, 1, 0, r["bargainers"], r["deciders"], r.get("types", 1)
        )

    def terms(r: dict[str, Any]) -> dict[str, float]:
        # limits' own terms (one definition of the model): per run stepped (3 per step: a
        # replication and its two twins), per run-round, and the task once.
        shape = shape_of(r)
        return {
            **{k: 3 * r["steps"] * m for k, m in limits.round_terms(shape).items()},
            **{k: r["run_rounds"] * m for k, m in limits.rep_round_terms(shape).items()},
            "PER_TASK_SECONDS": 1.0,
        }

    def columns(r: dict[str, Any]) -> list[float]:
        return list(terms(r).values())

    x = np.array([columns(r) for _, r, _ in batches])
    cpu = np.array([r["cpu"] for _, r, _ in batches])
    # The generators' cost per replication is measured, not fitted: the rest is fitted to what
    # remains of each batch's CPU.
    known = np.array([size * limits.PER_REPLICATION_SECONDS for _, _, size in batches])
    # Non-negative least squares of the relative errors (model / measured - 1), each weighted by
    # the batch's CPU to the power 1/4: the batches' costs differ 100-fold, the estimate matters
    # most where a run is long, and no term may be negative (the model extrapolates to 200
    # actors).
    weight = cpu**WEIGHT_POWER
    coef, _ = nnls(x / cpu[:, None] * weight[:, None], (1.0 - known / cpu) * weight)

    def tree_model(r: dict[str, Any], size: int) -> float:
        shape = shape_of(r)
        return (
            3 * r["steps"] * limits.round_seconds(shape)
            + r["run_rounds"] * limits.rep_round_seconds(shape, "batch")
            + limits.PER_TASK_SECONDS
            + size * limits.PER_REPLICATION_SECONDS
        )

    print("\nrun_batch, first condition, twins (CPU time; each batch's R in the table)\n")
    print(
        "| scenario | actors | deciders | bargaining powers | R | steps | run-rounds | CPU (s) "
        "| model in the tree | ratio | model fitted | ratio |"
    )
    print("| --- |" + " ---: |" * 11)
    ratios = []
    for name, r, size in batches:
        before = tree_model(r, size)
        after = float(np.dot(coef, columns(r))) + size * limits.PER_REPLICATION_SECONDS
        ratios.append(after / r["cpu"])
        print(
            f"| {name} | {r['actors']} | {r['deciders']} | {r['bargainers']} | {size} "
            f"| {r['steps']} | {r['run_rounds']:.0f} | {r['cpu']:.3f} | {before:.3f} "
            f"| {before / r['cpu']:.2f} | {after:.3f} | {after / r['cpu']:.2f} |"
        )
    names = list(terms(batches[0][1])) if batches else []
    print(
        f"\nfitted over {len(batches)} batches (relative least squares weighted by CPU^"
        f"{WEIGHT_POWER}, every term >= 0; "
        f"model / measured {min(ratios, default=float('nan')):.2f}-"
        f"{max(ratios, default=float('nan')):.2f}):"
    )
    for term, value in zip(names, coef, strict=True):
        print(f"  {term} = {value:.4g} s (in the tree: {getattr(limits, term, float('nan')):.4g})")


if __name__ == "__main__":
    main()
