"""Validation: the model against its known answers and the calibration target.

``escalsim verify`` runs every registered check and writes ``docs/validation.md``:

- :mod:`escalsim.validation.registry`: :class:`Check`, :class:`CheckResult`, :class:`Row` and
  the registry :data:`CHECKS`;
- :mod:`escalsim.validation.checks`: the checks (the noisy prisoner's dilemma under
  implementation and perception noise, brinkmanship, perfect information, the batch engine
  against the agent model, the MID fit, the historical scenarios against the record);
- :mod:`escalsim.validation.record`: the record those checks use (the 12 comparable crises, the
  zero-event bound, each historical scenario's measurement);
- :mod:`escalsim.validation.report`: :func:`run_checks`, :func:`render_report`,
  :func:`write_report`.

The analytic answers themselves live in :mod:`escalsim.core.known_answers`.
"""

from __future__ import annotations

from escalsim.validation.registry import CHECKS, Check, CheckResult, Row, register
from escalsim.validation.report import (
    Outcome,
    check_names,
    render_report,
    run_checks,
    write_report,
)

__all__ = [
    "CHECKS",
    "Check",
    "CheckResult",
    "Outcome",
    "Row",
    "check_names",
    "register",
    "render_report",
    "run_checks",
    "write_report",
]
