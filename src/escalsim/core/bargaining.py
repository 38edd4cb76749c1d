"""The equations of the second decision model: crisis bargaining under incomplete information.

Pure numpy functions, like :mod:`escalsim.core.dynamics`: each is elementwise over leading axes
(a scalar for one actor, ``[R]`` or ``[R, ...]`` over replications) and reduces only over the
stated last axis (types, options, candidate offers). Each docstring gives the formula, its
source and its valid range; where the code departs from a source, the docstring says where and
why. ``docs/decision-v2.md`` and ``docs/pair-wars.md`` are the designs these functions serve;
the round (``escalsim.model.rounds``) and the bargaining policy (``escalsim.policies.bargaining``)
call them.

Units (``docs/decision-v2.md`` §2). The disputed stakes are a flow of value 1 per round to
whoever holds them, for each power (a power's *type* is its cost of war relative to its value
for the stakes, so its value for the stakes is the unit). Costs are flows per round in the same
unit; values are discounted sums, ``V = Σ_t δ^t flow_t``, so a constant flow ``f`` is worth
``f / (1 - δ)``. Multiplying a value by ``1 - δ`` gives its *annuity*, the constant flow worth
as much; logit precisions act on annuities, so that λ keeps its meaning whatever δ.

Sections: war and settlement values; war between a pair, the values above the war rung
(``docs/pair-wars.md`` §3.3-§5: the powers' war calls them, the attack and the intervention
wait for wiring step 3); types and priors; beliefs (likelihoods of moves and
messages, Bayes over types); bargaining (acceptance, the best offer); brinkmanship thresholds;
the options of a decision with a one-round look-ahead, and the choice; the commitment problem;
the decompositions of P(war) that the experiment layer reports.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from escalsim.core import dynamics as dx

Array = NDArray[Any]

#: A likelihood is mixed with the uniform distribution with this weight, so that no observation
#: is ever impossible under a type: ``L' = (1 - η) L + η / n`` over n outcomes. It matters only
#: where implementation error and noise are 0 (the twins, quiet scenarios); elsewhere they
#: already make every move possible.
LIKELIHOOD_FLOOR = 1e-3

#: Each round, the posterior over the other's types is mixed with the prior with this weight,
#: which is exact Bayes for a type redrawn from the prior with this probability per round (a
#: hidden Markov type). It keeps every type with prior mass possible, so evidence can always
#: move a belief (Jervis 1976), and keeps long runs (2,000 rounds of a noisy prisoner's dilemma)
#: from underflowing to 0.
TYPE_REDRAW = 1e-3

#: Perceived move categories, the last axis of likelihoods: step down, hold, step up (a jump is
#: perceived as a step up: perception reads the sign of a change, ``dynamics.perceived_move``).
PERCEIVED_MOVES = (dx.STEP_DOWN, dx.HOLD, dx.STEP_UP)

#: The options of a decision, the last axis of :func:`option_utilities`: accept the other's
#: standing offer, concede (yield the stakes), or a move on the ladder (the four of
#: ``dynamics.CANDIDATE_MOVES``; those that reach the war rung are war).
OPTIONS = ("accept", "concede", "step_down", "hold", "step_up", "jump")
ACCEPT_OPTION, CONCEDE_OPTION = 0, 1
#: The move code of each option of :data:`OPTIONS` (``dynamics.MOVE_NAMES``).
OPTION_MOVES = np.array([dx.ACCEPT, dx.CONCEDE, dx.STEP_DOWN, dx.HOLD, dx.STEP_UP, dx.JUMP])


def option_of(move: ArrayLike) -> Array:
    """The index in :data:`OPTIONS` of a move code (the inverse of :data:`OPTION_MOVES`).

    ``accept`` 0, ``concede`` 1, and the ladder moves -1, 0, +1, +2 at 2..5. Valid for the move
    codes of ``dynamics.MOVE_NAMES``.
    """
    move = np.asarray(move)
    return np.where(
        move == dx.ACCEPT, ACCEPT_OPTION, np.where(move == dx.CONCEDE, CONCEDE_OPTION, move + 3)
    )


#: ``(A0, A1)`` of the implementation matrix ``A0 + e A1`` (:func:`implementation_matrix`):
#: rows the intended move (down, hold, up), columns the change made (down, none, up); inside
#: the ladder, at its bottom (no step down is possible) and at its top (no step up).
_IMPL_INTERIOR = (
    np.eye(3),
    np.array([[-1.0, 0.0, 1.0], [0.5, -1.0, 0.5], [1.0, 0.0, -1.0]]),
)
_IMPL_BOTTOM = (
    np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),
    np.array([[0.0, -1.0, 1.0], [0.0, -1.0, 1.0], [0.0, 1.0, -1.0]]),
)
_IMPL_TOP = (
    np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]),
    np.array([[-1.0, 1.0, 0.0], [1.0, -1.0, 0.0], [1.0, -1.0, 0.0]]),
)


#: ``(A, B, C, D)`` of the observation matrix ``O = (1 - ι)(A + n B) + ι (C + n D)``
#: (:func:`observation_matrix`): rows the made change (down, none, up), columns the perceived
#: move. ``A + n B``: the observation one rung off with probability n; ``C + n D``: the same
#: after an incident added a rung (a step down looks like a hold, a hold like a step up, a step
#: up stays one whatever the noise).
_OBS = (
    np.eye(3),
    np.array([[-0.5, 0.5, 0.0], [0.5, -1.0, 0.5], [0.0, 0.5, -0.5]]),
    np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]),
    np.array([[0.5, -1.0, 0.5], [0.0, 0.5, -0.5], [0.0, 0.0, 0.0]]),
)


def _matmul3(a: Array, b: Array) -> Array:
    """``a @ b`` over a contracted axis of length 3, as elementwise products summed in order.

    ``matmul`` and ``einsum`` may take another code path (BLAS, or unrolled loops) for another
    batch shape or memory layout, and so round differently; a round computes beliefs for two
    worlds at once in a run and for one in its perfect-information twin, and the two must agree
    bit for bit where their inputs agree (docs/validation.md, the quiet twin). Elementwise
    operations round the same way whatever the shape.
    """
    return (
        a[..., :, 0:1] * b[..., 0:1, :]
        + a[..., :, 1:2] * b[..., 1:2, :]
        + a[..., :, 2:3] * b[..., 2:3, :]
    )


# -- war and settlement values ----------------------------------------------------------------
def side_strength(capability: ArrayLike, ally_capability: ArrayLike, p_fight: ArrayLike) -> Array:
    """Capability of a side in a war: ``K_i = κ_i + Σ_k π_k κ_k`` over the last axis (allies).

    Each potential ally k counts with the belief ``π_k`` that it will fight on i's side: 1 for a
    third party that has joined, its probability of joining otherwise (``docs/decision-v2.md``
    §3.1 states which). An empty last axis gives ``κ_i``. Source: the capability aggregation of
    the Correlates of War composite index, summed over a coalition (Singer, Bremer & Stuckey
    1972); weighting by the probability of joining follows Smith (1995, "Alliance formation and
    war", ISQ 39:405-425), where allies' reliability enters expected war payoffs. Valid for
    non-negative capabilities and ``π`` in [0, 1].
    """
    allies = np.asarray(ally_capability, dtype=float) * np.asarray(p_fight, dtype=float)
    return np.asarray(capability, dtype=float) + allies.sum(axis=-1)


def win_probability(
    strength_i: ArrayLike, strength_j: ArrayLike, decisiveness: ArrayLike = 1.0
) -> Array:
    """Probability that side i wins a war against side j: ``p = K_i^m / (K_i^m + K_j^m)``.

    The ratio form of the contest success function (Tullock 1980; Hirshleifer 1989, "Conflict
    and rent-seeking success functions", Public Choice 63:101-112), with decisiveness m: m = 1
    is the ratio of capabilities used in Fearon's (1995) examples, m → ∞ makes the stronger side
    win for sure, m = 0 is a coin toss. Computed as ``1 / (1 + (K_j / K_i)^m)``. Valid for
    positive strengths and m >= 0.
    """
    ki = np.asarray(strength_i, dtype=float)
    kj = np.asarray(strength_j, dtype=float)
    return 1.0 / (1.0 + (kj / ki) ** np.asarray(decisiveness, dtype=float))


def war_value(p: ArrayLike, cost: ArrayLike, delta: ArrayLike, stakes: ArrayLike = 1.0) -> Array:
    """Discounted value of the war state for one side: ``W = (p v - c) / (1 - δ)``.

    War is an absorbing state of the crisis, a lottery over winning the stakes: the side wins
    the flow v (1 in the model's unit) with probability p and pays its cost of war c per round,
    for ever. Equivalently (multiplying by ``1 - δ``) Fearon's (1995) war payoff
    ``p - c`` as a per-round annuity: with flows and δ, comparing W with a settlement's
    ``x / (1 - δ)`` is comparing ``p - c`` with x, so the bargaining range of Fearon's static
    model, ``[p - c_A, p + c_B]``, is unchanged. Powell (1999, *In the Shadow of Power*, ch. 3;
    2006) uses the same flow form. Call it with ``(p, c_A)`` for A and ``(1 - p, c_B)`` for B;
    their sum, ``(v - c_A - c_B) / (1 - δ)``, is less than the stakes' value: war wastes.

    *Departure*: the sources' war ends at once with a winner; here it is a state whose expected
    flows are paid at once. The two agree in value; the model needs no war duration because a
    crisis ends when war begins (``docs/decision-v2.md`` §3.1). Valid for p in [0, 1], c >= 0,
    δ in [0, 1).
    """
    p = np.asarray(p, dtype=float)
    return (p * np.asarray(stakes, dtype=float) - np.asarray(cost, dtype=float)) / (
        1.0 - np.asarray(delta, dtype=float)
    )


def front_step(front: ArrayLike, won: ArrayLike, step: ArrayLike) -> Array:
    """The front after one battle: ``q' = q + σ(1 - q)`` if i won it, ``q' = (1 - σ) q`` if not.

    ``q`` is i's share of the pair's stakes held on the front, σ the share of what the loser
    holds that a battle moves (docs/pair-wars.md §3.3; Filson & Werner 2002 and Slantchev 2003
    model war as a sequence of battles that move what each side holds). With i winning with
    probability p, the expected front drifts toward p: ``E[q'] - p = (1 - σ)(q - p)``. The front
    stays in [0, 1]; from inside (0, 1) with σ < 1 it never reaches either end (a decisive end
    would be a collapse, not a battle). Valid for q in [0, 1], σ in [0, 1].
    """
    q = np.asarray(front, dtype=float)
    sigma = np.asarray(step, dtype=float)
    return np.where(np.asarray(won, dtype=bool), q + sigma * (1.0 - q), (1.0 - sigma) * q)


def front_war_value(
    p: ArrayLike, cost: ArrayLike, delta: ArrayLike, front: ArrayLike, step: ArrayLike
) -> Array:
    """Value to i of a war fought over a front until the horizon (docs/pair-wars.md §3.3).

    ::

        V(q₀) = Σ_t δ^t E[q_t - c] = (p - c)/(1 - δ) + (q₀ - p)/(1 - δ(1 - σ))

    with each round's flow i's share on the front q_t minus its cost of war c, the front moved
    by :func:`front_step` with i winning each battle with probability p, from q₀. When the front
    starts where the chances are (q₀ = p) this is :func:`war_value`'s absorbing lottery exactly;
    a side that holds more than its power share when the war begins gains the second term, which
    the battles erode at rate σ. *Departure from the sources*: Filson & Werner's and Slantchev's
    wars can end in a collapse; here a war ends only by a bargain, a concession or the horizon
    (a stationary war), which is what makes V = W at q₀ = p. Valid for p, q₀, σ in [0, 1],
    c >= 0, δ in [0, 1).
    """
    return war_value(p, cost, delta) + front_premium(front, p, delta, step)


def front_premium(front: ArrayLike, p: ArrayLike, delta: ArrayLike, step: ArrayLike) -> Array:
    """What holding the front at q₀ adds to a war's value: ``(q₀ - p)/(1 - δ(1 - σ))``.

    The second term of :func:`front_war_value`: the discounted sum of the front's expected
    excess over the chances, ``Σ_t δ^t (1 - σ)^t (q₀ - p)`` (:func:`front_step`'s drift);
    negative for a side that holds less than its power share. Valid for p, q₀, σ in [0, 1],
    δ in [0, 1).
    """
    d = np.asarray(delta, dtype=float)
    gap = np.asarray(front, dtype=float) - np.asarray(p, dtype=float)
    return gap / (1.0 - d * (1.0 - np.asarray(step, dtype=float)))


def strength_ratio(p: ArrayLike, decisiveness: ArrayLike) -> Array:
    """The other side's strength over one's own, ``K_j/K_i``, from one's chance ``p`` of winning.

    The inverse of :func:`win_probability`: ``p = K_i^m/(K_i^m + K_j^m)`` gives
    ``K_j/K_i = ((1 - p)/p)^(1/m)``, so that :func:`boosted_win_probability` can reweigh the
    same strengths at any intensity. p is clipped off 0 and 1; with m = 0 (a coin toss) the
    ratio does not matter and is 1. Valid for p in [0, 1], m >= 0.
    """
    m = np.asarray(decisiveness, dtype=float)
    q = np.clip(np.asarray(p, dtype=float), 1e-12, 1.0 - 1e-12)
    if m.ndim == 0 and m != 0.0:
        # One m, not 0 (every scenario's case): the power below, which np.where would pick.
        return np.asarray(((1.0 - q) / q) ** (1.0 / m))
    safe = np.where(m == 0.0, 1.0, m)
    return np.where(m == 0.0, 1.0, ((1.0 - q) / q) ** (1.0 / safe))


# -- war between a pair: values above the war rung --------------------------------------------
def boosted_win_probability(
    strength_i: ArrayLike,
    strength_j: ArrayLike,
    advantage_i: ArrayLike,
    advantage_j: ArrayLike,
    decisiveness: ArrayLike = 1.0,
) -> Array:
    """Probability that i wins a battle when each side fights at an intensity (pair-wars §4).

    ::

        p_i = (K_i(1 + a_i)) ^ m / ((K_i(1 + a_i)) ^ m + (K_j(1 + a_j)) ^ m)

    :func:`win_probability` on the boosted strengths, with ``a`` the ``war_advantage`` of the
    intensity each side holds (0 at the war rung, so intensity 0 gives part 1's p exactly). The
    war-fighting half of Powell's (2015) combination of military effectiveness and the risk of
    catastrophe; the risk half is :func:`exchange_hazard_held`. *Departure*: Powell (2015) has
    one side choose the level of limited war; here both sides' intensities enter one contest
    success function (Hirshleifer 1989), which is the design's simplification. Valid for positive
    strengths, advantages above -1 and m >= 0.
    """
    ki = np.asarray(strength_i, dtype=float) * (1.0 + np.asarray(advantage_i, dtype=float))
    kj = np.asarray(strength_j, dtype=float) * (1.0 + np.asarray(advantage_j, dtype=float))
    return win_probability(ki, kj, decisiveness)


def exchange_state_value(exchange_value: ArrayLike, delta: ArrayLike) -> Array:
    """The value of the state after a strategic exchange: ``V_ex = e / (1 - δ)`` (pair-wars §4).

    ``war.exchange_value`` e is stated in units of the stakes' present value ``1/(1 - δ)``, so
    that it means the same whatever the round's length; this turns it into a value comparable
    with :func:`war_value`. The design requires ``V_ex`` below every type's W (an exchange is
    worse than any war). Valid for δ in [0, 1).
    """
    return np.asarray(exchange_value, dtype=float) / (1.0 - np.asarray(delta, dtype=float))


def _at_rung(values: ArrayLike, rung: ArrayLike) -> Array:
    """A per-rung field at a rung, linear between rungs for a fractional (expected) rung.

    As ``dynamics.war_probability`` reads ``war_risk`` at a fractional rung; clipped to the
    ladder. ``values`` is 1-D over the rungs.
    """
    v = np.asarray(values, dtype=float)
    top = np.clip(np.asarray(rung, dtype=float), 0.0, len(v) - 1)
    return np.asarray(np.interp(top, np.arange(len(v)), v))


def exchange_hazard_held(
    exchange_hazard: ArrayLike,
    x: ArrayLike,
    y: ArrayLike,
    nuclear_rung: int | None,
    scale: ArrayLike = 1.0,
    possible: ArrayLike = 1.0,
    strategic_rung: int | None = None,
) -> Array:
    """Per-round hazard of a strategic exchange in a war whose sides hold rungs x and y.

    ::

        h = π                                       if max(x, y) >= strategic_rung
        h = clip(s · π · η[max(x, y)], 0, 1)        otherwise

    (η is 0 below the war rung, by the scenario's checks, so below war h = 0; η on the war rung
    and the rungs between it and the nuclear rung is the risk that a conventional war between
    nuclear-armed sides escalates inadvertently, Posen 1991; docs/pair-wars.md "As built: step
    3")

    with η the rungs' ``exchange_hazard``, s the actor's ``beliefs.exchange_risk_scale`` (its
    *assumed* hazard; 1 for the simulated one) and π the probability that an exchange can happen
    at all: 1 when both sides are nuclear-armed, the probability of a nuclear patron's
    intervention against a non-nuclear side with one, 0 against a non-nuclear side without
    (pair-wars §4, "Risk"). The risk is set by the highest intensity held, as the war risk below
    war is set by the higher posture (``dynamics.war_probability``; Schelling 1966, the threat
    that leaves something to chance; Powell 1990, 2015). A fractional rung (an expectation)
    interpolates between rungs, as ``war_probability`` does; at whole rungs the formula is exact.
    ``nuclear_rung`` None: no nuclear rung, h = 0. Valid for η, s π η in [0, 1] (clipped), rungs
    inside the ladder.
    """
    eta = np.asarray(exchange_hazard, dtype=float)
    rungs = np.arange(len(eta))
    top = np.maximum(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    armed = nuclear_rung is not None  # an exchange needs a nuclear rung in the ladder
    strategic = rungs >= (strategic_rung if strategic_rung is not None else len(eta))
    base = _at_rung(np.where(armed & ~strategic, eta, 0.0), top)
    # The strategic rung is an exchange only where one can happen at all (π).
    certain = _at_rung(strategic.astype(float), top) * np.asarray(possible, dtype=float)
    scaled = np.clip(
        np.asarray(scale, dtype=float) * np.asarray(possible, dtype=float) * base, 0, 1
    )
    return certain + (1.0 - certain) * scaled


def war_hold_value(
    front: ArrayLike,
    p: ArrayLike,
    cost: ArrayLike,
    posture_cost: ArrayLike,
    hazard: ArrayLike,
    exchange: ArrayLike,
    delta: ArrayLike,
    step: ArrayLike,
) -> Array:
    """Value to i of holding given intensities for ever in a war with an exchange hazard.

    Each round, with probability h a strategic exchange ends everything (worth ``V_ex``,
    :func:`exchange_state_value`); otherwise i gets its share on the front minus its cost of war
    and its intensity's posture cost, ``q - c - k``, and the front moves (:func:`front_step`,
    i winning each battle with probability p)::

        V(q) = h V_ex + (1 - h) [q - c - k + δ E V(q')],    E q' = p + (1 - σ)(q - p)

    V is linear in q, ``V = A + B q``; matching the coefficients of q gives
    ``B = (1 - h)/(1 - δ(1 - h)(1 - σ))`` and the constant then gives, at q = p::

        V(q) = [h V_ex + (1 - h)(p - c - k)] / (1 - δ(1 - h))
               + (1 - h)(q - p) / (1 - δ(1 - h)(1 - σ))

    The effective discount factor is δ(1 - h): the war survives each round with probability
    1 - h. The first term is :func:`hold_value` with flow ``p - c - k``, risk h and the exchange
    in place of war (the war phase is a crisis whose catastrophe is the exchange); the second is
    :func:`front_war_value`'s front term, survival-discounted. At h = 0 and k = 0 this is
    :func:`front_war_value` exactly, and at q = p it is ``hold_value(p - c - k, h, V_ex, δ)``
    (both tested). h = 1 gives ``V_ex``. Sources: the front of Filson & Werner (2002) and
    Slantchev (2003) (pair-wars §3.3); the absorbing catastrophe of Powell (1990, ch. 2; 2015).
    *Departure*: the sources' wars can end in a military collapse; here only by a bargain, a
    concession, an exchange or the horizon (a stationary war). ``k`` is the posture cost of the
    intensity *above the war rung's* (``costs[x] - costs[war_rung]``), so that intensity 0 is
    part 1's war. Valid for p, q, σ, h in [0, 1], c, k >= 0, δ in [0, 1).
    """
    d = np.asarray(delta, dtype=float)
    h = np.asarray(hazard, dtype=float)
    p = np.asarray(p, dtype=float)
    flow = p - np.asarray(cost, dtype=float) - np.asarray(posture_cost, dtype=float)
    survive = 1.0 - h
    gap = np.asarray(front, dtype=float) - p
    return hold_value(flow, h, exchange, d) + survive * gap / (
        1.0 - d * survive * (1.0 - np.asarray(step, dtype=float))
    )


class WarLadder(NamedTuple):
    """The rungs' fields that a side at war reads (pair-wars §4), for :func:`war_ladder_utilities`.

    ``costs``, ``advantage`` and ``exchange_hazard`` are 1-D over the rungs (``cost``,
    ``war_advantage``, ``exchange_hazard``); the rungs at and above ``war_rung`` are
    intensities; ``nuclear_rung`` (None: none) opens only to a nuclear-armed side;
    ``strategic_rung`` (None: none) is an exchange; ``jump`` is the rungs a jump climbs.
    """

    costs: Array
    advantage: Array
    exchange_hazard: Array
    war_rung: int
    nuclear_rung: int | None
    strategic_rung: int | None
    jump: int


def war_targets(x: ArrayLike, ladder: WarLadder) -> Array:
    """The rung each candidate move reaches at war: ``max(target_rung(x, m), war_rung)``.

    ``[..., 4]`` in the order of ``dynamics.CANDIDATE_MOVES``. A side at war does not leave the
    war by a move (pair-wars §3.3: leaving needs a ceasefire or a concession), so a step down at
    the war rung is a hold.
    """
    xp = dx.target_rung(
        np.asarray(x)[..., None], dx.CANDIDATE_MOVES, ladder.jump, len(ladder.costs)
    )
    return np.maximum(xp, ladder.war_rung)


class WarRungs(NamedTuple):
    """What :func:`war_ladder_utilities` reads of the ladder at rungs x and ŷ' (pair-wars §4).

    The terms of its formula that depend only on the two rungs, the ladder and the sides'
    scales (:func:`war_rungs`): ``targets`` x' (:func:`war_targets`), ``advantage`` a(x'),
    ``posture`` k(x') and ``hazard`` h(x') (i's assumed), ``hazard_j`` (the one i attributes
    to the other) and ``closed`` (a nuclear rung closed to i), each ``[..., 4]``;
    ``advantage_j`` a(ŷ') and ``posture_j`` k(ŷ'), each ``[..., 1]``.
    """

    targets: Array
    advantage: Array
    advantage_j: Array
    posture: Array
    posture_j: Array
    hazard: Array
    hazard_j: Array
    closed: Array


def war_rungs(
    x: ArrayLike,
    y_next: ArrayLike,
    ladder: WarLadder,
    nuclear: ArrayLike,
    risk_scale: ArrayLike = 1.0,
    risk_scale_j: ArrayLike = 1.0,
    possible: ArrayLike = 1.0,
) -> WarRungs:
    """The :class:`WarRungs` of rungs x and ŷ': the rung terms of :func:`war_ladder_utilities`.

    Its parameters of the same names. Elementwise over the leading axes, like it; computed
    apart so that a caller that values many situations at the same rungs (a war's onset, both
    sides at the war rung) can compute them once.
    """
    xp = war_targets(x, ladder)
    y = np.asarray(y_next, dtype=float)[..., None]
    base_cost = ladder.costs[ladder.war_rung]
    h_i, h_j = (
        exchange_hazard_held(
            ladder.exchange_hazard,
            xp,
            y,
            ladder.nuclear_rung,
            np.asarray(s, dtype=float)[..., None],
            np.asarray(possible, dtype=float)[..., None],
            ladder.strategic_rung,
        )
        for s in (risk_scale, risk_scale_j)
    )
    return WarRungs(
        targets=xp,
        advantage=ladder.advantage[xp],
        advantage_j=_at_rung(ladder.advantage, y),
        posture=ladder.costs[xp] - base_cost,
        posture_j=_at_rung(ladder.costs, y) - base_cost,
        hazard=h_i,
        hazard_j=h_j,
        closed=_nuclear_closed(xp, ladder, nuclear),
    )


def war_ladder_utilities(
    x: ArrayLike,
    y_next: ArrayLike,
    ladder: WarLadder,
    nuclear: ArrayLike,
    front: ArrayLike,
    strength: ArrayLike,
    strength_j: ArrayLike,
    cost: ArrayLike,
    exchange: ArrayLike,
    prevail: ArrayLike,
    delta: float,
    step: ArrayLike,
    posterior_j: ArrayLike,
    cost_j: ArrayLike,
    quit_j: ArrayLike,
    decisiveness: ArrayLike = 1.0,
    precision_j: float = np.inf,
    risk_scale: ArrayLike = 1.0,
    risk_scale_j: ArrayLike = 1.0,
    possible: ArrayLike = 1.0,
    rungs: WarRungs | None = None,
) -> Array:
    """Value of each move of a side at war (step down, hold, step up, jump), one round ahead.

    The war-phase analogue of :func:`ladder_utilities` (pair-wars §3.3 item 4 and §4): the war
    is a crisis whose catastrophe is the strategic exchange. For the rung
    ``x' = war_targets(x)`` of each candidate, with the other expected at ``ŷ'``::

        p(x')   = boosted_win_probability(K_i, K_j, a(x'), a(ŷ'), m)   odds in the battles
        h(x')   = exchange_hazard_held(η, x', ŷ', ...)                 i's assumed hazard
        k(x')   = costs[x'] - costs[war_rung]                          posture cost above war
        f(x')   = q - c - k(x')                                        this round's flow
        H(x')   = war_hold_value(E q', p, c, k, h, V_ex, δ, σ)         continuation, E q' =
                                                                       p + (1 - σ)(q - p)
        H_j(θ)  = war_hold_value(1 - q, 1 - p, c_j(θ), k(ŷ'), h_j, V_ex, δ, σ)
        Q(x')   = quit_probability(π_j, V_quit(θ) - H_j(θ), λ_j, 1 - δ)
        U(x')   = lookahead_value(f, h, V_ex, Q, V_prevail, H, δ)
                = h V_ex + (1 - h)[f + δ (Q V_prevail + (1 - Q) H)]

    Raising the intensity raises i's odds (war_advantage), its posture cost, the hazard of an
    exchange (valued at V_ex against the continuation) and the other's quitting: its types for
    whom conceding or accepting i's ceasefire offer (``quit_j``) beats fighting on at the higher
    hazard give way (Powell 1990, the risk that leaves something to chance; Powell 2015, risk
    combined with military effectiveness). With ``Q = 0`` each value is ``war_hold_value`` at the
    current front: the look-ahead's continuation is its stationary solution (tested), as
    :func:`refusal_values` is for :func:`ladder_utilities`.

    Parameters
    ----------
    x : array_like
        Own rung ``[...]``, at or above the war rung.
    y_next : array_like
        The other's expected rung next round ``[...]`` (fractional: fields interpolate).
    ladder : WarLadder
        The rungs' fields.
    nuclear : array_like
        Whether i is nuclear-armed ``[...]``; if not, moves onto nuclear rungs are NaN
        (unavailable to :func:`choose`).
    front : array_like
        i's share on the front q ``[...]``.
    strength, strength_j : array_like
        Capabilities K_i, K_j (:func:`side_strength`) ``[...]``.
    cost : array_like
        i's cost of war c (its type) ``[...]``.
    exchange : array_like
        ``V_ex`` (:func:`exchange_state_value`) ``[...]``.
    prevail : array_like
        i's value if the other quits ``[...]`` (its demand or ceasefire terms settled).
    delta : float
        Discount factor δ in [0, 1).
    step : array_like
        The front step σ.
    posterior_j : array_like
        ``[..., K]``: i's belief over the other's types.
    cost_j, quit_j : array_like
        ``[..., K]``: the other's cost of war and its value of quitting, per type.
    decisiveness : array_like
        m of the contest success function.
    precision_j : float
        The precision i attributes to the other's quitting (∞: a best response).
    risk_scale, risk_scale_j : array_like
        i's ``exchange_risk_scale`` and the one it attributes to the other.
    possible : array_like
        The probability that an exchange can happen (:func:`exchange_hazard_held`).
    rungs : WarRungs, optional
        The rung terms, :func:`war_rungs` of ``x``, ``y_next``, ``ladder``, ``nuclear``, the
        risk scales and ``possible`` (default: computed here); a caller that passes them
        computed once for many calls at the same rungs gets the same values to the bit.

    Returns
    -------
    numpy.ndarray
        ``[..., 4]`` values in the order of ``dynamics.CANDIDATE_MOVES``; NaN for a nuclear rung
        when i is not nuclear-armed.

    Notes
    -----
    *Departures*, as :func:`ladder_utilities`: one round ahead with a stationary continuation;
    the other's quitting is one level deep (it compares quitting with fighting on at the current
    intensities for ever). The other's intensity is taken as given (ŷ'), so i does not value the
    other's counter-escalation; :func:`onset_value` does, once, at a war's start. No audience
    costs in war (the design gives none). Stepping down at the war rung is a hold, and a move
    whose target is clipped at the top of the ladder is a hold too (as :func:`ladder_utilities`).
    """
    if rungs is None:
        rungs = war_rungs(x, y_next, ladder, nuclear, risk_scale, risk_scale_j, possible)
    d = float(delta)
    sigma = np.asarray(step, dtype=float)[..., None]
    p = boosted_win_probability(
        np.asarray(strength, dtype=float)[..., None],
        np.asarray(strength_j, dtype=float)[..., None],
        rungs.advantage,
        rungs.advantage_j,
        np.asarray(decisiveness, dtype=float)[..., None],
    )
    k, h_i, h_j, k_j = rungs.posture, rungs.hazard, rungs.hazard_j, rungs.posture_j
    q = np.asarray(front, dtype=float)[..., None]
    c = np.asarray(cost, dtype=float)[..., None]
    v_ex = np.asarray(exchange, dtype=float)[..., None]
    q_next = p + (1.0 - sigma) * (q - p)
    hold = war_hold_value(q_next, p, c, k, h_i, v_ex, d, sigma)
    hold_j = war_hold_value(
        (1.0 - q)[..., None],
        (1.0 - p)[..., None],
        np.asarray(cost_j, dtype=float)[..., None, :],
        k_j[..., None],
        h_j[..., None],
        v_ex[..., None],
        d,
        sigma[..., None],
    )
    advantage = np.asarray(quit_j, dtype=float)[..., None, :] - hold_j
    quit = quit_probability(
        np.asarray(posterior_j, dtype=float)[..., None, :], advantage, precision_j, 1.0 - d
    )
    value = lookahead_value(
        q - c - k, h_i, v_ex, quit, np.asarray(prevail, dtype=float)[..., None], hold, d
    )
    return np.where(rungs.closed, np.nan, value)


def _nuclear_closed(xp: Array, ladder: WarLadder, nuclear: ArrayLike) -> Array:
    """Whether each target rung is a nuclear rung closed to a side that is not nuclear-armed."""
    if ladder.nuclear_rung is None:
        return np.zeros(xp.shape, dtype=bool)
    return (xp >= ladder.nuclear_rung) & ~np.asarray(nuclear, dtype=bool)[..., None]


def nuclear_response(utilities: ArrayLike, targets: ArrayLike, nuclear_rung: int | None) -> Array:
    """Whether a side's best response is a nuclear step: ``[...]`` bool from ``[..., 4]`` values.

    True where the best option whose target (:func:`war_targets`) is a nuclear rung is worth
    strictly more than every other available option: a step onto a higher intensity is a best
    response only (pair-wars §3.3 item 4), exactly :func:`choose`'s rule for war, with the nuclear
    targets as its ``war`` options (NaN utilities unavailable). Evaluated per type of the other
    side (types on a leading axis of :func:`war_ladder_utilities`), its mean under a prior is the
    π_nuc of :func:`onset_value`. The last axis may hold other options too (accepting a
    ceasefire offer, conceding), each with a target below the nuclear rung (-1, say): then a
    type that would rather quit does not count as going nuclear. ``nuclear_rung`` None: never.
    """
    u = np.asarray(utilities, dtype=float)
    if nuclear_rung is None:
        return np.zeros(u.shape[:-1], dtype=bool)
    is_nuclear = np.asarray(targets) >= nuclear_rung
    is_nuclear = np.broadcast_to(is_nuclear, u.shape)
    return _war_best(u, np.ones(u.shape, dtype=bool), is_nuclear)[4]


def onset_value(
    war: ArrayLike, nuclear_war: ArrayLike, posterior_j: ArrayLike, nuclear_j: ArrayLike
) -> Array:
    """Value to i of starting a war, with the other's escalation one level deep (pair-wars §4).

    ::

        V_onset = V(q₀) + Σ_θ π(θ) n(θ) (V_nuc(θ) - V(q₀))

    with V(q₀) the war at intensity 0 (:func:`front_war_value`), π i's belief over the other's
    types, n(θ) whether type θ's best response in the war's first round is a nuclear step
    (:func:`nuclear_response` on the other's :func:`war_ladder_utilities`: its own look-ahead,
    with i at the war rung and i's types under the other's prior; or a probability in [0, 1]) and
    V_nuc(θ) i's value of the war once the other holds that nuclear intensity and i holds the
    war rung: :func:`war_hold_value` with the other's ``war_advantage`` in the odds and the
    rung's hazard. ``Σ_θ π(θ) n(θ)`` is π_nuc.

    The design's formula ``V(q₀) + π_nuc h_ex (V_ex - V(q₀))`` is the case
    ``V_nuc = (1 - h) V(q₀) + h V_ex``: one round's hazard, then the war as before (tested). The
    recommended V_nuc, :func:`war_hold_value`, charges the hazard every round the nuclear
    intensity is held, as :func:`war_ladder_utilities` does once the war is under way, so an
    attacker does not value at onset a war cheaper than it will value it a round later (the
    one-round form understates the exchange term by the factor ``1/(1 - δ(1 - h))``, exactly
    at q₀ = p with the odds unchanged: tested). This is what lets the stability–instability
    pattern appear (Snyder 1965): the term is 0 against a side that cannot go nuclear.
    *Departure*: one level deep, and i's own escalation after the other's is not valued (i holds
    the war rung in V_nuc). Valid for a posterior on the simplex.
    """
    v = np.asarray(war, dtype=float)
    gain = np.asarray(nuclear_war, dtype=float) - v[..., None]
    weight = np.asarray(posterior_j, dtype=float) * np.asarray(nuclear_j, dtype=float)
    return v + (weight * gain).sum(axis=-1)


def intervention_probability(
    posterior: ArrayLike,
    intervene: ArrayLike,
    stay_out: ArrayLike,
    precision: ArrayLike = np.inf,
    scale: float = 1.0,
) -> Array:
    """The attacker's belief that a patron joins its client's war (pair-wars §5): π over types.

    ``π = Σ_θ π_i(θ) [V_int(θ) > V_out(θ)]``: the patron of type θ joins when its value of a
    direct war against the attacker (with the exchange term: :func:`onset_value` from the
    patron's side) strictly beats its value of staying out (the client's war fought with the
    patron's support); a war onset is a best response only (part 1's rule), so a tie stays out.
    With a finite precision λ, the logit ``σ(λ s (V_int - V_out))``, s the annuity scale
    ``1 - δ``. Computed as ``Σ π - quit_probability(π, V_out - V_int, λ, s)``
    (:func:`quit_probability` counts ties as quitting, so its complement is strict). One level
    deep: the patron's values are computed with the attacker's beliefs, not the patron's.
    Valid for a posterior on the simplex and λ >= 0.
    """
    pi = np.asarray(posterior, dtype=float)
    out_minus_in = np.asarray(stay_out, dtype=float) - np.asarray(intervene, dtype=float)
    return pi.sum(axis=-1) - quit_probability(pi, out_minus_in, precision, scale)


def attack_value(supported: ArrayLike, joined: ArrayLike, intervention: ArrayLike) -> Array:
    """Value of an attack on a patron's client (pair-wars §5): ``(1 - π) V_s + π V_j``.

    ``V_s``: the war against the client strengthened by the patron's support,
    ``K_client + s K_patron`` (:func:`front_war_value` with the client's escalation, if it has
    any: :func:`onset_value`); ``V_j``: the war against client and patron together,
    ``K_client + K_patron``, with the direct war's escalation term (:func:`onset_value`); π
    (:func:`intervention_probability`) the attacker's belief that the patron joins. *Departure*:
    the patron is taken to decide once, at the attack (the design lets it join in any later
    round); its later entry is not valued. Valid for π in [0, 1].
    """
    pi = np.asarray(intervention, dtype=float)
    return (1.0 - pi) * np.asarray(supported, dtype=float) + pi * np.asarray(joined, dtype=float)


def pair_war_value(
    front: ArrayLike,
    p_supported: ArrayLike,
    p_joined: ArrayLike,
    cost: ArrayLike,
    posture_cost: ArrayLike,
    hazard: ArrayLike,
    exchange: ArrayLike,
    delta: ArrayLike,
    step: ArrayLike,
    intervention: ArrayLike,
    direct: ArrayLike,
) -> Array:
    """Value to a power of its war with a patron's client at one intensity (pair-wars §5).

    ::

        V = (1 - π) V_hold(q, p_s, h = 0) + π [V_hold(q, p_j, h) + D]

    :func:`attack_value` of two :func:`war_hold_value` terms over the pair's own stakes: the
    war against the client supplied by its patron (the power wins a battle with probability
    ``p_s``, against ``K_client + s K_patron``), with no exchange hazard (a non-nuclear client
    cannot answer a nuclear step in kind); and the war once the patron has joined (``p_j``,
    against ``K_client + K_patron``) with the hazard h of the intensity held (between two
    nuclear-armed powers: :func:`exchange_hazard_held`'s π is then the intervention, as its
    docstring states) plus D, the power's value of the direct war against the patron over the
    powers' stakes less the settlement it holds there (``onset value - x/(1 - δ)``; 0 where the
    powers are already at war, π = 1 then). π is :func:`intervention_probability`. The same
    function values an attack (q the pair's status quo, intensity 0) and each intensity of a
    war under way. *Departures*: the patron's later entry is valued as if decided now
    (:func:`attack_value`'s); the exchange terms of the pair's war and of the direct war are
    added, not combined (each is charged on its own front). Valid for the ranges of
    :func:`war_hold_value` and π in [0, 1].
    """
    supported = war_hold_value(front, p_supported, cost, posture_cost, 0.0, exchange, delta, step)
    joined = war_hold_value(front, p_joined, cost, posture_cost, hazard, exchange, delta, step)
    return attack_value(supported, joined + np.asarray(direct, dtype=float), intervention)


def believed_chance(
    p: ArrayLike,
    optimism: ArrayLike,
    prior_battles: ArrayLike,
    surprise: ArrayLike,
    battles: ArrayLike,
) -> Array:
    """A side's belief about its chance of winning a battle, learned while fighting.

    ::

        b = clip(p + (κ o + S) / (κ + n), 0, 1)

    The side believes its chance is the true ``p`` plus an offset θ, with a prior over θ of mean
    o (its optimism) worth κ battles (``prior_battles``); after n battles whose outcomes exceeded
    their chances by ``S = Σ (won_t − p_t)`` in sum, the posterior mean of θ is
    ``(κ o + S)/(κ + n)`` (the normal-normal, or beta-binomial, update of a mean with prior weight
    κ). Its expectation at the true chances is ``κ o/(κ + n)``: optimism fades as the side
    fights, the mechanism by which wars end as beliefs converge (Blainey 1973; Smith & Stam 2004;
    Slantchev 2003). With o = 0 and n = 0 it is the truth. *Departure*: the offset is learned on
    a known p (the chances change with intensities and support, which every side sees), not the
    chances themselves. Valid for p in [0, 1], κ > 0, n >= 0.
    """
    kappa = np.asarray(prior_battles, dtype=float)
    shift = (kappa * np.asarray(optimism, dtype=float) + np.asarray(surprise, dtype=float)) / (
        kappa + np.asarray(battles, dtype=float)
    )
    return np.clip(np.asarray(p, dtype=float) + shift, 0.0, 1.0)


def patron_values(
    stake: ArrayLike,
    client_front: ArrayLike,
    p_client_supported: ArrayLike,
    p_client_joined: ArrayLike,
    delta: ArrayLike,
    step: ArrayLike,
    direct: ArrayLike,
) -> tuple[Array, Array]:
    """A patron's values of joining its client's war and of staying out (pair-wars §5 (a)).

    ::

        V_out = w · F(q_c, p_cs)          V_int = w · F(q_c, p_cj) + D_P

    with F(q, p) = p/(1 - δ) + (q - p)/(1 - δ(1 - σ)) the discounted expected share the client
    holds on the front (:func:`front_war_value` at zero cost: the patron pays no cost of the
    client's war), w the patron's stake in its client's holdings (``war.pairs[].patron_stake``),
    ``p_cs`` and ``p_cj`` the client's chances of a battle supplied and joined, and D_P the
    patron's value of the direct war against the attacker less the settlement it holds with it
    (its onset value, with the escalation term, :func:`onset_value`). The patron joins where
    ``V_int > V_out`` strictly (:func:`intervention_probability`). Settles design question (a)
    of pair-wars §5: a patron gains by intervening only through its stake. Valid for w >= 0,
    q_c and p in [0, 1], δ in [0, 1).
    """
    w = np.asarray(stake, dtype=float)
    stay_out = w * front_war_value(p_client_supported, 0.0, delta, client_front, step)
    join = w * front_war_value(p_client_joined, 0.0, delta, client_front, step)
    return join + np.asarray(direct, dtype=float), stay_out


def assumed_exchange_probability(
    hazard: ArrayLike, rounds_left: ArrayLike, scale: ArrayLike = 1.0
) -> Array:
    """An actor's assumed probability of an exchange before the horizon: ``1 - (1 - s h)^T``.

    h is the hazard of the intensities held (:func:`exchange_hazard_held` with scale 1), s the
    actor's ``beliefs.exchange_risk_scale``, T the rounds left: the probability of at least one
    exchange in T independent rounds at the assumed hazard, held constant (pair-wars §4,
    "Assumed and simulated risk": it is reported beside the simulated frequency). ``s h`` is
    clipped to [0, 1]. Valid for h >= 0, s >= 0, T >= 0.
    """
    h = np.clip(np.asarray(scale, dtype=float) * np.asarray(hazard, dtype=float), 0.0, 1.0)
    return 1.0 - (1.0 - h) ** np.asarray(rounds_left, dtype=float)


def settlement_value(share: ArrayLike, delta: ArrayLike, stakes: ArrayLike = 1.0) -> Array:
    """Value of a settlement that gives a side the share x of the stakes: ``x v / (1 - δ)``.

    The flow x v for ever, discounted (Fearon 1995; Powell 1999, ch. 3). Valid for x in [0, 1],
    δ in [0, 1).
    """
    return (
        np.asarray(share, dtype=float)
        * np.asarray(stakes, dtype=float)
        / (1.0 - np.asarray(delta, dtype=float))
    )


class Withdrawal(NamedTuple):
    """The other holds the stakes by a posture and may give them up by stepping below it.

    Attributes
    ----------
    rung : int
        R, the holder's rung (``stakes.held_at``): below it, it holds nothing.
    gain : array_like
        What i's share rises by while the holder stands below R, per row ``[...]`` (its
        status-quo share ``q_h``; 0 where it stands below already).
    """

    rung: int
    gain: ArrayLike


class HeldStakes(NamedTuple):
    """A side's shares and posture costs under a fait accompli (:func:`held_stakes`).

    Attributes
    ----------
    share, share_j : numpy.ndarray
        The deciding side's and the other's share of the stakes while the crisis lasts ``[...]``.
    posture, posture_j : numpy.ndarray
        ``[n_rungs]``: each rung's posture cost for the deciding side and for the other, with
        the holder's stakes given up below its rung counted as a cost.
    """

    share: Array
    share_j: Array
    posture: Array
    posture_j: Array


def held_stakes(
    share: float,
    share_j: float,
    costs: Array,
    holds: int,
    rung: int,
    x: ArrayLike,
    y: ArrayLike,
) -> HeldStakes:
    """The flows of a crisis in which one side holds its share by a posture (a fait accompli).

    The holder h keeps its status-quo share ``q_h`` only while it stands at or above the rung
    R; below it, the other side n holds all the stakes::

        q_h(x_h) = q_h [x_h >= R]        q_n(x_h) = q_n + q_h [x_h < R]

    Written as a posture cost, the holder's flow at rung x is ``q_h - k_h(x)`` with
    ``k_h(x) = k(x) + q_h [x < R]`` (the stakes given up by standing below R are a cost of that
    posture), and the other's flow is ``q_n(x_h) - k(x)``, its share read at the holder's rung
    ``x_h``. ``holds``: 1 the deciding side holds, -1 the other holds, 0 neither (the shares
    and costs unchanged); ``x``, ``y``: the deciding side's and the other's rungs ``[...]``.

    Source: the fait accompli — a state takes the disputed good and leaves the other to
    coerce it back (Schelling 1966, ch. 2; Tarar 2016, "A strategic logic of the military fait
    accompli", International Studies Quarterly 60:742-752; Altman 2017, "By fait accompli, not
    coercion", ISQ 61:881-891); in Fearon's (1995) flow form, the status quo while the crisis
    lasts is what the holder has seized. *Departure:* the one-round look-ahead values the
    non-holder's flow at the holder's current rung (the holder's next move is its decision,
    which the look-ahead does not model beyond the other's quitting), so a holder's step down
    counts for the other from the round it is seen. Valid for shares in [0, 1] summing to 1,
    costs ≥ 0, R a rung below the war rung.
    """
    costs = np.asarray(costs, dtype=float)
    if holds == 0:
        q, q_j = np.asarray(share, dtype=float), np.asarray(share_j, dtype=float)
        return HeldStakes(
            np.broadcast_to(q, np.shape(x)), np.broadcast_to(q_j, np.shape(y)), costs, costs
        )
    below = np.arange(len(costs)) < rung
    if holds > 0:
        given_up = costs + share * below
        other = share_j + share * (np.asarray(x) < rung)
        return HeldStakes(np.full(np.shape(x), float(share)), other, given_up, costs)
    given_up = costs + share_j * below
    mine = share + share_j * (np.asarray(y) < rung)
    return HeldStakes(mine, np.full(np.shape(y), float(share_j)), costs, given_up)


def hold_value(flow: ArrayLike, risk: ArrayLike, war: ArrayLike, delta: ArrayLike) -> Array:
    """Value of holding the current postures for ever: ``H = (r W + (1 - r) f) / (1 - δ(1 - r))``.

    Each round war breaks out with probability r (the risk of the rungs held, Schelling's
    threat that leaves something to chance), worth W; otherwise the side gets its flow f (its
    status-quo share minus the cost of its posture) and the same situation recurs:
    ``H = r W + (1 - r)(f + δ H)``, solved for H. It is the *stated continuation value* of the
    one-round look-ahead (:func:`lookahead_value`): what staying in the crisis is worth if
    nobody moves again. r = 0 gives ``f / (1 - δ)``; r = 1 gives W. Source: the stationary
    value of a Markov chain with an absorbing state (Powell 1990, ch. 2, values the brink this
    way). Valid for r in [0, 1], δ in [0, 1).
    """
    r = np.asarray(risk, dtype=float)
    d = np.asarray(delta, dtype=float)
    return (r * np.asarray(war, dtype=float) + (1.0 - r) * np.asarray(flow, dtype=float)) / (
        1.0 - d * (1.0 - r)
    )


def lookahead_value(
    flow: ArrayLike,
    risk: ArrayLike,
    war: ArrayLike,
    quit_probability: ArrayLike,
    prevail: ArrayLike,
    hold: ArrayLike,
    delta: ArrayLike,
) -> Array:
    """Value of a posture with a one-round look-ahead.

    ``U = r W + (1 - r) [f + δ (q V_prevail + (1 - q) H)]``: this round's war draw at risk r;
    if it passes, this round's flow f, then next round the other side quits with probability q
    (concedes or accepts the standing offer: :func:`quit_probability`), worth ``V_prevail``,
    or the crisis goes on, worth the stated continuation value H (:func:`hold_value`: both
    postures held for ever). Escalation acts through r (risk), f (cost) and q (the pressure it
    puts on the other's types), as in Powell (1990, *Nuclear Deterrence Theory*, ch. 2-3) and
    Schelling (1966). Valid for r, q in [0, 1], δ in [0, 1).
    """
    r = np.asarray(risk, dtype=float)
    q = np.asarray(quit_probability, dtype=float)
    later = q * np.asarray(prevail, dtype=float) + (1.0 - q) * np.asarray(hold, dtype=float)
    return r * np.asarray(war, dtype=float) + (1.0 - r) * (
        np.asarray(flow, dtype=float) + np.asarray(delta, dtype=float) * later
    )


# -- types and priors -----------------------------------------------------------------------
def type_grid(lo: float, hi: float, n: int) -> Array:
    """The grid of a power's cost-of-war types: the midpoints of n equal cells of ``[lo, hi]``.

    ``θ_k = lo + (k + 1/2)(hi - lo)/n``, k = 0..n-1: the midpoint rule, so that the discrete
    uniform prior on the grid has the continuous uniform's mean (and its variance up to
    ``(hi - lo)²/(12 n²)``). ``lo == hi`` or ``n == 1`` gives one type: a point value in a
    scenario is a degenerate prior. Valid for ``lo <= hi`` and ``n >= 1``.
    """
    if n < 1 or hi < lo:
        raise ValueError(f"type_grid needs n >= 1 and lo <= hi, got n={n}, [{lo}, {hi}]")
    if hi == lo or n == 1:
        return np.array([0.5 * (lo + hi)])
    return lo + (np.arange(n) + 0.5) * (hi - lo) / n


def uniform_prior(n: int) -> Array:
    """The uniform prior over n types, ``1/n`` each (one type: the point mass)."""
    if n < 1:
        raise ValueError(f"a prior needs at least one type, got {n}")
    return np.full(n, 1.0 / n)


def joint_types(
    cost_grid: ArrayLike, cost_prior: ArrayLike, honesty: float
) -> tuple[Array, Array, Array]:
    """The joint types (cost of war, honesty) of a power, and their prior.

    A power is *honest* (always tells the truth) with probability ``honesty`` (the scenario's
    field, now the prior of a type drawn once per replication), independently of its cost. The
    K = 2n joint types are ordered strategic first, then honest, each in cost order; the prior
    is the product ``π(c) · (1 - h, h)``. Trust in the v2 model is the posterior mass of the
    honest types (:func:`honest_mass`; Kydd 2005: trust as a belief about the other's type).
    Returns ``(costs, honest, prior)``, each of length K. Valid for honesty in [0, 1].
    """
    costs = np.asarray(cost_grid, dtype=float)
    prior = np.asarray(cost_prior, dtype=float)
    n = len(costs)
    honest = np.repeat([False, True], n)
    weights = np.concatenate([prior * (1.0 - honesty), prior * honesty])
    return np.tile(costs, 2), honest, weights


def honest_mass(posterior: ArrayLike, honest: ArrayLike) -> Array:
    """Posterior probability that the other is an honest type: ``Σ_{k honest} π_k`` (trust)."""
    return np.where(np.asarray(honest, dtype=bool), np.asarray(posterior, dtype=float), 0.0).sum(
        axis=-1
    )


def word_evidence(posterior: ArrayLike, honest: ArrayLike, strength: ArrayLike) -> Array:
    """The posterior over the other's types after it concluded or broke an agreement.

    An agreement concluded with ``effects.trust = τ`` and an agreement broken with
    ``breach_trust_cost = c`` (``τ = -c``) are evidence about the other's honesty type, with
    likelihoods ``L(honest) = (1 + τ)/2`` and ``L(strategic) = (1 - τ)/2``, floored like every
    likelihood (:data:`LIKELIHOOD_FLOOR`, over the two outcomes):

        L'(θ) = (1 - η) (1 + τ s(θ)) / 2 + η / 2,   s(θ) = +1 if θ is honest, else -1
        π'(θ) = π(θ) L'(θ) / Σ_θ' π(θ') L'(θ')

    The cost marginal moves only through whatever correlation the posterior has between cost
    and honesty. From an even honest mass, trust (:func:`honest_mass`) moves to ``1/2 + τ/2``
    (to rounding by η); a point posterior stays a point (the complete-information twin).

    Valid for a posterior summing to 1 over the last axis, ``honest`` boolean of the same
    length, τ in [-1, 1] (broadcast against the posterior's leading axes). Source: Bayes' rule;
    trust as the belief that the other is a trustworthy type, and agreements kept or broken as
    evidence of it (Kydd 2005, *Trust and Mistrust in International Relations*, ch. 1-2).
    *Departure:* Kydd derives what an agreement reveals from the types' equilibrium
    strategies; here the scenario states the strength τ (version 1's additive trust shift,
    ``τ' = clip(τ + δ, 0, 1)``, read as a likelihood ratio ``(1 + τ)/(1 - τ)`` on the odds of
    honesty instead), so that trust has one definition, the posterior's honest mass.
    """
    prior = np.asarray(posterior, dtype=float)
    side = np.where(np.asarray(honest, dtype=bool), 1.0, -1.0)
    tau = np.asarray(strength, dtype=float)[..., None]
    lik = (1.0 - LIKELIHOOD_FLOOR) * (1.0 + tau * side) / 2.0 + LIKELIHOOD_FLOOR / 2.0
    joint = prior * lik
    return joint / joint.sum(axis=-1, keepdims=True)


def draw_type(prior: ArrayLike, u: ArrayLike) -> Array:
    """Index of the type drawn with uniform u, by inverse CDF over the prior's last axis.

    ``k = #{l : u >= F_l}`` with ``F_l = Σ_{m <= l} π_m``, so type k is drawn with probability
    ``π_k``, and the same u gives the same type in every condition and twin (common random
    numbers: the draws come from their own stream, ``docs/decision-v2.md`` §9). Valid for a
    prior summing to 1 and u in [0, 1).
    """
    cdf = np.cumsum(np.asarray(prior, dtype=float), axis=-1)
    cdf = cdf / cdf[..., -1:]
    index = (np.asarray(u, dtype=float)[..., None] >= cdf).sum(axis=-1)
    return np.minimum(index, cdf.shape[-1] - 1)


def draw_joint_type(
    cost_prior: ArrayLike, honesty: ArrayLike, u_cost: ArrayLike, u_honest: ArrayLike
) -> Array:
    """Index of a power's drawn joint type (cost of war, honesty) in :func:`joint_types`' order.

    The cost type and the honesty type are drawn independently, each by inverse CDF
    (:func:`draw_type`): the cost index ``k`` from ``cost_prior`` with ``u_cost``, honesty from
    the prior ``(1 - h, h)`` (strategic, honest) with ``u_honest``, so the power is honest iff
    ``u_honest >= 1 - h``. The joint index is ``k + n h_drawn`` (n the grid's length: the
    strategic types first), so type (k, honest) is drawn with probability ``π(k) h`` and
    (k, strategic) with ``π(k)(1 - h)``, the joint prior of :func:`joint_types`
    (docs/decision-v2.md §3.3: each power's cost then its honesty, from the replication's type
    stream). ``cost_prior`` has the grid on its last axis; ``honesty``, ``u_cost`` and
    ``u_honest`` broadcast over the leading axes. Valid for a prior summing to 1, h in [0, 1]
    and u in [0, 1).
    """
    prior = np.asarray(cost_prior, dtype=float)
    h = np.asarray(honesty, dtype=float)
    cost = draw_type(prior, u_cost)
    honest = draw_type(np.stack(np.broadcast_arrays(1.0 - h, h), axis=-1), u_honest)
    return cost + prior.shape[-1] * honest


def resolve_from_values(prevail: ArrayLike, submit: ArrayLike, war: ArrayLike) -> Array:
    """Resolve, the largest risk of war a side will run rather than submit.

    ``ρ = (V_prevail - V_submit) / (V_prevail - V_war)``, clipped to [0, 1]: the side is
    indifferent between submitting for sure and standing firm at a risk ρ of war (and prevailing
    otherwise). This is Powell's (1987, "Crisis bargaining, escalation, and MAD", APSR
    81:717-735; 1990, ch. 2) measure of resolve, the same as Snyder & Diesing's (1977) "critical
    risk". ρ = 1 when war is no worse than submitting. Valid for ``V_prevail > V_war``.
    """
    gain = np.asarray(prevail, dtype=float) - np.asarray(submit, dtype=float)
    loss = np.asarray(prevail, dtype=float) - np.asarray(war, dtype=float)
    return np.clip(gain / loss, 0.0, 1.0)


def cost_from_resolve(
    resolve: ArrayLike, p: ArrayLike, prevail: ArrayLike = 1.0, submit: ArrayLike = 0.0
) -> Array:
    """The cost-of-war type whose resolve is ρ: the inverse of :func:`resolve_from_values`.

    With the annuities ``V_prevail`` (default 1, the whole stakes), ``V_submit`` (default 0)
    and ``V_war = p - c``: ``ρ (V_prevail - p + c) = V_prevail - V_submit`` gives
    ``c = (V_prevail - V_submit)/ρ - V_prevail + p`` (``1/ρ - 1 + p`` with the defaults). This
    keeps a scenario's ``resolve`` meaning "the largest risk of war it will run rather than
    concede" while the model's type is a cost. Valid for ρ in (0, 1]; ρ = 1 gives the cost at
    which war and submission are equal, ``c = p - V_submit``.
    """
    rho = np.asarray(resolve, dtype=float)
    gain = np.asarray(prevail, dtype=float) - np.asarray(submit, dtype=float)
    return gain / rho - np.asarray(prevail, dtype=float) + np.asarray(p, dtype=float)


# -- beliefs --------------------------------------------------------------------------------
def implementation_matrix(
    error: ArrayLike,
    friction: ArrayLike = 0.0,
    at_bottom: ArrayLike = False,
    at_top: ArrayLike = False,
) -> Array:
    """``M[a, b] = P(the made change is b | the intended move is a)``, over (down, hold, up).

    The matrix of :func:`escalsim.core.dynamics.implementation_error` followed by
    :func:`escalsim.core.dynamics.friction`: with probability e an intended step up (or jump)
    comes out as a step down and a step down as a step up; a hold becomes a step, either way
    with e/2, or the one step possible at an end of the ladder; a step that the ladder's end
    makes impossible is no change; then a step down is held back with probability φ (friction).
    Interior rows, before friction::

        down[1 - e, 0, e]
        hold[e / 2, 1 - e, e / 2]
        up[e, 0, 1 - e]

    Shape ``[..., 3, 3]`` over the broadcast inputs; each row sums to 1. Source: Wu & Axelrod
    (1995), implementation noise. Valid for e, φ in [0, 1].
    """
    bottom = np.asarray(at_bottom, dtype=bool)[..., None, None]
    top = np.asarray(at_top, dtype=bool)[..., None, None]
    interior, low, high = _implementation_places(error, friction)
    return np.where(bottom, low, np.where(top, high, interior))


def _implementation_places(error: ArrayLike, friction: ArrayLike) -> tuple[Array, Array, Array]:
    """:func:`implementation_matrix` inside the ladder, at its bottom and at its top.

    ``M = (A0 + e A1) F`` with F the friction (a made step down is held back with probability
    φ), on the shape of e and φ (usually scalars; the place on the ladder is per row).
    """
    e = np.asarray(error, dtype=float)[..., None, None]
    phi = np.asarray(friction, dtype=float)[..., None, None]
    held = np.array([[-1.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    fric = np.eye(3) + phi * held
    return (
        _matmul3(_IMPL_INTERIOR[0] + e * _IMPL_INTERIOR[1], fric),
        _matmul3(_IMPL_BOTTOM[0] + e * _IMPL_BOTTOM[1], fric),
        _matmul3(_IMPL_TOP[0] + e * _IMPL_TOP[1], fric),
    )


def observation_matrix(noise: ArrayLike, incident: ArrayLike = 0.0) -> Array:
    """``O[b, o] = P(the move is perceived as o | the made change is b)``, over (down, hold, up).

    The observer's last observation is taken as correct; this round an unexplained incident adds
    a rung to the apparent posture with probability ι, then the observation is one rung off
    with probability ``noise`` (either way with noise/2), and the perceived move is the sign of
    the change (:func:`escalsim.core.dynamics.observe_rung`, ``perceived_move``). Without
    incidents the rows are::

        down[1 - n / 2, n / 2, 0]
        hold[n / 2, 1 - n, n / 2]
        up[0, n / 2, 1 - n / 2]

    *Approximation*: the ends of the ladder (where the observation is reflected) and an error in
    last round's observation are ignored; the floor of :func:`move_likelihood` covers what this
    leaves out. Shape ``[..., 3, 3]``; rows sum to 1. Valid for noise, ι in [0, 1].
    """
    n = np.asarray(noise, dtype=float)[..., None, None]
    iota = np.asarray(incident, dtype=float)[..., None, None]
    base, noisy, shifted, shifted_noisy = _OBS
    return (1.0 - iota) * (base + n * noisy) + iota * (shifted + n * shifted_noisy)


def attribution_weights(own_move: ArrayLike, noise: ArrayLike, noisy: ArrayLike) -> Array:
    """What i believes the other saw of i's own last move: weights over (down, hold, up).

    *Naïve* attribution (``noisy`` false): the other saw i's move as it was, a one-hot vector
    (Jervis 1976, ch. 3: actors assume their own behaviour is read as they mean it, so the
    other's answer to it looks unprovoked). *Noisy* attribution: the other saw it through the
    path's noise, the row of :func:`observation_matrix` for i's move. Shape ``[..., 3]``. Valid
    for moves in {-1, 0, 1} and noise in [0, 1].
    """
    move = np.clip(np.asarray(own_move), -1, 1) + 1
    seen_noise = np.where(np.asarray(noisy, dtype=bool), np.asarray(noise, dtype=float), 0.0)
    # The row of observation_matrix(noise) for the move: one-hot when the noise is 0.
    return _OBS[0][move] + seen_noise[..., None] * _OBS[1][move]


def move_likelihood(
    choice: ArrayLike,
    seen: ArrayLike,
    error: ArrayLike = 0.0,
    noise: ArrayLike = 0.0,
    incident: ArrayLike = 0.0,
    friction: ArrayLike = 0.0,
    floor: float = LIKELIHOOD_FLOOR,
    at_bottom: ArrayLike = False,
    at_top: ArrayLike = False,
) -> Array:
    """``L[k, o] = P(the other's move is perceived as o | its type is k)``.

    One level of reasoning (no fixed point): the other, of type k, having seen i's last move as
    s, intends move m with probability ``choice[s, k, m]`` (its policy's choice probabilities
    for that type, evaluated on what i believes it saw); i's belief about what it saw is
    ``seen[s]`` (:func:`attribution_weights`). The intended move is made with implementation
    error and friction (:func:`implementation_matrix`) and perceived through the path
    (:func:`observation_matrix`)::

        L[k, o] = Σ_s seen[s] Σ_m choice[s, k, m] Σ_b M[m, b] O[b, o]
        L'      = (1 - η) L + η / 3

    the last step with the floor η (:data:`LIKELIHOOD_FLOOR`) so that no move is impossible
    under any type. A twin that sees the other's deliberate move passes ``error = noise = 0``.

    Parameters
    ----------
    choice : array_like
        ``[..., S, K, 3]``: P(intended move | type, what it saw of i), S = 3 (down, hold, up).
    seen : array_like
        ``[..., S]``: i's belief about what the other saw of i's last move.
    error, noise, incident, friction : array_like
        Implementation error and de-escalation friction of the other; noise of the path i sees
        it through and its rate of unexplained incidents (``[...]``).
    floor : float
        η in [0, 1).
    at_bottom, at_top : array_like
        Whether the other decided at the bottom (top) rung of the ladder, where an intended
        step down (up) makes no change (:func:`implementation_matrix`), ``[...]``.

    Returns
    -------
    numpy.ndarray
        ``[..., K, 3]``, each row a distribution over the perceived moves (down, hold, up).

    Notes
    -----
    Source: Bayesian learning about types from moves (Kydd 2005, *Trust and Mistrust in
    International Relations*, ch. 2), with the level-k idea that the other best-responds to a
    simpler model of oneself (Stahl & Wilson 1995; Camerer, Ho & Chong 2004). *Departure*:
    Kydd's updating is on equilibrium strategies; here it is on the other's policy as modelled,
    which needs no equilibrium and works for every rule-based policy.
    """
    probs = np.asarray(choice, dtype=float)
    weights = np.asarray(seen, dtype=float)
    # Σ_s seen[s] choice[s, k, m], summed in a fixed order (see _matmul3).
    intended = sum(
        weights[..., s, None, None] * probs[..., s, :, :] for s in range(probs.shape[-3])
    )
    # [..., K, 3] @ [..., 3, 3]: the batch axes broadcast, K is the rows of the matrix.
    made = implementation_matrix(error, friction, at_bottom, at_top)
    chain = _matmul3(made, observation_matrix(noise, incident))
    perceived = _matmul3(np.asarray(intended), chain)
    return (1.0 - floor) * perceived + floor / 3.0


def likelihood_of(likelihood: ArrayLike, observed: ArrayLike) -> Array:
    """``L[..., k, o]`` at the perceived move o in {-1, 0, 1}: shape ``[..., K]``."""
    lik = np.asarray(likelihood, dtype=float)
    o = np.clip(np.asarray(observed), -1, 1) + 1
    pick = np.broadcast_to(np.asarray(o)[..., None, None], (*lik.shape[:-1], 1))
    return np.take_along_axis(lik, pick, axis=-1)[..., 0]


def bayes_types(
    prior: ArrayLike, likelihood: ArrayLike, base: ArrayLike, redraw: ArrayLike = TYPE_REDRAW
) -> Array:
    """Posterior over the other's types after one observation, over the last axis (types).

    ``π'_k = (1 - ε) π_k L_k / Σ_l π_l L_l + ε π⁰_k``: Bayes' rule, then the redraw step of a
    type that is redrawn from the base prior π⁰ with probability ε per round (exact filtering
    of a hidden Markov type; :data:`TYPE_REDRAW`). With positive likelihoods, ε > 0 and a base
    prior that puts mass on every type, every posterior stays in (0, 1) and sums to 1; a type
    the base prior excludes stays excluded (a point value in a scenario stays known). Source:
    Bayes' rule; the spiral model of Jervis (1976) is this update applied to misread moves.
    Valid for priors on the simplex, positive likelihoods and ε in [0, 1].
    """
    pi = np.asarray(prior, dtype=float) * np.asarray(likelihood, dtype=float)
    pi = pi / pi.sum(axis=-1, keepdims=True)
    eps = np.asarray(redraw, dtype=float)[..., None]
    return (1.0 - eps) * pi + eps * np.asarray(base, dtype=float)


def incident_rate(
    risk: ArrayLike, scale: ArrayLike, factor: ArrayLike = 1.0, explained: ArrayLike = 0.0
) -> Array:
    """Probability that an actor shows an incident that the observer cannot explain: ι.

    ``ι = min(1, risk · scale · factor) · (1 - d)``: the incident probability of
    :func:`escalsim.core.dynamics.incident_occurs` (the held rung's ``incident_risk``, the
    scenario's ``incident_scale``, the agreements' incident factor) times the probability that
    the observer does not explain it, 1 - d with d the path's deconfliction probability (0 over
    the public channel, where nothing is explained: ``Crisis.perception``). It is the
    ``incident`` input of :func:`observation_matrix`. Source: Schelling (1960, ch. 7), accidents
    that look like moves; the hotline as a way to explain them. Valid for non-negative risk,
    scale and factor, d in [0, 1].
    """
    p = np.minimum(
        np.asarray(risk, dtype=float)
        * np.asarray(scale, dtype=float)
        * np.asarray(factor, dtype=float),
        1.0,
    )
    return p * (1.0 - np.asarray(explained, dtype=float))


def update_on_move(
    posterior: ArrayLike,
    base: ArrayLike,
    choice: ArrayLike,
    seen: ArrayLike,
    observed: ArrayLike,
    error: ArrayLike = 0.0,
    noise: ArrayLike = 0.0,
    incident: ArrayLike = 0.0,
    friction: ArrayLike = 0.0,
    at_bottom: ArrayLike = False,
    at_top: ArrayLike = False,
    floor: float = LIKELIHOOD_FLOOR,
    redraw: ArrayLike = TYPE_REDRAW,
) -> Array:
    """One round's update of a posterior over the other's types on its perceived move.

    docs/decision-v2.md §3.4, the three steps in one::

        L(o | θ) = Σ_s seen[s] Σ_m choice[s, θ, m] Σ_b M[m, b] O[b, o]     (move_likelihood)
        L'       = (1 - η) L + η / 3
        π'(θ)    = (1 - ε) π(θ) L'(o | θ) / Σ_θ' π(θ') L'(o | θ') + ε π⁰(θ)   (bayes_types)

    with ``M = implementation_matrix(error, friction, at_bottom, at_top)`` and ``O =
    observation_matrix(noise, incident)``. The perceived-information posterior passes the
    path's noise, the other's implementation error and unexplained incident rate
    (:func:`incident_rate`) and what i believes the other saw of i's move
    (:func:`attribution_weights`); the truth posterior of the counterfactual passes ``error =
    noise = incident = 0`` and the deliberate move (friction stays: the deliberate move is the
    choice after friction). Choice probabilities that do not depend on the type (any rule-based
    policy whose ladder moves ignore its type) give a likelihood constant over θ, and the
    posterior does not move: such moves carry no information about the type.

    Parameters
    ----------
    posterior, base : array_like
        ``[..., K]``: the current posterior and the prior the type is redrawn from.
    choice : array_like
        ``[..., S, K, 3]`` (broadcastable): P(intended move | what it saw of i, type).
    seen : array_like
        ``[..., S]``: i's belief about what the other saw of i's last move.
    observed : array_like
        ``[...]``: the move perceived, in {-1, 0, 1}.
    error, noise, incident, friction, at_bottom, at_top : array_like
        As in :func:`move_likelihood`, ``[...]``.
    floor, redraw : float
        η and ε.

    Returns
    -------
    numpy.ndarray
        ``[..., K]``, the posterior after the move. Source: Bayes' rule over types (Kydd 2005,
        ch. 2) with one level of reasoning about the other (Stahl & Wilson 1995). Valid for a
        posterior and base on the simplex, η in (0, 1), ε in [0, 1].
    """
    # likelihood_of(move_likelihood(...), observed), computed for the observed move only: the
    # column O[:, o] first, then M O[:, o] in each place on the ladder, then the choice
    # probabilities (elementwise sums in a fixed order, as _matmul3, so that a row gives the
    # same bits alone or among others).
    probs = np.asarray(choice, dtype=float)
    weights = np.asarray(seen, dtype=float)
    o = np.clip(np.asarray(observed), -1, 1) + 1
    n = np.asarray(noise, dtype=float)[..., None]
    iota = np.asarray(incident, dtype=float)[..., None]
    a, b, c, d = (m.T[o] for m in _OBS)  # O's column o, over the made change
    column = (1.0 - iota) * (a + n * b) + iota * (c + n * d)
    interior, low, high = (_times(m, column) for m in _implementation_places(error, friction))
    bottom = np.asarray(at_bottom, dtype=bool)[..., None]
    top = np.asarray(at_top, dtype=bool)[..., None]
    made = np.where(bottom, low, np.where(top, high, interior))  # [..., 3] over the intent
    intended = np.asarray(
        sum(weights[..., s, None, None] * probs[..., s, :, :] for s in range(probs.shape[-3]))
    )
    lik = _times(intended, made)
    return bayes_types(posterior, (1.0 - floor) * lik + floor / 3.0, base, redraw)


def _times(m: Array, v: Array) -> Array:
    """``m @ v``: ``[..., r, 3]`` times ``[..., 3]`` gives ``[..., r]``, summed in a fixed order."""
    return m[..., 0] * v[..., None, 0] + m[..., 1] * v[..., None, 1] + m[..., 2] * v[..., None, 2]


def posterior_mean(posterior: ArrayLike, values: ArrayLike) -> Array:
    """The mean of a type's value under a belief: ``Σ_k π_k v_k`` over the last axis.

    With ``values`` the other power's cost grid (per joint type), the expected cost of war of
    the other as i believes it: the ``posterior_mean_cost`` column of the timeseries. Valid for
    a belief on the simplex.
    """
    return (np.asarray(posterior, dtype=float) * np.asarray(values, dtype=float)).sum(axis=-1)


def lie_pays(gain: ArrayLike, reputation: ArrayLike, detection: ArrayLike) -> Array:
    """Whether a strategic sender lies: ``gain > detection · reputation``.

    A strategic (not honest) type misstates its type when what the lie gains now exceeds what
    it expects to lose: the value of its reputation for honesty times the probability the lie
    is found out (Sartori 2002, "The might of the pen", IO 56:121-149; 2005, *Deterrence by
    Diplomacy*). With no reputation to lose, every type that gains from a lie tells it, and
    talk between opposed interests informs only through the honest types (Crawford & Sobel
    1982). Detection is higher over a private channel, where deeds are checked against words.
    Valid for non-negative reputation and detection in [0, 1].
    """
    return np.asarray(gain, dtype=float) > np.asarray(detection, dtype=float) * np.asarray(
        reputation, dtype=float
    )


def message_likelihood(
    read: ArrayLike,
    truthful: ArrayLike,
    honest: ArrayLike,
    lies: ArrayLike,
    favourable: ArrayLike,
    misread: ArrayLike,
    n_claims: int,
    floor: float = LIKELIHOOD_FLOOR,
) -> Array:
    """``L_k = P(the claim is read as c | the sender's type is k)``, over the last axis (types).

    A claim is one of ``n_claims`` categories (e.g. brackets of the cost of war). Type k sends
    its truthful claim ``truthful[k]`` if it is honest or if lying does not pay
    (:func:`lie_pays`), and the claim it would most like to be believed, ``favourable``,
    otherwise; the claim is misread, as any other category with equal probability, with the
    path's misread probability; then the floor η, as in :func:`move_likelihood`::

        sent_k = truthful_k  if honest_k or not lies_k  else favourable
        L_k    = (1 - η) [(1 - μ) [c = sent_k] + μ/(C - 1) [c ≠ sent_k]] + η / C

    Credibility thus follows from incentives: when every strategic type lies, a claim separates
    only the honest types (cheap talk between opposed interests informs little, Crawford &
    Sobel 1982); when lying costs a reputation worth more than the gain, strategic types tell
    the truth and private diplomacy is credible (Sartori 2005; Kurizaki 2007; Trager 2010).
    Valid for ``n_claims >= 2``, misread in [0, 1], η in [0, 1).
    """
    sent = np.where(
        np.asarray(honest, dtype=bool) | ~np.asarray(lies, dtype=bool),
        np.asarray(truthful),
        np.asarray(favourable)[..., None],
    )
    mu = np.asarray(misread, dtype=float)[..., None]
    match = np.asarray(read)[..., None] == sent
    lik = np.where(match, 1.0 - mu, mu / (n_claims - 1))
    return (1.0 - floor) * lik + floor / n_claims


def offer_likelihood(
    read: ArrayLike,
    offers: ArrayLike,
    misread: ArrayLike = 0.0,
    possible: ArrayLike = True,
    floor: float = LIKELIHOOD_FLOOR,
) -> Array:
    """``L_k = P(the offer is read in the bracket of ô | the maker's type is k)``, last axis types.

    An offer is evidence about its maker's type when the maker's offer rule depends on its type
    (docs/decision-v2.md §3.6, last bullet: the ``bargaining`` policy's fallback, the annuity of
    the best rung it can hold, rests on its own war value). ``offers[k]`` is the share type k
    would have offered (NaN: none), as the receiver models the maker. The outcomes are
    *brackets*, as a claim's categories are brackets of the cost grid (§3.5): the distinct
    offers ``v_1 < … < v_m`` of the ``possible`` types cut the line at their midpoints, so type
    k's bracket is the interval of shares nearer to its offer than to any other possible type's
    (a read as near to two goes to the larger's, compared by distance so that an offer read
    exactly is in its own bracket even where a midpoint rounds onto it); "no offer" (NaN) is
    one more outcome when some possible type would make none. An offer ``o`` is read as ``ô =
    clip(o + μ(2u - 1), 0, 1)`` with u uniform (``Crisis._offers``; μ = 0 over a private path
    and in the perfect-information twin), so ``o + μ(2u - 1)`` is uniform on ``[o - μ, o + μ]``
    and the mass clipped to 0 or 1 lands in the first or the last bracket (each holds its end
    of [0, 1]). With ``[a, b)`` the bracket of ô (``a = -∞`` for the first, ``b = +∞`` for the
    last)::

        L_k = |[o_k - μ, o_k + μ] ∩ [a, b)| / 2μ     μ > 0
        L_k = [o_k is in [a, b)]                      μ = 0
        L_k = [o_k is NaN]                            ô is NaN (no offer, or a withdrawal)
        L'_k = (1 - η) L_k + η / n

    with n the number of outcomes (brackets, plus "none" if some possible type makes none), so
    that ``L'`` sums to 1 over them, as :func:`message_likelihood`'s floor does over its
    categories; a type whose offer is NaN gives a read share 0 before the floor. With a single
    outcome (every possible type offers alike) ``L' = 1``: the offer says nothing.

    Source: Bayes' rule on a costly signal. An offer is not cheap talk: a more resolved type
    (a higher fallback) demands more because it fears refusal less, so the demand separates
    types (Fearon 1995, the risk-return trade-off; Bayes over types as in Kydd 2005, ch. 2); the
    public read noise garbles it, so a public offer informs less than a private one.

    *Departure: brackets, not the read's density.* Exact Bayes on ô would use its density,
    ``1/2μ`` on ``[o_k - μ, o_k + μ]`` (and the clipped atoms), which (a) gives no probability
    to mix with a floor over outcomes, and (b) with μ = 0 calls an offer impossible under every
    type unless it equals some type's modelled offer to the bit; the maker offers on its own
    posterior while the receiver models it on its prior (one level, §3.4), so the offer made
    is often near, not at, a modelled one. A bracket reads it as "the offer of the type it is
    nearest to". Valid for offers and ô in [0, 1] or NaN, μ in [0, 1] and η in [0, 1), with at
    least one possible type; the sum over outcomes is 1 for the possible types.

    Parameters
    ----------
    read : array_like
        ``[...]``: the offer as read, ô (NaN: none).
    offers : array_like
        ``[..., K]``: the offer of each of the maker's joint types (NaN: none).
    misread : array_like
        ``[...]``: μ, the half-width of the read noise.
    possible : array_like
        ``[..., K]`` (broadcastable): the types with prior mass, whose offers make the
        brackets; the others' likelihoods are computed alike and are finite.
    floor : float
        η.

    Returns
    -------
    numpy.ndarray
        ``[..., K]``, each in ``(0, 1]`` when η > 0.
    """
    o = np.asarray(offers, dtype=float)
    possible = np.broadcast_to(np.asarray(possible, dtype=bool), o.shape)
    valid = possible & ~np.isnan(o)
    r = np.asarray(read, dtype=float)[..., None]
    mu = np.asarray(misread, dtype=float)[..., None]
    cuts = np.where(valid, o, np.nan)  # the offers that make the brackets
    # The bracket of ô is that of the offer nearest to it (a tie to the larger): compared by
    # distance, not against the midpoints, so that an offer read exactly is always in its own
    # bracket even where a midpoint rounds onto it.
    with np.errstate(invalid="ignore"):
        dist = np.where(valid, np.abs(r - cuts), np.inf)
        dist = np.where(np.isnan(dist), np.inf, dist)
    nearest = dist.min(axis=-1, keepdims=True)
    found = np.isfinite(nearest)
    v = np.where(dist == nearest, cuts, -np.inf).max(axis=-1, keepdims=True)
    # A tiny μ makes a quotient overflow to ±inf, which the clip takes to 0 or 1 as it should.
    with np.errstate(invalid="ignore", over="ignore"):
        a = (v + np.where(cuts < v, cuts, -np.inf).max(axis=-1, keepdims=True)) / 2.0
        b = (v + np.where(cuts > v, cuts, np.inf).min(axis=-1, keepdims=True)) / 2.0
        width = np.where(mu > 0.0, 2.0 * mu, 1.0)
        spread = np.clip((b - o + mu) / width, 0.0, 1.0) - np.clip((a - o + mu) / width, 0.0, 1.0)
        exact = np.where(valid, o == v, (a <= o) & (o < b))
    share = np.where(mu > 0.0, spread, exact)
    lik = np.where(np.isnan(r), np.isnan(o), np.where(found & ~np.isnan(o), share, 0.0))
    earlier = np.tri(o.shape[-1], k=-1, dtype=bool)  # [k, k']: k' < k
    repeated = ((cuts[..., None, :] == o[..., :, None]) & earlier).any(axis=-1)
    n = (valid & ~repeated).sum(axis=-1) + (possible & np.isnan(o)).any(axis=-1)
    return (1.0 - floor) * lik + floor / np.maximum(n, 1)[..., None]


# -- bargaining -----------------------------------------------------------------------------
def accepts(share: ArrayLike, reservation: ArrayLike) -> Array:
    """Whether a responder accepts a share x of the stakes: ``x >= r`` (ties accept).

    r is its reservation share: the annuity of what refusing is worth to it (``1 - p - c`` when
    refusing means war, Fearon 1995; its continuation value's annuity when refusing means the
    crisis goes on). Accepting at indifference is the convention under which the proposer's
    problem has a maximum (as in Fearon 1995). Valid for any reals.
    """
    return np.asarray(share, dtype=float) >= np.asarray(reservation, dtype=float)


def acceptance_probability(share: ArrayLike, reservation: ArrayLike, posterior: ArrayLike) -> Array:
    """Probability that a share x is accepted under a belief over the responder's types.

    ``P(accept | x) = Σ_k π_k [x >= r_k]`` over the last axis (types). Non-decreasing in x, and
    in each type's cost of war when refusing means war (a costlier war lowers r_k = 1 - p - c_k).
    Valid for a posterior on the simplex.
    """
    ok = accepts(np.asarray(share, dtype=float)[..., None], reservation)
    return np.where(ok, np.asarray(posterior, dtype=float), 0.0).sum(axis=-1)


class Offer(NamedTuple):
    """The proposer's best take-it-or-leave-it offer (:func:`best_offer`)."""

    share: Array  # the share of the stakes offered to the responder
    accept: Array  # the probability it is accepted, under the proposer's belief
    value: Array  # the proposer's expected annuity


def best_offer(reservation: ArrayLike, fallback: ArrayLike, posterior: ArrayLike) -> Offer:
    """The take-it-or-leave-it offer that maximises the proposer's expected annuity.

    The responder of type k accepts a share s iff ``s >= r_k``; the proposer keeps ``1 - s``
    if accepted and gets its fallback f (the annuity of refusal: ``p - c_A`` for war) if not::

        s* = argmax_s  P(s) (1 - s) + (1 - P(s)) f,    P(s) = Σ_k π_k [s >= r_k]

    Between two reservations P is constant and the objective falls in s, so the optimum is one
    of the candidates ``clip(r_k, 0, 1)`` or 0; they are all evaluated (over the last axis).
    Ties go to the candidate more likely to be accepted. This is the risk-return trade-off of
    Fearon (1995, "War due to private information and incentives to misrepresent"): a larger
    demand is worth more if accepted and is refused by more types; under complete information
    (a point posterior) the offer is the responder's reservation, accepted for sure whenever a
    bargain both prefer to war exists (``1 - r >= f``). Valid for a posterior on the simplex
    and ``f <= 1``.
    """
    r = np.asarray(reservation, dtype=float)
    pi = np.asarray(posterior, dtype=float)
    f = np.asarray(fallback, dtype=float)
    candidates = np.concatenate([np.zeros((*r.shape[:-1], 1)), np.clip(r, 0.0, 1.0)], axis=-1)
    ok = r[..., None, :] <= candidates[..., :, None]
    p_accept = np.where(ok, pi[..., None, :], 0.0).sum(axis=-1)
    value = p_accept * (1.0 - candidates) + (1.0 - p_accept) * f[..., None]
    best = value.max(axis=-1, keepdims=True)
    near = value >= best - 1e-12 * (1.0 + np.abs(best))
    pick = np.argmax(np.where(near, p_accept, -1.0), axis=-1)[..., None]
    take = lambda a: np.take_along_axis(a, pick, -1)[..., 0]  # noqa: E731
    return Offer(share=take(candidates), accept=take(p_accept), value=take(value))


def fearon_demand(
    p: ArrayLike, cost_a: ArrayLike, cost_b: ArrayLike, posterior_b: ArrayLike
) -> Offer:
    """Fearon's take-it-or-leave-it demand by A against B's privately known cost, on a grid.

    A proposes; B of cost ``c_k`` accepts a share s iff ``s >= 1 - p - c_k`` (its war value's
    annuity, p = P(A wins)); a refusal is war, worth ``p - c_A`` to A. :func:`best_offer` with
    these reservations; A's *demand* is ``1 - share``. The continuous uniform case has a closed
    form (:func:`escalsim.core.known_answers.fearon_demand_uniform`), which this converges to as
    the grid is refined. Source: Fearon (1995). Valid for p in [0, 1], costs >= 0.
    """
    p = np.asarray(p, dtype=float)
    reservation = 1.0 - p[..., None] - np.asarray(cost_b, dtype=float)
    return best_offer(reservation, p - np.asarray(cost_a, dtype=float), posterior_b)


# -- brinkmanship ---------------------------------------------------------------------------
def brink_rounds(resolve: ArrayLike, risk: ArrayLike) -> Array:
    """Rounds at a brink of per-round risk r that a side of resolve ρ will hold.

    ``n* = floor(log(1 - ρ) / log(1 - r))``, the largest n with ``1 - (1 - r)^n <= ρ``: it holds
    while the cumulative risk stays within its resolve (Schelling 1960, ch. 8; Powell 1987).
    ρ = 1 or r = 0 gives ∞ (it never gives way); ρ = 0 gives 0. The ``1e-12`` guards the floor
    against rounding at exact powers, as in
    :func:`escalsim.core.known_answers.brinkmanship_war_probability`. Valid for ρ, r in [0, 1].
    """
    rho = np.asarray(resolve, dtype=float)
    r = np.asarray(risk, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.floor(np.log1p(-np.minimum(rho, 1.0)) / np.log1p(-np.minimum(r, 1.0)) + 1e-12)
    n = np.where(r <= 0.0, np.inf, n)
    n = np.where((rho <= 0.0) | (r >= 1.0), 0.0, n)
    return np.where(rho >= 1.0, np.inf, n)


def bearable(cumulative: ArrayLike, risk: ArrayLike, resolve: ArrayLike) -> Array:
    """Whether one more round at risk r keeps the cumulative risk within resolve ρ.

    ``1 - (1 - ρ_t)(1 - r) <= ρ``, with :func:`escalsim.core.dynamics.cumulative_risk`: the rule
    of the brinkmanship policy, which stays as it is in v2 (its resolve is its type).
    """
    return dx.cumulative_risk(cumulative, risk) <= np.asarray(resolve, dtype=float)


# -- the options of a decision --------------------------------------------------------------
def quit_probability(
    posterior: ArrayLike, advantage: ArrayLike, precision: ArrayLike = np.inf, scale: float = 1.0
) -> Array:
    """Probability that the other side quits next round, under i's belief about its type.

    ``q = Σ_k π_k σ(λ s A_k)`` over the last axis, where ``A_k = V_quit(k) - H(k)`` is what
    quitting (accepting i's offer, or conceding) is worth to type k over holding on
    (:func:`hold_value`), s the scale that turns values into annuities (``1 - δ``) and σ the
    logistic function: the other's logit response of precision λ (McKelvey & Palfrey 1995), one
    level deep. λ = ∞ is a best response: ``q = Σ_k π_k [A_k >= 0]``. This is how escalation
    coerces in the model: a higher risk lowers H for the types that fear war most, and they
    quit (Powell 1990). λ is a scalar, or shaped like ``advantage`` without its last axis.
    Valid for λ >= 0.
    """
    adv = np.asarray(advantage, dtype=float) * scale
    lam = np.asarray(precision, dtype=float)[..., None]
    if np.ndim(precision) == 0 and adv.ndim >= 1:
        # One λ for all (every caller's case): the same operations, in place on ``adv`` (this
        # call's own array), without the masks of the general case; the same numbers to the
        # bit (tests/test_war_values.py).
        return (np.asarray(posterior, dtype=float) * _quit_shares(adv, float(lam[0]))).sum(axis=-1)
    finite = np.isfinite(lam)
    # The logit where λ is finite; where it is not, the best response (the logit's operands are
    # zeroed there, so that an infinite advantage, "quitting worth nothing", stays defined).
    # λ = 0 is a uniform response whatever the advantage, an infinite one included (0 · ∞ is
    # taken as 0, the limit of the logit as λ → 0 at any advantage).
    lam_f = np.where(finite, lam, 0.0)
    with np.errstate(invalid="ignore"):
        z = np.where(lam_f > 0.0, lam_f * np.where(finite, adv, 0.0), 0.0)
    soft = 0.5 * (1.0 + np.tanh(0.5 * z))
    share = np.where(finite, soft, (adv >= 0.0).astype(float))
    return (np.asarray(posterior, dtype=float) * share).sum(axis=-1)


def _quit_shares(adv: Array, lam: float) -> Array:
    """:func:`quit_probability`'s per-type shares for one λ, computed in place in ``adv``."""
    if not np.isfinite(lam):  # a best response (λ = ∞; NaN as the general case takes it)
        return (adv >= 0.0).astype(float)
    if not lam > 0.0:  # λ = 0: a uniform response whatever the advantage
        adv.fill(0.5)
        return adv
    z = np.multiply(lam, adv, out=adv)
    np.multiply(0.5, z, out=z)
    np.tanh(z, out=z)
    np.add(1.0, z, out=z)
    return np.multiply(0.5, z, out=z)


class Reply(NamedTuple):
    """What the other counts on from i when it weighs quitting (``beliefs.continuation: mutual``).

    The other, deciding whether to quit against i's rung, expects i in turn to quit each round
    with the probability i's types would (:func:`reply_quit_probability`), judged with the
    other's belief about i's types, which i models as its prior (common knowledge; the
    reservations take i's types the same way).

    Attributes
    ----------
    share : array_like
        i's status-quo share ``q_i`` ``[...]``.
    war : array_like
        ``[..., L]``: i's war value per type of i.
    prior : array_like
        ``[..., L]``: the other's belief over i's types (i's prior).
    quit : array_like
        ``[..., L]``: what quitting (accepting the other's standing offer, or conceding) is
        worth to each type of i.
    prevail : array_like
        ``[..., K]`` (or ``[...]``): what the other gets if i quits, per type of the other.
    precision : float
        The precision the other attributes to i's quitting decision (∞: a best response).
    """

    share: ArrayLike
    war: ArrayLike
    prior: ArrayLike
    quit: ArrayLike
    prevail: ArrayLike
    precision: float = np.inf


def reply_quit_probability(
    reply: Reply,
    costs: Array,
    war_risk: Array,
    war_rung: int | None,
    delta: float,
    imposed: Array | None = None,
) -> Array:
    """``Q_i(y″)``: the chance the other gives i's quitting next round, the other at y″.

    ``Q_i(y″) = Σ_τ π(τ) σ(λ_i (1 − δ)(V_quit_i(τ) − H_i⁰(τ; y″)))`` with
    ``H_i⁰(τ; y″) = max_x″ hold_value(q_i − k(x″), r(x″, y″), W_i(τ), δ)``: each type of i
    compares quitting with its best stationary way of going on against y″ (any rung, or war),
    counting on no quitting by the other (level 0). The same rule as :func:`quit_probability`
    with :func:`best_continuation`, the roles exchanged. Source: level-k reasoning (Stahl &
    Wilson 1995, Games and Economic Behavior 10:218-254; Camerer, Ho & Chong 2004, QJE
    119:861-898): the other reasons one level deeper than i's level-1 model of it. Valid for
    shares in [0, 1], costs ≥ 0, risks in [0, 1], δ in [0, 1).

    Returns
    -------
    numpy.ndarray
        ``[..., Y]`` over the other's rungs ``y″`` from 0 up to the war rung (every rung when
        there is none).
    """
    top = len(costs) - 1 if war_rung is None else war_rung
    # i's best stationary continuation against each y″: best_continuation with the roles
    # exchanged (the risk of two rungs is that of the higher, symmetric in the two).
    stay = best_continuation(
        reply.share,
        np.arange(top + 1),
        costs,
        war_risk,
        war_rung,
        reply.war,
        delta,
        imposed=imposed,
    )  # [..., Y, L]: with ``imposed``, i's flow against y″ less what y″ imposes on it
    return _quit_chance(reply.prior, reply.quit, stay, reply.precision, delta)


def _halves_alike(a: Array) -> bool:
    """Whether ``a`` (float64, last axis of even length K) is its first K/2 columns twice, bitwise.

    Compared by the values' bits: ``-0.0`` is not ``0.0``, and NaNs must share their bits.
    """
    half = a.shape[-1] // 2
    bits = a.view(np.uint64)
    return bool(np.array_equal(bits[..., :half], bits[..., half:]))


#: :func:`_quit_once_per_type` computes the types' halves once from this many war values
#: (fewer: every column, which costs less than the checks and the repeat on a small batch).
HALVES_MIN = 2048


def _quit_once_per_type(
    posterior_j: ArrayLike,
    war_j: ArrayLike,
    quit_j: ArrayLike,
    precision_j: Any,
    delta: float,
    stay: Callable[[Array], Array | None],
) -> Array | None:
    """:func:`ladder_utilities`'s ``Q(x′)`` computed once per distinct type of the other, or None.

    ``Q(x′) = Σ_θ π(θ) σ(λ (1 − δ)(V_quit(θ) − H_j(θ, x′)))`` (:func:`_quit_chance`), with
    ``H_j = stay(W_j)`` ``[..., M, K]`` computed column by column from the war values
    (:func:`hold_value`, or :func:`_best_hold`'s best continuation). The other's joint types
    are its cost types once per honesty type, so ``war_j`` and ``quit_j`` (``[..., K]``) are
    often their first K/2 columns twice, bit for bit (:func:`_halves_alike`). Then
    ``H_j`` and each type's quitting share (:func:`quit_probability`'s one-λ operations:
    ``(V_quit − H_j)(1 − δ)``, :func:`_quit_shares`) are computed on the first K/2 columns and
    repeated, and the sum over the types weighted by ``posterior_j`` runs over all K columns,
    as in :func:`_quit_chance` (its products in place: :func:`_weighted_twice`). Each column
    is computed by the same operations on the same operands (elementwise arithmetic, and tanh,
    whose bits do not depend on where a value stands in an array; a maximum only where
    :func:`_best_hold` proves it exact), so these are its numbers to the bit. None where the
    halves differ in a bit, K is odd, λ is not one number or ``stay`` declines (None): the
    caller computes every column.
    tests/test_perf_kernel2.py compares the two.
    """
    if np.ndim(precision_j) != 0:
        return None
    w_j = np.asarray(war_j, dtype=float)
    quit = np.asarray(quit_j, dtype=float)
    k = w_j.shape[-1] if w_j.ndim else 0
    if k < 2 or k % 2 or quit.ndim == 0 or quit.shape[-1] != k or w_j.size < HALVES_MIN:
        return None
    if not (_halves_alike(w_j) and _halves_alike(quit)):
        return None
    half = k // 2
    held = stay(w_j[..., :half])
    if held is None:
        return None
    shares = _quit_shares((quit[..., None, :half] - held) * (1.0 - delta), float(precision_j))
    prior = np.asarray(posterior_j, dtype=float)[..., None, :]
    q = _weighted_twice(prior, shares).sum(axis=-1)
    return np.where(np.isneginf(quit).all(axis=-1)[..., None], 0.0, q)


def _weighted_twice(prior: Array, shares: Array) -> Array:
    """``prior * np.concatenate((shares, shares), axis=-1)``, without the concatenation.

    Each half of the products written where the product of the concatenation puts it, a
    C-ordered array, as numpy lays out the product of C-ordered operands (the concatenation
    is; ``prior`` where its strides are, :func:`_c_ordered`): the same numbers in the same
    places, so that a sum over the last axis adds them in the same order. Elsewhere (or for a
    ``prior`` of one type, broadcast) the product of the concatenation itself.
    """
    half = shares.shape[-1]
    if prior.shape[-1] != 2 * half or not _c_ordered(prior):
        return prior * np.concatenate((shares, shares), axis=-1)
    out = np.empty(np.broadcast_shapes(prior.shape, (*shares.shape[:-1], 2 * half)))
    np.multiply(prior[..., :half], shares, out=out[..., :half])
    np.multiply(prior[..., half:], shares, out=out[..., half:])
    return out


def _c_ordered(a: Array) -> bool:
    """Whether the strides of ``a``'s axes that step (length above 1, stride not 0) decrease.

    And are positive: the order of a C-contiguous array's axes, or of its broadcast view.
    """
    steps = [st for st, n in zip(a.strides, a.shape, strict=True) if n > 1 and st != 0]
    return all(st > 0 for st in steps) and all(s > t for s, t in itertools.pairwise(steps))


def _quit_chance(
    prior: ArrayLike, quit: ArrayLike, stay: Array, precision: float, delta: float
) -> Array:
    """``Σ_k π_k σ(λ (1 − δ)(V_quit(k) − H(k)))`` against each continuation ``stay[..., M, K]``.

    :func:`quit_probability` of quitting (``quit[..., K]``) against staying, ``[..., M]``; 0
    where quitting is worth −∞ to every type: the side cannot quit next round (the talks are
    closed, or it has neither an offer to accept nor the right to concede), whatever the
    precision (a uniform response, λ = 0, would give it 1/2).
    """
    quit = np.asarray(quit, dtype=float)
    q = quit_probability(
        np.asarray(prior, dtype=float)[..., None, :],
        quit[..., None, :] - stay,
        precision,
        1.0 - delta,
    )
    return np.where(np.isneginf(quit).all(axis=-1)[..., None], 0.0, q)


def ladder_utilities(
    x: ArrayLike,
    y_next: ArrayLike,
    costs: Array,
    war_risk: Array,
    war_rung: int | None,
    jump: int,
    share: ArrayLike,
    war: ArrayLike,
    prevail: ArrayLike,
    delta: float,
    posterior_j: ArrayLike,
    war_j: ArrayLike,
    flow_j: ArrayLike,
    quit_j: ArrayLike,
    precision_j: float = np.inf,
    audience: ArrayLike = 0.0,
    committed: ArrayLike = False,
    line_crossed: ArrayLike = False,
    *,
    best_of_share: ArrayLike | None = None,
    reply: Reply | None = None,
    costs_j: Array | None = None,
    reply_share: float = 1.0,
    imposed: Array | None = None,
    withdrawal: Withdrawal | None = None,
) -> Array:
    """Value of each ladder move (step down, hold, step up, jump) with a one-round look-ahead.

    For the rung ``x' = target_rung(x, m)`` of each candidate m, with the adversary expected at
    ``ŷ'`` next round::

        r(x')   = P_war(x', ŷ')                      risk of the rungs held (1 at the war rung)
        f(x')   = q_i - k(x')                        status-quo share minus posture cost
        H(x')   = hold_value(f(x'), r(x'), W_i, δ)   stated continuation: both postures held
        Q(x')   = Σ_θ π(θ) [V_quit(θ) >= H_j(θ, x')] the other quits (quit_probability)
        U(x')   = r W_i + (1 - r)[f + δ (Q V_prevail + (1 - Q) H)]
                  - D [x' < x and committed] - D [x' <= x and red line crossed, unanswered]

    with ``H_j(θ, x') = hold_value(f_j, r(x'), W_j(θ), δ)``: the other holding its current rung
    for ever (``beliefs.continuation: hold``, version 2 as built); or, given ``best_of_share``
    (``beliefs.continuation: best``), ``H_j(θ, x') = max_y″ hold_value(q_j - k(y″), r(x', y″),
    W_j(θ), δ)``, its best continuation (:func:`best_continuation`: it may sit at any rung, or
    fight; docs/decision-v2.md §3.7). A move onto the war rung has r = 1
    and is worth exactly W_i: war is a costly lottery (Fearon 1995), not a rung's weekly cost,
    and no term rewards "closing a gap". Escalation pays only through the other's quitting
    (Powell 1990) against its own risk and cost; backing down while publicly committed costs
    the audience cost D (Fearon 1994), and so does not answering when the other is seen at or
    above one's declared red line: a red line is a public commitment that ties hands (Fearon
    1997, "Signaling foreign policy interests", JCR 41:68-90; Schelling 1966, ch. 2).

    Parameters
    ----------
    x : array_like
        Own rung ``[...]``.
    y_next : array_like
        The adversary's expected rung next round ``[...]`` (may be fractional).
    costs, war_risk : numpy.ndarray
        Per-rung posture cost (a flow, in units of the stakes) and per-round war risk.
    war_rung : int or None
        The war rung (None: no war rung).
    jump : int
        Rungs climbed by a jump.
    share : array_like
        i's status-quo share of the stakes while the crisis lasts ``[...]``.
    war : array_like
        W_i, i's value of the war state (:func:`war_value`) ``[...]``.
    prevail : array_like
        i's value if the other quits ``[...]`` (its demand's :func:`settlement_value`).
    delta : float
        Discount factor δ in [0, 1).
    posterior_j : array_like
        ``[..., K]``: i's belief over the other's types.
    war_j, quit_j : array_like
        ``[..., K]``: the other's war value and value of quitting, per type.
    flow_j : array_like
        The other's flow while the crisis lasts (its share minus its posture cost) ``[...]``.
    precision_j : float
        The precision i attributes to the other's quitting decision (∞: a best response).
    audience, committed : array_like
        i's audience cost and whether it is publicly committed ``[...]``.
    line_crossed : array_like
        Whether the other is perceived at or above i's red line and i has not answered that
        crossing yet (climbed since it saw it) ``[...]``.
    best_of_share : array_like, optional
        The other's status-quo share ``[...]``: given, the other's alternative to quitting is
        its best continuation (:func:`best_continuation`), and ``flow_j`` is not read.
    reply : Reply, optional
        With ``best_of_share``: the other's best continuation counts on i's quitting in turn
        (:func:`best_continuation` with ``reply``; ``beliefs.continuation: mutual``).
    costs_j : numpy.ndarray, optional
        The other's per-rung posture cost, for its best continuation (default ``costs``: one
        ladder for both). They differ where a fait accompli holds the stakes
        (:func:`held_stakes`: the holder's stakes given up below its rung count as a cost).
    reply_share : float
        With ``reply``: the probability w that the other counts on i's quitting (level 2); with
        1 - w it does not (level 1), and the other's quitting is the mix
        ``Q = (1 - w) Q_best + w Q_mutual`` (``beliefs.continuation: mixed``; a cognitive
        hierarchy of the two levels, Camerer, Ho & Chong 2004, QJE 119:861-898). Default 1:
        the reply alone (``mutual``). Valid in [0, 1].
    imposed : numpy.ndarray, optional
        ``[n_rungs]``: the flow cost each rung imposes on the other side while held
        (``imposed_cost``: a blockade, sanctions; docs/decision-v2.md §3.11). Given, the
        other's flow under i's candidate rung x′ is ``f_j − m(x′)``: ``flow_j`` and
        ``best_of_share`` are then the other's flow and share *before* i's rung imposes
        anything, and ``share`` is i's share after what the other's rung imposes on it.
        Default: nothing imposed.
    withdrawal : Withdrawal, optional
        With ``best_of_share``: the other holds the stakes by a posture at rung R and may quit
        by withdrawing below it, talks or not (docs/decision-v2.md §3.10, "Withdrawing is
        quitting"). Its ways of going on are then the rungs from R up,
        ``H_stay(θ, x′)``; its ways of quitting are the talks' (``quit_j``) and the best rung
        below R, ``H_wd(θ, x′)``, so it quits with ``Q = Σ π σ(λ(1 − δ)(max(V_quit,
        H_wd) − H_stay))``; where the talks' way is the better one i prevails as before, where
        withdrawing is, i holds the whole stakes: ``hold_value(f(x′) + gain, r(x′), W_i, δ)``.
        Default: the other's quitting is the talks' alone.

    Returns
    -------
    numpy.ndarray
        ``[..., 4]`` values (discounted sums), in the order of ``dynamics.CANDIDATE_MOVES``.

    Notes
    -----
    *Departures.* The look-ahead is one round with a stationary continuation (Powell's models
    solve the whole game; the model needs a rule every policy can evaluate in microseconds and
    that stays a best response when the crisis is stationary). The other's quitting decision is
    modelled at one level: it compares quitting with holding on for ever (or, with
    ``best_of_share``, with its best stationary continuation), not with its own look-ahead.
    Holding its *current* rung is the departure that docs/decision-v2.md §3.7 ("Open finding")
    documents: where that rung costs more than the other's share, every type is expected to
    quit.

    *Computation.* Where the other's types repeat (its joint types are its cost types once per
    honesty type, so ``war_j`` and ``quit_j`` are their first K/2 columns twice), ``H_j`` and
    each type's quitting share are computed once per distinct type and ``Q`` sums over all K
    as written (:func:`_quit_once_per_type`): the same numbers to the bit.
    """
    x_arr, xp, r, f, w_i, hold = _rungs_held(
        x, y_next, costs, war_risk, war_rung, jump, share, war, delta
    )
    other_costs = costs if costs_j is None else costs_j

    def going_on(answer: Reply | None, between: tuple[int, int] | None = None) -> Array:
        """The other's best continuation against each x′ (given ``answer``, among ``between``)."""
        assert best_of_share is not None  # called only where the other may take its best way
        return best_continuation(
            best_of_share,
            xp,
            other_costs,
            war_risk,
            war_rung,
            war_j,
            delta,
            answer,
            costs_i=costs,
            imposed=imposed,
            between=between,
        )

    if best_of_share is not None and withdrawal is not None:
        # The holder's quitting by the talks or by withdrawing (docs/decision-v2.md §3.10).
        talks = np.asarray(quit_j, dtype=float)[..., None, :]
        prior = np.asarray(posterior_j, dtype=float)[..., None, :]

        def parts(answer: Reply | None) -> tuple[Array, Array]:
            """(Q by the talks' way, Q by withdrawing) against the reply ``answer``."""
            stay = going_on(answer, (withdrawal.rung, len(costs)))
            leave = going_on(answer, (0, withdrawal.rung - 1))
            gives_up = np.maximum(talks, leave)
            q_all = quit_probability(prior, gives_up - stay, precision_j, 1.0 - delta)
            by_talks = np.where(talks >= leave, prior, 0.0)
            q_talks = quit_probability(by_talks, gives_up - stay, precision_j, 1.0 - delta)
            return q_talks, q_all - q_talks

        q_t, q_w = parts(reply)
        if reply is not None and reply_share < 1.0:
            q_t1, q_w1 = parts(None)
            q_t = reply_share * q_t + (1.0 - reply_share) * q_t1
            q_w = reply_share * q_w + (1.0 - reply_share) * q_w1
        # Once it has withdrawn the holder stands below R, so the risk is that of i's rung
        # against the holder's rung below R (its rung now, if lower), not above it.
        below = np.minimum(np.asarray(y_next, dtype=float), withdrawal.rung - 1)[..., None]
        r_w = dx.war_probability(war_risk, xp, below, war_rung)
        gain = np.asarray(withdrawal.gain, dtype=float)[..., None]
        gained = hold_value(f + gain, r_w, w_i, delta)
        later = (
            q_t * np.asarray(prevail, dtype=float)[..., None]
            + q_w * gained
            + (1.0 - q_t - q_w) * hold
        )
        value = r * w_i + (1.0 - r) * (f + delta * later)
        return value - _audience_penalty(x_arr, xp, audience, committed, line_crossed)
    if best_of_share is None:
        f_j = np.asarray(flow_j, dtype=float)[..., None]
        if imposed is not None:
            f_j = f_j - imposed[xp]  # what i's candidate rung imposes on the other

        def stay(w_j: Array) -> Array | None:
            """The other holding its rung, per type: ``hold_value(f_j, r(x′), W_j, δ)``."""
            return hold_value(f_j[..., None], r[..., None], w_j[..., None, :], delta)

    else:

        def stay(w_j: Array) -> Array | None:
            """Its best continuation by :func:`_best_hold` (None: the general code's case)."""
            if reply is not None or imposed is not None:
                return None
            return _best_hold_everywhere(
                best_of_share, xp, other_costs, war_risk, war_rung, w_j, delta
            )

    # The other's types computed once where they repeat (its cost types once per honesty type).
    q = _quit_once_per_type(posterior_j, war_j, quit_j, precision_j, delta, stay)
    if q is None:
        h_j = going_on(reply) if best_of_share is not None else stay(np.asarray(war_j, dtype=float))
        assert h_j is not None  # hold_value's continuation is always computed
        q = _quit_chance(posterior_j, quit_j, h_j, precision_j, delta)
    if best_of_share is not None and reply is not None and reply_share < 1.0:
        # A mix of the two levels: the level-1 other (no reply) with probability 1 - w.
        q_1 = _quit_chance(posterior_j, quit_j, going_on(None), precision_j, delta)
        q = reply_share * q + (1.0 - reply_share) * q_1
    value = lookahead_value(f, r, w_i, q, np.asarray(prevail, dtype=float)[..., None], hold, delta)
    return value - _audience_penalty(x_arr, xp, audience, committed, line_crossed)


def best_continuation(
    share_j: ArrayLike,
    xp: ArrayLike,
    costs: Array,
    war_risk: Array,
    war_rung: int | None,
    war_j: ArrayLike,
    delta: float,
    reply: Reply | None = None,
    *,
    costs_i: Array | None = None,
    imposed: Array | None = None,
    between: tuple[int, int] | None = None,
) -> Array:
    """The other's best way of staying in the crisis against i's rung x′, per type.

    ``H_j(θ, x′) = max_y″ hold_value(q_j − k(y″), r(x′, y″), W_j(θ), δ)`` over the other's
    rungs y″ from 0 up to the war rung (where r = 1 and the value is W_j(θ); every rung when
    there is none): the other may sit where it likes, at that rung's posture cost and under the
    risk of the higher of the two postures (:func:`escalsim.core.dynamics.war_probability`), or
    fight. This is the value the quitting decision of :func:`ladder_utilities` compares
    quitting with: the other quits only if quitting beats every way of going on, as in a
    best response (the same rule as the reservation, ``max_m U_j``, and the fallback,
    ``max_x′ H_i(x′)``; docs/decision-v2.md §3.7). Source: Powell (1990, ch. 2; 1987) —
    escalation coerces through the risk it imposes on every continuation of the other, not
    through the cost of the other's current posture. Valid for shares in [0, 1], costs ≥ 0,
    risks in [0, 1], δ in [0, 1).

    Given ``reply`` (``beliefs.continuation: mutual``), the other counts on i's quitting in
    turn: ``H_j(θ, x′) = max_y″ [r W_j(θ) + (1 − r)(f_j(y″) + δ Q_i(y″) V_prevail_j)]
    / [1 − δ (1 − r)(1 − Q_i(y″))]`` with ``r = r(x′, y″)``, ``f_j(y″) = q_j − k(y″)`` and
    ``Q_i(y″)`` from :func:`reply_quit_probability`: the stationary value of sitting at y″
    while each round war breaks out with probability r and otherwise i quits with probability
    ``Q_i`` (worth ``V_prevail_j`` to the other), solved from
    ``H = r W + (1 − r)(f + δ(Q V + (1 − Q) H))``; ``Q_i = 0`` is the value above. Why: without
    it the other is a state that never expects i to quit; where both sides' types fear war,
    each power then expects the other to quit at the top rungs and both climb there
    (docs/calibration.md, "Why they climbed to the strike rung"). Counting on i's quitting, the
    other holds on where i is the likelier to fold, so escalation coerces only a side less
    resolved than the one escalating, as in Powell (1990, ch. 2-3), where the less resolved
    side quits first. *Departure:* a level-2 model of the other (level-k, Stahl & Wilson 1995),
    not Powell's equilibrium.

    Parameters
    ----------
    share_j : array_like
        The other's status-quo share ``[...]``.
    xp : array_like
        i's candidate rungs ``[..., M]``.
    costs, war_risk : numpy.ndarray
        Per-rung posture cost (the other's: :func:`held_stakes`) and per-round war risk.
    war_rung : int or None
        The war rung (None: no war rung).
    war_j : array_like
        ``[..., K]``: the other's war value per type.
    delta : float
        Discount factor δ in [0, 1).
    reply : Reply, optional
        i as the other models it, counting on its quitting (``mutual``); None: it does not.
    costs_i : numpy.ndarray, optional
        i's own per-rung posture cost, for ``reply`` (default ``costs``: the same ladder).
    imposed : numpy.ndarray, optional
        ``[n_rungs]``: the flow cost each rung imposes on the other side while held
        (docs/decision-v2.md §3.11); given, the other's flow at y″ against i's x′ is
        ``q_j − m(x′) − k(y″)``, and i's against the other's y″ in the reply ``q_i − m(y″) −
        k(x″)``. Default: nothing imposed.
    between : (int, int), optional
        Only the other's rungs y″ from the first to the second (both included, within the
        range above): its best way of going on among them (a holder's ways of keeping the
        stakes, or of giving them up: :class:`Withdrawal`). Default: every rung.

    Returns
    -------
    numpy.ndarray
        ``[..., M, K]``.
    """
    top = len(costs) - 1 if war_rung is None else war_rung
    lo, hi = (0, top) if between is None else (between[0], min(between[1], top))
    rungs = np.arange(lo, hi + 1)
    xp_arr = np.asarray(xp)
    if reply is None and imposed is None:
        fast = _best_hold(share_j, xp_arr, costs, war_risk, war_rung, war_j, delta, rungs)
        if fast is not None:
            return fast
    risk = dx.war_probability(war_risk, xp_arr[..., None], rungs, war_rung)  # [..., M, Y]
    flow = np.asarray(share_j, dtype=float)[..., None, None] - costs[rungs]  # [..., 1, Y]
    if imposed is not None:
        flow = flow - imposed[xp_arr][..., None]  # [..., M, Y]: what i's x′ imposes on it
    w_j = np.asarray(war_j, dtype=float)[..., None, None, :]
    if reply is None:
        held = hold_value(flow[..., None], risk[..., None], w_j, delta)  # [..., M, Y, K]
    else:
        r = risk[..., None]
        mine = costs if costs_i is None else costs_i
        q = reply_quit_probability(reply, mine, war_risk, war_rung, delta, imposed)
        q = q[..., lo : hi + 1][..., None, :, None]
        prevail = np.asarray(reply.prevail, dtype=float)
        prevail = (prevail if prevail.ndim else prevail[None])[..., None, None, :]
        held = (r * w_j + (1.0 - r) * (flow[..., None] + delta * q * prevail)) / (
            1.0 - delta * (1.0 - r) * (1.0 - q)
        )
    return held.max(axis=-2)


def _best_hold_everywhere(
    share_j: ArrayLike,
    xp: ArrayLike,
    costs: Array,
    war_risk: Array,
    war_rung: int | None,
    war_j: ArrayLike,
    delta: float,
) -> Array | None:
    """:func:`best_continuation` over every rung without a reply or an imposed cost, or None.

    Its fast path (:func:`_best_hold`), over the rungs it reads without ``between``; None where
    that declines (the general code's case).
    """
    top = len(costs) - 1 if war_rung is None else war_rung
    rungs = np.arange(0, top + 1)
    return _best_hold(share_j, np.asarray(xp), costs, war_risk, war_rung, war_j, delta, rungs)


def _plain(a: Array) -> bool:
    """Whether every value of ``a`` is finite, below 1e300 in magnitude and not -0.0.

    Values whose maximum any order of comparisons gives to the bit: no NaN (whose bits a
    maximum may take from either operand) comes out of :func:`hold_value` on them, nor a -0.0
    (a maximum of 0.0 and -0.0 may keep either sign).
    """
    return bool(np.all(np.abs(a) < 1e300)) and not np.any(np.signbit(a) & (a == 0.0))


def _best_hold(
    share_j: ArrayLike,
    xp: Array,
    costs: Array,
    war_risk: Array,
    war_rung: int | None,
    war_j: ArrayLike,
    delta: float,
    rungs: Array,
) -> Array | None:
    """:func:`best_continuation` without a reply or an imposed cost, by the rungs' structure.

    The general code values ``hold_value(q_j - k(y″), r(x′, y″), W_j, δ)`` for every
    candidate x′, rung y″ and type, ``[..., M, Y, K]``, and keeps the maximum over y″. The
    risk ``r(x′, y″)`` is that of the higher rung (:func:`escalsim.core.dynamics.war_probability`),
    so the rungs split in two:

    - ``y″ > x′``: the risk is ``r(y″)``, whatever x′. Their values, ``[..., Y, K]`` (once,
      not once per candidate), and their maxima over every rung from y″ up (a running maximum
      from the top) give the maximum over ``y″ > x′`` by one look-up per candidate.
    - ``y″ <= x′``: one risk ``r(x′)`` (the same float: the higher rung is x′ whatever y″) and
      so one denominator; the value is then non-decreasing in the flow (a product by
      ``1 - r >= 0``, a sum and a quotient by the same positive number are monotone in
      floating point too), so the maximum over them is the value at the rung of least cost
      among them, computed once, ``[..., M, K]``.

    Each value kept is computed by the same operations on the same operands as the general
    code's, and a maximum is exact, so the result is the general code's to the bit where the
    values are neither NaN (whose bits a maximum may take from either operand) nor -0.0 (a
    maximum of 0.0 and -0.0 may keep either): neither comes out where every flow and war value
    is finite, below 1e300 in magnitude and not -0.0 (:func:`_plain`; else None: the general
    code runs). None too for rungs not integers inside the ladder, or δ outside [0, 1) (a
    denominator could be 0), or risks outside [0, 1]. tests/test_perf_kernel.py compares it
    with the general code. The terms that depend on the ladder and the rungs alone (the rungs'
    costs and risks, the rung of least cost below each x′) are computed once per ladder
    (:func:`_hold_ladder`).
    """
    n = len(costs)
    if (
        xp.dtype.kind not in "iu"
        or xp.size == 0
        or np.ndim(delta) != 0
        or not 0.0 <= delta < 1.0
        or xp.min() < 0
        or xp.max() >= n
        or len(rungs) == 0
    ):
        return None
    ladder = _hold_ladder(
        (costs.dtype.str, costs.shape, costs.tobytes()),
        (war_risk.dtype.str, war_risk.shape, war_risk.tobytes()),
        war_rung,
        int(rungs[0]),
        int(rungs[-1]),
    )
    if ladder is None:
        return None
    w = np.asarray(war_j, dtype=float)
    share = _unbroadcast(np.asarray(share_j, dtype=float))
    flow = share[..., None] - ladder.costs_y  # [..., Y]
    if not (_plain(w) and _plain(flow)):
        return None
    lo, n_y = int(rungs[0]), len(rungs)
    batch = np.broadcast_shapes(np.shape(share_j), xp.shape[:-1], w.shape[:-1])
    nb = len(batch)
    flow = flow.reshape((1,) * (nb + 1 - flow.ndim) + flow.shape)  # [..., Y]
    w = w.reshape((1,) * (nb + 1 - w.ndim) + w.shape)  # [..., K]
    # The values above x′ read the flows and war values alone, not the candidates: computed
    # on their rows only (``held``, broadcast to ``batch``), once where the war values repeat
    # along the first axis (the batch engine's worlds: the same numbers in each). Equal plain
    # values have equal bits (_plain: no NaN, no -0.0), so these are the same operands.
    w_all, w = w, _unbroadcast(w)
    if nb > 1 and w.shape[0] > 1 and bool(np.all(w[1:] == w[:1])):
        w = w[:1]
    held = np.broadcast_shapes(flow.shape[:-1], w.shape[:-1])
    # y″ above x′: the risk of y″ itself (its higher rung), values [Y, ..., K] (y″ first, so
    # that each rung's values are one block), and their running maximum from the top rung
    # down, ``suffix[j] = max over the rungs from rungs[j] up``; ``suffix[Y]``: none above.
    above = hold_value(
        np.moveaxis(flow, -1, 0)[..., None],
        ladder.risk_y.reshape((n_y,) + (1,) * (nb + 1)),
        w,
        delta,
    )
    suffix = np.empty((n_y + 1, *held, w.shape[-1]))
    suffix[n_y] = -np.inf
    suffix[n_y - 1] = above[n_y - 1]
    for j in range(n_y - 2, -1, -1):
        np.maximum(above[j], suffix[j + 1], out=suffix[j])
    # y″ at or below x′: the rung of least cost among them (none below lo).
    flow_least = np.asarray(share_j, dtype=float)[..., None] - ladder.cost_least[xp]  # [..., M]
    out: Array = hold_value(
        flow_least[..., None], ladder.risk_least[xp][..., None], w_all[..., None, :], delta
    )
    if lo > 0:
        out = np.where((xp >= lo)[..., None], out, -np.inf)
    # Each row's and candidate's maximum above x′, a row of K values of ``suffix`` read per
    # (row, candidate) from its flattened blocks (a row of ``batch`` reads its row of ``held``).
    rows = int(np.prod(batch, dtype=np.int64))
    kept = int(np.prod(held, dtype=np.int64))
    m = xp.shape[-1]
    start = np.broadcast_to(ladder.first_above[xp], (*batch, m)).reshape(rows, m)
    row = np.broadcast_to(np.arange(kept).reshape(held), batch).reshape(rows, 1)
    flat = suffix.reshape((n_y + 1) * kept, w.shape[-1])
    seen = flat[start * kept + row].reshape(out.shape)
    return np.maximum(out, seen, out=out)


class _HoldLadder(NamedTuple):
    """The terms of :func:`_best_hold` that depend on the ladder and the rungs y″ alone.

    ``costs_y`` the posture costs ``k(y″)`` and ``risk_y`` the risks ``r(y″, y″)`` of the
    rungs y″, ``[Y]``; per rung x′ of the ladder, ``[n]``: ``first_above``, where the rungs
    above x′ start among the y″ (a row of :func:`_best_hold`'s running maximum),
    ``cost_least`` the cost of the rung of least cost among the y″ at or below x′ (the first
    y″, ``lo``, where none is) and ``risk_least`` the risk ``r(x′, that rung)``.
    """

    costs_y: Array
    risk_y: Array
    first_above: Array
    cost_least: Array
    risk_least: Array


@functools.lru_cache(maxsize=256)
def _hold_ladder(
    costs_key: tuple[str, tuple[int, ...], bytes],
    risk_key: tuple[str, tuple[int, ...], bytes],
    war_rung: int | None,
    lo: int,
    hi: int,
) -> _HoldLadder | None:
    """:class:`_HoldLadder` of a ladder and the rungs y″ from ``lo`` to ``hi``, computed once.

    The same numbers :func:`_best_hold` computed on every call (by the same operations on the
    same operands): a ladder's ``costs`` and ``war_risk`` are the scenario's, the same in every
    round and replication. Keyed on the arrays' dtype, shape and bytes (``*_key``: the arrays
    are rebuilt from them, bit for bit), not on the arrays, whose contents could change; the
    arrays returned are read-only. None where a risk is outside [0, 1] (or NaN): the general
    code runs.
    """
    costs = np.frombuffer(costs_key[2], dtype=costs_key[0]).reshape(costs_key[1])
    war_risk = np.frombuffer(risk_key[2], dtype=risk_key[0]).reshape(risk_key[1])
    if not np.all((war_risk >= 0.0) & (war_risk <= 1.0)):
        return None
    n, rungs = len(costs), np.arange(lo, hi + 1)
    xs = np.arange(n)
    least = np.array(
        [lo + int(np.argmin(costs[lo : min(x, hi) + 1])) if x >= lo else lo for x in range(n)]
    )
    got = _HoldLadder(
        costs_y=costs[rungs],
        risk_y=dx.war_probability(war_risk, rungs, rungs, war_rung),  # [Y]
        first_above=np.clip(xs + 1 - lo, 0, len(rungs)),
        cost_least=costs[least],
        risk_least=dx.war_probability(war_risk, xs, least, war_rung),  # r(x′): x′ >= its y″
    )
    for a in got:
        a.flags.writeable = False
    return got


def _unbroadcast(a: Array) -> Array:
    """``a`` with each axis that repeats one value by a zero stride (a broadcast) cut to length 1.

    The same numbers, which broadcast back to ``a``'s shape; what is computed from them per
    element is computed once per distinct element.
    """
    if not any(st == 0 and n > 1 for st, n in zip(a.strides, a.shape, strict=True)):
        return a
    return a[tuple(slice(0, 1) if st == 0 else slice(None) for st in a.strides)]


def _rungs_held(
    x: ArrayLike,
    y_next: ArrayLike,
    costs: Array,
    war_risk: Array,
    war_rung: int | None,
    jump: int,
    share: ArrayLike,
    war: ArrayLike,
    delta: float,
) -> tuple[Array, Array, Array, Array, Array, Array]:
    """Each candidate move's rung and what holding it is worth (:func:`ladder_utilities`).

    Returns ``x[..., None]``, the rungs ``x'``, their risks ``r(x')``, flows ``f(x')``,
    ``W_i[..., None]`` and ``H(x')``, each ``[..., 4]`` (or broadcastable to it).
    """
    x_arr = np.asarray(x)[..., None]
    xp = dx.target_rung(x_arr, dx.CANDIDATE_MOVES, jump, len(costs))
    r = dx.war_probability(war_risk, xp, np.asarray(y_next, dtype=float)[..., None], war_rung)
    f = np.asarray(share, dtype=float)[..., None] - costs[xp]
    w_i = np.asarray(war, dtype=float)[..., None]
    return x_arr, xp, r, f, w_i, hold_value(f, r, w_i, delta)


def _audience_penalty(
    x_arr: Array, xp: Array, audience: ArrayLike, committed: ArrayLike, line_crossed: ArrayLike
) -> Array:
    """``D ([x' < x and committed] + [x' <= x and line crossed])`` (:func:`ladder_utilities`)."""
    backing_down = (xp < x_arr) & np.asarray(committed, dtype=bool)[..., None]
    unanswered = (xp <= x_arr) & np.asarray(line_crossed, dtype=bool)[..., None]
    penalty = backing_down.astype(float) + unanswered.astype(float)
    return np.asarray(audience, dtype=float)[..., None] * penalty


def refusal_values(
    x: ArrayLike,
    y_next: ArrayLike,
    costs: Array,
    war_risk: Array,
    war_rung: int | None,
    jump: int,
    share: ArrayLike,
    war: ArrayLike,
    delta: float,
    audience: ArrayLike = 0.0,
    committed: ArrayLike = False,
    line_crossed: ArrayLike = False,
) -> Array:
    """Value of each ladder move when the other will not quit: ``H_i(x')`` less audience costs.

    :func:`ladder_utilities` with the other's quitting ``Q(x') = 0``::

        U(x') = r W_i + (1 - r)(f + δ H(x')) - D [...] = H(x') - D [...]

    (the stationary hold value solves the first equality), with the same audience costs.
    The continuation a power faces once the other has refused its offer (the other's quitting
    is worth at most that offer to it, so it does not quit; ``policies.bargaining.fallback``).
    A move onto the war rung is worth W_i. Parameters as :func:`ladder_utilities`; returns
    ``[..., 4]`` in the order of ``dynamics.CANDIDATE_MOVES``. Valid for δ in [0, 1).
    """
    x_arr, xp, _, _, _, hold = _rungs_held(
        x, y_next, costs, war_risk, war_rung, jump, share, war, delta
    )
    return hold - _audience_penalty(x_arr, xp, audience, committed, line_crossed)


def settlement_utilities(
    offer: ArrayLike,
    demand_j: ArrayLike,
    delta: float,
    public_demand: ArrayLike = 0.0,
    audience: ArrayLike = 0.0,
    committed: ArrayLike = False,
) -> Array:
    """Value of accepting the other's standing offer and of conceding: ``[..., 2]``.

    ``U(accept) = s / (1 - δ) - D [committed and s < d_pub]`` with s the share the other offers
    and ``d_pub`` i's own public demand (accepting less than one has publicly demanded is
    backing down: Fearon 1994); ``U(concede) = (1 - d_j) / (1 - δ) - D [committed]``, yielding
    the other its demand d_j (1 if it made none). A NaN offer (none standing) gives a NaN
    utility; :func:`choose` takes such options as unavailable. Offers received privately carry
    no audience cost for the receiver unless it had committed in public (Kurizaki 2007: secrecy
    lets the target back down without losing face). Valid for shares in [0, 1], δ in [0, 1).
    """
    d = np.asarray(audience, dtype=float)
    c = np.asarray(committed, dtype=bool)
    s = np.asarray(offer, dtype=float)
    below = c & (np.nan_to_num(s, nan=np.inf) < np.asarray(public_demand, dtype=float))
    accept = settlement_value(s, delta) - d * below
    concede = settlement_value(1.0 - np.asarray(demand_j, dtype=float), delta) - d * c
    accept, concede = np.broadcast_arrays(accept, concede)
    return np.stack([accept, concede], axis=-1)


def reaches_war(x: ArrayLike, jump: int, n_rungs: int, war_rung: int | None) -> Array:
    """Which options of :data:`OPTIONS` are war: the ladder moves onto or above the war rung."""
    xp = dx.target_rung(np.asarray(x)[..., None], dx.CANDIDATE_MOVES, jump, n_rungs)
    ladder = (xp >= war_rung) if war_rung is not None else np.zeros(xp.shape, dtype=bool)
    settle = np.zeros((*ladder.shape[:-1], 2), dtype=bool)
    return np.concatenate([settle, ladder], axis=-1)


def _choice_weights(
    utilities: ArrayLike, available: ArrayLike, war: ArrayLike, precision: ArrayLike, scale: float
) -> tuple[Array, Array, Array, Array, Array]:
    """What :func:`choose` and :func:`choice_probabilities` share (one computation, one place).

    Returns the logit weights ``exp(λ s (U_k − U_max))`` of the available peaceful options (0
    elsewhere), their sum (1 where there is none, so a division is safe), the peaceful mask, the
    war options' utilities (−∞ elsewhere) and whether a war option is strictly best (or no
    peaceful option is available).
    """
    util, peace, top_peace, war_util, go = _war_best(utilities, available, war)
    safe = np.where(peace, util, top_peace)
    z = np.asarray(precision, dtype=float)[..., None] * scale * (safe - top_peace)
    weight = np.where(peace, np.exp(z), 0.0)
    total = weight.sum(axis=-1, keepdims=True)
    return weight, np.where(total > 0.0, total, 1.0), peace, war_util, go


def _war_best(
    utilities: ArrayLike, available: ArrayLike, war: ArrayLike
) -> tuple[Array, Array, Array, Array, Array]:
    """The part of :func:`_choice_weights` that decides whether a war option is strictly best.

    Returns the utilities as floats, the peaceful mask, the best peaceful utility (``[..., 1]``,
    0 where there is none), the war options' utilities (−∞ elsewhere) and whether a war option
    is strictly best (or no peaceful option is available). :func:`nuclear_response` needs only
    this, not the logit's weights.
    """
    util = np.asarray(utilities, dtype=float)
    ok = np.asarray(available, dtype=bool) & ~np.isnan(util)
    is_war = np.asarray(war, dtype=bool) & ok
    peace = ok & ~is_war
    any_peace = np.asarray(any_last(peace))[..., None]
    top_peace = np.where(
        any_peace, np.asarray(max_last(np.where(peace, util, -np.inf)))[..., None], 0
    )
    war_util = np.where(is_war, util, -np.inf)
    go = any_last(is_war) & ((max_last(war_util) > top_peace[..., 0]) | ~any_peace[..., 0])
    return util, peace, top_peace, war_util, go


#: :func:`max_last`, :func:`nanmax_last` and :func:`any_last` reduce by columns from this many
#: rows (fewer: the reduction itself, which costs less on a few rows).
COLUMN_ROWS = 128


def _maxima_exact(m: Array, a: Array) -> bool:
    """Whether the row maxima ``m`` of ``a`` have the bits every order of comparisons gives.

    A maximum of numbers is exact, but its bits are not unique for NaN (either operand's NaN
    may be kept) nor for a zero where ``a`` also holds a ``-0.0`` (a maximum of 0.0 and -0.0 may
    keep either sign): True where no maximum is NaN, and no maximum is a zero or ``a`` holds no
    ``-0.0``.
    """
    if np.isnan(m).any():
        return False
    return not ((m == 0.0).any() and ((a == 0.0) & np.signbit(a)).any())


def _by_columns(fold: Any, a: Array) -> Array | None:
    """``fold`` (a binary ufunc) of the last axis's columns in turn; None where it does not pay.

    That is, for fewer than :data:`COLUMN_ROWS` rows or a last axis shorter than 2.
    """
    n = a.shape[-1]
    if n < 2 or a.size < COLUMN_ROWS * n:
        return None
    m: Array = fold(a[..., 0], a[..., 1])
    for j in range(2, n):
        fold(m, a[..., j], out=m)
    return m


def max_last(a: Array) -> Any:
    """``a.max(axis=-1)`` of floats, by an ``np.maximum`` of the last axis's columns in turn.

    A reduction over a short last axis (4 to 6 options) costs numpy a loop per row; the
    columns' elementwise maxima cost one pass each. Where the maxima are exact
    (:func:`_maxima_exact`), they are the reduction's numbers to the bit; elsewhere, and for
    fewer than :data:`COLUMN_ROWS` rows or a last axis shorter than 2, ``a.max(axis=-1)`` itself
    runs. tests/test_perf_kernel2.py compares the two.
    """
    m = _by_columns(np.maximum, a)
    return m if m is not None and _maxima_exact(m, a) else a.max(axis=-1)


def nanmax_last(a: Array) -> Any:
    """``np.nanmax(a, axis=-1)`` of floats, by an ``np.fmax`` of the last axis's columns in turn.

    ``np.nanmax`` of an ndarray is ``np.fmax.reduce``: the maximum of each row's values that are
    not NaN (NaN, with a warning, for a row of NaNs alone). The columns' ``np.fmax`` in turn give
    the same maxima; where they are exact (:func:`_maxima_exact`: no row of NaNs alone, no
    zero in doubt), the same bits. Elsewhere, and for fewer than :data:`COLUMN_ROWS` rows or a
    last axis shorter than 2, ``np.nanmax`` itself runs. tests/test_perf_kernel2.py compares
    the two.
    """
    m = _by_columns(np.fmax, a)
    return m if m is not None and _maxima_exact(m, a) else np.nanmax(a, axis=-1)


def any_last(b: Array) -> Any:
    """``b.any(axis=-1)`` of booleans, by an ``np.logical_or`` of the last axis's columns in turn.

    The same booleans (an or is exact); the reduction itself for fewer than :data:`COLUMN_ROWS`
    rows or a last axis shorter than 2.
    """
    m = _by_columns(np.logical_or, b)
    return b.any(axis=-1) if m is None else m


def choose(
    utilities: ArrayLike,
    available: ArrayLike,
    war: ArrayLike,
    precision: ArrayLike,
    u: ArrayLike,
    scale: float = 1.0,
) -> Array:
    """The option chosen: war only as a best response, a logit over the rest.

    Over the options on the last axis: the peaceful options that are available are chosen by a
    logit of precision λ on their annuities (``scale · U``, McKelvey & Palfrey 1995), by inverse
    CDF with the draw u (the first option whose cumulative probability exceeds u, so that the
    same u gives the same choice whenever the probabilities are the same); an option in ``war``
    is chosen instead exactly when its utility is strictly the highest of all available options
    (the first such, if several). So a step onto the war rung is never a tremble: it beats every
    alternative under the actor's beliefs, or it is not taken (a war that an implementation
    error makes is an accident). A NaN utility is unavailable. Valid for λ >= 0, u in [0, 1)
    and at least one available peaceful option.
    """
    weight, total, peace, war_util, go = _choice_weights(
        utilities, available, war, precision, scale
    )
    n = weight.shape[-1]
    cdf = np.cumsum(weight, axis=-1) / total
    logit = np.minimum((np.asarray(u)[..., None] >= cdf).sum(axis=-1), n - 1)
    # An unavailable option can sit after the last peaceful one: step back to a peaceful one.
    last_peace = n - 1 - np.argmax(peace[..., ::-1], axis=-1)
    logit = np.minimum(logit, last_peace)
    return np.where(go, np.argmax(war_util, axis=-1), logit)


def choice_probabilities(
    utilities: ArrayLike,
    available: ArrayLike,
    war: ArrayLike,
    precision: ArrayLike,
    scale: float = 1.0,
) -> Array:
    """The probability of each option under :func:`choose`: ``[..., n]`` over the last axis.

    Where an option in ``war`` is strictly better than every available peaceful option (or no
    peaceful option is available), the one-hot of the first such option with the highest
    utility; elsewhere the logit of precision λ over the annuities of the available peaceful
    options, ``P_k = exp(λ s (U_k - U_max)) / Σ_l exp(λ s (U_l - U_max))`` (McKelvey & Palfrey
    1995), 0 for war options and unavailable ones (NaN utility, or ``available`` false). These
    are the weights :func:`choose` turns into its inverse CDF, so ``choose`` with a uniform
    draw picks option k with probability ``P_k`` exactly (up to the rounding of the cumulative
    sums at the boundaries). Valid as :func:`choose`.
    """
    weight, total, _, war_util, go = _choice_weights(utilities, available, war, precision, scale)
    logit = weight / total
    onehot = np.arange(weight.shape[-1]) == np.argmax(war_util, axis=-1)[..., None]
    return np.where(go[..., None], onehot.astype(float), logit)


# -- commitment problems --------------------------------------------------------------------
def commitment_gap(
    p_now: ArrayLike, p_later: ArrayLike, cost: ArrayLike, delta: ArrayLike
) -> Array:
    """How much a declining power prefers war now to the best peace it can be promised.

    Power shifts once, from p (this round) to p' (every round after) for the declining side D.
    After the shift the rising side offers D no more than D's war annuity then, ``max(0, p' -
    c)`` (its reservation under complete information); this round it can give D at most the
    whole stakes. So D's best peace is worth ``1 + δ max(0, p' - c) / (1 - δ)`` and war now,
    fought at today's odds, ``(p - c) / (1 - δ)``. The gap::

        G = (p - c) / (1 - δ) - 1 - δ max(0, p' - c) / (1 - δ)

    is positive exactly when no bargain can prevent war, whatever either side knows: with
    ``p' - c >= 0``, ``G > 0`` iff ``δ (p - p') > (1 - δ)(1 - p + c)``, a shift large against the
    per-round surplus. Source: Fearon (1995, "Preventive war as a commitment problem"); Powell
    (2006, "War as a commitment problem", IO 60:169-203); this derivation is the model's, in
    its flow units. Valid for p, p' in [0, 1], c >= 0, δ in [0, 1).
    """
    d = np.asarray(delta, dtype=float)
    c = np.asarray(cost, dtype=float)
    war_now = (np.asarray(p_now, dtype=float) - c) / (1.0 - d)
    later = np.maximum(0.0, np.asarray(p_later, dtype=float) - c)
    return war_now - 1.0 - d * later / (1.0 - d)


#: A fall in the chance of winning smaller than this is no decline: p is recovered from a war
#: value by the policies (``(1 - δ) W + c``), to rounding.
DECLINE_TOLERANCE = 1e-9


def _declining(p_now: ArrayLike, p_later: ArrayLike, rounds: ArrayLike) -> Array:
    """Where a shift of power is scheduled (``p_later`` and ``rounds`` not NaN) and is a decline."""
    later = np.asarray(p_later, dtype=float)
    k = np.asarray(rounds, dtype=float)
    now = np.asarray(p_now, dtype=float)
    with np.errstate(invalid="ignore"):
        return ~np.isnan(later) & ~np.isnan(k) & (later < now - DECLINE_TOLERANCE)


def promised_settlement_value(
    share: ArrayLike,
    p_now: ArrayLike,
    p_later: ArrayLike,
    cost: ArrayLike,
    delta: ArrayLike,
    rounds: ArrayLike,
) -> Array:
    """What a settlement at share s is worth to a power whose strength is scheduled to change.

    A settlement accepted now gives the share s per round until the shift, k rounds from now,
    when the power's chance of winning goes from p to p'. After it, a declining power (p' < p)
    gets what the rising side can promise it then: no more than its war annuity after the
    shift, ``w' = max(0, p' - c)``, which is all it could enforce; it keeps s where s <= w'::

        V(s) = s (1 - δ^k) / (1 - δ) + δ^k min(s, w') / (1 - δ)      declining (p' < p)
        V(s) = s / (1 - δ)                                          otherwise, or no shift

    At k = 1 and s = 1 (the whole stakes now, the most the rising side can give),
    ``(p - c)/(1 - δ) - V(1) = commitment_gap(p, p', c, δ)``, so war now beats every
    settlement when the gap is positive (tested). At k = 0 the shift is under way:
    ``V = min(s, w')/(1 - δ)``. Source: Fearon (1995, "Preventive war as a commitment
    problem"); Powell (2006, IO 60:169-203); the derivation is this model's, in its flow units.
    *Departure:* the sources give the rising side all the bargaining power after the shift; here
    a settlement below ``w'`` is kept as it is (the declining side cannot be promised less than it
    could enforce, and need not be promised more than it holds), and a rising power (p' >= p)
    values a settlement at face value: its gains from revising it later are not counted. Valid
    for s, p, p' in [0, 1], c >= 0, δ in [0, 1), k >= 0 an integer; p' or k NaN, or p' within
    :data:`DECLINE_TOLERANCE` below p: no shift.
    """
    s = np.asarray(share, dtype=float)
    d = np.asarray(delta, dtype=float)
    declining = _declining(p_now, p_later, rounds)
    face = s / (1.0 - d)
    if not declining.any():
        # No decline scheduled (every scenario without a commitment problem): every value is
        # the face value, as the np.where below would pick it, in the shape it would have.
        return _spread(face, declining, s, d, p_later, cost, rounds)
    k = np.nan_to_num(np.asarray(rounds, dtype=float), nan=0.0)
    later = np.maximum(0.0, np.nan_to_num(np.asarray(p_later, dtype=float)) - cost)
    ahead = d**k
    promised = (s * (1.0 - ahead) + ahead * np.minimum(s, later)) / (1.0 - d)
    return np.where(declining, promised, face)


def _spread(value: Array, *shaped: ArrayLike) -> Array:
    """``value`` broadcast to its shape with ``shaped``'s, as a new array."""
    shape = np.broadcast_shapes(value.shape, *(np.shape(a) for a in shaped))
    return value.copy() if value.shape == shape else np.broadcast_to(value, shape).copy()


def promised_reservation(
    value: ArrayLike,
    p_now: ArrayLike,
    p_later: ArrayLike,
    cost: ArrayLike,
    delta: ArrayLike,
    rounds: ArrayLike,
) -> Array:
    """The least share whose settlement is worth ``value`` to the power, under a shift of power.

    The inverse of :func:`promised_settlement_value` in s: with ``w' = max(0, p' - c)`` and a
    declining power (p' < p) whose shift is k >= 1 rounds away::

        r = (1 - δ) V                                          if (1 - δ) V <= w'
        r = (V - δ^k w'/(1 - δ)) (1 - δ) / (1 - δ^k)           otherwise

    and ``r = (1 - δ) V`` otherwise (the annuity: the reservation share of §3.6). r > 1 means
    that no division of the stakes is worth V to the power: the rising side has no offer it
    accepts. Source and departure as :func:`promised_settlement_value`. Valid for δ in [0, 1),
    k >= 1 (at k = 0 a share above w' adds nothing, and r = ∞ where V > w'/(1 - δ)); p' or k NaN:
    no shift.
    """
    v = np.asarray(value, dtype=float)
    d = np.asarray(delta, dtype=float)
    declining = _declining(p_now, p_later, rounds)
    annuity = (1.0 - d) * v
    if not declining.any():
        # No decline scheduled: every reservation is the annuity, as np.where below picks it.
        return _spread(annuity, declining, v, d, p_later, cost, rounds)
    k = np.nan_to_num(np.asarray(rounds, dtype=float), nan=0.0)
    later = np.maximum(0.0, np.nan_to_num(np.asarray(p_later, dtype=float)) - cost)
    ahead = d**k
    with np.errstate(divide="ignore", invalid="ignore"):
        above = (v - ahead * later / (1.0 - d)) * (1.0 - d) / (1.0 - ahead)
    above = np.where(ahead < 1.0, above, np.inf)
    promised = np.where(annuity <= later, annuity, above)
    return np.where(declining, promised, annuity)


#: The most agenda items whose bundles :func:`bundle_shares` enumerates (2^12 = 4,096 bundles).
MAX_BUNDLE_ITEMS = 12


def bundle_shares(weights: ArrayLike) -> tuple[Array, Array]:
    """Every division of whole items: the shares of the stakes each bundle gives either power.

    With indivisible stakes an offer hands the other a bundle of whole agenda items (§3.9). Item
    g is worth ``v_ig = w_ig / Σ_h w_ih`` of the stakes to power i, its salience ``w_ig``
    normalised over i's items (every power values the stakes at 1, §2). Bundle b (bit g of b set:
    item g goes to the receiver) gives the receiver ``Σ_{g in b} v_rg`` and leaves the proposer
    ``Σ_{g not in b} v_pg``. Returns ``(received, kept)``, each ``[2, 2^m]``: row i is the share
    that power i gets when it receives bundle b, and the share it keeps when it offers bundle b
    (``kept[i, b] = 1 - received[i, b]``). A power that gives no item salience values every item
    equally. Source: the design's (docs/decision-v2.md §3.9); with one item per unit of value it
    is Fearon's (1995) indivisibility. Valid for ``weights`` ``[2, m]`` non-negative, ``1 <= m
    <= MAX_BUNDLE_ITEMS``.
    """
    w = np.asarray(weights, dtype=float)
    m = w.shape[-1]
    if not 1 <= m <= MAX_BUNDLE_ITEMS:
        raise ValueError(f"bundles of 1 to {MAX_BUNDLE_ITEMS} items, not {m}")
    total = w.sum(axis=-1, keepdims=True)
    value = np.where(total > 0, w / np.where(total > 0, total, 1.0), 1.0 / m)
    bits = (np.arange(2**m)[:, None] >> np.arange(m)) & 1  # [2^m, m]
    received = value @ bits.T.astype(float)
    return received, 1.0 - received


def bundle_candidates(
    weights: ArrayLike, divisible: ArrayLike, reservation: ArrayLike
) -> tuple[Array, Array]:
    """The offers a proposer can make when the stakes are divided in whole items (§3.9).

    ``weights`` ``[2, m]`` are the saliences of the proposer (row 0) and the receiver (row 1);
    each power's item values are its saliences normalised to sum to 1 (:func:`bundle_shares`).
    The indivisible items go whole, in every bundle b of them; the divisible ones are pooled and
    split by a fraction φ in [0, 1] of the pool, worth ``D_i`` to power i. The candidates are, for
    each bundle, φ = 0, φ = 1 and, for each receiver type θ, the least φ that meets its
    reservation ``r_θ``, ``clip((r_θ - v_r(b))/D_r, 0, 1)`` (between two of these the acceptance
    is constant and the proposer's share falls, as in :func:`best_offer`)::

        received = v_r(b) + φ D_r,     kept = 1 - v_p(b) - φ D_p

    With every item indivisible the candidates are the ``2^m`` bundles themselves. Returns
    ``(received, kept)``, each ``[..., C]`` (``C = 2^{m_ind} (K + 2)``, or ``2^m`` with no
    divisible item). Source: Fearon (1995, "Issue indivisibilities"); the pooling of divisible
    items is the design's. Valid for non-negative weights, ``reservation`` ``[..., K]``, at most
    :data:`MAX_BUNDLE_ITEMS` indivisible items.
    """
    w = np.asarray(weights, dtype=float)
    whole = np.asarray(divisible, dtype=bool) == False  # noqa: E712
    m = w.shape[-1]
    total = w.sum(axis=-1, keepdims=True)
    value = np.where(total > 0, w / np.where(total > 0, total, 1.0), 1.0 / m)
    pool = value[:, ~whole].sum(axis=-1)  # [2]: D_p, D_r
    kept_whole = value[:, whole]
    if kept_whole.shape[-1] > MAX_BUNDLE_ITEMS:
        raise ValueError(f"bundles of 0 to {MAX_BUNDLE_ITEMS} indivisible items, not {m}")
    bits = (np.arange(2 ** kept_whole.shape[-1])[:, None] >> np.arange(kept_whole.shape[-1])) & 1
    received = kept_whole @ bits.T.astype(float)  # [2, B]: each power's value of bundle b
    v_p, v_r = received[0], received[1]
    if not (~whole).any():
        return v_r, 1.0 - v_p
    r = np.asarray(reservation, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        need = np.clip((r[..., None, :] - v_r[:, None]) / pool[1], 0.0, 1.0)  # [..., B, K]
    need = np.nan_to_num(need, nan=0.0)
    ends = np.broadcast_to(np.array([0.0, 1.0]), (*need.shape[:-1], 2))
    phi = np.concatenate([ends, need], axis=-1)  # [..., B, K + 2]
    give = v_r[:, None] + phi * pool[1]
    keep = 1.0 - v_p[:, None] - phi * pool[0]
    flat = (*phi.shape[:-2], -1)
    return give.reshape(flat), keep.reshape(flat)


def best_bundle(
    reservation: ArrayLike,
    fallback: ArrayLike,
    posterior: ArrayLike,
    received: ArrayLike,
    kept: ArrayLike,
) -> tuple[Offer, Array]:
    """:func:`best_offer` when the offer must be a bundle of whole items (indivisible stakes).

    The candidates are the bundles b, worth ``received[b]`` to the responder and ``kept[b]`` to
    the proposer (:func:`bundle_shares`: the responder's row of ``received``, the proposer's of
    ``kept``)::

        b* = argmax_b P(b) kept[b] + (1 - P(b)) f,    P(b) = Σ_k π_k [received[b] >= r_k]

    Ties go to the bundle more likely to be accepted, then to the lower index. A bargaining range
    with no bundle in it has no accepted offer better than the fallback: the proposer's best is
    then refused, and the crisis goes on (or the responder fights). Returns the :class:`Offer`
    (its ``share`` the responder's value of ``b*``, ``value`` the proposer's annuity) and ``b*``.
    Source: Fearon (1995, "Issue indivisibilities"), with the design's bundles (§3.9). Valid for a
    posterior on the simplex (last axis) and ``received``, ``kept`` ``[..., B]`` in [0, 1] (the
    candidates of :func:`bundle_candidates`).
    """
    r = np.asarray(reservation, dtype=float)
    pi = np.asarray(posterior, dtype=float)
    f = np.asarray(fallback, dtype=float)
    give = np.asarray(received, dtype=float)
    keep = np.asarray(kept, dtype=float)
    ok = r[..., None, :] <= give[..., :, None]  # [..., B, K]
    p_accept = np.where(ok, pi[..., None, :], 0.0).sum(axis=-1)
    value = p_accept * keep + (1.0 - p_accept) * f[..., None]
    best = value.max(axis=-1, keepdims=True)
    near = value >= best - 1e-12 * (1.0 + np.abs(best))
    pick = np.argmax(np.where(near, p_accept, -1.0), axis=-1)
    at = pick[..., None]
    accept = np.take_along_axis(p_accept, at, -1)[..., 0]
    worth = np.take_along_axis(value, at, -1)[..., 0]
    share = np.take_along_axis(np.broadcast_to(give, value.shape), at, -1)[..., 0]
    return Offer(share=share, accept=accept, value=worth), pick


# -- decompositions of P(war) ---------------------------------------------------------------
class WarSplit(NamedTuple):
    """P(war) of a run split against its two twins (:func:`war_split`); each a proportion.

    The means of :func:`twin_split`'s per-run columns, with the same names.
    """

    attributable: Array  # war in the run, not in its perception twin
    perception_twin_only: Array  # war in the perception twin, not in the run
    private: Array  # war in the perception twin, not in the complete-information twin
    complete_twin_only: Array  # war in the complete-information twin, not the perception twin
    misperception: Array  # P(war) run - perception twin
    private_information: Array  # perception twin - complete-information twin
    residual: Array  # the complete-information twin's P(war)


#: The per-run parts and flows of the split (:func:`twin_split`), in the order of the run columns.
SPLIT_PARTS = WarSplit._fields


def twin_split(run: ArrayLike, perception: ArrayLike, complete: ArrayLike) -> dict[str, Array]:
    """The three-part split of an outcome indicator, per replication (docs/decision-v2.md §7).

    With the indicators w, p, c of each replication in the run, its perception twin (true
    postures, moves and incidents; types private) and its complete-information twin (types
    known too), sharing every random number and type draw::

        w = (w - p) + (p - c) + c = misperception + private information + residual

    Returns the arrays of :data:`SPLIT_PARTS`: the flows ``attributable`` (w and not p: what
    seeing the truth avoids), ``perception_twin_only`` (p and not w), ``private`` (p and not c:
    what knowing the types avoids), ``complete_twin_only`` (c and not p); the parts
    ``misperception`` (w − p, in {−1, 0, 1}), ``private_information`` (p − c) and ``residual``
    (c: what information cannot prevent, e.g. commitment problems, indivisible stakes and the
    risk of the rungs held). Each part is the difference of its two flows. The indicator is war
    today; issue 18 (docs/pair-wars.md §8) applies the same split to any per-run boolean.
    Valid for boolean arrays of equal shape.
    """
    w = np.asarray(run, dtype=bool)
    p = np.asarray(perception, dtype=bool)
    c = np.asarray(complete, dtype=bool)
    parts = WarSplit(
        attributable=w & ~p,
        perception_twin_only=p & ~w,
        private=p & ~c,
        complete_twin_only=c & ~p,
        misperception=w.astype(np.int64) - p.astype(np.int64),
        private_information=p.astype(np.int64) - c.astype(np.int64),
        residual=c,
    )
    return parts._asdict()


def war_split(run: ArrayLike, perception: ArrayLike, complete: ArrayLike) -> WarSplit:
    """The three-part split of P(war), paired over replications (the last axis).

    The means of :func:`twin_split`::

        P(war) = [run - perception] + [perception - complete] + complete
               = misperception      + private information     + residual

    each difference with both of its flows (war in one only, in the other only), whose
    difference it is. Valid for boolean arrays of equal shape.
    """
    parts = twin_split(run, perception, complete)
    return WarSplit(**{k: np.mean(v, axis=-1) for k, v in parts.items()})


#: The paths of a channel's effect, in bit order of a switch set (bit k: path k switched).
PATHS = ("perception", "messages_and_offers", "agreements")
#: Shapley weights |S|! (n - |S| - 1)! / n! for n = 3, by the size of the set before joining.
_SHAPLEY_WEIGHT = {0: 1 / 3, 1: 1 / 6, 2: 1 / 3}


def shapley_paths(values: ArrayLike) -> tuple[Array, Array]:
    r"""Shapley decomposition of a condition difference over three paths, and the interaction.

    ``values[..., b]`` is the outcome (e.g. a war indicator or P(war)) of the run with the paths
    in the bit set b switched to the other condition (bit 0 perception, bit 1 messages and
    offers, bit 2 agreements; :data:`PATHS`): ``values[..., 0]`` is the base condition,
    ``values[..., 7]`` the other condition, the 6 others the mixed runs, 8 runs in all with
    common random numbers. Path i's share is its Shapley value::

        φ_i = Σ_{S ⊆ N \ {i}} |S|! (2 - |S|)! / 3! · [v(S ∪ {i}) - v(S)]

    (Shapley 1953; Shorrocks 2013, "Decomposition procedures for distributional analysis", J.
    Econ. Inequality 11:99-126, for its use to split a difference between factors). The shares
    add up to ``v(N) - v(∅)`` exactly; the *interaction* is ``v(N) - v(∅) - Σ_i [v({i}) -
    v(∅)]``, what the paths do together beyond switching each alone. Returns ``(φ [..., 3],
    interaction [...])``. Linear in v, so the shares of P(war) are the means of the shares of
    the paired indicators. Valid for any real values.
    """
    v = np.asarray(values, dtype=float)
    if v.shape[-1] != 8:
        raise ValueError(f"shapley_paths needs 8 values (one per switch set), got {v.shape[-1]}")
    phi = np.zeros((*v.shape[:-1], 3))
    for i in range(3):
        for s in range(8):
            if s & (1 << i):
                continue
            size = bin(s).count("1")
            phi[..., i] += _SHAPLEY_WEIGHT[size] * (v[..., s | (1 << i)] - v[..., s])
    alone = sum(v[..., 1 << i] - v[..., 0] for i in range(3))
    return phi, v[..., 7] - v[..., 0] - alone


__all__ = [
    "ACCEPT_OPTION",
    "CONCEDE_OPTION",
    "DECLINE_TOLERANCE",
    "LIKELIHOOD_FLOOR",
    "MAX_BUNDLE_ITEMS",
    "OPTIONS",
    "OPTION_MOVES",
    "PATHS",
    "PERCEIVED_MOVES",
    "SPLIT_PARTS",
    "TYPE_REDRAW",
    "HeldStakes",
    "Offer",
    "Reply",
    "WarLadder",
    "WarRungs",
    "WarSplit",
    "Withdrawal",
    "acceptance_probability",
    "accepts",
    "assumed_exchange_probability",
    "attack_value",
    "attribution_weights",
    "bayes_types",
    "bearable",
    "believed_chance",
    "best_bundle",
    "best_offer",
    "boosted_win_probability",
    "brink_rounds",
    "bundle_candidates",
    "bundle_shares",
    "choice_probabilities",
    "choose",
    "commitment_gap",
    "cost_from_resolve",
    "draw_joint_type",
    "draw_type",
    "exchange_hazard_held",
    "exchange_state_value",
    "fearon_demand",
    "front_step",
    "front_war_value",
    "held_stakes",
    "hold_value",
    "honest_mass",
    "implementation_matrix",
    "incident_rate",
    "intervention_probability",
    "joint_types",
    "ladder_utilities",
    "lie_pays",
    "likelihood_of",
    "lookahead_value",
    "message_likelihood",
    "move_likelihood",
    "nuclear_response",
    "observation_matrix",
    "onset_value",
    "option_of",
    "pair_war_value",
    "patron_values",
    "posterior_mean",
    "promised_reservation",
    "promised_settlement_value",
    "quit_probability",
    "reaches_war",
    "refusal_values",
    "reply_quit_probability",
    "resolve_from_values",
    "settlement_utilities",
    "settlement_value",
    "shapley_paths",
    "side_strength",
    "twin_split",
    "update_on_move",
    "war_hold_value",
    "war_ladder_utilities",
    "war_rungs",
    "war_split",
    "war_targets",
    "war_value",
    "win_probability",
]
