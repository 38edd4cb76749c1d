"""Tier 3, known answers: the model's special cases against their analytic values and axelrod.

Tolerances come from the sample size, never from a searched seed:
- prisoner's dilemma shares are averaged per replication (rounds 201-2000); replications are
  independent, so the mean's standard error is estimated from them and the test allows
  5.4 standard errors: Student's t with 7 degrees of freedom exceeds 5.4 with probability 0.1%;
- P(war) is a binomial proportion over N runs; the test allows 4 binomial standard errors
  (a false failure about once in 16,000 runs of the suite).
"""

from __future__ import annotations

import functools
import math
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from escalsim.agents import EscalationModel
from escalsim.core.known_answers import (
    brinkmanship_war_probability,
    gtft_mutual_restraint,
    tft_mutual_restraint,
)
from escalsim.scenario import load_scenario, with_condition

sys.path.insert(0, str(Path(__file__).parent / "golden"))
import axelrod_matches

REPLICATIONS = axelrod_matches.MATCHES  # 8
BURN_IN = axelrod_matches.BURN_IN  # 200
T_CRIT = 5.4  # t(7) two-sided, 99.9%


def _restraint_shares(condition: str, seed: int = 2024) -> np.ndarray:
    # The axelrod cross-check reads the same (seeded) matches as the known-answer tests.
    return np.array(_restraint_shares_of(condition, seed))


@functools.cache
def _restraint_shares_of(condition: str, seed: int) -> tuple[float, ...]:
    spec = with_condition(load_scenario("ipd-noise"), condition)
    # One mesa model steps the replications together: the same frames as one model each
    # (tests/test_mesa_ensemble.py), without paying numpy's per-round cost once per replication.
    frames = EscalationModel(scenario=spec, seed=seed, replications=REPLICATIONS).run().timeseries
    shares = []
    for rep in range(REPLICATIONS):
        ts = frames[(frames["replication"] == rep) & (frames["round"] > BURN_IN)]
        rungs = ts.pivot(index="round", columns="actor", values="rung")
        shares.append(float((rungs == 0).all(axis=1).mean()))
    return tuple(shares)


def _within(shares: np.ndarray, truth: float) -> None:
    se = shares.std(ddof=1) / math.sqrt(len(shares))
    assert abs(shares.mean() - truth) <= T_CRIT * se + 1e-12, (shares.mean(), truth, se)


def _headline(condition: str, *rest: Any) -> Any:
    """A noise level as a parameter: 0.05 (the headline level, every strategy) in the default run,
    the others in the slow tier (CI): each costs a few seconds of 2,000-round games."""
    marks = [] if condition.endswith("_e05") else [pytest.mark.slow]
    return pytest.param(condition, *rest, marks=marks, id=condition if not rest else None)


@pytest.mark.parametrize("condition", [_headline(c) for c in ("tft_e01", "tft_e05", "tft_e10")])
def test_tit_for_tat_mutual_restraint_is_one_quarter(condition):
    """TFT vs TFT under implementation noise: the share of mutual restraint is exactly 1/4."""
    _within(_restraint_shares(condition), tft_mutual_restraint())


@pytest.mark.parametrize(
    ("condition", "e", "expected"),
    [
        _headline("gtft_e01", 0.01, 0.9431),
        _headline("gtft_e05", 0.05, 0.7656),
        _headline("gtft_e10", 0.10, 0.6173),
    ],
)
def test_generous_tit_for_tat_mutual_restraint_is_s_squared(condition, e, expected):
    """GTFT (g = 1/3): s² with s = b/(1 - (a - b)), a = 1 - e, b = g(1 - 2e) + e."""
    assert gtft_mutual_restraint(e) == pytest.approx(expected, abs=5e-5)
    _within(_restraint_shares(condition), gtft_mutual_restraint(e))


@pytest.mark.parametrize(
    ("strategy", "e"),
    [
        pytest.param(c, e, marks=[] if e == 0.05 else [pytest.mark.slow], id=f"{c}-{e}")
        for c, e in axelrod_matches.CASES
    ],
)
def test_agrees_with_the_axelrod_library(strategy, e):
    """The same matches (2000 turns, noise e, 8 matches) in escalsim and in axelrod agree.

    axelrod's shares are the ones it plays, stored (tests/golden/axelrod_matches.py says why;
    the slow test below plays them again and requires the same numbers)."""
    made_with, shares = axelrod_matches.stored()
    assert made_with == version("axelrod"), (
        f"tests/golden/axelrod.json was made with axelrod {made_with}, not the installed "
        f"{version('axelrod')}: run .venv/bin/python tests/golden/axelrod_matches.py"
    )
    ours = _restraint_shares(f"{strategy}_e{round(e * 100):02d}")
    theirs = np.array(shares[axelrod_matches.key(strategy, e)])
    assert len(theirs) == REPLICATIONS
    se = math.sqrt(ours.var(ddof=1) / len(ours) + theirs.var(ddof=1) / len(theirs))
    assert abs(ours.mean() - theirs.mean()) <= T_CRIT * se, (ours.mean(), theirs.mean(), se)


@pytest.mark.slow
@pytest.mark.parametrize(("strategy", "e"), axelrod_matches.CASES)
def test_the_stored_axelrod_shares_are_what_axelrod_plays(strategy, e):
    """The installed axelrod, imported and played: exactly the stored numbers."""
    _, shares = axelrod_matches.stored()
    played = axelrod_matches.play(strategy, e)
    assert played.tolist() == shares[axelrod_matches.key(strategy, e)]


def _war_share(condition: str, runs: int, seed: int = 7) -> float:
    spec = with_condition(load_scenario("brinkmanship"), condition)
    outcome = EscalationModel(scenario=spec, seed=seed, replications=runs).run().outcome
    assert len(outcome) == runs
    return float((outcome["outcome"] == "war").sum()) / runs


def test_brinkmanship_closed_channel_matches_the_closed_form():
    spec = load_scenario("brinkmanship")
    r = spec.ladder.rungs[1].war_risk
    expected = brinkmanship_war_probability(r, tuple(a.resolve for a in spec.powers))
    assert expected == pytest.approx(1 - 0.95**5)
    runs = 1500
    share = _war_share("channel_closed", runs)
    assert abs(share - expected) <= 4 * math.sqrt(expected * (1 - expected) / runs)


def test_brinkmanship_open_honest_channel_never_goes_to_war():
    """Resolves known in round 1: the weaker side concedes at once, every time."""
    spec = with_condition(load_scenario("brinkmanship"), "channel_open")
    for r in range(200):
        model = EscalationModel(scenario=spec, seed=7, replication=r).run()
        assert model.outcome_name == "capitulation_a"
        assert model.end_round == 1
