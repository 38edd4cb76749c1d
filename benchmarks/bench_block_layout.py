"""The random block's two layouts side by side (issue 17, wiring step 2; docs/decision-v2.md §9).

Usage::

    .venv/bin/python benchmarks/bench_block_layout.py                   # N = 1,000, 5 repeats
    .venv/bin/python benchmarks/bench_block_layout.py --replications 200 --repeats 3

Prints the uniforms drawn per replication-round of every shipped scenario in version 1's layout
and in the layout by structure, then the ensemble speed of geneva-2022 (``run_batch`` with
twins, no detail kept, each condition) in each: the median of ``--repeats`` runs of CPU time
(this process's own) and wall time, alternating the layouts so that a change in the machine's
load hits both alike. One process, one core.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from escalsim.batch import run_batch
from escalsim.core.streams import BlockLayout
from escalsim.scenario import load_scenario
from escalsim.scenario.shipped import names


def sizes() -> None:
    print("| scenario | legacy | by structure |")
    print("| --- | ---: | ---: |")
    for name in names():
        spec = load_scenario(name)
        old = BlockLayout.of(spec, legacy=True).size
        new = BlockLayout.of(spec, legacy=False).size
        print(f"| {name} | {old} | {new} |")


def speed(replications: int, repeats: int) -> None:
    spec = load_scenario("geneva-2022")
    layouts = {
        "legacy": BlockLayout.of(spec, legacy=True),
        "by structure": BlockLayout.of(spec, legacy=False),
    }
    for condition in spec.condition_names:
        run_batch(spec, condition=condition, replications=50, twin=True, keep=0)  # warm-up
        times: dict[str, list[tuple[float, float]]] = {k: [] for k in layouts}
        rounds: dict[str, int] = {}
        for _ in range(repeats):
            for label, layout in layouts.items():
                wall, cpu = time.perf_counter(), time.process_time()
                out = run_batch(
                    spec,
                    condition=condition,
                    seed=1,
                    replications=replications,
                    twin=True,
                    keep=0,
                    layout=layout,
                )
                times[label].append((time.process_time() - cpu, time.perf_counter() - wall))
                rounds[label] = int(out.outcome["end_round"].sum())
        print(f"\ngeneva-2022 {condition}, N = {replications} with twins, {repeats} repeats:")
        print("| layout | uniforms per round | CPU s | wall s | replication-rounds |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for label, layout in layouts.items():
            cpu = statistics.median(t[0] for t in times[label])
            wall = statistics.median(t[1] for t in times[label])
            print(f"| {label} | {layout.size} | {cpu:.3f} | {wall:.3f} | {rounds[label]} |")
        ratio = statistics.median(t[0] for t in times["legacy"]) / statistics.median(
            t[0] for t in times["by structure"]
        )
        print(f"legacy / by structure (CPU): {ratio:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    sizes()
    speed(args.replications, args.repeats)
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
