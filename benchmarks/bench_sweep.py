"""Benchmark sweeps: throughput against the executor and workers, and the cost of a task.

Usage::

    .venv/bin/python benchmarks/bench_sweep.py            # the table in docs/sweeps.md
    .venv/bin/python benchmarks/bench_sweep.py --quick    # a smoke run
    .venv/bin/python benchmarks/bench_sweep.py --replications 500 --no-overhead  # scaling only

One grid sweep of geneva-2022 (hotline noise × Turkey's mediation: 8 points) with twins, run
in this process, in 1 and 2 local processes, and on a Dask LocalCluster of 2 worker processes
on loopback (started here); then the per-task overhead of each executor: the same sweep cut
into small tasks against large ones, the extra wall time divided by the extra tasks. Wall
times include starting the worker processes, as a user sees them.

Beside the wall time, the CPU time of the whole process tree (this process, its live children
and grandchildren, the Dask cluster's workers included, and the children reaped during the run):
on a shared machine the wall-clock speed-up says as much about the other jobs as about the
sweep, while the CPU time says what the work cost. "CPU speed-up" is ``workers × CPU(1) /
CPU(n)``: the speed-up the executor would reach with its workers each on an idle core (2.00×
for two workers that add no work). The load average is printed before and after.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from pathlib import Path

from source_trees import load_average, machine, tune_allocator

from escalsim.experiment.sweep import Sweep, parse_vary, run_sweep
from escalsim.scenario import load_scenario


def make_sweep(replications: int) -> Sweep:
    spec = load_scenario("geneva-2022")
    varies = (
        parse_vary("channels.hotline.noise=0:0.45:4", spec),
        parse_vary("actors.TUR.may_mediate=false,true", spec),
    )
    return Sweep(spec, varies, replications=replications, seed=1)


def tree_cpu() -> float:
    """CPU seconds (user + system) of this process, its live descendants and its reaped ones."""
    import resource

    import psutil

    me = psutil.Process()
    total = sum(me.cpu_times()[:2])
    for child in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):  # it ended meanwhile: reaped below, or lost
            total += sum(child.cpu_times()[:2])
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    return total + reaped.ru_utime + reaped.ru_stime


def timed(sweep: Sweep, chunk: int, **executor: object) -> tuple[float, float]:
    """Wall and CPU seconds of one sweep (CPU: :func:`tree_cpu`)."""
    with tempfile.TemporaryDirectory() as tmp:
        start, cpu = time.perf_counter(), tree_cpu()
        run_sweep(sweep, Path(tmp) / "sweep", chunk=chunk, **executor)  # type: ignore[arg-type]
        return time.perf_counter() - start, tree_cpu() - cpu


def main() -> None:
    """Print the throughput and overhead tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--replications", type=int, help="per point (default 1000)")
    parser.add_argument("--task", type=int, help="replications per task (default 250)")
    parser.add_argument(
        "--no-overhead", action="store_true", help="skip the small-task runs (the second table)"
    )
    args = parser.parse_args()
    tune_allocator()  # as `escalsim sweep` does in this process (its workers tune themselves)
    replications = args.replications or (50 if args.quick else 1000)
    big, small = (25, 5) if args.quick else (250, 10)
    big = args.task or big
    sweep = make_sweep(replications)
    runs = len(sweep.points) * replications
    print(f"{machine()}\n")
    print(
        f"geneva-2022, {len(sweep.points)} points × {replications:,} replications with twins "
        f"({runs:,} runs), tasks of {big} replications\n"
    )
    print(f"load average before: {load_average()}\n")
    print("| executor | workers | wall s | replications/s | speed-up | CPU s | CPU speed-up |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        executors = [
            ("in this process", 1, {"workers": 1}),
            ("local processes", 2, {"workers": 2}),
            ("Dask LocalCluster", 2, {"scheduler": cluster.scheduler_address}),
        ]
        base = base_cpu = None
        overheads = []
        for label, workers, how in executors:
            seconds, cpu = timed(sweep, big, **how)
            base, base_cpu = base or seconds, base_cpu or cpu
            print(
                f"| {label} | {workers} | {seconds:.1f} | {runs / seconds:,.0f} | "
                f"{base / seconds:.2f}× | {cpu:.1f} | {workers * base_cpu / cpu:.2f}× |",
                flush=True,
            )
            if args.no_overhead:
                continue
            fine, _ = timed(sweep, small, **how)
            tasks_big = len(sweep.points) * -(-replications // big)
            tasks_small = len(sweep.points) * -(-replications // small)
            overheads.append((label, workers, (fine - seconds) / (tasks_small - tasks_big)))
    if overheads:
        print(f"\n| executor | workers | overhead per task (tasks of {small} vs {big}) |")
        print("| --- | --- | --- |")
        for label, workers, per_task in overheads:
            print(f"| {label} | {workers} | {per_task * 1e3:.0f} ms |")
    print(f"\nload average after: {load_average()}")


if __name__ == "__main__":
    main()
