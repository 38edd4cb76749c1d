"""The model's equations, as pure functions over numpy arrays.

Every equation of escalsim lives here and nowhere else. Each function is elementwise or reduces
over a stated last axis, so it takes scalars for one actor (the mesa agents) or arrays shaped
``[replications, actors, ...]`` (the batch engine) and gives bit-identical results either way.
Each docstring gives the formula, its source, and its valid range; where the code departs from
a cited source, a comment says exactly where and why.

Moves are integers: :data:`STEP_DOWN` (-1), :data:`HOLD` (0), :data:`STEP_UP` (+1),
:data:`JUMP` (+2, meaning "climb ``ladder.jump`` rungs"), :data:`CONCEDE` (3) and :data:`ACCEPT`
(4, accept the other's standing offer: the crisis ends in a settlement at it; the rungs stay).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

STEP_DOWN, HOLD, STEP_UP, JUMP, CONCEDE, ACCEPT = -1, 0, 1, 2, 3, 4
#: The ladder moves a utility-based policy chooses among, in this order (the logit's categories).
CANDIDATE_MOVES = np.array([STEP_DOWN, HOLD, STEP_UP, JUMP])
CANDIDATE_MOVES.flags.writeable = False
MOVE_NAMES = {
    STEP_DOWN: "step_down",
    HOLD: "hold",
    STEP_UP: "step_up",
    JUMP: "jump",
    CONCEDE: "concede",
    ACCEPT: "accept",
}
MOVE_CODES = {name: code for code, name in MOVE_NAMES.items()}

Array = NDArray[Any]


def target_rung(x: ArrayLike, move: ArrayLike, jump: ArrayLike, n_rungs: ArrayLike) -> Array:
    """Rung reached from ``x`` by ``move``, clipped to the ladder.

    ``x' = clip(x + Δ(move), 0, n_rungs - 1)`` with Δ(step_down) = -1, Δ(hold) = 0,
    Δ(step_up) = +1, Δ(jump) = +jump; a concession goes to rung 0; accepting an offer keeps
    the rung (the settlement ends the crisis where the postures stand).

    Source: Kahn (1965), the escalation ladder. Valid for integer rungs and ``n_rungs >= 2``.
    """
    x = np.asarray(x)
    top = np.asarray(n_rungs) - 1
    if move is CANDIDATE_MOVES and type(jump) is int:
        # The candidate moves (no concession): their steps for this jump, computed once below.
        return on_ladder(x + _candidate_steps(jump), top)
    move = np.asarray(move)
    if move.dtype.kind in "iu" and not (move == CONCEDE).any():
        # No concession (the candidate moves' case): the step does not depend on x, so it is
        # computed over the moves alone and broadcast once; the same numbers and dtype.
        return on_ladder(x + _steps(move, jump), top)
    delta = np.where(
        move == JUMP, jump, np.where(move == CONCEDE, -x, np.where(move == ACCEPT, 0, move))
    )
    return on_ladder(x + delta, top)


def on_ladder(rung: ArrayLike, top: ArrayLike) -> Array:
    """A rung put on the ladder: ``clip(rung, 0, top)``.

    Integer rungs as a maximum then a minimum: the same numbers exactly (no rounding, NaN or
    signed zero), without ``np.clip``'s Python wrappers (a few µs a call, twenty calls a
    round). Source: the ladder's bounds (Kahn 1965). Valid for ``top >= 0``.
    """
    a = np.asarray(rung)
    if a.dtype.kind in "iu":
        return np.minimum(np.maximum(a, 0), top)
    return np.clip(a, 0, top)


def _steps(move: Array, jump: ArrayLike) -> Array:
    """Δ(move) of :func:`target_rung` for moves without a concession."""
    return np.where(move == JUMP, jump, np.where(move == ACCEPT, 0, move))


@functools.lru_cache(maxsize=16)
def _candidate_steps(jump: int) -> Array:
    """The steps of :data:`CANDIDATE_MOVES` for a jump of ``jump`` rungs, read-only.

    :func:`target_rung`'s step for those moves (no concession), the same numbers and dtype,
    computed once per jump: the round asks for the candidates' rungs about twenty times.
    """
    step = _steps(CANDIDATE_MOVES, jump)
    step.flags.writeable = False
    return step


def channel_up(is_open: ArrayLike, reliability: ArrayLike, u: ArrayLike) -> Array:
    """Whether a channel carries anything this round: ``open ∧ (u < reliability)``.

    Valid for reliability in [0, 1] and u ~ U[0, 1).
    """
    return np.logical_and(is_open, np.asarray(u) < np.asarray(reliability))


def incident_occurs(risk: ArrayLike, scale: ArrayLike, factor: ArrayLike, u: ArrayLike) -> Array:
    """An incident: an unintended event that looks like a step up.

    ``incident ⇔ u < min(1, risk · scale · factor)`` where ``risk`` is the held rung's
    ``incident_risk``, ``scale`` the scenario's ``incident_scale`` and ``factor`` the product of
    agreements' ``incident_risk_factor``. Source: Schelling (1960, ch. 7) on accidental war.
    Valid for non-negative inputs; the probability is clipped to 1.
    """
    p = np.minimum(
        np.asarray(risk, dtype=float)
        * np.asarray(scale, dtype=float)
        * np.asarray(factor, dtype=float),
        1.0,
    )
    return np.asarray(u) < p


def observe_rung(
    true_rung: ArrayLike, noise: ArrayLike, u_noise: ArrayLike, u_dir: ArrayLike, n_rungs: int
) -> Array:
    """A noisy observation of a rung.

    With probability ``noise`` the observation is one rung off: down if ``u_dir < 1/2``, else up;
    at an end of the ladder it is reflected to the one neighbour there is. On a two-rung ladder
    this flips the observation with probability ``noise``: the perception noise of the noisy
    prisoner's dilemma (Wu & Axelrod 1995). Valid for noise in [0, 1], ``n_rungs >= 2``.
    """
    true_rung = np.asarray(true_rung)
    step = np.where(np.asarray(u_dir) < 0.5, -1, 1)
    step = np.where(true_rung == 0, 1, np.where(true_rung == n_rungs - 1, -1, step))
    return np.where(np.asarray(u_noise) < noise, true_rung + step, true_rung)


def war_not_misread(seen: ArrayLike, true_rung: ArrayLike, war_rung: int | None) -> Array:
    """An observation corrected so that war itself is never misread.

    ``ŷ' = min(ŷ, w - 1)`` if ``y < w``, else ``y``, where ``w`` is the war rung: a state short
    of war is never seen at or above the war rung, and a state at war (or beyond) is seen
    exactly. Departs from the one-rung-off noise of :func:`observe_rung` (Wu & Axelrod 1995) on
    purpose: that noise stands for ambiguous signals of posture, and the outbreak of war between
    the powers is not ambiguous (the failure of diplomacy Fearon 1995 models is over resolve and
    capability, not over whether the shooting has started). Without it public noise showed a
    power at war one rung early and the other answered with war: wars "by miscalculation" that
    were an artefact of the noise model. ``war_rung`` None (no war rung) leaves ``seen`` as it
    is. Valid for rungs inside the ladder.
    """
    seen = np.asarray(seen)
    if war_rung is None:
        return seen
    true_rung = np.asarray(true_rung)
    return np.where(true_rung >= war_rung, true_rung, np.minimum(seen, war_rung - 1))


def perceived_move(observed_now: ArrayLike, observed_before: ArrayLike) -> Array:
    """Direction of a perceived change: ``sign(ŷ_t - ŷ_{t-1})`` in {-1, 0, +1}."""
    return np.sign(np.asarray(observed_now) - np.asarray(observed_before)).astype(np.int64)


def war_probability(war_risk: Array, x: ArrayLike, y: ArrayLike, war_rung: int | None) -> Array:
    """Per-round probability of war when the two powers hold rungs x and y.

    ``P_war = 1`` if ``max(x, y) >= war_rung``, else ``war_risk[max(x, y)]``: the risk is set by
    the higher posture in the crisis (Schelling 1966, the threat that leaves something to
    chance). A fractional ``y`` (an expectation) interpolates linearly between rungs. Valid for
    rungs inside the ladder; ``war_rung`` None means no war rung.
    """
    top = np.maximum(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    top = np.clip(top, 0.0, len(war_risk) - 1)
    p = np.interp(top, np.arange(len(war_risk)), war_risk)
    if war_rung is not None:
        p = np.where(top >= war_rung, 1.0, p)
    return p


def cumulative_risk(previous: ArrayLike, risk: ArrayLike) -> Array:
    """Risk of war accumulated over rounds: ``ρ' = 1 - (1 - ρ)(1 - r)``. Valid in [0, 1]."""
    return 1.0 - (1.0 - np.asarray(previous)) * (1.0 - np.asarray(risk))


def effective_audience_cost(audience_cost: ArrayLike, domestic_pressure: ArrayLike) -> Array:
    """Audience cost scaled by domestic pressure: ``D = a (1 + p)``, p in [-1, 1].

    Source: Fearon (1994) for audience costs; the hawkish/dovish scaling is this model's. A fully
    dovish public (p = -1) imposes no cost for backing down; a hawkish one (p = 1) doubles it.
    """
    return np.asarray(audience_cost) * (1.0 + np.asarray(domestic_pressure))


def implementation_error(
    move: ArrayLike, x: ArrayLike, u_err: ArrayLike, rate: ArrayLike, u_dir: ArrayLike, n_rungs: int
) -> Array:
    """The move actually made: with probability ``rate`` the intended one comes out opposite.

    Step up (or jump) ↔ step down; a hold becomes a step, down if ``u_dir < 1/2`` else up, and
    at an end of the ladder the one step possible. A concession or an acceptance is never
    flipped (they are decisions, not postures an organisation carries out). On two rungs
    the resulting rung is flipped: Wu & Axelrod's (1995) implementation noise. Valid for rate in
    [0, 0.5].
    """
    move = np.asarray(move)
    x = np.asarray(x)
    hold_flip = np.where(np.asarray(u_dir) < 0.5, STEP_DOWN, STEP_UP)
    hold_flip = np.where(x == 0, STEP_UP, np.where(x == n_rungs - 1, STEP_DOWN, hold_flip))
    opposite = np.where(move == HOLD, hold_flip, np.where(move == STEP_DOWN, STEP_UP, STEP_DOWN))
    flip = (np.asarray(u_err) < rate) & (move != CONCEDE) & (move != ACCEPT)
    return np.where(flip, opposite, move)


def friction(move: ArrayLike, u: ArrayLike, rate: ArrayLike) -> Array:
    """A chosen step down that does not happen: with probability ``rate`` it becomes a hold."""
    move = np.asarray(move)
    return np.where((move == STEP_DOWN) & (np.asarray(u) < rate), HOLD, move)


def agreement_probability(
    base: ArrayLike, trust: ArrayLike, rung_share: ArrayLike, boost: ArrayLike
) -> Array:
    """Per-round probability that talks on an agenda item produce an agreement.

    ``p = min(1, base · τ̄ · (1 - r̄) · boost)`` with τ̄ the powers' mean mutual trust and r̄ their
    mean rung as a share of the ladder's top. Rises with trust, falls with the rung (DESIGN.md
    §2); a summit multiplies it by its boost. Valid for inputs in [0, 1] and boost >= 1.
    """
    return np.minimum(
        np.asarray(base) * np.asarray(trust) * (1.0 - np.asarray(rung_share)) * np.asarray(boost),
        1.0,
    )


def realign(alignment: ArrayLike, aggression_gap: ArrayLike, rate: float = 0.1) -> Array:
    """A third party's share with power A after seeing the powers' perceived rungs.

    ``a' = clip(a + rate · tanh(y_B - y_A), 0, 1)``: it moves toward the side it sees as less
    aggressive (balance-of-threat, Walt 1987), faster for larger gaps, saturating. The share
    with B is ``1 - a'``. Valid for a in [0, 1], rungs on the ladder.
    """
    return np.clip(np.asarray(alignment) + rate * np.tanh(np.asarray(aggression_gap)), 0.0, 1.0)


def polarisation(alignment_a: ArrayLike) -> Array:
    """Mean distance of third parties from neutrality: ``mean |2a - 1|`` over the last axis.

    0 when every third party is even-handed, 1 when each sides fully with one power. Empty
    input gives 0.
    """
    a = np.asarray(alignment_a, dtype=float)
    if a.shape[-1] == 0:
        return np.zeros(a.shape[:-1])
    # Summed left to right, one third party at a time: numpy's mean over the last axis may
    # associate the sum differently for one row than for many (from 8 elements on), and a
    # replication's numbers must not depend on the rows beside it (the validation check
    # alone-equals-ensemble found a last-bit difference with ukraine-talks-2022's 8).
    distance = np.abs(2.0 * a - 1.0)
    total = np.zeros(a.shape[:-1])
    for k in range(a.shape[-1]):
        total = total + distance[..., k]
    return total / a.shape[-1]
