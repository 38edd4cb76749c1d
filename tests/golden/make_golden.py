"""Write the golden master of the model: hashes of every frame it produces.

Run once on the commit whose numbers are to be kept (issue 15 took them on main at 5535271, the
last commit with two drivers), and again only when a change is *meant* to alter the numbers (the
decision model's second version): ``.venv/bin/python tests/golden/make_golden.py``.

For every shipped scenario and condition, with the perfect-information run and with twins
beside the run, and for scenarios drawn by the hypothesis strategy the equality test uses (the
scenarios themselves are stored, so the file does not depend on hypothesis's version), it records
the SHA-256 of each frame (``frame_digest``), and the machine's numerics
(:func:`escalsim.experiment.provenance.numerics`): the digests hold bit for bit only where numpy
computes the model's elementary functions alike. So it also takes the digests of numpy's lower
regimes on x86-64 (AVX2, and neither AVX-512 nor AVX2), each in a process started with
``NPY_DISABLE_CPU_FEATURES``, and keeps those that differ. ``tests/test_golden.py`` recomputes
the digests of the machine's regime (and skips, saying why, on a machine of other numerics).

The generated scenarios already stored in ``frames.json`` are kept and only their digests are
recomputed: the strategy has changed since they were drawn (it writes ``schema_version: 2``, so
hypothesis draws other scenarios from it), and a rewrite meant to change some numbers must not
swap the cases under them. ``--redraw`` draws a new set from the strategy instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
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
    if sys.argv[1:2] == ["--digests-into"]:  # a lower regime's process (see regimes())
        _digests_into(Path(sys.argv[2]), json.loads(out.read_text())["cases"])
        return
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

    # The digests hold on machines with these numerics only; the lower regimes' are kept
    # where they differ (tests/golden/golden_cases.py: expected_digests).
    golden = {"cases": cases, "numerics": numerics(), "regimes": {}}
    out.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")
    golden["regimes"] = regimes(cases, golden["numerics"])
    out.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(cases)} cases to {out}, and {len(golden['regimes'])} lower regimes")


def regimes(cases: list[dict[str, Any]], native: str) -> dict[str, Any]:
    """Each lower regime's digests where they differ from this machine's, by case index.

    Each regime runs in a fresh process started with ``NPY_DISABLE_CPU_FEATURES``; a regime
    this machine does not have (switching off what it lacks) gives its own numerics, and is
    left out.
    """
    from escalsim.experiment.provenance import LOWER_REGIMES

    found: dict[str, Any] = {}
    for disabled in LOWER_REGIMES.values():
        with tempfile.TemporaryDirectory() as tmp:
            into = Path(tmp) / "digests.json"
            env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": disabled}
            subprocess.run(
                [sys.executable, __file__, "--digests-into", str(into)], env=env, check=True
            )
            got = json.loads(into.read_text())
        if got["numerics"] == native or got["numerics"] in found:
            continue
        found[got["numerics"]] = {
            "disabled": disabled,
            "cases": {
                str(k): d
                for k, (case, d) in enumerate(zip(cases, got["digests"], strict=True))
                if d != case["digests"]
            },
        }
    return found


def _digests_into(path: Path, cases: list[dict[str, Any]]) -> None:
    from escalsim.experiment.provenance import numerics

    digests = [batch_digests(case) for case in cases]
    path.write_text(json.dumps({"numerics": numerics(), "digests": digests}))


if __name__ == "__main__":
    main()
