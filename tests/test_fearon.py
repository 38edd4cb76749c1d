"""The shipped ``fearon`` scenario: Fearon's (1995) take-it-or-leave-it bargain from configuration.

docs/decision-v2.md §11 and §12 step 10; the mapping from Fearon's (p, c_A, lo, hi) to the
scenario's fields is in the file's header. Three tiers:

* the mapping, exactly: p from the capabilities through the contest success function, A's
  scripted offer ``1 - x*`` with x* = ``known_answers.fearon_demand_uniform``, B's type grid
  ``bargaining.type_grid(lo, hi, n)`` with equal weights, refusal at a war risk of 1, and the
  grid's own answer within the grid's resolution of the closed form;
* reproducibility: the same seed gives the same frames; the layout of the random block and the
  discount δ move nothing (the only randomness is B's drawn type, and δ cancels);
* known answers: each replication ends as Fearon's B would end it given its drawn type (war iff
  ``c_B < x* - p``, else a settlement at x*), exactly; P(war) over N = 8,000 replications
  within 4 standard errors of a proportion of the grid's answer 0.31 (4 √(0.31 · 0.69 / 8000) =
  0.021; a false failure about once in 16,000 runs of the suite), and of the closed form 0.3125
  within the same plus the grid's bias 0.0025; with complete information, no war.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from escalsim.batch import run_batch
from escalsim.core import bargaining as bg
from escalsim.core import known_answers as ka
from escalsim.core import streams
from escalsim.core.params import compile_params, win_probabilities
from escalsim.scenario import Scenario, load_scenario, with_condition
from escalsim.scenario.load import with_settings

SPEC = load_scenario("fearon")
PRIVATE, COMPLETE = SPEC.condition_names
#: Replications for the known answer: about 2 s of CPU (B's counter-offer against A's 200 padded
#: joint types dominates), in chunks of 1,000 to keep the arrays near 0.5 GB.
N = 8000
CHUNK = 1000


def fearon_terms(spec: Scenario) -> dict[str, Any]:
    """Fearon's (p, c_A, lo, hi, n) and A's offer, read from the scenario's own fields."""
    a, b = spec.powers
    offers = a.policy.offers
    assert [o.round for o in offers] == [1]
    cost_b = b.war_cost
    if isinstance(cost_b, float):  # a point: complete information
        lo = hi = cost_b
        n = 1
    else:
        lo, hi = cost_b.uniform
        n = cost_b.types
    return {
        "p": win_probabilities(spec)[0],
        "c_a": a.war_cost,
        "lo": lo,
        "hi": hi,
        "n": n,
        "share": offers[0].share,
        "precision": b.policy.precision,
    }


def drawn_costs(spec: Scenario, seed: int, reps: int) -> np.ndarray:
    """B's cost of war in each replication: its draw from the type stream, by inverse CDF."""
    params = compile_params(spec)
    u = streams.type_uniforms(seed, np.arange(reps), 2)[:, 1, 0]  # power B's cost draw
    return params.cost_types[1][bg.draw_type(params.cost_prior[1], u)]


def outcome(condition: str, seed: int, reps: int, **settings: Any) -> pd.DataFrame:
    spec = with_condition(SPEC, condition)
    if settings:
        spec = with_settings(spec, settings, source="test")
    out = run_batch(spec, seed=seed, replications=reps, keep=0, chunk=CHUNK).outcome
    return out.sort_values("replication").reset_index(drop=True)


# -- the mapping ------------------------------------------------------------------------------
def test_the_scenario_is_fearons_game_with_the_closed_forms_demand():
    """p = 1/4 from capabilities 1 and 3 (m = 1); A offers B exactly 1 - x*; B's types are the
    uniform grid's midpoints with equal weights; both powers stand on a rung of war risk 1."""
    spec = with_condition(SPEC, PRIVATE)
    t = fearon_terms(spec)
    assert (t["p"], t["c_a"], t["lo"], t["hi"], t["n"]) == (0.25, 0.0625, 0.125, 0.625, 100)
    assert win_probabilities(spec) == (0.25, 0.75)  # exactly
    assert spec.war.decisiveness == 1.0
    assert not [a for a in spec.actors if a.role != "power"]  # no allies in p
    x_star = ka.fearon_demand_uniform(t["p"], t["c_a"], t["lo"], t["hi"])
    assert x_star == 0.53125
    assert 1.0 - t["share"] == x_star  # exactly: dyadic fractions
    # The interior case of the closed form: neither corner.
    assert 2 * t["lo"] <= t["hi"] - t["c_a"]
    assert x_star < 1.0
    params = compile_params(spec)
    np.testing.assert_array_equal(params.cost_types[1], bg.type_grid(t["lo"], t["hi"], t["n"]))
    np.testing.assert_allclose(params.cost_prior[1], 1.0 / t["n"], rtol=1e-15)
    assert params.cost_prior[0][0] == 1.0  # A's cost is known: one type with all the mass
    assert params.cost_types[0][0] == t["c_a"]
    # Refusing is war: every rung a power can hold carries a war risk of 1.
    assert (params.initial_rung[[params.power_a, params.power_b]] == 0).all()
    assert params.war_risk[0] == 1.0
    assert params.war_rung == 1
    assert not params.capitulation
    assert params.implementation_error == 0.0
    assert spec.run.rounds == 1


def test_the_complete_information_offer_is_bs_war_annuity():
    spec = with_condition(SPEC, COMPLETE)
    t = fearon_terms(spec)
    assert t["lo"] == t["hi"] == 0.375  # the private prior's mean, now known
    x_star = ka.fearon_demand_uniform(t["p"], t["c_a"], t["lo"], t["hi"])
    assert x_star == t["p"] + t["lo"] == 0.625
    assert 1.0 - t["share"] == x_star
    assert t["share"] == (1.0 - t["p"]) - t["lo"] == 0.375  # B's war annuity, 1 - p - c_B
    assert ka.fearon_war_probability(t["p"], t["c_a"], t["lo"], t["hi"]) == 0.0


def test_the_grid_answer_is_the_closed_form_within_the_grids_resolution():
    """On the grid B refuses exactly the types below x* - p: 31 of 100, P(war) = 0.31, within
    half a cell's mass (1/(2n) = 0.005) of the closed form 0.3125. The discrete game's own
    optimum (``bg.fearon_demand`` on the grid) gives the same P(war) with a demand one cell's
    width from x*. And λ is a best response on this grid: the smallest annuity gap between
    accepting and refusing, 0.00125, times λ is 125."""
    t = fearon_terms(with_condition(SPEC, PRIVATE))
    p, c_a, lo, hi, n = t["p"], t["c_a"], t["lo"], t["hi"], t["n"]
    grid = bg.type_grid(lo, hi, n)
    x_star = 1.0 - t["share"]
    refuse = grid < x_star - p
    assert refuse.sum() == 31
    on_grid = refuse.mean()
    closed = ka.fearon_war_probability(p, c_a, lo, hi)
    assert closed == 0.3125
    assert abs(on_grid - closed) == pytest.approx(0.0025, abs=1e-15)
    assert abs(on_grid - closed) <= 1 / (2 * n)
    optimum = bg.fearon_demand(p, c_a, grid, bg.uniform_prior(n))
    assert 1.0 - float(optimum.accept) == pytest.approx(on_grid, abs=1e-12)
    assert abs((1.0 - float(optimum.share)) - x_star) <= (hi - lo) / n
    gap = np.abs(grid - (x_star - p)).min()
    assert gap == pytest.approx(0.00125, abs=1e-12)
    assert t["precision"] * gap >= 125 - 1e-6


# -- reproducibility --------------------------------------------------------------------------
def test_the_same_seed_gives_the_same_frames_and_another_seed_other_draws():
    spec = with_condition(SPEC, PRIVATE)
    first = run_batch(spec, seed=7, replications=300)
    second = run_batch(spec, seed=7, replications=300)
    for name in ("outcome", "timeseries", "events"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name))
    other = run_batch(spec, seed=8, replications=300).outcome
    assert not np.array_equal(first.outcome["war"], other["war"])


def test_the_discount_moves_nothing():
    """The only randomness is B's drawn type (the type stream, outside the block); δ = 0 gives
    every replication the same end, since a settlement and war are both divided by 1 - δ and
    the logit reads annuities."""
    base = outcome(PRIVATE, seed=3, reps=600)
    assert outcome(PRIVATE, seed=3, reps=600, **{"stakes.discount": 0.0}).equals(base)


# -- known answers ----------------------------------------------------------------------------
def test_every_replication_ends_as_fearons_b_would_with_its_drawn_type():
    """War iff B's drawn cost is below x* - p; otherwise B accepts in round 1 and A keeps
    exactly x*. Nothing else happens: no unresolved run, no other settlement, no acceptance by
    A (which accepts nothing) of B's counter-offer."""
    spec = with_condition(SPEC, PRIVATE)
    t = fearon_terms(spec)
    x_star = 1.0 - t["share"]
    reps, seed = 1500, 11
    run = run_batch(spec, seed=seed, replications=reps, chunk=CHUNK)
    out = run.outcome.sort_values("replication").reset_index(drop=True)
    cost = drawn_costs(spec, seed, reps)
    np.testing.assert_array_equal(out["war"].to_numpy(), cost < x_star - t["p"])
    assert set(out["outcome"]) == {"war", "settlement"}
    assert (out["end_round"] == 1).all()
    settled = out[out["outcome"] == "settlement"]
    assert (settled["settled_share_a"] == x_star).all()
    assert out.loc[out["war"], "settled_share_a"].isna().all()
    accepts = run.events[run.events["kind"] == "accept"]
    assert (accepts["actor"] == "B").all()
    assert len(accepts) == len(settled)
    assert (out["miscalculations"] == 0).all()


def test_p_war_is_fearons_over_the_drawn_types():
    """4 standard errors of a proportion over N = 8,000 replications around the grid's exact
    answer 0.31, and around the closed form 0.3125 with the grid's bias added."""
    t = fearon_terms(with_condition(SPEC, PRIVATE))
    out = outcome(PRIVATE, seed=1995, reps=N)
    p_war = float(out["war"].mean())
    grid = bg.type_grid(t["lo"], t["hi"], t["n"])
    on_grid = float((grid < (1.0 - t["share"]) - t["p"]).mean())
    closed = ka.fearon_war_probability(t["p"], t["c_a"], t["lo"], t["hi"])
    se = math.sqrt(on_grid * (1.0 - on_grid) / N)
    assert abs(p_war - on_grid) <= 4 * se, (p_war, on_grid, se)
    assert abs(p_war - closed) <= 4 * se + abs(on_grid - closed), (p_war, closed, se)


def test_complete_information_never_goes_to_war():
    """B's cost known: A demands p + c_B, exactly B's war annuity; B accepts at indifference
    (ties accept, Fearon's convention) in every replication."""
    out = outcome(COMPLETE, seed=4, reps=500)
    assert (out["outcome"] == "settlement").all()
    assert (out["settled_share_a"] == 0.625).all()
