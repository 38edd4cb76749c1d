"""The memory-one policy: a four-vector of restraint probabilities, on two rungs."""

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
    toward,
)
from escalsim.policies.registry import register

if TYPE_CHECKING:
    from collections.abc import Iterable

    from escalsim.core.params import Params
    from escalsim.scenario.schema import Scenario


class MemoryOnePolicy(PolicySpec):
    """Memory-one strategy on a two-rung ladder (Nowak & Sigmund 1993; Press & Dyson 2012)."""

    name: Literal["memory_one"]
    p: list[Probability] = Field(
        min_length=4,
        max_length=4,
        description="Probability of restraint (rung 0) after (restrained, restrained), "
        "(restrained, escalated), (escalated, restrained), (escalated, escalated): own move "
        "first.",
    )


@register
class MemoryOne(Policy):
    """Memory-one strategy on two rungs: restrain with probability p[own last, adversary last].

    ``p`` is ordered (restrained, restrained), (restrained, escalated), (escalated, restrained),
    (escalated, escalated), own rung first; on a longer ladder any rung above 0 counts as
    escalated. Tit-for-tat is ``p = (1, 0, 1, 0)``; the validation's textbook strategies are
    four-vectors (:mod:`escalsim.validation.prisoners`).

    References
    ----------
    Nowak, M. & Sigmund, K. (1993). A strategy of win-stay, lose-shift that outperforms
    tit-for-tat in the Prisoner's Dilemma game. *Nature* 364:56-58.
    Press, W. H. & Dyson, F. J. (2012). Iterated Prisoner's Dilemma contains strategies that
    dominate any evolutionary opponent. *PNAS* 109:10409-10413.
    """

    name = "memory_one"
    Spec = MemoryOnePolicy
    stochastic = True
    information = ("x", "y")
    citation = "Nowak & Sigmund (1993), Nature 364:56-58; Press & Dyson (2012), PNAS 109:10409"

    @override
    def problems(self, spec: Any, scenario: Scenario) -> Iterable[tuple[tuple[str, ...], str]]:
        n_rungs = len(scenario.ladder.rungs)
        if n_rungs != 2:  # the four-vector's cells are the pairs of the two rungs
            needs = "policy 'memory_one' needs a ladder of exactly two rungs"
            yield ("name",), f"{needs}; this one has {n_rungs}"

    @override
    def decide(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory, u: Any
    ) -> tuple[Any, Memory]:
        cell = 2 * (np.asarray(obs.x) > 0) + (np.asarray(obs.y) > 0)
        restrain = np.asarray(u) < np.asarray(spec.p)[cell]
        return toward(obs.x, np.where(restrain, 0, 1), params.jump), memory
