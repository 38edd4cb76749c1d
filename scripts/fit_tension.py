"""Why generic-crisis cannot reach both targets: one field moved at a time.

Quoted in docs/calibration.md ("The result: generic-crisis").

Prints, for the shipped generic-crisis and for single changes of its fields (12,000 runs each,
seed 5, the same replications): the TVD to MID 5.0 and to ICB, MID's share of disputes that stop
at a threat, ICB's share of crises without violence, the share of runs settled by an accepted
offer and the median end round.

Run: ``.venv/bin/python scripts/fit_tension.py`` (about a minute on one core).
"""

from __future__ import annotations

import numpy as np

from escalsim.batch import run_batch
from escalsim.calibration import fit_distance, load_target
from escalsim.calibration.distance import codes_of
from escalsim.scenario import load_scenario, with_settings

RUNS = 12_000
CHANGES: list[tuple[str, dict[str, object]]] = [
    ("shipped", {}),
    # Each field of the fit under the default look-ahead (precision 12.03, display cost 0.1942,
    # display war risk 0.02223) moved down and up by about a half.
    ("precision 8", {"doctrines.disputant.policy.precision": 8.0}),
    ("precision 18", {"doctrines.disputant.policy.precision": 18.0}),
    ("display cost 0.1", {"ladder.rungs.display.cost": 0.1}),
    ("display cost 0.3", {"ladder.rungs.display.cost": 0.3}),
    ("display war risk 0.012", {"ladder.rungs.display.war_risk": 0.012}),
    ("display war risk 0.033", {"ladder.rungs.display.war_risk": 0.033}),
]


def main() -> None:
    """Print the table."""
    base = load_scenario("generic-crisis")
    mid, icb = load_target("mid5"), load_target("icb14")
    print(
        "| change | TVD MID 5.0 | TVD ICB | MID threat (data 0.030) | ICB no violence (data 0.257) "
        "| settled by an offer | median end round |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, settings in CHANGES:
        spec = with_settings(base, settings, source=name) if settings else base
        out = run_batch(spec, seed=5, replications=RUNS, keep=0).outcome
        m, i = codes_of(spec, out, "mid"), codes_of(spec, out, "icb")
        crises = i[i > 0]
        print(
            f"| {name} | {fit_distance(mid, m)['tvd']:.3f} | {fit_distance(icb, i)['tvd']:.3f} | "
            f"{np.mean(m == 2):.3f} | {np.mean(crises == 1):.3f} | "
            f"{out['settled_share_a'].notna().mean():.3f} | {out['end_round'].median():.0f} |"
        )


if __name__ == "__main__":
    main()
