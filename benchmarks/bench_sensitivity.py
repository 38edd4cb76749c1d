"""Benchmark the sensitivity analysis of the channel effect: wall time of the default recipe.

Usage::

    .venv/bin/python benchmarks/bench_sensitivity.py              # docs/sensitivity.md's timing
    .venv/bin/python benchmarks/bench_sensitivity.py --quick      # a smoke run

The default analysis of ``escalsim sensitivity`` (Morris, 10 trajectories over the default
groups, 300 paired replications per point and condition, local processes on every core) for
hotline-1963 and geneva-2022, wall time including starting the workers and the analysis, with
the load average before and after (other jobs on the machine stretch the wall time).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from source_trees import machine

from escalsim.experiment import sensitivity as sa
from escalsim.scenario import load_scenario


def main() -> None:
    """Print the timing table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--scenario", action="append", help="scenarios [default: both]")
    args = parser.parse_args()
    names = args.scenario or ["hotline-1963", "geneva-2022"]
    trajectories, replications = (2, 10) if args.quick else (10, 300)
    print(f"{machine()}\n")
    print("| scenario | groups | points | runs | wall s | runs/s | load before | load after |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in names:
        design = sa.define(
            load_scenario(name), trajectories=trajectories, replications=replications
        )
        before = os.getloadavg()[0]
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            sa.run(design, Path(tmp) / "sa")
            sa.analyze_folder(Path(tmp) / "sa")
            wall = time.perf_counter() - start
        after = os.getloadavg()[0]
        print(
            f"| {name} | {len(design.expansion.groups)} | {design.n_points} | "
            f"{design.runs:,} | {wall:.1f} | {design.runs / wall:,.0f} | {before:.2f} | "
            f"{after:.2f} |"
        )


if __name__ == "__main__":
    main()
