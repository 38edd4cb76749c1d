"""Scenario format: typed models, positioned YAML loading, conditions and field paths."""

from escalsim.scenario.errors import Problem, ScenarioError
from escalsim.scenario.load import (
    BUILTIN_DOCTRINES,
    load_scenario,
    load_text,
    with_condition,
    with_settings,
)
from escalsim.scenario.schema import SCHEMA_VERSION, Scenario

__all__ = [
    "BUILTIN_DOCTRINES",
    "SCHEMA_VERSION",
    "Problem",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "load_text",
    "with_condition",
    "with_settings",
]
