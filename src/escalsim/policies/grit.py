"""The GRIT policy: graduated reciprocation in tension reduction."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal, override

import numpy as np
from pydantic import Field

from escalsim.core import dynamics as dx
from escalsim.policies.base import (
    Actor,
    Memory,
    Observation,
    Policy,
    PolicySpec,
    Probability,
    accepting,
    standing_demand,
    status_quo_share,
)
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
    offer_step: Probability = Field(
        default=0.05,
        description="How much more of the stakes each conciliatory step offers the other, "
        "beyond its status-quo share (docs/decision-v2.md §6).",
    )


@register
class Grit(Policy):
    """GRIT: graduated reciprocation in tension reduction.

    Every ``step_down_every`` rounds it steps down unilaterally, announcing it; it answers a
    step up with a step up (no more), and after ``patience`` unreciprocated steps down it pauses
    until the adversary reciprocates. Memory: (rounds since its last conciliatory step or
    answer, unreciprocated steps down, conciliatory offers made).

    Bargaining (docs/decision-v2.md §6): each conciliatory step comes with a better offer, as
    Osgood's announced initiatives do. After ``n`` steps down it offers the other
    ``min(1, 1 - q + n·offer_step)``, ``q`` its status-quo share, so it opens the bargaining
    unilaterally and pauses with its steps (after ``patience`` unreciprocated ones); at the
    bottom rung it takes no step and raises no offer. It accepts an offer that meets its
    demand (``1 -`` its standing offer, else ``q``).

    References
    ----------
    Osgood, C. E. (1962). *An Alternative to War or Surrender*. University of Illinois Press.
    """

    name = "grit"
    Spec = GritPolicy
    memory_depth = math.inf
    bargains = True
    information = ("x", "y_move", "offer_received", "own_offer")
    citation = "Osgood (1962), An Alternative to War or Surrender"

    @staticmethod
    @override
    def initial_memory() -> Memory:
        return (0, 0, 0)

    @classmethod
    @override
    def opens_bargaining(cls, spec: Any) -> bool:
        return True

    @classmethod
    @override
    def accepts_offers(cls, spec: Any) -> bool:
        return True

    @override
    def decide(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory, u: Any
    ) -> tuple[Any, Memory]:
        since, unreciprocated, offers = (np.asarray(m) for m in memory)
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
        offers = np.where(conciliate, offers + 1, offers)
        move = accepting(obs, standing_demand(obs, actor, params), move)
        return move, (since, unreciprocated, offers)

    @override
    def offer(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory
    ) -> Any:
        made = np.broadcast_to(np.asarray(memory[2]), np.shape(obs.x))
        share = np.minimum(1.0, 1.0 - status_quo_share(actor, params) + made * spec.offer_step)
        return np.where(made > 0, share, np.nan)
