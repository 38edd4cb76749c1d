"""The equations: analytic values, ranges, and scalar/array agreement (SALib style: each test
states the answer it expects)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
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


def test_realign_and_polarisation():
    assert dx.realign(0.5, 2.0) > 0.5  # B seen as more aggressive: toward A
    assert dx.realign(0.5, -2.0) < 0.5
    assert dx.realign(1.0, 5.0) == 1.0
    assert dx.polarisation(np.array([0.5, 0.5])) == 0.0
    assert dx.polarisation(np.array([0.0, 1.0])) == 1.0
    assert dx.polarisation(np.array([])) == 0.0


@settings(settings.get_profile("dyn"))
@given(
    x=st.integers(0, 4),
    y=st.floats(0, 4),
    mu=PROB,
    tau=PROB,
)
def test_scalar_and_array_calls_agree_bit_for_bit(x, y, mu, tau):
    """The batch engine calls these functions on arrays; the agents on scalars."""
    risk = np.array([0.0, 0.0, 0.02, 0.1, 1.0])
    one = dx.war_probability(risk, x, y, 4)
    many = dx.war_probability(risk, np.full(3, x), np.full(3, y), 4)
    assert np.array_equal(np.broadcast_to(one, many.shape), many)
    assert dx.cumulative_risk(mu, tau) == dx.cumulative_risk(np.full(2, mu), np.full(2, tau))[0]
