"""How much arithmetic a replication-round of geneva-2022 needs: the elements its equations compute.

Usage::

    .venv/bin/python benchmarks/bench_work_count.py                  # R = 200 and 1,000
    .venv/bin/python benchmarks/bench_work_count.py --sizes 100,400   # other sizes
    .venv/bin/python benchmarks/bench_work_count.py --quick           # a smoke run

issue 20 asks for the physical limit of the engine on this machine: how fast a replication-round
could run if nothing but its arithmetic were left. This counts that arithmetic from below. Every
function of :mod:`escalsim.core.bargaining` (the model's equations: pure, elementwise over their
batch axes) is wrapped to count the elements of what it returns; a call that calls no other
counted function is a *leaf* (``hold_value``, ``quit_probability``, ...), and the leaves'
elements are the equations' own results, each a few floating-point operations. Two batches
(geneva-2022, ``dialogue_open``, twins) give the marginal count per replication-round, without
the batch's fixed set-up. Arithmetic outside ``core.bargaining`` (the round's bookkeeping in
``model/rounds.py``, the policies' assembly of the equations' inputs) is not counted: the count
is a lower bound on the work.

A compiled loop that evaluates a leaf element in about a nanosecond (a few operations on
operands in cache, no temporaries) would spend at least ``count × 1 ns`` per replication-round;
the table prints that floor beside the throughput it allows, in the units of
``bench_fixed_cost.py`` (actors × rounds, three runs a replication with twins), and the CPU time
per replication-round the batch engine measures now (the same two batches, without the counting
wrappers, in fresh processes).
"""

from __future__ import annotations

import argparse
import functools
import inspect
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from source_trees import machine, run_child, tune_allocator

ROOT = Path(__file__).resolve().parents[1]
SCENARIO, CONDITION = "geneva-2022", "dialogue_open"


def _elements(value: Any) -> int:
    if isinstance(value, np.ndarray):
        return int(value.size)
    if isinstance(value, tuple):
        return sum(_elements(v) for v in value)
    if isinstance(value, (float, int, np.floating, np.integer)):
        return 1
    return 0


def measure(replications: int, count: bool) -> dict[str, Any]:
    """One batch in this process: its CPU time, and with ``count`` the equations' elements."""
    tune_allocator()
    import escalsim.core.bargaining as bg

    leaves: dict[str, int] = {}
    stack: list[list[bool]] = []
    if count:
        for name, fn in list(vars(bg).items()):
            if not (inspect.isfunction(fn) and fn.__module__ == bg.__name__):
                continue

            def wrapped(*args: Any, __fn: Any = fn, __name: str = name, **kwargs: Any) -> Any:
                if stack:
                    stack[-1][0] = True  # the caller is not a leaf
                stack.append([False])
                try:
                    out = __fn(*args, **kwargs)
                finally:
                    called = stack.pop()[0]
                if not called:
                    leaves[__name] = leaves.get(__name, 0) + _elements(out)
                return out

            setattr(bg, name, functools.wraps(fn)(wrapped))
    from escalsim.batch import run_batch
    from escalsim.scenario import load_scenario, with_condition

    spec = with_condition(load_scenario(SCENARIO), CONDITION)
    if not count:
        run_batch(spec, seed=0, replications=8, keep=0, twin=True)  # warm-up
    cpu = time.process_time()
    frames = run_batch(spec, seed=1, replications=replications, keep=0, twin=True)
    cpu = time.process_time() - cpu
    rounds = int(frames.outcome["end_round"].sum())  # replication-rounds (the twins step along)
    return {"cpu": cpu, "rep_rounds": rounds, "leaves": leaves, "actors": len(spec.actors)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,1000", help="two replication counts")
    parser.add_argument("--quick", action="store_true", help="R = 10 and 30")
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(int(args.one[0]), args.one[1] == "1")))
        return
    small, large = (10, 30) if args.quick else (int(s) for s in args.sizes.split(","))
    print(machine())
    src = ROOT / "src"
    counted = [run_child(src, __file__, str(r), "1") for r in (small, large)]
    timed = [run_child(src, __file__, str(r), "0") for r in (small, large)]
    extra = counted[1]["rep_rounds"] - counted[0]["rep_rounds"]
    names = set(counted[0]["leaves"]) | set(counted[1]["leaves"])
    per = {
        n: (counted[1]["leaves"].get(n, 0) - counted[0]["leaves"].get(n, 0)) / extra for n in names
    }
    total = sum(per.values())
    cpu = (timed[1]["cpu"] - timed[0]["cpu"]) / (timed[1]["rep_rounds"] - timed[0]["rep_rounds"])
    actor_rounds = 3 * counted[1]["actors"]  # per replication-round: three runs with twins
    print(f"{SCENARIO} ({CONDITION}), twins, R = {small} and {large}: per replication-round\n")
    print("| equation (leaf of core.bargaining) | elements per replication-round | share |")
    print("| --- | ---: | ---: |")
    for name, value in sorted(per.items(), key=lambda kv: -kv[1])[:12]:
        print(f"| `{name}` | {value:,.0f} | {value / total:.1%} |")
    print(f"| all {len(per)} leaves | **{total:,.0f}** | 100% |")
    floor = total * 1e-9
    print(
        "\n| | seconds per replication-round | M actor-rounds/s/core |\n| --- | ---: | ---: |\n"
        f"| the batch engine now (CPU, marginal) | {cpu * 1e6:,.1f} µs | "
        f"{actor_rounds / cpu / 1e6:.3f} |\n"
        f"| the leaves alone at 1 ns an element (a floor) | {floor * 1e6:,.1f} µs | "
        f"{actor_rounds / floor / 1e6:.2f} |"
    )


if __name__ == "__main__":
    main()
