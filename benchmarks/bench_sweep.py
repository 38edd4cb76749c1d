"""Benchmark sweeps: throughput against the executor and workers, and the cost of a task.

Usage::

    .venv/bin/python benchmarks/bench_sweep.py            # the table in docs/sweeps.md
    .venv/bin/python benchmarks/bench_sweep.py --quick    # a smoke run

One grid sweep of geneva-2022 (hotline noise × Turkey's mediation: 8 points) with twins, run
in this process, in 1 and 2 local processes, and on a Dask LocalCluster of 2 worker processes
on loopback (started here); then the per-task overhead of each executor: the same sweep cut
into small tasks against large ones, the extra wall time divided by the extra tasks. Wall
times include starting the worker processes, as a user sees them.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from escalsim.experiment.sweep import Sweep, parse_vary, run_sweep
from escalsim.scenario import load_scenario


def make_sweep(replications: int) -> Sweep:
    spec = load_scenario("geneva-2022")
    varies = (
        parse_vary("channels.hotline.noise=0:0.45:4", spec),
        parse_vary("actors.TUR.may_mediate=false,true", spec),
    )
    return Sweep(spec, varies, replications=replications, seed=1)


def timed(sweep: Sweep, chunk: int, **executor: object) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        run_sweep(sweep, Path(tmp) / "sweep", chunk=chunk, **executor)  # type: ignore[arg-type]
        return time.perf_counter() - start


def main() -> None:
    """Print the throughput and overhead tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    args = parser.parse_args()
    replications = 50 if args.quick else 1000
    big, small = (25, 5) if args.quick else (250, 10)
    sweep = make_sweep(replications)
    runs = len(sweep.points) * replications
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, numpy {np.__version__}\n"
    )
    print(
        f"geneva-2022, {len(sweep.points)} points × {replications:,} replications with twins "
        f"({runs:,} runs), tasks of {big} replications\n"
    )
    print("| executor | workers | wall s | replications/s | speed-up |")
    print("| --- | --- | --- | --- | --- |")
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        executors = [
            ("in this process", 1, {"workers": 1}),
            ("local processes", 2, {"workers": 2}),
            ("Dask LocalCluster", 2, {"scheduler": cluster.scheduler_address}),
        ]
        base = None
        overheads = []
        for label, workers, how in executors:
            seconds = timed(sweep, big, **how)
            base = base or seconds
            print(
                f"| {label} | {workers} | {seconds:.1f} | {runs / seconds:,.0f} | "
                f"{base / seconds:.2f}× |"
            )
            fine = timed(sweep, small, **how)
            tasks_big = len(sweep.points) * -(-replications // big)
            tasks_small = len(sweep.points) * -(-replications // small)
            overheads.append((label, workers, (fine - seconds) / (tasks_small - tasks_big)))
    print(f"\n| executor | workers | overhead per task (tasks of {small} vs {big}) |")
    print("| --- | --- | --- |")
    for label, workers, per_task in overheads:
        print(f"| {label} | {workers} | {per_task * 1e3:.0f} ms |")


if __name__ == "__main__":
    main()
