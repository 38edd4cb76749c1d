"""Elementary functions of escalsim's own: the same bits on every machine, at what cost (issue 20).

Usage::

    .venv/bin/python benchmarks/bench_elementary.py                   # numpy's side, 3 regimes
    .venv/bin/python benchmarks/bench_elementary.py --numba-path /tmp/nbenv   # and numba's
    .venv/bin/python benchmarks/bench_elementary.py --in-model 200    # tanh's share of a batch
    .venv/bin/python benchmarks/bench_elementary.py --quick           # a smoke run

numpy picks the code of ``np.tanh`` and ``np.exp`` by the CPU it finds at import: AVX-512,
AVX2, or the C library's, and the three differ in floats' last bits (docs/reliability.md,
"Reproducibility across machines"), so the same seed gives other numbers on other machines,
and a compiled kernel (numba calls the C library's) matches numpy's only where numpy uses the
C library too. Whether escalsim should compute these functions itself is the decision
docs/performance.md ("What the open targets need") asks for. This probe measures what it
would mean, for ``tanh`` (the logit of every quit decision) and ``exp`` (which it is built on):

* :func:`exp_fixed` and :func:`tanh_fixed` use only IEEE arithmetic that is correctly rounded
  (``+ - * /``, ``floor``, ``abs``, ``minimum``, ``copysign`` and a power of two built from its
  bits), in a fixed order: a Cody-Waite reduction by ln 2 and a Taylor polynomial in Horner's
  form for ``exp``; ``tanh(x) = e/(e + 2)`` with ``e = expm1(2|x|)``, its Taylor polynomial
  below 0.5 and ``exp(2|x|) - 1`` above, the sign copied last. Valid for every finite float
  (``|x|`` is capped at 20, where ``tanh`` is 1 in floating point) and ``exp`` for
  ``|x| <= 708``.
* Their results' digests under each of numpy's three regimes (each in a fresh process with
  ``NPY_DISABLE_CPU_FEATURES``), beside ``np.tanh``'s and ``np.exp``'s: the question is
  whether the first agree where the second do not.
* Their error in units in the last place (ulp) against ``np.longdouble`` (the x87's 64-bit
  mantissa: a reference 2^11 times finer), beside numpy's own.
* Their time per element against numpy's own, and with ``--numba-path`` the same operations
  in numba loops (the branch taken per element where numpy computes both and selects; and
  branch-free, the shape LLVM's loop vectoriser needs), their results compared with numpy's to
  the bit, beside numba's ``math.tanh``.

The inputs: 10^6 logits (normal, standard deviation 4), 10^5 uniform on [-30, 30], and the
edges (zeros of both signs, 1e-300, ±20, ±1e3).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from source_trees import machine, numba_from, timed

#: The three numerics regimes of numpy on x86-64 (docs/reliability.md), by the switch that
#: selects each.
REGIMES = {
    "native": "",
    "AVX2": "AVX512_ICL X86_V4",
    "C library": "AVX512_ICL X86_V4 X86_V3",
}
INV_LN2 = 1.4426950408889634
#: ln 2 in two parts (fdlibm's): the high part has trailing zero bits, so k·LN2_HI is exact.
LN2_HI, LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10
#: 1/n! for n = 0..13 (exp's Taylor polynomial on |r| <= ln2/2: the first term left out is
#: below 1e-17 of the sum) and n = 1..18 (expm1's on [0, 0.5)); n! is exact in a double.
EXP_COEF = tuple(1.0 / math.factorial(n) for n in range(14))
EM1_COEF = tuple(1.0 / math.factorial(n) for n in range(1, 19))
TANH_CAP, SMALL = 20.0, 0.5


def exp_fixed(x: np.ndarray) -> np.ndarray:
    """``e^x`` from correctly rounded operations only, in a fixed order; ``|x| <= 708``."""
    k = np.floor(x * INV_LN2 + 0.5)
    r = (x - k * LN2_HI) - k * LN2_LO
    p = np.full_like(r, EXP_COEF[-1])
    for c in reversed(EXP_COEF[:-1]):
        p = p * r + c
    scale = ((k.astype(np.int64) + 1023) << 52).view(np.float64)  # 2^k, exactly
    return p * scale


def tanh_fixed(x: np.ndarray) -> np.ndarray:
    """``tanh x`` from correctly rounded operations only, in a fixed order; any finite x."""
    a = np.minimum(np.abs(x), TANH_CAP)
    y = a + a
    q = np.full_like(y, EM1_COEF[-1])
    for c in reversed(EM1_COEF[:-1]):
        q = q * y + c
    em1 = np.where(y < SMALL, y * q, exp_fixed(y) - 1.0)
    return np.copysign(em1 / (em1 + 2.0), x)


def _horner(acc: str, var: str, coef: tuple[float, ...]) -> str:
    """Horner's steps ``acc = acc * var + c`` for the coefficients below the last, unrolled."""
    return "\n".join(f"        {acc} = {acc} * {var} + {c!r}" for c in reversed(coef[:-1]))


KERNEL = f"""
import math
import numpy as np
from numba import njit

EXP_COEF = {EXP_COEF!r}
EM1_COEF = {EM1_COEF!r}


@njit(cache=False)
def tanh_loop(x, out):
    for i in range(x.shape[0]):
        v = x[i]
        a = min(abs(v), {TANH_CAP!r})
        y = a + a
        if y < {SMALL!r}:
            q = EM1_COEF[17]
            for j in range(16, -1, -1):
                q = q * y + EM1_COEF[j]
            em1 = y * q
        else:
            k = math.floor(y * {INV_LN2!r} + 0.5)
            r = (y - k * {LN2_HI!r}) - k * {LN2_LO!r}
            p = EXP_COEF[13]
            for j in range(12, -1, -1):
                p = p * r + EXP_COEF[j]
            em1 = math.ldexp(p, int(k)) - 1.0
        out[i] = math.copysign(em1 / (em1 + 2.0), v)


@njit(cache=False)
def tanh_branch_free(x, out, kbits):
    # Both branches for every element and a select, Horner unrolled, 2^k from its bits written
    # in a first pass: the shape LLVM's loop vectoriser needs, if it takes it.
    scale = kbits.view(np.float64)
    for i in range(x.shape[0]):
        a = min(abs(x[i]), {TANH_CAP!r})
        y = a + a
        kbits[i] = (np.int64(math.floor(y * {INV_LN2!r} + 0.5)) + 1023) << 52
    for i in range(x.shape[0]):
        v = x[i]
        a = min(abs(v), {TANH_CAP!r})
        y = a + a
        k = math.floor(y * {INV_LN2!r} + 0.5)
        r = (y - k * {LN2_HI!r}) - k * {LN2_LO!r}
        p = {EXP_COEF[-1]!r}
{_horner("p", "r", EXP_COEF)}
        big = p * scale[i] - 1.0
        q = {EM1_COEF[-1]!r}
{_horner("q", "y", EM1_COEF)}
        em1 = y * q if y < {SMALL!r} else big
        out[i] = math.copysign(em1 / (em1 + 2.0), v)


@njit(cache=False)
def tanh_libm(x, out):
    for i in range(x.shape[0]):
        out[i] = math.tanh(x[i])
"""


def inputs(quick: bool) -> np.ndarray:
    """The probe's inputs (see the module's description), the same in every process."""
    rng = np.random.default_rng(2026)
    scale = 10 if quick else 1
    edges = [0.0, -0.0, 1e-300, -1e-300, 20.0, -20.0, 1e3, -1e3]
    return np.concatenate(
        [rng.normal(0.0, 4.0, 1_000_000 // scale), rng.uniform(-30, 30, 100_000 // scale), edges]
    )


def digest(a: np.ndarray) -> str:
    """The first 12 hex digits of the SHA-256 of an array's bytes."""
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()[:12]


def ulps(got: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """Errors in units in the last place of the exact value, rounded to a double."""
    nearest = exact.astype(np.float64)
    spacing = np.spacing(np.abs(nearest)).astype(np.longdouble)
    return np.abs((got.astype(np.longdouble) - exact) / spacing).astype(np.float64)


def one(quick: bool) -> dict[str, str]:
    """In this process (one regime): the digests of numpy's functions and of the fixed ones."""
    x = inputs(quick)
    small = x[np.abs(x) <= 354.0]  # exp's inputs: tanh_fixed's own range of 2|x|
    return {
        "np.tanh": digest(np.tanh(x)),
        "tanh_fixed": digest(tanh_fixed(x)),
        "np.exp": digest(np.exp(small)),
        "exp_fixed": digest(exp_fixed(small)),
    }


def in_model(replications: int) -> None:
    """How many elements go through ``tanh`` in a batch of geneva-2022, and its CPU share.

    ``escalsim.core.bargaining._quit_shares`` (the logit of :func:`quit_probability`, the
    model's only ``tanh``) is wrapped to count its elements, during one ``run_batch`` of
    ``replications`` with twins (``dialogue_open``) after a warm-up.
    """
    from source_trees import tune_allocator

    tune_allocator()
    import escalsim.core.bargaining as bg
    from escalsim.batch import run_batch
    from escalsim.scenario import load_scenario, with_condition

    spec = with_condition(load_scenario("geneva-2022"), "dialogue_open")
    run_batch(spec, seed=0, replications=8, keep=0, twin=True)
    counted = [0]
    shares = bg._quit_shares

    def counting(adv: np.ndarray, lam: float) -> np.ndarray:
        counted[0] += adv.size
        return shares(adv, lam)

    bg._quit_shares = counting  # type: ignore[assignment]
    try:
        start = time.process_time()
        run_batch(spec, seed=1, replications=replications, keep=0, twin=True)
        cpu = time.process_time() - start
    finally:
        bg._quit_shares = shares  # type: ignore[assignment]
    x = inputs(quick=True)
    per = {
        "np.tanh": timed(lambda: np.tanh(x), 5) / len(x),
        "tanh_fixed": timed(lambda: tanh_fixed(x), 5) / len(x),
    }
    print(
        f"\ngeneva-2022, {replications} replications with twins: {counted[0]:,} elements "
        f"through tanh in {cpu:.2f} s of CPU; at this process's ns an element, np.tanh "
        f"{counted[0] * per['np.tanh']:.3f} s ({counted[0] * per['np.tanh'] / cpu:.1%}), "
        f"tanh_fixed {counted[0] * per['tanh_fixed']:.3f} s "
        f"(+{counted[0] * (per['tanh_fixed'] - per['np.tanh']) / cpu:.0%} on the batch)"
    )


def main() -> None:
    """Print the digests per regime, the errors, and the times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numba-path", default="", help="a folder where numba is installed")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--quick", action="store_true", help="a tenth of the inputs")
    parser.add_argument(
        "--in-model",
        type=int,
        metavar="R",
        help="also count tanh's elements in a batch of R replications of geneva-2022",
    )
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.quick)))
        return
    repeats = 3 if args.quick else args.repeats
    print(machine())
    x = inputs(args.quick)
    print(f"\n{len(x):,} inputs; digests of the results under each of numpy's regimes:\n")
    print("| regime | np.tanh | tanh_fixed | np.exp | exp_fixed |")
    print("| --- | --- | --- | --- | --- |")
    seen: dict[str, set[str]] = {}
    for name, switch in REGIMES.items():
        env = {k: v for k, v in os.environ.items() if k != "NPY_DISABLE_CPU_FEATURES"}
        if switch:
            env["NPY_DISABLE_CPU_FEATURES"] = switch
        command = [sys.executable, __file__, "--one", *(["--quick"] if args.quick else [])]
        out = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
        got = json.loads(out.stdout.strip().splitlines()[-1])
        for key, value in got.items():
            seen.setdefault(key, set()).add(value)
        print(f"| {name} | " + " | ".join(got[k] for k in got) + " |")
    print(
        "\ndistinct digests over the regimes: "
        + ", ".join(f"{k} {len(v)}" for k, v in seen.items())
    )

    exact_tanh = np.tanh(x.astype(np.longdouble))
    small = x[np.abs(x) <= 354.0]
    exact_exp = np.exp(small.astype(np.longdouble))
    print("\nErrors against np.longdouble (ulp), and time per element (this process's regime):\n")
    print("| function | largest error | mean error | ns an element | × numpy's |")
    print("| --- | ---: | ---: | ---: | ---: |")
    rows = {
        "np.tanh": (lambda: np.tanh(x), exact_tanh),
        "tanh_fixed": (lambda: tanh_fixed(x), exact_tanh),
        "np.exp": (lambda: np.exp(small), exact_exp),
        "exp_fixed": (lambda: exp_fixed(small), exact_exp),
    }
    base: dict[str, float] = {}
    for name, (call, exact) in rows.items():
        err = ulps(call(), exact)
        seconds = timed(call, repeats)
        per = seconds / len(exact) * 1e9
        family = name.split("_")[0].removeprefix("np.")
        base.setdefault(family, per)
        print(
            f"| {name} | {err.max():.2f} | {err.mean():.3f} | {per:.2f} | "
            f"{per / base[family]:.1f} |"
        )
    if args.in_model:
        in_model(args.in_model)
    if not numba_from(args.numba_path):
        return
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "fixed_kernel.py").write_text(KERNEL)
        sys.path.insert(0, folder)
        import fixed_kernel

        reference = tanh_fixed(x)
        print("\nnumba, the same operations per element (this process's regime for numpy):\n")
        print("| loop | ns an element | × np.tanh | results that differ from tanh_fixed's |")
        print("| --- | ---: | ---: | ---: |")
        kbits = np.empty(len(x), dtype=np.int64)
        for label, kernel, extra in (
            ("tanh_fixed's operations", fixed_kernel.tanh_loop, ()),
            ("the same, branch-free in two passes", fixed_kernel.tanh_branch_free, (kbits,)),
            ("math.tanh (the C library's)", fixed_kernel.tanh_libm, ()),
        ):
            out = np.empty_like(x)
            kernel(x, out, *extra)
            seconds = timed(lambda k=kernel, o=out, e=extra: k(x, o, *e), repeats)
            differ = float(np.mean(out.view(np.uint64) != reference.view(np.uint64)))
            print(
                f"| {label} | {seconds / len(x) * 1e9:.2f} | "
                f"{seconds / len(x) * 1e9 / base['tanh']:.1f} | {differ:.2%} |"
            )


if __name__ == "__main__":
    main()
