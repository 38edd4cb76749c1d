"""The bargaining policy (``policies/bargaining.py``): known answers and invariants.

``tests/test_policies.py::TestBargaining`` checks its classifier like every policy's; this
module checks what it does: the complete-information offer is accepted and war never chosen,
Fearon's take-it-or-leave-it demand, war only as a strict best response, ``choice_probabilities``
against ``decide``, escalation coercing the types that fear war, a crossed red line and a drawn
resolve changing behaviour. Values are computed on hand-built ``Params`` (``dataclasses.replace``
of a compiled scenario), so each test states its ladder, discount, shares and types.

Probabilities are exact (``choice_probabilities``); where ``decide`` is compared with them over
random draws the seed is 17 (chosen before the first run, never changed) and the tolerance 4
binomial standard errors with n stated (a false failure about once in 16,000 runs, as in
``test_bargaining.py``); over M evenly spaced draws the counts are exact within 1, so
frequencies are within 1/M.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from escalsim.batch import run_batch
from escalsim.core import bargaining as bg
from escalsim.core import dynamics as dx
from escalsim.core import known_answers as ka
from escalsim.core.params import Params, compile_params, schedule
from escalsim.policies import POLICIES, Actor, Observation
from escalsim.policies.bargaining import (
    MEMO_ROWS,
    TIE,
    BargainingPolicy,
    DistinctRows,
    _answers,
    _remembered,
    exchange_possible,
    onset_rungs,
    power_rows,
    quit_precision,
    terms,
    war_ladder,
)
from escalsim.scenario import load_scenario
from escalsim.scenario.load import with_settings
from test_policies import obs

settings.register_profile(
    "bargaining-policy", max_examples=150, deadline=None, derandomize=True, database=None
)
PROFILE = settings.get_profile("bargaining-policy")
SEED = 17
POLICY = POLICIES["bargaining"]
BASE = compile_params(load_scenario("generic-dispute"))  # powers A (index 0) and B (1)
A = Actor(index=0, resolve=0.3, red_line=2)  # traits: not read
B = Actor(index=1, resolve=0.3, red_line=2)
#: The ladder of tests/test_bargaining.py: eight rungs, war at 6, a jump of two.
COSTS = np.array([0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.6, 1.0])
RISK = np.array([0.0, 0.0, 0.0, 0.002, 0.01, 0.05, 1.0, 1.0])
SHARP = 1e12  # "high precision": any annuity difference above TIE weighs e^-1000 or less


def spec(precision: float = 20.0) -> BargainingPolicy:
    return BargainingPolicy(name="bargaining", precision=precision)


def make_params(
    *,
    costs: Any = COSTS,
    war_risk: Any = RISK,
    war_rung: int | None = 6,
    jump: int = 2,
    delta: float = 0.9,
    share_a: float = 0.5,
    types_a: Any = (0.3,),
    prior_a: Any = None,
    types_b: Any = (0.3,),
    prior_b: Any = None,
    precision: float = 20.0,
    capitulation: bool = True,
) -> Params:
    """generic-dispute's compiled parameters with this ladder, discount, shares and types."""
    n = max(len(types_a), len(types_b))

    def pad(grid: Any, prior: Any) -> tuple[np.ndarray, np.ndarray]:
        g = np.asarray(grid, dtype=float)
        w = np.full(len(g), 1 / len(g)) if prior is None else np.asarray(prior, dtype=float)
        return np.pad(g, (0, n - len(g)), mode="edge"), np.pad(w, (0, n - len(w)))

    (ga, wa), (gb, wb) = pad(types_a, prior_a), pad(types_b, prior_b)
    costs = np.asarray(costs, dtype=float)
    return dataclasses.replace(
        BASE,
        n_rungs=len(costs),
        rung_names=tuple(f"r{k}" for k in range(len(costs))),
        costs=costs,
        incident_risk=np.zeros(len(costs)),
        war_risk=np.asarray(war_risk, dtype=float),
        war_rung=war_rung,
        jump=jump,
        discount=delta,
        status_quo=np.array([share_a, 1.0 - share_a]),
        cost_types=np.array([ga, gb]),
        cost_prior=np.array([wa, wb]),
        policies=(spec(precision), spec(precision)),
        capitulation=capitulation,
    )


def seen(**kw: Any) -> Observation:
    """An observation of decision model v2; ``kw`` sets the fields the policy reads."""
    v2: dict[str, Any] = dict(
        x=0,
        y=0,
        posterior=np.array([1.0, 0.0]),
        offer_received=math.nan,
        own_offer=math.nan,
        public_demand=math.nan,
        war_value=0.0,
        war_cost=0.3,
        resolve=math.nan,
        line_crossed=False,
    )
    return obs(**(v2 | kw))


def typed(p: float, cost: Any, delta: float, **kw: Any) -> Observation:
    """An observation whose drawn type is ``cost`` with chance of winning ``p``: the war value
    ``(p - c)/(1 - δ)`` and the resolve ``1/(1 - p + c)`` as the round would supply them."""
    c = np.asarray(cost, dtype=float)
    return seen(
        war_cost=c,
        war_value=bg.war_value(p, c, delta),
        resolve=bg.resolve_from_values(1.0, 0.0, p - c),
        **kw,
    )


def probs(o: Observation, actor: Actor, params: Params, precision: float = 20.0) -> np.ndarray:
    return POLICY.choice_probabilities(o, actor, params, spec(precision), ())


def decide(o: Observation, actor: Actor, params: Params, u: Any, precision: float = 20.0) -> Any:
    return POLICY.decide(o, actor, params, spec(precision), (), u)[0]


def evenly(m: int) -> np.ndarray:
    return (np.arange(m) + 0.5) / m


ACCEPT, CONCEDE = bg.ACCEPT_OPTION, bg.CONCEDE_OPTION
CLIMB = (dx.STEP_UP, dx.JUMP)
DOWN, HOLD, UP, JUMP = 2, 3, 4, 5  # option indices of the ladder moves


# -- (1) complete information: the offer is accepted and war is never chosen -----------------
@st.composite
def complete_information(draw: st.DrawFn) -> dict[str, Any]:
    """A dyad with point types known to both, divisible stakes and no noise, in which each
    power prefers its status-quo flow at its rung to war by at least 10⁻⁴ of the stakes.

    (Where a power prefers war to the status quo, its war is not deliberate miscalculation but
    the one-level reservation's blind spot: the other's reservation counts on the status quo
    continuing. The design's "no deliberate war" claim is the round's, step 8 of §12; this is
    the policy's share of it.)"""
    n = draw(st.integers(3, 7))
    war_rung = n - 1
    costs = np.array([0.0, *draw(st.lists(st.floats(0.0, 0.4), min_size=n - 1, max_size=n - 1))])
    risk = np.array([*draw(st.lists(st.floats(0.0, 0.2), min_size=n - 1, max_size=n - 1)), 1.0])
    delta = draw(st.floats(0.5, 0.99))
    p = draw(st.floats(0.05, 0.95))
    share_a = draw(st.floats(0.0, 1.0))
    x, y = draw(st.integers(0, war_rung - 1)), draw(st.integers(0, war_rung - 1))
    slack_a, slack_b = draw(st.floats(1e-4, 1.0)), draw(st.floats(1e-4, 1.0))
    cost_a = max(0.0, p - (share_a - costs[x])) + slack_a
    cost_b = max(0.0, (1 - p) - (1 - share_a - costs[y])) + slack_b
    return {
        "params": make_params(
            costs=costs,
            war_risk=risk,
            war_rung=war_rung,
            jump=draw(st.integers(1, 2)),
            delta=delta,
            share_a=share_a,
            types_a=(cost_a,),
            types_b=(cost_b,),
            precision=SHARP,
        ),
        "p": p,
        "x": x,
        "y": y,
        "cost_a": cost_a,
        "cost_b": cost_b,
        "delta": delta,
        # the true joint type: strategic (index 0) or honest (1); a point mass on it
        "a_is": draw(st.integers(0, 1)),
        "b_is": draw(st.integers(0, 1)),
    }


def _complete_round(case: dict[str, Any]) -> tuple[Any, ...]:
    """A's offer, B's answer to it and A's own move with its offer standing."""
    params, p, delta = case["params"], case["p"], case["delta"]
    on_b, on_a = np.eye(2)[case["b_is"]], np.eye(2)[case["a_is"]]
    at_a = typed(p, case["cost_a"], delta, x=case["x"], y=case["y"], posterior=on_b)
    share = float(POLICY.offer(at_a, A, params, spec(SHARP), ()))
    reservation, fallback = POLICY.reservations(at_a, A, params)
    at_b = typed(
        1 - p, case["cost_b"], delta, x=case["y"], y=case["x"], posterior=on_a, offer_received=share
    )
    a_moving = dataclasses.replace(at_a, own_offer=share)
    return share, float(reservation[case["b_is"]]), float(fallback), at_a, at_b, a_moving


@settings(PROFILE)
@given(case=complete_information())
def test_complete_information_offer_is_accepted_and_war_never_chosen(case):
    """docs/decision-v2.md §11, for the policy alone: A offers B's reservation whenever a
    bargain both prefer exists, and B's ``decide`` accepts it on every draw at high precision;
    neither A (its offer standing) nor B chooses war on any draw."""
    params = case["params"]
    share, reservation, fallback, _, at_b, a_moving = _complete_round(case)
    assert 0.0 <= share <= 1.0
    u = evenly(16)
    bargain = reservation <= 1.0 and 1.0 - max(reservation, 0.0) >= fallback
    if share >= reservation:
        event("a bargain both prefer")
        assert share == pytest.approx(max(reservation, 0.0), abs=1e-12)
        assert 1.0 - share >= fallback - 1e-9  # best_offer's ties go to acceptance
        assert (decide(at_b, B, params, u, SHARP) == dx.ACCEPT).all()
        assert probs(at_b, B, params, SHARP)[ACCEPT] == pytest.approx(1.0, abs=1e-12)
    else:
        event("A prefers the crisis to B's reservation")
        assert not bargain  # no bargain A prefers: it asks for all it can
    war = bg.reaches_war(case["x"], params.jump, params.n_rungs, params.war_rung)
    assert not war[bg.option_of(decide(a_moving, A, params, u, SHARP))].any()
    assert probs(a_moving, A, params, SHARP)[war].sum() == 0.0
    war_b = bg.reaches_war(case["y"], params.jump, params.n_rungs, params.war_rung)
    assert probs(at_b, B, params, SHARP)[war_b].sum() == 0.0


def test_complete_information_bargain_hand_checked():
    """One case by hand, so the property above is not vacuous: both at rung 1 of the
    eight-rung ladder (cost 0.01, no risk), δ = 0.9, shares 0.5/0.5, p = 0.5, costs 0.3 and
    0.3. Nobody is expected to quit (every hold value is positive: quitting is worth 0), so
    B's best move is to step down to rung 0, worth ``0.5/(1 - 0.9) = 5`` (no cost, no risk):
    its reservation is 0.5. A's fallback is its own best move, the same step down (0.5; holding
    would be ``0.5 - 0.01 = 0.49``), so the bargain is one both prefer at equality, and A
    offers 0.5."""
    params = make_params(precision=SHARP)
    case = {"params": params, "p": 0.5, "x": 1, "y": 1, "cost_a": 0.3, "cost_b": 0.3}
    share, reservation, fallback, *_ = _complete_round(case | {"delta": 0.9, "a_is": 0, "b_is": 0})
    assert reservation == pytest.approx(0.5)
    assert fallback == pytest.approx(0.5)
    assert share == pytest.approx(0.5)
    at_b = typed(0.5, 0.3, 0.9, x=1, y=1, offer_received=share)
    assert (decide(at_b, B, params, evenly(64), SHARP) == dx.ACCEPT).all()
    # At the default precision too the indifferent B accepts for sure: a best offer (ties
    # included) is accepted as a best response.
    at_default = probs(at_b, B, params)
    np.testing.assert_array_equal(at_default, np.eye(len(bg.OPTIONS))[ACCEPT])


# -- (2) Fearon's take-it-or-leave-it demand ---------------------------------------------------
FEARON_CASES = [  # (p, c_A, lo, hi): interior, safe corner, upper corner (known_answers)
    (0.5, 0.0, 0.0, 0.4),
    (0.3, 0.1, 0.05, 0.5),
    (0.6, 0.02, 0.0, 0.3),
    (0.4, 0.3, 0.2, 0.4),
    (0.9, 0.0, 0.0, 0.6),
]


@pytest.mark.parametrize(("p", "c_a", "lo", "hi"), FEARON_CASES)
def test_fearons_take_it_or_leave_it_demand(p, c_a, lo, hi):
    """Where refusing is war (every posture carries a war risk of 1: the brink), B's
    reservation per type is its war annuity ``1 - p - c``, A's fallback ``p - c_A``, and the
    policy's offer is Fearon's (1995) demand: ``bg.fearon_demand`` on the grid (the same
    optimum, to rounding), and the closed form ``known_answers.fearon_demand_uniform`` within
    ``2 (hi - lo)/n`` (the grid's resolution, as test_bargaining.py derives). B's own
    ``decide``, type by type, accepts exactly where ``c >= x - p``, so the share of types that
    refuse is Fearon's P(war) within 2/n."""
    n, delta = 400, 0.9
    grid = bg.type_grid(lo, hi, n)
    params = make_params(
        costs=[0.0, 0.0, 0.0],
        war_risk=[1.0, 1.0, 1.0],
        war_rung=2,
        jump=1,
        delta=delta,
        types_a=(c_a,),
        types_b=grid,
        precision=SHARP,
    )
    _, _, posterior = bg.joint_types(grid, bg.uniform_prior(n), honesty=0.5)
    at_a = typed(p, c_a, delta, posterior=posterior)
    share = float(POLICY.offer(at_a, A, params, spec(SHARP), ()))
    on_grid = bg.fearon_demand(p, c_a, grid, bg.uniform_prior(n))
    assert share == pytest.approx(float(on_grid.share), abs=1e-12)
    assert 1 - share == pytest.approx(
        ka.fearon_demand_uniform(p, c_a, lo, hi), abs=2 * (hi - lo) / n
    )
    # B knows A's cost: the point mass on A's first joint type (A's one cost padded to n).
    at_b = typed(1 - p, grid, delta, posterior=np.eye(2 * n)[0], offer_received=share)
    accepted = decide(at_b, B, params, 0.5, SHARP) == dx.ACCEPT
    np.testing.assert_array_equal(accepted, grid >= (1 - share) - p - 1e-12)
    assert 1 - accepted.mean() == pytest.approx(
        ka.fearon_war_probability(p, c_a, lo, hi), abs=2 / n
    )


# -- (3) war only as a strict best response ----------------------------------------------------
FIELDS = BASE.n_rungs  # generic-dispute's five rungs, war at 4
CHECK = make_params(
    costs=BASE.costs,
    war_risk=BASE.war_risk,
    war_rung=BASE.war_rung,
    jump=BASE.jump,
    delta=0.95,
    share_a=0.4,
    types_a=(0.3, 0.7),
    types_b=(0.3, 0.7),
)
OFFER = st.one_of(st.just(math.nan), st.floats(0.0, 1.0))


@st.composite
def observations(draw: st.DrawFn) -> Observation:
    """One observation over the whole range of what the policy reads (as PolicyTest draws)."""
    w = np.array(draw(st.lists(st.floats(0.01, 1.0), min_size=4, max_size=4)))
    return seen(
        x=draw(st.integers(0, FIELDS - 1)),
        y=draw(st.integers(0, FIELDS - 1)),
        posterior=w / w.sum(),
        offer_received=draw(OFFER),
        own_offer=draw(OFFER),
        public_demand=draw(OFFER),
        war_value=draw(st.floats(-20.0, 20.0)),
        war_cost=draw(st.floats(0.0, 2.0)),
        committed=draw(st.booleans()),
        audience=draw(st.floats(0.0, 3.0)),
        line_crossed=draw(st.booleans()),
    )


@settings(PROFILE)
@given(
    o=observations(), u=st.floats(0.0, 0.999999), precision=st.floats(0.0, 50.0), who=st.booleans()
)
def test_war_is_chosen_only_where_choose_says_it_is_strictly_best(o, u, precision, who):
    actor = B if who else A
    util, available, war = POLICY.utilities(o, actor, CHECK)
    pick = int(bg.option_of(decide(o, actor, CHECK, u, precision)))
    assert pick == int(bg.choose(util, available, war, precision, u, 1 - CHECK.discount))
    peaceful = util[available & ~war]
    if war[pick]:
        event("war chosen")
        assert util[pick] > peaceful.max()
    else:
        assert not (war & available & (util > peaceful.max())).any()


def test_war_when_it_beats_everything_and_never_as_a_tremble():
    """A at rung 3 of generic-dispute (one below war), B at rung 0 (holding on is worth
    more to B than quitting, so A expects no concession): with a war value far above every
    peaceful option war is chosen on every draw; with it worth less, on none, whatever the
    precision (at precision 0 the logit is uniform over the peaceful options only)."""
    u = evenly(200)
    strong = seen(x=3, y=0, posterior=np.full(4, 0.25), war_value=15.0, war_cost=0.1)
    assert (decide(strong, A, CHECK, u) == dx.STEP_UP).all()
    np.testing.assert_array_equal(probs(strong, A, CHECK), [0, 0, 0, 0, 1, 0])
    weak = dataclasses.replace(strong, war_value=-15.0)
    for precision in (0.0, 20.0):
        moves = decide(weak, A, CHECK, u, precision)
        assert not np.isin(moves, (dx.STEP_UP, dx.JUMP)).any()
    # precision 0: uniform over concede, step down and hold (no offer standing)
    np.testing.assert_allclose(probs(weak, A, CHECK, 0.0), [0, 1 / 3, 1 / 3, 1 / 3, 0, 0])


# -- choice_probabilities against decide ---------------------------------------------------------
def _varied() -> Observation:
    """Six observations of the check dyad, [6], chosen so that several options compete."""
    return seen(
        x=np.array([0, 1, 2, 3, 2, 1]),
        y=np.array([1, 2, 3, 3, 0, 4]),
        posterior=np.array([[0.25] * 4, [0.7, 0.1, 0.1, 0.1], [0.1, 0.4, 0.1, 0.4]] * 2),
        offer_received=np.array([math.nan, 0.3, 0.55, math.nan, 0.2, 0.45]),
        own_offer=np.array([0.4, math.nan, 0.3, 0.5, math.nan, 0.35]),
        public_demand=np.array([math.nan, 0.8, math.nan, 0.5, math.nan, 0.6]),
        war_value=np.array([2.0, -3.0, 0.5, 1.0, -1.0, 4.0]),
        war_cost=np.array([0.3, 0.7, 0.3, 0.1, 0.5, 0.2]),
        committed=np.array([False, True, False, True, False, True]),
        audience=np.array([0.0, 0.5, 1.0, 0.2, 0.0, 0.4]),
        line_crossed=np.array([False, False, True, False, True, False]),
    )


def test_choice_probabilities_match_decide_over_random_draws():
    """n = 20,000 uniform draws per observation (seed 17): each option's frequency within 4
    standard errors ``sqrt(P(1 - P)/n)`` (at most 0.0035) of its exact probability, and
    exactly 0 where the probability is 0."""
    o, n = _varied(), 20_000
    exact = probs(o, A, CHECK)
    u = np.random.default_rng(SEED).random((n, 6))
    moves = decide(o, A, CHECK, u)  # [n, 6]: the observations broadcast over the draws
    freq = (bg.option_of(moves)[..., None] == np.arange(6)).mean(axis=0)  # [6 obs, 6 options]
    se = np.sqrt(exact * (1 - exact) / n)
    assert (np.abs(freq - exact) <= 4 * se + 1e-12).all(), (freq, exact)
    assert (freq[exact == 0] == 0).all()
    assert ((exact > 0.01) & (exact < 0.99)).sum() >= 10  # the options do compete


def test_decide_switches_exactly_at_the_cumulative_probabilities():
    """``decide`` picks option k for every draw between the cumulative probabilities
    ``F_{k-1}`` and ``F_k``: checked 10⁻⁹ inside each end of each band."""
    o = _varied()
    exact = probs(o, A, CHECK)
    cdf = np.cumsum(exact, axis=-1)
    for row in range(exact.shape[0]):
        one = _row(o, row)
        for k in np.flatnonzero(exact[row] > 1e-6):
            lo, hi = (cdf[row, k - 1] if k else 0.0) + 1e-9, cdf[row, k] - 1e-9
            picks = bg.option_of(decide(one, A, CHECK, np.array([lo, hi])))
            np.testing.assert_array_equal(picks, [k, k])


def _row(o: Observation, row: int) -> Observation:
    """Observation ``row`` of a batch, with scalar fields (and the posterior a vector)."""

    def pick(value: Any) -> Any:
        value = np.asarray(value)
        return value if value.ndim == 0 else value[row]

    fields = {f.name: pick(getattr(o, f.name)) for f in dataclasses.fields(o) if f.name != "round"}
    return Observation(round=o.round, **fields)


# -- offers ----------------------------------------------------------------------------------------
def test_offers_elementwise_scalars_arrays_and_stacked():
    o = _varied()
    batch = np.asarray(POLICY.offer(o, A, CHECK, spec(), ()))
    assert batch.shape == (6,)
    assert ((batch >= 0) & (batch <= 1)).all()
    for row in range(6):
        one = _row(o, row)
        assert float(POLICY.offer(one, A, CHECK, spec(), ())) == batch[row]
    stacked = dataclasses.replace(o, posterior=np.stack([o.posterior, o.posterior[::-1]]))
    both = np.asarray(POLICY.offer(stacked, A, CHECK, spec(), ()))
    assert both.shape == (2, 6)
    np.testing.assert_array_equal(both[0], batch)


def test_a_more_resolved_adversary_is_offered_more():
    """Against the same dyad, a posterior on the other's low-cost (resolved) types raises its
    reservation, so the offer does not fall: B's types 0.3 and 0.7, at rungs 2 and 3."""
    low = seen(x=2, y=3, posterior=np.array([0.9, 0.0, 0.1, 0.0]), war_value=2.0, war_cost=0.3)
    high = dataclasses.replace(low, posterior=np.array([0.0, 0.9, 0.0, 0.1]))
    reservation, _ = POLICY.reservations(low, A, CHECK)
    assert reservation[0] >= reservation[1]  # the cheaper war needs more
    assert POLICY.offer(low, A, CHECK, spec(), ()) >= POLICY.offer(high, A, CHECK, spec(), ())


# -- the options that are available ------------------------------------------------------------
def test_options_available():
    """Accept only with an offer standing; concede only without one (conceding to an offer
    is accepting it) and when a concession ends the crisis; one option per rung reached."""
    base = seen(x=0, y=2, posterior=np.full(4, 0.25), war_value=1.0, war_cost=0.3)
    p = probs(base, A, CHECK)
    assert p[ACCEPT] == 0
    assert p[CONCEDE] > 0
    assert p[DOWN] == 0  # at the bottom a step down is a hold
    offered = dataclasses.replace(base, offer_received=0.45)
    p = probs(offered, A, CHECK)
    assert p[ACCEPT] > 0
    assert p[CONCEDE] == 0
    no_capitulation = dataclasses.replace(CHECK, capitulation=False)
    assert probs(base, A, no_capitulation)[CONCEDE] == 0
    one_rung_jump = dataclasses.replace(CHECK, jump=1)
    assert probs(dataclasses.replace(base, x=1), A, one_rung_jump)[JUMP] == 0
    util, available, _ = POLICY.utilities(base, A, CHECK)
    assert math.isnan(util[ACCEPT])
    assert not available[ACCEPT]


def test_accepting_at_indifference():
    """An offer worth exactly the best other option (within TIE) is accepted at high
    precision; one worth 10⁻⁶ of the stakes' flow less is refused."""
    o = seen(x=1, y=1, posterior=np.array([1.0, 0.0]), war_value=2.0, war_cost=0.3)
    params = make_params(precision=SHARP)
    util, available, _ = POLICY.utilities(o, A, params)
    best = np.nanmax(np.where(available, util, np.nan))
    fair = best * (1 - params.discount)
    for offered, move in ((fair, dx.ACCEPT), (fair - 1e-6, dx.STEP_DOWN)):
        got = decide(dataclasses.replace(o, offer_received=offered), A, params, evenly(8), SHARP)
        assert (got == move).all(), (offered, got)
    assert TIE < 1e-6


def test_a_best_offer_is_accepted_as_a_best_response_and_a_worse_one_stays_in_the_logit():
    """At the default precision (20): an offer worth more than every other option by 10⁻³ of
    the stakes' flow is accepted with probability 1 (a best response, as war is; under the
    first rule, which removed only the options tied with it, the others kept weights near
    e^(-0.02) of its). An offer worth 10⁻³ less than the best other option stays in the
    logit: accepted with a probability strictly between 0 and 1."""
    o = seen(x=1, y=1, posterior=np.array([1.0, 0.0]), war_value=2.0, war_cost=0.3)
    params = make_params()
    util, available, _ = POLICY.utilities(o, A, params)
    fair = np.nanmax(np.where(available, util, np.nan)) * (1 - params.discount)
    better = probs(dataclasses.replace(o, offer_received=fair + 1e-3), A, params)
    np.testing.assert_array_equal(better, np.eye(len(bg.OPTIONS))[ACCEPT])
    worse = probs(dataclasses.replace(o, offer_received=fair - 1e-3), A, params)
    assert 0.0 < worse[ACCEPT] < 1.0
    assert (worse[[DOWN, HOLD]] > 0).any()


# -- (4) escalation coerces the types that fear war ------------------------------------------------
def test_escalation_coerces_types_that_fear_war():
    """Powell (1990), §3.7, at the level of the policy. B at rung 2, p = 0.5, δ = 0.9, no
    offers. (a) A type that fears war (cost 5: W = -45) concedes more the higher A climbs
    (risk 0, 0.002, 0.01, 0.05 at A's rungs 2 to 5): its hold value falls below what conceding
    is worth; a resolved type (cost 0.1: W = 4) concedes less than it at every rung. (b) So A,
    at rung 4, steps up more often against a posterior on B's war-fearing type: the quitting
    its climb induces (Q) is worth more."""
    params = make_params(types_b=(0.1, 5.0))
    y = np.array([2, 3, 4, 5])
    fearful = probs(typed(0.5, 5.0, 0.9, x=2, y=y), B, params)[:, CONCEDE]
    resolved = probs(typed(0.5, 0.1, 0.9, x=2, y=y), B, params)[:, CONCEDE]
    assert (np.diff(fearful) > 0).all(), fearful
    assert (fearful > resolved).all()
    assert fearful[-1] > 0.5
    assert resolved[-1] < 0.01
    # (b) A's choice, against B believed fearful or believed resolved
    on = {"fearful": np.array([0.0, 1.0, 0.0, 0.0]), "resolved": np.array([1.0, 0.0, 0.0, 0.0])}
    climb = {
        k: probs(typed(0.5, 0.3, 0.9, x=4, y=4, posterior=v), A, params)[[UP, JUMP]].sum()
        for k, v in on.items()
    }
    assert climb["fearful"] > climb["resolved"], climb
    n = 1000
    counts = {
        k: np.isin(
            decide(typed(0.5, 0.3, 0.9, x=4, y=4, posterior=v), A, params, evenly(n)), CLIMB
        ).sum()
        for k, v in on.items()
    }
    assert counts["fearful"] > counts["resolved"]


@pytest.mark.parametrize(
    "closed",
    [
        {"talks_open": False},  # nobody may accept or concede
        {"capitulation": False},  # no concession, and A has no offer standing to accept
    ],
    ids=["talks_closed", "no_offer_no_concession"],
)
def test_escalation_coerces_nobody_who_cannot_quit(closed):
    """§3.7: the look-ahead counts on the other's quitting next round only where the rules let
    it quit (``can_quit``: the talks open, and an offer of this power's standing or concessions
    allowed). Where it cannot, A's ladder values are its values once refused, the other's
    quitting 0 (``bargaining.refusal_values``), against a posterior on B's war-fearing type,
    under both quit terms; with an offer of A's standing, B can quit again by accepting it."""
    for continuation in ("best", "mutual", "mixed"):
        params = dataclasses.replace(
            make_params(types_b=(0.1, 5.0)), continuation=continuation, **closed
        )
        o = typed(0.5, 0.3, 0.9, x=4, y=4, posterior=np.array([0.0, 1.0, 0.0, 0.0]))
        util, _, _ = POLICY.utilities(o, A, params)
        refused = bg.refusal_values(
            4, 4.0, params.costs, params.war_risk, params.war_rung, params.jump, 0.5,
            o.war_value, params.discount,
        )  # fmt: skip
        np.testing.assert_allclose(util[2:], refused, rtol=1e-12)
        if "capitulation" in closed:
            offered = dataclasses.replace(o, own_offer=0.3)
            util, _, _ = POLICY.utilities(offered, A, params)
            assert util[2 + 2] > refused[2]  # stepping up coerces the fearful type again


# -- (5) a red line crossed and not answered -------------------------------------------------------
def test_a_crossed_red_line_changes_behaviour():
    """With audience cost D = 0.5, holding or stepping down once the line is crossed costs
    D (Fearon 1997's tied hands): exactly those two utilities fall by D, so climbing becomes
    more likely, exactly and over 1,000 evenly spaced draws."""
    o = typed(0.5, 0.3, 0.9, x=3, y=4, posterior=np.array([0.5, 0.5]), audience=0.5)
    crossed = dataclasses.replace(o, line_crossed=True)
    params = make_params()
    calm_u, _, _ = POLICY.utilities(o, A, params)
    cross_u, _, _ = POLICY.utilities(crossed, A, params)
    np.testing.assert_allclose(cross_u - calm_u, [np.nan, 0, -0.5, -0.5, 0, 0], equal_nan=True)
    before, after = probs(o, A, params), probs(crossed, A, params)
    assert after[[UP, JUMP]].sum() > before[[UP, JUMP]].sum()
    assert after[[DOWN, HOLD]].sum() < before[[DOWN, HOLD]].sum()
    u = evenly(1000)
    climbs = [np.isin(decide(v, A, params, u), CLIMB).sum() for v in (o, crossed)]
    assert climbs[1] > climbs[0]


# -- (6) resolve matters -----------------------------------------------------------------------
def test_a_higher_drawn_resolve_concedes_less_often():
    """B at rung 2 against A at the brink rung 5 (risk 0.05), p = 0.5, δ = 0.9: its drawn
    cost 10, 3, 1.5, 0.8, 0.5 (resolve 1/(1 - p + c): 0.095, 0.29, 0.5, 0.77, 1). Its
    probability of conceding falls as its resolve rises, exactly and over 1,000 evenly spaced
    draws (counts within 1 of 1,000 P); only the drawn type differs, never ``Actor.resolve``."""
    costs = np.array([10.0, 3.0, 1.5, 0.8, 0.5])
    params = make_params(types_b=(0.3,))
    o = typed(0.5, costs, 0.9, x=2, y=5)
    assert (np.diff(o.resolve) > 0).all()
    exact = probs(o, B, params)[:, CONCEDE]
    assert (np.diff(exact) <= 0).all(), exact
    assert exact[0] > exact[-1] + 0.5, exact
    m = 1000
    conceded = (decide(o, B, params, evenly(m)[:, None]) == dx.CONCEDE).sum(axis=0)
    assert (np.abs(conceded - m * exact) <= 1).all()


# -- errors and helpers --------------------------------------------------------------------------
def test_refuses_an_observation_the_round_has_not_filled():
    v1 = obs(x=0, y=0)  # version 1's fields only
    with pytest.raises(ValueError, match="war_value was not supplied"):
        decide(v1, A, CHECK, 0.5)
    with pytest.raises(ValueError, match="posterior was not supplied"):
        POLICY.offer(dataclasses.replace(v1, war_value=1.0, war_cost=0.3), A, CHECK, spec(), ())
    with pytest.raises(ValueError, match="does not fit"):
        decide(seen(posterior=np.full(3, 1 / 3)), A, CHECK, 0.5)
    third = Actor(index=2, resolve=0.3, red_line=2)
    three = dataclasses.replace(CHECK, ids=("A", "B", "C"))
    with pytest.raises(ValueError, match="third party"):
        power_rows(third, three)


def test_quit_precision_comes_from_the_scenario():
    assert quit_precision(CHECK, 1) == 20.0
    assert quit_precision(BASE, 1) == 20.0  # generic-dispute's default policy: bargaining
    deterrers = compile_params(
        with_settings(
            load_scenario("generic-dispute"),
            {"actors.A.policy": {"name": "deterrer"}, "actors.B.policy": {"name": "deterrer"}},
        )
    )
    assert quit_precision(deterrers, 1) == math.inf  # a rule-based responder: a threshold


def test_distinct_rows_spread_what_is_computed_on_them_to_the_bit():
    """``DistinctRows``: values computed on the distinct rows of broadcast columns, spread back,
    equal the values computed on every row, bit for bit and in every row's shape; rows are told
    apart by their bits (``-0.0`` is not ``0.0``; NaNs of the same bits are one row)."""
    rng = np.random.default_rng(23)  # chosen before the first run, never changed
    a = rng.choice([0.1, 0.2, 0.3], size=(2, 5, 3))
    b = rng.choice([1.0, 2.0], size=(5, 1))
    c = np.array(0.5)
    rows = DistinctRows(a, b, c)
    assert rows.shape == (2, 5, 3)
    assert len(rows.columns[0]) <= 6
    assert all(len(col) == len(rows.columns[0]) for col in rows.columns)

    def compute(x: Any, y: Any, z: Any) -> tuple[Any, Any]:
        return np.exp(x)[:, None] * y[:, None] + z[:, None] * np.arange(4), x > 0.15

    every = compute(*(np.broadcast_to(v, rows.shape).reshape(-1) for v in (a, b, c)))
    for got, want in zip(rows.spread(*compute(*rows.columns)), every, strict=True):
        np.testing.assert_array_equal(got, want.reshape(*rows.shape, *want.shape[1:]))
    signed = DistinctRows(np.array([0.0, -0.0, math.nan, math.nan, 0.0]))
    assert len(signed.columns[0]) == 3
    with np.errstate(divide="ignore"):
        (back,) = signed.spread(1.0 / signed.columns[0])
    np.testing.assert_array_equal(back, [math.inf, -math.inf, math.nan, math.nan, math.inf])


def test_the_onset_rung_terms_are_the_ladders_cached_per_params_and_read_only():
    """``onset_rungs``: the war ladder's terms with both sides at the war rung and the hazard
    table of the answers, computed as the ladder computes them, kept in ``Params.derived`` (one
    computation per Params; a replaced Params starts empty), and not writable."""
    p = schedule(load_scenario("geneva-2022")).params_at[0]
    a, b = p.power_a, p.power_b
    got = onset_rungs(a, b, p)
    assert onset_rungs(a, b, p) is got
    w, possible = int(p.war_rung), exchange_possible(p)
    scales = (p.exchange_risk_scale[a], p.exchange_risk_scale[b])
    fresh = bg.war_rungs(w, float(w), war_ladder(p), bool(p.nuclear[a]), *scales, possible)
    for mine, theirs in zip(got.rungs, fresh, strict=True):
        np.testing.assert_array_equal(mine, theirs)
    np.testing.assert_array_equal(got.targets, bg.war_targets(w, war_ladder(p)))
    table = bg.exchange_hazard_held(
        p.exchange_hazard,
        w,
        np.arange(p.n_rungs),
        p.nuclear_rung,
        scales[1],
        possible,
        p.strategic_rung,
    )
    np.testing.assert_array_equal(got.answer_hazard, table)
    arrays = (*got.rungs, got.targets, got.options, got.nuclear, got.answer_hazard)
    assert not any(x.flags.writeable for x in arrays)
    assert dataclasses.replace(p, discount=p.discount).derived == {}


def test_remembered_answers_are_the_answers_computed_afresh_to_the_bit():
    """``_remembered``: the onset's answers of rows kept from earlier calls (hits), computed
    now (misses) or both, equal ``_answers`` computed afresh on the same rows, bit for bit;
    batches above ``MEMO_ROWS`` are computed and not kept."""
    p = schedule(load_scenario("geneva-2022")).params_at[0]
    a = Actor(index=p.power_a, resolve=0.3, red_line=int(p.red_line[p.power_a]))
    costs_j = np.tile(np.asarray(p.cost_types[1], dtype=float), 2)
    rng = np.random.default_rng(29)  # chosen before the first run, never changed

    def rows(n: int) -> tuple[Any, ...]:
        return (
            rng.uniform(0.5, 2.0, n),
            rng.uniform(0.2, 0.8, n),
            rng.choice([0.0, 0.3], n),
            rng.choice([0.0, 0.6], n),
        )

    first, second = rows(5), rows(4)
    mixed = tuple(np.concatenate([x[:3], y]) for x, y in zip(first, second, strict=True))
    for columns in (first, first, mixed, rows(MEMO_ROWS + 1)):
        kept = _remembered(columns, costs_j, a, p)
        fresh = _answers(tuple(np.array(c) for c in columns), costs_j, a, p)
        assert set(kept) == set(fresh) == {"n_j", "p_nuc", "h", "n_i", "v_nuc_j"}
        for name, value in fresh.items():
            np.testing.assert_array_equal(kept[name], value)
    memo = p.derived[("onset_answers", a.index, costs_j.tobytes())]
    assert len(memo) == 9  # 5 rows, then 4 new ones; the large batch is not kept


@pytest.mark.parametrize(("share", "same_as"), [(1.0, "mutual"), (0.0, "best")])
def test_the_mixed_term_at_its_ends_runs_as_the_pure_terms(share, same_as):
    """``beliefs.continuation: mixed`` with ``mutual_share`` 1 runs generic-crisis's disputes
    exactly as ``mutual`` does, and with 0 as ``best`` (the same frames, 60 runs, seed 11)."""
    spec = load_scenario("generic-crisis")

    def frames(settings: dict[str, Any]) -> Any:
        return run_batch(with_settings(spec, settings), seed=11, replications=60).outcome

    mixed = frames({"beliefs.continuation": "mixed", "beliefs.mutual_share": share})
    pd.testing.assert_frame_equal(mixed, frames({"beliefs.continuation": same_as}))


def test_what_each_sides_rung_imposes_reaches_the_right_side():
    """``imposed_cost`` (docs/decision-v2.md §3.11): the other's rung ŷ imposes ``m(ŷ)`` on the
    deciding power and its own rung x imposes ``m(x)`` on the other (``Terms.imposed_on`` and
    ``imposed_on_j``), and the deciding power's moves are valued with its share less what the
    other's rung imposes: its values equal those of the same power holding that much less of
    the stakes on a ladder that imposes nothing, except through the other's quitting, which the
    test switches off (no offer standing and no concessions)."""
    imposed = np.array([0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.0, 0.0])
    params = dataclasses.replace(make_params(capitulation=False), imposed=imposed)
    o = typed(0.5, 0.3, 0.9, x=1, y=4, posterior=np.array([1.0]))
    t = terms(o, A, params)
    assert float(t.imposed_on) == imposed[4]
    assert float(t.imposed_on_j) == imposed[1]
    util, _, _ = POLICY.utilities(o, A, params)
    poorer = make_params(capitulation=False, share_a=0.5 - imposed[4])
    plain, _, _ = POLICY.utilities(o, A, poorer)
    np.testing.assert_allclose(util[2:], plain[2:], rtol=1e-12)


def test_the_reply_counts_what_the_others_rung_imposes_on_the_first_power():
    """In the level-2 reply (``reply_quit_probability``) the roles are exchanged: i's way of
    going on against the other at y″ has i's flow lowered by what y″ imposes, ``q_i − m(y″)``;
    so Q_i(y″) with ``imposed`` equals Q_i with i's share lowered by m(y″), rung by rung."""
    imposed = np.array([0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.0, 0.0])
    war = bg.war_value(0.5, np.array([0.4, 2.0]), 0.9)
    reply = bg.Reply(share=0.5, war=war, prior=np.array([0.5, 0.5]),
                     quit=np.full(2, bg.settlement_value(0.3, 0.9)),
                     prevail=bg.settlement_value(0.7, 0.9), precision=20.0)  # fmt: skip
    got = bg.reply_quit_probability(reply, COSTS, RISK, 6, 0.9, imposed)
    for y, m in enumerate(imposed[:7]):
        lowered = reply._replace(share=0.5 - m)
        want = bg.reply_quit_probability(lowered, COSTS, RISK, 6, 0.9)[y]
        assert got[y] == pytest.approx(want, abs=1e-12), y
    assert not np.allclose(got, bg.reply_quit_probability(reply, COSTS, RISK, 6, 0.9))
