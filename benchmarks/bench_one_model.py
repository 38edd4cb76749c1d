"""Before and after "one model, one implementation" (issue 15), side by side in one run.

Usage::

    .venv/bin/python benchmarks/bench_one_model.py                  # base: commit b8ed0fd
    .venv/bin/python benchmarks/bench_one_model.py --base-commit REV --repeats 5
    .venv/bin/python benchmarks/bench_one_model.py --quick          # a smoke run
    .venv/bin/python benchmarks/bench_one_model.py --viewer         # k rows vs k models

"Before" is the source tree of ``--base-commit`` (extracted with ``git archive`` into a
temporary folder), "after" this checkout's ``src``. Each measurement runs in a fresh
single-threaded process with ``PYTHONPATH`` pointing at one tree, alternating before and after
so that a change in the machine's load hits both alike; the table gives the median of
``--repeats`` runs of wall time and of CPU time (the process's own user + system time), and
actor-rounds per second per core (actor-rounds over CPU seconds: one process uses one core).
Every run counts the runs and all their twins (actors times the rounds each run stepped).

* The mesa face: ``EscalationModel(...).run()`` one replication at a time (R = 1), a run and
  its twin each, per replication.
* The ensembles: ``run_batch(..., twin=True, keep=0)`` of geneva-2022 at 100, 1,000 and 10,000
  replications.

``--viewer`` measures this checkout only: a viewer of an ensemble, k replications of
geneva-2022 stepped as k one-row models (``EscalationModel(..., replication=r)``) against one
model of k rows (``EscalationModel(..., replications=k)``), each run to its end, for k = 10, 100
and 1,000 (the same frames: ``tests/test_mesa_ensemble.py``).

The load average is printed before and after: on a shared machine wall time is noisy, CPU time
much less so.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from source_trees import extract_src, machine, run_child, tune_allocator

SCENARIO, CONDITION = "geneva-2022", "dialogue_open"
ROOT = Path(__file__).resolve().parents[1]


def measure(
    face: str, replications: int, scenario: str = SCENARIO, condition: str = CONDITION
) -> dict[str, float]:
    """One measurement in this process (whatever ``escalsim`` is on the path)."""
    tune_allocator()
    from escalsim.scenario import load_scenario, with_condition

    spec = with_condition(load_scenario(scenario), condition)
    actors = len(spec.actors)
    if face in ("k-models", "one-model"):
        from escalsim.agents import EscalationModel

        EscalationModel(scenario=spec, seed=0, replications=[10**6, 10**6 + 1]).run()  # warm-up
        wall, cpu = time.perf_counter(), time.process_time()
        if face == "k-models":
            models = [
                EscalationModel(scenario=spec, seed=1, replication=r).run()
                for r in range(replications)
            ]
            rounds = sum(m.round for m in models)
        else:
            model = EscalationModel(scenario=spec, seed=1, replications=replications).run()
            rounds = int(model.outcome["end_round"].sum())
    elif face == "mesa":
        from escalsim.agents import EscalationModel

        EscalationModel(scenario=spec, seed=0, replication=10**6).run()  # warm-up
        wall, cpu = time.perf_counter(), time.process_time()
        rounds = 0
        for r in range(replications):
            for twin in (False, True):
                model = EscalationModel(
                    scenario=spec, seed=1, replication=r, perfect_information=twin
                ).run()
                rounds += model.round
    else:
        from escalsim.batch import run_batch

        run_batch(spec, seed=0, replications=8, keep=0, twin=True)  # warm-up
        wall, cpu = time.perf_counter(), time.process_time()
        frames = run_batch(spec, seed=1, replications=replications, keep=0, twin=True)
        # Every run stepped counts: the run and its twins (one before decision-v2's
        # complete-information twin, two since).
        twins = (frames.twin_outcome, getattr(frames, "complete_twin_outcome", None))
        rounds = int(frames.outcome["end_round"].sum()) + sum(
            int(t["end_round"].sum()) for t in twins if t is not None
        )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"wall": wall, "cpu": cpu, "actor_rounds": rounds * actors}


def _child(
    src: Path, face: str, replications: int, scenario: str = SCENARIO, condition: str = CONDITION
) -> dict[str, float]:
    args = (face, str(replications), scenario, condition)
    result: dict[str, float] = run_child(src, __file__, *args)
    return result


def main() -> None:
    """Measure before and after, alternating, and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-commit", default="b8ed0fd", help="the 'before' commit")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--viewer", action="store_true", help="k one-row models vs one of k")
    parser.add_argument(
        "--scenario",
        default=f"{SCENARIO}:{CONDITION}",
        help="NAME:CONDITION of the before/after comparison (default %(default)s)",
    )
    parser.add_argument(
        "--mesa-replications", type=int, help="replications of the mesa face (default 40)"
    )
    parser.add_argument(
        "--ensembles", default="100,1000,10000", help="replication counts of the ensembles"
    )
    parser.add_argument("--one", nargs=4, metavar=("FACE", "R", "S", "C"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one[0], int(args.one[1]), args.one[2], args.one[3])))
        return
    if args.viewer:
        viewer(args.repeats, (10, 100) if args.quick else (10, 100, 1_000))
        return
    scenario, condition = args.scenario.split(":", 1)
    mesa = args.mesa_replications or (10 if args.quick else 40)
    sizes = (100, 500) if args.quick else tuple(int(r) for r in args.ensembles.split(",") if r)
    cases = [("mesa", mesa)] + [("ensembles", r) for r in sizes]
    print(machine())
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"before": extract_src(args.base_commit, Path(tmp)), "after": ROOT / "src"}
        rows = []
        for face, reps in cases:
            runs: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
            for _ in range(args.repeats):
                for label, src in trees.items():
                    runs[label].append(_child(src, face, reps, scenario, condition))
            row: dict[str, object] = {"face": face, "R": reps}
            for label, got in runs.items():
                wall = statistics.median(g["wall"] for g in got)
                cpu = statistics.median(g["cpu"] for g in got)
                per_core = statistics.median(g["actor_rounds"] / g["cpu"] for g in got)
                row |= {f"{label}_wall": wall, f"{label}_cpu": cpu, f"{label}_rate": per_core}
            rows.append(row)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"\n{scenario} ({condition}) with twins; medians of {args.repeats}; before = "
        f"{args.base_commit}, after = this checkout. Per replication for the mesa face (R = 1).\n"
    )
    print(
        "| face | replications | before wall s | before CPU s | after wall s | after CPU s "
        "| CPU after/before | before M actor-rounds/s/core | after M actor-rounds/s/core |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        scale = 1 / int(r["R"]) if r["face"] == "mesa" else 1  # type: ignore[call-overload]
        print(
            f"| {r['face']} | {r['R']:,} | {r['before_wall'] * scale:.4f} | "
            f"{r['before_cpu'] * scale:.4f} | {r['after_wall'] * scale:.4f} | "
            f"{r['after_cpu'] * scale:.4f} | {r['after_cpu'] / r['before_cpu']:.2f} | "
            f"{r['before_rate'] / 1e6:.3f} | {r['after_rate'] / 1e6:.3f} |"
        )


def viewer(repeats: int, sizes: tuple[int, ...]) -> None:
    """k replications as k one-row models and as one model of k rows (this checkout)."""
    print(machine())
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    src = ROOT / "src"
    rows = []
    for k in sizes:
        runs: dict[str, list[dict[str, float]]] = {"k-models": [], "one-model": []}
        for _ in range(repeats):
            for face, got in runs.items():
                got.append(_child(src, face, k))
        rows.append(
            (k, *(statistics.median(g[m] for g in runs[f]) for f in runs for m in ("wall", "cpu")))
        )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"\n{SCENARIO} ({CONDITION}), no twins; medians of {repeats}; seconds for all k "
        "replications run to their end.\n"
    )
    print(
        "| k | k one-row models wall s | CPU s | one model of k rows wall s | CPU s "
        "| CPU one/k models |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for k, k_wall, k_cpu, one_wall, one_cpu in rows:
        print(
            f"| {k:,} | {k_wall:.3f} | {k_cpu:.3f} | {one_wall:.3f} | {one_cpu:.3f} "
            f"| {one_cpu / k_cpu:.3f} |"
        )


if __name__ == "__main__":
    main()
