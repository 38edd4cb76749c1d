"""Carry generic-crisis's calibrated values over to a historical scenario's rungs and time unit.

The historical scenarios take their rung costs and per-round risks, their powers' audience
costs and their policy precision from ``generic-crisis`` (fitted to MID 5.0 and the ICB crises,
docs/calibration.md), converted to the scenario's time unit; what the case's record documents
(dates, channels, capabilities, stakes, types) stays the case's own. This script prints, for each
rung of the scenario, the generic rung it is mapped to and the values carried over, beside the
file's values, so that a reader can check every number the scenario says it took from here.

Mapping: a rung's ``icb_violence`` names the generic rung with the same ICB code (1 display,
2 minor clashes, 3 serious clashes, 4 war); without it, its ``mid_level`` does (1 normal,
2 threat, 3 display, 4 minor clashes, 5 war). Rungs above the war rung (a nuclear rung, a
strategic exchange) have no counterpart in the data: printed as "none (no data)".

Conversion from generic-crisis's week to a round of ``k`` weeks (a day: k = 1/7; a month:
k = 365.25/12/7):

- per-round probabilities (``war_risk``, ``incident_risk``): ``1 - (1 - p)^k`` (a constant
  hazard);
- per-round flows relative to the stakes' flow (rung ``cost``, the powers' ``war_cost``):
  unchanged (a week's cost over a week's stakes is a day's cost over a day's stakes);
- lump sums in rounds of the stakes' flow (``audience_cost``, paid once): ``× 1/k`` (a week of
  the stakes is seven days of them);
- the discount: ``δ^k``; the policy's precision (it reads annuities): unchanged.

Between nuclear powers the per-round war risks and the rungs' costs come instead from
``superpower-crisis`` (its risks set from the 386 weeks the 12 US-Soviet/Russian crises spent at
a display of force or above, its costs fitted to their peaks: docs/calibration.md, "Third
round"), by the rung's MID level only (that target codes MID levels: a display of force 3, a use
of force 4; a threat carries no war risk and costs nothing), converted the same way; the
columns "superpower" print them, and :func:`superpower_risk` and :func:`superpower_cost` give
them to the scripts that rebuild the historical scenarios. The
data do not tell rungs of one MID level apart, so all of them get that level's risk; what
distinguishes them is what the case's facts say (which rung a red line names, which holds the
stakes, which an event moves a power to).

Run: ``.venv/bin/python scripts/port_generic.py hotline-1963`` (any shipped name or a path).
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

from escalsim.scenario import Scenario, load_scenario
from escalsim.scenario.schema import DAYS_PER_UNIT
from escalsim.scenario.shipped import path_of

DAYS = DAYS_PER_UNIT  # escalsim.scenario.schema's: one home for the calendar
GENERIC = "generic-crisis"
SUPERPOWER = "superpower-crisis"
#: superpower-crisis's rungs by MID hostility level (it has no serious-clash rung).
SUPERPOWER_BY_MID = {2: "threat", 3: "display", 4: "clash"}
#: generic-crisis's rungs by MID hostility level, and by ICB violence code.
BY_MID = {1: "normal", 2: "threat", 3: "display", 4: "clash", 5: "war"}
BY_ICB = {1: "display", 2: "clash", 3: "serious", 4: "war"}


def weeks_per_round(time_unit: str) -> float:
    """k: how many weeks one round of ``time_unit`` lasts."""
    return DAYS[time_unit] / DAYS["week"]


def probability(p: float, k: float) -> float:
    """A per-week probability as a per-round one, ``1 - (1 - p)^k`` (constant hazard)."""
    return 1.0 - (1.0 - p) ** k


def superpower_risk(mid_level: int, time_unit: str) -> float:
    """superpower-crisis's fitted per-week war risk for a MID level, per round of ``time_unit``.

    0 for a threat (MID 2) and below: no war risk; levels 3 and 4 the fitted display and clash
    risks made per round by :func:`probability`, to four significant digits (as printed). Not
    defined for the war level and above (at war the risk is not read).
    """
    if mid_level <= 2:
        return 0.0
    rung = _superpower_rung(mid_level)
    return float(f"{probability(rung.war_risk, weeks_per_round(time_unit)):.4g}")


def superpower_cost(mid_level: int) -> float:
    """superpower-crisis's cost of a posture at a MID level, per round over the stakes' flow.

    0 below a threat (the normal rung) and for a threat (fixed there: talk is cheap); levels 3
    and 4 the fitted costs of a display of force and of a use of force (a flow: unchanged by
    the round's length). Not defined for the war level and above.
    """
    if mid_level <= 1:
        return 0.0
    return float(_superpower_rung(mid_level).cost)


@functools.cache
def _superpower_rung(mid_level: int) -> Any:
    """superpower-crisis's rung of a MID level (2-4), its file read once."""
    return {r.name: r for r in _load(SUPERPOWER).ladder.rungs}[SUPERPOWER_BY_MID[mid_level]]


def _load(name: str) -> Scenario:
    path = Path(name)
    return load_scenario(path if path.exists() else path_of(name))


def main(argv: list[str]) -> int:
    """Print the table for the scenario named in ``argv[0]``."""
    if len(argv) != 1:
        print(__doc__.split("\n\n")[-1].strip(), file=sys.stderr)
        return 2
    target, generic = _load(argv[0]), _load(GENERIC)
    k = weeks_per_round(target.run.time_unit)
    rungs = {r.name: r for r in generic.ladder.rungs}
    war = target.rung_index(target.ladder.war_rung) if target.ladder.war_rung else None
    print(f"{target.id}: one round = {k:.4g} weeks (time_unit {target.run.time_unit})")
    head = "| rung | mid | icb | generic rung | cost (file / generic) "
    head += (
        "| war_risk (file / ported) | superpower cost / war_risk | incident_risk (file / ported) |"
    )
    print(head)
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for i, r in enumerate(target.ladder.rungs):
        if war is not None and i > war:
            print(
                f"| {r.name} | {r.mid_level} | {r.icb_violence} | none (no data) | "
                f"{r.cost:g} / - | {r.war_risk:g} / - | - | {r.incident_risk:g} / - |"
            )
            continue
        name = BY_ICB[r.icb_violence] if r.icb_violence else BY_MID.get(r.mid_level or 0)
        if name is None:
            print(f"| {r.name} | {r.mid_level} | {r.icb_violence} | unmapped | | | | |")
            continue
        g = rungs[name]
        risk = "-" if i == war else f"{probability(g.war_risk, k):.4g}"
        unit = target.run.time_unit
        level = r.mid_level or 1
        nuclear = (
            "-"
            if i == war
            else f"{superpower_cost(level):.4g} / {superpower_risk(level, unit):.4g}"
        )
        print(
            f"| {r.name} | {r.mid_level} | {r.icb_violence} | {name} | {r.cost:g} / {g.cost:g} "
            f"| {r.war_risk:g} / {risk} | {nuclear} | {r.incident_risk:g} / "
            f"{probability(g.incident_risk, k):.4g} |"
        )
    a = generic.actors[0]  # both states share the doctrine
    delta = generic.stakes.discount
    assert delta is not None
    assert a.policy is not None
    print()
    print(f"discount: {delta} per week -> {delta**k:.5f} per round")
    print(f"audience_cost: {a.audience_cost} in weeks of the stakes -> {a.audience_cost / k:.4g}")
    print(f"precision: {a.policy.precision} (unchanged)")
    print(f"war_cost: uniform {a.war_cost.uniform} (per round over the stakes' flow: unchanged)")
    nuclear = _load(SUPERPOWER).actors[0].war_cost
    print(f"war_cost between nuclear powers ({SUPERPOWER}): uniform {nuclear.uniform}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
