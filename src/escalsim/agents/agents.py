"""The actors: mesa agents for powers and third parties.

An agent holds what one state knows and remembers; every equation it applies is called from
:mod:`escalsim.core.dynamics` (and its decision rule from :mod:`escalsim.core.policies`). The
model (:mod:`escalsim.agents.model`) runs the phases of a round in order and calls these methods.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa
import numpy as np

from escalsim.core import dynamics as dx
from escalsim.core.policies import POLICIES, Actor, Memory, Observation

if TYPE_CHECKING:
    from escalsim.agents.model import EscalationModel


class StateAgent(mesa.Agent):
    """A state in the crisis: a great power or a third party.

    Parameters
    ----------
    model : EscalationModel
        The model it belongs to.
    index : int
        Its position in the scenario's actor list (the index into every parameter array).

    Attributes
    ----------
    rung : int
        Its true posture on the ladder.
    apparent : int
        What others can observe this round: the rung, plus the jump of an incident.
    perceived : numpy.ndarray
        Its perception of every actor's rung this round (incidents it had explained removed).
    hostility, hostility_true : numpy.ndarray
        Belief that each actor is hostile, from what it perceives / from the truth (the latter
        feeds only the counterfactual decision).
    trust : numpy.ndarray
        Trust in each actor's words.
    committed : bool
        Publicly committed to its posture (backing down then costs audience costs).
    cumulative_risk : float
        Risk of war borne so far.
    adversary_resolve : numpy.ndarray
        Resolve of each actor as claimed in messages received (NaN: never heard).
    alignment_a : float
        Third parties: share of alignment with the first power.
    joined : bool
        Third parties: involved beside their patron (chain-ganging); then it decides moves.
    """

    def __init__(self, model: EscalationModel, index: int) -> None:
        super().__init__(model)
        p = model.params
        n = p.n_actors
        self.index = index
        self.actor_id = p.ids[index]
        self.role = "power" if p.is_power[index] else "third_party"
        self.rung = int(p.initial_rung[index])
        self.apparent = self.rung
        self.incident = 0
        self.intended_move = dx.HOLD
        self.deliberate_change = 0
        self.last_move = dx.HOLD
        self.perceived = p.initial_rung.astype(np.int64).copy()
        self.perceived_move = np.zeros(n, dtype=np.int64)
        # perceived_log[t, j]: the move of j perceived in round t (the move j made in t - 1),
        # so that a delayed message is checked against the deed it describes.
        self.perceived_log = np.zeros((model.horizon + 2, n), dtype=np.int64)
        self.explained = np.zeros(n, dtype=bool)
        self.hostility = np.full(n, 0.5)
        self.hostility_true = np.full(n, 0.5)
        self.trust = np.full(n, 0.5)
        self.last_claim: list[bool | None] = [None] * n
        self.committed = False
        self.cumulative_risk = 0.0
        self.adversary_resolve = np.full(n, math.nan)
        self.alignment_a = float(p.alignment_a[index])
        self.joined = False
        self.memory: Memory = POLICIES[p.policies[index].name].initial_memory()

    # -- helpers ------------------------------------------------------------------------------
    @property
    def decides(self) -> bool:
        """Powers always decide; a third party only once it has joined a side."""
        return self.role == "power" or self.joined

    @property
    def adversary(self) -> int:
        """The index of the power this actor faces."""
        return int(self.model.params.adversary[self.index])

    def actor_traits(self) -> Actor:
        """Fixed traits a policy may read."""
        p = self.model.params
        return Actor(
            index=self.index,
            resolve=float(p.resolve[self.index]),
            risk_tolerance=float(p.risk_tolerance[self.index]),
            red_line=int(p.red_line[self.index]),
        )

    def observation(self, *, truth: bool) -> Observation:
        """What it knows now: as perceived, or (``truth=True``) with perfect information.

        The truth uses the adversary's true rung, its true last deliberate move (incidents and
        implementation errors correctly attributed) and beliefs updated on those truths.
        """
        m = self.model
        p = m.params
        j = self.adversary
        other = m.actor(j)
        if truth:
            y, y_move = other.rung, int(np.sign(other.deliberate_change))
            hostility = self.hostility_true[j]
        else:
            y, y_move = int(self.perceived[j]), int(self.perceived_move[j])
            hostility = self.hostility[j]
        # Resolve stays private even in the truth: perfect information is about postures,
        # moves and accidents (DESIGN.md §2). Private resolve is Fearon's (1995) separate cause
        # of war; only messages reveal it, in both evaluations alike.
        resolve = float(self.adversary_resolve[j])
        return Observation(
            round=m.round,
            x=self.rung,
            y=int(y),
            y_move=int(y_move),
            own_move=int(self.last_move),
            hostility=float(hostility),
            trust=float(self.trust[j]),
            committed=self.committed,
            capability_ratio=m.side_capability(j) / m.side_capability(self.index),
            cumulative_risk=self.cumulative_risk,
            adversary_resolve=resolve,
            pressure=m.pressure_on(self.index),
            audience=float(
                dx.effective_audience_cost(p.audience_cost[self.index], p.domestic[self.index])
            ),
        )

    # -- phases --------------------------------------------------------------------------------
    def perceive(self, u_noise: np.ndarray, u_dir: np.ndarray, u_deconf: np.ndarray) -> None:
        """Phase 4: observe every other actor through the best channel available.

        An observation is one rung off with the path's noise (:func:`dynamics.observe_rung`).
        Another actor's incident seen over a private channel is explained with that channel's
        deconfliction probability (raised by agreements); an explained incident is taken out of
        the perceived rung. With perfect information, every observation is the truth.
        """
        m = self.model
        p = m.params
        for j, other in enumerate(m.actor_list):
            if j == self.index:
                self.perceived[j] = self.rung
                continue
            before = int(self.perceived[j])
            path = m.best_path(self.index, j)
            if m.perfect_information:
                # The truth: the true rung, and the move the other intended (an accident is
                # known for what it is).
                self.perceived[j] = other.rung
                self.perceived_move[j] = int(np.sign(other.deliberate_change))
                self.explained[j] = other.incident > 0
                self.perceived_log[m.round, j] = self.perceived_move[j]
                continue
            else:
                seen = int(
                    dx.observe_rung(
                        other.apparent,
                        p.noise[path],
                        u_noise[self.index, j],
                        u_dir[self.index, j],
                        p.n_rungs,
                    )
                )
                explained = False
                if other.incident and path != p.public:
                    explained = bool(u_deconf[self.index, j] < m.deconfliction_of(path))
                self.explained[j] = explained
                if explained:
                    seen = max(seen - other.incident, 0)
                if m.red_lines_clear and self.role == "power" and other.role == "power":
                    # A clarified red line: whether it is crossed is never misread.
                    line = int(p.red_line[self.index])
                    if (seen >= line) != (other.rung >= line):
                        seen = other.rung
            self.perceived[j] = seen
            self.perceived_move[j] = int(dx.perceived_move(seen, before))
        self.perceived_log[m.round] = self.perceived_move

    def update_beliefs(self) -> None:
        """Phase 5: Bayes on observed moves; trust from words against deeds.

        The perceived-information belief updates on the perceived move; the truth belief (used
        only by the counterfactual decision) on the true intended move. Trust in a sender whose
        last message claimed benign intent falls if it was then seen to step up, and rises if
        not (:func:`dynamics.trust_update`).
        """
        m = self.model
        for j, other in enumerate(m.actor_list):
            if j == self.index:
                continue
            self.hostility[j] = dx.bayes_hostility(self.hostility[j], self.perceived_move[j])
            self.hostility_true[j] = dx.bayes_hostility(
                self.hostility_true[j], int(np.sign(other.deliberate_change))
            )
            claim = self.last_claim[j]
            if claim is not None:
                self._check_word(j, claim, int(self.perceived_move[j]))
                self.last_claim[j] = None

    def receive(
        self, sender: int, sent: bool, received: bool, claimed_resolve: float, sent_round: int
    ) -> None:
        """A message arrives (phase 3): beliefs move by the claim, weighted by trust.

        ``sent`` is the claim as the sender made it, ``received`` as it was read (misreading
        flips it). The perceived belief moves by what was read; the truth belief of the
        counterfactual by what was sent (perfect information reads words correctly but gains no
        more from them), so without noise the two beliefs stay equal. In the twin every message
        is read as sent.

        The claim describes the sender's move in the round before it was sent, which this actor
        perceived in ``sent_round``. A delayed message is checked against that deed at once; a
        prompt one in phase 5 of this round, once the deed is perceived.
        """
        m = self.model
        read = sent if m.perfect_information else received
        self.hostility[sender] = dx.message_update(self.hostility[sender], read, self.trust[sender])
        self.hostility_true[sender] = dx.message_update(
            self.hostility_true[sender], sent, self.trust[sender]
        )
        self.adversary_resolve[sender] = claimed_resolve
        if sent_round < m.round:
            self._check_word(sender, read, int(self.perceived_log[sent_round, sender]))
        else:
            self.last_claim[sender] = read

    def _check_word(self, sender: int, claim: bool, deed: int) -> None:
        """Trust from a word against the deed it described (:func:`dynamics.trust_update`)."""
        consistent = not (claim and deed > 0)
        self.trust[sender] = dx.trust_update(self.trust[sender], consistent)
        self.model.note_consistency(sender, self.index, consistent)
