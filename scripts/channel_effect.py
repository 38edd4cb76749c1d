"""The channel effect for geneva-2022 and hotline-1963: paired differences, split and paths.

Usage: ``.venv/bin/python scripts/channel_effect.py [REPLICATIONS] [SEED]`` (default 2000, 1).

For each scenario and each attribution (naïve, noisy: set for every actor, overriding the
doctrines' presets), prints the difference in P(war) between the scenario's two conditions
(the channel closed minus open) with its paired 95% CI, its three-part split (misperception,
private information, residual: docs/decision-v2.md §7), and its Shapley paths (§8), and the
same for P(settlement), the miscalculation rate and the mean peak rung where they apply. The
closing note of issue 17 and docs/decision-v2.md §12 step 10 quote its output.
"""

from __future__ import annotations

import sys
import tempfile

from escalsim import load_scenario, run, with_settings
from escalsim.experiment.paths import decompose

#: scenario -> (base, other): the difference is other − base (the channels closed − open).
PAIRS = {
    "geneva-2022": ("dialogue_open", "dialogue_closed"),
    "hotline-1963": ("hotline", "no_hotline"),
}
SPLIT = ("p_war", "p_war_misperception", "p_war_private_information", "p_war_residual")
OTHER = ("p_settlement", "miscalculation_rate", "mean_peak_rung")


def main(replications: int, seed: int) -> None:
    """Print the tables (markdown) for every scenario and attribution."""
    for name, (base, other) in PAIRS.items():
        for attribution in ("naive", "noisy"):
            shipped = load_scenario(name)
            # Every actor's: a doctrine's preset (hawk: naive, dove: noisy) would otherwise win.
            settings = {f"actors.{a.id}.attribution": attribution for a in shipped.actors}
            spec = with_settings(shipped, {"beliefs.attribution": attribution, **settings})
            with tempfile.TemporaryDirectory() as tmp:
                res = run(
                    spec,
                    replications=replications,
                    seed=seed,
                    workers=1,
                    plots=False,
                    out=f"{tmp}/run",
                    baseline=base,
                )
                diff = res.compare(base)
            print(
                f"\n### {name}, {attribution} attribution ({other} − {base}; N = "
                f"{replications}, seed {seed})\n"
            )
            print("| metric | difference [95% CI] |\n| --- | --- |")
            for metric in SPLIT + OTHER:
                row = diff[diff["metric"] == metric].iloc[0]
                print(f"| {metric} | {row['estimate']:+.4f} [{row['lo']:+.4f}, {row['hi']:+.4f}] |")
            paths = decompose(spec, base, other, seed=seed, replications=replications)
            t = paths.table
            print("\n| paths | " + " | ".join(sorted(set(t["metric"]))) + " |")
            print("| --- |" + " --- |" * len(set(t["metric"])))
            for term in dict.fromkeys(t["term"]):
                cells = []
                for metric in sorted(set(t["metric"])):
                    r = t[(t["metric"] == metric) & (t["term"] == term)].iloc[0]
                    cells.append(f"{r['estimate']:+.4f} [{r['lo']:+.4f}, {r['hi']:+.4f}]")
                print(f"| {term} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*(args + [2000, 1][len(args) :]))
