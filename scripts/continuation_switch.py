"""What the quit term does to the shipped scenarios: ``beliefs.continuation`` hold/best/mutual.

docs/decision-v2.md §3.7 ("Open finding"): the bargaining policy's look-ahead has the other
either hold its current rung for ever instead of quitting (``hold``, version 2 as first built,
under which the historical scenarios' hand-set values were chosen) or take its best way of
going on, any rung or war (``best``, the repair; the default since 5 December 2026, under which
generic-crisis is fitted), or take its best way of going on counting on the first power's
quitting in turn (``mutual``, a level-2 model of the other, §3.7). This prints, for each shipped
scenario whose powers bargain and each of its conditions, under the three: P(direct war),
P(war of any pair) where the scenario has pairs, P(nuclear use), the share of runs settled by
an accepted offer, and the median end round; the same replications (seed 7) under each, so the
columns are paired.

Run: ``.venv/bin/python scripts/continuation_switch.py [RUNS]`` (default 500 runs a row; about
nine minutes on one core, most of it ukraine-talks-2022 and geneva-2022).
"""

from __future__ import annotations

import sys
from pathlib import Path

from escalsim.batch import run_batch
from escalsim.scenario import Scenario, load_scenario
from escalsim.scenario.load import with_settings

SCENARIOS = (
    "generic-crisis",
    "generic-dispute",
    "hotline-1963",
    "able-archer-1983",
    "geneva-2022",
    "ukraine-talks-2022",
    "fearon",
    "brinkmanship",
    "preventive-war",
)
SEED = 7
#: The historical scenarios rebuilt for issue 19 (docs/calibration.md) are measured as they were
#: when this table was written: from the hand-set files their rebuilds started from.
DATA = Path(__file__).resolve().parent / "data"
HAND_SET = {
    name: DATA / f"{name}-handset.yaml"
    for name in ("hotline-1963", "able-archer-1983", "geneva-2022")
}


def _row(spec: Scenario, condition: str, runs: int) -> dict[str, float]:
    out = run_batch(spec, seed=SEED, replications=runs, condition=condition, keep=0).outcome
    row = {
        "war": float(out["war"].mean()),
        "nuclear": float(out["nuclear"].mean()),
        "offer": float(((out["outcome"] == "settlement") & out["settled_share_a"].notna()).mean()),
        "end": float(out["end_round"].median()),
    }
    if "war_any" in out:
        row["war_any"] = float(out["war_any"].mean())
    return row


TERMS = ("hold", "best", "mutual")


def main(argv: list[str]) -> int:
    """Print the table (markdown)."""
    runs = int(argv[0]) if argv else 500
    terms = " / ".join(TERMS)
    columns = ("P(direct war)", "P(any war)", "P(nuclear)", "settled by an offer")
    print(
        "| scenario | condition | "
        + " | ".join(f"{c} {terms}" for c in columns)
        + f" | median end round {terms} |"
    )
    print("| --- | --- |" + " --- |" * (len(columns) + 1))
    for name in SCENARIOS:
        base = load_scenario(HAND_SET.get(name, name))
        for condition in base.condition_names:
            rows = [
                _row(with_settings(base, {"beliefs.continuation": t}), condition, runs)
                for t in TERMS
            ]
            cells = [" / ".join(f"{r[key]:.3f}" for r in rows) for key in ("war",)]
            cells.append(
                " / ".join(f"{r['war_any']:.3f}" for r in rows) if "war_any" in rows[0] else "-"
            )
            cells += [" / ".join(f"{r[key]:.3f}" for r in rows) for key in ("nuclear", "offer")]
            cells.append(" / ".join(f"{r['end']:.0f}" for r in rows))
            print(f"| {name} | {condition} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
