"""Where the wars of generic-crisis fall, quoted in docs/calibration.md ("The result").

Prints, for the shipped generic-crisis (4,000 runs, seed 77): P(war) in the runs in which a
power would rather fight than give the issue up (basic values at stake) and in the others; the
wars by cause (``deliberate``: chosen; ``brinkmanship``: the risk of a rung held); the share of
runs settled by an accepted offer and the median end round; and the runs that ended in a
settlement with the war rung as their peak and no war.

Run: ``.venv/bin/python scripts/war_concentration.py`` (a few seconds).
"""

from __future__ import annotations

from escalsim.batch import run_batch
from escalsim.calibration.distance import basic_values_at_stake
from escalsim.scenario import load_scenario


def main() -> None:
    """Print the measurements."""
    spec = load_scenario("generic-crisis")
    outcome = run_batch(spec, seed=77, replications=4000, keep=0).outcome
    war = outcome["war"].to_numpy(dtype=bool)
    at_stake = basic_values_at_stake(spec, outcome)
    war_rung = spec.rung_index(spec.ladder.war_rung)
    settled_at_war_rung = ((outcome["peak_rung"] >= war_rung) & ~outcome["war"]).sum()
    print(
        f"basic values at stake in {at_stake.mean():.3f} of runs; P(war) {war[at_stake].mean():.3f}"
        f" there, {war[~at_stake].mean():.3f} elsewhere, {war.mean():.3f} overall"
    )
    print("wars by cause:", outcome.loc[war, "war_cause"].value_counts().to_dict())
    print(
        f"settled by an accepted offer: {outcome['settled_share_a'].notna().mean():.3f}; median "
        f"end round {outcome['end_round'].median():.0f}; settled with the war rung as peak and "
        f"no war: {settled_at_war_rung} of {len(outcome)}"
    )


if __name__ == "__main__":
    main()
