"""The port rule of issue 19's third round applied to ukraine-talks-2022, step by step.

ukraine-talks-2022 (monthly rounds, 40 of them, Russia and Ukraine at war from round 1, the
United States Ukraine's patron) rebuilt as geneva-2022 is in ``scripts/geneva_port.py``: its
rungs below war take superpower-crisis's fitted war risks and generic-crisis's incident risks
and posture costs, converted from a week to a month by ``scripts/port_generic.py`` (k = 4.348
weeks a round: a probability ``1 - (1 - p)^k``, a flow over the stakes' flow unchanged, a lump
sum ``/ k``, the discount ``δ^k``); the powers' costs of a war with each other superpower-crisis's
prior; their discount, audience cost and precision generic-crisis's. The pair war's values
(Russia's and Ukraine's costs, the support, the front step, the patron's stake, the spillover
rate) and the rungs at and above war are the case's own and stay (docs/ukraine-talks-2022.md,
docs/pair-wars.md).

For each variant, over the same replications (seed 7) of the historical condition
``channels_open`` and the closed one ``private_channels_closed`` (every private US-Russian
channel closed, no event opening one), it prints P(direct war) (a war between the powers),
P(war_any) (any war began: here the pair's war is at war from round 1, so a war beginning means
a direct war or a new onset), P(nuclear), the channel effect on P(direct war) (closed - open,
paired, with its standard error) and the runs' outcomes in ``channels_open``. Variants, each
adding to the one above (geneva_port's :func:`port_settings`):

- ``shipped``: the file as hand-set before its rebuild
  (``scripts/data/ukraine-talks-2022-handset.yaml``, ``beliefs.continuation: hold``);
- ``best``: the default look-ahead, nothing else changed;
- ``best, superpower risks``: besides, superpower-crisis's war risks and generic-crisis's
  incident risks on the rungs below war, made monthly;
- ``+ superpower rung costs``: besides, superpower-crisis's posture costs of their MID levels
  (rule step 1);
- ``+ costs of war``: besides, the powers' cost-of-war prior superpower-crisis's (step 2);
- ``+ all values (port rule)``: besides, generic-crisis's discount (0.80009 a month), audience
  cost (1.356 weeks of the stakes = 0.3119 a month, every power's and every ``set`` event's
  value scaled by one factor) and precision 12.03 (step 3): the full port rule.

And last, ``shipped (rebuilt)``: the shipped file itself, rebuilt with the full port rule's
values on 5 December 2026; after the table the script checks that its outcome frames equal the
port rule's run for run.

After the table, the full port rule's P(direct war) in each condition with its 95% Wilson
interval, against the record's bound 0.2209 (docs/validation.md, "The record").

Then, for the full port rule's runs, where their direct wars come from (geneva_port's
:func:`diagnose`).

Run: ``.venv/bin/python scripts/ukraine_port.py [RUNS]`` (default 500; 60 s on the 2-core
machine, 7 variants x 2 conditions x 500 runs). Measured under superpower-crisis's first fit
(5 December 2026): P(direct war) 0.872, 95% [0.840, 0.898], with the channels open. Under its
second fit (the rate from the record's exposure): 0.292 [0.254, 0.333] open, 0.372 closed, 140
of 146 direct wars begun after the powers' crisis ended. Above the per-crisis bound, below the
bound for a crisis of its length (docs/calibration.md, "ukraine-talks-2022 rebuilt"): shipped
rebuilt on 5 December 2026.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from geneva_port import port_settings, print_verdicts

from escalsim.batch import BatchRun, run_batch
from escalsim.scenario import load_scenario
from escalsim.scenario.load import with_settings

NAME = "ukraine-talks-2022"
#: The hand-set file the rebuild started from (ukraine-talks-2022 as shipped until 5 December
#: 2026, kept so that every row of the table can be measured again).
SOURCE = Path(__file__).resolve().parent / "data" / "ukraine-talks-2022-handset.yaml"
#: The variant the shipped file must reproduce, and the shipped file's row.
PORT_RULE, REBUILT = "+ all values (port rule)", "shipped (rebuilt)"
OPEN, CLOSED = "channels_open", "private_channels_closed"


def outcomes(column: object) -> str:
    """The shares of the runs' outcomes, largest first (``settlement 0.61, horizon 0.30``)."""
    shares = column.value_counts(normalize=True)  # type: ignore[attr-defined]
    return ", ".join(f"{k} {v:.2f}" for k, v in shares.items())


def main(argv: list[str]) -> int:
    """Print the table."""
    runs = int(argv[0]) if argv else 500
    base = load_scenario(SOURCE)
    settings = {
        "shipped": {},
        "best": {"beliefs.continuation": "best"},
        "best, superpower risks": port_settings(base, "risks"),
        "+ superpower rung costs": port_settings(base, "costs"),
        "+ costs of war": port_settings(base, "war_cost"),
        PORT_RULE: port_settings(base, "values"),
    }
    variants = {name: with_settings(base, s) for name, s in settings.items()}
    variants[REBUILT] = load_scenario(NAME)
    print(
        "| variant | P(direct war) open | closed | closed - open (SE) | P(war_any) open | closed "
        "| P(nuclear) open | closed | outcomes, open |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    wars: dict[str, dict[str, np.ndarray]] = {}
    frames: dict[str, dict[str, pd.DataFrame]] = {}
    results: dict[str, BatchRun] = {}
    for name, spec in variants.items():
        keep = runs if name == PORT_RULE else 0  # the port rule's: for the diagnosis
        batch = {
            c: run_batch(spec, seed=7, replications=runs, condition=c, keep=keep)
            for c in (OPEN, CLOSED)
        }
        if name == PORT_RULE:
            results = batch
        outs = {
            c: r.outcome.sort_values("replication").reset_index(drop=True) for c, r in batch.items()
        }
        frames[name] = outs
        war = wars[name] = {c: o["war"].to_numpy(dtype=float) for c, o in outs.items()}
        d = war[CLOSED] - war[OPEN]
        se = float(np.std(d, ddof=1) / np.sqrt(len(d)))
        anyw = {c: o["war_any"].mean() for c, o in outs.items()}
        nuc = {c: o["nuclear"].mean() for c, o in outs.items()}
        print(
            f"| {name} | {war[OPEN].mean():.3f} | {war[CLOSED].mean():.3f} "
            f"| {d.mean():+.3f} ({se:.3f}) | {anyw[OPEN]:.3f} | {anyw[CLOSED]:.3f} "
            f"| {nuc[OPEN]:.3f} | {nuc[CLOSED]:.3f} | {outcomes(outs[OPEN]['outcome'])} |",
            flush=True,
        )
    print()
    for c, frame in frames[REBUILT].items():  # the shipped file is the port rule, run for run
        pd.testing.assert_frame_equal(frame, frames[PORT_RULE][c])
        print(f"{REBUILT}, {c}: outcome frame equal to the port rule's ({len(frame)} runs)")
    print_verdicts(wars[PORT_RULE], results, variants[PORT_RULE])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
