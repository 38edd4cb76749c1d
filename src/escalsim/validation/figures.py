"""Figures of the validation report (object-oriented matplotlib on Agg, no pyplot)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from escalsim.viz.figures import PALETTE


def new_figure(width: float = 6.0, height: float = 3.8) -> Figure:
    """A new figure on its own Agg canvas, with constrained layout."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def share_against_noise(
    title: str,
    curve: Callable[[float], float],
    points: Sequence[tuple[float, float, float, float]],
    *,
    other_curve: Callable[[float], float] | None = None,
    other_label: str = "",
    ylabel: str = "share of mutual restraint (CC)",
) -> Figure:
    """The known answer as a curve of the noise e, and simulated points with 95% CIs.

    ``points`` are ``(e, estimate, lo, hi)``.
    """
    fig = new_figure()
    ax = fig.subplots()
    grid = np.linspace(0.002, 0.2, 200)
    ax.plot(grid, [curve(e) for e in grid], color=PALETTE["blue"], label="known answer")
    if other_curve is not None:
        ax.plot(
            grid,
            [other_curve(e) for e in grid],
            color=PALETTE["grey"],
            linestyle="--",
            label=other_label,
        )
    if points:
        e, est, lo, hi = (np.array(v, dtype=float) for v in zip(*points, strict=True))
        ax.errorbar(
            e,
            est,
            yerr=[est - lo, hi - est],
            fmt="o",
            color=PALETTE["vermillion"],
            capsize=3,
            label="simulated (95% CI)",
        )
    ax.set_xlabel("noise e")
    ax.set_ylabel(ylabel)
    ax.set_ylim(0.0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    ax.set_title(title, fontsize="medium")
    return fig


def paired_bars(
    title: str,
    labels: Sequence[str],
    expected: Sequence[float],
    simulated: Sequence[float],
    lo: Sequence[float],
    hi: Sequence[float],
    *,
    expected_label: str = "known answer",
    extra: Sequence[float] | None = None,
    extra_label: str = "",
    ylabel: str = "share",
) -> Figure:
    """Expected values as bars beside simulated ones with 95% CIs (and optional markers)."""
    fig = new_figure(max(6.0, 0.7 * len(labels) + 2.0), 3.8)
    ax = fig.subplots()
    x = np.arange(len(labels))
    width = 0.38
    ax.bar(x - width / 2, expected, width, color=PALETTE["blue"], label=expected_label)
    sim = np.asarray(simulated, dtype=float)
    ax.bar(x + width / 2, sim, width, color=PALETTE["orange"], label="simulated")
    ax.errorbar(
        x + width / 2,
        sim,
        yerr=[sim - np.asarray(lo), np.asarray(hi) - sim],
        fmt="none",
        color="black",
        capsize=3,
        label="95% CI",
    )
    if extra is not None:
        ax.plot(
            x - width / 2,
            extra,
            linestyle="none",
            marker="x",
            color=PALETTE["vermillion"],
            label=extra_label,
        )
    ax.set_xticks(x, labels, fontsize="small")
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)
    fig.legend(loc="outside lower center", ncols=4, fontsize="small")
    ax.set_title(title, fontsize="medium")
    return fig


def cumulative_against_round(
    title: str,
    rounds: Sequence[int],
    expected: Sequence[float],
    simulated: Sequence[float],
    lo: Sequence[float],
    hi: Sequence[float],
    ylabel: str,
) -> Figure:
    """A cumulative probability by round: the known answer as steps, simulated with a band."""
    fig = new_figure()
    ax = fig.subplots()
    ax.step(rounds, expected, where="post", color=PALETTE["blue"], label="known answer")
    ax.fill_between(rounds, lo, hi, step="post", color=PALETTE["orange"], alpha=0.35)
    ax.step(
        rounds,
        simulated,
        where="post",
        color=PALETTE["vermillion"],
        linestyle="--",
        label="simulated (95% CI band)",
    )
    ax.set_xlabel("round")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    ax.set_title(title, fontsize="medium")
    return fig


def timing_against_record(
    title: str,
    rounds: Sequence[int],
    curves: Sequence[tuple[str, Sequence[float], Sequence[float], Sequence[float]]],
    marks: Sequence[tuple[int, str]],
    *,
    xlabel: str = "round",
    ylabel: str = "P(by round t)",
) -> Figure:
    """Simulated cumulative probabilities by round, with 95% bands, and the record's dates.

    ``curves`` are ``(label, estimate, lo, hi)`` over ``rounds``; ``marks`` are ``(round,
    label)`` of what happened in the record, drawn as vertical lines.
    """
    fig = new_figure()
    ax = fig.subplots()
    colours = [PALETTE["vermillion"], PALETTE["blue"], PALETTE["orange"], PALETTE["grey"]]
    for (label, est, lo, hi), colour in zip(curves, colours * len(curves), strict=False):
        ax.fill_between(rounds, lo, hi, step="post", color=colour, alpha=0.25)
        ax.step(rounds, est, where="post", color=colour, label=f"{label} (95% band)")
    for when, label in marks:
        ax.axvline(when, color="black", linestyle=":", linewidth=1.2)
        ax.annotate(
            label,
            (when, 0.5),
            rotation=90,
            ha="right",
            va="center",
            fontsize="x-small",
            xytext=(-2, 0),
            textcoords="offset points",
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    ax.set_title(title, fontsize="medium")
    return fig
