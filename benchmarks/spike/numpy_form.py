"""Spike, form 1: perception and decisions as numpy over the replication axis.

This is today's engine (``batch/engine.py``: ``_perceive``, ``_count_perception``,
``_update_beliefs``, ``_decide``) with the state laid out actor first, replication last:
``rung[A, R]``, ``perceived[A, A, R]``, so that each actor's slice (``rung[i]``,
``perceived[i, j]``) is one contiguous row of R numbers. Loops over actors stay Python loops;
each step acts on all replications at once. Every equation is the project's own
(:mod:`escalsim.core.dynamics`) and the decision is the project's ``Quantal`` policy class,
called with arrays, exactly as the engine calls it.

A decision rule plugs in as any object with the policy interface,
``decide(obs, actor, params, spec, memory, u) -> (move, memory)``, working elementwise on the
arrays of an :class:`~escalsim.core.policies.Observation` (see :func:`decide`, ``policies``);
a scripted or human move is a fixed move per actor (``given``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from common import (
    COUNTERS,
    DELIBERATE,
    MISCALCULATED,
    NO_MOVE,
    THIRD_PARTY,
    Constants,
    State,
)
from numpy.typing import NDArray

from escalsim.core import dynamics as dx
from escalsim.core.params import Params
from escalsim.core.policies import POLICIES, Actor, Observation, Quantal

_COUNT = {name: k for k, name in enumerate(COUNTERS)}


@dataclass
class NumpyState:
    """:class:`common.State` with the replication axis last (each actor's slice contiguous)."""

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

    @classmethod
    def of(cls, s: State) -> NumpyState:
        """Copy a replication-first state into this layout."""
        return cls(
            **{
                f.name: np.ascontiguousarray(np.moveaxis(getattr(s, f.name), 0, -1))
                for f in fields(s)
            }
        )

    def state(self) -> State:
        """Back to replication first (for comparing the forms)."""
        return State(
            **{f.name: np.moveaxis(getattr(self, f.name), -1, 0).copy() for f in fields(self)}
        )


def slots(c: Constants, block: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
    """The round's uniforms the two phases read, replication last.

    ``block`` is the round's ``[R, size]`` window, replication first, as every replication's
    stream fills it. Transposing costs a copy of the slots read; it is timed with the form,
    since it is the price of this layout.
    """
    A, R = c.A, block.shape[0]  # noqa: N806
    o = c.offsets

    def pairs(name: str) -> NDArray[np.float64]:
        return np.ascontiguousarray(block[:, o[name] : o[name] + A * A].T).reshape(A, A, R)

    return {
        "noise": pairs("noise"),
        "noise_direction": pairs("noise_direction"),
        "deconfliction": pairs("deconfliction"),
        "choice": np.ascontiguousarray(block[:, o["choice"] : o["choice"] + A].T),
    }


# -- phase 4: perception ---------------------------------------------------------------------
def perceive(s: NumpyState, c: Constants, u: dict[str, NDArray[np.float64]]) -> None:
    """Phase 4 for the observed pairs (``obs_i`` sees ``obs_j``), all replications at once."""
    i, j = c.obs_i, c.obs_j
    R = s.rung.shape[1]  # noqa: N806
    before = s.perceived[i, j]
    path = s.path[i, j]
    incident = s.incident[j]
    seen = dx.observe_rung(
        s.apparent[j], c.noise[path], u["noise"][i, j], u["noise_direction"][i, j], c.n_rungs
    )
    # An incident seen over a private channel may be explained (deconfliction).
    deconf = np.minimum(1.0, c.deconfliction[path] + s.bonus[path, np.arange(R)])
    explained = (incident > 0) & (path != c.public) & (u["deconfliction"][i, j] < deconf)
    seen = np.where(explained, np.maximum(seen - incident, 0), seen)
    if s.red_clear.any():
        # A clarified red line: whether it is crossed is never misread (powers' views only).
        for k in np.flatnonzero(c.is_power[i] & c.is_power[j]):
            line = int(c.red_line[i[k]])
            truth = s.rung[j[k]]
            wrong = s.red_clear & ((seen[k] >= line) != (truth >= line))
            seen[k] = np.where(wrong, truth, seen[k])
    s.perceived[i, j] = seen
    diag = np.arange(c.A)
    s.perceived[diag, diag] = s.rung
    s.pmove[i, j] = dx.perceived_move(seen, before)


def count_perception(s: NumpyState, c: Constants) -> None:
    """The perception counters (engine: ``_count_perception``, without the event log)."""
    for i in range(c.A):
        decides = s.joined[i] | bool(c.is_power[i])
        j = int(c.adversary[i])
        s.counts[_COUNT["observations"]] += decides
        s.counts[_COUNT["perception_errors"]] += decides & (s.perceived[i, j] != s.rung[j])
        alarm = decides & (s.pmove[i, j] > 0) & (s.dchange[j] <= 0)
        s.counts[_COUNT["false_alarms"]] += alarm


# -- phase 5: beliefs ------------------------------------------------------------------------
def update_beliefs(s: NumpyState, c: Constants) -> None:
    """Bayes on the moves perceived, and on the true moves for the counterfactual."""
    i, j = c.obs_i, c.obs_j
    s.hostility[i, j] = dx.bayes_hostility(s.hostility[i, j], s.pmove[i, j])
    s.hostility_true[i, j] = dx.bayes_hostility(s.hostility_true[i, j], np.sign(s.dchange[j]))


# -- phase 6: decisions ----------------------------------------------------------------------
def patron(s: NumpyState, c: Constants, k: int) -> NDArray[np.int64]:
    """The power a third party leans to."""
    return np.where(s.alignment[k] >= 0.5, c.power_a, c.power_b)


def side_capability(s: NumpyState, c: Constants, index: int) -> NDArray[np.float64]:
    """An actor's capability, with the allies that joined it."""
    total = np.full(s.rung.shape[1], float(c.capability[index]))
    if c.is_power[index]:
        for k in range(c.A):
            if not c.is_power[k]:
                joined = s.joined[k] & (patron(s, c, k) == index)
                total = np.where(joined, total + float(c.capability[k]), total)
    return total


def pressure_on(s: NumpyState, c: Constants, index: int) -> NDArray[np.float64] | float:
    """Net third-party pressure on a power: > 0 asks for restraint, < 0 for firmness."""
    if not c.is_power[index]:
        return 0.0
    other = c.power_b if index == c.power_a else c.power_a
    column = 0 if index == c.power_a else 1
    total = np.zeros(s.rung.shape[1])
    for k in range(c.A):
        if c.is_power[k]:
            continue
        mine, theirs = s.perceived[k, index], s.perceived[k, other]
        direction = np.where(
            mine > theirs, 1.0, np.where((theirs > mine) & (patron(s, c, k) == index), -1.0, 0.0)
        )
        total = total + float(c.influence[k, column]) * direction
    return total


def observation(
    s: NumpyState, c: Constants, i: int, t: int, pressure: Any, ratio: Any, *, both: bool
) -> Observation:
    """What actor i knows; with ``both``, perceived and true stacked ``[2, R]`` (as the engine)."""
    j = int(c.adversary[i])
    R = s.rung.shape[1]  # noqa: N806
    if both:
        y = np.stack([s.perceived[i, j], s.rung[j]])
        y_move = np.stack([s.pmove[i, j], np.sign(s.dchange[j])])
        hostility = np.stack([s.hostility[i, j], s.hostility_true[i, j]])
    else:
        y, y_move, hostility = s.perceived[i, j], s.pmove[i, j], s.hostility[i, j]
    return Observation(
        round=t,
        x=s.rung[i],
        y=y,
        y_move=y_move,
        own_move=np.zeros(R, dtype=np.int64),
        hostility=hostility,
        trust=s.trust[i, j],
        committed=s.committed[i],
        capability_ratio=ratio,
        cumulative_risk=np.zeros(R),
        adversary_resolve=np.full(R, np.nan),
        pressure=pressure,
        audience=float(c.audience[i]),
    )


def _raises(c: Constants, rung: NDArray[np.int64], move: NDArray[np.int64]) -> NDArray[np.bool_]:
    return dx.target_rung(rung, move, c.jump, c.n_rungs) > rung


def decide(
    s: NumpyState,
    c: Constants,
    p: Params,
    u_choice: NDArray[np.float64],
    t: int,
    given: NDArray[np.int64],
    policies: dict[int, Any] | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.bool_], NDArray[np.int64]]:
    """Phase 6: every deciding actor's move, its cause, and the decision counters.

    Parameters
    ----------
    s, c, p : NumpyState, Constants, Params
        State, constants, and the round's parameters (read by the policy classes).
    u_choice : numpy.ndarray
        The policy draws, ``[A, R]``.
    t : int
        The round.
    given : numpy.ndarray
        Per actor, a move fixed from outside (scripted, or a human player's), or ``NO_MOVE``.
    policies : dict, optional
        Per actor index, a policy object to use instead of the scenario's: any object with
        the ``decide(obs, actor, params, spec, memory, u)`` interface (a user's own class).

    Returns
    -------
    moves, deciding, causes : numpy.ndarray
        ``[A, R]`` each; moves and causes are 0 where the actor does not decide.
    """
    A, R = c.A, s.rung.shape[1]  # noqa: N806
    moves = np.zeros((A, R), dtype=np.int64)
    deciding = np.zeros((A, R), dtype=bool)
    causes = np.zeros((A, R), dtype=np.int64)
    # Capabilities do not change within the phase: computed once per actor (as the engine does).
    capability: dict[int, NDArray[np.float64]] = {}

    def side(index: int) -> NDArray[np.float64]:
        if index not in capability:
            capability[index] = side_capability(s, c, index)
        return capability[index]

    for i in range(A):
        decides = s.joined[i] | bool(c.is_power[i])
        if not decides.any():
            continue
        spec = p.policies[i]
        policy = (policies or {}).get(i) or POLICIES[spec.name]
        x = s.rung[i]
        pressure = pressure_on(s, c, i)
        ratio = side(int(c.adversary[i])) / side(i)
        traits = Actor(
            index=i,
            resolve=float(p.resolve[i]),
            risk_tolerance=float(c.risk_tolerance[i]),
            red_line=int(c.red_line[i]),
        )
        if given[i] != NO_MOVE:
            move = np.full(R, given[i], dtype=np.int64)
            truth_move = move
        else:
            # One call decides on what it perceives and on the truth, with the same draws.
            both = observation(s, c, i, t, pressure, ratio, both=True)
            chosen, _ = policy.decide(both, traits, p, spec, (), u_choice[i])
            chosen = np.broadcast_to(chosen, (2, R)).astype(np.int64)
            move, truth_move = chosen[0], chosen[1]
        raises = _raises(c, x, move)
        wrong = raises & ~_raises(c, x, truth_move)
        s.counts[_COUNT["decisions"]] += decides
        s.counts[_COUNT["miscalculations"]] += decides & (move != truth_move)
        s.counts[_COUNT["miscalculated_escalations"]] += decides & wrong
        cause = np.full(R, DELIBERATE)
        cause[wrong] = MISCALCULATED
        rest = raises & ~wrong
        if not c.is_power[i]:
            cause[rest] = THIRD_PARTY
        elif isinstance(policy, Quantal) and given[i] == NO_MOVE:
            pushed = np.flatnonzero(rest & (np.asarray(pressure) != 0))
            if len(pushed):
                # Would it have climbed without the pressure? Asked only where it matters.
                seen = observation(s, c, i, t, 0.0, ratio, both=False)
                calm = Observation(
                    **{f.name: _rows(getattr(seen, f.name), pushed, R) for f in fields(Observation)}
                )
                calm_move, _ = policy.decide(calm, traits, p, spec, (), u_choice[i, pushed])
                calm_move = np.broadcast_to(calm_move, (len(pushed),))
                cause[pushed[~_raises(c, x[pushed], calm_move)]] = THIRD_PARTY
        moves[i] = np.where(decides, move, 0)
        deciding[i] = decides
        causes[i] = np.where(decides, cause, 0)
    return moves, deciding, causes


def _rows(value: Any, rows: NDArray[np.int64], n: int) -> Any:
    if isinstance(value, np.ndarray) and value.shape[:1] == (n,):
        return value[rows]
    return value


def two_phases(
    s: NumpyState,
    c: Constants,
    p: Params,
    block: NDArray[np.float64],
    t: int,
    given: NDArray[np.int64],
    policies: dict[int, Any] | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.bool_], NDArray[np.int64]]:
    """Perception, beliefs and decisions of one round for all replications."""
    u = slots(c, block)
    perceive(s, c, u)
    count_perception(s, c)
    update_beliefs(s, c)
    return decide(s, c, p, u["choice"], t, given, policies)
