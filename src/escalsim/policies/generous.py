"""The generous policy: generous tit-for-tat."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, override

import numpy as np
from pydantic import Field

from escalsim.policies.base import (
    Actor,
    Memory,
    Observation,
    Policy,
    PolicySpec,
    Probability,
    accepting,
    mirror_offer,
    status_quo_share,
    toward,
)
from escalsim.policies.registry import register

if TYPE_CHECKING:
    from escalsim.core.params import Params


class GenerousPolicy(PolicySpec):
    """Generous tit-for-tat (Nowak & Sigmund 1992; Wu & Axelrod 1995)."""

    name: Literal["generous"]
    generosity: Probability = Field(
        default=1 / 3, description="Probability of not answering a step up (g)."
    )


@register
class Generous(Policy):
    """Generous tit-for-tat: as :class:`Reciprocal`, but answers one rung lower with probability g.

    On two rungs: after the adversary escalated, restrain with probability g. Under
    implementation noise e the share of mutual restraint between two of them is s² with
    ``s = b / (1 - (a - b))``, ``a = 1 - e``, ``b = g (1 - 2e) + e``
    (:mod:`escalsim.core.known_answers`, ``tests/test_known_answers.py``).

    Bargaining (docs/decision-v2.md §6): as :class:`Reciprocal` (no first offer, the mirror
    offer, accepts an offer that leaves it its status-quo share ``q``), and with probability g,
    on the same draw, it forgives a stingy offer as it forgives a step up: it accepts any offer
    of at least half its status-quo share, ``s >= q/2``.

    References
    ----------
    Nowak, M. A. & Sigmund, K. (1992). Tit for tat in heterogeneous populations. *Nature*
    355:250-253.
    Wu, J. & Axelrod, R. (1995). How to cope with noise in the iterated prisoner's dilemma.
    *Journal of Conflict Resolution* 39:183-189 (g = 1/3).
    """

    name = "generous"
    Spec = GenerousPolicy
    stochastic = True
    bargains = True
    information = ("x", "y", "offer_received")
    citation = "Nowak & Sigmund (1992), Nature 355:250-253; Wu & Axelrod (1995), JCR 39:183-189"

    @classmethod
    @override
    def accepts_offers(cls, spec: Any) -> bool:
        return True

    @override
    def decide(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory, u: Any
    ) -> tuple[Any, Memory]:
        generous = np.asarray(u) < spec.generosity
        forgive = (np.asarray(obs.y) > 0) & generous
        move = toward(obs.x, np.where(forgive, np.asarray(obs.y) - 1, obs.y), params.jump)
        q = status_quo_share(actor, params)
        return accepting(obs, np.where(generous, 0.5 * q, q), move), memory

    @override
    def offer(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory
    ) -> Any:
        return mirror_offer(obs, actor, params)
