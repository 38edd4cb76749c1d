"""The GRIT policy: graduated reciprocation in tension reduction."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal, override

import numpy as np
from pydantic import Field

from escalsim.core import dynamics as dx
from escalsim.policies.base import Actor, Memory, Observation, Policy, PolicySpec
from escalsim.policies.registry import register

if TYPE_CHECKING:
    from escalsim.core.params import Params


class GritPolicy(PolicySpec):
    """Graduated reciprocation in tension reduction (Osgood 1962)."""

    name: Literal["grit"]
    step_down_every: int = Field(
        default=2, ge=1, description="Rounds between unilateral conciliatory steps."
    )
    patience: int = Field(default=3, ge=0, description="Unreciprocated steps before GRIT pauses.")


@register
class Grit(Policy):
    """GRIT: graduated reciprocation in tension reduction.

    Every ``step_down_every`` rounds it steps down unilaterally, announcing it; it answers a
    step up with a step up (no more), and after ``patience`` unreciprocated steps down it pauses
    until the adversary reciprocates. Memory: (rounds since its last conciliatory step or
    answer, unreciprocated steps down).

    References
    ----------
    Osgood, C. E. (1962). *An Alternative to War or Surrender*. University of Illinois Press.
    """

    name = "grit"
    Spec = GritPolicy
    memory_depth = math.inf
    information = ("x", "y_move")
    citation = "Osgood (1962), An Alternative to War or Surrender"

    @staticmethod
    @override
    def initial_memory() -> Memory:
        return (0, 0)

    @override
    def decide(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory, u: Any
    ) -> tuple[Any, Memory]:
        since, unreciprocated = (np.asarray(m) for m in memory)
        y_move = np.asarray(obs.y_move)
        # Reciprocated: the count of unanswered steps down starts again.
        unreciprocated = np.where(y_move < 0, 0, unreciprocated)
        answer = y_move > 0  # a step up is answered with a step up, and the clock restarts
        since = since + 1
        conciliate = (
            ~answer
            & (since >= spec.step_down_every)
            & (unreciprocated < spec.patience)
            & (np.asarray(obs.x) > 0)
        )
        move = np.where(answer, dx.STEP_UP, np.where(conciliate, dx.STEP_DOWN, dx.HOLD))
        since = np.where(answer | conciliate, 0, since)
        unreciprocated = np.where(conciliate, unreciprocated + 1, unreciprocated)
        return move, (since, unreciprocated)
