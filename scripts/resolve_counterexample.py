"""The open finding of tests/test_fields_matter.py, measured: a more resolved A settles worse.

On :data:`test_fields_matter.COUNTEREXAMPLE` (2,000 paired runs, the test's seed 17), prints
for the less and the more resolved A: the share of runs settled (and by an accepted offer), the
war share, A's mean share in the offers accepted (split by who accepted), and A's expected
realised share (``batch.run_shares``: a war counted at its value), with the paired difference
(more − less) and its standard error; under the old quit term (``beliefs.continuation: hold``),
its repair (``best``, the default) and the level-2 term (``mutual``). Then, for every pinned
counterexample of ``tests/test_fields_matter.py`` and its reproduction (``FOUND``), the paired
difference under each term. The mechanism is in docs/decision-v2.md §3.7 ("Open finding").

Run: ``.venv/bin/python scripts/resolve_counterexample.py`` (about a minute). It imports the
dispute and the counterexamples from ``tests/``, which is where they are defined.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from escalsim.batch import run_batch, run_shares
from escalsim.scenario.load import with_settings
from test_fields_matter import (
    COUNTEREXAMPLE,
    COUNTEREXAMPLE_BEST,
    COUNTEREXAMPLE_BEST_2,
    COUNTEREXAMPLE_BEST_3,
    FOUND,
    SEED,
    paired,
    shares_of,
)
from test_round_bargaining import bargaining_dispute

RUNS = 2000
TERMS = ("hold", "best", "mutual")
PINNED = {
    "COUNTEREXAMPLE": COUNTEREXAMPLE,
    "COUNTEREXAMPLE_BEST": COUNTEREXAMPLE_BEST,
    "COUNTEREXAMPLE_BEST_2": COUNTEREXAMPLE_BEST_2,
    "COUNTEREXAMPLE_BEST_3": COUNTEREXAMPLE_BEST_3,
    "FOUND (channel_open)": FOUND[0],
    "FOUND (channel_closed)": FOUND[1],
}


def main() -> None:
    """Print the measurements, under each quit term."""
    common, less, more = COUNTEREXAMPLE
    for continuation in TERMS:
        print(f"beliefs.continuation: {continuation}")
        shares = {}
        for name, settings in (("less resolved", less), ("more resolved", more)):
            values = {**common, **settings, "beliefs.continuation": continuation}
            condition = values.pop("condition")
            spec = with_settings(bargaining_dispute(), values)
            result = run_batch(spec, seed=SEED, replications=RUNS, condition=condition, keep=RUNS)
            out = result.outcome.sort_values("replication")
            share = run_shares(out, spec)["share_a"].to_numpy()
            shares[name] = share
            accepted = out["settled_share_a"].notna().to_numpy()
            events = result.events
            who = (
                events[events["kind"] == "accept"]
                .drop_duplicates("replication")
                .set_index("replication")["actor"]
                .reindex(out["replication"])
                .to_numpy()
            )
            terms = out["settled_share_a"].to_numpy()
            print(
                f"  {name}: settled {out['outcome'].eq('settlement').mean():.3f} (by an accepted "
                f"offer {accepted.mean():.3f}), war {out['war'].mean():.3f}; A's share in the "
                f"accepted offers {np.nanmean(terms[accepted]):.3f} (A accepts: "
                f"{np.sum(who == 'A')} runs, {np.nanmean(terms[who == 'A']):.3f}; B accepts: "
                f"{np.sum(who == 'B')} runs, {np.nanmean(terms[who == 'B']):.3f}); A's expected "
                f"realised share {share.mean():.3f}"
            )
        diff, se = paired(shares["more resolved"], shares["less resolved"])
        print(f"  paired difference (more - less) of A's realised share: {diff:+.3f} (SE {se:.3f})")
    print()
    print("| example | " + " | ".join(TERMS) + " |")
    print("| --- |" + " --- |" * len(TERMS))
    for name, (common, less, more) in PINNED.items():
        cells = []
        for continuation in TERMS:
            both = {**common, "beliefs.continuation": continuation}
            diff, se = paired(shares_of({**both, **more}, RUNS), shares_of({**both, **less}, RUNS))
            cells.append(f"{diff:+.3f} (SE {se:.3f})")
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
