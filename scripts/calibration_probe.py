"""The probe of generic-dispute quoted in docs/calibration.md ("A measured probe, not a fit").

Two measurements, printed: (1) a 100-point Latin hypercube (scipy, seed 3) over ten fields of
the shipped generic-dispute, 600 runs per point (seed 11): the best points' TVD to MID 5.0 and
the share of runs that settle, with their median length; (2) the powers' costs of war drawn
from ``uniform [0.05, 1.5]`` (8 types) instead of the resolve prior, 2,000 runs: how many runs
drew a power that prefers war to submission (cost below its chance of winning, 0.5) and how
many went to war.

Run: ``.venv/bin/python scripts/calibration_probe.py`` (about a minute on one core).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import qmc

from escalsim.batch import drawn_war_costs, run_batch
from escalsim.calibration import fit_distance, load_target
from escalsim.calibration.distance import codes_of
from escalsim.scenario import load_scenario, with_settings

BOX = {
    "status_quo_a": (0.1, 0.5),
    "ladder.rungs.display.cost": (0.02, 1.0),
    "ladder.rungs.use_of_force.cost": (0.2, 3.0),
    "ladder.rungs.use_of_force.war_risk": (0.0, 0.05),
    "ladder.rungs.display.war_risk": (0.0, 0.01),
    "precision": (1.0, 60.0),
    "agenda.issue.agreement.base_probability": (0.0, 0.3),
    "honesty": (0.0, 1.0),
    "resolve_high": (0.3, 0.95),
    "stakes.discount": (0.8, 0.99),
}


def settings_at(values: dict[str, float]) -> dict[str, object]:
    """The scenario settings of one point (the powers share precision, honesty and prior)."""
    out: dict[str, object] = {k: v for k, v in values.items() if "." in k}
    out["stakes.status_quo.A"] = values["status_quo_a"]
    out["stakes.status_quo.B"] = 1.0 - values["status_quo_a"]
    for power in ("A", "B"):
        out[f"actors.{power}.policy.precision"] = values["precision"]
        out[f"actors.{power}.honesty"] = values["honesty"]
        out[f"actors.{power}.resolve.uniform"] = [0.1, values["resolve_high"]]
    return out


def main() -> None:
    """Print both measurements."""
    base = load_scenario("generic-dispute")
    target = load_target("mid5")
    names = list(BOX)
    rows = []
    for u in qmc.LatinHypercube(len(names), seed=3).random(100):
        values = {k: BOX[k][0] + x * (BOX[k][1] - BOX[k][0]) for k, x in zip(names, u, strict=True)}
        spec = with_settings(base, settings_at(values), source="probe")
        outcome = run_batch(spec, seed=11, replications=600, keep=0).outcome
        distance = fit_distance(target, codes_of(spec, outcome, "mid"))
        rows.append(
            {
                **values,
                "tvd": distance["tvd"],
                "settled": float((outcome["outcome"] == "settlement").mean()),
                "median_weeks": float(outcome["end_round"].median()),
            }
        )
    table = pd.DataFrame(rows).sort_values("tvd")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.head(5).round(3).to_string(index=False))
    print(
        f"settled share over the 100 points: {table['settled'].min():.3f} to "
        f"{table['settled'].max():.3f}; median length {table['median_weeks'].median():.0f} weeks"
    )

    costs: dict[str, object] = {}
    for power in ("A", "B"):
        costs[f"actors.{power}.resolve"] = None
        costs[f"actors.{power}.war_cost"] = {"uniform": [0.05, 1.5], "types": 8}
    spec = with_settings(base, costs, source="probe")
    outcome = run_batch(spec, seed=11, replications=2000, keep=0).outcome
    drawn = drawn_war_costs(spec, 11, np.arange(2000))
    prefers_war = (drawn < 0.5).any(axis=1)
    print(
        f"costs uniform [0.05, 1.5]: {prefers_war.mean():.3f} of runs drew a power that prefers "
        f"war to submission; war in {outcome['war'].mean():.4f} of runs; settled "
        f"{(outcome['outcome'] == 'settlement').mean():.3f}"
    )


if __name__ == "__main__":
    main()
