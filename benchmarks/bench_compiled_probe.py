"""What a compiled kernel buys on the model's hottest chain (issue 20): numba against numpy.

Usage::

    .venv/bin/python -m pip install --no-deps --target /tmp/nbenv numba==0.68.1 llvmlite==0.50.0
    .venv/bin/python benchmarks/bench_compiled_probe.py --numba-path /tmp/nbenv
    .venv/bin/python benchmarks/bench_compiled_probe.py --quick       # a smoke run

numba is not a dependency of escalsim; ``--numba-path`` adds a folder where it is installed
(without it, or where it is not found there, only numpy's side is measured).

The chain is the one the profile of geneva-2022 puts first (docs/performance.md): the value of
holding each rung for each type (``escalsim.core.bargaining.hold_value``, 39% of the counted
elements), then each type's chance of quitting and their sum over the belief
(``quit_probability``: a logit, ``tanh``, per element). Its largest call in a batch of 400
replications with twins is ``[2, 400, 1, 8, 4, 16]`` (the two runs that model the other, the
replications, the worlds, four rungs, sixteen types): 409,600 elements. The inputs are drawn in
the equations' valid ranges (risks in [0, 0.3], δ = 0.9, λ = 5).

numpy's side is escalsim's own two functions, as they are and with the replications on the last
axis (``[rungs, types, rows]``: numpy's inner loops then run over the rows; the sum over the
types then runs in another order, so results may differ in their last bits). numba's is one
loop over the same formula, fused (no temporaries), the operations in the functions' order and
the sum over the types in numpy's (its pairwise sum): once as numba compiles it by default,
once with ``fastmath=True`` (reassociation and fused multiply-adds allowed). For each it prints
the median time of a call over ``--repeats``, the ratio to numpy, and how many results differ
from numpy's and by how much; then, each in a fresh process, the time to import numba, to
compile the kernel, and to load it from numba's cache (what every worker would pay). The kernel
calls the C library's ``tanh``: with numpy's own switched to the C library's
(``NPY_DISABLE_CPU_FEATURES="AVX512_ICL X86_V4 X86_V3"``, docs/reliability.md) its default
build gives numpy's results to the bit.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from source_trees import machine, numba_from, timed

ROOT = Path(__file__).resolve().parents[1]
SHAPE = (2 * 400 * 8, 4, 16)  # [2, 400, 1, 8] flattened, rungs, types
DELTA, PRECISION, SCALE = 0.9, 5.0, 0.1

KERNEL = """
import numpy as np
from numba import njit


def chain(flow, risk, war, quit, posterior, delta, lam, scale):
    n_rows, n_rungs = flow.shape
    n_types = war.shape[1]
    out = np.empty((n_rows, n_rungs))
    terms = np.empty(n_types)
    acc = np.empty(8)
    for i in range(n_rows):
        for m in range(n_rungs):
            r = risk[i, m]
            f = flow[i, m]
            den = 1.0 - delta * (1.0 - r)
            for k in range(n_types):
                hold = (r * war[i, k] + (1.0 - r) * f) / den
                z = lam * ((quit[i, k] - hold) * scale)
                terms[k] = posterior[i, k] * (0.5 * (1.0 + np.tanh(0.5 * z)))
            # numpy's order of a sum over a short contiguous axis (its pairwise sum, n < 128):
            # eight partial sums, combined in pairs, then the remainder one by one.
            if n_types < 8:
                total = 0.0
                for k in range(n_types):
                    total += terms[k]
            else:
                for j in range(8):
                    acc[j] = terms[j]
                whole = n_types - n_types % 8
                for k in range(8, whole, 8):
                    for j in range(8):
                        acc[j] += terms[k + j]
                left = (acc[0] + acc[1]) + (acc[2] + acc[3])
                total = left + ((acc[4] + acc[5]) + (acc[6] + acc[7]))
                for k in range(whole, n_types):
                    total += terms[k]
            out[i, m] = total
    return out


exact = njit(cache=CACHE, nogil=True)(chain)
fast = njit(cache=CACHE, nogil=True, fastmath=True)(chain)
"""


def inputs(rows: int) -> tuple[np.ndarray, ...]:
    """The chain's operands: flow and risk per rung, war value, quitting and belief per type."""
    rng = np.random.default_rng(1)
    _, rungs, types = SHAPE
    flow = rng.uniform(-0.2, 0.6, (rows, rungs))
    risk = rng.uniform(0.0, 0.3, (rows, rungs))
    war = rng.uniform(-2.0, 0.5, (rows, types))
    quit = rng.uniform(-1.0, 1.0, (rows, types))
    posterior = rng.dirichlet(np.ones(types), rows)
    return flow, risk, war, quit, posterior


def numpy_chain(flow, risk, war, quit, posterior):  # type: ignore[no-untyped-def]
    """escalsim's own functions: hold_value per rung and type, then quit_probability."""
    from escalsim.core.bargaining import hold_value, quit_probability

    hold = hold_value(flow[:, :, None], risk[:, :, None], war[:, None, :], DELTA)
    return quit_probability(posterior[:, None, :], quit[:, None, :] - hold, PRECISION, SCALE)


def numpy_chain_rows_last(flow, risk, war, quit, posterior):  # type: ignore[no-untyped-def]
    """The same functions with the replications on the last axis: ``[rungs, types, rows]``.

    The layout the issue names ("state laid out for contiguous access"): numpy's inner loops
    then run over the rows, not over four rungs or sixteen types. The sum over the types is
    then over a middle axis, which numpy adds in another order than its pairwise sum over the
    last: the results may differ in their last bits (counted in the table).
    """
    from escalsim.core.bargaining import _quit_shares, hold_value

    hold = hold_value(flow[:, None, :], risk[:, None, :], war[None, :, :], DELTA)
    shares = _quit_shares((quit[None, :, :] - hold) * SCALE, PRECISION)
    return (posterior[None, :, :] * shares).sum(axis=1)


def fresh(numba_path: str, folder: str, code: str) -> float:
    """Seconds a fresh process spends on ``code`` (after importing numpy)."""
    script = (
        f"import sys, time; sys.path[:0] = [{numba_path!r}, {folder!r}]; import numpy\n"
        f"t = time.perf_counter()\n{code}\nprint(time.perf_counter() - t)"
    )
    # numba caches a kernel in __pycache__ beside its module's file (the folder is writable).
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
    )
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Measure numpy's chain, and numba's where it can be imported."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numba-path", default="", help="a folder where numba is installed")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    args = parser.parse_args()
    print(machine())
    rows = SHAPE[0] // 40 if args.quick else SHAPE[0]
    repeats = 3 if args.quick else args.repeats
    operands = inputs(rows)
    reference = numpy_chain(*operands)
    base = timed(lambda: numpy_chain(*operands), repeats)
    elements = rows * SHAPE[1] * SHAPE[2]
    print(
        f"The chain on {elements:,} elements ({rows:,} rows x {SHAPE[1]} x {SHAPE[2]}), "
        f"medians of {repeats}:\n"
    )
    print(
        "| path | ms a call | ns an element | × numpy | results that differ from numpy's "
        "| largest difference |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| numpy (escalsim's functions) | {base * 1e3:.2f} | {base / elements * 1e9:.1f} | "
        "1.00 | — | — |"
    )
    last = [np.ascontiguousarray(x.T) for x in operands]  # [rungs or types, rows]
    got = numpy_chain_rows_last(*last).T
    seconds = timed(lambda: numpy_chain_rows_last(*last), repeats)
    print(
        f"| numpy, the replications last | {seconds * 1e3:.2f} | "
        f"{seconds / elements * 1e9:.1f} | {base / seconds:.2f} | "
        f"{float(np.mean(got != reference)):.1%} | "
        f"{float(np.max(np.abs(got - reference))):.1e} |"
    )
    if not numba_from(args.numba_path):
        return
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "probe_kernel.py").write_text(KERNEL.replace("CACHE", "True"))
        sys.path.insert(0, folder)
        import probe_kernel

        for name in ("exact", "fast"):
            kernel = getattr(probe_kernel, name)
            got = kernel(*operands, DELTA, PRECISION, SCALE)
            seconds = timed(lambda k=kernel: k(*operands, DELTA, PRECISION, SCALE), repeats)
            differ = float(np.mean(got != reference))
            gap = float(np.max(np.abs(got - reference)))
            label = "numba" if name == "exact" else "numba, fastmath"
            print(
                f"| {label} | {seconds * 1e3:.2f} | {seconds / elements * 1e9:.1f} | "
                f"{base / seconds:.2f} | {differ:.1%} | {gap:.1e} |"
            )
        call = (
            "import probe_kernel as p\n"
            "a = [numpy.ones((2, 4))] * 2 + [numpy.ones((2, 16))] * 3\n"
            "p.exact(*a, 0.9, 5.0, 0.1)"
        )
        other = tempfile.mkdtemp(dir=folder)
        Path(other, "probe_kernel.py").write_text(KERNEL.replace("CACHE", "False"))
        costs = {
            "import numba": fresh(args.numba_path, folder, "import numba"),
            "import numba, compile the kernel and call it": fresh(args.numba_path, other, call),
            "import numba, load the kernel from its cache and call it": fresh(
                args.numba_path, folder, call
            ),
        }
    print("\nIn a fresh process (what each worker pays), seconds:\n")
    print("| step | s |")
    print("| --- | ---: |")
    for step, seconds in costs.items():
        print(f"| {step} | {seconds:.3f} |")
    print(json.dumps({"numpy_ms": base * 1e3}))


if __name__ == "__main__":
    main()
