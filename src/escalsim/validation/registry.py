"""The check registry: what a validation check is, and what running one gives.

A :class:`Check` names a known answer (or a calibration target), cites its source, states the
expected value with its derivation, and runs the model to compare: ``run(seed, quick)`` returns a
:class:`CheckResult` with the simulated value, its 95% confidence interval, the sample size,
pass or fail at the check's stated tolerance rule, and, where a figure helps, a function that
draws it. Checks are registered by name in :data:`CHECKS`, in the order the report shows them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from matplotlib.figure import Figure

Kind = Literal["known_answer", "equivalence", "calibration", "record"]


@dataclass(frozen=True)
class Row:
    """One compared quantity of a check (a case, a noise level, a scenario).

    Attributes
    ----------
    label : str
        What the row is (e.g. ``"e = 0.05"``).
    expected : float
        The known answer.
    simulated : float
        The model's estimate.
    ci : tuple of float
        95% confidence interval of ``simulated``.
    n : int
        Sample size behind ``simulated`` (replications, runs, decisions: see the check).
    passed : bool
        Whether this row meets the check's tolerance rule.
    note : str
        Anything row-specific (the tolerance used, a bias bound), in Markdown.
    expected_text : str
        How to show ``expected`` when it is not a plain value (e.g. ``"≤ 0.05"``).
    descriptive : bool
        Shown for information only: it does not decide whether the check passes.
    """

    label: str
    expected: float
    simulated: float
    ci: tuple[float, float]
    n: int
    passed: bool
    note: str = ""
    expected_text: str = ""
    descriptive: bool = False


@dataclass
class CheckResult:
    """What running a check gave.

    The headline (``simulated``, ``ci``, ``n``, ``expected``) is the check's main row; ``rows``
    holds every compared quantity, the headline among them.

    Attributes
    ----------
    simulated : float
        The headline estimate.
    ci : tuple of float
        Its 95% confidence interval.
    n : int
        Its sample size.
    passed : bool
        Whether the check passed (every row passed).
    tolerance_rule : str
        The rule that decides pass or fail, and how it follows from the sample size (Markdown).
    details : str
        What was run and what was found, in Markdown (the explanation of a failure goes here).
    figure_path : pathlib.Path or None
        The figure, once written by the report.
    expected : float or None
        The headline's known answer (None when there is no single number).
    rows : tuple of Row
        Every compared quantity.
    seconds : float
        Wall-clock time the check took.
    draw : callable or None
        Draws the check's figure (a :class:`matplotlib.figure.Figure`), if it has one.
    expected_text : str
        How to show ``expected`` when it is not a plain value (e.g. ``"≤ 0.05"``).
    """

    simulated: float
    ci: tuple[float, float]
    n: int
    passed: bool
    tolerance_rule: str
    details: str
    figure_path: Path | None = None
    expected: float | None = None
    rows: tuple[Row, ...] = ()
    seconds: float = 0.0
    draw: Callable[[], Figure] | None = field(default=None, repr=False, compare=False)
    expected_text: str = ""

    @classmethod
    def from_rows(
        cls,
        rows: list[Row] | tuple[Row, ...],
        *,
        tolerance_rule: str,
        details: str,
        headline: int = 0,
        draw: Callable[[], Figure] | None = None,
    ) -> CheckResult:
        """A result whose headline is ``rows[headline]``; it passes iff every deciding row does."""
        rows = tuple(rows)
        main = rows[headline]
        return cls(
            simulated=main.simulated,
            ci=main.ci,
            n=main.n,
            passed=all(r.passed for r in rows if not r.descriptive),
            tolerance_rule=tolerance_rule,
            details=details,
            expected=main.expected,
            rows=rows,
            draw=draw,
            expected_text=main.expected_text,
        )

    @classmethod
    def failure(cls, details: str, tolerance_rule: str = "") -> CheckResult:
        """A failed check that could not produce a number (e.g. a module that is missing)."""
        return cls(
            simulated=math.nan,
            ci=(math.nan, math.nan),
            n=0,
            passed=False,
            tolerance_rule=tolerance_rule,
            details=details,
        )


@dataclass(frozen=True)
class Check:
    """A validation check: a known answer of the model, or a calibration target.

    Attributes
    ----------
    name : str
        Short identifier (``pd-wsls-perception``); the figure's file name.
    title : str
        Section title in the report.
    what : str
        What is tested, in Markdown.
    source : str
        The citation(s) the expected value comes from.
    expected : str
        The expected value with its derivation or formula, in Markdown.
    run : callable
        ``run(seed, quick) -> CheckResult``.
    kind : {"known_answer", "equivalence", "calibration", "record"}
        A special case with an analytic answer, an exact equality between two computations, a
        fit to data (which may fail until the model is calibrated), or a posterior-predictive
        check of a historical scenario against the historical record
        (:mod:`escalsim.validation.record`).
    provenance : str
        Where the numbers of the scenario a check runs come from, and which are guesses
        (Markdown; shown in the report when set).
    """

    name: str
    title: str
    what: str
    source: str
    expected: str
    run: Callable[[int, bool], CheckResult]
    kind: Kind = "known_answer"
    provenance: str = ""


#: Every registered check, by name, in report order.
CHECKS: dict[str, Check] = {}


def register(check: Check) -> Check:
    """Add a check to :data:`CHECKS` (a name may be registered once)."""
    if check.name in CHECKS:
        raise ValueError(f"a check named {check.name!r} is already registered")
    CHECKS[check.name] = check
    return check
