"""The deterrer policy: a red line, and a response when it is crossed."""

from __future__ import annotations

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
    accepting,
    status_quo_share,
)
from escalsim.policies.registry import register

if TYPE_CHECKING:
    from escalsim.core.params import Params


class DeterrerPolicy(PolicySpec):
    """Holds until its red line is crossed, then responds (Schelling 1966)."""

    name: Literal["deterrer"]
    response: Literal["step_up", "jump"] = Field(
        default="step_up", description="The response to a crossed red line."
    )


@register
class Deterrer(Policy):
    """Holds until the adversary crosses its red line, then responds; stands down after.

    While the adversary is perceived at or above the actor's ``red_line`` it climbs (by its
    ``response``) until it is above the adversary, then holds; below the red line it steps down
    while above the adversary, and holds otherwise. It makes no offer and accepts one that
    leaves it at least what it holds, its status-quo share (docs/decision-v2.md §6: a
    status-quo power keeps what it has).

    References
    ----------
    Schelling, T. C. (1966). *Arms and Influence*. Yale: deterrence by a clear commitment.
    """

    name = "deterrer"
    Spec = DeterrerPolicy
    information = ("x", "y", "red_line", "offer_received")
    citation = "Schelling (1966), Arms and Influence"

    @classmethod
    @override
    def accepts_offers(cls, spec: Any) -> bool:
        return True

    @override
    def decide(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory, u: Any
    ) -> tuple[Any, Memory]:
        x, y = np.asarray(obs.x), np.asarray(obs.y)
        respond = dx.JUMP if spec.response == "jump" else dx.STEP_UP
        crossed = np.where(x > y, dx.HOLD, respond)
        below = np.where(x > y, dx.STEP_DOWN, dx.HOLD)
        move = np.where(y >= actor.red_line, crossed, below)
        return accepting(obs, status_quo_share(actor, params), move), memory
