"""Wars that last in a variant of geneva-2022: war, nuclear use and exchange against two fields.

Usage: ``.venv/bin/python scripts/lasting_wars.py [REPLICATIONS] [SEED]`` (default 400, 2).

:func:`geneva_at_war` is geneva-2022 with ``war.ends_run: false``, both powers nuclear-armed, a
nuclear rung that raises the user's odds and carries a per-round hazard of strategic exchange,
and the powers' costs of war given as three types around a value. It is a probe of the
mechanism of docs/pair-wars.md §3-§4 (wiring step 2), not a historical scenario: the shipped
scenarios opt in with costs re-derived from their sources in a later step. ``main`` prints, for
a grid of the value after an exchange and of the cost of war, the share of runs with a war, with
nuclear use and ending in an exchange, the risk of an exchange assumed at a run's first nuclear
step and the frequency of an exchange after nuclear use, the mean rounds of battle, the wars'
causes and first rounds, and the outcomes (markdown);
docs/pair-wars.md ("As built: step 2") quotes it. ``tests/test_lasting_wars.py`` uses the same
builder.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from escalsim.batch import run_batch
from escalsim.scenario import Scenario, load_text, with_condition

ROOT = Path(__file__).resolve().parents[1]


def geneva_at_war(
    hazard: float = 0.01,
    advantage: float = 1.0,
    exchange: float = -0.5,
    nuclear_cost: float = 6.0,
    war_cost: float = 0.02,
) -> Scenario:
    """geneva-2022 with wars that last, two nuclear-armed powers and a usable nuclear rung.

    ``nuclear_use`` gets ``war_advantage`` ``advantage``, ``exchange_hazard`` ``hazard`` and the
    posture cost ``nuclear_cost`` (the war rung's 6.0 by default: the nuclear cost is then the
    hazard alone, docs/pair-wars.md §4 "Double counting"); the value after an exchange is
    ``exchange`` (in units of the stakes' present value); each power's cost of war is three
    equally likely types, ``war_cost`` halved, as given, and doubled (instead of the file's
    resolve).
    """
    # The hand-set file (geneva-2022 before its rebuild for issue 19), on which docs/pair-wars.md's
    # probe was measured: the rebuilt file gives its powers costs of war, not resolves.
    text = (ROOT / "scripts" / "data" / "geneva-2022-handset.yaml").read_text()
    data: dict[str, Any] = yaml.safe_load(text)
    _as_in_version_2(data)
    data["schema_version"] = 3
    data["war"] = {**data.get("war", {}), "ends_run": False, "exchange_value": exchange}
    for rung in data["ladder"]["rungs"]:
        if rung["name"] == "nuclear_use":
            rung.update(cost=nuclear_cost, war_advantage=advantage, exchange_hazard=hazard)
    for actor in data["actors"]:
        if actor["role"] == "power":
            actor["nuclear"] = True
            actor.pop("resolve", None)
            actor["war_cost"] = {"grid": [war_cost / 2, war_cost, 2 * war_cost]}
    return load_text(json.dumps(data), "geneva-at-war.yaml")


#: geneva-2022's version-2 values of what its version 3 changed below the nuclear rung: the war
#: risk of the rungs held (version 3 prices a war between the powers only; see the file).
_V2_WAR_RISK = {"signalling": 0.002, "mobilisation": 0.01, "limited_force": 0.05}


def _as_in_version_2(data: dict[str, Any]) -> None:
    """Undo, in place, what geneva-2022's version 3 added or re-set.

    The probe of step 2 was built on version 2, and its table in docs/pair-wars.md is kept
    reproducible: no listed pair, the default `front_step`, no rung above `nuclear_use`, no
    `wider_war` between war and it, `nuclear_use` as version 2 had it before the probe's own
    values, version 2's war risks. The powers' own fields (resolve, nuclear) are the probe's.
    """
    war = data.get("war", {})
    for key in ("pairs", "front_step", "exchange_value"):
        war.pop(key, None)
    ladder = data["ladder"]
    ladder.pop("strategic_rung", None)
    above = ("wider_war", "strategic_exchange")
    ladder["rungs"] = [r for r in ladder["rungs"] if r["name"] not in above]
    for rung in ladder["rungs"]:
        if rung["name"] in _V2_WAR_RISK:
            rung["war_risk"] = _V2_WAR_RISK[rung["name"]]
        if rung["name"] == "nuclear_use":
            for key in ("war_advantage", "exchange_hazard"):
                rung.pop(key, None)
            rung.update(cost=30.0, incident_risk=0.0)
    for actor in data["actors"]:
        if actor["role"] != "power":
            actor.pop("nuclear", None)


def main(replications: int, seed: int) -> None:
    """Print the grid's table (markdown), condition ``dialogue_open``."""
    print(
        "| exchange_value | cost of war | P(war) | P(nuclear use) | P(exchange) "
        "| risk assumed at the step | P(exchange given nuclear use) | rounds of battle "
        "| wars: cause, first round | outcomes |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for exchange in (-0.5, -2.0, -20.0):
        for cost in (0.02, 0.1, 0.3):
            spec = with_condition(geneva_at_war(exchange=exchange, war_cost=cost), "dialogue_open")
            out = run_batch(spec, seed=seed, replications=replications).outcome
            counts = out["outcome"].value_counts()
            wars = out[out["war"]]
            causes = ", ".join(f"{k} {v}" for k, v in wars["war_cause"].value_counts().items())
            starts = ", ".join(
                f"round {k}: {v}" for k, v in wars["war_start_round"].value_counts().items()
            )
            nuclear = out[out["nuclear"]]

            def mean(column: str, rows: Any = nuclear) -> str:
                return f"{rows[column].mean():.3f}" if len(rows) else "-"

            print(
                f"| {exchange} | {cost} | {out['war'].mean():.3f} | {out['nuclear'].mean():.3f} "
                f"| {out['strategic'].mean():.3f} | {mean('assumed_exchange')} "
                f"| {mean('exchange_given_nuclear')} | {out['war_rounds_direct'].mean():.2f} "
                f"| {causes or '-'}; {starts or '-'} "
                f"| {', '.join(f'{k} {v}' for k, v in counts.items())} |"
            )


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*(args + [400, 2][len(args) :]))
