"""The hardliner policy: never steps down, answers every climb."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, override

import numpy as np

from escalsim.core import dynamics as dx
from escalsim.policies.base import Actor, Memory, Observation, Policy, PolicySpec
from escalsim.policies.registry import register

if TYPE_CHECKING:
    from escalsim.core.params import Params


class HardlinerPolicy(PolicySpec):
    """Never steps down first; answers every step up."""

    name: Literal["hardliner"]


@register
class Hardliner(Policy):
    """Never steps down; answers a perceived step up, or a higher adversary, with a step up.

    The posture the deterrence model prescribes, as Jervis (1976, ch. 3) sets it against the
    spiral model: a concession is read as weakness and invites more demands, so it never steps
    back, and every climb by the other side is answered. Between two of them, one incident is
    enough to start a spiral that nothing ends.

    References
    ----------
    Jervis, R. (1976). *Perception and Misperception in International Politics*, ch. 3
    (deterrence and the spiral model). Princeton University Press.
    """

    name = "hardliner"
    Spec = HardlinerPolicy
    information = ("x", "y", "y_move")
    citation = "Jervis (1976), Perception and Misperception in International Politics, ch. 3"

    @override
    def decide(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory, u: Any
    ) -> tuple[Any, Memory]:
        up = (np.asarray(obs.y_move) > 0) | (np.asarray(obs.y) > np.asarray(obs.x))
        return np.where(up, dx.STEP_UP, dx.HOLD), memory
