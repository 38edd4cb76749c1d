"""A mix of the two levels of the quit term: ``beliefs.continuation: mixed``, measured.

docs/decision-v2.md §3.7: under ``best`` (level 1) a power expects the other to quit without
counting on its own quitting, and alike states race to the top rungs; under ``mutual`` (level 2)
the other counts on the power's quitting in turn, and alike states stop escalating at all.
``mixed`` takes the other to be level 2 with probability w (``beliefs.mutual_share``) and
level 1 otherwise (a cognitive hierarchy of the two, Camerer, Ho & Chong 2004). For w in
{0, 0.25, 0.5, 0.75, 1} (0 is ``best``, 1 is ``mutual``), with every other value of the shipped
files, this prints:

- generic-crisis's fit at its file's values: TVD to MID 5.0 (all runs) and to ICB (the runs
  that are crises), 4,000 fresh runs (seed 1918), the share of runs that are ICB crises;
- the resolve property's pinned counterexamples (``tests/test_fields_matter.py``): the paired
  difference of A's realised share, more resolved minus less (2,000 runs each, seed 7): the
  property wants it ≥ 0;
- geneva-2022's channel effect: P(direct war) with the dialogue closed minus open, paired
  replications (500 each, seed 7), with its standard error.

Run: ``.venv/bin/python scripts/mixed_continuation.py [RUNS_GENEVA]`` (about ten minutes on one
core; most of it geneva-2022).
"""

from __future__ import annotations

import sys

import numpy as np
from resolve_counterexample import PINNED, paired, shares_of

from escalsim.batch import run_batch
from escalsim.calibration.distance import level_shares, simulated_codes, target_vector, tvd
from escalsim.calibration.target import load_target
from escalsim.scenario import load_scenario
from escalsim.scenario.load import with_settings

WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
FIT_RUNS = 4000
CE_RUNS = 2000


def mixed(w: float) -> dict[str, object]:
    """The settings of the mix with weight ``w``."""
    return {"beliefs.continuation": "mixed", "beliefs.mutual_share": w}


def fit_row(w: float) -> str:
    """generic-crisis's TVDs at its file's values under the mix."""
    spec = with_settings(load_scenario("generic-crisis"), mixed(w))
    codes = simulated_codes(spec, seed=1918, replications=FIT_RUNS, codings=("mid", "icb"))
    cells = []
    for coding, target in (("mid", "mid5"), ("icb", "icb14")):
        t = load_target(target)
        cells.append(f"{tvd(level_shares(codes[coding]), target_vector(t)):.3f}")
    cells.append(f"{np.mean(codes['icb'] > 0):.3f}")
    return " | ".join(cells)


def resolve_row(w: float) -> str:
    """The pinned counterexamples' paired differences under the mix."""
    cells = []
    for name in ("COUNTEREXAMPLE", "COUNTEREXAMPLE_BEST", "COUNTEREXAMPLE_BEST_2"):
        common, less, more = PINNED[name]
        both = {**common, **mixed(w)}
        diff, se = paired(
            shares_of({**both, **more}, CE_RUNS), shares_of({**both, **less}, CE_RUNS)
        )
        cells.append(f"{diff:+.3f} ({se:.3f})")
    return " | ".join(cells)


def geneva_row(w: float, runs: int) -> str:
    """geneva-2022's closed-minus-open P(direct war), paired, under the mix."""
    spec = with_settings(load_scenario("geneva-2022"), mixed(w))
    war = {}
    for condition in ("dialogue_open", "dialogue_closed"):
        out = run_batch(spec, seed=7, replications=runs, condition=condition, keep=0).outcome
        war[condition] = out.sort_values("replication")["war"].to_numpy(dtype=float)
    diff, se = paired(war["dialogue_closed"], war["dialogue_open"])
    open_, closed = war["dialogue_open"].mean(), war["dialogue_closed"].mean()
    return f"{open_:.3f} | {closed:.3f} | {diff:+.3f} ({se:.3f})"


def main(argv: list[str]) -> int:
    """Print the table."""
    runs = int(argv[0]) if argv else 500
    head = "| w | TVD MID | TVD ICB | share of runs that are crises | CE | CE_BEST | CE_BEST_2 "
    head += "| geneva P(war) open | closed | closed - open (SE) |"
    print(head)
    print("|" + " --- |" * 10)
    for w in WEIGHTS:
        print(f"| {w} | {fit_row(w)} | {resolve_row(w)} | {geneva_row(w, runs)} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
