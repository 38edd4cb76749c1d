"""Benchmark the spike's two forms of perception and decisions on geneva-2022 (issue 15).

Usage::

    PYTHONPATH=src .venv/bin/python benchmarks/spike/bench_spike.py            # about 3-4 min
    PYTHONPATH=src .venv/bin/python benchmarks/spike/bench_spike.py --quick    # a smoke run

Prints a markdown table: per replication-round (µs, CPU time and wall time) and actor-rounds
per second per core (CPU time) of

* the numpy form and the compiled form (warm; first call with compile; first call in a fresh
  process that finds the compiled code cached) at R = 1, 100 and 10,000;
* for reference, today's engine end to end (``run_batch``, whole rounds, no twin: not like for
  like), the same engine's phases 4-6 alone (its ``_perceive``, ``_count_perception``,
  ``_update_beliefs`` and ``_decide`` timed inside that run: like for like), and today's agent
  driver (``EscalationModel.run``) per replication;
* the plug-in paths of ``plugins.py`` at R = 100 and 10,000.

Every figure is the median of at least 3 repeats; the load average is printed first, since
the machine is shared. Before timing, the forms are checked to give the same moves.
numba is optional (not a dependency of escalsim): without it the compiled rows say so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import common  # noqa: E402
import numpy_form  # noqa: E402
import plugins  # noqa: E402

try:
    import compiled_form
except ModuleNotFoundError as missing:  # numba
    compiled_form = None
    NUMBA_MISSING = f"numba is not installed ({missing}): compiled form not measured"
else:
    NUMBA_MISSING = ""

SIZES = (1, 100, 10_000)
REPEATS = 3


def rounds_for(R: int, quick: bool) -> int:  # noqa: N803
    """Rounds per timed run: enough work to time, little enough to stay under 5 minutes."""
    if quick:
        return 2
    return {1: 100, 100: 40, 10_000: 4}.get(R, 4)


def median_times(run: Callable[[], None], repeats: int = REPEATS) -> tuple[float, float]:
    """Median (CPU seconds, wall seconds) of ``repeats`` calls."""
    cpu, wall = [], []
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        run()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu), statistics.median(wall)


class Inputs:
    """One size's inputs: constants, a starting state and the random blocks of T rounds."""

    def __init__(self, R: int, T: int) -> None:  # noqa: N803
        self.R, self.T = R, T
        self.p, self.layout, self.c = common.geneva()
        self.start = common.start_state(self.p, self.c, R)
        self.blocks = common.blocks(self.layout, R, T)
        self.given_actor = np.full(self.c.A, common.NO_MOVE, dtype=np.int64)
        self.given = np.full((R, self.c.A), common.NO_MOVE, dtype=np.int64)


def numpy_run(x: Inputs, policies: dict[int, Any] | None = None) -> Callable[[], None]:
    """T rounds of the numpy form from the starting state (the state is not advanced)."""

    def run() -> None:
        s = numpy_form.NumpyState.of(x.start)
        for t in range(x.T):
            numpy_form.two_phases(s, x.c, x.p, x.blocks[t], t + 1, x.given_actor, policies)

    return run


def compiled_run(x: Inputs, kernel: Any = None) -> Callable[[], None]:
    """T rounds of the compiled form (one compiled call per round, as a driver would make)."""
    assert compiled_form is not None
    k = compiled_form.constants(x.c)
    kernel = kernel or compiled_form.two_phases
    A, R = x.c.A, x.R  # noqa: N806

    def run() -> None:
        s = compiled_form.state(x.start)
        moves = np.zeros((R, A), dtype=np.int64)
        deciding = np.zeros((R, A), dtype=bool)
        causes = np.zeros((R, A), dtype=np.int64)
        for t in range(x.T):
            kernel(s, k, x.blocks[t], x.given, x.given, moves, deciding, causes)

    return run


def compiled_plugin_run(x: Inputs, path: str) -> Callable[[], None]:
    """T rounds of the compiled form with actor 0 deciding by ``plugins.wary``."""
    assert compiled_form is not None
    paths = plugins.compiled_paths()
    k = compiled_form.constants(x.c)
    A, R = x.c.A, x.R  # noqa: N806

    def run() -> None:
        s = compiled_form.state(x.start)
        out = (
            np.full((2, R, A), common.NO_MOVE, dtype=np.int64),
            np.zeros((R, A), dtype=np.int64),
            np.zeros((R, A), dtype=bool),
            np.zeros((R, A), dtype=np.int64),
        )
        for t in range(x.T):
            if path == "objmode":
                paths["objmode"](s, k, x.blocks[t], out)
            else:
                per_rep = path == "split+scalar"
                paths["split"](s, k, x.blocks[t], plugins.WaryArrays(), per_rep, out)

    return run


def check_same_moves(R: int = 64) -> None:  # noqa: N803
    """The forms and the plug-in paths agree on one round's moves (else no timing is worth it)."""
    x = Inputs(R, 1)
    block = x.blocks[0]
    ref = {}
    for name, policies in (("quantal", None), ("wary", {0: plugins.WaryArrays()})):
        s = numpy_form.NumpyState.of(x.start)
        moves, _, causes = numpy_form.two_phases(s, x.c, x.p, block, 1, x.given_actor, policies)
        ref[name] = (moves.T, causes.T)
    s = numpy_form.NumpyState.of(x.start)
    scalar = {0: plugins.PerReplication(plugins.wary)}
    moves, _, causes = numpy_form.two_phases(s, x.c, x.p, block, 1, x.given_actor, scalar)
    assert np.array_equal(moves.T, ref["wary"][0]), "numpy form, scalar policy"
    assert not np.array_equal(ref["wary"][0], ref["quantal"][0]), "the plug-in changes moves"
    if compiled_form is None:
        return
    k = compiled_form.constants(x.c)
    s = compiled_form.state(x.start)
    moves = np.zeros((R, x.c.A), dtype=np.int64)
    deciding = np.zeros((R, x.c.A), dtype=bool)
    causes = np.zeros((R, x.c.A), dtype=np.int64)
    compiled_form.two_phases(s, k, block, x.given, x.given, moves, deciding, causes)
    assert np.array_equal(moves, ref["quantal"][0])
    assert np.array_equal(causes, ref["quantal"][1])
    paths = plugins.compiled_paths()
    for path in ("split+array", "split+scalar", "objmode"):
        s = compiled_form.state(x.start)
        out = (
            np.full((2, R, x.c.A), common.NO_MOVE, dtype=np.int64),
            np.zeros((R, x.c.A), dtype=np.int64),
            np.zeros((R, x.c.A), dtype=bool),
            np.zeros((R, x.c.A), dtype=np.int64),
        )
        if path == "objmode":
            paths["objmode"](s, k, block, out)
        else:
            paths["split"](s, k, block, plugins.WaryArrays(), path == "split+scalar", out)
        assert np.array_equal(out[1], ref["wary"][0]), path
        assert np.array_equal(out[3], ref["wary"][1]), path


def compile_costs() -> list[dict[str, float]]:
    """Compile cost with an empty numba cache, then with the cache it left, fresh processes."""
    out = []
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for _ in range(2):
            done = subprocess.run(
                [sys.executable, str(HERE / "compile_probe.py")],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            out.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return out


def engine_reference(R: int) -> dict[str, float]:  # noqa: N803
    """Today's engine on geneva-2022: whole rounds, and its phases 4-6 timed inside the run."""
    from escalsim.batch import engine

    phases = ("_perceive", "_count_perception", "_update_beliefs", "_decide")
    spent = {"cpu": 0.0}
    originals = {name: getattr(engine._Chunk, name) for name in phases}

    def timed(fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            c0 = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent["cpu"] += time.process_time() - c0

        return wrapper

    from escalsim.scenario import load_scenario

    spec = load_scenario(common.SCENARIO)  # loaded once: the YAML is not what is measured
    engine.run_batch(spec, seed=0, replications=4, keep=0)  # warm-up
    whole, part, rounds = [], [], 0
    try:
        for name, fn in originals.items():
            setattr(engine._Chunk, name, timed(fn))
        for _ in range(REPEATS):
            spent["cpu"] = 0.0
            c0, w0 = time.process_time(), time.perf_counter()
            run = engine.run_batch(spec, seed=1, replications=R, keep=0)
            whole.append((time.process_time() - c0, time.perf_counter() - w0))
            part.append(spent["cpu"])
            rounds = int(run.outcome["end_round"].sum())
    finally:
        for name, fn in originals.items():
            setattr(engine._Chunk, name, fn)
    return {
        "cpu": statistics.median(w[0] for w in whole),
        "wall": statistics.median(w[1] for w in whole),
        "phases_cpu": statistics.median(part),
        "rounds": rounds,
    }


def agents_reference(reps: int) -> dict[str, float]:
    """Today's agent driver: ``reps`` replications one after another."""
    from escalsim.agents import EscalationModel
    from escalsim.scenario import load_scenario

    spec = load_scenario(common.SCENARIO)  # loaded once, as bench_drivers.py does
    EscalationModel(scenario=spec, seed=0, replication=10**6).run()  # warm-up
    rounds = 0

    def run() -> None:
        nonlocal rounds
        rounds = 0
        for r in range(reps):
            rounds += EscalationModel(scenario=spec, seed=1, replication=r).run().round

    cpu, wall = median_times(run)
    return {"cpu": cpu, "wall": wall, "rounds": rounds}


def row(label: str, R: int | str, work: int, cpu: float, wall: float | None, A: int) -> str:  # noqa: N803
    """A table row: µs per replication-round (CPU, wall) and actor-rounds per CPU second."""
    rate = work * A / cpu / 1e6 if cpu > 0 else float("nan")
    walls = "–" if wall is None else f"{1e6 * wall / work:,.2f}"
    return f"| {label} | {R} | {1e6 * cpu / work:,.2f} | {walls} | {rate:,.3f} |"


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run (seconds)")
    args = parser.parse_args()
    sizes = (1, 100) if args.quick else SIZES
    _, _, c = common.geneva()
    A = c.A  # noqa: N806
    print(f"load average before: {os.getloadavg()} on {os.cpu_count()} cores")
    print(f"python {platform.python_version()}, numpy {np.__version__}, ", end="")
    if compiled_form is None:
        print(NUMBA_MISSING)
    else:
        import numba

        print(f"numba {numba.__version__} (threads: {numba.get_num_threads()})")
    check_same_moves()
    if compiled_form is None:
        print("check: the numpy form's plug-in paths agree (compiled form not checked: no numba)")
    else:
        print("check: both forms and every plug-in path give the same moves and causes")
    header = (
        "| what | R | µs per replication-round (CPU) | (wall) | M actor-rounds/s per core |\n"
        "|---|---:|---:|---:|---:|"
    )
    lines = [header]
    if compiled_form is not None:
        costs = compile_costs()
        for label, probe in zip(("empty", "filled"), costs, strict=True):
            parts = ", ".join(
                f"{name.replace('_', ' ')} {probe[name][0]:.3f} s CPU ({probe[name][1]:.3f} s wall)"
                for name in ("numba_import", "module_import", "first_call", "warm_call")
            )
            print(f"compiled form, fresh process, numba cache {label}: {parts}")
    for R in sizes:  # noqa: N806
        x = Inputs(R, rounds_for(R, args.quick))
        work = R * x.T
        cpu, wall = median_times(numpy_run(x))
        lines.append(row("spike: numpy form (phases 4-6)", R, work, cpu, wall, A))
        if compiled_form is None:
            lines.append(f"| spike: compiled form | {R} | {NUMBA_MISSING} | | |")
        else:
            run = compiled_run(x)
            run()  # warm
            cpu, wall = median_times(run)
            lines.append(row("spike: compiled form, warm (phases 4-6)", R, work, cpu, wall, A))
            if R > 1:
                run = compiled_run(x, compiled_form.two_phases_parallel)
                run()
                cpu, wall = median_times(run)
                label = "spike: compiled form, prange (CPU of all threads)"
                lines.append(row(label, R, work, cpu, wall, A))
        if R > 1:
            policy = {0: plugins.WaryArrays()}
            cpu, wall = median_times(numpy_run(x, policy))
            lines.append(row("plug-in, numpy form: user policy on arrays", R, work, cpu, wall, A))
            scalar = {0: plugins.PerReplication(plugins.wary)}
            small = Inputs(R, 1) if R > 1000 else x
            cpu, wall = median_times(numpy_run(small, scalar))
            label = "plug-in, numpy form: user scalar policy, Python loop per replication"
            lines.append(row(label, R, R * small.T, cpu, wall, A))
            if compiled_form is not None:
                for path in ("split+array", "split+scalar", "objmode"):
                    y = small if path != "split+array" else x
                    run = compiled_plugin_run(y, path)
                    run()
                    cpu, wall = median_times(run)
                    label = f"plug-in, compiled form: {path}"
                    lines.append(row(label, R, R * y.T, cpu, wall, A))
        ref = engine_reference(R)
        label = "today's engine, phases 4-6 inside run_batch (like for like)"
        lines.append(row(label, R, ref["rounds"], ref["phases_cpu"], None, A))
        label = "today's engine, run_batch end to end (whole rounds; not like for like)"
        lines.append(row(label, R, ref["rounds"], ref["cpu"], ref["wall"], A))
    agents = agents_reference(2 if args.quick else 10)
    label = "today's agent driver, EscalationModel.run (whole rounds; per replication)"
    lines.append(row(label, 1, agents["rounds"], agents["cpu"], agents["wall"], A))
    print("\n".join(lines))
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
