"""What the rebuilt hotline-1963 does, under each quit term and one diagnostic: docs/calibration.md.

The variant is ``hotline_timing.py``'s "facts, all values, repaired quit term": the three facts
of the case (private channels closed until used, no mediation before U Thant's appeal, talks
closed until Khrushchev's first letter of 26 October, round 11), generic-crisis's values made
daily, and the default look-ahead (``beliefs.continuation: best``). For the historical condition
(``no_hotline``), 1,000 runs, seed 1, it prints the outcomes, the peak rung, each power's mean
rung by round, the offers posted when the talks open (round 11) and who accepted; then the same
under the level-2 quit term (``beliefs.continuation: mutual``, docs/decision-v2.md §3.7), and
under a change of the model that is a *diagnostic, not the model* (monkeypatched here, in this
process only):

- ``concessions while the talks are closed``: a concession ends the crisis whether or not the
  talks are open (the shipped rule blocks it with the offers), so that the other can quit, and
  be coerced, before the talks open.

Last, the variant with the missiles as the stakes, held by the Soviet deployment
(``hotline_timing.held_missiles``, ``stakes.held_at``: docs/decision-v2.md §3.10).

Run: ``.venv/bin/python scripts/hotline_diagnosis.py`` (about a minute).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from hotline_timing import SOURCE, best, held_missiles, ported_all

from escalsim.batch import run_batch
from escalsim.core.params import Params
from escalsim.scenario import load_text

RUNS = 1000
TALKS_OPEN = 11


@contextmanager
def concessions_while_closed() -> Iterator[None]:
    """The diagnostic, for the duration of the block."""
    saved = Params.concessions
    Params.concessions = property(lambda self: self.capitulation)  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        Params.concessions = saved  # type: ignore[method-assign]


@contextmanager
def as_shipped() -> Iterator[None]:
    """The model as it is."""
    yield


def describe(label: str, text: str, model: Callable[[], Any], keep: int) -> None:
    """Print what the runs of ``text`` do under ``model``."""
    spec = load_text(text, source=f"hotline-1963 ({label})")
    with model():
        batch = run_batch(spec, seed=1, replications=RUNS, condition="no_hotline", keep=keep)
    out = batch.outcome
    print(f"## {label}: no_hotline, {RUNS} runs, seed 1")
    shares = out["outcome"].value_counts(normalize=True).round(3).to_dict()
    print(f"outcomes: {shares}")
    print(f"wars by cause: {out.loc[out['war'], 'war_cause'].value_counts().to_dict()}")
    print(f"median end round by outcome: {out.groupby('outcome')['end_round'].median().to_dict()}")
    peak = out["peak_rung"].value_counts(normalize=True).sort_index().round(3).to_dict()
    print(f"peak rung (share of runs): {peak}")
    settled = out.loc[out["outcome"] == "settlement", "settled_share_a"].dropna()
    if len(settled):
        q = settled.quantile([0.1, 0.5, 0.9]).round(3).tolist()
        print(f"US share where an offer was accepted: 10/50/90% {q} ({len(settled)} runs)")
    if not keep:
        print()
        return
    ts = batch.timeseries
    powers = ts[ts["role"] == "power"]
    rungs = powers.groupby(["actor", "round"])["rung"].mean().unstack().loc[:, 1 : TALKS_OPEN + 1]
    print("mean rung by round (runs still going):")
    print(rungs.round(2).to_string())
    at_open = powers[powers["round"] == TALKS_OPEN].groupby("actor")["offer"].describe()
    print(f"offers posted in round {TALKS_OPEN} (share of the stakes offered to the other):")
    print(at_open[["count", "mean", "min", "50%", "max"]].round(3).to_string())
    accepted = batch.events[batch.events["kind"] == "accept"]["actor"].value_counts().to_dict()
    print(f"accepted by: {accepted}")
    print()


def main() -> None:
    """Print the three descriptions."""
    text = best(ported_all)(SOURCE.read_text(encoding="utf-8"))
    describe("as shipped (best)", text, as_shipped, keep=RUNS)
    mutual = text.replace("  continuation: best\n", "  continuation: mutual\n")
    describe("the level-2 quit term (mutual)", mutual, as_shipped, keep=RUNS)
    describe("concessions while the talks are closed", text, concessions_while_closed, keep=0)
    describe("... under the level-2 quit term", mutual, concessions_while_closed, keep=0)
    held = held_missiles(best(ported_all))(SOURCE.read_text(encoding="utf-8"))
    describe("the missiles held by the deployment (fait accompli)", held, as_shipped, keep=RUNS)


if __name__ == "__main__":
    main()
