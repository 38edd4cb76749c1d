"""The fast paths of issue 20's kernel branch (``perf-kernel``), pinned to the general formulas.

Each fast path computes the same floats as the general code by the same operations on the same
operands (the module's comments say why); these tests compare the two to the bit, with shape and
dtype, on hand-picked cases and on hypothesis-generated inputs, including the inputs on which a
fast path declines and the general code runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from escalsim.core import bargaining as bg
from escalsim.core import dynamics as dx

settings.register_profile(
    "perf_kernel", max_examples=1000, deadline=None, derandomize=True, database=None
)
PROFILE = settings.get_profile("perf_kernel")


def _same(got: Any, want: Any) -> None:
    """Equal to the bit (NaNs' bits and zeros' signs included), with dtype and shape."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype
    assert got.shape == want.shape
    if got.dtype.kind == "f":
        np.testing.assert_array_equal(got.view(np.uint64), want.view(np.uint64))
    else:
        np.testing.assert_array_equal(got, want)


def _best_continuation_general(share_j, xp, costs, war_risk, war_rung, war_j, delta, between):
    """best_continuation's general code without a reply or an imposed cost (as on main)."""
    top = len(costs) - 1 if war_rung is None else war_rung
    lo, hi = (0, top) if between is None else (between[0], min(between[1], top))
    rungs = np.arange(lo, hi + 1)
    xp_arr = np.asarray(xp)
    risk = dx.war_probability(war_risk, xp_arr[..., None], rungs, war_rung)
    flow = np.asarray(share_j, dtype=float)[..., None, None] - costs[rungs]
    w_j = np.asarray(war_j, dtype=float)[..., None, None, :]
    held = bg.hold_value(flow[..., None], risk[..., None], w_j, delta)
    return held.max(axis=-2)


COSTS = np.array([0.0, 0.01, 0.03, 0.05, 0.1, 0.2, 0.5, 0.6, 0.7, 0.8])
RISKS = np.array([0.0, 0.0, 0.001, 0.005, 0.01, 0.03, 1.0, 1.0, 1.0, 1.0])


def test_best_continuation_fast_path_gives_the_general_numbers():
    """Geneva's shapes: rows, a decider's types, the four candidates, the other's types."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 10, size=(2, 30, 1, 8))
    xp = dx.target_rung(x[..., None], dx.CANDIDATE_MOVES, 2, 10)
    share = rng.uniform(0, 1, size=(2, 30, 1, 8))
    war = rng.uniform(-8, 2, size=(2, 30, 1, 8, 16))
    for between in (None, (0, 3), (2, 10), (4, 4), (5, 9)):
        for war_rung in (6, None):
            args = (share, xp, COSTS, RISKS, war_rung, war, 0.95)
            got = bg.best_continuation(*args, between=between)
            _same(got, _best_continuation_general(*args, between))
    # broadcast leading shapes, as the policy calls it
    args = (rng.uniform(size=(2, 30)), xp[0, :, 0, 0], COSTS, RISKS, 6, war[:, :, 0, 0], 0.9)
    _same(bg.best_continuation(*args), _best_continuation_general(*args, None))
    args = (share[0, :, 0, 0], xp[:, :, 0, 0], COSTS, RISKS, 6, war[0, :, 0, 0], 0.9)
    _same(bg.best_continuation(*args), _best_continuation_general(*args, None))
    args = (0.5, xp[:, :, 0, 0], COSTS, RISKS, 6, war[0, 0, 0, 0], 0.9)
    _same(bg.best_continuation(*args), _best_continuation_general(*args, None))


def test_best_continuation_declines_where_a_zero_could_change_sign():
    """A -0.0 war value or flow, a whole-ladder cost of -0.0, a float rung: the general code."""
    xp = np.array([[0, 1, 2, 3]])
    share = np.array([0.0])
    for war, costs in (
        (np.array([[-0.0, 0.0, -1.0]]), COSTS),
        (np.array([[0.0, 1.0, -1.0]]), np.where(COSTS == 0, -0.0, COSTS)),
    ):
        args = (share, xp, costs, RISKS, 6, war, 0.9)
        _same(bg.best_continuation(*args), _best_continuation_general(*args, None))
    args = (np.array([0.3]), xp.astype(float), COSTS, RISKS, 6, np.array([[-1.0, 2.0]]), 0.9)
    _same(bg.best_continuation(*args), _best_continuation_general(*args, None))


FLOATS = st.floats(-5.0, 5.0, allow_nan=False, width=64)
ODD = st.sampled_from([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e-300, -1e-300])


@settings(PROFILE)
@given(
    n=st.integers(2, 9),
    data=st.data(),
    delta=st.one_of(st.floats(0.0, 0.999), st.sampled_from([1.0, 0.0, 0.5])),
    rows=st.integers(1, 5),
    k=st.integers(1, 5),
)
def test_best_continuation_on_generated_inputs(n, data, delta, rows, k):
    """Any ladder (costs in any order, ties, risks of 0 and 1), war rung, range of rungs and
    values, odd ones included (±0, ±∞, NaN, tiny): the fast path's numbers or the general's."""
    costs = np.array(
        data.draw(st.lists(st.sampled_from([0.0, 0.1, 0.25, 1.0, 2.0]), min_size=n, max_size=n))
    )
    risks = np.array(
        data.draw(
            st.lists(
                st.sampled_from([0.0, 0.01, 0.2, 0.5, 1.0, 1.5, np.nan]), min_size=n, max_size=n
            )
        )
    )
    war_rung = data.draw(st.one_of(st.none(), st.integers(1, n - 1)))
    top = n - 1 if war_rung is None else war_rung
    between = data.draw(
        st.one_of(
            st.none(),
            st.tuples(st.integers(0, top), st.integers(0, n)).filter(
                lambda b: b[0] <= min(b[1], top)
            ),
        )
    )
    value = st.one_of(FLOATS, ODD) if data.draw(st.booleans()) else FLOATS
    share = np.array(data.draw(st.lists(value, min_size=rows, max_size=rows)))
    war = np.array(data.draw(st.lists(value, min_size=rows * k, max_size=rows * k))).reshape(
        rows, k
    )
    xp = np.array(
        data.draw(st.lists(st.integers(0, n - 1), min_size=rows * 3, max_size=rows * 3))
    ).reshape(rows, 3)
    args = (share, xp, costs, risks, war_rung, war, delta)
    with np.errstate(all="ignore"):
        got = bg.best_continuation(*args, between=between)
        want = _best_continuation_general(*args, between)
    _same(got, want)


@settings(PROFILE)
@given(
    data=st.data(),
    rows=st.integers(1, 4),
    k=st.integers(1, 4),
    n=st.integers(1, 3),
    odd=st.booleans(),
    answered=st.booleans(),
)
def test_unanswered_onset_gives_onset_values_numbers(data, rows, k, n, odd, answered):
    """Where no type answers, the onset value is the war's (pb._unanswered), as onset_value
    computes it, both ways it is called: the other's values over this power's types (the
    answers and V_nuc on distinct rows) and this power's over the other's types."""
    from escalsim.policies import bargaining as pb

    value = st.one_of(FLOATS, ODD) if odd else FLOATS

    def arr(*shape):
        size = int(np.prod(shape))
        return np.array(data.draw(st.lists(value, min_size=size, max_size=size))).reshape(shape)

    answers = np.zeros((rows, n), dtype=bool)
    if answered:
        answers[data.draw(st.integers(0, rows - 1)), data.draw(st.integers(0, n - 1))] = True
    war_j, v_nuc_j = arr(rows, k), arr(rows, k, n)
    prior = np.abs(arr(n))
    with np.errstate(all="ignore"):
        got = pb._unanswered(war_j, v_nuc_j, prior, answers, (rows, 1, n), (rows, k, n))
        want = bg.onset_value(war_j, v_nuc_j, prior, answers[:, None, :])
    if got is not None:
        _same(got, want)
    else:
        assert answered or odd or (war_j == 0).any()
    # this power's value: war [rows], V_nuc and the posterior [rows, k], answers [rows, k]
    war, v_nuc, post = arr(rows), arr(rows, k), np.abs(arr(rows, k))
    answers = answers[:, :1] & np.ones(k, dtype=bool)
    with np.errstate(all="ignore"):
        got = pb._unanswered(war, v_nuc, post, answers, answers.shape)
        want = bg.onset_value(war, v_nuc, post, answers)
    if got is not None:
        _same(got, want)


def test_unanswered_onset_broadcasts_as_onset_value():
    """A war value shared by a batch's worlds: the result has onset_value's shape."""
    from escalsim.policies import bargaining as pb

    war_j = np.linspace(-3.0, -1.0, 5 * 4).reshape(5, 4)
    v_nuc_j = np.full((2, 5, 4, 3), -7.5)
    answers = np.zeros((2, 5, 1, 3), dtype=bool)
    prior = np.full(3, 1 / 3)
    got = pb._unanswered(war_j, v_nuc_j[0, 0], prior, answers, answers.shape, v_nuc_j.shape)
    _same(got, bg.onset_value(war_j, v_nuc_j, prior, answers))


def _frames(batch: Any) -> list[Any]:
    names = ("outcome", "timeseries", "events", "twin_outcome", "complete_twin_outcome")
    return [getattr(batch, name) for name in names]


def test_the_onset_answers_kept_between_calls_change_nothing(monkeypatch):
    """The onset answers kept per Params (pb._remembered, and pb._kept for batches of more
    than pb.MEMO_ROWS rows) against every call's rows computed afresh: the same frames, on
    geneva-2022 at war with two nuclear-armed powers, where some types answer a war's onset
    with a nuclear step (the general onset value runs) and the rest do not (pb._unanswered)."""
    import sys
    from pathlib import Path

    import pandas as pd

    from escalsim.batch import run_batch
    from escalsim.policies import bargaining as pb
    from escalsim.scenario import with_condition

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from lasting_wars import geneva_at_war

    answered = []

    def fresh(columns, costs_j, actor, params, lazy=False):
        got = pb._answers(columns, costs_j, actor, params)
        answered.append(bool(got["n_i"].any()))
        return got

    large = []
    kept_rows = pb._kept

    def counted(columns, costs_j, actor, params):
        large.append(len(columns[0]))
        return kept_rows(columns, costs_j, actor, params)

    spec = with_condition(geneva_at_war(), "dialogue_open")
    monkeypatch.setattr(pb, "_kept", counted)
    kept = run_batch(spec, seed=4, replications=120, keep=3, twin=True)
    assert len(large) > 10  # batches of more than MEMO_ROWS rows, kept by _kept
    monkeypatch.setattr(pb, "_remembered", fresh)
    afresh = run_batch(spec, seed=4, replications=120, keep=3, twin=True)
    assert any(answered)
    assert not all(answered)
    for one, two in zip(_frames(kept), _frames(afresh), strict=True):
        if one is None:
            assert two is None
        else:
            pd.testing.assert_frame_equal(one, two, check_exact=True)
