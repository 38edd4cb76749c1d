"""The out-of-sample checks of a calibrated dispute, chosen before the fit (docs/calibration.md).

None of these quantities enters ``escalsim calibrate``'s objective; each is measured on runs of
the fitted scenario and compared with a figure of the MID 5.0 data that the fit did not use
(``../shared/reference/README.md``), by the pass rule written in the plan before any fit was
run ("Second round: the plan, written before any run"):

====  =========================  ==========================  ================================
id    quantity                   data                        pass rule
====  =========================  ==========================  ================================
O1    negotiated settlement      15.2% of MIDs               within ±0.05
O2    reciprocation              49.2% of MIDs               within ±0.05
O3    war if reciprocated        8.6% (103 of 1,199)         within ±0.05
O4    war if not reciprocated    0.24% (3 of 1,237)          at most 0.02
O5    a death in the dispute     19.9% (proxy, below)        within ±0.05
O6    crises among disputes      no data                     reported only
O7    duration (median rounds)   no data                     reported only
====  =========================  ==========================  ================================

How each is read from the runs:

- **O1**: a run ended by an accepted offer or by an agreement on a core agenda item (the
  ``end`` event's detail), not by a mutual return to the lowest rungs, nor a concession (MID's
  ``settle == 1``, a negotiated settlement, against its other codes: imposed, unclear, none);
- **O2**: the target state — the scenario's second power, which the challenger's opening move
  is aimed at — held a rung with ``mid_level`` ≥ 2 in some round (MID's ``recip``: the target
  took a militarised action of its own);
- **O3, O4**: the share of runs that ended in war among the runs with and without
  reciprocation;
- **O5**: a run that reached a rung with ``icb_violence`` ≥ 2 (minor clashes or worse) or war.
  A proxy: the model has no fatalities, and MID's 19.9% is of the 2,168 disputes whose
  fatalities are known;
- **O6**: the share of runs that are ICB crises (``codes_of(..., "icb") > 0``);
- **O7**: the median length in rounds of the runs that ended before the horizon.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from escalsim.scenario import Scenario, load_scenario, with_condition


@dataclass(frozen=True)
class _Plan:
    """One pre-registered check: what it is, the data's value and its source, the rule."""

    id: str
    quantity: str
    data: float | None
    source: str
    rule: str
    tolerance: float | None  # ± around the data; None: reported only (or the O4 ceiling)


#: The checks as registered before the fit (docs/calibration.md), in order.
PLAN: tuple[_Plan, ...] = (
    _Plan("O1", "negotiated settlement", 0.152, "MID 5.0, settle == 1", "within ±0.05", 0.05),
    _Plan("O2", "reciprocation", 0.492, "MID 5.0, recip", "within ±0.05", 0.05),
    _Plan("O3", "war if reciprocated", 0.086, "MID 5.0, 103 of 1,199", "within ±0.05", 0.05),
    _Plan("O4", "war if not reciprocated", 0.0024, "MID 5.0, 3 of 1,237", "at most 0.02", None),
    _Plan(
        "O5",
        "minor clashes or worse (proxy for a death)",
        0.199,
        "MID 5.0, 19.9% of 2,168 disputes with known fatalities",
        "within ±0.05",
        0.05,
    ),
    _Plan("O6", "ICB crises among the runs", None, "no data shipped", "reported only", None),
    _Plan("O7", "median length (rounds)", None, "no data shipped", "reported only", None),
)


def out_of_sample(
    scenario: Scenario | str | os.PathLike[str],
    *,
    seed: int,
    replications: int,
    condition: str | None = None,
) -> pd.DataFrame:
    """Measure the pre-registered out-of-sample checks on fresh runs of a scenario.

    Parameters
    ----------
    scenario : Scenario, str or path
        A dispute with two powers whose rungs carry ``mid_level`` (and ``icb_violence`` from
        its ``crisis_rung`` up, for O5 and O6).
    seed : int
        Root seed of the runs (use replications the fit did not see).
    replications : int
        Number of runs, indices 0..R-1 of ``seed``.
    condition : str, optional
        A condition of the scenario (default: the base scenario).

    Returns
    -------
    pandas.DataFrame
        One row per check: ``id``, ``quantity``, ``simulated``, ``lo``, ``hi`` (95% Wilson
        interval; a median's interval is its order-statistic one), ``n`` (the runs behind it),
        ``data``, ``source``, ``rule`` and ``passed`` (None where the rule only reports).
    """
    from escalsim.batch import run_batch
    from escalsim.calibration.distance import codes_of
    from escalsim.experiment.stats import wilson_interval

    spec = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    made = spec if condition is None else with_condition(spec, condition)
    result = run_batch(
        spec, seed=seed, replications=replications, condition=condition, keep=replications
    )
    outcome = result.outcome
    reps = outcome["replication"].to_numpy()
    war = outcome["war"].to_numpy(dtype=bool)

    ends = result.events[result.events["kind"] == "end"].set_index("replication")["detail"]
    detail = ends.reindex(reps).fillna("").astype(str)
    negotiated = (
        detail.str.contains("an offer accepted") | detail.str.contains("agreement on a core")
    ).to_numpy()

    rungs = made.ladder.rungs
    mid = np.array([r.mid_level or 0 for r in rungs])
    target_id = [a.id for a in made.actors if a.role == "power"][1]
    series = result.timeseries
    held = series[series["actor"] == target_id].groupby("replication")["rung"].max().reindex(reps)
    reciprocated = (mid[held.fillna(0).to_numpy(dtype=np.int64)] >= 2) & held.notna().to_numpy()

    violence = np.array([r.icb_violence or 0 for r in rungs])
    peak = outcome["peak_rung"].to_numpy(dtype=np.int64)
    clash = (violence[peak] >= 2) | war
    crises = codes_of(made, outcome, "icb") > 0 if made.ladder.crisis_rung is not None else None
    ended = outcome["outcome"].to_numpy() != "unresolved"
    lengths = np.sort(outcome["end_round"].to_numpy()[ended])

    def share(hits: np.ndarray, of: np.ndarray | None = None) -> tuple[float, float, float, int]:
        rows = np.ones(len(hits), dtype=bool) if of is None else of
        n = int(rows.sum())
        k = int(hits[rows].sum())
        lo, hi = wilson_interval(k, n) if n else (np.nan, np.nan)
        return (k / n if n else np.nan), lo, hi, n

    measured: dict[str, tuple[float, float, float, int]] = {
        "O1": share(negotiated),
        "O2": share(reciprocated),
        "O3": share(war, reciprocated),
        "O4": share(war, ~reciprocated),
        "O5": share(clash),
        "O6": share(crises) if crises is not None else (np.nan, np.nan, np.nan, 0),
    }
    if len(lengths):
        # The median's 95% interval from the order statistics (binomial, p = 1/2).
        k = len(lengths)
        half = 1.96 * np.sqrt(k) / 2
        lo_i, hi_i = max(0, int(np.floor(k / 2 - half))), min(k - 1, int(np.ceil(k / 2 + half)))
        measured["O7"] = (float(np.median(lengths)), lengths[lo_i], lengths[hi_i], k)
    else:
        measured["O7"] = (np.nan, np.nan, np.nan, 0)
    rows = []
    for plan in PLAN:
        value, lo, hi, n = measured[plan.id]
        if plan.id == "O4":
            passed: bool | None = bool(value <= 0.02) if n else False
        elif plan.tolerance is not None and plan.data is not None:
            passed = bool(abs(value - plan.data) <= plan.tolerance) if n else False
        else:
            passed = None
        rows.append(
            {
                "id": plan.id,
                "quantity": plan.quantity,
                "simulated": value,
                "lo": lo,
                "hi": hi,
                "n": n,
                "data": plan.data,
                "source": plan.source,
                "rule": plan.rule,
                "passed": passed,
            }
        )
    return pd.DataFrame(rows)
