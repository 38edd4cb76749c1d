"""Why closing a channel matters: a condition difference split into its Shapley paths.

docs/decision-v2.md §8. A pair of conditions (base, other) that differ only in channel state is
run 8 times over the same replications of the same seed and block layout (common random
numbers): once per switch set b, where bit k sends path ``bg.PATHS[k]`` (perception, messages
and offers, agreements) to the other condition's channel state
(:class:`escalsim.model.channels.ChannelPaths`). Switch set 0 is the base condition's run and 7
the other's, bit for bit. Per replication, :func:`escalsim.core.bargaining.shapley_paths` splits
``v(7) − v(0)`` of each binary outcome into the three paths' Shapley values and gives the
interaction; being linear, a path's share of ``P(other) − P(base)`` is the mean of its
per-replication shares, with the t interval of those paired values
(:func:`escalsim.experiment.stats.mean_interval`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from escalsim.core import bargaining as bg
from escalsim.core.params import schedule
from escalsim.core.streams import BlockLayout
from escalsim.errors import UsageError
from escalsim.experiment.runner import BATCH_CHUNK, resolve_conditions
from escalsim.experiment.stats import METRICS, mean_interval, paired_difference, per_run_values
from escalsim.model.channels import beyond_channels
from escalsim.scenario import Scenario, load_scenario, with_condition
from escalsim.scenario.errors import Problem
from escalsim.scenario.transforms import with_rounds

#: The outcomes decomposed by default: war first (the table's and the JSON's headline), then
#: settlement and the peak rung, which move where war is rare.
PATH_METRICS = ("p_war", "p_settlement", "mean_peak_rung")
#: The terms of a decomposition, in table order: the paths, their interaction, and the total
#: (the condition difference, which the three paths' shares add up to).
TERMS = (*bg.PATHS, "interaction", "total")
#: The runs a decomposition costs: one per switch set.
SWITCH_SETS = 8

__all__ = [
    "PATH_METRICS",
    "SWITCH_SETS",
    "TERMS",
    "PathDecomposition",
    "decompose",
    "paths_contract",
    "paths_pair",
]


@dataclass
class PathDecomposition:
    """A condition difference split into its Shapley paths.

    Attributes
    ----------
    scenario_id, base, other : str
        The scenario and the pair: the difference is ``other − base``.
    seed, replications : int
        The root seed and the replications of each of the 8 runs.
    values : dict
        Metric name -> ``[replications, 8]`` per-replication values (0/1 for a proportion),
        column b the run with switch set b (column 0 the base condition's run, 7 the other's).
    table : pandas.DataFrame
        One row per (metric, term of :data:`TERMS`): columns ``metric, term, estimate, lo,
        hi``, the mean over replications and its 95% interval. A path's and the interaction's
        interval is the t interval of the per-replication values; the total's is
        :func:`~escalsim.experiment.stats.paired_difference` (Newcombe's, as in ``run``'s
        table), and the total equals the sum of the three shares.
    """

    scenario_id: str
    base: str
    other: str
    seed: int
    replications: int
    values: dict[str, NDArray[np.float64]]
    table: pd.DataFrame

    def term(self, metric: str, term: str) -> tuple[float, float, float]:
        """``(estimate, lo, hi)`` of one term of one metric."""
        row = self.table[(self.table["metric"] == metric) & (self.table["term"] == term)]
        if row.empty:
            raise KeyError(f"no term {term!r} of metric {metric!r}")
        r = row.iloc[0]
        return float(r.estimate), float(r.lo), float(r.hi)

    def contract(self) -> dict[str, Any]:
        """The ``paths`` block of ``run --paths --format json`` (:func:`paths_contract`)."""
        return paths_contract(self.table, self.base, self.other, self.replications)

    def check(self, runs: pd.DataFrame) -> None:
        """Check switch sets 0 and 7 against a run's own conditions, replication by replication.

        ``runs`` holds one row per (condition, replication) (``Results.runs``) over the same
        seed and replications. Raises RuntimeError when a value differs: the switched runs
        would not be the conditions they claim to be (a bug, not bad input).
        """
        for b, cond in ((0, self.base), (SWITCH_SETS - 1, self.other)):
            rows = runs[runs["condition"] == cond].sort_values("replication")
            for m, v in self.values.items():
                if not np.array_equal(per_run_values(rows, m), v[:, b]):
                    raise RuntimeError(
                        f"the paths' switch set {b} differs from the run of {cond!r} in {m}"
                    )


def paths_contract(table: pd.DataFrame, base: str, other: str, replications: int) -> dict[str, Any]:
    """The ``paths`` block of the JSON contract, from a decomposition's table.

    ``{base, other, runs, replications, metric: "p_war", perception: {share, ci},
    messages_and_offers: {...}, agreements: {...}, interaction: {share, ci}, total: {share,
    ci}, metrics: {metric: {the same five terms}}}``: the first metric's terms (P(war) by
    default) at the top, every metric decomposed under ``metrics``. Undefined bounds are null.
    """

    def block(metric: str) -> dict[str, Any]:
        rows = table[table["metric"] == metric].set_index("term")
        out: dict[str, Any] = {}
        for term in TERMS:
            row = rows.loc[term, ["estimate", "lo", "hi"]].to_numpy(dtype=float)
            est, lo, hi = float(row[0]), float(row[1]), float(row[2])
            out[term] = {"share": _num(est), "ci": [_num(lo), _num(hi)]}
        return out

    metrics = list(dict.fromkeys(table["metric"]))
    head = {
        "base": base,
        "other": other,
        "runs": SWITCH_SETS,
        "replications": int(replications),
        "metric": metrics[0],
    }
    return {**head, **block(metrics[0]), "metrics": {m: block(m) for m in metrics}}


def _num(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


def paths_pair(
    spec: Scenario, conditions: list[str] | None = None, baseline: str | None = None
) -> tuple[str, str]:
    """The pair of conditions ``run --paths`` decomposes: ``(base, other)``.

    The run's comparison: the baseline (``baseline``, else the first condition run) against
    the first other condition run, the first column of ``run``'s table of differences. With
    more than two conditions, ``--condition`` picks the pair.

    Raises
    ------
    UsageError
        With fewer than two conditions run, or a pair that differs in more than channel state
        (:func:`escalsim.model.channels.beyond_channels`).
    """
    names = resolve_conditions(spec, conditions)
    base = baseline or names[0]
    others = [c for c in names if c != base]
    if not others:
        raise UsageError(
            [
                Problem(
                    0,
                    0,
                    ("--paths",),
                    f"the paths split a difference between two conditions; {spec.id} runs one "
                    f"({base}): give a scenario with two conditions, or two --condition",
                    spec.id,
                )
            ]
        )
    other = others[0]
    differ = beyond_channels(
        schedule(with_condition(spec, base)), schedule(with_condition(spec, other))
    )
    if differ:
        raise UsageError(
            [
                Problem(
                    0,
                    0,
                    ("--paths",),
                    f"conditions {base} and {other} differ in more than their channels "
                    f"({', '.join(differ)}); the paths split a difference of channel values "
                    "and channel or summit events only",
                    spec.id,
                )
            ]
        )
    return base, other


def decompose(
    scenario: Scenario | str | os.PathLike[str],
    base: str,
    other: str,
    *,
    seed: int,
    replications: int,
    rounds: int | None = None,
    metrics: tuple[str, ...] = PATH_METRICS,
    chunk: int = BATCH_CHUNK,
    confidence: float = 0.95,
) -> PathDecomposition:
    """Split ``P(other) − P(base)`` (and other metrics' differences) into the three paths (§8).

    Runs the 8 switch sets with the batch engine over replications 0..N-1 of ``seed``, with the
    block laid out as ``run`` lays it (:meth:`BlockLayout.of` the scenario, after ``rounds``), so
    switch set 0 is ``run``'s base condition and 7 its other condition, replication by
    replication; per replication, ``bg.shapley_paths`` of the 8 values of each metric.

    Parameters
    ----------
    scenario : Scenario, str or path
        The scenario.
    base, other : str
        Two of its conditions, differing only in channel state.
    seed, replications : int
        Root seed and replications per run (8 runs).
    rounds : int, optional
        A different horizon, as ``run --rounds``.
    metrics : tuple of str
        Metrics of :data:`escalsim.experiment.stats.METRICS` computed from the outcome alone,
        defined in every replication (default :data:`PATH_METRICS`; the first is the JSON's
        headline).
    chunk : int
        Replications that run together in one set of arrays; the results do not depend on it.
    confidence : float
        Two-sided level of the intervals.

    Returns
    -------
    PathDecomposition

    Raises
    ------
    ValueError
        For a metric undefined in some replication (a rate with nothing to count), or a pair
        that differs in more than channel state.
    """
    from escalsim.batch import run_batch

    spec = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if rounds is not None:
        spec = with_rounds(spec, rounds)
    layout = BlockLayout.of(spec)
    runs = [
        run_batch(
            spec,
            seed=seed,
            replications=replications,
            condition=base,
            keep=0,
            chunk=chunk,
            layout=layout,
            paths=(other, b),
        ).outcome
        for b in range(SWITCH_SETS)
    ]
    values = {m: np.stack([per_run_values(r, m) for r in runs], axis=1) for m in metrics}
    for m, v in values.items():
        if np.isnan(v).any():
            raise ValueError(f"metric {m!r} is undefined in some replications: no paths of it")
    rows: list[dict[str, Any]] = []
    for m, v in values.items():
        phi, interaction = bg.shapley_paths(v)
        for k, path in enumerate(bg.PATHS):
            rows.append(_row(m, path, mean_interval(phi[:, k], confidence)))
        rows.append(_row(m, "interaction", mean_interval(interaction, confidence)))
        total = paired_difference(v[:, 7], v[:, 0], METRICS[m].kind, confidence)
        rows.append(_row(m, "total", total))
    return PathDecomposition(
        scenario_id=spec.id,
        base=base,
        other=other,
        seed=int(seed),
        replications=int(replications),
        values=values,
        table=pd.DataFrame(rows, columns=["metric", "term", "estimate", "lo", "hi"]),
    )


def _row(metric: str, term: str, interval: tuple[float, float, float]) -> dict[str, Any]:
    est, lo, hi = interval
    return {"metric": metric, "term": term, "estimate": est, "lo": lo, "hi": hi}
