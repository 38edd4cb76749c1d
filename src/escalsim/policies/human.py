"""The human policy: a person chooses (seminar mode)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal, override

import numpy as np
from numpy.typing import NDArray

from escalsim.policies.base import (
    OBSERVATION_FIELDS,
    Actor,
    HumanMoveRequiredError,
    Memory,
    Observation,
    Policy,
    PolicySpec,
)
from escalsim.policies.registry import register

if TYPE_CHECKING:
    from escalsim.core.params import Params


class HumanPolicy(PolicySpec):
    """A person chooses (seminar mode)."""

    name: Literal["human"]


@register
class Human(Policy):
    """A person chooses (seminar mode); the driver supplies the move.

    ``decide`` and ``offer`` raise :class:`HumanMoveRequiredError`: the drivers take the player's
    move and standing offer instead (``docs/ODD.md`` §7.14). A player makes, accepts (the move
    ``accept``) and refuses offers (any other move), so the round's offers phase treats a
    player's power as one that opens the bargaining and accepts offers. Classified as the
    Axelrod library classifies its ``Human`` strategy: a person may use anything shown,
    remembers without bound and is not predictable.

    References
    ----------
    Knight, V. et al. (2016). An open framework for the reproducible study of the iterated
    prisoner's dilemma. *Journal of Open Research Software* 4(1):e35 (``axelrod.Human``).
    """

    name = "human"
    Spec = HumanPolicy
    stochastic = True
    memory_depth = math.inf
    information = OBSERVATION_FIELDS
    citation = "Knight et al. (2016), Journal of Open Research Software 4(1):e35 (axelrod.Human)"
    needs_player = True
    bargains = True

    @classmethod
    @override
    def opens_bargaining(cls, spec: Any) -> bool:
        """A player may post a standing offer before receiving one (docs/decision-v2.md §6)."""
        return True

    @classmethod
    @override
    def accepts_offers(cls, spec: Any) -> bool:
        """A player may accept the other's standing offer (the move ``accept``)."""
        return True

    @override
    def offer(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory
    ) -> Any:
        """The player chooses: the round takes the player's offer instead.

        ``Crisis._human_offer`` supplies the standing offer the player chose (the drivers pass
        it as ``human_offers``); the round then sends, reads and commits it as any policy's.

        Raises
        ------
        HumanMoveRequiredError
            Always: a person chooses.
        """
        raise HumanMoveRequiredError(
            f"round {obs.round}: actor {actor.index} is played by a person; pass its offers"
        )

    @override
    def choice_probabilities(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory
    ) -> NDArray[np.float64]:
        """Not modelled: every option equally likely.

        A player's move then tells the other power nothing about its type beyond the likelihood
        floor (docs/decision-v2.md §6).
        """
        from escalsim.core import bargaining as bg

        n = len(bg.OPTIONS)
        return np.full((*np.shape(obs.x), n), 1.0 / n)

    @override
    def decide(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory, u: Any
    ) -> tuple[Any, Memory]:
        raise HumanMoveRequiredError(
            f"round {obs.round}: actor {actor.index} is played by a person; pass its moves"
        )
