"""What both spike forms are fed: geneva-2022's constants, a starting state, random blocks.

The spike (issue 15) runs two phases of a round, perception (phase 4, with the counting of
perception errors and the belief update of phase 5) and decisions (phase 6, the quantal policy
with the counterfactual and the cause of each climb), once as numpy over the replication axis
(:mod:`numpy_form`) and once as per-replication loops compiled by numba (:mod:`compiled_form`).
Both read the same numbers from here, so the test can ask for the same answers bit for bit.

The state is not the engine's at round 0: rungs, channels, incidents, joined allies and red-line
clarity are drawn so that every branch of the two phases (explained incidents, clarified red
lines, allies who decide, pressure from third parties) is taken in some replications. Between
rounds, :func:`stand_in_rest_of_round` moves the actors by their chosen moves and draws
incidents; it is the same plain code for both forms and is not timed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from escalsim.core import dynamics as dx
from escalsim.core.params import QUANTAL_WEIGHTS, Params, schedule
from escalsim.core.streams import BlockLayout, replication_generator
from escalsim.scenario import load_scenario

SCENARIO = "geneva-2022"
#: Codes of how an actor's move is chosen, read by both forms.
QUANTAL, GIVEN = 0, 1
#: "No move given" in the per-actor ``given`` array (a scripted or human move otherwise).
NO_MOVE = -99
#: Counters the two phases keep per replication, in this column order.
COUNTERS = (
    "observations",
    "perception_errors",
    "false_alarms",
    "decisions",
    "miscalculations",
    "miscalculated_escalations",
)
DELIBERATE, MISCALCULATED, THIRD_PARTY = 0, 1, 3


@dataclass
class Constants:
    """The scenario's fixed numbers, as flat arrays both forms can read (numba included)."""

    A: int
    n_rungs: int
    jump: int
    war_rung: int  # -1: none
    public: int
    power_a: int
    power_b: int
    is_power: NDArray[np.bool_]
    adversary: NDArray[np.int64]
    capability: NDArray[np.float64]
    risk_tolerance: NDArray[np.float64]
    red_line: NDArray[np.int64]
    audience: NDArray[np.float64]  # effective audience cost per actor
    influence: NDArray[np.float64]  # [A, 2]
    noise: NDArray[np.float64]  # per channel
    deconfliction: NDArray[np.float64]  # per channel
    costs: NDArray[np.float64]  # per rung
    war_risk: NDArray[np.float64]  # per rung
    weights: NDArray[np.float64]  # [A, 6] quantal weights
    precision: NDArray[np.float64]  # [A]
    kind: NDArray[np.int64]  # [A] QUANTAL or GIVEN
    obs_i: NDArray[np.int64]  # the observed pairs, as the engine keeps them
    obs_j: NDArray[np.int64]
    observed: NDArray[np.bool_]  # [A, A] the same pairs as a mask (for the loops)
    offsets: dict[str, int]  # where each slot starts in a round's block


def constants(p: Params, layout: BlockLayout) -> Constants:
    """Flatten ``Params`` into the arrays the spike reads."""
    A = p.n_actors  # noqa: N806
    # The engine's observed pairs: every actor's view of each power, and both ends of a
    # private channel (batch/engine.py, _Chunk.__init__).
    linked = {
        (int(a), int(b))
        for c, (a, b) in enumerate(p.channel_ends)
        if c != p.public and a >= 0 and a != b
    }
    linked |= {(b, a) for a, b in linked}
    pairs = sorted(
        {(a, b) for a in range(A) for b in range(A) if a != b and p.is_power[b]} | linked
    )
    observed = np.zeros((A, A), dtype=bool)
    for a, b in pairs:
        observed[a, b] = True
    kind = np.array([GIVEN if q.name in ("scripted", "human") else QUANTAL for q in p.policies])
    weights = np.array(
        [
            [float(getattr(q, w)) for w in QUANTAL_WEIGHTS] if q.name == "quantal" else [0.0] * 6
            for q in p.policies
        ]
    )
    precision = np.array([float(getattr(q, "precision", 0.0)) for q in p.policies])
    return Constants(
        A=A,
        n_rungs=int(p.n_rungs),
        jump=int(p.jump),
        war_rung=-1 if p.war_rung is None else int(p.war_rung),
        public=int(p.public),
        power_a=int(p.power_a),
        power_b=int(p.power_b),
        is_power=np.asarray(p.is_power, dtype=bool),
        adversary=np.asarray(p.adversary, dtype=np.int64),
        capability=np.asarray(p.capability, dtype=float),
        risk_tolerance=np.asarray(p.risk_tolerance, dtype=float),
        red_line=np.asarray(p.red_line, dtype=np.int64),
        audience=np.array(
            [float(dx.effective_audience_cost(p.audience_cost[i], p.domestic[i])) for i in range(A)]
        ),
        influence=np.ascontiguousarray(p.influence, dtype=float),
        noise=np.asarray(p.noise, dtype=float),
        deconfliction=np.asarray(p.deconfliction, dtype=float),
        costs=np.asarray(p.costs, dtype=float),
        war_risk=np.asarray(p.war_risk, dtype=float),
        weights=weights,
        precision=precision,
        kind=kind.astype(np.int64),
        obs_i=np.array([a for a, _ in pairs], dtype=np.int64),
        obs_j=np.array([b for _, b in pairs], dtype=np.int64),
        observed=observed,
        offsets={name: layout.offset(name) for name in layout.names},
    )


def geneva() -> tuple[Params, BlockLayout, Constants]:
    """geneva-2022's round-1 parameters, its block layout and the spike's constants."""
    spec = load_scenario(SCENARIO)
    p = schedule(spec).params_at[1]
    layout = BlockLayout.of(spec, legacy=True)  # the spike's forms read version 1's block
    return p, layout, constants(p, layout)


@dataclass
class State:
    """The state the two phases read and write, replication first: ``[R, A]``, ``[R, A, A]``.

    The forms copy it into the layout each prefers (:meth:`numpy_form.NumpyState.of`).
    """

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
    path: NDArray[np.int64]  # [R, A, A] the channel i sees j through (phase 3's result)
    bonus: NDArray[np.float64]  # [R, C] deconfliction added by agreements
    red_clear: NDArray[np.bool_]  # [R]
    counts: NDArray[np.int64]  # [R, len(COUNTERS)]


def start_state(p: Params, c: Constants, R: int, seed: int = 7) -> State:  # noqa: N803
    """A varied state for ``R`` replications (module docstring: why not round 0's)."""
    g = np.random.default_rng(seed)
    A, C = c.A, p.n_channels  # noqa: N806
    rung = g.integers(0, c.n_rungs - 1, size=(R, A))
    incident = ((g.random((R, A)) < 0.2) & (rung < c.n_rungs - 1)).astype(np.int64)
    # geneva-2022's third parties have joined a side in 10% of their actor-rounds (run_batch,
    # 300 replications): as many decide here.
    joined = (g.random((R, A)) < 0.1) & ~c.is_power
    # Channels up this round: the engine's rule (best private channel up, else the public one).
    up = g.random((R, C)) < 0.6
    path = np.full((R, A, A), c.public, dtype=np.int64)
    for ch in range(C):
        a, b = (int(x) for x in p.channel_ends[ch])
        if ch == c.public or a < 0 or a == b:
            continue
        free = up[:, ch] & (path[:, a, b] == c.public)
        path[free, a, b] = ch
        path[free, b, a] = ch
    return State(
        rung=rung,
        apparent=rung + incident,
        incident=incident,
        dchange=g.integers(-1, 2, size=(R, A)),
        committed=g.random((R, A)) < 0.3,
        joined=joined,
        alignment=g.random((R, A)),
        perceived=np.clip(rung[:, None, :] + g.integers(-1, 2, size=(R, A, A)), 0, c.n_rungs - 1),
        pmove=np.zeros((R, A, A), dtype=np.int64),
        hostility=g.uniform(0.2, 0.8, size=(R, A, A)),
        hostility_true=g.uniform(0.2, 0.8, size=(R, A, A)),
        trust=g.uniform(0.2, 0.8, size=(R, A, A)),
        path=path,
        bonus=np.where(g.random((R, C)) < 0.2, 0.3, 0.0),
        red_clear=g.random(R) < 0.3,
        counts=np.zeros((R, len(COUNTERS)), dtype=np.int64),
    )


def blocks(layout: BlockLayout, R: int, rounds: int, seed: int = 1) -> NDArray[np.float64]:  # noqa: N803
    """Each replication's random blocks from its own stream, as the engine draws them.

    Shape ``[rounds, R, size]``: one round's blocks are contiguous, replication by replication
    (the engine's window, ``_Streams.refill``).
    """
    out = np.empty((rounds, R, layout.size))
    for r in range(R):
        out[:, r] = replication_generator(seed, r).random((rounds, layout.size))
    return out


def stand_in_rest_of_round(
    c: Constants,
    rung: NDArray[np.int64],
    move: NDArray[np.int64],
    deciding: NDArray[np.bool_],
    u_incident: NDArray[np.float64],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Not the model's phase 7 or 2: just enough to let the state move between rounds.

    Returns the new rung, the deliberate change, the incident and the apparent rung, all
    ``[R, A]``. Both forms call it on the same arrays, outside the timed phases.
    """
    new = np.where(deciding, dx.target_rung(rung, move, c.jump, c.n_rungs), rung)
    incident = ((u_incident < 0.1) & (new < c.n_rungs - 1)).astype(np.int64)
    return new, new - rung, incident, new + incident
