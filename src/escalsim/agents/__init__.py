"""The mesa face of the model: a mesa Model and Agents over one row of its state."""

from escalsim.agents.agents import StateAgent
from escalsim.agents.model import OUTCOMES, EscalationModel

__all__ = ["OUTCOMES", "EscalationModel", "StateAgent"]
