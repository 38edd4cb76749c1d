"""The historical scenarios against the record: the bound, the product, the checks (issue 19)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalsim.experiment.stats import wilson_interval
from escalsim.scenario import load_scenario
from escalsim.validation import CHECKS, check_names, render_report, run_checks
from escalsim.validation import record as rec
from escalsim.validation.checks import ALPHA, RECORD_FAMILY, _bound_row

RECORD_CHECKS = [f"record-{h.scenario}" for h in rec.HISTORICAL] + ["record-joint"]


# -- The zero-event bound ------------------------------------------------------------------------
def test_the_bound_has_its_known_values():
    assert rec.zero_event_upper_bound(1) == pytest.approx(0.95)
    assert rec.zero_event_upper_bound(12) == pytest.approx(0.2209, abs=5e-5)
    assert rec.zero_event_upper_bound(12) == rec.RECORD_BOUND
    # 0 events in n trials at p = the bound has probability exactly 1 - confidence.
    assert (1 - rec.zero_event_upper_bound(12)) ** 12 == pytest.approx(0.05)
    assert rec.zero_event_upper_bound(1, confidence=0.99) == pytest.approx(0.99)


@pytest.mark.parametrize("n", [100, 300, 1000, 10_000])
def test_the_rule_of_three_approximates_the_bound_for_large_n(n):
    """3/n is above the exact bound, by about 1.5/n relatively: within 2% from n = 100 on."""
    exact = rec.zero_event_upper_bound(n)
    assert 3 / n >= exact
    assert (3 / n - exact) / exact < 0.02


@pytest.mark.parametrize("bad", [0, -1, 1.5])
def test_the_bound_refuses_a_sample_size_that_is_not_a_positive_integer(bad):
    with pytest.raises(ValueError, match="positive integer"):
        rec.zero_event_upper_bound(bad)


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, 1.5])
def test_the_bound_refuses_a_confidence_outside_0_1(bad):
    with pytest.raises(ValueError, match="confidence"):
        rec.zero_event_upper_bound(5, confidence=bad)


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=10_000),
    confidence=st.floats(min_value=0.5, max_value=0.999),
)
def test_the_bound_lies_in_0_1_and_falls_with_n_and_rises_with_confidence(n, confidence):
    b = rec.zero_event_upper_bound(n, confidence)
    assert 0.0 < b < 1.0
    assert rec.zero_event_upper_bound(n + 1, confidence) < b
    assert rec.zero_event_upper_bound(n, min(0.9995, confidence + 1e-3)) >= b
    # 1 - e^(-x) <= x: -ln(1 - confidence)/n is above the bound, and at 95% or less so is 3/n.
    assert -math.log(1 - confidence) / n >= b
    if confidence <= 0.95:
        assert 3 / n >= b


# -- The product and its interval ----------------------------------------------------------------
def test_the_product_of_one_minus_p_on_constructed_counts():
    counts = [(0, 100), (10, 100)]
    est, lo, hi = rec.record_probability(counts)
    assert est == pytest.approx(0.9)
    each = 0.95**0.5  # Šidák: both intervals cover together at 95%
    (l1, h1), (l2, h2) = (wilson_interval(k, n, each) for k, n in counts)
    assert lo == pytest.approx((1 - h1) * (1 - h2))
    assert hi == pytest.approx((1 - l1) * (1 - l2))
    assert lo < est < hi
    # A p-hat of 0 still has an interval of positive width (the delta method's would be 0).
    e0, lo0, hi0 = rec.record_probability([(0, 50)])
    assert e0 == hi0 == 1.0
    assert lo0 < 1.0


def test_the_product_of_one_proportion_is_its_complement_with_its_wilson_interval():
    est, lo, hi = rec.record_probability([(7, 40)])
    w_lo, w_hi = wilson_interval(7, 40)
    assert (est, lo, hi) == pytest.approx((1 - 7 / 40, 1 - w_hi, 1 - w_lo))


def test_a_wider_confidence_gives_a_wider_product_interval():
    counts = [(3, 200), (5, 100), (0, 1000)]
    _, lo95, hi95 = rec.record_probability(counts)
    _, lo999, hi999 = rec.record_probability(counts, 0.999)
    assert lo999 < lo95
    assert hi999 >= hi95


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.integers(min_value=1, max_value=500).flatmap(
            lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
        ),
        min_size=1,
        max_size=5,
    )
)
def test_the_product_interval_holds_its_estimate_and_stays_in_0_1(counts):
    est, lo, hi = rec.record_probability(counts)
    assert 0.0 <= lo <= est <= hi <= 1.0
    assert est == pytest.approx(math.prod(1 - k / n for k, n in counts))
    mean, m_lo, m_hi = rec.monotone_interval(lambda p: float(np.mean(p)), counts)
    assert 0.0 <= m_lo <= mean <= m_hi <= 1.0


def test_the_monotone_interval_refuses_no_proportions():
    with pytest.raises(ValueError, match="at least one"):
        rec.monotone_interval(lambda p: 0.0, [])


# -- Quantiles of a round ------------------------------------------------------------------------
def test_the_quantile_interval_uses_the_order_statistics_it_says():
    values = np.arange(1, 101)  # x_(i) = i
    est, lo, hi = rec.quantile_interval(values, 0.5)
    # n q = 50, z sqrt(n q (1 - q)) = 1.95996 x 5 = 9.80: ranks floor(40.2) = 40, ceil(59.8) + 1
    assert (est, lo, hi) == (50.0, 40.0, 61.0)
    assert rec.quantile_interval([3, 3, 3], 0.25) == (3.0, 3.0, 3.0)
    assert all(math.isnan(x) for x in rec.quantile_interval([], 0.5))
    with pytest.raises(ValueError, match="q must lie"):
        rec.quantile_interval(values, 1.0)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=200),
    st.sampled_from([0.25, 0.5, 0.75]),
)
def test_the_quantile_interval_holds_its_estimate_within_the_data(values, q):
    est, lo, hi = rec.quantile_interval(values, q)
    assert min(values) <= lo <= est <= hi <= max(values)


# -- The list of crises --------------------------------------------------------------------------
def test_the_list_of_comparable_crises_is_fixed_at_twelve_each_cited():
    assert rec.N_CRISES == len(rec.COMPARABLE_CRISES) == 12
    assert [c.number for c in rec.COMPARABLE_CRISES] == list(range(1, 13))
    assert rec.WARS_IN_RECORD == 0
    for c in rec.COMPARABLE_CRISES:
        assert c.name
        assert c.years
        assert len(c.citation) > 10, c


def test_every_crisis_has_a_hostility_code_its_alternative_and_a_duration():
    """MID levels 2-5 (a threat at least: each crisis is in the list because force was
    threatened, shown or used); an alternative is another level, or None; a duration in weeks
    is positive and finite (a crisis still open is counted to its account's end)."""
    for c in rec.COMPARABLE_CRISES:
        assert c.hostility in (2, 3, 4, 5), c
        assert c.coding, c
        assert c.alternative is None or (
            c.alternative in (2, 3, 4, 5) and c.alternative != c.hostility
        ), c
        assert 0 < c.weeks < math.inf, c
    assert sum(c.hostility == 5 for c in rec.COMPARABLE_CRISES) == rec.WARS_IN_RECORD


@pytest.mark.parametrize(
    ("name", "alternative"), [("superpowers12", False), ("superpowers12-alternative", True)]
)
def test_the_shipped_superpowers_targets_count_the_crises_codes(name, alternative):
    """The target files are the record's counts: a code changed in one must change in the other."""
    from escalsim.calibration import load_target

    target = load_target(name)
    assert target.coding == "mid"
    assert target.counts is not None
    shipped = {int(k): int(v) for k, v in zip(target.levels, target.counts, strict=True)}
    assert shipped == rec.hostility_counts(alternative=alternative)
    assert target.n == rec.N_CRISES


def test_the_alternative_coding_changes_only_the_ambiguous_crises():
    main, other = rec.hostility_counts(), rec.hostility_counts(alternative=True)
    assert sum(main.values()) == sum(other.values()) == rec.N_CRISES
    changed = [c for c in rec.COMPARABLE_CRISES if c.alternative is not None]
    moved = sum(abs(other[k] - main[k]) for k in main) // 2
    assert 0 < moved <= len(changed)


def test_the_crises_lasting_so_long_are_counted_as_registered():
    """N1 and N2 of docs/calibration.md's third round: 5 of the 12 crises lasted at most 2
    weeks, 4 more than 26 (the two Berlin crises, Syria and Ukraine)."""
    assert rec.crises_lasting(at_most=2) == 5
    assert rec.crises_lasting(more_than=26) == 4
    assert rec.crises_lasting(at_most=26) + rec.crises_lasting(more_than=26) == rec.N_CRISES
    assert rec.crises_lasting(more_than=10**6) == 0
    long = [c.number for c in rec.COMPARABLE_CRISES if c.weeks > 26]
    assert long == [1, 2, 11, 12]


def test_the_record_exposure_and_its_zero_event_rate():
    """386 weeks at a display of force or above (the crises coded 3 or 4), and the rate bound
    exp(-λ E) = 1 - confidence: at 0.5 the median-unbiased ln 2 / E, at 0.95 about 3 / E."""
    exposure = rec.exposure_weeks()
    assert exposure == sum(c.weeks for c in rec.COMPARABLE_CRISES if c.hostility >= 3) == 386.0
    for confidence in (0.5, 0.95, 0.99):
        rate = rec.zero_event_rate(exposure, confidence)
        assert math.exp(-rate * exposure) == pytest.approx(1 - confidence)
    assert rec.zero_event_rate(exposure) == pytest.approx(math.log(2) / 386)
    for bad in ({"exposure": 0.0}, {"exposure": math.inf}, {"exposure": 1.0, "confidence": 1.0}):
        with pytest.raises(ValueError, match="must"):
            rec.zero_event_rate(**bad)


def test_the_exposure_bound_is_the_per_crisis_bound_at_the_mean_length_and_grows_with_weeks():
    """1 - 0.05^(w/E): equal to 1 - 0.05^(1/n) for a crisis of the record's mean length E/n,
    0 for no weeks, increasing in w, and P(no war in w weeks) = 0.05 at the record's rate bound."""
    exposure = rec.exposure_weeks()
    assert rec.exposure_upper_bound(exposure / rec.N_CRISES) == pytest.approx(rec.RECORD_BOUND)
    assert rec.exposure_upper_bound(0.0) == 0.0
    weeks = [1.0, 4.3, 26.0, 173.9, 386.0]
    bounds = [rec.exposure_upper_bound(w) for w in weeks]
    assert bounds == sorted(bounds)
    assert rec.exposure_upper_bound(exposure) == pytest.approx(0.95)
    assert rec.exposure_upper_bound(10.0, exposure=10.0, confidence=0.5) == pytest.approx(0.5)
    for bad in (-1.0, math.inf, math.nan):
        with pytest.raises(ValueError, match="must"):
            rec.exposure_upper_bound(bad)


def test_each_historical_scenario_has_its_length_in_weeks():
    weeks = {h.scenario: rec.scenario_weeks(load_scenario(h.scenario)) for h in rec.HISTORICAL}
    assert weeks["hotline-1963"] == pytest.approx(30 / 7)
    assert weeks["able-archer-1983"] == weeks["geneva-2022"] == 26.0
    assert weeks["ukraine-talks-2022"] == pytest.approx(40 * 365.25 / 12 / 7)


@pytest.mark.parametrize("kwargs", [{}, {"at_most": 2, "more_than": 26}])
def test_crises_lasting_wants_exactly_one_bound(kwargs):
    with pytest.raises(ValueError, match="exactly one"):
        rec.crises_lasting(**kwargs)


def test_every_historical_scenario_is_one_shipped_crisis_of_the_list():
    from escalsim.scenario.shipped import names

    shipped = set(names())
    listed = [s for c in rec.COMPARABLE_CRISES for s in c.scenarios]
    assert len(listed) == len(set(listed))
    assert {h.scenario for h in rec.HISTORICAL} == set(listed) <= shipped
    for h in rec.HISTORICAL:
        assert h.scenario in rec.COMPARABLE_CRISES[h.crisis - 1].scenarios
        assert h.provenance
        assert h.record
        assert h.calendar
    assert [c.number for c in rec.COMPARABLE_CRISES if c.scenarios] == [4, 8, 12]


# -- The checks ----------------------------------------------------------------------------------
def test_a_probability_above_the_record_bound_fails_and_one_below_passes():
    high = rec.Estimate("p", 0.9, wilson_interval(90, 100), 100, 90)
    low = rec.Estimate("p", 0.1, wilson_interval(10, 100), 100, 10)
    assert not _bound_row("P(direct war)", high, rec.RECORD_BOUND).passed
    assert _bound_row("P(direct war)", low, rec.RECORD_BOUND).passed
    # At the bound itself Monte Carlo error does not fail it: the rule uses the lower end.
    k = round(rec.RECORD_BOUND * 200) + 5
    at = rec.Estimate("p", k / 200, wilson_interval(k, 200), 200, k)
    lo = wilson_interval(k, 200, 1 - ALPHA / RECORD_FAMILY)[0]
    assert _bound_row("P", at, rec.RECORD_BOUND).passed == (lo <= rec.RECORD_BOUND)


@pytest.fixture(scope="module")
def record_outcomes():
    return run_checks(RECORD_CHECKS, seed=1, quick=True)


def test_the_record_checks_register_as_record_checks():
    names = check_names()
    for name in RECORD_CHECKS:
        assert name in names
        assert CHECKS[name].kind == "record"
        assert rec.SELECTION_RULE.split(",")[0] in CHECKS[name].source
    assert names.index("record-joint") > max(names.index(n) for n in RECORD_CHECKS[:-1])
    for h in rec.HISTORICAL:
        assert CHECKS[f"record-{h.scenario}"].provenance == h.provenance


def test_each_record_check_runs_in_quick_mode_with_its_rows(record_outcomes):
    for o in record_outcomes:
        r = o.result
        assert r.rows, (o.check.name, r.details)
        assert r.tolerance_rule
        assert r.n > 0
        assert "raised" not in r.details
        deciding = [row for row in r.rows if not row.descriptive]
        assert len(deciding) == 2
        assert r.passed == all(row.passed for row in deciding)
        for row in r.rows:
            if row.label.startswith("P("):
                assert 0.0 <= row.ci[0] <= row.simulated <= row.ci[1] <= 1.0, row


def test_the_scenario_checks_report_the_issues_quantities(record_outcomes):
    by_name = {o.check.name: o.result for o in record_outcomes}
    for h in rec.HISTORICAL:
        labels = [row.label for row in by_name[f"record-{h.scenario}"].rows]
        for wanted in (
            "P(direct war between the powers)",
            "P(war of any pair)",
            "P(nuclear use)",
            "P(settlement of the powers' crisis)",
            "round of settlement: median",
        ):
            assert wanted in labels, (h.scenario, wanted)
        assert any("share of the stakes in a settlement" in label for label in labels)
    hotline = [row.label for row in by_name["record-hotline-1963"].rows]
    assert "P(settlement by round 13)" in hotline
    assert "P(settlement in rounds 12-14)" in hotline
    geneva = [row.label for row in by_name["record-geneva-2022"].rows]
    assert "P(war RUS-UKR in rounds 11-13)" in geneva
    assert "round of war RUS-UKR: median" in geneva


def test_the_scenario_checks_read_the_record_per_week_too_without_deciding(record_outcomes):
    """Each record check has a descriptive row against the bound for a crisis of its length."""
    by_name = {o.check.name: o.result for o in record_outcomes}
    for h in rec.HISTORICAL:
        rows = by_name[f"record-{h.scenario}"].rows
        [row] = [r for r in rows if "against the record's rate" in r.label]
        assert row.descriptive
        assert row.simulated == rows[0].simulated  # P(direct war)
        weeks = rec.scenario_weeks(load_scenario(h.scenario))
        assert row.expected == pytest.approx(rec.exposure_upper_bound(weeks))


def test_the_joint_check_reports_the_episodes_weekly_rate(record_outcomes):
    by_name = {o.check.name: o.result for o in record_outcomes}
    joint = by_name["record-joint"]
    [row] = [r for r in joint.rows if "weekly rate" in r.label]
    direct = [by_name[f"record-{h.scenario}"].rows[0].simulated for h in rec.HISTORICAL]
    weeks = [rec.scenario_weeks(load_scenario(h.scenario)) for h in rec.HISTORICAL]
    assert row.simulated == pytest.approx(-sum(math.log1p(-p) for p in direct) / sum(weeks))
    assert row.ci[0] <= row.simulated <= row.ci[1]
    assert row.expected == pytest.approx(rec.zero_event_rate(rec.exposure_weeks(), 0.95))
    assert row.descriptive


def test_the_joint_check_multiplies_the_scenarios_own_estimates(record_outcomes):
    by_name = {o.check.name: o.result for o in record_outcomes}
    direct = [by_name[f"record-{h.scenario}"].rows[0] for h in rec.HISTORICAL]
    joint = by_name["record-joint"]
    assert joint.rows[0].simulated == pytest.approx(math.prod(1 - r.simulated for r in direct))
    assert joint.rows[2].simulated == pytest.approx(rec.RECORD_BOUND)
    assert "cannot tell a model with 1% from one with 10%" in joint.details
    assert "approximation" in joint.details


def test_the_report_has_each_record_section_with_its_provenance(record_outcomes):
    text = render_report(
        record_outcomes,
        seed=1,
        quick=True,
        command="escalsim verify --quick",
        seconds=1.0,
        commit="abc",
        date="today",
    )
    assert "posterior-predictive checks of the historical scenarios" in text
    for i, o in enumerate(record_outcomes, start=1):
        section = text.split(f"\n## {i}. ")[1].split("\n## ")[0]
        assert "(record)" in section
        if o.check.provenance:
            assert "**Where the scenario's numbers come from.**" in section


def test_a_record_check_fails_and_verify_exits_3_when_the_model_breaks_the_record(
    monkeypatch, tmp_path
):
    """A bound far below the model's P(direct war) must fail the check, and verify exits 3."""
    from escalsim.cli import EXIT_CHECKS_FAILED, main

    monkeypatch.setattr(rec, "RECORD_BOUND", 1e-4)
    [outcome] = run_checks(["record-hotline-1963"], seed=1, quick=True)
    assert not outcome.result.passed
    assert not outcome.result.rows[0].passed
    out = tmp_path / "v.md"
    with pytest.raises(SystemExit) as stop:
        main(["verify", "--quick", "--check", "record-hotline-1963", "--out", str(out)])
    assert stop.value.code == EXIT_CHECKS_FAILED == 3
    assert "Failed: `record-hotline-1963`" in out.read_text(encoding="utf-8")
    # hotline-1963 records no reason for a failure: the report says that is a defect.
    assert "**Open finding.** no reason and no fix are recorded" in outcome.result.details


def test_a_failed_record_check_prints_the_scenarios_open_finding(monkeypatch):
    """ukraine-talks-2022 fails its per-crisis bound at full size (docs/validation.md): the
    report says why and what would fix it, from its HistoricalRecord; a passing check does not."""
    finding = rec.historical("ukraine-talks-2022").open_finding
    assert "what would fix it" in finding.lower()
    [passing] = run_checks(["record-ukraine-talks-2022"], seed=1, quick=True)
    if passing.result.passed:
        assert "Open finding" not in passing.result.details
    monkeypatch.setattr(rec, "RECORD_BOUND", 1e-4)
    [failing] = run_checks(["record-ukraine-talks-2022"], seed=1, quick=True)
    assert not failing.result.passed
    assert "**Open finding.** " + finding in failing.result.details


def test_the_ukraine_record_ending_is_coded_as_the_fact_base_states_it():
    """No direct war, no nuclear use, the powers' crisis not ended, and the pair's war neither
    ceased nor over at the horizon (docs/ukraine-talks-2022.md §8, checks 1-3)."""
    import pandas as pd

    frame = pd.DataFrame(
        {
            "outcome": ["unresolved", "settlement", "unresolved", "unresolved", "war"],
            "war": [False, False, False, False, True],
            "nuclear": [False, False, True, False, False],
            "ceasefires_RUS_UKR": [0, 0, 0, 1, 0],
            "at_war_RUS_UKR": [True, True, True, True, False],
        }
    )
    ending = rec.historical("ukraine-talks-2022").ending
    assert ending is not None
    assert ending(frame).tolist() == [True, False, False, False, False]
    assert rec.historical("able-archer-1983").ending(frame).tolist() == [
        True,
        False,
        True,
        True,
        False,
    ]
