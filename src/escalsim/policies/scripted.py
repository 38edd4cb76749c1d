"""The scripted policy: a fixed list of moves."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, override

import numpy as np
from pydantic import Field

from escalsim.core import dynamics as dx
from escalsim.policies.base import Actor, Memory, Move, Observation, Policy, PolicySpec
from escalsim.policies.registry import register

if TYPE_CHECKING:
    from escalsim.core.params import Params


class ScriptedPolicy(PolicySpec):
    """A fixed sequence of moves, then ``then`` for ever."""

    name: Literal["scripted"]
    moves: list[Move] = Field(max_length=10_000, description="Moves in round order.")
    then: Move = Field(default="hold", description="The move once the script has run out.")


@register
class Scripted(Policy):
    """A fixed list of moves, then ``then`` for ever: for teaching and for tests.

    It reads nothing but the round number, like the Axelrod library's ``Cycler`` strategies
    (a fixed sequence of plays), without the cycle.

    References
    ----------
    Knight, V. et al. (2016). An open framework for the reproducible study of the iterated
    prisoner's dilemma. *Journal of Open Research Software* 4(1):e35 (``axelrod.Cycler``).
    """

    name = "scripted"
    Spec = ScriptedPolicy
    memory_depth = 0
    information = ("round",)
    citation = "Knight et al. (2016), Journal of Open Research Software 4(1):e35 (axelrod.Cycler)"

    @override
    def decide(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory, u: Any
    ) -> tuple[Any, Memory]:
        name = spec.moves[obs.round - 1] if obs.round <= len(spec.moves) else spec.then
        return np.full(np.shape(obs.x), dx.MOVE_CODES[name]), memory
