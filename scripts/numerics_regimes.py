"""How much the machine changes escalsim's numbers: numpy's CPU-specific code, measured.

numpy picks code for its elementary functions by the CPU it finds at import. On x86-64 there
are three regimes, and ``NPY_DISABLE_CPU_FEATURES`` switches a machine down to the lower ones:
AVX-512 (this machine's, "native"), AVX2 ("avx2": ``AVX512_ICL X86_V4`` off) and neither
("baseline": ``X86_V3`` off too; the C library's functions throughout). For each regime, in a
fresh process, it prints:

* its numerics (``escalsim.experiment.provenance.numerics``), the fingerprint escalsim records;
* for each elementary function the model calls (tanh, exp, log1p, power), the share of 200,000
  arguments (normal, sd 3; ``|x|`` for log1p, ``(|x|, x)`` for power) on which it differs from
  the native regime and by how many units in the last place at most, and the share on which it
  differs from Python's ``math`` module (the C library) in this process;
* with ``--golden``, how many of the golden master's default cases on the ensembles
  (``tests/test_golden.py``, the slow tier's ipd-noise cases left out) give other digests;
* with ``--outcomes N``, geneva-2022's ``dialogue_closed`` condition at N replications (seed 1,
  no twins): the share of replications whose outcome row differs in any column, and in a column
  that is not a float (how the crisis ended, counts, rungs), the floats' largest difference,
  and the war share in each regime.

Run: ``.venv/bin/python scripts/numerics_regimes.py --golden --outcomes 1000`` (about two
minutes). On a machine without AVX-512 the native regime is the AVX2 or baseline one, and the
rows of the regimes it has not are equal to it. docs/reliability.md ("Reproducibility across
machines") quotes the figures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from escalsim.experiment.provenance import LOWER_REGIMES

ROOT = Path(__file__).resolve().parents[1]
REGIMES: dict[str, str | None] = {"native": None, **LOWER_REGIMES}
FUNCTIONS = ("tanh", "exp", "log1p", "power")


def arguments() -> tuple[np.ndarray, np.ndarray]:
    """The 200,000 arguments, and their absolute values."""
    x = np.random.default_rng(2).normal(0.0, 3.0, 200_000)
    return x, np.abs(x)


def evaluate() -> dict[str, np.ndarray]:
    """The four functions on the arguments, with this process's numpy."""
    x, a = arguments()
    return {"tanh": np.tanh(x), "exp": np.exp(x), "log1p": np.log1p(a), "power": np.power(a, x)}


def c_library() -> dict[str, np.ndarray]:
    """The same with Python's ``math`` (the C library), one argument at a time."""
    x, a = arguments()
    return {
        "tanh": np.array([math.tanh(v) for v in x]),
        "exp": np.array([math.exp(v) for v in x]),
        "log1p": np.array([math.log1p(v) for v in a]),
        "power": np.array([math.pow(u, v) for u, v in zip(a, x, strict=True)]),
    }


def golden_mismatches() -> tuple[int, int]:
    """Default golden cases on the ensembles whose digests differ here, and how many ran."""
    sys.path.insert(0, str(ROOT / "tests" / "golden"))
    from golden_cases import batch_digests, ipd_noise_beyond_the_first

    cases = json.loads((ROOT / "tests" / "golden" / "frames.json").read_text())["cases"]
    default = [c for c in cases if not ipd_noise_beyond_the_first(c, cases)]
    return sum(batch_digests(c) != c["digests"] for c in default), len(default)


def outcomes(n: int, path: str) -> None:
    """geneva-2022's dialogue_closed outcomes at n replications, written to ``path``."""
    from escalsim.batch import run_batch

    frame = run_batch(
        "geneva-2022", seed=1, replications=n, condition="dialogue_closed", keep=0
    ).outcome
    frame.to_parquet(path)


def child(args: argparse.Namespace) -> None:
    """What one regime's process does: write its results to ``--into``."""
    from escalsim.experiment.provenance import numerics

    into = Path(args.into)
    np.savez(into / "functions.npz", **evaluate())
    out: dict[str, object] = {"numerics": numerics()}
    if args.golden:
        out["golden"] = golden_mismatches()
    if args.outcomes:
        outcomes(args.outcomes, str(into / "outcomes.parquet"))
    (into / "child.json").write_text(json.dumps(out))


def main() -> None:
    """Run each regime in a fresh process and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--golden", action="store_true", help="count golden cases that differ")
    parser.add_argument("--outcomes", type=int, default=0, help="geneva-2022 replications")
    parser.add_argument("--into", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.into:
        child(args)
        return
    import pandas as pd

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for regime, disabled in REGIMES.items():
            into = Path(tmp) / regime
            into.mkdir()
            env = {k: v for k, v in os.environ.items() if k != "NPY_DISABLE_CPU_FEATURES"}
            if disabled:
                env["NPY_DISABLE_CPU_FEATURES"] = disabled
            command = [sys.executable, __file__, "--into", str(into)]
            if args.golden:
                command.append("--golden")
            if args.outcomes:
                command += ["--outcomes", str(args.outcomes)]
            subprocess.run(command, env=env, check=True)
            info = json.loads((into / "child.json").read_text())
            info["functions"] = dict(np.load(into / "functions.npz"))
            if args.outcomes:
                info["outcomes"] = pd.read_parquet(into / "outcomes.parquet")
            results[regime] = info
    native = results["native"]
    reference = c_library()
    print("| regime | numerics | " + " | ".join(FUNCTIONS) + " |")
    print("| --- | --- |" + " ---: |" * len(FUNCTIONS))
    for regime, info in results.items():
        shares = []
        for name in FUNCTIONS:
            mine = info["functions"][name]
            theirs = native["functions"][name]
            against_native = np.mean(mine != theirs)
            ulps = int(np.max(np.abs(mine.view(np.int64) - theirs.view(np.int64))))
            against_c = np.mean(mine != reference[name])
            shares.append(f"{against_native:.1%}, ≤ {ulps} ulp ({against_c:.1%})")
        print(f"| {regime} | {info['numerics']} | " + " | ".join(shares) + " |")
    print(
        "\nShares of the 200,000 arguments on which each function differs from the native "
        "regime, and by how many units in the last place at most (in brackets: the share that "
        "differs from the C library)."
    )
    if args.golden:
        print("\n| regime | golden cases (ensembles, default tier) that differ |")
        print("| --- | ---: |")
        for regime, info in results.items():
            bad, ran = info["golden"]
            print(f"| {regime} | {bad} of {ran} |")
    if args.outcomes:
        print(f"\ngeneva-2022, dialogue_closed, {args.outcomes} replications, seed 1, no twins:\n")
        print(
            "| regime | replications whose row differs from native: in any column | in a "
            "column that is not a float (an outcome, a count, a rung) | the floats' largest "
            "difference | war share |"
        )
        print("| --- | ---: | ---: | ---: | ---: |")
        base = native["outcomes"]
        floats = [c for c in base.columns if pd.api.types.is_float_dtype(base[c])]
        others = [c for c in base.columns if c not in floats]
        for regime, info in results.items():
            frame = info["outcomes"]
            same = (frame == base) | (frame.isna() & base.isna())
            any_column = (~same.all(axis=1)).mean()
            discrete = (~same[others].all(axis=1)).mean()
            gap = np.nanmax(np.abs(frame[floats].to_numpy() - base[floats].to_numpy()))
            print(
                f"| {regime} | {any_column:.1%} | {discrete:.1%} | {gap:.1e} | "
                f"{frame['war'].mean():.4f} |"
            )


if __name__ == "__main__":
    main()
