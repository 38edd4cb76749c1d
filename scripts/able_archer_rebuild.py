"""able-archer-1983 rebuilt from superpower-crisis and generic-crisis by the port rule, by steps.

Issue 19 asks for the historical scenarios to be rebuilt "from the calibrated generic model plus
the case's documented facts". The port rule (docs/calibration.md, "Third round" and "The second
fit"; ``scripts/port_generic.py able-archer-1983`` prints the ported values; weekly rounds, so
nothing is converted in time): every rung below the war rung takes superpower-crisis's war risk
and cost of its MID level (``port_generic.superpower_risk`` and ``superpower_cost``: a display
of force, MID 3, and a use of force, MID 4, both carry 0.001794 a week, the rate fixed by the
record's 386 weeks at such postures without a war, and cost 0.02584 and 0.1138 a week of the
stakes, fitted to the 12 crises' peaks; a threat, MID 2, carries no risk and costs nothing) and
generic-crisis's incident risk by port_generic's mapping; the war rung and the rung above it
(``nuclear``) keep the file's values (the data price no war between the powers); the powers'
hand-set resolve grids give way to superpower-crisis's costs of war (uniform on [1.0, 3.114],
8 types: Jervis 1989); generic-crisis's discount, audience cost (the case's ratios kept) and
the bargaining policy's precision; the default look-ahead (``beliefs.continuation: best``); and
the facts of the case the format can encode. The variants, each adding one step to the row
before it, all built from the hand-set file kept in ``scripts/data/able-archer-1983-handset.yaml``
(able-archer-1983 as shipped until 5 December 2026, at commit 8b7487a), so the table does not
change when the shipped file does:

- ``shipped (hand-set)``: the hand-set file (``continuation: hold``);
- ``port rule's risks``: the rung risks above, on the rungs below war (war risks
  superpower-crisis's, incident risks generic-crisis's);
- ``+ costs of war``: both powers' ``resolve`` grids replaced by ``war_cost: {uniform: [1.0,
  3.114], types: 8}`` (and the ``ryan`` doctrine's resolve dropped, so the Soviet Union does not
  inherit one);
- ``+ all values``: superpower-crisis's rung costs on the rungs below war (the war rung's 10 and
  the nuclear rung's 50 kept), generic-crisis's discount (0.95 a week, the file's already), its
  audience cost 1.356 weeks of the stakes for the United States and the case's ratios for the
  rest (the Soviet Union 0.8 of it; the Bundestag vote 1.5 of it, Reagan's speech 0.8 of it),
  and ``policy: {name: bargaining, precision: 12.03}`` on both powers;
- ``+ continuation best``: the default look-ahead (the file said ``hold``);
- ``+ facts (the rebuild)``: the hotline closed in the historical setting (no documented use in
  the horizon; the condition ``hotline_used`` opens it), and the talks (``stakes.talks_open``)
  closed by the Soviet walk-out from Geneva on 23 November 1983 (round 13): no negotiation
  between the powers on the stakes until the Shultz-Gromyko meeting of January 1985
  (Oberdorfer 1991). This row is the rebuilt file;
- ``check: the build-up coded MID 2``: not shipped. The record codes crisis 8 as a display of
  force in the exercise week only (``record.COMPARABLE_CRISES``, crisis 8: the Soviet alert,
  1 week); the file starts both powers for 26 weeks at ``deployment`` (the arms build-up), coded
  MID 3. The check codes that rung MID 2 (superpower-crisis's threat: no risk, no cost;
  generic-crisis's threat incident risk) to show how much that coding matters;
- ``check: no talks at all``: not shipped: the talks closed from round 1 (no offer on the stakes
  is ever made), to show what the ladder alone does over the 26 weeks; and the same with the
  build-up coded MID 2;
- ``shipped (rebuilt)``: the shipped file, ``src/escalsim/scenarios/able-archer-1983.yaml``,
  read as it is; it must give the row ``+ facts (the rebuild)`` exactly, run for run (the
  script says so, or stops with an error, after printing the table).

Each row: P(direct war) with its 95% Wilson interval, P(nuclear use), the outcomes, the
quartiles of the settlement round and of the war round (round 1 = week of 29 Aug 1983; the
record: no settlement, no war, unresolved at round 26), P(nothing agreed by round 26) (the
runs that end unresolved at the horizon, the record's ending), the wars by cause, and the mean
miscalculations per run, for all four conditions.

Run: ``.venv/bin/python scripts/able_archer_rebuild.py [RUNS]`` (default 2,000 a row, seed 1;
about a minute on a shared 2-core machine).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from port_generic import BY_MID, GENERIC, superpower_cost, superpower_risk
from ruamel.yaml import YAML

from escalsim.batch import run_batch
from escalsim.experiment.stats import wilson_interval
from escalsim.scenario import load_scenario, load_text

#: The hand-set file the rebuild started from (able-archer-1983 as shipped until 5 December
#: 2026, commit 8b7487a): every variant is built from it, so the table does not change when the
#: shipped file does.
SOURCE = Path(__file__).resolve().parent / "data" / "able-archer-1983-handset.yaml"
#: The shipped file, rebuilt: its row must equal the row :data:`REBUILD`'s, run for run.
SHIPPED = Path(__file__).resolve().parents[1] / "scenarios" / "able-archer-1983.yaml"
REBUILD = "+ facts (the rebuild)"
CONDITIONS = ("historical", "early_warning", "no_backchannel", "hotline_used")
#: superpower-crisis's cost-of-war prior (Jervis 1989's lower end, generic-crisis's upper).
WAR_COST = {"uniform": [1.0, 3.114], "types": 8}
#: The case's audience costs as multiples of the United States' (the hand-set file: the United
#: States 1.0, the Soviet Union 0.8; the Bundestag vote raises the US one to 1.5, Reagan's speech
#: of 16 January 1984 lowers it to 0.8).
AUDIENCE_RATIO = {"USA": 1.0, "SUN": 0.8, "bundestag_vote": 1.5, "reagan_speech": 0.8}
#: The record's 95% bound on P(war) in a typical crisis (docs/calibration.md, N3 and N5).
RECORD_BOUND = 0.2209

Data = dict[str, Any]


def _generic() -> tuple[dict[str, Any], float, float, float]:
    g = load_scenario(GENERIC)
    power = g.actors[0]
    assert g.stakes.discount is not None
    assert power.policy is not None
    rungs = {r.name: r for r in g.ladder.rungs}
    precision = float(power.policy.precision)  # type: ignore[attr-defined]
    return rungs, g.stakes.discount, power.audience_cost, precision


def _rungs(data: Data) -> dict[str, Data]:
    return {r["name"]: r for r in data["ladder"]["rungs"]}


def _actor(data: Data, actor: str) -> Data:
    return next(a for a in data["actors"] if a["id"] == actor)


def _event(data: Data, event: str) -> Data:
    return next(e for e in data["events"] if e["id"] == event)


def _below_war(data: Data) -> list[Data]:
    """The rungs below the war rung (the war rung and the nuclear rung keep the file's values)."""
    names = [r["name"] for r in data["ladder"]["rungs"]]
    return data["ladder"]["rungs"][: names.index(data["ladder"]["war_rung"])]


def port_risks(data: Data) -> Data:
    """superpower-crisis's war risks by MID level; generic-crisis's incident risks by mapping."""
    generic, *_ = _generic()
    for r in _below_war(data):
        level = int(r["mid_level"])
        r["incident_risk"] = float(generic[BY_MID[level]].incident_risk)
        r["war_risk"] = superpower_risk(level, data["run"]["time_unit"])
    return data


def costs_of_war(data: Data) -> Data:
    """Both powers' resolve grids replaced by superpower-crisis's cost-of-war prior."""
    for actor in ("USA", "SUN"):
        a = _actor(data, actor)
        del a["resolve"]
        a["war_cost"] = dict(WAR_COST)
    del data["doctrines"]["ryan"]["resolve"]
    return data


def all_values(data: Data) -> Data:
    """superpower-crisis's rung costs; generic-crisis's discount, audience cost and precision."""
    _, discount, audience, precision = _generic()
    for r in _below_war(data):
        r["cost"] = superpower_cost(int(r["mid_level"]))
    data["stakes"]["discount"] = float(discount)
    for actor in ("USA", "SUN"):
        a = _actor(data, actor)
        a["audience_cost"] = round(audience * AUDIENCE_RATIO[actor], 4)
        a["policy"] = {"name": "bargaining", "precision": precision}
    for event in ("bundestag_vote", "reagan_speech"):
        _event(data, event)["value"] = round(audience * AUDIENCE_RATIO[event], 4)
    return data


def best(data: Data) -> Data:
    """The default look-ahead."""
    data["beliefs"]["continuation"] = "best"
    return data


def facts(data: Data) -> Data:
    """The hotline closed unless used; the talks closed by the walk-out of 23 November."""
    hotline = next(c for c in data["channels"] if c["id"] == "hotline")
    hotline["open"] = False
    data["conditions"]["hotline_used"]["set"]["channels.hotline.open"] = True
    data["events"].append(
        {
            "id": "talks_end",
            "round": 13,
            "kind": "set",
            "path": "stakes.talks_open",
            "value": False,
            "description": "The walk-out ends the talks (23 Nov 1983).",
        }
    )
    return data


def buildup_mid2(data: Data) -> Data:
    """A check: the deployment rung (the arms build-up) coded MID 2, ported as a threat."""
    generic, *_ = _generic()
    r = _rungs(data)["deployment"]
    r["mid_level"] = 2
    r["war_risk"] = superpower_risk(2, data["run"]["time_unit"])
    r["cost"] = superpower_cost(2)
    r["incident_risk"] = float(generic["threat"].incident_risk)
    return data


def no_talks(data: Data) -> Data:
    """A check: the talks closed throughout (nobody proposes terms on the stakes)."""
    data["stakes"]["talks_open"] = False
    data["events"] = [e for e in data["events"] if e["id"] != "talks_end"]
    return data


def _chain(*steps: Callable[[Data], Data]) -> Callable[[Data], Data]:
    def changed(data: Data) -> Data:
        for step in steps:
            data = step(data)
        return data

    return changed


#: Each variant: the text of the scenario it runs, from the hand-set file's text.
VARIANTS: dict[str, Callable[[str], str]] = {}


def _edit(change: Callable[[Data], Data]) -> Callable[[str], str]:
    def text(source: str) -> str:
        yaml = YAML()
        out = io.StringIO()
        yaml.dump(change(yaml.load(source)), out)
        return out.getvalue()

    return text


def shipped(source: str) -> str:
    """The shipped (rebuilt) file, whatever ``source`` is."""
    del source
    return SHIPPED.read_text(encoding="utf-8")


_REBUILD = (port_risks, costs_of_war, all_values, best, facts)
VARIANTS.update(
    {
        "shipped (hand-set)": lambda source: source,
        "port rule's risks": _edit(port_risks),
        "+ costs of war": _edit(_chain(port_risks, costs_of_war)),
        "+ all values": _edit(_chain(port_risks, costs_of_war, all_values)),
        "+ continuation best": _edit(_chain(port_risks, costs_of_war, all_values, best)),
        REBUILD: _edit(_chain(*_REBUILD)),
        "check: the build-up coded MID 2": _edit(_chain(*_REBUILD, buildup_mid2)),
        "check: no talks at all": _edit(_chain(*_REBUILD, no_talks)),
        "check: no talks, the build-up MID 2": _edit(_chain(*_REBUILD, no_talks, buildup_mid2)),
        "shipped (rebuilt)": shipped,
    }
)


def _quartiles(values: Any) -> str:
    if len(values) == 0:
        return "-"
    q1, med, q3 = np.quantile(values, [0.25, 0.5, 0.75])
    return f"{q1:.0f}/{med:.0f}/{q3:.0f}"


def _row(name: str, condition: str, o: pd.DataFrame) -> str:
    counts = o["outcome"].value_counts()
    outcomes = ", ".join(f"{k} {v}" for k, v in counts.items())
    settled = o.loc[o["outcome"] == "settlement", "end_round"]
    wars = o.loc[o["war"], "end_round"]
    causes = o.loc[o["war"], "war_cause"].value_counts()
    kinds = ("deliberate", "miscalculated", "brinkmanship", "accident")
    why = "/".join(str(int(causes.get(c, 0))) for c in kinds)
    k, n = int(o["war"].sum()), len(o)
    low, high = wilson_interval(k, n)
    unresolved = float((o["outcome"] == "unresolved").mean())
    return (
        f"| {name} | {condition} | {k / n:.4f} [{low:.4f}, {high:.4f}] | "
        f"{o['nuclear'].mean():.4f} | {outcomes} | {_quartiles(settled)} | {_quartiles(wars)} | "
        f"{unresolved:.4f} | {why} | {o['miscalculations'].mean():.2f} |"
    )


def main(argv: list[str]) -> int:
    """Print the table; exit 1 if the shipped file does not give the rebuild's row."""
    runs = int(argv[0]) if argv else 2000
    source = SOURCE.read_text(encoding="utf-8")
    header = ["variant", "condition", "P(direct war) [95% Wilson]", "P(nuclear)", "outcomes"]
    header += ["settlement round Q1/med/Q3", "war round Q1/med/Q3", "P(nothing agreed by 26)"]
    header += ["wars deliberate/miscalculated/brinkmanship/accident", "miscalculations per run"]
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    rows: dict[str, list[str]] = {}
    frames: dict[str, list[pd.DataFrame]] = {}
    for name, change in VARIANTS.items():
        spec = load_text(change(source), source=f"able-archer-1983 ({name})")
        for condition in CONDITIONS:
            o = run_batch(spec, seed=1, replications=runs, condition=condition, keep=0).outcome
            row = _row(name, condition, o)
            print(row, flush=True)
            rows.setdefault(name, []).append(row.split(" | ", 1)[1])
            frames.setdefault(name, []).append(o)
    same = rows[REBUILD] == rows["shipped (rebuilt)"] and all(
        a.equals(b) for a, b in zip(frames[REBUILD], frames["shipped (rebuilt)"], strict=True)
    )
    print()
    print(f"shipped (rebuilt) equals {REBUILD!r} run for run: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
