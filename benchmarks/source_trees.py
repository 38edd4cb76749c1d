"""The ``src`` tree of an earlier commit, for benchmarks that compare before and after."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def extract_src(commit: str, into: Path) -> Path:
    """The ``src`` tree of ``commit``, extracted (no worktree, so git's metadata is untouched)."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "src"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def run_child(src: Path, script: str, *args: str) -> Any:
    """Run ``script --one ARGS`` on the ``src`` tree in a single-threaded child; its JSON answer.

    The child prints one JSON line last (the benchmark's ``--one`` mode); numpy's BLAS is held to
    one thread so that before and after compare the same single-core work.
    """
    env = dict(
        os.environ,
        PYTHONPATH=str(src),
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    command = [sys.executable, script, "--one", *args]
    out = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def tune_allocator() -> None:
    """Tune the allocator as ``escalsim`` and its workers do, in any tree's process.

    Since issue 20 ``run_batch`` leaves the allocator alone and the CLI and its workers tune it
    (:func:`escalsim.allocator.keep_freed_memory`); earlier trees tuned it inside ``run_batch``.
    A benchmark of the engine calls this first, so that both trees run as ``escalsim run`` does.
    """
    try:
        from escalsim.allocator import keep_freed_memory
    except ImportError:  # an earlier tree: run_batch tunes it
        return
    keep_freed_memory()


def steps_and_run_rounds(frames: Any) -> tuple[float, float]:
    """A batch's steps (its longest run) and the run-rounds it simulated, its twins' included.

    ``frames``: what ``escalsim.batch.run_batch`` returns; each run's ``end_round`` is the rounds
    it was stepped.
    """
    ends = [frames.outcome["end_round"]]
    if frames.twin_outcome is not None and frames.complete_twin_outcome is not None:
        ends += [frames.twin_outcome["end_round"], frames.complete_twin_outcome["end_round"]]
    return float(max(int(e.max()) for e in ends)), float(sum(int(e.sum()) for e in ends))


def machine() -> str:
    """The machine a benchmark ran on, for the line above its tables.

    The CPU's model name (``/proc/cpuinfo``, where there is one), its cores, Python and numpy:
    figures of one benchmark on two 2-core machines of the same class have differed by a third
    (docs/performance.md, "How these were measured"), so a figure is read with its machine.
    """
    import numpy as np

    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    # numpy's widest SIMD in use: it picks its elementary functions' code by it, so it sets the
    # numerics regime (docs/reliability.md, "Reproducibility across machines") and the speed.
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # another numpy layout: say nothing rather than guess
        features = {}
    simd = next((f for f in ("AVX512_ICL", "AVX512_SKX", "AVX2") if features.get(f)), "baseline")
    return (
        f"machine: {model} ({platform.machine()}), {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, numpy {np.__version__} ({simd})"
    )


def load_average() -> str:
    """The load averages over 1, 5 and 15 minutes, as the benchmarks print them."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def timed(call: Any, repeats: int) -> float:
    """Median seconds of ``call()`` over ``repeats`` calls, after one warm-up call."""
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def numba_from(path: str) -> bool:
    """Whether numba imports, ``path`` (a folder it is installed in, or "") first on sys.path.

    numba is no dependency of escalsim: the probes that compare with it take it from a folder
    (``--numba-path``) and say so where it is not found.
    """
    if path:
        sys.path.insert(0, path)
    try:
        import numba  # noqa: F401
    except ImportError:
        print("\nnumba is not importable here: give --numba-path (see the module's usage).")
        return False
    return True
