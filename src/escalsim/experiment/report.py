"""Human-readable reports of a run: the rich table and the warnings about unresolved effects."""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console
from rich.table import Table


def _cell(estimate: float, lo: float, hi: float, digits: int = 3) -> str:
    if estimate is None or (isinstance(estimate, float) and math.isnan(estimate)):
        return "—"
    if lo is None or (isinstance(lo, float) and math.isnan(lo)):
        return f"{estimate:.{digits}f}"
    return f"{estimate:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


#: Rows of the default table (``--all-metrics`` shows every metric).
TABLE_METRICS = (
    "p_war",
    "p_war_attributable",
    "p_war_misperception",
    "p_war_private_information",
    "p_war_residual",
    "p_war_direct",
    "p_war_any",
    "p_war_any_misperception",
    "p_war_any_private_information",
    "p_war_any_residual",
    "p_nuclear",
    "p_nuclear_misperception",
    "p_nuclear_private_information",
    "p_nuclear_residual",
    "p_strategic",
    "p_exchange_given_nuclear",
    "mean_assumed_exchange",
    "p_ceasefire",
    "mean_war_rounds_direct",
    "mean_war_rounds_any",
    "spillovers_per_run",
    "spillovers_explained_per_run",
    "spillovers_misattributed_per_run",
    "p_settlement",
    "p_capitulation_a",
    "p_capitulation_b",
    "p_unresolved",
    "mean_peak_rung",
    "miscalculation_rate",
    "miscalculated_escalations_per_run",
    "perception_error_rate",
    "final_trust",
    "polarisation",
)


def render_table(
    results: Any, console: Console | None = None, *, all_metrics: bool = False
) -> None:
    """Print the summary and the paired differences as two tables on stdout.

    Wide enough for every condition's column unwrapped (a cell is at most 35 characters): the
    terminal's width, at least 110, more where the conditions need it.
    """
    summary = results.summary()
    if not all_metrics:
        summary = summary[summary["metric"].isin(TABLE_METRICS)]
    conditions = list(dict.fromkeys(summary["condition"]))
    console = console or Console(
        highlight=False, width=max(110, Console().width, 38 + 36 * len(conditions))
    )
    m = results.manifest
    title = (
        f"{results.scenario.id}: {m.get('replications')} "
        f"replication{'' if m.get('replications') == 1 else 's'} per condition, "
        f"seed {m.get('seed')} (95% CI; Monte Carlo SE in parentheses)"
    )
    table = Table(title=title, title_justify="left")
    table.add_column("metric", style="bold", no_wrap=True)
    for c in conditions:
        table.add_column(c, justify="right")
    for metric, rows in summary.groupby("metric", sort=False):
        cells = []
        for c in conditions:
            row = rows[rows["condition"] == c].iloc[0]
            cells.append(f"{_cell(row.estimate, row.lo, row.hi)} ({row.mc_se:.3f})")
        table.add_row(str(metric), *cells)
    console.print(table)
    if len(conditions) < 2:
        return
    diffs = results.compare()
    if not all_metrics:
        diffs = diffs[diffs["metric"].isin(TABLE_METRICS)]
    others = [c for c in conditions if c != results.baseline]
    table = Table(
        title=f"Paired differences against {results.baseline} (95% CI)", title_justify="left"
    )
    table.add_column("metric", style="bold", no_wrap=True)
    for c in others:
        table.add_column(f"{c} − {results.baseline}", justify="right")
    for metric, rows in diffs.groupby("metric", sort=False):
        cells = []
        for c in others:
            row = rows[rows["condition"] == c].iloc[0]
            mark = "" if row.resolved else " ~"
            cells.append(_cell(row.estimate, row.lo, row.hi) + mark)
        table.add_row(str(metric), *cells)
    console.print(table)
    console.print("~ the CI includes 0: not resolved at this number of replications")
    if getattr(results, "paths", None) is not None:
        render_paths(results.paths, results.manifest["paths"], console)


#: How the paths table names the terms of a decomposition.
_TERM_LABELS = {
    "perception": "perception",
    "messages_and_offers": "messages and offers",
    "agreements": "agreements",
    "interaction": "interaction (shared)",
    "total": "total (the difference)",
}


def render_paths(table: Any, pair: dict[str, Any], console: Console | None = None) -> None:
    """Print a Shapley paths table (docs/decision-v2.md §8) under the condition tables.

    ``table`` is a decomposition's table (``Results.paths``), ``pair`` the manifest's
    ``paths`` entry (base, other, runs, replications). One row per term: the three paths'
    shares, which add up to the total, the condition difference; the interaction is what the
    paths do together beyond switching each alone, already shared out among them.
    """
    from escalsim.experiment.stats import METRICS

    console = console or Console(highlight=False, width=max(110, Console().width))
    n = pair["replications"]
    out = Table(
        title=(
            f"Shapley paths of {pair['other']} − {pair['base']}: {pair['runs']} runs of "
            f"{n:,} replication{'' if n == 1 else 's'} (common random numbers; 95% CI)"
        ),
        title_justify="left",
    )
    out.add_column("path", style="bold", no_wrap=True)
    metrics = list(dict.fromkeys(table["metric"]))
    for m in metrics:
        head = f"ΔP({m.removeprefix('p_')})" if METRICS[m].kind == "proportion" else f"Δ {m}"
        out.add_column(f"share of {head}\n[95% CI]", justify="right", no_wrap=True)
    for term, label in _TERM_LABELS.items():
        cells = []
        for m in metrics:
            row = table[(table["metric"] == m) & (table["term"] == term)].iloc[0]
            cells.append(_cell(float(row.estimate), float(row.lo), float(row.hi)))
        out.add_row(label, *cells)
    console.print(out)


def unresolved_warnings(results: Any) -> list[str]:
    """One line per key-metric difference whose CI is wider than the difference itself."""
    if results.runs["condition"].nunique() < 2:
        return []
    from escalsim.experiment.results import KEY_METRICS

    lines = []
    n = results.manifest.get("replications")
    for row in results.compare().itertuples():
        if row.metric not in KEY_METRICS:
            continue
        needed = row.replications_needed
        if needed is None or (isinstance(needed, float) and math.isnan(needed)):
            continue
        lines.append(
            f"{row.metric}: {row.condition} − {row.baseline} = {row.estimate:.3g} has a 95% CI "
            f"wider than itself at {n} replications; about {int(needed):,} would resolve it"
        )
    return lines
