"""Write the golden master of the model: hashes of every frame it produces.

Run once on the commit whose numbers are to be kept (issue 15 took them on main at 5535271, the
last commit with two drivers), and again only when a change is *meant* to alter the numbers (the
decision model's second version): ``.venv/bin/python tests/golden/make_golden.py``.

For every shipped scenario and condition, with the perfect-information run and with twins
beside the run, and for scenarios drawn by the hypothesis strategy the equality test uses (the
scenarios themselves are stored, so the file does not depend on hypothesis's version), it records
the SHA-256 of each frame (``frame_digest``). ``tests/test_golden.py`` recomputes them.
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
    cases: list[dict[str, Any]] = [*shipped_cases(), *generated_cases()]
    for case in cases:
        case["digests"] = batch_digests(case)
    out = HERE / "frames.json"
    out.write_text(json.dumps({"cases": cases}, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(cases)} cases to {out}")


if __name__ == "__main__":
    main()
