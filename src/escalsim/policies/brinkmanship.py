"""The brinkmanship policy: raise the risk while it is bearable, then concede."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, override

import numpy as np

from escalsim.core import dynamics as dx
from escalsim.policies.base import Actor, Memory, Observation, Policy, PolicySpec
from escalsim.policies.registry import register

if TYPE_CHECKING:
    from escalsim.core.params import Params


class BrinkmanshipPolicy(PolicySpec):
    """Raise until the cumulative risk would exceed one's private resolve, then concede."""

    name: Literal["brinkmanship"]


@register
class Brinkmanship(Policy):
    """Raise the stakes while the risk stays bearable; hold while it does; then concede.

    Each round it steps up if the risk of war it has borne so far combined with next round's
    risk at the higher rung (:func:`escalsim.core.dynamics.cumulative_risk`,
    :func:`escalsim.core.dynamics.war_probability`) stays within its private resolve; otherwise
    it holds if holding stays within it; otherwise it concedes. It concedes at once if it has
    learnt that the adversary's resolve is higher.

    Closed form (the ``brinkmanship`` scenario, checked by the tests): two such powers start at
    rung 0 below a brink rung with per-round war risk r, the rung above it being war. Both step
    up to the brink in round 1 and hold it; the less resolved side, with resolve ρ_min,
    concedes in the first round n + 1 where ``1 - (1 - r)^(n+1) > ρ_min``, so war can break out
    in rounds 1..n* with ``n* = floor(log(1 - ρ_min) / log(1 - r))``, and
    ``P(war) = 1 - (1 - r)^n*`` when resolves stay private
    (:func:`escalsim.core.known_answers.brinkmanship_war_probability`). A concession ends the
    crisis before that round's war draw. With an honest channel, resolves are known in round 1,
    the weaker side concedes at once and ``P(war) = 0``.

    References
    ----------
    Schelling, T. C. (1960). *The Strategy of Conflict*; (1966). *Arms and Influence*.
    Powell, R. (1987). Crisis bargaining, escalation, and MAD. *APSR* 81:717-735.
    Fearon, J. D. (1995). Rationalist explanations for war. *International Organization*
    49:379-414 (private information and the incentive to misrepresent it).
    """

    name = "brinkmanship"
    Spec = BrinkmanshipPolicy
    information = ("x", "cumulative_risk", "adversary_resolve", "resolve")
    citation = "Schelling (1960, 1966); Powell (1987), APSR 81:717-735; Fearon (1995)"

    @override
    def decide(
        self, obs: Observation, actor: Actor, params: Params, spec: Any, memory: Memory, u: Any
    ) -> tuple[Any, Memory]:
        # Its resolve is its drawn type (docs/decision-v2.md §3.3, §6); an actor without one
        # (a third party) keeps its trait.
        drawn = np.asarray(obs.resolve, dtype=float)
        resolve = np.where(np.isnan(drawn), actor.resolve, drawn)
        known = np.asarray(obs.adversary_resolve)
        outmatched = ~np.isnan(known) & (known > resolve)
        bearable = []
        for candidate in (dx.STEP_UP, dx.HOLD):
            rung = dx.target_rung(obs.x, candidate, params.jump, params.n_rungs)
            # The risk it runs by holding that rung itself: its own threat that leaves something
            # to chance. (A perceived adversary rung, possibly misperceived, plays no part, so
            # the closed form above holds whatever the perception noise.)
            risk = dx.war_probability(params.war_risk, rung, rung, params.war_rung)
            bearable.append(dx.cumulative_risk(obs.cumulative_risk, risk) <= resolve)
        move = np.where(bearable[0], dx.STEP_UP, np.where(bearable[1], dx.HOLD, dx.CONCEDE))
        return np.where(outmatched, dx.CONCEDE, move), memory
