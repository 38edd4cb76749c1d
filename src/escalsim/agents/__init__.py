"""The agent-based driver: the mesa model and its agents."""

from escalsim.agents.agents import StateAgent
from escalsim.agents.model import OUTCOMES, EscalationModel

__all__ = ["OUTCOMES", "EscalationModel", "StateAgent"]
