"""The simulated level of each run under a target's coding, and its distance to the target.

Two codings (``docs/calibration.md``):

- ``"mid"``: a run's highest MID level is the ``mid_level`` of its ``peak_rung`` (the highest
  rung either power held during the crisis), except that a run that ended in war counts at the
  war rung's level even when the war came by accident from a lower rung (a rung's
  ``war_risk``): MID codes a dispute that became a war as level 5, whatever the steps before it.
  Every run is a case.
- ``"icb"``: a run is an international crisis in ICB's sense when either power reached the
  ladder's ``crisis_rung`` (or the run ended in war); its violence level is the
  ``icb_violence`` of its ``peak_rung``, 4 (full-scale war) when it ended in war. A run that is
  not a crisis has level 0, which no share counts: an ICB target is compared with the
  distribution *conditional on a crisis*. With the ladder's ``crisis_basic_values``, a run that
  did not end in war is a crisis only if, besides, some power's drawn cost of war is below its
  chance of winning at round 0 (it would rather fight than give the issue up:
  ``W_i = (p_i - c_i)/(1 - δ) > 0``, the value of submitting), ICB's "threat to basic values";
  a war is a crisis whatever was at stake.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import TypedDict

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats as sps

from escalsim.calibration.target import CODINGS, MID_LEVELS, Target
from escalsim.scenario import Problem, Scenario, ScenarioError, load_scenario, with_condition

#: The levels a simulated run can have, as an index: shares arrays are over levels 1..5.
LEVELS = np.array(sorted(MID_LEVELS), dtype=np.int64)


#: The level a run that ended in war has under each coding.
WAR_LEVEL = {"mid": 5, "icb": 4}


def level_map(scenario: Scenario, coding: str = "mid") -> tuple[NDArray[np.int64], int | None]:
    """Each rung's level under a coding, and the war rung's index.

    For ``"mid"`` every rung needs a ``mid_level``. For ``"icb"`` the ladder needs a
    ``crisis_rung`` and every rung from it up an ``icb_violence``; the rungs below it are not
    crises and map to 0.

    Raises
    ------
    escalsim.scenario.ScenarioError
        When a rung the coding needs is not mapped, or an ICB coding has no crisis rung.
    """
    rungs = scenario.ladder.rungs
    war = scenario.ladder.war_rung
    war_index = None if war is None else scenario.rung_index(war)
    if coding == "icb":
        if scenario.ladder.crisis_rung is None:
            raise ScenarioError(
                [
                    Problem(
                        0,
                        0,
                        ("ladder", "crisis_rung"),
                        "calibration against ICB crises needs the ladder's crisis_rung (the "
                        "rung at which a run becomes a crisis); it is not set",
                        scenario.id,
                    )
                ]
            )
        first = scenario.rung_index(scenario.ladder.crisis_rung)
        field, what = "icb_violence", "ICB violence levels needs the icb_violence (1-4) of "
        what += "every rung from the crisis rung up"
        needed = range(first, len(rungs))
    else:
        field, what = "mid_level", "MID levels needs every rung's mid_level (1-5)"
        needed = range(len(rungs))
    missing = [i for i in needed if getattr(rungs[i], field) is None]
    if missing:
        names = ", ".join(rungs[i].name for i in missing)
        raise ScenarioError(
            [
                Problem(
                    0,
                    0,
                    ("ladder", "rungs", missing[0], field),
                    f"calibration against {what}; missing for: {names}",
                    scenario.id,
                )
            ]
        )
    values = [getattr(r, field) for r in rungs]
    mapped = np.array(
        [int(v) if i in needed and v is not None else 0 for i, v in enumerate(values)],
        dtype=np.int64,
    )
    return mapped, war_index


def codes_of(scenario: Scenario, outcome: pd.DataFrame, coding: str = "mid") -> NDArray[np.int64]:
    """Each run's level under a coding, from an outcome frame (``run_batch(...).outcome``).

    ``"mid"``: the ``mid_level`` of the peak rung, the war rung's level when the run ended in
    war. ``"icb"``: the ``icb_violence`` of the peak rung for a run whose peak reached the
    crisis rung, 4 for a run that ended in war, 0 for a run that is not a crisis. A run without
    a war whose peak is the war rung or above (a step onto it settled in the same round)
    counts at the rung below the war rung.
    """
    mapped, war_rung = level_map(scenario, coding)
    peak = outcome["peak_rung"].to_numpy(dtype=np.int64)
    war = outcome["war"].to_numpy(dtype=bool)
    if war_rung is not None:
        # A power may step onto the war rung in the round the other accepts its standing offer:
        # the round settles before its war draw (``Crisis._settle_accepted``), so the run ends
        # in a settlement with the war rung as its peak and no war. No war was fought, and
        # ``war`` (p_war) says so; such a run counts at the highest rung below war, not as a
        # war (docs/calibration.md, "The result: generic-crisis").
        peak = np.where(war, peak, np.minimum(peak, war_rung - 1))
    levels = mapped[peak]
    if coding == "icb":
        if scenario.ladder.crisis_basic_values:
            levels = np.where(basic_values_at_stake(scenario, outcome), levels, 0)
        # A war is a crisis whatever was at stake (being at war threatens basic values and is
        # hostilities): the definition written before the first fit (docs/calibration.md).
        return np.where(war, WAR_LEVEL["icb"], levels).astype(np.int64)
    if war_rung is not None:
        levels = np.where(war, np.maximum(levels, mapped[war_rung]), levels)
    return levels.astype(np.int64)


def basic_values_at_stake(scenario: Scenario, outcome: pd.DataFrame) -> NDArray[np.bool_]:
    """Whether some power would rather fight than give the issue up, run by run.

    ``c_i < p_i`` for at least one power: its drawn cost of war (``batch.drawn_war_costs``, the
    type the round draws once per replication) below its chance of winning at round 0
    (``core.params.win_probabilities``), so that its war value ``(p_i - c_i)/(1 - δ)`` exceeds
    the value of submitting, 0 (Fearon 1995's war payoff; Powell 1990's resolve above 1). Valid
    for any scenario with two powers; ``scenario`` must be the one the runs were made with (its
    condition applied), as the draws depend on its priors.
    """
    from escalsim.batch import drawn_war_costs
    from escalsim.core.params import win_probabilities

    p = np.array(win_probabilities(scenario))
    out = np.zeros(len(outcome), dtype=bool)
    seeds = outcome["seed"].to_numpy(dtype=np.int64)
    reps = outcome["replication"].to_numpy(dtype=np.int64)
    for root in np.unique(seeds):
        rows = seeds == root
        costs = drawn_war_costs(scenario, int(root), reps[rows])
        out[rows] = (costs < p[None, :]).any(axis=1)
    return out


def simulated_codes(
    scenario: Scenario | str | os.PathLike[str],
    *,
    seed: int,
    replications: int | Sequence[int],
    condition: str | None = None,
    codings: Sequence[str] = ("mid",),
) -> dict[str, NDArray[np.int64]]:
    """Each replication's level under several codings, from one batch run.

    The same runs serve every coding, so a joint fit compares the targets on the same
    replications. Parameters as :func:`simulated_levels`.

    Returns
    -------
    dict
        ``{coding: levels}``, one level per replication in the order of ``replications`` (0
        for a run that is not an ICB crisis).
    """
    from escalsim.batch import run_batch

    spec = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    for coding in codings:
        level_map(spec, coding)  # every mapping problem before anything runs
    outcome = run_batch(
        spec, seed=seed, replications=replications, condition=condition, keep=0
    ).outcome
    made = spec if condition is None else with_condition(spec, condition)
    return {coding: codes_of(made, outcome, coding) for coding in codings}


def simulated_levels(
    scenario: Scenario | str | os.PathLike[str],
    *,
    seed: int,
    replications: int | Sequence[int],
    condition: str | None = None,
    coding: str = "mid",
) -> NDArray[np.int64]:
    """The highest MID level (or ICB violence level) each replication reached, batch engine.

    Parameters
    ----------
    scenario : Scenario, str or path
        A scenario, a scenario file or a shipped scenario's name. Every rung needs a
        ``mid_level``.
    seed : int
        Root seed of the replications.
    replications : int or sequence of int
        How many (indices 0..R-1), or which replication indices (as ``run_batch`` takes them).
    condition : str, optional
        A condition of the scenario (default: the base scenario).
    coding : {"mid", "icb"}
        What a level is (:func:`codes_of`).

    Returns
    -------
    numpy.ndarray of int
        One level per replication, in the order of ``replications``: under ``"mid"`` the
        ``mid_level`` of the run's ``peak_rung`` (1-5), or the war rung's level when the run
        ended in war; under ``"icb"`` the run's violence level (1-4) if it is a crisis, else 0.

    Raises
    ------
    escalsim.scenario.ScenarioError
        A rung the coding needs without its level, or a bad scenario file.
    """
    return simulated_codes(
        scenario, seed=seed, replications=replications, condition=condition, codings=(coding,)
    )[coding]


def level_shares(
    levels: NDArray[np.int64], weights: NDArray[np.float64] | None = None
) -> NDArray[np.float64]:
    """Shares of levels 1..5 (an array of 5), optionally weighted (bootstrap multiplicities).

    Level 0 (a run that is not a case, under the ICB coding) is left out: the shares are
    conditional on a case. Without any case every share is 0.
    """
    array = np.asarray(levels)
    counts = np.bincount(array, weights=weights, minlength=len(LEVELS) + 1)[1 : len(LEVELS) + 1]
    total = counts.sum()
    return counts / total if total > 0 else np.zeros(len(LEVELS))


def target_vector(target: Target, shares: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
    """The target's shares (or other shares over its levels) as an array over levels 1..5."""
    out = np.zeros(len(LEVELS))
    out[target.levels - 1] = target.shares if shares is None else shares
    return out


def tvd(p: NDArray[np.float64], q: NDArray[np.float64]) -> float:
    """Total variation distance ``½ Σ |p - q|`` of two distributions over the same levels.

    In [0, 1]; the sum of rounded shares can exceed 1 by an ulp (1.0000000000000002 for
    disjoint supports, found by hypothesis), so the value is clipped to its range.
    """
    return min(1.0, float(0.5 * np.abs(np.asarray(p) - np.asarray(q)).sum()))


def _check_levels(levels: object, target: Target) -> NDArray[np.int64]:
    array = np.asarray(levels)
    if array.ndim != 1 or len(array) == 0:
        raise ValueError("levels must be a non-empty 1-D array of levels")
    if not np.issubdtype(array.dtype, np.integer) and (
        not np.all(np.isfinite(array)) or not np.all(array == np.round(array))
    ):
        raise ValueError("levels must be whole numbers")
    array = array.astype(np.int64)
    known = CODINGS[target.coding][0]
    low = 0 if target.coding == "icb" else min(known)  # 0: not a crisis
    if array.min() < low or array.max() > max(known):
        raise ValueError(
            f"levels must be {low}-{max(known)} under the {target.coding} coding, got "
            f"{sorted(set(array.tolist()))}"
        )
    return array


def pearson(
    counts: NDArray[np.int64] | None, target: Target, simulated: NDArray[np.float64]
) -> tuple[float, int, float]:
    """Pearson's chi-square of observed counts against simulated shares: (chi2, dof, p).

    Cells are the levels of the target and any level the simulation reached; a level outside
    the target has observed count 0. A cell with expected count 0 is left out when its observed
    count is 0 too, and makes chi-square infinite (p = 0) otherwise. ``dof`` is the number of
    cells used minus 1; (nan, dof, nan) without counts.
    """
    observed = np.zeros(len(LEVELS))
    cells = target_vector(target) > 0
    cells |= np.asarray(simulated) > 0
    cells[target.levels - 1] = True
    dof = int(cells.sum()) - 1
    if counts is None:
        return math.nan, dof, math.nan
    observed[target.levels - 1] = counts
    n = observed.sum()
    expected = n * np.asarray(simulated)
    used = cells & ~((expected == 0) & (observed == 0))
    dof = max(int(used.sum()) - 1, 0)
    if np.any(used & (expected == 0) & (observed > 0)):
        return math.inf, dof, 0.0
    chi2 = float((((observed - expected) ** 2)[used] / expected[used]).sum())
    p = float(sps.chi2.sf(chi2, dof)) if dof > 0 else math.nan
    return chi2, dof, p


class Distance(TypedDict):
    """What :func:`fit_distance` returns (each key is described there)."""

    tvd: float
    chi2: float
    dof: int
    p_value: float
    shares: dict[int, float]
    share_ci: dict[int, tuple[float, float]]
    n: int
    target_shares: dict[int, float]
    off_target: float
    runs: int
    case_share: float
    case_share_ci: tuple[float, float]


def fit_distance(target: Target, levels: NDArray[np.int64] | Sequence[int]) -> Distance:
    """How far the simulated distribution of levels is from a target.

    Parameters
    ----------
    target : Target
        The target distribution (from :func:`escalsim.calibration.load_target`).
    levels : array of int
        The level of each simulated run under the target's coding (from
        :func:`simulated_levels`); under the ICB coding, 0 marks a run that is not a crisis and
        is left out of the shares.

    Returns
    -------
    Distance
        ``tvd``: total variation distance ``½ Σ_k |p_sim(k) - p_target(k)|`` over the union of
        the target's levels and the levels simulated, with ``p_target = 0`` off the target (so
        simulated mass on a level the target does not have, such as level 1, counts in full);
        ``chi2``, ``dof``, ``p_value``: Pearson's chi-square of the target's counts against the
        simulated shares (nan without counts; see :func:`pearson`); ``shares``: ``{level:
        simulated share}`` for the target's levels and every level simulated; ``share_ci``:
        ``{level: (lo, hi)}``, the 95% Wilson interval of each simulated share; ``n``: the
        number of cases (every run under the MID coding, the crises under ICB's);
        ``target_shares``: ``{level: share}`` of the target; ``off_target``: the simulated mass
        on levels the target does not have; ``runs``: the number of runs; ``case_share`` and
        ``case_share_ci``: the share of runs that are cases, with its Wilson interval. Without
        any case the TVD is 1 (nothing to compare is the worst fit) and the chi-square nan.
    """
    from escalsim.experiment.stats import wilson_interval

    every = _check_levels(levels, target)
    array = every[every > 0]
    n = len(array)
    runs = len(every)
    simulated = level_shares(array)
    wanted = target_vector(target)
    if n:
        chi2, dof, p = pearson(target.counts, target, simulated)
    else:
        chi2, dof, p = math.nan, 0, math.nan
    shown = sorted(set(target.levels.tolist()) | set(np.unique(array).tolist()))
    hits = np.bincount(array - 1, minlength=len(LEVELS)) if n else np.zeros(len(LEVELS))
    off = [k for k in shown if k not in set(target.levels.tolist())]
    return {
        "tvd": float(tvd(simulated, wanted)) if n else 1.0,
        "chi2": chi2,
        "dof": dof,
        "p_value": p,
        "shares": {int(k): float(simulated[k - 1]) for k in shown},
        "share_ci": {
            int(k): wilson_interval(int(hits[k - 1]), n) if n else (0.0, 1.0) for k in shown
        },
        "n": n,
        "target_shares": target.share_by_level(),
        "off_target": float(sum(simulated[k - 1] for k in off)),
        "runs": runs,
        "case_share": n / runs,
        "case_share_ci": wilson_interval(n, runs),
    }
