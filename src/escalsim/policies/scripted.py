"""The scripted policy: a fixed list of moves."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, Literal, override

import numpy as np
from pydantic import BaseModel, Field, field_validator

from escalsim.core import dynamics as dx
from escalsim.policies.base import (
    STRICT,
    Actor,
    Memory,
    Move,
    Observation,
    Policy,
    PolicySpec,
    Probability,
    accepting,
)
from escalsim.policies.registry import register

if TYPE_CHECKING:
    from escalsim.core.params import Params


class ScriptedOffer(BaseModel):
    """One scripted offer: from ``round`` on, the standing offer gives the other ``share``."""

    model_config = STRICT

    round: int = Field(ge=1, description="The round the offer is posted in (1 is the first).")
    share: Probability = Field(description="The share of the stakes offered to the other.")


class ScriptedPolicy(PolicySpec):
    """A fixed sequence of moves, then ``then`` for ever; optionally offers and an acceptance."""

    name: Literal["scripted"]
    moves: list[Move] = Field(max_length=10_000, description="Moves in round order.")
    then: Move = Field(default="hold", description="The move once the script has run out.")
    offers: list[ScriptedOffer] = Field(
        default_factory=list,
        max_length=10_000,
        description="Offers posted in the talks phase, in round order; each stands until the "
        "next (docs/decision-v2.md §6).",
    )
    accept_at_least: Probability | None = Field(
        default=None,
        description="Accept a standing offer that gives at least this share of the stakes "
        "instead of the scripted move (null: never accept).",
    )

    @field_validator("offers")
    @classmethod
    def _in_round_order(cls, offers: list[ScriptedOffer]) -> list[ScriptedOffer]:
        rounds = [o.round for o in offers]
        if any(b <= a for a, b in itertools.pairwise(rounds)):
            raise ValueError(f"offers must be in increasing round order, got rounds {rounds}")
        return offers


@register
class Scripted(Policy):
    """A fixed list of moves, then ``then`` for ever: for teaching and for tests.

    It reads nothing but the round number, like the Axelrod library's ``Cycler`` strategies
    (a fixed sequence of plays), without the cycle; and, with ``accept_at_least``, the offer it
    has received. Its ``offers`` post, from each one's round, the share given (the last one
    at or before the round stands), so a script can open the bargaining: the proposer of
    Fearon's (1995) take-it-or-leave-it game (docs/decision-v2.md §11).

    References
    ----------
    Knight, V. et al. (2016). An open framework for the reproducible study of the iterated
    prisoner's dilemma. *Journal of Open Research Software* 4(1):e35 (``axelrod.Cycler``).
    """

    name = "scripted"
    Spec = ScriptedPolicy
    # The round number and, with ``accept_at_least``, this round's offer: the current
    # observation, nothing remembered.
    memory_depth = 1
    bargains = True
    information = ("round", "offer_received")
    citation = "Knight et al. (2016), Journal of Open Research Software 4(1):e35 (axelrod.Cycler)"

    @override
    def decide(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory, u: Any
    ) -> tuple[Any, Memory]:
        name = spec.moves[obs.round - 1] if obs.round <= len(spec.moves) else spec.then
        move = np.full(np.shape(obs.x), dx.MOVE_CODES[name])
        if spec.accept_at_least is None:
            return move, memory
        return accepting(obs, spec.accept_at_least, move), memory

    @classmethod
    @override
    def opens_bargaining(cls, spec: Any) -> bool:
        return bool(spec.offers)

    @classmethod
    @override
    def accepts_offers(cls, spec: Any) -> bool:
        return spec.accept_at_least is not None

    @override
    def offer(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory
    ) -> Any:
        posted = [o.share for o in spec.offers if o.round <= obs.round]
        return np.full(np.shape(obs.x), posted[-1] if posted else np.nan)
