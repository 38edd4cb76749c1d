"""Benchmark the model drivers: replication-rounds and actor-rounds per second, and peak memory.

Usage::

    .venv/bin/python benchmarks/bench_drivers.py [--replications N] [--twin]

Prints one Markdown table row per scenario for each driver available (today: the mesa agent
driver; the batch engine of issue 5 adds its row beside it), and the noisy prisoner's dilemma
against the axelrod library's ``Match`` on the same matches, turns and noise.

Each measurement runs in this process, single-threaded, after one warm-up replication.
Peak RSS is the process's high-water mark (``resource.getrusage``), so run one benchmark per
process when comparing memory.
"""

from __future__ import annotations

import argparse
import platform
import resource
import time
import warnings

import numpy as np

from escalsim.agents import EscalationModel
from escalsim.scenario import load_scenario, with_condition

SCENARIOS = (
    ("geneva-2022", "dialogue_open"),
    ("hotline-1963", "no_hotline"),
    ("ipd-noise", "tft_e05"),
)


def bench_agents(name: str, condition: str, replications: int, twin: bool) -> dict[str, float]:
    """Time the agent driver on ``replications`` runs (and their twins)."""
    spec = with_condition(load_scenario(name), condition)
    EscalationModel(scenario=spec, seed=0, replication=10**6).run()  # warm-up
    rounds = actor_rounds = 0
    start = time.perf_counter()
    for r in range(replications):
        for perfect in (False, True) if twin else (False,):
            model = EscalationModel(
                scenario=spec, seed=1, replication=r, perfect_information=perfect
            ).run()
            rounds += model.round
            actor_rounds += model.round * len(spec.actors)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "rep_rounds_per_s": rounds / seconds,
        "actor_rounds_per_s": actor_rounds / seconds,
    }


def bench_axelrod(matches: int, turns: int, noise: float) -> dict[str, float]:
    """Tit-for-tat against tit-for-tat in axelrod and in escalsim: same matches, turns, noise."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import axelrod as axl
    start = time.perf_counter()
    for m in range(matches):
        axl.Match((axl.TitForTat(), axl.TitForTat()), turns=turns, noise=noise, seed=m + 1).play()
    theirs = time.perf_counter() - start
    spec = with_condition(load_scenario("ipd-noise"), "tft_e05")
    from escalsim.scenario.load import with_settings

    spec = with_settings(spec, {"run.rounds": turns, "accidents.implementation_error": noise})
    start = time.perf_counter()
    for m in range(matches):
        EscalationModel(scenario=spec, seed=1, replication=m).run()
    ours = time.perf_counter() - start
    return {"axelrod_s": theirs, "escalsim_agents_s": ours, "ratio": theirs / ours}


def main() -> None:
    """Run the benchmarks and print Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=50)
    parser.add_argument("--twin", action="store_true", help="also run perfect-information twins")
    parser.add_argument("--matches", type=int, default=20)
    parser.add_argument("--turns", type=int, default=1000)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python "
        f"{platform.python_version()}, numpy {np.__version__}; single process\n"
    )
    print(
        "| scenario | driver | replications | twin | seconds | replication-rounds/s "
        "| actor-rounds/s |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, condition in SCENARIOS:
        n = args.replications if name != "ipd-noise" else max(2, args.replications // 25)
        row = bench_agents(name, condition, n, args.twin)
        print(
            f"| {name} | agents | {n} | {args.twin} | {row['seconds']:.2f} | "
            f"{row['rep_rounds_per_s']:,.0f} | {row['actor_rounds_per_s']:,.0f} |"
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS: {peak_mb:.0f} MB\n")
    pd_row = bench_axelrod(args.matches, args.turns, 0.05)
    print(
        "| noisy PD, TFT vs TFT | matches | turns | noise | axelrod s | escalsim agents s "
        "| axelrod / escalsim |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print(
        f"| | {args.matches} | {args.turns} | 0.05 | {pd_row['axelrod_s']:.2f} | "
        f"{pd_row['escalsim_agents_s']:.2f} | {pd_row['ratio']:.2f} |"
    )


if __name__ == "__main__":
    main()
