"""The equations of the second decision model (``core/bargaining.py``) and its known answers.

Each unit test states the value it expects and how it was computed by hand. Monte Carlo checks
use a fixed seed (17, the issue's number, chosen before the first run and never changed) and a
tolerance of 4 binomial standard errors, with n and the standard error stated in the test (a
false failure about once in 16,000 runs of the suite, as in ``test_known_answers.py``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalsim.core import bargaining as bg
from escalsim.core import dynamics as dx
from escalsim.core import known_answers as ka

settings.register_profile(
    "bargaining", max_examples=150, deadline=None, derandomize=True, database=None
)
PROFILE = settings.get_profile("bargaining")
SEED = 17
UNIT = st.floats(0.0, 1.0)
DELTA = st.floats(0.0, 0.99)
COST = st.floats(0.0, 2.0)


@st.composite
def simplex(draw: st.DrawFn, k: int, low: float = 0.01) -> np.ndarray:
    """k weights on the simplex, each drawn in [low, 1] before normalising (never all 0)."""
    w = np.array(draw(st.lists(st.floats(low, 1.0), min_size=k, max_size=k))) + 1e-9
    return w / w.sum()


# -- war and settlement values ----------------------------------------------------------------
def test_win_probability_and_side_strength_known_values():
    assert bg.win_probability(3.0, 1.0) == pytest.approx(0.75)  # 3 / (3 + 1)
    assert bg.win_probability(3.0, 1.0, 2.0) == pytest.approx(0.9)  # 9 / (9 + 1)
    assert bg.win_probability(3.0, 1.0, 0.0) == pytest.approx(0.5)  # a coin toss
    # 100 + 0.5 * 6 + 1 * 7: an ally that may join counts with the belief that it fights.
    assert bg.side_strength(100.0, [6.0, 7.0], [0.5, 1.0]) == pytest.approx(110.0)
    assert bg.side_strength(45.0, np.zeros(0), np.zeros(0)) == pytest.approx(45.0)


def test_war_and_settlement_values_known_values():
    # (0.6 - 0.1) / (1 - 0.9) = 5; a half share for ever at δ = 0.9 is worth 0.5 / 0.1 = 5.
    assert bg.war_value(0.6, 0.1, 0.9) == pytest.approx(5.0)
    assert bg.settlement_value(0.5, 0.9) == pytest.approx(5.0)
    # War wastes: W_A + W_B = (1 - c_A - c_B) / (1 - δ) < 1 / (1 - δ).
    total = bg.war_value(0.6, 0.1, 0.9) + bg.war_value(0.4, 0.2, 0.9)
    assert total == pytest.approx(0.7 / 0.1)


@settings(PROFILE)
@given(flow=st.floats(-1.0, 1.0), risk=UNIT, war=st.floats(-20.0, 10.0), delta=DELTA)
def test_hold_value_solves_its_recursion(flow, risk, war, delta):
    """H = r W + (1 - r)(f + δ H); r = 0 gives f / (1 - δ), r = 1 gives W."""
    h = float(bg.hold_value(flow, risk, war, delta))
    assert h == pytest.approx(risk * war + (1 - risk) * (flow + delta * h), abs=1e-9)
    assert float(bg.hold_value(flow, 0.0, war, delta)) == pytest.approx(flow / (1 - delta))
    assert float(bg.hold_value(flow, 1.0, war, delta)) == pytest.approx(war)


def test_lookahead_value_hand_computed():
    # r = 0.1, W = -2, f = 0.3, q = 0.25, V_prevail = 10, H = 4, δ = 0.9:
    # 0.1 (-2) + 0.9 (0.3 + 0.9 (0.25 * 10 + 0.75 * 4)) = -0.2 + 0.9 * 5.25 = 4.525
    assert bg.lookahead_value(0.3, 0.1, -2.0, 0.25, 10.0, 4.0, 0.9) == pytest.approx(4.525)


@settings(PROFILE)
@given(p1=UNIT, p2=UNIT, cost=COST, extra=st.floats(0.0, 1.0), delta=DELTA)
def test_war_value_rises_with_p_and_falls_with_cost(p1, p2, cost, extra, delta):
    lo, hi = sorted((p1, p2))
    assert bg.war_value(lo, cost, delta) <= bg.war_value(hi, cost, delta)
    assert bg.war_value(lo, cost + extra, delta) <= bg.war_value(lo, cost, delta)


# -- types ------------------------------------------------------------------------------------
def test_type_grid_midpoints_and_degenerate_prior():
    np.testing.assert_allclose(bg.type_grid(0.0, 1.0, 4), [0.125, 0.375, 0.625, 0.875])
    # A point value in a scenario is a one-type grid with prior 1.
    np.testing.assert_allclose(bg.type_grid(0.3, 0.3, 5), [0.3])
    np.testing.assert_allclose(bg.uniform_prior(1), [1.0])
    with pytest.raises(ValueError, match="lo <= hi"):
        bg.type_grid(1.0, 0.0, 3)


def test_joint_types_and_trust():
    costs, honest, prior = bg.joint_types([0.1, 0.3], [0.5, 0.5], honesty=0.4)
    np.testing.assert_allclose(costs, [0.1, 0.3, 0.1, 0.3])
    np.testing.assert_array_equal(honest, [False, False, True, True])
    np.testing.assert_allclose(prior, [0.3, 0.3, 0.2, 0.2])
    assert bg.honest_mass(prior, honest) == pytest.approx(0.4)  # trust = P(honest)


def test_draw_type_is_the_inverse_cdf():
    # 1,000 evenly spaced draws hit each type exactly in proportion to its prior.
    u = (np.arange(1000) + 0.5) / 1000
    counts = np.bincount(bg.draw_type([0.25, 0.25, 0.5], u), minlength=3)
    np.testing.assert_array_equal(counts, [250, 250, 500])


def test_draw_joint_type_is_the_product_prior():
    """Evenly spaced cost and honesty draws land on each joint type in proportion to π(c) h."""
    u = (np.arange(40) + 0.5) / 40
    u_cost, u_honest = np.meshgrid(u, u, indexing="ij")
    drawn = bg.draw_joint_type([0.25, 0.0, 0.75], 0.4, u_cost, u_honest)
    freq = np.bincount(drawn.ravel(), minlength=6) / drawn.size
    _, honest, prior = bg.joint_types([0.1, 0.2, 0.3], [0.25, 0.0, 0.75], 0.4)
    np.testing.assert_allclose(freq, prior)
    assert honest[drawn[:, -1]].all()  # the highest honesty draw is honest
    # Per power, broadcast over rows: a power with honesty 0 is never honest, 1 always.
    rows = bg.draw_joint_type([[1.0, 0.0], [0.5, 0.5]], [0.0, 1.0], [[0.7, 0.7]], [[0.99, 0.0]])
    np.testing.assert_array_equal(rows, [[0, 3]])


def test_resolve_and_cost_round_trip():
    # Powell's resolve: prevail 1, submit 0, war 0.4 - c; ρ = 0.5 needs 1 / (1 - 0.4 + c) = 0.5,
    # so c = 1.4 (= 1/ρ - 1 + p).
    assert bg.cost_from_resolve(0.5, 0.4) == pytest.approx(1.4)
    assert bg.resolve_from_values(1.0, 0.0, 0.4 - 1.4) == pytest.approx(0.5)
    rho = np.linspace(0.05, 1.0, 20)
    cost = bg.cost_from_resolve(rho, 0.3)
    np.testing.assert_allclose(bg.resolve_from_values(1.0, 0.0, 0.3 - cost), rho)
    # Resolve falls as the cost of war rises.
    assert (np.diff(cost) < 0).all()


# -- beliefs ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("x", "where"), [(2, "interior"), (0, "bottom"), (4, "top")])
def test_implementation_matrix_matches_the_dynamics(x, where):
    """Every row, counted over a grid of draws through ``dynamics``: exact frequencies."""
    e, phi, n_rungs = 0.1, 0.2, 5
    grid = (np.arange(100) + 0.5) / 100
    u_err, u_dir, u_fric = np.meshgrid(grid, grid, grid, indexing="ij")
    matrix = bg.implementation_matrix(e, phi, at_bottom=x == 0, at_top=x == n_rungs - 1)
    for row, move in enumerate((dx.STEP_DOWN, dx.HOLD, dx.STEP_UP)):
        made = dx.implementation_error(move, x, u_err, e, u_dir, n_rungs)
        made = dx.friction(made, u_fric, phi)
        change = np.sign(dx.target_rung(x, made, 2, n_rungs) - x)
        freq = np.array([(change == d).mean() for d in (-1, 0, 1)])
        np.testing.assert_allclose(matrix[row], freq, atol=1e-12, err_msg=f"{where} row {row}")


def test_observation_matrix_matches_observe_rung_inside_the_ladder():
    """Rows counted through ``dynamics.observe_rung`` and ``perceived_move`` (last seen: right)."""
    noise, incident, n_rungs, y0 = 0.2, 0.1, 9, 4
    grid = (np.arange(100) + 0.5) / 100
    u_inc, u_noise, u_dir = np.meshgrid(grid, grid, grid, indexing="ij")
    matrix = bg.observation_matrix(noise, incident)
    for row, b in enumerate((-1, 0, 1)):
        apparent = y0 + b + (u_inc < incident)
        seen = dx.observe_rung(apparent, noise, u_noise, u_dir, n_rungs)
        move = dx.perceived_move(seen, y0)
        freq = np.array([(move == o).mean() for o in (-1, 0, 1)])
        np.testing.assert_allclose(matrix[row], freq, atol=1e-12)
    np.testing.assert_allclose(bg.observation_matrix(0.0), np.eye(3))


def _two_types() -> np.ndarray:
    """Choice probabilities [seen, type, move]: type 0 always climbs, type 1 always holds."""
    choice = np.zeros((3, 2, 3))
    choice[:, 0, 2] = 1.0
    choice[:, 1, 1] = 1.0
    return choice


def test_move_likelihood_hand_computed():
    # Type 0 intends up: made up 0.9 / down 0.1 (e = 0.1); seen through noise 0.2, a made up is
    # perceived up 0.9 / hold 0.1, a made down down 0.9 / hold 0.1. So P(up) = 0.81,
    # P(hold) = 0.09 + 0.01 = 0.1, P(down) = 0.09; then the floor η.
    eta = bg.LIKELIHOOD_FLOOR
    lik = bg.move_likelihood(_two_types(), [0.0, 1.0, 0.0], 0.1, 0.2)
    expected = (1 - eta) * np.array([0.09, 0.1, 0.81]) + eta / 3
    np.testing.assert_allclose(lik[0], expected)
    np.testing.assert_allclose(lik.sum(axis=-1), 1.0)
    np.testing.assert_allclose(bg.likelihood_of(lik, 1), lik[:, 2])


def test_no_move_is_impossible_without_noise():
    """With e = 0 and noise 0 (the twins) the floor keeps every likelihood positive."""
    lik = bg.move_likelihood(_two_types(), [0.0, 1.0, 0.0])
    assert (lik > 0).all()
    assert lik[1, 2] == pytest.approx(bg.LIKELIHOOD_FLOOR / 3)


def test_noisy_attribution_explains_a_climb_as_an_answer():
    """The spiral (Jervis 1976): a reciprocating type climbs when it saw i climb. If i held,
    naïve attribution (it saw i hold) makes a climb unlikely under that type; noisy attribution
    (it may have seen i climb) makes it likelier, so the climb is weaker evidence of greed."""
    choice = np.zeros((3, 2, 3))
    choice[:, 0, 2] = 1.0  # type 0, greedy: always climbs
    choice[2, 1, 2] = 1.0  # type 1, reciprocal: climbs iff it saw a climb
    choice[:2, 1, 1] = 1.0
    naive = bg.attribution_weights(dx.HOLD, 0.3, noisy=False)
    noisy = bg.attribution_weights(dx.HOLD, 0.3, noisy=True)
    np.testing.assert_allclose(naive, [0, 1, 0])
    np.testing.assert_allclose(noisy, [0.15, 0.7, 0.15])
    up = {
        name: bg.likelihood_of(bg.move_likelihood(choice, seen, 0.02, 0.1), dx.STEP_UP)
        for name, seen in (("naive", naive), ("noisy", noisy))
    }
    ratio = {name: lik[0] / lik[1] for name, lik in up.items()}  # evidence for greed
    assert ratio["noisy"] < ratio["naive"]


def test_bayes_types_hand_computed():
    # prior (1/2, 1/2), L (0.8, 0.2): Bayes gives (0.8, 0.2); the redraw mixes in ε of the base.
    eps = 0.01
    post = bg.bayes_types([0.5, 0.5], [0.8, 0.2], [0.5, 0.5], eps)
    np.testing.assert_allclose(post, (1 - eps) * np.array([0.8, 0.2]) + eps * 0.5)
    # A degenerate base prior stays degenerate: a point value stays known.
    np.testing.assert_allclose(bg.bayes_types([1.0, 0.0], [0.1, 0.9], [1.0, 0.0]), [1.0, 0.0])


@settings(PROFILE, max_examples=80)
@given(
    k=st.integers(2, 6),
    data=st.data(),
    redraw=st.floats(1e-4, 0.5),
    moves=st.lists(st.integers(-1, 1), min_size=1, max_size=20),
)
def test_posterior_sums_to_one_and_stays_inside(k, data, redraw, moves):
    """Any policy's choice probabilities (including 0s), any noise: the posterior stays inside."""
    prior = data.draw(simplex(k))
    base = data.draw(simplex(k))
    rows = [data.draw(simplex(3, low=0.0)) for _ in range(3 * k)]
    choice = np.array(rows).reshape(3, k, 3)
    seen = data.draw(simplex(3, low=0.0))
    lik = bg.move_likelihood(choice, seen, data.draw(st.floats(0, 0.5)), data.draw(UNIT))
    post = prior
    for move in moves:
        post = bg.bayes_types(post, bg.likelihood_of(lik, move), base, redraw)
        assert post.sum() == pytest.approx(1.0)
        assert ((post > 0) & (post < 1)).all()


def test_move_likelihood_at_the_ends_of_the_ladder():
    """At the bottom an intended step down makes no change; at the top a step up none."""
    down = np.zeros((3, 1, 3))
    down[:, 0, 0] = 1.0  # always intends a step down
    lik = bg.move_likelihood(down, [0.0, 1.0, 0.0], floor=0.0, at_bottom=True)
    np.testing.assert_allclose(lik[0], [0.0, 1.0, 0.0])
    up = down[:, :, ::-1]
    lik = bg.move_likelihood(up, [0.0, 1.0, 0.0], 0.1, 0.0, floor=0.0, at_top=True)
    # Intended up at the top: reversed (a step down) with e, else no change.
    np.testing.assert_allclose(lik[0], [0.1, 0.9, 0.0])


def test_incident_rate_is_the_unexplained_incident_probability():
    assert bg.incident_rate(0.1, 2.0, 0.5) == pytest.approx(0.1)
    assert bg.incident_rate(0.1, 2.0, 0.5, explained=0.75) == pytest.approx(0.025)
    assert bg.incident_rate(0.6, 3.0) == 1.0  # clipped, as dynamics.incident_occurs
    u = (np.arange(1000) + 0.5) / 1000
    assert dx.incident_occurs(0.1, 2.0, 0.5, u).mean() == pytest.approx(
        bg.incident_rate(0.1, 2, 0.5)
    )


def test_update_on_move_is_likelihood_then_bayes():
    choice = _two_types()
    seen = bg.attribution_weights(dx.STEP_UP, 0.2, noisy=True)
    lik = bg.move_likelihood(choice, seen, 0.1, 0.2, 0.05, 0.3)
    expected = bg.bayes_types([0.3, 0.7], bg.likelihood_of(lik, dx.HOLD), [0.5, 0.5])
    got = bg.update_on_move([0.3, 0.7], [0.5, 0.5], choice, seen, dx.HOLD, 0.1, 0.2, 0.05, 0.3)
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    # Choices that do not depend on the type carry no information: the posterior stays.
    same = np.full((3, 2, 3), 1.0 / 3.0)
    stay = bg.update_on_move([0.3, 0.7], [0.3, 0.7], same, seen, dx.STEP_UP, 0.1, 0.2)
    np.testing.assert_allclose(stay, [0.3, 0.7], rtol=1e-15)


def test_likelihoods_round_alike_whatever_the_batch():
    """A row's likelihood is the same bits alone as among others (the run's two worlds and its
    twin's one must agree where their inputs do): no matmul or einsum path depends on shape."""
    rng = np.random.default_rng(SEED)
    choice = rng.dirichlet(np.ones(3), size=(3, 4))
    seen = rng.dirichlet(np.ones(3), size=(2, 5))
    noise, error = rng.random((2, 5)), rng.random((2, 5)) * 0.5
    batch = bg.move_likelihood(choice, seen, error, noise, 0.1, 0.3)
    for w in range(2):
        for r in range(5):
            alone = bg.move_likelihood(choice, seen[w, r], error[w, r], noise[w, r], 0.1, 0.3)
            np.testing.assert_array_equal(batch[w, r], alone)


def test_posterior_mean_hand_computed():
    assert bg.posterior_mean([0.25, 0.75], [1.0, 3.0]) == pytest.approx(2.5)
    np.testing.assert_allclose(bg.posterior_mean([[1.0, 0.0], [0.5, 0.5]], [1.0, 3.0]), [1, 2])


def test_message_credibility_follows_incentives():
    """Cheap talk between opposed interests informs only through honest types (Crawford & Sobel
    1982); when lying does not pay, a claim reveals the type (Sartori 2005)."""
    # Types: (cost low, strategic), (cost high, strategic), (low, honest), (high, honest).
    truthful = np.array([1, 0, 1, 0])  # claim 1: "my cost of war is low, I will fight"
    honest = np.array([False, False, True, True])
    prior = np.full(4, 0.25)
    everyone_lies = np.ones(4, dtype=bool)
    lik = bg.message_likelihood(1, truthful, honest, everyone_lies, 1, 0.0, 2)
    assert lik[0] == pytest.approx(lik[1])  # the strategic types cannot be told apart
    post = bg.bayes_types(prior, lik, prior, 0.0)
    assert post[0] + post[2] > 0.5  # only the honest high-cost type is ruled out
    assert post[0] == pytest.approx(post[1])
    nobody_lies = np.zeros(4, dtype=bool)
    post = bg.bayes_types(
        prior, bg.message_likelihood(1, truthful, honest, nobody_lies, 1, 0.0, 2), prior, 0.0
    )
    assert post[0] + post[2] > 0.99  # revealing
    # With only strategic types who all lie, a claim moves nothing.
    none_honest = np.zeros(4, dtype=bool)
    lik = bg.message_likelihood(1, truthful, none_honest, everyone_lies, 1, 0.1, 2)
    np.testing.assert_allclose(bg.bayes_types(prior, lik, prior, 0.0), prior)


def test_lie_pays_against_reputation():
    # A bluff worth 0.3 is told when the reputation at risk, times detection, is worth less.
    np.testing.assert_array_equal(bg.lie_pays(0.3, [0.2, 1.0], 0.5), [True, False])


# -- bargaining -------------------------------------------------------------------------------
@settings(PROFILE)
@given(share=UNIT, p=UNIT, cost_lo=COST, extra=st.floats(0.0, 1.0), data=st.data())
def test_raising_a_responders_cost_never_lowers_its_acceptance(share, p, cost_lo, extra, data):
    k = data.draw(st.integers(1, 6))
    posterior = data.draw(simplex(k))
    costs = cost_lo + np.array(data.draw(st.lists(st.floats(0, 1), min_size=k, max_size=k)))
    low = bg.acceptance_probability(share, 1 - p - costs, posterior)
    high = bg.acceptance_probability(share, 1 - p - (costs + extra), posterior)
    assert high >= low - 1e-12
    assert bool(bg.accepts(share, 1 - p - cost_lo - extra)) >= bool(
        bg.accepts(share, 1 - p - cost_lo)
    )


@settings(PROFILE)
@given(p=UNIT, c_a=COST, c_b=COST)
def test_complete_information_demand_is_accepted(p, c_a, c_b):
    """A point belief about B's cost: A demands min(1, p + c_B) and B accepts: no war."""
    offer = bg.fearon_demand(p, c_a, np.array([c_b]), np.array([1.0]))
    assert offer.accept == 1.0
    assert 1 - offer.share == pytest.approx(ka.fearon_demand_uniform(p, c_a, c_b, c_b))
    assert bool(bg.accepts(offer.share, 1 - p - c_b))


@settings(PROFILE)
@given(fallback=st.floats(-2.0, 1.0), data=st.data())
def test_best_offer_beats_every_other_offer(fallback, data):
    k = data.draw(st.integers(1, 6))
    posterior = data.draw(simplex(k))
    reservation = np.array(data.draw(st.lists(st.floats(-0.5, 1.5), min_size=k, max_size=k)))
    best = bg.best_offer(reservation, fallback, posterior)
    assert best.value >= fallback - 1e-12
    for s in np.linspace(0.0, 1.0, 101):
        acc = bg.acceptance_probability(s, reservation, posterior)
        assert best.value >= acc * (1 - s) + (1 - acc) * fallback - 1e-12


def test_fearon_grid_converges_to_the_closed_form():
    """On a midpoint grid of n types the optimal demand is within (hi - lo)/n of the closed
    form plus the rounding to a grid point, so within 2 (hi - lo)/n; P(war) within 2/n (the
    discrete prior accepts half a cell more at each candidate, which moves the optimum by at
    most (hi - lo)/(4n); rounding adds (hi - lo)/(2n))."""
    n = 2000
    for p, c_a, lo, hi in [(0.5, 0.0, 0.0, 0.4), (0.3, 0.1, 0.05, 0.5), (0.6, 0.02, 0.0, 0.3)]:
        grid = bg.type_grid(lo, hi, n)
        offer = bg.fearon_demand(p, c_a, grid, bg.uniform_prior(n))
        assert 1 - offer.share == pytest.approx(
            ka.fearon_demand_uniform(p, c_a, lo, hi), abs=2 * (hi - lo) / n
        )
        assert 1 - offer.accept == pytest.approx(
            ka.fearon_war_probability(p, c_a, lo, hi), abs=2 / n
        )


# -- known answers: Fearon's bargain --------------------------------------------------------
@pytest.mark.parametrize(
    ("p", "c_a", "lo", "hi", "demand", "p_war"),
    [
        (0.5, 0.0, 0.0, 0.4, 0.7, 0.5),  # interior, lo = 0: 1/2 - c_A/(2 hi) = 1/2
        (0.5, 0.1, 0.0, 0.4, 0.65, 0.375),  # 1/2 - 0.1/0.8
        (0.5, 0.1, 0.05, 0.4, 0.65, 0.2 / 0.7),  # (hi - c_A - 2 lo) / (2 (hi - lo))
        (0.5, 0.4, 0.05, 0.4, 0.55, 0.0),  # safe corner: hi - c_A = 0 < 2 lo
        (0.9, 0.0, 0.0, 0.4, 1.0, 0.25),  # upper corner: (1 - p - lo) / (hi - lo)
        (0.5, 0.0, 0.3, 0.3, 0.8, 0.0),  # complete information
    ],
)
def test_fearon_closed_form_cases(p, c_a, lo, hi, demand, p_war):
    assert ka.fearon_demand_uniform(p, c_a, lo, hi) == pytest.approx(demand)
    assert ka.fearon_war_probability(p, c_a, lo, hi) == pytest.approx(p_war, abs=1e-12)


@pytest.mark.parametrize(
    ("p", "c_a", "lo", "hi"),
    [(0.5, 0.0, 0.0, 0.4), (0.3, 0.1, 0.05, 0.5), (0.5, 0.4, 0.05, 0.4), (0.9, 0.0, 0.0, 0.4)],
)
def test_fearon_demand_is_the_brute_force_maximum(p, c_a, lo, hi):
    """A's exact expected utility on 100,001 demands in [0, 1]: the best is the closed form's
    (within a grid step) and no demand beats the closed form's value."""
    x = np.linspace(0.0, 1.0, 100_001)
    eu = ka.fearon_expected_utility(x, p, c_a, lo, hi)
    star = ka.fearon_demand_uniform(p, c_a, lo, hi)
    assert x[np.argmax(eu)] == pytest.approx(star, abs=1e-5)
    assert eu.max() <= float(ka.fearon_expected_utility(star, p, c_a, lo, hi)) + 1e-12


@pytest.mark.parametrize(("p", "c_a", "lo", "hi"), [(0.5, 0.0, 0.0, 0.4), (0.3, 0.1, 0.05, 0.5)])
def test_fearon_war_probability_matches_monte_carlo(p, c_a, lo, hi):
    """B's cost drawn n = 200,000 times; B applies the acceptance rule to the closed-form demand.
    P(war) is a binomial proportion: SE = sqrt(P (1 - P) / n) <= 0.5 / sqrt(200,000) = 0.0011;
    the test allows 4 SE."""
    n = 200_000
    rng = np.random.default_rng(SEED)
    c_b = rng.uniform(lo, hi, n)
    demand = ka.fearon_demand_uniform(p, c_a, lo, hi)
    war = ~bg.accepts(1.0 - demand, 1.0 - p - c_b)
    truth = ka.fearon_war_probability(p, c_a, lo, hi)
    se = math.sqrt(truth * (1 - truth) / n)
    assert abs(war.mean() - truth) <= 4 * se, (war.mean(), truth, se)


# -- known answers: brinkmanship with private resolve ---------------------------------------
def test_brink_rounds_matches_the_known_answer():
    # 1 - 0.95^5 = 0.226 <= 0.25 < 1 - 0.95^6: five rounds; 0.60 gives 17.
    np.testing.assert_array_equal(bg.brink_rounds([0.25, 0.6, 0.0, 1.0], 0.05), [5, 17, 0, np.inf])
    assert bg.brink_rounds(0.3, 0.0) == np.inf
    assert ka.brinkmanship_war_probability(0.05, (0.25, 0.6)) == pytest.approx(1 - 0.95**5)
    assert bool(bg.bearable(1 - 0.95**5, 0.0, 0.25))
    assert not bool(bg.bearable(1 - 0.95**5, 0.05, 0.25))


def test_private_resolve_reduces_to_the_point_answer():
    point = ka.brinkmanship_war_probability(0.05, (0.25, 0.6))
    assert ka.brinkmanship_war_probability_private(0.05, [0.25], [1], [0.6], [1]) == point
    assert ka.brinkmanship_war_probability_private(
        0.05, [0.25], [1], [0.6], [1], channel="open"
    ) == pytest.approx(0.0)
    # Two equally likely resolves each: min is 0.25 in 3 cases of 4 (5 rounds), 0.6 in 1 (17).
    closed = ka.brinkmanship_war_probability_private(
        0.05, [0.25, 0.6], [0.5, 0.5], [0.25, 0.6], [0.5, 0.5]
    )
    assert closed == pytest.approx(0.75 * (1 - 0.95**5) + 0.25 * (1 - 0.95**17))
    # Open and honest: only ties fight, each with probability 1/4.
    open_ = ka.brinkmanship_war_probability_private(
        0.05, [0.25, 0.6], [0.5, 0.5], [0.25, 0.6], [0.5, 0.5], channel="open"
    )
    assert open_ == pytest.approx(0.25 * (1 - 0.95**5) + 0.25 * (1 - 0.95**17))


def test_private_brinkmanship_matches_a_brute_force_war_of_nerves():
    """Types drawn by inverse CDF, then the brink held round by round with the policy's rule
    (``bearable``), a war draw per round, the horizon at 12 rounds. n = 100,000 runs; P(war)
    about 0.36, SE <= 0.5 / sqrt(100,000) = 0.0016; the test allows 4 SE."""
    n, r, horizon = 100_000, 0.05, 12
    grid_a, prior_a = np.array([0.1, 0.25, 0.6]), np.array([0.2, 0.5, 0.3])
    grid_b, prior_b = np.array([0.15, 0.45, 0.9]), np.array([0.3, 0.3, 0.4])
    rng = np.random.default_rng(SEED)
    rho_a = grid_a[bg.draw_type(prior_a, rng.random(n))]
    rho_b = grid_b[bg.draw_type(prior_b, rng.random(n))]
    alive = np.ones(n, dtype=bool)
    war = np.zeros(n, dtype=bool)
    cumulative = np.zeros(n)
    for _ in range(horizon):
        # Both at the brink; whoever cannot bear another round concedes before the war draw.
        quits = ~bg.bearable(cumulative, r, rho_a) | ~bg.bearable(cumulative, r, rho_b)
        alive &= ~quits
        hit = alive & (rng.random(n) < r)
        war |= hit
        alive &= ~hit
        cumulative = dx.cumulative_risk(cumulative, r)
    truth = ka.brinkmanship_war_probability_private(
        r, grid_a, prior_a, grid_b, prior_b, horizon=horizon
    )
    se = math.sqrt(truth * (1 - truth) / n)
    assert abs(war.mean() - truth) <= 4 * se, (war.mean(), truth, se)


# -- the options of a decision --------------------------------------------------------------
LADDER_COSTS = np.array([0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.6, 1.0])
LADDER_RISK = np.array([0.0, 0.0, 0.0, 0.002, 0.01, 0.05, 1.0, 1.0])


def _ladder(x, y_next, **kw):
    args = {
        "costs": LADDER_COSTS,
        "war_risk": LADDER_RISK,
        "war_rung": 6,
        "jump": 2,
        "share": 0.5,
        "war": bg.war_value(0.3, 0.3, 0.9),
        "prevail": bg.settlement_value(1.0, 0.9),
        "delta": 0.9,
        "posterior_j": np.array([0.5, 0.5]),
        "war_j": bg.war_value(0.7, np.array([0.1, 0.5]), 0.9),
        "flow_j": 0.5 - 0.1,
        "quit_j": np.full(2, bg.settlement_value(0.0, 0.9)),
    }
    return bg.ladder_utilities(x, y_next, **(args | kw))


def test_a_step_onto_the_war_rung_is_worth_the_war_value_wherever_the_adversary_is():
    """No term rewards closing a gap: the jump from 4 onto war (6) is worth W whatever ŷ."""
    w = float(bg.war_value(0.3, 0.3, 0.9))
    for y in (0.0, 4.0, 5.0, 5.9):
        assert _ladder(4, y)[3] == pytest.approx(w)


def test_ladder_utilities_hand_computed_hold():
    # Hold at 4 against 4: r = 0.01, f = 0.5 - 0.1 = 0.4, W = 0 (p = c = 0.3), δ = 0.9.
    # H = (0.01 * 0 + 0.99 * 0.4) / (1 - 0.9 * 0.99) = 0.396 / 0.109.
    # The other's types: W_j = (0.7 - c) / 0.1 = 6 and 2; its flow 0.4, so
    # H_j = (0.01 W_j + 0.396) / 0.109 = 4.183 and 3.817, both above quitting (0): q = 0.
    # U = 0.01 * 0 + 0.99 (0.4 + 0.9 H).
    h = 0.396 / 0.109
    assert _ladder(4, 4.0)[1] == pytest.approx(0.99 * (0.4 + 0.9 * h))


def test_escalation_coerces_types_that_fear_war():
    """Powell (1990): a higher risk makes a type whose war value is below quitting give way."""
    # The other's types: one fears war (W_j = -8), one does not (W_j = 6); quitting is worth 0.
    kw = {"war_j": bg.war_value(0.7, np.array([0.1, 1.5]), 0.9)}
    q = bg.quit_probability(
        np.array([0.5, 0.5]),
        0.0 - bg.hold_value(0.4, np.array([[0.0], [0.05]]), kw["war_j"], 0.9),
    )
    np.testing.assert_allclose(q, [0.0, 0.5])  # at the brink rung the fearful type quits
    u = _ladder(4, 4.0, **kw)
    assert u[2] > _ladder(4, 4.0)[2]  # stepping up to 5 is worth more against it


def test_with_the_best_continuation_escalation_coerces_types_that_fear_war():
    """``beliefs.continuation: best`` (docs/decision-v2.md §3.7): the same coercion, against a
    moderate demand. The other's types: one fears war (W_j = -8), one does not (W_j = 6);
    quitting is worth the 0.3 offered, 3.0. Its best continuation short of war is to sit at
    rung 0 (share 0.5) under the risk of i's rung, ``(0.01 W + 0.495)/0.109`` = 3.81 against
    rung 4 (risk 0.01) and ``(0.05 W + 0.475)/0.145`` = 0.52 against rung 5 (0.05); the other
    type would rather fight (6 beats 5.09 and 5.34). At rung 4 neither quits; at rung 5 the
    fearful type does."""
    kw = {
        "war_j": bg.war_value(0.7, np.array([0.1, 1.5]), 0.9),
        "quit_j": np.full(2, bg.settlement_value(0.3, 0.9)),
        "best_of_share": 0.5,
    }
    h = bg.best_continuation(0.5, np.array([4, 5]), LADDER_COSTS, LADDER_RISK, 6, kw["war_j"], 0.9)
    np.testing.assert_allclose(h, [[6.0, 3.8073], [6.0, 0.5172]], atol=1e-4)
    q = bg.quit_probability(np.array([0.5, 0.5]), kw["quit_j"] - h)
    np.testing.assert_allclose(q, [0.0, 0.5])  # at the brink rung the fearful type quits
    u = _ladder(4, 4.0, **kw)
    assert u[2] > _ladder(4, 4.0, war_j=kw["war_j"], best_of_share=0.5)[2]


def test_a_demand_beyond_what_the_risk_makes_the_status_quo_worth_coerces_nobody():
    """With the best continuation, the other quits only if quitting beats every way of going on:
    asked for everything (quitting worth 0), even the type that fears war keeps the status quo
    at rung 0 under the brink rung's risk (0.52 > 0), so escalation coerces nobody and the
    quit probability is 0 at every rung below war."""
    war_j = bg.war_value(0.7, np.array([0.1, 1.5]), 0.9)
    h = bg.best_continuation(0.5, np.arange(6), LADDER_COSTS, LADDER_RISK, 6, war_j, 0.9)
    assert (h > 0.0).all()
    assert (bg.quit_probability(np.array([0.5, 0.5]), 0.0 - h) == 0.0).all()


@settings(max_examples=200, deadline=None)
@given(
    share=st.floats(0.0, 1.0),
    x=st.integers(0, 7),
    cost=st.floats(0.0, 3.0),
)
def test_the_best_continuation_is_at_least_every_rung_held_and_war(share, x, cost):
    """``best_continuation`` is the maximum over the other's rungs: at least holding any rung
    below war, at least W_j, and equal to one of them."""
    war_j = bg.war_value(0.5, np.array([cost]), 0.9)
    h = bg.best_continuation(share, np.array([x]), LADDER_COSTS, LADDER_RISK, 6, war_j, 0.9)
    each = [
        bg.hold_value(share - LADDER_COSTS[y], dx.war_probability(LADDER_RISK, x, y, 6), war_j, 0.9)
        for y in range(7)
    ]
    assert (h[0] >= np.max(each, axis=0) - 1e-12).all()
    assert (h[0] >= war_j - 1e-12).all()
    assert np.isclose(h[0], np.max(each, axis=0)).all()


def _reply(war_i, quit_i=0.0, prevail=None, prior=None, share=0.5):
    """i as the other models it in ``mutual``: types' war values, a prior, quit values."""
    war_i = np.asarray(war_i, dtype=float)
    return bg.Reply(
        share=share,
        war=war_i,
        prior=np.full(len(war_i), 1.0 / len(war_i)) if prior is None else prior,
        quit=np.full(len(war_i), quit_i),
        prevail=bg.settlement_value(1.0, 0.9) if prevail is None else prevail,
    )


def test_the_mutual_continuation_is_the_best_one_when_i_never_quits():
    """With i's quitting worth nothing to every type of i (−∞), ``Q_i = 0`` at every rung of the
    other, and the formula reduces to :func:`best_continuation` exactly."""
    war_j = bg.war_value(0.7, np.array([0.1, 1.5]), 0.9)
    reply = _reply(bg.war_value(0.3, np.array([0.1, 1.5]), 0.9), quit_i=-np.inf)
    assert (bg.reply_quit_probability(reply, LADDER_COSTS, LADDER_RISK, 6, 0.9) == 0.0).all()
    xs = np.arange(6)
    np.testing.assert_allclose(
        bg.best_continuation(0.5, xs, LADDER_COSTS, LADDER_RISK, 6, war_j, 0.9, reply),
        bg.best_continuation(0.5, xs, LADDER_COSTS, LADDER_RISK, 6, war_j, 0.9),
    )


def test_the_mutual_continuation_by_hand():
    """One rung pair by hand. i's one type fears war (W_i = (0.3 − 1.5)/0.1 = −12) and quits
    for 0.3 of the stakes (3.0): its best way of going on against the other at rung 5 is rung 0
    under risk 0.05, (0.05·(−12) + 0.95·0.5)/(1 − 0.9·0.95) = −0.862 < 3.0, so it quits:
    ``Q_i(5) = 1``. Against rung 0 (no risk) it holds 0.5/0.1 = 5 > 3: ``Q_i(0) = 0``. The other
    (W_j = 6, share 0.5) sitting at 5 against i at 5 expects i to quit next round, worth its
    demand 0.7 (7.0): ``H = 0.05·6 + 0.95·(0.5 − 0.2 + 0.9·7.0) = 6.57``, above fighting (6)
    and above any rung at which i does not quit."""
    reply = _reply([bg.war_value(0.3, 1.5, 0.9)], quit_i=3.0, prevail=7.0)
    q = bg.reply_quit_probability(reply, LADDER_COSTS, LADDER_RISK, 6, 0.9)
    assert q[0] == 0.0
    assert q[5] == 1.0
    h = bg.best_continuation(
        0.5, np.array([5]), LADDER_COSTS, LADDER_RISK, 6, np.array([6.0]), 0.9, reply
    )
    assert h[0, 0] == pytest.approx(0.05 * 6.0 + 0.95 * (0.5 - 0.2 + 0.9 * 7.0))


def test_in_symmetric_terror_the_mutual_term_coerces_less_than_the_best_one():
    """Both sides' types fear war alike (docs/decision-v2.md §3.7, "mutual"): under ``best``
    the other's fearful types quit at the brink rung (Q = 1/2), so i expects to win by climbing;
    under ``mutual`` the other counts on i's equally fearful types to quit first, holds on, and
    the quit probability i expects at the brink is lower: the race to the top rungs goes."""
    war = bg.war_value(0.5, np.array([1.5, 1.5]), 0.9)  # −10: every type fears war
    kw = {
        "war_j": war,
        "quit_j": np.full(2, bg.settlement_value(0.3, 0.9)),
        "best_of_share": 0.5,
    }
    reply = _reply(war, quit_i=bg.settlement_value(0.3, 0.9), prevail=bg.settlement_value(0.7, 0.9))
    xs = np.array([4, 5])
    h_best = bg.best_continuation(0.5, xs, LADDER_COSTS, LADDER_RISK, 6, war, 0.9)
    h_mutual = bg.best_continuation(0.5, xs, LADDER_COSTS, LADDER_RISK, 6, war, 0.9, reply)
    assert (h_mutual >= h_best - 1e-12).all()  # counting on i's quitting can only help it
    q_best = bg.quit_probability(np.array([0.5, 0.5]), kw["quit_j"] - h_best)
    q_mutual = bg.quit_probability(np.array([0.5, 0.5]), kw["quit_j"] - h_mutual)
    assert q_best[1] == 1.0
    assert q_mutual[1] == 0.0
    up_best = _ladder(4, 4.0, **kw)
    up_mutual = _ladder(4, 4.0, **kw, reply=reply)
    assert up_mutual[2] < up_best[2]  # stepping up to the brink is worth less


@settings(max_examples=200, deadline=None)
@given(
    x=st.integers(0, 7),
    cost_i=st.floats(0.0, 3.0),
    cost_j=st.floats(0.0, 3.0),
    quit_i=st.floats(-5.0, 10.0),
    prevail=st.floats(0.0, 10.0),
)
def test_the_mutual_continuation_lies_between_the_best_one_and_prevailing(
    x, cost_i, cost_j, quit_i, prevail
):
    """Counting on i's quitting (worth ``V_prevail`` ≥ the status quo's value to the other)
    never lowers the other's best continuation, and never raises it above the better of
    prevailing next round and the best continuation; ``Q_i`` is a probability."""
    war_j = bg.war_value(0.5, np.array([cost_j]), 0.9)
    prevail = max(prevail, bg.settlement_value(0.5, 0.9))
    reply = _reply([bg.war_value(0.5, cost_i, 0.9)], quit_i=quit_i, prevail=prevail)
    q = bg.reply_quit_probability(reply, LADDER_COSTS, LADDER_RISK, 6, 0.9)
    assert ((q >= 0.0) & (q <= 1.0)).all()
    xs = np.array([x])
    best = bg.best_continuation(0.5, xs, LADDER_COSTS, LADDER_RISK, 6, war_j, 0.9)
    mutual = bg.best_continuation(0.5, xs, LADDER_COSTS, LADDER_RISK, 6, war_j, 0.9, reply)
    assert (mutual >= best - 1e-9).all()
    assert (mutual <= np.maximum(best, 0.5 + 0.9 * prevail) + 1e-9).all()


def test_a_crossed_red_line_costs_the_audience_cost_unless_answered():
    """The red line is a public commitment: holding or stepping down once it is crossed costs
    D; climbing does not. So crossing it changes the default policy's choice."""
    calm = _ladder(4, 4.0, audience=0.7)
    crossed = _ladder(4, 4.0, audience=0.7, line_crossed=True)
    np.testing.assert_allclose(crossed[:2], calm[:2] - 0.7)  # step down, hold
    np.testing.assert_allclose(crossed[2:], calm[2:])  # step up, jump
    # Backing down while committed and leaving the line unanswered: both costs.
    both = _ladder(4, 4.0, audience=0.7, line_crossed=True, committed=True)
    assert both[0] == pytest.approx(calm[0] - 1.4)


@settings(max_examples=200, deadline=None)
@given(
    x=st.integers(0, 7),
    y=st.floats(0.0, 7.0),
    cost=st.floats(0.0, 1.0),
    audience=st.floats(0.0, 2.0),
    committed=st.booleans(),
    crossed=st.booleans(),
    offer=st.floats(0.0, 1.0),
)
def test_refusal_values_are_the_ladder_with_nobody_quitting(
    x, y, cost, audience, committed, crossed, offer
):
    """``refusal_values`` is ``ladder_utilities`` with the other's quitting at 0 (a posterior
    of zeros), whatever the other's offer and types: each move is worth its rung's stationary
    hold value less the audience costs, and a climb onto war is worth W_i."""
    kw = {"audience": audience, "committed": committed, "line_crossed": crossed}
    war = bg.war_value(0.3, cost, 0.9)
    nobody = _ladder(
        x,
        y,
        war=war,
        posterior_j=np.zeros(2),
        quit_j=np.full(2, bg.settlement_value(offer, 0.9)),
        **kw,
    )
    refused = bg.refusal_values(x, y, LADDER_COSTS, LADDER_RISK, 6, 2, 0.5, war, 0.9, **kw)
    np.testing.assert_allclose(refused, nobody, rtol=1e-12, atol=1e-9)
    targets = dx.target_rung(np.array([x]), dx.CANDIDATE_MOVES, 2, len(LADDER_COSTS))[0]
    climbs_to_war = (targets >= 6) & (targets > x)  # no audience cost on a climb
    np.testing.assert_allclose(refused[climbs_to_war], float(war), rtol=1e-12)


def test_settlement_utilities_and_audience_costs():
    # Accepting 0.4 when publicly committed to 0.6 costs D = 1: 0.4 / 0.1 - 1 = 3.
    # Conceding to a demand of everything, committed: 0 - 1.
    u = bg.settlement_utilities(np.array([np.nan, 0.4]), 1.0, 0.9, 0.6, 1.0, True)
    assert np.isnan(u[0, 0])
    np.testing.assert_allclose(u[1], [3.0, -1.0])
    # A private offer to an uncommitted power carries no audience cost.
    np.testing.assert_allclose(bg.settlement_utilities(0.4, 1.0, 0.9, 0.6, 1.0, False), [4.0, 0.0])


def test_reaches_war_marks_the_ladder_moves_onto_the_war_rung():
    np.testing.assert_array_equal(
        bg.reaches_war(np.array([4, 5]), 2, 8, 6),
        [[False, False, False, False, False, True], [False, False, False, False, True, True]],
    )


def test_choose_takes_war_only_as_a_strict_best_response():
    available = np.ones(6, dtype=bool)
    war = np.array([False, False, False, False, False, True])
    assert bg.choose([np.nan, 0.0, 1.0, 2.0, 3.0, 10.0], available, war, 4.0, 0.5) == 5
    # War worth no more than the best peaceful option: never chosen, whatever the draw.
    u = (np.arange(1000) + 0.5) / 1000
    picks = bg.choose([np.nan, 0.0, 1.0, 2.0, 3.0, 3.0], available, war, 1.0, u)
    assert not (picks == 5).any()
    assert not (picks == 0).any()  # NaN: no offer standing
    # Among the peaceful options the logit's shares (exact over 1,000 evenly spaced draws).
    weights = np.exp(np.array([0.0, 1.0, 2.0, 3.0]) - 3.0)
    shares = np.bincount(picks, minlength=6)[1:5] / 1000
    np.testing.assert_allclose(shares, weights / weights.sum(), atol=1e-3)


@settings(PROFILE)
@given(
    utilities=st.lists(st.floats(-50, 50), min_size=6, max_size=6),
    war_mask=st.lists(st.booleans(), min_size=6, max_size=6),
    u=st.floats(0.0, 0.999999),
    precision=st.floats(0.0, 50.0),
)
def test_war_is_chosen_only_when_it_beats_every_alternative(utilities, war_mask, u, precision):
    util = np.array(utilities)
    war = np.array(war_mask)
    war[3] = False  # holding is always peaceful
    pick = int(bg.choose(util, np.ones(6, dtype=bool), war, precision, u))
    if war[pick]:
        assert util[pick] > util[~war].max()
    else:
        assert not (war & (util > util[~war].max())).any()


@settings(PROFILE)
@given(
    utilities=st.lists(st.floats(-50, 50), min_size=6, max_size=6),
    war_mask=st.lists(st.booleans(), min_size=6, max_size=6),
    open_mask=st.lists(st.booleans(), min_size=6, max_size=6),
    precision=st.floats(0.0, 50.0),
)
def test_choice_probabilities_are_what_choose_draws(utilities, war_mask, open_mask, precision):
    """Over M evenly spaced draws, ``choose`` picks each option a number of times within 1 of
    M P_k (the draws falling in an interval of length P_k of the inverse CDF), so the
    frequencies are within 1/M of :func:`bg.choice_probabilities`; war is a one-hot."""
    util = np.array(utilities)
    war = np.array(war_mask)
    available = np.array(open_mask)
    war[3] = False  # holding is always peaceful and available
    available[3] = True
    probs = bg.choice_probabilities(util, available, war, precision, 0.5)
    assert probs.sum() == pytest.approx(1.0, abs=1e-12)
    assert (probs[~available] == 0).all()
    m = 2000
    picks = bg.choose(util, available, war, precision, (np.arange(m) + 0.5) / m, 0.5)
    np.testing.assert_allclose(np.bincount(picks, minlength=6) / m, probs, rtol=0, atol=1 / m)


@settings(PROFILE)
@given(p=UNIT, p_later=UNIT, cost=st.floats(0.0, 1.0), delta=st.floats(0.01, 0.99))
def test_commitment_gap_is_the_preventive_war_condition(p, p_later, cost, delta):
    gap = float(bg.commitment_gap(p, p_later, cost, delta))
    if p_later >= cost:
        condition = delta * (p - p_later) - (1 - delta) * (1 - p + cost)
        assert np.sign(round(gap, 9)) == np.sign(round(condition / (1 - delta), 9))
    assert gap <= (p - cost) / (1 - delta) - 1 + 1e-9  # no better than war minus one round


def test_commitment_gap_hand_computed():
    # War now (0.6 - 0.05) / 0.1 = 5.5; peace at most 1 + 0.9 * 0.25 / 0.1 = 3.25: gap 2.25.
    assert bg.commitment_gap(0.6, 0.3, 0.05, 0.9) == pytest.approx(2.25)
    # No shift, no commitment problem: gap = (p - c)/(1-δ) - 1 - δ (p - c)/(1-δ) = p - c - 1 < 0.
    assert bg.commitment_gap(0.6, 0.6, 0.05, 0.9) == pytest.approx(0.55 - 1.0)


# -- decompositions ---------------------------------------------------------------------------
def test_shapley_paths_additive_and_interacting_games():
    # Additive: v(S) = 1 [perception] + 2 [messages] + 4 [agreements] = the bit pattern.
    phi, interaction = bg.shapley_paths(np.arange(8.0))
    np.testing.assert_allclose(phi, [1.0, 2.0, 4.0])
    assert interaction == pytest.approx(0.0)
    # Only perception and messages together matter: half each, all of it interaction.
    v = np.zeros(8)
    v[[3, 7]] = 1.0
    phi, interaction = bg.shapley_paths(v)
    np.testing.assert_allclose(phi, [0.5, 0.5, 0.0])
    assert interaction == pytest.approx(1.0)


@settings(PROFILE)
@given(values=st.lists(st.floats(-1, 1), min_size=8, max_size=8))
def test_shapley_shares_add_up_to_the_difference(values):
    v = np.array(values)
    phi, _ = bg.shapley_paths(v)
    assert phi.sum() == pytest.approx(v[7] - v[0], abs=1e-12)


def test_war_split_adds_up_with_both_flows():
    run = np.array([1, 1, 0, 0, 1, 0], dtype=bool)
    perception = np.array([1, 0, 1, 0, 0, 0], dtype=bool)
    complete = np.array([0, 0, 1, 0, 0, 0], dtype=bool)
    split = bg.war_split(run, perception, complete)
    assert split.misperception == pytest.approx(3 / 6 - 2 / 6)
    assert split.private_information == pytest.approx(2 / 6 - 1 / 6)
    assert split.residual == pytest.approx(1 / 6)
    total = split.misperception + split.private_information + split.residual
    assert total == pytest.approx(run.mean())
    assert split.attributable - split.perception_twin_only == pytest.approx(split.misperception)
    assert split.private - split.complete_twin_only == pytest.approx(split.private_information)
    assert split._fields == bg.SPLIT_PARTS  # the run columns' names (batch.twin_columns)


def test_option_of_inverts_the_option_moves():
    np.testing.assert_array_equal(bg.option_of(bg.OPTION_MOVES), np.arange(len(bg.OPTIONS)))
    assert [dx.MOVE_NAMES[int(m)] for m in bg.OPTION_MOVES] == list(bg.OPTIONS)


def test_accepting_keeps_the_rung_and_is_never_flipped():
    x = np.arange(5)
    np.testing.assert_array_equal(dx.target_rung(x, dx.ACCEPT, 2, 5), x)
    made = dx.implementation_error(np.full(5, dx.ACCEPT), x, np.zeros(5), 0.5, np.zeros(5), 5)
    np.testing.assert_array_equal(made, dx.ACCEPT)


def test_word_evidence_known_values():
    """An agreement of strength τ = 0.3 moves an even honest mass to 1/2 + τ/2, less η·0.15."""
    honest = np.array([False, False, True, True])
    even = np.full(4, 0.25)
    after = bg.word_evidence(even, honest, 0.3)
    eta = bg.LIKELIHOOD_FLOOR
    # L(honest) + L(strategic) = 1 here, so the honest mass is L(honest) itself.
    assert bg.honest_mass(after, honest) == pytest.approx((1 - eta) * 0.65 + eta / 2)
    np.testing.assert_allclose(after[2], after[3])  # within a class the cost is untouched
    # A breach of cost 0.5 (τ = -0.5): honest mass (1 - η)·0.25 + η/2.
    broken = bg.word_evidence(even, honest, -0.5)
    assert bg.honest_mass(broken, honest) == pytest.approx((1 - eta) * 0.25 + eta / 2)
    np.testing.assert_allclose(bg.word_evidence(even, honest, 0.0), even)


@PROFILE
@given(
    weights=st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4).filter(lambda w: sum(w) > 0),
    tau=st.floats(-1.0, 1.0),
)
def test_word_evidence_is_bayes_on_the_honesty_type(weights, tau):
    """A proper posterior; trust moves with τ's sign; costs within a class keep their ratio; a
    point posterior stays a point (the complete-information twin)."""
    honest = np.array([False, False, True, True])
    prior = np.asarray(weights) / sum(weights)
    after = bg.word_evidence(prior, honest, tau)
    assert after.sum() == pytest.approx(1.0)
    assert (after >= 0).all()
    before, now = bg.honest_mass(prior, honest), bg.honest_mass(after, honest)
    if tau > 0:
        assert now >= before - 1e-12
    if tau < 0:
        assert now <= before + 1e-12
    for cls in (honest, ~honest):
        mass = prior[cls].sum()
        if mass > 1e-9:
            np.testing.assert_allclose(after[cls] / after[cls].sum(), prior[cls] / mass, atol=1e-9)
    point = np.eye(4)[int(np.argmax(prior))]
    np.testing.assert_array_equal(bg.word_evidence(point, honest, tau), point)
    # Broadcast over leading axes, one strength per row.
    rows = bg.word_evidence(np.stack([prior, prior]), honest, np.array([tau, 0.0]))
    np.testing.assert_allclose(rows[0], after, atol=1e-12)
    np.testing.assert_allclose(rows[1], prior, atol=1e-12)


# -- wars that last (docs/pair-wars.md §3.3; pure functions ahead of the wiring) -----------
@settings(max_examples=200, deadline=None)
@given(
    p=st.floats(0.0, 1.0),
    q=st.floats(0.0, 1.0),
    sigma=st.floats(0.0, 1.0),
    cost=st.floats(0.0, 2.0),
    delta=st.floats(0.0, 0.99),
)
def test_the_front_drifts_toward_the_odds_and_its_value_is_the_lottery_at_the_odds(
    p, q, sigma, cost, delta
):
    """Exact identities: ``E[q'] - p = (1 - σ)(q - p)`` and the front stays in [0, 1]; V(q₀)
    is W at q₀ = p and rises with q₀ at rate ``1/(1 - δ(1 - σ))``."""
    up, down = bg.front_step(q, True, sigma), bg.front_step(q, False, sigma)
    assert 0.0 <= down <= q <= up <= 1.0
    assert p * up + (1 - p) * down - p == pytest.approx((1 - sigma) * (q - p), abs=1e-12)
    w = bg.war_value(p, cost, delta)
    assert bg.front_war_value(p, cost, delta, p, sigma) == pytest.approx(w, abs=1e-9)
    slope = bg.front_war_value(p, cost, delta, 1.0, sigma) - bg.front_war_value(
        p, cost, delta, 0.0, sigma
    )
    assert slope == pytest.approx(1.0 / (1.0 - delta * (1.0 - sigma)), rel=1e-9)


def test_a_simulated_front_is_worth_its_closed_form():
    """Monte Carlo of the front (20,000 wars, p = 0.3, q₀ = 0.8, σ = 0.1, c = 0.2, δ = 0.9,
    truncated at 300 rounds, where δ^300 < 2e-14): the mean discounted sum of ``q_t - c`` is
    ``front_war_value`` within 4 standard errors (the seed, 18, was chosen before the run)."""
    p, q0, sigma, cost, delta, n, rounds = 0.3, 0.8, 0.1, 0.2, 0.9, 20_000, 300
    rng = np.random.default_rng(18)
    q = np.full(n, q0)
    total = np.zeros(n)
    for t in range(rounds):
        total += delta**t * (q - cost)
        q = bg.front_step(q, rng.random(n) < p, sigma)
    expected = float(bg.front_war_value(p, cost, delta, q0, sigma))
    se = total.std(ddof=1) / np.sqrt(n)
    assert abs(total.mean() - expected) < 4 * se, (total.mean(), expected, se)
    assert expected > float(bg.war_value(p, cost, delta))  # it fights from a position


def test_a_logit_of_zero_precision_is_uniform_even_at_an_infinite_advantage():
    # λ = 0: each type quits with probability 1/2 whatever quitting is worth, "worth nothing"
    # (an infinite advantage) included; found by the generated pair-war scenarios, where a
    # precision of 0 met an infinite advantage and 0 · ∞ made the chance NaN.
    with np.errstate(all="raise"):
        q = bg.quit_probability([0.25, 0.75], [np.inf, -np.inf], precision=0.0)
        assert q == pytest.approx(0.5)
        assert bg.quit_probability([1.0], [np.inf], precision=2.0) == pytest.approx(1.0)
        assert bg.quit_probability([1.0], [-np.inf], precision=2.0) == pytest.approx(0.0)


@pytest.mark.parametrize("w", [0.0, 0.25, 0.5, 1.0])
def test_the_mixed_continuation_is_the_mix_of_the_two_levels(w):
    """``beliefs.continuation: mixed`` (docs/decision-v2.md §3.7): the other counts on i's
    quitting with probability w. A move's value is linear in the other's quit chance Q, and Q
    is ``(1 - w) Q_best + w Q_mutual``, so each move's value is the same mix of its values
    under ``best`` and ``mutual``; w = 1 is ``mutual`` to the bit, and w = 0 is ``best``."""
    war = bg.war_value(0.5, np.array([1.5, 0.4]), 0.9)
    kw = {
        "war_j": war,
        "quit_j": np.full(2, bg.settlement_value(0.3, 0.9)),
        "best_of_share": 0.5,
    }
    reply = _reply(war, quit_i=bg.settlement_value(0.3, 0.9), prevail=bg.settlement_value(0.7, 0.9))
    best = _ladder(3, 4.0, **kw)
    mutual = _ladder(3, 4.0, **kw, reply=reply)
    mixed = _ladder(3, 4.0, **kw, reply=reply, reply_share=w)
    np.testing.assert_allclose(mixed, (1 - w) * best + w * mutual, rtol=1e-12, atol=1e-12)
    if w == 1.0:
        np.testing.assert_array_equal(mixed, mutual)
    assert not np.allclose(best, mutual)  # the two levels differ here, so the mix is tested


# -- a rung that imposes a cost on the other (docs/decision-v2.md §3.11) ---------------------------
IMPOSED = np.array([0.0, 0.0, 0.1, 0.3, 0.5, 1.0, 0.0, 0.0])


def test_an_imposed_cost_lowers_the_others_flow_under_each_candidate_rung_exactly():
    """``best_continuation(..., imposed=m)`` against i's candidate x′ is the plain one with the
    other's share lowered by m(x′), rung by rung (its flow ``q_j − m(x′) − k(y″)``)."""
    war = bg.war_value(0.5, np.array([0.4, 2.0]), 0.9)
    xs = np.array([1, 3, 5])
    got = bg.best_continuation(0.5, xs, LADDER_COSTS, LADDER_RISK, 6, war, 0.9, imposed=IMPOSED)
    for k, x in enumerate(xs):
        plain = bg.best_continuation(
            0.5 - IMPOSED[x], np.array([x]), LADDER_COSTS, LADDER_RISK, 6, war, 0.9
        )
        np.testing.assert_allclose(got[k], plain[0], rtol=1e-12, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(
    x=st.integers(0, 6),
    share=st.floats(0.0, 1.0),
    cost=st.floats(0.0, 3.0),
    m=st.lists(st.floats(0.0, 2.0), min_size=8, max_size=8),
)
def test_imposing_a_cost_never_raises_the_others_continuation(x, share, cost, m):
    """Whatever i's rung imposes (≥ 0), the other's best way of going on is worth no more, and
    exactly as much where i's rung imposes nothing; imposing zeros changes no move's value."""
    war = bg.war_value(0.5, np.array([cost]), 0.9)
    imposed = np.array(m)
    xs = np.array([x])
    plain = bg.best_continuation(share, xs, LADDER_COSTS, LADDER_RISK, 6, war, 0.9)
    hit = bg.best_continuation(share, xs, LADDER_COSTS, LADDER_RISK, 6, war, 0.9, imposed=imposed)
    assert (hit <= plain + 1e-9).all()
    if imposed[x] == 0.0:
        np.testing.assert_allclose(hit, plain, rtol=1e-12, atol=1e-12)
    kw = {"war_j": war, "quit_j": np.full(1, 3.0), "posterior_j": np.array([1.0])}
    zero = _ladder(x, 2.0, **kw, best_of_share=share, imposed=np.zeros(8))
    np.testing.assert_array_equal(zero, _ladder(x, 2.0, **kw, best_of_share=share))
