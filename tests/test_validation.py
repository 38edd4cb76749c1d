"""The validation report: its quick checks pass, it renders, and its derivations hold.

The derivations in ``escalsim.core.known_answers`` are checked here against a brute-force
simulation of the noisy prisoner's dilemma written directly in numpy -- the textbook mechanics
(choose from p, flip the made choice; or flip the seen action, then choose), independent of the
model and of the transition matrices. Tolerance: the simulated share is a mean over independent
chains, so its standard error comes from them; the test allows the two-sided Student quantile
at 99.9% (a false failure once in 1,000 runs of a test) plus the start-up bias after the
burn-in, bounded by (1 - 2e)^BURN_IN / (1 - (1 - 2e)) <= 1e-4 here, spread over the rounds kept.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from conftest import run_cli_in_process
from escalsim.core import known_answers as ka
from escalsim.validation import CHECKS, check_names, render_report, run_checks, write_report

# The checks a model change could break that no other fast test covers run in the default run;
# the rest run in the slow tier (CI): TFT and GTFT under implementation noise are the known
# answers of tests/test_known_answers.py, TFT and WSLS under perception noise are their
# implementation-noise chains (test_perception_noise_differs_from_implementation_noise_for_gtft_only
# below), and the quiet run equal to its twin and a replication alone equal to its ensemble row
# are proven bit for bit by tests/test_posteriors.py, tests/test_round_bargaining.py (a quiet run
# of bargaining powers equals its twin), tests/test_mesa_ensemble.py and the golden master;
# Fearon's bargain is tests/test_fearon.py's known answer (8,000 replications, 4 standard
# errors), and no miscalculation under perfect information is
# tests/test_model_invariants.py::test_the_perfect_information_twin_never_miscalculates over
# generated scenarios. Together they cost 37 of the module's 52 s (`-n 0`: 15 s without them).
# The record checks of geneva-2022 and ukraine-talks-2022 (and record-joint, which shares their
# runs) cost about 9 s in quick mode; tests/test_record.py runs every record check.
SLOW_CHECKS = {
    "pd-tft-implementation",
    "pd-gtft-implementation",
    "pd-tft-perception",
    "pd-wsls-perception",
    "pd-memory-one-indexing",
    "fearon",
    "perfect-information",
    "quiet-equals-twin",
    "alone-equals-ensemble",
    "record-geneva-2022",
    "record-ukraine-talks-2022",
    "record-joint",
    "sensitivity",
}


@pytest.fixture(scope="module")
def quick():
    """The quick subset's outcomes, each check run once for the module when first asked for."""
    done: dict[str, Any] = {}

    def outcome(name: str) -> Any:
        if name not in done:
            [done[name]] = run_checks([name], seed=1, quick=True)
        return done[name]

    return outcome


def _tiered(names: list[str]) -> list[Any]:
    return [pytest.param(n, marks=[pytest.mark.slow] if n in SLOW_CHECKS else []) for n in names]


# A calibration or record check measures the scenario against data: it may fail until the
# scenarios are calibrated, and failing says so (tests/test_record.py checks the record's rows).
@pytest.mark.parametrize(
    "name",
    _tiered([n for n in check_names() if CHECKS[n].kind not in ("calibration", "record")]),
)
def test_each_quick_known_answer_check_passes(quick, name):
    result = quick(name).result
    failed = [row for row in result.rows if not row.passed]
    assert result.passed, (result.details, failed)
    assert result.rows
    assert result.n > 0
    assert result.tolerance_rule


def test_the_joint_fit_is_measured_against_both_targets(quick):
    """The verdict is each TVD against the stated threshold, whatever it is; the rows beside it
    show each target's own shares level by level (a mislabelled target once showed NaN here)."""
    from escalsim.calibration import load_target

    result = quick("joint-fit").result
    tvds = [r for r in result.rows if r.label.startswith("TVD")]
    assert [r.label for r in tvds] == ["TVD to MID 5.0", "TVD to ICB v14 (the crises)"]
    for row in tvds:
        assert 0.0 <= row.simulated <= 1.0
        assert not row.descriptive
    assert result.passed == all(r.simulated <= r.expected for r in tvds)
    for coding, name in (("MID", "mid5"), ("ICB", "icb14")):
        wanted = load_target(name).share_by_level()
        shown = {int(r.label.split()[1]): r for r in result.rows if r.label.startswith(coding)}
        assert set(shown) >= set(wanted)
        for level, row in shown.items():
            assert row.descriptive
            assert row.expected == pytest.approx(wanted.get(level, 0.0))
            assert row.ci[0] <= row.simulated <= row.ci[1]


def _screening(positive: int, counted: int, points: int = 26, baseline: float = 0.0) -> Any:
    """A constructed screening: ``positive`` of ``counted`` resolved points have effect > 0."""
    import pandas as pd

    from escalsim.validation.checks import _Screening

    share = pd.DataFrame(
        [
            {
                "metric": "p_war_direct",
                "baseline": baseline,
                "baseline_lo": baseline - 0.02,
                "baseline_hi": baseline + 0.02,
                "baseline_resolved": False,
                "counted": counted,
                "points": points,
                "positive": positive,
                "negative": counted - positive,
                "same_sign": 0,  # the baseline is exactly 0: its own sign decides nothing
                "share": math.nan,
            }
        ]
    )
    table = pd.DataFrame(
        [("p_war_direct", "precision", "mu_star", 0.03, 0.01, 0.05)],
        columns=["metric", "group", "index", "estimate", "lo", "hi"],
    )
    return _Screening(
        "s", 10, 300, 0, points, share, table, pd.DataFrame(), {}, {"p_war_direct": 0.01}
    )


@pytest.mark.parametrize(
    ("positive", "counted", "passes"),
    # Wilson 95% lower bounds: 9/10 -> 0.596; 7/10 -> 0.397; 2/10 -> 0.057; 4/4 -> 0.510
    [(9, 10, True), (7, 10, False), (2, 10, False), (4, 4, True), (88, 93, True)],
)
def test_the_sensitivity_check_decides_on_the_lower_bound_of_the_positive_share(
    positive, counted, passes
):
    """The deciding row is the share of resolved points at which closing the channel raises
    P(direct war), whatever the baseline's own estimate (here exactly 0); it passes iff its
    Wilson 95% lower bound is at least 0.5."""
    from escalsim.experiment.stats import wilson_interval
    from escalsim.validation.checks import _sign_rows

    rows = _sign_rows(_screening(positive, counted))
    [deciding] = [r for r in rows if not r.descriptive]
    assert deciding.n == counted
    assert deciding.simulated == pytest.approx(positive / counted)
    assert deciding.ci == pytest.approx(wilson_interval(positive, counted))
    assert deciding.passed is passes
    assert (wilson_interval(positive, counted)[0] >= 0.5) is passes


@pytest.mark.parametrize(("positive", "counted"), [(0, 0), (1, 1), (3, 3), (0, 3)])
def test_a_screening_with_fewer_than_four_resolved_points_decides_nothing(positive, counted):
    """3 of 3 has the Wilson lower bound 0.439: fewer than 4 points could not pass, so they
    do not decide either way."""
    from escalsim.experiment.stats import wilson_interval
    from escalsim.validation.checks import SENSITIVITY_MIN_RESOLVED, _sign_rows

    assert wilson_interval(3, 3)[0] < 0.5 <= wilson_interval(4, 4)[0]
    assert SENSITIVITY_MIN_RESOLVED == 4
    rows = _sign_rows(_screening(positive, counted))
    assert all(r.descriptive and r.passed for r in rows)
    assert any("too few to decide" in r.note for r in rows)
    mu = [r.label for r in rows if "μ*" in r.label]
    assert mu == ["s: μ* of group `precision` on p_war_direct"]


def test_the_out_of_sample_check_decides_on_the_registered_rows_only(quick):
    result = quick("out-of-sample").result
    ids = [r.label.split()[0] for r in result.rows]
    assert ids == ["O1", "O2", "O3", "O4", "O5", "O6", "O7"]
    deciding = [r for r in result.rows if not r.descriptive]
    assert [r.label.split()[0] for r in deciding] == ["O1", "O2", "O3", "O4", "O5"]
    assert result.passed == all(r.passed for r in deciding)


def test_the_superpower_fit_is_a_goodness_of_fit_test_against_twelve_crises(quick):
    """The verdict is the record's TVD against the 95th percentile of the TVD of 12 crises drawn
    from the model, whatever either is; the alternative coding and the p-values are shown and do
    not decide; the level rows show the target's own shares (and the alternative's in the note)."""
    from escalsim.calibration import load_target

    result = quick("superpower-fit").result
    by = {r.label: r for r in result.rows}
    deciding = [r for r in result.rows if not r.descriptive]
    assert [r.label for r in deciding] == ["TVD to superpowers12"]
    [tvd] = deciding
    [percentile] = [r for r in result.rows if r.label.startswith("95th percentile")]
    assert tvd.expected == percentile.simulated
    assert percentile.ci[0] <= percentile.simulated <= percentile.ci[1]
    assert 0.0 < percentile.simulated < 1.0
    assert result.passed == (tvd.simulated <= percentile.simulated)
    alternative = by["TVD to superpowers12-alternative"]
    assert alternative.descriptive
    assert alternative.passed
    for name in ("superpowers12", "superpowers12-alternative"):
        p = by[f"p-value of the fit to {name}"]
        assert p.descriptive
        assert 0.0 <= p.simulated <= 1.0
        if p.simulated > 0.05:  # beyond the 95th percentile implies p <= 0.05
            assert by[f"TVD to {name}"].simulated <= percentile.simulated
    wanted = load_target("superpowers12").share_by_level()
    other = load_target("superpowers12-alternative").share_by_level()
    shown = {int(r.label.split()[1]): r for r in result.rows if r.label.startswith("MID")}
    assert set(shown) >= set(wanted) == {2, 3, 4, 5}
    for level, row in shown.items():
        assert row.descriptive
        assert row.expected == pytest.approx(wanted.get(level, 0.0))
        assert f"{other.get(level, 0.0):.3f}" in row.note
        assert row.ci[0] <= row.simulated <= row.ci[1]
    assert sum(r.simulated for r in shown.values()) == pytest.approx(1.0)
    assert result.draw is not None
    assert "n = 12" in result.tolerance_rule


def test_the_superpower_out_of_sample_check_decides_on_n1_to_n3(quick):
    """N1 and N2 pass iff the share of runs lies in the 95% Clopper-Pearson interval of the
    record's count (5 and 4 of 12, from the record); N3 by the record checks' bound rule."""
    from escalsim.experiment.stats import clopper_pearson_interval
    from escalsim.validation import record

    result = quick("superpower-out-of-sample").result
    ids = [r.label.split()[0] for r in result.rows]
    assert ids[:3] == ["N1", "N2", "N3"]
    deciding = [r for r in result.rows if not r.descriptive]
    assert [r.label.split()[0] for r in deciding] == ["N1", "N2", "N3"]
    n1, n2, n3 = deciding
    for row, k in (
        (n1, record.crises_lasting(at_most=2)),
        (n2, record.crises_lasting(more_than=26)),
    ):
        lo, hi = clopper_pearson_interval(k, record.N_CRISES)
        assert row.expected == pytest.approx(k / record.N_CRISES)
        assert row.passed == (lo <= row.simulated <= hi)
        assert f"[{lo:.3f}, {hi:.3f}]" in row.note
        assert row.ci[0] <= row.simulated <= row.ci[1]
    assert n3.expected == record.RECORD_BOUND
    assert result.passed == all(r.passed for r in deciding)
    assert result.draw is not None
    if not result.passed:
        assert "Open findings" in result.details


def test_the_superpower_checks_run_the_scenario_file_as_it_is(monkeypatch):
    """Neither check holds the fitted risks itself: a file with other risks gives other rows."""
    from escalsim.scenario.load import with_settings
    from escalsim.validation import checks

    shipped = checks.load_scenario

    def riskier(name):
        spec = shipped(name)
        if name != "superpower-crisis":
            return spec
        return with_settings(spec, {"ladder.rungs.display.war_risk": 0.2})

    [before] = run_checks(["superpower-out-of-sample"], seed=1, quick=True)
    monkeypatch.setattr(checks, "load_scenario", riskier)
    [after] = run_checks(["superpower-out-of-sample"], seed=1, quick=True)
    war = [next(r for r in o.result.rows if r.label.startswith("N3")) for o in (before, after)]
    assert war[1].simulated > war[0].simulated


@pytest.mark.parametrize(
    "which", ["default-run checks", pytest.param("every check", marks=pytest.mark.slow)]
)
def test_the_report_has_a_section_per_check_and_its_figures(quick, tmp_path, which):
    names = [n for n in check_names() if which == "every check" or n not in SLOW_CHECKS]
    outcomes = [quick(n) for n in names]
    out = tmp_path / "validation.md"
    drawn = write_report(
        outcomes, out, seed=1, quick=True, command="escalsim verify --quick", seconds=1.0
    )
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Validation report\n")
    assert "escalsim verify --quick" in text
    assert "git commit" in text
    for i, o in enumerate(drawn, start=1):
        assert f"\n## {i}. {o.check.title}\n" in text
        assert f"[{o.check.name}](#" in text  # the summary table links the section
        section = text.split(f"\n## {i}. ")[1].split("\n## ")[0]
        for part in ("**What is tested.**", "**Source.**", "**Expected.**", "**Tolerance rule.**"):
            assert part in section, (o.check.name, part)
        if o.result.draw is not None:
            assert o.result.figure_path is not None
            assert (tmp_path / o.result.figure_path).stat().st_size > 1000
            assert f"]({o.result.figure_path.as_posix()})" in section
    passed = sum(o.result.passed for o in drawn)
    assert f"**{passed} of {len(drawn)} checks pass.**" in text


def test_a_failing_check_is_reported_with_its_reason():
    from escalsim.validation import Check, CheckResult, Outcome

    check = Check("x", "A check", "what", "source", "expected", lambda s, q: None)
    result = CheckResult.failure("**it broke** because of y", "the rule")
    text = render_report(
        [Outcome(check, result)],
        seed=1,
        quick=False,
        command="escalsim verify",
        seconds=0.0,
        commit="abc",
        date="today",
    )
    assert "**0 of 1 checks pass.** Failed: `x`" in text
    assert "**it broke** because of y" in text
    assert "**FAIL**" in text


def test_a_check_that_raises_is_a_failed_check(monkeypatch):
    from escalsim.validation import Check, register

    def boom(seed, quick):
        raise RuntimeError("no luck")

    monkeypatch.setitem(CHECKS, "boom", Check("boom", "Boom", "w", "s", "e", boom))
    [outcome] = run_checks(["boom"], seed=1, quick=True)
    assert not outcome.result.passed
    assert "RuntimeError: no luck" in outcome.result.details
    with pytest.raises(ValueError, match="already registered"):
        register(CHECKS["boom"])


def test_verify_exits_3_when_a_check_fails_and_still_writes_the_report(monkeypatch, tmp_path):
    from escalsim.cli import EXIT_CHECKS_FAILED, main
    from escalsim.validation import Check

    def fails(seed, quick):
        raise RuntimeError("no luck")

    monkeypatch.setitem(CHECKS, "boom", Check("boom", "Boom", "w", "s", "e", fails))
    out = tmp_path / "v.md"
    with pytest.raises(SystemExit) as stop:
        main(["verify", "--quick", "--check", "boom", "--out", str(out)])
    assert stop.value.code == EXIT_CHECKS_FAILED == 3
    assert "**0 of 1 checks pass.** Failed: `boom`" in out.read_text(encoding="utf-8")


def test_verify_command_writes_the_report(tmp_path):
    out = tmp_path / "v.md"
    res = run_cli_in_process(
        "verify", "--quick", "--check", "brinkmanship-open", "--out", str(out), "--seed", "3"
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "pass  brinkmanship-open"
    assert "1 of 1 checks pass" in res.stderr
    assert "## 1. Brinkmanship with private resolve, honest channel open" in out.read_text()
    bad = run_cli_in_process("verify", "--check", "nope", "--out", str(out))
    assert bad.returncode == 2
    assert "no check nope" in bad.stderr


# -- The derivations against a brute-force simulation of the game ---------------------------------
CHAINS = 1000
BURN_IN = 500
STEPS = 2500


def simulate_game(p_a, p_b, e, noise, seed):
    """Shares of CC, CD, DC, DD per chain, by playing the noisy game directly.

    Each of CHAINS independent games starts at CC and runs STEPS rounds; shares are over the
    rounds after BURN_IN. A player restrains with probability p[own, other] (own action first,
    C = 0); implementation noise flips the made choice, perception noise flips the other's
    action as the player sees it (its own is known).
    """
    rng = np.random.default_rng(seed)
    p_a, p_b = np.asarray(p_a, dtype=float), np.asarray(p_b, dtype=float)
    a = np.zeros(CHAINS, dtype=np.int64)
    b = np.zeros(CHAINS, dtype=np.int64)
    counts = np.zeros((CHAINS, 4))
    for t in range(STEPS):
        flip = rng.random((4, CHAINS)) < e
        u = rng.random((2, CHAINS))
        seen_b = np.where(flip[0], 1 - b, b) if noise == "perception" else b
        seen_a = np.where(flip[1], 1 - a, a) if noise == "perception" else a
        next_a = np.where(u[0] < p_a[2 * a + seen_b], 0, 1)
        next_b = np.where(u[1] < p_b[2 * b + seen_a], 0, 1)
        if noise == "implementation":
            next_a = np.where(flip[2], 1 - next_a, next_a)
            next_b = np.where(flip[3], 1 - next_b, next_b)
        a, b = next_a, next_b
        if t >= BURN_IN:
            counts[np.arange(CHAINS), 2 * a + b] += 1
    return counts / (STEPS - BURN_IN)


def assert_close(shares, expected, e):
    se = shares.std(ddof=1) / math.sqrt(len(shares))
    t = sps.t.ppf(1 - 0.001 / 2, len(shares) - 1)
    bias = (1 - 2 * e) ** BURN_IN / (2 * e) / (STEPS - BURN_IN)
    assert abs(shares.mean() - expected) <= t * se + bias, (shares.mean(), expected, se)


CLOSED_FORMS = {
    ("tft", "implementation"): lambda e: ka.tft_mutual_restraint(),
    ("tft", "perception"): ka.tft_mutual_restraint_perception,
    ("gtft", "implementation"): ka.gtft_mutual_restraint,
    ("gtft", "perception"): ka.gtft_mutual_restraint_perception,
    ("wsls", "implementation"): ka.wsls_mutual_restraint,
    ("wsls", "perception"): ka.wsls_mutual_restraint,
}
MEMORY_ONE = {"tft": ka.TFT, "gtft": ka.gtft(1 / 3), "wsls": ka.WSLS}


@pytest.mark.parametrize("e", [0.01, 0.05, 0.1])
@pytest.mark.parametrize(("strategy", "noise"), list(CLOSED_FORMS))
def test_closed_forms_match_a_brute_force_game(strategy, noise, e):
    p = MEMORY_ONE[strategy]
    seed = [int(e * 1000), len(strategy), len(noise)]
    shares = simulate_game(p, p, e, noise, seed)
    assert_close(shares[:, 0], CLOSED_FORMS[strategy, noise](e), e)


@pytest.mark.parametrize("noise", ka.NOISE_KINDS)
def test_the_general_chain_matches_a_brute_force_game_state_by_state(noise):
    """An asymmetric memory-one strategy against TFT: every state, so A/B and own/other
    cannot be swapped without a failure."""
    p_a = (0.8, 0.1, 0.5, 0.4)
    expected = ka.memory_one_stationary(p_a, ka.TFT, 0.05, noise)
    shares = simulate_game(p_a, ka.TFT, 0.05, noise, [7, len(noise)])
    for s in range(4):
        assert_close(shares[:, s], expected[s], 0.05)


def test_wsls_closed_form_values():
    assert ka.wsls_mutual_restraint(0.05) == pytest.approx(0.817, abs=1e-12)
    assert ka.wsls_mutual_restraint(0.01) == pytest.approx(0.960696, abs=1e-12)
    assert ka.wsls_mutual_restraint(0.0) == 1.0
    assert ka.wsls_mutual_restraint(0.5) == pytest.approx(0.25)


def test_perception_noise_differs_from_implementation_noise_for_gtft_only():
    for e in (0.01, 0.05, 0.1):
        for p in (ka.TFT, ka.WSLS):
            np.testing.assert_allclose(
                ka.memory_one_transition_matrix(p, p, e, "implementation"),
                ka.memory_one_transition_matrix(p, p, e, "perception"),
            )
        assert ka.gtft_mutual_restraint_perception(e) > ka.gtft_mutual_restraint(e) + 0.01


NOISE = st.floats(0.001, 0.5)
PROBABILITY = st.floats(0.0, 1.0)
STRATEGY = st.tuples(PROBABILITY, PROBABILITY, PROBABILITY, PROBABILITY)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(p_a=STRATEGY, p_b=STRATEGY, e=NOISE, noise=st.sampled_from(ka.NOISE_KINDS))
def test_stationary_distributions_sum_to_one_and_are_stationary(p_a, p_b, e, noise):
    matrix = ka.memory_one_transition_matrix(p_a, p_b, e, noise)
    np.testing.assert_allclose(matrix.sum(axis=1), 1.0, atol=1e-12)
    pi = ka.memory_one_stationary(p_a, p_b, e, noise)
    assert pi.sum() == pytest.approx(1.0, abs=1e-12)
    assert (pi >= 0).all()
    np.testing.assert_allclose(pi @ matrix, pi, atol=1e-9)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(e=NOISE, g=st.floats(0.05, 1.0))
def test_closed_forms_equal_the_numerical_stationary_distribution(e, g):
    for noise in ka.NOISE_KINDS:
        assert ka.wsls_stationary(e).sum() == pytest.approx(1.0, abs=1e-12)
        np.testing.assert_allclose(
            ka.memory_one_stationary(ka.WSLS, ka.WSLS, e, noise), ka.wsls_stationary(e), atol=1e-9
        )
        tft = ka.memory_one_stationary(ka.TFT, ka.TFT, e, noise)
        np.testing.assert_allclose(tft, 0.25, atol=1e-9)
    p = ka.gtft(g)
    assert ka.memory_one_stationary(p, p, e, "implementation")[0] == pytest.approx(
        ka.gtft_mutual_restraint(e, g), abs=1e-9
    )
    assert ka.memory_one_stationary(p, p, e, "perception")[0] == pytest.approx(
        ka.gtft_mutual_restraint_perception(e, g), abs=1e-9
    )


def test_verify_writes_a_results_folder_by_default_and_the_docs_only_when_asked(tmp_path):
    """It wrote over the committed docs/validation.md by default (issue 16, defect 11)."""
    check = ("verify", "--quick", "--check", "brinkmanship-closed", "--seed", "3")
    res = run_cli_in_process(*check, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert not (tmp_path / "docs").exists()
    folder = tmp_path / "results" / "validation"
    assert (folder / "validation.md").is_file()
    assert (folder / "validation" / "brinkmanship-closed.png").is_file()
    assert f"wrote {Path('results') / 'validation' / 'validation.md'}" in res.stderr
    # A folder given to --out gets validation.md and its figures, as docs/ has them.
    res = run_cli_in_process(*check, "--out", "docs", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "docs" / "validation.md").is_file()
    assert (tmp_path / "docs" / "validation" / "brinkmanship-closed.png").is_file()
    assert "`escalsim verify --out docs" in (tmp_path / "docs" / "validation.md").read_text()


def test_the_report_says_when_src_has_uncommitted_changes(tmp_path):
    """The report is written from a folder such as docs/; the check of src/ must not be
    relative to it (it once was, and never saw a change)."""
    import shutil
    import subprocess

    from escalsim.validation.report import git_description

    if shutil.which("git") is None:
        pytest.skip("no git")

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    (tmp_path / "src").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "src" / "model.py").write_text("x = 1\n")
    (tmp_path / "docs" / "notes.md").write_text("notes\n")
    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "start")
    assert "uncommitted" not in git_description(tmp_path / "docs")
    (tmp_path / "docs" / "notes.md").write_text("changed notes\n")
    assert "uncommitted" not in git_description(tmp_path / "docs")
    (tmp_path / "src" / "model.py").write_text("x = 2\n")
    assert git_description(tmp_path / "docs").endswith("with uncommitted changes under src/")
