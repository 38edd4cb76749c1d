"""Measure the model's qualitative patterns with paired runs (common random numbers).

Usage: .venv/bin/python scripts/measure_patterns.py [REPLICATIONS] > docs/patterns.md

Each pattern compares two conditions over the same replication seeds; the difference is
paired per replication and reported with a 95% t-interval on the paired differences. The
replications are stepped together by the batch engine (`run_batch`, in chunks over two worker
processes), which gives the agent driver's frames run for run (`tests/test_golden.py`,
`tests/test_mesa_ensemble.py`); `one` is the agent driver's form of the same measurement, kept
as the reference (`check` compares the two on a few replications). The agent driver one
replication at a time became too slow once geneva-2022's runs (schema version 3) lasted all
26 rounds.
"""

from __future__ import annotations

import math
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from escalsim.agents import EscalationModel
from escalsim.scenario import Scenario, load_scenario, with_condition

SEED = 20261128


def variant(name: str, condition: str, sets: dict[str, object]) -> Scenario:
    """A shipped scenario with a condition applied and extra field-path settings.

    The other conditions are dropped: they were written for the base scenario (and so is its
    sweep block, which may name one of them).
    """
    from escalsim.scenario.load import with_settings

    spec = with_condition(load_scenario(name), condition)
    return with_settings(spec, {"conditions": {}, "sweep": None, **sets}, f"{name}:{condition}")


def one(args: tuple[Scenario, int]) -> dict[str, float]:
    """Run one replication and its twin; return the metrics compared."""
    spec, rep = args
    model = EscalationModel(scenario=spec, seed=SEED, replication=rep).run()
    twin = EscalationModel(
        scenario=spec, seed=SEED, replication=rep, perfect_information=True
    ).run()
    row = model.outcome.iloc[0]
    ts = model.timeseries
    powers = ts[ts["role"] == "power"].pivot(index="round", columns="actor", values="rung")
    return {
        "war": float(row["war"]),
        # War in the run but none in its twin. Not `twin.outcome_name != "war"`: where wars
        # last (schema version 3) a twin's war can end in a ceasefire or a concession before
        # the horizon, and its outcome is then not "war".
        "attributable": float(row["war"] and not twin.outcome.iloc[0]["war"]),
        "miscalculation_rate": float(row["miscalculation_rate"]),
        "miscalculated_escalations": float(row["miscalculated_escalations"]),
        "perception_error_rate": float(row["perception_error_rate"]),
        "peak_rung": float(row["peak_rung"]),
        "mutual_restraint": float((powers == 0).all(axis=1).iloc[1:].mean()),
    }


def some(args: tuple[Scenario, list[int]]) -> list[dict[str, float]]:
    """As :func:`one`, for several replications stepped together by the batch engine."""
    from escalsim.batch import run_batch

    spec, reps = args
    runs = run_batch(spec, seed=SEED, replications=reps)
    twins = run_batch(spec, seed=SEED, replications=reps, perfect_information=True, keep=0)
    out = []
    ts = runs.timeseries
    for k, rep in enumerate(reps):
        row, twin = runs.outcome.iloc[k], twins.outcome.iloc[k]
        assert row["replication"] == rep == twin["replication"]
        mine = ts[(ts["replication"] == rep) & (ts["role"] == "power")]
        powers = mine.pivot(index="round", columns="actor", values="rung")
        out.append(
            {
                "war": float(row["war"]),
                "attributable": float(row["war"] and not twin["war"]),
                "miscalculation_rate": float(row["miscalculation_rate"]),
                "miscalculated_escalations": float(row["miscalculated_escalations"]),
                "perception_error_rate": float(row["perception_error_rate"]),
                "peak_rung": float(row["peak_rung"]),
                "mutual_restraint": float((powers == 0).all(axis=1).iloc[1:].mean()),
            }
        )
    return out


def ensemble(spec: Scenario, n: int, pool: ProcessPoolExecutor) -> dict[str, np.ndarray]:
    """Run replications 0..n-1 of a scenario; metric name -> values by replication."""
    chunks = [(spec, list(range(a, min(a + 50, n)))) for a in range(0, n, 50)]
    rows = [r for part in pool.map(some, chunks) for r in part]
    return {k: np.array([r[k] for r in rows]) for k in rows[0]}


def check(spec: Scenario, reps: list[int]) -> None:
    """Assert that the batch engine's metrics equal the agent driver's for ``reps``."""
    fast = some((spec, reps))
    for rep, got in zip(reps, fast, strict=True):
        want = one((spec, rep))
        assert all(
            got[k] == want[k] or (math.isnan(got[k]) and math.isnan(want[k])) for k in want
        ), (spec.id, rep, got, want)


def ci(x: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% normal interval of the mean."""
    m = float(x.mean())
    h = 1.96 * float(x.std(ddof=1)) / math.sqrt(len(x)) if len(x) > 1 else math.nan
    return m, m - h, m + h


def fmt(x: np.ndarray) -> str:
    """Format ``mean [lo, hi]``."""
    m, lo, hi = ci(x)
    return f"{m:.3f} [{lo:.3f}, {hi:.3f}]"


def compare(
    title: str,
    a: tuple[str, Scenario],
    b: tuple[str, Scenario],
    n: int,
    pool: ProcessPoolExecutor,
    metrics: list[str],
) -> None:
    """Print a Markdown table of two conditions and their paired differences."""
    ra, rb = ensemble(a[1], n, pool), ensemble(b[1], n, pool)
    print(f"\n### {title}\n\n{n} paired replications (seed {SEED}); 95% CIs.\n")
    print(f"| metric | {a[0]} | {b[0]} | paired difference ({b[0]} − {a[0]}) |")
    print("| --- | --- | --- | --- |")
    for k in metrics:
        print(f"| {k} | {fmt(ra[k])} | {fmt(rb[k])} | {fmt(rb[k] - ra[k])} |")
    sys.stdout.flush()


def main() -> None:
    """Measure every pattern and print the Markdown report."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    crisis = [
        "war",
        "attributable",
        "miscalculation_rate",
        "miscalculated_escalations",
        "perception_error_rate",
        "peak_rung",
    ]
    print("# Pattern measurements\n\nGenerated by `scripts/measure_patterns.py`.")
    with ProcessPoolExecutor(max_workers=2) as pool:
        g = load_scenario("geneva-2022")
        compare(
            "Closing the direct channels: geneva-2022",
            ("dialogue_open", with_condition(g, "dialogue_open")),
            ("dialogue_closed", with_condition(g, "dialogue_closed")),
            n,
            pool,
            crisis,
        )
        h = load_scenario("hotline-1963")
        compare(
            "The 1963 hotline: hotline-1963",
            ("hotline", with_condition(h, "hotline")),
            ("no_hotline", with_condition(h, "no_hotline")),
            n,
            pool,
            crisis,
        )
        for honesty in (1.0, 0.2):
            sets = {"actors.USA.honesty": honesty, "actors.RUS.honesty": honesty}
            compare(
                f"Honesty {honesty} for both powers: geneva-2022",
                ("dialogue_open", variant("geneva-2022", "dialogue_open", sets)),
                ("dialogue_closed", variant("geneva-2022", "dialogue_closed", sets)),
                n,
                pool,
                crisis,
            )
        for policy in ("reciprocal", "generous"):
            sets = {
                "actors.A.policy": {"name": policy},
                "actors.B.policy": {"name": policy},
                "channels.public.noise": 0.1,
            }
            compare(
                f"Policy {policy}, public noise 0.1: generic-dispute",
                ("channel_open", variant("generic-dispute", "channel_open", sets)),
                ("channel_closed", variant("generic-dispute", "channel_closed", sets)),
                n,
                pool,
                crisis,
            )
        ipd = load_scenario("ipd-noise")
        compare(
            "Generosity under noise (e = 0.05): ipd-noise",
            ("tft_e05", with_condition(ipd, "tft_e05")),
            ("gtft_e05", with_condition(ipd, "gtft_e05")),
            max(20, n // 20),
            pool,
            ["mutual_restraint", "peak_rung"],
        )


if __name__ == "__main__":
    main()
