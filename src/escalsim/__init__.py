"""escalsim: an escalation scenario simulator.

How does communication between rival states change the rate of miscalculation and escalation in a
crisis? Scenarios are YAML files (see :mod:`escalsim.scenario`); ``escalsim --help`` lists the
commands.

Importing the package has no side effects: submodules load when first used.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__: str = version("escalsim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

if TYPE_CHECKING:
    from escalsim.errors import (
        EscalsimError,
        GameError,
        LimitError,
        NumericsError,
        ScenarioError,
        StoreError,
        UsageError,
    )
    from escalsim.experiment.results import Results
    from escalsim.experiment.runner import run
    from escalsim.scenario import (
        Scenario,
        load_scenario,
        with_condition,
        with_settings,
    )
    from escalsim.teaching import Game

__all__ = [
    "EscalsimError",
    "Game",
    "GameError",
    "LimitError",
    "NumericsError",
    "Results",
    "Scenario",
    "ScenarioError",
    "StoreError",
    "UsageError",
    "__version__",
    "load_scenario",
    "run",
    "with_condition",
    "with_settings",
]

_LAZY = {
    "run": "escalsim.experiment.runner",
    "Results": "escalsim.experiment.results",
    "Scenario": "escalsim.scenario",
    # The errors: escalsim.errors imports nothing heavy (escalsim.scenario.ScenarioError is the
    # same class).
    "EscalsimError": "escalsim.errors",
    "ScenarioError": "escalsim.errors",
    "UsageError": "escalsim.errors",
    "LimitError": "escalsim.errors",
    "StoreError": "escalsim.errors",
    "NumericsError": "escalsim.errors",
    "GameError": "escalsim.errors",
    "load_scenario": "escalsim.scenario",
    "with_condition": "escalsim.scenario",
    "with_settings": "escalsim.scenario",
    "Game": "escalsim.teaching",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'escalsim' has no attribute {name!r}")
