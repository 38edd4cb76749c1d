"""Benchmark the two model drivers side by side: throughput and peak memory.

Usage::

    .venv/bin/python benchmarks/bench_drivers.py            # the README's table (about 6 min)
    .venv/bin/python benchmarks/bench_drivers.py --quick    # a smoke run (seconds)
    .venv/bin/python benchmarks/bench_drivers.py --pd-only --matches 100  # the PD table alone

For ``geneva-2022``, ``hotline-1963`` and ``ipd-noise`` it prints replication-rounds and
actor-rounds per second of the mesa agent driver and of the batch engine, both with twins
(every run stepped counts: the mesa face steps a run and its perfect-information twin, the
batch engine a run and both its twins, as ``escalsim run`` does), the ratio,
and each measurement's peak RSS. Each measurement runs in a fresh single-threaded process
(``--one``), so its peak RSS is its own and nothing else shares its core. The agent driver runs
fewer replications (it is slow); throughput is per round, so the ratio is fair.

Then the noisy prisoner's dilemma special case against the axelrod library: tit-for-tat
against tit-for-tat, the same number of matches, turns and implementation noise in both,
axelrod's ``Match.play`` one match after another, escalsim's batch engine over all matches at
once, and the ratio of wall times; and, outside the timings, that both played the same game:
the share of turns of mutual restraint (both cooperate, CC) over up to 200 matches in each,
with 95% intervals over matches, beside the known answer 1/4 (tit-for-tat under
implementation noise, ``known_answers.tft_mutual_restraint``) and whether the two agree within
sampling error (their difference's interval includes 0).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import warnings

import numpy as np
from source_trees import machine, tune_allocator

from escalsim.scenario import load_scenario, with_condition

SCENARIOS = (
    ("geneva-2022", "dialogue_open"),
    ("hotline-1963", "no_hotline"),
    ("ipd-noise", "tft_e05"),
)
#: Replications per measurement: (agent driver, batch engine).
FULL = {"geneva-2022": (200, 10_000), "hotline-1963": (200, 10_000), "ipd-noise": (4, 2_000)}
QUICK = {"geneva-2022": (10, 500), "hotline-1963": (10, 500), "ipd-noise": (1, 50)}


def measure(driver: str, name: str, condition: str, replications: int) -> dict[str, float]:
    """One measurement in this process: both the runs and their twins."""
    tune_allocator()
    spec = with_condition(load_scenario(name), condition)
    actors = len(spec.actors)
    if driver == "agents":
        from escalsim.agents import EscalationModel

        EscalationModel(scenario=spec, seed=0, replication=10**6).run()  # warm-up
        start = time.perf_counter()
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
        start = time.perf_counter()
        # As `escalsim run` does: each replication and its twin in lockstep, sharing draws.
        frames = run_batch(spec, seed=1, replications=replications, keep=0, twin=True)
        # Every run stepped counts: the run and both twins (the agents' loop above runs two).
        assert frames.twin_outcome is not None
        assert frames.complete_twin_outcome is not None
        rounds = sum(
            int(f["end_round"].sum())
            for f in (frames.outcome, frames.twin_outcome, frames.complete_twin_outcome)
        )
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "rep_rounds_per_s": rounds / seconds,
        "actor_rounds_per_s": rounds * actors / seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure_pd(matches: int, turns: int, noise: float) -> dict[str, float]:
    """Tit-for-tat against tit-for-tat in axelrod and in escalsim's batch engine."""
    tune_allocator()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import axelrod as axl
    from escalsim.batch import run_batch
    from escalsim.scenario.load import with_settings

    played = []
    start, cpu = time.perf_counter(), time.process_time()
    for m in range(matches):
        match = axl.Match((axl.TitForTat(), axl.TitForTat()), turns=turns, noise=noise, seed=m + 1)
        played.append(match.play())
    theirs, theirs_cpu = time.perf_counter() - start, time.process_time() - cpu
    spec = with_condition(load_scenario("ipd-noise"), "tft_e05")
    spec = with_settings(spec, {"run.rounds": turns, "accidents.implementation_error": noise})
    run_batch(spec, seed=0, replications=4, keep=0)  # warm-up
    start, cpu = time.perf_counter(), time.process_time()
    run_batch(spec, seed=1, replications=matches, keep=0)
    ours, ours_cpu = time.perf_counter() - start, time.process_time() - cpu
    # The same game? Mutual restraint per match, outside the timings (up to 200 matches each).
    counted = min(matches, RESTRAINT_MATCHES)
    cc = axl.Action.C, axl.Action.C
    axl_share = np.array([np.mean([t == cc for t in m]) for m in played[:counted]])
    ts = run_batch(spec, seed=1, replications=counted).timeseries
    ts = ts[ts["round"] >= 1]  # round 0 is the initial state, before the first turn
    rungs = ts.sort_values(["replication", "round", "actor"])["rung"].to_numpy()
    ours_share = (rungs.reshape(counted, turns, 2) == 0).all(axis=2).mean(axis=1)
    return {
        "axelrod_s": theirs,
        "escalsim_batch_s": ours,
        "ratio": theirs / ours,
        "axelrod_cpu_s": theirs_cpu,
        "escalsim_cpu_s": ours_cpu,
        "cpu_ratio": theirs_cpu / ours_cpu,
        "restraint_matches": counted,
        **_mean_ci("axelrod_cc", axl_share),
        **_mean_ci("escalsim_cc", ours_share),
        **_mean_ci("cc_difference", ours_share - axl_share),
    }


#: Matches counted for the mutual-restraint comparison (each side's first ones).
RESTRAINT_MATCHES = 200


def _mean_ci(name: str, values: np.ndarray) -> dict[str, float]:
    """The mean of per-match values and its 95% normal interval, as ``name``, ``name_lo/hi``."""
    mean = float(np.mean(values))
    half = 1.96 * float(np.std(values, ddof=1)) / np.sqrt(len(values)) if len(values) > 1 else 0.0
    return {name: mean, f"{name}_lo": mean - half, f"{name}_hi": mean + half}


def _child(*args: str) -> dict[str, float]:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    out = subprocess.run(
        [sys.executable, __file__, "--one", *args],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Run the benchmarks, each in its own process, and print Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--matches", type=int, default=None, help="noisy PD matches")
    parser.add_argument("--turns", type=int, default=1000, help="noisy PD turns per match")
    parser.add_argument("--memory", type=int, default=None, help="geneva replications for RSS")
    parser.add_argument("--pd-only", action="store_true", help="only the noisy PD against axelrod")
    parser.add_argument("--one", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        kind, *rest = args.one
        if kind == "pd":
            row = measure_pd(int(rest[0]), int(rest[1]), float(rest[2]))
        else:
            row = measure(kind, rest[0], rest[1], int(rest[2]))
        print(json.dumps(row))
        return
    sizes = QUICK if args.quick else FULL
    matches = args.matches or (20 if args.quick else 1000)
    memory = args.memory or (2_000 if args.quick else 100_000)
    if args.pd_only:
        print_pd(matches, args.turns)
        return
    print(
        f"{machine()}; one process per measurement, single-threaded; twins on (both runs count)\n"
    )
    print(
        "| scenario | driver | replications | seconds | replication-rounds/s | actor-rounds/s "
        "| batch / agents | peak RSS MB |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, condition in SCENARIOS:
        n_agents, n_batch = sizes[name]
        slow = _child("agents", name, condition, str(n_agents))
        fast = _child("batch", name, condition, str(n_batch))
        for driver, n, row in (("agents", n_agents, slow), ("batch", n_batch, fast)):
            ratio = (
                f"{row['actor_rounds_per_s'] / slow['actor_rounds_per_s']:,.0f}×"
                if driver == "batch"
                else ""
            )
            print(
                f"| {name} | {driver} | {n:,} | {row['seconds']:.2f} | "
                f"{row['rep_rounds_per_s']:,.0f} | {row['actor_rounds_per_s']:,.0f} | {ratio} | "
                f"{row['peak_rss_mb']:.0f} |"
            )
    big = _child("batch", "geneva-2022", "dialogue_open", str(memory))
    print(
        f"| geneva-2022 | batch | {memory:,} | {big['seconds']:.2f} | "
        f"{big['rep_rounds_per_s']:,.0f} | {big['actor_rounds_per_s']:,.0f} | | "
        f"{big['peak_rss_mb']:.0f} |"
    )
    print_pd(matches, args.turns)


def print_pd(matches: int, turns: int) -> None:
    """The noisy PD against axelrod, in a fresh process, as a Markdown table."""
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    pd_row = _child("pd", str(matches), str(turns), "0.05")
    print(f"\nload average before: {load}, after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        "\n| noisy PD, TFT vs TFT | matches | turns | noise | axelrod Match s "
        "| escalsim batch s | axelrod / escalsim | CPU s: axelrod | escalsim | ratio |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    print(
        f"| | {matches:,} | {turns:,} | 0.05 | {pd_row['axelrod_s']:.2f} | "
        f"{pd_row['escalsim_batch_s']:.2f} | {pd_row['ratio']:.2f} | "
        f"{pd_row['axelrod_cpu_s']:.2f} | {pd_row['escalsim_cpu_s']:.2f} | "
        f"{pd_row['cpu_ratio']:.2f} |"
    )
    agree = pd_row["cc_difference_lo"] <= 0.0 <= pd_row["cc_difference_hi"]
    print(
        f"\nmutual restraint (CC share of turns, {int(pd_row['restraint_matches']):,} matches "
        "each, 95% intervals over matches; known answer 1/4):"
    )
    print("\n| axelrod | escalsim | escalsim − axelrod | the same within sampling error |")
    print("| --- | --- | --- | --- |")
    cells = [
        f"{pd_row[k]:.4f} [{pd_row[k + '_lo']:.4f}, {pd_row[k + '_hi']:.4f}]"
        for k in ("axelrod_cc", "escalsim_cc", "cc_difference")
    ]
    print(f"| {cells[0]} | {cells[1]} | {cells[2]} | {'yes' if agree else 'no'} |")


if __name__ == "__main__":
    main()
