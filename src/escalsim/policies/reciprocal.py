"""The reciprocal policy: tit-for-tat on the ladder."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, override

from escalsim.policies.base import Actor, Memory, Observation, Policy, PolicySpec, toward
from escalsim.policies.registry import register

if TYPE_CHECKING:
    from escalsim.core.params import Params


class ReciprocalPolicy(PolicySpec):
    """Tit-for-tat on the ladder: match the adversary's perceived last move (Axelrod 1984)."""

    name: Literal["reciprocal"]


@register
class Reciprocal(Policy):
    """Tit-for-tat on the ladder: move toward the adversary's perceived rung.

    On a two-rung ladder this is exactly tit-for-tat: restrain after restraint, escalate after
    escalation. On a longer ladder it closes the gap, by a jump when the gap is a jump or more.

    References
    ----------
    Axelrod, R. (1984). *The Evolution of Cooperation*. Basic Books.
    """

    name = "reciprocal"
    Spec = ReciprocalPolicy
    information = ("x", "y")
    citation = "Axelrod (1984), The Evolution of Cooperation"

    @override
    def decide(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory, u: Any
    ) -> tuple[Any, Memory]:
        return toward(obs.x, obs.y, params.jump), memory
