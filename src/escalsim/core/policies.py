"""Policies moved to :mod:`escalsim.policies` (one module per policy, a base and a registry).

This module re-exports the names the drivers import, so ``from escalsim.core.policies import
POLICIES, Actor, Memory, Observation, HumanMoveRequiredError, Quantal`` keeps working.
"""

from escalsim.policies import (
    POLICIES,
    Actor,
    Brinkmanship,
    Deterrer,
    Generous,
    Grit,
    Hardliner,
    Human,
    HumanMoveRequiredError,
    Memory,
    MemoryOne,
    Observation,
    Policy,
    Quantal,
    Reciprocal,
    Scripted,
    register,
    toward,
)

__all__ = [
    "POLICIES",
    "Actor",
    "Brinkmanship",
    "Deterrer",
    "Generous",
    "Grit",
    "Hardliner",
    "Human",
    "HumanMoveRequiredError",
    "Memory",
    "MemoryOne",
    "Observation",
    "Policy",
    "Quantal",
    "Reciprocal",
    "Scripted",
    "register",
    "toward",
]
