"""Figures of a Monte Carlo run, drawn from its tidy frames.

Every function returns a :class:`matplotlib.figure.Figure` built with the object-oriented API on
the Agg canvas: no pyplot, no global state, so figures can be drawn in threads or worker
processes, and importing this module changes nothing. :func:`save_figure` writes a figure to a
PNG atomically.

The frames are those of :class:`escalsim.agents.EscalationModel`, concatenated over
replications and conditions:

- ``runs``: the ``outcome`` frames, one row per (condition, replication);
- ``timeseries``: one row per (condition, replication, round, actor); a run that ended early
  has no rows after its end round;
- ``events``: one row per event; escalation steps have ``kind == "escalation"`` and a
  ``cause``;
- ``differences``: a tidy frame of paired differences (condition, baseline, metric, estimate,
  lo, hi).

Conditions are drawn in the order in which they first appear in a frame (the baseline first
when the frames were concatenated baseline first). Colours come from the Okabe-Ito palette,
which stays distinguishable with the common forms of colour blindness. No figure raises on thin
data -- one condition, one replication, no war, no escalation, no third party or no private
channel -- and an empty frame gives a figure that says so.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import struct
import textwrap
import uuid
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import matplotlib
import matplotlib.cm
import matplotlib.colors
import matplotlib.patches
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch
from matplotlib.ticker import Formatter, MaxNLocator

if TYPE_CHECKING:
    from escalsim.scenario import Scenario
    from escalsim.scenario.schema import Actor, Channel

__all__ = [
    "CAUSES",
    "PALETTE",
    "LiveNetwork",
    "calibration_figure",
    "channel_network",
    "escalation_causes",
    "fan_chart",
    "forest_plot",
    "percent_labels",
    "prim_figure",
    "save_figure",
    "sensitivity_bars",
    "sensitivity_figure",
    "sweep_heatmap",
    "sweep_lines",
    "war_survival",
    "wilson_interval",
]

#: The Okabe-Ito palette (Okabe & Ito 2008), safe for the common colour-vision deficiencies.
PALETTE = {
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "green": "#009E73",
    "orange": "#E69F00",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
    "grey": "#999999",
}
#: Colours of conditions, in order of appearance (cycled beyond eight).
_SERIES = [PALETTE[k] for k in ("blue", "vermillion", "green", "orange", "purple", "sky", "black")]
#: Causes of an escalation step, as in :data:`escalsim.agents.model.CAUSES`.
CAUSES = ("deliberate", "miscalculated", "accident", "third_party")
_CAUSE_COLOURS = {
    "deliberate": PALETTE["blue"],
    "miscalculated": PALETTE["vermillion"],
    "accident": PALETTE["orange"],
    "third_party": PALETTE["purple"],
    "other": PALETTE["grey"],
}
_KIND_COLOURS = {
    "hotline": PALETTE["vermillion"],
    "summit": PALETTE["purple"],
    "ministerial": PALETTE["blue"],
    "backchannel": PALETTE["green"],
    "mediated": PALETTE["orange"],
    "public": PALETTE["grey"],
}
#: Line styles of conditions, so that coinciding lines stay apart and print in grey.
_LINESTYLES = ["-", (0, (5, 2)), (0, (1, 1.5)), (0, (5, 2, 1, 2)), (0, (8, 3))]
_Z95 = 1.959963984540054  # standard normal quantile for a two-sided 95% interval
_PNG_DPI = 150
#: Height of an Axes' title, in Axes coordinates: matplotlib's default, given explicitly. With no
#: height given, matplotlib looks at each layout pass and draw for tick labels or an offset text
#: above the Axes to lift the title over them (none of these figures has any there); given one,
#: it does not: the same picture, a tenth less of the layout's time.
_TITLE_Y = 1.0
#: zlib level of the PNG files: 3 writes a run's five figures about a third faster than the
#: default 6 (measured with Pillow's encoder: 0.158 -> 0.115 s CPU, for files of 640 kB against
#: 587; with :func:`_write_png`'s unfiltered rows: 0.095 -> 0.055 s, 491 -> 638 kB); the
#: pixels are the same.
_PNG_COMPRESS_LEVEL = 3


# -- helpers -------------------------------------------------------------------------------------
def _figure(width: float, height: float) -> Figure:
    """A new figure on its own Agg canvas, with constrained layout."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _no_data(fig: Figure, title: str, message: str) -> Figure:
    """Fill ``fig`` with one empty, labelled panel that says why it is empty."""
    ax = fig.subplots()
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="0.3")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("(no data)")
    fig.suptitle(title)
    return fig


def _fix_ticks(axis: Any) -> None:
    """Freeze ``axis``'s ticks and their labels as its locator and formatter give them now.

    matplotlib asks the locator and the formatter again each time it lays out or draws the
    axis (about forty times per Axes in a saved figure with constrained layout); fixed ticks
    cost nothing to ask for. The ticks kept are those inside the view limits, labelled as the
    formatter labels the locator's ticks, so the picture is the same. Only for an axis whose
    limits are set and whose locator does not depend on the Axes' size (the layout changes
    it); an axis whose labels need an offset or a multiplier ("1e6") is left as it is.
    """
    limits = tuple(float(v) for v in axis.get_view_interval())  # a copy: set_ticks moves them
    vmin, vmax = sorted(limits)
    locs = axis.get_majorticklocs()
    formatter = axis.get_major_formatter()
    labels = formatter.format_ticks(locs)
    if formatter.get_offset():
        return
    tol = (vmax - vmin) * 1e-10  # as matplotlib's own test of which ticks are in view
    kept = [(v, t) for v, t in zip(locs, labels, strict=True) if vmin - tol <= v <= vmax + tol]
    axis.set_ticks([v for v, _ in kept], labels=[t for _, t in kept])
    axis.set_view_interval(*limits, ignore=True)  # set_ticks may widen the limits to its ticks


def percent_labels(values: Sequence[float], max_decimals: int = 6) -> list[str]:
    """Label shares as percents, with as few decimals as make every label exact.

    One number of decimals serves every value: the fewest (up to ``max_decimals``) at which
    each value, as a percent, is written exactly; each label then drops its trailing zeros.
    Ticks 2.5% apart read 2.5%, 5%, 7.5%, and whole percents stay whole. Exact labels of
    different values differ, so the labels are distinct too (values apart by less than
    ``max_decimals`` allow are rounded, and may share a label).

    Parameters
    ----------
    values : sequence of float
        Shares (0.025 is 2.5%), e.g. an axis's tick locations.
    max_decimals : int, optional
        The most decimals a label gets (values finer than that are rounded to it).

    Returns
    -------
    list of str
        One label per value, in order, e.g. ``['0%', '2.5%', '5%']`` for ``[0, 0.025, 0.05]``.

    Examples
    --------
    >>> percent_labels([0, 0.025, 0.05, 0.075, 0.1])
    ['0%', '2.5%', '5%', '7.5%', '10%']
    >>> percent_labels([0, 0.2, 0.4])
    ['0%', '20%', '40%']
    """
    percents = [100.0 * float(v) for v in values]
    # Tick locations are sums of floats (0.07500000000000001): exact within rounding error.
    tol = 1e-9 * max([1.0, *(abs(p) for p in percents)])
    decimals = next(
        (d for d in range(max_decimals) if all(abs(round(p, d) - p) <= tol for p in percents)),
        max_decimals,
    )
    labels = []
    for p in percents:
        text = f"{round(p, decimals) + 0.0:.{decimals}f}"  # + 0.0: no "-0%"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        labels.append(f"{text}%")
    return labels


class _PercentTicks(Formatter):
    """Tick labels as percents, all ticks of the axis written exactly (:func:`percent_labels`)."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        return percent_labels([x])[0]

    def format_ticks(self, values: Sequence[float]) -> list[str]:
        return percent_labels(values)


def _require(frame: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks the column(s) {', '.join(missing)}")


def _conditions(frame: pd.DataFrame, preferred: Sequence[str] = ()) -> list[str]:
    """Conditions in ``frame``: those in ``preferred`` first (in its order), then by appearance."""
    present = [str(c) for c in pd.unique(frame["condition"].dropna())]
    first = [c for c in preferred if c in present]
    return first + [c for c in present if c not in first]


def _colour(index: int) -> str:
    return _SERIES[index % len(_SERIES)]


def _pretty(name: str) -> str:
    """A column name as a label: ``miscalculation_rate`` -> ``Miscalculation rate``."""
    text = str(name).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _runs(n: int, total: int | None = None) -> str:
    """``n = 200 runs``, or ``first 200 of 300 runs, kept by --keep`` (the runs with detail)."""
    if total is not None and total > n:
        return f"first {n} of {total} runs, kept by --keep"
    return f"n = {n} run" if n == 1 else f"n = {n} runs"


def _share(value: float) -> str:
    """A share of runs as the legend gives it: 2.5%, 10%, 33.33%.

    A whole percent wrote 1 war in 40 runs (2.5%) as 2%; :func:`percent_labels` writes the share
    with as few decimals as make it exact, up to two (any share of 400 or 10,000 runs is exact).
    """
    return percent_labels([value], max_decimals=2)[0]


def _grid(n: int, max_cols: int = 3) -> tuple[int, int]:
    cols = max(1, min(n, max_cols))
    return math.ceil(n / cols), cols


def wilson_interval(
    successes: np.ndarray, n: np.ndarray | int, z: float = _Z95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion.

    Parameters
    ----------
    successes : numpy.ndarray
        Counts of successes.
    n : numpy.ndarray or int
        Numbers of trials (> 0).
    z : float
        Standard normal quantile (default: 95% two-sided).

    Returns
    -------
    tuple of numpy.ndarray
        Lower and upper bounds, in [0, 1].
    """
    k = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    p = k / m
    denom = 1.0 + z**2 / m
    centre = (p + z**2 / (2.0 * m)) / denom
    half = z * np.sqrt(np.maximum(p * (1.0 - p) / m + z**2 / (4.0 * m**2), 0.0)) / denom
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


# -- 1. fan chart --------------------------------------------------------------------------------
def _carry_forward(rows: pd.DataFrame, rounds: np.ndarray) -> pd.DataFrame:
    """One actor's rung, round × replication, each run's last state carried to the last round."""
    wide = rows.groupby(["round", "replication"])["rung"].max().unstack("replication")
    return wide.reindex(rounds).ffill()


def fan_chart(
    timeseries: pd.DataFrame,
    scenario: Scenario,
    *,
    horizon: int | None = None,
    replications: int | None = None,
) -> Figure:
    """Each power's rung by round: median with 50% and 90% bands over replications.

    One panel per condition, with a shared y axis labelled with the names of the rungs. For each
    power, the solid line is the median rung across replications at each round, the darker band
    holds the middle 50% of replications (25th-75th percentile) and the lighter one the middle
    90% (5th-95th, dotted edges). Each power's lines and bands are shifted by 0.07 rung (the
    first power down, the second up) so that both stay visible when they coincide.

    Parameters
    ----------
    timeseries : pandas.DataFrame
        Concatenated ``timeseries`` frames: columns ``condition``, ``replication``, ``round``,
        ``actor`` and ``rung`` at least.
    scenario : Scenario
        The scenario that was run: rung names, the two powers, the horizon and the time unit.
    horizon : int, optional
        Last round drawn (default: the scenario's ``run.rounds``, or the last round in the data
        if that is later).
    replications : int, optional
        Replications per condition in the run. When the timeseries holds fewer (``--keep``),
        each panel says so: "first 200 of 300 runs, kept by --keep".

    Returns
    -------
    matplotlib.figure.Figure
        The fan chart.

    Notes
    -----
    A run that ended before the horizon (war, settlement, capitulation) keeps its last state
    until the horizon: a war stays at the rung where it broke out, a settlement at its
    settled rungs. Every replication therefore counts at every round, and the bands show where
    the crisis *stands* at a round, not where the runs still going stand.

    Pass the runs of one kind only: rows of a perfect-information twin with the same
    (condition, replication) would be merged with the ordinary runs (the higher rung is kept).
    """
    title = f"Escalation by round: median, 50% and 90% of replications ({scenario.id})"
    rung_names = [r.name for r in scenario.ladder.rungs]
    n_rungs = len(rung_names)
    if timeseries.empty:
        return _no_data(_figure(8, 4.5), title, "no timeseries rows")
    _require(timeseries, ("condition", "replication", "round", "actor", "rung"), "timeseries")
    last = int(scenario.run.rounds if horizon is None else horizon)
    if horizon is None:
        last = max(last, int(timeseries["round"].max()))
    rounds = np.arange(0, last + 1)

    power_ids = [a.id for a in scenario.powers]
    names = {a.id: a.name for a in scenario.actors}
    if not power_ids and "role" in timeseries.columns:
        power_ids = [str(a) for a in pd.unique(timeseries.loc[timeseries.role == "power", "actor"])]
    power_colours = {p: _colour(i) for i, p in enumerate(power_ids)}
    # Powers are drawn a little apart so that equal rungs stay visible (one above, one below).
    spread = np.linspace(-0.07, 0.07, len(power_ids)) if len(power_ids) > 1 else [0.0]
    offsets = dict(zip(power_ids, (float(v) for v in spread), strict=True))

    conditions = _conditions(timeseries, scenario.condition_names)
    nrows, ncols = _grid(len(conditions))
    fig = _figure(max(4.6 * ncols + 1.4, 8.0), 3.4 * nrows + 1.3)
    axes = fig.subplots(nrows, ncols, sharey=True, sharex=True, squeeze=False)
    flat = list(axes.flat)
    for ax in flat[len(conditions) :]:
        ax.set_visible(False)

    # The powers' rows and the columns read, taken once: a mask over every column of the
    # whole timeseries per condition and power was a fifth of this function's time.
    condition_of = timeseries["condition"]
    powers_only = timeseries.loc[
        timeseries["actor"].isin(power_ids), ["condition", "actor", "replication", "round", "rung"]
    ]
    for ax, condition in zip(flat, conditions, strict=False):
        n_reps = timeseries.loc[condition_of == condition, "replication"].nunique()
        sub = powers_only[powers_only["condition"] == condition]
        drawn = False
        for power in power_ids:
            mine = sub[sub["actor"] == power]
            if mine.empty:
                continue
            wide = _carry_forward(mine, rounds)
            q = wide.quantile([0.05, 0.25, 0.5, 0.75, 0.95], axis=1).to_numpy(dtype=float)
            q = q + offsets[power]
            colour = power_colours[power]
            ax.fill_between(rounds, q[0], q[4], step="mid", color=colour, alpha=0.12, lw=0)
            ax.fill_between(rounds, q[1], q[3], step="mid", color=colour, alpha=0.3, lw=0)
            for k, style in ((0, ":"), (4, ":"), (1, "-"), (3, "-")):
                ax.step(rounds, q[k], where="mid", color=colour, lw=0.8, ls=style, alpha=0.9)
            ax.step(rounds, q[2], where="mid", color=colour, lw=2.2)
            drawn = True
        if not drawn:
            ax.text(0.5, 0.5, "no rows for the powers", ha="center", transform=ax.transAxes)
        ax.set_title(f"{condition} ({_runs(n_reps, replications)})", y=_TITLE_Y)
        ax.set_xlim(0, last)
        ax.grid(axis="y", color="0.9", lw=0.8)
        ax.set_axisbelow(True)

    step = max(1, math.ceil(n_rungs / 16))
    ticks = list(range(0, n_rungs, step))
    for row in axes:
        row[0].set_yticks(ticks, labels=[rung_names[i] for i in ticks])
        row[0].set_ylabel("rung")
    flat[0].set_ylim(-0.3, n_rungs - 1 + 0.3)
    for ax in flat[: len(conditions)]:
        ax.set_xlabel(f"round ({scenario.run.time_unit}s)")
        ax.tick_params(labelbottom=True)

    handles: list[Line2D | Patch] = [
        Line2D([], [], color=power_colours[p], lw=2, label=f"{p} ({names.get(p, p)}): median")
        for p in power_ids
    ]
    handles += [
        Patch(facecolor="0.45", alpha=0.5, edgecolor="0.2", label="middle 50% of runs"),
        Patch(facecolor="0.45", alpha=0.2, edgecolor="0.2", ls=":", label="middle 90% of runs"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=4 if ncols > 1 else 2)
    fig.suptitle(textwrap.fill(title, 60 if ncols == 1 else 120))
    return fig


# -- 2. war survival -----------------------------------------------------------------------------
def war_survival(runs: pd.DataFrame, horizon: int, time_unit: str | None = None) -> Figure:
    """Cumulative probability of war by round, per condition, with a 95% Wilson band.

    For each condition, the step line is the share of its runs that were at war by the end of
    each round (a run at war stays at war); the band is the 95% pointwise Wilson score interval
    of that share, which stays sensible when no run, or every run, went to war.

    Parameters
    ----------
    runs : pandas.DataFrame
        Concatenated ``outcome`` frames: columns ``condition``, ``end_round`` and ``war`` (or
        ``outcome``, where ``"war"`` marks a war) at least; where wars last
        (docs/pair-wars.md §8), ``war_start_round`` gives the round a war began.
    horizon : int
        Last round of the x axis (the scenario's ``run.rounds``).
    time_unit : str, optional
        What a round is (the scenario's ``run.time_unit``: ``day``, ``week``, ...), for the x
        axis's label.

    Returns
    -------
    matplotlib.figure.Figure
        The cumulative-incidence figure.

    Notes
    -----
    A war without an ``end_round`` is counted at the horizon.
    """
    title = "Cumulative probability of war"
    horizon = max(int(horizon), 1)
    if runs.empty:
        return _no_data(_figure(7.5, 4.5), title, "no runs")
    _require(runs, ("condition", "end_round"), "runs")
    if "war" in runs.columns:
        war = np.array([bool(v) if pd.notna(v) else False for v in runs["war"]], dtype=bool)
    else:
        _require(runs, ("outcome",), "runs")
        war = (runs["outcome"] == "war").to_numpy()
    # Where wars last, a war begins at war_start_round and the run goes on past it.
    onset = "war_start_round" if "war_start_round" in runs.columns else "end_round"
    end = pd.to_numeric(runs[onset], errors="coerce").fillna(horizon).to_numpy(dtype=float)
    rounds = np.arange(0, horizon + 1)

    fig = _figure(7.5, 4.8)
    ax = fig.subplots()
    top = 0.0
    conditions = _conditions(runs)
    for i, condition in enumerate(conditions):
        mask = (runs["condition"] == condition).to_numpy()
        n = int(mask.sum())
        at = end[mask & war]
        count = (at[None, :] <= rounds[:, None]).sum(axis=1)
        share = count / n
        lo, hi = wilson_interval(count, n)
        colour = _colour(i)
        ax.fill_between(rounds, lo, hi, step="post", color=colour, alpha=0.18, lw=0)
        ax.step(
            rounds,
            share,
            where="post",
            color=colour,
            lw=2,
            ls=_LINESTYLES[i % len(_LINESTYLES)],
            label=f"{condition}: {_share(share[-1])} by round {horizon} ({_runs(n)})",
        )
        top = max(top, float(hi.max()))
    ax.set_xlim(0, horizon)
    top = min(1.0, max(0.1, top * 1.08))
    ax.set_ylim(-0.015 * top, top)  # a little below 0, so that a line at 0 stays visible
    ax.yaxis.set_major_formatter(_PercentTicks())
    ax.set_xlabel(f"round ({time_unit}s)" if time_unit else "round")
    ax.set_ylabel("P(war by the end of the round)")
    ax.grid(color="0.9", lw=0.8)
    ax.set_axisbelow(True)
    fig.legend(
        loc="outside lower center",
        title="condition: share at war by the horizon (band: 95% pointwise Wilson interval)",
        ncols=min(len(conditions), 3),
        fontsize="small",
    )
    ax.set_title(title, y=_TITLE_Y)
    return fig


# -- 3. forest plot ------------------------------------------------------------------------------
def forest_plot(differences: pd.DataFrame, metrics: Sequence[str] | None = None) -> Figure:
    """Paired differences of each condition against its baseline, with confidence intervals.

    One panel per metric, stacked; in each, one row per condition with its estimate (dot) and
    interval (horizontal bar), a vertical line at zero (no difference), and the numbers on the
    right. Each panel has its own x scale, since metrics have different units.

    Parameters
    ----------
    differences : pandas.DataFrame
        Tidy frame with columns ``condition``, ``baseline``, ``metric``, ``estimate``, ``lo``
        and ``hi`` (``lo``/``hi`` may be missing values: the dot is drawn alone).
    metrics : sequence of str, optional
        Metrics to draw, in this order (default: every metric, in order of appearance). A
        requested metric with no row gives a panel that says so.

    Returns
    -------
    matplotlib.figure.Figure
        The forest plot.
    """
    title = "Paired differences against the baseline (with confidence intervals)"
    if differences.empty:
        return _no_data(_figure(7.5, 3.5), title, "no differences")
    _require(
        differences, ("condition", "baseline", "metric", "estimate", "lo", "hi"), "differences"
    )
    frame = differences.copy()
    for column in ("estimate", "lo", "hi"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    wanted = (
        [str(m) for m in pd.unique(frame["metric"].dropna())] if metrics is None else list(metrics)
    )
    if not wanted:
        return _no_data(_figure(7.5, 3.5), title, "no metrics")
    baselines = [str(b) for b in pd.unique(frame["baseline"].dropna())]
    if len(baselines) == 1:
        title = f"Paired differences against {baselines[0]} (with confidence intervals)"
    conditions = _conditions(frame)
    colours = {c: _colour(i + 1) for i, c in enumerate(conditions)}

    # The columns read, as arrays, and each panel's rows by position: a mask over the whole
    # frame per panel (twice) was a tenth of the figure's time.
    metric_of = frame["metric"].to_numpy()
    numbers_of = frame[["estimate", "lo", "hi"]].to_numpy(dtype=float)
    condition_of = frame["condition"].astype(str).to_numpy()
    baseline_of = frame["baseline"].astype(str).to_numpy()
    panel_rows = {m: np.flatnonzero(metric_of == m) for m in wanted}
    heights = [max(len(panel_rows[m]), 1) * 0.42 + 1.1 for m in wanted]
    fig = _figure(8.0, sum(heights) + 0.7)
    axes = fig.subplots(len(wanted), 1, squeeze=False, height_ratios=heights)[:, 0]
    for ax, metric in zip(axes, wanted, strict=True):
        rows = panel_rows[metric]
        ax.axvline(0.0, color="0.3", lw=1, ls="--", zorder=1)
        ax.set_title(_pretty(metric), loc="left", fontsize="medium", fontweight="bold", y=_TITLE_Y)
        ax.set_xlabel(f"difference in {_pretty(metric).lower()} (condition − baseline)")
        if not len(rows):
            ax.text(0.5, 0.5, "no estimate", ha="center", va="center", transform=ax.transAxes)
            ax.set_yticks([])
            continue
        ys = np.arange(len(rows))[::-1].astype(float)
        # Columns as typed arrays: a row of itertuples has no column types.
        values = numbers_of[rows]
        est, lo, hi = values.T
        conds = condition_of[rows]
        bases = baseline_of[rows]
        labels = [
            c if len(baselines) == 1 else f"{c} − {b}" for c, b in zip(conds, bases, strict=True)
        ]
        numbers = [
            "n/a"
            if math.isnan(e)
            else f"{e:.3g}" + ("" if math.isnan(a) or math.isnan(b) else f" [{a:.3g}, {b:.3g}]")
            for e, a, b in zip(est, lo, hi, strict=True)
        ]
        for y in ys[np.isnan(est)]:
            ax.text(0.0, y, "  n/a", va="center", color="0.4")
        # One errorbar call per colour, not one per row: each call makes several artists.
        left = np.where(np.isnan(lo), 0.0, np.maximum(est - lo, 0.0))
        right = np.where(np.isnan(hi), 0.0, np.maximum(hi - est, 0.0))
        colour_of = np.array([colours.get(c, PALETTE["blue"]) for c in conds], dtype=object)
        drawn = ~np.isnan(est)
        for colour in dict.fromkeys(colour_of[drawn]):
            mine = drawn & (colour_of == colour)
            ax.errorbar(
                est[mine],
                ys[mine],
                xerr=[left[mine], right[mine]],
                fmt="o",
                color=colour,
                ecolor=colour,
                elinewidth=2,
                capsize=4,
                markersize=6,
                zorder=3,
            )
        ax.set_yticks(ys, labels=labels)
        ax.set_ylim(-0.7, len(rows) - 0.3)
        # The numbers on the right, where a secondary y axis put them as its tick labels (3.5 pt
        # out, small): that was a second Axes per panel, with its own ticks to lay out and draw.
        for y, text in zip(ys, numbers, strict=True):
            ax.annotate(
                text,
                (1.0, y),
                xycoords=("axes fraction", "data"),
                xytext=(3.5, 0.0),
                textcoords="offset points",
                ha="left",
                va="center_baseline",
                fontsize="small",
                annotation_clip=False,
            )
        finite = values[np.isfinite(values)]
        span = np.concatenate([finite, [0.0]])
        pad = max(float(span.max() - span.min()) * 0.08, 1e-9)
        ax.set_xlim(float(span.min()) - pad, float(span.max()) + pad)
        # At most about five ticks a panel (matplotlib's default makes up to eleven, each a set
        # of artists to lay out and draw in each of ten panels: a fifth of the figure's time).
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
        _fix_ticks(ax.xaxis)
        ax.grid(axis="x", color="0.9", lw=0.8)
        ax.set_axisbelow(True)
    fig.suptitle(title)
    return fig


# -- 4. channel network --------------------------------------------------------------------------
def _arc_midpoint(
    a: tuple[float, float], b: tuple[float, float], rad: float
) -> tuple[float, float]:
    """Midpoint of matplotlib's ``arc3`` curve from ``a`` to ``b`` (equal aspect)."""
    (x1, y1), (x2, y2) = a, b
    dx, dy = x2 - x1, y2 - y1
    return (x1 + x2) / 2 + 0.5 * rad * dy, (y1 + y2) / 2 - 0.5 * rad * dx


def _positions(powers: list[str], thirds: list[str]) -> dict[str, tuple[float, float]]:
    """Fixed layout on the unit circle: powers left and right, third parties above and below."""
    pos: dict[str, tuple[float, float]] = {}
    for node, x in zip(powers[:2], (-1.0, 1.0), strict=False):
        pos[node] = (x, 0.0)
    for i, node in enumerate(powers[2:]):  # not in a valid scenario (exactly two powers)
        pos[node] = (0.0, -0.15 * (i + 1))
    upper, lower = thirds[: math.ceil(len(thirds) / 2)], thirds[math.ceil(len(thirds) / 2) :]
    for row, sign in ((upper, 1.0), (lower, -1.0)):
        for i, node in enumerate(row):
            angle = math.pi * (i + 1) / (len(row) + 1)
            pos[node] = (-math.cos(angle), sign * math.sin(angle))
    return pos


@dataclass(frozen=True)
class LiveNetwork:
    """The state of a running crisis, for :func:`channel_network` (the teaching app's view).

    Attributes
    ----------
    round : int
        The round just run.
    rungs : dict
        Actor id -> its true rung now.
    n_rungs : int
        Rungs on the ladder (for the colour scale).
    open : dict
        Channel id -> open now.
    up : dict
        Channel id -> up (open and working) in the round just run.
    """

    round: int
    rungs: Mapping[str, int]
    n_rungs: int
    open: Mapping[str, bool]
    up: Mapping[str, bool]


def _channel_legs(
    order: list[str], private: Sequence[Channel], actors: Mapping[str, Actor]
) -> dict[tuple[str, str], list[tuple[int, bool]]]:
    """The legs of the private channels, grouped by the two actors they link.

    One leg per channel, two for a mediated channel (through its relay ``via``; the first leg
    is labelled, the second not). The groups come in the order of an undirected multigraph's
    edges: by first actor (in ``order``), then in the order in which that actor's links were
    first made; the legs of a group in the order of the channels. This was a networkx
    ``MultiGraph``, whose order this keeps; networkx cost 0.065 s CPU to import for it.

    Parameters
    ----------
    order : list of str
        Actor ids, powers first.
    private : sequence of Channel
        The private channels (each with ``between``, and ``via`` when mediated).
    actors : mapping of str to Actor
        Actor id -> actor (a ``via`` that is not an actor is ignored).

    Returns
    -------
    dict
        ``(actor, actor)`` (in ``order``) -> list of ``(index in private, labelled)``.
    """
    links: dict[str, dict[str, list[tuple[int, bool]]]] = {node: {} for node in order}

    def link(u: str, v: str, leg: tuple[int, bool]) -> None:
        mine, theirs = links.setdefault(u, {}), links.setdefault(v, {})
        if v not in mine:
            mine[v] = theirs[u] = []  # one list, seen from both ends
        mine[v].append(leg)

    for index, channel in enumerate(private):
        a, b = channel.between or ("", "")
        via = channel.via
        if via is not None and via in actors and via not in (a, b):
            link(a, via, (index, True))
            link(via, b, (index, False))
        else:
            link(a, b, (index, True))
    rank = {node: i for i, node in enumerate(links)}
    groups: dict[tuple[str, str], list[tuple[int, bool]]] = {}
    done: set[str] = set()
    for u, others in links.items():
        for v, legs in others.items():
            if v not in done:
                groups[(u, v) if rank[u] <= rank[v] else (v, u)] = list(legs)
        done.add(u)
    return groups


def channel_network(
    scenario: Scenario, live: LiveNetwork | None = None, width: float = 10.0
) -> Figure:
    """The actors and the private dialogue channels between them.

    Actors are nodes on a circle, the two powers at its left and right (larger, dark) and the
    third parties spread over its upper and lower halves (smaller, light). Each non-public
    channel is an edge coloured by its kind, solid when open at round 0 and dashed when closed,
    and thicker when it is less noisy (width ``1 + 5 * (1 - noise)``); parallel channels are
    drawn as separate arcs, each labelled with its id. A mediated channel is drawn in two legs
    through its ``via`` actor. The public channel, which links every actor, is not drawn but
    described under the graph, with the actors' names.

    With ``live`` (a running crisis) the actors are coloured by their rung (green to red), the
    actors a mediated channel runs through or that may mediate are diamonds, and each channel
    shows its state now: solid when open and up, dashed when open but down in the round just
    run, dotted grey when closed.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario. Pass ``with_condition(scenario, name)`` to draw a condition.
    live : LiveNetwork, optional
        The state of a running crisis (default: the scenario at round 0).
    width : float
        Figure width in inches (the height follows).

    Returns
    -------
    matplotlib.figure.Figure
        The channel network.

    Notes
    -----
    The layout is deterministic (fixed positions on a circle, in the scenario's actor order),
    so the same scenario always gives the same picture.
    """
    actors = {a.id: a for a in scenario.actors}
    powers = [a.id for a in scenario.actors if a.role == "power"]
    thirds = [a.id for a in scenario.actors if a.role != "power"]
    order = powers + thirds
    public = [c for c in scenario.channels if c.kind == "public" or c.between is None]
    private = [c for c in scenario.channels if c not in public]
    pos = _positions(powers, thirds)
    # Parallel legs between the same two actors are spread over arcs.
    groups = _channel_legs(order, private, actors)

    fig = _figure(width, width * (0.72 if thirds else 0.46))
    ax = fig.subplots()
    cmap = matplotlib.colormaps["RdYlGn_r"]
    rung_norm = matplotlib.colors.Normalize(0, max((live.n_rungs if live else 2) - 1, 1))
    relays = {c.via for c in private if c.via} | {a.id for a in scenario.actors if a.may_mediate}
    ax.set_aspect("equal")
    size = {"power": 2600.0, "third_party": 1100.0}
    for (u, v), members in groups.items():
        k = len(members)
        step = 0.0 if k == 1 else min(0.12, 1.2 / (k - 1))
        # Legs to or from a third party bow outward, away from the channels between the powers.
        base = 0.0
        if actors[u].role != "power" or actors[v].role != "power":
            (x1, y1), (x2, y2) = pos[u], pos[v]
            outward = (x1 + x2) * (y2 - y1) - (y1 + y2) * (x2 - x1)
            base = 0.2 * (1.0 if outward >= 0 else -1.0)
        rads = [base + step * (i - (k - 1) / 2) for i in range(k)]
        for rad, (c, label) in zip(rads, members, strict=True):
            channel = private[c]
            start, end = pos[u], pos[v]
            colour = _KIND_COLOURS.get(channel.kind, PALETTE["black"])
            is_open = bool(live.open[channel.id]) if live else bool(channel.open)
            style: str | tuple[int, tuple[int, int]] = "-" if is_open else (0, (4, 3))
            if live is not None and not is_open:
                colour, style = "0.6", (0, (1, 2))
            elif live is not None and not live.up[channel.id]:
                style = (0, (4, 3))
            patch = FancyArrowPatch(
                start,
                end,
                arrowstyle="-",
                connectionstyle=f"arc3,rad={rad}",
                color=colour,
                linewidth=1.0 + 5.0 * (1.0 - float(channel.noise)),
                linestyle=style,
                shrinkA=math.sqrt(size.get(actors[u].role, 1100.0)) / 2,
                shrinkB=math.sqrt(size.get(actors[v].role, 1100.0)) / 2,
                zorder=1,
            )
            ax.add_patch(patch)
            if label:
                mx, my = _arc_midpoint(start, end, rad)
                text = channel.id if channel.via is None else f"{channel.id} (via {channel.via})"
                if live is not None and not is_open:
                    text += " (closed)"
                ax.text(
                    mx,
                    my,
                    text,
                    ha="center",
                    va="center",
                    fontsize="small",
                    color="0.15",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": colour, "lw": 0.8},
                    zorder=2,
                )

    for role, fill, text_colour in (
        ("power", PALETTE["blue"], "white"),
        ("third_party", PALETTE["sky"], "black"),
    ):
        nodes = [n for n in order if actors[n].role == role]
        if not nodes:
            continue
        if live is None:  # one marker style and colour per role: one collection of nodes
            ax.scatter(
                [pos[n][0] for n in nodes],
                [pos[n][1] for n in nodes],
                s=size[role],
                c=fill,
                marker="o",
                edgecolors="black",
                linewidths=1,
                zorder=3,
            )
        for n in nodes:
            if live is not None:
                ax.scatter(
                    [pos[n][0]],
                    [pos[n][1]],
                    s=size[role],
                    c=[cmap(rung_norm(live.rungs[n]))],
                    marker="D" if n in relays else "o",
                    edgecolors="black",
                    linewidths=2.5 if n in relays else 1,
                    zorder=3,
                )
            ax.text(
                *pos[n],
                n,
                ha="center",
                va="center",
                color="black" if live else text_colour,
                fontsize="medium" if role == "power" else "small",
                fontweight="bold",
                zorder=4,
            )
    if not private:
        ax.text(
            0.5,
            0.62,
            "no private channels: the actors communicate only in public",
            ha="center",
            transform=ax.transAxes,
            color="0.3",
        )

    reach = 1.0 if thirds else 0.35
    ax.set_xlim(-1.35, 1.35)
    ax.set_ylim(-reach - 0.3, reach + 0.3)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)

    if public:
        notes = "; ".join(f"'{c.id}' (noise {c.noise:.2f})" for c in public)
        caption = f"Public channel {notes} links every actor (not drawn)."
    else:
        caption = "No public channel."
    if live is None:
        caption += " Edge width grows as channel noise falls; dashed = closed at round 0."
    else:
        caption += (
            f" Round {live.round}: solid = open, dashed = open but down this round, dotted grey"
            " = closed; actors coloured by rung, diamonds may mediate or relay."
        )
    names = "; ".join(f"{a.id} = {a.name}" for a in scenario.actors)
    wrap = int(110 * width / 10.0)
    ax.set_xlabel(
        textwrap.fill(caption, wrap) + "\n" + textwrap.fill(names, wrap), fontsize="small"
    )

    kinds = list(dict.fromkeys(c.kind for c in private))
    handles: list[Line2D] = [
        Line2D([], [], color=_KIND_COLOURS.get(k, PALETTE["black"]), lw=3, label=k) for k in kinds
    ]
    handles += [
        Line2D([], [], color="0.3", lw=2, ls="-", label="open"),
        Line2D([], [], color="0.3", lw=2, ls=(0, (4, 3)), label="closed" if not live else "down"),
        *([Line2D([], [], color="0.6", lw=2, ls=(0, (1, 2)), label="closed")] if live else []),
        Line2D([], [], ls="", marker="o", ms=14, mfc=PALETTE["blue"], mec="k", label="power"),
    ]
    if thirds:
        handles.append(
            Line2D(
                [], [], ls="", marker="o", ms=9, mfc=PALETTE["sky"], mec="k", label="third party"
            )
        )
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        title="channel kind / state",
        borderaxespad=0.0,
    )
    if live is not None:
        fig.colorbar(
            matplotlib.cm.ScalarMappable(norm=rung_norm, cmap=cmap),
            ax=ax,
            label="rung",
            shrink=0.6,
            location="left",
        )
        fig.suptitle(f"Dialogue channels, round {live.round}")
    else:
        fig.suptitle(textwrap.fill(f"Dialogue channels: {scenario.name}", 90))
    return fig


# -- 5. escalation causes ------------------------------------------------------------------------
def escalation_causes(
    events: pd.DataFrame,
    replications: Mapping[str, int] | None = None,
    total: Mapping[str, int] | None = None,
) -> Figure:
    """Escalation steps per run, by cause, per condition (stacked bars).

    Each bar is a condition; its segments are the mean number of escalation steps per run that
    were deliberate, miscalculated (the actor would not have climbed with perfect information),
    accidents (implementation errors) or due to third parties; the total is written on top.
    Every actor's steps count, third parties' included.

    Parameters
    ----------
    events : pandas.DataFrame
        Concatenated ``events`` frames: columns ``condition``, ``replication``, ``kind`` and
        ``cause`` at least.
    replications : mapping of str to int, optional
        Condition -> number of runs to divide by. By default, the number of distinct
        replications of the condition present in ``events`` (every run logs at least its end,
        so this is exact for complete event logs). Conditions in the mapping with no event are
        drawn with empty bars.
    total : mapping of str to int, optional
        Condition -> replications in the run, when the events are those of the first
        ``replications`` only (``--keep``): the labels say "first 200 of 300 runs, kept by --keep".

    Returns
    -------
    matplotlib.figure.Figure
        The stacked bar chart.
    """
    title = "Escalation steps per run, by cause"
    if events.empty and not replications:
        return _no_data(_figure(7.0, 4.5), title, "no events")
    if not events.empty:
        _require(events, ("condition", "replication", "kind", "cause"), "events")
    conditions = _conditions(events) if not events.empty else []
    conditions += [str(c) for c in (replications or {}) if str(c) not in conditions]
    if replications is not None:
        runs = {c: int(replications.get(c, 0)) for c in conditions}
    else:
        counted = events.groupby("condition")["replication"].nunique()
        runs = {str(c): int(n) for c, n in counted.items()}

    steps = events[events["kind"] == "escalation"] if not events.empty else events
    causes = (
        steps["cause"].where(steps["cause"].isin(CAUSES), "other")
        if not steps.empty
        else pd.Series(dtype=object)
    )
    counts = (
        pd.crosstab(steps["condition"], causes)
        if not steps.empty
        else pd.DataFrame(index=pd.Index([], name="condition"))
    )
    columns = [c for c in (*CAUSES, "other") if c in counts.columns or c in CAUSES]
    counts = counts.reindex(index=conditions, columns=columns, fill_value=0).fillna(0)
    divisor = np.array([runs.get(c, 0) for c in conditions], dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_run = counts.to_numpy(dtype=float) / divisor[:, None]
    per_run = np.where(np.isfinite(per_run), per_run, 0.0)

    fig = _figure(max(5.5, 1.4 * len(conditions) + 3.5), 4.8)
    ax = fig.subplots()
    x = np.arange(len(conditions))
    bottom = np.zeros(len(conditions))
    for j, cause in enumerate(columns):
        ax.bar(
            x,
            per_run[:, j],
            bottom=bottom,
            width=0.6,
            color=_CAUSE_COLOURS[cause],
            edgecolor="white",
            lw=0.8,
            label=cause.replace("_", " "),
        )
        bottom += per_run[:, j]
    for xi, height in zip(x, bottom, strict=True):
        ax.text(float(xi), height, f"{height:.3g}", ha="center", va="bottom", fontsize="small")
    if not bottom.any():
        ax.text(0.5, 0.6, "no escalation steps", ha="center", transform=ax.transAxes, color="0.3")
    ax.set_xticks(
        x,
        labels=[
            f"{c}\n({_runs(int(n), (total or {}).get(c))})"
            for c, n in zip(conditions, divisor, strict=True)
        ],
    )
    top = float(bottom.max()) if len(bottom) else 0.0
    ax.set_ylim(0, max(top * 1.15, 1.0))
    ax.set_xlim(-0.7, len(conditions) - 0.3)
    ax.set_xlabel("condition")
    ax.set_ylabel("escalation steps per run")
    ax.grid(axis="y", color="0.9", lw=0.8)
    ax.set_axisbelow(True)
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles[::-1], labels[::-1], loc="outside right upper", title="cause")
    ax.set_title(title, y=_TITLE_Y)
    return fig


# -- 6. saving -----------------------------------------------------------------------------------
def _print_png(fig: Figure, handle: BinaryIO) -> None:
    """Write ``fig`` to ``handle`` as a PNG (150 dpi, zlib level 3), laid out once, drawn once.

    Given a figure with a layout engine, ``savefig`` draws it twice: once with drawing turned
    off, to run the layout (a "dry" draw that still walks every artist), then for real with the
    layout engine off. The layout needs only the engine's own pass, at the saving dpi: this runs
    it as ``Figure.draw`` does (a ``ValueError`` from it is ignored, as there), removes the
    engine so that ``savefig`` draws once, then puts the engine and the dpi back (a run's five
    figures: about a tenth less time). ``savefig`` gives the pixels, :func:`_write_png` writes
    them (a third less time than Pillow's encoder). The pixels are those of ``savefig``'s own
    PNG (tests/test_perf_figures.py). With ``figure.autolayout`` or
    ``figure.constrained_layout.use`` set, a figure cannot be left without an engine, and with
    ``savefig.bbox: tight`` the saved image is cropped from the figure: ``savefig`` then does
    it all as usual.
    """
    if (
        matplotlib.rcParams["figure.autolayout"]
        or matplotlib.rcParams["figure.constrained_layout.use"]
        or matplotlib.rcParams["savefig.bbox"] == "tight"
    ):
        fig.savefig(
            handle,
            format="png",
            dpi=_PNG_DPI,
            pil_kwargs={"compress_level": _PNG_COMPRESS_LEVEL},
        )
        return
    engine = fig.get_layout_engine()
    lay_out = engine is not None and bool(fig.axes)  # Figure.draw: no axes, no layout
    dpi = fig.dpi
    raw = io.BytesIO()
    try:
        fig.dpi = _PNG_DPI
        if engine is not None and lay_out:  # (lay_out implies an engine; this tells mypy)
            with contextlib.suppress(ValueError):
                engine.execute(fig)
            fig.set_layout_engine(None)
        fig.savefig(raw, format="rgba", dpi=_PNG_DPI)
        width, height = fig.canvas.get_width_height(physical=True)
    finally:
        fig.dpi = dpi
        if lay_out:
            fig.set_layout_engine(engine)
    _write_png(handle, raw.getbuffer(), width, height, _PNG_DPI)


def _write_png(handle: BinaryIO, rgba: memoryview, width: int, height: int, dpi: float) -> None:
    """Write 8-bit RGBA pixels, row by row from the top, to ``handle`` as a PNG.

    The file says what matplotlib's says: the resolution (``pHYs``) and the software
    (``tEXt``). Its rows are not filtered (PNG filter type 0), and the whole image is one
    zlib stream at level 3: Pillow tries each of the five filters on every row, which cost more
    than the compression itself for files no smaller (a run's five figures: 0.107 -> 0.055 s
    CPU to encode, 640 -> 638 kB).
    """
    if len(rgba) != width * height * 4:
        raise ValueError(f"{len(rgba)} bytes are not {width} x {height} RGBA pixels")
    rows = np.zeros((height, width * 4 + 1), dtype=np.uint8)  # each row: filter type 0, pixels
    rows[:, 1:] = np.frombuffer(rgba, dtype=np.uint8).reshape(height, width * 4)

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(body, zlib.crc32(kind))
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    per_metre = int(dpi / 0.0254 + 0.5)  # as Pillow writes matplotlib's dpi
    software = f"Matplotlib version{matplotlib.__version__}, https://matplotlib.org/"
    handle.write(b"\x89PNG\r\n\x1a\n")
    handle.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)))
    handle.write(chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)))
    handle.write(chunk(b"tEXt", b"Software\0" + software.encode("latin-1")))
    handle.write(chunk(b"IDAT", zlib.compress(rows, _PNG_COMPRESS_LEVEL)))
    handle.write(chunk(b"IEND", b""))


def save_figure(fig: Figure, path: str | os.PathLike[str]) -> Path:
    """Write ``fig`` to ``path`` as a PNG (150 dpi, zlib level 3), atomically.

    The image is written to a temporary file in the destination directory and moved over the
    destination with :func:`os.replace`, so a reader sees either the old file or the complete
    new one, never a partial file; on any error the temporary file is removed. The directory is
    created if needed. The file gets the usual permissions (``0o666`` less the umask).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    path : str or os.PathLike
        Destination file (an existing file is replaced).

    Returns
    -------
    pathlib.Path
        The destination path.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(
        temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            _print_png(fig, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


def _tick(value: object) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, (int, float, np.number)) else str(value)


def _is_share(metric: str) -> bool:
    """Whether ``metric`` is a probability or a share, between 0 and 1 (``p_war``, ``*_rate``)."""
    return metric.startswith("p_") or metric.endswith("_rate")


def sweep_heatmap(rows: pd.DataFrame, x: str, y: str, metric: str, title: str = "") -> Figure:
    """A metric over two varied fields of a grid sweep: one cell per point, CI in each cell.

    ``rows`` are the sweep table's rows of one metric (``escalsim.experiment.sweep.point_table``).
    """
    _require(rows, [x, y, "estimate", "lo", "hi"], "sweep_heatmap")
    xs = sorted(rows[x].unique())
    ys = sorted(rows[y].unique())
    grid = np.full((len(ys), len(xs)), np.nan)
    text = [["" for _ in xs] for _ in ys]
    for _, row in rows.iterrows():
        i, j = ys.index(row[y]), xs.index(row[x])
        grid[i, j] = row["estimate"]
        text[i][j] = f"{row['estimate']:.2f}\n[{row['lo']:.2f}, {row['hi']:.2f}]"
    fig = _figure(1.2 + 1.1 * len(xs), 1.2 + 0.8 * len(ys))
    ax = fig.add_subplot()
    # A share is drawn on its whole range, 0 to 1: scaled to the data, a 0.02 difference between
    # points whose CIs overlap filled the colour scale and looked stark. Other metrics have no
    # natural range; their scale is the data's, and the label says so. Each cell shows its CI.
    if _is_share(metric):
        low, high, scale = 0.0, 1.0, "colour scale 0 to 1"
    else:
        low, high = float(np.nanmin(grid)), float(np.nanmax(grid))
        scale = f"colour scale: the data's range, {low:.3g} to {high:.3g}"
    image = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis", vmin=low, vmax=high)
    fig.colorbar(image, ax=ax, label=f"{_pretty(metric)}\n({scale}; 95% CI in each cell)")
    middle = (low + high) / 2
    for i in range(len(ys)):
        for j in range(len(xs)):
            if text[i][j]:
                value = grid[i, j]
                light = np.isfinite(value) and value < middle
                ax.text(
                    j,
                    i,
                    text[i][j],
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if light else "black",
                )
    ax.set_xticks(range(len(xs)), [_tick(v) for v in xs])
    ax.set_yticks(range(len(ys)), [_tick(v) for v in ys])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(title or _pretty(metric), fontsize=9)
    return fig


def sweep_lines(
    rows: pd.DataFrame, x: str, metric: str, title: str = "", *, connect: bool = True
) -> Figure:
    """A metric against one varied field, with its 95% CI (other fields: one line each).

    ``connect=False`` (points off a grid) draws each point with its CI as an error bar.
    """
    _require(rows, [x, "estimate", "lo", "hi"], "sweep_lines")
    fig = _figure(6.0, 3.8)
    ax = fig.add_subplot()
    others = [
        c
        for c in rows.columns
        if c not in (x, "point", "metric", "kind", "estimate", "lo", "hi", "mc_se", "n")
    ]
    groups = rows.groupby(others, sort=True) if others else [((), rows)]
    for k, (key, group) in enumerate(groups):
        part = group.sort_values(x)
        keys = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{o}={v}" for o, v in zip(others, keys, strict=False))
        colour = _colour(k)
        if connect:
            ax.plot(part[x], part["estimate"], marker="o", color=colour, label=label or None)
            ax.fill_between(part[x], part["lo"], part["hi"], color=colour, alpha=0.2, linewidth=0)
        else:
            error = [part["estimate"] - part["lo"], part["hi"] - part["estimate"]]
            ax.errorbar(part[x], part["estimate"], yerr=error, fmt="o", color=colour, ms=3)
    ax.set_xlabel(x)
    ax.set_ylabel(_pretty(metric))
    if others and len(groups) <= 8:
        ax.legend(fontsize=7)
    ax.set_title(title or _pretty(metric), fontsize=9)
    return fig


def sensitivity_bars(indices: pd.DataFrame, title: str = "") -> Figure:
    """Sensitivity indices of one metric per varied field, with their CIs as error bars.

    ``indices``: rows of :func:`escalsim.experiment.sweep.sensitivity` for one metric.
    """
    _require(indices, ["field", "index", "estimate", "lo", "hi"], "sensitivity_bars")
    fields = list(dict.fromkeys(indices["field"]))
    kinds = list(dict.fromkeys(indices["index"]))
    fig = _figure(1.5 + 1.2 * len(fields) * len(kinds) / 2, 3.6)
    ax = fig.add_subplot()
    width = 0.8 / len(kinds)
    for k, kind in enumerate(kinds):
        part = indices[indices["index"] == kind].set_index("field").loc[fields]
        xs = np.arange(len(fields)) + (k - (len(kinds) - 1) / 2) * width
        error = np.array([part["estimate"] - part["lo"], part["hi"] - part["estimate"]])
        error = np.where(np.isfinite(error), error, 0.0)
        ax.bar(xs, part["estimate"], width, yerr=error, color=_colour(k), label=kind, capsize=3)
    ax.set_xticks(range(len(fields)), fields, rotation=15, fontsize=7)
    ax.axhline(0.0, color="grey", linewidth=0.5)
    ax.legend(fontsize=7)
    metric = str(indices["metric"].iloc[0]) if "metric" in indices and len(indices) else ""
    ax.set_ylabel(f"index of {_pretty(metric)}" if metric else "index")
    ax.set_title(title, fontsize=9)
    return fig


def sensitivity_figure(
    indices: pd.DataFrame, effects: pd.DataFrame, request: dict[str, Any]
) -> Figure:
    """The channel effect's sensitivity: indices per group (top), effects per point (bottom).

    One column per metric. Top: Morris μ* per group with its bootstrap CI as error bars and σ
    as dots (or Sobol' ST), groups sorted by it. Bottom: the paired effect at every design
    point, sorted, with its 95% CI; points whose CI excludes 0 in colour, the baseline effect
    as a line. ``indices``, ``effects`` and ``request`` are those of
    :mod:`escalsim.experiment.sensitivity` (``sensitivity.csv``, ``points.csv`` and the
    manifest's request).
    """
    _require(indices, ["metric", "group", "index", "estimate", "lo", "hi"], "sensitivity_figure")
    _require(effects, ["point", "metric", "estimate", "lo", "hi", "excludes_zero"], "effects")
    metrics = list(dict.fromkeys(effects["metric"]))
    fig = _figure(4.6 * max(len(metrics), 1), 8.5)
    axes = fig.subplots(2, max(len(metrics), 1), squeeze=False)
    main = "mu_star" if request["sampler"] == "morris" else "ST"
    for k, metric in enumerate(metrics):
        ax = axes[0][k]
        rows = indices[(indices["metric"] == metric) & (indices["index"] == main)]
        rows = rows.sort_values("estimate")
        error = np.array([rows["estimate"] - rows["lo"], rows["hi"] - rows["estimate"]])
        error = np.where(np.isfinite(error), error, 0.0).clip(min=0.0)
        ax.barh(rows["group"], rows["estimate"], xerr=error, color=_colour(0), capsize=2)
        if main == "mu_star":
            sigma = indices[(indices["metric"] == metric) & (indices["index"] == "sigma")]
            sigma = sigma.set_index("group").reindex(rows["group"])
            ax.plot(sigma["estimate"], rows["group"], "o", color=_colour(1), label="σ")
            ax.legend(loc="lower right", fontsize=8)
        ax.set_title(
            f"{_pretty(metric)}: {'μ*' if main == 'mu_star' else 'total-order ST'}", fontsize=10
        )
        ax.tick_params(labelsize=8)
        ax = axes[1][k]
        sub = effects[effects["metric"] == metric].sort_values("estimate", kind="stable")
        design = sub[sub["point"] >= 0]
        xs = np.arange(len(design))
        ax.errorbar(
            xs,
            design["estimate"],
            yerr=np.array(
                [design["estimate"] - design["lo"], design["hi"] - design["estimate"]]
            ).clip(min=0.0),
            fmt="none",
            ecolor="#cccccc",
            lw=0.8,
        )
        resolved = design["excludes_zero"].to_numpy(dtype=bool)
        colours = np.where(resolved, _colour(0), "#bbbbbb")
        ax.scatter(xs, design["estimate"], c=list(colours), s=10, zorder=3)
        base = sub[sub["point"] == -1]
        if not base.empty:
            ax.axhline(float(base["estimate"].iloc[0]), color=_colour(2), lw=1, label="baseline")
            ax.legend(loc="upper left", fontsize=8)
        ax.axhline(0.0, color="black", lw=0.6)
        ax.set_title(f"{_pretty(metric)}: effect at each point (sorted)", fontsize=10)
        ax.set_xlabel("design point (coloured: CI excludes 0)", fontsize=8)
        ax.tick_params(labelsize=8)
    fig.suptitle(
        f"{request['scenario_id']}: {request['closed']} − {request['open']}, "
        f"{request['sampler']}, {len(request['unit'])} points × {request['replications']} "
        "paired replications",
        fontsize=11,
    )
    return fig


def prim_figure(found: dict[str, pd.DataFrame], title: str = "") -> Figure:
    """Scenario discovery: PRIM's coverage-density trade-off, and the box over the points.

    ``found``: the result of :func:`escalsim.experiment.sweep.discover`.
    """
    trajectory, box, points = found["trajectory"], found["box"], found["points"]
    condition = str(found["condition"]["condition"].iloc[0])
    fields = list(box["field"])
    shown = [f for f in box.sort_values("restricted", ascending=False)["field"]][:2]
    fig = _figure(10.0, 4.0)
    left = fig.add_subplot(1, 2, 1)
    dots = left.scatter(
        trajectory["coverage"], trajectory["density"], c=trajectory["res_dim"], cmap="viridis", s=18
    )
    fig.colorbar(dots, ax=left, label="fields restricted")
    pick = trajectory[trajectory["chosen"]]
    left.scatter(pick["coverage"], pick["density"], s=120, facecolors="none", edgecolors="red")
    left.set_xlabel("coverage")
    left.set_ylabel("density")
    left.set_title(f"PRIM peeling trajectory: {condition}", fontsize=9)
    right = fig.add_subplot(1, 2, 2)
    holds = points["holds"].to_numpy()
    x = points[shown[0]].astype(float)
    y = points[shown[1]].astype(float) if len(shown) > 1 else np.zeros(len(points))
    right.scatter(x[~holds], y[~holds], s=12, color="#bbbbbb", label="does not hold")
    right.scatter(x[holds], y[holds], s=12, color=_colour(1), label="holds")
    lims = box.set_index("field")
    x0, x1 = float(lims.loc[shown[0], "min"]), float(lims.loc[shown[0], "max"])
    if len(shown) > 1:
        y0, y1 = float(lims.loc[shown[1], "min"]), float(lims.loc[shown[1], "max"])
    else:
        y0, y1 = -0.5, 0.5
    right.add_patch(
        matplotlib.patches.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, color="red")
    )
    right.set_xlabel(shown[0])
    right.set_ylabel(shown[1] if len(shown) > 1 else "")
    right.legend(fontsize=7)
    right.set_title(title or f"box over {len(fields)} fields", fontsize=9)
    return fig


def calibration_figure(shares: pd.DataFrame, title: str = "", *, note: str = "") -> Figure:
    """Simulated against observed shares by level: grouped bars with 95% intervals.

    ``shares`` has one row per level (:meth:`escalsim.calibration.Fit.share_table`): ``level``,
    ``label``, ``observed``, ``simulated``, ``lo`` and ``hi`` (the simulated share's interval),
    and optionally ``observed_lo`` and ``observed_hi`` (the observed share's, drawn when
    finite). A level the target does not have is drawn with an observed share of 0.
    ``note`` goes under the axis (e.g. the TVD and the number of runs).
    """
    _require(shares, ["level", "label", "observed", "simulated", "lo", "hi"], "calibration_figure")
    fig = _figure(7.0, 4.2)
    if shares.empty:
        return _no_data(fig, title or "Calibration", "no levels to compare")
    rows = shares.sort_values("level")
    ax = fig.add_subplot()
    xs = np.arange(len(rows))
    width = 0.38
    observed = rows["observed"].to_numpy(dtype=float)
    simulated = rows["simulated"].to_numpy(dtype=float)
    error = np.array(
        [simulated - rows["lo"].to_numpy(float), rows["hi"].to_numpy(float) - simulated]
    )
    observed_error = None
    if {"observed_lo", "observed_hi"} <= set(rows.columns):
        lo, hi = rows["observed_lo"].to_numpy(float), rows["observed_hi"].to_numpy(float)
        if np.isfinite(lo).all() and np.isfinite(hi).all():
            observed_error = np.array([observed - lo, hi - observed])
    ax.bar(
        xs - width / 2,
        observed,
        width,
        yerr=observed_error,
        capsize=3,
        color=PALETTE["grey"],
        label="observed" if observed_error is None else "observed (95% CI)",
    )
    ax.bar(
        xs + width / 2,
        simulated,
        width,
        yerr=np.maximum(error, 0.0),
        capsize=3,
        color=PALETTE["blue"],
        label="simulated (95% CI)",
    )
    observed_top = observed if observed_error is None else observed + observed_error[1]
    simulated_top = rows["hi"].to_numpy(float)
    for x, o, s, o_top, s_top in zip(
        xs, observed, simulated, observed_top, simulated_top, strict=True
    ):
        ax.text(x - width / 2, o_top, f"{o:.3f}\n", ha="center", va="bottom", fontsize=7)
        ax.text(x + width / 2, s_top, f"{s:.3f}\n", ha="center", va="bottom", fontsize=7)
    labels = [
        "\n".join(textwrap.wrap(f"{int(lv)} {lab}", 16))
        for lv, lab in zip(rows["level"], rows["label"], strict=True)
    ]
    ax.set_xticks(xs, labels, fontsize=8)
    ax.set_ylabel("share")
    ax.set_ylim(0.0, max(1e-9, float(np.nanmax([observed.max(), rows["hi"].max()]))) * 1.15)
    ax.legend(fontsize=8, loc="upper left")
    ax.set_axisbelow(True)
    ax.grid(axis="y", color="0.9")
    if note:
        ax.set_xlabel(note, fontsize=8)
    ax.set_title(title or "Simulated against observed shares", fontsize=9)
    return fig
