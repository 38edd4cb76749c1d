"""The axelrod library's side of the cross-check in ``tests/test_known_answers.py``, stored.

``import axelrod`` costs about 12 s of CPU (it instantiates every one of its strategies to
classify them), 40 times what the matches themselves take; so the default run compares escalsim
with the shares stored in ``axelrod.json`` beside this file, and the slow tier
(``test_the_stored_axelrod_shares_are_what_axelrod_plays``) plays the matches again with the
installed axelrod and requires the very same numbers. The file names the axelrod version it was
made with; the default run refuses to compare with numbers from another version.

Rewrite the file (after an axelrod upgrade): ``.venv/bin/python tests/golden/axelrod_matches.py``.
"""

from __future__ import annotations

import json
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np

FILE = Path(__file__).resolve().parent / "axelrod.json"
#: The matches: (strategy, noise e); 8 matches of 2,000 turns each, shares after turn 200.
CASES = (("tft", 0.05), ("gtft", 0.05), ("gtft", 0.10))
MATCHES = 8
TURNS = 2000
BURN_IN = 200


def key(strategy: str, e: float) -> str:
    return f"{strategy}-{e:g}"


def play(strategy: str, e: float) -> np.ndarray:
    """Each match's share of mutual cooperation after BURN_IN, played by axelrod itself."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import axelrod as axl
    shares = []
    for rep in range(MATCHES):
        players = (
            (axl.TitForTat(), axl.TitForTat())
            if strategy == "tft"
            else (axl.GTFT(p=1 / 3), axl.GTFT(p=1 / 3))
        )
        result = axl.Match(players, turns=TURNS, noise=e, seed=rep + 1).play()[BURN_IN:]
        shares.append(np.mean([a == axl.Action.C and b == axl.Action.C for a, b in result]))
    return np.array(shares)


def stored() -> tuple[str, dict[str, list[float]]]:
    """The axelrod version the file was made with, and its shares by :func:`key`."""
    data = json.loads(FILE.read_text(encoding="utf-8"))
    return data["axelrod"], data["shares"]


def main() -> None:
    shares = {key(s, e): [float(x) for x in play(s, e)] for s, e in CASES}
    data = {"axelrod": version("axelrod"), "shares": shares}
    FILE.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {len(shares)} cases to {FILE}")


if __name__ == "__main__":
    main()
