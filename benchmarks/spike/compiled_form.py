"""Spike, form 2: perception and decisions written per replication, compiled by numba.

The code reads like the agent model (``agents/agents.py``, ``StateAgent.perceive``): one
replication at a time, plain loops over actors and over the actors each one watches, one scalar
at a time. :func:`two_phases` runs it for every replication inside one compiled loop;
:func:`two_phases_parallel` spreads the replications over threads (``prange``).

What it cannot do is call the project's equations and policies as they are: those are written
for numpy arrays (``np.asarray``, ``np.where``, broadcasting with ``[..., None]``). numba
rejects some of them outright on scalars (``numba.njit(dx.bayes_hostility)(0.5, 1)`` and
``numba.njit(dx.target_rung)(2, 1, 2, 8)`` fail to type, numba 0.68; ``observe_rung`` happens
to compile), and the policies take a frozen dataclass (``Observation``) and return arrays.
So every equation the two phases use is written a second time below, in scalar form,
and the quantal policy with them. A policy written in Python plugs in by splitting the round
at the decision phase (:func:`perceive_all`, then the driver's Python, then :func:`decide_all`
with the moves it chose); a scripted or human move is a number per actor in ``given``. See
``plugins.py``.

numba is not a dependency of escalsim: this module imports it at the top, and
``bench_spike.py`` says so and skips this form when it is missing.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np
from common import COUNTERS, DELIBERATE, MISCALCULATED, NO_MOVE, THIRD_PARTY, Constants, State
from numpy.typing import NDArray

from escalsim.core import dynamics as dx

njit = numba.njit(cache=True)

# Module-level arrays are frozen into the compiled code as constants.
LIKELIHOOD_HOSTILE = dx.LIKELIHOOD_HOSTILE.copy()
LIKELIHOOD_BENIGN = dx.LIKELIHOOD_BENIGN.copy()
FLOOR = dx.BELIEF_FLOOR
STEP_DOWN, HOLD, STEP_UP, JUMP, CONCEDE = dx.STEP_DOWN, dx.HOLD, dx.STEP_UP, dx.JUMP, dx.CONCEDE
CANDIDATES = dx.CANDIDATE_MOVES.astype(np.int64)
OBSERVATIONS, PERCEPTION_ERRORS, FALSE_ALARMS, DECISIONS, MISCALCULATIONS, MISC_ESCALATIONS = range(
    len(COUNTERS)
)


class K(NamedTuple):
    """The scenario's constants, as numba reads them (a named tuple of scalars and arrays)."""

    A: int
    n_rungs: int
    jump: int
    war_rung: int
    public: int
    power_a: int
    power_b: int
    is_power: NDArray[np.bool_]
    adversary: NDArray[np.int64]
    capability: NDArray[np.float64]
    risk_tolerance: NDArray[np.float64]
    red_line: NDArray[np.int64]
    audience: NDArray[np.float64]
    influence: NDArray[np.float64]
    noise: NDArray[np.float64]
    deconfliction: NDArray[np.float64]
    costs: NDArray[np.float64]
    war_risk: NDArray[np.float64]
    weights: NDArray[np.float64]
    precision: NDArray[np.float64]
    observed: NDArray[np.bool_]
    o_noise: int
    o_dir: int
    o_deconf: int
    o_choice: int


class S(NamedTuple):
    """The state, replication first (``rung[r, i]``, ``perceived[r, i, j]``)."""

    rung: NDArray[np.int64]
    apparent: NDArray[np.int64]
    incident: NDArray[np.int64]
    dchange: NDArray[np.int64]
    committed: NDArray[np.bool_]
    joined: NDArray[np.bool_]
    alignment: NDArray[np.float64]
    perceived: NDArray[np.int64]
    pmove: NDArray[np.int64]
    hostility: NDArray[np.float64]
    hostility_true: NDArray[np.float64]
    trust: NDArray[np.float64]
    path: NDArray[np.int64]
    bonus: NDArray[np.float64]
    red_clear: NDArray[np.bool_]
    counts: NDArray[np.int64]


def constants(c: Constants) -> K:
    """The spike's constants as a :class:`K`."""
    o = c.offsets
    return K(
        **{name: getattr(c, name) for name in K._fields if not name.startswith("o_")},
        o_noise=o["noise"],
        o_dir=o["noise_direction"],
        o_deconf=o["deconfliction"],
        o_choice=o["choice"],
    )


def state(s: State) -> S:
    """A copy of a replication-first state as an :class:`S`."""
    return S(**{name: np.ascontiguousarray(getattr(s, name)).copy() for name in S._fields})


def as_state(s: S) -> State:
    """Back to :class:`common.State` (for comparing the forms)."""
    return State(**{name: getattr(s, name).copy() for name in S._fields})


# -- the equations, once more, one number at a time ------------------------------------------
@njit
def clip(v, lo, hi):
    """``np.clip`` on a scalar: ``min(max(v, lo), hi)``."""
    return min(max(v, lo), hi)


@njit
def sign(v: int) -> int:
    """-1, 0 or +1."""
    return (v > 0) - (v < 0)


@njit
def target_rung(x: int, move: int, jump: int, n_rungs: int) -> int:
    """The rung ``move`` reaches from ``x`` (dynamics.target_rung)."""
    if move == JUMP:
        delta = jump
    elif move == CONCEDE:
        delta = -x
    else:
        delta = move
    return clip(x + delta, 0, n_rungs - 1)


@njit
def observe_rung(true_rung: int, noise: float, u_noise: float, u_dir: float, n_rungs: int) -> int:
    """One rung off with probability ``noise``; reflected at the ends (dynamics.observe_rung)."""
    if u_noise >= noise:
        return true_rung
    if true_rung == 0:
        return 1
    if true_rung == n_rungs - 1:
        return true_rung - 1
    return true_rung - 1 if u_dir < 0.5 else true_rung + 1


@njit
def bayes_hostility(prior: float, move: int) -> float:
    """Belief that the adversary is hostile after seeing ``move`` (dynamics.bayes_hostility)."""
    lh = LIKELIHOOD_HOSTILE[move + 1]
    lb = LIKELIHOOD_BENIGN[move + 1]
    mu = clip(prior, FLOOR, 1.0 - FLOOR)
    return clip(mu * lh / (mu * lh + (1.0 - mu) * lb), FLOOR, 1.0 - FLOOR)


@njit
def utility(
    c: K,
    i: int,
    x: int,
    xp: int,
    expected_y: float,
    ratio: float,
    committed: bool,
    stepped_down: bool,
    pressure: float,
) -> float:
    """Actor i's utility for reaching rung ``xp`` from ``x`` (dynamics.quantal_utilities)."""
    w = c.weights[i]
    deficit = max(0.0, expected_y - xp) * ratio
    war = 1.0 if c.war_rung >= 0 and xp >= c.war_rung else c.war_risk[xp]
    risk = war * (1.0 - c.risk_tolerance[i])
    backing_down = 1.0 if xp < x and committed else 0.0
    reciprocity = 1.0 if xp <= x and stepped_down else 0.0
    return (
        -w[0] * deficit
        - w[1] * c.costs[xp]
        - w[2] * risk
        - w[3] * c.audience[i] * backing_down
        + w[4] * reciprocity
        - w[5] * pressure * (xp - x)
    )


@njit
def quantal(
    c: K,
    i: int,
    x: int,
    y: int,
    y_move: int,
    hostility: float,
    trust: float,
    committed: bool,
    ratio: float,
    pressure: float,
    draw: float,
    scratch: NDArray[np.float64],
) -> int:
    """The quantal policy: utilities of the four moves, then a logit choice with ``draw``."""
    expected_y = y + hostility - (1.0 - hostility) * trust
    for k in range(4):
        xp = target_rung(x, CANDIDATES[k], c.jump, c.n_rungs)
        scratch[k] = utility(c, i, x, xp, expected_y, ratio, committed, y_move < 0, pressure)
    top = scratch.max()
    total = 0.0
    for k in range(4):
        scratch[k] = math.exp(c.precision[i] * (scratch[k] - top))
        total += scratch[k]
    # The first option whose cumulative probability exceeds the draw (dynamics.logit_choice).
    index = 0
    cumulative = 0.0
    for k in range(4):
        cumulative += scratch[k]
        if draw >= cumulative / total:
            index += 1
    return CANDIDATES[min(index, 3)]


# -- phase 4: perception, one replication ------------------------------------------------------
@njit
def perceive(r: int, s: S, c: K, u: NDArray[np.float64]) -> None:
    """Every actor looks at every actor it watches through the best channel up."""
    A = c.A  # noqa: N806
    for i in range(A):
        s.perceived[r, i, i] = s.rung[r, i]
        for j in range(A):
            if i == j or not c.observed[i, j]:
                continue
            before = s.perceived[r, i, j]
            path = s.path[r, i, j]
            slot = i * A + j
            seen = observe_rung(
                s.apparent[r, j], c.noise[path], u[c.o_noise + slot], u[c.o_dir + slot], c.n_rungs
            )
            incident = s.incident[r, j]
            if incident > 0 and path != c.public:
                # An incident seen over a private channel may be explained (deconfliction).
                deconf = min(1.0, c.deconfliction[path] + s.bonus[r, path])
                if u[c.o_deconf + slot] < deconf:
                    seen = max(seen - incident, 0)
            if s.red_clear[r] and c.is_power[i] and c.is_power[j]:
                # A clarified red line: whether it is crossed is never misread.
                line = c.red_line[i]
                if (seen >= line) != (s.rung[r, j] >= line):
                    seen = s.rung[r, j]
            s.perceived[r, i, j] = seen
            s.pmove[r, i, j] = sign(seen - before)


@njit
def count_perception(r: int, s: S, c: K) -> None:
    """The perception counters of the actors that decide."""
    for i in range(c.A):
        if not (c.is_power[i] or s.joined[r, i]):
            continue
        j = c.adversary[i]
        s.counts[r, OBSERVATIONS] += 1
        if s.perceived[r, i, j] != s.rung[r, j]:
            s.counts[r, PERCEPTION_ERRORS] += 1
        if s.pmove[r, i, j] > 0 and s.dchange[r, j] <= 0:
            s.counts[r, FALSE_ALARMS] += 1


# -- phase 5: beliefs, one replication ---------------------------------------------------------
@njit
def update_beliefs(r: int, s: S, c: K) -> None:
    """Bayes on the moves perceived, and on the true moves for the counterfactual."""
    for i in range(c.A):
        for j in range(c.A):
            if i != j and c.observed[i, j]:
                s.hostility[r, i, j] = bayes_hostility(s.hostility[r, i, j], s.pmove[r, i, j])
                s.hostility_true[r, i, j] = bayes_hostility(
                    s.hostility_true[r, i, j], sign(s.dchange[r, j])
                )


# -- phase 6: decisions, one replication -------------------------------------------------------
@njit
def patron(r: int, s: S, c: K, k: int) -> int:
    """The power a third party leans to."""
    return c.power_a if s.alignment[r, k] >= 0.5 else c.power_b


@njit
def side_capability(r: int, s: S, c: K, index: int) -> float:
    """An actor's capability, with the allies that joined it."""
    total = c.capability[index]
    if c.is_power[index]:
        for k in range(c.A):
            if not c.is_power[k] and s.joined[r, k] and patron(r, s, c, k) == index:
                total = total + c.capability[k]
    return total


@njit
def pressure_on(r: int, s: S, c: K, index: int) -> float:
    """Net third-party pressure on a power: > 0 asks for restraint, < 0 for firmness."""
    if not c.is_power[index]:
        return 0.0
    other = c.power_b if index == c.power_a else c.power_a
    column = 0 if index == c.power_a else 1
    total = 0.0
    for k in range(c.A):
        if c.is_power[k]:
            continue
        mine, theirs = s.perceived[r, k, index], s.perceived[r, k, other]
        direction = 0.0
        if mine > theirs:
            direction = 1.0
        elif theirs > mine and patron(r, s, c, k) == index:
            direction = -1.0
        total = total + c.influence[k, column] * direction
    return total


@njit
def decide(
    r: int,
    s: S,
    c: K,
    u: NDArray[np.float64],
    given: NDArray[np.int64],
    given_truth: NDArray[np.int64],
    moves: NDArray[np.int64],
    deciding: NDArray[np.bool_],
    causes: NDArray[np.int64],
    scratch: NDArray[np.float64],
) -> None:
    """Each actor that decides chooses, on what it perceives and on the truth; why it climbs."""
    for i in range(c.A):
        moves[r, i], deciding[r, i], causes[r, i] = 0, False, 0
        if not (c.is_power[i] or s.joined[r, i]):
            continue
        j = c.adversary[i]
        x = s.rung[r, i]
        pressure = pressure_on(r, s, c, i)
        ratio = side_capability(r, s, c, j) / side_capability(r, s, c, i)
        committed = s.committed[r, i]
        draw = u[c.o_choice + i]
        if given[r, i] != NO_MOVE:
            move, truth_move = given[r, i], given_truth[r, i]
        else:
            move = quantal(
                c, i, x, s.perceived[r, i, j], s.pmove[r, i, j], s.hostility[r, i, j],
                s.trust[r, i, j], committed, ratio, pressure, draw, scratch,
            )  # fmt: skip
            truth_move = quantal(
                c, i, x, s.rung[r, j], sign(s.dchange[r, j]), s.hostility_true[r, i, j],
                s.trust[r, i, j], committed, ratio, pressure, draw, scratch,
            )  # fmt: skip
        raises = target_rung(x, move, c.jump, c.n_rungs) > x
        wrong = raises and not target_rung(x, truth_move, c.jump, c.n_rungs) > x
        s.counts[r, DECISIONS] += 1
        s.counts[r, MISCALCULATIONS] += move != truth_move
        s.counts[r, MISC_ESCALATIONS] += wrong
        cause = DELIBERATE
        if wrong:
            cause = MISCALCULATED
        elif raises and not c.is_power[i]:
            cause = THIRD_PARTY
        elif raises and given[r, i] == NO_MOVE and pressure != 0.0:
            # Would it have climbed without the pressure?
            calm = quantal(
                c, i, x, s.perceived[r, i, j], s.pmove[r, i, j], s.hostility[r, i, j],
                s.trust[r, i, j], committed, ratio, 0.0, draw, scratch,
            )  # fmt: skip
            if target_rung(x, calm, c.jump, c.n_rungs) <= x:
                cause = THIRD_PARTY
        moves[r, i], deciding[r, i], causes[r, i] = move, True, cause


# -- across replications ----------------------------------------------------------------------
@njit
def two_phases(
    s: S,
    c: K,
    block: NDArray[np.float64],
    given: NDArray[np.int64],
    given_truth: NDArray[np.int64],
    moves: NDArray[np.int64],
    deciding: NDArray[np.bool_],
    causes: NDArray[np.int64],
) -> None:
    """Perception, beliefs and decisions of one round, replication after replication."""
    scratch = np.empty(4)
    for r in range(block.shape[0]):
        u = block[r]
        perceive(r, s, c, u)
        count_perception(r, s, c)
        update_beliefs(r, s, c)
        decide(r, s, c, u, given, given_truth, moves, deciding, causes, scratch)


@numba.njit(cache=True, parallel=True)
def two_phases_parallel(
    s: S,
    c: K,
    block: NDArray[np.float64],
    given: NDArray[np.int64],
    given_truth: NDArray[np.int64],
    moves: NDArray[np.int64],
    deciding: NDArray[np.bool_],
    causes: NDArray[np.int64],
) -> None:
    """:func:`two_phases` with the replications spread over numba's threads."""
    for r in numba.prange(block.shape[0]):
        scratch = np.empty(4)
        u = block[r]
        perceive(r, s, c, u)
        count_perception(r, s, c)
        update_beliefs(r, s, c)
        decide(r, s, c, u, given, given_truth, moves, deciding, causes, scratch)


@njit
def perceive_all(s: S, c: K, block: NDArray[np.float64]) -> None:
    """Phases 4 and 5 for every replication: the first half of a round split for Python."""
    for r in range(block.shape[0]):
        perceive(r, s, c, block[r])
        count_perception(r, s, c)
        update_beliefs(r, s, c)


@njit
def decide_all(
    s: S,
    c: K,
    block: NDArray[np.float64],
    given: NDArray[np.int64],
    given_truth: NDArray[np.int64],
    moves: NDArray[np.int64],
    deciding: NDArray[np.bool_],
    causes: NDArray[np.int64],
) -> None:
    """Phase 6 for every replication, with the moves Python chose in ``given``."""
    scratch = np.empty(4)
    for r in range(block.shape[0]):
        decide(r, s, c, block[r], given, given_truth, moves, deciding, causes, scratch)


# -- what a Python policy needs, handed out of the compiled code -----------------------------
#: Rows of :func:`observations`' output, the fields of an Observation that differ per replication.
FIELDS = ("x", "y", "y_move", "hostility", "trust", "committed", "capability_ratio", "pressure")


@njit
def observations(s: S, c: K, i: int, out: NDArray[np.float64]) -> None:
    """Actor i's observation in every replication, perceived (``out[:, 0]``) and true (``[:, 1]``).

    ``out`` is ``[len(FIELDS), 2, R]``: what a policy written in Python is given when the round
    is split at the decision phase.
    """
    j = c.adversary[i]
    for r in range(s.rung.shape[0]):
        ratio = side_capability(r, s, c, j) / side_capability(r, s, c, i)
        pressure = pressure_on(r, s, c, i)
        for view in range(2):
            out[0, view, r] = s.rung[r, i]
            out[4, view, r] = s.trust[r, i, j]
            out[5, view, r] = s.committed[r, i]
            out[6, view, r] = ratio
            out[7, view, r] = pressure
        out[1, 0, r], out[1, 1, r] = s.perceived[r, i, j], s.rung[r, j]
        out[2, 0, r], out[2, 1, r] = s.pmove[r, i, j], sign(s.dchange[r, j])
        out[3, 0, r], out[3, 1, r] = s.hostility[r, i, j], s.hostility_true[r, i, j]
