"""The quantal policy: a utility-based logit response, the default policy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, override

import numpy as np
from pydantic import Field

from escalsim.core import dynamics as dx
from escalsim.policies.base import Actor, Memory, NonNegative, Observation, Policy, PolicySpec
from escalsim.policies.registry import register

if TYPE_CHECKING:
    from escalsim.core.params import Params

#: The order of the weights in :func:`escalsim.core.dynamics.quantal_utilities`.
WEIGHTS = ("w_security", "w_cost", "w_war", "w_audience", "w_reciprocity", "w_pressure")


class QuantalPolicy(PolicySpec):
    """Utility-based quantal response (McKelvey & Palfrey 1995)."""

    name: Literal["quantal"]
    precision: NonNegative = Field(
        default=4.0, description="Logit precision lambda: 0 is random, large is a best response."
    )
    w_security: NonNegative = Field(default=1.0, description="Weight of the security deficit.")
    w_cost: NonNegative = Field(default=1.0, description="Weight of the posture cost.")
    w_war: NonNegative = Field(default=5.0, description="Weight of the risk of war.")
    w_audience: NonNegative = Field(default=1.0, description="Weight of audience costs.")
    w_reciprocity: NonNegative = Field(default=0.5, description="Reward for reciprocating.")
    w_pressure: NonNegative = Field(default=1.0, description="Weight of third-party pressure.")


@register
class Quantal(Policy):
    """Utility-based quantal response: the default policy.

    Weighs the security deficit, the cost of the posture, the risk of war, audience costs,
    reciprocity and third-party pressure (:func:`escalsim.core.dynamics.quantal_utilities`),
    and chooses by a logit of precision λ (:func:`escalsim.core.dynamics.logit_choice`): λ = 0
    is uniform random, λ → ∞ a best response. ``docs/ODD.md`` §7.6 has the utility and its
    departures from DESIGN.md.

    References
    ----------
    McKelvey, R. D. & Palfrey, T. R. (1995). Quantal response equilibria for normal form games.
    *Games and Economic Behavior* 10:6-38.
    Jervis, R. (1976). *Perception and Misperception in International Politics*. Princeton.
    Fearon, J. D. (1994). Domestic political audiences and the escalation of international
    disputes. *APSR* 88:577-592.
    Schelling, T. C. (1966). *Arms and Influence*. Yale.
    """

    name = "quantal"
    Spec = QuantalPolicy
    stochastic = True
    memory_depth = 1
    information = (
        "x",
        "y",
        "y_move",
        "hostility",
        "trust",
        "committed",
        "capability_ratio",
        "pressure",
        "audience",
        "risk_tolerance",
    )
    citation = (
        "McKelvey & Palfrey (1995), Games and Economic Behavior 10:6-38; Jervis (1976); "
        "Fearon (1994); Schelling (1966)"
    )

    def utilities(self, obs: Observation, actor: Actor, params: Params, spec: Any) -> np.ndarray:
        """Utilities of the four candidate moves (step down, hold, step up, jump)."""
        weights = np.array([getattr(spec, w) for w in WEIGHTS])
        expected = dx.expected_adversary_rung(obs.y, obs.hostility, obs.trust)
        return dx.quantal_utilities(
            obs.x,
            expected,
            obs.capability_ratio,
            params.costs,
            params.war_risk,
            params.war_rung,
            actor.risk_tolerance,
            obs.audience,
            obs.committed,
            obs.y_move < 0,
            obs.pressure,
            params.jump,
            weights,
        )

    @override
    def decide(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory, u: Any
    ) -> tuple[Any, Memory]:
        index = dx.logit_choice(self.utilities(obs, actor, params, spec), spec.precision, u)
        return dx.CANDIDATE_MOVES[index], memory
