"""When the powers' direct wars begin, relative to the end of their crisis.

Usage: ``.venv/bin/python scripts/wars_after_settlement.py [REPLICATIONS] [SEED] [SCENARIO ...]``
(default 200, 1, ukraine-talks-2022 geneva-2022). For each condition prints the runs with a war
between the powers and how many of those wars began after the powers' crisis had ended (its
first ``crisis_end`` event: a settlement, a concession or a ceasefire kept while the run goes on
because pairs are listed, docs/pair-wars.md §3.4). docs/pair-wars.md §3.4 quotes its output.
"""

from __future__ import annotations

import sys

from escalsim.experiment.runner import run


def main(replications: int, seed: int, names: list[str]) -> None:
    """Print one markdown row per scenario and condition."""
    print("| scenario | condition | runs | direct wars | begun after the crisis ended |")
    print("| --- | --- | --- | --- | --- |")
    for name in names:
        result = run(name, replications=replications, seed=seed, plots=False, keep=replications)
        events = result.events
        ended = events[events["kind"] == "crisis_end"].groupby(["condition", "replication"])
        first = ended["round"].min()
        for condition, runs in result.runs.groupby("condition", sort=False):
            wars = runs[runs["war_direct"].astype(bool)]
            after = sum(
                first.get((condition, row.replication), sys.maxsize) < row.war_start_round
                for row in wars.itertuples()
            )
            print(f"| {name} | {condition} | {len(runs)} | {len(wars)} | {after} |")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(
        int(args[0]) if args else 200,
        int(args[1]) if len(args) > 1 else 1,
        args[2:] or ["ukraine-talks-2022", "geneva-2022"],
    )
