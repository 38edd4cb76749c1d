"""The engine's shortcuts of issue 20's fixed-cost branch (``perf-pd``), pinned to the general path.

Each shortcut skips work whose result is known without doing it (an update that gives back its
prior, a chance of winning that has not changed, a clip of integers); these tests run the general
path beside it and compare the two to the bit: whole runs (every frame, posteriors included)
and the functions on their own.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalsim.batch import run_batch
from escalsim.core import dynamics as dx
from escalsim.core.params import schedule
from escalsim.core.streams import BlockLayout, Draws
from escalsim.model.rounds import Crisis, Streams
from escalsim.scenario import load_scenario, with_condition
from escalsim.scenario.load import with_settings

settings.register_profile(
    "perf_engine", max_examples=300, deadline=None, derandomize=True, database=None
)
PROFILE = settings.get_profile("perf_engine")


def _ipd(rounds: int = 60) -> Any:
    spec = with_condition(load_scenario("ipd-noise"), "tft_e05")
    return with_settings(spec, {"run.rounds": rounds})


def _frames(spec: Any, **kwargs: Any) -> list[pd.DataFrame]:
    run = run_batch(spec, seed=3, replications=12, **kwargs)
    frames = [run.outcome, run.timeseries, run.events]
    if run.twin_outcome is not None and run.complete_twin_outcome is not None:
        frames += [run.twin_outcome, run.complete_twin_outcome]
    return frames


def _assert_same(a: list[pd.DataFrame], b: list[pd.DataFrame]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x, y, check_exact=True)


@pytest.mark.parametrize("twin", [False, True])
def test_fixed_update_gives_the_general_updates_frames(
    monkeypatch: pytest.MonkeyPatch, twin: bool
) -> None:
    """ipd-noise with the update skipped equals it with every update computed, frame by frame."""
    taken = []
    real = Crisis._move_update_fixed

    def counted(self: Crisis) -> bool:
        fixed = real(self)
        taken.append(fixed)
        return fixed

    monkeypatch.setattr(Crisis, "_move_update_fixed", counted)
    fast = _frames(_ipd(), twin=twin)
    assert taken
    assert all(taken)  # the shortcut was taken in every round
    # The general path: every update computed, on the context recorded for it.
    monkeypatch.setattr(Crisis, "_move_update_fixed", lambda self: False)
    monkeypatch.setattr(Crisis, "_reads_moves", lambda self: not self.complete_information)
    _assert_same(fast, _frames(_ipd(), twin=twin))


def test_fixed_update_keeps_each_posterior_to_the_bit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Round by round, the posteriors with the shortcut are the general update's, bit for bit."""
    spec = _ipd(40)
    sched = schedule(spec)
    layout = BlockLayout.of(spec)
    reps = np.arange(6)

    def crisis() -> Crisis:
        streams = Streams(5, reps, layout, spec.run.rounds)
        return Crisis(spec, sched, streams, reps, np.zeros(6, dtype=bool), False, solo=True)

    fast, slow = crisis(), crisis()
    assert not fast._moves_read  # nothing would read the context: not recorded
    slow._moves_read = True  # the general path records it and reads it
    general = Crisis._update_posteriors

    def never_fixed(self: Crisis) -> None:
        self._move_update_fixed = lambda: False  # type: ignore[method-assign]
        general(self)

    monkeypatch.setattr(slow, "_update_posteriors", lambda: never_fixed(slow))
    while not fast.over:
        fast.step()
        slow.step()
        for name in ("posterior", "posterior_true"):
            a, b = getattr(fast, name), getattr(slow, name)
            assert a.tobytes() == b.tobytes()
            assert a is not b


def test_update_not_skipped_where_moves_inform() -> None:
    """A scenario whose powers model type-dependent policies never takes the shortcut."""
    spec = with_condition(load_scenario("geneva-2022"), "dialogue_open")
    sched = schedule(spec)
    reps = np.arange(3)
    streams = Streams(1, reps, BlockLayout.of(spec), spec.run.rounds)
    c = Crisis(spec, sched, streams, reps, np.zeros(3, dtype=bool), False, solo=True)
    assert c._moves_read
    for _ in range(3):
        c.step()
        assert not c._move_update_fixed()


@pytest.mark.parametrize("scenario", ["geneva-2022", "hotline-1963", "ipd-noise"])
def test_kept_win_probabilities_are_the_computed_ones(scenario: str) -> None:
    """The kept chances of winning equal a fresh computation, every round; no one can write them."""
    spec = load_scenario(scenario)
    spec = with_condition(spec, spec.condition_names[0])
    if scenario == "ipd-noise":
        spec = with_settings(spec, {"run.rounds": 12})
    sched = schedule(spec)
    reps = np.arange(4)
    streams = Streams(2, reps, BlockLayout.of(spec), spec.run.rounds)
    c = Crisis(spec, sched, streams, reps, np.zeros(4, dtype=bool), False, solo=True)
    for _ in range(min(12, spec.run.rounds)):
        c.begin_round()
        kept = c._win_probabilities()
        c._wins = None
        fresh = c._win_probabilities()
        assert kept.tobytes() == fresh.tobytes()
        assert not kept.flags.writeable
        c.finish_round()
        if c.over:
            break


@given(
    x=st.lists(st.integers(-3, 12), min_size=1, max_size=8),
    moves=st.lists(st.sampled_from([-1, 0, 1, 2, 3, 4]), min_size=1, max_size=8),
    jump=st.integers(1, 4),
    n_rungs=st.integers(2, 10),
    dtype=st.sampled_from([np.int64, np.int32, np.int8]),
    scalar=st.booleans(),
)
@settings(PROFILE)
def test_target_rung_of_integers_is_the_clip(
    x: list[int], moves: list[int], jump: int, n_rungs: int, dtype: Any, scalar: bool
) -> None:
    """``target_rung``'s integer path (max then min) gives np.clip's numbers, dtype and type."""
    k = min(len(x), len(moves))
    xs: Any = np.asarray(x[:k], dtype=dtype)
    ms: Any = np.asarray(moves[:k], dtype=np.int64)
    if scalar:
        xs, ms = xs[0], ms[0]
    got = dx.target_rung(xs, ms, jump, n_rungs)
    xa, ma = np.asarray(xs), np.asarray(ms)
    delta = np.where(
        ma == dx.JUMP, jump, np.where(ma == dx.CONCEDE, -xa, np.where(ma == dx.ACCEPT, 0, ma))
    )
    want = np.clip(xa + delta, 0, np.asarray(n_rungs) - 1)
    assert type(got) is type(want)
    assert np.asarray(got).dtype == np.asarray(want).dtype
    assert np.array_equal(got, want)


def test_draws_take_refuses_a_slot_not_drawn() -> None:
    """``Draws.take`` reads drawn slots and refuses undrawn ones, one position or several."""
    at = {"choice": np.array([0, -1, 2]), "war": np.array(1)}
    block = np.arange(12.0).reshape(4, 3)
    u = Draws(block, at)
    assert np.array_equal(u.take("choice", 0), block[:, 0])
    assert np.array_equal(u.take("choice", np.array([0, 2])), block[:, [0, 2]])
    assert np.array_equal(u.take("war"), block[:, 1])
    with pytest.raises(LookupError):
        u.take("choice", 1)
    with pytest.raises(LookupError):
        u.take("choice", np.array([0, 1]))


@pytest.mark.parametrize(
    ("scenario", "complete", "read"),
    [("ipd-noise", False, False), ("geneva-2022", False, True), ("geneva-2022", True, False)],
)
def test_the_context_of_moves_is_recorded_where_read(
    scenario: str, complete: bool, read: bool
) -> None:
    """The context of the other's decision is recorded where an update on moves may read it."""
    spec = load_scenario(scenario)
    spec = with_condition(spec, spec.condition_names[0])
    sched = schedule(spec)
    reps = np.arange(2)
    streams = Streams(1, reps, BlockLayout.of(spec), spec.run.rounds)
    c = Crisis(
        spec, sched, streams, reps, np.zeros(2, dtype=bool), complete, complete_information=complete
    )
    assert c._moves_read is read
