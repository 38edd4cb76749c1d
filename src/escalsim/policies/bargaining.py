"""The bargaining policy: crisis bargaining under incomplete information (decision model v2).

The default policy of the second decision model (docs/decision-v2.md §3.6, §3.7 and §6), as one
pure class over the equations of :mod:`escalsim.core.bargaining`. It is registered and tested
over the observation the round supplies to the two powers; ``decide`` and ``offer`` refuse an
observation without a posterior, a war value or a drawn type (a third party's: the scenario's
checks refuse the policy for one, ``Policy.powers_only``).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, override

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from escalsim.core import bargaining as bg
from escalsim.core import dynamics as dx
from escalsim.policies.base import (
    TIE,
    Actor,
    Memory,
    NonNegative,
    Observation,
    Policy,
    PolicySpec,
)
from escalsim.policies.registry import register

if TYPE_CHECKING:
    from collections.abc import Callable

    from escalsim.core.params import Params

Array = NDArray[Any]


#: What the round must supply before this policy can decide (docs/decision-v2.md §6).
MISSING = (
    "the bargaining policy needs the observation of decision model v2 (docs/decision-v2.md §6): "
    "{field} was not supplied; the round supplies it to the two powers only"
)


class BargainingPolicy(PolicySpec):
    """Crisis bargaining (decision model v2): the best offer against a posterior over types.

    Then a logit among accepting, conceding and the ladder moves, war only as a best response.
    """

    name: Literal["bargaining"]
    precision: NonNegative = Field(
        default=20.0,
        description="Logit precision lambda on annuities (a share of the stakes' flow per "
        "round): 0 is random among the peaceful options, large is a best response. A first "
        "guess; the default is set by the complete-information acceptance test of "
        "docs/decision-v2.md §12, step 6.",
    )


@dataclass(frozen=True)
class Terms:
    """What both decisions derive from one observation (docs/decision-v2.md §2, §3.1).

    Attributes
    ----------
    delta : float
        δ, ``Params.discount``.
    share, share_j : ndarray
        The shares ``q_i`` and ``q_j`` of the stakes while the crisis lasts: the status quo
        (``Params.status_quo``), or where a fait accompli holds them (``stakes.held_at``) the
        holder's at its rung (:func:`~escalsim.core.bargaining.held_stakes`).
    p : ndarray
        i's chance of winning a war, ``p_i = (1 - δ) W_i + c_i`` clipped to [0, 1]: recovered
        from the round's ``war_value`` and the drawn ``war_cost``, so that the other's war
        values below use the same side strengths as the round's ``W_i``.
    war : ndarray
        ``W_i``, ``obs.war_value``.
    war_j : ndarray
        ``[..., K]``: the other's war value per joint type, ``(1 - p_i - c_θ)/(1 - δ)``, with
        ``c_θ`` the other's cost grid (``Params.cost_types``) repeated over the honesty types.
    flow, flow_j : ndarray
        The flows while the crisis lasts at the rungs held, before what the other's rung
        imposes (``imposed_cost``, §3.11): ``q_i - k_i(x)``, ``q_j - k_j(ŷ)``.
    imposed_on, imposed_on_j : ndarray
        What the other's rung imposes on i, ``m(ŷ)``, and i's rung on the other, ``m(x)``
        (``Params.imposed``; 0 on a ladder that imposes nothing).
    posture, posture_j : ndarray
        ``[n_rungs]``: each rung's posture cost ``k_i``, ``k_j`` (the ladder's ``costs``; for
        the holder of a fait accompli, plus its share below its rung).
    other : int
        The other power's actor index.
    costs_j : ndarray
        ``[K]``: the other's cost per joint type (``c_θ`` above).
    cost : ndarray
        i's drawn cost of war, ``obs.war_cost``.
    later, rounds : ndarray
        The commitment problem (§3.9): i's chance of winning after the next scheduled change
        of power and the rounds until it (``obs.shift_win``, ``obs.shift_rounds``; NaN: none,
        and every settlement is worth its face value).
    """

    delta: float
    share: Array
    share_j: Array
    p: Array
    war: Array
    war_j: Array
    flow: Array
    flow_j: Array
    posture: Array
    posture_j: Array
    imposed_on: Any
    imposed_on_j: Any
    other: int
    costs_j: Array
    cost: Array
    later: Array
    rounds: Array


def _joint_costs(params: Params, row: int, types: int) -> Array:
    """The cost of war of each of power ``row``'s ``types`` joint types: its grid, repeated.

    ``params.cost_types[row]`` once per honesty type (strategic first); computed once per
    ``Params``, row and number of types (``params.derived``), read-only. Raises where the
    number of types is not a multiple of the grid's.
    """

    def tiled() -> Array:
        grid = np.asarray(params.cost_types[row], dtype=float)
        if types % len(grid):
            raise ValueError(
                f"a posterior over {types} types does not fit the other power's "
                f"{len(grid)} cost types (joint types: 2 x {len(grid)}, strategic first)"
            )
        costs = np.tile(grid, types // len(grid))
        costs.flags.writeable = False
        return costs

    got: Array = params.once(("joint_costs", row, types), tiled)
    return got


def power_rows(actor: Actor, params: Params) -> tuple[int, int]:
    """The rows of ``actor`` and of the other power in the per-power arrays of ``Params``.

    Those arrays are ``status_quo``, ``cost_types`` and ``cost_prior``; row 0 is ``power_a``.
    """
    if actor.index == params.power_a:
        return 0, 1
    if actor.index == params.power_b:
        return 1, 0
    raise ValueError(
        f"the bargaining policy decides for the two powers; actor {actor.index} "
        f"({params.ids[actor.index]}) is a third party"
    )


def quit_precision(params: Params, k: int) -> float:
    """The precision of power k's decision to quit, as the other models it.

    The scenario, policies included, is common knowledge (docs/decision-v2.md §3.4): its
    ``precision`` if its policy is ``bargaining``, else ∞ (a rule-based responder accepts
    ``s >= r``, a threshold, §3.6).
    """
    spec = params.policies[k]
    return float(spec.precision) if spec.name == Bargaining.name else math.inf


def terms(obs: Observation, actor: Actor, params: Params) -> Terms:
    """The :class:`Terms` of an observation; raises if the round did not supply one."""
    for field in ("war_value", "war_cost"):
        if np.isnan(np.asarray(getattr(obs, field), dtype=float)).any():
            raise ValueError(MISSING.format(field=field))
    posterior = np.asarray(obs.posterior, dtype=float)
    if posterior.ndim == 0 or np.isnan(posterior).any():
        raise ValueError(MISSING.format(field="posterior"))
    mine, theirs = power_rows(actor, params)
    costs = _joint_costs(params, theirs, posterior.shape[-1])
    delta = float(params.discount)
    war = np.asarray(obs.war_value, dtype=float)
    p = np.clip((1.0 - delta) * war + np.asarray(obs.war_cost, dtype=float), 0.0, 1.0)
    top = params.n_rungs - 1
    x, y = dx.on_ladder(obs.x, top), dx.on_ladder(obs.y, top)
    holds = 0 if params.held_by < 0 else (1 if params.held_by == mine else -1)
    imposed = imposing(params)
    held = bg.held_stakes(
        float(params.status_quo[mine]),
        float(params.status_quo[theirs]),
        params.costs,
        holds,
        params.held_rung,
        x,
        y,
    )
    war_j = bg.war_value(1.0 - p[..., None], costs, delta)
    if lasting(params):
        # A war fought over the front from where it stands (docs/pair-wars.md §3.3): part 1's
        # W when the front stands at the chances, more for the side that holds more; and its
        # escalation, one level deep (§4): the onset values.
        war, war_j = onset_values(obs, p, war, war_j, costs, actor, params)
    return Terms(
        delta=delta,
        share=held.share,
        share_j=held.share_j,
        p=p,
        war=war,
        war_j=war_j,
        flow=held.share - held.posture[x],
        flow_j=held.share_j - held.posture_j[y],
        posture=held.posture,
        posture_j=held.posture_j,
        imposed_on=0.0 if imposed is None else imposed[y],
        imposed_on_j=0.0 if imposed is None else imposed[x],
        other=int(params.adversary[actor.index]),
        costs_j=costs,
        cost=np.asarray(obs.war_cost, dtype=float),
        later=np.asarray(obs.shift_win, dtype=float),
        rounds=np.asarray(obs.shift_rounds, dtype=float),
    )


def exchange_state(params: Params) -> float:
    """``V_ex``, the value after a strategic exchange (0 where none can happen: the hazard is 0).

    Computed once per ``Params`` (``params.derived``).
    """
    value, delta = params.exchange_value, params.discount
    return float(
        params.once(
            "exchange_state",
            lambda: 0.0 if value is None else float(bg.exchange_state_value(value, delta)),
        )
    )


def _war_top(side: int, params: Params) -> int:
    """The highest rung ``side`` can hold at war: the top, or below the nuclear rung unarmed."""
    top = params.n_rungs - 1
    if params.nuclear_rung is not None and not params.nuclear[side]:
        top = max(int(params.war_rung), params.nuclear_rung - 1)  # type: ignore[arg-type]
    return top


def war_moves(
    x: Any,
    y: Any,
    front: Any,
    strength: Any,
    cost: Any,
    prevail: Any,
    prior_other: Any,
    cost_other: Any,
    quit_other: Any,
    side: int,
    other: int,
    params: Params,
    rungs: bg.WarRungs | None = None,
) -> Array:
    """A side's moves at war ``[..., 4]``, valued with the scenario's war fields.

    :func:`~escalsim.core.bargaining.war_ladder_utilities` with the scenario's ladder, exchange,
    discount, front step and decisiveness. ``x``, ``y``: the side's and the other's rungs;
    ``front``: the side's share on the front; ``strength``: the other's strength relative to the
    side's; ``cost``: the side's cost of war;
    ``prevail``: its value if the other quits; ``prior_other``, ``cost_other``, ``quit_other``:
    its belief over the other's types, their costs and their value of quitting. The other's
    quit precision, both exchange-risk scales and whether an exchange can happen come from
    ``side``, ``other`` and ``params``. The one call of the war ladder for every use here.

    Both rungs are read within what a side at war can hold (the war is common knowledge): at
    least the war rung, and below the nuclear rung for a side without nuclear weapons. A
    perceived rung outside that band (a noisy channel's one-rung error) would otherwise leave
    the side no move at all. ``rungs``: the ladder's terms at these rungs, computed once
    (:func:`onset_rungs`; default: computed here).
    """
    x = np.clip(np.asarray(x), params.war_rung, _war_top(side, params))
    y = np.clip(np.asarray(y), params.war_rung, _war_top(other, params))
    return bg.war_ladder_utilities(
        x,
        y,
        war_ladder(params),
        bool(params.nuclear[side]),
        front,
        1.0,
        strength,
        cost,
        exchange_state(params),
        prevail,
        float(params.discount),
        params.front_step,
        prior_other,
        cost_other,
        quit_other,
        params.decisiveness,
        quit_precision(params, other),
        params.exchange_risk_scale[side],
        params.exchange_risk_scale[other],
        exchange_possible(params),
        rungs=rungs,
    )


class OnsetRungs(NamedTuple):
    """The ladder's terms of a war's onset for one side, both sides at the war rung.

    ``rungs``: :func:`~escalsim.core.bargaining.war_rungs` as :func:`war_moves` computes them
    there; ``targets``: the rung each of its four moves reaches (the same as ``rungs.targets``,
    :func:`~escalsim.core.bargaining.war_targets` of the war rung); ``options``: ``-1``
    (quitting) then ``targets``; ``nuclear``: which targets are nuclear rungs;
    ``answer_hazard``: per rung z, the hazard the other assumes at the war rung once this side
    holds z (:func:`~escalsim.core.bargaining.exchange_hazard_held` of the war rung and z at
    the other's risk scale), the ``h`` of :func:`onset_values` for this side's answer.
    """

    rungs: bg.WarRungs
    targets: Array
    options: Array
    nuclear: Array
    answer_hazard: Array


def onset_rungs(side: int, other: int, params: Params) -> OnsetRungs:
    """The :class:`OnsetRungs` of ``side`` against ``other``, computed once per ``Params``.

    A war's onset values both sides at the war rung (:func:`_nuclear_answer`), in every row
    and every round, so the ladder's terms there (targets, advantages, posture costs, exchange
    hazards, closed rungs) are constants of the round's parameters; the round asks for them
    about twenty times a round. Cached in ``params.derived`` (valid for the object's life:
    ``Params`` is frozen, :attr:`~escalsim.core.params.Params.derived`); the arrays are
    read-only, so no caller can change what the next one reads.
    """
    got: OnsetRungs = params.once(
        ("onset_rungs", side, other), lambda: _onset_rungs(side, other, params)
    )
    return got


def _onset_rungs(side: int, other: int, params: Params) -> OnsetRungs:
    """:func:`onset_rungs`, computed."""
    ladder = war_ladder(params)
    w = ladder.war_rung
    top, top_other = _war_top(side, params), _war_top(other, params)
    nuclear = bool(params.nuclear[side])
    scales = (params.exchange_risk_scale[side], params.exchange_risk_scale[other])
    possible = exchange_possible(params)
    x = np.clip(np.asarray(w), params.war_rung, top)
    y = np.clip(np.asarray(float(w)), params.war_rung, top_other)
    rungs = bg.war_rungs(x, y, ladder, nuclear, *scales, possible)
    targets = bg.war_targets(w, ladder)
    at = params.nuclear_rung if params.nuclear_rung is not None else np.inf
    got = OnsetRungs(
        rungs=bg.WarRungs(*(np.asarray(a) for a in rungs)),
        targets=targets,
        options=np.concatenate([[-1], targets]),
        nuclear=targets >= at,
        answer_hazard=np.asarray(
            bg.exchange_hazard_held(
                ladder.exchange_hazard,
                w,
                np.arange(len(ladder.exchange_hazard)),
                ladder.nuclear_rung,
                scales[1],
                possible,
                ladder.strategic_rung,
            )
        ),
    )
    for a in (*got.rungs, got.targets, got.options, got.nuclear, got.answer_hazard):
        a.flags.writeable = False
    return got


def _nuclear_answer(
    strength: Array,
    cost: Array,
    front: Array,
    quit: Array,
    prevail: Array,
    prior_other: Array,
    cost_other: Array,
    quit_other: Array,
    side: int,
    other: int,
    params: Params,
) -> tuple[Array, Array]:
    """Whether a side answers a war's onset with a nuclear step, per its type, and where to.

    The side's moves in the war's first round, both sides at the war rung
    (:func:`~escalsim.core.bargaining.war_ladder_utilities` from its side, the other's
    quitting under its prior ``prior_other`` over the other's costs ``cost_other``, worth
    ``quit_other``), beside quitting (``quit``: accepting the other's offer or conceding): the
    nuclear step is its answer where it is strictly best
    (:func:`~escalsim.core.bargaining.nuclear_response`). ``strength`` is the other's strength
    relative to this side's; the types are the last axis of ``cost``, ``front``, ``quit`` and
    ``prevail`` (or those broadcast over it: a length 1). Returns ``n`` and the rung of its
    best nuclear step, each ``[..., types]``.
    """
    onset = onset_rungs(side, other, params)
    w = int(params.war_rung)  # type: ignore[arg-type]
    # The rung terms come from onset_rungs, so the rungs passed here are not read again.
    moves = war_moves(
        w,
        float(w),
        front,
        strength,
        cost,
        prevail,
        prior_other,
        cost_other,
        quit_other,
        side,
        other,
        params,
        rungs=onset.rungs,
    )
    quitting = np.asarray(quit, dtype=float)[..., None]
    batch = np.broadcast_shapes(quitting.shape[:-1], moves.shape[:-1])
    options = np.concatenate([_shaped(quitting, (*batch, 1)), _shaped(moves, (*batch, 4))], axis=-1)
    moves = options[..., 1:]
    answer = bg.nuclear_response(options, onset.options, params.nuclear_rung)
    best = np.argmax(np.where(onset.nuclear & ~np.isnan(moves), moves, -np.inf), axis=-1)
    return answer, onset.targets[best]


#: Odd multipliers of :func:`_row_hashes` (64-bit mixing constants).
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9))


def _row_hashes(bits: Array) -> Array:
    """A 64-bit hash of each row of ``bits`` (``[N, C]`` uint64): equal rows, equal hashes.

    Each column is mixed in by an exclusive or, a product by an odd constant (modulo 2**64)
    and a shift folding the high bits down. Two different rows may share a hash (rarely): the
    callers compare the rows' bits where hashes match.
    """
    h = np.zeros(len(bits), dtype=np.uint64)
    for c in range(bits.shape[1]):
        h ^= bits[:, c]
        h *= _MIX[c % 2]
        h ^= h >> np.uint64(31)
    return h


def _grouped(flat: Array) -> tuple[Array, Array] | None:
    """The distinct rows of ``flat`` (``[N, C]`` floats) by their bits: ``(first, inverse)``.

    ``first``: the index of one row of each distinct row; ``inverse``: each row's distinct row.
    Rows are grouped by :func:`_row_hashes`; None where some row's bits differ from its group's
    first row's (two different rows share a hash): the caller then sorts the rows themselves.
    """
    bits = np.ascontiguousarray(flat).view(np.uint64)
    h = _row_hashes(bits)
    order = np.argsort(h)
    ordered = h[order]
    starts = np.empty(len(h), dtype=bool)
    starts[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    first = order[starts]
    inverse = np.empty(len(h), dtype=np.intp)
    inverse[order] = np.cumsum(starts) - 1
    if not np.array_equal(bits[first][inverse], bits):
        return None
    return first, inverse


#: :class:`DistinctRows` finds the distinct rows of at most this many rows by their bytes in a
#: dict (a few Python operations a row), of more by :func:`_grouped` (a few numpy calls a column).
FEW_ROWS = 32


class DistinctRows:
    """The distinct rows of some columns, compared bit for bit, and the way back to all rows.

    The columns (broadcastable arrays, read as floats) are compared over their common shape
    ``shape``, a row at a time, by their bits (``-0.0`` and ``0.0`` count as different, and
    so do NaNs of different bits). ``columns`` holds the distinct rows, one 1-D array ``[U]``
    per column; :meth:`spread` takes values computed on them (``[U, ...]``) back to
    ``[*shape, ...]``.

    Valid for values computed elementwise over the rows (each output row depends on its own
    input row only, as every equation of :mod:`escalsim.core.bargaining` is over its batch
    axes): a row's output is then the same numbers whatever rows run beside it, and the spread
    values equal those computed on the columns broadcast to ``shape``, to the bit. It saves
    the work where rows repeat: a power's situation as the other models it
    (``Crisis._modelled_situation``) is the same for every world, move seen and type in the
    fields :func:`onset_values` reads for the answers, and at the start of a run every
    replication's is.
    """

    def __init__(self, *columns: Any) -> None:
        arrays = [np.asarray(c, dtype=float) for c in columns]
        self.shape = np.broadcast_shapes(*(a.shape for a in arrays))
        # The columns side by side, ``[rows, columns]``: each copied in (broadcast over the
        # rows by the assignment), the same bits as np.stack of them broadcast.
        flat = np.empty((math.prod(self.shape), len(arrays)))
        shaped = flat.reshape(*self.shape, len(arrays))
        for c, a in enumerate(arrays):
            shaped[..., c] = a
        if len(flat) == 1:
            self._inverse = np.zeros(1, dtype=np.intp)
        elif len(flat) <= FEW_ROWS:
            # A few rows (a small batch): each row's bytes looked up in a dict, in order, with
            # no numpy call per column. Each distinct row once, compared by its bits, in the
            # order of their first rows.
            seen: dict[bytes, int] = {}
            inverse = [seen.setdefault(row.tobytes(), len(seen)) for row in flat]
            self._inverse = np.array(inverse, dtype=np.intp)
            if len(seen) < len(flat):
                first = np.unique(self._inverse, return_index=True)[1]
                flat = flat[first]
        else:
            # Fast path: the rows grouped by a hash of their bits (one integer sort, not a sort
            # of byte strings), kept where every row equals, bit for bit, the first row of its
            # group (no two different rows share a hash); else the rows' bytes sorted as
            # before. Either way each distinct row once, compared by its bits; only the order
            # of the distinct rows differs, which no value computed elementwise over the rows
            # can see (the class's condition).
            grouped = _grouped(flat)
            if grouped is None:
                keys = flat.view(np.dtype((np.void, flat.itemsize * flat.shape[1])))[:, 0]
                _, first, self._inverse = np.unique(keys, return_index=True, return_inverse=True)
            else:
                first, self._inverse = grouped
            flat = flat[first]
        self.columns = tuple(np.ascontiguousarray(flat.T))

    def spread(self, *values: Any) -> tuple[Array, ...]:
        """Values ``[U, ...]`` on the distinct rows, as ``[*shape, ...]`` on every row."""
        return tuple(
            np.asarray(v)[self._inverse].reshape(*self.shape, *np.shape(v)[1:]) for v in values
        )


def onset_values(
    obs: Observation,
    p: Array,
    war: Array,
    war_j: Array,
    costs_j: Array,
    actor: Actor,
    params: Params,
) -> tuple[Array, Array]:
    """The two powers' values of starting a war, with its escalation (docs/pair-wars.md §4).

    ``war`` and ``war_j`` are part 1's W (this power's, and the other's per type). For this
    power, :func:`~escalsim.core.bargaining.onset_value` of the war over the front ``V(q)``
    (:func:`~escalsim.core.bargaining.front_war_value`) and, for each type θ of the
    other that answers the onset with a nuclear step (:func:`_nuclear_answer`), the war once it
    holds that intensity, ``V_nuc(θ) = war_hold_value`` with its ``war_advantage`` in the odds
    and the rung's hazard charged every round (this power at the war rung), weighted by its
    posterior: ``V_onset = V(q) + Σ_θ π(θ) n(θ)(V_nuc(θ) − V(q))``. For the other, per its type,
    the same with this power's answer under the other's prior over this power's types. Without
    a nuclear rung or against a side that is not nuclear-armed the term is 0, and the values
    are the wars over the front. Returns ``war [...]`` and ``war_j [..., K]``.

    *Departure*: the answer is valued with the offers standing now (quitting is accepting the
    other's offer, or conceding with none), at their face value (a scheduled shift of power,
    §3.9 of docs/decision-v2.md, is not anticipated in the answer), and both sides at the war
    rung; one level deep.

    *Computed once per distinct type of the other*: the joint types are the cost grid once per
    honesty type (:func:`_joint_costs`), and every value per type θ here (its war value, its
    answer, the values once answered) reads θ's cost alone, elementwise along the types' axis.
    Where ``costs_j`` and ``war_j`` are their first ``P`` columns repeated, bit for bit
    (:func:`_type_repeats`), the values are computed on those P columns and repeated
    (:func:`_repeated`): each column by the same operations on the same operands as before, so
    the same numbers. The sum over the types weighted by the posterior (this power's onset
    value) is computed over all K columns, repeated first, as before.
    tests/test_perf_kernel2.py compares it with the values computed on every column.
    """
    d, sigma = float(params.discount), params.front_step
    front = np.asarray(obs.front, dtype=float)
    # bg.front_war_value from part 1's W: W + (q - p)/(1 - δ(1 - σ)), with the round's exact
    # chance p (obs.win), so that a front at the chances gives part 1's W to the last bit.
    gap = bg.front_premium(front, obs.win, d, sigma)
    war = war + gap
    war_j = war_j - gap[..., None]
    if params.nuclear_rung is None:
        return war, war_j
    costs_j = np.asarray(costs_j, dtype=float)
    reps = _type_repeats(costs_j, war_j)
    if reps == 1:
        return _nuclear_onset(obs, p, war, war_j, costs_j, 1, actor, params)
    period = len(costs_j) // reps
    war, war_j = _nuclear_onset(
        obs, p, war, war_j[..., :period], costs_j[:period], reps, actor, params
    )
    return war, _repeated(war_j, reps)


def _type_period(costs_j: Array) -> int:
    """The length P of the first part of ``costs_j`` (``[K]``) that the rest repeats, bit for bit.

    The smallest divisor P of K such that ``costs_j`` is its first P values K/P times over,
    compared by their bits (so ``-0.0`` is not ``0.0``, and NaNs must share their bits); K where
    none is. The joint types' costs (:func:`_joint_costs`) are the cost grid once per honesty
    type: P is then the grid's length (or less, where the grid itself repeats). Cached by the
    array's bytes.
    """
    if costs_j.ndim != 1 or costs_j.dtype != np.float64:
        return int(costs_j.shape[-1]) if costs_j.ndim else 1
    return _period_of_bits(costs_j.tobytes())


@functools.lru_cache(maxsize=256)
def _period_of_bits(raw: bytes) -> int:
    """:func:`_type_period` of the float64 array whose bytes are ``raw``."""
    bits = np.frombuffer(raw, dtype=np.uint64)
    k = len(bits)
    for period in range(1, k):
        if k % period == 0 and bool(np.all(bits.reshape(k // period, period) == bits[:period])):
            return period
    return k


def _type_repeats(costs_j: Array, values: Array) -> int:
    """How many times ``costs_j`` (``[K]``) and the last axis of ``values`` repeat a first part.

    K/P with P :func:`_type_period` of ``costs_j``, where ``values`` (float64, last axis K) is
    its first P columns K/P times over too, bit for bit; else 1 (nothing repeats, or not
    provably). Taken whatever the batch's size: the answers to a war's onset computed for a
    small batch's new rows (:func:`_kept`) are most of the saving, and a check costs a few µs.
    """
    k = costs_j.shape[-1] if costs_j.ndim else 1
    period = _type_period(costs_j)
    if period == k or values.dtype != np.float64 or values.ndim == 0 or values.shape[-1] != k:
        return 1
    bits = values.view(np.uint64)
    first = bits[..., :period]
    for start in range(period, k, period):
        if not np.array_equal(bits[..., start : start + period], first):
            return 1
    return k // period


def _repeated(a: Array, reps: int) -> Array:
    """``a`` with its last axis repeated ``reps`` times (``np.tile`` along it); ``a`` for 1."""
    return a if reps == 1 else np.concatenate((a,) * reps, axis=-1)


def _nuclear_onset(
    obs: Observation,
    p: Array,
    war: Array,
    war_j: Array,
    costs_j: Array,
    reps: int,
    actor: Actor,
    params: Params,
) -> tuple[Array, Array]:
    """:func:`onset_values` after the front's premium, with a nuclear rung on the ladder.

    ``war_j`` and ``costs_j`` on the other's distinct types (``[..., P]``, ``[P]``): its types
    are those ``reps`` times over (P·reps of them, the posterior's), and the values per type
    that this power's onset value weighs with the posterior are repeated to all of them first.
    Returns ``war [...]`` and ``war_j [..., P]``.
    """
    mine, _ = power_rows(actor, params)
    other = int(params.adversary[actor.index])
    d, sigma = float(params.discount), params.front_step
    front = np.asarray(obs.front, dtype=float)
    cost = np.asarray(obs.war_cost, dtype=float)
    ratio = strength_ratio(obs, params)  # K_j / K_i
    offer_in, offer_out = _offered(obs.offer_received), _offered(obs.own_offer)
    v_ex = exchange_state(params)
    haz = params.exchange_hazard
    w = int(params.war_rung)  # type: ignore[arg-type]
    prior_i = params.cost_prior[mine]
    if haz[w] > 0:
        # A conventional war between nuclear-armed powers that may escalate inadvertently (the
        # war rung's exchange_hazard): the war over the front is worth war_hold_value with that
        # hazard, each side at its own exchange_risk_scale (bg.war_hold_value at h = 0 is the
        # front's value, kept as it was above where the war rung has no hazard).
        def held(side: int) -> Any:
            return bg.exchange_hazard_held(
                haz,
                w,
                w,
                params.nuclear_rung,
                params.exchange_risk_scale[side],
                exchange_possible(params),
                params.strategic_rung,
            )

        war = bg.war_hold_value(front, obs.win, cost, 0.0, held(actor.index), v_ex, d, sigma)
        war_j = bg.war_hold_value(
            (1.0 - front)[..., None], 1.0 - p[..., None], costs_j, 0.0, held(other), v_ex, d, sigma
        )
    if not (params.nuclear[other] or params.nuclear[actor.index]):
        return war, war_j  # neither can answer with a nuclear step
    # The answers read four numbers of a row: computed once per distinct row (and kept for
    # later calls: _remembered), then spread over the rows.
    rows = DistinctRows(ratio, front, offer_in, offer_out)
    got = _remembered(rows.columns, costs_j, actor, params, lazy=True)
    if params.nuclear[other]:
        n_j, p_nuc, h = rows.spread(got["n_j"], got["p_nuc"], got["h"])
        v_nuc = bg.war_hold_value(front[..., None], p_nuc, cost[..., None], 0.0, h, v_ex, d, sigma)
        # Weighed with the posterior over every type: repeated to all of them.
        n_j, v_nuc = _repeated(n_j, reps), _repeated(v_nuc, reps)
        same = _unanswered(war, v_nuc, obs.posterior, got["n_j"], n_j.shape)
        war = bg.onset_value(war, v_nuc, obs.posterior, n_j) if same is None else same
    if params.nuclear[actor.index]:
        # Where no type of this power answers in any row, the other's values are its wars
        # over the front (_unanswered), and the answers' values need not be spread over the rows.
        # Without "v_nuc_j" every row is calm (_remembered's lazy): no type answers and the
        # values are finite and below 1e300 (checked where they were computed, _kept).
        n_i_shape = (*rows.shape, 1, got["n_i"].shape[-1])
        v_shape = (*rows.shape, len(costs_j), got["n_i"].shape[-1])
        v_nuc_j = got.get("v_nuc_j")
        same = _unanswered(
            war_j, 0.0 if v_nuc_j is None else v_nuc_j, prior_i, got["n_i"], n_i_shape, v_shape
        )
        if same is None:
            if v_nuc_j is None:
                v_nuc_j = _answered_war(rows.columns, got["z_i"], costs_j, actor, params)
            n_i, v_nuc_j = rows.spread(got["n_i"], v_nuc_j)
            same = bg.onset_value(war_j, v_nuc_j, prior_i, n_i[..., None, :])
        war_j = same
    return war, war_j


def _unanswered(
    war: Array,
    nuclear_war: Any,
    posterior: Any,
    answers: Array,
    answers_shape: tuple[int, ...],
    nuclear_shape: tuple[int, ...] | None = None,
) -> Array | None:
    """:func:`~escalsim.core.bargaining.onset_value` where no type answers: ``war`` itself.

    ``V(q₀) + Σ_θ π(θ) n(θ)(V_nuc(θ) − V(q₀))`` with every n(θ) 0 (``answers``, on the distinct
    rows or on all of them, each row's answers read from them: none is 1 anywhere) adds terms
    ``π · 0 · gain`` that are each a zero, +0.0 or -0.0, where π and the gain are finite, so
    their sum is a zero and ``V(q₀) + 0`` is ``V(q₀)`` to the bit where it is finite and not
    itself a zero (whose sign the sum's could change). That is what this returns, broadcast to
    onset_value's shape, without the products and the sum over the types (nor the values'
    spread over every row); None where those conditions do not hold everywhere (finite and
    below 1e300 in magnitude, so that no gain ``V_nuc − V(q₀)`` overflows; a war value of 0):
    the general formula then runs. ``nuclear_war``: the V_nuc as computed (on the distinct
    rows, whose values are the spread's), ``nuclear_shape``: its shape as onset_value would
    see it (default its own); ``answers_shape``: n's. tests/test_perf_kernel.py compares it
    with onset_value.
    """
    war = np.asarray(war, dtype=float)
    nuclear_war = np.asarray(nuclear_war, dtype=float)
    posterior = np.asarray(posterior, dtype=float)
    if (
        np.asarray(answers).any()
        or not (np.abs(war) < 1e300).all()
        or not (np.abs(nuclear_war) < 1e300).all()
        or not np.isfinite(posterior).all()
        or (war == 0.0).any()
    ):
        return None
    # onset_value's terms π n (V_nuc − V(q₀)) over the types, whose batch axes (already
    # broadcast with war's) are the result's shape.
    terms = np.broadcast_shapes(
        nuclear_war.shape if nuclear_shape is None else nuclear_shape,
        (*war.shape, 1),
        posterior.shape,
        answers_shape,
    )
    shape = terms[:-1]
    return np.array(war if war.shape == shape else np.broadcast_to(war, shape))


def _answers(
    columns: tuple[Array, ...], costs_j: Array, actor: Actor, params: Params
) -> dict[str, Array]:
    """The answers to a war's onset on distinct rows ``[U]``: what :func:`onset_values` spreads.

    ``columns``: the rows' strength ratio, front and offers received and made, each ``[U]``.
    Where the other is nuclear-armed, its answer per type θ (``n_j``, ``[U, K]``), this power's
    odds once it is answered (``p_nuc``) and the hazard this power then assumes (``h``); where
    this power is, its answer per its type φ under the other's prior (``n_i``, ``[U, n]``) and
    the other's value of the war once answered (``v_nuc_j``, ``[U, K, n]``):
    :func:`_answer_values` of :func:`_onset_answers`.
    """
    got = _onset_answers(columns, costs_j, actor, params)
    return _answer_values(columns, got, costs_j, actor, params)


def _onset_answers(
    columns: tuple[Array, ...], costs_j: Array, actor: Actor, params: Params
) -> dict[str, Array]:
    """The answers of :func:`_answers` and the rungs of the nuclear steps, ``[U, types]``.

    Where the other is nuclear-armed, its answer per type θ (``n_j``) and the rung of its best
    nuclear step (``z_j``); where this power is, its answer per its type φ under the other's
    prior (``n_i``) and its rung (``z_i``). The rest of :func:`_answers` follows from the rungs
    (:func:`_answer_values`). The row's fields enter as ``[U, 1]``: the equations broadcast
    them over the types (the cost carries the ``[U, types]`` shape), to the same numbers, and
    the other side's quitting is computed once for all of them.
    """
    mine, theirs = power_rows(actor, params)
    other = int(params.adversary[actor.index])
    d = float(params.discount)
    types_i, prior_i = params.cost_types[mine], params.cost_prior[mine]
    r, q, o_in, o_out = (c[:, None] for c in columns)
    got: dict[str, Array] = {}
    if params.nuclear[other]:
        # The other's answer per its type θ: it quits to this power's offer, or fights on.
        got["n_j"], got["z_j"] = _nuclear_answer(
            1.0 / r,
            np.broadcast_to(costs_j, (len(q), len(costs_j))),
            1.0 - q,
            bg.settlement_value(o_out, d),
            bg.settlement_value(1.0 - o_in, d),
            prior_i,
            types_i,
            bg.settlement_value(o_in[..., None] * np.ones(np.shape(types_i)), d),
            other,
            actor.index,
            params,
        )
    if params.nuclear[actor.index]:
        # This power's answer per its type φ, under the other's prior over them.
        got["n_i"], got["z_i"] = _nuclear_answer(
            r,
            np.broadcast_to(types_i, (len(r), len(types_i))),
            q,
            bg.settlement_value(o_in, d),
            bg.settlement_value(1.0 - o_out, d),
            params.cost_prior[theirs],
            params.cost_types[theirs],
            bg.settlement_value(o_out[..., None] * np.ones(len(params.cost_types[theirs])), d),
            actor.index,
            other,
            params,
        )
    return got


def _answer_values(
    columns: tuple[Array, ...],
    answers: dict[str, Array],
    costs_j: Array,
    actor: Actor,
    params: Params,
    war_values: bool = True,
) -> dict[str, Array]:
    """:func:`_answers` from the answers and rungs of :func:`_onset_answers` on the same rows.

    ``p_nuc`` and ``h`` from the other's rungs ``z_j`` (``[U, K]``), ``v_nuc_j`` from this
    power's ``z_i`` (:func:`_answered_war`), elementwise over the rows: a row's values are the
    same whatever rows are computed beside it. ``war_values`` False: ``z_i`` in place of
    ``v_nuc_j`` (:func:`_remembered`'s ``lazy``).
    """
    other = int(params.adversary[actor.index])
    adv = params.war_advantage
    w = int(params.war_rung)  # type: ignore[arg-type]
    r = columns[0][:, None]
    got: dict[str, Array] = {}
    if "n_j" in answers:
        z_j = answers["z_j"]
        got["n_j"] = answers["n_j"]
        got["p_nuc"] = bg.boosted_win_probability(1.0, r, adv[w], adv[z_j], params.decisiveness)
        # bg.exchange_hazard_held(haz, w, z_j, ...) at this power's scale, read off its table.
        got["h"] = onset_rungs(other, actor.index, params).answer_hazard[z_j]
    if "n_i" in answers:
        got["n_i"] = answers["n_i"]
        if war_values:
            got["v_nuc_j"] = _answered_war(columns, answers["z_i"], costs_j, actor, params)
        else:
            got["z_i"] = answers["z_i"]
    return got


def _answered_war(
    columns: tuple[Array, ...], z_i: Array, costs_j: Array, actor: Actor, params: Params
) -> Array:
    """The other's value of the war once this power answers at z_i, ``[U, K, n]``.

    Per type of the other (K, its cost ``costs_j``) and of this power (n, the rung ``z_i`` of
    its nuclear step, :func:`_onset_answers`), on the distinct rows ``columns``.
    """
    other = int(params.adversary[actor.index])
    d, sigma = float(params.discount), params.front_step
    adv = params.war_advantage
    w = int(params.war_rung)  # type: ignore[arg-type]
    r, q = columns[0][:, None], columns[1][:, None]
    p_nuc_j = bg.boosted_win_probability(
        1.0, (1.0 / r)[..., None], adv[w], adv[z_i][..., None, :], params.decisiveness
    )
    # bg.exchange_hazard_held(haz, w, z_i, ...) at the other's scale, read off its table.
    h_j = onset_rungs(actor.index, other, params).answer_hazard[z_i[..., None, :]]
    return np.asarray(
        bg.war_hold_value(
            (1.0 - q)[..., None],
            p_nuc_j,
            costs_j[..., None],
            0.0,
            h_j,
            exchange_state(params),
            d,
            sigma,
        )
    )


#: :func:`_remembered` keeps the answers of batches of at most this many distinct rows a row at
#: a time, at most this many rows per power and Params (then starts again); larger batches'
#: rows go to :func:`_kept`.
MEMO_ROWS, MEMO_SIZE = 32, 4096
#: :func:`_kept` keeps at most this many rows per power and Params (then starts again): their
#: answers and rungs, about 220 bytes a row in geneva-2022 (16 types and 8), so 3.6 MB.
KEPT_SIZE = 16384


class _KeptAnswers:
    """The answers and rungs of the rows seen, per power and Params (:func:`_kept`).

    Each row at a slot: its bits (``bits``, ``[slots, 4]`` uint64) and one array per answer
    (``store``); the rows' hashes (:func:`_row_hashes`) sorted (``hashes``) beside their slots
    (``slots``), looked up for a batch at once (:meth:`find`). No two rows kept share a hash.
    """

    def __init__(self) -> None:
        self.store: dict[str, Array] = {}
        self.clear()

    def clear(self) -> None:
        """Keep nothing."""
        self.count = 0
        self.hashes = np.empty(0, dtype=np.uint64)
        self.slots = np.empty(0, dtype=np.intp)
        self.bits = np.empty((0, 4), dtype=np.uint64)
        self.store = {}

    def find(self, hashes: Array, bits: Array) -> tuple[Array, Array]:
        """Each row's slot (-1: not kept) and whether its hash is taken (by it or another row).

        A row is kept where a kept row has its hash and the same bits; its hash is taken
        where a kept row has its hash, the same bits or not.
        """
        if self.count == 0:
            return np.full(len(hashes), -1, dtype=np.intp), np.zeros(len(hashes), dtype=bool)
        pos = np.searchsorted(self.hashes, hashes)
        pos[pos == self.count] = 0
        taken = self.hashes[pos] == hashes
        slot = self.slots[pos]
        same = taken & (self.bits[slot] == bits).all(axis=-1)
        return np.where(same, slot, -1), taken

    def add(self, hashes: Array, bits: Array, values: dict[str, Array]) -> None:
        """Keep ``values`` (``[len(hashes), ...]`` each) of rows whose hashes are not taken.

        ``hashes`` distinct and none taken (:meth:`find`); starting again when full.
        """
        count = self.count
        if count + len(hashes) > KEPT_SIZE:
            self.clear()
            count = 0
        end = count + len(hashes)
        for name, value in (*values.items(), ("", bits)):
            kept = self.bits if name == "" else self.store.get(name)
            if kept is None or len(kept) < end:
                grown = np.empty((max(end, 2 * count, 64), *value.shape[1:]), dtype=value.dtype)
                if kept is not None:
                    grown[:count] = kept[:count]
                kept = grown
                if name == "":
                    self.bits = kept
                else:
                    self.store[name] = kept
            kept[count:end] = value
        order = np.argsort(hashes)
        ordered = hashes[order]
        at = np.searchsorted(self.hashes, ordered)
        self.hashes = np.insert(self.hashes, at, ordered)
        self.slots = np.insert(self.slots, at, count + order)
        self.count = end


def _kept(
    columns: tuple[Array, ...], costs_j: Array, actor: Actor, params: Params
) -> dict[str, Array]:
    """:func:`_onset_answers` of distinct rows, each row computed once per ``Params`` and power.

    For the large batches :func:`_remembered` does not keep a row at a time. In geneva-2022
    with 2,000 replications a run asks for about 900,000 rows' answers, about a third of them
    new: the same rows recur across a round's calls (the decisions, the offers, the situation
    one power models for the other, the pairs' wars) and across rounds. A row's answers are a
    function of its four numbers, the power, the other's costs and ``params`` alone, elementwise
    over rows (:class:`DistinctRows`), so those kept (in ``params.derived``, valid for the
    object's life: ``Params`` is frozen) under the bits of the row are those a fresh computation
    gives, to the bit; the rows not kept are computed in one batch. Only the answers, the
    rungs and whether the row is calm (``calm_i``: no type of this power answers, and the
    other's values once answered are finite and below 1e300) are kept (the values
    :func:`_answer_values` computes from the rungs are 40 times as large); at most
    :data:`KEPT_SIZE` rows.

    The rows are looked up by a hash of their bits in a sorted array, for the whole batch at
    once (:class:`_KeptAnswers`), and a hit is a kept row with the same bits. A new row whose
    hash another row (kept, or new in this batch) has is computed and not kept, so a kept row
    is always found by its hash.
    """
    n = len(columns[0])
    memo = params.derived.setdefault(("onset_kept", actor.index, costs_j.tobytes()), _KeptAnswers())

    def fresh_answers(rows: tuple[Array, ...]) -> dict[str, Array]:
        """:func:`_onset_answers` of ``rows`` and whether each is calm (``calm_i``)."""
        got = _onset_answers(rows, costs_j, actor, params)
        if "n_i" in got:
            # No type of this power answers, and the other's values once answered (read
            # nowhere then) are finite and below 1e300: what _unanswered checks.
            v_nuc_j = _answered_war(rows, got["z_i"], costs_j, actor, params)
            calm = (np.abs(v_nuc_j) < 1e300).all(axis=(-2, -1))
            got["calm_i"] = ~got["n_i"].any(axis=-1) & calm
        return got

    bits = np.stack([np.asarray(c, dtype=float) for c in columns], axis=-1).view(np.uint64)
    hashes = _row_hashes(bits)
    at, taken = memo.find(hashes, bits)
    missing = at < 0
    if not missing.any():
        return {name: value[at] for name, value in memo.store.items()}
    new = np.flatnonzero(missing)
    # The new rows to keep: those whose hash is neither taken nor another new row's.
    keep = new[~taken[new]]
    order = np.argsort(hashes[keep])
    ordered = hashes[keep][order]
    shared = np.zeros(len(keep) + 1, dtype=bool)
    shared[1:-1] = ordered[1:] == ordered[:-1]
    if shared.any():
        keep = np.sort(keep[order][~(shared[1:] | shared[:-1])])
    if len(new) == n:
        fresh = fresh_answers(columns)
        if len(keep) == n:
            memo.add(hashes, bits, fresh)
        else:
            memo.add(hashes[keep], bits[keep], {name: v[keep] for name, v in fresh.items()})
        return fresh
    fresh = fresh_answers(tuple(c[new] for c in columns))
    old = ~missing
    got: dict[str, Array] = {}
    for name, value in fresh.items():
        rows = np.empty((n, *value.shape[1:]), dtype=value.dtype)
        rows[new] = value
        rows[old] = memo.store[name][at[old]]
        got[name] = rows
    if len(keep) == len(new):
        memo.add(hashes[new], bits[new], fresh)
    else:
        # Only some new rows are kept: their places among the new rows.
        mine = np.isin(new, keep)
        memo.add(hashes[keep], bits[keep], {name: v[mine] for name, v in fresh.items()})
    return got


def _remembered(
    columns: tuple[Array, ...], costs_j: Array, actor: Actor, params: Params, lazy: bool = False
) -> dict[str, Array]:
    """:func:`_answers` of distinct rows, each row computed once per ``Params`` and power.

    A round values a war's onset about ten times (the decisions, the offers, the situation one
    power models for the other, the pairs' wars), mostly on the same few rows when the batch is
    small: one replication's round asks for two or three distinct rows twenty times. The
    answers of a row are a function of its four numbers, the power and the other's cost per
    joint type (``costs_j``) and of ``params`` alone (elementwise over rows, as
    :class:`DistinctRows` states), so a row computed once is kept in ``params.derived`` (valid
    for the object's life: ``Params`` is frozen) under the bits of those inputs, and its values
    are those a fresh computation gives, to the bit. Batches of more than :data:`MEMO_ROWS`
    distinct rows are looked up in another store, of the answers and rungs alone
    (:func:`_kept`), and the values computed from them; ``lazy``: where every one of those
    rows is calm, without the other's values once answered (``v_nuc_j``: :func:`onset_values`
    reads them nowhere then), and with this power's rungs ``z_i`` in their place. The values
    of a batch of rows, stacked, are kept too (read-only; at most ``MEMO_SIZE // MEMO_ROWS``
    batches, so no more rows than the rows kept): the same batches recur in a round's calls.
    """
    n = len(columns[0])
    if n > MEMO_ROWS:
        got = _kept(columns, costs_j, actor, params)
        calm = lazy and "calm_i" in got and bool(got["calm_i"].all())
        return _answer_values(columns, got, costs_j, actor, params, war_values=not calm)
    if n == 0:
        return _answers(columns, costs_j, actor, params)
    memo = params.derived.setdefault(("onset_answers", actor.index, costs_j.tobytes()), {})
    keys = tuple(row.tobytes() for row in np.stack(columns, axis=-1))
    # The rows' values stacked, kept per batch of rows (the same batches recur within a
    # round), read-only: a later call reads what this one returns.
    batches = params.derived.setdefault(("onset_batches", actor.index, costs_j.tobytes()), {})
    hit = batches.get(keys)
    if hit is not None:
        return dict(hit)
    missing = [k for k, key in enumerate(keys) if key not in memo]
    if missing:
        fresh = _answers(tuple(c[missing] for c in columns), costs_j, actor, params)
        if len(memo) + len(missing) > MEMO_SIZE:
            memo.clear()
        for m, k in enumerate(missing):
            memo[keys[k]] = {name: value[m] for name, value in fresh.items()}
    rows = [memo[key] for key in keys]
    got = {name: np.stack([row[name] for row in rows]) for name in rows[0]}
    for value in got.values():
        value.flags.writeable = False
    if len(batches) >= MEMO_SIZE // MEMO_ROWS:
        batches.clear()
    batches[keys] = got
    return dict(got)


def promised(t: Terms, share: Any, *, own: bool, later: int = 0) -> Array:
    """A settlement's value under the commitment problem (§3.9), for i or for the other.

    :func:`~escalsim.core.bargaining.promised_settlement_value` of ``share`` settled ``later``
    rounds from now (0: accepted now; 1: next round, in the look-ahead): for i (``own``) with
    its chance p, its chance after the shift and its drawn cost; for the other with ``1 - p``,
    ``1 -`` that, and its cost per type (the last axis, ``[..., K]``). Without a shift
    scheduled, the face value ``s/(1 - δ)``.
    """
    k = t.rounds - later
    if own:
        return bg.promised_settlement_value(share, t.p, t.later, t.cost, t.delta, k)
    return bg.promised_settlement_value(
        np.asarray(share, dtype=float)[..., None],
        1.0 - t.p[..., None],
        1.0 - t.later[..., None],
        t.costs_j,
        t.delta,
        np.asarray(k)[..., None],
    )


def can_quit(params: Params, offer: Any) -> Array:
    """Whether a side can quit next round: accept ``offer`` (the other's, NaN: none) or concede.

    The talks open and either an offer standing for it to accept or concessions allowed
    (``Params.concessions``: ``endings.capitulation`` with the talks open). The look-ahead's
    stationary rule: as things stand now, they stand next round (docs/decision-v2.md §3.7).
    """
    standing = ~np.isnan(np.asarray(offer, dtype=float))
    return np.asarray(params.concessions | (params.talks_open & standing))


def _unless_able(value: Array, able: Array) -> Array:
    """``value`` (``[..., K]`` per type) where the side can quit, −∞ (it cannot) elsewhere."""
    return np.where(np.asarray(able)[..., None], value, -np.inf)


#: The quit terms whose other may take its best way of going on (docs/decision-v2.md §3.7).
LOOKING_BEYOND = ("best", "mutual", "mixed")
#: The quit terms whose other counts, at least sometimes, on this power's quitting in turn.
REPLYING = ("mutual", "mixed")


def withdrawal(params: Params, holder: int, rung: Any) -> bg.Withdrawal | None:
    """The way the power ``holder`` may quit by withdrawing, if it holds the stakes (§3.10).

    None unless the scenario has a fait accompli held by ``holder`` (an actor index) and the
    look-ahead counts the other's best way of going on (``best``, ``mutual``, ``mixed``). Its
    ``gain`` is the holder's status-quo share where it stands at or above its rung now
    (``rung``: where the decider sees it), else 0.

    The gain is per row: 0 in the rows that see the holder below its rung already (it has
    withdrawn, and the decider's share is the whole: :func:`~escalsim.core.bargaining.held_stakes`).
    """
    if params.held_by < 0 or params.continuation not in LOOKING_BEYOND:
        return None
    row = 0 if holder == params.power_a else 1
    if row != params.held_by:
        return None
    standing = np.asarray(rung) >= params.held_rung
    gain = np.where(standing, float(params.status_quo[row]), 0.0)
    return bg.Withdrawal(rung=int(params.held_rung), gain=gain)


def imposing(params: Params) -> Array | None:
    """``Params.imposed`` where some rung imposes a cost on the other (§3.11), else None.

    None keeps the look-ahead's arithmetic exactly as before on every ladder that imposes
    nothing (no subtraction of zeros). Checked once per ``Params`` (``params.derived``).
    """
    return params.imposed if params.once("imposing", lambda: bool(np.any(params.imposed))) else None


def reply_share(params: Params) -> float:
    """w, the weight of the level-2 other: ``mutual_share`` under ``mixed``, else 1 (§3.7)."""
    return float(params.mutual_share) if params.continuation == "mixed" else 1.0


def own_ladder(obs: Observation, t: Terms, params: Params) -> Array:
    """The power's own ladder moves' values ``[..., 4]`` (§3.7), as its decision values them.

    :func:`~escalsim.core.bargaining.ladder_utilities` from its side: its rung, the other
    expected where it is perceived, its war value ``t.war``, its own demand (``1 -`` its
    standing offer) as what it prevails with, the other's quitting under its posterior, and its
    audience cost, commitment and red line. Duplicate rungs are not removed (their values are
    equal).
    """
    mine = _offered(obs.own_offer)  # this power's standing offer to the other
    return bg.ladder_utilities(
        np.asarray(obs.x),
        obs.y,
        t.posture,
        params.war_risk,
        params.war_rung,
        params.jump,
        t.share - t.imposed_on,
        t.war,
        promised(t, 1.0 - mine, own=True, later=1),
        t.delta,
        obs.posterior,
        t.war_j,
        t.flow_j,
        _unless_able(promised(t, mine, own=False, later=1), can_quit(params, obs.own_offer)),
        quit_precision(params, t.other),
        obs.audience,
        obs.committed,
        obs.line_crossed,
        best_of_share=t.share_j if params.continuation in LOOKING_BEYOND else None,
        reply=own_reply(obs, t, params) if params.continuation in REPLYING else None,
        costs_j=t.posture_j,
        reply_share=reply_share(params),
        imposed=imposing(params),
        withdrawal=withdrawal(params, t.other, obs.y),
    )


def own_reply(obs: Observation, t: Terms, params: Params) -> bg.Reply:
    """The deciding power as the other models it when weighing quitting (``mutual``).

    Its types as the other's prior has them (the scenario is common knowledge; the
    reservations take them the same way), each type's war value at the round's chances and its
    value of quitting: accepting the other's standing offer, or conceding to it (worth the
    same: :func:`_offered`), as it will be kept after a scheduled shift (§3.9); and what the
    other gets when this power quits, its own demand (``1 -`` its standing offer).
    """
    mine = 1 if t.other == params.power_a else 0  # this power's row (power_rows)
    theirs = _offered(obs.offer_received)
    grid = params.cost_types[mine]
    return bg.Reply(
        share=t.share,
        war=bg.war_value(t.p[..., None], grid, t.delta),
        prior=params.cost_prior[mine],
        quit=_unless_able(
            bg.promised_settlement_value(
                theirs[..., None],
                t.p[..., None],
                t.later[..., None],
                grid,
                t.delta,
                (t.rounds - 1.0)[..., None],
            ),
            can_quit(params, obs.offer_received),
        ),
        prevail=promised(t, 1.0 - theirs, own=False, later=1),
        precision=quit_precision(params, int(params.adversary[t.other])),
    )


def lasting(params: Params) -> bool:
    """Wars last in this scenario (``war.ends_run: false``; docs/pair-wars.md §3)."""
    return not params.ends_run and params.war_rung is not None


def war_ladder(params: Params) -> bg.WarLadder:
    """The rungs' fields a side at war reads (:class:`~escalsim.core.bargaining.WarLadder`)."""
    assert params.war_rung is not None  # lasting wars need one
    return bg.WarLadder(
        costs=params.costs,
        advantage=params.war_advantage,
        exchange_hazard=params.exchange_hazard,
        war_rung=int(params.war_rung),
        nuclear_rung=params.nuclear_rung,
        strategic_rung=params.strategic_rung,
        jump=params.jump,
    )


def strength_ratio(obs: Observation, params: Params) -> Array:
    """The other's side strength over this power's, ``K_j/K_i``, as the battles weigh them.

    :func:`~escalsim.core.bargaining.strength_ratio` of the round's chance of winning
    (``obs.win``, from the strengths of ``Crisis._strengths``, which weigh the third parties
    that may join), so that the policy's odds at every intensity
    (``bg.boosted_win_probability``) are the battles'. ``capability_ratio`` counts only the
    third parties that have joined, and would value a war at other odds than it is fought at.
    """
    return bg.strength_ratio(obs.win, params.decisiveness)


def exchange_possible(params: Params) -> float:
    """1 when both powers are nuclear-armed (an exchange can happen between them), else 0."""
    return float(bool(params.nuclear[params.power_a] and params.nuclear[params.power_b]))


def own_war_ladder(
    obs: Observation, t: Terms, actor: Actor, params: Params, *, quitting: bool = True
) -> Array:
    """The power's own moves' values at war ``[..., 4]`` (docs/pair-wars.md §3.3, §4).

    :func:`~escalsim.core.bargaining.war_ladder_utilities` from its side: its intensity and
    the other's as perceived, its share on the front, the side strengths' ratio
    (:func:`strength_ratio`), its drawn cost of war, the value after an exchange, its own demand
    (``1 -`` its standing offer) as what it prevails with, and the other's quitting under its
    posterior (``quitting=False``: none, the continuation once its offer is refused, as
    :func:`fallback`). Computed on the rows at war (``obs.at_war``) only: the others are 0,
    and its callers do not read them (:func:`_at_war_rows`).
    """
    mine = _offered(obs.own_offer)
    quit_j = promised(t, mine, own=False, later=1)
    if not quitting:
        quit_j = np.full(np.shape(quit_j), -np.inf)  # quitting worth nothing to any type
    rows = (
        np.asarray(obs.x),
        obs.y,
        obs.front,
        strength_ratio(obs, params),
        t.cost,
        promised(t, 1.0 - mine, own=True, later=1),
    )
    typed = (obs.posterior, t.costs_j, quit_j)
    return _at_war_rows(
        functools.partial(war_moves, side=actor.index, other=t.other, params=params),
        np.asarray(obs.at_war, dtype=bool),
        rows,
        typed,
    )


def _at_war_rows(
    values: Callable[..., Array], at_war: Array, rows: tuple[Any, ...], typed: tuple[Any, ...]
) -> Array:
    """``values(*rows, *typed)`` ``[..., 4]`` on the rows at war only; 0 on the others.

    ``rows`` are broadcastable over the batch, ``typed`` over the batch and a last axis of
    types. The war ladder is elementwise over the batch (every equation of
    :mod:`escalsim.core.bargaining` is), so its values on the rows at war are those it gives
    over every row, to the bit (as :class:`DistinctRows` states); its callers read only those
    rows, which are a few in a thousand in a crisis whose powers rarely fight (geneva-2022:
    4,280 of 1.6 million in a round's calls), and it was most of the cost of the rows it was
    computed on (issue 20).
    """
    batch = np.broadcast_shapes(
        at_war.shape, *(np.shape(a) for a in rows), *(np.shape(a)[:-1] for a in typed)
    )
    types = max(np.shape(a)[-1] for a in typed)
    chosen = np.broadcast_to(at_war, batch)
    got = values(
        *(np.broadcast_to(np.asarray(a), batch)[chosen] for a in rows),
        *(np.broadcast_to(np.asarray(a), (*batch, types))[chosen] for a in typed),
    )
    out = np.zeros((*batch, got.shape[-1]))
    out[chosen] = got
    return out


def fallback(obs: Observation, t: Terms, params: Params, actor: Actor) -> Array:
    """The power's own fallback ``f = (1 - δ) max_x' H_i(x')`` (docs/decision-v2.md §3.6).

    The annuity of the best rung it can move to this round and hold (the war rung included
    where a move reaches it, ``H = W_i`` there), less its audience costs, once its offer is
    refused: :func:`~escalsim.core.bargaining.refusal_values`, its ladder values with the
    other's quitting at 0. The other does not quit in that continuation: quitting is worth to it at
    most this power's offer, which it has just refused (and counting its quitting would make
    both powers' fallbacks optimistic at once, leaving no bargaining range: geneva-2022's
    perfect-information twin then went to war in 0.74 of 200 runs).

    *Departure from §3.6*, whose fallback is ``(1 - δ) H_i`` at the rungs held: at a costly
    rung with little war risk that is far below war or stepping down and does not depend on the
    power's cost of war, so a more resolved power offered as much as a less resolved one, and
    could expect less (docs/decision-v2.md §11, "Fields matter"). Where a move reaches the war
    rung the offer is bounded by ``1 - (p_i - c_i)``, Fearon's (1995) bound; lower on the ladder
    war is not an alternative this round and the bound is the best rung's (a power there that
    prefers war must climb to it first).
    """
    values = bg.refusal_values(
        np.asarray(obs.x),
        obs.y,
        t.posture,
        params.war_risk,
        params.war_rung,
        params.jump,
        t.share - t.imposed_on,
        t.war,
        t.delta,
        obs.audience,
        obs.committed,
        obs.line_crossed,
    )
    crisis = (1.0 - t.delta) * bg.max_last(values)
    at_war = np.asarray(obs.at_war, dtype=bool)
    if not (lasting(params) and at_war.any()):
        return crisis
    # At war (docs/pair-wars.md §3.3): the best intensity to fight on at once refused, the
    # other not quitting; NaN (a nuclear rung closed to it) is never the best.
    war = own_war_ladder(obs, t, actor, params, quitting=False)
    return np.where(at_war, (1.0 - t.delta) * bg.nanmax_last(war), crisis)


def _first_type(obs: Observation) -> Observation:
    """The observation at its first type, the types' axis kept with length one.

    The layout of :meth:`Policy.offers_per_type`: the types are every field's last axis, the
    posterior's second to last.
    """
    cut: dict[str, Any] = {}
    for f in dataclasses.fields(obs):
        value = getattr(obs, f.name)
        if isinstance(value, np.ndarray) and value.ndim:
            value = value[..., :1, :] if f.name == "posterior" else value[..., :1]
        cut[f.name] = value
    return Observation(**cut)


def _shaped(a: Array, shape: tuple[int, ...]) -> Array:
    """``np.broadcast_to(a, shape)``, or ``a`` itself where it has that shape already.

    For arrays that are only read (copied by a concatenation, or passed on to be read): the
    same numbers, without np.broadcast_to's Python cost (about 5 µs) where nothing is broadcast.
    """
    return a if a.shape == shape else np.broadcast_to(a, shape)


def _offered(share: Any) -> Array:
    """A standing offer's share, 0 where none stands (NaN).

    Conceding to a power without an offer gives it everything, so "no offer" and "an offer of
    nothing" are worth the same.

    ``np.nan_to_num(share, nan=0.0)`` (infinities to the largest finite numbers, a 0-d array
    to a scalar), in four ufuncs: nan_to_num's own Python costs several times more, and the
    round calls this about thirty times.
    """
    a = np.asarray(share, dtype=float)
    out = np.where(np.isnan(a), 0.0, np.minimum(np.maximum(a, -_LARGEST), _LARGEST))
    return out[()] if out.ndim == 0 else out


#: The largest finite float (what ``np.nan_to_num`` puts in place of an infinity).
_LARGEST = float(np.finfo(np.float64).max)


@register
class Bargaining(Policy):
    """Crisis bargaining under incomplete information: the default policy of decision model v2.

    **Offer** (docs/decision-v2.md §3.6; Fearon 1995's risk-return trade-off). The share of the
    stakes offered to the other is :func:`escalsim.core.bargaining.best_offer` against the
    posterior π over the other's joint types θ::

        s* = argmax_s Σ_θ π(θ) [s >= r_θ] (1 - s) + (1 - Σ_θ π(θ) [s >= r_θ]) f

    with the other's reservation per type ``r_θ = (1 - δ) max_{m} U_j(m; θ)``, the annuity of
    its best ladder move m (war included) by :func:`~escalsim.core.bargaining.ladder_utilities`
    from its side, one level deep: at its rung as perceived, expecting this power to hold,
    with its war value ``W_j(θ) = (1 - p - c_θ)/(1 - δ)``, its status-quo share, its own
    demand (``1 -`` its standing offer) as what it prevails with, and this power's quitting
    modelled with the other's prior over this power's cost types and this power's quit
    precision (:func:`quit_precision`); and this power's fallback ``f = (1 - δ) max_x' H_i(x')``,
    the annuity of the best rung it can move to and hold once refused (:func:`fallback`).
    *Departures from §3.6*, whose reservation is ``(1 - δ) H_j(θ)`` and fallback
    ``(1 - δ) H_i`` (holding; the fallback's departure is :func:`fallback`'s): ``H_j`` is
    one of the other's alternatives (holding, with no look-ahead), but the other's own
    decision compares accepting with the best of them (stepping down can be worth more than
    holding), so an offer at ``H_j`` could be refused under complete information. With a point
    posterior and the other's prior a point (complete information), ``s*`` is exactly what
    the other's ``decide`` accepts, whenever a bargain both prefer exists (``1 - r_θ >= f``).

    **Decision** (§3.7). The options of :data:`escalsim.core.bargaining.OPTIONS`, valued by
    :func:`~escalsim.core.bargaining.settlement_utilities` and
    :func:`~escalsim.core.bargaining.ladder_utilities`::

        U(accept)  = o_j/(1 - δ) - D [committed and o_j < d_pub]      unavailable: no offer
        U(concede) = (1 - d_j)/(1 - δ) - D [committed]                 d_j = 1 - o_j, or 1
        U(x')      = r W_i + (1 - r)[f_i(x') + δ (Q(x') V_prevail + (1 - Q(x')) H_i(x'))]
                     - D [x' < x and committed] - D [x' <= x and line crossed]
        Q(x')      = Σ_θ π(θ) σ(λ_j (1 - δ)(V_quit - H_j(θ, x')))

    with ``r = r(x', ŷ)``, ``V_prevail = (1 - o_i)/(1 - δ)`` (its own demand settled; 1 when
    it has no offer standing) and ``V_quit = o_i/(1 - δ)`` what the other gets by accepting
    this power's offer or conceding to it. Then :func:`~escalsim.core.bargaining.choose` with
    the draw u: a logit of precision λ on annuities over the available peaceful options, and a
    move onto the war rung only when it is strictly better than every available option.
    Available: accept when an offer stands and the talks are open (``stakes.talks_open``);
    concede when none stands (conceding to a standing offer is accepting it, the same
    division) and the scenario lets a concession end the crisis (``endings.capitulation``,
    with the talks open: :attr:`~escalsim.core.params.Params.concessions`); each ladder move
    whose rung no earlier move reaches (at the bottom a step down is a hold, at the top a step
    up is; a jump that reaches no further than a step is a step). Counting one outcome twice
    would give it twice the logit's weight (the independence of irrelevant alternatives;
    McFadden 1974's red and blue buses).
    When the standing offer is the best option (within :data:`TIE`: accepting at indifference,
    Fearon 1995; :func:`~escalsim.core.bargaining.accepts`), it is the only option available:
    like war, accepting a best offer is a best response, not a draw of the logit. Without the
    tie rule a complete-information offer would be refused half the time at any precision;
    with only the tied options removed (the rule before the fields-matter tests), an option's
    value falling *below* the tie (a crossed red line lowering holding) put it back in the
    logit and took probability from climbing (docs/decision-v2.md §11). An offer that is not
    the best option stays in the logit with the rest. :meth:`choice_probabilities` is exact
    (the same weights), one-hot on war where war is strictly best.

    **Its type** is the drawn ``obs.war_cost`` (with ``obs.war_value``, from which the chance
    of winning is recovered, :class:`Terms`); ``obs.resolve`` is the same type in other units
    and is not read, nor ``Actor.resolve``. How its beliefs are updated (the actor's
    ``attribution``, §3.4) is the round's, whatever the policy.

    *Departures and simplifications*: the adversary is expected where it is perceived
    (``ŷ' = ŷ``; §3.7's expectation from the other's choice probabilities needs the round's
    belief phase); the other's commitments (its public demand, its red line) are not modelled
    in its reservation.

    **Options a scenario switches on** (§3.9). *The commitment problem*: with a shift of
    power scheduled (``obs.shift_win``, ``obs.shift_rounds``), a declining power values every
    settlement (accepting now; its own demand and the other's quitting in the look-ahead, one
    round later) by :func:`~escalsim.core.bargaining.promised_settlement_value`, and the other's
    reservation, when the other declines, by its inverse
    :func:`~escalsim.core.bargaining.promised_reservation` (above 1: no offer is accepted); a
    rising power values a settlement at face value, and the fallback ``f`` and the stationary
    ``H`` do not anticipate the shift. *Indivisible stakes*: the offer is the best bundle of
    whole agenda items (:meth:`best`).

    References
    ----------
    Fearon, J. D. (1994). Domestic political audiences and the escalation of international
    disputes. *APSR* 88:577-592.
    Fearon, J. D. (1995). Rationalist explanations for war. *International Organization*
    49:379-414.
    Fearon, J. D. (1997). Signaling foreign policy interests: tying hands versus sinking costs.
    *Journal of Conflict Resolution* 41:68-90.
    McFadden, D. (1974). Conditional logit analysis of qualitative choice behavior. In
    Zarembka (ed.), *Frontiers in Econometrics*, 105-142.
    McKelvey, R. D. & Palfrey, T. R. (1995). Quantal response equilibria for normal form games.
    *Games and Economic Behavior* 10:6-38.
    Powell, R. (1990). *Nuclear Deterrence Theory: The Search for Credibility*. Cambridge.
    Powell, R. (1999). *In the Shadow of Power*. Princeton.
    Stahl, D. & Wilson, P. (1995). On players' models of other players. *Games and Economic
    Behavior* 10:218-254.
    """

    name = "bargaining"
    Spec = BargainingPolicy
    stochastic = True
    memory_depth = 1
    bargains = True
    powers_only = True
    # Where wars last (``war.ends_run: false``, docs/pair-wars.md §3-§4) it also reads
    # ``at_war``, ``front`` and ``win``; the classifier describes the
    # scenarios whose first war ends the run (tests/test_policies.py checks it on one).
    information = (
        "x",
        "y",
        "posterior",
        "offer_received",
        "own_offer",
        "public_demand",
        "war_value",
        "war_cost",
        "committed",
        "audience",
        "line_crossed",
        "shift_win",
        "shift_rounds",
    )
    citation = (
        "Fearon (1995), International Organization 49:379-414; Powell (1990, 1999); "
        "McKelvey & Palfrey (1995), Games and Economic Behavior 10:6-38; Fearon (1994, 1997)"
    )

    @classmethod
    @override
    def opens_bargaining(cls, spec: Any) -> bool:
        return True

    @staticmethod
    def _other_reply(obs: Observation, t: Terms, actor: Actor, params: Params) -> bg.Reply:
        """The other power, as this power's types are modelled to see it in :meth:`reservations`.

        :func:`own_reply` with the roles exchanged: the other's types as its prior has them,
        their values of quitting (accepting this power's standing offer), and what this power
        gets when the other quits, per this power's type (its demand, ``1 -`` its offer).
        """
        mine, theirs = power_rows(actor, params)
        offer = _offered(obs.own_offer)[..., None, None]
        grid = params.cost_types[theirs]
        later = (t.rounds - 1.0)[..., None, None]
        return bg.Reply(
            share=np.asarray(t.share_j)[..., None],
            war=bg.war_value(1.0 - t.p[..., None, None], grid, t.delta),
            prior=params.cost_prior[theirs],
            quit=_unless_able(
                bg.promised_settlement_value(
                    offer,
                    1.0 - t.p[..., None, None],
                    1.0 - t.later[..., None, None],
                    grid,
                    t.delta,
                    later,
                ),
                can_quit(params, obs.own_offer)[..., None],
            ),
            prevail=bg.promised_settlement_value(
                1.0 - offer,
                t.p[..., None, None],
                t.later[..., None, None],
                params.cost_types[mine],
                t.delta,
                later,
            ),
            precision=quit_precision(params, t.other),
        )

    def reservations(self, obs: Observation, actor: Actor, params: Params) -> tuple[Array, Array]:
        """The other's reservation share per joint type ``[..., K]`` and own fallback ``[...]``.

        Both annuities, as the class docstring states them; :meth:`offer` is
        :func:`~escalsim.core.bargaining.best_offer` of these against ``obs.posterior``.

        The other's types are a batch axis here: each type's reservation reads its own cost,
        war value and demand alone. Where those are their first P columns repeated, bit for bit
        (the joint types: the cost grid once per honesty type, :func:`_type_repeats`), the
        reservations are computed on the P columns and repeated (:func:`_repeated`), each by
        the same operations on the same operands as before. tests/test_perf_kernel2.py compares
        them with every column computed.
        """
        t = terms(obs, actor, params)
        mine, _ = power_rows(actor, params)
        x, y = np.asarray(obs.x), np.asarray(obs.y)
        theirs = _offered(obs.offer_received)  # its standing offer to this power
        # The other's demand settled next round, per type; its types computed once where they
        # repeat (the cost, war value and demand of each column its first P columns').
        prevail_j = promised(t, 1.0 - theirs, own=False, later=1)
        costs_j, war_j = t.costs_j, t.war_j
        reps = _type_repeats(costs_j, war_j)
        if reps > 1 and _type_repeats(costs_j, prevail_j) == reps:
            period = len(costs_j) // reps
            costs_j, war_j, prevail_j = (
                costs_j[:period],
                war_j[..., :period],
                prevail_j[..., :period],
            )
        else:
            reps = 1
        # The other's types are a batch axis [..., K]; this power's types, as the other's
        # prior has them, the last axis of its look-ahead; this power's quitting, per its type,
        # is worth the other's offer as it will be kept after a scheduled shift (§3.9).
        quit_mine = _unless_able(
            bg.promised_settlement_value(
                theirs[..., None, None],
                t.p[..., None, None],
                t.later[..., None, None],
                params.cost_types[mine],
                t.delta,
                (t.rounds - 1.0)[..., None, None],
            ),
            can_quit(params, obs.offer_received)[..., None],
        )
        values = bg.ladder_utilities(
            y[..., None],
            x[..., None],
            t.posture_j,
            params.war_risk,
            params.war_rung,
            params.jump,
            np.asarray(t.share_j - t.imposed_on_j)[..., None],
            war_j,
            prevail_j,
            t.delta,
            params.cost_prior[mine],
            bg.war_value(t.p[..., None, None], params.cost_types[mine], t.delta),
            t.flow[..., None],
            quit_mine,
            quit_precision(params, actor.index),
            best_of_share=(
                np.asarray(t.share)[..., None] if params.continuation in LOOKING_BEYOND else None
            ),
            reply=(
                self._other_reply(obs, t, actor, params)
                if params.continuation in REPLYING
                else None
            ),
            costs_j=t.posture,
            reply_share=reply_share(params),
            imposed=imposing(params),
            withdrawal=withdrawal(params, actor.index, x[..., None]),
        )
        # The least share the other accepts: the annuity of its best move, or more where a
        # scheduled decline makes a settlement worth less than its face value (§3.9).
        reservation = bg.promised_reservation(
            bg.max_last(values),
            1.0 - t.p[..., None],
            1.0 - t.later[..., None],
            costs_j,
            t.delta,
            t.rounds[..., None],
        )
        at_war = np.asarray(obs.at_war, dtype=bool)
        if lasting(params) and at_war.any():
            # At war: the annuity of the other's best intensity, one level deep as above, with
            # this power's quitting under the other's prior (docs/pair-wars.md §3.3); valued on
            # the rows at war only, the only ones read below (_at_war_rows).
            war = _at_war_rows(
                functools.partial(war_moves, side=t.other, other=actor.index, params=params),
                at_war[..., None],
                (
                    y[..., None],
                    x[..., None],
                    (1.0 - np.asarray(obs.front, dtype=float))[..., None],
                    (1.0 / strength_ratio(obs, params))[..., None],
                    costs_j,
                    prevail_j,
                ),
                (params.cost_prior[mine], params.cost_types[mine], quit_mine),
            )
            at_war_reservation = bg.promised_reservation(
                bg.nanmax_last(war),
                1.0 - t.p[..., None],
                1.0 - t.later[..., None],
                costs_j,
                t.delta,
                t.rounds[..., None],
            )
            reservation = np.where(at_war[..., None], at_war_reservation, reservation)
        return _repeated(reservation, reps), fallback(obs, t, params, actor)

    @staticmethod
    def best(
        reservation: Array, fallback: Array, posterior: Array, actor: Actor, params: Params
    ) -> Array:
        """The share offered: :func:`~escalsim.core.bargaining.best_offer`, or a bundle's value.

        With indivisible stakes (``stakes.divisible: false``, §3.9) the offer is a bundle of
        whole agenda items (the divisible ones, if any, pooled and split):
        :func:`~escalsim.core.bargaining.best_bundle` over
        :func:`~escalsim.core.bargaining.bundle_candidates`, with this power's and the other's
        saliences (``Params.agenda_salience``). The share is the other's value of the bundle.
        """
        if params.divisible:
            return bg.best_offer(reservation, fallback, posterior).share
        other = int(params.adversary[actor.index])
        weights = params.agenda_salience[[actor.index, other]]
        received, kept = bg.bundle_candidates(weights, params.agenda_divisible, reservation)
        return bg.best_bundle(reservation, fallback, posterior, received, kept)[0].share

    @override
    def offer(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory
    ) -> Any:
        reservation, fallback = self.reservations(obs, actor, params)
        posterior = np.asarray(obs.posterior, dtype=float)
        # The reservations do not depend on the posterior, which may carry more batch axes
        # (the perceived and the true observation stacked).
        batch = np.broadcast_shapes(reservation.shape, posterior.shape)
        fallback = _shaped(fallback, batch[:-1])
        return self.best(_shaped(reservation, batch), fallback, posterior, actor, params)

    @override
    def offers_per_type(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory
    ) -> Any:
        """:meth:`offer` for each of this power's types along the last axis of ``obs``.

        Only the fallback ``f`` depends on this power's type (its war value); the other's
        reservations do not (the chance of winning recovered from the first type's war value
        and cost serves every type, to rounding), nor does the acceptance of each candidate
        offer under the posterior: both are computed once, and :func:`~escalsim.core.
        bargaining.best_offer` broadcasts them over the types' fallbacks. Evaluating
        :meth:`offer` per type instead costs a look-ahead over the other's types per type:
        ``fearon``'s 100 types made that 60 GiB for 1,000 rows.
        """
        one = _first_type(obs)
        reservation, _ = self.reservations(one, actor, params)  # [..., 1, K]
        posterior = np.asarray(one.posterior, dtype=float)
        batch = np.broadcast_shapes(reservation.shape, posterior.shape)
        own = fallback(obs, terms(obs, actor, params), params, actor)  # [..., n]
        return self.best(
            _shaped(reservation, batch),
            own,
            _shaped(posterior, batch),
            actor,
            params,
        )

    def utilities(
        self, obs: Observation, actor: Actor, params: Params
    ) -> tuple[Array, Array, Array]:
        """The values of the six options ``[..., 6]``, which are available, and which are war.

        In the order of :data:`escalsim.core.bargaining.OPTIONS`; values are discounted sums
        (NaN: accept with no offer standing). ``available`` applies the rules of the class
        docstring (no offer, concession, duplicate rungs, accepting at indifference).
        """
        t = terms(obs, actor, params)
        x = np.asarray(obs.x)
        received = np.asarray(obs.offer_received, dtype=float)
        standing = ~np.isnan(received)
        settle = bg.settlement_utilities(
            received,
            1.0 - _offered(received),
            t.delta,
            obs.public_demand,
            obs.audience,
            obs.committed,
        )
        # A settlement now, under a scheduled decline, is worth what can be promised (§3.9);
        # without one the correction is 0.
        face = _offered(received)
        settle = (
            settle + (promised(t, face, own=True) - bg.settlement_value(face, t.delta))[..., None]
        )
        ladder = own_ladder(obs, t, params)
        rungs = dx.target_rung(x[..., None], dx.CANDIDATE_MOVES, params.jump, params.n_rungs)
        war = bg.reaches_war(x, params.jump, params.n_rungs, params.war_rung)
        at_war = np.asarray(obs.at_war, dtype=bool)
        if lasting(params) and at_war.any():
            # At war (docs/pair-wars.md §3.3 item 4): the intensities, floored at the war rung
            # (a step down there is a hold); a step onto a higher intensity is, like war, a
            # best response only. NaN: a nuclear rung closed to a side without the weapons.
            fighting = at_war[..., None]
            ladder = np.where(fighting, own_war_ladder(obs, t, actor, params), ladder)
            rungs = np.where(fighting, bg.war_targets(x, war_ladder(params)), rungs)
            climbs = np.concatenate(
                [np.zeros((*rungs.shape[:-1], 2), dtype=bool), rungs > x[..., None]], axis=-1
            )
            war = np.where(fighting, climbs, war)
        distinct = np.stack(
            [
                rungs[..., 0] != x,
                np.ones(x.shape, dtype=bool),
                rungs[..., 2] != x,
                rungs[..., 3] != rungs[..., 2],
            ],
            axis=-1,
        )
        open_ = np.concatenate(
            [
                (standing & params.talks_open)[..., None],
                (~standing & params.concessions)[..., None],
            ],
            axis=-1,
        )
        batch = np.broadcast_shapes(settle.shape[:-1], ladder.shape[:-1], open_.shape[:-1])
        util = np.concatenate([_shaped(settle, (*batch, 2)), _shaped(ladder, (*batch, 4))], axis=-1)
        available = np.concatenate(
            [_shaped(open_, (*batch, 2)), _shaped(distinct, (*batch, 4))], axis=-1
        )
        available &= ~np.isnan(util)
        # A standing offer that is the best option (within TIE: accepting at indifference) is
        # accepted as a best response: every other option is unavailable.
        tol = TIE / (1.0 - t.delta)
        others = available.copy()
        others[..., bg.ACCEPT_OPTION] = False
        accept = util[..., bg.ACCEPT_OPTION]
        best_other = bg.max_last(np.where(others, util, -np.inf))
        accept_best = available[..., bg.ACCEPT_OPTION] & (accept >= best_other - tol)
        war = _shaped(war, (*batch, 6))
        return util, available & ~(others & accept_best[..., None]), war

    @classmethod
    @override
    def accepts_offers(cls, spec: Any) -> bool:
        return True

    @override
    def decide(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory, u: Any
    ) -> tuple[Any, Memory]:
        util, available, war = self.utilities(obs, actor, params)
        scale = 1.0 - float(params.discount)
        pick = bg.choose(util, available, war, spec.precision, u, scale)
        return bg.OPTION_MOVES[pick], memory

    @override
    def choice_probabilities(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory
    ) -> NDArray[np.float64]:
        util, available, war = self.utilities(obs, actor, params)
        scale = 1.0 - float(params.discount)
        return bg.choice_probabilities(util, available, war, spec.precision, scale)
