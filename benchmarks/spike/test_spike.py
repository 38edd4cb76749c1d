"""The two spike forms give the same numbers, bit for bit (run by hand; numba is optional).

Usage::

    PYTHONPATH=src .venv/bin/python -m pytest benchmarks/spike/test_spike.py -q

Not under ``tests/``: numba is not a dependency of escalsim.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

import common
import numpy_form

compiled_form = pytest.importorskip("compiled_form", reason="numba is not installed")


def run_both(R: int, rounds: int, given_actor: int | None = None) -> None:  # noqa: N803
    """Run both forms ``rounds`` rounds on the same inputs and compare everything."""
    p, layout, c = common.geneva()
    start = common.start_state(p, c, R)
    blocks = common.blocks(layout, R, rounds)
    ns = numpy_form.NumpyState.of(start)
    cs = compiled_form.state(start)
    k = compiled_form.constants(c)
    given = np.full((R, c.A), common.NO_MOVE, dtype=np.int64)
    for t in range(1, rounds + 1):
        if given_actor is not None:
            given[:, given_actor] = [1, 0, -1][t % 3]  # a scripted move, the same everywhere
        block = blocks[t - 1]
        m1, d1, c1 = numpy_form.two_phases(ns, c, p, block, t, given[0])
        moves = np.zeros((R, c.A), dtype=np.int64)
        deciding = np.zeros((R, c.A), dtype=bool)
        causes = np.zeros((R, c.A), dtype=np.int64)
        compiled_form.two_phases(cs, k, block, given, given, moves, deciding, causes)
        np.testing.assert_array_equal(m1.T, moves)
        np.testing.assert_array_equal(d1.T, deciding)
        np.testing.assert_array_equal(c1.T, causes)
        a, b = ns.state(), compiled_form.as_state(cs)
        for name in common.State.__dataclass_fields__:
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
        # The rest of the round (a stand-in), the same for both.
        o = c.offsets["incident"]
        rung, dchange, incident, apparent = common.stand_in_rest_of_round(
            c, a.rung, moves, deciding, block[:, o : o + c.A]
        )
        for target in (ns, cs):
            lay = (lambda v: np.ascontiguousarray(v.T)) if target is ns else (lambda v: v)
            target.rung[...] = lay(rung)
            target.dchange[...] = lay(dchange)
            target.incident[...] = lay(incident)
            target.apparent[...] = lay(apparent)
    counts = ns.state().counts.sum(axis=0)
    if R >= 100:
        # Every branch was taken: errors, alarms, miscalculations, and some decisions.
        assert counts.min() > 0, dict(zip(common.COUNTERS, counts, strict=True))


def test_same_numbers() -> None:
    run_both(500, 12)


def test_same_numbers_one_replication() -> None:
    run_both(1, 26)


def test_same_numbers_with_a_scripted_actor() -> None:
    run_both(300, 6, given_actor=0)


def test_parallel_same_numbers() -> None:
    p, layout, c = common.geneva()
    R = 400  # noqa: N806
    start = common.start_state(p, c, R)
    block = common.blocks(layout, R, 1)[0]
    k = compiled_form.constants(c)
    given = np.full((R, c.A), common.NO_MOVE, dtype=np.int64)
    out = []
    for kernel in (compiled_form.two_phases, compiled_form.two_phases_parallel):
        s = compiled_form.state(start)
        arrays = (
            np.zeros((R, c.A), dtype=np.int64),
            np.zeros((R, c.A), dtype=bool),
            np.zeros((R, c.A), dtype=np.int64),
        )
        kernel(s, k, block, given, given, *arrays)
        out.append((compiled_form.as_state(s), arrays))
    for x, y in zip(out[0][1], out[1][1], strict=True):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(out[0][0].hostility, out[1][0].hostility)
