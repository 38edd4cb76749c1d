"""The simulated highest MID level of each run, and its distance to a target distribution.

A run's highest MID level is the ``mid_level`` of its ``peak_rung`` (the highest rung either
power held during the crisis), except that a run that ended in war counts at the war rung's
level even when the war came by accident from a lower rung (a rung's ``war_risk``): MID codes
a dispute that became a war as level 5, whatever the steps before it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import TypedDict

import numpy as np
from numpy.typing import NDArray
from scipy import stats as sps

from escalsim.calibration.target import MID_LEVELS, Target
from escalsim.scenario import Problem, Scenario, ScenarioError, load_scenario

#: The levels a simulated run can have, as an index: shares arrays are over levels 1..5.
LEVELS = np.array(sorted(MID_LEVELS), dtype=np.int64)


def level_map(scenario: Scenario) -> tuple[NDArray[np.int64], int | None]:
    """Each rung's MID level, and the war rung's index.

    Raises
    ------
    escalsim.scenario.ScenarioError
        When a rung has no ``mid_level``: calibration against MID data needs every rung mapped.
    """
    rungs = scenario.ladder.rungs
    missing = [i for i, r in enumerate(rungs) if r.mid_level is None]
    if missing:
        names = ", ".join(rungs[i].name for i in missing)
        raise ScenarioError(
            [
                Problem(
                    0,
                    0,
                    ("ladder", "rungs", i, "mid_level"),
                    f"calibration against MID levels needs every rung's mid_level (1-5); "
                    f"missing for: {names}",
                    scenario.id,
                )
                for i in missing[:1]
            ]
        )
    mid = np.array([r.mid_level for r in rungs], dtype=np.int64)
    war = scenario.ladder.war_rung
    return mid, None if war is None else scenario.rung_index(war)


def simulated_levels(
    scenario: Scenario | str | os.PathLike[str],
    *,
    seed: int,
    replications: int | Sequence[int],
    condition: str | None = None,
) -> NDArray[np.int64]:
    """The highest MID level each replication reached, with the batch engine.

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

    Returns
    -------
    numpy.ndarray of int
        One level (1-5) per replication, in the order of ``replications``: the ``mid_level`` of
        the run's ``peak_rung``, or the war rung's level when the run ended in war.

    Raises
    ------
    escalsim.scenario.ScenarioError
        A rung without ``mid_level``, or a bad scenario file.
    """
    from escalsim.batch import run_batch

    spec = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    mid, war_rung = level_map(spec)
    outcome = run_batch(
        spec, seed=seed, replications=replications, condition=condition, keep=0
    ).outcome
    levels = mid[outcome["peak_rung"].to_numpy(dtype=np.int64)]
    if war_rung is not None:
        war = outcome["war"].to_numpy(dtype=bool)
        levels = np.where(war, np.maximum(levels, mid[war_rung]), levels)
    return levels.astype(np.int64)


def level_shares(
    levels: NDArray[np.int64], weights: NDArray[np.float64] | None = None
) -> NDArray[np.float64]:
    """Shares of levels 1..5 (an array of 5), optionally weighted (bootstrap multiplicities)."""
    counts = np.bincount(np.asarray(levels) - 1, weights=weights, minlength=len(LEVELS))
    return counts[: len(LEVELS)] / counts.sum()


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


def _check_levels(levels: object) -> NDArray[np.int64]:
    array = np.asarray(levels)
    if array.ndim != 1 or len(array) == 0:
        raise ValueError("levels must be a non-empty 1-D array of MID levels")
    if not np.issubdtype(array.dtype, np.integer) and (
        not np.all(np.isfinite(array)) or not np.all(array == np.round(array))
    ):
        raise ValueError("levels must be whole numbers (MID levels 1-5)")
    array = array.astype(np.int64)
    if array.min() < LEVELS[0] or array.max() > LEVELS[-1]:
        raise ValueError(f"levels must be MID levels 1-5, got {sorted(set(array.tolist()))}")
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


def fit_distance(target: Target, levels: NDArray[np.int64] | Sequence[int]) -> Distance:
    """How far the simulated distribution of the highest MID level is from a target.

    Parameters
    ----------
    target : Target
        The target distribution (from :func:`escalsim.calibration.load_target`).
    levels : array of int
        The highest MID level of each simulated run (from :func:`simulated_levels`).

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
        number of runs; ``target_shares``: ``{level: share}`` of the target; ``off_target``: the
        simulated mass on levels the target does not have.
    """
    from escalsim.experiment.stats import wilson_interval

    array = _check_levels(levels)
    n = len(array)
    simulated = level_shares(array)
    wanted = target_vector(target)
    chi2, dof, p = pearson(target.counts, target, simulated)
    shown = sorted(set(target.levels.tolist()) | set(np.unique(array).tolist()))
    hits = np.bincount(array - 1, minlength=len(LEVELS))
    off = [k for k in shown if k not in set(target.levels.tolist())]
    return {
        "tvd": float(tvd(simulated, wanted)),
        "chi2": chi2,
        "dof": dof,
        "p_value": p,
        "shares": {int(k): float(simulated[k - 1]) for k in shown},
        "share_ci": {int(k): wilson_interval(int(hits[k - 1]), n) for k in shown},
        "n": n,
        "target_shares": target.share_by_level(),
        "off_target": float(sum(simulated[k - 1] for k in off)),
    }
