"""generic-crisis's fitted rungs carried over to geneva-2022: do they hold between nuclear powers.

Issue 19 asks for the historical scenarios to be rebuilt from the calibrated generic model plus
the case's facts, and says that carrying a fit from mostly non-nuclear pairs of states over to
nuclear powers is an assumption. This measures the assumption on geneva-2022 (weekly rounds, as
generic-crisis: no conversion of time). Its rungs below war are mapped to generic-crisis's by
their MID level (``scripts/port_generic.py geneva-2022``: protest and sanctions a threat,
signalling and mobilisation a display of force, limited force a clash), and for each variant it
prints P(direct war) in both conditions over the same 300 replications (seed 7) and the
channel effect (closed - open, paired, with its standard error):

- ``shipped``: the file as hand-set before its rebuild (``scripts/data/geneva-2022-handset.yaml``,
  :data:`SOURCE`: hand-set values, ``beliefs.continuation: hold``); every variant below changes
  it;
- ``best``: the default look-ahead (the repaired quit term), nothing else changed;
- ``best, generic risks``: besides, generic-crisis's per-week war and incident risks on the
  mapped rungs;
- ``best, generic risks and costs``: besides, generic-crisis's posture costs on them.

Then the port rule of the third round (issue 19; docs/calibration.md, "Third round"), step by
step, each row adding to the one above it (:func:`port_settings`):

- ``best, superpower risks``: ``best`` with superpower-crisis's per-week war risks
  (``port_generic.superpower_risk`` of each rung's MID level: since its second fit, the
  record's exposure rate) and generic-crisis's incident risks on every rung below the war rung
  (the rungs at and above it keep theirs: no data);
- ``+ superpower rung costs``: besides, superpower-crisis's posture costs of each rung's MID
  level (``port_generic.superpower_cost``; rule step 1 complete);
- ``+ costs of war``: besides, the powers' (USA, RUS) hand-set resolve types replaced by
  superpower-crisis's cost-of-war prior, uniform [1.0, 3.114] over 8 types (rule step 2; the
  pair war's values are the case's own and stay);
- ``+ all values (port rule)``: besides, generic-crisis's discount, audience cost (converted per
  round; every power's and every ``set`` event's value scaled by one factor, so the documented
  ratios between the actors and over time stay) and precision 12.03 for the powers' bargaining
  policy (rule step 3). With ``best`` (rule step 4) this is the full port rule.

And last, ``shipped (rebuilt)``: the shipped file itself (:data:`SHIPPED`), rebuilt with the full
port rule's values (issue 19). It must give the port rule's row run for run: the script checks
that the two variants' outcome frames are equal in both conditions and stops if they are not.

After the table, the full port rule's P(direct war) in each condition with its 95% Wilson
interval. The record's bound for one crisis between the powers (docs/validation.md, "The
record"): 0.2209.

Then, for the full port rule's runs, where their direct wars come from (:func:`diagnose`).

Run: ``.venv/bin/python scripts/geneva_port.py [RUNS]`` (default 300; 9 variants x 2 conditions x
300 runs). Measured on 5 December 2026 under superpower-crisis's first fit
(notes/geneva-ukraine-rebuild.md): P(direct war) 0.413, 95% [0.359, 0.470], with the dialogue
open, above the record's bound. Under its second fit (the record's exposure rate) P(direct war)
is 0.053, 95% [0.033, 0.085], with the dialogue open and 0.120 with it closed: below the bound,
so geneva-2022 is shipped rebuilt with the full port rule's values (5 December 2026).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from port_generic import (
    BY_ICB,
    BY_MID,
    SUPERPOWER,
    probability,
    superpower_cost,
    superpower_risk,
    weeks_per_round,
)

from escalsim.batch import BatchRun, run_batch
from escalsim.scenario import Scenario, load_scenario
from escalsim.scenario.load import with_settings
from escalsim.validation import record

#: The hand-set file the rebuild started from (geneva-2022 as shipped until 5 December 2026,
#: kept so that every row of the table can be measured again): the variants change it, and the
#: port rule's audience costs scale its values.
SOURCE = Path(__file__).resolve().parent / "data" / "geneva-2022-handset.yaml"
#: The shipped file, rebuilt with the full port rule's values (its row and the port rule's
#: agree run for run).
SHIPPED = Path(__file__).resolve().parents[1] / "scenarios" / "geneva-2022.yaml"
#: The variant whose runs the shipped file must reproduce, and the shipped file's row.
PORT_RULE, REBUILT = "+ all values (port rule)", "shipped (rebuilt)"

#: geneva-2022's rungs below war and the generic-crisis rungs of the same MID level.
GENERIC_RUNG = {
    "protest": "threat",
    "sanctions": "threat",
    "signalling": "display",
    "mobilisation": "display",
    "limited_force": "clash",
}
#: The record's 95% bound on P(war) in one crisis between the powers (0 wars in 12 crises).
BOUND = 0.2209
#: The powers whose war with each other the port rule's costs of war describe.
POWERS = ("USA", "RUS")
#: The steps of the port rule, in order; each includes the ones before it.
STEPS = ("risks", "costs", "war_cost", "values")


def ported(fields: tuple[str, ...]) -> dict[str, float]:
    """Settings that put generic-crisis's ``fields`` on geneva-2022's mapped rungs."""
    names = [r.name for r in load_scenario(SOURCE).ladder.rungs]
    generic = {r.name: r for r in load_scenario("generic-crisis").ladder.rungs}
    return {
        f"ladder.rungs.{names.index(rung)}.{field}": float(getattr(generic[source], field))
        for rung, source in GENERIC_RUNG.items()
        for field in fields
    }


def port_settings(base: Scenario, upto: str) -> dict[str, Any]:
    """The port rule's settings for ``base``, through step ``upto`` (one of :data:`STEPS`).

    ``risks``: every rung below the war rung gets superpower-crisis's war risk of its MID level
    and generic-crisis's incident risk of the rung port_generic maps it to, both per round of
    ``base``'s time unit; ``costs``: and superpower-crisis's posture cost of its MID level (a
    flow over the stakes' flow: unchanged); ``war_cost``: and the powers' cost-of-war prior
    superpower-crisis's (their resolve types removed); ``values``: and generic-crisis's
    discount (δ^k), audience cost (× (1.356/k) / the file's unit, 1.0, for every power and
    every ``set`` event on a power's audience cost) and the powers' policy precision. The
    look-ahead (``continuation: best``) is set at every step.
    """
    steps = STEPS[: STEPS.index(upto) + 1]
    generic = load_scenario("generic-crisis")
    nuclear = load_scenario(SUPERPOWER)
    unit = base.run.time_unit
    k = weeks_per_round(unit)
    g = {r.name: r for r in generic.ladder.rungs}
    war = base.rung_index(base.ladder.war_rung)
    out: dict[str, Any] = {"beliefs.continuation": "best"}
    for i, r in enumerate(base.ladder.rungs[:war]):
        source = g[BY_ICB[r.icb_violence] if r.icb_violence else BY_MID[r.mid_level or 1]]
        out[f"ladder.rungs.{i}.war_risk"] = superpower_risk(r.mid_level or 1, unit)
        out[f"ladder.rungs.{i}.incident_risk"] = float(
            f"{probability(source.incident_risk, k):.4g}"
        )
        if "costs" in steps:
            out[f"ladder.rungs.{i}.cost"] = superpower_cost(r.mid_level or 1)
    if "war_cost" in steps:
        prior = nuclear.actors[0].war_cost
        assert prior is not None
        assert prior.uniform is not None
        for actor in POWERS:
            out[f"actors.{actor}.resolve"] = None
            out[f"actors.{actor}.war_cost"] = {"uniform": list(prior.uniform), "types": prior.types}
    if "values" in steps:
        a = generic.actors[0]
        assert generic.stakes.discount is not None
        assert a.policy is not None
        out["stakes.discount"] = float(f"{generic.stakes.discount**k:.5f}")
        scale = a.audience_cost / k  # the files' unit audience cost is 1.0 (the US's)
        powers = {x.id: x for x in base.actors if x.id in POWERS}
        for actor in POWERS:
            out[f"actors.{actor}.audience_cost"] = round(powers[actor].audience_cost * scale, 4)
            out[f"actors.{actor}.policy"] = {"name": "bargaining", "precision": a.policy.precision}
        for e in base.events:
            if e.kind == "set" and e.path in {f"actors.{p}.audience_cost" for p in POWERS}:
                out[f"events.{e.id}.value"] = round(float(e.value) * scale, 4)
    return out


def wilson(successes: float, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The 95% Wilson score interval of a proportion."""
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def diagnose(spec: Scenario, result: BatchRun) -> str:
    """One line on where a condition's direct wars come from (the full port rule's runs).

    The direct wars, how many of them began after the powers' crisis had ended (its first
    ``crisis_end`` event: a settlement, a concession or a ceasefire, kept while the run goes on
    because a pair is listed, docs/pair-wars.md §3.4; the powers keep their postures and their
    war risk), their causes and median start round, and the share of the powers' rounds at or
    above the first rung with a war risk (before their war or the horizon) and the rungs they
    held at the horizon's middle round.
    """
    rungs = [r.name for r in spec.ladder.rungs]
    o = result.outcome
    wars = o[o["war"].astype(bool)]
    ev = result.events
    ended = ev[ev["kind"] == "crisis_end"].groupby("replication")["round"].min()
    after = sum(
        ended.get(r.replication, sys.maxsize) < r.war_start_round for r in wars.itertuples()
    )
    causes = ", ".join(f"{k} {v}" for k, v in wars["war_cause"].value_counts().items())
    ts = result.timeseries
    ts = ts[ts["actor"].isin(POWERS)].merge(o[["replication", "war", "war_start_round"]])
    before = ts[~ts["war"].astype(bool) | (ts["round"] < ts["war_start_round"])]
    risky = min(i for i, r in enumerate(spec.ladder.rungs) if r.war_risk > 0)
    share = float((before["rung"] >= risky).mean())
    mid = ts[ts["round"] == ts["round"].max() // 2]
    held = mid["rung"].map(lambda i: rungs[int(i)]).value_counts(normalize=True)
    return (
        f"{len(o)} runs, {len(wars)} direct wars, {after} begun after the powers' crisis ended; "
        f"causes: {causes or '-'}; median start round "
        f"{wars['war_start_round'].median() if len(wars) else float('nan'):g}; the powers' "
        f"rounds at {rungs[risky]} or above before war: {share:.2f}; rungs held at round "
        f"{ts['round'].max() // 2}: " + ", ".join(f"{k} {v:.2f}" for k, v in held.head(4).items())
    )


def main(argv: list[str]) -> int:
    """Print the table."""
    runs = int(argv[0]) if argv else 300
    base = load_scenario(SOURCE)
    best: dict[str, Any] = {"beliefs.continuation": "best"}
    risks = ported(("war_risk", "incident_risk"))
    settings: dict[str, dict[str, Any]] = {
        "shipped": {},
        "best": best,
        "best, generic risks": {**best, **risks},
        "best, generic risks and costs": {**best, **risks, **ported(("cost",))},
        "best, superpower risks": port_settings(base, "risks"),
        "+ superpower rung costs": port_settings(base, "costs"),
        "+ costs of war": port_settings(base, "war_cost"),
        PORT_RULE: port_settings(base, "values"),
    }
    variants = {name: with_settings(base, s) for name, s in settings.items()}
    variants[REBUILT] = load_scenario(SHIPPED)
    print("| variant | P(direct war) open | closed | closed - open (SE) | ceasefires, open |")
    print("| --- | --- | --- | --- | --- |")
    wars: dict[str, dict[str, np.ndarray]] = {}
    frames: dict[str, dict[str, pd.DataFrame]] = {}
    results: dict[str, BatchRun] = {}
    for name, spec in variants.items():
        keep = runs if name == PORT_RULE else 0  # the port rule's: for the diagnosis
        batch = {
            c: run_batch(spec, seed=7, replications=runs, condition=c, keep=keep)
            for c in ("dialogue_open", "dialogue_closed")
        }
        if name == PORT_RULE:
            results = batch
        outs = {
            c: r.outcome.sort_values("replication").reset_index(drop=True) for c, r in batch.items()
        }
        frames[name] = outs
        war = wars[name] = {c: o["war"].to_numpy(dtype=float) for c, o in outs.items()}
        d = war["dialogue_closed"] - war["dialogue_open"]
        se = float(np.std(d, ddof=1) / np.sqrt(len(d)))
        ceasefire = float((outs["dialogue_open"]["outcome"] == "ceasefire").mean())
        print(
            f"| {name} | {war['dialogue_open'].mean():.3f} | {war['dialogue_closed'].mean():.3f} "
            f"| {d.mean():+.3f} ({se:.3f}) | {ceasefire:.3f} |",
            flush=True,
        )
    print()
    for c, frame in frames[REBUILT].items():  # the shipped file is the port rule, run for run
        pd.testing.assert_frame_equal(frame, frames[PORT_RULE][c])
        print(f"{REBUILT}, {c}: outcome frame equal to the port rule's ({len(frame)} runs)")
    print_verdicts(wars[PORT_RULE], results, variants[PORT_RULE])
    return 0


def print_verdicts(
    war: dict[str, np.ndarray], results: dict[str, BatchRun], spec: Scenario
) -> None:
    """Print the full port rule's verdicts against the record's bound, and its diagnoses.

    ``war`` holds each condition's runs' direct wars (0 or 1); :func:`diagnose` says, for each
    of ``results``, when and why its wars came.
    """
    weeks = record.scenario_weeks(spec)
    per_week = record.exposure_upper_bound(weeks)
    print()
    for c, w in war.items():
        lo, hi = wilson(w.sum(), len(w))
        verdict = "below" if lo < BOUND else "ABOVE"
        exposure = "below" if lo < per_week else "ABOVE"
        print(
            f"port rule, {c}: P(direct war) {w.mean():.3f}, 95% [{lo:.3f}, {hi:.3f}] "
            f"(lower end {verdict} the record's bound {BOUND} per crisis; {exposure} its bound "
            f"{per_week:.4f} per week of exposure for a crisis of {weeks:.1f} weeks)"
        )
    print()
    for c, r in results.items():
        print(f"port rule, {c}: {diagnose(spec, r)}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
