"""Ensemble statistics (escalsim.experiment.stats), in three tiers plus the tables.

1. Exact values: each docstring states the expected numbers and how they were derived by hand.
2. Properties (hypothesis, derandomized, no example database): what must hold for any input.
3. Coverage: 2000 simulated experiments at one fixed seed (never searched). The empirical
   coverage of a 95% interval must lie within 3 binomial standard errors of 0.95:
   3·√(0.95·0.05/2000) = 3 × 0.0049 = 0.0146. For an interval whose true coverage is exactly
   0.95 that fails with probability 0.27%.

Then `summary`, `differences` and `to_contract` on small hand-made run tables.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binom

from escalsim.experiment.stats import (
    DIFFERENCE_COLUMNS,
    METRICS,
    SUMMARY_COLUMNS,
    Metric,
    OutcomeIs,
    available_metrics,
    clopper_pearson_interval,
    differences,
    mean_interval,
    monte_carlo_se,
    paired_difference,
    per_run_values,
    replications_to_resolve,
    summary,
    to_contract,
    wilson_interval,
)

Z95 = 1.959963984540054  # Φ⁻¹(0.975)
PROPERTY = settings(max_examples=150, deadline=None, derandomize=True, database=None)
EXPERIMENTS = 2000
SE_COVERAGE = math.sqrt(0.95 * 0.05 / EXPERIMENTS)  # 0.00487
TOLERANCE = 3 * SE_COVERAGE  # 0.0146

REQUIRED_NAMES = [
    "p_war",
    "p_nuclear",
    "p_war_attributable",
    "p_settlement",
    "p_capitulation_a",
    "p_capitulation_b",
    "p_unresolved",
    "mean_peak_rung",
    "miscalculations_per_run",
    "miscalculation_rate",
    "miscalculated_escalations_per_run",
    "perception_error_rate",
    "messages_misread_per_run",
    "final_trust",
    "polarisation",
]


# == tier 1: exact values =========================================================================
def test_wilson_zero_of_ten():
    """0/10: lo = 0 exactly; hi = z²/(n + z²) = 3.841459/13.841459 = 0.277533."""
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0
    assert hi == pytest.approx(0.277533, abs=1e-6)


def test_wilson_ten_of_ten():
    """10/10: lo = n/(n + z²) = 10/13.841459 = 0.722467; hi = 1 exactly."""
    lo, hi = wilson_interval(10, 10)
    assert lo == pytest.approx(0.722467, abs=1e-6)
    assert hi == 1.0


def test_wilson_five_of_ten():
    """5/10: centre 0.5; half = z/(1 + z²/n)·√(0.025 + z²/400) = 1.416019 × 0.186023 = 0.263407,
    so (0.236593, 0.763407)."""
    lo, hi = wilson_interval(5, 10)
    assert lo == pytest.approx(0.236593, abs=1e-6)
    assert hi == pytest.approx(0.763407, abs=1e-6)


def test_wilson_bounds_solve_the_score_equation():
    """Each bound p of 7/30 solves |p̂ - p| = z·√(p(1 - p)/n) (Wilson's definition), to 1e-12."""
    p_hat, n = 7 / 30, 30
    for p in wilson_interval(7, 30):
        assert abs(p_hat - p) == pytest.approx(Z95 * math.sqrt(p * (1 - p) / n), abs=1e-12)


def test_wilson_empty_sample_is_nan_and_bad_counts_raise():
    """n = 0 gives (nan, nan); k > n, k < 0 and confidence outside (0, 1) raise."""
    assert all(math.isnan(b) for b in wilson_interval(0, 0))
    for k, n in ((11, 10), (-1, 10)):
        with pytest.raises(ValueError, match="successes"):
            wilson_interval(k, n)
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(1, 10, confidence=1.0)


def test_clopper_pearson_has_its_known_values_and_inverts_the_binomial_tails():
    """5 of 12 and 4 of 12 at 95%: [0.152, 0.723] and [0.099, 0.651] (docs/calibration.md's N1
    and N2); each end is the p at which the binomial tail beyond k has probability α/2; 0 of n
    at 90% has the one-sided 95% zero-event bound 1 - 0.05^(1/n) as its upper end, and n of n
    the lower end (α/2)^(1/n)."""
    assert clopper_pearson_interval(5, 12) == pytest.approx((0.15165, 0.72333), abs=5e-5)
    assert clopper_pearson_interval(4, 12) == pytest.approx((0.09925, 0.65112), abs=5e-5)
    for k in range(13):
        lo, hi = clopper_pearson_interval(k, 12)
        assert 0.0 <= lo <= k / 12 <= hi <= 1.0
        if k > 0:
            assert binom.sf(k - 1, 12, lo) == pytest.approx(0.025, abs=1e-9)
        if k < 12:
            assert binom.cdf(k, 12, hi) == pytest.approx(0.025, abs=1e-9)
    assert clopper_pearson_interval(0, 12, 0.9) == pytest.approx((0.0, 1 - 0.05 ** (1 / 12)))
    assert clopper_pearson_interval(12, 12) == pytest.approx((0.025 ** (1 / 12), 1.0))


@pytest.mark.parametrize(("k", "n"), [(13, 12), (-1, 12), (1, 0), (0.5, 2)])
def test_clopper_pearson_refuses_counts_that_are_not_k_of_n(k, n):
    with pytest.raises(ValueError, match="successes"):
        clopper_pearson_interval(k, n)


def test_mean_t_interval_of_one_to_five():
    """1..5: mean 3, s = √2.5 = 1.581139, s/√5 = 0.707107, t(4, 0.975) = 2.776445:
    half-width 1.963243, so (3, 1.036757, 4.963243)."""
    est, lo, hi = mean_interval([1, 2, 3, 4, 5])
    assert est == 3.0
    assert lo == pytest.approx(1.036757, abs=1e-6)
    assert hi == pytest.approx(4.963243, abs=1e-6)


def test_mean_interval_edge_cases():
    """n = 0 -> all NaN; n = 1 -> (x, nan, nan); constant values -> (x, x, x), both methods."""
    assert all(math.isnan(v) for v in mean_interval([]))
    est, lo, hi = mean_interval([4.5])
    assert est == 4.5
    assert math.isnan(lo)
    assert math.isnan(hi)
    for method in ("t", "bootstrap"):
        assert mean_interval([0.1, 0.1, 0.1], method=method) == (0.1, 0.1, 0.1)
    with pytest.raises(ValueError, match="finite"):
        mean_interval([1.0, float("nan")])


def test_bootstrap_is_deterministic_and_near_t_for_a_large_normal_sample():
    """The same input and seed give the identical interval; for 400 N(0, 1) values the
    percentile bootstrap and t bounds agree to within 0.03 (both ≈ x̄ ± 1.96·0.05)."""
    x = np.random.default_rng(7).normal(size=400)
    first = mean_interval(x, method="bootstrap")
    assert first == mean_interval(x, method="bootstrap")
    assert first != mean_interval(x, method="bootstrap", seed=1)
    t = mean_interval(x)
    assert first[0] == t[0]
    assert first[1] == pytest.approx(t[1], abs=0.03)
    assert first[2] == pytest.approx(t[2], abs=0.03)


def test_newcombe_hand_derived_case():
    """Pairs (condition, baseline): a = 3 (1,1), b = 5 (1,0), c = 1 (0,1), d = 11 (0,0); n = 20.

    p₁ = 8/20 = 0.4, p₂ = 4/20 = 0.2, θ̂ = 0.2. Wilson: 8/20 -> (0.218807, 0.613421),
    4/20 -> (0.080656, 0.416018). A = ad - bc = 28 > n/2 = 10, so A' = 18 and
    φ̂ = 18/√(8·12·4·16) = 18/78.3837 = 0.229640.
    lo = 0.2 - √(0.181193² - 2φ̂·0.181193·0.216018 + 0.216018²) = 0.2 - 0.248028 = -0.048028;
    hi = 0.2 + √(0.213421² - 2φ̂·0.213421·0.119344 + 0.119344²) = 0.2 + 0.219299 = 0.419299.
    """
    x = [1] * 3 + [1] * 5 + [0] * 1 + [0] * 11
    y = [1] * 3 + [0] * 5 + [1] * 1 + [0] * 11
    est, lo, hi = paired_difference(x, y, "proportion")
    assert est == pytest.approx(0.2, abs=1e-12)
    assert lo == pytest.approx(-0.048028, abs=2e-6)
    assert hi == pytest.approx(0.419299, abs=2e-6)


def test_newcombe_plain_phi_and_zero_phi():
    """Same table with the plain φ̂ = 28/78.3837 = 0.357217 (larger, so narrower):
    lo = 0.2 - √(0.079495 - 0.027963) = 0.2 - √0.051531 = -0.027004,
    hi = 0.2 + √(0.059788 - 0.018195) = 0.2 + √0.041594 = 0.403945.
    A table with 0 ≤ A ≤ n/2 (a=1, b=4, c=2, d=13, n=20: A = 13 - 8 = 5 ≤ 10) has φ̂ = 0:
    lo = θ̂ - √((p₁ - l₁)² + (u₂ - p₂)²), hi = θ̂ + √((u₁ - p₁)² + (p₂ - l₂)²), built from the
    Wilson intervals of 5/20 and 3/20 alone."""
    x = [1] * 3 + [1] * 5 + [0] * 1 + [0] * 11
    y = [1] * 3 + [0] * 5 + [1] * 1 + [0] * 11
    _, lo, hi = paired_difference(x, y, "proportion", phi_correction=False)
    assert lo == pytest.approx(-0.027004, abs=2e-6)
    assert hi == pytest.approx(0.403945, abs=2e-6)

    x = [1] * 1 + [1] * 4 + [0] * 2 + [0] * 13
    y = [1] * 1 + [0] * 4 + [1] * 2 + [0] * 13
    l1, u1 = wilson_interval(5, 20)
    l2, u2 = wilson_interval(3, 20)
    est, lo, hi = paired_difference(x, y, "proportion")
    assert est == pytest.approx(0.1, abs=1e-12)
    assert lo == pytest.approx(0.1 - math.hypot(0.25 - l1, u2 - 0.15), abs=1e-12)
    assert hi == pytest.approx(0.1 + math.hypot(u1 - 0.25, 0.15 - l2), abs=1e-12)


def test_paired_mean_difference_is_the_t_interval_of_differences():
    """x - y = (1, 2, 3, 4, 5): the same interval as test_mean_t_interval_of_one_to_five."""
    y = np.array([10.0, -3.0, 0.5, 7.0, 2.0])
    est, lo, hi = paired_difference(y + np.arange(1, 6), y, "mean")
    assert est == pytest.approx(3.0, abs=1e-12)
    assert lo == pytest.approx(1.036757, abs=1e-6)
    assert hi == pytest.approx(4.963243, abs=1e-6)


def test_monte_carlo_se():
    """Proportion 3/10: √(0.3·0.7/10) = 0.144914; mean of 1..5: √2.5/√5 = 0.707107."""
    assert monte_carlo_se([1, 1, 1, 0, 0, 0, 0, 0, 0, 0], "proportion") == pytest.approx(
        0.144914, abs=1e-6
    )
    assert monte_carlo_se([1, 2, 3, 4, 5], "mean") == pytest.approx(0.707107, abs=1e-6)
    assert math.isnan(monte_carlo_se([2.0], "mean"))


def test_replications_to_resolve():
    """Δ = 0.1, σ_d = 0.5: (1.959964·0.5/0.1)² = 96.04, so n* = 97 (at 96 the half-width is
    0.10002 > 0.1, at 97 it is 0.09950). Δ = 0 -> None; the sign of Δ does not matter."""
    assert replications_to_resolve(0.1, 0.5) == 97
    assert replications_to_resolve(-0.1, 0.5) == 97
    assert replications_to_resolve(0.0, 0.5) is None
    assert replications_to_resolve(0.1, float("nan")) is None
    assert replications_to_resolve(0.1, 0.0) == 2


# == tier 2: properties ===========================================================================
@st.composite
def counts(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(st.integers(0, 2000))
    return draw(st.integers(0, n)), n


LEVEL = st.floats(0.5, 0.999)


@PROPERTY
@given(counts(), LEVEL)
def test_wilson_contains_estimate_inside_unit_interval(kn, confidence):
    """0 ≤ lo ≤ k/n ≤ hi ≤ 1 for every k, n ≥ 1 and level."""
    k, n = kn
    lo, hi = wilson_interval(k, n, confidence)
    if n == 0:
        assert math.isnan(lo)
        assert math.isnan(hi)
        return
    assert 0.0 <= lo <= k / n <= hi <= 1.0


@PROPERTY
@given(counts(), LEVEL, LEVEL)
def test_wilson_intervals_are_nested_in_the_level(kn, c1, c2):
    """A higher level gives a wider interval that contains the narrower one."""
    k, n = kn
    if n == 0 or c1 == c2:
        return
    (lo1, hi1), (lo2, hi2) = wilson_interval(k, n, min(c1, c2)), wilson_interval(k, n, max(c1, c2))
    assert lo2 <= lo1 + 1e-12
    assert hi1 <= hi2 + 1e-12


VALUES = st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=60)


@PROPERTY
@given(VALUES, LEVEL, st.sampled_from(["t", "bootstrap"]))
def test_mean_interval_contains_estimate(values, confidence, method):
    """lo ≤ mean ≤ hi for any finite sample, both methods."""
    est, lo, hi = mean_interval(values, confidence, method=method, n_boot=300)
    assert lo <= est <= hi
    assert est == pytest.approx(float(np.mean(values)), rel=1e-9, abs=1e-6)


PAIRS = st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1)), min_size=1, max_size=300)


@PROPERTY
@given(PAIRS, LEVEL)
def test_newcombe_contains_estimate_within_bounds_and_is_antisymmetric(pairs, confidence):
    """-1 ≤ lo ≤ θ̂ ≤ hi ≤ 1, and swapping condition and baseline maps (lo, hi) to (-hi, -lo)."""
    x = np.array([p[0] for p in pairs], dtype=float)
    y = np.array([p[1] for p in pairs], dtype=float)
    est, lo, hi = paired_difference(x, y, "proportion", confidence)
    assert -1.0 <= lo <= est <= hi <= 1.0
    assert est == pytest.approx(x.mean() - y.mean(), abs=1e-12)
    est2, lo2, hi2 = paired_difference(y, x, "proportion", confidence)
    assert (est2, lo2, hi2) == pytest.approx((-est, -hi, -lo), abs=1e-12)


@PROPERTY
@given(st.lists(st.integers(0, 1), min_size=1, max_size=300))
def test_paired_difference_of_identical_proportions_contains_zero(x):
    """Identical paired data: estimate 0 and lo ≤ 0 ≤ hi."""
    est, lo, hi = paired_difference(x, x, "proportion")
    assert est == 0.0
    assert lo <= 0.0 <= hi


@PROPERTY
@given(VALUES)
def test_paired_difference_of_identical_means_is_zero(values):
    """Identical paired data: every difference is 0, so the interval is (0, 0, 0)."""
    assert paired_difference(values, values, "mean") == (0.0, 0.0, 0.0)


# == tier 3: coverage =============================================================================
def _covered(bounds: list[tuple[float, float]], truth: float) -> float:
    return float(np.mean([lo <= truth <= hi for lo, hi in bounds]))


def test_wilson_coverage_p01_n400():
    """2000 binomial(400, 0.1) experiments: coverage within 0.0146 of 0.95.

    Wilson's coverage oscillates with n and p (Brown, Cai & DasGupta 2001); here its exact
    value, the binomial mass of every k whose interval covers 0.1, is 0.9454, and the test also
    checks that the simulated coverage lies within 3 standard errors of that exact value.
    """
    rng = np.random.default_rng(20_240_601)
    k = rng.binomial(400, 0.1, size=EXPERIMENTS)
    coverage = _covered([wilson_interval(int(x), 400) for x in k], 0.1)
    assert abs(coverage - 0.95) <= TOLERANCE, coverage
    exact = sum(
        binom.pmf(j, 400, 0.1)
        for j in range(401)
        if wilson_interval(j, 400)[0] <= 0.1 <= wilson_interval(j, 400)[1]
    )
    assert exact == pytest.approx(0.9454, abs=5e-4)
    assert abs(coverage - exact) <= 3 * math.sqrt(exact * (1 - exact) / EXPERIMENTS), coverage


def test_newcombe_coverage_on_correlated_pairs():
    """2000 experiments of 400 correlated pairs: P(1,1) = 0.15, P(1,0) = 0.05, P(0,1) = 0.15,
    P(0,0) = 0.65, so p_condition = 0.2, p_baseline = 0.3, true difference -0.1 and the
    margins' correlation is 0.05/√(0.2·0.8·0.3·0.7) = 0.27. Coverage within 0.0146 of 0.95."""
    rng = np.random.default_rng(20_240_602)
    cells = rng.choice(4, size=(EXPERIMENTS, 400), p=[0.15, 0.05, 0.15, 0.65])
    x = (cells <= 1).astype(float)
    y = ((cells == 0) | (cells == 2)).astype(float)
    bounds = [paired_difference(x[i], y[i], "proportion")[1:] for i in range(EXPERIMENTS)]
    coverage = _covered(bounds, -0.1)
    assert abs(coverage - 0.95) <= TOLERANCE, coverage


def test_paired_mean_coverage_on_correlated_normal_pairs():
    """2000 experiments of 12 pairs (x, y) bivariate normal, means (1.5, 1.0), sds (2, 2),
    correlation 0.8: the paired t interval is exact for normal differences. Coverage of the
    true difference 0.5 within 0.0146 of 0.95."""
    rng = np.random.default_rng(20_240_603)
    cov = [[4.0, 3.2], [3.2, 4.0]]
    data = rng.multivariate_normal([1.5, 1.0], cov, size=(EXPERIMENTS, 12))
    bounds = [paired_difference(d[:, 0], d[:, 1], "mean")[1:] for d in data]
    coverage = _covered(bounds, 0.5)
    assert abs(coverage - 0.95) <= TOLERANCE, coverage


def test_t_coverage_on_normal_data():
    """2000 samples of 10 values from N(3, 2²): the t interval is exact; coverage of 3 within
    0.0146 of 0.95."""
    rng = np.random.default_rng(20_240_604)
    data = rng.normal(3.0, 2.0, size=(EXPERIMENTS, 10))
    coverage = _covered([mean_interval(row)[1:] for row in data], 3.0)
    assert abs(coverage - 0.95) <= TOLERANCE, coverage


# == tables =======================================================================================
def _run(condition: str, replication: int, outcome: str, peak: int, **extra: object) -> dict:
    row = {
        "condition": condition,
        "replication": replication,
        "outcome": outcome,
        "war": outcome == "war",
        "nuclear": False,
        "peak_rung": peak,
        "final_rung": peak,
        "escalations": peak,
        "deescalations": 0,
        "decisions": 10,
        "miscalculations": 1,
        "miscalculation_rate": 0.1,
        "miscalculated_escalations": 0,
        "perception_errors": 2,
        "perception_error_rate": 0.2,
        "false_alarms": 0,
        "messages_sent": 4,
        "messages_delivered": 4,
        "messages_misread": 1,
        "agreements": 0,
        "agreements_broken": 0,
        "signal_action_divergence": 0.0,
        "final_trust": 0.5,
        "polarisation": 0.0,
    }
    row.update(extra)
    return row


@pytest.fixture
def runs() -> pd.DataFrame:
    """Two conditions over replications 0-3; 'open' appears first (order must be kept).

    open:   war, settlement, settlement, unresolved; peak rungs 5, 1, 2, 3
    closed: war, war, settlement, war;               peak rungs 6, 5, 2, 6
    """
    rows = [
        _run("open", 0, "war", 5),
        _run("open", 1, "settlement", 1),
        _run("closed", 0, "war", 6),
        _run("closed", 1, "war", 5),
        _run("closed", 2, "settlement", 2),
        _run("closed", 3, "war", 6),
        _run("open", 2, "settlement", 2),
        _run("open", 3, "unresolved", 3),
    ]
    return pd.DataFrame(rows)


def test_metric_names_are_stable():
    """Every required name is in METRICS, with its kind; METRICS is read-only."""
    assert set(REQUIRED_NAMES) <= set(METRICS)
    assert [n for n in METRICS if n in REQUIRED_NAMES] == REQUIRED_NAMES
    for name in REQUIRED_NAMES:
        assert METRICS[name].kind == ("proportion" if name.startswith("p_") else "mean")
        assert METRICS[name].name == name
    with pytest.raises(TypeError):
        METRICS["x"] = METRICS["p_war"]  # type: ignore[index]


def test_per_run_values(runs):
    """p_settlement of 'open' rows is 0, 1, 1, 0; p_war reads the boolean column; a non-0/1
    proportion column raises."""
    open_runs = runs[runs.condition == "open"].sort_values("replication")
    assert per_run_values(open_runs, "p_settlement").tolist() == [0.0, 1.0, 1.0, 0.0]
    assert per_run_values(open_runs, METRICS["p_war"]).tolist() == [1.0, 0.0, 0.0, 0.0]
    assert per_run_values(open_runs, "mean_peak_rung").dtype == np.float64
    bad = Metric("p_bad", "proportion", "peak_rung", "not a 0/1 column")
    with pytest.raises(ValueError, match="other than 0/1"):
        per_run_values(runs, bad)
    assert OutcomeIs("war")(pd.Series(["war", "settlement"])).tolist() == [True, False]


def test_summary_shape_order_and_values(runs):
    """2 conditions × (METRICS minus the twins' metrics, optional) rows; 'open' first; p_war
    of 'open' = 1/4 with the Wilson interval of 1/4; mean_peak_rung of 'closed' = 19/4 = 4.75."""
    table = summary(runs)
    names = [n for n, m in METRICS.items() if not m.optional]
    assert list(table.columns) == list(SUMMARY_COLUMNS)
    assert len(table) == 2 * len(names)
    assert table.condition.tolist() == ["open"] * len(names) + ["closed"] * len(names)
    assert table.metric.tolist() == names * 2
    row = table[(table.condition == "open") & (table.metric == "p_war")].iloc[0]
    assert (row.estimate, row.lo, row.hi, row.n) == (0.25, *wilson_interval(1, 4), 4)
    assert row.mc_se == pytest.approx(math.sqrt(0.25 * 0.75 / 4))
    row = table[(table.condition == "closed") & (table.metric == "mean_peak_rung")].iloc[0]
    assert row.estimate == 4.75
    assert row.lo < 4.75 < row.hi
    row = table[(table.condition == "closed") & (table.metric == "final_trust")].iloc[0]
    assert (row.estimate, row.lo, row.hi) == (0.5, 0.5, 0.5)


def test_summary_includes_war_attributable_when_present(runs):
    """With a war_attributable column, p_war_attributable follows p_nuclear."""
    table = summary(runs.assign(war_attributable=runs.war & (runs.replication == 0)))
    metrics = table[table.condition == "open"].metric.tolist()
    assert metrics[:4] == ["p_war", "p_nuclear", "p_war_attributable", "p_settlement"]
    assert available_metrics(runs, ["p_war", "final_trust"]) == [
        METRICS["p_war"],
        METRICS["final_trust"],
    ]
    with pytest.raises(ValueError, match="war_attributable"):
        summary(runs, metrics=["p_war_attributable"])


def test_differences_shape_values_and_resolution(runs):
    """open - closed, paired by replication. p_war: pairs (1,1), (0,1), (0,0), (0,1): a = 1,
    b = 0, c = 2, d = 1, estimate -0.5 with the Newcombe interval of those pairs. Peak rung
    differences (5-6, 1-5, 2-2, 3-6) = (-1, -4, 0, -3): the paired t interval of those."""
    table = differences(runs, "closed")
    names = [n for n, m in METRICS.items() if not m.optional]
    assert list(table.columns) == list(DIFFERENCE_COLUMNS)
    assert table.metric.tolist() == names
    assert set(table.condition) == {"open"}
    assert set(table.baseline) == {"closed"}
    assert (table.n_pairs == 4).all()
    row = table[table.metric == "p_war"].iloc[0]
    assert (row.estimate, row.lo, row.hi) == paired_difference(
        [1, 0, 0, 0], [1, 1, 0, 1], "proportion"
    )
    row = table[table.metric == "mean_peak_rung"].iloc[0]
    assert (row.estimate, row.lo, row.hi) == mean_interval([-1, -4, 0, -3])
    # not resolved exactly when the CI holds 0; then more replications than now are needed
    for row in table.itertuples():
        assert row.resolved == (row.lo > 0 or row.hi < 0)
        if row.resolved or row.estimate == 0:
            assert row.replications_needed is None
        else:
            assert isinstance(row.replications_needed, int)
            assert row.replications_needed > row.n_pairs


def test_differences_replications_needed_scales_the_half_width():
    """Differences 1, 1, 1, -2 (mean 0.25, s = 1.5, t(3) = 3.182446, half-width h = 2.386835):
    n* = ⌊4·(h/0.25)²⌋ + 1 = ⌊364.61⌋ + 1 = 365."""
    rows = [_run("a", r, "war", p) for r, p in enumerate([3, 3, 3, 0])]
    rows += [_run("b", r, "war", 2) for r in range(4)]
    table = differences(pd.DataFrame(rows), "b", metrics=["mean_peak_rung"])
    row = table.iloc[0]
    assert row.estimate == 0.25
    assert row.hi - row.estimate == pytest.approx(2.386835, abs=1e-6)
    assert row.replications_needed == 365


def test_differences_raise_when_pairing_is_broken(runs):
    """'open' without replication 2, which 'closed' has: ValueError naming the condition, the
    baseline and the missing replication. A duplicated replication and an unknown baseline
    raise too."""
    broken = runs[~((runs.condition == "open") & (runs.replication == 2))]
    with pytest.raises(ValueError, match=r"'open' lacks 1 replication.*'closed'.*\[2\]"):
        differences(broken, "closed")
    doubled = pd.concat([runs, runs.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValueError, match="more than once"):
        differences(doubled, "closed")
    with pytest.raises(ValueError, match="baseline 'nope'"):
        differences(runs, "nope")


def test_to_contract_is_plain_json(runs):
    """to_contract gives plain Python values: json.dumps works without allow_nan; NaN bounds
    (one run per condition: no mean interval) become None."""
    runs = runs.assign(war_attributable=False)
    contract = to_contract(summary(runs), differences(runs, "open"))
    text = json.dumps(contract, allow_nan=False)
    assert json.loads(text) == contract
    assert list(contract["conditions"]) == ["open", "closed"]
    for cond in ("open", "closed"):
        assert set(REQUIRED_NAMES) <= set(contract["conditions"][cond])
        cell = contract["conditions"][cond]["p_war"]
        assert set(cell) == {"estimate", "ci", "mc_se", "n"}
        assert len(cell["ci"]) == 2
    diff = contract["differences"]["closed"]["p_war"]
    assert set(diff) == {"estimate", "ci", "baseline", "resolved", "replications_needed"}
    assert diff["baseline"] == "open"
    assert isinstance(diff["resolved"], bool)

    single = to_contract(summary(runs[runs.replication == 0]), None)
    cell = single["conditions"]["open"]["mean_peak_rung"]
    assert cell["estimate"] == 5.0
    assert cell["ci"] == [None, None]
    assert cell["mc_se"] is None
    assert single["differences"] == {}
    json.dumps(single, allow_nan=False)
