"""How a user's Python policy, a scripted policy and a human player plug into each form.

The example user policy, "wary", is what a social scientist might write in a notebook: climb
when the adversary looks higher and hostile, step down when it is trusted, otherwise hold. It
is given three ways, because each form takes a different one:

* :func:`wary` -- one actor in one replication, plain Python on scalars (the agent model's way);
* :class:`WaryArrays` -- the same rule with ``np.where`` on arrays over replications (today's
  policy interface, ``escalsim.core.policies.Policy``), which both forms can call from Python;
* :func:`wary_compiled` -- the same rule compiled by numba, callable inside the compiled loop.

Paths measured by ``bench_spike.py`` (actor 0, USA, plays wary; the others stay quantal):

numpy form
    ``array``: the policy object is passed to ``numpy_form.decide`` (``policies={0: ...}``);
    ``scalar``: :class:`PerReplication` wraps :func:`wary` and loops over replications in Python.
compiled form
    ``split+array``: the round is split at the decision phase: ``perceive_all`` (compiled),
    :func:`compiled_form.observations` hands actor 0's observations to Python, the policy object
    decides on the arrays, ``decide_all`` (compiled) takes its moves in ``given``;
    ``split+scalar``: the same with :func:`wary` called per replication from Python;
    ``objmode``: :func:`wary` called from inside the compiled loop through ``numba.objmode``,
    once per replication and view (the cost of a callback).

A scripted move or a human player's is a number per actor in ``given`` (both forms): the
driver fills it before the decision phase; a human's session splits the round there in both.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import numpy as np
from common import NO_MOVE
from numpy.typing import NDArray

from escalsim.core import dynamics as dx
from escalsim.core.policies import Actor, Observation, Policy


def wary(obs: Observation, actor: Actor, u: float) -> int:
    """A user's policy, one actor in one replication: plain Python on scalars."""
    if obs.y > obs.x and obs.hostility > 0.6:
        return dx.STEP_UP
    if obs.trust > 0.6 and obs.x > 0:
        return dx.STEP_DOWN
    return dx.HOLD


class WaryArrays(Policy):
    """:func:`wary` written elementwise, with today's policy interface."""

    name = "wary"
    information = ("x", "y", "hostility", "trust")

    def decide(
        self, obs: Observation, actor: Actor, params: Any, spec: Any, memory: Any, u: Any
    ) -> tuple[Any, Any]:
        """Elementwise :func:`wary`."""
        x, y = np.asarray(obs.x), np.asarray(obs.y)
        up = (y > x) & (np.asarray(obs.hostility) > 0.6)
        down = (np.asarray(obs.trust) > 0.6) & (x > 0)
        return np.where(up, dx.STEP_UP, np.where(down, dx.STEP_DOWN, dx.HOLD)), memory


class PerReplication(Policy):
    """Adapter: a scalar policy function called once per replication (and per view)."""

    name = "per_replication"

    def __init__(self, fn: Any) -> None:
        self.fn = fn

    def decide(
        self, obs: Observation, actor: Actor, params: Any, spec: Any, memory: Any, u: Any
    ) -> tuple[Any, Any]:
        """Call ``fn`` on each replication's scalar observation."""
        names = [f.name for f in fields(Observation)]
        values = [np.asarray(getattr(obs, n)) for n in names]
        shape = np.broadcast_shapes(*(v.shape for v in values), np.shape(u))
        values = [np.broadcast_to(v, shape) for v in values]
        draws = np.broadcast_to(u, shape)
        out = np.empty(shape, dtype=np.int64)
        for idx in np.ndindex(shape):
            scalar = Observation(**{n: v[idx].item() for n, v in zip(names, values, strict=True)})
            out[idx] = self.fn(scalar, actor, float(draws[idx]))
        return out, memory


def compiled_paths() -> dict[str, Any]:
    """The compiled form's plug-in paths (imports numba; see the module docstring)."""
    import compiled_form as cf
    import numba

    @numba.njit(cache=True)
    def wary_compiled(x: int, y: int, hostility: float, trust: float) -> int:
        if y > x and hostility > 0.6:
            return 1
        if trust > 0.6 and x > 0:
            return -1
        return 0

    def _user_callback(x: int, y: int, hostility: float, trust: float) -> int:
        obs = Observation(0, x, y, 0, 0, hostility, trust, False, 1.0, 0.0, np.nan, 0.0, 0.0)
        return wary(obs, Actor(0, 0.5, 0.5, 0), 0.0)

    @numba.njit
    def objmode_moves(s: Any, c: Any, i: int, given: NDArray[np.int64]) -> None:
        # Not cached: an objmode block refers to a Python function of this process.
        j = c.adversary[i]
        for r in range(s.rung.shape[0]):
            x = s.rung[r, i]
            for view in range(2):
                y = s.perceived[r, i, j] if view == 0 else s.rung[r, j]
                h = s.hostility[r, i, j] if view == 0 else s.hostility_true[r, i, j]
                t = s.trust[r, i, j]
                with numba.objmode(move="int64"):
                    move = _user_callback(x, y, h, t)
                given[view, r, i] = move

    def split(s: Any, k: Any, block: Any, policy: Any, per_rep: bool, out: tuple) -> None:
        """The round split at the decision phase, actor 0 deciding in Python."""
        given, moves, deciding, causes = out
        cf.perceive_all(s, k, block)
        R = block.shape[0]  # noqa: N806
        obs_out = np.empty((len(cf.FIELDS), 2, R))
        cf.observations(s, k, 0, obs_out)
        f = dict(zip(cf.FIELDS, obs_out, strict=True))
        obs = Observation(
            round=0,
            x=f["x"].astype(np.int64),
            y=f["y"].astype(np.int64),
            y_move=f["y_move"].astype(np.int64),
            own_move=0,
            hostility=f["hostility"],
            trust=f["trust"],
            committed=f["committed"].astype(bool),
            capability_ratio=f["capability_ratio"],
            cumulative_risk=0.0,
            adversary_resolve=np.nan,
            pressure=f["pressure"],
            audience=0.0,
        )
        traits = Actor(0, 0.5, 0.5, 0)
        draws = block[:, k.o_choice]
        chosen, _ = (PerReplication(wary) if per_rep else policy).decide(
            obs, traits, None, None, (), draws
        )
        given[:, :, :] = NO_MOVE
        given[0, :, 0] = chosen[0]
        given[1, :, 0] = chosen[1]
        cf.decide_all(s, k, block, given[0], given[1], moves, deciding, causes)

    def objmode(s: Any, k: Any, block: Any, out: tuple) -> None:
        given, moves, deciding, causes = out
        cf.perceive_all(s, k, block)
        given[:, :, :] = NO_MOVE
        objmode_moves(s, k, 0, given)
        cf.decide_all(s, k, block, given[0], given[1], moves, deciding, causes)

    return {"split": split, "objmode": objmode, "wary_compiled": wary_compiled}
