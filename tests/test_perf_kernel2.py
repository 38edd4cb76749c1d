"""The fast paths of issue 20's second kernel branch (``perf-kernel2``), pinned to the bit.

Each fast path gives the same numbers as the code it replaces (the module's comments say
why); these tests compare the two to the bit, with shape and dtype, on hand-picked cases and on
hypothesis-generated inputs (±0, ±∞ and NaN included), and force the rare cases in which a fast
path declines (two different rows sharing a hash) so that the code run then is tested too.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalsim.core import bargaining as bg
from escalsim.core import dynamics as dx
from escalsim.core.params import schedule
from escalsim.policies import Actor
from escalsim.policies import bargaining as pb
from escalsim.scenario import load_scenario

# The bit-for-bit comparison and the general code of best_continuation, shared with the first
# kernel branch's tests.
from test_perf_kernel import COSTS, RISKS, _best_continuation_general, _same

settings.register_profile(
    "perf_kernel2", max_examples=400, deadline=None, derandomize=True, database=None
)
PROFILE = settings.get_profile("perf_kernel2")

_HASHES = pb._row_hashes
ODD = [0.0, -0.0, math.inf, -math.inf, math.nan, 1.0, -1.0, 0.5, 1e-300, 5e-324, 1e300]


def _bits(a: Any) -> Any:
    return np.ascontiguousarray(np.asarray(a, dtype=float)).view(np.uint64)


def _sorted_rows(columns: Any) -> Any:
    """The distinct rows as main found them: np.unique of the rows' bytes (rows sorted)."""
    arrays = [np.asarray(c, dtype=float) for c in columns]
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    flat = np.stack([np.broadcast_to(a, shape).reshape(-1) for a in arrays], axis=-1)
    keys = flat.view(np.dtype((np.void, flat.itemsize * flat.shape[1])))[:, 0]
    _, first = np.unique(keys, return_index=True)
    return flat[first]


def _check_distinct_rows(columns: Any) -> None:
    rows = pb.DistinctRows(*columns)
    want = _sorted_rows(columns)
    got = np.stack(rows.columns, axis=-1)
    # The same distinct rows (in another order): each once, compared by their bits.
    assert got.shape == want.shape
    assert {r.tobytes() for r in got} == {r.tobytes() for r in want}
    assert len({r.tobytes() for r in got}) == len(got)
    # Spread back, each column is the column on every row, to the bit.
    for back, column in zip(rows.spread(*rows.columns), columns, strict=True):
        _same(back, np.broadcast_to(np.asarray(column, dtype=float), rows.shape))


rows_strategy = st.integers(1, 40).flatmap(
    lambda n: st.tuples(
        *(
            st.lists(
                st.sampled_from(ODD) | st.floats(allow_nan=True, allow_infinity=True),
                min_size=n,
                max_size=n,
            )
            for _ in range(4)
        )
    )
)


@PROFILE
@given(rows_strategy)
def test_distinct_rows_by_hash_are_the_sorted_rows(columns):
    """DistinctRows groups rows by a hash of their bits: the same distinct rows as the sort of
    their bytes (-0.0 apart from 0.0, NaNs of different bits apart), spread back to the bit."""
    columns = tuple(np.array(c, dtype=float) for c in columns)
    _check_distinct_rows(columns)
    # Rows that repeat, and columns broadcast against each other.
    doubled = tuple(np.concatenate([c, c[::-1], c]) for c in columns)
    _check_distinct_rows(doubled)
    _check_distinct_rows((doubled[0][:, None], doubled[1][None, :3], np.array(0.25)))


@pytest.mark.parametrize("weak", [lambda b: np.zeros(len(b), np.uint64), lambda b: b[:, 0] & 3])
def test_distinct_rows_where_rows_share_a_hash_sort_the_rows(monkeypatch, weak):
    """Where two different rows share a hash the rows' bytes are sorted instead: the same rows."""
    monkeypatch.setattr(pb, "_row_hashes", weak)
    rng = np.random.default_rng(3)  # chosen before the first run, never changed
    columns = tuple(rng.choice([0.0, -0.0, 0.5, math.nan, math.inf], size=60) for _ in range(4))
    _check_distinct_rows(columns)
    _check_distinct_rows((np.array([1.0, 1.0, -0.0, 0.0]),))


def _answers_afresh(columns: Any, costs_j: Any, actor: Any, params: Any) -> dict[str, Any]:
    """What _kept returns, computed on these rows now (as _kept's fresh_answers does)."""
    got = pb._onset_answers(columns, costs_j, actor, params)
    if "n_i" in got:
        v_nuc_j = pb._answered_war(columns, got["z_i"], costs_j, actor, params)
        calm = (np.abs(v_nuc_j) < 1e300).all(axis=(-2, -1))
        got["calm_i"] = ~got["n_i"].any(axis=-1) & calm
    return got


@pytest.mark.parametrize(
    ("weak", "size"),
    [
        (None, pb.KEPT_SIZE),
        (None, 70),  # starts again when full
        (lambda b: _HASHES(b[:, [0, 1, 3]]), pb.KEPT_SIZE),  # some rows share a hash
        (lambda b: _HASHES(b[:, [0, 1, 3]]), 70),
        (lambda b: np.zeros(len(b), np.uint64), 70),
    ],
)
def test_kept_answers_are_the_answers_computed_afresh_to_the_bit(monkeypatch, weak, size):
    """_kept: batches of rows kept from earlier calls, new, or both (by a hash of their bits,
    some sharing one), give the answers computed afresh on the same rows, bit for bit."""
    if weak is not None:
        monkeypatch.setattr(pb, "_row_hashes", weak)
    monkeypatch.setattr(pb, "KEPT_SIZE", size)
    p = schedule(load_scenario("geneva-2022")).params_at[0]
    a = Actor(index=p.power_a, resolve=0.3, red_line=int(p.red_line[p.power_a]))
    costs_j = np.tile(np.asarray(p.cost_types[1], dtype=float), 2)
    rng = np.random.default_rng(31)  # chosen before the first run, never changed

    def rows(n: int) -> tuple[Any, ...]:
        return (
            rng.choice([0.5, 0.8, 1.0, 1.5, 2.0], n),
            rng.choice([0.2, 0.35, 0.5, 0.65, 0.8], n),
            rng.choice([0.0, 0.3, -0.0], n),
            rng.choice([0.0, 0.6], n),
        )

    batches = [rows(40) for _ in range(6)]
    for columns in batches + batches[::-1]:
        distinct = pb.DistinctRows(*columns).columns
        kept = pb._kept(distinct, costs_j, a, p)
        fresh = _answers_afresh(distinct, costs_j, a, p)
        assert set(kept) == set(fresh)
        for name, value in fresh.items():
            _same(kept[name], value)
    memo = p.derived[("onset_kept", a.index, costs_j.tobytes())]
    assert memo.count <= size
    # Every row kept is found by its hash, with its own bits.
    found, _ = memo.find(memo.hashes, memo.bits[memo.slots])
    np.testing.assert_array_equal(found, memo.slots)
    assert len(np.unique(memo.hashes)) == memo.count


def test_best_continuation_with_worlds_alike_and_broadcast_shares():
    """The batch engine's shapes: two worlds with the same war values (computed once), shares
    broadcast by a zero stride (cut to one row), candidates that differ between the worlds; and
    shapes where only the war values span an axis."""
    rng = np.random.default_rng(37)  # chosen before the first run, never changed
    x = rng.integers(0, 10, size=(2, 30, 1, 8))
    xp = dx.target_rung(x[..., None], dx.CANDIDATE_MOVES, 2, 10)
    one = rng.uniform(-8, 2, size=(1, 30, 1, 8, 16))
    for war in (np.concatenate([one, one]), np.concatenate([one, one + 1.0]), one):
        for share in (np.broadcast_to(0.4, (2, 30, 1, 8)), rng.uniform(0, 1, size=(2, 30, 1, 8))):
            for between in (None, (0, 3), (2, 10)):
                for war_rung in (6, None):
                    args = (share, xp, COSTS, RISKS, war_rung, war, 0.95)
                    got = bg.best_continuation(*args, between=between)
                    _same(got, _best_continuation_general(*args, between))
    # Only the war values span the first axis; the candidates and shares broadcast over it.
    war = np.concatenate([one, one])[:, :, 0, 0]  # [2, 30, 16]
    for args in (
        (0.5, xp[:1, :, 0, 0], COSTS, RISKS, 6, war, 0.9),
        (np.broadcast_to(0.5, (2, 30)), xp[0, :, 0, 0], COSTS, RISKS, 6, war, 0.9),
        (0.5, xp[0, :1, 0, 0], COSTS, RISKS, 6, war, 0.9),
    ):
        _same(bg.best_continuation(*args), _best_continuation_general(*args, None))


@PROFILE
@given(
    data=st.data(),
    rows=st.integers(1, 4),
    k=st.integers(1, 4),
    delta=st.sampled_from([0.0, 0.5, 0.9, 0.999]),
)
def test_best_continuation_with_repeated_worlds_on_generated_inputs(data, rows, k, delta):
    """Worlds alike or not, odd values included (±0, ±∞, NaN, tiny): the general numbers."""
    value = st.one_of(
        st.floats(-5.0, 5.0, allow_nan=False, width=64),
        st.sampled_from([0.0, -0.0, 1.0, np.inf, -np.inf, np.nan, 1e-300, 5e-324]),
    )
    one = np.array(data.draw(st.lists(value, min_size=rows * k, max_size=rows * k)))
    one = one.reshape(1, rows, k)
    other = one if data.draw(st.booleans()) else one + data.draw(st.sampled_from([0.0, 1.0]))
    war = np.concatenate([one, other])
    share = np.broadcast_to(data.draw(value), (2, rows))
    xp = np.array(
        data.draw(st.lists(st.integers(0, 9), min_size=2 * rows * 4, max_size=2 * rows * 4))
    ).reshape(2, rows, 4)
    war_rung = data.draw(st.sampled_from([None, 3, 6]))
    args = (share, xp, COSTS, RISKS, war_rung, war, delta)
    with np.errstate(all="ignore"):
        _same(bg.best_continuation(*args), _best_continuation_general(*args, None))


# -- the other's types computed once per distinct cost (issue 20, the cost per replication) ---


def test_type_period_compares_the_costs_bit_for_bit():
    """The smallest repeating first part of the joint types' costs, by their bits."""
    grid = np.array([0.1, 0.2, 0.4])
    assert pb._type_period(np.tile(grid, 2)) == 3
    assert pb._type_period(np.tile(grid, 4)) == 3
    assert pb._type_period(grid) == 3
    assert pb._type_period(np.array([0.5, 0.5, 0.5, 0.5])) == 1
    assert pb._type_period(np.array([0.0, -0.0])) == 2  # -0.0 is not 0.0
    nan_a = np.array([math.nan])
    nan_b = (nan_a.view(np.uint64) | np.uint64(1)).view(float)  # another NaN's bits
    assert pb._type_period(np.concatenate([nan_a, nan_a])) == 1
    assert pb._type_period(np.concatenate([nan_a, nan_b])) == 2
    assert pb._type_period(np.array([math.inf, 1.0, math.inf, 1.0])) == 2
    assert pb._type_period(np.array([1.0, 2.0, 1.0])) == 3
    costs = np.tile(grid, 2)
    values = np.tile(np.array([[1.0, -0.0, math.nan]]), (4, 2))
    assert pb._type_repeats(costs, values) == 2
    for k in range(6):
        changed = values.copy()
        changed[2, k] = 0.0 if k != 1 else 1.0  # one column differs from its repeat
        assert pb._type_repeats(costs, changed) == 1
    signed = values.copy()
    signed[:, 4] = 0.0  # 0.0 against -0.0 in the first part
    assert pb._type_repeats(costs, signed) == 1
    assert pb._type_repeats(costs, values[:, :3]) == 1  # not K columns
    assert pb._type_repeats(grid, values[:, :3]) == 1  # nothing repeats
    _same(pb._repeated(values[:, :3], 2), values)


def _onset_calls(spec: Any, replications: int) -> list[Any]:
    """The arguments of every onset_values call of a short batch (each call's own copies)."""
    from escalsim.batch import run_batch

    calls: list[Any] = []
    original = pb.onset_values

    def record(obs, p, war, war_j, costs_j, actor, params):
        calls.append((obs, np.copy(p), np.copy(war), np.copy(war_j), costs_j, actor, params))
        return original(obs, p, war, war_j, costs_j, actor, params)

    pb.onset_values = record
    try:
        run_batch(spec, seed=5, replications=replications, keep=0, twin=True)
    finally:
        pb.onset_values = original
    return calls


def _onset_general(monkeypatch: Any, *args: Any) -> Any:
    """onset_values on every column of the other's types (no period found)."""
    with monkeypatch.context() as m:
        m.setattr(pb, "_type_period", lambda costs_j: np.shape(costs_j)[-1])
        return pb.onset_values(*args)


@pytest.mark.parametrize("variant", ["geneva", "at_war", "at_war_hazard"])
def test_onset_values_on_the_distinct_types_are_the_values_on_all_of_them(monkeypatch, variant):
    """onset_values computed once per distinct cost of the other's types (its joint types repeat
    the cost grid per honesty type) against every column computed: the same bits, on the calls
    of short batches (some types answering a war's onset, some not), with odd values (±0, ±∞,
    NaN) put into both repeats of the other's war values, and with repeats that differ."""
    import sys
    from pathlib import Path

    from escalsim.scenario import with_condition

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from lasting_wars import geneva_at_war

    spec = {
        "geneva": lambda: with_condition(load_scenario("geneva-2022"), "dialogue_closed"),
        "at_war": lambda: with_condition(geneva_at_war(), "dialogue_open"),
        "at_war_hazard": lambda: with_condition(geneva_at_war(hazard=0.05), "dialogue_closed"),
    }[variant]()
    calls = _onset_calls(spec, 6)
    assert calls
    rng = np.random.default_rng(41)  # chosen before the first run, never changed
    repeated = 0
    for obs, p, war, war_j, costs_j, actor, params in calls[::3]:
        k = war_j.shape[-1]
        period = pb._type_period(np.asarray(costs_j, dtype=float))
        odd = war_j.copy()
        first = odd[..., :period]
        first.reshape(-1)[rng.integers(0, first.size, 3)] = rng.choice(ODD, 3)
        odd = np.concatenate([first] * (k // period), axis=-1)
        unlike = war_j.copy()
        unlike[..., -1] += 0.25
        for values in (war_j, odd, unlike):
            args = (obs, p, war, values, costs_j, actor, params)
            with np.errstate(all="ignore"):
                got = pb.onset_values(*args)
                want = _onset_general(monkeypatch, *args)
            _same(got[0], want[0])
            _same(got[1], want[1])
        repeated += pb._type_repeats(np.asarray(costs_j, dtype=float), war_j) > 1
    assert repeated  # the distinct types' path ran


def _ladder_both_ways(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
    """ladder_utilities as it runs, and with every column of the other's types computed."""
    got = bg.ladder_utilities(*args, **kwargs)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(bg, "_quit_once_per_type", lambda *a, **k: None)
        want = bg.ladder_utilities(*args, **kwargs)
    return got, want


FINITE = st.floats(-5.0, 5.0, allow_nan=False, width=64)


@PROFILE
@given(
    data=st.data(),
    rows=st.integers(1, 4),
    half=st.integers(1, 5),
    best=st.booleans(),
    imposed=st.booleans(),
    precision=st.sampled_from([math.inf, 20.0, 0.0, 1e6]),
    odd=st.booleans(),
    delta=st.sampled_from([0.0, 0.5, 0.95]),
)
def test_quitting_once_per_type_gives_every_columns_numbers(
    data, rows, half, best, imposed, precision, odd, delta
):
    """ladder_utilities with the other's types repeated (the joint types' halves alike): its
    continuation and quitting per type computed on the first half and repeated give the numbers
    of every column computed, to the bit, odd values (±0, ±∞, NaN, tiny) included; with halves
    that differ in a bit, every column is computed."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr(bg, "HALVES_MIN", 0)  # a small batch's types too
        _check_quitting_once_per_type(data, rows, half, best, imposed, precision, odd, delta)


def _check_quitting_once_per_type(data, rows, half, best, imposed, precision, odd, delta):
    value = st.one_of(FINITE, st.sampled_from(ODD)) if odd else FINITE

    def arr(*shape: int) -> Any:
        size = int(np.prod(shape))
        return np.array(data.draw(st.lists(value, min_size=size, max_size=size))).reshape(shape)

    first_war, first_quit = arr(rows, half), arr(rows, half)
    if data.draw(st.booleans()):
        first_quit[0] = -math.inf  # the other cannot quit in a row
    war_j = np.concatenate([first_war, first_war], axis=-1)
    quit_j = np.concatenate([first_quit, first_quit], axis=-1)
    posterior = np.abs(arr(rows, 2 * half))
    x = np.array(data.draw(st.lists(st.integers(0, 9), min_size=rows, max_size=rows)))
    y = np.array(
        data.draw(st.lists(st.sampled_from([0, 2, 5.5, 6, 9]), min_size=rows, max_size=rows))
    )
    share, war, prevail, flow_j, share_j = (arr(rows) for _ in range(5))
    common = dict(
        best_of_share=share_j if best else None,
        costs_j=COSTS[::-1].copy() if best else None,
        imposed=np.linspace(0.0, 0.09, 10) if imposed else None,
    )
    args = [x, y, COSTS, RISKS, 6, 2, share, war, prevail, delta, posterior, war_j, flow_j]
    with np.errstate(all="ignore"):
        got, want = _ladder_both_ways(*args, quit_j, precision, **common)
        _same(got, want)
        fast = bg._quit_once_per_type(posterior, war_j, quit_j, precision, delta, lambda w: None)
        assert fast is None  # the continuation declined: every column computed
        # Halves that differ in one bit (0.0 against -0.0 included): every column computed.
        for which in (0, 1):
            both = [war_j.copy(), quit_j.copy()]
            flat = both[which].reshape(-1)
            at = data.draw(st.integers(0, flat.size - 1))
            flat[at] = -0.0 if flat[at] == 0.0 and not np.signbit(flat[at]) else 0.0
            assert bg._quit_once_per_type(posterior, *both, precision, delta, np.abs) is None
            got, want = _ladder_both_ways(*args[:-2], both[0], flow_j, both[1], precision, **common)
            _same(got, want)


def test_quitting_once_per_type_at_the_batch_engines_shapes():
    """Geneva's shapes: worlds, rows, a decider's types and the other's 16 joint types (its 8
    cost types twice), war values broadcast over the worlds by a zero stride; the fast path
    runs (the continuation by _best_hold) and gives every column's numbers."""
    assert np.zeros((2, 30, 1, 8, 16)).size >= bg.HALVES_MIN  # the fast path's sizes
    rng = np.random.default_rng(43)  # chosen before the first run, never changed
    x = rng.integers(0, 10, size=(2, 30, 1, 8))
    xp = dx.target_rung(x[..., None], dx.CANDIDATE_MOVES, 2, 10)
    y = rng.integers(0, 10, size=(2, 30, 1, 1))
    first = rng.uniform(-8, 2, size=(1, 30, 1, 8, 8))
    war_j = np.broadcast_to(np.concatenate([first, first], axis=-1), (2, 30, 1, 8, 16))
    quit_first = rng.uniform(0, 10, size=(2, 30, 1, 1, 8))
    quit_j = np.concatenate([quit_first, quit_first], axis=-1)
    quit_j[0, :3] = -math.inf
    posterior = rng.dirichlet(np.ones(16), size=(2, 30, 1, 1))
    share = rng.uniform(0, 1, size=(2, 30, 1, 8))
    war = rng.uniform(-8, 2, size=(2, 30, 1, 8))
    share_j = np.full((2, 30, 1, 1), 0.4)
    held: list[Any] = []

    def stay(w: Any) -> Any:
        held.append(w.shape)
        return bg._best_hold_everywhere(share_j, xp, COSTS, RISKS, 6, w, 0.95)

    for precision in (20.0, math.inf):
        args = (x, y, COSTS, RISKS, 6, 2, share, war, war + 3.0, 0.95, posterior, war_j, 0.4)
        got, want = _ladder_both_ways(
            *args, quit_j, precision, best_of_share=share_j, costs_j=COSTS
        )
        _same(got, want)
        assert bg._quit_once_per_type(posterior, war_j, quit_j, precision, 0.95, stay) is not None
    assert held == [(2, 30, 1, 8, 8)] * 2


def _war_best_general(utilities: Any, available: Any, war: Any) -> tuple[Any, ...]:
    """_war_best with the reductions over the options (as on main)."""
    util = np.asarray(utilities, dtype=float)
    ok = np.asarray(available, dtype=bool) & ~np.isnan(util)
    is_war = np.asarray(war, dtype=bool) & ok
    peace = ok & ~is_war
    any_peace = peace.any(axis=-1, keepdims=True)
    top_peace = np.where(any_peace, np.where(peace, util, -np.inf).max(axis=-1, keepdims=True), 0)
    war_util = np.where(is_war, util, -np.inf)
    go = is_war.any(axis=-1) & ((war_util.max(axis=-1) > top_peace[..., 0]) | ~any_peace[..., 0])
    return util, peace, top_peace, war_util, go


@PROFILE
@given(
    data=st.data(),
    rows=st.sampled_from([1, 3, bg.COLUMN_ROWS - 1, bg.COLUMN_ROWS, 300]),
    n=st.integers(1, 7),
    odd=st.booleans(),
)
def test_maxima_by_columns_are_the_reductions(data, rows, n, odd):
    """max_last, nanmax_last and any_last (the options' columns in turn) give the reductions'
    bits, odd values included (±0 ties, ±∞, NaNs of different bits, rows of NaNs alone); and
    _war_best with them, on few and many rows, gives what it gave with the reductions."""
    pool = [0.0, -0.0, math.inf, -math.inf, math.nan, -math.nan, 1.0, -1.0, 2.5, 5e-324]
    values = st.sampled_from(pool) if odd else st.floats(-3.0, 3.0, width=64)
    cells = data.draw(st.lists(values, min_size=1, max_size=40))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    a = np.array(cells)[rng.integers(0, len(cells), size=(rows, n))]
    _same(bg.max_last(a), a.max(axis=-1))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows
        _same(bg.nanmax_last(a), np.nanmax(a, axis=-1))
    b = rng.random((rows, n)) < data.draw(st.sampled_from([0.0, 0.1, 0.5, 1.0]))
    _same(bg.any_last(b), b.any(axis=-1))
    available = rng.random((rows, n)) < 0.8
    war = rng.random((rows, n)) < 0.4
    got = bg._war_best(a, available, war)
    for one, two in zip(got, _war_best_general(a, available, war), strict=True):
        _same(one, two)
    # a single row, and a batch of rows with their options broadcast
    for args in ((a[0], available[0], war[0]), (a, available[:1], war[0])):
        for one, two in zip(bg._war_best(*args), _war_best_general(*args), strict=True):
            _same(one, two)


def test_products_written_in_place_are_the_products_of_the_repeated_shares():
    """_weighted_twice: the products of a prior with the shares repeated, written in place, are
    those of the concatenation, in the same places (C order), so that their sums over the types
    are the same bits; for a prior laid out otherwise (transposed, broadcast, of one type)."""
    rng = np.random.default_rng(47)  # chosen before the first run, never changed
    shares = rng.random((2, 30, 1, 8, 4, 8))
    shares.reshape(-1)[:40] = rng.choice(ODD, 40)
    post = rng.dirichlet(np.ones(16), size=(2, 30, 1, 1))
    odd_post = np.concatenate([post[..., :8], post[..., 8:] * -1.0], axis=-1)  # signs differ
    priors = [
        post[..., None, :],
        odd_post[..., None, :],
        np.broadcast_to(post[:1], post.shape)[..., None, :],
        np.asfortranarray(post)[..., None, :],
        post[..., ::-1][..., None, :],
        np.ascontiguousarray(post.transpose(1, 0, 2, 3, 4)).transpose(1, 0, 2, 3, 4)[..., None, :],
        post[..., :1][..., None, :],
        rng.dirichlet(np.ones(16))[None, :],
    ]
    for prior in priors:
        want = prior * np.concatenate((shares, shares), axis=-1)
        with np.errstate(all="ignore"):
            got = bg._weighted_twice(prior, shares)
            _same(got, want)
            _same(got.sum(axis=-1), want.sum(axis=-1))
        assert got.flags.c_contiguous == want.flags.c_contiguous
    assert not bg._c_ordered(priors[4])  # a negative stride: the concatenation's product


@pytest.mark.parametrize("variant", ["geneva", "at_war"])
def test_reservations_on_the_distinct_types_are_the_reservations_of_all(monkeypatch, variant):
    """The other's reservations computed once per distinct type (its joint types repeat its cost
    grid) against every column computed: the same bits, on the calls of short batches (at war
    and not), and with the offers standing changed (none, nothing, all)."""
    import dataclasses
    import sys
    from pathlib import Path

    from escalsim.batch import run_batch
    from escalsim.scenario import with_condition

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from lasting_wars import geneva_at_war

    spec = {
        "geneva": lambda: with_condition(load_scenario("geneva-2022"), "dialogue_open"),
        "at_war": lambda: with_condition(geneva_at_war(), "dialogue_open"),
    }[variant]()
    calls: list[Any] = []
    original = pb.Bargaining.reservations

    def record(self, obs, actor, params):
        calls.append((self, obs, actor, params))
        return original(self, obs, actor, params)

    with monkeypatch.context() as m:
        m.setattr(pb.Bargaining, "reservations", record)
        run_batch(spec, seed=6, replications=6, keep=0, twin=True)
    assert calls
    repeated = 0
    for policy, obs, actor, params in calls[::2]:
        received = np.asarray(obs.offer_received, dtype=float)
        for offer in (None, math.nan, 0.0, 1.0):
            seen = obs
            if offer is not None:
                seen = dataclasses.replace(obs, offer_received=np.full(received.shape, offer))
            got = policy.reservations(seen, actor, params)
            with monkeypatch.context() as m:
                m.setattr(pb, "_type_period", lambda costs_j: np.shape(costs_j)[-1])
                want = policy.reservations(seen, actor, params)
            _same(got[0], want[0])
            _same(got[1], want[1])
        t = pb.terms(obs, actor, params)
        repeated += pb._type_repeats(np.asarray(t.costs_j), t.war_j) > 1
    assert repeated  # the distinct types' path ran
