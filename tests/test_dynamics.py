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


def _target_rung_general(x, move, jump, n_rungs):
    """``target_rung``'s formula with its concession branch always evaluated (before issue 20)."""
    x, move = np.asarray(x), np.asarray(move)
    delta = np.where(
        move == dx.JUMP,
        jump,
        np.where(move == dx.CONCEDE, -x, np.where(move == dx.ACCEPT, 0, move)),
    )
    return np.clip(x + delta, 0, np.asarray(n_rungs) - 1)


def test_target_rung_without_a_concession_gives_the_general_numbers_and_dtype():
    """The candidate moves' case (no concession: the step is computed over the moves alone,
    issue 20) gives the general formula's rungs, shape and dtype, for whole and fractional
    rungs, and per-row jumps; with concessions among the moves the general formula runs."""
    rng = np.random.default_rng(1)
    cases = [
        (rng.integers(0, 9, size=(50, 3, 1)), dx.CANDIDATE_MOVES, 2, 9),
        (rng.integers(0, 9, size=(50, 3, 1)).astype(float), dx.CANDIDATE_MOVES, 2, 9),
        (
            rng.integers(0, 9, size=(50, 1)) + 0.5,
            dx.CANDIDATE_MOVES,
            rng.integers(1, 3, (50, 1)),
            9,
        ),
        (rng.integers(0, 9, size=50), rng.integers(-1, 5, size=50), 3, 9),
        (rng.integers(0, 9, size=50), rng.integers(-1, 3, size=50), np.full(50, 2), 9),
        (np.int64(4), dx.CANDIDATE_MOVES, 2, 9),
        (4, 2, 3, 9),
    ]
    for case in cases:
        got, want = dx.target_rung(*case), _target_rung_general(*case)
        assert got.dtype == want.dtype
        assert got.shape == want.shape
        assert np.array_equal(got, want)


def test_war_is_never_misread():
    # war rung 3: short of war never seen at or above it; at war seen exactly
    assert dx.war_not_misread(3, 2, 3) == 2
    assert dx.war_not_misread(2, 1, 3) == 2  # a one-rung error below war stands
    assert dx.war_not_misread(2, 3, 3) == 3
    assert dx.war_not_misread(3, 4, 3) == 4  # above war: exact too
    assert dx.war_not_misread(4, 3, None) == 4  # no war rung: unchanged
    np.testing.assert_array_equal(
        dx.war_not_misread(np.array([3, 1, 2]), np.array([2, 2, 3]), 3), [2, 1, 3]
    )


@settings(settings.get_profile("dyn"))
@given(
    truth=st.integers(0, 7),
    noise=PROB,
    u=PROB,
    u_dir=PROB,
    war=st.integers(1, 7),
)
def test_a_noisy_observation_never_crosses_the_war_rung(truth, noise, u, u_dir, war):
    seen = dx.war_not_misread(dx.observe_rung(truth, noise, u, u_dir, 8), truth, war)
    assert (seen >= war) == (truth >= war)
    if truth >= war:
        assert seen == truth
    assert abs(int(seen) - truth) <= 1
