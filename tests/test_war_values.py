"""The war phase's values (``core/bargaining.py``, docs/pair-wars.md §3.3-§5), ahead of wiring.

As ``test_bargaining.py``: each unit test states the value it expects and how it was computed by
hand; the Monte Carlo check uses a fixed seed (19, chosen before the first run and never
changed) and a tolerance of 4 standard errors of its mean, with n stated in the test.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalsim.core import bargaining as bg

settings.register_profile(
    "war_values", max_examples=150, deadline=None, derandomize=True, database=None
)
PROFILE = settings.get_profile("war_values")
UNIT = st.floats(0.0, 1.0)
DELTA = st.floats(0.0, 0.99)
COST = st.floats(0.0, 2.0)
HAZARD = st.floats(0.0, 1.0)

#: A ladder with two rungs below war (0, 1), the war rung 2, a conventional intensity above it
#: (3, "wider war"), a nuclear rung (4) and a strategic rung (5).
LADDER = bg.WarLadder(
    costs=np.array([0.0, 0.05, 0.3, 0.4, 0.5, 1.0]),
    advantage=np.array([0.0, 0.0, 0.0, 0.1, 0.3, 0.5]),
    exchange_hazard=np.array([0.0, 0.0, 0.0, 0.0, 0.02, 1.0]),
    war_rung=2,
    nuclear_rung=4,
    strategic_rung=5,
    jump=2,
)
DELTA_HAND = 0.9


def _war(x=2, y=2.0, **kw):
    """``war_ladder_utilities`` for i at rung x against the other at ŷ; defaults by hand."""
    args = {
        "ladder": LADDER,
        "nuclear": True,
        "front": 0.5,
        "strength": 1.0,
        "strength_j": 1.0,
        "cost": 0.1,
        "exchange": bg.exchange_state_value(-1.0, DELTA_HAND),  # -10
        "prevail": bg.settlement_value(1.0, DELTA_HAND),  # 10
        "delta": DELTA_HAND,
        "step": 0.1,
        "posterior_j": np.array([0.5, 0.5]),
        "cost_j": np.array([0.05, 0.6]),
        "quit_j": np.full(2, bg.settlement_value(0.0, DELTA_HAND)),  # conceding: 0
    }
    return bg.war_ladder_utilities(x, y, **(args | kw))


# -- odds, hazards, assumed risk ----------------------------------------------------------------
def test_boosted_odds_known_values():
    assert bg.boosted_win_probability(3.0, 1.0, 0.0, 0.0) == pytest.approx(0.75)  # part 1's p
    assert bg.boosted_win_probability(3.0, 1.0, 1 / 3, 0.0) == pytest.approx(0.8)  # 4 / (4 + 1)
    assert bg.boosted_win_probability(1.0, 1.0, 0.3, 0.0) == pytest.approx(1.3 / 2.3)
    assert bg.boosted_win_probability(3.0, 1.0, 0.0, 2.0, 2.0) == pytest.approx(0.5)  # 9 vs 9


@settings(PROFILE)
@given(
    k_i=st.floats(0.1, 10.0),
    k_j=st.floats(0.1, 10.0),
    a=st.floats(0.0, 2.0),
    extra=st.floats(0.0, 2.0),
    a_j=st.floats(0.0, 2.0),
    m=st.floats(0.0, 4.0),
)
def test_boosted_odds_rise_with_own_advantage_and_reduce_to_part_one(k_i, k_j, a, extra, a_j, m):
    p = bg.boosted_win_probability(k_i, k_j, a, a_j, m)
    assert 0.0 <= p <= 1.0
    assert bg.boosted_win_probability(k_i, k_j, a + extra, a_j, m) >= p - 1e-12
    assert bg.boosted_win_probability(k_i, k_j, 0.0, 0.0, m) == pytest.approx(
        bg.win_probability(k_i, k_j, m)
    )
    assert p + bg.boosted_win_probability(k_j, k_i, a_j, a, m) == pytest.approx(1.0)


def test_exchange_hazard_is_the_highest_intensity_held():
    eta = np.array([0.0, 0.0, 0.0, 0.0, 0.02, 0.08])
    # The field is read at the highest rung held, from the war rung up (the checks keep it 0
    # below the war rung): a conventional intensity below the nuclear rung (4) may carry an
    # inadvertent escalation's hazard.
    assert bg.exchange_hazard_held(np.array([0, 0, 0.01, 0.5, 0.02, 0.08]), 3, 2, 4) == 0.5
    assert bg.exchange_hazard_held(np.array([0, 0, 0.01, 0.5, 0.02, 0.08]), 2, 2, 4) == 0.01
    assert bg.exchange_hazard_held(eta, 3, 2, 4) == 0.0
    assert bg.exchange_hazard_held(eta, 4, 2, 4) == pytest.approx(0.02)  # one side nuclear
    assert bg.exchange_hazard_held(eta, 4, 5, 4) == pytest.approx(0.08)  # the higher rung's
    assert bg.exchange_hazard_held(eta, 4, 2, 4, scale=2.0) == pytest.approx(0.04)  # assumed
    # Against a non-nuclear client whose patron intervenes with probability 0.25.
    assert bg.exchange_hazard_held(eta, 4, 2, 4, possible=0.25) == pytest.approx(0.005)
    assert bg.exchange_hazard_held(eta, 5, 2, 4, strategic_rung=5) == 1.0  # an exchange
    assert bg.exchange_hazard_held(eta, 5, 2, 4, scale=0.0, strategic_rung=5) == 1.0
    assert bg.exchange_hazard_held(eta, 5, 5, None) == 0.0  # no nuclear rung
    # An expected rung halfway between 3 and 4 interpolates, as dynamics.war_probability.
    assert bg.exchange_hazard_held(eta, 2, 3.5, 4) == pytest.approx(0.01)


def test_assumed_exchange_probability_compounds_the_hazard():
    # docs/pair-wars.md §13: 1% a week is 79% over 156 weeks, and 4.3% a month over 36 months.
    assert bg.assumed_exchange_probability(0.01, 156) == pytest.approx(1 - 0.99**156)
    assert float(bg.assumed_exchange_probability(0.01, 156)) == pytest.approx(0.79, abs=0.005)
    assert float(bg.assumed_exchange_probability(0.043, 36)) == pytest.approx(0.79, abs=0.01)
    assert bg.assumed_exchange_probability(0.01, 10, scale=3.0) == pytest.approx(1 - 0.97**10)
    assert bg.assumed_exchange_probability(0.2, 0) == 0.0
    assert bg.assumed_exchange_probability(0.6, 3, scale=2.0) == 1.0  # clipped at 1


# -- the value of holding in a war with an exchange hazard ----------------------------------
WAR_HOLD = {
    "q": UNIT,
    "p": UNIT,
    "cost": COST,
    "k": st.floats(0.0, 1.0),
    "h": HAZARD,
    "v_ex": st.floats(-100.0, 0.0),
    "delta": DELTA,
    "sigma": UNIT,
}


@settings(PROFILE)
@given(**WAR_HOLD)
def test_war_hold_value_solves_its_recursion(q, p, cost, k, h, v_ex, delta, sigma):
    """V(q) = h V_ex + (1 - h)(q - c - k + δ V(E q')), E q' = p + (1 - σ)(q - p): V is linear
    in q, so V(E q') = E V(q')."""
    v = float(bg.war_hold_value(q, p, cost, k, h, v_ex, delta, sigma))
    later = float(bg.war_hold_value(p + (1 - sigma) * (q - p), p, cost, k, h, v_ex, delta, sigma))
    assert v == pytest.approx(h * v_ex + (1 - h) * (q - cost - k + delta * later), abs=1e-9)
    assert float(bg.war_hold_value(q, p, cost, k, 1.0, v_ex, delta, sigma)) == pytest.approx(v_ex)


@settings(PROFILE)
@given(**WAR_HOLD)
def test_war_hold_value_reduces_to_the_front_and_to_hold_value(
    q, p, cost, k, h, v_ex, delta, sigma
):
    """At h = 0 and k = 0 it is ``front_war_value``; at q = p it is ``hold_value`` with the flow
    ``p - c - k``, risk h and the exchange in place of war (the war phase is a crisis whose
    catastrophe is the exchange)."""
    assert bg.war_hold_value(q, p, cost, 0.0, 0.0, v_ex, delta, sigma) == pytest.approx(
        bg.front_war_value(p, cost, delta, q, sigma), abs=1e-9
    )
    assert bg.war_hold_value(p, p, cost, k, h, v_ex, delta, sigma) == pytest.approx(
        bg.hold_value(p - cost - k, h, v_ex, delta), abs=1e-9
    )
    # σ = 1: the front jumps to its expectation after one battle, so only round 0's gap counts.
    assert bg.war_hold_value(q, p, cost, k, h, v_ex, delta, 1.0) == pytest.approx(
        bg.hold_value(p - cost - k, h, v_ex, delta) + (1 - h) * (q - p), abs=1e-9
    )
    # σ = 0: the front never moves; the war is a hold at the flow q - c - k.
    assert bg.war_hold_value(q, p, cost, k, h, v_ex, delta, 0.0) == pytest.approx(
        bg.hold_value(q - cost - k, h, v_ex, delta), abs=1e-9
    )


@settings(PROFILE)
@given(
    q=UNIT,
    p=UNIT,
    cost=COST,
    k=st.floats(0.0, 1.0),
    h=HAZARD,
    delta=DELTA,
    sigma=UNIT,
    more=st.floats(0.0, 1.0),
    below=st.floats(0.0, 50.0),
)
def test_a_higher_hazard_lowers_the_war_when_the_exchange_is_worse(
    q, p, cost, k, h, delta, sigma, more, below
):
    """If the exchange is worth less than the war at every front (V_ex <= min V_h over q in
    [0, 1], V linear in q), a higher hazard h' >= h lowers the value: the Bellman operator at h'
    maps V_h below itself, and it is monotone."""
    # V_ex enters V_h only through hold_value's r W term: V_h(q; x) = V_h(q; 0) + w x with
    # w = h/(1 - δ(1 - h)) <= 1, so x <= min_q V_h(q; x) holds for x <= min_q V_h(q; 0)/(1 - w).
    worst = min(float(bg.war_hold_value(e, p, cost, k, h, 0.0, delta, sigma)) for e in (0, 1))
    weight = h / (1 - delta * (1 - h))
    x = worst / (1 - weight) - below if weight < 1 - 1e-9 else min(worst, 0.0) - below
    tol = 1e-9 * (1.0 + abs(x))
    assert min(bg.war_hold_value(e, p, cost, k, h, x, delta, sigma) for e in (0, 1)) >= x - tol
    h2 = min(1.0, h + more)
    lo = float(bg.war_hold_value(q, p, cost, k, h2, x, delta, sigma))
    hi = float(bg.war_hold_value(q, p, cost, k, h, x, delta, sigma))
    assert lo <= hi + tol


def test_an_exchange_below_part_one_w_can_still_be_worth_more_than_a_losing_war():
    """The design's check (V_ex below every type's W) is not enough once the front moves: a side
    that holds nothing (q = 0) at odds 1/2 with cost 0.6 has W = (0.5 - 0.6)/0.1 = -1 but
    V(0) = -1 - 0.5/0.19 = -3.63; an exchange worth -2 (exchange_value -0.2) is below W and above
    V(0), so a hazard *raises* that side's value. The sufficient check, exchange_value <=
    -(c_max + k_max), bounds every war's flow from below (q >= 0), so V_ex <= every war value."""
    v0 = float(bg.war_hold_value(0.0, 0.5, 0.6, 0.0, 0.0, -2.0, 0.9, 0.1))
    assert v0 == pytest.approx(-1 - 0.5 / 0.19)
    assert float(bg.war_value(0.5, 0.6, 0.9)) > -2.0
    assert bg.war_hold_value(0.0, 0.5, 0.6, 0.0, 0.1, -2.0, 0.9, 0.1) > v0


@settings(PROFILE)
@given(q=UNIT, p=UNIT, cost=COST, k=st.floats(0.0, 1.0), delta=DELTA, sigma=UNIT)
def test_the_sufficient_exchange_check_puts_the_exchange_below_every_war(
    q, p, cost, k, delta, sigma
):
    v_ex = bg.exchange_state_value(-(cost + k), delta)
    assert bg.war_hold_value(q, p, cost, k, 0.0, v_ex, delta, sigma) >= v_ex - 1e-9


def test_a_simulated_war_with_an_exchange_hazard_is_worth_its_closed_form():
    """Monte Carlo of the chain (20,000 wars, p = 0.4, q₀ = 0.7, σ = 0.1, c = 0.1, k = 0.05,
    h = 0.03, V_ex = -20, δ = 0.9, truncated at 300 rounds, where δ^300 < 2e-14): each round an
    exchange ends the war with probability h (worth δ^t V_ex), else the flow ``q_t - c - k`` and
    a battle. The mean discounted sum is ``war_hold_value`` within 4 standard errors."""
    p, q0, sigma, cost, k, h, v_ex, delta = 0.4, 0.7, 0.1, 0.1, 0.05, 0.03, -20.0, 0.9
    n, rounds = 20_000, 300
    rng = np.random.default_rng(19)
    q = np.full(n, q0)
    alive = np.ones(n, dtype=bool)
    total = np.zeros(n)
    for t in range(rounds):
        exchange = alive & (rng.random(n) < h)
        total += np.where(exchange, delta**t * v_ex, 0.0)
        alive &= ~exchange
        total += np.where(alive, delta**t * (q - cost - k), 0.0)
        q = bg.front_step(q, rng.random(n) < p, sigma)
    expected = float(bg.war_hold_value(q0, p, cost, k, h, v_ex, delta, sigma))
    se = total.std(ddof=1) / np.sqrt(n)
    assert abs(total.mean() - expected) < 4 * se, (total.mean(), expected, se)
    # The hazard matters at this precision: the war without it is worth far more.
    assert float(bg.front_war_value(p, cost + k, delta, q0, sigma)) - expected > 20 * se


# -- the moves of a side at war ----------------------------------------------------------------
def test_war_targets_floor_at_the_war_rung():
    np.testing.assert_array_equal(bg.war_targets(2, LADDER), [2, 2, 3, 4])  # down is a hold
    np.testing.assert_array_equal(bg.war_targets(4, LADDER), [3, 4, 5, 5])  # clipped at the top
    np.testing.assert_array_equal(bg.war_targets(np.array([2, 3]), LADDER)[1], [2, 3, 4, 5])


def test_war_ladder_hand_computed_step_onto_the_nuclear_rung():
    """i at the war rung (2) against the other at 2, stepping up twice (the jump) to rung 4."""
    d, q, c, v_ex = 0.9, 0.5, 0.1, -10.0
    # Odds: K = 1 each, a(4) = 0.3, a(2) = 0: p = 1.3 / 2.3. Hazard 0.02; k = 0.5 - 0.3 = 0.2.
    p, h, k = 1.3 / 2.3, 0.02, 0.2
    # The other's hold value per type (its front 0.5, odds 1 - p, no posture cost above war):
    # [h V_ex + (1 - h)(1 - p - c_j)] / (1 - δ(1 - h)) + (1 - h)(p - q) / (1 - δ(1 - h)(1 - σ)).
    gap = (1 - h) * (q - (1 - p)) / (1 - d * (1 - h) * 0.9)
    h_j = [(h * v_ex + (1 - h) * (1 - p - c_j)) / (1 - d * (1 - h)) + gap for c_j in (0.05, 0.6)]
    assert h_j[0] == pytest.approx(1.8107, abs=1e-4)  # fights on: above conceding (0)
    assert h_j[1] == pytest.approx(-2.7571, abs=1e-4)  # quits
    quit = 0.5
    # i's continuation at next round's expected front, E q' = p + 0.9 (q - p):
    q_next = p + 0.9 * (q - p)
    hold = (h * v_ex + (1 - h) * (p - c - k)) / (1 - d * (1 - h)) + (1 - h) * (q_next - p) / (
        1 - d * (1 - h) * 0.9
    )
    u = h * v_ex + (1 - h) * (q - c - k + d * (quit * 10.0 + (1 - quit) * hold))
    assert u == pytest.approx(4.5069, abs=1e-4)
    assert _war()[3] == pytest.approx(u)
    # The hold at the war rung: no hazard; the type with cost 0.6 quits even so (its war,
    # (0.5 - 0.6)/0.1 = -1, is worse than conceding), the other fights on. i's continuation is
    # its war over the front at q = p = 0.5, W = (0.5 - 0.1)/0.1 = 4, so
    # U = 0.4 + 0.9 (0.5 * 10 + 0.5 * 4) = 6.7; with nobody quitting it is W itself.
    assert _war()[1] == pytest.approx(6.7)
    assert _war(quit_j=np.full(2, -1e9))[1] == pytest.approx(4.0)
    assert _war()[0] == _war()[1]  # a step down at the war rung is a hold


def test_a_non_nuclear_side_has_no_nuclear_move_and_choose_never_takes_one():
    u = _war(nuclear=False)
    assert np.isnan(u[3])  # the jump onto the nuclear rung
    assert not np.isnan(u[:3]).any()  # rung 3, "wider war", is open to it
    targets = bg.war_targets(2, LADDER)
    escalation = np.concatenate([[False, False], targets > 2])  # steps up: best responses only
    options = np.concatenate([[np.nan, 0.0], u])  # no offer standing; conceding worth 0
    available = np.ones(6, dtype=bool)
    for draw in np.linspace(0.0, 0.999, 25):
        pick = int(bg.choose(options, available, escalation, 5.0, draw, 0.1))
        assert not np.isnan(options[pick])
    probs = bg.choice_probabilities(options, available, escalation, 5.0, 0.1)
    assert probs[0] == 0.0
    assert probs[5] == 0.0


def test_the_strategic_rung_is_worth_the_exchange():
    # From rung 4 a step up reaches 5, the strategic rung: hazard 1, worth V_ex whatever Q.
    assert _war(x=4, y=2.0)[2] == pytest.approx(-10.0)


WAR_LADDER = {
    "x": st.integers(2, 5),
    "y": st.floats(2.0, 5.0),
    "front": UNIT,
    "strength": st.floats(0.2, 5.0),
    "cost": COST,
    "e": st.floats(-20.0, -0.5),
    "delta": st.floats(0.0, 0.95),
    "step": UNIT,
    "scale": st.floats(0.0, 3.0),
}


@settings(PROFILE)
@given(**WAR_LADDER)
def test_with_nobody_quitting_each_move_is_worth_holding_it(
    x, y, front, strength, cost, e, delta, step, scale
):
    """With the other never quitting, U(x') is ``war_hold_value`` at the current front with the
    candidate's odds, posture cost and hazard: the continuation is the look-ahead's stationary
    solution, as ``refusal_values`` is for ``ladder_utilities``."""
    v_ex = bg.exchange_state_value(e, delta)
    u = _war(
        x,
        y,
        front=front,
        strength=strength,
        cost=cost,
        exchange=v_ex,
        delta=delta,
        step=step,
        risk_scale=scale,
        quit_j=np.full(2, -1e9),
    )
    xp = bg.war_targets(x, LADDER)
    p = bg.boosted_win_probability(
        strength, 1.0, LADDER.advantage[xp], np.interp(y, range(6), LADDER.advantage)
    )
    h = bg.exchange_hazard_held(LADDER.exchange_hazard, xp, y, 4, scale, 1.0, 5)
    k = LADDER.costs[xp] - LADDER.costs[2]
    expected = bg.war_hold_value(front, p, cost, k, h, v_ex, delta, step)
    np.testing.assert_allclose(u, expected, rtol=1e-9, atol=1e-9)


@settings(PROFILE)
@given(
    front=UNIT,
    cost=COST,
    e=st.floats(-20.0, -0.5),
    worse=st.floats(0.0, 20.0),
    delta=st.floats(0.0, 0.95),
    step=UNIT,
)
def test_a_worse_exchange_lowers_the_value_of_a_nuclear_step(front, cost, e, worse, delta, step):
    """Against an other that does not quit, a more negative ``exchange_value`` lowers the value
    of the step onto the nuclear rung and leaves the conventional moves' values alone. (With
    quitting it need not: a worse exchange also coerces the other, Powell 1990.)"""
    kw = {"front": front, "cost": cost, "delta": delta, "step": step, "quit_j": np.full(2, -1e9)}
    mild = _war(exchange=bg.exchange_state_value(e, delta), **kw)
    harsh = _war(exchange=bg.exchange_state_value(e - worse, delta), **kw)
    assert harsh[3] <= mild[3] + 1e-9
    np.testing.assert_allclose(harsh[:3], mild[:3], rtol=1e-12, atol=1e-12)


def test_a_higher_hazard_coerces_types_that_fear_the_exchange():
    """Powell (1990) above war: at even odds (q = p = 1/2) the other's type with cost 0.3 fights
    on at no hazard, W = (0.5 - 0.3)/0.1 = 2 > 0, and quits at the hazard 0.02 with V_ex = -10,
    (0.02 (-10) + 0.98 * 0.2)/(1 - 0.9 * 0.98) = -0.004/0.118 < 0; the type with cost 0.05 fights
    on at both. So the nuclear step is worth more than it would be if nobody quit."""
    types = np.array([0.05, 0.3])
    hazard = np.array([[0.0], [0.02]])
    hold_j = bg.war_hold_value(0.5, 0.5, types, 0.0, hazard, -10.0, 0.9, 0.1)
    np.testing.assert_allclose(hold_j[1], [(-0.2 + 0.98 * 0.45) / 0.118, -0.004 / 0.118])
    np.testing.assert_allclose(bg.quit_probability(np.array([0.5, 0.5]), 0.0 - hold_j), [0, 0.5])
    coerced = _war(cost_j=types)
    assert coerced[3] > _war(cost_j=types, quit_j=np.full(2, -1e9))[3]


# -- onset, intervention and attack ----------------------------------------------------------
@settings(PROFILE)
@given(
    v=st.floats(-20.0, 20.0),
    v_ex=st.floats(-200.0, -20.0),
    h=HAZARD,
    weights=st.lists(st.floats(0.01, 1.0), min_size=3, max_size=3),
    nuclear=st.lists(st.booleans(), min_size=3, max_size=3),
)
def test_onset_value_reduces_to_the_designs_one_round_formula(v, v_ex, h, weights, nuclear):
    """With V_nuc = (1 - h) V + h V_ex (one round of hazard, then the war as before),
    ``onset_value`` is the design's ``V + π_nuc h (V_ex - V)``, π_nuc the prior mass of the
    types whose best response is nuclear; with no such type it is V."""
    pi = np.array(weights) / sum(weights)
    n = np.array(nuclear)
    v_nuc = np.full(3, (1 - h) * v + h * v_ex)
    pi_nuc = pi[n].sum()
    assert bg.onset_value(v, v_nuc, pi, n) == pytest.approx(v + pi_nuc * h * (v_ex - v), abs=1e-9)
    assert bg.onset_value(v, v_nuc, pi, np.zeros(3, dtype=bool)) == pytest.approx(v)
    assert bg.onset_value(v, v_nuc, pi, n) <= v + 1e-9  # an exchange is worse than the war


@settings(PROFILE)
@given(p=UNIT, cost=COST, h=HAZARD, e=st.floats(-20.0, -2.0), delta=DELTA, sigma=UNIT)
def test_the_one_round_formula_understates_the_exchange_term(p, cost, h, e, delta, sigma):
    """At q₀ = p with the odds unchanged and no posture cost, holding the hazard for ever costs
    ``h (V_ex - W)/(1 - δ(1 - h))``: the design's one-round term ``h (V_ex - W)`` times
    ``1/(1 - δ(1 - h))`` exactly (f + δW = W in the recursion)."""
    w = float(bg.war_value(p, cost, delta))
    v_ex = float(bg.exchange_state_value(e, delta))
    held = float(bg.war_hold_value(p, p, cost, 0.0, h, v_ex, delta, sigma))
    assert held - w == pytest.approx(h * (v_ex - w) / (1 - delta * (1 - h)), abs=1e-9)


def test_onset_value_one_level_deep_and_stability_instability():
    """π_nuc from the other's own war-phase look-ahead at the war's first round: a nuclear-armed
    defender's types that fear the war go nuclear (the jump onto rung 4 is their strict best
    response); a non-nuclear defender cannot, so the same war is worth more to attack."""
    d = DELTA_HAND
    # The defender's types (rows): c = 0.05, 0.6; its prior over the attacker: c = 0.1 or 0.3,
    # each quitting if its war hold value falls below conceding (0).
    defender = {
        "front": 0.5,
        "cost": np.array([0.05, 0.6]),
        "posterior_j": np.array([0.5, 0.5]),
        "cost_j": np.array([0.1, 0.3]),
        "quit_j": np.array([0.0, 0.0]),
    }
    u_nuc = _war(nuclear=True, **defender)
    u_conv = _war(nuclear=False, **defender)
    targets = bg.war_targets(2, LADDER)
    goes = bg.nuclear_response(u_nuc, targets, 4)
    assert not bg.nuclear_response(u_conv, targets, 4).any()
    # The attacker's war at intensity 0 from q₀ = p = 0.5: W = (0.5 - 0.1)/0.1 = 4. Against a
    # defender at rung 4 it holds the war rung: odds 1/2.3, hazard 0.02, no posture cost above war.
    v = float(bg.front_war_value(0.5, 0.1, d, 0.5, 0.1))
    v_nuc = bg.war_hold_value(0.5, 1 / 2.3, 0.1, 0.0, 0.02, -10.0, d, 0.1)
    prior = np.array([0.5, 0.5])
    direct = bg.onset_value(v, np.full(2, v_nuc), prior, goes)
    client = bg.onset_value(v, np.full(2, v_nuc), prior, bg.nuclear_response(u_conv, targets, 4))
    assert goes.any()
    assert client == pytest.approx(v)
    assert direct < client  # Snyder (1965): the exchange term deters the direct war only
    assert direct == pytest.approx(v + prior[goes].sum() * (v_nuc - v))


def test_nuclear_response_is_a_strict_best_response_over_every_option():
    targets = np.array([2, 2, 3, 4])
    assert bg.nuclear_response(np.array([1.0, 1.0, 0.5, 2.0]), targets, 4)
    assert not bg.nuclear_response(np.array([1.0, 2.0, 0.5, 2.0]), targets, 4)  # a tie: no
    assert not bg.nuclear_response(np.array([1.0, 1.0, 0.5, np.nan]), targets, 4)  # closed
    # With conceding appended (target -1) and worth more, the type quits instead.
    both = np.array([1.0, 1.0, 0.5, 2.0, 3.0])
    assert not bg.nuclear_response(both, np.append(targets, -1), 4)
    assert not bg.nuclear_response(both[:4], targets, None)


def test_intervention_probability_is_the_prior_mass_that_gains_by_joining():
    prior = np.array([0.2, 0.3, 0.5])
    join = np.array([5.0, 3.0, 1.0])
    out = np.array([4.0, 3.0, 2.0])  # type 0 gains, type 1 ties (stays out), type 2 loses
    assert bg.intervention_probability(prior, join, out) == pytest.approx(0.2)
    # A logit of precision λ on annuities: σ(λ s (V_int - V_out)), s = 1 - δ = 0.1, λ = 10.
    soft = float(bg.intervention_probability(prior, join, out, 10.0, 0.1))
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    assert soft == pytest.approx(0.2 * sig(1.0) + 0.3 * 0.5 + 0.5 * sig(-1.0))


def test_attack_on_a_client_three_actors_hand_computed():
    """Attacker A (κ 3, cost 0.1, holds q₀ = 0.2 of the client's stakes), client C (κ 1, not
    nuclear), patron P (κ 2, nuclear, values the client's holdings as its own, two types: cost
    0 or 0.2, prior 1/2 each), support s = 0.5, m = 1, σ = 0.1, δ = 0.9, exchange_value -4
    (V_ex = -40), the nuclear rung's hazard 0.02 with no war advantage."""
    d, sigma, v_ex, h = 0.9, 0.1, -40.0, 0.02
    # A against the supported client: K_C = 1 + 0.5 * 2 = 2, p_A = 3/5. The client cannot go
    # nuclear, so there is no escalation term:
    # V_s = (0.6 - 0.1)/0.1 + (0.2 - 0.6)/(1 - 0.9 * 0.9) = 5 - 0.4/0.19 = 55/19 = 2.894737.
    p_s = float(bg.win_probability(3.0, 1.0 + 0.5 * 2.0))
    v_s = float(bg.front_war_value(p_s, 0.1, d, 0.2, sigma))
    assert v_s == pytest.approx(55 / 19)
    # The patron's values (one level deep: under A's prior). Staying out, it gets the client's
    # front share at the client's supported odds 0.4, at no cost of war:
    # V_out = 0.4/0.1 + (0.8 - 0.4)/0.19 = 4 + 40/19 = 6.105263.
    v_out = float(bg.front_war_value(1 - p_s, 0.0, d, 0.8, sigma))
    assert v_out == pytest.approx(4 + 40 / 19)
    # Joining: odds 3/6 = 0.5 and its cost of war c_P; A answers with a nuclear step with
    # probability 0.02 (stated for the test), after which the hazard 0.02 is run every round:
    # V(q₀) = (0.5 - c_P)/0.1 + 0.3/0.19;
    # V_nuc = [0.02 (-40) + 0.98 (0.5 - c_P)]/(1 - 0.9 * 0.98) + 0.98 * 0.3/(1 - 0.882 * 0.9).
    # c_P = 0:   V = 6.578947, V_nuc = (-0.8 + 0.49)/0.118 + 0.294/0.2062 = -1.201318,
    #            V_int = 6.578947 + 0.02 (-1.201301 - 6.578947) = 6.423342 > 6.105263: joins;
    # c_P = 0.2: V = 4.578947, V_nuc = (-0.8 + 0.294)/0.118 + 1.425800 = -2.862335,
    #            V_int = 4.578947 + 0.02 (-2.862335 - 4.578947) = 4.430121 < 6.105263: stays out.
    # So π = 1/2.
    p_j = float(bg.win_probability(3.0, 1.0 + 2.0))
    costs_p = np.array([0.0, 0.2])
    v_front_p = bg.front_war_value(1 - p_j, costs_p, d, 0.8, sigma)
    v_nuc_p = bg.war_hold_value(0.8, 1 - p_j, costs_p, 0.0, h, v_ex, d, sigma)
    v_int = np.array(
        [bg.onset_value(v_front_p[t], np.array([v_nuc_p[t]]), [1.0], [0.02]) for t in range(2)]
    )
    np.testing.assert_allclose(v_int, [6.423342, 4.430121], atol=1e-6)
    pi = bg.intervention_probability(np.array([0.5, 0.5]), v_int, np.full(2, v_out))
    assert pi == pytest.approx(0.5)
    # A against client and patron: p_A = 0.5. The patron type that joins (c_P = 0) answers with
    # a nuclear step (stated for the test: π_nuc = 1 among the types that joined), so
    # V(q₀) = 0.4/0.1 - 0.3/0.19 = 46/19 = 2.421053,
    # V_nuc = [0.02 (-40) + 0.98 * 0.4]/0.118 - 0.98 * 0.3/0.2062 = -3.457627 - 1.425800
    #       = -4.883427, and V_j = V_nuc.
    v_front_a = float(bg.front_war_value(p_j, 0.1, d, 0.2, sigma))
    assert v_front_a == pytest.approx(46 / 19)
    v_nuc_a = bg.war_hold_value(0.2, p_j, 0.1, 0.0, h, v_ex, d, sigma)
    v_j = float(bg.onset_value(v_front_a, np.array([v_nuc_a]), [1.0], [True]))
    assert v_j == pytest.approx(-4.883427, abs=1e-6)
    # V_attack = (1 - 1/2) 55/19 + 1/2 (-4.883427) = 1.447368 - 2.441714 = -0.994345.
    v_attack = float(bg.attack_value(v_s, v_j, pi))
    assert v_attack == pytest.approx(-0.994345, abs=1e-6)
    # Against the client alone (no patron) the attack is worth V_s; the patron deters it.
    assert bg.attack_value(v_s, v_j, 0.0) == pytest.approx(v_s)
    assert v_s > v_attack


def test_war_ladder_utilities_batch_equals_one_at_a_time():
    """Elementwise over leading axes: a batch of rungs, fronts and costs gives, row by row, the
    values of each case alone (the wiring calls it over replications)."""
    xs, ys = np.array([2, 3, 4, 2]), np.array([2.0, 2.5, 4.0, 3.0])
    fronts, costs = np.array([0.5, 0.2, 0.9, 0.4]), np.array([0.1, 0.3, 0.0, 0.6])
    nuclear = np.array([True, False, True, False])
    batch = _war(xs, ys, front=fronts, cost=costs, nuclear=nuclear)
    for r in range(4):
        one = _war(int(xs[r]), ys[r], front=fronts[r], cost=costs[r], nuclear=nuclear[r])
        np.testing.assert_allclose(batch[r], one, rtol=1e-12, equal_nan=True)


def test_war_rungs_computed_once_give_the_ladders_values_to_the_bit():
    """``war_ladder_utilities`` with ``rungs=war_rungs(...)`` of the same rungs, computed once
    for a scalar rung pair and broadcast over a batch of fronts, strengths and costs, gives the
    values it computes itself, bit for bit (what the onset's cached rung terms rely on)."""
    fronts, costs = np.array([0.5, 0.2, 0.9, 0.4]), np.array([0.1, 0.3, 0.0, 0.6])
    strengths = np.array([1.0, 0.5, 2.0, 1.3])
    for x, y, nuclear in ((2, 2.0, True), (3, 2.5, False), (4, 4.0, True)):
        rungs = bg.war_rungs(x, y, LADDER, nuclear, 0.7, 1.2, 0.9)
        kw = {"front": fronts, "cost": costs, "strength_j": strengths, "nuclear": nuclear}
        kw |= {"risk_scale": 0.7, "risk_scale_j": 1.2, "possible": 0.9}
        own = _war(np.full(4, x), np.full(4, y), **kw)
        given_rungs = _war(x, y, rungs=rungs, **kw)
        assert own.shape == given_rungs.shape
        np.testing.assert_array_equal(own, given_rungs)


@PROFILE
@given(p=UNIT, q0=UNIT, delta=DELTA, step=UNIT)
def test_the_front_premium_is_the_discounted_drift_of_the_front(p, q0, delta, step):
    """``front_premium = Σ_t δ^t (1 − σ)^t (q₀ − p)`` (the front's expected excess over the
    chances, front_step's drift), summed to 3,000 terms (the tail is below 0.99^3000 ≈ 1e-13)."""
    t = np.arange(3000)
    direct = ((delta * (1.0 - step)) ** t).sum() * (q0 - p)
    assert bg.front_premium(q0, p, delta, step) == pytest.approx(direct, abs=1e-9)


@PROFILE
@given(k_i=st.floats(0.01, 100.0), k_j=st.floats(0.01, 100.0), m=st.floats(0.1, 5.0))
def test_the_strength_ratio_inverts_the_contest_success_function(k_i, k_j, m):
    """``strength_ratio(win_probability(K_i, K_j, m), m) = K_j/K_i`` (relative error 1e-6 while
    p stays off 0 and 1), and 1 at m = 0, where strengths do not matter."""
    p = float(bg.win_probability(k_i, k_j, m))
    if 1e-9 < p < 1.0 - 1e-9:
        assert bg.strength_ratio(p, m) == pytest.approx(k_j / k_i, rel=1e-6)
    assert bg.strength_ratio(p, 0.0) == 1.0


@pytest.mark.parametrize("lam", [0.0, 0.37, 3.0, 250.0, np.inf, np.nan, -1.0])
def test_one_precision_for_all_gives_the_general_cases_numbers_to_the_bit(lam):
    """``quit_probability`` with one λ (its in-place fast path, issue 20) equals the general
    case (λ given per row) to the bit, with infinite and NaN advantages among the values."""
    rng = np.random.default_rng(7)
    adv = rng.normal(0.0, 3.0, size=(5, 4, 6))
    adv[0, 0, :3] = [np.inf, -np.inf, np.nan]
    adv[1, 2, 1] = 0.0
    post = rng.dirichlet(np.ones(6), size=(5, 1))
    for scale in (1.0, 0.05):
        fast = bg.quit_probability(post, adv, lam, scale)
        general = bg.quit_probability(post, adv, np.full(adv.shape[:-1], lam), scale)
        assert fast.shape == general.shape == (5, 4)
        assert np.array_equal(fast, general, equal_nan=True)
        assert not np.shares_memory(fast, adv)
