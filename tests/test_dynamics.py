"""The equations: analytic values, ranges, and scalar/array agreement (SALib style: each test
states the answer it expects)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from escalsim.core import dynamics as dx

PROB = st.floats(0.0, 1.0)
settings.register_profile("dyn", max_examples=200, deadline=None, derandomize=True, database=None)


def test_target_rung_clips_and_concedes():
    assert dx.target_rung(0, dx.STEP_DOWN, 2, 5) == 0
    assert dx.target_rung(3, dx.JUMP, 2, 5) == 4
    assert dx.target_rung(3, dx.CONCEDE, 2, 5) == 0
    np.testing.assert_array_equal(
        dx.target_rung(np.array([1, 2]), np.array([dx.STEP_UP, dx.HOLD]), 2, 5), [2, 2]
    )


def test_observe_rung_reflects_at_the_ends_and_flips_two_rungs():
    # noise 1: always displaced; on two rungs the observation is flipped
    assert dx.observe_rung(0, 1.0, 0.0, 0.1, 2) == 1
    assert dx.observe_rung(1, 1.0, 0.0, 0.9, 2) == 0
    assert dx.observe_rung(2, 1.0, 0.0, 0.1, 5) == 1  # down
    assert dx.observe_rung(2, 1.0, 0.0, 0.9, 5) == 3  # up
    assert dx.observe_rung(2, 0.3, 0.5, 0.9, 5) == 2  # u >= noise: exact


def test_bayes_hostility_known_values():
    """Prior 1/2, a step up: 0.6 / (0.6 + 0.1) = 6/7."""
    assert dx.bayes_hostility(0.5, 1) == pytest.approx(6 / 7)
    assert dx.bayes_hostility(0.5, -1) == pytest.approx(0.1 / 0.5)
    assert dx.bayes_hostility(0.5, 0) == pytest.approx(0.3 / 0.8)
    assert dx.bayes_hostility(0.999, 1) == pytest.approx(1 - dx.BELIEF_FLOOR)
    assert dx.bayes_hostility(0.0, -1) == pytest.approx(dx.BELIEF_FLOOR)  # clipped prior


@settings(settings.get_profile("dyn"))
@given(mu=PROB, tau=PROB, claim=st.booleans())
@example(mu=0.0, tau=1.0, claim=True)  # 0/0 before the prior was clipped
def test_message_update_in_range_and_uninformative_at_half_trust(mu, tau, claim):
    post = float(dx.message_update(mu, claim, tau))
    assert dx.BELIEF_FLOOR <= post <= 1 - dx.BELIEF_FLOOR
    if tau == 0.5:
        assert post == pytest.approx(min(max(mu, dx.BELIEF_FLOOR), 1 - dx.BELIEF_FLOOR))
    if claim and tau > 0.5 and dx.BELIEF_FLOOR < mu < 1 - dx.BELIEF_FLOOR:
        assert post <= mu  # a trusted benign claim lowers the belief in hostility


@settings(settings.get_profile("dyn"))
@given(tau=PROB, ok=st.booleans())
def test_trust_update_stays_in_range_and_moves_the_right_way(tau, ok):
    new = float(dx.trust_update(tau, ok))
    assert 0.0 <= new <= 1.0
    assert (new >= tau) if ok else (new <= tau)


def test_logit_choice_limits():
    u_grid = (np.arange(4000) + 0.5) / 4000
    util = np.array([0.0, 1.0, 3.0, 2.0])
    # lambda = 0: uniform over the four options
    counts = np.bincount(dx.logit_choice(np.tile(util, (4000, 1)), 0.0, u_grid), minlength=4)
    np.testing.assert_array_equal(counts, [1000, 1000, 1000, 1000])
    # lambda large: the best response, whatever the draw
    assert set(dx.logit_choice(np.tile(util, (4000, 1)), 1e6, u_grid)) == {2}
    # lambda = 1: the logit shares exactly (the u grid integrates the CDF)
    p = np.exp(util) / np.exp(util).sum()
    counts = np.bincount(dx.logit_choice(np.tile(util, (4000, 1)), 1.0, u_grid), minlength=4)
    np.testing.assert_allclose(counts / 4000, p, atol=1 / 4000)


def test_implementation_error_flips_the_rung_on_two_rungs():
    for x in (0, 1):
        for move in (dx.STEP_DOWN, dx.HOLD, dx.STEP_UP):
            intended = int(dx.target_rung(x, move, 1, 2))
            made = dx.implementation_error(move, x, 0.0, 0.1, 0.5, 2)
            assert int(dx.target_rung(x, made, 1, 2)) == 1 - intended
    assert dx.implementation_error(dx.STEP_UP, 1, 0.2, 0.1, 0.5, 2) == dx.STEP_UP  # u >= rate
    assert dx.implementation_error(dx.CONCEDE, 1, 0.0, 0.5, 0.5, 3) == dx.CONCEDE


def test_friction_holds_back_only_steps_down():
    assert dx.friction(dx.STEP_DOWN, 0.1, 0.5) == dx.HOLD
    assert dx.friction(dx.STEP_DOWN, 0.6, 0.5) == dx.STEP_DOWN
    assert dx.friction(dx.STEP_UP, 0.0, 1.0) == dx.STEP_UP


def test_war_probability():
    risk = np.array([0.0, 0.01, 0.05, 1.0])
    assert dx.war_probability(risk, 1, 2, 3) == pytest.approx(0.05)
    assert dx.war_probability(risk, 3, 0, 3) == 1.0
    assert dx.war_probability(risk, 0, 1.5, 3) == pytest.approx(0.03)  # interpolated
    assert dx.war_probability(risk, 3, 0, None) == pytest.approx(1.0)  # the table's own value


def test_cumulative_risk_composes():
    r = 0.05
    rho = 0.0
    for _ in range(5):
        rho = dx.cumulative_risk(rho, r)
    assert rho == pytest.approx(1 - 0.95**5)


def test_agreement_probability_rises_with_trust_and_falls_with_rung():
    assert dx.agreement_probability(0.2, 1.0, 0.0, 1.0) == pytest.approx(0.2)
    assert dx.agreement_probability(0.2, 0.5, 0.0, 1.0) < dx.agreement_probability(0.2, 1.0, 0, 1)
    assert dx.agreement_probability(0.2, 1.0, 0.5, 1.0) == pytest.approx(0.1)
    assert dx.agreement_probability(0.9, 1.0, 0.0, 5.0) == 1.0


def test_audience_cost_scaling():
    assert dx.effective_audience_cost(2.0, -1.0) == 0.0
    assert dx.effective_audience_cost(2.0, 1.0) == 4.0


def test_realign_and_polarisation():
    assert dx.realign(0.5, 2.0) > 0.5  # B seen as more aggressive: toward A
    assert dx.realign(0.5, -2.0) < 0.5
    assert dx.realign(1.0, 5.0) == 1.0
    assert dx.polarisation(np.array([0.5, 0.5])) == 0.0
    assert dx.polarisation(np.array([0.0, 1.0])) == 1.0
    assert dx.polarisation(np.array([])) == 0.0


def test_quantal_utilities_terms():
    costs = np.array([0.0, 1.0, 2.0, 5.0])
    risk = np.array([0.0, 0.0, 0.1, 1.0])
    w = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    u = dx.quantal_utilities(1, 1.0, 1.0, costs, risk, 3, 0.0, 2.0, True, True, 0.0, 2, w)
    # candidates from rung 1: down->0, hold->1, up->2, jump->3
    expected = np.array(
        [
            -1.0 * 1.0 - 0.0 - 0.0 - 2.0 + 1.0,  # deficit 1, cost 0, risk 0, audience, reciprocity
            -0.0 - 1.0 - 0.0 - 0.0 + 1.0,
            -0.0 - 2.0 - 0.1 - 0.0 + 0.0,
            -0.0 - 5.0 - 1.0 - 0.0 + 0.0,
        ]
    )
    np.testing.assert_allclose(u, expected)


@settings(settings.get_profile("dyn"))
@given(
    x=st.integers(0, 4),
    y=st.floats(0, 4),
    mu=PROB,
    tau=PROB,
    lam=st.floats(0, 20),
    u=PROB,
    press=st.floats(-2, 2),
)
def test_scalar_and_array_calls_agree_bit_for_bit(x, y, mu, tau, lam, u, press):
    """The batch engine calls these functions on arrays; the agents on scalars."""
    costs = np.array([0.0, 0.5, 1.0, 2.0, 5.0])
    risk = np.array([0.0, 0.0, 0.02, 0.1, 1.0])
    w = np.array([1.0, 1.0, 5.0, 1.0, 0.5, 1.0])
    u = min(u, 0.999)
    ey = dx.expected_adversary_rung(y, mu, tau)
    one = dx.quantal_utilities(x, ey, 1.3, costs, risk, 4, 0.4, 1.0, True, False, press, 2, w)
    many = dx.quantal_utilities(
        np.full(3, x),
        np.full(3, ey),
        np.full(3, 1.3),
        costs,
        risk,
        4,
        np.full(3, 0.4),
        np.full(3, 1.0),
        np.full(3, True),
        np.full(3, False),
        np.full(3, press),
        2,
        w,
    )
    assert np.array_equal(np.broadcast_to(one, many.shape), many)
    assert dx.logit_choice(one, lam, u) == dx.logit_choice(many, np.full(3, lam), np.full(3, u))[1]
    assert dx.bayes_hostility(mu, 1) == dx.bayes_hostility(np.full(2, mu), np.ones(2, int))[0]


def test_shift_trust_stays_in_range():
    assert dx.shift_trust(0.9, 0.3) == 1.0
    assert dx.shift_trust(0.1, -0.3) == 0.0
    assert dx.shift_trust(0.5, 0.1) == pytest.approx(0.6)
