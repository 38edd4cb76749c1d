"""The actors: mesa agents for powers and third parties, as views of the model's state.

An agent holds no state of its own: each attribute reads (and writes) the agent's entry in its
model's row of the state arrays of :class:`escalsim.model.rounds.Crisis`, the model's one
implementation. So what a student reads on an agent is what the ensembles compute, and the
phases of a round (written once, in ``Crisis``) are the agents' behaviour.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from escalsim.policies import Actor, Memory, Observation

if TYPE_CHECKING:
    from escalsim.agents.model import EscalationModel


def _scalar(name: str, cast: type, doc: str) -> property:
    """An attribute that is the agent's entry of the crisis's ``[rep, actor]`` array ``name``."""

    def get(self: StateAgent) -> Any:
        return cast(getattr(self.model.state, name)[self.model.row, self.index])

    def set_(self: StateAgent, value: Any) -> None:
        getattr(self.model.state, name)[self.model.row, self.index] = value

    return property(get, set_, doc=doc)


def _vector(name: str, doc: str) -> property:
    """An attribute that is the agent's row of the crisis's ``[rep, actor, other]`` array."""

    def get(self: StateAgent) -> np.ndarray:
        return getattr(self.model.state, name)[self.model.row, self.index]

    return property(get, doc=doc)


class StateAgent(mesa.Agent):
    """A state in the crisis: a great power or a third party.

    Parameters
    ----------
    model : EscalationModel
        The model it belongs to.
    index : int
        Its position in the scenario's actor list (the index into every parameter array).

    Notes
    -----
    Every attribute below is a view of the shown replication's state (``model.state``, row
    ``model.row``; with one replication, ``model.crisis`` row 0): scalars read and write the
    entry, arrays are numpy views (writing to them writes the state).
    """

    rung = _scalar("rung", int, "Its true posture on the ladder.")
    apparent = _scalar(
        "apparent", int, "What others can observe this round: the rung plus an incident's jump."
    )
    incident = _scalar("incident", int, "The jump of its incident this round (0: none).")
    intended_move = _scalar("intended_move", int, "The move it chose last (a move code).")
    deliberate_change = _scalar(
        "deliberate_change",
        int,
        "Rungs it deliberately moved last: its choice after friction, without implementation "
        "error.",
    )
    last_move = _scalar("last_move", int, "The move it made last (after errors and friction).")
    committed = _scalar(
        "committed", bool, "Publicly committed to its posture (backing down costs audience)."
    )
    cumulative_risk = _scalar("cumulative_risk", float, "Risk of war borne so far.")
    alignment_a = _scalar(
        "alignment_a", float, "Third parties: share of alignment with the first power."
    )
    joined = _scalar(
        "joined", bool, "Third parties: involved beside their patron; then it decides moves."
    )
    perceived = _vector(
        "perceived", "Its perception of every actor's rung this round (explained incidents out)."
    )
    perceived_move = _vector("perceived_move", "The move of every actor it perceived this round.")
    adversary_resolve = _vector(
        "adversary_resolve", "Resolve of each actor as claimed in messages received (NaN: none)."
    )

    def __init__(self, model: EscalationModel, index: int) -> None:
        super().__init__(model)
        p = model.params
        self.index = index
        self.actor_id = p.ids[index]
        self.role = "power" if p.is_power[index] else "third_party"

    @property
    def _power(self) -> int | None:
        """Its index among the two powers (0: the first power), None for a third party."""
        powers = self.model.state.powers
        return int(np.flatnonzero(powers == self.index)[0]) if self.index in powers else None

    @property
    def war_cost(self) -> float | None:
        """Powers: its cost of war, its drawn type (docs/decision-v2.md §3.3); None otherwise."""
        k = self._power
        return None if k is None else float(self.model.state.war_cost[self.model.row, k])

    @property
    def trust(self) -> float | None:
        """Powers: its trust in the other, the posterior's honest mass; None for a third party.

        The posterior probability that the other power is an honest type (docs/decision-v2.md
        §3.4), from what it perceives (``model.state.trust()``).
        """
        k = self._power
        return None if k is None else float(self.model.state.trust()[self.model.row, k])

    @property
    def posterior_mean_cost(self) -> float | None:
        """Powers: the mean of the other power's cost of war under its posterior; else None."""
        k = self._power
        if k is None:
            return None
        row = np.array([self.model.row])
        return float(self.model.state._posterior_mean_cost(row)[0, self.index])

    @property
    def posterior(self) -> np.ndarray | None:
        """Powers: its belief over the other power's joint types; None for a third party.

        Over (cost of war, honest?), from what it perceives, in the order of the other's row of
        ``model.state.type_grid`` (a view). The ``bargaining`` policy decides on it.
        """
        k = self._power
        return None if k is None else self.model.state.posterior[self.model.row, k]

    @property
    def offer(self) -> float | None:
        """Powers: its standing offer to the other, the share of the stakes offered (NaN: none).

        docs/decision-v2.md §3.6; None for a third party.
        """
        k = self._power
        return None if k is None else float(self.model.state.offer[self.model.row, k])

    @property
    def offer_read(self) -> float | None:
        """Powers: the other power's standing offer as it has read it (NaN: none read)."""
        k = self._power
        return None if k is None else float(self.model.state.offer_read[self.model.row, k])

    @property
    def memory(self) -> Memory:
        """Its policy's memory (a tuple of plain values)."""
        return tuple(m[self.model.row].item() for m in self.model.state.memory[self.index])

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
            red_line=int(p.red_line[self.index]),
        )

    def observation(self, *, truth: bool) -> Observation:
        """What it knows now: as perceived, or (``truth=True``) with perfect information.

        The same :meth:`Crisis.observation <escalsim.model.rounds.Crisis.observation>` the
        decisions phase uses, for this agent's row, with plain values.
        """
        m = self.model
        seen = m.state.observation(self.index, truth, m.pressure_on(self.index))
        values: dict[str, Any] = {}
        for field in dataclasses.fields(seen):
            name, value = field.name, getattr(seen, field.name)
            if isinstance(value, np.ndarray) and value.ndim:
                value = value[m.row]
            # Plain scalars; a field with a trailing axis (the posterior over types) stays a vector.
            if isinstance(value, np.generic) or (isinstance(value, np.ndarray) and not value.ndim):
                value = value.item()
            values[name] = value
        return Observation(**values)
