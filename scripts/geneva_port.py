"""generic-crisis's fitted rungs carried over to geneva-2022: do they hold between nuclear powers.

Issue 19 asks for the historical scenarios to be rebuilt from the calibrated generic model plus
the case's facts, and says that carrying a fit from mostly non-nuclear pairs of states over to
nuclear powers is an assumption. This measures the assumption on geneva-2022 (weekly rounds, as
generic-crisis: no conversion of time). Its rungs below war are mapped to generic-crisis's by
their MID level (``scripts/port_generic.py geneva-2022``: protest and sanctions a threat,
signalling and mobilisation a display of force, limited force a clash), and for each variant it
prints P(direct war) in both conditions over the same 300 replications (seed 7) and the
channel effect (closed - open, paired, with its standard error):

- ``shipped``: the file as it is (hand-set values, ``beliefs.continuation: hold``);
- ``best``: the default look-ahead (the repaired quit term), nothing else changed;
- ``best, generic risks``: besides, generic-crisis's per-week war and incident risks on the
  mapped rungs;
- ``best, generic risks and costs``: besides, generic-crisis's posture costs on them.

The record's bound for one crisis between the powers (docs/validation.md, "The record"): 0.2209.

Run: ``.venv/bin/python scripts/geneva_port.py [RUNS]`` (default 300; about two minutes).
"""

from __future__ import annotations

import sys

import numpy as np

from escalsim.batch import run_batch
from escalsim.scenario import load_scenario
from escalsim.scenario.load import with_settings

#: geneva-2022's rungs below war and the generic-crisis rungs of the same MID level.
GENERIC_RUNG = {
    "protest": "threat",
    "sanctions": "threat",
    "signalling": "display",
    "mobilisation": "display",
    "limited_force": "clash",
}


def ported(fields: tuple[str, ...]) -> dict[str, float]:
    """Settings that put generic-crisis's ``fields`` on geneva-2022's mapped rungs."""
    names = [r.name for r in load_scenario("geneva-2022").ladder.rungs]
    generic = {r.name: r for r in load_scenario("generic-crisis").ladder.rungs}
    return {
        f"ladder.rungs.{names.index(rung)}.{field}": float(getattr(generic[source], field))
        for rung, source in GENERIC_RUNG.items()
        for field in fields
    }


def main(argv: list[str]) -> int:
    """Print the table."""
    runs = int(argv[0]) if argv else 300
    best = {"beliefs.continuation": "best"}
    risks = ported(("war_risk", "incident_risk"))
    variants = {
        "shipped": {},
        "best": best,
        "best, generic risks": {**best, **risks},
        "best, generic risks and costs": {**best, **risks, **ported(("cost",))},
    }
    print("| variant | P(direct war) open | closed | closed - open (SE) | ceasefires, open |")
    print("| --- | --- | --- | --- | --- |")
    base = load_scenario("geneva-2022")
    for name, settings in variants.items():
        spec = with_settings(base, settings)
        outs = {
            c: run_batch(spec, seed=7, replications=runs, condition=c, keep=0)
            .outcome.sort_values("replication")
            .reset_index(drop=True)
            for c in ("dialogue_open", "dialogue_closed")
        }
        war = {c: o["war"].to_numpy(dtype=float) for c, o in outs.items()}
        d = war["dialogue_closed"] - war["dialogue_open"]
        se = float(np.std(d, ddof=1) / np.sqrt(len(d)))
        ceasefire = float((outs["dialogue_open"]["outcome"] == "ceasefire").mean())
        print(
            f"| {name} | {war['dialogue_open'].mean():.3f} | {war['dialogue_closed'].mean():.3f} "
            f"| {d.mean():+.3f} ({se:.3f}) | {ceasefire:.3f} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
