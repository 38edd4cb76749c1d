"""The reciprocal policy: tit-for-tat on the ladder."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, override

from escalsim.policies.base import (
    Actor,
    Memory,
    Observation,
    Policy,
    PolicySpec,
    accepting,
    mirror_offer,
    status_quo_share,
    toward,
)
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

    Bargaining (docs/decision-v2.md §6): it never offers first; it answers a standing offer
    ``s`` with the mirror offer, asking half-way between its status-quo share ``q`` and ``s``
    (:func:`~escalsim.policies.base.mirror_offer`), and accepts an offer that leaves it at
    least ``q``. It never concedes: against an offer that does not move, its answer does not.

    References
    ----------
    Axelrod, R. (1984). *The Evolution of Cooperation*. Basic Books.
    """

    name = "reciprocal"
    Spec = ReciprocalPolicy
    bargains = True
    information = ("x", "y", "offer_received")
    citation = "Axelrod (1984), The Evolution of Cooperation"

    @classmethod
    @override
    def accepts_offers(cls, spec: Any) -> bool:
        return True

    @override
    def decide(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory, u: Any
    ) -> tuple[Any, Memory]:
        move = toward(obs.x, obs.y, params.jump)
        return accepting(obs, status_quo_share(actor, params), move), memory

    @override
    def offer(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory
    ) -> Any:
        return mirror_offer(obs, actor, params)
