"""Ensemble statistics: each run metric with its confidence interval, and paired differences.

A Monte Carlo experiment gives a tidy frame ``runs`` with one row per (condition, replication).
Conditions share replication indices and seeds (common random numbers), so a difference between
two conditions is *paired* by ``replication``: it is estimated from per-replication differences,
which cancels the noise the two conditions share (DESIGN.md §2, "Metrics per ensemble").

What this module computes:

- :data:`METRICS`: the stable metric names, each a proportion or a mean of a per-run value;
- :func:`wilson_interval` (Wilson 1927) for proportions, :func:`mean_interval` (Student's t or a
  fixed-seed percentile bootstrap) for means;
- :func:`paired_difference`: Newcombe's (1998) hybrid score interval (method 10) for paired
  proportions, the t interval of the per-replication differences for means;
- :func:`monte_carlo_se` and :func:`replications_to_resolve`: how precise an ensemble is, and how
  many replications would resolve a difference;
- :func:`summary`, :func:`differences` and :func:`to_contract`: the tidy tables and the JSON
  contract of ``escalsim run``.

Every interval is two-sided at level ``confidence`` (0 < confidence < 1); ``z`` and ``t`` below
are the two-sided quantiles ``Φ⁻¹(1 - α/2)`` and ``t⁻¹_{n-1}(1 - α/2)`` with
``α = 1 - confidence``. An interval that cannot be formed (too few runs) has NaN bounds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

Kind = Literal["proportion", "mean"]
Method = Literal["t", "bootstrap"]
FloatArray = NDArray[np.float64]

#: Columns of the :func:`summary` table, in order.
SUMMARY_COLUMNS = ("condition", "metric", "kind", "estimate", "lo", "hi", "mc_se", "n")
#: Columns of the :func:`differences` table, in order.
DIFFERENCE_COLUMNS = (
    "condition",
    "baseline",
    "metric",
    "kind",
    "estimate",
    "lo",
    "hi",
    "n_pairs",
    "resolved",
    "replications_needed",
)


# -- metrics ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OutcomeIs:
    """Predicate on the ``outcome`` column: 1.0 where the run ended in ``value``, else 0.0."""

    value: str

    #: The column the predicate reads.
    source = "outcome"

    def __call__(self, outcome: pd.Series) -> pd.Series:
        """Whether each run's outcome is ``value`` (a missing outcome stays missing)."""
        return outcome.eq(self.value).where(outcome.notna())


@dataclass(frozen=True)
class Metric:
    """One ensemble metric.

    Attributes
    ----------
    name : str
        Stable name, used in tables and in the JSON contract.
    kind : {"proportion", "mean"}
        A proportion is the share of runs whose per-run value is 1 (per-run values are 0 or 1);
        a mean is the average of a real per-run value.
    column : str or OutcomeIs
        How to get the per-run value: a column of ``runs``, or a predicate on ``outcome``.
    description : str
        What the metric means, in one line.
    optional : bool
        ``True`` when the column exists only for some experiments (``war_attributable`` needs the
        perfect-information twins); such a metric is skipped when its column is absent.
    """

    name: str
    kind: Kind
    column: str | OutcomeIs
    description: str
    optional: bool = False

    @property
    def source(self) -> str:
        """The column of ``runs`` this metric reads."""
        return self.column.source if isinstance(self.column, OutcomeIs) else self.column


def _metrics(*items: Metric) -> Mapping[str, Metric]:
    return MappingProxyType({m.name: m for m in items})


#: The three parts of an onset metric's split by the twins (docs/decision-v2.md §7), as the
#: metrics of ``war_any`` and ``nuclear`` name them: (part, kind, meaning).
_SPLIT_PARTS: tuple[tuple[str, Kind, str], ...] = (
    ("misperception", "mean", "minus the perfect-information twin's (misperception)"),
    (
        "private_information",
        "mean",
        "the perfect-information twin's minus the complete-information twin's (private types)",
    ),
    ("residual", "proportion", "the complete-information twin's (information cannot prevent it)"),
)

#: Every ensemble metric, by stable name, in the order tables show them. Read-only.
METRICS: Mapping[str, Metric] = _metrics(
    Metric(
        "p_war",
        "proportion",
        "war",
        "share of runs in which the powers went to war (where wars last: a war began)",
    ),
    Metric("p_nuclear", "proportion", "nuclear", "share of runs that reached nuclear use"),
    # Wars that last (docs/pair-wars.md §8): only where some condition lets a war last.
    Metric(
        "p_ceasefire",
        "proportion",
        "ceasefire",
        "share of runs whose war between the powers ended in a ceasefire (an accepted offer)",
        optional=True,
    ),
    Metric(
        "p_strategic",
        "proportion",
        "strategic",
        "share of runs that ended in a strategic nuclear exchange",
        optional=True,
    ),
    Metric(
        "p_exchange_given_nuclear",
        "proportion",
        "exchange_given_nuclear",
        "share of the runs with nuclear use that ended in a strategic exchange (simulated)",
        optional=True,
    ),
    Metric(
        "mean_assumed_exchange",
        "mean",
        "assumed_exchange",
        "the chance of an exchange before the horizon that the side taking a run's first "
        "nuclear step assumed, averaged over the runs with nuclear use",
        optional=True,
    ),
    Metric(
        "mean_war_rounds_direct",
        "mean",
        "war_rounds_direct",
        "rounds of battle between the powers per run, averaged over runs",
        optional=True,
    ),
    Metric(
        "p_war_attributable",
        "proportion",
        "war_attributable",
        "share of runs with war that their perfect-information twin avoided",
        optional=True,
    ),
    # The three-part split of P(war) (docs/decision-v2.md §7): p_war = p_war_misperception +
    # p_war_private_information + p_war_residual, each a mean of paired per-run differences.
    Metric(
        "p_war_misperception",
        "mean",
        "war_misperception",
        "P(war) minus the perfect-information twin's: war that misperception adds",
        optional=True,
    ),
    Metric(
        "p_war_private_information",
        "mean",
        "war_private_information",
        "the perfect-information twin's P(war) minus the complete-information twin's: war "
        "that private types add",
        optional=True,
    ),
    Metric(
        "p_war_residual",
        "proportion",
        "war_residual",
        "the complete-information twin's P(war): war that information cannot prevent",
        optional=True,
    ),
    Metric(
        "p_war_perception_twin_only",
        "proportion",
        "war_perception_twin_only",
        "share of runs at peace whose perfect-information twin went to war",
        optional=True,
    ),
    Metric(
        "p_war_private",
        "proportion",
        "war_private",
        "share of runs whose perfect-information twin went to war and complete-information twin "
        "did not",
        optional=True,
    ),
    Metric(
        "p_war_complete_twin_only",
        "proportion",
        "war_complete_twin_only",
        "share of runs whose complete-information twin went to war and perfect-information twin "
        "did not",
        optional=True,
    ),
    # Wars between pairs (docs/pair-wars.md §8): only where listed pairs can fight; the split of
    # each onset metric as for p_war (war_any), and of nuclear use where wars last.
    Metric(
        "p_war_direct",
        "proportion",
        "war_direct",
        "share of runs in which a war between the powers began (an intervention included)",
        optional=True,
    ),
    Metric(
        "p_war_any",
        "proportion",
        "war_any",
        "share of runs in which any war began: between the powers or in a listed pair (a war "
        "under way at round 1 is not an onset)",
        optional=True,
    ),
    Metric(
        "mean_war_rounds_any",
        "mean",
        "war_rounds_any",
        "rounds of battle per run in every war (the powers' and the listed pairs'), averaged",
        optional=True,
    ),
    Metric(
        "spillovers_per_run",
        "mean",
        "spillovers",
        "incidents of a listed pair's war that touched an actor outside it, per run",
        optional=True,
    ),
    Metric(
        "spillovers_explained_per_run",
        "mean",
        "spillovers_explained",
        "spillover incidents a private channel to the suspected power explained to the touched "
        "actor's patron (deconfliction), per run",
        optional=True,
    ),
    Metric(
        "spillovers_misattributed_per_run",
        "mean",
        "spillovers_misattributed",
        "spillover incidents read as the power's step up although the other side fired, per run",
        optional=True,
    ),
    *(
        Metric(
            f"p_{column}_{part}",
            kind,
            f"{column}_{part}",
            f"{what}: {meaning}",
            optional=True,
        )
        for column, what in (
            ("war_any", "P(any war began)"),
            ("nuclear", "P(nuclear use)"),
        )
        for part, kind, meaning in _SPLIT_PARTS
    ),
    Metric("p_settlement", "proportion", OutcomeIs("settlement"), "share ended by settlement"),
    Metric("p_capitulation_a", "proportion", OutcomeIs("capitulation_a"), "share where A conceded"),
    Metric("p_capitulation_b", "proportion", OutcomeIs("capitulation_b"), "share where B conceded"),
    Metric(
        "p_unresolved", "proportion", OutcomeIs("unresolved"), "share unresolved at the horizon"
    ),
    Metric("mean_peak_rung", "mean", "peak_rung", "highest rung reached in a run, averaged"),
    Metric("mean_final_rung", "mean", "final_rung", "higher power's rung at the end, averaged"),
    Metric("escalations_per_run", "mean", "escalations", "steps up per run"),
    Metric("deescalations_per_run", "mean", "deescalations", "steps down per run"),
    Metric("miscalculations_per_run", "mean", "miscalculations", "miscalculations per run"),
    Metric(
        "miscalculation_rate",
        "mean",
        "miscalculation_rate",
        "per-run share of decisions that were miscalculations, averaged over runs",
    ),
    Metric(
        "miscalculated_escalations_per_run",
        "mean",
        "miscalculated_escalations",
        "escalations that perfect information would not have made, per run",
    ),
    Metric("perception_errors_per_run", "mean", "perception_errors", "perception errors per run"),
    Metric(
        "perception_error_rate",
        "mean",
        "perception_error_rate",
        "per-run share of observations that were wrong, averaged over runs",
    ),
    Metric("false_alarms_per_run", "mean", "false_alarms", "false alarms per run"),
    Metric("messages_sent_per_run", "mean", "messages_sent", "messages sent per run"),
    Metric(
        "messages_delivered_per_run", "mean", "messages_delivered", "messages delivered per run"
    ),
    Metric("messages_misread_per_run", "mean", "messages_misread", "messages misread per run"),
    Metric("agreements_per_run", "mean", "agreements", "agreements reached per run"),
    Metric("agreements_broken_per_run", "mean", "agreements_broken", "agreements broken per run"),
    Metric(
        "signal_action_divergence",
        "mean",
        "signal_action_divergence",
        "per-run share of checked claims contradicted by actions, averaged over runs",
    ),
    Metric("final_trust", "mean", "final_trust", "mutual trust of the two powers at the end"),
    Metric("polarisation", "mean", "polarisation", "third-party polarisation at the end"),
)


def available_metrics(runs: pd.DataFrame, metrics: Iterable[str] | None = None) -> list[Metric]:
    """The metrics to report for ``runs``, in :data:`METRICS` order.

    With ``metrics=None``: every metric, except optional ones whose column is absent. With a list
    of names: those metrics, in the order given.

    Raises
    ------
    KeyError
        An unknown metric name.
    ValueError
        A metric's column is missing from ``runs`` (other than an optional one by default).
    """
    if metrics is None:
        chosen = [m for m in METRICS.values() if not (m.optional and m.source not in runs.columns)]
    else:
        names = list(metrics)
        unknown = [n for n in names if n not in METRICS]
        if unknown:
            raise KeyError(f"unknown metric(s) {unknown}; expected some of {list(METRICS)}")
        chosen = [METRICS[n] for n in names]
    missing = sorted({m.source for m in chosen if m.source not in runs.columns})
    if missing:
        raise ValueError(f"runs lacks column(s) {missing} that the metrics need")
    return chosen


def per_run_values(runs: pd.DataFrame, metric: Metric | str) -> FloatArray:
    """The per-run value of ``metric``: one float per row of ``runs``, in row order.

    Proportions give 1.0 or 0.0 (booleans or an outcome predicate); means give the column as
    floats. A missing value (None, NaN, pd.NA) gives NaN.

    Raises
    ------
    ValueError
        The column is missing, or a proportion's values are not all 0, 1 or missing.
    """
    m = METRICS[metric] if isinstance(metric, str) else metric
    if m.source not in runs.columns:
        raise ValueError(f"metric {m.name!r} needs column {m.source!r}, which runs lacks")
    raw = m.column(runs["outcome"]) if isinstance(m.column, OutcomeIs) else runs[m.column]
    series = raw.astype(object).where(raw.notna(), np.nan)
    values = np.asarray(series.to_numpy(), dtype=float)
    if m.kind == "proportion":
        bad = ~np.isnan(values) & (values != 0.0) & (values != 1.0)
        if bad.any():
            raise ValueError(
                f"metric {m.name!r} is a proportion but column {m.source!r} has values other "
                f"than 0/1, e.g. {values[bad][0]!r}"
            )
    return values


# -- intervals -------------------------------------------------------------------------------------
def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")


@lru_cache(maxsize=64)
def _z(confidence: float) -> float:
    """Two-sided normal quantile ``z = Φ⁻¹(1 - (1 - confidence)/2)``.

    From the standard library (Wichura's AS241, as scipy's ``norm.ppf``; they agree to 1e-15):
    importing ``scipy.stats`` costs every command about 0.7 s.
    """
    _check_confidence(confidence)
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


@lru_cache(maxsize=1024)
def _t(confidence: float, dof: int) -> float:
    """Two-sided Student quantile ``t⁻¹_dof(1 - (1 - confidence)/2)``."""
    _check_confidence(confidence)
    # scipy.special's stdtrit is what scipy.stats.t.ppf evaluates (identical values), without
    # importing scipy.stats (see _z).
    from scipy.special import stdtrit

    return float(stdtrit(dof, 0.5 + confidence / 2.0))


def _finite(values: ArrayLike, what: str) -> FloatArray:
    x = np.asarray(values, dtype=float).ravel()
    if not np.isfinite(x).all():
        raise ValueError(f"{what} must be finite (drop NaN runs first)")
    return x


def wilson_interval(successes: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion.

    With ``p̂ = k/n`` and ``z = Φ⁻¹(1 - α/2)``, the interval is the set of ``p`` with
    ``|p̂ - p| ≤ z·√(p(1-p)/n)``, that is::

        centre = (p̂ + z²/(2n)) / (1 + z²/n)
        half   = z / (1 + z²/n) · √(p̂(1 - p̂)/n + z²/(4n²))
        (lo, hi) = (centre - half, centre + half)

    Exact edges: ``k = 0`` gives ``lo = 0`` and ``hi = z²/(n + z²)``; ``k = n`` gives
    ``lo = n/(n + z²)`` and ``hi = 1``.

    Reference: Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. *JASA* 22(158), 209-212. Recommended over the Wald interval by Newcombe (1998,
    *Stat. Med.* 17:857-872) and Brown, Cai & DasGupta (2001, *Stat. Sci.* 16:101-133).

    Parameters
    ----------
    successes : float
        ``k``, with ``0 ≤ k ≤ n`` (usually an integer count).
    n : float
        Number of trials, ``n ≥ 0``.
    confidence : float
        Two-sided level in (0, 1).

    Returns
    -------
    tuple of float
        ``(lo, hi)`` with ``0 ≤ lo ≤ k/n ≤ hi ≤ 1``; ``(nan, nan)`` when ``n = 0``.
    """
    z = _z(confidence)
    if not (n >= 0 and 0 <= successes <= n):
        raise ValueError(f"need 0 <= successes <= n, got successes={successes!r}, n={n!r}")
    if n == 0:
        return math.nan, math.nan
    z2 = z * z
    if successes == 0:
        return 0.0, z2 / (n + z2)
    if successes == n:
        return n / (n + z2), 1.0
    p = successes / n
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denom
    half = z / denom * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def clopper_pearson_interval(
    successes: int, n: int, confidence: float = 0.95
) -> tuple[float, float]:
    """Clopper-Pearson ("exact") interval for a binomial proportion.

    With ``α = 1 - confidence``, the interval inverts two one-sided binomial tests: ``lo`` is
    the ``p`` at which ``P(X ≥ k) = α/2`` and ``hi`` the ``p`` at which ``P(X ≤ k) = α/2``, that
    is the beta quantiles ``lo = B⁻¹(α/2; k, n - k + 1)`` and ``hi = B⁻¹(1 - α/2; k + 1, n - k)``,
    with ``lo = 0`` at ``k = 0`` and ``hi = 1`` at ``k = n``. Its coverage is at least the
    nominal level for every p, so it is conservative; used where n is small (a proportion of
    the 12 crises of :mod:`escalsim.validation.record`), where Wilson's approximation is not
    the registered rule.

    Reference: Clopper, C. J., & Pearson, E. S. (1934). The use of confidence or fiducial
    limits illustrated in the case of the binomial. *Biometrika* 26(4), 404-413.

    Parameters
    ----------
    successes : int
        ``k``, a whole number with ``0 ≤ k ≤ n``.
    n : int
        Number of trials, ``n ≥ 1``.
    confidence : float
        Two-sided level in (0, 1).

    Returns
    -------
    tuple of float
        ``(lo, hi)`` with ``0 ≤ lo ≤ k/n ≤ hi ≤ 1``.
    """
    _check_confidence(confidence)
    if not (n >= 1 and 0 <= successes <= n) or int(successes) != successes or int(n) != n:
        raise ValueError(
            f"need whole numbers 0 <= successes <= n, n >= 1, got successes={successes!r}, n={n!r}"
        )
    # scipy.special's betaincinv is the beta quantile scipy.stats.beta.ppf evaluates (see _z).
    from scipy.special import betaincinv

    tail = (1.0 - confidence) / 2.0
    k = int(successes)
    lo = 0.0 if k == 0 else float(betaincinv(k, n - k + 1, tail))
    hi = 1.0 if k == n else float(betaincinv(k + 1, n - k, 1.0 - tail))
    return lo, hi


def mean_interval(
    values: ArrayLike,
    confidence: float = 0.95,
    method: Method = "t",
    n_boot: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Confidence interval for a mean: Student's t, or a percentile bootstrap.

    ``method="t"`` (default)::

        x̄ ± t⁻¹_{n-1}(1 - α/2) · s/√n,   s² = Σ(xᵢ - x̄)²/(n - 1)

    exact for normal data and asymptotically right for any finite variance (Student 1908,
    *Biometrika* 6:1-25).

    ``method="bootstrap"``: draw ``n_boot`` resamples of size ``n`` with replacement, and take
    the ``α/2`` and ``1 - α/2`` quantiles (numpy's linear interpolation) of their means
    (Efron & Tibshirani 1993, *An Introduction to the Bootstrap*, ch. 13). The generator is
    ``numpy.random.default_rng(seed)``, so the same input gives the same interval every time.
    The percentile bootstrap under-covers for small ``n`` (roughly ``n < 20``); prefer t there.

    Parameters
    ----------
    values : array_like
        Finite per-run values (NaN raises: drop missing runs first).
    confidence : float
        Two-sided level in (0, 1).
    method : {"t", "bootstrap"}
        Interval method.
    n_boot : int
        Bootstrap resamples (``method="bootstrap"`` only), ``≥ 1``.
    seed : int
        Bootstrap seed (``method="bootstrap"`` only).

    Returns
    -------
    tuple of float
        ``(estimate, lo, hi)``: the sample mean and the bounds, ``lo ≤ estimate ≤ hi``.
        ``n = 0`` gives ``(nan, nan, nan)``; ``n = 1`` gives ``(x, nan, nan)``; constant values
        give ``(x, x, x)``.
    """
    _check_confidence(confidence)
    if method not in ("t", "bootstrap"):
        raise ValueError(f"method must be 't' or 'bootstrap', got {method!r}")
    x = _finite(values, "values")
    n = x.size
    if n == 0:
        return math.nan, math.nan, math.nan
    if n == 1:
        return float(x[0]), math.nan, math.nan
    if np.all(x == x[0]):
        c = float(x[0])
        return c, c, c
    estimate = float(x.mean())
    if method == "t":
        half = _t(confidence, n - 1) * float(x.std(ddof=1)) / math.sqrt(n)
        return estimate, estimate - half, estimate + half
    if n_boot < 1:
        raise ValueError(f"n_boot must be >= 1, got {n_boot!r}")
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, n, size=(n_boot, n))].mean(axis=1)
    alpha = 1.0 - confidence
    lo, hi = np.quantile(means, [alpha / 2.0, 1.0 - alpha / 2.0])
    # A resampled mean is rounded differently from x.mean(); keep lo ≤ estimate ≤ hi exactly.
    return estimate, min(float(lo), estimate), max(float(hi), estimate)


def _phi(a: float, b: float, c: float, d: float, correction: bool) -> float:
    """Phi coefficient of the paired 2x2 table, with Newcombe's continuity correction.

    ``A = ad - bc``; ``φ = A/√((a+b)(c+d)(a+c)(b+d))``, 0 when a margin is 0. With the
    correction, ``A`` is replaced by ``A - n/2`` when ``A > n/2``, by 0 when ``0 ≤ A ≤ n/2``,
    and kept when ``A < 0``.
    """
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    if margins == 0:
        return 0.0
    n = a + b + c + d
    num = a * d - b * c
    if correction and num >= 0:
        num = max(num - n / 2.0, 0.0)
    return max(-1.0, min(1.0, num / math.sqrt(margins)))


def paired_difference(
    values: ArrayLike,
    baseline_values: ArrayLike,
    kind: Kind,
    confidence: float = 0.95,
    *,
    phi_correction: bool = True,
) -> tuple[float, float, float]:
    """Paired difference ``mean(values) - mean(baseline_values)`` with its confidence interval.

    ``values[i]`` and ``baseline_values[i]`` must come from the same replication (the same
    seed under common random numbers).

    ``kind="mean"``: the t interval (:func:`mean_interval`) of ``dᵢ = xᵢ - yᵢ``.

    ``kind="proportion"`` (0/1 values): Newcombe's hybrid score interval for paired
    proportions, his method 10. Tabulate the pairs as

    =================  ==============  ==============
    pairs              baseline = 1    baseline = 0
    =================  ==============  ==============
    condition = 1      a               b
    condition = 0      c               d
    =================  ==============  ==============

    with ``n = a + b + c + d``, ``p₁ = (a + b)/n``, ``p₂ = (a + c)/n``, ``θ̂ = p₁ - p₂`` and the
    Wilson intervals ``(l₁, u₁)`` of ``p₁`` and ``(l₂, u₂)`` of ``p₂``. Then::

        lo = θ̂ - √((p₁ - l₁)² - 2φ̂ (p₁ - l₁)(u₂ - p₂) + (u₂ - p₂)²)
        hi = θ̂ + √((u₁ - p₁)² - 2φ̂ (u₁ - p₁)(p₂ - l₂) + (p₂ - l₂)²)

    where ``φ̂`` estimates the correlation of the two margins: with ``A = ad - bc`` and
    ``φ̂ = A'/√((a+b)(c+d)(a+c)(b+d))``, Newcombe's continuity-corrected ``A'`` is ``A - n/2``
    if ``A > n/2``, ``0`` if ``0 ≤ A ≤ n/2`` and ``A`` if ``A < 0``. ``φ̂ = 0`` when a margin
    is empty (φ undefined). ``phi_correction=False`` uses ``A' = A`` (the plain phi).
    Because ``|φ̂| ≤ 1``, ``-1 ≤ l₁ - u₂ ≤ lo ≤ θ̂ ≤ hi ≤ u₁ - l₂ ≤ 1``.

    References: Newcombe, R. G. (1998). Improved confidence intervals for the difference
    between binomial proportions based on paired data. *Statistics in Medicine* 17, 2635-2650
    (method 10); Newcombe & Altman in Altman et al. (2000), *Statistics with Confidence*, 2nd
    ed., ch. 6; Fagerland, Lydersen & Laake (2014), *Stat. Med.* 33, 2850-2875, who recommend it.

    Parameters
    ----------
    values, baseline_values : array_like
        Per-replication values of the condition and of the baseline, same length, finite;
        0/1 for ``kind="proportion"``.
    kind : {"proportion", "mean"}
        Which interval.
    confidence : float
        Two-sided level in (0, 1).
    phi_correction : bool
        Newcombe's continuity correction of ``φ̂`` (proportions only).

    Returns
    -------
    tuple of float
        ``(estimate, lo, hi)``, ``lo ≤ estimate ≤ hi``; for proportions within [-1, 1].
        No pairs give NaNs; one pair gives ``(d, nan, nan)`` for means; identical means data
        give ``(0, 0, 0)``.
    """
    _check_confidence(confidence)
    x = _finite(values, "values")
    y = _finite(baseline_values, "baseline_values")
    if x.size != y.size:
        raise ValueError(f"paired data need equal lengths, got {x.size} and {y.size}")
    if kind == "mean":
        return mean_interval(x - y, confidence, method="t")
    if kind != "proportion":
        raise ValueError(f"kind must be 'proportion' or 'mean', got {kind!r}")
    for arr, what in ((x, "values"), (y, "baseline_values")):
        if np.any((arr != 0.0) & (arr != 1.0)):
            raise ValueError(f"{what} of a proportion must be 0 or 1")
    n = x.size
    if n == 0:
        return math.nan, math.nan, math.nan
    x1, y1 = x == 1.0, y == 1.0
    a = float(np.sum(x1 & y1))
    b = float(np.sum(x1 & ~y1))
    c = float(np.sum(~x1 & y1))
    d = float(n) - a - b - c
    p1, p2 = (a + b) / n, (a + c) / n
    l1, u1 = wilson_interval(a + b, n, confidence)
    l2, u2 = wilson_interval(a + c, n, confidence)
    phi = _phi(a, b, c, d, phi_correction)
    theta = (b - c) / n
    dl1, du2 = p1 - l1, u2 - p2
    du1, dl2 = u1 - p1, p2 - l2
    lo = theta - math.sqrt(max(0.0, dl1 * dl1 - 2.0 * phi * dl1 * du2 + du2 * du2))
    hi = theta + math.sqrt(max(0.0, du1 * du1 - 2.0 * phi * du1 * dl2 + dl2 * dl2))
    return theta, max(-1.0, lo), min(1.0, hi)


def monte_carlo_se(values: ArrayLike, kind: Kind) -> float:
    """Monte Carlo standard error of an ensemble estimate.

    Proportion: ``√(p̂(1 - p̂)/n)``; mean: ``s/√n`` with ``s`` the sample standard deviation
    (``ddof = 1``). It shrinks as ``1/√n``: four times the replications halve it
    (Koehler, Brown & Haneuse 2009, *Am. Stat.* 63:155-162).

    Parameters
    ----------
    values : array_like
        Finite per-run values (0/1 for proportions).
    kind : {"proportion", "mean"}
        Which formula.

    Returns
    -------
    float
        ``≥ 0``; NaN for ``n = 0``, and for a mean with ``n = 1``.
    """
    x = _finite(values, "values")
    n = x.size
    if kind == "proportion":
        if n == 0:
            return math.nan
        p = float(x.mean())
        return math.sqrt(max(0.0, p * (1.0 - p)) / n)
    if kind == "mean":
        return float(x.std(ddof=1)) / math.sqrt(n) if n >= 2 else math.nan
    raise ValueError(f"kind must be 'proportion' or 'mean', got {kind!r}")


def replications_to_resolve(
    difference: float, sd_of_differences: float, confidence: float = 0.95
) -> int | None:
    """Replications at which a paired difference's CI would exclude 0.

    The half-width of a paired difference's interval is about ``z·σ_d/√n`` (normal
    approximation), so it drops below ``|Δ|`` from::

        n* = ⌊(z·σ_d/|Δ|)²⌋ + 1        (at least 2)

    on, assuming the difference ``Δ`` and the standard deviation ``σ_d`` of the
    per-replication differences stay as estimated. A planning figure, not a guarantee: both are
    estimates (Koehler, Brown & Haneuse 2009; Law 2015, *Simulation Modeling and Analysis*,
    §9.4.1, the "absolute precision" rule).

    Parameters
    ----------
    difference : float
        ``Δ``, the estimated difference.
    sd_of_differences : float
        ``σ_d ≥ 0``.
    confidence : float
        Two-sided level in (0, 1).

    Returns
    -------
    int or None
        ``n*``; None when ``Δ = 0`` (no number of replications resolves it) or an input is NaN.
    """
    z = _z(confidence)
    if math.isnan(difference) or math.isnan(sd_of_differences) or difference == 0:
        return None
    if sd_of_differences < 0:
        raise ValueError(f"sd_of_differences must be >= 0, got {sd_of_differences!r}")
    ratio = (z * sd_of_differences / abs(difference)) ** 2
    if not math.isfinite(ratio):
        return None
    return max(2, math.floor(ratio) + 1)


# -- tables ----------------------------------------------------------------------------------------
def _conditions(runs: pd.DataFrame) -> list[Any]:
    for col in ("condition", "replication"):
        if col not in runs.columns:
            raise ValueError(f"runs lacks the column {col!r}")
    return list(dict.fromkeys(runs["condition"].tolist()))


def summary(
    runs: pd.DataFrame,
    confidence: float = 0.95,
    *,
    metrics: Iterable[str] | None = None,
    mean_method: Method = "t",
) -> pd.DataFrame:
    """Every metric per condition, with its confidence interval and Monte Carlo SE.

    Proportions: ``p̂ = k/n`` with :func:`wilson_interval`. Means: the sample mean with
    :func:`mean_interval` (``mean_method``: Student's t by default, or the fixed-seed percentile
    bootstrap). ``mc_se`` from :func:`monte_carlo_se`. Runs whose value is missing are left out
    of that metric (its ``n`` says how many runs count).

    Parameters
    ----------
    runs : pandas.DataFrame
        One row per (condition, replication), with the metrics' columns.
    confidence : float
        Two-sided level in (0, 1).
    metrics : iterable of str, optional
        Metric names; default: every metric of :data:`METRICS` that ``runs`` supports
        (``p_war_attributable`` only when ``war_attributable`` is a column).
    mean_method : {"t", "bootstrap"}
        Interval for means.

    Returns
    -------
    pandas.DataFrame
        Columns ``condition, metric, kind, estimate, lo, hi, mc_se, n``; one row per
        (condition, metric), conditions in order of first appearance, metrics in
        :data:`METRICS` order.
    """
    _check_confidence(confidence)
    chosen = available_metrics(runs, metrics)
    rows: list[dict[str, Any]] = []
    for cond in _conditions(runs):
        sub = runs[runs["condition"] == cond]
        for m in chosen:
            v = per_run_values(sub, m)
            v = v[~np.isnan(v)]
            n = int(v.size)
            if m.kind == "proportion":
                k = float(v.sum())
                est = k / n if n else math.nan
                lo, hi = wilson_interval(k, n, confidence)
            else:
                est, lo, hi = mean_interval(v, confidence, method=mean_method)
            rows.append(
                {
                    "condition": cond,
                    "metric": m.name,
                    "kind": m.kind,
                    "estimate": float(est),
                    "lo": float(lo),
                    "hi": float(hi),
                    "mc_se": monte_carlo_se(v, m.kind),
                    "n": n,
                }
            )
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS)).astype(
        {"estimate": float, "lo": float, "hi": float, "mc_se": float, "n": int}
    )


def _by_replication(sub: pd.DataFrame, cond: Any) -> pd.DataFrame:
    dup = sub["replication"].duplicated()
    if dup.any():
        reps = sorted(sub.loc[dup, "replication"].unique().tolist())
        raise ValueError(f"condition {cond!r} has replication(s) {reps[:10]} more than once")
    return sub.set_index("replication")


def differences(
    runs: pd.DataFrame,
    baseline: str,
    confidence: float = 0.95,
    *,
    metrics: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Paired difference of every metric, each condition against ``baseline``.

    Runs are paired on ``replication`` (common random numbers); each pair gives
    ``condition value - baseline value`` and :func:`paired_difference` gives the estimate and
    its interval (Newcombe's method 10 for proportions, the paired t interval for means). A
    pair is left out of a metric when either value is missing; replications of a condition that
    the baseline lacks are not paired.

    ``resolved`` is ``lo > 0 or hi < 0``. ``replications_needed`` is given only when the
    difference is not resolved: it is :func:`replications_to_resolve` with the spread the
    observed interval implies, ``σ_eff = h·√n/z``, where ``h`` is the interval's half-width on
    the side of 0 (``estimate - lo`` for a positive estimate, ``hi - estimate`` for a negative
    one). That is ``⌊n·(h/|estimate|)²⌋ + 1``: the half-width scaled as ``1/√n`` until it is
    below ``|estimate|``; always more than the current ``n_pairs``. It is None when the
    estimate is 0 or the interval is undefined.

    Parameters
    ----------
    runs : pandas.DataFrame
        One row per (condition, replication).
    baseline : str
        The reference condition.
    confidence : float
        Two-sided level in (0, 1).
    metrics : iterable of str, optional
        As in :func:`summary`.

    Returns
    -------
    pandas.DataFrame
        Columns ``condition, baseline, metric, kind, estimate, lo, hi, n_pairs, resolved,
        replications_needed`` (the last holds Python ints or None); one row per (condition other
        than the baseline, metric), conditions in order of first appearance.

    Raises
    ------
    ValueError
        The baseline is not a condition of ``runs``, a (condition, replication) appears twice,
        or a condition lacks replications the baseline has (the pairing is broken).
    """
    z = _z(confidence)
    chosen = available_metrics(runs, metrics)
    conditions = _conditions(runs)
    if baseline not in conditions:
        raise ValueError(f"baseline {baseline!r} is not a condition of runs: {conditions}")
    base = _by_replication(runs[runs["condition"] == baseline], baseline)
    reps = base.index
    rows: list[dict[str, Any]] = []
    for cond in conditions:
        if cond == baseline:
            continue
        other = _by_replication(runs[runs["condition"] == cond], cond)
        missing = reps.difference(other.index)
        if len(missing):
            shown = sorted(missing.tolist())
            raise ValueError(
                f"pairing is broken: condition {cond!r} lacks {len(shown)} replication(s) that "
                f"baseline {baseline!r} has, e.g. {shown[:10]}; conditions must run over the "
                "same replications (common random numbers)"
            )
        other = other.loc[reps]
        for m in chosen:
            x = per_run_values(other, m)
            y = per_run_values(base, m)
            keep = ~(np.isnan(x) | np.isnan(y))
            x, y = x[keep], y[keep]
            n = int(x.size)
            est, lo, hi = paired_difference(x, y, m.kind, confidence)
            resolved = bool(lo > 0.0 or hi < 0.0)
            needed: int | None = None
            if not resolved and est != 0.0 and not math.isnan(lo):
                half = est - lo if est > 0.0 else hi - est
                needed = replications_to_resolve(est, half * math.sqrt(n) / z, confidence)
                if needed is not None:
                    needed = max(needed, n + 1)
            rows.append(
                {
                    "condition": cond,
                    "baseline": baseline,
                    "metric": m.name,
                    "kind": m.kind,
                    "estimate": float(est),
                    "lo": float(lo),
                    "hi": float(hi),
                    "n_pairs": n,
                    "resolved": resolved,
                    "replications_needed": needed,
                }
            )
    out = pd.DataFrame(rows, columns=list(DIFFERENCE_COLUMNS)).astype(
        {"estimate": float, "lo": float, "hi": float, "n_pairs": int, "resolved": bool}
    )
    out["replications_needed"] = pd.Series(
        [r["replications_needed"] for r in rows], index=out.index, dtype=object
    )
    return out


# -- the JSON contract -----------------------------------------------------------------------------
def _num(x: Any) -> float | None:
    """A plain float, or None for NaN / NA / None."""
    if x is None or x is pd.NA:
        return None
    f = float(x)
    return None if math.isnan(f) else f


def _int(x: Any) -> int | None:
    if x is None or x is pd.NA:
        return None
    f = float(x)
    return None if math.isnan(f) else int(f)


def to_contract(
    summary_df: pd.DataFrame, differences_df: pd.DataFrame | None = None
) -> dict[str, Any]:
    """The JSON contract of ``escalsim run --format json``.

    Built from the :func:`summary` and :func:`differences` tables. Shape::

        {
            "conditions": {cond: {metric: {"estimate": x, "ci": [lo, hi], "mc_se": s, "n": n}}},
            "differences": {
                cond: {
                    metric: {
                        "estimate": x,
                        "ci": [lo, hi],
                        "baseline": b,
                        "resolved": bool,
                        "replications_needed": int | None,
                    }
                }
            },
        }

    Only plain Python values: floats (NaN becomes None), ints, bools, strings, so
    ``json.dumps`` works with its defaults. Conditions and metrics keep the tables' order.
    """
    conditions: dict[str, dict[str, Any]] = {}
    for row in summary_df.itertuples(index=False):
        conditions.setdefault(str(row.condition), {})[str(row.metric)] = {
            "estimate": _num(row.estimate),
            "ci": [_num(row.lo), _num(row.hi)],
            "mc_se": _num(row.mc_se),
            "n": _int(row.n),
        }
    diffs: dict[str, dict[str, Any]] = {}
    if differences_df is not None:
        for row in differences_df.itertuples(index=False):
            diffs.setdefault(str(row.condition), {})[str(row.metric)] = {
                "estimate": _num(row.estimate),
                "ci": [_num(row.lo), _num(row.hi)],
                "baseline": str(row.baseline),
                "resolved": bool(row.resolved),
                "replications_needed": _int(row.replications_needed),
            }
    return {"conditions": conditions, "differences": diffs}
