"""Write the golden master of the model: hashes of every frame it produces.

Run once on the commit whose numbers are to be kept (issue 15 took them on main at 5535271, the
last commit with two drivers), and again only when a change is *meant* to alter the numbers (the
decision model's second version): ``.venv/bin/python tests/golden/make_golden.py``.

For every shipped scenario and condition, with the perfect-information run and with twins
beside the run, and for scenarios drawn by the hypothesis strategy the equality test uses (the
scenarios themselves are stored, so the file does not depend on hypothesis's version), it records
the SHA-256 of each frame (``frame_digest``), and the machine's numerics
(:func:`escalsim.experiment.provenance.numerics`): the digests hold bit for bit only where numpy
computes the model's elementary functions alike. ``tests/test_golden.py`` recomputes them (and
skips, saying why, on a machine of other numerics).

The generated scenarios already stored in ``frames.json`` are kept and only their digests are
recomputed: the strategy has changed since they were drawn (it writes ``schema_version: 2``, so
hypothesis draws other scenarios from it), and a rewrite meant to change some numbers must not
swap the cases under them. ``--redraw`` draws a new set from the strategy instead.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from golden_cases import (  # noqa: E402
    batch_digests,
    generated_cases,
    shipped_cases,
)


def main() -> None:
    out = HERE / "frames.json"
    stored = json.loads(out.read_text())["cases"] if out.exists() else []
    generated = [
        {k: v for k, v in case.items() if k != "digests"} for case in stored if "raw" in case
    ]
    if "--redraw" in sys.argv[1:] or not generated:
        generated = generated_cases()
    cases: list[dict[str, Any]] = [*shipped_cases(), *generated]
    for case in cases:
        case["digests"] = batch_digests(case)
    from escalsim.experiment.provenance import numerics

    # The digests hold on machines with these numerics only (tests/test_golden.py skips others).
    golden = {"cases": cases, "numerics": numerics()}
    out.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(cases)} cases to {out}")


if __name__ == "__main__":
    main()
